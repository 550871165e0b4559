//! `pxsnap snap`: an application-consistent snapshot of one PVC.

use std::collections::BTreeMap;

use serde::Serialize;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::backend::csi::{self, Csi, CsiRequest};
use crate::backend::csi_classes::Wanted;
use crate::backend::snapshot_api::{self, Decision, Preference, SnapshotApi, decide};
use crate::backend::snapshotter::{Snapshotter, Stage};
use crate::backend::stork::{self, SnapshotKind, SnapshotRequest, Stork};
use crate::cli::{GlobalArgs, SnapArgs, SnapshotOptions};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{CSI_SNAPSHOT_GROUP_VERSION, CsiVolumeSnapshot};
use crate::k8s::resources::{STORK_SNAPSHOT_GROUP_VERSION, StorkVolumeSnapshot};
use crate::output::report::{ErrorReport, Fallible, Outcome, Report, hooks_table, summary};
use crate::output::status::Status;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::locate::Located;
use crate::pipeline::quiesce::FreezeWindow;
use crate::pipeline::run::{HookOptions, check_snapshottable, hook_plan, locate_targets};
use crate::pipeline::snapshot::{Ending, Job, take};
use crate::progress::{Progress, warn_and_record};
use crate::signals::Signals;

/// How `-o name` spells a STORK VolumeSnapshot, as kubectl does.
const SNAPSHOT_RESOURCE: &str = "volumesnapshot.volumesnapshot.external-storage.k8s.io";

/// The `-o json` document of `snap` and `cloud-snap`; its shape is documented in docs/output.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapResult {
    pub kind: &'static str,
    pub snapshot: SnapshotReport,
    pub hooks: Vec<HookRecord>,
    pub freeze: Option<FreezeWindow>,
    pub warnings: Vec<String>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotReport {
    /// The snapshot API used: `volumesnapshot.external-storage.k8s.io/v1` (STORK's) or
    /// `snapshot.storage.k8s.io/v1` (CSI); empty until chosen.
    pub api_version: String,
    pub kind: String,
    /// How `-o name` spells the resource.
    #[serde(skip)]
    name_resource: &'static str,
    pub name: String,
    pub namespace: String,
    pub pvc: String,
    #[serde(rename = "type")]
    pub type_: String,
    /// Ready, Pending, Error, TimedOut, Interrupted, NotCreated or Planned (dry run).
    pub status: Status,
    pub created_at: Option<String>,
    /// When the snapshot was cut: CSI's `status.creationTime`; on STORK's API, which shows no
    /// cut, the moment it was Ready (when pxsnap released).
    pub cut_at: Option<String>,
    pub ready_at: Option<String>,
    /// STORK's VolumeSnapshotData, or CSI's bound VolumeSnapshotContent.
    pub snapshot_data: Option<String>,
    /// The VolumeSnapshotClass of a CSI snapshot (none when the snapshot-controller picked it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The cloud credential used (cloud snapshots only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// True when pxsnap deleted the snapshot after a failure, timeout or interruption.
    pub deleted: bool,
}

impl SnapResult {
    fn new(snapshot: SnapshotReport) -> SnapResult {
        SnapResult {
            kind: "SnapResult",
            snapshot,
            hooks: Vec::new(),
            freeze: None,
            warnings: Vec::new(),
            error: None,
        }
    }
}

impl Report for SnapResult {
    fn table(&self) -> String {
        let s = &self.snapshot;
        let mut pairs = vec![
            ("SNAPSHOT", s.name.clone()),
            ("NAMESPACE", s.namespace.clone()),
            ("PVC", s.pvc.clone()),
            ("TYPE", s.type_.clone()),
            ("API", s.api_label().to_string()),
            (
                "STATUS",
                if s.deleted {
                    format!("{} (deleted)", s.status)
                } else {
                    s.status.to_string()
                },
            ),
        ];
        if let Some(data) = &s.snapshot_data {
            pairs.push(("SNAPSHOT-DATA", data.clone()));
        }
        if let Some(class) = &s.class {
            pairs.push(("CLASS", class.clone()));
        }
        if let Some(cred) = &s.credential {
            pairs.push(("CREDENTIAL", cred.clone()));
        }
        if let Some(freeze) = &self.freeze {
            pairs.push((
                "FREEZE",
                crate::duration::human(std::time::Duration::from_millis(freeze.duration_ms)),
            ));
        }
        let mut text = summary(&pairs);
        if !self.hooks.is_empty() {
            text.push('\n');
            text.push_str(&hooks_table(&self.hooks));
        }
        text
    }

    fn names(&self) -> Vec<String> {
        if self.snapshot.status == Status::NotCreated || self.snapshot.deleted {
            return Vec::new();
        }
        vec![self.snapshot.name_output()]
    }
}

impl SnapshotReport {
    /// Records which API the snapshot goes through, from the object built for it.
    fn describe_api(&mut self, object: &impl Reported) {
        let (api_version, kind, name_resource) = object.api();
        self.api_version = api_version.to_string();
        self.kind = kind.to_string();
        self.name_resource = name_resource;
    }

    /// `stork` or `csi`, as the API row and `list` say it.
    fn api_label(&self) -> &'static str {
        match self.api_version.as_str() {
            CSI_SNAPSHOT_GROUP_VERSION => SnapshotApi::Csi.name(),
            STORK_SNAPSHOT_GROUP_VERSION => SnapshotApi::Stork.name(),
            _ => "",
        }
    }

    /// `<resource>/<name>`, as kubectl's `-o name` prints it.
    fn name_output(&self) -> String {
        format!("{}/{}", self.name_resource, self.name)
    }
}

/// What `snap` and `cloud-snap` share beyond the hooks: which snapshot, how long to wait.
pub struct SnapJob<'a> {
    pub pvc: &'a str,
    pub hooks: HookOptions,
    pub kind: SnapshotKind,
    pub timeout: std::time::Duration,
    pub options: &'a SnapshotOptions,
    /// Print a plain "still uploading" line this often when stderr is not a terminal, so a CI
    /// log shows the job is alive during a long upload.
    pub heartbeat: Option<std::time::Duration>,
    /// A manifest's own annotations (`apply`); none for `snap` and `cloud-snap`.
    pub annotations: BTreeMap<String, String>,
}

pub async fn run(
    global: &GlobalArgs,
    args: &SnapArgs,
    signals: &mut Signals,
) -> Outcome<SnapResult> {
    let job = SnapJob {
        pvc: &args.pvc,
        hooks: args.hooks.options(args.snapshot.force),
        kind: SnapshotKind::Local,
        timeout: args.timeout,
        options: &args.snapshot,
        heartbeat: None,
        annotations: BTreeMap::new(),
    };
    run_job(global, &job, signals).await
}

/// The whole pipeline for one PVC. Every exit path returns a complete [`SnapResult`], so `-o
/// json` always prints the same shape.
pub async fn run_job(
    global: &GlobalArgs,
    job: &SnapJob<'_>,
    signals: &mut Signals,
) -> Outcome<SnapResult> {
    let mut result = SnapResult::new(SnapshotReport {
        name: job
            .options
            .name
            .clone()
            .unwrap_or_else(|| stork::default_name(job.pvc, jiff::Timestamp::now())),
        pvc: job.pvc.to_string(),
        type_: job.kind.label().to_string(),
        status: Status::NotCreated,
        credential: match &job.kind {
            SnapshotKind::Cloud(cloud) => cloud.cred_id.clone(),
            SnapshotKind::Local => None,
        },
        ..Default::default()
    });
    if let Err(err) = crate::k8s::names::check_name("PVC", job.pvc) {
        return result.fail(Step::Config, err);
    }
    // A local snapshot's post command only notifies; a cloud snapshot's releases the app
    // that must stay quiesced until the upload ends, so there --post alone is refused too.
    let releases_early = job.hooks.quiesces()
        || (matches!(job.kind, SnapshotKind::Cloud(_)) && !job.hooks.post.is_empty());
    if job.options.no_wait && releases_early && !job.options.force {
        return result.fail(
            Step::Config,
            Error::Usage(
                "--no-wait with pre/post commands would release the application before the snapshot is cut; drop --no-wait or add --force".into(),
            ),
        );
    }
    let progress = Progress::new(!global.quiet && !global.no_progress);
    progress.step("connecting");
    let cluster = match Cluster::connect(&global.target(), job.timeout).await {
        Ok(cluster) => cluster,
        Err(err) => return result.fail(Step::Config, err),
    };
    result.snapshot.namespace = cluster.namespace.clone();
    let namespace = cluster.namespace.clone();
    let api = &job.options.api;
    let preference = api.api.preference();
    // Pinned to STORK's API, its absence is the first thing to say, before any PVC is read.
    if preference == Preference::Only(SnapshotApi::Stork)
        && let Err(err) = cluster
            .require_api_group(STORK_SNAPSHOT_GROUP_VERSION)
            .await
    {
        return result.fail(Step::Config, err);
    }
    progress.step(format!("checking PVC {}", job.pvc));
    let volume = match check_snapshottable(&cluster, &namespace, job.pvc).await {
        Ok((_, volume)) => volume,
        Err(err) => return result.fail(Step::Pvc, err),
    };
    let wanted = match &job.kind {
        SnapshotKind::Local => Wanted::Local,
        SnapshotKind::Cloud(cloud) => Wanted::Cloud {
            cred_id: cloud.cred_id.as_deref(),
        },
    };
    let decided = match snapshot_api::offer(&cluster, preference, &volume).await {
        Ok(offer) => decide(
            job.pvc,
            &volume,
            preference,
            &offer,
            wanted,
            job.options.class.as_deref(),
        ),
        Err(err) => Err(err),
    };
    let decided =
        match decided.and_then(|d| refuse_stork_only_flags(&d.decision, &job.kind).map(|_| d)) {
            Ok(decided) => decided,
            Err(err) => return result.fail(Step::Config, err),
        };
    if let Some(note) = &decided.note {
        progress.println(&format!("note: {note}"));
    }
    progress.step("locating pods");
    let located =
        match locate_targets(&cluster, &namespace, &[job.pvc.to_string()], &job.hooks).await {
            Ok(located) => located,
            Err(err) => return result.fail(Step::Locate, err),
        };
    result.warnings = warnings(&located, job.pvc);
    for warning in &result.warnings {
        progress.warn(warning);
    }
    let taking = Taking {
        global,
        job,
        cluster: &cluster,
        located: &located,
        progress,
    };
    match decided.decision {
        Decision::Stork => {
            let object = stork::build(&SnapshotRequest {
                name: result.snapshot.name.clone(),
                namespace: namespace.clone(),
                pvc: job.pvc.to_string(),
                kind: job.kind.clone(),
                labels: job.options.labels.clone(),
                annotations: job.annotations.clone(),
            });
            taking.take::<Stork>(object, result, signals).await
        }
        Decision::Csi { class } => {
            result.snapshot.class = class.as_ref().map(|c| c.name.clone());
            let retain = class
                .as_ref()
                .is_some_and(|c| c.deletion_policy == "Retain");
            let object = csi::build(&CsiRequest {
                name: result.snapshot.name.clone(),
                namespace: namespace.clone(),
                pvc: job.pvc.to_string(),
                class: class.map(|c| c.name),
                labels: job.options.labels.clone(),
                annotations: job.annotations.clone(),
            });
            let mut outcome = taking.take::<Csi>(object, result, signals).await;
            if retain {
                warn_retained(&mut outcome.result);
            }
            outcome
        }
    }
}

/// `cloud-snap`'s options that only STORK's annotations carry: under CSI the class decides.
fn refuse_stork_only_flags(decision: &Decision, kind: &SnapshotKind) -> Result<(), Error> {
    let (Decision::Csi { .. }, SnapshotKind::Cloud(cloud)) = (decision, kind) else {
        return Ok(());
    };
    let refused = match (cloud.incremental_count, cloud.delete_local) {
        (Some(_), _) => {
            "--incremental-count has no CSI equivalent: set the class parameter csi.openstorage.org/snapshot-incremental-count instead, or use --api stork"
        }
        (None, true) => "--delete-local has no CSI equivalent; use --api stork to keep it",
        (None, false) => return Ok(()),
    };
    Err(Error::Usage(refused.to_string()))
}

/// A deleted snapshot whose class retains its content leaves the data behind: say where.
fn warn_retained(result: &mut SnapResult) {
    if !result.snapshot.deleted {
        return;
    }
    let content = match &result.snapshot.snapshot_data {
        Some(content) => format!("VolumeSnapshotContent {content:?}"),
        None => "its VolumeSnapshotContent".to_string(),
    };
    let delete_with = match &result.snapshot.snapshot_data {
        Some(content) => format!("kubectl delete volumesnapshotcontent {content}"),
        None => {
            "kubectl get volumesnapshotcontents, then kubectl delete volumesnapshotcontent NAME"
                .to_string()
        }
    };
    let warning = format!(
        "class {:?} has deletionPolicy Retain: {content} and the snapshot's data stay; to delete them: {delete_with}",
        result.snapshot.class.clone().unwrap_or_default()
    );
    warn_and_record(&mut result.warnings, warning);
}

/// What taking the snapshot needs once the API is chosen, whichever API it is.
struct Taking<'a> {
    global: &'a GlobalArgs,
    job: &'a SnapJob<'a>,
    cluster: &'a Cluster,
    located: &'a Located,
    progress: Progress,
}

impl Taking<'_> {
    async fn take<S: Snapshotter>(
        self,
        object: S::Object,
        mut result: SnapResult,
        signals: &mut Signals,
    ) -> Outcome<SnapResult>
    where
        S::Object: Reported,
    {
        let Taking {
            global,
            job,
            cluster,
            located,
            progress,
        } = self;
        result.snapshot.describe_api(&object);
        if job.options.dry_run {
            drop(progress);
            let plan = crate::output::report::render_plan(
                "SnapPlan",
                located,
                &job.hooks,
                &object,
                result.snapshot.name_output(),
            );
            result.snapshot.status = Status::Planned;
            return Outcome::planned(result, plan);
        }
        let plan = hook_plan(located, &job.hooks);
        if job.hooks.quiesces() {
            progress.step(format!(
                "running pre commands in {} pod(s)",
                plan.targets.len()
            ));
        }
        let api = &job.options.api;
        let snapshot_job = Job {
            object,
            hooks: plan,
            timeout: job.timeout,
            cut_timeout: api.release.cut_timeout,
            release_at: api.release.release_at.release_at(),
            no_wait: job.options.no_wait,
            keep_failed: job.options.keep_failed,
            progress: &progress,
            heartbeat: job.heartbeat.filter(|_| !global.quiet),
        };
        let taken = take::<S>(cluster, snapshot_job, signals, &mut result.warnings).await;
        drop(progress);
        result.hooks = taken.hooks;
        result.freeze = taken.freeze;
        if let Some(snapshot) = &taken.latest {
            snapshot.fill(&mut result.snapshot);
        }
        result.snapshot.cut_at = taken.cut_at;
        if result.snapshot.ready_at.is_none() {
            result.snapshot.ready_at = taken.ready_seen_at;
        }
        match taken.ending {
            Ending::TimedOut => result.snapshot.status = Status::TimedOut,
            Ending::Deleted => result.snapshot.status = Status::Deleted,
            Ending::Interrupted => result.snapshot.status = Status::Interrupted,
            _ => {}
        }
        result.snapshot.deleted = taken.deleted;
        match taken.error {
            Some((step, err)) => result.fail(step, err),
            None => Outcome::ok(result),
        }
    }
}

/// A snapshot object as `SnapResult` reports it.
trait Reported {
    /// `apiVersion`, `kind` and how `-o name` spells the resource.
    fn api(&self) -> (&str, &str, &'static str);
    fn fill(&self, report: &mut SnapshotReport);
}

impl Reported for StorkVolumeSnapshot {
    fn api(&self) -> (&str, &str, &'static str) {
        (&self.api_version, &self.kind, SNAPSHOT_RESOURCE)
    }

    fn fill(&self, report: &mut SnapshotReport) {
        report.status = Status::from(&self.phase());
        report.created_at = created_at(&self.metadata);
        report.ready_at = self.ready_at();
        report.snapshot_data = Some(self.spec.snapshot_data_name.clone()).filter(|s| !s.is_empty());
    }
}

impl Reported for CsiVolumeSnapshot {
    fn api(&self) -> (&str, &str, &'static str) {
        (&self.api_version, &self.kind, csi::NAME_RESOURCE)
    }

    /// `snapshotData` is the bound VolumeSnapshotContent: where the data is, as STORK's
    /// VolumeSnapshotData is.
    fn fill(&self, report: &mut SnapshotReport) {
        report.status = match Csi::stage(self) {
            Stage::Ready { .. } => Status::Ready,
            Stage::Failed(_) => Status::Error,
            Stage::Pending(_) | Stage::Cut { .. } => Status::Pending,
        };
        report.created_at = created_at(&self.metadata);
        report.snapshot_data = self
            .status
            .as_ref()
            .and_then(|s| s.bound_volume_snapshot_content_name.clone());
    }
}

fn created_at(metadata: &ObjectMeta) -> Option<String> {
    metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
}

/// Pods that mount the PVC but cannot take commands, and what the Rules select oddly.
fn warnings(located: &Located, pvc: &str) -> Vec<String> {
    located
        .skipped
        .iter()
        .map(|s| {
            format!(
                "pod {:?} mounts PVC {pvc:?} but {}; no commands run there",
                s.pod, s.reason
            )
        })
        .chain(located.rules.warnings.iter().cloned())
        .collect()
}

impl Fallible for SnapResult {
    fn error_mut(&mut self) -> &mut Option<ErrorReport> {
        &mut self.error
    }
}
