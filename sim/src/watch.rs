//! Watch streams: newline-delimited JSON events over a chunked response.
//!
//! Semantics follow the API server's watch cache: no resourceVersion (or "0") means
//! synthetic ADDED events for the current state first; a given resourceVersion
//! replays the change log after it; one older than the log gets a single ERROR
//! event carrying a 410 `Expired` Status. Objects that start or stop matching the
//! selectors arrive as ADDED / DELETED, as they do from a real server.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Shared;
use super::api::{Query, ResourceRequest, selectors};
use super::resources::def;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{EventType, StoredObject};

/// How often a BOOKMARK is sent when the client allows them.
const BOOKMARK_EVERY: Duration = Duration::from_secs(1);

struct Filter {
    namespace: String,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, ns: &str, v: &Value) -> bool {
        (self.namespace.is_empty() || self.namespace == ns)
            && self.labels.matches(v)
            && self.fields.matches(v)
    }
}

fn event_line(etype: &str, obj: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(obj.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(etype.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(obj);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn value_line(etype: &str, obj: &Value) -> Bytes {
    event_line(etype, obj.to_string().as_bytes())
}

/// The ERROR event a real server sends when the requested version is compacted away.
fn expired_line(requested: u64, oldest: u64) -> Bytes {
    let e = ApiError::Expired(format!("too old resource version: {requested} ({oldest})"));
    value_line("ERROR", &e.to_status())
}

/// Start a watch and return the streaming response.
pub fn serve(sh: Arc<Shared>, r: &ResourceRequest, q: &Query, drop_after: Option<u32>) -> Response {
    let (labels, fields) = match selectors(r, q) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let rv_param = q.get("resourceVersion").unwrap_or("");
    let start_rv: Option<u64> = match rv_param {
        "" | "0" => None,
        s => match s.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                return ApiError::BadRequest(format!(
                    "resourceVersion: Invalid value: \"{s}\": must be a valid resourceVersion"
                ))
                .into_response();
            }
        },
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs);
    let bookmarks = q.flag("allowWatchBookmarks");
    let send_initial = q.flag("sendInitialEvents");
    let mut fields = fields;
    if !r.name.is_empty() {
        // Legacy `/watch/.../NAME` is a watch with a name field selector.
        if let Ok(f) = FieldSelector::parse(&format!("metadata.name={}", r.name), &[]) {
            fields.0.extend(f.0);
        }
    }
    let filter = Filter {
        namespace: r.namespace.clone(),
        labels,
        fields,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(run(
        sh,
        r.clone(),
        filter,
        start_rv,
        send_initial || start_rv.is_none(),
        send_initial && bookmarks,
        bookmarks,
        timeout,
        drop_after,
        tx,
    ));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, std::convert::Infallible>(b), rx))
    });
    let mut resp = (StatusCode::OK, Body::from_stream(stream)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[allow(clippy::too_many_arguments)]
async fn run(
    sh: Arc<Shared>,
    r: ResourceRequest,
    filter: Filter,
    start_rv: Option<u64>,
    initial: bool,
    initial_end_bookmark: bool,
    bookmarks: bool,
    timeout: Option<Duration>,
    drop_after: Option<u32>,
    tx: mpsc::Sender<Bytes>,
) {
    let res = r.res;
    let d = def(res);
    let mut changes = sh.store.subscribe();
    let mut sent: u32 = 0;
    let limit = drop_after.unwrap_or(u32::MAX);
    let mut cursor;
    if initial && start_rv.is_none() {
        let ns = (!filter.namespace.is_empty()).then_some(filter.namespace.as_str());
        let page = sh.store.list(res, ns, None, 0, |v| {
            filter.labels.matches(v) && filter.fields.matches(v)
        });
        cursor = page.rv;
        for o in page.items {
            if sent >= limit {
                return;
            }
            if tx.send(event_line("ADDED", &r.body(&o))).await.is_err() {
                return;
            }
            sent += 1;
        }
        if initial_end_bookmark {
            let b = json!({
                "kind": d.kind, "apiVersion": r.api_version(),
                "metadata": {"resourceVersion": cursor.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}},
            });
            if tx.send(value_line("BOOKMARK", &b)).await.is_err() {
                return;
            }
        }
    } else {
        cursor = start_rv.unwrap_or(0);
    }
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut tick = tokio::time::interval(BOOKMARK_EVERY);
    tick.tick().await;
    // One bookmark right after the first catch-up, so even a short watch sees one.
    let mut first_bookmark_due = bookmarks;
    loop {
        // Drain whatever the log holds after the cursor.
        match sh.store.events_after(cursor) {
            Err(too_old) => {
                let _ = tx
                    .send(expired_line(too_old.requested, too_old.oldest))
                    .await;
                return;
            }
            Ok(events) => {
                for ev in events {
                    cursor = ev.rv;
                    if ev.res != res {
                        continue;
                    }
                    let Some(kind) =
                        classify(&filter, &ev.namespace, ev.etype, &ev.obj, ev.prev.as_ref())
                    else {
                        continue;
                    };
                    if sent >= limit {
                        return;
                    }
                    if tx.send(event_line(kind, &r.body(&ev.obj))).await.is_err() {
                        return;
                    }
                    sent += 1;
                }
            }
        }
        if sent >= limit && drop_after.is_some() {
            return;
        }
        if first_bookmark_due {
            first_bookmark_due = false;
            let b = json!({"kind": d.kind, "apiVersion": r.api_version(), "metadata": {"resourceVersion": cursor.to_string()}});
            if tx.send(value_line("BOOKMARK", &b)).await.is_err() {
                return;
            }
        }
        let sleep_deadline = async {
            match deadline {
                Some(dl) => tokio::time::sleep_until(dl).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tx.closed() => return,
            _ = sh.cancel.cancelled() => return,
            _ = sleep_deadline => return,
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick(), if bookmarks => {
                let b = json!({"kind": d.kind, "apiVersion": r.api_version(), "metadata": {"resourceVersion": cursor.to_string()}});
                if tx.send(value_line("BOOKMARK", &b)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Which event type a change is for this watcher, if any.
fn classify(
    f: &Filter,
    ns: &str,
    etype: EventType,
    obj: &StoredObject,
    prev: Option<&Arc<StoredObject>>,
) -> Option<&'static str> {
    let now = f.matches(ns, &obj.value);
    match etype {
        EventType::Added => now.then_some("ADDED"),
        EventType::Deleted => now.then_some("DELETED"),
        EventType::Modified => {
            let before = prev.is_none_or(|p| f.matches(ns, &p.value));
            match (before, now) {
                (true, true) => Some("MODIFIED"),
                (false, true) => Some("ADDED"),
                (true, false) => Some("DELETED"),
                (false, false) => None,
            }
        }
    }
}
