//! The shared core every snapshotting subcommand drives: check the PVCs, locate the pods, and
//! run a snapshot step inside the freeze window, releasing afterwards whatever happened.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::FutureExt;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::ListParams;

use crate::backend::Disposal;
use crate::backend::snapshot_api::Volume;
use crate::backend::snapshotter::Snapshotter;
use crate::error::{Error, Result, Signal, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::RuleItem;
use crate::pipeline::locate::{HookTarget, Located, check_pvc, locate};
use crate::pipeline::quiesce::{HookPlan, Released, Stage, freeze};
use crate::pipeline::rules::{self, RuleStage, Side};
use crate::progress::warn_and_record;
use crate::signals::{AfterRelease, Signals};

/// Reads a PVC and its PV and checks that it is a bound Portworx volume; returns the PVC and
/// what its volume is, which decides the snapshot API.
pub async fn check_snapshottable(
    cluster: &Cluster,
    namespace: &str,
    pvc_name: &str,
) -> Result<(PersistentVolumeClaim, Volume)> {
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client.clone(), namespace);
    let pvc = cluster
        .read("get", "persistentvolumeclaims", Some(namespace), || {
            pvcs.get_opt(pvc_name)
        })
        .await?
        .ok_or_else(|| Error::PvcNotFound {
            pvc: pvc_name.to_string(),
            namespace: namespace.to_string(),
        })?;
    let pv = match pvc.spec.as_ref().and_then(|s| s.volume_name.clone()) {
        Some(volume) if !volume.is_empty() => {
            let pvs: Api<PersistentVolume> = Api::all(cluster.client.clone());
            cluster
                .read("get", "persistentvolumes", None, || pvs.get_opt(&volume))
                .await?
        }
        _ => None,
    };
    check_pvc(&pvc, pv.as_ref())?;
    // check_pvc refuses a missing PV.
    let volume = pv.as_ref().map_or(Volume::Other, Volume::of);
    Ok((pvc, volume))
}

/// Lists the PVCs `selector` matches (one list call) and their PVs (one list call, whatever the
/// number of PVCs: a GET per PVC would grow with the group), and checks every one of them, so
/// the user learns about all the problems in one run. Returns the PVCs' names sorted, each with
/// what its volume is.
pub async fn check_selected(
    cluster: &Cluster,
    namespace: &str,
    selector: &str,
) -> Result<Vec<(String, Volume)>> {
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default().labels(selector);
    let mut matched = cluster
        .read("list", "persistentvolumeclaims", Some(namespace), || {
            pvcs.list(&params)
        })
        .await?
        .items;
    if matched.is_empty() {
        return Err(Error::NoPvcMatched {
            selector: selector.to_string(),
            namespace: namespace.to_string(),
        });
    }
    matched.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let pvs: Api<PersistentVolume> = Api::all(cluster.client.clone());
    let all = ListParams::default();
    let all_pvs = cluster
        .read("list", "persistentvolumes", None, || pvs.list(&all))
        .await?
        .items;
    let by_name: BTreeMap<&str, &PersistentVolume> = all_pvs
        .iter()
        .filter_map(|pv| Some((pv.metadata.name.as_deref()?, pv)))
        .collect();
    let pv_of = |pvc: &PersistentVolumeClaim| {
        let volume = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref());
        volume.and_then(|v| by_name.get(v).copied())
    };
    let problems: Vec<String> = matched
        .iter()
        .filter_map(|pvc| check_pvc(pvc, pv_of(pvc)).err().map(|e| e.to_string()))
        .collect();
    if problems.is_empty() {
        Ok(matched
            .iter()
            .map(|pvc| {
                let name = pvc.metadata.name.clone().unwrap_or_default();
                (name, pv_of(pvc).map_or(Volume::Other, Volume::of))
            })
            .collect())
    } else {
        Err(Error::PvcsNotSnapshottable {
            selector: selector.to_string(),
            total: matched.len(),
            problems,
        })
    }
}

/// The user's commands and how to run them: what `--pre`, `--hold`, `--post`, `-c`,
/// `--hook-timeout`, `--hold-timeout`, `--allow-no-pods` and `--parallel` said, without the
/// command line's types.
#[derive(Clone, Debug)]
pub struct HookOptions {
    pub pre: Vec<String>,
    pub hold: Vec<String>,
    pub hold_timeout: std::time::Duration,
    pub post: Vec<String>,
    pub container: Option<String>,
    pub hook_timeout: std::time::Duration,
    pub allow_no_pods: bool,
    /// Most exec streams open at once.
    pub parallel: usize,
    /// STORK Rules run before and after the snapshot (`--pre-rule`, `--post-rule`).
    pub pre_rule: Option<String>,
    pub post_rule: Option<String>,
    /// Run Rules even where a pod the pre side quiesces gets no post command (`--force`).
    pub force: bool,
}

impl HookOptions {
    /// Whether there is any command to run at all.
    pub fn has_commands(&self) -> bool {
        !self.pre.is_empty() || !self.hold.is_empty() || !self.post.is_empty()
    }

    /// Whether a command quiesces the application until the release.
    pub fn quiesces(&self) -> bool {
        !self.pre.is_empty() || !self.hold.is_empty() || self.pre_rule.is_some()
    }
}

/// Lists the namespace's pods once and finds the containers to quiesce for `pvcs`, and those
/// the Rules select. No running pod while commands were asked for is an error unless
/// `--allow-no-pods`.
pub async fn locate_targets(
    cluster: &Cluster,
    namespace: &str,
    pvcs: &[String],
    hooks: &HookOptions,
) -> Result<Located> {
    let pre_rule = load_rule(cluster, hooks.pre_rule.as_deref(), Side::Pre).await?;
    let post_rule = load_rule(cluster, hooks.post_rule.as_deref(), Side::Post).await?;
    let api: Api<Pod> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default();
    let pods = cluster
        .read("list", "pods", Some(namespace), || api.list(&params))
        .await?;
    let mut located = locate(&pods.items, pvcs, hooks.container.as_deref())?;
    if located.targets.is_empty() && hooks.has_commands() && !hooks.allow_no_pods {
        let not_running: Vec<String> = located
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.pod, s.reason))
            .collect();
        return Err(Error::NoPods {
            pvc: pvcs.join(", "),
            namespace: namespace.to_string(),
            not_running: if not_running.is_empty() {
                String::new()
            } else {
                format!(" ({})", not_running.join("; "))
            },
        });
    }
    let plan = &mut located.rules;
    if let Some((name, items)) = &pre_rule {
        plan.pre = rules::resolve(name, items, &pods.items, &mut plan.warnings)?;
    }
    if let Some((name, items)) = &post_rule {
        plan.post = rules::resolve(name, items, &pods.items, &mut plan.warnings)?;
    }
    if !hooks.force {
        check_released(&located, hooks)?;
    }
    Ok(located)
}

/// The Rule `name` names, checked, if any.
async fn load_rule(
    cluster: &Cluster,
    name: Option<&str>,
    side: Side,
) -> Result<Option<(String, Vec<RuleItem>)>> {
    match name {
        Some(name) => Ok(Some((
            name.to_string(),
            rules::load(cluster, name, side).await?,
        ))),
        None => Ok(None),
    }
}

/// Rules choose pods by label, not by PVC: refuses a run whose pre side quiesces a pod that no
/// post command reaches. Held commands (and background actions) let go by themselves.
fn check_released(located: &Located, hooks: &HookOptions) -> Result<()> {
    let rules = &located.rules;
    if rules.pre.is_empty() && rules.post.is_empty() {
        return Ok(());
    }
    let quiesced = pods_of(located, &hooks.pre, &rules.pre, true);
    let released = pods_of(located, &hooks.post, &rules.post, false);
    let missing: Vec<String> = quiesced
        .difference(&released)
        .map(|pod| format!("pod {pod:?}"))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(Error::NoRelease {
            pods: missing.join(", "),
        }),
    }
}

/// The pods `given` commands (on the PVCs' pods) and Rule `stages` run in; `foreground` leaves
/// out background actions, which let go by themselves.
fn pods_of<'a>(
    located: &'a Located,
    given: &[String],
    stages: &'a [RuleStage],
    foreground: bool,
) -> BTreeSet<&'a str> {
    let by_pvc = located.targets.iter().filter(|_| !given.is_empty());
    let ruled = stages
        .iter()
        .filter(|s| !(foreground && s.background))
        .flat_map(|s| s.targets.iter());
    by_pvc.chain(ruled).map(|t| t.pod.as_str()).collect()
}

/// The plan for the located targets with the user's commands and the Rules' actions. A
/// container both a PVC and a Rule select is one target, so it is released once.
pub fn hook_plan(located: &Located, hooks: &HookOptions) -> HookPlan {
    let mut targets = located.targets.clone();
    let mut stages = |list: &[RuleStage], background: bool| -> Vec<Stage> {
        list.iter()
            .filter(|s| s.background == background)
            .map(|s| Stage {
                rule: s.rule.clone(),
                command: s.command.clone(),
                targets: s
                    .targets
                    .iter()
                    .map(|t| index_of(&mut targets, t))
                    .collect(),
            })
            .collect()
    };
    let pre_rule = stages(&located.rules.pre, false);
    let rule_hold = stages(&located.rules.pre, true);
    let post_rule = stages(&located.rules.post, false);
    HookPlan {
        targets,
        located: located.targets.len(),
        pre: hooks.pre.clone(),
        hold: hooks.hold.clone(),
        hold_timeout: hooks.hold_timeout,
        post: hooks.post.clone(),
        timeout: hooks.hook_timeout,
        parallel: hooks.parallel,
        pre_rule,
        rule_hold,
        post_rule,
    }
}

/// The index of the container `target` names in `targets`, added if it is not there yet.
fn index_of(targets: &mut Vec<HookTarget>, target: &HookTarget) -> usize {
    let same = |t: &HookTarget| t.pod == target.pod && t.container == target.container;
    match targets.iter().position(same) {
        Some(index) => index,
        None => {
            targets.push(target.clone());
            targets.len() - 1
        }
    }
}

/// How a frozen run ended.
pub struct FrozenRun<T> {
    /// The snapshot step's result, or `None` when it did not run to the end.
    pub value: Option<T>,
    /// Whether the snapshot step started, so its create may have been sent. When it did not,
    /// an object with the snapshot's name is not this run's, and there is nothing to settle.
    pub step_ran: bool,
    pub pre_failure: Option<String>,
    /// A held command that could not start or never reported held: no snapshot step ran.
    pub hold_failure: Option<String>,
    /// Held commands that stopped holding before pxsnap let them go, one line each: the
    /// snapshot may have been cut without their lock.
    pub lock_lost: Vec<String>,
    /// Every failed post command, one line each, in the order of `released.records`.
    pub post_failures: Vec<String>,
    pub interrupted: Option<Signal>,
    pub released: Released,
}

impl<T> FrozenRun<T> {
    /// A run that froze nothing and ran no step.
    fn unfrozen(pre_failure: Option<String>, interrupted: Option<Signal>) -> FrozenRun<T> {
        FrozenRun {
            value: None,
            step_ran: false,
            pre_failure,
            hold_failure: None,
            lock_lost: Vec::new(),
            post_failures: Vec::new(),
            interrupted,
            released: Released::nothing(),
        }
    }
}

/// Runs pre commands, then `step` (only if every pre command succeeded), then the post
/// commands in every pod whose pre command started — after `step` finished, failed, or was
/// abandoned because of a signal.
pub async fn run_frozen<T, F>(
    cluster: &Cluster,
    plan: HookPlan,
    signals: &mut Signals,
    step: F,
) -> FrozenRun<T>
where
    F: Future<Output = T>,
{
    if let Err(err) = signals.arm() {
        // Without handlers a Ctrl-C would kill pxsnap mid-freeze; refuse to freeze instead.
        return FrozenRun::unfrozen(
            Some(format!(
                "cannot take over SIGINT/SIGTERM ({err}), so no pod was frozen"
            )),
            None,
        );
    }
    // Armed by an earlier freeze of this process (`apply`'s previous document), the handlers
    // caught a Ctrl-C while nothing was frozen: stop before freezing anything.
    if let Some(signal) = signals.recv().now_or_never() {
        return FrozenRun::unfrozen(None, Some(signal));
    }
    let mut frozen = freeze(&cluster.client, plan, signals).await;
    frozen.hold(signals).await;
    let mut value = None;
    let step_ran = frozen.is_quiesced();
    if step_ran {
        tokio::select! {
            // A step that finished in the same poll as a signal counts as finished: its
            // snapshot is good and must not be deleted as interrupted.
            biased;
            done = step => value = Some(done),
            signal = signals.recv() => frozen.interrupted = Some(signal),
            // A held command that ended took its lock with it: no cut may come after that.
            // The release names it.
            () = frozen.held_ended() => {}
        }
    }
    let pre_failure = frozen.pre_failure.clone();
    let hold_failure = frozen.hold_failure.clone();
    let frozen_interrupted = frozen.interrupted;
    let mut released = frozen.release(signals).await;
    // A signal during the release still ends the run as interrupted (exit 130/143).
    let interrupted = frozen_interrupted.or(released.signal);
    let post_failures = std::mem::take(&mut released.post_failures);
    let lock_lost = std::mem::take(&mut released.lock_lost);
    FrozenRun {
        value,
        step_ran,
        pre_failure,
        hold_failure,
        lock_lost,
        post_failures,
        interrupted,
        released,
    }
}

/// How a frozen run ends, decided in the same order by every snapshotting command: a failed
/// pre command, then the snapshot step's own failure, then a signal (which overrides both),
/// then — only when nothing else went wrong — a failed post command.
pub struct Verdict {
    error: Option<(Step, Error)>,
    /// Why the object this run created must be settled (deleted unless `--keep-failed`).
    settle: Option<Settle>,
    /// Whether an object with the snapshot's name may be this run's: the step started (its
    /// create may have been sent), and the create was not answered with a name clash.
    may_own_object: bool,
    /// Whether the snapshot step returned. A step cut short by a signal may have sent a
    /// create the API server has not answered yet.
    step_answered: bool,
    /// Errors a later one replaced as the one deciding the exit (a signal, a lost lock), each
    /// with what replaced it; still said, as warnings.
    superseded: Vec<(Error, &'static str)>,
}

/// Why an object must be settled, and whether it may appear after pxsnap looked for it.
#[derive(Clone, Copy, Debug)]
pub struct Settle {
    pub reason: &'static str,
    /// The create was sent and not answered (timed out, connection lost, cut by a signal): a
    /// real API server may still commit it after pxsnap found nothing, and STORK would then
    /// cut that snapshot after the release, so the user must hear of it.
    pub may_appear_later: bool,
}

impl Verdict {
    pub fn new<T>(run: &FrozenRun<T>) -> Verdict {
        Verdict {
            error: match (&run.pre_failure, &run.hold_failure) {
                (Some(failure), _) => Some((Step::Pre, Error::PreFailed(failure.clone()))),
                (None, Some(failure)) => Some((Step::Hold, Error::HoldFailed(failure.clone()))),
                (None, None) => None,
            },
            settle: None,
            may_own_object: run.step_ran,
            step_answered: run.value.is_some(),
            superseded: Vec::new(),
        }
    }

    /// The snapshot step failed at `step`; `settle` says why its object must go, if it must.
    pub fn failed(&mut self, step: Step, error: Error, settle: Option<&'static str>) {
        self.error = Some((step, error));
        if let Some(reason) = settle {
            self.settle = Some(Settle {
                reason,
                may_appear_later: false,
            });
        }
    }

    /// The create failed. It may still have reached the API server although no answer came
    /// back, and an object this run made must not be cut after the release, so it is settled —
    /// unless the answer was a name clash, which says this run created nothing.
    pub fn create_failed(&mut self, error: Error) {
        let clash = matches!(error, Error::NameTaken { .. });
        self.may_own_object &= !clash;
        let settle = match clash {
            true => None,
            false => Some(Settle {
                reason: "could not be confirmed created",
                may_appear_later: matches!(
                    error,
                    Error::Timeout { .. } | Error::Unreachable { .. }
                ),
            }),
        };
        self.error = Some((Step::Snapshot, error));
        self.settle = settle;
    }

    /// Held commands stopped holding before pxsnap let them go, so the snapshot may have been
    /// cut without their lock: that decides the run (what the snapshot step said becomes a
    /// warning), and an object this run may have created is settled. Returns whether it is.
    pub fn lock_lost(&mut self, lost: &[String]) -> bool {
        if lost.is_empty() {
            return false;
        }
        let replaced = self
            .error
            .replace((Step::Hold, Error::HoldFailed(lost.join("; "))));
        if let Some((_, replaced)) = replaced {
            self.superseded
                .push((replaced, "while a held command's lock was gone"));
        }
        if self.may_own_object {
            let unanswered = self.settle.is_some_and(|s| s.may_appear_later);
            self.settle = Some(Settle {
                reason: "may have been cut without a held command's lock",
                may_appear_later: unanswered || !self.step_answered,
            });
        }
        self.may_own_object
    }

    /// A signal ended the run. Unless the snapshot was already known good, pxsnap can no longer
    /// vouch that the cut came before the release: returns true when the caller must report
    /// it as interrupted (it is then settled). A signal before the snapshot step started
    /// interrupted no snapshot: there is nothing to report or settle.
    pub fn interrupted(&mut self, signal: Option<Signal>, known_good: bool) -> bool {
        if signal.is_none() {
            return false;
        }
        self.signalled(signal);
        let unsettled = self.may_own_object && !known_good;
        if unsettled {
            // A create already known to be unanswered stays so, whatever the step returned.
            let unanswered = self.settle.is_some_and(|s| s.may_appear_later);
            self.settle = Some(Settle {
                reason: "was interrupted",
                may_appear_later: unanswered || !self.step_answered,
            });
        }
        unsettled
    }

    /// A signal decides the exit code. Used alone for a signal after the release (see
    /// [`AfterRelease`]): it cut pxsnap's own calls short, and the snapshot's state stands.
    /// The error it replaces (STORK's failure message, a timeout) is kept for a warning.
    fn signalled(&mut self, signal: Option<Signal>) {
        if let Some(signal) = signal {
            let replaced = self
                .error
                .replace((Step::Interrupted, Error::interrupted(signal)));
            if let Some((_, replaced)) = replaced
                && !matches!(replaced, Error::Interrupted { .. })
            {
                self.superseded
                    .push((replaced, "before a signal ended the run"));
            }
        }
    }

    /// How every snapshotting command ends, in one order: settle the object this run gave up
    /// on, if any (deleted unless `keep`, by `delete`, which only runs then); let a signal that
    /// came meanwhile decide the exit; then pick the error, the other failures becoming
    /// warnings. Returns whether the object was deleted, and the error.
    pub async fn conclude(
        mut self,
        object: &Unfinished,
        keep: bool,
        after: &mut AfterRelease<'_>,
        delete: impl Future<Output = Result<Disposal>>,
        post_failures: Vec<String>,
        warnings: &mut Vec<String>,
    ) -> (bool, Option<(Step, Error)>) {
        let deleted = match self.settle {
            Some(settle) => settle_unfinished(object, settle, keep, after, delete, warnings).await,
            None => false,
        };
        self.signalled(after.signal());
        (deleted, self.into_error(post_failures, warnings))
    }

    /// The error that ends the run, if any. A failed post command may leave an application
    /// quiesced, so each one is on stderr: the first decides the exit code when nothing else
    /// went wrong, and every other becomes a warning (stderr and `warnings`).
    fn into_error(
        self,
        post_failures: Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Option<(Step, Error)> {
        let mut post_failures = post_failures.into_iter();
        let error = match self.error {
            Some((step, Error::Interrupted { signal, .. })) => {
                let failed_posts = post_failures.len();
                let error = Error::Interrupted {
                    signal,
                    failed_posts,
                };
                Some((step, error))
            }
            Some(error) => Some(error),
            None => post_failures
                .next()
                .map(|failure| (Step::Post, Error::PostFailed(failure))),
        };
        for (superseded, note) in self.superseded {
            warn_and_record(warnings, format!("{superseded} ({note})"));
        }
        for failure in post_failures {
            warn_and_record(
                warnings,
                format!("{failure}; the application there may not have been released"),
            );
        }
        error
    }
}

/// An object this run created and may have to delete.
pub struct Unfinished {
    /// How messages name it: `snapshot "x"`.
    what: String,
    /// The command that deletes it, for when pxsnap could not.
    delete_with: String,
}

impl Unfinished {
    pub fn of<S: Snapshotter>(name: &str, namespace: &str) -> Unfinished {
        Unfinished {
            what: format!("{} {name:?}", S::NOUN),
            delete_with: S::delete_command(name, namespace),
        }
    }
}

/// Deletes an object this run created and gave up on (STORK would keep retrying it,
/// re-running its rules), unless `--keep-failed`; `reason` says what happened. An object this
/// run did not create is never deleted. Returns whether it was deleted; what the user should
/// know about it is a warning, on stderr and in `warnings`.
async fn settle_unfinished(
    object: &Unfinished,
    settle: Settle,
    keep: bool,
    after: &mut AfterRelease<'_>,
    delete: impl Future<Output = Result<Disposal>>,
    warnings: &mut Vec<String>,
) -> bool {
    let Unfinished { what, delete_with } = object;
    let reason = settle.reason;
    let (deleted, warning) = if keep {
        (
            false,
            Some(format!("{what} {reason}; kept because of --keep-failed")),
        )
    } else {
        match after.call(delete).await {
            Ok(Ok(Disposal::Deleted)) => (
                true,
                Some(format!(
                    "{what} {reason}; deleted it (use --keep-failed to keep it)"
                )),
            ),
            Ok(Ok(Disposal::Absent)) => (
                false,
                settle.may_appear_later.then(|| {
                    format!(
                        "{what} {reason}; none exists now, but the API server did not answer its create and may still commit it (STORK would then cut it after the release): if it appears, delete it: {delete_with}"
                    )
                }),
            ),
            Ok(Ok(Disposal::NotOurs)) => (
                false,
                Some(format!(
                    "{what} {reason}; the object of that name was not created by this run, so it was left alone"
                )),
            ),
            Ok(Err(err)) => (
                false,
                Some(format!(
                    "{what} {reason} and could not be deleted: {err}; to delete it: {delete_with}"
                )),
            ),
            Err(signal) => (
                false,
                Some(format!(
                    "{what} {reason}; not deleted because of {}; to delete it: {delete_with}",
                    signal.name()
                )),
            ),
        }
    };
    // Said on stderr as well as in the result: whether the object is still there is
    // something the user acts on.
    if let Some(warning) = warning {
        warn_and_record(warnings, warning);
    }
    deleted
}
