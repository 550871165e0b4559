//! The freeze window: pre commands across pods, and the guarantee that every pod whose pre
//! command may have started gets its post commands.
//!
//! [`freeze`] returns a [`Frozen`] value whatever happened (all pre commands succeeded, one
//! failed, a signal arrived). The only ways to get rid of a `Frozen` are [`Frozen::release`] or
//! dropping it, and its `Drop` runs the release too, so an early `return` or `?` in a subcommand
//! cannot leave an application frozen.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
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
use crate::pipeline::hold::{HoldPlan, Sessions, any_ended, hold_all, let_go_all};
use crate::pipeline::hooks::{
    Command, HookPhase, HookRecord, RuleRef, StartOutcome, run_hook, run_retried,
};
use crate::pipeline::locate::HookTarget;
use crate::signals::Signals;

/// What to run where.
#[derive(Clone, Debug)]
pub struct HookPlan {
    /// The containers that mount the PVCs (the first `located`), then those only Rules select.
    pub targets: Vec<HookTarget>,
    /// How many of `targets` take `--pre`, `--hold` and `--post`.
    pub located: usize,
    pub pre: Vec<String>,
    /// Commands that hold across the cut (`--hold`), each with `${WAIT_CMD}`.
    pub hold: Vec<String>,
    /// How long a held command's wait script waits at most (`--hold-timeout`).
    pub hold_timeout: Duration,
    pub post: Vec<String>,
    pub timeout: Duration,
    /// Most exec streams open at once.
    pub parallel: usize,
    /// The pre-Rule's foreground actions, run before `pre`, one stage after another.
    pub pre_rule: Vec<Stage>,
    /// The pre-Rule's background actions, held with the `--hold` commands.
    pub rule_hold: Vec<Stage>,
    /// The post-Rule's actions, run after `post`, one stage after another.
    pub post_rule: Vec<Stage>,
}

/// One Rule action: one command run at once in every one of its targets.
#[derive(Clone, Debug)]
pub struct Stage {
    pub rule: RuleRef,
    pub command: String,
    /// Indices into the plan's targets.
    pub targets: Vec<usize>,
}

impl Stage {
    fn command(&self) -> Command {
        Command {
            text: self.command.clone(),
            rule: Some(self.rule.clone()),
        }
    }
}

impl HookPlan {
    /// The targets a command quiesces before the snapshot: only these can be left frozen.
    fn quiesced(&self) -> BTreeSet<usize> {
        let located = (!self.pre.is_empty()).then_some(0..self.located);
        let ruled = self.pre_rule.iter().flat_map(|s| s.targets.iter().copied());
        located.into_iter().flatten().chain(ruled).collect()
    }

    /// Whether anything runs after the pre commands.
    fn releases_something(&self) -> bool {
        !self.post.is_empty()
            || !self.hold.is_empty()
            || !self.rule_hold.is_empty()
            || !self.post_rule.is_empty()
    }

    /// The given commands of `list` for `index`: only the PVCs' containers take them.
    fn given(&self, list: &[String], index: usize) -> Vec<Command> {
        match index < self.located {
            true => list.iter().map(|c| Command::given(c)).collect(),
            false => Vec::new(),
        }
    }

    /// Each target's held commands: `--hold`, then the pre-Rule's background actions.
    fn held(&self) -> Vec<Vec<Command>> {
        let mut held: Vec<Vec<Command>> = (0..self.targets.len())
            .map(|index| self.given(&self.hold, index))
            .collect();
        for stage in &self.rule_hold {
            for &index in &stage.targets {
                held[index].push(stage.command());
            }
        }
        held
    }
}

/// Attempts for a post command whose exec stream failed (not a non-zero exit: the command's
/// own verdict is final), in a pod whose pre command may have run. A dropped connection must
/// not leave an app frozen.
const POST_ATTEMPTS: u32 = 3;

/// Pods whose pre command started and that have not been released yet.
#[must_use = "a Frozen value must be released; dropping it releases synchronously"]
pub struct Frozen {
    client: Client,
    plan: Arc<HookPlan>,
    /// Indices into `plan.targets` whose pre command may have started and whose post commands
    /// have not finished. Shared with the exec jobs from the moment a pre command starts, so the
    /// `Drop` safety net sees every frozen pod even mid-freeze. A pod leaves it before its post
    /// commands only when the API server said that none of its pre commands started.
    started: StartedPods,
    pub records: Vec<HookRecord>,
    pub pre_failure: Option<String>,
    /// A held command that could not start or did not report held.
    pub hold_failure: Option<String>,
    pub interrupted: Option<Signal>,
    started_at: Option<Mark>,
    /// The held commands started, let go by the release before any post command runs.
    held: Sessions,
    /// Indices into `plan.targets` in the order their pre commands finished. The release
    /// starts post commands in this order, so the pod frozen first is thawed first: with many
    /// pods the posts cannot all start at the same instant (each is its own exec stream), and
    /// in target order a pod whose pre command ended early could wait behind the pods that
    /// ended late, its window growing by the whole spread of the pre phase.
    finish_order: Vec<usize>,
}

type StartedPods = Arc<Mutex<BTreeMap<usize, FrozenPod>>>;

fn lock(started: &StartedPods) -> std::sync::MutexGuard<'_, BTreeMap<usize, FrozenPod>> {
    started.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A pod that may be frozen: since when, and how far its pre commands are known to have got.
#[derive(Clone, Copy, Debug)]
struct FrozenPod {
    since: Mark,
    pre: StartOutcome,
    /// Whether `pre` is what an earlier stage's commands found, rather than a guess.
    settled: bool,
}

impl FrozenPod {
    /// A pod whose pre command is about to start: until the API server says otherwise, it may
    /// run, so the release must reach this pod.
    fn starting() -> FrozenPod {
        FrozenPod {
            since: Mark::now(),
            pre: StartOutcome::MayHaveRun,
            settled: false,
        }
    }

    /// How many times a failed post command is tried here. Where no one knows whether the pre
    /// command started (its exec request went unanswered), the post command is tried once:
    /// the node is most likely unreachable, and each attempt costs a whole hook timeout.
    fn post_attempts(self) -> u32 {
        match self.pre {
            StartOutcome::OutcomeUnknown => 1,
            StartOutcome::NeverStarted | StartOutcome::MayHaveRun => POST_ATTEMPTS,
        }
    }
}

/// Records how far a pod's pre commands got, once a stage of them is done: a pod where none
/// started (in this stage or an earlier one) leaves the freeze (no post command, no window);
/// one where the outcome is unknown keeps a single post attempt. No records (none ran) leaves
/// the pod as it was.
fn settle_pre(started: &StartedPods, index: usize, records: &[HookRecord]) {
    let Some(mut pre) = records.iter().map(|r| r.start).max() else {
        return;
    };
    let mut started = lock(started);
    let Some(pod) = started.get_mut(&index) else {
        return;
    };
    if pod.settled {
        pre = pre.max(pod.pre);
    }
    match pre {
        StartOutcome::NeverStarted => {
            started.remove(&index);
        }
        _ => {
            pod.pre = pre;
            pod.settled = true;
        }
    }
}

/// A moment, both monotonic (for durations) and wall-clock (for the report).
#[derive(Clone, Copy, Debug)]
struct Mark {
    instant: Instant,
    wall: jiff::Timestamp,
}

impl Mark {
    fn now() -> Mark {
        Mark {
            instant: Instant::now(),
            wall: jiff::Timestamp::now(),
        }
    }

    /// The window from this mark to `end`.
    fn until(self, end: Mark) -> (String, String, u64) {
        let elapsed = end.instant.saturating_duration_since(self.instant);
        (
            self.wall.to_string(),
            end.wall.to_string(),
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        )
    }
}

/// The freeze window as reported: overall from the first pre command's start to the last post
/// command's end, and per target from its own pre start to its own last post end. With many pods
/// the overall window grows with scheduling; `longest_ms` is what any one application endured.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreezeWindow {
    pub started_at: String,
    pub ended_at: String,
    pub duration_ms: u64,
    /// The longest per-pod window, and the pod it belongs to.
    pub longest_ms: u64,
    pub longest_pod: Option<String>,
    pub per_pod: Vec<PodWindow>,
}

/// How long one container was frozen: its first pre command's start to its last post
/// command's end.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodWindow {
    pub pod: String,
    pub container: String,
    pub started_at: String,
    pub ended_at: String,
    pub duration_ms: u64,
}

/// The result of a release.
pub struct Released {
    pub records: Vec<HookRecord>,
    /// Every failed post command, one line each: any of them may have left an app quiesced.
    pub post_failures: Vec<String>,
    pub window: Option<FreezeWindow>,
    /// The first signal that arrived during the release, which still decides the exit code.
    pub signal: Option<Signal>,
    /// Held commands that ended (or whose deadline passed) before pxsnap let them go, one
    /// line each: the snapshot may have been cut without their lock.
    pub lock_lost: Vec<String>,
}

impl Released {
    /// Nothing was frozen, so nothing was released.
    pub fn nothing() -> Released {
        Released {
            records: Vec::new(),
            post_failures: Vec::new(),
            window: None,
            signal: None,
            lock_lost: Vec::new(),
        }
    }
}

/// Runs the pre commands, in order, in every target (pods concurrently, at most
/// `plan.parallel` at once). After the first failure or a signal no further pod is started;
/// pods already running their pre command finish it (each is bounded by the hook timeout), so
/// that no post command can overtake a pre command still running in the same container —
/// closing an exec stream does not reliably kill the command in a real container.
pub async fn freeze(client: &Client, plan: HookPlan, signals: &mut Signals) -> Frozen {
    let plan = Arc::new(plan);
    let mut frozen = Frozen {
        client: client.clone(),
        plan: plan.clone(),
        started: StartedPods::default(),
        records: Vec::new(),
        pre_failure: None,
        hold_failure: None,
        interrupted: None,
        started_at: None,
        held: Sessions::default(),
        finish_order: Vec::new(),
    };
    // A target no pre command quiesces still takes its held and post commands (a post may be a
    // notification): it counts as started, so the release reaches it.
    let quiesced = plan.quiesced();
    let idle = FrozenPod::starting();
    *lock(&frozen.started) = (0..plan.targets.len())
        .filter(|index| !quiesced.contains(index))
        .map(|index| (index, idle))
        .collect();
    if quiesced.is_empty() {
        if !plan.targets.is_empty() && plan.releases_something() {
            frozen.started_at = Some(idle.since);
        }
        return frozen;
    }
    frozen.started_at = Some(Mark::now());
    let jobs = PreJobs {
        client: client.clone(),
        plan: plan.clone(),
        started: frozen.started.clone(),
        failed: Arc::new(AtomicBool::new(false)),
        limit: Arc::new(Semaphore::new(plan.parallel.max(1))),
    };
    let mut records = Vec::new();
    // Each pre-Rule action runs in all its pods before the next one starts, as STORK runs it.
    for stage in &plan.pre_rule {
        if jobs.failed.load(Ordering::SeqCst) {
            break;
        }
        let stage_jobs = stage
            .targets
            .iter()
            .map(|&index| jobs.job(index, vec![stage.command()]))
            .collect();
        frozen
            .collect(stage_jobs, &jobs.failed, signals, &mut records)
            .await;
    }
    if !plan.pre.is_empty() && !jobs.failed.load(Ordering::SeqCst) {
        let pod_jobs = (0..plan.located)
            .map(|index| jobs.job(index, plan.given(&plan.pre, index)))
            .collect();
        frozen
            .collect(pod_jobs, &jobs.failed, signals, &mut records)
            .await;
    }
    frozen.pre_failure = records
        .iter()
        .find(|r| !r.succeeded())
        .map(HookRecord::failure_line);
    frozen.records = records;
    frozen
}

/// What every pre command job shares.
struct PreJobs {
    client: Client,
    plan: Arc<HookPlan>,
    started: StartedPods,
    /// Set by the first failure or a signal: no further command starts.
    failed: Arc<AtomicBool>,
    limit: Arc<Semaphore>,
}

impl PreJobs {
    /// Runs `commands` in order in target `index`, stopping at the first failure (here or, for
    /// a command after the first, anywhere).
    fn job(
        &self,
        index: usize,
        commands: Vec<Command>,
    ) -> impl Future<Output = (usize, Vec<HookRecord>)> + use<> {
        let pods: Api<Pod> =
            Api::namespaced(self.client.clone(), &self.plan.targets[index].namespace);
        let (plan, started, failed, limit) = (
            self.plan.clone(),
            self.started.clone(),
            self.failed.clone(),
            self.limit.clone(),
        );
        async move {
            let Ok(_permit) = limit.acquire().await else {
                return (index, Vec::new());
            };
            if failed.load(Ordering::SeqCst) {
                return (index, Vec::new());
            }
            lock(&started)
                .entry(index)
                .or_insert_with(FrozenPod::starting);
            let target = &plan.targets[index];
            let mut records = Vec::new();
            for (nth, command) in commands.into_iter().enumerate() {
                // Another pod's failure or a signal ends the quiesce phase: the command
                // running now may finish, but no further one starts, so the release waits
                // for one hook timeout at most.
                if nth > 0 && failed.load(Ordering::SeqCst) {
                    break;
                }
                let mut record =
                    run_hook(&pods, target, HookPhase::Pre, &command.text, plan.timeout).await;
                record.rule = command.rule;
                let ok = record.succeeded();
                records.push(record);
                if !ok {
                    failed.store(true, Ordering::SeqCst);
                    break;
                }
            }
            settle_pre(&started, index, &records);
            (index, records)
        }
    }
}

impl Frozen {
    /// Waits for a phase's pre command `jobs`; a signal stops every further start.
    async fn collect<F>(
        &mut self,
        mut jobs: FuturesUnordered<F>,
        failed: &AtomicBool,
        signals: &mut Signals,
        records: &mut Vec<HookRecord>,
    ) where
        F: Future<Output = (usize, Vec<HookRecord>)>,
    {
        loop {
            tokio::select! {
                next = jobs.next() => match next {
                    Some((index, done)) => {
                        self.finish_order.push(index);
                        records.extend(done);
                    }
                    None => break,
                },
                signal = signals.recv(), if self.interrupted.is_none() => {
                    self.interrupted = Some(signal);
                    failed.store(true, Ordering::SeqCst);
                    crate::stderr_line!(
                        "pxsnap: {} received; letting running pre commands finish (at most {}), then releasing",
                        signal.name(),
                        crate::duration::human(self.plan.timeout)
                    );
                }
            }
        }
    }

    /// Whether the snapshot may be taken: every pre command succeeded, every held command
    /// holds, and no signal came.
    pub fn is_quiesced(&self) -> bool {
        self.pre_failure.is_none() && self.hold_failure.is_none() && self.interrupted.is_none()
    }

    /// Starts the held commands, once every pre command succeeded, in every pod that is
    /// frozen. A signal abandons the wait for "held"; the release lets go of whatever started.
    pub async fn hold(&mut self, signals: &mut Signals) {
        let commands = self.plan.held();
        if !self.is_quiesced() || commands.iter().all(Vec::is_empty) {
            return;
        }
        let targets: Vec<usize> = lock(&self.started)
            .keys()
            .copied()
            .filter(|&index| !commands[index].is_empty())
            .collect();
        let plan = self.plan.clone();
        let hold_plan = HoldPlan {
            targets: &plan.targets,
            commands: &commands,
            timeout: plan.timeout,
            hold_timeout: plan.hold_timeout,
            parallel: plan.parallel,
        };
        let work = hold_all(&self.client, &hold_plan, &targets, &self.held);
        tokio::select! {
            failure = work => self.hold_failure = failure,
            signal = signals.recv() => {
                self.interrupted = Some(signal);
                crate::stderr_line!(
                    "pxsnap: {} received; letting held commands go, then releasing",
                    signal.name()
                );
            }
        }
    }

    /// Resolves once a held command ended: it no longer holds its lock.
    pub async fn held_ended(&self) {
        any_ended(&self.held).await;
    }

    /// Runs the post commands in every pod whose pre command may have started. Further signals
    /// during the release do not stop it; each one prints what is still frozen and where.
    pub async fn release(mut self, signals: &mut Signals) -> Released {
        let frozen = StillFrozen::default();
        let work = self.release_now(&frozen);
        tokio::pin!(work);
        let mut first_signal = None;
        loop {
            tokio::select! {
                released = &mut work => {
                    let mut released = released;
                    released.signal = first_signal;
                    return released;
                }
                signal = signals.recv() => {
                    first_signal.get_or_insert(signal);
                    crate::stderr_line!(
                        "pxsnap: {} received while releasing; still running post commands for: {}",
                        signal.name(),
                        frozen.describe()
                    );
                }
            }
        }
    }

    async fn release_now(&mut self, frozen: &StillFrozen) -> Released {
        let plan = self.plan.clone();
        let sessions =
            std::mem::take(&mut *self.held.lock().unwrap_or_else(PoisonError::into_inner));
        let let_go = let_go_all(
            &self.client,
            &plan.targets,
            sessions,
            plan.timeout,
            POST_ATTEMPTS,
        )
        .await;
        let mut to_release: Vec<(usize, FrozenPod)> =
            lock(&self.started).iter().map(|(&i, &p)| (i, p)).collect();
        // Pods without a finished pre command (none ran) keep target order, after the others.
        let rank: BTreeMap<usize, usize> = self
            .finish_order
            .iter()
            .enumerate()
            .map(|(rank, &index)| (index, rank))
            .collect();
        to_release.sort_by_key(|&(index, _)| rank.get(&index).copied().unwrap_or(usize::MAX));
        for &(index, _) in &to_release {
            frozen.add(index, &plan.targets[index]);
        }
        // The last post-Rule stage each pod takes part in: it leaves the freeze after it.
        let mut last_stage = BTreeMap::new();
        for (nth, stage) in plan.post_rule.iter().enumerate() {
            for &index in &stage.targets {
                last_stage.insert(index, nth);
            }
        }
        let mut posts = Posts {
            started: self.started.clone(),
            frozen,
            last_stage,
            records: let_go.records,
            failures: let_go.not_released,
            ends: BTreeMap::new(),
        };
        let limit = Arc::new(Semaphore::new(plan.parallel.max(1)));
        // Every post command runs even when an earlier one failed: each may undo a different
        // part of the freeze.
        let jobs = to_release
            .iter()
            .map(|&(index, pod)| self.post_job(index, pod, plan.given(&plan.post, index), &limit))
            .collect();
        posts.finish(jobs, None).await;
        let pods: BTreeMap<usize, FrozenPod> = to_release.iter().copied().collect();
        for (nth, stage) in plan.post_rule.iter().enumerate() {
            let jobs = stage
                .targets
                .iter()
                .filter_map(|index| Some((*index, *pods.get(index)?)))
                .map(|(index, pod)| self.post_job(index, pod, vec![stage.command()], &limit))
                .collect();
            posts.finish(jobs, Some(nth)).await;
        }
        let per_pod: Vec<PodWindow> = to_release
            .iter()
            .map(|&(index, pod)| {
                let target = &plan.targets[index];
                let end = posts.ends.get(&index).copied().unwrap_or_else(Mark::now);
                let (started_at, ended_at, duration_ms) = pod.since.until(end);
                PodWindow {
                    pod: target.pod.clone(),
                    container: target.container.clone(),
                    started_at,
                    ended_at,
                    duration_ms,
                }
            })
            .collect();
        let (post_records, post_failures) = (posts.records, posts.failures);
        // No pod left to release means no pre command started anywhere: nothing was frozen.
        let window = self
            .started_at
            .filter(|_| !per_pod.is_empty())
            .map(|start| freeze_window(start, Mark::now(), per_pod));
        let mut records = std::mem::take(&mut self.records);
        records.extend(post_records);
        Released {
            records,
            post_failures,
            window,
            signal: None,
            lock_lost: let_go.lock_lost,
        }
    }
}

impl Frozen {
    /// Runs `commands` in order in target `index`, a pod that `pod` says may be frozen.
    fn post_job(
        &self,
        index: usize,
        pod: FrozenPod,
        commands: Vec<Command>,
        limit: &Arc<Semaphore>,
    ) -> impl Future<Output = (usize, Vec<HookRecord>, Vec<String>)> + use<> {
        let pods: Api<Pod> =
            Api::namespaced(self.client.clone(), &self.plan.targets[index].namespace);
        let (plan, limit) = (self.plan.clone(), limit.clone());
        async move {
            let _permit = match commands.is_empty() {
                true => None,
                false => limit.acquire_owned().await.ok(),
            };
            let target = &plan.targets[index];
            let mut records = Vec::new();
            for command in commands {
                let attempts = pod.post_attempts();
                let mut record = run_retried(
                    &pods,
                    target,
                    HookPhase::Post,
                    &command.text,
                    plan.timeout,
                    attempts,
                )
                .await;
                record.rule = command.rule;
                records.push(record);
            }
            let failures = post_failures(&records, pod.pre);
            (index, records, failures)
        }
    }
}

/// What the post phases found so far, and which pods they are done with.
struct Posts<'a> {
    started: StartedPods,
    frozen: &'a StillFrozen,
    /// The last post-Rule stage of each pod that has one.
    last_stage: BTreeMap<usize, usize>,
    records: Vec<HookRecord>,
    failures: Vec<String>,
    /// When each pod's last post command so far ended.
    ends: BTreeMap<usize, Mark>,
}

impl Posts<'_> {
    /// Waits for the post `jobs` of `stage` (`None`: the `--post` commands). A pod whose last
    /// post command ran leaves the freeze only now; until here a panic or an abandoned release
    /// leaves it to the Drop safety net.
    async fn finish<F>(&mut self, jobs: FuturesUnordered<F>, stage: Option<usize>)
    where
        F: Future<Output = (usize, Vec<HookRecord>, Vec<String>)>,
    {
        for (index, records, failures) in jobs.collect::<Vec<_>>().await {
            self.records.extend(records);
            self.failures.extend(failures);
            self.ends.insert(index, Mark::now());
            if self.last_stage.get(&index).copied() == stage {
                lock(&self.started).remove(&index);
                self.frozen.remove(index);
            }
        }
    }
}

/// The overall window plus the per-pod ones, sorted by pod so the report is stable.
fn freeze_window(start: Mark, end: Mark, mut per_pod: Vec<PodWindow>) -> FreezeWindow {
    per_pod.sort_by(|a, b| (&a.pod, &a.container).cmp(&(&b.pod, &b.container)));
    let longest = per_pod.iter().max_by_key(|w| w.duration_ms);
    let (longest_ms, longest_pod) =
        longest.map_or((0, None), |w| (w.duration_ms, Some(w.pod.clone())));
    let (started_at, ended_at, duration_ms) = start.until(end);
    FreezeWindow {
        started_at,
        ended_at,
        duration_ms,
        longest_ms,
        longest_pod,
        per_pod,
    }
}

/// The pods whose post commands have not finished yet, for the message a second Ctrl-C prints.
#[derive(Default)]
struct StillFrozen {
    pods: Mutex<BTreeMap<usize, String>>,
}

impl StillFrozen {
    fn add(&self, index: usize, target: &HookTarget) {
        let line = format!(
            "pod {:?} (container {:?}) in namespace {:?}",
            target.pod, target.container, target.namespace
        );
        self.pods
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(index, line);
    }

    fn remove(&self, index: usize) {
        self.pods
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&index);
    }

    fn describe(&self) -> String {
        let pods = self.pods.lock().unwrap_or_else(PoisonError::into_inner);
        pods.values().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// One line per failed post command of a pod. Where the pre command's outcome is unknown, the
/// line says so: the application there may be frozen or not, and pxsnap tried only once.
fn post_failures(records: &[HookRecord], pre: StartOutcome) -> Vec<String> {
    records
        .iter()
        .filter(|r| !r.succeeded())
        .map(|r| match pre {
            StartOutcome::OutcomeUnknown => format!(
                "{} (tried once: the pre command's outcome there is unknown)",
                r.failure_line()
            ),
            StartOutcome::NeverStarted | StartOutcome::MayHaveRun => r.failure_line(),
        })
        .collect()
}

impl Drop for Frozen {
    /// The safety net: a `Frozen` dropped without `release` (an early return, a panic unwinding
    /// through the command) still runs the post commands before the process goes on.
    fn drop(&mut self) {
        if lock(&self.started).is_empty() && self.held.lock().is_ok_and(|held| held.is_empty()) {
            return;
        }
        let handle = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                handle
            }
            _ => {
                // block_in_place needs a multi-thread runtime; pxsnap's binary always has one.
                crate::stderr_line!(
                    "pxsnap: cannot run post commands outside a multi-thread runtime; pods may still be frozen"
                );
                return;
            }
        };
        crate::stderr_line!("pxsnap: releasing frozen pods before exiting");
        let released = tokio::task::block_in_place(|| {
            handle.block_on(self.release_now(&StillFrozen::default()))
        });
        for failure in released.post_failures {
            crate::stderr_line!("pxsnap: {failure}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_window(pod: &str, duration_ms: u64) -> PodWindow {
        PodWindow {
            pod: pod.into(),
            container: "app".into(),
            started_at: String::new(),
            ended_at: String::new(),
            duration_ms,
        }
    }

    #[test]
    fn the_longest_pod_window_is_named_and_pods_are_sorted() {
        let start = Mark::now();
        let end = Mark {
            instant: start.instant + Duration::from_millis(900),
            wall: start.wall,
        };
        let window = freeze_window(
            start,
            end,
            vec![
                pod_window("b", 300),
                pod_window("a", 700),
                pod_window("c", 10),
            ],
        );
        assert_eq!(window.duration_ms, 900);
        assert_eq!(window.longest_ms, 700);
        assert_eq!(window.longest_pod.as_deref(), Some("a"));
        let pods: Vec<&str> = window.per_pod.iter().map(|w| w.pod.as_str()).collect();
        assert_eq!(pods, ["a", "b", "c"]);
        let json = serde_json::to_value(&window).expect("serializes");
        assert_eq!(json["perPod"][0]["durationMs"], 700);
        assert_eq!(json["longestPod"], "a");
    }

    #[test]
    fn no_pods_means_no_longest() {
        let start = Mark::now();
        let window = freeze_window(start, start, Vec::new());
        assert_eq!(window.longest_ms, 0);
        assert!(window.longest_pod.is_none());
    }
}
