//! The one flow every snapshot kind runs: freeze → create → wait for the cut → release → wait
//! until ready → settle. A backend (`backend/snapshotter.rs`) says what its object's versions
//! mean; the order of the steps, their bounds, signals and the clean-up are decided here only.

use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::backend::snapshotter::{Snapshotter, Stage};
use crate::backend::{Verdict as Judged, WatchEnd, watch_until};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::quiesce::{FreezeWindow, HookPlan};
use crate::pipeline::run::{Unfinished, Verdict, run_frozen};
use crate::progress::Progress;
use crate::signals::{AfterRelease, Signals};

/// When the application is released, on an API that shows the cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseAt {
    /// As soon as the snapshot is cut: what the CSI spec allows.
    Cut,
    /// Only when it is ready, for a driver the user does not trust to have cut by then.
    Ready,
}

/// One snapshot to take, and how.
pub struct Job<'a, O> {
    /// The object to create, as built by its backend.
    pub object: O,
    pub hooks: HookPlan,
    /// How long to wait, from the create, until the snapshot is ready.
    pub timeout: Duration,
    /// How long the application may stay frozen waiting for a cut, where the API shows one.
    pub cut_timeout: Duration,
    pub release_at: ReleaseAt,
    /// Create and return without waiting.
    pub no_wait: bool,
    /// Keep an object this run gave up on instead of deleting it.
    pub keep_failed: bool,
    pub progress: &'a Progress,
    /// Print a plain "still waiting" line this often (stderr not a terminal), so a CI log
    /// shows the job is alive during a long upload.
    pub heartbeat: Option<Duration>,
}

/// Where the snapshot ended, for the status its result shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Never created: a check or a pre command failed, or the create did.
    NotCreated,
    /// Created and not waited for (`--no-wait`), or the wait given up (a held command ended).
    Created,
    Ready,
    Failed,
    TimedOut,
    /// Deleted by someone else while pxsnap waited for it.
    Deleted,
    /// The watch failed for good; the object's state is unknown.
    WatchLost,
    Interrupted,
}

/// What taking the snapshot did.
pub struct Taken<O> {
    pub hooks: Vec<HookRecord>,
    pub freeze: Option<FreezeWindow>,
    /// The latest version of the object pxsnap saw, if it was created.
    pub latest: Option<O>,
    pub ending: Ending,
    /// When the snapshot was cut: as the API says, or, on an API that shows no cut, when it
    /// was ready (the moment pxsnap released).
    pub cut_at: Option<String>,
    /// When pxsnap saw the snapshot ready, for an API whose object does not say when it became so.
    pub ready_seen_at: Option<String>,
    /// Whether pxsnap deleted the object it gave up on.
    pub deleted: bool,
    pub error: Option<(Step, Error)>,
}

/// Takes one snapshot through backend `S`: the freeze lasts until the cut (or readiness, see
/// [`ReleaseAt`]) and no longer; every pod whose pre command started is released, whatever
/// happens. Warnings go to stderr and into `warnings`.
pub async fn take<S: Snapshotter>(
    cluster: &Cluster,
    job: Job<'_, S::Object>,
    signals: &mut Signals,
    warnings: &mut Vec<String>,
) -> Taken<S::Object> {
    let Job {
        object,
        hooks,
        timeout,
        cut_timeout,
        release_at,
        no_wait,
        keep_failed,
        progress,
        heartbeat,
    } = job;
    let meta = kube::Resource::meta(&object);
    let name = meta.name.clone().unwrap_or_default();
    let namespace = meta.namespace.clone().unwrap_or_default();
    let release_at_cut = S::SHOWS_CUT && release_at == ReleaseAt::Cut;
    // Released at readiness (an API that shows no cut, or `--release-at ready`), the freeze
    // lasts until then, bounded by `--timeout`; released at the cut, by `--cut-timeout` too.
    let freeze_bound = match release_at_cut {
        true => cut_timeout.min(timeout),
        false => timeout,
    };
    let waiting = Waiting::<S> {
        cluster,
        name: &name,
        namespace: &namespace,
        progress,
        heartbeat,
        last_message: RefCell::new(String::new()),
        marker: std::marker::PhantomData,
    };
    let mut created_at = None;
    // What the create returned, kept outside the step: a step given up on while it waits (a
    // held command ended, a signal) still created the object, and the result must say so.
    let mut created_first: Option<S::Object> = None;
    let step = async {
        progress.step(format!("creating {} {name}", S::NOUN));
        let created = S::create(cluster, &object).await?;
        created_at = Some(Instant::now());
        created_first = Some(created.clone());
        if no_wait {
            return Ok((created, None));
        }
        let until = match release_at_cut {
            true => "to be cut",
            false => "to be ready",
        };
        progress.step(format!("waiting for {} {name} {until}", S::NOUN));
        let end = waiting
            .watch(freeze_bound, |stage| match stage {
                Stage::Cut { .. } if release_at_cut => Judged::Done,
                Stage::Ready { .. } => Judged::Done,
                Stage::Failed(message) => Judged::Failed(message),
                Stage::Pending(_) | Stage::Cut { .. } => Judged::Pending,
            })
            .await;
        Ok::<_, Error>((created, Some(end)))
    };
    let run = run_frozen(cluster, hooks, signals, step).await;
    let mut verdict = Verdict::new(&run);
    let mut after = AfterRelease::new(signals);
    let mut taken = Taken {
        hooks: run.released.records,
        freeze: run.released.window,
        latest: None,
        ending: Ending::NotCreated,
        cut_at: None,
        ready_seen_at: None,
        deleted: false,
        error: None,
    };
    match run.value {
        None => {
            if let Some(created) = created_first {
                taken.latest = Some(created);
                taken.ending = Ending::Created;
            }
        }
        Some(Err(create_error)) => verdict.create_failed(create_error),
        Some(Ok((created, None))) => {
            taken.latest = Some(created);
            taken.ending = Ending::Created;
        }
        Some(Ok((created, Some(end)))) => {
            let mut released_first = false;
            let end = match end {
                // Cut but not ready: released, and the rest of the wait is outside the freeze,
                // unless a signal already ended the run.
                WatchEnd::Done(cut) if run.interrupted.is_none() && !is_ready::<S>(&cut) => {
                    let spent = created_at.map_or(Duration::ZERO, |at| at.elapsed());
                    let left = timeout.saturating_sub(spent);
                    taken.latest = Some(cut);
                    released_first = true;
                    match after.call(waiting.until_ready(left)).await {
                        Ok(end) => end,
                        Err(signal) => {
                            verdict.interrupted(Some(signal), false);
                            taken.ending = Ending::Interrupted;
                            WatchEnd::TimedOut(None)
                        }
                    }
                }
                end => end,
            };
            if taken.ending != Ending::Interrupted {
                let judged = Judge::<S> {
                    cluster,
                    name: &name,
                    created: &created,
                    bound: match released_first {
                        true => timeout,
                        false => freeze_bound,
                    },
                    release_at_cut,
                    marker: std::marker::PhantomData,
                };
                judged
                    .judge(end, &mut taken, &mut verdict, &mut after, warnings)
                    .await;
            }
            taken.latest.get_or_insert(created);
        }
    }
    if let Some(latest) = &taken.latest {
        taken.cut_at = cut_at::<S>(latest);
    }
    if verdict.lock_lost(&run.lock_lost) && taken.latest.is_some() {
        taken.ending = Ending::Failed;
    }
    let known_good = taken.ending == Ending::Ready;
    if verdict.interrupted(run.interrupted, known_good) {
        taken.ending = Ending::Interrupted;
    }
    let object = Unfinished::of::<S>(&name, &namespace);
    let delete = S::delete_own(cluster, &namespace, &name);
    let (deleted, error) = verdict
        .conclude(
            &object,
            keep_failed,
            &mut after,
            delete,
            run.post_failures,
            warnings,
        )
        .await;
    taken.deleted = deleted;
    taken.error = error;
    taken
}

fn is_ready<S: Snapshotter>(object: &S::Object) -> bool {
    matches!(S::stage(object), Stage::Ready { .. })
}

fn cut_at<S: Snapshotter>(object: &S::Object) -> Option<String> {
    match S::stage(object) {
        Stage::Cut { at, .. } => Some(at),
        Stage::Ready { cut_at } => cut_at,
        Stage::Pending(_) | Stage::Failed(_) => None,
    }
}

/// Watching one object, with the progress line and the heartbeat.
struct Waiting<'a, S> {
    cluster: &'a Cluster,
    name: &'a str,
    namespace: &'a str,
    progress: &'a Progress,
    heartbeat: Option<Duration>,
    /// What the object said last, for the heartbeat line.
    last_message: RefCell<String>,
    marker: std::marker::PhantomData<S>,
}

impl<S: Snapshotter> Waiting<'_, S> {
    async fn watch(
        &self,
        bound: Duration,
        judge: impl Fn(Stage) -> Judged<Option<String>>,
    ) -> WatchEnd<S::Object, Option<String>> {
        let watch = watch_until(
            self.cluster,
            S::RESOURCE,
            self.namespace,
            self.name,
            bound,
            |object: &S::Object| {
                let stage = S::stage(object);
                let said = match &stage {
                    Stage::Pending(message) => message.clone(),
                    Stage::Cut { error, .. } => error.clone(),
                    _ => None,
                };
                if let Some(message) = said {
                    self.progress
                        .step(format!("{} {}: {message}", S::NOUN, self.name));
                    *self.last_message.borrow_mut() = message;
                }
                judge(stage)
            },
        );
        match self.heartbeat.filter(|_| !self.progress.is_drawn()) {
            Some(every) => {
                let started = Instant::now();
                with_heartbeat(watch, every, || {
                    crate::stderr_line!(
                        "pxsnap: still waiting for {} {} ({} elapsed) {}",
                        S::NOUN,
                        self.name,
                        crate::duration::human(started.elapsed()),
                        self.last_message.borrow()
                    )
                })
                .await
            }
            None => watch.await,
        }
    }

    /// After the release: waits for readiness. An error now is an upload's, which recovers: it
    /// fails the run only if it is still there when the wait ends.
    async fn until_ready(&self, bound: Duration) -> WatchEnd<S::Object, Option<String>> {
        self.progress.step(format!(
            "released; waiting for {} {} to be ready",
            S::NOUN,
            self.name
        ));
        self.watch(bound, |stage| match stage {
            Stage::Ready { .. } => Judged::Done,
            Stage::Failed(message) => Judged::Failed(message),
            Stage::Pending(_) | Stage::Cut { .. } => Judged::Pending,
        })
        .await
    }
}

/// Turns how a wait ended into the run's ending and error.
struct Judge<'a, S: Snapshotter> {
    cluster: &'a Cluster,
    name: &'a str,
    created: &'a S::Object,
    /// The bound the wait that ended had.
    bound: Duration,
    release_at_cut: bool,
    marker: std::marker::PhantomData<S>,
}

impl<S: Snapshotter> Judge<'_, S> {
    async fn judge(
        &self,
        end: WatchEnd<S::Object, Option<String>>,
        taken: &mut Taken<S::Object>,
        verdict: &mut Verdict,
        after: &mut AfterRelease<'_>,
        warnings: &mut Vec<String>,
    ) {
        let name = self.name.to_string();
        match end {
            WatchEnd::Done(object) => {
                taken.ending = match is_ready::<S>(&object) {
                    true => {
                        taken.ready_seen_at = Some(jiff::Timestamp::now().to_string());
                        Ending::Ready
                    }
                    // Released at the cut, and a signal came before readiness was awaited.
                    false => Ending::Interrupted,
                };
                taken.latest = Some(object);
            }
            WatchEnd::Failed(object, message) => {
                let message = match message {
                    Some(message) => message,
                    None => S::explain_failure(self.cluster, &object, after, warnings).await,
                };
                taken.latest = Some(object);
                taken.ending = Ending::Failed;
                verdict.failed(Step::Snapshot, S::failure(name, message), Some("failed"));
            }
            WatchEnd::TimedOut(last) => {
                if let Some(last) = last {
                    taken.latest = Some(last);
                }
                let latest = taken.latest.as_ref();
                // An upload that still fails when the wait ends fails the run with its error.
                if let Some(Stage::Cut {
                    error: Some(message),
                    ..
                }) = latest.map(S::stage)
                {
                    taken.ending = Ending::Failed;
                    verdict.failed(Step::Snapshot, S::failure(name, message), Some("failed"));
                    return;
                }
                taken.ending = Ending::TimedOut;
                let what = match latest.map(S::stage) {
                    Some(Stage::Cut { .. }) => format!("{} {name:?} to be ready", S::NOUN),
                    _ if self.release_at_cut => format!("{} {name:?} to be cut", S::NOUN),
                    _ => {
                        S::timeout_what(self.cluster, &name, self.created, latest, after, warnings)
                            .await
                    }
                };
                let error = Error::Timeout {
                    what,
                    after: self.bound,
                };
                verdict.failed(Step::Wait, error, Some("timed out"));
            }
            WatchEnd::Deleted => {
                taken.ending = Ending::Deleted;
                let message = "it was deleted while pxsnap waited for it".to_string();
                verdict.failed(Step::Wait, S::failure(name, message), None);
            }
            WatchEnd::Api(err) => {
                taken.ending = Ending::WatchLost;
                verdict.failed(Step::Wait, err, Some("could not be watched"));
            }
        }
    }
}

/// Awaits `work`, calling `beat` every `every` until it finishes.
async fn with_heartbeat<T>(work: impl Future<Output = T>, every: Duration, beat: impl Fn()) -> T {
    tokio::pin!(work);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = ticks.tick() => beat(),
        }
    }
}
