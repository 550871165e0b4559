//! Credentials from a kubeconfig `exec` plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`,
//! `kubelogin`, `tsh`), obtained the way kubectl obtains them.
//!
//! kube-rs runs the plugin whenever it looks at the user: for its auth layer, and twice more
//! while building the TLS connector (looking for a client certificate), so three runs per
//! command, each perhaps a cloud API call or a login prompt; a failure comes out as the Debug dump
//! of the plugin's `Output`. pxsnap runs the plugin itself, as client-go does: once at connect,
//! and again only when the token's `expirationTimestamp` has passed or the API server answered
//! 401 (a cloud upload of an hour outlives a 15-minute token, so once per process is not enough).
//! A request refused with 401 is sent once more with the new token: the API server
//! authenticates before it does anything else, so the refused request did nothing.

use std::io::IsTerminal;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use futures::future::BoxFuture;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use jiff::Timestamp;
use kube::client::Body;
use kube::config::{AuthInfo, ExecAuthCluster, ExecConfig, ExecInteractiveMode};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tower::BoxError;

/// Most of a plugin's stderr that an error line quotes.
const MAX_QUOTED: usize = 500;

/// Why no credential could be had from the plugin; one line each.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PluginError {
    #[error("the user's exec section names no command")]
    NoCommand,

    #[error("credential plugin {command:?} cannot be run: {reason} ({hint})")]
    Start {
        command: String,
        reason: String,
        hint: String,
    },

    #[error("credential plugin {command:?} {ended}: {said}")]
    Failed {
        command: String,
        /// `failed with exit code 1`, or the signal that killed it.
        ended: String,
        /// Its stderr, on one line, or where to find it.
        said: String,
    },

    #[error("credential plugin {command:?} printed no usable ExecCredential: {reason}")]
    Output { command: String, reason: String },
}

/// Takes the user's exec plugin out of `config`, so that kube never runs it, and runs it once.
/// A token comes back as the layer that sends it (and renews it); a client certificate goes
/// into `config`, for kube's TLS connector. `None` too when the user has no plugin, or one that
/// kube-rs would not use either (a token, a token file, a password or an auth provider first).
pub async fn take_over(config: &mut kube::Config) -> Result<Option<BearerLayer>, PluginError> {
    let exec = match uses_exec(&config.auth_info) {
        true => config.auth_info.exec.take(),
        false => None,
    };
    let Some(exec) = exec.map(Arc::new) else {
        return Ok(None);
    };
    match run(exec.clone()).await? {
        Issued::Token(token) => Ok(Some(BearerLayer {
            tokens: Arc::new(Tokens {
                exec,
                current: Mutex::new(token),
            }),
        })),
        Issued::Certificate { certificate, key } => {
            let encode = |pem: String| base64::engine::general_purpose::STANDARD.encode(pem);
            config.auth_info.client_certificate_data = Some(encode(certificate));
            config.auth_info.client_key_data = Some(encode(key).into());
            Ok(None)
        }
    }
}

/// kube-rs's order: an auth provider, then a user name and password, a token, a token file, and
/// only then the exec plugin.
fn uses_exec(user: &AuthInfo) -> bool {
    user.exec.is_some()
        && user.auth_provider.is_none()
        && !(user.username.is_some() && user.password.is_some())
        && user.token.is_none()
        && user.token_file.is_none()
}

/// What one run of the plugin gave.
enum Issued {
    Token(Token),
    /// PEM, used for the whole process: kube-rs builds its TLS connector once.
    Certificate {
        certificate: String,
        key: String,
    },
}

/// A bearer token and when it stops being valid.
#[derive(Clone)]
struct Token {
    header: HeaderValue,
    expires: Option<Timestamp>,
    /// Which run of the plugin gave it: tells a token refused with 401 from one that replaced it.
    run: u64,
}

impl Token {
    /// client-go's rule: a token is used until its expiry, not before; a clock that runs
    /// ahead of the server's is what the 401 path is for.
    fn expired(&self) -> bool {
        self.expires.is_some_and(|at| Timestamp::now() >= at)
    }
}

/// The plugin and the token it gave last.
struct Tokens {
    exec: Arc<ExecConfig>,
    current: Mutex<Token>,
}

impl Tokens {
    /// The token to send, after running the plugin again if it expired. Requests wait for
    /// one run rather than each starting its own.
    async fn valid(&self) -> Result<Token, PluginError> {
        let mut current = self.current.lock().await;
        if current.expired() {
            *current = self.renewed(current.run).await?;
        }
        Ok(current.clone())
    }

    /// A token to replace `refused`, unless another request has replaced it already.
    async fn replacing(&self, refused: &Token) -> Result<Token, PluginError> {
        let mut current = self.current.lock().await;
        if current.run == refused.run {
            *current = self.renewed(current.run).await?;
        }
        Ok(current.clone())
    }

    async fn renewed(&self, last_run: u64) -> Result<Token, PluginError> {
        match run(self.exec.clone()).await? {
            Issued::Token(token) => Ok(Token {
                run: last_run + 1,
                ..token
            }),
            Issued::Certificate { .. } => Err(PluginError::Output {
                command: command_name(&self.exec),
                reason: "a client certificate where it gave a token before".to_string(),
            }),
        }
    }
}

/// Runs the plugin off the async threads (it may take seconds, or wait for a login).
async fn run(exec: Arc<ExecConfig>) -> Result<Issued, PluginError> {
    let command = command_name(&exec);
    tokio::task::spawn_blocking(move || run_blocking(&exec))
        .await
        .unwrap_or_else(|e| {
            Err(PluginError::Start {
                command,
                reason: e.to_string(),
                hint: "it did not finish".to_string(),
            })
        })
}

fn command_name(exec: &ExecConfig) -> String {
    exec.command.clone().unwrap_or_default()
}

/// Runs the plugin as client-go does: its arguments and environment from the kubeconfig,
/// `KUBERNETES_EXEC_INFO` describing the call, and the terminal handed over only when it may
/// ask the user something. Otherwise its stderr is kept, to quote when it fails.
fn run_blocking(exec: &ExecConfig) -> Result<Issued, PluginError> {
    let command = exec.command.as_deref().ok_or(PluginError::NoCommand)?;
    let interactive =
        exec.interactive_mode != Some(ExecInteractiveMode::Never) && std::io::stdin().is_terminal();
    let mut plugin = Command::new(command);
    plugin
        .args(exec.args.iter().flatten())
        .envs(
            exec.env
                .iter()
                .flatten()
                .filter_map(|pair| Some((pair.get("name")?, pair.get("value")?))),
        )
        .env("KUBERNETES_EXEC_INFO", exec_info(exec, interactive))
        .stdout(Stdio::piped());
    let output = match interactive {
        true => {
            plugin.stdin(Stdio::inherit()).stderr(Stdio::inherit());
            crate::progress::suspended(|| plugin.output())
        }
        false => plugin.stdin(Stdio::null()).stderr(Stdio::piped()).output(),
    };
    let output = output.map_err(|e| PluginError::Start {
        command: command.to_string(),
        reason: crate::error::root_cause(&e),
        hint: exec
            .install_hint
            .as_deref()
            .map(|hint| hint.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "is it installed and on PATH?".to_string()),
    })?;
    if !output.status.success() {
        return Err(PluginError::Failed {
            command: command.to_string(),
            ended: match output.status.code() {
                Some(code) => format!("failed with exit code {code}"),
                None => format!("was stopped by {}", output.status),
            },
            said: match interactive {
                true => "its messages are above".to_string(),
                false => one_line(&output.stderr),
            },
        });
    }
    issued(&output.stdout).map_err(|reason| PluginError::Output {
        command: command.to_string(),
        reason,
    })
}

/// The plugin's stderr on one line, cut to [`MAX_QUOTED`] characters.
fn one_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return "it printed nothing on stderr".to_string();
    }
    let joined = lines.join("; ");
    match joined.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// The `KUBERNETES_EXEC_INFO` a plugin reads (client.authentication.k8s.io).
#[derive(Serialize)]
struct ExecInfo<'a> {
    #[serde(rename = "apiVersion", skip_serializing_if = "Option::is_none")]
    api_version: Option<&'a str>,
    kind: &'static str,
    spec: ExecInfoSpec<'a>,
}

#[derive(Serialize)]
struct ExecInfoSpec<'a> {
    interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a ExecAuthCluster>,
}

fn exec_info(exec: &ExecConfig, interactive: bool) -> String {
    let info = ExecInfo {
        api_version: exec.api_version.as_deref(),
        kind: "ExecCredential",
        spec: ExecInfoSpec {
            interactive,
            cluster: exec.cluster.as_ref().filter(|_| exec.provide_cluster_info),
        },
    };
    serde_json::to_string(&info).unwrap_or_default()
}

/// What a plugin prints: an ExecCredential whose status holds a token or a client certificate.
#[derive(Deserialize)]
struct ExecCredential {
    status: Option<ExecCredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialStatus {
    token: Option<String>,
    expiration_timestamp: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// Reads the plugin's stdout. client-go decodes it with a YAML-tolerant decoder, so YAML is
/// accepted too.
fn issued(stdout: &[u8]) -> Result<Issued, String> {
    let credential: ExecCredential = serde_norway::from_slice(stdout)
        .map_err(|e| format!("its output is not an ExecCredential ({e})"))?;
    let status = credential
        .status
        .ok_or_else(|| "it has no status".to_string())?;
    if let (Some(certificate), Some(key)) = (status.client_certificate_data, status.client_key_data)
    {
        return Ok(Issued::Certificate { certificate, key });
    }
    let token = status
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "its status has neither a token nor a client certificate".to_string())?;
    let expires = status
        .expiration_timestamp
        .map(|at| {
            at.parse::<Timestamp>()
                .map_err(|e| format!("expirationTimestamp {at:?} is not a time ({e})"))
        })
        .transpose()?;
    let mut header = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| "its token cannot be sent in an HTTP header".to_string())?;
    header.set_sensitive(true);
    Ok(Issued::Token(Token {
        header,
        expires,
        run: 1,
    }))
}

/// Sends the plugin's token with every request (see the module docs).
#[derive(Clone)]
pub struct BearerLayer {
    tokens: Arc<Tokens>,
}

impl<S> tower::Layer<S> for BearerLayer {
    type Service = Bearer<S>;

    fn layer(&self, inner: S) -> Bearer<S> {
        Bearer {
            inner: Arc::new(Mutex::new(inner)),
            tokens: self.tokens.clone(),
        }
    }
}

/// The inner service is shared because a request refused with 401 is sent through it a second
/// time; it is locked only while it takes a request, not while the answer comes.
pub struct Bearer<S> {
    inner: Arc<Mutex<S>>,
    tokens: Arc<Tokens>,
}

impl<S, B> tower::Service<Request<Body>> for Bearer<S>
where
    S: tower::Service<Request<Body>, Response = Response<B>> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<B>, BoxError>>;

    /// Readiness is awaited per request, under the lock, in [`call_once`].
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        Box::pin(send(self.inner.clone(), self.tokens.clone(), request))
    }
}

/// Sends `request` with a valid token; after a 401, once more with a new one when the body can
/// be sent again (every request but a streamed upload, which pxsnap does not make).
async fn send<S, B>(
    inner: Arc<Mutex<S>>,
    tokens: Arc<Tokens>,
    request: Request<Body>,
) -> Result<Response<B>, BoxError>
where
    S: tower::Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let again = replayable(&request);
    let used = tokens.valid().await?;
    let response = call_once(&inner, authorized(request, &used)).await?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(response);
    }
    let fresh = tokens.replacing(&used).await?;
    match again {
        Some(request) if fresh.run != used.run => {
            call_once(&inner, authorized(request, &fresh)).await
        }
        _ => Ok(response),
    }
}

fn authorized(mut request: Request<Body>, token: &Token) -> Request<Body> {
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header.clone());
    request
}

/// A copy of `request` to send again, when its body is in memory.
fn replayable(request: &Request<Body>) -> Option<Request<Body>> {
    let mut copy = Request::new(request.body().try_clone()?);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

async fn call_once<S, B>(inner: &Mutex<S>, request: Request<Body>) -> Result<Response<B>, BoxError>
where
    S: tower::Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let answer = {
        let mut service = inner.lock().await;
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        service.call(request)
    };
    answer.await.map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_with_an_expiry_and_yaml_output_are_read() {
        let json = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"abc","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#;
        let Ok(Issued::Token(token)) = issued(json) else {
            panic!("a token");
        };
        assert_eq!(token.header, "Bearer abc");
        assert!(token.header.is_sensitive());
        assert_eq!(
            token.expires,
            Some("2030-01-01T00:00:00Z".parse().expect("time"))
        );
        assert!(!token.expired());
        let yaml = b"kind: ExecCredential\nstatus:\n  token: xyz\n";
        assert!(matches!(issued(yaml), Ok(Issued::Token(t)) if t.expires.is_none()));
    }

    #[test]
    fn unusable_output_says_why() {
        let reason = |out: &[u8]| match issued(out) {
            Err(reason) => reason,
            Ok(_) => panic!("refused"),
        };
        assert!(reason(b"{}").contains("no status"));
        assert!(reason(br#"{"status":{}}"#).contains("neither a token"));
        assert!(
            reason(br#"{"status":{"token":"t","expirationTimestamp":"soon"}}"#)
                .contains("\"soon\" is not a time")
        );
        assert!(reason(b"[not, a, credential]").contains("not an ExecCredential"));
    }

    #[test]
    fn stderr_is_quoted_on_one_line() {
        assert_eq!(
            one_line(b"error: you must be logged in\n\n  run: gcloud auth login\n"),
            "error: you must be logged in; run: gcloud auth login"
        );
        assert_eq!(one_line(b""), "it printed nothing on stderr");
        assert_eq!(one_line(&[b'x'; 600]).chars().count(), MAX_QUOTED + 1);
    }

    #[test]
    fn kube_rs_precedence_decides_whether_the_plugin_is_used() {
        let with_exec = AuthInfo {
            exec: Some(ExecConfig::default()),
            ..AuthInfo::default()
        };
        assert!(uses_exec(&with_exec));
        let with_token = AuthInfo {
            token: Some("t".to_string().into()),
            ..with_exec.clone()
        };
        assert!(!uses_exec(&with_token));
        assert!(!uses_exec(&AuthInfo::default()));
    }
}
