//! Fault injection: make chosen requests fail, slow down, or cut their streams.
//!
//! A fault matches requests by verb, resource, group, namespace and name, counts the
//! matches, and fires on the `nth` one and the `times - 1` after it (`times: 0` means
//! every match from the `nth` on).

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What a firing fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultAction {
    /// Answer with this HTTP status, as a proper `Status` object.
    Status(u16),
    /// Wait this long, then handle the request normally.
    DelayMs(u64),
    /// End a watch stream after this many events (bookmarks not counted).
    DropWatchAfterEvents(u32),
    /// Kill an exec'd command this long after it started.
    CutExecAfterMs(u64),
    /// Answer with this text in a `Warning: 299 - "<text>"` header as well, as the API server
    /// warns of a deprecated API version on every request for it.
    Warning(String),
}

fn one() -> u32 {
    1
}

/// A request fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// get, list, watch, create, update, patch, delete, deletecollection, exec; None = any.
    #[serde(default)]
    pub verb: Option<String>,
    /// Plural, e.g. `volumesnapshots`; None = any.
    #[serde(default)]
    pub resource: Option<String>,
    /// API group ("" for core); None = any. Tells the two `volumesnapshots` apart.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "one")]
    pub nth: u32,
    #[serde(default = "one")]
    pub times: u32,
    pub action: FaultAction,
}

impl Fault {
    /// A fault firing once on the first matching request.
    pub fn new(verb: Option<&str>, resource: Option<&str>, action: FaultAction) -> Fault {
        Fault {
            verb: verb.map(str::to_string),
            resource: resource.map(str::to_string),
            group: None,
            namespace: None,
            name: None,
            nth: 1,
            times: 1,
            action,
        }
    }
}

/// The request attributes faults match on.
#[derive(Debug, Clone, Default)]
pub struct RequestAttrs {
    pub verb: String,
    pub resource: String,
    pub group: String,
    pub namespace: String,
    pub name: String,
}

struct Armed {
    fault: Fault,
    seen: u32,
}

/// All active faults.
#[derive(Default)]
pub struct Faults {
    armed: Mutex<Vec<Armed>>,
}

fn field_matches(want: &Option<String>, have: &str) -> bool {
    want.as_deref().is_none_or(|w| w == "*" || w == have)
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Armed { fault, seen: 0 });
    }

    pub fn clear(&self) {
        self.armed.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Count this request against every matching fault and return the actions that fire.
    pub fn fire(&self, req: &RequestAttrs) -> Vec<FaultAction> {
        let mut out = Vec::new();
        let mut g = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        for a in g.iter_mut() {
            let f = &a.fault;
            let matches = field_matches(&f.verb, &req.verb)
                && field_matches(&f.resource, &req.resource)
                && field_matches(&f.group, &req.group)
                && field_matches(&f.namespace, &req.namespace)
                && field_matches(&f.name, &req.name);
            if !matches {
                continue;
            }
            a.seen = a.seen.saturating_add(1);
            let nth = f.nth.max(1);
            let fires = a.seen >= nth && (f.times == 0 || a.seen < nth.saturating_add(f.times));
            if fires {
                out.push(f.action.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape() {
        let f: Fault = serde_json::from_str(
            r#"{"verb":"create","resource":"volumesnapshots","namespace":null,"name":null,"nth":2,"times":1,"action":{"status":503}}"#,
        )
        .unwrap();
        assert_eq!(f.action, FaultAction::Status(503));
        let f: Fault = serde_json::from_str(r#"{"action":{"dropWatchAfterEvents":2}}"#).unwrap();
        assert_eq!(f.nth, 1);
        assert_eq!(f.action, FaultAction::DropWatchAfterEvents(2));
    }

    #[test]
    fn nth_and_times() {
        let faults = Faults::default();
        let mut f = Fault::new(Some("get"), Some("pods"), FaultAction::Status(500));
        f.nth = 2;
        f.times = 2;
        faults.add(f);
        let get = RequestAttrs {
            verb: "get".into(),
            resource: "pods".into(),
            ..Default::default()
        };
        let list = RequestAttrs {
            verb: "list".into(),
            resource: "pods".into(),
            ..Default::default()
        };
        assert!(faults.fire(&list).is_empty());
        let fired: Vec<bool> = (0..5).map(|_| !faults.fire(&get).is_empty()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
    }
}
