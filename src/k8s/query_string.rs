//! Request URLs without the empty query parameter kube writes.
//!
//! kube-core builds every query it writes (list, watch, create, …) with
//! `form_urlencoded::Serializer::new(format!("{path}?"))`: that serializer counts the `?` as a
//! parameter already written, so it puts `&` before the first real one (`?&limit=500`,
//! `?&watch=true`), and a request without parameters ends in a bare `?`. The API server ignores
//! the empty parameter, but the URL is malformed, and kube-runtime's watchers, which pxsnap
//! uses to wait for snapshots, build theirs the same way, so the fix sits in the client's
//! stack rather than at each call.

use http::Request;
use http::uri::{PathAndQuery, Uri};

/// `request` with the empty parameters (and a `?` left with none) taken out of its URL.
pub fn drop_empty_parameters<B>(mut request: Request<B>) -> Request<B> {
    if let Some(uri) = tidied(request.uri()) {
        *request.uri_mut() = uri;
    }
    request
}

/// The tidied URI, when it needs tidying.
fn tidied(uri: &Uri) -> Option<Uri> {
    let query = uri.query()?;
    if !query.split('&').any(str::is_empty) {
        return None;
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let path_and_query = match kept.is_empty() {
        true => uri.path().to_string(),
        false => format!("{}?{}", uri.path(), kept.join("&")),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidy(uri: &str) -> String {
        let request = Request::get(uri).body(()).expect("request");
        drop_empty_parameters(request).uri().to_string()
    }

    #[test]
    fn empty_parameters_and_bare_question_marks_go() {
        assert_eq!(tidy("/api/v1/pods?&limit=500"), "/api/v1/pods?limit=500");
        assert_eq!(tidy("/api/v1/pods?"), "/api/v1/pods");
        assert_eq!(
            tidy("/api/v1/pods?&watch=true&&timeoutSeconds=290"),
            "/api/v1/pods?watch=true&timeoutSeconds=290"
        );
        assert_eq!(
            tidy("https://h:6443/api/v1/pods?&limit=1"),
            "https://h:6443/api/v1/pods?limit=1"
        );
    }

    #[test]
    fn well_formed_urls_are_left_alone() {
        for uri in ["/api/v1/pods", "/api/v1/pods?limit=500&continue=abc%3D"] {
            assert_eq!(tidy(uri), uri);
        }
    }
}
