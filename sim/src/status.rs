//! API errors and the `metav1.Status` objects they become.
//!
//! Real clients branch on `code` and `reason` (kube-rs `ErrorResponse`, kubectl's
//! "Error from server (NotFound): ..."), so every failure path in the simulator ends
//! here and carries the same wording a real API server would use.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::ResourceDef;

/// A failed API request, rendered as a `Status` body.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{qualified} \"{name}\" not found")]
    NotFound {
        qualified: String,
        group: String,
        plural: String,
        name: String,
    },
    #[error("the server could not find the requested resource")]
    NoSuchResource,
    /// A path no handler serves (an API group that is not installed, say): the API server's
    /// mux answers with Go's plain-text `http.NotFound`, not a `Status` (up to at least
    /// Kubernetes 1.33, the version this simulator reports).
    #[error("404 page not found")]
    NotServed,
    #[error("{qualified} \"{name}\" already exists")]
    AlreadyExists {
        qualified: String,
        group: String,
        plural: String,
        name: String,
    },
    #[error(
        "Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict {
        qualified: String,
        group: String,
        plural: String,
        name: String,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Invalid {
        message: String,
        group: String,
        kind: String,
        name: String,
        causes: Vec<(String, String, String)>,
    },
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{message}")]
    Forbidden {
        message: String,
        group: String,
        plural: String,
        name: String,
    },
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    #[error("the body of the request was in an unknown format - accepted media types include: {0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Expired(String),
    /// A paged list's continue token outlived etcd's compaction. `token` continues the list at
    /// the latest resourceVersion, as the real server offers.
    #[error(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    )]
    ContinueExpired { token: String },
    /// API Priority and Fairness turned the request away: plain text and `Retry-After`.
    #[error("Too many requests, please try again later.")]
    Throttled { retry_after: u32 },
    /// A status chosen by a fault (or any other code without a dedicated variant).
    #[error("{message}")]
    Injected { code: u16, message: String },
    #[error("Internal error occurred: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn not_found(def: &ResourceDef, name: &str) -> Self {
        ApiError::NotFound {
            qualified: def.qualified(),
            group: def.group.to_string(),
            plural: def.plural.to_string(),
            name: name.to_string(),
        }
    }

    pub fn namespace_not_found(ns: &str) -> Self {
        ApiError::NotFound {
            qualified: "namespaces".into(),
            group: String::new(),
            plural: "namespaces".into(),
            name: ns.to_string(),
        }
    }

    pub fn already_exists(def: &ResourceDef, name: &str) -> Self {
        ApiError::AlreadyExists {
            qualified: def.qualified(),
            group: def.group.to_string(),
            plural: def.plural.to_string(),
            name: name.to_string(),
        }
    }

    pub fn conflict(def: &ResourceDef, name: &str) -> Self {
        ApiError::Conflict {
            qualified: def.qualified(),
            group: def.group.to_string(),
            plural: def.plural.to_string(),
            name: name.to_string(),
        }
    }

    /// `Kind "name" is invalid: field: Required value: detail` with one cause.
    pub fn invalid(def: &ResourceDef, name: &str, field: &str, detail: &str) -> Self {
        ApiError::Invalid {
            message: format!(
                "{} \"{}\" is invalid: {}: {}",
                def.kind, name, field, detail
            ),
            group: def.group.to_string(),
            kind: def.kind.to_string(),
            name: name.to_string(),
            causes: vec![(
                "FieldValueInvalid".into(),
                detail.to_string(),
                field.to_string(),
            )],
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchResource | ApiError::NotServed => 404,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => 409,
            ApiError::BadRequest(_) => 400,
            ApiError::Invalid { .. } => 422,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::MethodNotAllowed => 405,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Expired(_) | ApiError::ContinueExpired { .. } => 410,
            ApiError::Throttled { .. } => 429,
            ApiError::Injected { code, .. } => *code,
            ApiError::Internal(_) => 500,
        }
    }

    /// The `reason` field, as `metav1.StatusReason` names it.
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } | ApiError::NoSuchResource | ApiError::NotServed => {
                "NotFound"
            }
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::Expired(_) | ApiError::ContinueExpired { .. } => "Expired",
            ApiError::Throttled { .. } => "TooManyRequests",
            ApiError::Internal(_) => "InternalError",
            ApiError::Injected { code, .. } => reason_for_code(*code),
        }
    }

    /// The full `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        });
        let details = match self {
            ApiError::NotFound {
                group,
                plural,
                name,
                ..
            }
            | ApiError::AlreadyExists {
                group,
                plural,
                name,
                ..
            }
            | ApiError::Conflict {
                group,
                plural,
                name,
                ..
            }
            | ApiError::Forbidden {
                group,
                plural,
                name,
                ..
            } => Some(details(name, group, plural)),
            ApiError::NoSuchResource => Some(json!({})),
            ApiError::Invalid {
                group,
                kind,
                name,
                causes,
                ..
            } => {
                let mut d = details(name, group, kind);
                d["causes"] = causes
                    .iter()
                    .map(|(reason, message, field)| {
                        json!({"reason": reason, "message": message, "field": field})
                    })
                    .collect();
                Some(d)
            }
            ApiError::Injected { code: 429, .. } => Some(json!({"retryAfterSeconds": 1})),
            _ => None,
        };
        if let (Some(d), Some(map)) = (details, status.as_object_mut()) {
            map.insert("details".into(), d);
        }
        if let ApiError::ContinueExpired { token } = self {
            status["metadata"] = json!({"continue": token});
        }
        status
    }
}

fn details(name: &str, group: &str, kind: &str) -> Value {
    let mut d = serde_json::Map::new();
    if !name.is_empty() {
        d.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        d.insert("group".into(), json!(group));
    }
    d.insert("kind".into(), json!(kind));
    Value::Object(d)
}

/// The reason a real server pairs with a bare status code.
pub fn reason_for_code(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// The message a real server gives with a bare status code (used by injected faults).
pub fn message_for_code(code: u16) -> String {
    match code {
        429 => "Too many requests, please try again later.".into(),
        500 => "Internal error occurred: injected by pxsnap-sim".into(),
        503 => "the server is currently unable to handle the request".into(),
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request".into(),
        403 => "forbidden: injected by pxsnap-sim".into(),
        c => format!("injected failure (HTTP {c})"),
    }
}

/// What Go's `http.Error` writes: the text and a newline, as `text/plain`, not to be sniffed.
fn plain_text(code: StatusCode, text: &str) -> Response {
    let mut resp = (code, format!("{text}\n")).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// The UIDs API Priority and Fairness reports on a request it classified; fixed here, the
/// simulator has one flow schema and one priority level.
const FLOW_SCHEMA_UID: &str = "a0c7bd9c-5bb4-4c47-a4d9-3f8d7e9c1d01";
const PRIORITY_LEVEL_UID: &str = "b1d8ce0d-6cc5-4d58-b5ea-4a9e8fad2e02";

/// APF's rejection (`tooManyRequests` in k8s.io/apiserver/pkg/server/filters): plain text,
/// `Retry-After`, and the classification headers.
fn throttled(retry_after: u32) -> Response {
    let mut resp = plain_text(
        StatusCode::TOO_MANY_REQUESTS,
        &ApiError::Throttled { retry_after }.to_string(),
    );
    let headers = resp.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    headers.insert(
        "X-Kubernetes-PF-FlowSchema-UID",
        HeaderValue::from_static(FLOW_SCHEMA_UID),
    );
    headers.insert(
        "X-Kubernetes-PF-PriorityLevel-UID",
        HeaderValue::from_static(PRIORITY_LEVEL_UID),
    );
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotServed => return plain_text(StatusCode::NOT_FOUND, &self.to_string()),
            ApiError::Throttled { retry_after } => return throttled(retry_after),
            _ => {}
        }
        let code = StatusCode::from_u16(self.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_status().to_string();
        let mut resp = (code, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if code == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{def, id};

    #[test]
    fn not_found_wording() {
        let e = ApiError::not_found(def(id::EXT_SNAPSHOTS), "x");
        let s = e.to_status();
        assert_eq!(
            s["message"],
            "volumesnapshots.volumesnapshot.external-storage.k8s.io \"x\" not found"
        );
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(
            s["details"]["group"],
            "volumesnapshot.external-storage.k8s.io"
        );
        let e = ApiError::not_found(def(id::PODS), "p");
        assert_eq!(e.to_status()["message"], "pods \"p\" not found");
    }

    #[test]
    fn conflict_wording() {
        let e = ApiError::conflict(def(id::PODS), "p");
        assert!(
            e.to_string()
                .starts_with("Operation cannot be fulfilled on pods \"p\"")
        );
        assert_eq!(e.code(), 409);
    }
}
