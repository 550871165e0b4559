//! The freeze window: pre commands across pods, and the guarantee that every pod whose pre
//! command started gets its post commands.
//!
//! [`freeze`] returns a [`Frozen`] value whatever happened (all pre commands succeeded, one
//! failed, a signal arrived). The only ways to get rid of a `Frozen` are [`Frozen::release`] or
//! dropping it, and its `Drop` runs the release too, so an early `return` or `?` in a subcommand
//! cannot leave an application frozen.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::error::Signal;
use crate::hooks::{HookPhase, HookRecord, run_hook};
use crate::locate::HookTarget;
use crate::signals::Signals;

/// What to run where.
#[derive(Clone, Debug)]
pub struct HookPlan {
    pub targets: Vec<HookTarget>,
    pub pre: Vec<String>,
    pub post: Vec<String>,
    pub timeout: Duration,
    /// Most exec streams open at once.
    pub parallel: usize,
}

/// Attempts for a post command whose exec stream failed (not a non-zero exit: the command's
/// own verdict is final). A dropped connection must not leave an app frozen.
const POST_ATTEMPTS: u32 = 3;
const POST_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Pods whose pre command started and that have not been released yet.
#[must_use = "a Frozen value must be released; dropping it releases synchronously"]
pub struct Frozen {
    client: Client,
    plan: Arc<HookPlan>,
    /// Indices into `plan.targets` whose pre command started.
    started: BTreeSet<usize>,
    pub records: Vec<HookRecord>,
    pub pre_failure: Option<String>,
    pub interrupted: Option<Signal>,
    started_at: Option<(Instant, jiff::Timestamp)>,
    released: bool,
}

/// The freeze window as reported: from the first pre command's start to the last post
/// command's end, i.e. the longest any application may have been quiesced.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreezeWindow {
    pub started_at: String,
    pub ended_at: String,
    pub duration_ms: u64,
}

/// The result of a release.
pub struct Released {
    pub records: Vec<HookRecord>,
    pub post_failure: Option<String>,
    pub window: Option<FreezeWindow>,
}

impl Released {
    /// Nothing was frozen, so nothing was released.
    pub fn nothing() -> Released {
        Released {
            records: Vec::new(),
            post_failure: None,
            window: None,
        }
    }
}

/// Runs the pre commands, in order, in every target (pods concurrently, at most
/// `plan.parallel` at once). After the first failure no further pod is started; pods already
/// running their pre command finish it (each is bounded by the hook timeout). A signal stops the
/// wait at once; in-flight exec streams are dropped, which kills those commands.
pub async fn freeze(client: &Client, plan: HookPlan, signals: &mut Signals) -> Frozen {
    let plan = Arc::new(plan);
    let mut frozen = Frozen {
        client: client.clone(),
        plan: plan.clone(),
        started: BTreeSet::new(),
        records: Vec::new(),
        pre_failure: None,
        interrupted: None,
        started_at: None,
        released: false,
    };
    if plan.pre.is_empty() || plan.targets.is_empty() {
        // Nothing quiesces the app, but post commands still run everywhere (they may be
        // notifications); treat every target as started so release reaches them.
        frozen.started = (0..plan.targets.len()).collect();
        if !plan.targets.is_empty() && !plan.post.is_empty() {
            frozen.started_at = Some((Instant::now(), jiff::Timestamp::now()));
        }
        return frozen;
    }
    frozen.started_at = Some((Instant::now(), jiff::Timestamp::now()));
    let started = Arc::new(Mutex::new(BTreeSet::new()));
    let failed = Arc::new(AtomicBool::new(false));
    let limit = Arc::new(Semaphore::new(plan.parallel.max(1)));
    let mut jobs: FuturesUnordered<_> = plan
        .targets
        .iter()
        .enumerate()
        .map(|(index, target)| {
            let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
            let (plan, started, failed, limit) =
                (plan.clone(), started.clone(), failed.clone(), limit.clone());
            async move {
                let Ok(_permit) = limit.acquire().await else {
                    return Vec::new();
                };
                if failed.load(Ordering::SeqCst) {
                    return Vec::new();
                }
                started
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(index);
                let target = &plan.targets[index];
                let mut records = Vec::new();
                for command in &plan.pre {
                    let record =
                        run_hook(&pods, target, HookPhase::Pre, command, plan.timeout).await;
                    let ok = record.succeeded();
                    records.push(record);
                    if !ok {
                        failed.store(true, Ordering::SeqCst);
                        break;
                    }
                }
                records
            }
        })
        .collect();
    let mut records = Vec::new();
    loop {
        tokio::select! {
            next = jobs.next() => match next {
                Some(done) => records.extend(done),
                None => break,
            },
            signal = signals.recv() => {
                frozen.interrupted = Some(signal);
                break;
            }
        }
    }
    drop(jobs);
    frozen.started = std::mem::take(&mut *started.lock().unwrap_or_else(PoisonError::into_inner));
    frozen.pre_failure = records
        .iter()
        .find(|r| !r.succeeded())
        .map(HookRecord::failure_line);
    frozen.records = records;
    frozen
}

impl Frozen {
    /// Whether the snapshot may be taken: every pre command succeeded and no signal came.
    pub fn is_quiesced(&self) -> bool {
        self.pre_failure.is_none() && self.interrupted.is_none()
    }

    /// Targets still frozen, for the "still frozen" message on a second Ctrl-C.
    fn frozen_targets(&self) -> Vec<&HookTarget> {
        self.started
            .iter()
            .map(|&i| &self.plan.targets[i])
            .collect()
    }

    /// Runs the post commands in every pod whose pre command started. Further signals during
    /// the release do not stop it; each one prints what is still frozen and where.
    pub async fn release(mut self, signals: &mut Signals) -> Released {
        let still_frozen: Vec<String> = self
            .frozen_targets()
            .iter()
            .map(|t| {
                format!(
                    "pod {:?} (container {:?}) in namespace {:?}",
                    t.pod, t.container, t.namespace
                )
            })
            .collect();
        let work = self.release_now();
        tokio::pin!(work);
        loop {
            tokio::select! {
                released = &mut work => return released,
                signal = signals.recv() => {
                    eprintln!(
                        "pxsnap: {} received while releasing; still running post commands for: {}",
                        signal.name(),
                        still_frozen.join(", ")
                    );
                }
            }
        }
    }

    async fn release_now(&mut self) -> Released {
        self.released = true;
        let plan = self.plan.clone();
        let limit = Arc::new(Semaphore::new(plan.parallel.max(1)));
        let jobs: FuturesUnordered<_> = self
            .started
            .iter()
            .map(|&index| {
                let pods: Api<Pod> =
                    Api::namespaced(self.client.clone(), &plan.targets[index].namespace);
                let (plan, limit) = (plan.clone(), limit.clone());
                async move {
                    let _permit = limit.acquire().await.ok();
                    let target = &plan.targets[index];
                    let mut records = Vec::new();
                    // Every post command runs even when an earlier one failed: each may undo a
                    // different part of the freeze.
                    for command in &plan.post {
                        records.push(run_post(&pods, target, command, plan.timeout).await);
                    }
                    records
                }
            })
            .collect();
        let post_records: Vec<HookRecord> = jobs
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        let post_failure = post_records
            .iter()
            .find(|r| !r.succeeded())
            .map(HookRecord::failure_line);
        let window = self.started_at.map(|(instant, wall)| {
            let elapsed = instant.elapsed();
            FreezeWindow {
                started_at: wall.to_string(),
                ended_at: jiff::Timestamp::now().to_string(),
                duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            }
        });
        let mut records = std::mem::take(&mut self.records);
        records.extend(post_records);
        self.started.clear();
        Released {
            records,
            post_failure,
            window,
        }
    }
}

/// A post command, retried when the exec stream itself failed (the command reported nothing),
/// because a lost connection must not leave the app frozen.
async fn run_post(
    pods: &Api<Pod>,
    target: &HookTarget,
    command: &str,
    timeout: Duration,
) -> HookRecord {
    let mut attempt = 1;
    loop {
        let record = run_hook(pods, target, HookPhase::Post, command, timeout).await;
        if !record.stream_lost || attempt >= POST_ATTEMPTS {
            return record;
        }
        tracing::warn!(pod = %target.pod, attempt, error = ?record.error, "post command did not complete; retrying");
        tokio::time::sleep(POST_RETRY_DELAY).await;
        attempt += 1;
    }
}

impl Drop for Frozen {
    /// The safety net: a `Frozen` dropped without `release` (an early return, a panic unwinding
    /// through the command) still runs the post commands before the process goes on.
    fn drop(&mut self) {
        if self.released || self.started.is_empty() {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            eprintln!(
                "pxsnap: cannot run post commands outside the runtime; pods may still be frozen"
            );
            return;
        };
        eprintln!("pxsnap: releasing frozen pods before exiting");
        let released = tokio::task::block_in_place(|| handle.block_on(self.release_now()));
        if let Some(failure) = released.post_failure {
            eprintln!("pxsnap: {failure}");
        }
    }
}
