//! The snapshot APIs: which are served (one discovery round), whether a controller runs behind
//! them (CRDs stay registered when STORK or the snapshot-controller is down), and the
//! Portworx VolumeSnapshotClasses.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;

use super::{Check, Status};
use crate::backend::csi_classes::{
    DefaultClass, PortworxClass, PortworxClasses, SnapshotType, class_manifest_command,
};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::DEFAULT_CLASS_ANNOTATION;
use crate::k8s::permissions::{PERMISSIONS, Subcommand};
use crate::k8s::resources::{STORK_GROUP_VERSION, STORK_SNAPSHOT_GROUP_VERSION};

const CSI_GROUP_VERSION: &str = "snapshot.storage.k8s.io/v1";
/// The CSI group snapshot API, newest first: v1beta2 is the storage version in current
/// external-snapshotter releases, v1beta1 is still served.
const CSI_GROUP_SNAPSHOT_VERSIONS: [&str; 2] = [
    "groupsnapshot.storage.k8s.io/v1beta2",
    "groupsnapshot.storage.k8s.io/v1beta1",
];
/// Every group/version discovery reads, in one round.
const GROUP_VERSIONS: [&str; 5] = [
    STORK_SNAPSHOT_GROUP_VERSION,
    STORK_GROUP_VERSION,
    CSI_GROUP_VERSION,
    CSI_GROUP_SNAPSHOT_VERSIONS[0],
    CSI_GROUP_SNAPSHOT_VERSIONS[1],
];
/// The label STORK's deployment gives its pods.
const STORK_SELECTOR: &str = "name=stork";
/// Labels the snapshot-controller's pods carry: the external-snapshotter's manifests (current,
/// then before v6), and the name distributions such as OpenShift give it.
const SNAPSHOT_CONTROLLER_SELECTORS: [&str; 3] = [
    "app.kubernetes.io/name=snapshot-controller",
    "app=snapshot-controller",
    "app=csi-snapshot-controller",
];

/// What discovery said about each group/version: the resources it serves, `None` when it is
/// not served at all.
pub struct Discovered {
    answers: Vec<(&'static str, Result<Option<BTreeSet<String>>>)>,
}

impl Discovered {
    fn of(&self, group_version: &str) -> Option<&Result<Option<BTreeSet<String>>>> {
        self.answers
            .iter()
            .find(|(gv, _)| *gv == group_version)
            .map(|(_, answer)| answer)
    }

    /// The API groups of which discovery found no version served at all. What pxsnap would
    /// do there it cannot do on this cluster, and the `api.*` checks say so: a permission on
    /// them is not worth a review, and its absence not a failure (a STORK-only cluster's role
    /// needs no CSI rule).
    pub fn unserved_groups(&self) -> Vec<&'static str> {
        let group = |gv: &'static str| gv.split('/').next().unwrap_or(gv);
        let mut groups: Vec<&'static str> = self.answers.iter().map(|(gv, _)| group(gv)).collect();
        groups.dedup();
        groups.retain(|g| {
            self.answers
                .iter()
                .filter(|(gv, _)| group(gv) == *g)
                .all(|(_, answer)| matches!(answer, Ok(None)))
        });
        groups
    }

    /// Whether `resource` is served in `group_version`; `Err` when discovery failed.
    fn serves(&self, group_version: &str, resource: &str) -> std::result::Result<bool, &Error> {
        match self.of(group_version) {
            Some(Ok(Some(resources))) => Ok(resources.contains(resource)),
            Some(Ok(None)) | None => Ok(false),
            Some(Err(error)) => Err(error),
        }
    }
}

/// Reads the resource list of every group/version pxsnap cares about, in parallel.
pub async fn discover(cluster: &Cluster) -> Discovered {
    let reads = GROUP_VERSIONS.map(|gv| async move {
        let list = cluster
            .read_if_served("discover", gv, None, || {
                cluster.client.list_api_group_resources(gv)
            })
            .await;
        let names =
            list.map(|found| found.map(|l| l.resources.into_iter().map(|r| r.name).collect()));
        (gv, names)
    });
    Discovered {
        answers: futures::future::join_all(reads).await,
    }
}

/// Whether STORK's VolumeSnapshot is served: what every PVC check's API choice rests on.
pub fn stork_snapshots_served(discovered: &Discovered) -> bool {
    matches!(
        discovered.serves(STORK_SNAPSHOT_GROUP_VERSION, "volumesnapshots"),
        Ok(true)
    )
}

/// One snapshot API pxsnap may need.
struct ApiCheck {
    id: &'static str,
    group_version: &'static str,
    resource: &'static str,
    what: &'static str,
    fix: &'static str,
}

const STORK_SNAPSHOTS_ID: &str = "api.stork.volumesnapshots";
const CSI_SNAPSHOTS_ID: &str = "api.csi.volumesnapshots";
const STORK_FIX: &str = "install STORK (Portworx's operator runs it with spec.stork.enabled in the StorageCluster); kubectl api-resources --api-group=volumesnapshot.external-storage.k8s.io shows what is served";
const CSI_FIX: &str = "for CSI snapshots (released at the cut) install the external-snapshotter's CRDs and snapshot-controller (Portworx's operator: spec.csi.installSnapshotController); without them pxsnap takes STORK's snapshots";

const API_CHECKS: [ApiCheck; 4] = [
    ApiCheck {
        id: STORK_SNAPSHOTS_ID,
        group_version: STORK_SNAPSHOT_GROUP_VERSION,
        resource: "volumesnapshots",
        what: "STORK's VolumeSnapshot",
        fix: STORK_FIX,
    },
    ApiCheck {
        id: "api.stork.groupvolumesnapshots",
        group_version: STORK_GROUP_VERSION,
        resource: "groupvolumesnapshots",
        what: "STORK's GroupVolumeSnapshot",
        fix: STORK_FIX,
    },
    ApiCheck {
        id: "api.stork.rules",
        group_version: STORK_GROUP_VERSION,
        resource: "rules",
        what: "STORK's Rule",
        fix: STORK_FIX,
    },
    ApiCheck {
        id: CSI_SNAPSHOTS_ID,
        group_version: CSI_GROUP_VERSION,
        resource: "volumesnapshots",
        what: "the CSI VolumeSnapshot",
        fix: CSI_FIX,
    },
];

/// The chosen subcommands that use `resource` of the group of `group_version`, by the
/// permission table.
fn users_of(group_version: &str, resource: &str, chosen: &[Subcommand]) -> Vec<Subcommand> {
    let group = group_version.split('/').next().unwrap_or(group_version);
    let mut users: Vec<Subcommand> = PERMISSIONS
        .iter()
        .filter(|p| p.group == group && p.resource == resource)
        .flat_map(|p| p.needed_by.iter().copied())
        .filter(|s| chosen.contains(s))
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

fn names(subcommands: &[Subcommand]) -> String {
    subcommands
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn api_check(check: &ApiCheck, discovered: &Discovered, chosen: &[Subcommand]) -> Check {
    let served = match discovered.serves(check.group_version, check.resource) {
        Ok(served) => served,
        Err(error) => {
            let what = format!("reading discovery of {}", check.group_version);
            return Check::error(check.id, &what, error);
        }
    };
    let users = users_of(check.group_version, check.resource, chosen);
    // A resource only optional for the chosen subcommands (STORK's Rules: only --pre-rule and
    // --post-rule read them) is a warning when missing, not a failure.
    let group = check
        .group_version
        .split('/')
        .next()
        .unwrap_or(check.group_version);
    let required = PERMISSIONS
        .iter()
        .any(|p| p.group == group && p.resource == check.resource && p.required_by_any(chosen));
    let needed = match users.as_slice() {
        [] => "not needed by the subcommands checked".to_string(),
        users => format!("needed by {}", names(users)),
    };
    match served {
        true => Check::ok(
            check.id,
            format!("{} is served ({})", check.what, check.group_version),
        ),
        false => Check::problem(
            check.id,
            required,
            format!(
                "{} is not served ({} {}; {needed})",
                check.what, check.resource, check.group_version
            ),
            check.fix,
        ),
    }
}

/// The CSI group snapshot API is optional: without it group-snap takes STORK's group.
fn csi_groups_check(discovered: &Discovered) -> Check {
    const ID: &str = "api.csi.groups";
    let mut served = Vec::new();
    for gv in CSI_GROUP_SNAPSHOT_VERSIONS {
        match discovered.serves(gv, "volumegroupsnapshots") {
            Ok(true) => served.push(gv),
            Ok(false) => {}
            Err(error) => return Check::error(ID, &format!("reading discovery of {gv}"), error),
        }
    }
    match served.as_slice() {
        [] => Check::ok(
            ID,
            "CSI group snapshots (groupsnapshot.storage.k8s.io) are not served; not needed: group-snap then takes STORK's GroupVolumeSnapshot",
        ),
        versions => Check::ok(
            ID,
            format!("CSI group snapshots are served ({})", versions.join(", ")),
        ),
    }
}

/// The checks of which snapshot APIs are served. `csi_takes_snapshots`: the CSI snapshot API
/// is served with a Portworx class, so snap and cloud-snap take CSI snapshots of CSI volumes.
pub fn checks(
    discovered: &Discovered,
    chosen: &[Subcommand],
    csi_takes_snapshots: bool,
) -> Vec<Check> {
    API_CHECKS
        .iter()
        .map(|check| match api_check(check, discovered, chosen) {
            found if check.id == STORK_SNAPSHOTS_ID && csi_takes_snapshots => stood_in_for(
                found,
                "CSI snapshots are set up, so only in-tree portworxVolume PVCs need it",
            ),
            // Every snapshot is STORK's there, as `snapshot_api::decide` falls back (a note).
            found if check.id == CSI_SNAPSHOTS_ID && stork_snapshots_served(discovered) => {
                stood_in_for(
                    found,
                    "STORK's snapshots are served, so pxsnap takes those (no release at the cut)",
                )
            }
            found => found,
        })
        .chain([csi_groups_check(discovered)])
        .collect()
}

/// A missing API that another API stands in for: a warning saying which, not a failure.
fn stood_in_for(check: Check, because: &str) -> Check {
    match check.status {
        Status::Fail => Check::warn(
            check.id,
            format!("{}; {because}", check.message),
            check.fix.unwrap_or_default(),
        ),
        _ => check,
    }
}

/// The running pods (as `namespace/name`) that `selector` matches in any namespace.
async fn running_pods(cluster: &Cluster, selector: &str) -> Result<Vec<String>> {
    let api: Api<Pod> = Api::all(cluster.client.clone());
    let params = ListParams::default().labels(selector);
    let pods = cluster
        .read("list", "pods", None, || api.list(&params))
        .await?;
    Ok(pods
        .items
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.as_deref().unwrap_or_default(),
                p.metadata.name.as_deref().unwrap_or_default()
            )
        })
        .collect())
}

/// What was found running behind the CRDs: STORK's pods and the snapshot-controller's.
pub struct Controllers {
    stork: Result<Vec<String>>,
    snapshot_controller: Result<Vec<String>>,
}

/// Looks for STORK and the snapshot-controller, one list per label, all at once.
pub async fn controllers(cluster: &Cluster) -> Controllers {
    let (stork, snapshot_controllers) = futures::join!(
        running_pods(cluster, STORK_SELECTOR),
        futures::future::join_all(
            SNAPSHOT_CONTROLLER_SELECTORS.map(|selector| running_pods(cluster, selector))
        ),
    );
    // Found under any label is found; otherwise the first error, if every list failed.
    let mut found = Vec::new();
    let mut first_error = None;
    for answer in snapshot_controllers {
        match answer {
            Ok(pods) => found.extend(pods),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    let snapshot_controller = match (found.is_empty(), first_error) {
        (true, Some(error)) => Err(error),
        _ => Ok(found),
    };
    Controllers {
        stork,
        snapshot_controller,
    }
}

/// One controller: running, not seen, or not allowed to look.
fn controller_check(
    id: &'static str,
    what: &str,
    labels: &str,
    found: Result<Vec<String>>,
    fix: &str,
) -> Check {
    match found {
        Ok(pods) if !pods.is_empty() => {
            Check::ok(id, format!("{what} is running: {}", pods.join(", ")))
        }
        Ok(_) => Check::warn(
            id,
            format!("no running {what} pod ({labels}) in any namespace"),
            fix,
        ),
        Err(error @ Error::Forbidden { .. }) => Check::warn(
            id,
            format!("cannot look for {what}: {error}"),
            format!(
                "look yourself with kubectl get pods -A -l {labels}, or grant list pods at the cluster scope"
            ),
        ),
        Err(error) => Check::error(id, &format!("looking for {what}"), &error),
    }
}

pub fn controller_checks(found: Controllers) -> Vec<Check> {
    vec![
        controller_check(
            "api.stork.running",
            "STORK",
            STORK_SELECTOR,
            found.stork,
            "without STORK running, STORK snapshots stay Pending: check kubectl get pods -A -l name=stork and STORK's logs",
        ),
        controller_check(
            "api.csi.controller",
            "the snapshot-controller",
            &SNAPSHOT_CONTROLLER_SELECTORS.join(" or "),
            found.snapshot_controller,
            "without it CSI VolumeSnapshots stay unbound: install the external-snapshotter's snapshot-controller (pxsnap snapshots through STORK today)",
        ),
    ]
}

const CLASSES_ID: &str = "api.csi.classes";

/// The Portworx VolumeSnapshotClasses; none when the CSI API is not served (its own check
/// says so).
pub fn class_checks(classes: Result<Option<PortworxClasses>>) -> Vec<Check> {
    match classes {
        Ok(None) => Vec::new(),
        Ok(Some(classes)) => vec![classes_check(&classes)],
        Err(error @ Error::Forbidden { .. }) => vec![Check::warn(
            CLASSES_ID,
            format!("cannot list VolumeSnapshotClasses: {error}"),
            "grant list on volumesnapshotclasses.snapshot.storage.k8s.io, or look with kubectl get volumesnapshotclasses",
        )],
        Err(error) => vec![Check::error(
            CLASSES_ID,
            "listing VolumeSnapshotClasses",
            &error,
        )],
    }
}

/// A class as the report names it: `name (local)` or `name (cloud, credential X)`.
fn describe(class: &PortworxClass) -> String {
    match (&class.snapshot_type, &class.credential) {
        (crate::backend::csi_classes::SnapshotType::Local, _) => format!("{} (local)", class.name),
        (_, Some(credential)) => format!("{} (cloud, credential {credential})", class.name),
        (_, None) => format!("{} (cloud, the cluster's default credential)", class.name),
    }
}

fn classes_check(classes: &PortworxClasses) -> Check {
    let drivers = classes.drivers();
    if drivers.is_empty() {
        return Check::warn(
            CLASSES_ID,
            "no VolumeSnapshotClass for the Portworx CSI driver (pxd.portworx.com): a CSI snapshot of a Portworx volume has no class to use",
            class_manifest_command(SnapshotType::Local),
        );
    }
    let mut lines = Vec::new();
    let mut doubled = Vec::new();
    for driver in drivers {
        let default = match classes.default_for(driver) {
            DefaultClass::One(class) => format!("default {}", describe(class)),
            DefaultClass::Missing => {
                "no default (a VolumeSnapshot must name its class)".to_string()
            }
            DefaultClass::Several(several) => {
                let names: Vec<&str> = several.iter().map(|c| c.name.as_str()).collect();
                doubled.push((driver, names.clone()));
                format!("{} defaults ({})", names.len(), names.join(", "))
            }
        };
        let cloud: Vec<String> = classes
            .cloud()
            .filter(|c| c.driver == driver)
            .map(describe)
            .collect();
        let cloud = match cloud.as_slice() {
            [] => "no cloud class".to_string(),
            cloud => format!("cloud: {}", cloud.join(", ")),
        };
        lines.push(format!("{driver}: {default}; {cloud}"));
    }
    match doubled.first() {
        None => Check::ok(CLASSES_ID, lines.join("; ")),
        Some((driver, names)) => Check::warn(
            CLASSES_ID,
            format!(
                "{}: {} default VolumeSnapshotClasses for {driver}, so the snapshot-controller fails every VolumeSnapshot that names no class (\"{} default snapshot classes were found\"); pxsnap snapshots through STORK's API and is not affected",
                lines.join("; "),
                names.len(),
                names.len()
            ),
            format!(
                "keep one default: kubectl annotate volumesnapshotclass {} {DEFAULT_CLASS_ANNOTATION}-",
                names[1..].join(" ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_api_fails_only_the_subcommands_that_use_it() {
        let discovered = Discovered {
            answers: vec![(
                STORK_GROUP_VERSION,
                Ok(Some(BTreeSet::from(["rules".to_string()]))),
            )],
        };
        let groups = &API_CHECKS[1];
        let for_list = api_check(groups, &discovered, &[Subcommand::Snap]);
        assert_eq!(for_list.status, super::super::Status::Warn, "{for_list:?}");
        let for_group = api_check(groups, &discovered, &[Subcommand::GroupSnap]);
        assert_eq!(for_group.status, super::super::Status::Fail);
        assert!(
            for_group.message.contains("needed by group-snap"),
            "{for_group:?}"
        );
        assert_eq!(
            api_check(&API_CHECKS[2], &discovered, &[]).status,
            super::super::Status::Ok
        );
    }
}
