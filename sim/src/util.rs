//! Small helpers shared by the store, the routes and the controllers.

use rand::RngExt;
use serde_json::Value;

/// A random RFC 4122 version-4 UUID, the form Kubernetes uses for `metadata.uid`.
pub fn new_uid() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Five characters from the alphabet the API server uses for `generateName`.
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

/// A random lower-case hex string, for tokens and ids.
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// Wall-clock time in the second-precision RFC 3339 form of `metav1.Time`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `obj.a.b.c` as a string, or "" when absent or not a string.
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `metadata.name`.
pub fn name_of(obj: &Value) -> &str {
    str_at(obj, "/metadata/name")
}

/// `metadata.uid`.
pub fn uid_of(obj: &Value) -> &str {
    str_at(obj, "/metadata/uid")
}

/// An annotation value, if set.
pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// `v` as an object, replacing it with `{}` first if it is anything else.
pub fn ensure_object(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(serde_json::Map::new());
    }
    match v {
        Value::Object(m) => m,
        // The line above made it an object.
        _ => unreachable!("ensure_object: value was just replaced by an object"),
    }
}

/// Get or create `obj[key]` as an object and return it mutably.
pub fn obj_entry<'a>(obj: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    let slot = ensure_object(obj)
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    ensure_object(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_shape() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, new_uid());
    }

    #[test]
    fn time_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z'));
    }
}
