//! Which cluster, as whom: the kubeconfig, the server's version, and who the API server says
//! the user is.

use k8s_openapi::api::authentication::v1::{SelfSubjectReview, UserInfo};
use kube::Api;
use kube::api::PostParams;

use super::Check;
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;

/// The API server's version, as far as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub git_version: String,
    /// `minor`, without a provider's `+` suffix (GKE says `33+`); 0 when unreadable.
    pub minor: u32,
}

/// Where the connection's settings came from.
pub fn kubeconfig(cluster: &Cluster) -> Check {
    let origin = &cluster.origin;
    let source = match origin.files.as_slice() {
        [] => "the pod's service account".to_string(),
        files => files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let context = origin
        .context
        .as_deref()
        .map(|c| format!(", context {c:?}"))
        .unwrap_or_default();
    Check::ok(
        "connection.kubeconfig",
        format!(
            "{source}{context}, server {}, namespace {:?}",
            cluster.server(),
            cluster.namespace
        ),
    )
}

/// The check when no connection could even be set up (the kubeconfig is missing or broken).
pub fn kubeconfig_failed(error: &Error) -> Check {
    Check::fail(
        "connection.kubeconfig",
        error.to_string(),
        "pass --kubeconfig and --context, or set $KUBECONFIG (kubectl config view shows what kubectl reads)",
    )
}

pub async fn version(cluster: &Cluster) -> Result<ServerVersion> {
    let info = cluster
        .read("get", "/version", None, || {
            cluster.client.apiserver_version()
        })
        .await?;
    let minor = info
        .minor
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    Ok(ServerVersion {
        git_version: info.git_version,
        minor,
    })
}

pub fn version_check(cluster: &Cluster, version: &ServerVersion) -> Check {
    Check::ok(
        "connection.server",
        format!("Kubernetes {} at {}", version.git_version, cluster.server()),
    )
}

/// The server did not answer `/version`: nothing else can work.
pub fn unreachable(cluster: &Cluster, error: &Error) -> Check {
    Check::error(
        "connection.server",
        &format!("the API server at {} did not answer", cluster.server()),
        error,
    )
}

/// Who the API server says the user is; `None` where SelfSubjectReview is not served
/// (Kubernetes before 1.28).
pub async fn whoami(cluster: &Cluster) -> Result<Option<UserInfo>> {
    let api: Api<SelfSubjectReview> = Api::all(cluster.client.clone());
    let review = SelfSubjectReview::default();
    let params = PostParams::default();
    let answered = cluster
        .read_if_served(
            "create",
            "selfsubjectreviews.authentication.k8s.io",
            None,
            || api.create(&params, &review),
        )
        .await?;
    Ok(answered
        .and_then(|r| r.status)
        .map(|s| s.user_info.unwrap_or_default()))
}

pub fn user_check(user: Result<Option<UserInfo>>) -> Check {
    const ID: &str = "connection.user";
    match user {
        Ok(Some(info)) => Check::ok(
            ID,
            format!(
                "{} (groups: {})",
                info.username.unwrap_or_default(),
                info.groups.unwrap_or_default().join(", ")
            ),
        ),
        Ok(None) => Check::ok(
            ID,
            "the API server does not serve SelfSubjectReview (Kubernetes before 1.28); pxsnap acts as the user of the kubeconfig's context",
        ),
        Err(error @ Error::Forbidden { .. }) => Check::warn(
            ID,
            format!("the API server would not say who you are: {error}"),
            "nothing pxsnap needs; the rbac.* checks below say what you may do",
        ),
        Err(error) => Check::error(ID, "asking who you are (SelfSubjectReview)", &error),
    }
}
