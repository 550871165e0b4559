//! `pods/{name}/exec`: resolve the pod and container the way the API server does,
//! then hand the WebSocket to the exec module.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};

use serde_json::Value;

use super::Shared;
use super::api::ResourceRequest;
use super::exec::{
    EXEC_SUBPROTOCOLS, ExecEvent, ExecQuery, ExecTarget, KillReason, Kubelet,
    no_kubelet_stream_status, refuse_after_upgrade, serve_exec,
};
use super::resources::{def, id};
use super::status::ApiError;
use super::timeline::{TimelineEvent, TimelineKind};
use super::util;

/// Check the pod and container; returns the container name to run in.
pub fn resolve_container(
    sh: &Shared,
    ns: &str,
    pod: &str,
    container: Option<&str>,
) -> Result<String, ApiError> {
    let obj = sh
        .store
        .get(id::PODS, ns, pod)
        .ok_or_else(|| ApiError::not_found(def(id::PODS), pod))?;
    let names: Vec<String> = obj
        .value
        .pointer("/spec/containers")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(|n| n.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let container = match container.filter(|c| !c.is_empty()) {
        Some(c) => {
            if !names.iter().any(|n| n == c) {
                return Err(ApiError::BadRequest(format!(
                    "container {c} is not valid for pod {pod}"
                )));
            }
            c.to_string()
        }
        None => match names.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(ApiError::BadRequest(format!(
                    "a container name must be specified for pod {pod}"
                )));
            }
            many => {
                return Err(ApiError::BadRequest(format!(
                    "a container name must be specified for pod {pod}, choose one of: [{}]",
                    many.join(" ")
                )));
            }
        },
    };
    if util::str_at(&obj.value, "/spec/nodeName").is_empty() {
        return Err(ApiError::BadRequest(format!(
            "pod {pod} does not have a host assigned"
        )));
    }
    match util::str_at(&obj.value, "/status/phase") {
        "Running" => Ok(container),
        phase @ ("Succeeded" | "Failed") => Err(ApiError::BadRequest(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        ))),
        _ => Err(ApiError::BadRequest(format!(
            "container not found (\"{container}\")"
        ))),
    }
}

/// The environment an exec in this container gets: the container's `env` values
/// from the pod spec, plus `HOSTNAME` (the pod name), as a container would have.
fn pod_env(sh: &Shared, ns: &str, pod: &str, container: &str) -> Vec<(String, String)> {
    let mut env = vec![("HOSTNAME".to_string(), pod.to_string())];
    env.extend(super::marks::env(sh, ns, pod));
    let Some(obj) = sh.store.get(id::PODS, ns, pod) else {
        return env;
    };
    let containers = obj
        .value
        .pointer("/spec/containers")
        .and_then(Value::as_array);
    if let Some(c) =
        containers.and_then(|cs| cs.iter().find(|c| util::str_at(c, "/name") == container))
    {
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let name = util::str_at(e, "/name");
            if !name.is_empty() {
                env.push((name.to_string(), util::str_at(e, "/value").to_string()));
            }
        }
    }
    env
}

/// What fault injection does to one exec (see [`super::FaultAction`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExecFault {
    /// Kill the command this long after it started, dropping the connection.
    CutAfter(Duration),
    /// Upgrade, then report that the API server could not open its stream to the kubelet.
    StatusAfterUpgrade(u16),
    /// Never answer the upgrade.
    NeverAnswered,
}

/// What an exec request asked to upgrade to.
pub enum ExecStream {
    WebSocket(WebSocketUpgrade),
    /// SPDY/3.1: what kubectl falls back to when its WebSocket upgrade is refused.
    Spdy,
    None,
}

/// Why the simulator answers an SPDY exec (kubectl's fallback) with an error, where a real API
/// server would run the command: it speaks the exec protocol over WebSocket only.
const SPDY_NOT_SIMULATED: &str = "pxsnap-sim serves exec over WebSocket only: SPDY/3.1 (kubectl's fallback after a refused WebSocket upgrade) is not simulated, where a real API server would run the command";

/// Handle an exec request: resolve pod and container, parse the query, upgrade, run.
/// The timeline gets `execStart` and `execEnd`; a killed command ends with exit code
/// 137 and a `detail` saying why, one that could not start has no exit code; a request a
/// silent kubelet took gets `execUnanswered` alone.
pub async fn handle(
    sh: Arc<Shared>,
    r: &ResourceRequest,
    stream: ExecStream,
    raw_query: &str,
    fault: Option<ExecFault>,
) -> Response {
    let params = super::api::Query::parse(raw_query);
    let container = match resolve_container(&sh, &r.namespace, &r.name, params.get("container")) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let query = match ExecQuery::parse(raw_query) {
        Ok(q) => q,
        Err(message) => return ApiError::BadRequest(message).into_response(),
    };
    let ws = match stream {
        ExecStream::WebSocket(ws) => ws,
        ExecStream::Spdy => return ApiError::BadRequest(SPDY_NOT_SIMULATED.into()).into_response(),
        ExecStream::None => {
            return ApiError::BadRequest("Upgrade request required".into()).into_response();
        }
    };
    let mut event = TimelineEvent::new(TimelineKind::ExecStart, &r.namespace);
    event.pod = Some(r.name.clone());
    event.container = Some(container.clone());
    event.command = Some(query.command.clone());
    if fault == Some(ExecFault::NeverAnswered) {
        return never_answer(&sh, event).await;
    }
    let cwd = sh.pod_dir(&r.namespace, &r.name);
    let bin = sh.pod_bin_dir(&r.namespace, &r.name);
    if let Err(e) = std::fs::create_dir_all(&cwd).and_then(|()| std::fs::create_dir_all(&bin)) {
        return ApiError::Internal(format!(
            "cannot create the pod directory {}: {e}",
            cwd.display()
        ))
        .into_response();
    }
    let target = ExecTarget {
        command: query.command.clone(),
        cwd,
        env: pod_env(&sh, &r.namespace, &r.name, &container),
        path_prepend: Some(bin),
        stdin: query.stdin,
        stdout: query.stdout,
        stderr: query.stderr,
        tty: query.tty,
        outlives_stream: sh.scenario.exec_outlives_stream,
    };
    let ws = ws.protocols(EXEC_SUBPROTOCOLS);
    let cancel = sh.cancel.clone();
    if let Some(ExecFault::StatusAfterUpgrade(code)) = fault {
        let host = pod_host(&sh, &r.namespace, &r.name);
        let url = kubelet_exec_url(&host, &r.namespace, &r.name, &container, &query);
        let status = no_kubelet_stream_status(
            &Kubelet {
                host: &host,
                url: &url,
            },
            code,
        );
        return ws.on_upgrade(move |socket| async move {
            tokio::select! {
                _ = refuse_after_upgrade(socket, &target, status) => {}
                _ = cancel.cancelled() => {}
            }
        });
    }
    let cut_after = match fault {
        Some(ExecFault::CutAfter(after)) => Some(after),
        _ => None,
    };
    let events_sh = sh.clone();
    let on_event = move |ev: ExecEvent| {
        let mut t = event.clone();
        t.kind = match ev {
            ExecEvent::Started => TimelineKind::ExecStart,
            _ => TimelineKind::ExecEnd,
        };
        match ev {
            ExecEvent::Started => {}
            ExecEvent::Exited {
                exit_code,
                after_stream,
            } => {
                t.exit_code = Some(exit_code);
                t.detail = after_stream
                    .map(|reason| format!("exited after its stream ended ({})", closed_by(reason)));
            }
            ExecEvent::Killed { reason } => {
                t.exit_code = Some(137);
                t.detail = Some(format!("killed: {}", closed_by(reason)));
            }
            ExecEvent::SpawnFailed { message } => {
                t.detail = Some(format!("spawn failed: {message}"))
            }
        }
        events_sh.timeline.record(t);
    };
    ws.on_upgrade(move |socket| async move {
        tokio::select! {
            _ = serve_exec(socket, target, cut_after, on_event) => {}
            // Dropping serve_exec kills the command's process group.
            _ = cancel.cancelled() => {}
        }
    })
}

/// How a stream ended, for the timeline's `detail`.
fn closed_by(reason: KillReason) -> &'static str {
    match reason {
        KillReason::ClientClosed => "client closed the stream",
        KillReason::Cut => "stream cut by fault",
    }
}

/// Holds an exec request unanswered until the client gives up (the connection closes and this
/// future is dropped) or the simulator stops; the timeline records that it arrived.
async fn never_answer(sh: &Shared, mut event: TimelineEvent) -> Response {
    event.kind = TimelineKind::ExecUnanswered;
    sh.timeline.record(event);
    sh.cancel.cancelled().await;
    ApiError::Injected {
        code: 503,
        message: "the server is shutting down".into(),
    }
    .into_response()
}

/// The node address of a pod, as its `status.hostIP` gives it.
fn pod_host(sh: &Shared, ns: &str, pod: &str) -> String {
    sh.store
        .get(id::PODS, ns, pod)
        .map(|obj| util::str_at(&obj.value, "/status/hostIP").to_string())
        .unwrap_or_default()
}

/// The kubelet URL an API server dials for this exec (`streamLocation` in
/// pkg/registry/core/pod: the streams as `input`/`output`/`error`/`tty` flags, keys sorted as
/// Go's `url.Values.Encode` sorts them).
fn kubelet_exec_url(host: &str, ns: &str, pod: &str, container: &str, q: &ExecQuery) -> String {
    let mut params = form_urlencoded::Serializer::new(String::new());
    for part in &q.command {
        params.append_pair("command", part);
    }
    for (key, on) in [
        ("error", q.stderr),
        ("input", q.stdin),
        ("output", q.stdout),
        ("tty", q.tty),
    ] {
        if on {
            params.append_pair(key, "1");
        }
    }
    format!(
        "https://{host}:10250/exec/{ns}/{pod}/{container}?{}",
        params.finish()
    )
}
