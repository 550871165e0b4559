//! The API server's `Warning` response headers: a deprecated API version, a field it dropped, a
//! policy in warn mode. kube-rs never shows them; kubectl prints each as `Warning: <text>` on
//! stderr, once per distinct text (client-go's WarningWriter with `Deduplicate: true`), and so
//! does pxsnap, once per process.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures::TryFutureExt;
use futures::future::InspectOk;
use http::header::WARNING;
use http::{Request, Response};

/// The texts already printed.
static PRINTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The warn-code of a warning meant for the user; client-go shows no other.
const MISCELLANEOUS_PERSISTENT_WARNING: u16 = 299;

/// Prints the `Warning` headers of every response (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct WarningsLayer;

impl<S> tower::Layer<S> for WarningsLayer {
    type Service = Warnings<S>;

    fn layer(&self, inner: S) -> Warnings<S> {
        Warnings(inner)
    }
}

#[derive(Clone, Debug)]
pub struct Warnings<S>(S);

impl<S, Req, Body> tower::Service<Request<Req>> for Warnings<S>
where
    S: tower::Service<Request<Req>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = InspectOk<S::Future, fn(&Response<Body>)>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Req>) -> Self::Future {
        self.0.call(request).inspect_ok(print_warnings)
    }
}

/// Prints each new warning of `response` as kubectl does, above the spinner if one is drawn.
fn print_warnings<Body>(response: &Response<Body>) {
    for text in response
        .headers()
        .get_all(WARNING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(user_warnings)
    {
        if PRINTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(text.clone())
        {
            crate::progress::suspended(|| {
                crate::stderr_line!(
                    "{} {text}",
                    console::style("Warning:").for_stderr().yellow().bold()
                )
            });
        }
    }
}

/// The texts of the code-299 warnings in one header value. As client-go does, a value that
/// cannot be parsed keeps the warnings before the fault; empty texts, and texts with control
/// characters (which could move the cursor or recolour the terminal), are not shown.
fn user_warnings(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let Some((code, text, remainder)) = parse_one(rest) else {
            break;
        };
        if code == MISCELLANEOUS_PERSISTENT_WARNING
            && !text.is_empty()
            && !text.chars().any(char::is_control)
        {
            found.push(text);
        }
        rest = remainder;
    }
    found
}

/// One `warn-code warn-agent "warn-text" ["warn-date"]` (RFC 7234 5.5) off the front of `value`,
/// and what follows its comma; `None` when it is malformed.
fn parse_one(value: &str) -> Option<(u16, String, &str)> {
    let mut parts = value.splitn(3, ' ');
    let code = parts.next().filter(|c| c.len() == 3)?.parse().ok()?;
    parts.next().filter(|agent| !agent.is_empty())?;
    let (text, after) = quoted(parts.next()?)?;
    let after = match after.strip_prefix('"') {
        Some(date) => date.split_once('"')?.1.trim_start(),
        None => after,
    };
    let remainder = match after.strip_prefix(',') {
        Some(next) => next.trim_start(),
        None if after.is_empty() => after,
        None => return None,
    };
    Some((code, text, remainder))
}

/// The text of a quoted string with backslash escapes, and what follows it (trimmed).
fn quoted(value: &str) -> Option<(String, &str)> {
    let body = value.strip_prefix('"')?;
    let mut text = String::new();
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some((text, body[at + 1..].trim_start())),
            _ => {
                text.push(c);
                escaped = false;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_api_servers_format_and_lists() {
        assert_eq!(
            user_warnings(r#"299 - "volumesnapshot.external-storage.k8s.io/v1 is deprecated""#),
            ["volumesnapshot.external-storage.k8s.io/v1 is deprecated"]
        );
        assert_eq!(
            user_warnings(
                r#"299 - "a \"quoted\" \\ word" "Tue, 15 Nov 1994 08:12:31 GMT", 299 kube "b""#
            ),
            [r#"a "quoted" \ word"#, "b"]
        );
    }

    #[test]
    fn other_codes_empty_texts_and_control_characters_are_not_shown() {
        assert!(user_warnings(r#"199 - "miscellaneous""#).is_empty());
        assert!(user_warnings(r#"299 - """#).is_empty());
        assert!(user_warnings("299 - \"\u{1b}[2Jgone\"").is_empty());
    }

    #[test]
    fn a_malformed_value_keeps_what_came_before_the_fault() {
        assert_eq!(user_warnings(r#"299 - "first", 299 - unquoted"#), ["first"]);
        assert_eq!(user_warnings(r#"299 - "first" junk"#), Vec::<String>::new());
        assert!(user_warnings(r#"29 - "short code""#).is_empty());
        assert!(user_warnings(r#"299 - "unterminated"#).is_empty());
    }
}
