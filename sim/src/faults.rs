//! Fault injection: make chosen requests fail, slow down, never answer, or cut their streams;
//! drop every open connection; or make TLS handshakes never complete.
//!
//! A fault matches requests by verb, resource, group, namespace and name (or by URL path, which
//! also reaches discovery and `/version`), counts the matches, and fires on the `nth` one and
//! the `times - 1` after it (`times: 0` means every match from the `nth` on). A
//! `stallTlsHandshake` fault counts TLS connections instead of requests.

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
    /// Exec: answer the upgrade, then send a failure Status with this code on the error
    /// channel before any command starts, as a 1.30+ API server does when it cannot open its
    /// own stream to the kubelet (500: the kubelet cannot be dialled).
    ExecStatusAfterUpgrade(u16),
    /// Exec: take the request and never answer its upgrade, as when the kubelet accepted the
    /// API server's connection and went silent. Nothing starts.
    ExecNeverAnswered,
    /// Never answer: hold the request until the client goes away (or the simulator stops), as
    /// an API server whose backend is wedged does.
    Hang,
    /// Reject the request as API Priority and Fairness does when a priority level is full:
    /// 429 with a plain-text body and `Retry-After` set to this many seconds.
    TooManyRequests(u32),
    /// Answer a paged list's continue token as expired (410), as after an etcd compaction; a
    /// list without a continue token is served normally, but counts as a match (`nth: 2`
    /// expires the second page of the first list).
    ExpireContinue,
    /// Accept the TCP connection and never complete the TLS handshake (counted per connection;
    /// the request fields do not apply).
    StallTlsHandshake,
    /// Drop every open client connection at once, this request's too (it is not served and
    /// gets no answer), as an API server restart or a network blip does: exec streams end
    /// without a Status (their commands go on where `execOutlivesStream` says so), watches
    /// end, requests in flight get no answer. Later connections are served as usual, so a
    /// client that connects again gets through; with `times: 0` and `path: "*"` every request
    /// meets the same fate, as while the API server stays unreachable.
    DropConnections,
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
    /// URL path: exact, or a prefix ending in `*` (`*` alone: every path). None matches
    /// resource requests only; with a path, discovery and `/version` match too (never `/sim`).
    #[serde(default)]
    pub path: Option<String>,
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
            path: None,
            nth: 1,
            times: 1,
            action,
        }
    }
}

/// The request attributes faults match on. A non-resource request (discovery, `/version`) has
/// an empty `resource` and the lower-case HTTP method as its `verb`.
#[derive(Debug, Clone, Default)]
pub struct RequestAttrs {
    pub verb: String,
    pub resource: String,
    pub group: String,
    pub namespace: String,
    pub name: String,
    pub path: String,
}

struct Armed {
    fault: Fault,
    seen: u32,
    /// How many requests it fired on.
    fired: u32,
}

impl Armed {
    /// Counts one more match; whether the fault fires on it.
    fn count(&mut self) -> bool {
        self.seen = self.seen.saturating_add(1);
        let (nth, times) = (self.fault.nth.max(1), self.fault.times);
        self.seen >= nth && (times == 0 || self.seen < nth.saturating_add(times))
    }
}

/// All active faults.
#[derive(Default)]
pub struct Faults {
    armed: Mutex<Vec<Armed>>,
}

fn field_matches(want: &Option<String>, have: &str) -> bool {
    want.as_deref().is_none_or(|w| w == "*" || w == have)
}

fn path_matches(want: &Option<String>, req: &RequestAttrs) -> bool {
    match want.as_deref() {
        None => !req.resource.is_empty(),
        Some(want) => match want.strip_suffix('*') {
            Some(prefix) => req.path.starts_with(prefix),
            None => req.path == want,
        },
    }
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Armed {
                fault,
                seen: 0,
                fired: 0,
            });
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
            let matches = f.action != FaultAction::StallTlsHandshake
                && field_matches(&f.verb, &req.verb)
                && field_matches(&f.resource, &req.resource)
                && field_matches(&f.group, &req.group)
                && field_matches(&f.namespace, &req.namespace)
                && field_matches(&f.name, &req.name)
                && path_matches(&f.path, req);
            if matches && a.count() {
                a.fired = a.fired.saturating_add(1);
                out.push(a.fault.action.clone());
            }
        }
        out
    }

    /// How many times the active faults fired, all together: a request a fault holds (a delay,
    /// a hang) is counted when it arrives, so a test can wait for a client to be in that call
    /// instead of sleeping and hoping it is.
    pub fn fired(&self) -> u32 {
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|a| a.fired)
            .sum()
    }

    /// Counts one TLS connection against the `stallTlsHandshake` faults; whether its handshake
    /// must never complete.
    pub fn stall_tls_handshake(&self) -> bool {
        let mut g = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        let mut stall = false;
        for a in g.iter_mut() {
            if a.fault.action == FaultAction::StallTlsHandshake {
                stall |= a.count();
            }
        }
        stall
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
        let f: Fault = serde_json::from_str(r#"{"action":"execNeverAnswered"}"#).unwrap();
        assert_eq!(f.action, FaultAction::ExecNeverAnswered);
        let f: Fault =
            serde_json::from_str(r#"{"action":{"execStatusAfterUpgrade":500}}"#).unwrap();
        assert_eq!(f.action, FaultAction::ExecStatusAfterUpgrade(500));
        let f: Fault = serde_json::from_str(r#"{"action":"dropConnections"}"#).unwrap();
        assert_eq!(f.action, FaultAction::DropConnections);
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

    #[test]
    fn paths_reach_discovery_and_only_path_faults_do() {
        let faults = Faults::default();
        faults.add(Fault::new(Some("get"), None, FaultAction::Status(500)));
        let mut version = Fault::new(None, None, FaultAction::Hang);
        version.path = Some("/version".into());
        version.times = 0;
        faults.add(version);
        let mut apis = Fault::new(None, None, FaultAction::Status(503));
        apis.path = Some("/apis/*".into());
        apis.times = 0;
        faults.add(apis);
        assert_eq!(faults.fire(&get("/version", "")), [FaultAction::Hang]);
        assert_eq!(faults.fire(&get("/api", "")), []);
        assert_eq!(
            faults.fire(&get("/apis/x/v1", "")),
            [FaultAction::Status(503)]
        );
        assert_eq!(
            faults.fire(&get("/api/v1/namespaces/a/pods/p", "pods")),
            [FaultAction::Status(500)]
        );
    }

    /// A GET of `path`; `resource` empty for a non-resource path.
    fn get(path: &str, resource: &str) -> RequestAttrs {
        RequestAttrs {
            verb: "get".into(),
            resource: resource.into(),
            path: path.into(),
            ..Default::default()
        }
    }

    #[test]
    fn handshake_stalls_count_connections_not_requests() {
        let faults = Faults::default();
        let mut stall = Fault::new(None, None, FaultAction::StallTlsHandshake);
        stall.nth = 2;
        faults.add(stall);
        assert!(faults.fire(&get("/api/v1/pods", "pods")).is_empty());
        let stalled: Vec<bool> = (0..3).map(|_| faults.stall_tls_handshake()).collect();
        assert_eq!(stalled, [false, true, false]);
    }
}
