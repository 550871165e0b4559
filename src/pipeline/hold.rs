//! Held commands (`--hold`): a command whose lock lives only as long as its session (MySQL's
//! `FLUSH TABLES WITH READ LOCK`) runs from after the pre commands until after the cut.
//!
//! Its `${WAIT_CMD}` becomes the path of a small script pxsnap first writes into the container.
//! The script marks the command held, then waits until pxsnap lets it go or its own deadline
//! (`--hold-timeout`) passes, so a pxsnap killed outright or cut off from the cluster still
//! lets the lock go. Letting go is a second short exec that creates a directory the script
//! waits for: closing the held exec's stream does not stop the process on containerd or
//! CRI-O, so it cannot be how a lock ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::pipeline::hooks::{
    Command, HookPhase, HookRecord, Run, record as hook_record, run_hook, run_retried, run_session,
};
use crate::pipeline::locate::HookTarget;

/// STORK's placeholder, so that its background commands work here unchanged.
pub const WAIT_CMD: &str = "${WAIT_CMD}";

/// The let-go exec's exit code when the script's deadline passed first.
const EXPIRED: i32 = 3;

/// The exit code of a [`poll_while`] loop that reached its bound: the command still ran
/// ([`HoldFiles::wait_ended`]), or had not reported held ([`HoldFiles::wait_held`]).
const STILL_RUNNING: i32 = 1;

/// How much longer than its script's own bound the exec of [`HoldFiles::wait_ended`] may take,
/// so that the script answers [`STILL_RUNNING`] before its stream is closed on it.
const WAIT_SLACK: Duration = Duration::from_secs(2);

/// How often the scripts look for the files they wait on, in tenths of a second.
const POLL: &str = "0.1";

/// The files of one held command inside its container: one directory, named for this run,
/// the target and the command, so concurrent runs and commands never share one. Its path is
/// one token without spaces or quotes, so it fits inside `mysql -e '…; system ${WAIT_CMD};'`.
#[derive(Clone, Debug)]
struct HoldFiles {
    dir: String,
}

impl HoldFiles {
    fn new(target: usize, nth: usize) -> HoldFiles {
        HoldFiles {
            dir: format!(
                "/tmp/pxsnap-hold-{}-{target}-{nth}",
                crate::backend::run_id()
            ),
        }
    }

    /// The user's command with every `${WAIT_CMD}` replaced by the script's path, between a
    /// first step that leaves the held exec's process id in [`HoldFiles::pid`] and a last
    /// one that removes it with the command's own exit status: the process lives as long as
    /// the command, so a lost stream does not leave pxsnap blind to its end (see
    /// [`HoldFiles::wait_ended`]). Lines, not `;`: a comment ending the user's command would
    /// swallow the rest of its line.
    fn command(&self, command: &str) -> String {
        let command = command.replace(WAIT_CMD, &format!("{}/wait", self.dir));
        let pid = self.pid();
        format!("echo $$ > {pid}\n{command}\nrc=$?; rm -f {pid}; exit $rc")
    }

    /// Where the held command's process id is, while it runs. Beside the directory, not in
    /// it: the wait script removes the directory as soon as it is let go, and a let-go
    /// retried after a lost stream must still read the id.
    fn pid(&self) -> String {
        format!("{}.pid", self.dir)
    }

    /// Writes the wait script. It marks the command held, then polls for `end` (pxsnap's let
    /// go) for at most `deadline`; past it, it leaves `expired` for pxsnap to find and
    /// returns. Fractional `sleep` is not POSIX: where it fails the script polls each second.
    fn setup(&self, deadline: Duration) -> String {
        let d = &self.dir;
        let secs = deadline.as_secs().max(1);
        let tenths = secs * 10;
        format!(
            "mkdir -p {d} && cat > {d}/wait <<'PXSNAP_EOF' && chmod 700 {d}/wait\n\
             #!/bin/sh\n\
             # pxsnap --hold: holds until pxsnap lets go or {secs}s (--hold-timeout) passed\n\
             d={d}\n\
             : > \"$d/held\"\n\
             if sleep {POLL} 2>/dev/null; then step={POLL} n={tenths}; else step=1 n={secs}; fi\n\
             while [ ! -d \"$d/end\" ]; do\n\
             \x20 if [ \"$n\" -le 0 ]; then : > \"$d/expired\"; exit 0; fi\n\
             \x20 sleep \"$step\"; n=$((n - 1))\n\
             done\n\
             rm -rf \"$d\"\n\
             PXSNAP_EOF\n"
        )
    }

    /// Waits in the container until the script marked the command held, for at most `bound`
    /// (pxsnap gives up on the exec then too, but a stream pxsnap closes may not stop it).
    fn wait_held(&self, bound: Duration) -> String {
        poll_while(&format!("[ ! -e {}/held ]", self.dir), bound)
    }

    /// Lets the command go, printing its process id while it runs (nothing once it ended);
    /// exits [`EXPIRED`] when the script's deadline came first. Run again after a lost stream,
    /// it changes nothing.
    fn let_go(&self) -> String {
        format!(
            "if [ -e {d}/expired ]; then exit {EXPIRED}; fi; cat {pid} 2>/dev/null; mkdir {d}/end 2>/dev/null; exit 0",
            d = self.dir,
            pid = self.pid(),
        )
    }

    /// Waits in the container, for at most `bound`, until process `pid` (the held command's)
    /// ended; exits [`STILL_RUNNING`] when it still runs then.
    fn wait_ended(pid: u32, bound: Duration) -> String {
        poll_while(&format!("kill -0 {pid} 2>/dev/null"), bound)
    }
}

/// A shell loop, run in the container, that waits while `condition` holds, for at most
/// `bound`; exits [`STILL_RUNNING`] when it still holds then. Fractional `sleep` is not POSIX:
/// where it fails the loop sleeps a second per step.
fn poll_while(condition: &str, bound: Duration) -> String {
    let tenths = bound.as_secs().max(1) * 10;
    format!(
        "n={tenths}; while {condition}; do [ \"$n\" -le 0 ] && exit {STILL_RUNNING}; sleep {POLL} 2>/dev/null || sleep 1; n=$((n - 1)); done"
    )
}

/// One held command in one container, from the moment its exec may have started.
pub struct Session {
    /// Index into the plan's targets.
    pub index: usize,
    command: Command,
    files: HoldFiles,
    started: Instant,
    held_at: Option<jiff::Timestamp>,
    /// Turns true when the held exec ended (the command exited, or its stream was lost).
    ended: watch::Receiver<bool>,
    task: JoinHandle<Run>,
}

/// The sessions started so far: shared with the jobs that start them, so that a release
/// reaches every one of them even if the hold phase was abandoned halfway.
pub type Sessions = Arc<Mutex<Vec<Session>>>;

fn lock(sessions: &Sessions) -> std::sync::MutexGuard<'_, Vec<Session>> {
    sessions.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one hold phase needs from the plan.
pub struct HoldPlan<'a> {
    pub targets: &'a [HookTarget],
    /// Each target's held commands, by target index.
    pub commands: &'a [Vec<Command>],
    /// Bound of every short exec, and of the wait for "held".
    pub timeout: Duration,
    pub hold_timeout: Duration,
    pub parallel: usize,
}

/// Starts the held commands in `targets` (indices into `plan.targets`): pods concurrently,
/// each pod's commands in order, each started only after the one before it holds. Returns
/// the first failure, one line naming the pod; after it no further command starts. Short
/// execs take a `--parallel` slot; a held session does not, or more pods than slots would
/// wait on each other forever.
pub async fn hold_all(
    client: &Client,
    plan: &HoldPlan<'_>,
    targets: &[usize],
    sessions: &Sessions,
) -> Option<String> {
    let failed = AtomicBool::new(false);
    let limit = Semaphore::new(plan.parallel.max(1));
    let mut jobs: FuturesUnordered<_> = targets
        .iter()
        .map(|&index| {
            let pods: Api<Pod> = Api::namespaced(client.clone(), &plan.targets[index].namespace);
            let (failed, limit) = (&failed, &limit);
            async move {
                for (nth, command) in plan.commands[index].iter().enumerate() {
                    if failed.load(Ordering::SeqCst) {
                        return None;
                    }
                    let start = Start {
                        pods: &pods,
                        plan,
                        index,
                        nth,
                        command,
                        limit,
                    };
                    if let Err(failure) = start.run(sessions).await {
                        failed.store(true, Ordering::SeqCst);
                        return Some(failure);
                    }
                }
                None
            }
        })
        .collect();
    let mut first = None;
    while let Some(failure) = jobs.next().await {
        first = first.or(failure);
    }
    first
}

/// Starting one held command in one container.
struct Start<'a> {
    pods: &'a Api<Pod>,
    plan: &'a HoldPlan<'a>,
    index: usize,
    nth: usize,
    command: &'a Command,
    limit: &'a Semaphore,
}

impl Start<'_> {
    /// Writes the script, starts the command, and waits until it holds.
    async fn run(&self, sessions: &Sessions) -> Result<(), String> {
        let target = &self.plan.targets[self.index];
        let files = HoldFiles::new(self.index, self.nth);
        let setup = self.short(&files.setup(self.plan.hold_timeout)).await;
        if !setup.succeeded() {
            return Err(line(
                target,
                &self.command.text,
                &format!(
                    "could not start: writing its wait script failed: {}",
                    what_went_wrong(&setup)
                ),
            ));
        }
        let mut ended = self.spawn(files.clone(), sessions);
        let script = files.wait_held(self.plan.timeout);
        let wait = self.short(&script);
        let held = tokio::select! {
            biased;
            _ = ended.wait_for(|ended| *ended) => Err(line(
                target,
                &self.command.text,
                "ended before it reported held (its output is in the hooks of the result)",
            )),
            waited = wait => match waited.succeeded() {
                true => Ok(()),
                false => Err(line(
                    target,
                    &self.command.text,
                    &format!(
                        "did not report held within {} (--hook-timeout): does it run ${{WAIT_CMD}}?",
                        crate::duration::human(self.plan.timeout)
                    ),
                )),
            },
        };
        if held.is_ok()
            && let Some(session) = lock(sessions)
                .iter_mut()
                .find(|s| s.index == self.index && s.files.dir == files.dir)
        {
            session.held_at = Some(jiff::Timestamp::now());
        }
        held
    }

    /// A short exec in a `--parallel` slot.
    async fn short(&self, script: &str) -> HookRecord {
        let _permit = self.limit.acquire().await.ok();
        let target = &self.plan.targets[self.index];
        run_hook(
            self.pods,
            target,
            HookPhase::Hold,
            script,
            self.plan.timeout,
        )
        .await
    }

    /// Starts the held exec and registers it in the same step, so no release can miss it.
    fn spawn(&self, files: HoldFiles, sessions: &Sessions) -> watch::Receiver<bool> {
        let (done, ended) = watch::channel(false);
        let pods = self.pods.clone();
        let target = self.plan.targets[self.index].clone();
        let command = files.command(&self.command.text);
        let open_timeout = self.plan.timeout;
        let task = tokio::spawn(async move {
            let run = run_session(&pods, &target, &command, open_timeout).await;
            done.send_replace(true);
            run
        });
        lock(sessions).push(Session {
            index: self.index,
            command: self.command.clone(),
            files,
            started: Instant::now(),
            held_at: None,
            ended: ended.clone(),
            task,
        });
        ended
    }
}

/// One line naming the held command, its pod and container, and what happened.
fn line(target: &HookTarget, command: &str, what: &str) -> String {
    format!(
        "hold command {command:?} in pod {:?} (container {:?}) {what}",
        target.pod, target.container
    )
}

/// The part of a short exec's failure line after the command.
fn what_went_wrong(record: &HookRecord) -> String {
    match (&record.error, record.exit_code) {
        (Some(error), _) => error.clone(),
        (None, code) => format!(
            "exit code {}: {}",
            code.map_or("-".to_string(), |c| c.to_string()),
            record.stderr.trim()
        ),
    }
}

/// Resolves once any held command ended: its lock is gone, so the snapshot step must stop.
pub async fn any_ended(sessions: &Sessions) {
    let mut ended: Vec<watch::Receiver<bool>> =
        lock(sessions).iter().map(|s| s.ended.clone()).collect();
    if ended.is_empty() {
        return std::future::pending().await;
    }
    let waits = ended
        .iter_mut()
        .map(|e| Box::pin(async move { e.wait_for(|ended| *ended).await.is_ok() }));
    let _ = futures::future::select_all(waits).await;
}

/// What letting go of the held commands found.
#[derive(Default)]
pub struct LetGo {
    pub records: Vec<HookRecord>,
    /// Commands that held, then ended (or their deadline passed) before pxsnap let them go:
    /// their lock may have been gone at the cut.
    pub lock_lost: Vec<String>,
    /// Commands that could not be let go, or did not end within the hook timeout after it.
    pub not_released: Vec<String>,
}

/// Lets every held command go (a short exec each, retried on a lost stream), then waits up
/// to `timeout` for each to end.
pub async fn let_go_all(
    client: &Client,
    targets: &[HookTarget],
    sessions: Vec<Session>,
    timeout: Duration,
    attempts: u32,
) -> LetGo {
    let jobs: FuturesUnordered<_> = sessions
        .into_iter()
        .map(|session| {
            let target = &targets[session.index];
            let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
            async move { session.let_go(&pods, target, timeout, attempts).await }
        })
        .collect();
    let mut out = LetGo::default();
    for (record, outcome) in jobs.collect::<Vec<_>>().await {
        match outcome {
            Some(Failure::LockLost(line)) => out.lock_lost.push(line),
            Some(Failure::NotReleased(line)) => out.not_released.push(line),
            None => {}
        }
        out.records.push(record);
    }
    out
}

enum Failure {
    LockLost(String),
    NotReleased(String),
}

impl Session {
    async fn let_go(
        mut self,
        pods: &Api<Pod>,
        target: &HookTarget,
        timeout: Duration,
        attempts: u32,
    ) -> (HookRecord, Option<Failure>) {
        // The flag the snapshot step was abandoned on, not `task.is_finished()`: the task sets
        // it just before it returns, and a release that ran in between judged the command
        // still held, so a step abandoned for its end settled nothing (an unanswered create
        // left unreported) and the lost lock read as a failed post command.
        let ended_first = *self.ended.borrow();
        let release = run_retried(
            pods,
            target,
            HookPhase::Hold,
            &self.files.let_go(),
            timeout,
            attempts,
        )
        .await;
        let released_at = release.succeeded().then(jiff::Timestamp::now);
        let run = match tokio::time::timeout(timeout, &mut self.task).await {
            Ok(Ok(run)) => Some(run),
            Ok(Err(_)) => None,
            Err(_elapsed) => {
                self.task.abort();
                None
            }
        };
        let mut record = match run {
            Some(run) => hook_record(
                HookPhase::Hold,
                target,
                &self.command.text,
                run,
                timeout,
                self.started,
            ),
            None => {
                let mut record = hook_record(
                    HookPhase::Hold,
                    target,
                    &self.command.text,
                    Run::TimedOut,
                    timeout,
                    self.started,
                );
                record.error = Some(format!(
                    "was still running {} after pxsnap let it go",
                    crate::duration::human(timeout)
                ));
                record
            }
        };
        // A held exec whose stream was lost (a dropped connection) no longer says when its
        // command ends, and on containerd or CRI-O the command still runs and holds its lock:
        // without this wait the post commands would start under the lock, and pxsnap could
        // exit before the lock went. The let-go printed the command's process id (nothing:
        // the command already ended); wait, as for a stream, up to `timeout` for it to end.
        let pid = release.stdout.trim().parse::<u32>().ok();
        if let Some(pid) = pid.filter(|_| record.stream_lost && release.succeeded()) {
            let script = HoldFiles::wait_ended(pid, timeout);
            let waited =
                run_hook(pods, target, HookPhase::Hold, &script, timeout + WAIT_SLACK).await;
            // Still running (or not to be asked): what a live stream that outlived its let-go
            // says, so it is judged and reported the same way.
            if !waited.succeeded() {
                record.exit_code = None;
                record.error = Some(match waited.exit_code {
                    Some(STILL_RUNNING) => format!(
                        "its stream was lost, and it was still running {} after pxsnap let it go",
                        crate::duration::human(timeout)
                    ),
                    _ => format!(
                        "its stream was lost, and whether it ended after pxsnap let it go is not known ({})",
                        what_went_wrong(&waited)
                    ),
                });
            }
        }
        record.held_at = self.held_at.map(|t| t.to_string());
        record.rule = self.command.rule.clone();
        record.released_at = released_at.map(|t| t.to_string());
        let failure = self.judge(target, &record, &release, ended_first);
        (record, failure)
    }

    /// What went wrong with a command that held, if anything. One that never held already
    /// failed the hold phase and is only let go here.
    fn judge(
        &self,
        target: &HookTarget,
        record: &HookRecord,
        release: &HookRecord,
        ended_first: bool,
    ) -> Option<Failure> {
        self.held_at?;
        let say = |what: &str| line(target, &self.command.text, what);
        if ended_first {
            let mut what = format!(
                "ended before pxsnap let it go ({}): its lock may have been gone at the cut",
                ending(record)
            );
            // A lost stream is no proof that the command ended: on containerd or CRI-O it
            // still runs and holds its lock, which the user must hear of when pxsnap could
            // not let it go either.
            if record.stream_lost && !release.succeeded() {
                what.push_str(&format!(
                    "; it could not be let go ({}), so it may hold its lock until its --hold-timeout passes",
                    what_went_wrong(release)
                ));
            }
            return Some(Failure::LockLost(say(&what)));
        }
        if release.exit_code == Some(EXPIRED) {
            return Some(Failure::LockLost(say(
                "outlived its --hold-timeout, which let the lock go before pxsnap did: it may have been gone at the cut; raise --hold-timeout",
            )));
        }
        if !release.succeeded() {
            return Some(Failure::NotReleased(say(&format!(
                "could not be let go ({}); it lets go by itself when its --hold-timeout passes",
                what_went_wrong(release)
            ))));
        }
        (!record.succeeded()).then(|| {
            Failure::NotReleased(say(&format!("after pxsnap let it go: {}", ending(record))))
        })
    }
}

/// How a held command ended, in words.
fn ending(record: &HookRecord) -> String {
    match (&record.error, record.exit_code) {
        (Some(error), _) => error.clone(),
        (None, Some(code)) => format!("exited with code {code}"),
        (None, None) => "ended without an exit status".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_path_is_one_token_without_quotes() {
        let files = HoldFiles::new(2, 0);
        let command = files.command("mysql -e 'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'");
        let path = command
            .split_whitespace()
            .find(|w| w.contains("/wait"))
            .expect("path");
        assert!(path.starts_with("/tmp/pxsnap-hold-") && path.ends_with("-2-0/wait;'"));
        assert!(!command.contains(WAIT_CMD));
        let pid = format!("echo $$ > {}.pid\nmysql -e", files.dir);
        assert!(command.starts_with(&pid), "{command}");
        assert!(command.ends_with(&format!("\nrc=$?; rm -f {}.pid; exit $rc", files.dir)));
    }
}
