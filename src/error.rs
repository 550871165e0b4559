//! Every way pxsnap can fail, each with the one line a user reads and the exit code a script reads.
//!
//! The exit code says which step failed, so a CI job can tell "the app refused to flush" (3) from
//! "Portworx could not cut the snapshot" (4) from "it took too long" (5) without parsing text.

use std::time::Duration;

use crate::duration::human;

/// The exit codes, each number written once: [`Error::exit_code`] returns them, and the table
/// that documents them (`cli::exit_codes`: `--help`, man pages, README) names them.
pub mod code {
    pub const SUCCESS: i32 = 0;
    /// Anything without a code of its own: the API, the kubeconfig, the cluster's setup.
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const PRE_FAILED: i32 = 3;
    pub const SNAPSHOT_FAILED: i32 = 4;
    pub const TIMED_OUT: i32 = 5;
    pub const POST_FAILED: i32 = 6;
    /// 128 + the signal's number, as shells report a process a signal ended.
    pub const SIGINT: i32 = 130;
    pub const SIGTERM: i32 = 143;
}

/// The step of the pipeline an error belongs to; also the `error.step` field of JSON results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Config,
    Pvc,
    Locate,
    Pre,
    /// Starting the held commands, or their holding until the release.
    Hold,
    Snapshot,
    Wait,
    Post,
    Interrupted,
    /// Choosing what to delete, confirming it, deleting it.
    Delete,
}

/// The signal that stopped a run; decides between exit code 130 and 143.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    #[error("kubeconfig: {0}")]
    Kubeconfig(String),

    #[error(
        "cannot reach the Kubernetes API server at {server}: {reason} (check --kubeconfig/--context and that the cluster is up)"
    )]
    Unreachable { server: String, reason: String },

    #[error(
        "the API server rejected pxsnap's credentials (401 Unauthorized): log in again or check the user in your kubeconfig"
    )]
    Unauthorized,

    #[error(
        "{verb} {resource} is forbidden{scope}: {message} (the RBAC section of README.md lists the rules pxsnap needs; rbac/ holds them as manifests)"
    )]
    Forbidden {
        verb: String,
        resource: String,
        scope: String,
        message: String,
    },

    #[error(
        "the API group {group} is not served by this cluster: is STORK installed? (kubectl api-resources --api-group={group_name})"
    )]
    ApiGroupMissing { group: String, group_name: String },

    /// No snapshot API that `list` or `delete` was to read is served: `what` names them,
    /// `install` what would serve them, `check` the kubectl command that shows it.
    #[error("{what} by this cluster: is {install} installed? ({check})")]
    SnapshotApiMissing {
        what: String,
        install: String,
        check: String,
    },

    /// No snapshot API of pxsnap's is set up for this PVC.
    #[error("PVC {pvc:?} cannot be snapshotted: {why}")]
    NoSnapshotApi { pvc: String, why: String },

    /// No group snapshot API of pxsnap's is set up for the selected PVCs.
    #[error("the PVCs selected by {selector} cannot be snapshotted together: {why}")]
    NoGroupSnapshotApi { selector: String, why: String },

    #[error("PVC {pvc:?} not found in namespace {namespace:?}")]
    PvcNotFound { pvc: String, namespace: String },

    #[error(
        "PVC {pvc:?} in namespace {namespace:?} is not bound (phase {phase}); only a bound volume can be snapshotted"
    )]
    PvcNotBound {
        pvc: String,
        namespace: String,
        phase: String,
    },

    #[error(
        "PVC {pvc:?} in namespace {namespace:?} is not a Portworx volume ({detail}); STORK can only snapshot Portworx volumes"
    )]
    NotPortworx {
        pvc: String,
        namespace: String,
        detail: String,
    },

    #[error(
        "no PVC in namespace {namespace:?} matches the selector {selector:?} (kubectl get pvc -n {namespace} -l {selector} lists what does)"
    )]
    NoPvcMatched { selector: String, namespace: String },

    #[error(
        "{} of the {total} PVCs selected by {selector:?} cannot be snapshotted, so nothing was done: {}", .problems.len(), .problems.join("; ")
    )]
    PvcsNotSnapshottable {
        selector: String,
        total: usize,
        problems: Vec<String>,
    },

    #[error("group snapshot {name:?} failed: {message}")]
    GroupSnapshotFailed { name: String, message: String },

    #[error(
        "no running pod in namespace {namespace:?} mounts PVC {pvc:?}{not_running}, so the pre/post commands have nowhere to run (pass --allow-no-pods to snapshot without them)"
    )]
    NoPods {
        pvc: String,
        namespace: String,
        /// The pods that mount it but cannot take commands, as `" (app-0: pod is Pending)"`.
        not_running: String,
    },

    #[error(
        "pod {pod:?} has several containers mounting PVC {pvc:?} ({containers}); choose one with -c/--container"
    )]
    AmbiguousContainer {
        pod: String,
        pvc: String,
        containers: String,
    },

    #[error("pod {pod:?} has no container {container:?} (it has: {available})")]
    UnknownContainer {
        pod: String,
        container: String,
        available: String,
    },

    #[error("pre command failed: {0}")]
    PreFailed(String),

    /// A held command (`--hold`) did not hold, or stopped holding before the cut; the line
    /// names the command and the pod.
    #[error("{0}")]
    HoldFailed(String),

    #[error(
        "Rule {rule:?} not found in namespace {namespace:?} (kubectl get rules.stork.libopenstorage.org -n {namespace} lists them); nothing was run"
    )]
    RuleNotFound { rule: String, namespace: String },

    /// A Rule pxsnap cannot run as written: `problem` names the field.
    #[error("Rule {rule:?} in namespace {namespace:?} {problem}; nothing was run")]
    BadRule {
        rule: String,
        namespace: String,
        problem: String,
    },

    /// Rules choose pods by label, so the pre side may freeze a pod the post side never
    /// reaches.
    #[error(
        "the pre side would quiesce {pods} but no post command or post-Rule action runs there; add one that releases it (--post, --post-rule) or --force if nothing there stays frozen; nothing was run"
    )]
    NoRelease { pods: String },

    #[error("snapshot {name:?} failed: {message}")]
    SnapshotFailed { name: String, message: String },

    #[error("timed out after {} waiting for {what}", human(*.after))]
    Timeout { what: String, after: Duration },

    /// API Priority and Fairness kept answering 429 (with `Retry-After`) for as long as the
    /// call could wait.
    #[error(
        "the API server kept turning away {call} with 429 Too Many Requests for the {} a call may take (--timeout): it is overloaded; try again later", human(*.after)
    )]
    Throttled { call: String, after: Duration },

    /// A paged list's continue token outlived the API server's history (410 Expired).
    #[error(
        "{call}: the list expired between two pages (410 Expired: its continue token is too old, objects changed meanwhile), so it is incomplete; run the command again"
    )]
    ListExpired { call: String },

    #[error("post command failed: {0}; the application there may not have been released")]
    PostFailed(String),

    /// `failed_posts` keeps the line truthful: the posts ran, but the ones that failed are
    /// reported as warnings and must not be contradicted here.
    #[error("interrupted by {}; post commands ran in every frozen pod{}", .signal.name(), failed_posts_note(*.failed_posts))]
    Interrupted { signal: Signal, failed_posts: usize },

    #[error("{context}: {message}")]
    Api { context: String, message: String },

    #[error("not found in namespace {namespace:?}: {names}")]
    NotFound { namespace: String, names: String },

    #[error("{failed} of {total} deletions failed; the first: {first}")]
    DeleteFailed {
        failed: usize,
        total: usize,
        first: String,
    },

    #[error(
        "VolumeSnapshot {name:?} not found in namespace {namespace:?} (kubectl get {resource} -n {namespace})"
    )]
    SnapshotNotFound {
        name: String,
        namespace: String,
        /// The resource of the API that was searched, as kubectl takes it.
        resource: &'static str,
    },

    #[error(
        "VolumeSnapshot {name:?} in namespace {namespace:?} is not Ready yet ({status}); wait for it, or pass --wait-snapshot"
    )]
    SnapshotNotReady {
        name: String,
        namespace: String,
        status: String,
    },

    #[error(
        "VolumeSnapshot {name:?} in namespace {namespace:?} is in Error ({message}); it cannot be cloned, take a new snapshot"
    )]
    SnapshotInError {
        name: String,
        namespace: String,
        message: String,
    },

    #[error("PVC {pvc:?} already exists in namespace {namespace:?}; choose another name")]
    PvcExists { pvc: String, namespace: String },

    /// The create was answered 409 for an object this run did not make: nothing was created, so
    /// there is nothing to clean up, and the object of that name is not pxsnap's to touch.
    #[error(
        "a {kind} named {name:?} already exists in namespace {namespace:?}; choose another name (--name, or metadata.name of an applied manifest)"
    )]
    NameTaken {
        kind: String,
        name: String,
        namespace: String,
    },

    #[error(
        "namespace {namespace:?} not found; create it first (kubectl create namespace {namespace})"
    )]
    NamespaceNotFound { namespace: String },

    #[error(
        "VolumeSnapshot {snapshot:?} in namespace {source_namespace:?} may not be cloned into namespace {target:?}: {reason}; to allow it, add a pattern matching {target:?} to the snapshot's stork.libopenstorage.org/snapshot-restore-namespaces annotation"
    )]
    CloneNotAllowed {
        snapshot: String,
        source_namespace: String,
        target: String,
        reason: String,
    },

    #[error(
        "--size {requested} is smaller than the snapshot ({snapshot_size}, {origin}); a clone must be at least as large"
    )]
    SizeTooSmall {
        requested: String,
        snapshot_size: String,
        origin: String,
    },

    #[error("StorageClass {name:?} not found: {hint}")]
    StorageClassMissing { name: String, hint: String },

    /// `kind`: the group kind(s) looked in.
    #[error("{kind} {name:?} not found in namespace {namespace:?}")]
    GroupSnapshotNotFound {
        kind: &'static str,
        name: String,
        namespace: String,
    },

    #[error(
        "GroupVolumeSnapshot {name:?} in namespace {namespace:?} lists no child snapshots yet (stage {stage:?}, status {status:?}); wait until it is Final/Successful (kubectl describe groupvolumesnapshots.stork.libopenstorage.org {name} -n {namespace})"
    )]
    GroupSnapshotNotReady {
        name: String,
        namespace: String,
        stage: String,
        status: String,
    },

    #[error(
        "VolumeGroupSnapshot {name:?} in namespace {namespace:?} has no member snapshots yet ({status}); wait until it is readyToUse, or pass --wait-snapshot (kubectl describe volumegroupsnapshots.groupsnapshot.storage.k8s.io {name} -n {namespace})"
    )]
    CsiGroupNotReady {
        name: String,
        namespace: String,
        status: String,
    },

    #[error("clone PVC {pvc:?} in namespace {namespace:?} did not bind: {message}")]
    CloneFailed {
        pvc: String,
        namespace: String,
        message: String,
    },

    #[error("{failed} of {total} clones failed; the first: {first}")]
    ClonesFailed {
        failed: usize,
        total: usize,
        first: Box<Error>,
    },

    #[error("interrupted by {} while waiting for {what}; left in place", .signal.name())]
    InterruptedWaiting { signal: Signal, what: String },

    /// `doctor` found something that would make the chosen subcommands fail.
    #[error(
        "{failed} of {total} checks failed: {ids}; each is followed by a fix: line saying what to do (\"fix\" in -o json)"
    )]
    ChecksFailed {
        failed: usize,
        total: usize,
        ids: String,
    },
}

impl Error {
    /// `group_version` (`group/version`) is not served.
    pub fn api_group_missing(group_version: &str) -> Error {
        Error::ApiGroupMissing {
            group: group_version.to_string(),
            group_name: group_version
                .split('/')
                .next()
                .unwrap_or(group_version)
                .to_string(),
        }
    }

    /// A signal ended a run whose post commands all succeeded (so far as is known yet).
    pub fn interrupted(signal: Signal) -> Error {
        Error::Interrupted {
            signal,
            failed_posts: 0,
        }
    }

    /// The documented exit code (README, `--help`, man page).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::AmbiguousContainer { .. }
            | Error::UnknownContainer { .. }
            | Error::PvcExists { .. }
            | Error::NameTaken { .. }
            | Error::SizeTooSmall { .. }
            | Error::RuleNotFound { .. }
            | Error::BadRule { .. }
            | Error::NoRelease { .. } => code::USAGE,
            Error::NoPods { .. } | Error::PreFailed(_) | Error::HoldFailed(_) => code::PRE_FAILED,
            Error::SnapshotFailed { .. }
            | Error::GroupSnapshotFailed { .. }
            | Error::SnapshotInError { .. } => code::SNAPSHOT_FAILED,
            Error::Timeout { .. } | Error::Throttled { .. } => code::TIMED_OUT,
            Error::PostFailed(_) => code::POST_FAILED,
            Error::Interrupted { signal, .. } | Error::InterruptedWaiting { signal, .. } => {
                match signal {
                    Signal::Interrupt => code::SIGINT,
                    Signal::Terminate => code::SIGTERM,
                }
            }
            Error::ClonesFailed { first, .. } => first.exit_code(),
            Error::Kubeconfig(_)
            | Error::Unreachable { .. }
            | Error::Unauthorized
            | Error::Forbidden { .. }
            | Error::ApiGroupMissing { .. }
            | Error::SnapshotApiMissing { .. }
            | Error::NoSnapshotApi { .. }
            | Error::NoGroupSnapshotApi { .. }
            | Error::PvcNotFound { .. }
            | Error::PvcNotBound { .. }
            | Error::NotPortworx { .. }
            | Error::NoPvcMatched { .. }
            | Error::PvcsNotSnapshottable { .. }
            | Error::Api { .. }
            | Error::ListExpired { .. }
            | Error::NotFound { .. }
            | Error::DeleteFailed { .. }
            | Error::ChecksFailed { .. } => code::OTHER,

            Error::SnapshotNotFound { .. }
            | Error::SnapshotNotReady { .. }
            | Error::NamespaceNotFound { .. }
            | Error::CloneNotAllowed { .. }
            | Error::StorageClassMissing { .. }
            | Error::GroupSnapshotNotFound { .. }
            | Error::GroupSnapshotNotReady { .. }
            | Error::CsiGroupNotReady { .. }
            | Error::CloneFailed { .. } => code::OTHER,
        }
    }

    /// Wraps a kube error with what pxsnap was doing, turning the HTTP statuses a user can act on
    /// (401, 403, connection refused) into their own messages.
    pub fn from_kube(
        err: kube::Error,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Error {
        match &err {
            kube::Error::Api(status) if status.code == 401 => Error::Unauthorized,
            kube::Error::Api(status) if status.code == 403 => Error::Forbidden {
                verb: verb.to_string(),
                resource: resource.to_string(),
                scope: scope(namespace),
                message: status.message.clone(),
            },
            kube::Error::Api(status) if status.code == 410 && verb == "list" => {
                Error::ListExpired {
                    call: call(verb, resource, namespace),
                }
            }
            kube::Error::HyperError(_) | kube::Error::Service(_) => Error::Unreachable {
                server: String::new(),
                reason: root_cause(&err),
            },
            _ => Error::Api {
                context: call(verb, resource, namespace),
                message: api_message(&err),
            },
        }
    }
}

/// An API call as error lines name it: `list pods in namespace "db"`.
pub fn call(verb: &str, resource: &str, namespace: Option<&str>) -> String {
    format!("{verb} {resource}{}", scope(namespace))
}

fn scope(namespace: Option<&str>) -> String {
    namespace
        .map(|ns| format!(" in namespace {ns:?}"))
        .unwrap_or_default()
}

fn failed_posts_note(failed: usize) -> String {
    match failed {
        0 => String::new(),
        1 => ", but one failed (warned above)".to_string(),
        n => format!(", but {n} failed (warned above)"),
    }
}

/// The innermost message of an error chain: "Connection refused (os error 111)" rather than
/// "client error (Connect)".
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn api_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => {
            format!("{} ({} {})", status.message, status.code, status.reason)
        }
        other => root_cause(other),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_documented_table() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::PreFailed("x".into()).exit_code(), 3);
        assert_eq!(
            Error::SnapshotFailed {
                name: "s".into(),
                message: "m".into()
            }
            .exit_code(),
            4
        );
        assert_eq!(
            Error::Timeout {
                what: "x".into(),
                after: Duration::from_secs(1)
            }
            .exit_code(),
            5
        );
        assert_eq!(Error::PostFailed("x".into()).exit_code(), 6);
        assert_eq!(Error::interrupted(Signal::Interrupt).exit_code(), 130);
        assert_eq!(Error::interrupted(Signal::Terminate).exit_code(), 143);
    }

    #[test]
    fn forbidden_names_verb_resource_and_rbac_doc() {
        let status = kube::core::Status::failure("pods is forbidden", "Forbidden").with_code(403);
        let err = Error::from_kube(
            kube::Error::Api(Box::new(status)),
            "list",
            "pods",
            Some("db"),
        );
        let line = err.to_string();
        assert!(
            line.starts_with("list pods is forbidden in namespace \"db\""),
            "{line}"
        );
        assert!(line.contains("the RBAC section of README.md"), "{line}");
    }
}
