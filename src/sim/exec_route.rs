//! `pods/{name}/exec`: resolve the pod and container the way the API server does,
//! then hand the WebSocket to the exec module.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::api::ResourceRequest;
use super::resources::{def, id};
use super::status::ApiError;
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

/// Handle an exec request.
pub fn handle(
    sh: Arc<Shared>,
    r: &ResourceRequest,
    ws: Option<WebSocketUpgrade>,
    raw_query: &str,
    cut_after: Option<Duration>,
) -> Response {
    let _ = (&ws, raw_query, cut_after);
    let container = raw_query
        .split('&')
        .find_map(|kv| kv.strip_prefix("container="));
    match resolve_container(&sh, &r.namespace, &r.name, container) {
        Err(e) => e.into_response(),
        Ok(_) => {
            ApiError::BadRequest("exec is not available in this build of pxsnap-sim yet".into())
                .into_response()
        }
    }
}
