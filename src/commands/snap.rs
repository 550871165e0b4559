//! `pxsnap snap`: an application-consistent snapshot of one PVC.

use serde::Serialize;

use crate::backend::stork::{self, SnapshotKind, SnapshotRequest, Stork};
use crate::cli::{GlobalArgs, SnapArgs, SnapshotOptions};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{STORK_SNAPSHOT_GROUP_VERSION, StorkVolumeSnapshot};
use crate::output::report::{ErrorReport, Fallible, Outcome, Report, hooks_table, summary};
use crate::output::status::Status;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::locate::Located;
use crate::pipeline::quiesce::FreezeWindow;
use crate::pipeline::run::{HookOptions, check_snapshottable, hook_plan, locate_targets};
use crate::pipeline::snapshot::{Ending, Job, ReleaseAt, take};
use crate::progress::Progress;
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
    pub name: String,
    pub namespace: String,
    pub pvc: String,
    #[serde(rename = "type")]
    pub type_: String,
    /// Ready, Pending, Error, TimedOut, Interrupted, NotCreated or Planned (dry run).
    pub status: Status,
    pub created_at: Option<String>,
    pub ready_at: Option<String>,
    pub snapshot_data: Option<String>,
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
        vec![format!("{SNAPSHOT_RESOURCE}/{}", self.snapshot.name)]
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
}

pub async fn run(
    global: &GlobalArgs,
    args: &SnapArgs,
    signals: &mut Signals,
) -> Outcome<SnapResult> {
    let job = SnapJob {
        pvc: &args.pvc,
        hooks: args.hooks.options(),
        kind: SnapshotKind::Local,
        timeout: args.timeout,
        options: &args.snapshot,
        heartbeat: None,
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
    let releases_early = !job.hooks.pre.is_empty()
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
    if let Err(err) = cluster
        .require_api_group(STORK_SNAPSHOT_GROUP_VERSION)
        .await
    {
        return result.fail(Step::Config, err);
    }
    progress.step(format!("checking PVC {}", job.pvc));
    if let Err(err) = check_snapshottable(&cluster, &namespace, job.pvc).await {
        return result.fail(Step::Pvc, err);
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
    let request = SnapshotRequest {
        name: result.snapshot.name.clone(),
        namespace: namespace.clone(),
        pvc: job.pvc.to_string(),
        kind: job.kind.clone(),
        labels: job.options.labels.clone(),
    };
    let object = stork::build(&request);
    if job.options.dry_run {
        drop(progress);
        let plan = crate::output::report::render_plan(
            global.output,
            "SnapPlan",
            &located,
            &job.hooks,
            &object,
            format!("{SNAPSHOT_RESOURCE}/{}", request.name),
        );
        result.snapshot.status = Status::Planned;
        return Outcome::planned(result, plan);
    }

    let plan = hook_plan(&located, &job.hooks);
    if !job.hooks.pre.is_empty() {
        progress.step(format!(
            "running pre commands in {} pod(s)",
            plan.targets.len()
        ));
    }
    let snapshot_job = Job {
        object,
        hooks: plan,
        timeout: job.timeout,
        cut_timeout: job.timeout,
        release_at: ReleaseAt::Cut,
        no_wait: job.options.no_wait,
        keep_failed: job.options.keep_failed,
        progress: &progress,
        heartbeat: job.heartbeat.filter(|_| !global.quiet),
    };
    let taken = take::<Stork>(&cluster, snapshot_job, signals, &mut result.warnings).await;
    drop(progress);
    result.hooks = taken.hooks;
    result.freeze = taken.freeze;
    if let Some(snapshot) = &taken.latest {
        fill_snapshot(&mut result.snapshot, snapshot);
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

fn fill_snapshot(report: &mut SnapshotReport, snapshot: &StorkVolumeSnapshot) {
    report.status = Status::from(&snapshot.phase());
    report.created_at = snapshot
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string());
    report.ready_at = snapshot.ready_at();
    report.snapshot_data = Some(snapshot.spec.snapshot_data_name.clone()).filter(|s| !s.is_empty());
}

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
        .collect()
}

impl Fallible for SnapResult {
    fn error_mut(&mut self) -> &mut Option<ErrorReport> {
        &mut self.error
    }
}
