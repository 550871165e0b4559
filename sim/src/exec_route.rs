//! `pods/{name}/exec`: resolve the pod and container the way the API server does,
//! then hand the WebSocket to the exec module.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};

use serde_json::Value;

use super::Shared;
use super::api::ResourceRequest;
use super::exec::{EXEC_SUBPROTOCOLS, ExecEvent, ExecQuery, ExecTarget, KillReason, serve_exec};
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

/// Handle an exec request: resolve pod and container, parse the query, upgrade, run.
/// The timeline gets `execStart` and `execEnd`; a killed command ends with exit code
/// 137 and a `detail` saying why, one that could not start has no exit code.
pub fn handle(
    sh: Arc<Shared>,
    r: &ResourceRequest,
    ws: Option<WebSocketUpgrade>,
    raw_query: &str,
    cut_after: Option<Duration>,
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
    let Some(ws) = ws else {
        return ApiError::BadRequest("Upgrade request required".into()).into_response();
    };
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
    };
    let ns = r.namespace.clone();
    let pod = r.name.clone();
    let command = query.command;
    let events_sh = sh.clone();
    let on_event = move |ev: ExecEvent| {
        let kind = match ev {
            ExecEvent::Started => TimelineKind::ExecStart,
            _ => TimelineKind::ExecEnd,
        };
        let mut t = TimelineEvent::new(kind, &ns);
        t.pod = Some(pod.clone());
        t.container = Some(container.clone());
        t.command = Some(command.clone());
        match ev {
            ExecEvent::Started => {}
            ExecEvent::Exited { exit_code } => t.exit_code = Some(exit_code),
            ExecEvent::Killed { reason } => {
                t.exit_code = Some(137);
                t.detail = Some(match reason {
                    KillReason::ClientClosed => "killed: client closed the stream".into(),
                    KillReason::Cut => "killed: stream cut by fault".into(),
                });
            }
            ExecEvent::SpawnFailed { message } => {
                t.detail = Some(format!("spawn failed: {message}"))
            }
        }
        events_sh.timeline.record(t);
    };
    let cancel = sh.cancel.clone();
    ws.protocols(EXEC_SUBPROTOCOLS)
        .on_upgrade(move |socket| async move {
            tokio::select! {
                _ = serve_exec(socket, target, cut_after, on_event) => {}
                // Dropping serve_exec kills the command's process group.
                _ = cancel.cancelled() => {}
            }
        })
}
