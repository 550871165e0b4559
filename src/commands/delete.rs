//! `pxsnap delete`: snapshots by name, by PVC or label with retention, or a group snapshot (STORK's
//! GroupVolumeSnapshot or CSI's VolumeGroupSnapshot).
//! Snapshots of STORK's API and of CSI's are deleted alike, and retention counts both for a PVC.
//!
//! Deleting a VolumeSnapshot deletes the Portworx snapshot or cloud backup behind it (for CSI,
//! unless its class retains the content), so
//! the plan is made first (what goes, what stays and why), shown with `--dry-run`, confirmed when
//! more than one object would go, and only then carried out.

use std::io::IsTerminal;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, PropagationPolicy};
use serde::Serialize;

use crate::backend::csi_group::{self, FoundGroup, GroupApi};
use crate::backend::listed::{self, GroupKind, HeldGroup};
use crate::backend::retention::{self, Candidate, Verdict, csi_phase, progress_phase};
use crate::backend::snapshot_api::SnapshotApi;
use crate::backend::stork;
use crate::cli::{DeleteArgs, GlobalArgs};
use crate::commands::list::snapshot_api;
use crate::error::{Error, Result, Step};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::CsiVolumeSnapshot;
use crate::k8s::paged_list::{DEFAULT_PAGE_SIZE, ListScope, PagedList};
use crate::k8s::resources::{GroupVolumeSnapshot, SnapshotPhase, StorkVolumeSnapshot};
use crate::k8s::served::ServedApis;
use crate::output::report::{ErrorReport, Fallible, Outcome, Report};
use crate::output::status::Status;

/// The plural resource of CSI VolumeSnapshots, for the messages of a failed call.
const CSI_SNAPSHOTS: &str = "volumesnapshots.snapshot.storage.k8s.io";
const GROUP_RESOURCE: &str = "groupvolumesnapshot.stork.libopenstorage.org";
/// The resource a group name was looked for in when several were searched.
const GROUPS_SEARCHED: &str = "group snapshot";
/// The finalizer with which STORK deletes a group's VolumeSnapshots when the group goes.
const GROUP_CLEANUP_FINALIZER: &str = "stork.libopenstorage.org/finalizer-cleanup";
/// Deletions in flight at once: enough to prune hundreds quickly, few enough to be polite.
const PARALLEL_DELETES: usize = 8;

/// The `-o json` document of `delete`; its shape is documented in docs/output.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResult {
    pub kind: &'static str,
    pub namespace: String,
    pub dry_run: bool,
    /// Every object considered, in the order they were (or would be) deleted.
    pub items: Vec<DeleteItem>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteItem {
    /// `volumesnapshot.volumesnapshot.external-storage.k8s.io`,
    /// `volumesnapshot.snapshot.storage.k8s.io` or `groupvolumesnapshot.stork.libopenstorage.org`.
    pub resource: &'static str,
    pub name: String,
    pub pvc: Option<String>,
    /// Ready, Pending or Error for a VolumeSnapshot; the group's status for a group.
    pub status: Option<Status>,
    pub created_at: Option<String>,
    pub action: Action,
    /// Why it was kept, or why deleting it failed.
    pub reason: Option<String>,
    /// How it is deleted when it is a group or goes with one; `None` for a snapshot deleted
    /// on its own.
    #[serde(skip)]
    group: Option<GroupRole>,
}

/// An item's part in deleting a group snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupRole {
    /// STORK's GroupVolumeSnapshot.
    Stork,
    /// CSI's VolumeGroupSnapshot, in its served version.
    Csi(GroupApi),
    /// A member snapshot of a CSI group: the snapshot-controller deletes it with its group.
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Deleted,
    /// `--dry-run`: it would have been deleted.
    WouldDelete,
    /// Planned for deletion, but not confirmed (no `--yes`, or the prompt was answered no).
    NotConfirmed,
    Kept,
    NotFound,
    Failed,
}

impl Action {
    fn phrase(self) -> &'static str {
        match self {
            Action::Deleted => "deleted",
            Action::WouldDelete => "deleted (dry run)",
            Action::NotConfirmed => "not deleted (not confirmed)",
            Action::Kept => "kept",
            Action::NotFound => "not found",
            Action::Failed => "not deleted",
        }
    }
}

impl DeleteResult {
    fn planned(&self) -> impl Iterator<Item = &DeleteItem> {
        self.items
            .iter()
            .filter(|item| item.action == Action::WouldDelete)
    }

    fn mark_planned(&mut self, action: Action) {
        for item in &mut self.items {
            if item.action == Action::WouldDelete {
                item.action = action;
            }
        }
    }
}

impl Report for DeleteResult {
    /// kubectl's lines: `<resource> "<name>" deleted`, plus why something was kept.
    fn table(&self) -> String {
        self.items
            .iter()
            .map(|item| {
                let reason = item
                    .reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!(
                    "{} {:?} {}{reason}\n",
                    item.resource,
                    item.name,
                    item.action.phrase()
                )
            })
            .collect()
    }

    fn names(&self) -> Vec<String> {
        self.items
            .iter()
            .filter(|item| matches!(item.action, Action::Deleted | Action::WouldDelete))
            .map(|item| format!("{}/{}", item.resource, item.name))
            .collect()
    }
}

/// Refuses an empty or malformed name or selector before any request (exit 2).
fn check_args(args: &DeleteArgs) -> crate::error::Result<()> {
    for name in &args.names {
        crate::k8s::names::check_name("snapshot NAME", name)?;
    }
    if let Some(pvc) = &args.pvc {
        crate::k8s::names::check_name("--pvc", pvc)?;
    }
    if let Some(group) = &args.group {
        crate::k8s::names::check_name("--group", group)?;
    }
    match args.selector.as_deref() {
        // An empty selector selects everything: `-l "$UNSET" --yes` must not delete the
        // namespace's snapshots (kubectl refuses it too).
        Some(selector) if selector.trim().is_empty() => Err(crate::error::Error::Usage(
            "-l/--selector is empty: give KEY=VALUE to choose the snapshots to delete".into(),
        )),
        Some(selector) => crate::k8s::selector::Selector::parse(selector).map(drop),
        None => Ok(()),
    }
}

pub async fn run(global: &GlobalArgs, args: &DeleteArgs) -> Outcome<DeleteResult> {
    let mut result = DeleteResult {
        kind: "DeleteResult",
        namespace: String::new(),
        dry_run: args.dry_run,
        items: Vec::new(),
        error: None,
    };
    if let Err(err) = check_args(args) {
        return result.fail(Step::Config, err);
    }
    let cluster = match Cluster::connect(&global.target(), args.timeout).await {
        Ok(cluster) => cluster,
        Err(err) => return result.fail(Step::Config, err),
    };
    result.namespace = cluster.namespace.clone();
    let planned = match &args.group {
        Some(group) => plan_group(&cluster, group, args).await,
        None => plan_snapshots(&cluster, args).await,
    };
    match planned {
        Ok(items) => result.items = items,
        Err(err) => return result.fail(Step::Delete, err),
    }
    if result.items.is_empty() {
        crate::stderr_line!(
            "No VolumeSnapshots matched in namespace {:?}; nothing to delete.",
            result.namespace
        );
        return Outcome::ok(result);
    }
    let count = result.planned().count();
    if !args.dry_run && count > 0 {
        match confirm(&result, args.yes).await {
            Ok(true) => execute(&cluster, &mut result, !args.with_children).await,
            Ok(false) => {
                result.mark_planned(Action::NotConfirmed);
                crate::stderr_line!("Nothing deleted.");
            }
            Err(err) => {
                result.mark_planned(Action::NotConfirmed);
                return result.fail(Step::Delete, err);
            }
        }
    }
    match outcome_error(&result) {
        Some(err) => result.fail(Step::Delete, err),
        None => Outcome::ok(result),
    }
}

/// Names or a selection, in the snapshot APIs the cluster serves (one discovery call),
/// narrowed by `--api`.
async fn plan_snapshots(cluster: &Cluster, args: &DeleteArgs) -> Result<Vec<DeleteItem>> {
    let served = ServedApis::discover(cluster).await?;
    let apis = listed::snapshot_apis(&served, args.api.map(snapshot_api))?;
    match args.names.is_empty() {
        false => plan_names(cluster, &apis, &args.names).await,
        true => plan_selection(cluster, &apis, args).await,
    }
}

/// Names given on the command line: each is looked up (a missing one is reported, the others
/// still go). Named snapshots are deleted whatever their state: the user chose them. A name
/// that both APIs hold is refused before anything is deleted: which one was meant is a guess.
async fn plan_names(
    cluster: &Cluster,
    apis: &[SnapshotApi],
    names: &[String],
) -> Result<Vec<DeleteItem>> {
    let mut items = Vec::with_capacity(names.len());
    for name in names {
        let mut found = Vec::new();
        for api in apis {
            found.extend(find(cluster, *api, name).await?);
        }
        items.push(match found.as_slice() {
            [] => not_found(searched(apis), name),
            [snapshot] => snapshot_item(snapshot, Action::WouldDelete, None),
            _ => {
                return Err(Error::Usage(format!(
                    "both STORK's and CSI's API hold a VolumeSnapshot {name:?} in namespace {:?}: pass --api stork or --api csi to say which to delete",
                    cluster.namespace
                )));
            }
        });
    }
    Ok(items)
}

/// The resource a missing name was looked for in: the one API's, or kubectl's short name
/// when it was looked for in several.
fn searched(apis: &[SnapshotApi]) -> &'static str {
    match apis {
        [one] => one.resource(),
        _ => "volumesnapshot",
    }
}

/// The snapshot `name` in one API, if it holds one.
async fn find(cluster: &Cluster, api: SnapshotApi, name: &str) -> Result<Option<Snapshot>> {
    Ok(match api {
        SnapshotApi::Stork => get::<StorkVolumeSnapshot>(cluster, api, name)
            .await?
            .as_ref()
            .map(Snapshot::stork),
        SnapshotApi::Csi => get::<CsiVolumeSnapshot>(cluster, api, name)
            .await?
            .as_ref()
            .map(Snapshot::csi),
    })
}

/// One object by name in the current namespace; `None` when there is none. The API is known
/// to be served, so a 404 is the object missing.
async fn get<K: crate::backend::Managed>(
    cluster: &Cluster,
    api: SnapshotApi,
    name: &str,
) -> Result<Option<K>> {
    let objects: Api<K> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    cluster
        .read("get", api.resource(), Some(&cluster.namespace), || {
            objects.get_opt(name)
        })
        .await
}

/// A VolumeSnapshot of either API, as delete plans with it.
struct Snapshot {
    api: SnapshotApi,
    name: String,
    pvc: String,
    phase: SnapshotPhase,
    metadata_created: Option<jiff::Timestamp>,
}

impl Snapshot {
    fn stork(snapshot: &StorkVolumeSnapshot) -> Snapshot {
        Snapshot {
            api: SnapshotApi::Stork,
            name: snapshot.metadata.name.clone().unwrap_or_default(),
            pvc: snapshot.spec.persistent_volume_claim_name.clone(),
            phase: snapshot.phase(),
            metadata_created: created(&snapshot.metadata),
        }
    }

    fn csi(snapshot: &CsiVolumeSnapshot) -> Snapshot {
        Snapshot {
            api: SnapshotApi::Csi,
            name: snapshot.metadata.name.clone().unwrap_or_default(),
            pvc: snapshot.pvc().unwrap_or_default().to_string(),
            phase: csi_phase(snapshot),
            metadata_created: created(&snapshot.metadata),
        }
    }
}

/// Every snapshot of the APIs that `-l` selects, one list after the other.
async fn list_snapshots(
    cluster: &Cluster,
    apis: &[SnapshotApi],
    selector: Option<&str>,
) -> Result<Vec<Snapshot>> {
    let scope = ListScope {
        namespace: Some(cluster.namespace.clone()),
        label_selector: selector.map(str::to_string),
        page_size: DEFAULT_PAGE_SIZE,
    };
    let mut all = Vec::new();
    for api in apis {
        let scope = scope.clone();
        match api {
            SnapshotApi::Stork => all.extend(
                PagedList::<StorkVolumeSnapshot, StorkVolumeSnapshot>::new(cluster, scope)
                    .collect_all()
                    .await?
                    .iter()
                    .map(Snapshot::stork),
            ),
            SnapshotApi::Csi => all.extend(
                PagedList::<CsiVolumeSnapshot, CsiVolumeSnapshot>::new(cluster, scope)
                    .collect_all()
                    .await?
                    .iter()
                    .map(Snapshot::csi),
            ),
        }
    }
    Ok(all)
}

/// `--pvc` and/or `-l`: every matching snapshot, of every API read, goes through the
/// retention rule, so `--keep-last N` keeps a PVC's N newest whichever API holds them.
async fn plan_selection(
    cluster: &Cluster,
    apis: &[SnapshotApi],
    args: &DeleteArgs,
) -> Result<Vec<DeleteItem>> {
    let mut snapshots = list_snapshots(cluster, apis, args.selector.as_deref()).await?;
    if let Some(pvc) = &args.pvc {
        snapshots.retain(|s| s.pvc == *pvc);
    }
    // Newest first within each PVC: the order retention thinks in.
    snapshots.sort_by(|a, b| (&a.pvc, b.metadata_created).cmp(&(&b.pvc, a.metadata_created)));
    let candidates: Vec<Candidate> = snapshots
        .iter()
        .map(|s| Candidate {
            name: s.name.clone(),
            pvc: s.pvc.clone(),
            phase: s.phase.clone(),
            created: s.metadata_created,
        })
        .collect();
    let rule = retention::Rule {
        keep_last: args.keep_last,
        older_than: args.older_than,
        include_pending: args.include_pending,
    };
    let verdicts = retention::decide(&candidates, &rule, jiff::Timestamp::now());
    Ok(snapshots
        .iter()
        .zip(verdicts)
        .map(|(snapshot, verdict)| match verdict {
            Verdict::Delete => snapshot_item(snapshot, Action::WouldDelete, None),
            Verdict::Keep(kept) => snapshot_item(snapshot, Action::Kept, Some(kept.reason())),
        })
        .collect())
}

/// An item for a name no API searched holds.
fn not_found(resource: &'static str, name: &str) -> DeleteItem {
    DeleteItem {
        resource,
        name: name.to_string(),
        pvc: None,
        status: None,
        created_at: None,
        action: Action::NotFound,
        reason: None,
        group: None,
    }
}

/// `--group`: the group object of whichever group API holds the name (one discovery call,
/// narrowed by `--api`), with what becomes of its snapshots.
async fn plan_group(cluster: &Cluster, name: &str, args: &DeleteArgs) -> Result<Vec<DeleteItem>> {
    let served = ServedApis::discover(cluster).await?;
    let kinds = listed::group_kinds(&served, args.api.map(snapshot_api))?;
    match listed::find_group(cluster, &kinds, name, "delete").await? {
        None => {
            let resource = match kinds.as_slice() {
                [one] => one.resource(),
                _ => GROUPS_SEARCHED,
            };
            Ok(vec![not_found(resource, name)])
        }
        Some(HeldGroup::Stork(group)) => {
            plan_stork_group(cluster, name, group, args.with_children).await
        }
        Some(HeldGroup::Csi(group)) => plan_csi_group(cluster, name, group).await,
    }
}

/// A CSI group: its members go with it (the snapshot-controller deletes them, whatever
/// `--with-children` says), so they are planned with it and count for the confirmation.
async fn plan_csi_group(
    cluster: &Cluster,
    name: &str,
    group: FoundGroup,
) -> Result<Vec<DeleteItem>> {
    let members = csi_group::members(cluster, &group.metadata).await?;
    let mut items: Vec<DeleteItem> = members
        .iter()
        .map(|member| DeleteItem {
            group: Some(GroupRole::Member),
            ..snapshot_item(
                &Snapshot::csi(member),
                Action::WouldDelete,
                Some(format!("member of group {name:?}, deleted with it")),
            )
        })
        .collect();
    items.push(DeleteItem {
        resource: GroupKind::Csi(group.api).resource(),
        name: name.to_string(),
        pvc: None,
        status: Some(Status::from(&progress_phase(group.progress))),
        created_at: created_at(&group.metadata),
        action: Action::WouldDelete,
        reason: None,
        group: Some(GroupRole::Csi(group.api)),
    });
    Ok(items)
}

/// STORK's group, and its VolumeSnapshots with `--with-children`.
///
/// Without `--with-children` the children are kept, which only works where nothing deletes them
/// behind pxsnap's back: the group is deleted with the `Orphan` propagation policy (so the
/// garbage collector leaves the children), and a group carrying STORK's cleanup finalizer is
/// refused, since STORK deletes the children itself when such a group goes.
async fn plan_stork_group(
    cluster: &Cluster,
    name: &str,
    group: GroupVolumeSnapshot,
    with_children: bool,
) -> Result<Vec<DeleteItem>> {
    let children = group_children(cluster, &group).await?;
    let has_cleanup_finalizer = group
        .metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == GROUP_CLEANUP_FINALIZER);
    if !with_children && has_cleanup_finalizer && !children.is_empty() {
        return Err(Error::Usage(format!(
            "deleting GroupVolumeSnapshot {name:?} also deletes its {} VolumeSnapshots (STORK's cleanup finalizer does); pass --with-children to confirm",
            children.len()
        )));
    }
    let mut items: Vec<DeleteItem> = children
        .iter()
        .map(Snapshot::stork)
        .map(|child| match with_children {
            true => snapshot_item(&child, Action::WouldDelete, None),
            false => snapshot_item(
                &child,
                Action::Kept,
                Some(format!(
                    "made by group {name:?}; --with-children deletes it too"
                )),
            ),
        })
        .collect();
    items.push(DeleteItem {
        resource: GROUP_RESOURCE,
        name: name.to_string(),
        pvc: None,
        status: Some(group.status_text())
            .filter(|s| !s.is_empty())
            .map(Status::parse),
        created_at: created_at(&group.metadata),
        action: Action::WouldDelete,
        reason: None,
        group: Some(GroupRole::Stork),
    });
    Ok(items)
}

/// A group's VolumeSnapshots: those owned by it, and those its status names.
async fn group_children(
    cluster: &Cluster,
    group: &GroupVolumeSnapshot,
) -> Result<Vec<StorkVolumeSnapshot>> {
    let uid = group.metadata.uid.as_deref().unwrap_or_default();
    let listed: Vec<&str> = group
        .children()
        .iter()
        .map(|child| child.volume_snapshot_name.as_str())
        .collect();
    let scope = ListScope {
        namespace: Some(cluster.namespace.clone()),
        label_selector: None,
        page_size: DEFAULT_PAGE_SIZE,
    };
    PagedList::<StorkVolumeSnapshot, StorkVolumeSnapshot>::new(cluster, scope)
        .collect_matching(|snapshot| {
            snapshot.group_owner().is_some_and(|owner| owner.uid == uid)
                || listed.contains(&snapshot.metadata.name.as_deref().unwrap_or_default())
        })
        .await
}

fn snapshot_item(snapshot: &Snapshot, action: Action, reason: Option<String>) -> DeleteItem {
    DeleteItem {
        resource: snapshot.api.resource(),
        name: snapshot.name.clone(),
        pvc: Some(snapshot.pvc.clone()).filter(|p| !p.is_empty()),
        status: Some(Status::from(&snapshot.phase)),
        created_at: snapshot.metadata_created.map(|t| t.to_string()),
        action,
        reason,
        group: None,
    }
}

fn created(metadata: &ObjectMeta) -> Option<jiff::Timestamp> {
    metadata.creation_timestamp.as_ref().map(|t| t.0)
}

fn created_at(metadata: &ObjectMeta) -> Option<String> {
    metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
}

/// More than one deletion is confirmed: `--yes`, or a y/N answer on a terminal. Without a
/// terminal there is nobody to ask, so it is refused (a usage error) rather than assumed.
async fn confirm(result: &DeleteResult, yes: bool) -> Result<bool> {
    let count = result.planned().count();
    if yes || count <= 1 {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "refusing to delete {count} objects without --yes: stdin is not a terminal, so pxsnap cannot ask (preview with --dry-run, then add --yes)"
        )));
    }
    let mut question = format!(
        "About to delete {count} objects in namespace {:?}:\n",
        result.namespace
    );
    for item in result.planned() {
        question.push_str(&format!("  {}/{}\n", item.resource, item.name));
    }
    question.push_str("Delete them? [y/N] ");
    crate::stderr::write(format_args!("{question}"));
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|err| Error::Usage(format!("cannot read the answer: {err}")))?
    .map_err(|err| Error::Usage(format!("cannot read the answer: {err}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Deletes the planned objects, a few at a time, recording each outcome; a failure does not
/// stop the others. A group goes after its children, once they are gone; a CSI group's members
/// go with it and share its outcome. `orphan_children`: STORK's group leaves its children.
async fn execute(cluster: &Cluster, result: &mut DeleteResult, orphan_children: bool) {
    let namespace = cluster.namespace.as_str();
    let planned: Vec<(usize, &'static str, String, Option<GroupRole>)> = result
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.action == Action::WouldDelete)
        .map(|(index, item)| (index, item.resource, item.name.clone(), item.group))
        .collect();
    let snapshots = planned
        .iter()
        .filter(|(_, _, _, role)| role.is_none())
        .map(|(index, resource, name, _)| (*index, *resource, name.clone()));
    let mut outcomes: Vec<(usize, Result<()>)> = futures::stream::iter(snapshots)
        .map(|(index, resource, name)| async move {
            let deleted = match resource == SnapshotApi::Csi.resource() {
                true => {
                    crate::backend::delete::<CsiVolumeSnapshot>(
                        cluster,
                        CSI_SNAPSHOTS,
                        namespace,
                        &name,
                    )
                    .await
                }
                false => stork::delete(cluster, namespace, &name).await,
            };
            (index, deleted)
        })
        .buffered(PARALLEL_DELETES)
        .collect()
        .await;
    let members: Vec<usize> = planned
        .iter()
        .filter(|(_, _, _, role)| *role == Some(GroupRole::Member))
        .map(|(index, ..)| *index)
        .collect();
    for (index, _, name, role) in &planned {
        let deleted = match role {
            Some(GroupRole::Stork) => delete_group(cluster, name, orphan_children).await,
            Some(GroupRole::Csi(api)) => api.delete(cluster, name).await,
            Some(GroupRole::Member) | None => continue,
        };
        let shared = || match &deleted {
            Ok(()) => Ok(()),
            Err(err) => Err(Error::Api {
                context: format!("delete its group {name:?}"),
                message: err.to_string(),
            }),
        };
        outcomes.extend(members.iter().map(|&member| (member, shared())));
        outcomes.push((*index, deleted));
    }
    for (index, outcome) in outcomes {
        let item = &mut result.items[index];
        match outcome {
            Ok(()) => item.action = Action::Deleted,
            Err(err) => {
                item.action = Action::Failed;
                item.reason = Some(err.to_string());
            }
        }
    }
}

/// Deletes a GroupVolumeSnapshot; `orphan` keeps its VolumeSnapshots from the garbage
/// collector. Already gone is fine.
async fn delete_group(cluster: &Cluster, name: &str, orphan: bool) -> Result<()> {
    let api: Api<GroupVolumeSnapshot> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let params = DeleteParams {
        propagation_policy: Some(match orphan {
            true => PropagationPolicy::Orphan,
            false => PropagationPolicy::Background,
        }),
        ..Default::default()
    };
    match cluster
        .call("delete", GROUP_RESOURCE, || api.delete(name, &params))
        .await?
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(err) => Err(cluster.error(err, "delete", GROUP_RESOURCE, Some(&cluster.namespace))),
    }
}

/// The error that decides the exit code once everything was tried: a failed deletion, else a
/// name that was not found.
fn outcome_error(result: &DeleteResult) -> Option<Error> {
    let failed: Vec<&DeleteItem> = result
        .items
        .iter()
        .filter(|item| item.action == Action::Failed)
        .collect();
    if let Some(first) = failed.first() {
        let attempted = result
            .items
            .iter()
            .filter(|item| matches!(item.action, Action::Failed | Action::Deleted))
            .count();
        return Some(Error::DeleteFailed {
            failed: failed.len(),
            total: attempted,
            first: format!(
                "{:?}: {}",
                first.name,
                first.reason.as_deref().unwrap_or_default()
            ),
        });
    }
    let missing: Vec<String> = result
        .items
        .iter()
        .filter(|item| item.action == Action::NotFound)
        .map(|item| format!("{} {:?}", item.resource, item.name))
        .collect();
    (!missing.is_empty()).then(|| Error::NotFound {
        namespace: result.namespace.clone(),
        names: missing.join(", "),
    })
}

impl Fallible for DeleteResult {
    fn error_mut(&mut self) -> &mut Option<ErrorReport> {
        &mut self.error
    }
}
