//! One module per snapshot API pxsnap drives, plus what they share: create with adoption of
//! an earlier attempt's object, watch one object to a verdict, delete.

use std::fmt::Debug;
use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{DeleteParams, PostParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::k8s::cluster::{Cluster, is_transient};
use crate::k8s::resources::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

pub mod clone_csi;
pub mod clone_pvc;
pub mod csi;
pub mod csi_classes;
pub mod csi_group;
pub mod group;
pub mod listed;
pub mod manifest;
pub mod retention;
pub mod snapshot_api;
pub mod snapshotter;
pub mod stork;

/// A namespaced object kind pxsnap creates, watches and deletes.
pub trait Managed:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
}

impl<K> Managed for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// The annotation that names the pxsnap run which created an object. It is how a run tells
/// its own object (created by an attempt whose response was lost) from one that merely has the
/// same name: yesterday's snapshot, another run's, or someone else's.
pub const RUN_ID_ANNOTATION: &str = "pxsnap/run-id";

/// This process's run id: random, fixed for the life of the process.
pub fn run_id() -> &'static str {
    static RUN_ID: OnceLock<String> = OnceLock::new();
    RUN_ID.get_or_init(|| format!("{:016x}", rand::random::<u64>()))
}

fn created_by_this_run<K: Managed>(object: &K) -> bool {
    object
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(RUN_ID_ANNOTATION))
        .is_some_and(|id| id == run_id())
}

/// Creates `object`, marked with this run's id. A 409 for an object this very run created (an
/// earlier attempt got through but its response was lost) that `same_request` accepts is
/// adopted; a 409 for anything else is a name clash the user must resolve.
pub async fn create_or_adopt<K: Managed>(
    cluster: &Cluster,
    resource: &str,
    object: &K,
    same_request: impl Fn(&K) -> bool,
) -> Result<K> {
    let mut object = object.clone();
    object
        .meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(RUN_ID_ANNOTATION.to_string(), run_id().to_string());
    let meta = object.meta();
    let namespace = meta.namespace.clone().unwrap_or_default();
    let name = meta.name.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(cluster.client.clone(), &namespace);
    let params = PostParams::default();
    let call = format!("{resource} {name:?}");
    let created = cluster
        .call("create", &call, || api.create(&params, &object))
        .await?;
    match created {
        Ok(created) => Ok(created),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let existing = cluster
                .read("get", resource, Some(&namespace), || api.get(&name))
                .await?;
            let ours = existing
                .meta()
                .labels
                .as_ref()
                .and_then(|l| l.get(MANAGED_BY_LABEL))
                .is_some_and(|v| v == MANAGED_BY_VALUE);
            if ours && created_by_this_run(&existing) && same_request(&existing) {
                tracing::info!(%name, "adopting the object an earlier attempt created");
                Ok(existing)
            } else {
                Err(Error::NameTaken {
                    kind: K::kind(&()).into_owned(),
                    name,
                    namespace,
                })
            }
        }
        Err(err) => Err(cluster.error(err, "create", resource, Some(&namespace))),
    }
}

/// What [`delete_own`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposal {
    Deleted,
    /// No object of that name: this run never created it.
    Absent,
    /// An object of that name exists but another run or someone else made it; left alone.
    NotOurs,
}

/// Deletes an object this run gave up on — only if this run created it. A run interrupted
/// before its create returned, or whose name clashed, must not delete an older snapshot of the
/// same name (deleting a STORK snapshot deletes the Portworx snapshot or cloud backup too).
pub async fn delete_own<K: Managed>(
    cluster: &Cluster,
    resource: &str,
    namespace: &str,
    name: &str,
) -> Result<Disposal> {
    let api: Api<K> = Api::namespaced(cluster.client.clone(), namespace);
    let Some(existing) = cluster
        .read("get", resource, Some(namespace), || api.get_opt(name))
        .await?
    else {
        return Ok(Disposal::Absent);
    };
    if !created_by_this_run(&existing) {
        return Ok(Disposal::NotOurs);
    }
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: existing.meta().uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match cluster
        .call("delete", resource, || api.delete(name, &params))
        .await?
    {
        Ok(_) => Ok(Disposal::Deleted),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Disposal::Absent),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(Disposal::NotOurs),
        Err(err) => Err(cluster.error(err, "delete", resource, Some(namespace))),
    }
}

/// What a watched object's latest version says.
pub enum Verdict<F> {
    Done,
    Failed(F),
    Pending,
}

/// How watching an object ended.
#[derive(Debug)]
pub enum WatchEnd<K, F> {
    Done(K),
    Failed(K, F),
    /// The timeout passed; the last version seen, if any.
    TimedOut(Option<K>),
    Deleted,
    Api(Error),
}

/// Watches one object until `judge` says it is done or failed, or `timeout` passes.
///
/// A watch, not a poll: the watcher resumes from the last resourceVersion when the stream
/// drops and relists after a 410, with backoff between attempts. `judge` sees every version,
/// so callers can show progress from it.
pub async fn watch_until<K: Managed, F>(
    cluster: &Cluster,
    resource: &str,
    namespace: &str,
    name: &str,
    timeout: Duration,
    mut judge: impl FnMut(&K) -> Verdict<F>,
) -> WatchEnd<K, F> {
    let api: Api<K> = Api::namespaced(cluster.client.clone(), namespace);
    let mut last: Option<K> = None;
    let watch = async {
        let stream = watcher::watch_object(api, name).default_backoff();
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(Some(object)) => match judge(&object) {
                    Verdict::Done => return WatchEnd::Done(object),
                    Verdict::Failed(failure) => return WatchEnd::Failed(object, failure),
                    Verdict::Pending => last = Some(object),
                },
                Ok(None) => return WatchEnd::Deleted,
                Err(err) => {
                    if let Some(fatal) = fatal_watch_error(&err) {
                        return WatchEnd::Api(cluster.error(
                            fatal,
                            refused_verb(&err),
                            resource,
                            Some(namespace),
                        ));
                    }
                    tracing::warn!(error = %crate::error::root_cause(&err), "watch interrupted; resuming");
                }
            }
        }
        WatchEnd::Deleted
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(end) => end,
        Err(_) => WatchEnd::TimedOut(last),
    }
}

/// The verb a failed watch was refused: a watch starts with a list, which RBAC authorizes
/// apart from the watch, so a user missing `list` is told so.
fn refused_verb(err: &watcher::Error) -> &'static str {
    match err {
        watcher::Error::InitialListFailed(_) => "list",
        _ => "watch",
    }
}

/// Watch errors that retrying will not fix (401, 403, 404, a credential plugin that failed):
/// returned at once instead of retried until the timeout.
fn fatal_watch_error(err: &watcher::Error) -> Option<kube::Error> {
    let inner = match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => e,
        watcher::Error::WatchError(status) => {
            return (matches!(status.code, 401 | 403)).then(|| kube::Error::Api(status.clone()));
        }
        _ => return None,
    };
    match inner {
        kube::Error::Api(status) if !is_transient(inner) && status.code != 410 => {
            Some(kube::Error::Api(status.clone()))
        }
        kube::Error::Service(source) => source
            .downcast_ref::<crate::k8s::credential::PluginError>()
            .map(|failed| kube::Error::Service(Box::new(failed.clone()))),
        _ => None,
    }
}

/// Deletes an object pxsnap gave up on. STORK would otherwise retry a failed snapshot forever,
/// re-running its rules each time. Already gone is fine.
pub async fn delete<K: Managed>(
    cluster: &Cluster,
    resource: &str,
    namespace: &str,
    name: &str,
) -> Result<()> {
    let api: Api<K> = Api::namespaced(cluster.client.clone(), namespace);
    let params = DeleteParams::default();
    match cluster
        .call("delete", resource, || api.delete(name, &params))
        .await?
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(err) => Err(cluster.error(err, "delete", resource, Some(namespace))),
    }
}
