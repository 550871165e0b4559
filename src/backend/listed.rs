//! The snapshot APIs `list`, `delete` and `clone --group` read: STORK's and CSI's together, or
//! the one asked for, and of those only what the server serves, so that a cluster with one of
//! them is not an error and nothing is requested from an API that is not installed. The same
//! holds for the two group snapshot kinds.

use kube::Api;

use crate::backend::csi_group::{FoundGroup, GroupApi};
use crate::backend::group;
use crate::backend::snapshot_api::SnapshotApi;
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::CSI_SNAPSHOT_GROUP_VERSION;
use crate::k8s::resources::{
    GroupVolumeSnapshot, STORK_GROUP_VERSION, STORK_SNAPSHOT_GROUP_VERSION,
};
use crate::k8s::served::ServedApis;

/// In the order kubectl prints them when asked for both (CSI's first).
pub const ALL_APIS: [SnapshotApi; 2] = [SnapshotApi::Csi, SnapshotApi::Stork];

/// What `list` and `delete` need to know of an API besides its name.
impl SnapshotApi {
    pub fn group_version(self) -> &'static str {
        match self {
            SnapshotApi::Csi => CSI_SNAPSHOT_GROUP_VERSION,
            SnapshotApi::Stork => STORK_SNAPSHOT_GROUP_VERSION,
        }
    }

    /// kubectl's name for one object's resource, as `-o name` and `delete` print it.
    pub fn resource(self) -> &'static str {
        match self {
            SnapshotApi::Csi => "volumesnapshot.snapshot.storage.k8s.io",
            SnapshotApi::Stork => "volumesnapshot.volumesnapshot.external-storage.k8s.io",
        }
    }

    fn needed(self) -> Needed {
        Needed {
            shown: self.group_version(),
            install: match self {
                SnapshotApi::Csi => {
                    "the CSI external-snapshotter (its CRDs and snapshot-controller)"
                }
                SnapshotApi::Stork => "STORK",
            },
        }
    }

    /// The group snapshot kind of this API, if the server serves it: CSI's in its newest
    /// served version.
    fn group_kind(self, served: &ServedApis) -> Option<GroupKind> {
        match self {
            SnapshotApi::Csi => [GroupApi::V1beta2, GroupApi::V1beta1]
                .into_iter()
                .find(|api| served.serves(api.group_version()))
                .map(GroupKind::Csi),
            SnapshotApi::Stork => served
                .serves(STORK_GROUP_VERSION)
                .then_some(GroupKind::Stork),
        }
    }

    fn group_needed(self) -> Needed {
        match self {
            SnapshotApi::Csi => Needed {
                shown: "groupsnapshot.storage.k8s.io/v1beta2 or v1beta1",
                install: "the CSI external-snapshotter with its group snapshot CRDs",
            },
            SnapshotApi::Stork => Needed {
                shown: STORK_GROUP_VERSION,
                install: "STORK",
            },
        }
    }
}

/// A group snapshot kind: CSI's VolumeGroupSnapshot in a served version, or STORK's
/// GroupVolumeSnapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Csi(GroupApi),
    Stork,
}

impl GroupKind {
    /// The kind, as the API column of `list --groups` and the messages name it.
    pub fn kind(self) -> &'static str {
        match self {
            GroupKind::Csi(_) => "VolumeGroupSnapshot",
            GroupKind::Stork => crate::k8s::resources::GROUP_SNAPSHOT_KIND,
        }
    }

    /// kubectl's name for one object's resource, as `-o name` and `delete` print it.
    pub fn resource(self) -> &'static str {
        match self {
            GroupKind::Csi(_) => crate::backend::csi_group::NAME_RESOURCE,
            GroupKind::Stork => "groupvolumesnapshot.stork.libopenstorage.org",
        }
    }
}

/// A group snapshot found by name, in the API that holds it.
pub enum HeldGroup {
    Stork(GroupVolumeSnapshot),
    Csi(FoundGroup),
}

/// The group snapshot `name` in the cluster's namespace, in whichever of `kinds` holds it (each
/// is served, so a 404 is the object missing); `None` when none does. Held by both: refused
/// before anything is done, since which one was meant is a guess; `verb` says what the user
/// wanted done with it.
pub async fn find_group(
    cluster: &Cluster,
    kinds: &[GroupKind],
    name: &str,
    verb: &str,
) -> Result<Option<HeldGroup>> {
    let namespace = cluster.namespace.as_str();
    let mut found = Vec::new();
    for kind in kinds {
        let held = match kind {
            GroupKind::Csi(api) => api.get(cluster, name).await?.map(HeldGroup::Csi),
            GroupKind::Stork => {
                let api: Api<GroupVolumeSnapshot> =
                    Api::namespaced(cluster.client.clone(), namespace);
                cluster
                    .read("get", group::RESOURCE, Some(namespace), || {
                        api.get_opt(name)
                    })
                    .await?
                    .map(HeldGroup::Stork)
            }
        };
        found.extend(held);
    }
    if found.len() > 1 {
        return Err(Error::Usage(format!(
            "both CSI's VolumeGroupSnapshot and STORK's GroupVolumeSnapshot API hold a group snapshot {name:?} in namespace {namespace:?}: pass --api csi or --api stork to say which to {verb}"
        )));
    }
    Ok(found.pop())
}

/// The kinds a group snapshot was looked for in, as a message names them.
pub fn searched_kinds(kinds: &[GroupKind]) -> &'static str {
    match kinds {
        [one] => one.kind(),
        _ => "VolumeGroupSnapshot or GroupVolumeSnapshot",
    }
}

/// An API group some command needs, for the line that says it is missing.
struct Needed {
    /// `group/version`, as the line shows it.
    shown: &'static str,
    /// What installs it.
    install: &'static str,
}

/// `only`, or every API.
fn wanted(only: Option<SnapshotApi>) -> Vec<SnapshotApi> {
    match only {
        Some(api) => vec![api],
        None => ALL_APIS.to_vec(),
    }
}

/// The APIs to read: `only`, or every one; each must be served. With `only` unserved, or
/// none served, the error names what is missing and what installs it (exit 1).
pub fn snapshot_apis(served: &ServedApis, only: Option<SnapshotApi>) -> Result<Vec<SnapshotApi>> {
    let wanted = wanted(only);
    let apis: Vec<SnapshotApi> = wanted
        .iter()
        .copied()
        .filter(|api| served.serves(api.group_version()))
        .collect();
    if !apis.is_empty() {
        return Ok(apis);
    }
    let needed: Vec<Needed> = wanted.iter().map(|api| api.needed()).collect();
    Err(missing(&needed, "volumesnapshot"))
}

/// The group snapshot kinds to read, as [`snapshot_apis`] chooses the snapshot APIs.
pub fn group_kinds(served: &ServedApis, only: Option<SnapshotApi>) -> Result<Vec<GroupKind>> {
    let wanted = wanted(only);
    let kinds: Vec<GroupKind> = wanted
        .iter()
        .filter_map(|api| api.group_kind(served))
        .collect();
    if !kinds.is_empty() {
        return Ok(kinds);
    }
    let needed: Vec<Needed> = wanted.iter().map(|api| api.group_needed()).collect();
    Err(missing(&needed, "groupsnapshot"))
}

/// No API of `wanted` is served; `grep` finds their resources in `kubectl api-resources`.
fn missing(wanted: &[Needed], grep: &str) -> Error {
    let installs: Vec<&str> = wanted.iter().map(|needed| needed.install).collect();
    let (what, check) = match wanted {
        [one] => (
            format!("the API group {} is not served", one.shown),
            format!(
                "kubectl api-resources --api-group={}",
                one.shown.split('/').next().unwrap_or_default()
            ),
        ),
        _ => (
            format!(
                "neither {} is served",
                wanted
                    .iter()
                    .map(|needed| needed.shown)
                    .collect::<Vec<_>>()
                    .join(" nor ")
            ),
            format!("kubectl api-resources | grep -i {grep}"),
        ),
    };
    Error::SnapshotApiMissing {
        what,
        install: installs.join(" or "),
        check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_line_names_each_api_and_its_installer() {
        let needed = |apis: &[SnapshotApi]| apis.iter().map(|api| api.needed()).collect::<Vec<_>>();
        assert_eq!(
            missing(&needed(&ALL_APIS), "volumesnapshot").to_string(),
            "neither snapshot.storage.k8s.io/v1 nor volumesnapshot.external-storage.k8s.io/v1 is served by this cluster: is the CSI external-snapshotter (its CRDs and snapshot-controller) or STORK installed? (kubectl api-resources | grep -i volumesnapshot)"
        );
        assert_eq!(
            missing(&needed(&[SnapshotApi::Stork]), "volumesnapshot").to_string(),
            "the API group volumesnapshot.external-storage.k8s.io/v1 is not served by this cluster: is STORK installed? (kubectl api-resources --api-group=volumesnapshot.external-storage.k8s.io)"
        );
    }
}
