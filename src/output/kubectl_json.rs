//! API objects printed byte for byte as `kubectl get -o json` prints them, straight from the
//! text the API server sent.
//!
//! kubectl decodes every object into a Go map and re-encodes it with `json.MarshalIndent`: keys
//! in byte order, four-space indent, `<`, `>`, `&`, U+2028 and U+2029 escaped, floats in Go's
//! shortest form. Decoding each object into a `serde_json::Value` and re-encoding it would give
//! the same bytes, but costs more than the whole HTTP exchange for a long list. The API server
//! already sends custom resources with their keys in byte order (they are Go maps on its side
//! too), so the text can be re-indented as it is read, token by token. An object whose keys are
//! not in order (another server, a hand-written proxy) is sorted through a `Value` first, so
//! the output does not depend on where the text came from.
//!
//! kubectl leaves `metadata.managedFields` out unless `--show-managed-fields`; left out here,
//! the value is skipped over in the text, never decoded.

use std::cmp::Ordering;

/// Indent step, as kubectl's `json.MarshalIndent(obj, "", "    ")`.
const STEP: usize = 4;

/// What kubectl changes in an object it prints, besides the layout.
#[derive(Clone, Copy, Debug)]
pub struct Printed<'a> {
    /// Members the top-level object gets when it lacks them (list items without `apiVersion`
    /// and `kind`); they must be in byte order.
    pub defaults: &'a [(&'a str, &'a str)],
    /// Whether the top-level object keeps `metadata.managedFields`.
    pub managed_fields: bool,
}

/// Writes `raw`, one JSON value, indented as kubectl would print it at nesting `depth` (the
/// first line is not indented: the caller has placed it).
pub fn write_indented(
    raw: &str,
    depth: usize,
    printed: Printed,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    let mut writer = Writer {
        src: raw.as_bytes(),
        pos: 0,
        out,
        trust_order: false,
        managed_fields: printed.managed_fields,
    };
    if writer.value(depth, printed.defaults, Level::Top).is_ok() {
        return Ok(());
    }
    // Keys out of order (or escaped, so their order cannot be read off the bytes): sort them.
    out.truncate(start);
    let sorted = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(raw)?)?;
    let mut writer = Writer {
        src: sorted.as_bytes(),
        pos: 0,
        out,
        trust_order: true,
        managed_fields: printed.managed_fields,
    };
    // A `Value` serializes its keys in byte order, so this pass has nothing to refuse.
    writer
        .value(depth, printed.defaults, Level::Top)
        .map_err(|Unsorted| {
            <serde_json::Error as serde::de::Error>::custom("object keys could not be ordered")
        })
}

/// The text's keys are not known to be in byte order.
struct Unsorted;

/// Where a value sits in the printed object: only the top-level object's `metadata` holds
/// the managedFields kubectl leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Metadata,
    Inner,
}

/// A re-indenting copy of one JSON text that serde_json has already validated: the reader
/// only has to find token boundaries, never to report syntax errors.
struct Writer<'a> {
    src: &'a [u8],
    pos: usize,
    out: &'a mut Vec<u8>,
    /// Set when the text comes from a `Value`, whose keys are sorted by construction.
    trust_order: bool,
    /// Whether `metadata.managedFields` is printed.
    managed_fields: bool,
}

impl<'a> Writer<'a> {
    fn value(
        &mut self,
        depth: usize,
        defaults: &[(&str, &str)],
        level: Level,
    ) -> Result<(), Unsorted> {
        self.skip_whitespace();
        match self.src.get(self.pos) {
            Some(b'{') => self.object(depth, defaults, level),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let raw = self.string_token();
                write_go_string(raw, self.out);
                Ok(())
            }
            _ => {
                self.scalar();
                Ok(())
            }
        }
    }

    fn object(
        &mut self,
        depth: usize,
        defaults: &[(&str, &str)],
        level: Level,
    ) -> Result<(), Unsorted> {
        self.pos += 1;
        let mut pending = defaults;
        let mut members = 0;
        let mut previous: Option<&[u8]> = None;
        self.skip_whitespace();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                let key = self.string_token();
                if !self.trust_order {
                    let escaped = key.contains(&b'\\');
                    if escaped || previous.is_some_and(|p| p >= key) {
                        return Err(Unsorted);
                    }
                    previous = Some(key);
                }
                while let Some(((name, value), rest)) = pending.split_first() {
                    match name.as_bytes().cmp(key) {
                        Ordering::Less => self.added_member(&mut members, depth, name, value),
                        Ordering::Equal => {}
                        Ordering::Greater => break,
                    }
                    pending = rest;
                }
                self.skip_whitespace();
                self.pos += 1; // ':'
                if level == Level::Metadata && key == b"managedFields" && !self.managed_fields {
                    self.skip_value();
                } else {
                    self.member_key(&mut members, depth, key);
                    let inner = match (level, key) {
                        (Level::Top, b"metadata") => Level::Metadata,
                        _ => Level::Inner,
                    };
                    self.value(depth + 1, &[], inner)?;
                }
                if !self.more_follow() {
                    break;
                }
            }
        }
        for (name, value) in pending {
            self.added_member(&mut members, depth, name, value);
        }
        match members {
            0 => self.out.extend_from_slice(b"{}"),
            _ => {
                self.newline(depth);
                self.out.push(b'}');
            }
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<(), Unsorted> {
        self.pos += 1;
        self.skip_whitespace();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.out.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.push(b'[');
        loop {
            self.newline(depth + 1);
            self.value(depth + 1, &[], Level::Inner)?;
            if !self.more_follow() {
                break;
            }
            self.out.push(b',');
        }
        self.newline(depth);
        self.out.push(b']');
        Ok(())
    }

    /// Opens the next member of an object (`{` or `,`, then its line) and writes its key.
    fn member_key(&mut self, members: &mut usize, depth: usize, key: &[u8]) {
        self.out.push(if *members == 0 { b'{' } else { b',' });
        *members += 1;
        self.newline(depth + 1);
        write_go_string(key, self.out);
        self.out.extend_from_slice(b": ");
    }

    /// A member the text lacks, with a string value.
    fn added_member(&mut self, members: &mut usize, depth: usize, name: &str, value: &str) {
        self.member_key(members, depth, name.as_bytes());
        write_go_string(value.as_bytes(), self.out);
    }

    /// Reads the separator after a member or element: whether another one follows.
    fn more_follow(&mut self) -> bool {
        self.skip_whitespace();
        let separator = self.src.get(self.pos).copied();
        self.pos += 1;
        separator == Some(b',')
    }

    fn newline(&mut self, depth: usize) {
        self.out.push(b'\n');
        self.out.resize(self.out.len() + depth * STEP, b' ');
    }

    /// The bytes between the quotes of the string at `pos`, escapes as written.
    fn string_token(&mut self) -> &'a [u8] {
        let src = self.src;
        let start = self.pos + 1;
        let mut end = start;
        while let Some(&byte) = src.get(end) {
            match byte {
                b'\\' => end += 2,
                b'"' => break,
                _ => end += 1,
            }
        }
        self.pos = end + 1;
        src.get(start..end).unwrap_or_default()
    }

    /// A number, `true`, `false` or `null`.
    fn scalar(&mut self) {
        let token = self.scalar_token();
        write_go_scalar(token, self.out);
    }

    fn scalar_token(&mut self) -> &'a [u8] {
        let src = self.src;
        let start = self.pos;
        while let Some(byte) = src.get(self.pos) {
            if matches!(byte, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
        src.get(start..self.pos).unwrap_or_default()
    }

    /// Moves past the value at `pos` without writing it.
    fn skip_value(&mut self) {
        self.skip_whitespace();
        let mut open = 0usize;
        loop {
            match self.src.get(self.pos) {
                Some(b'"') => {
                    self.string_token();
                }
                Some(b'{' | b'[') => {
                    open += 1;
                    self.pos += 1;
                }
                Some(b'}' | b']') => {
                    open = open.saturating_sub(1);
                    self.pos += 1;
                }
                Some(_) if open == 0 => {
                    self.scalar_token();
                }
                Some(_) => self.pos += 1,
                None => return,
            }
            if open == 0 {
                return;
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.src.get(self.pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }
}

/// A string as Go's encoder writes it, given the text between its quotes. Most strings need no
/// change and are copied as they are.
fn write_go_string(raw: &[u8], out: &mut Vec<u8>) {
    let plain = !raw
        .iter()
        .any(|b| matches!(b, b'\\' | b'<' | b'>' | b'&' | 0xE2));
    out.push(b'"');
    if plain {
        out.extend_from_slice(raw);
    } else {
        let decoded = decode_string(raw);
        for c in decoded.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
                    out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes())
                }
                _ => {
                    let mut utf8 = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// The text of a string token with its escapes resolved. The token comes from validated JSON,
/// so decoding it cannot fail; if it somehow did, the raw text is kept rather than dropped.
fn decode_string(raw: &[u8]) -> String {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
}

/// Numbers as kubectl prints them after decoding them the API machinery's way: an int64 when
/// the text is one, else a float64 in Go's shortest form (plain decimals between 1e-6 and 1e21,
/// else an exponent with its sign: `1e+21`, `1.5e-7`). `true`, `false` and `null` are copied.
fn write_go_scalar(token: &[u8], out: &mut Vec<u8>) {
    let number = std::str::from_utf8(token)
        .ok()
        .filter(|text| text.starts_with(|c: char| c == '-' || c.is_ascii_digit()));
    match number {
        Some(text) => out.extend_from_slice(go_number(text).as_bytes()),
        None => out.extend_from_slice(token),
    }
}

/// A JSON number's text as kubectl prints it (see `write_go_scalar`).
pub fn go_number(text: &str) -> String {
    match (text.parse::<i64>(), text.parse::<f64>()) {
        (Ok(integer), _) => integer.to_string(),
        (Err(_), Ok(float)) if float.is_finite() => go_float(float),
        _ => text.to_string(),
    }
}

fn go_float(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let exponent = format!("{value:e}");
        match exponent.split_once('e') {
            Some((mantissa, power)) if !power.starts_with('-') => format!("{mantissa}e+{power}"),
            _ => exponent,
        }
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_META: &[(&str, &str)] = &[("apiVersion", "v1"), ("kind", "Thing")];

    fn indented(raw: &str, depth: usize, defaults: &[(&str, &str)]) -> String {
        printed(raw, depth, defaults, true)
    }

    fn printed(raw: &str, depth: usize, defaults: &[(&str, &str)], managed: bool) -> String {
        let mut out = Vec::new();
        let printed = Printed {
            defaults,
            managed_fields: managed,
        };
        write_indented(raw, depth, printed, &mut out).expect("valid JSON");
        String::from_utf8(out).expect("UTF-8")
    }

    /// What serde_json's pretty printer makes of the same text, for the cases where Go and
    /// serde_json agree (sorted keys, no HTML characters, integers).
    fn pretty(raw: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(raw).expect("valid JSON");
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde::Serialize::serialize(&value, &mut serializer).expect("serializes");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn sorted_compact_text_is_indented_like_marshal_indent() {
        let raw = r#"{"a":{"b":[1,{"c":null}],"d":{},"e":[]},"f":"x\ny","g":true}"#;
        assert_eq!(indented(raw, 0, &[]), pretty(raw));
    }

    #[test]
    fn whitespace_in_the_source_does_not_matter() {
        let raw = "{ \"a\" : [ 1 , 2 ] ,\n \"b\" : { \"c\" : \"d e\" } }";
        assert_eq!(indented(raw, 0, &[]), pretty(raw));
    }

    #[test]
    fn nesting_depth_indents_every_line_but_the_first() {
        assert_eq!(
            indented(r#"{"a":[1]}"#, 2, &[]),
            "{\n            \"a\": [\n                1\n            ]\n        }"
        );
    }

    #[test]
    fn unsorted_keys_are_sorted_through_a_value() {
        let raw = r#"{"b":1,"a":{"z":1,"y":2}}"#;
        assert_eq!(indented(raw, 0, &[]), pretty(raw));
        assert!(indented(raw, 0, &[]).find("\"a\"") < indented(raw, 0, &[]).find("\"b\""));
    }

    #[test]
    fn escaped_keys_are_ordered_by_their_text() {
        // "\u0061" is "a": it must sort before "b", which the raw bytes would not show.
        let raw = r#"{"b":1,"\u0061":2}"#;
        assert_eq!(indented(raw, 0, &[]), "{\n    \"a\": 2,\n    \"b\": 1\n}");
    }

    #[test]
    fn missing_type_meta_is_added_in_key_order() {
        assert_eq!(
            indented(r#"{"data":1,"metadata":{}}"#, 0, TYPE_META),
            "{\n    \"apiVersion\": \"v1\",\n    \"data\": 1,\n    \"kind\": \"Thing\",\n    \"metadata\": {}\n}"
        );
        assert_eq!(
            indented("{}", 0, TYPE_META),
            "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Thing\"\n}"
        );
    }

    #[test]
    fn present_type_meta_is_kept_as_sent() {
        assert_eq!(
            indented(r#"{"apiVersion":"v2","kind":"Other"}"#, 0, TYPE_META),
            "{\n    \"apiVersion\": \"v2\",\n    \"kind\": \"Other\"\n}"
        );
    }

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let raw = r#"["<a> & b", "\u003cc\u003e", "tab\there", "\u0001", "quote\" \\ \/", "é\u00e9", "line\u2028sep", "\b\f"]"#;
        assert_eq!(
            indented(raw, 0, &[]),
            "[\n    \"\\u003ca\\u003e \\u0026 b\",\n    \"\\u003cc\\u003e\",\n    \"tab\\there\",\n    \"\\u0001\",\n    \"quote\\\" \\\\ /\",\n    \"éé\",\n    \"line\\u2028sep\",\n    \"\\b\\f\"\n]"
        );
    }

    #[test]
    fn numbers_print_as_go_prints_int64_and_float64() {
        let raw = "[1, -7, 12345678901234567890, 1.0, 2.50, 1e3, 1.5e-7, 1e21, 0.0, -0.25]";
        assert_eq!(
            indented(raw, 0, &[]),
            "[\n    1,\n    -7,\n    12345678901234567000,\n    1,\n    2.5,\n    1000,\n    1.5e-7,\n    1e+21,\n    0,\n    -0.25\n]"
        );
    }

    #[test]
    fn managed_fields_of_the_object_are_left_out_unless_asked_for() {
        let raw = r#"{"a":1,"metadata":{"managedFields":[{"fieldsV1":{"f:x":{}},"s":"]}\"["}],"name":"n"},"spec":{"metadata":{"managedFields":2}}}"#;
        let without = printed(raw, 0, &[], false);
        assert_eq!(
            without,
            pretty(r#"{"a":1,"metadata":{"name":"n"},"spec":{"metadata":{"managedFields":2}}}"#)
        );
        assert_eq!(printed(raw, 0, &[], true), pretty(raw));
        // Alone in metadata, last in it, and in text whose keys must be sorted first.
        assert_eq!(
            printed(r#"{"metadata":{"managedFields":[]}}"#, 0, &[], false),
            "{\n    \"metadata\": {}\n}"
        );
        assert_eq!(
            printed(
                r#"{"metadata":{"z":1,"managedFields":null},"b":true}"#,
                0,
                &[],
                false
            ),
            pretty(r#"{"b":true,"metadata":{"z":1}}"#)
        );
    }

    #[test]
    fn scalars_alone_are_copied() {
        assert_eq!(indented("true", 3, &[]), "true");
        assert_eq!(indented("\"x\"", 3, &[]), "\"x\"");
    }
}
