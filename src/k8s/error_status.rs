//! Error answers in the one shape kube-rs reads: a `metav1.Status`, with `Retry-After` in it.
//!
//! Not every error an API server sends is a Status. Its mux answers a path nothing serves (the
//! group of CRDs that are not installed) with Go's plain-text `404 page not found`, and API
//! Priority and Fairness turns a request away with a plain-text 429 whose only word on when to
//! come back is the `Retry-After` header. kube-rs keeps no header and reads such a body as a
//! Status with reason "Failed to parse error data": `get_opt` then takes the 404 for an error
//! rather than "not there", and no retry can honour the wait. This layer does what client-go
//! does with such answers (`transformUnstructuredResponseError`): it makes a Status from the
//! code and the text, and puts `Retry-After` into `details.retryAfterSeconds` where the Status
//! does not carry it already.

use std::future::Future;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Either, Full};
use kube::client::DynBody;
use serde_json::{Value, json};
use tower::BoxError;

/// The most of a plain-text error body kept, as client-go keeps
/// (`maxUnstructuredResponseTextBytes`).
const MAX_TEXT: usize = 2048;

/// A response body: the server's, or the Status made in its place.
pub type Body = Either<Box<DynBody>, Full<Bytes>>;

/// The response `response` resolves to, with an error answer made a Status that carries
/// `Retry-After`. Any other answer, and a Status with no `Retry-After`, passes untouched.
pub async fn as_status(
    response: impl Future<Output = Result<Response<Box<DynBody>>, BoxError>>,
) -> Result<Response<Body>, BoxError> {
    let response = response.await?;
    let code = response.status();
    let retry_after = retry_after(response.headers());
    let failed = code.is_client_error() || code.is_server_error();
    if !failed || (is_json(response.headers()) && retry_after.is_none()) {
        return Ok(response.map(Either::Left));
    }
    let (mut parts, body) = response.into_parts();
    let text = body.collect().await?.to_bytes();
    let mut status = match serde_json::from_slice::<Value>(&text) {
        Ok(status) if status["kind"] == "Status" => status,
        _ => unstructured(code, &text),
    };
    if let Some(seconds) = retry_after
        && status.pointer("/details/retryAfterSeconds").is_none()
    {
        status["details"]["retryAfterSeconds"] = json!(seconds);
    }
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = Full::new(Bytes::from(status.to_string()));
    Ok(Response::from_parts(parts, Either::Right(body)))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

/// `Retry-After` in seconds; the HTTP-date form is ignored, as client-go ignores it.
fn retry_after(headers: &HeaderMap) -> Option<u32> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// The Status client-go makes of an error answer that is not one (`NewGenericServerResponse`):
/// the reason and message the code implies, the server's text as the cause.
fn unstructured(code: StatusCode, body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_TEXT)])
        .trim()
        .to_string();
    let (reason, message) = match code.as_u16() {
        401 => (
            "Unauthorized",
            "the server has asked for the client to provide credentials".to_string(),
        ),
        403 => ("Forbidden", text.clone()),
        404 => (
            "NotFound",
            "the server could not find the requested resource".to_string(),
        ),
        429 => (
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later"
                .to_string(),
        ),
        500.. => (
            "InternalError",
            format!("an error on the server ({text:?}) has prevented the request from succeeding"),
        ),
        other => (
            "Unknown",
            format!(
                "the server responded with the status code {other} but did not return more information"
            ),
        ),
    };
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
        "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": text}]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_status` applied to an answer with `code`, `headers` and `body`: the status, the
    /// headers and the body it returns.
    fn answer(code: u16, headers: &[(&str, &str)], body: &str) -> (u16, HeaderMap, String) {
        let mut response = Response::builder().status(code);
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        let body: Box<DynBody> =
            Box::new(Full::new(Bytes::from(body.to_string())).map_err(|never| match never {}));
        let response = response.body(body).expect("response");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let converted = as_status(async { Ok(response) }).await.expect("converted");
            let (parts, body) = converted.into_parts();
            let bytes = body.collect().await.expect("body").to_bytes();
            let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
            (parts.status.as_u16(), parts.headers, text)
        })
    }

    fn status_of(text: &str) -> kube::core::Status {
        serde_json::from_str(text).expect("a Status")
    }

    #[test]
    fn the_muxs_plain_404_becomes_not_found() {
        let plain = [("content-type", "text/plain; charset=utf-8")];
        let (code, headers, text) = answer(404, &plain, "404 page not found\n");
        assert_eq!(code, 404);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        let status = status_of(&text);
        assert!(status.is_not_found(), "{status:?}");
        assert_eq!(
            status.message,
            "the server could not find the requested resource"
        );
        let cause = &status.details.expect("details").causes[0];
        assert_eq!(cause.message, "404 page not found");
    }

    #[test]
    fn a_plain_429_keeps_its_retry_after() {
        let apf = [("content-type", "text/plain"), ("retry-after", "3")];
        let (_, _, text) = answer(429, &apf, "Too many requests, please try again later.\n");
        let status = status_of(&text);
        assert_eq!(
            (status.code, status.reason.as_str()),
            (429, "TooManyRequests")
        );
        assert_eq!(status.details.expect("details").retry_after_seconds, 3);
    }

    #[test]
    fn a_status_gains_only_a_missing_retry_after() {
        let json = [("content-type", "application/json"), ("retry-after", "2")];
        let bare = r#"{"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"m"}"#;
        let status = status_of(&answer(503, &json, bare).2);
        assert_eq!(status.message, "m");
        assert_eq!(status.details.expect("details").retry_after_seconds, 2);
        let own = r#"{"kind":"Status","code":503,"details":{"retryAfterSeconds":5}}"#;
        let status = status_of(&answer(503, &json, own).2);
        assert_eq!(status.details.expect("details").retry_after_seconds, 5);
    }

    #[test]
    fn other_answers_pass_untouched() {
        let json = [("content-type", "application/json")];
        let not_found = r#"{"kind":"Status","code":404,"reason":"NotFound","message":"x"}"#;
        assert_eq!(answer(404, &json, not_found).2, not_found);
        assert_eq!(
            answer(200, &[], "404 page not found").2,
            "404 page not found"
        );
    }
}
