//! `pxsnap snap`: an application-consistent snapshot of one PVC.

use serde::Serialize;

use crate::backend::stork::{self, SnapshotKind, SnapshotRequest, WaitFailure};
use crate::cli::{GlobalArgs, SnapArgs, SnapshotOptions};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{STORK_SNAPSHOT_GROUP_VERSION, StorkVolumeSnapshot};
use crate::output::report::{ErrorReport, Fallible, Outcome, Report, hooks_table, summary};
use crate::output::status::Status;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::locate::Located;
use crate::pipeline::quiesce::FreezeWindow;
use crate::pipeline::run::{
    AfterRelease, HookOptions, Unfinished, Verdict, check_snapshottable, hook_plan, locate_targets,
    run_frozen,
};
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
    let snapshot_step = async {
        progress.step(format!("creating snapshot {}", request.name));
        let created = stork::create(&cluster, &object).await?;
        if job.options.no_wait {
            return Ok(Ok(created));
        }
        progress.step(format!("waiting for snapshot {} to be cut", request.name));
        let last_message = std::cell::RefCell::new(String::new());
        let wait =
            stork::wait_until_final(&cluster, &namespace, &request.name, job.timeout, |snap| {
                if let crate::k8s::resources::SnapshotPhase::Pending(Some(message)) = snap.phase() {
                    progress.step(format!("{}: {message}", request.name));
                    *last_message.borrow_mut() = message;
                }
            });
        let waited = match job
            .heartbeat
            .filter(|_| !progress.is_drawn() && !global.quiet)
        {
            Some(every) => {
                let started = std::time::Instant::now();
                with_heartbeat(wait, every, || {
                    crate::stderr_line!(
                        "pxsnap: still waiting for snapshot {} ({} elapsed) {}",
                        request.name,
                        crate::duration::human(started.elapsed()),
                        last_message.borrow()
                    )
                })
                .await
            }
            None => wait.await,
        };
        Ok::<_, Error>(waited.map_err(|failure| (created, failure)))
    };
    let run = run_frozen(&cluster, plan, signals, snapshot_step).await;
    drop(progress);
    let mut verdict = Verdict::new(&run);
    result.hooks = run.released.records;
    result.freeze = run.released.window;
    match run.value {
        None => {}
        Some(Err(create_error)) => verdict.create_failed(create_error),
        Some(Ok(Ok(snapshot))) => fill_snapshot(&mut result.snapshot, &snapshot),
        Some(Ok(Err((created, failure)))) => {
            fill_snapshot(&mut result.snapshot, &created);
            let name = request.name.clone();
            match failure {
                WaitFailure::Failed { snapshot, message } => {
                    fill_snapshot(&mut result.snapshot, &snapshot);
                    verdict.failed(
                        Step::Snapshot,
                        Error::SnapshotFailed { name, message },
                        Some("failed"),
                    );
                }
                WaitFailure::TimedOut { last } => {
                    if let Some(last) = last {
                        fill_snapshot(&mut result.snapshot, &last);
                    }
                    result.snapshot.status = Status::TimedOut;
                    let what = format!("snapshot {name:?} to be Ready");
                    verdict.failed(
                        Step::Wait,
                        Error::Timeout {
                            what,
                            after: job.timeout,
                        },
                        Some("timed out"),
                    );
                }
                WaitFailure::Deleted => {
                    result.snapshot.status = Status::Deleted;
                    let message = "it was deleted while pxsnap waited for it".to_string();
                    verdict.failed(Step::Wait, Error::SnapshotFailed { name, message }, None);
                }
                WaitFailure::Api(err) => {
                    verdict.failed(Step::Wait, err, Some("could not be watched"))
                }
            }
        }
    }
    if verdict.interrupted(run.interrupted, result.snapshot.status == Status::Ready) {
        result.snapshot.status = Status::Interrupted;
    }
    let mut after = AfterRelease::new(signals);
    let object = Unfinished::snapshot(&request.name, &namespace);
    let delete = stork::delete_own(&cluster, &namespace, &request.name);
    let keep = job.options.keep_failed;
    let (deleted, error) = verdict
        .conclude(
            &object,
            keep,
            &mut after,
            delete,
            run.post_failures,
            &mut result.warnings,
        )
        .await;
    result.snapshot.deleted = deleted;
    match error {
        Some((step, err)) => result.fail(step, err),
        None => Outcome::ok(result),
    }
}

/// Awaits `work`, calling `beat` every `every` until it finishes.
async fn with_heartbeat<T>(
    work: impl std::future::Future<Output = T>,
    every: std::time::Duration,
    beat: impl Fn(),
) -> T {
    tokio::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => beat(),
        }
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
