//! `pxsnap clone`: a new PVC from a STORK or CSI snapshot, or one per child of a group snapshot
//! (STORK's GroupVolumeSnapshot or CSI's VolumeGroupSnapshot).
//!
//! Three phases, so nothing is created unless everything can be: check every clone (in
//! parallel), create every PVC, then watch them all until Bound. A PVC that does not bind in
//! time is left in place and named: deleting a user's PVC is not pxsnap's call.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use serde::Serialize;
use tabled::{Table, Tabled};

use crate::backend::clone_pvc::{
    self, BindFailure, CloneSpec, DEFAULT_STORAGE_CLASS, Source, check_restore_namespace,
    check_size,
};
use crate::backend::csi_group::{self, FoundGroup};
use crate::backend::listed::{self, HeldGroup};
use crate::backend::snapshot_api::{Preference, SnapshotApi};
use crate::backend::{Verdict, WatchEnd, clone_csi, group, watch_until};
use crate::cli::{CloneArgs, GlobalArgs};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::CsiProgress;
use crate::k8s::resources::{
    GROUP_SNAPSHOT_KIND, GroupVolumeSnapshot, STORK_SNAPSHOT_GROUP_VERSION,
};
use crate::k8s::served::ServedApis;
use crate::output::report::{ErrorReport, Fallible, Outcome, Report, plain_table, summary};
use crate::output::status::Status;
use crate::progress::Progress;
use crate::signals::Signals;

/// The `-o json` document of `clone`: one entry in `clones` per PVC, also without `--group`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloneResult {
    pub kind: &'static str,
    /// The GroupVolumeSnapshot cloned with `--group`.
    pub group: Option<String>,
    pub clones: Vec<CloneReport>,
    pub warnings: Vec<String>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloneReport {
    pub pvc: String,
    pub namespace: String,
    pub snapshot: String,
    pub snapshot_namespace: String,
    /// `stork` (volumesnapshot.external-storage.k8s.io) or `csi` (snapshot.storage.k8s.io):
    /// the API that holds the snapshot; absent when pxsnap could not tell.
    pub snapshot_api: Option<SnapshotApi>,
    /// The PVC the snapshot was taken of, when it still exists.
    pub source_pvc: Option<String>,
    pub size: Option<String>,
    pub access_modes: Vec<String>,
    pub storage_class: String,
    /// Bound, Pending (with --no-wait), TimedOut, Lost, Deleted, Interrupted, NotCreated, or
    /// Planned (dry run).
    pub status: Status,
    /// The PersistentVolume bound to the new PVC.
    pub volume: Option<String>,
    /// Its StorageClass binds on first use (`WaitForFirstConsumer`): it stays Pending until a
    /// pod that uses it is scheduled, and pxsnap does not wait for that.
    pub waits_for_first_consumer: bool,
    pub error: Option<ErrorReport>,
    /// The PVC that would be created (dry run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<PersistentVolumeClaim>,
}

impl CloneResult {
    fn new(group: Option<String>) -> CloneResult {
        CloneResult {
            kind: "CloneResult",
            group,
            clones: Vec::new(),
            warnings: Vec::new(),
            error: None,
        }
    }

    /// Ends the run with the clones' own errors: a single clone's error as it is, a group's as
    /// "N of M failed" with the first one's exit code.
    fn finish(self, failures: Vec<(Step, Error)>) -> Outcome<CloneResult> {
        let total = self.clones.len();
        let failed = failures.len();
        // The summary names the first failure; the others get a line each so none is hidden.
        for (_, other) in failures.iter().skip(1) {
            crate::stderr::error_line(&other);
        }
        let mut failures = failures.into_iter();
        match failures.next() {
            None => Outcome::ok(self),
            Some((step, first)) if self.group.is_none() => self.fail(step, first),
            Some((step, first)) => self.fail(
                step,
                Error::ClonesFailed {
                    failed,
                    total,
                    first: Box::new(first),
                },
            ),
        }
    }
}

impl CloneReport {
    fn record(&mut self, step: Step, error: &Error) {
        self.error = Some(ErrorReport {
            step,
            message: error.to_string(),
        });
    }

    fn exists(&self) -> bool {
        !matches!(
            self.status,
            Status::NotCreated | Status::Planned | Status::Deleted
        )
    }

    /// Whether a pod may mount it now: Bound, or Pending with `--no-wait` (the pod then waits
    /// for the bind). One that timed out, was lost or interrupted is left for the user to look
    /// into, not to mount.
    fn mountable(&self) -> bool {
        matches!(self.status, Status::Bound | Status::Pending)
    }
}

/// One clone to make: the snapshot and how its PVC is named.
struct CloneRequest {
    snapshot: String,
    name: PvcName,
}

enum PvcName {
    Fixed(String),
    /// `--name-template`, filled from the child snapshot and its source PVC.
    Template(String),
}

pub async fn run(
    global: &GlobalArgs,
    args: &CloneArgs,
    signals: &mut Signals,
) -> Outcome<CloneResult> {
    let mut result = CloneResult::new(args.group.clone());
    let names = [
        ("SNAPSHOT", &args.snapshot),
        ("NEW_PVC", &args.new_pvc),
        ("--group", &args.group),
    ];
    let named = names
        .iter()
        .filter_map(|(flag, name)| Some((flag, name.as_deref()?)));
    if let Err(err) = named
        .into_iter()
        .try_for_each(|(flag, name)| crate::k8s::names::check_name(flag, name))
    {
        return result.fail(Step::Config, err);
    }
    let progress = Progress::new(!global.quiet && !global.no_progress);
    progress.step("connecting");
    let cluster = match Cluster::connect(&global.target(), args.timeout).await {
        Ok(cluster) => cluster,
        Err(err) => return result.fail(Step::Config, err),
    };
    let source_namespace = cluster.namespace.clone();
    let target_namespace = args
        .target_namespace
        .clone()
        .unwrap_or_else(|| source_namespace.clone());
    let (api, requests) = match requests(&cluster, args, &progress).await {
        Ok(found) => found,
        Err(err @ Error::Usage(_)) => return result.fail(Step::Config, err),
        Err(err) => return result.fail(Step::Snapshot, err),
    };
    if api == SnapshotApi::Csi
        && let Some(request) = requests.first()
        && let Err(err) =
            clone_csi::check_same_namespace(&request.snapshot, &source_namespace, &target_namespace)
    {
        return result.fail(Step::Config, err);
    }

    progress.step("checking the target namespace and StorageClass");
    let mut shared_checks = vec![clone_pvc::check_namespace(&cluster, &target_namespace).await];
    // A CSI clone's class is each source PVC's, checked with it.
    if api == SnapshotApi::Stork {
        let class = args
            .storage_class
            .as_deref()
            .unwrap_or(DEFAULT_STORAGE_CLASS);
        shared_checks.push(clone_pvc::check_storage_class(&cluster, class).await);
    }
    for check in shared_checks {
        match check {
            Ok(warning) => result.warnings.extend(warning),
            Err(err) => return result.fail(Step::Pvc, err),
        }
    }
    progress.step(format!("checking {} snapshot(s)", requests.len()));
    let context = PlanContext {
        cluster: &cluster,
        args,
        api,
        source_namespace: &source_namespace,
        target_namespace: &target_namespace,
    };
    let planned = join_all(requests.iter().map(|request| plan(&context, request))).await;
    let mut specs = Vec::new();
    let mut failures = Vec::new();
    for (mut report, outcome) in planned {
        match outcome {
            Ok((spec, warning)) => {
                specs.push(spec);
                result.warnings.extend(warning);
            }
            Err((step, err)) => {
                report.record(step, &err);
                failures.push((step, err));
            }
        }
        result.clones.push(report);
    }
    for warning in &result.warnings {
        progress.warn(warning);
    }
    if let Some(duplicate) = duplicate_name(&specs) {
        failures.push((
            Step::Config,
            Error::Usage(format!(
                "--name-template {:?} gives two clones the name {duplicate:?}; use {{snapshot}} or {{pvc}} in it",
                args.name_template
            )),
        ));
    }
    if !failures.is_empty() {
        return result.finish(failures);
    }
    if args.dry_run {
        for (report, spec) in result.clones.iter_mut().zip(&specs) {
            report.status = Status::Planned;
            report.object = Some(clone_pvc::build(spec));
        }
        return result.finish(Vec::new());
    }

    progress.step(format!("creating {} PVC(s)", specs.len()));
    let objects: Vec<PersistentVolumeClaim> = specs.iter().map(clone_pvc::build).collect();
    let created = join_all(
        objects
            .iter()
            .map(|object| clone_pvc::create(&cluster, object)),
    )
    .await;
    // Every check passed, so `specs` and `result.clones` are parallel; `waiting` holds the
    // indices of the PVCs that were created.
    let mut waiting = Vec::new();
    for (index, ((report, _), outcome)) in result
        .clones
        .iter_mut()
        .zip(&specs)
        .zip(created)
        .enumerate()
    {
        match outcome {
            Ok(pvc) => {
                fill_from(report, &pvc);
                waiting.push(index);
            }
            Err(err) => {
                report.record(Step::Pvc, &err);
                failures.push((Step::Pvc, err));
            }
        }
    }
    waiting.retain(|&index| {
        let spec = &specs[index];
        if spec.binds_on_first_use {
            result.clones[index].waits_for_first_consumer = true;
            progress.println(&format!(
                "note: PVC {:?} in namespace {:?} has StorageClass {:?}, which binds on first use (WaitForFirstConsumer): it stays Pending until a pod that uses it is scheduled; not waiting for it",
                spec.name, spec.namespace, spec.storage_class
            ));
        }
        !spec.binds_on_first_use
    });
    if !args.no_wait && !waiting.is_empty() {
        progress.step(format!("waiting for {} PVC(s) to be Bound", waiting.len()));
        // Armed so Ctrl-C still prints the result (which PVCs exist) before exiting.
        if let Err(err) = signals.arm() {
            tracing::warn!(error = %err, "cannot take over SIGINT/SIGTERM");
        }
        let waits = join_all(waiting.iter().map(|&index| {
            let spec = &specs[index];
            clone_pvc::wait_until_bound(&cluster, &spec.namespace, &spec.name, args.timeout)
        }));
        tokio::select! {
            outcomes = waits => {
                for (&index, outcome) in waiting.iter().zip(outcomes) {
                    let report = &mut result.clones[index];
                    if let Some(err) = settle_wait(report, &specs[index], outcome, args.timeout) {
                        report.record(Step::Wait, &err);
                        failures.push((Step::Wait, err));
                    }
                }
            }
            signal = signals.recv() => {
                for &index in &waiting {
                    result.clones[index].status = Status::Interrupted;
                }
                let names: Vec<&str> = waiting.iter().map(|&index| specs[index].name.as_str()).collect();
                drop(progress);
                return result.fail(Step::Interrupted, Error::InterruptedWaiting {
                    signal,
                    what: format!("PVC(s) {} in namespace {target_namespace:?} to be Bound", names.join(", ")),
                });
            }
        }
    }
    drop(progress);
    result.finish(failures)
}

/// The clones to make, and the API that holds their snapshots: the one named on the command
/// line, or every child of `--group`.
async fn requests(
    cluster: &Cluster,
    args: &CloneArgs,
    progress: &Progress,
) -> Result<(SnapshotApi, Vec<CloneRequest>), Error> {
    match (&args.group, &args.snapshot, &args.new_pvc) {
        (Some(group), _, _) => {
            progress.step(format!("reading group snapshot {group}"));
            let served = ServedApis::discover(cluster).await?;
            let only = match args.api.preference() {
                Preference::Only(api) => Some(api),
                Preference::Auto => None,
            };
            let kinds = listed::group_kinds(&served, only)?;
            let wait = args.wait_snapshot.then_some(args.timeout);
            let (api, children) = match listed::find_group(cluster, &kinds, group, "clone").await? {
                None => {
                    return Err(Error::GroupSnapshotNotFound {
                        kind: listed::searched_kinds(&kinds),
                        name: group.clone(),
                        namespace: cluster.namespace.clone(),
                    });
                }
                Some(HeldGroup::Stork(found)) => {
                    if !served.serves(STORK_SNAPSHOT_GROUP_VERSION) {
                        return Err(Error::api_group_missing(STORK_SNAPSHOT_GROUP_VERSION));
                    }
                    let children = group_children(cluster, found, wait).await?;
                    (SnapshotApi::Stork, children)
                }
                Some(HeldGroup::Csi(found)) => {
                    (SnapshotApi::Csi, csi_members(cluster, found, wait).await?)
                }
            };
            let requests = children
                .into_iter()
                .map(|snapshot| CloneRequest {
                    snapshot,
                    name: PvcName::Template(args.name_template.clone()),
                })
                .collect();
            Ok((api, requests))
        }
        (None, Some(snapshot), Some(new_pvc)) => {
            progress.step(format!("looking up VolumeSnapshot {snapshot}"));
            let api = clone_csi::holder(cluster, snapshot, args.api.preference()).await?;
            if api == SnapshotApi::Stork {
                cluster
                    .require_api_group(STORK_SNAPSHOT_GROUP_VERSION)
                    .await?;
            }
            let request = CloneRequest {
                snapshot: snapshot.clone(),
                name: PvcName::Fixed(new_pvc.clone()),
            };
            Ok((api, vec![request]))
        }
        _ => Err(Error::Usage(
            "give SNAPSHOT and NEW_PVC, or --group GROUPSNAP".to_string(),
        )),
    }
}

/// The member VolumeSnapshots of a CSI VolumeGroupSnapshot: those it owns, each naming its PVC
/// in `spec.source` (external-snapshotter 8.2+). With `wait`, a group not ready yet is watched
/// until it is, so its members exist.
async fn csi_members(
    cluster: &Cluster,
    mut group: FoundGroup,
    wait: Option<Duration>,
) -> Result<Vec<String>, Error> {
    let name = group.metadata.name.clone().unwrap_or_default();
    if let (false, Some(timeout)) = (matches!(group.progress, CsiProgress::Ready { .. }), wait) {
        group = group.api.wait_ready(cluster, &name, timeout).await?;
    }
    let members = csi_group::members(cluster, &group.metadata).await?;
    if members.is_empty() {
        return Err(Error::CsiGroupNotReady {
            name,
            namespace: cluster.namespace.clone(),
            status: match &group.progress {
                CsiProgress::Ready { .. } => {
                    "readyToUse, yet it owns no VolumeSnapshot".to_string()
                }
                pending => clone_csi::pending_status(pending),
            },
        });
    }
    Ok(members
        .into_iter()
        .filter_map(|member| member.metadata.name)
        .collect())
}

/// The child VolumeSnapshots a GroupVolumeSnapshot lists in its status. With `wait`, a group
/// still being cut is watched until it lists them (or fails).
async fn group_children(
    cluster: &Cluster,
    mut group: GroupVolumeSnapshot,
    wait: Option<Duration>,
) -> Result<Vec<String>, Error> {
    let namespace = cluster.namespace.as_str();
    let name = group.metadata.name.clone().unwrap_or_default();
    let name = name.as_str();
    let settled =
        |group: &GroupVolumeSnapshot| !child_names(group).is_empty() || group.has_failed();
    if let (false, Some(timeout)) = (settled(&group), wait) {
        let judge = |group: &GroupVolumeSnapshot| match settled(group) {
            true => Verdict::<()>::Done,
            false => Verdict::Pending,
        };
        group = match watch_until(cluster, group::RESOURCE, namespace, name, timeout, judge).await {
            WatchEnd::Done(group) | WatchEnd::Failed(group, ()) => group,
            WatchEnd::TimedOut(_) => {
                return Err(Error::Timeout {
                    what: format!("GroupVolumeSnapshot {name:?} to list its child snapshots"),
                    after: timeout,
                });
            }
            WatchEnd::Deleted => {
                return Err(Error::GroupSnapshotNotFound {
                    kind: GROUP_SNAPSHOT_KIND,
                    name: name.to_string(),
                    namespace: namespace.to_string(),
                });
            }
            WatchEnd::Api(err) => return Err(err),
        };
    }
    let children = child_names(&group);
    if children.is_empty() {
        return Err(Error::GroupSnapshotNotReady {
            name: name.to_string(),
            namespace: namespace.to_string(),
            stage: group.stage().to_string(),
            status: group.status_text().to_string(),
        });
    }
    Ok(children)
}

fn child_names(group: &GroupVolumeSnapshot) -> Vec<String> {
    group
        .children()
        .iter()
        .map(|child| child.volume_snapshot_name.clone())
        .filter(|child| !child.is_empty())
        .collect()
}

struct PlanContext<'a> {
    cluster: &'a Cluster,
    args: &'a CloneArgs,
    api: SnapshotApi,
    source_namespace: &'a str,
    target_namespace: &'a str,
}

impl PlanContext<'_> {
    /// How long a snapshot that is not ready yet is waited for: `--timeout` with
    /// `--wait-snapshot`, else not at all.
    fn snapshot_wait(&self) -> Option<Duration> {
        self.args.wait_snapshot.then_some(self.args.timeout)
    }
}

type Planned = Result<(CloneSpec, Option<String>), (Step, Error)>;

/// Runs every per-clone check and settles the PVC's name, size and access modes. The report
/// is filled as far as the checks got, so a refused clone still shows what was known.
async fn plan(context: &PlanContext<'_>, request: &CloneRequest) -> (CloneReport, Planned) {
    let args = context.args;
    let mut report = CloneReport {
        snapshot: request.snapshot.clone(),
        snapshot_namespace: context.source_namespace.to_string(),
        namespace: context.target_namespace.to_string(),
        snapshot_api: Some(context.api),
        storage_class: args.storage_class.clone().unwrap_or_default(),
        status: Status::NotCreated,
        pvc: match &request.name {
            PvcName::Fixed(name) => name.clone(),
            PvcName::Template(_) => String::new(),
        },
        ..Default::default()
    };
    let outcome = plan_checks(context, request, &mut report).await;
    (report, outcome)
}

/// What a clone takes from its snapshot, whichever API holds it.
struct Origin {
    source: Source,
    /// The PVC the snapshot names, for `{pvc}` in `--name-template`.
    snapshot_pvc: String,
    storage_class: String,
    binds_on_first_use: bool,
    warning: Option<String>,
}

async fn plan_checks(
    context: &PlanContext<'_>,
    request: &CloneRequest,
    report: &mut CloneReport,
) -> Planned {
    let (cluster, args) = (context.cluster, context.args);
    let origin = match context.api {
        SnapshotApi::Stork => stork_origin(context, request).await?,
        SnapshotApi::Csi => csi_origin(context, request).await?,
    };
    let source = origin.source;
    report.source_pvc = source.pvc.clone();
    report.storage_class = origin.storage_class.clone();
    report.pvc = pvc_name(&request.name, &origin.snapshot_pvc, &request.snapshot)
        .map_err(|err| (Step::Config, err))?;
    let on_target = |err| (Step::Pvc, err);
    clone_pvc::check_name_free(cluster, context.target_namespace, &report.pvc)
        .await
        .map_err(on_target)?;
    let mut warning = origin.warning;
    let size = match (&args.size, &source.size) {
        (Some(requested), Some(recorded)) => {
            check_size(requested, recorded).map_err(on_target)?;
            requested.clone()
        }
        (Some(requested), None) => {
            warning = Some(format!(
                "the source PVC of snapshot {:?} is gone and no size is recorded; --size {requested} cannot be checked against it",
                request.snapshot
            ));
            requested.clone()
        }
        (None, Some(recorded)) => recorded.quantity.clone(),
        (None, None) => {
            return Err(on_target(Error::Usage(format!(
                "the source PVC of snapshot {:?} is gone and no size is recorded for it; pass --size",
                request.snapshot
            ))));
        }
    };
    let access_modes = match (&args.access_mode, source.access_modes.is_empty()) {
        (Some(mode), _) => vec![mode.clone()],
        (None, false) => source.access_modes.clone(),
        (None, true) => vec!["ReadWriteOnce".to_string()],
    };
    report.size = Some(size.clone());
    report.access_modes = access_modes.clone();
    let spec = CloneSpec {
        name: report.pvc.clone(),
        namespace: context.target_namespace.to_string(),
        snapshot: request.snapshot.clone(),
        snapshot_namespace: context.source_namespace.to_string(),
        size,
        access_modes,
        storage_class: origin.storage_class,
        labels: args.labels.clone(),
        api: context.api,
        binds_on_first_use: origin.binds_on_first_use,
    };
    Ok((spec, warning))
}

/// A STORK snapshot: Ready with its data, allowed into the target namespace; the class is
/// `--storage-class` or STORK's own, checked once for every clone.
async fn stork_origin(
    context: &PlanContext<'_>,
    request: &CloneRequest,
) -> Result<Origin, (Step, Error)> {
    let (cluster, args, wait) = (context.cluster, context.args, context.snapshot_wait());
    let on_snapshot = |err| (Step::Snapshot, err);
    let ready =
        clone_pvc::ready_snapshot(cluster, context.source_namespace, &request.snapshot, wait)
            .await
            .map_err(on_snapshot)?;
    let source = clone_pvc::read_source(cluster, &ready)
        .await
        .map_err(on_snapshot)?;
    if context.target_namespace != context.source_namespace {
        check_restore_namespace(&ready.snapshot, context.target_namespace).map_err(|reason| {
            (
                Step::Pvc,
                Error::CloneNotAllowed {
                    snapshot: request.snapshot.clone(),
                    source_namespace: context.source_namespace.to_string(),
                    target: context.target_namespace.to_string(),
                    reason,
                },
            )
        })?;
    }
    Ok(Origin {
        source,
        snapshot_pvc: ready.snapshot.spec.persistent_volume_claim_name,
        storage_class: args
            .storage_class
            .clone()
            .unwrap_or_else(|| DEFAULT_STORAGE_CLASS.to_string()),
        binds_on_first_use: false,
        warning: None,
    })
}

/// A CSI snapshot: readyToUse; the class is `--storage-class` or the source PVC's, of the
/// Portworx CSI driver, and may bind only on first use.
async fn csi_origin(
    context: &PlanContext<'_>,
    request: &CloneRequest,
) -> Result<Origin, (Step, Error)> {
    let (cluster, args, wait) = (context.cluster, context.args, context.snapshot_wait());
    let on_snapshot = |err| (Step::Snapshot, err);
    let ready = clone_csi::ready_snapshot(cluster, &request.snapshot, wait)
        .await
        .map_err(on_snapshot)?;
    let source = clone_csi::read_source(cluster, &ready)
        .await
        .map_err(on_snapshot)?;
    let storage_class = clone_csi::storage_class(args.storage_class.as_deref(), &ready, &source)
        .map_err(|err| (Step::Config, err))?;
    let class = clone_csi::check_storage_class(cluster, &storage_class)
        .await
        .map_err(|err| (Step::Pvc, err))?;
    Ok(Origin {
        source,
        snapshot_pvc: ready.pvc().unwrap_or_default().to_string(),
        storage_class,
        binds_on_first_use: class.binds_on_first_use,
        warning: class.warning,
    })
}

/// The new PVC's name: as given, or the template filled from the child snapshot and the PVC
/// it names.
fn pvc_name(name: &PvcName, snapshot_pvc: &str, snapshot: &str) -> Result<String, Error> {
    let name = match name {
        PvcName::Fixed(name) => name.clone(),
        PvcName::Template(template) => template
            .replace("{pvc}", snapshot_pvc)
            .replace("{snapshot}", snapshot),
    };
    check_object_name(&name)?;
    Ok(name)
}

/// A PVC name must be a DNS subdomain; checked here so a bad name is a usage error before
/// anything is created, not a 422 halfway through a group.
fn check_object_name(name: &str) -> Result<(), Error> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let alnum_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if name.len() <= 253 && valid_chars && alnum_ends {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{name:?} is not a valid PVC name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters"
        )))
    }
}

fn duplicate_name(specs: &[CloneSpec]) -> Option<&str> {
    let mut seen = BTreeSet::new();
    specs
        .iter()
        .map(|s| s.name.as_str())
        .find(|name| !seen.insert(*name))
}

fn fill_from(report: &mut CloneReport, pvc: &PersistentVolumeClaim) {
    report.status = Status::parse(clone_pvc::phase(pvc));
    report.volume = clone_pvc::volume(pvc);
}

/// Records how waiting for one clone ended; the error, if it did not bind.
fn settle_wait(
    report: &mut CloneReport,
    spec: &CloneSpec,
    outcome: Result<PersistentVolumeClaim, BindFailure>,
    timeout: Duration,
) -> Option<Error> {
    let (name, namespace) = (&spec.name, &spec.namespace);
    let failed = |message: &str| Error::CloneFailed {
        pvc: name.clone(),
        namespace: namespace.clone(),
        message: message.to_string(),
    };
    match outcome {
        Ok(pvc) => {
            fill_from(report, &pvc);
            None
        }
        Err(BindFailure::TimedOut) => {
            report.status = Status::TimedOut;
            Some(Error::Timeout {
                what: format!(
                    "PVC {name:?} in namespace {namespace:?} to be Bound; it is left in place (kubectl describe pvc {name} -n {namespace} shows why; delete it if unwanted)"
                ),
                after: timeout,
            })
        }
        Err(BindFailure::Lost) => {
            report.status = Status::Lost;
            Some(failed("its volume was lost (phase Lost)"))
        }
        Err(BindFailure::Deleted) => {
            report.status = Status::Deleted;
            Some(failed("it was deleted while pxsnap waited for it"))
        }
        Err(BindFailure::Api(err)) => Some(err),
    }
}

#[derive(Tabled)]
struct CloneRow {
    #[tabled(rename = "PVC")]
    pvc: String,
    #[tabled(rename = "NAMESPACE")]
    namespace: String,
    #[tabled(rename = "STATUS")]
    status: String,
    #[tabled(rename = "VOLUME")]
    volume: String,
    #[tabled(rename = "SIZE")]
    size: String,
    #[tabled(rename = "SNAPSHOT")]
    snapshot: String,
}

impl Report for CloneResult {
    fn table(&self) -> String {
        let mut text = match self.clones.as_slice() {
            [clone] if self.group.is_none() => single_summary(clone),
            clones => {
                let mut text = self
                    .group
                    .as_ref()
                    .map(|g| summary(&[("GROUP", g.clone())]) + "\n")
                    .unwrap_or_default();
                text.push_str(&plain_table(Table::new(clones.iter().map(|c| CloneRow {
                    pvc: c.pvc.clone(),
                    namespace: c.namespace.clone(),
                    status: c.status.to_string(),
                    volume: c.volume.clone().unwrap_or_else(|| "-".to_string()),
                    size: c.size.clone().unwrap_or_else(|| "-".to_string()),
                    snapshot: c.snapshot.clone(),
                }))));
                text
            }
        };
        let planned: Vec<&PersistentVolumeClaim> = self
            .clones
            .iter()
            .filter_map(|c| c.object.as_ref())
            .collect();
        if !planned.is_empty() {
            text.push_str("\nDry run: nothing was created. Would create:\n");
            for object in planned {
                text.push_str("---\n");
                text.push_str(&crate::output::report::object_yaml(object));
            }
        }
        let usable: Vec<&CloneReport> = self.clones.iter().filter(|c| c.mountable()).collect();
        if let Some(first) = usable.first() {
            text.push_str(&format!(
                "\nMount it in a pod in namespace {}:\n",
                first.namespace
            ));
            text.push_str(&volumes_snippet(usable.iter().map(|c| c.pvc.as_str())));
        }
        text
    }

    fn names(&self) -> Vec<String> {
        self.clones
            .iter()
            .filter(|c| c.exists() || c.status == Status::Planned)
            .map(|c| match c.status {
                Status::Planned => format!("persistentvolumeclaim/{} (dry run)", c.pvc),
                _ => format!("persistentvolumeclaim/{}", c.pvc),
            })
            .collect()
    }
}

fn single_summary(clone: &CloneReport) -> String {
    let mut pairs = vec![
        ("PVC", clone.pvc.clone()),
        ("NAMESPACE", clone.namespace.clone()),
        ("STATUS", clone.status.to_string()),
    ];
    if let Some(volume) = &clone.volume {
        pairs.push(("VOLUME", volume.clone()));
    }
    if let Some(size) = &clone.size {
        pairs.push(("SIZE", size.clone()));
    }
    if !clone.access_modes.is_empty() {
        pairs.push(("ACCESS-MODES", clone.access_modes.join(",")));
    }
    pairs.push(("STORAGE-CLASS", clone.storage_class.clone()));
    pairs.push((
        "SNAPSHOT",
        format!("{}/{}", clone.snapshot_namespace, clone.snapshot),
    ));
    if let Some(api) = clone.snapshot_api {
        pairs.push(("SNAPSHOT-API", api.name().to_string()));
    }
    summary(&pairs)
}

/// A `volumes:` block for a pod spec, one entry per PVC. Volume names are DNS labels (63
/// characters at most), so a longer PVC name is shortened there; `claimName` stays whole.
fn volumes_snippet<'a>(pvcs: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::from("volumes:\n");
    for pvc in pvcs {
        let volume = pvc[..pvc.len().min(63)].replace('.', "-");
        let volume = volume.trim_end_matches('-');
        text.push_str(&format!(
            "  - name: {volume}\n    persistentVolumeClaim:\n      claimName: {pvc}\n"
        ));
    }
    text
}

impl Fallible for CloneResult {
    fn error_mut(&mut self) -> &mut Option<ErrorReport> {
        &mut self.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_fills_pvc_and_snapshot() {
        let template = |t: &str| {
            pvc_name(
                &PvcName::Template(t.into()),
                "cassandra-data-cassandra-0",
                "grp-cassandra-data-cassandra-0-uid",
            )
        };
        assert_eq!(
            template("{pvc}-clone").expect("valid"),
            "cassandra-data-cassandra-0-clone"
        );
        assert_eq!(
            template("r-{snapshot}").expect("valid"),
            "r-grp-cassandra-data-cassandra-0-uid"
        );
        let bad = template("{pvc}_X").expect_err("underscore and capital");
        assert_eq!(bad.exit_code(), 2);
        assert!(bad.to_string().contains("not a valid PVC name"), "{bad}");
    }

    #[test]
    fn object_names_follow_dns_subdomain_rules() {
        assert!(check_object_name("a.b-1").is_ok());
        for bad in ["", "-a", "a-", "A", "a_b", &"a".repeat(254)] {
            assert!(check_object_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn snippet_is_ready_to_paste() {
        assert_eq!(
            volumes_snippet(["data-clone"].into_iter()),
            "volumes:\n  - name: data-clone\n    persistentVolumeClaim:\n      claimName: data-clone\n"
        );
        let long = format!("{}.x", "a".repeat(70));
        let snippet = volumes_snippet([long.as_str()].into_iter());
        assert!(
            snippet.contains(&format!("name: {}\n", "a".repeat(63))),
            "{snippet}"
        );
        assert!(
            snippet.contains(&format!("claimName: {long}\n")),
            "{snippet}"
        );
    }

    #[test]
    fn group_failures_keep_the_first_exit_code() {
        let mut result = CloneResult::new(Some("g".into()));
        result.clones = vec![CloneReport::default(), CloneReport::default()];
        let outcome = result.finish(vec![(
            Step::Wait,
            Error::Timeout {
                what: "x".into(),
                after: Duration::from_secs(1),
            },
        )]);
        let err = outcome.error.expect("failed");
        assert_eq!(err.exit_code(), 5);
        assert!(err.to_string().starts_with("1 of 2 clones failed"), "{err}");
        let json = serde_json::to_value(&outcome.result).expect("serializes");
        assert_eq!(json["kind"], "CloneResult");
        assert_eq!(json["error"]["step"], "wait");
    }
}
