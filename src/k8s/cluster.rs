//! The connection to the cluster: a kube `Client` built from the kubectl-style flags, the
//! namespace to work in, the bound on every API call, and the retry rule.
//!
//! kube's own retry layer is switched off: it retries a persistent 503 for minutes, which is
//! the wrong trade while an application is frozen. pxsnap retries its calls itself, briefly
//! (or as long as the server's `Retry-After` asks, within the call's bound), and makes creates
//! safe to retry by giving every object a fixed name.

use std::future::Future;
use std::time::Duration;

use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tokio::time::Instant;
use tower::util::MapRequestLayer;

use crate::error::{Error, Result};

/// Which cluster, user and namespace: what kubectl's `--kubeconfig`, `--context` and `-n` say.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// A connected client plus the namespace the user meant.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub namespace: String,
    /// Where the settings came from, for `doctor` to show.
    pub origin: Origin,
    server: String,
    /// The most one API call may take (a read, a page of a list, a discovery call, a create or
    /// a delete, its retries included). kube sets no read timeout, so without it an API server
    /// that accepts connections but never answers would hang any command for ever.
    call_timeout: Duration,
}

/// The kubeconfig files and context a connection was made from.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// The files read and merged; empty when the pod's service account was used.
    pub files: Vec<std::path::PathBuf>,
    /// The context used; `None` for the pod's service account.
    pub context: Option<String>,
}

/// Checked when compiled: a `HeaderValue` made in a const cannot be invalid at run time.
const USER_AGENT: http::HeaderValue = http::HeaderValue::from_static(crate::version::USER_AGENT);

/// Attempts for a call that fails with a transient error (5xx, 429, connection reset) and
/// no `Retry-After`.
const READ_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The most a TCP connection and its TLS handshake may take; a call with a shorter bound is cut
/// by that bound first.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Cluster {
    /// Reads the kubeconfig the way kubectl does (`--kubeconfig`, else every file in
    /// `$KUBECONFIG` merged, else `~/.kube/config`) and picks the context. Inside a pod with
    /// no kubeconfig at all, the pod's service account is used, as kubectl does: that is how a
    /// CI job running in the cluster (a Tekton step, a GitLab runner pod) needs no setup.
    /// `call_timeout` bounds every API call made through the result (see [`Cluster::call`]).
    pub async fn connect(global: &Target, call_timeout: Duration) -> Result<Cluster> {
        let (mut config, origin) = load_config(global).await?;
        config.default_retry = false;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        config.headers.push((http::header::USER_AGENT, USER_AGENT));
        let server = config.cluster_url.to_string();
        let namespace = global
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let client = build_client(config).await?;
        Ok(Cluster {
            client,
            namespace,
            origin,
            server,
            call_timeout,
        })
    }

    /// One API call, retried while it fails transiently, within the call timeout; `verb` and
    /// `resource` name it in the timeout error. The inner result is the API server's last
    /// answer, for the caller to judge (a 404 may be fine); the outer error is the call timing
    /// out. Every API call but a watch and an exec goes through here, which bound themselves
    /// (`--timeout`, `--hook-timeout`).
    pub async fn call<T, F, Fut>(
        &self,
        verb: &str,
        resource: &str,
        op: F,
    ) -> Result<Result<T, kube::Error>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let deadline = Instant::now() + self.call_timeout;
        tokio::time::timeout_at(deadline, retry_transient(verb, resource, deadline, op))
            .await
            .map_err(|_| Error::Timeout {
                what: format!("the API server to answer {verb} {resource}"),
                after: self.call_timeout,
            })
    }

    /// The API server's URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Like [`Cluster::read`], but a 404 is `None`: the API is not served (a discovery
    /// document, a list of a CRD that is not installed).
    pub async fn read_if_served<T, F, Fut>(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        op: F,
    ) -> Result<Option<T>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        match self.call(verb, resource, op).await? {
            Ok(found) => Ok(Some(found)),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
            Err(err) => Err(self.error(err, verb, resource, namespace)),
        }
    }

    /// Turns a kube error into pxsnap's, naming what was being done and where.
    pub fn error(
        &self,
        err: kube::Error,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Error {
        // The user's credential plugin failed: what it said is the whole story.
        if let kube::Error::Service(source) = &err
            && source.is::<crate::k8s::credential::PluginError>()
        {
            return Error::Kubeconfig(source.to_string());
        }
        if is_connect_timeout(&err) {
            return Error::Timeout {
                what: format!(
                    "a connection to the API server at {} (to {verb} {resource})",
                    self.server
                ),
                after: CONNECT_TIMEOUT,
            };
        }
        // `call` retried it for as long as the call timeout allowed.
        if let kube::Error::Api(status) = &err
            && status.code == 429
        {
            return Error::Throttled {
                call: crate::error::call(verb, resource, namespace),
                after: self.call_timeout,
            };
        }
        match Error::from_kube(err, verb, resource, namespace) {
            Error::Unreachable { reason, .. } => Error::Unreachable {
                server: self.server.clone(),
                reason,
            },
            other => other,
        }
    }

    /// A read: [`Cluster::call`], any error the API server's.
    pub async fn read<T, F, Fut>(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        op: F,
    ) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        self.call(verb, resource, op)
            .await?
            .map_err(|err| self.error(err, verb, resource, namespace))
    }

    /// One namespaced object by name, `None` when there is none. An API server answers 404 both
    /// for a missing object and for a group it does not serve, so a `None` is checked against
    /// discovery first, as a paged list's 404 is: on a cluster without STORK, asking for a
    /// snapshot by name says STORK is missing (exit 1), not that the snapshot is.
    pub async fn get_opt<K>(&self, resource: &str, name: &str) -> Result<Option<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let namespace = self.namespace.as_str();
        let api: kube::Api<K> = kube::Api::namespaced(self.client.clone(), namespace);
        let found = self
            .read("get", resource, Some(namespace), || api.get_opt(name))
            .await?;
        if found.is_none() {
            self.require_api_group(&K::api_version(&())).await?;
        }
        Ok(found)
    }

    /// Fails with a clear message when an API group (a STORK CRD group, say) is not served.
    pub async fn require_api_group(&self, group_version: &str) -> Result<()> {
        let found = self
            .call("discover", group_version, || {
                self.client.list_api_group_resources(group_version)
            })
            .await?;
        match found {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => {
                Err(Error::api_group_missing(group_version))
            }
            Err(other) => Err(self.error(other, "discover", group_version, None)),
        }
    }
}

/// kube's client with pxsnap's layers: error answers read as client-go reads them (see
/// `error_status`), the API server's warnings printed as kubectl prints them, query strings
/// without kube's empty parameters (see `query_string`), and the user's exec credential plugin
/// run by pxsnap rather than by kube (see `credential`).
async fn build_client(mut config: Config) -> Result<Client> {
    let bearer = crate::k8s::credential::take_over(&mut config)
        .await
        .map_err(|e| Error::Kubeconfig(e.to_string()))?;
    let builder = ClientBuilder::try_from(config)
        .map_err(|e| Error::Kubeconfig(crate::error::root_cause(&e)))?
        .with_layer(&tower::util::MapFutureLayer::new(
            crate::k8s::error_status::as_status,
        ))
        .with_layer(&crate::k8s::api_warnings::WarningsLayer)
        .with_layer(&MapRequestLayer::new(
            crate::k8s::query_string::drop_empty_parameters,
        ));
    Ok(match bearer {
        Some(bearer) => builder.with_layer(&bearer).build(),
        None => builder.build(),
    })
}

/// The kube `Config` the flags and the environment ask for (see `Cluster::connect`), and
/// where it came from.
async fn load_config(global: &Target) -> Result<(Config, Origin)> {
    let (kubeconfig, files) = match &global.kubeconfig {
        Some(path) => (read_kubeconfig(path)?, vec![path.clone()]),
        None => match read_default_kubeconfigs()? {
            Ok(found) => found,
            Err(_) if global.context.is_none() && in_a_pod() => {
                let config = Config::incluster().map_err(|e| {
                    Error::Kubeconfig(format!(
                        "no kubeconfig, and the pod's service account cannot be used: {}; pass --kubeconfig",
                        crate::error::root_cause(&e)
                    ))
                })?;
                return Ok((config, Origin::default()));
            }
            Err(missing) => {
                return Err(Error::Kubeconfig(format!(
                    "no kubeconfig found ({missing}); pass --kubeconfig"
                )));
            }
        },
    };
    if let Some(context) = &global.context
        && !kubeconfig.contexts.iter().any(|c| &c.name == context)
    {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(Error::Kubeconfig(format!(
            "context {context:?} not found (known: {})",
            known.join(", ")
        )));
    }
    let origin = Origin {
        files,
        context: global
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone()),
    };
    let options = KubeConfigOptions {
        context: global.context.clone(),
        cluster: None,
        user: None,
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| Error::Kubeconfig(crate::error::root_cause(&e)))?;
    Ok((config, origin))
}

/// The files `$KUBECONFIG` lists, merged in order, else `~/.kube/config`, with the paths read. Entries that do not
/// exist are skipped, as kubectl skips them, so a `KUBECONFIG=a:b` shared across machines works
/// where only some of the files are present. The inner `Err` says what was looked for when no
/// file exists (the caller may then fall back to the pod's service account); a file that exists
/// but cannot be read or parsed is the outer error, naming the file.
type Found = (Kubeconfig, Vec<std::path::PathBuf>);

fn read_default_kubeconfigs() -> Result<std::result::Result<Found, String>> {
    let from_env = std::env::var_os("KUBECONFIG").filter(|list| !list.is_empty());
    let listed: Vec<std::path::PathBuf> = match &from_env {
        Some(list) => std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => match std::env::home_dir() {
            Some(home) => vec![home.join(".kube").join("config")],
            None => Vec::new(),
        },
    };
    let present: Vec<&std::path::PathBuf> = listed.iter().filter(|p| p.exists()).collect();
    if present.is_empty() {
        let looked: Vec<String> = listed.iter().map(|p| p.display().to_string()).collect();
        let looked = looked.join(", ");
        return Ok(Err(match from_env {
            Some(_) => format!("none of the files in $KUBECONFIG exists: {looked}"),
            None => format!("$KUBECONFIG is not set and {looked} does not exist"),
        }));
    }
    let mut merged = Kubeconfig::default();
    for path in &present {
        let mut config = read_kubeconfig(path)?;
        // `kubectl config` writes `current-context: ""`; kubectl treats it as unset, so a
        // later file's context still counts, while kube's merge keeps the first one it sees.
        if config.current_context.as_deref() == Some("") {
            config.current_context = None;
        }
        merged = merged.merge(config).map_err(|e| {
            Error::Kubeconfig(format!(
                "cannot merge {}: {}",
                path.display(),
                crate::error::root_cause(&e)
            ))
        })?;
    }
    Ok(Ok((merged, present.into_iter().cloned().collect())))
}

/// Reads one kubeconfig file. The error is one line naming the file: a YAML syntax error is
/// reported by position, without the source excerpt the parser would draw over several lines.
fn read_kubeconfig(path: &std::path::Path) -> Result<Kubeconfig> {
    Kubeconfig::read_from(path).map_err(|e| {
        let reason = match &e {
            kube::config::KubeconfigError::Parse(yaml) => {
                let message = yaml.without_snippet().to_string();
                let first = message.lines().next().unwrap_or_default();
                let message = first.rsplit_once(" at line ").map_or(first, |(m, _)| m);
                match yaml.location() {
                    Some(at) => format!(
                        "YAML syntax error at line {}, column {}: {message}",
                        at.line(),
                        at.column()
                    ),
                    None => format!("YAML syntax error: {message}"),
                }
            }
            other => crate::error::root_cause(other),
        };
        Error::Kubeconfig(format!("cannot read {}: {reason}", path.display()))
    })
}

/// kubelet sets this variable in every container; its absence means pxsnap runs outside a
/// cluster, where a missing kubeconfig is the error to report.
fn in_a_pod() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some_and(|host| !host.is_empty())
}

/// Retries `op` while it fails with a transient error: after the wait the server asks for
/// (`Retry-After`, as API Priority and Fairness sends with a 429), as often as `deadline`
/// allows, else with a short exponential backoff, up to [`READ_ATTEMPTS`] times. Gives up
/// with the last error as soon as the next wait would end past `deadline`.
async fn retry_transient<T, F, Fut>(
    verb: &str,
    resource: &str,
    deadline: Instant,
    op: F,
) -> Result<T, kube::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let err = match op().await {
            Err(err) if is_transient(&err) => err,
            other => return other,
        };
        let wait = match retry_after(&err) {
            Some(asked) => asked,
            None if attempt < READ_ATTEMPTS => backoff,
            None => return Err(err),
        };
        if Instant::now() + wait > deadline {
            return Err(err);
        }
        tracing::warn!(%verb, %resource, attempt, ?wait, error = %crate::error::root_cause(&err), "retrying");
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        attempt += 1;
    }
}

/// How long the API server asked the client to wait before trying again, if it did.
fn retry_after(err: &kube::Error) -> Option<Duration> {
    match err {
        kube::Error::Api(status) => status
            .details
            .as_ref()
            .map(|details| details.retry_after_seconds)
            .filter(|&seconds| seconds > 0)
            .map(|seconds| Duration::from_secs(seconds.into())),
        _ => None,
    }
}

/// 5xx, 429 and broken connections are worth another try; everything else is an answer. A
/// connection or TLS handshake that took [`CONNECT_TIMEOUT`] is not retried: a server that
/// silent would only use up the call's bound again. Nor is a credential plugin's failure:
/// running it again would only ask again.
pub fn is_transient(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(status) => status.code >= 500 || status.code == 429,
        kube::Error::Service(source) if source.is::<crate::k8s::credential::PluginError>() => false,
        kube::Error::HyperError(_) | kube::Error::Service(_) => !is_connect_timeout(err),
        _ => false,
    }
}

/// The connector's timeout: no TCP connection, or no TLS handshake, within [`CONNECT_TIMEOUT`].
fn is_connect_timeout(err: &kube::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        cause = current.source();
    }
    false
}
