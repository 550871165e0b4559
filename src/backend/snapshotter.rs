//! What the one snapshot flow (pipeline/snapshot.rs) must know of a snapshot API, as one trait:
//! each API is one implementation in its own file (stork.rs, group.rs, csi.rs), so a new API is
//! a new file, not a new copy of the flow.

use std::future::Future;

use super::{Disposal, Managed, Verdict, WatchEnd, watch_until};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::signals::AfterRelease;

/// Where a watched snapshot stands. The cut (the point in time, after which the application
/// may be released) and readiness (the end of the work) are separate moments; an API that shows
/// no cut reports readiness alone, and the cut is then taken to be readiness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Not cut yet; what the object says meanwhile, for the progress line.
    Pending(Option<String>),
    /// Cut at `at`, not ready yet (an upload goes on). `error` is the latest failed attempt's:
    /// not final, since uploads are retried and recover.
    Cut { at: String, error: Option<String> },
    /// Done. `cut_at` is when the API says it was cut, if it says.
    Ready { cut_at: Option<String> },
    /// Failed before the cut, with the object's own message if it gives one.
    Failed(Option<String>),
}

/// One snapshot API, as the pipeline drives it.
pub trait Snapshotter {
    type Object: Managed;
    /// `plural.group`, as API calls and their errors name the resource.
    const RESOURCE: &'static str;
    /// How messages name one object: "snapshot", "group snapshot".
    const NOUN: &'static str;
    /// Whether the API shows the cut before readiness. Where it does not, the cut is known only
    /// at readiness, and the freeze lasts until then, bounded by `--timeout` alone.
    const SHOWS_CUT: bool;

    fn stage(object: &Self::Object) -> Stage;

    /// Whether `existing`, an object this run created, is the one `built` asks for: a create
    /// whose answer was lost is adopted rather than reported as a name clash.
    fn same_request(built: &Self::Object, existing: &Self::Object) -> bool;

    /// The command that deletes it, for a user told that pxsnap could not.
    fn delete_command(name: &str, namespace: &str) -> String;

    /// The error of an object that failed with `message`.
    fn failure(name: String, message: String) -> Error {
        Error::SnapshotFailed { name, message }
    }

    /// Why `object` failed when it did not say. Read after the release, so the application
    /// is not kept frozen while pxsnap explains; a read that fails is a warning.
    fn explain_failure(
        _cluster: &Cluster,
        _object: &Self::Object,
        _after: &mut AfterRelease<'_>,
        _warnings: &mut Vec<String>,
    ) -> impl Future<Output = String> {
        async { "it failed without saying why".to_string() }
    }

    /// What a wait that timed out waited for (`snapshot "x" to be Ready`), with what the API
    /// can tell about why, read after the release as [`Snapshotter::explain_failure`] is.
    fn timeout_what(
        _cluster: &Cluster,
        name: &str,
        _created: &Self::Object,
        _last: Option<&Self::Object>,
        _after: &mut AfterRelease<'_>,
        _warnings: &mut Vec<String>,
    ) -> impl Future<Output = String> {
        let what = format!("{} {name:?} to be Ready", Self::NOUN);
        async move { what }
    }

    /// Creates `object`, adopting this run's earlier attempt (see [`super::create_or_adopt`]).
    fn create(
        cluster: &Cluster,
        object: &Self::Object,
    ) -> impl Future<Output = Result<Self::Object>> {
        super::create_or_adopt(cluster, Self::RESOURCE, object, |existing| {
            Self::same_request(object, existing)
        })
    }

    /// Deletes the object if this run created it (see [`super::delete_own`]).
    fn delete_own(
        cluster: &Cluster,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<Disposal>> {
        super::delete_own::<Self::Object>(cluster, Self::RESOURCE, namespace, name)
    }
}

/// Watches one object until it is ready or has failed, or `timeout` passes: for a caller that
/// needs the snapshot whole (a clone), for whom the cut alone is not enough.
pub async fn wait_ready<S: Snapshotter>(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    timeout: std::time::Duration,
) -> WatchEnd<S::Object, Option<String>> {
    watch_until(
        cluster,
        S::RESOURCE,
        namespace,
        name,
        timeout,
        |object| match S::stage(object) {
            Stage::Ready { .. } => Verdict::Done,
            Stage::Failed(message) => Verdict::Failed(message),
            Stage::Pending(_) | Stage::Cut { .. } => Verdict::Pending,
        },
    )
    .await
}
