//! `pxsnap group-snap`: every PVC a label selector matches, cut at one consistency point by a
//! STORK GroupVolumeSnapshot, inside one freeze window.
//!
//! The same pipeline as `snap` (one pod list, `pipeline::snapshot::take`), with a group
//! instead of a single VolumeSnapshot: one PVC list and one PV list for the whole selector.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tabled::{Table, Tabled};

use crate::backend::csi::Csi;
use crate::backend::csi_group::{self, CsiGroup, CsiGroupRequest, GroupApi};
use crate::backend::group::{self, GroupKind, GroupRequest, StorkGroup};
use crate::backend::snapshot_api::{
    GroupDecision, Preference, SnapshotApi, decide_group, group_offer,
};
use crate::backend::snapshotter::{Snapshotter, Stage};
use crate::cli::{GlobalArgs, GroupSnapArgs};
use crate::error::{Error, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{CsiGroupSnapshot, GroupVersion, V1beta1, V1beta2};
use crate::k8s::resources::{GroupVolumeSnapshot, STORK_GROUP_VERSION};
use crate::output::report::{
    ErrorReport, Fallible, Outcome, Report, hooks_table, plain_table, summary,
};
use crate::output::status::Status;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::locate::Located;
use crate::pipeline::quiesce::FreezeWindow;
use crate::pipeline::run::HookOptions;
use crate::pipeline::run::{check_selected, hook_plan, locate_targets};
use crate::pipeline::snapshot::{Ending, Job, take};
use crate::progress::{Progress, warn_and_record};
use crate::signals::{AfterRelease, Signals};

/// How `-o name` spells a GroupVolumeSnapshot, as kubectl does.
const GROUP_RESOURCE: &str = "groupvolumesnapshot.stork.libopenstorage.org";
/// The default `--timeout` of a local snapshot (as `snap`'s), and of a cloud one (as
/// `cloud-snap`'s); `apply` takes them too.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const CLOUD_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The `-o json` document of `group-snap`: `SnapResult`'s shape with `group` for `snapshot`
/// and the children added.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSnapResult {
    pub kind: &'static str,
    pub group: GroupReport,
    pub children: Vec<ChildReport>,
    pub hooks: Vec<HookRecord>,
    pub freeze: Option<FreezeWindow>,
    pub warnings: Vec<String>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupReport {
    /// The group API used: `stork.libopenstorage.org/v1alpha1` (STORK's GroupVolumeSnapshot) or
    /// `groupsnapshot.storage.k8s.io/v1beta2|v1beta1` (CSI's VolumeGroupSnapshot).
    pub api_version: String,
    pub kind: String,
    /// How `-o name` spells the resource.
    #[serde(skip)]
    name_resource: &'static str,
    pub name: String,
    pub namespace: String,
    /// The matchLabels the group selects PVCs by.
    pub selector: BTreeMap<String, String>,
    /// The PVCs the selector matched when pxsnap checked them.
    pub pvcs: Vec<String>,
    #[serde(rename = "type")]
    pub type_: String,
    /// Successful, Failed, InProgress, TimedOut, Interrupted, Deleted, NotCreated or Planned.
    pub status: Status,
    /// STORK's `status.stage` when pxsnap last saw the group.
    pub stage: String,
    pub num_retries: u32,
    pub created_at: Option<String>,
    /// When every member was cut: CSI's `status.creationTime`; on STORK's API, which shows no
    /// cut, not known.
    pub cut_at: Option<String>,
    /// The VolumeGroupSnapshotClass of a CSI group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    pub restore_namespaces: Vec<String>,
    /// True when pxsnap deleted the group after a failure, timeout or interruption.
    pub deleted: bool,
}

/// One child VolumeSnapshot of the group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildReport {
    pub name: String,
    /// `None` when STORK named the child after a volume ID (it could not resolve the PVC).
    pub pvc: Option<String>,
    pub volume_id: Option<String>,
    /// Ready, Error or Pending, from the child's condition.
    pub status: Status,
}

impl GroupSnapResult {
    fn new(group: GroupReport) -> GroupSnapResult {
        GroupSnapResult {
            kind: "GroupSnapResult",
            group,
            children: Vec::new(),
            hooks: Vec::new(),
            freeze: None,
            warnings: Vec::new(),
            error: None,
        }
    }

    fn done(self) -> Outcome<GroupSnapResult> {
        Outcome::ok(self)
    }
}

#[derive(Tabled)]
struct ChildRow {
    #[tabled(rename = "SNAPSHOT")]
    name: String,
    #[tabled(rename = "PVC")]
    pvc: String,
    #[tabled(rename = "STATUS")]
    status: String,
}

#[derive(Tabled)]
struct FreezeRow {
    #[tabled(rename = "POD")]
    pod: String,
    #[tabled(rename = "CONTAINER")]
    container: String,
    #[tabled(rename = "FROZEN")]
    frozen: String,
}

fn human_ms(ms: u64) -> String {
    crate::duration::human(Duration::from_millis(ms))
}

impl Report for GroupSnapResult {
    fn table(&self) -> String {
        let g = &self.group;
        let selector: Vec<String> = g.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut pairs = vec![
            ("GROUP", g.name.clone()),
            ("NAMESPACE", g.namespace.clone()),
            ("SELECTOR", selector.join(",")),
            ("PVCS", g.pvcs.len().to_string()),
            ("TYPE", g.type_.clone()),
            (
                "STATUS",
                if g.deleted {
                    format!("{} (deleted)", g.status)
                } else {
                    g.status.to_string()
                },
            ),
        ];
        if !g.stage.is_empty() {
            pairs.push(("STAGE", g.stage.clone()));
        }
        if let Some(freeze) = &self.freeze {
            let longest = match &freeze.longest_pod {
                Some(pod) => format!("{} (pod {pod}), ", human_ms(freeze.longest_ms)),
                None => String::new(),
            };
            pairs.push((
                "FREEZE",
                format!("{longest}{} overall", human_ms(freeze.duration_ms)),
            ));
        }
        let mut text = summary(&pairs);
        if !self.children.is_empty() {
            let rows = self.children.iter().map(|c| ChildRow {
                name: c.name.clone(),
                pvc: c.pvc.clone().or(c.volume_id.clone()).unwrap_or_default(),
                status: c.status.to_string(),
            });
            text.push('\n');
            text.push_str(&plain_table(Table::new(rows)));
        }
        if let Some(freeze) = self.freeze.as_ref().filter(|f| !f.per_pod.is_empty()) {
            let rows = freeze.per_pod.iter().map(|w| FreezeRow {
                pod: w.pod.clone(),
                container: w.container.clone(),
                frozen: human_ms(w.duration_ms),
            });
            text.push('\n');
            text.push_str(&plain_table(Table::new(rows)));
        }
        if !self.hooks.is_empty() {
            text.push('\n');
            text.push_str(&hooks_table(&self.hooks));
        }
        text
    }

    fn names(&self) -> Vec<String> {
        if matches!(self.group.status, Status::NotCreated | Status::Planned) || self.group.deleted {
            return Vec::new();
        }
        vec![self.group.name_output()]
    }
}

pub async fn run(
    global: &GlobalArgs,
    args: &GroupSnapArgs,
    signals: &mut Signals,
) -> Outcome<GroupSnapResult> {
    run_with(global, args, &Written::default(), signals).await
}

/// A manifest's own labels and annotations (`apply`), which the group carries beside pxsnap's.
#[derive(Debug, Default)]
pub struct Written {
    pub labels: Vec<(String, String)>,
    pub annotations: BTreeMap<String, String>,
}

/// `group-snap` with what a manifest wrote on the group (`apply`).
pub async fn run_with(
    global: &GlobalArgs,
    args: &GroupSnapArgs,
    written: &Written,
    signals: &mut Signals,
) -> Outcome<GroupSnapResult> {
    let hooks = args.hooks.options(args.fate.force);
    let kind = match args.cloud {
        true => GroupKind::Cloud {
            cred_id: args.cred_id.clone(),
        },
        false => GroupKind::Local,
    };
    let mut result = GroupSnapResult::new(GroupReport {
        name: args.name.clone().unwrap_or_default(),
        type_: kind.label().to_string(),
        status: Status::NotCreated,
        credential: args.cred_id.clone(),
        restore_namespaces: args.restore_namespaces.clone(),
        ..Default::default()
    });
    let labels = match group::parse_match_labels(&args.selector) {
        Ok(labels) => labels,
        Err(err) => return result.fail(Step::Config, err),
    };
    if result.group.name.is_empty() {
        result.group.name = group::default_name(&labels, jiff::Timestamp::now());
    }
    result.group.selector = labels.iter().cloned().collect();
    let selector = group::selector_text(&labels);

    let timeout = args.timeout.unwrap_or(match args.cloud {
        true => CLOUD_TIMEOUT,
        false => LOCAL_TIMEOUT,
    });
    let progress = Progress::new(!global.quiet && !global.no_progress);
    progress.step("connecting");
    let cluster = match Cluster::connect(&global.target(), timeout).await {
        Ok(cluster) => cluster,
        Err(err) => return result.fail(Step::Config, err),
    };
    let namespace = cluster.namespace.clone();
    result.group.namespace = namespace.clone();
    let preference = args.api.api.preference();
    // Pinned to STORK's API, its absence is the first thing to say, before any PVC is read.
    if preference == Preference::Only(SnapshotApi::Stork)
        && let Err(err) = cluster.require_api_group(STORK_GROUP_VERSION).await
    {
        return result.fail(Step::Config, err);
    }
    progress.step(format!("checking the PVCs selected by {selector}"));
    let volumes = match check_selected(&cluster, &namespace, &selector).await {
        Ok(volumes) => volumes,
        Err(err) => return result.fail(Step::Pvc, err),
    };
    let pvcs: Vec<String> = volumes.iter().map(|(name, _)| name.clone()).collect();
    result.group.pvcs = pvcs.clone();
    let decided = match group_offer(&cluster, &volumes).await {
        Ok(offer) => decide_group(
            &selector,
            &volumes,
            preference,
            &offer,
            args.group_class.as_deref(),
            args.cloud,
        ),
        Err(err) => Err(err),
    };
    let (decision, note) =
        match decided.and_then(|d| refuse_stork_only_flags(&d.0, args).map(|_| d)) {
            Ok(decided) => decided,
            Err(err) => return result.fail(Step::Config, err),
        };
    if let Some(note) = &note {
        progress.println(&format!("note: {note}"));
    }
    progress.step("locating pods");
    let located = match locate_targets(&cluster, &namespace, &pvcs, &hooks).await {
        Ok(located) => located,
        Err(err) => return result.fail(Step::Locate, err),
    };
    result.warnings = warnings(&located, &pvcs, hooks.has_commands());
    for warning in &result.warnings {
        progress.println(&format!("warning: {warning}"));
    }
    let taking = Taking {
        args,
        cluster: &cluster,
        located: &located,
        hooks: &hooks,
        timeout,
        progress,
    };
    match decision {
        GroupDecision::Stork => {
            let object = group::build(&GroupRequest {
                name: result.group.name.clone(),
                namespace: namespace.clone(),
                match_labels: result.group.selector.clone(),
                restore_namespaces: args.restore_namespaces.clone(),
                max_retries: args.max_retries,
                kind,
                labels: written.labels.clone(),
                annotations: written.annotations.clone(),
            });
            taking.take::<StorkGroup>(object, result, signals).await
        }
        GroupDecision::Csi { api, class } => {
            let request = CsiGroupRequest {
                name: result.group.name.clone(),
                namespace: namespace.clone(),
                match_labels: result.group.selector.clone(),
                class: Some(class.clone()),
            };
            result.group.class = Some(class);
            match api {
                GroupApi::V1beta2 => {
                    let object = csi_group::build::<V1beta2>(&request);
                    taking
                        .take::<CsiGroup<V1beta2>>(object, result, signals)
                        .await
                }
                GroupApi::V1beta1 => {
                    let object = csi_group::build::<V1beta1>(&request);
                    taking
                        .take::<CsiGroup<V1beta1>>(object, result, signals)
                        .await
                }
            }
        }
    }
}

/// Options only STORK's GroupVolumeSnapshot carries.
fn refuse_stork_only_flags(decision: &GroupDecision, args: &GroupSnapArgs) -> Result<(), Error> {
    if !matches!(decision, GroupDecision::Csi { .. }) {
        return Ok(());
    }
    let refused = match (args.restore_namespaces.is_empty(), args.max_retries) {
        (false, _) => {
            "--restore-namespaces has no CSI equivalent (a CSI snapshot restores in its own namespace); use --api stork"
        }
        (true, 0) => return Ok(()),
        (true, _) => {
            "--max-retries has no CSI equivalent (the snapshot-controller retries by itself); use --api stork"
        }
    };
    Err(Error::Usage(refused.to_string()))
}

/// What taking the group needs once the API is chosen, whichever API it is.
struct Taking<'a> {
    args: &'a GroupSnapArgs,
    cluster: &'a Cluster,
    located: &'a Located,
    hooks: &'a HookOptions,
    timeout: Duration,
    progress: Progress,
}

impl Taking<'_> {
    async fn take<S: Snapshotter>(
        self,
        object: S::Object,
        mut result: GroupSnapResult,
        signals: &mut Signals,
    ) -> Outcome<GroupSnapResult>
    where
        S::Object: GroupReported,
    {
        let Taking {
            args,
            cluster,
            located,
            hooks,
            timeout,
            progress,
        } = self;
        result.group.describe_api(&object);
        if args.fate.dry_run {
            drop(progress);
            let plan = crate::output::report::render_plan(
                "GroupSnapPlan",
                located,
                hooks,
                &object,
                result.group.name_output(),
            );
            result.group.status = Status::Planned;
            return Outcome::planned(result, plan);
        }
        let plan = hook_plan(located, hooks);
        if hooks.quiesces() {
            progress.step(format!(
                "running pre commands in {} container(s)",
                plan.targets.len()
            ));
        }
        let group_job = Job {
            object,
            hooks: plan,
            timeout,
            cut_timeout: args.api.release.cut_timeout,
            release_at: args.api.release.release_at.release_at(),
            no_wait: false,
            keep_failed: args.fate.keep_failed,
            progress: &progress,
            heartbeat: None,
        };
        let taken = take::<S>(cluster, group_job, signals, &mut result.warnings).await;
        drop(progress);
        result.hooks = taken.hooks;
        result.freeze = taken.freeze;
        result.group.cut_at = taken.cut_at;
        if let Some(group) = &taken.latest {
            group.fill(&mut result);
            if !taken.deleted {
                group.children(cluster, &mut result, signals).await;
            }
        }
        match taken.ending {
            Ending::Ready => result.group.status = Status::Successful,
            Ending::Failed => result.group.status = Status::Failed,
            Ending::TimedOut => result.group.status = Status::TimedOut,
            Ending::Deleted => result.group.status = Status::Deleted,
            Ending::Interrupted => result.group.status = Status::Interrupted,
            Ending::NotCreated | Ending::Created | Ending::WatchLost => {}
        }
        result.group.deleted = taken.deleted;
        match taken.error {
            Some((step, err)) => result.fail(step, err),
            None => result.done(),
        }
    }
}

/// A group object as `GroupSnapResult` reports it.
trait GroupReported {
    /// `apiVersion`, `kind` and how `-o name` spells the resource.
    fn api(&self) -> (&str, &str, &'static str);
    fn fill(&self, result: &mut GroupSnapResult);
    /// The member snapshots, where the group does not list them itself.
    async fn children(
        &self,
        cluster: &Cluster,
        result: &mut GroupSnapResult,
        signals: &mut Signals,
    );
}

impl GroupReported for GroupVolumeSnapshot {
    fn api(&self) -> (&str, &str, &'static str) {
        (&self.api_version, &self.kind, GROUP_RESOURCE)
    }

    fn fill(&self, result: &mut GroupSnapResult) {
        result.fill(self);
    }

    /// STORK lists the children in the group's status: nothing to read.
    async fn children(&self, _: &Cluster, _: &mut GroupSnapResult, _: &mut Signals) {}
}

impl<V: GroupVersion> GroupReported for CsiGroupSnapshot<V> {
    fn api(&self) -> (&str, &str, &'static str) {
        (&self.api_version, &self.kind, csi_group::NAME_RESOURCE)
    }

    fn fill(&self, result: &mut GroupSnapResult) {
        result.group.status = match CsiGroup::<V>::stage(self) {
            Stage::Ready { .. } => Status::Successful,
            Stage::Failed(_) => Status::Failed,
            Stage::Pending(_) | Stage::Cut { .. } => Status::InProgress,
        };
        result.group.created_at = self
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string());
    }

    /// The snapshot-controller makes one VolumeSnapshot per member, owned by the group, each
    /// naming its PVC; read after the release, so a signal abandons the read.
    async fn children(
        &self,
        cluster: &Cluster,
        result: &mut GroupSnapResult,
        signals: &mut Signals,
    ) {
        let mut after = AfterRelease::new(signals);
        let members = match after
            .call(csi_group::members(cluster, &self.metadata))
            .await
        {
            Ok(Ok(members)) => members,
            Ok(Err(err)) => {
                let warning = format!(
                    "cannot list the member snapshots of group snapshot {:?}: {err}",
                    result.group.name
                );
                warn_and_record(&mut result.warnings, warning);
                return;
            }
            Err(_signal) => return,
        };
        result.children = members
            .iter()
            .map(|member| ChildReport {
                name: member.metadata.name.clone().unwrap_or_default(),
                pvc: member.pvc().map(str::to_string),
                volume_id: None,
                status: match Csi::stage(member) {
                    Stage::Ready { .. } => Status::Ready,
                    Stage::Failed(_) => Status::Error,
                    Stage::Pending(_) | Stage::Cut { .. } => Status::Pending,
                },
            })
            .collect();
    }
}

impl GroupReport {
    /// Records which API the group goes through, from the object built for it.
    fn describe_api(&mut self, object: &impl GroupReported) {
        let (api_version, kind, name_resource) = object.api();
        self.api_version = api_version.to_string();
        self.kind = kind.to_string();
        self.name_resource = name_resource;
    }

    /// `<resource>/<name>`, as kubectl's `-o name` prints it.
    fn name_output(&self) -> String {
        format!("{}/{}", self.name_resource, self.name)
    }
}

impl GroupSnapResult {
    /// Copies what the group's latest version says into the report.
    fn fill(&mut self, group: &GroupVolumeSnapshot) {
        self.group.status = match group.status_text() {
            "" => Status::InProgress,
            status => Status::parse(status),
        };
        self.group.stage = group.stage().to_string();
        self.group.num_retries = group.status.as_ref().map_or(0, |s| s.num_retries);
        self.group.created_at = group
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string());
        self.children = group
            .children()
            .iter()
            .map(|child| ChildReport {
                name: child.volume_snapshot_name.clone(),
                pvc: child_pvc(
                    &self.group.name,
                    &child.volume_snapshot_name,
                    &self.group.pvcs,
                ),
                volume_id: Some(child.parent_volume_id.clone()).filter(|v| !v.is_empty()),
                status: Status::from(&child.phase()),
            })
            .collect();
    }
}

/// STORK names each child `<group>-<pvc>-<group uid>`, so the PVC is the longest matched PVC
/// name that fits between the group name and a dash. No extra request per child.
fn child_pvc(group: &str, child: &str, pvcs: &[String]) -> Option<String> {
    let rest = child.strip_prefix(group)?.strip_prefix('-')?;
    pvcs.iter()
        .filter(|pvc| {
            rest.strip_prefix(pvc.as_str())
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('-'))
        })
        .max_by_key(|pvc| pvc.len())
        .cloned()
}

/// Pods that mount a PVC but cannot take commands, and PVCs that no running pod mounts (they
/// are snapshotted crash-consistent only).
fn warnings(located: &Located, pvcs: &[String], has_commands: bool) -> Vec<String> {
    let mut warnings: Vec<String> = located
        .skipped
        .iter()
        .map(|s| {
            format!(
                "pod {:?} mounts a selected PVC but {}; no commands run there",
                s.pod, s.reason
            )
        })
        .chain(located.rules.warnings.iter().cloned())
        .collect();
    if has_commands {
        warnings.extend(
            pvcs.iter()
                .filter(|pvc| !located.targets.iter().any(|t| t.pvcs.contains(pvc)))
                .map(|pvc| {
                    format!(
                        "no running pod mounts PVC {pvc:?}; it is snapshotted without pre/post commands"
                    )
                }),
        );
    }
    warnings
}

impl Fallible for GroupSnapResult {
    fn error_mut(&mut self) -> &mut Option<ErrorReport> {
        &mut self.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::locate::{HookTarget, SkippedPod};

    fn names(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn child_pvc_is_read_from_storks_naming() {
        let pvcs = names(&["data", "data-logs", "other"]);
        assert_eq!(
            child_pvc("g1", "g1-data-logs-5f3e-uid", &pvcs).as_deref(),
            Some("data-logs")
        );
        assert_eq!(
            child_pvc("g1", "g1-data-5f3e-uid", &pvcs).as_deref(),
            Some("data")
        );
        // STORK falls back to the volume ID when it cannot resolve the PVC.
        assert_eq!(child_pvc("g1", "g1-48213-5f3e", &pvcs), None);
        assert_eq!(child_pvc("g1", "other-data-x", &pvcs), None);
    }

    #[test]
    fn unmounted_pvcs_and_skipped_pods_are_warned_about() {
        let located = Located {
            targets: vec![HookTarget {
                namespace: "db".into(),
                pod: "p0".into(),
                container: "app".into(),
                pvcs: names(&["a"]),
            }],
            skipped: vec![SkippedPod {
                pod: "p1".into(),
                reason: "pod is Pending".into(),
            }],
            ..Default::default()
        };
        let all = warnings(&located, &names(&["a", "b"]), true);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all[0].contains("\"p1\"") && all[0].contains("Pending"));
        assert!(all[1].contains("PVC \"b\""));
        assert_eq!(warnings(&located, &names(&["a", "b"]), false).len(), 1);
    }

    #[test]
    fn name_output_only_for_a_group_that_exists() {
        let mut result = GroupSnapResult::new(GroupReport {
            name: "g".into(),
            status: Status::NotCreated,
            ..Default::default()
        });
        result.group.describe_api(&GroupVolumeSnapshot::default());
        assert!(result.names().is_empty());
        result.group.status = Status::Successful;
        assert_eq!(
            result.names(),
            vec!["groupvolumesnapshot.stork.libopenstorage.org/g"]
        );
        result.group.deleted = true;
        assert!(result.names().is_empty());
    }
}
