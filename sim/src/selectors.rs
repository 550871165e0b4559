//! Label and field selectors, parsed once per request and matched per object.
//!
//! The grammar follows `k8s.io/apimachinery/pkg/labels`: comma-separated
//! requirements, `=`/`==`/`!=`, `in (...)`, `notin (...)`, `key` (exists) and `!key`.

use serde_json::Value;

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(pub Vec<LabelReq>);

/// Split on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_set(rest: &str, raw: &str) -> Result<Vec<String>, String> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("unable to parse requirement: found '{raw}', expected: '('"))?;
    let values: Vec<String> = inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.iter().any(|v| !valid_value(v)) {
        return Err(format!(
            "unable to parse requirement: invalid label value in '{raw}'"
        ));
    }
    Ok(values)
}

impl LabelSelector {
    /// Parse the `labelSelector` query value. Errors carry the BadRequest message.
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        if s.trim().is_empty() {
            return Ok(LabelSelector(reqs));
        }
        for raw in split_top_level(s) {
            let part = raw.trim();
            if part.is_empty() {
                return Err(format!(
                    "unable to parse requirement: found '', in selector '{s}'"
                ));
            }
            let req = if let Some(key) = part.strip_prefix('!') {
                let key = key.trim();
                if !valid_key(key) {
                    return Err(format!(
                        "unable to parse requirement: invalid label key \"{key}\""
                    ));
                }
                LabelReq::NotExists(key.to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                LabelReq::NotEq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==") {
                LabelReq::Eq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once('=') {
                LabelReq::Eq(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, rest)) = split_word(part, "notin") {
                LabelReq::NotIn(k, parse_set(rest, part)?)
            } else if let Some((k, rest)) = split_word(part, "in") {
                LabelReq::In(k, parse_set(rest, part)?)
            } else {
                LabelReq::Exists(part.to_string())
            };
            let (key, value) = match &req {
                LabelReq::Eq(k, v) | LabelReq::NotEq(k, v) => (k.as_str(), Some(v.as_str())),
                LabelReq::In(k, _)
                | LabelReq::NotIn(k, _)
                | LabelReq::Exists(k)
                | LabelReq::NotExists(k) => (k.as_str(), None),
            };
            if !valid_key(key) {
                return Err(format!(
                    "unable to parse requirement: invalid label key \"{key}\""
                ));
            }
            if let Some(v) = value
                && !valid_value(v)
            {
                return Err(format!(
                    "unable to parse requirement: invalid label value: \"{v}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"
                ));
            }
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Match against an object's `metadata.labels`.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
        })
    }
}

/// `key in (a,b)` → ("key", "(a,b)"), requiring whitespace around the operator word.
fn split_word<'a>(part: &'a str, word: &str) -> Option<(String, &'a str)> {
    let mut it = part.splitn(2, char::is_whitespace);
    let key = it.next()?;
    let rest = it.next()?.trim_start();
    let after = rest.strip_prefix(word)?;
    if after.starts_with(|c: char| c.is_whitespace() || c == '(') {
        Some((key.to_string(), after))
    } else {
        None
    }
}

/// One field requirement: dotted path, equal or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldReq {
    pub path: String,
    pub value: String,
    pub negate: bool,
}

/// A parsed field selector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(pub Vec<FieldReq>);

impl FieldSelector {
    /// Parse `fieldSelector`, accepting only the fields `allowed` (plus
    /// `metadata.name`/`metadata.namespace`), as the real server does per type.
    pub fn parse(s: &str, allowed: &[&str]) -> Result<FieldSelector, String> {
        let mut reqs = Vec::new();
        if s.trim().is_empty() {
            return Ok(FieldSelector(reqs));
        }
        for part in s.split(',') {
            let part = part.trim();
            let (path, value, negate) = if let Some((k, v)) = part.split_once("!=") {
                (k, v, true)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, v, false)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, v, false)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let path = path.trim();
            if path != "metadata.name" && path != "metadata.namespace" && !allowed.contains(&path) {
                return Err(format!("field label not supported: {path}"));
            }
            reqs.push(FieldReq {
                path: path.to_string(),
                value: value.trim().to_string(),
                negate,
            });
        }
        Ok(FieldSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `metadata.name=X` requirement, if any (lets get-by-name watches skip work).
    pub fn exact_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|r| r.path == "metadata.name" && !r.negate)
            .map(|r| r.value.as_str())
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|r| {
            let mut cur = obj;
            let mut found = true;
            for seg in r.path.split('.') {
                match cur.get(seg) {
                    Some(v) => cur = v,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            let actual = if found {
                match cur {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                }
            } else {
                String::new()
            };
            (actual == r.value) != r.negate
        })
    }
}

/// Fields the real server lets a client select on, per resource plural.
pub fn allowed_fields(plural: &str) -> &'static [&'static str] {
    match plural {
        "pods" => &[
            "status.phase",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "events" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "namespaces" => &["status.phase"],
        "secrets" => &["type"],
        "persistentvolumeclaims" => &[],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}, "status": {"phase": "Running"}})
    }

    #[test]
    fn label_ops() {
        let o = obj(json!({"app": "cassandra", "tier": "db"}));
        for (sel, want) in [
            ("app=cassandra", true),
            ("app==cassandra", true),
            ("app!=cassandra", false),
            ("app in (x, cassandra)", true),
            ("app notin (x,cassandra)", false),
            ("app notin (x)", true),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("missing", false),
            ("app=cassandra,tier=db", true),
            ("app in (cassandra),tier notin (web)", true),
            ("missing notin (a)", true),
            ("", true),
        ] {
            let s = LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
            assert_eq!(s.matches(&o), want, "{sel}");
        }
    }

    #[test]
    fn label_parse_errors() {
        assert!(LabelSelector::parse("app in x").is_err());
        assert!(LabelSelector::parse("a b c").is_err());
        assert!(LabelSelector::parse("app=a b").is_err());
        assert!(LabelSelector::parse("app=,").is_err());
    }

    #[test]
    fn field_ops() {
        let o = obj(json!({}));
        let f = FieldSelector::parse("metadata.name=a,metadata.namespace!=x", &[]).unwrap();
        assert!(f.matches(&o));
        assert_eq!(f.exact_name(), Some("a"));
        let f = FieldSelector::parse("status.phase=Running", allowed_fields("pods")).unwrap();
        assert!(f.matches(&o));
        assert!(FieldSelector::parse("status.phase=Running", &[]).is_err());
        assert!(FieldSelector::parse("nonsense", &[]).is_err());
    }
}
