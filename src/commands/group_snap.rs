//! `pxsnap group-snap`: every PVC a label selector matches, cut at one consistency point by a
//! STORK GroupVolumeSnapshot, inside one freeze window.
//!
//! The same pipeline as `snap` (one pod list, `pipeline::snapshot::take`), with a group
//! instead of a single VolumeSnapshot: one PVC list and one PV list for the whole selector.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tabled::{Table, Tabled};

use crate::backend::group::{self, GroupKind, GroupRequest, StorkGroup};
use crate::cli::{GlobalArgs, GroupSnapArgs};
use crate::error::Step;
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{GroupVolumeSnapshot, STORK_GROUP_VERSION};
use crate::output::report::{
    ErrorReport, Fallible, Outcome, Report, hooks_table, plain_table, summary,
};
use crate::output::status::Status;
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::locate::Located;
use crate::pipeline::quiesce::FreezeWindow;
use crate::pipeline::run::{check_selected, hook_plan, locate_targets};
use crate::pipeline::snapshot::{Ending, Job, ReleaseAt, take};
use crate::progress::Progress;
use crate::signals::Signals;

/// How `-o name` spells a GroupVolumeSnapshot, as kubectl does.
const GROUP_RESOURCE: &str = "groupvolumesnapshot.stork.libopenstorage.org";
const LOCAL_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const CLOUD_TIMEOUT: Duration = Duration::from_secs(60 * 60);

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
        vec![format!("{GROUP_RESOURCE}/{}", self.group.name)]
    }
}

pub async fn run(
    global: &GlobalArgs,
    args: &GroupSnapArgs,
    signals: &mut Signals,
) -> Outcome<GroupSnapResult> {
    let hooks = args.hooks.options();
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
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");

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
    if let Err(err) = cluster.require_api_group(STORK_GROUP_VERSION).await {
        return result.fail(Step::Config, err);
    }
    progress.step(format!("checking the PVCs selected by {selector}"));
    let pvcs: Vec<String> = match check_selected(&cluster, &namespace, &selector).await {
        Ok(pvcs) => pvcs.into_iter().filter_map(|p| p.metadata.name).collect(),
        Err(err) => return result.fail(Step::Pvc, err),
    };
    result.group.pvcs = pvcs.clone();
    progress.step("locating pods");
    let located = match locate_targets(&cluster, &namespace, &pvcs, &hooks).await {
        Ok(located) => located,
        Err(err) => return result.fail(Step::Locate, err),
    };
    result.warnings = warnings(&located, &pvcs, hooks.has_commands());
    for warning in &result.warnings {
        progress.println(&format!("warning: {warning}"));
    }
    let request = GroupRequest {
        name: result.group.name.clone(),
        namespace: namespace.clone(),
        match_labels: result.group.selector.clone(),
        restore_namespaces: args.restore_namespaces.clone(),
        max_retries: args.max_retries,
        kind,
    };
    let object = group::build(&request);
    if args.dry_run {
        drop(progress);
        let plan = crate::output::report::render_plan(
            global.output,
            "GroupSnapPlan",
            &located,
            &hooks,
            &object,
            format!("{GROUP_RESOURCE}/{}", request.name),
        );
        result.group.status = Status::Planned;
        return Outcome::planned(result, plan);
    }

    let plan = hook_plan(&located, &hooks);
    if !hooks.pre.is_empty() {
        progress.step(format!(
            "running pre commands in {} container(s)",
            plan.targets.len()
        ));
    }
    let group_job = Job {
        object,
        hooks: plan,
        timeout,
        cut_timeout: timeout,
        release_at: ReleaseAt::Cut,
        no_wait: false,
        keep_failed: args.keep_failed,
        progress: &progress,
        heartbeat: None,
    };
    let taken = take::<StorkGroup>(&cluster, group_job, signals, &mut result.warnings).await;
    drop(progress);
    result.hooks = taken.hooks;
    result.freeze = taken.freeze;
    if let Some(group) = &taken.latest {
        result.fill(group);
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
