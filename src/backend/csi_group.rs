//! CSI's `groupsnapshot.storage.k8s.io` VolumeGroupSnapshot: the object, its class, and what its
//! versions mean. Like a single CSI snapshot it shows the cut (one `creationTime` for every
//! member) apart from readiness.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Api;
use kube::api::ListParams;

use super::csi::stage_of;
use super::snapshotter::{Snapshotter, Stage};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{
    CsiGroupClass, CsiGroupSnapshot, CsiGroupSource, CsiGroupSpec, CsiVolumeSnapshot, GroupVersion,
};
use crate::k8s::resources::managed_labels;

const RESOURCE: &str = "volumegroupsnapshots.groupsnapshot.storage.k8s.io";
/// How `-o name` and kubectl spell a VolumeGroupSnapshot.
pub const NAME_RESOURCE: &str = "volumegroupsnapshot.groupsnapshot.storage.k8s.io";

/// The served version of the group API, preferring the newer; `None` when neither is served.
pub async fn served_version(cluster: &Cluster) -> Result<Option<GroupApi>> {
    for version in [GroupApi::V1beta2, GroupApi::V1beta1] {
        match cluster.require_api_group(version.group_version()).await {
            Ok(()) => return Ok(Some(version)),
            Err(Error::ApiGroupMissing { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// A served version of the group API, as a value (the types take it as a parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupApi {
    V1beta2,
    V1beta1,
}

impl GroupApi {
    pub fn group_version(self) -> &'static str {
        match self {
            GroupApi::V1beta2 => "groupsnapshot.storage.k8s.io/v1beta2",
            GroupApi::V1beta1 => "groupsnapshot.storage.k8s.io/v1beta1",
        }
    }
}

/// The VolumeGroupSnapshotClasses of the cluster, reduced to what the choice needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupClass {
    pub name: String,
    pub driver: String,
    pub default: bool,
}

/// Every VolumeGroupSnapshotClass in version `V` (one call).
pub async fn classes<V: GroupVersion>(cluster: &Cluster) -> Result<Vec<GroupClass>> {
    let api: Api<CsiGroupClass<V>> = Api::all(cluster.client.clone());
    let params = ListParams::default();
    let listed = cluster
        .read(
            "list",
            "volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io",
            None,
            || api.list(&params),
        )
        .await?;
    Ok(listed
        .items
        .iter()
        .map(|c| GroupClass {
            name: c.metadata.name.clone().unwrap_or_default(),
            driver: c.driver.clone(),
            default: c.is_default(),
        })
        .collect())
}

/// The group class of `driver`: the one `named` (`--group-class`), else the driver's default,
/// else its only class. `Ok(None)`: the driver has none, so CSI groups are not set up for it.
pub fn pick_class(all: &[GroupClass], driver: &str, named: Option<&str>) -> Result<Option<String>> {
    if let Some(named) = named {
        return match all.iter().find(|c| c.name == named) {
            None => Err(Error::Usage(format!(
                "--group-class {named}: no VolumeGroupSnapshotClass of that name (kubectl get volumegroupsnapshotclasses)"
            ))),
            Some(c) if c.driver != driver => Err(Error::Usage(format!(
                "--group-class {named}: that class is of driver {}, not of the PVCs' driver {driver}",
                c.driver
            ))),
            Some(c) => Ok(Some(c.name.clone())),
        };
    }
    let of_driver: Vec<&GroupClass> = all.iter().filter(|c| c.driver == driver).collect();
    let defaults: Vec<&&GroupClass> = of_driver.iter().filter(|c| c.default).collect();
    match (defaults.as_slice(), of_driver.as_slice()) {
        ([one], _) => Ok(Some(one.name.clone())),
        ([], []) => Ok(None),
        ([], [one]) => Ok(Some(one.name.clone())),
        (_, several) => Err(Error::Usage(format!(
            "several VolumeGroupSnapshotClasses of driver {driver} fit: {}; name one with --group-class",
            several
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Everything needed to build the VolumeGroupSnapshot.
#[derive(Clone, Debug)]
pub struct CsiGroupRequest {
    pub name: String,
    pub namespace: String,
    pub match_labels: BTreeMap<String, String>,
    pub class: Option<String>,
}

pub fn build<V: GroupVersion>(request: &CsiGroupRequest) -> CsiGroupSnapshot<V> {
    CsiGroupSnapshot::new(
        ObjectMeta {
            name: Some(request.name.clone()),
            namespace: Some(request.namespace.clone()),
            labels: Some(managed_labels(&[])),
            ..Default::default()
        },
        CsiGroupSpec {
            source: CsiGroupSource {
                selector: Some(LabelSelector {
                    match_labels: Some(request.match_labels.clone()),
                    match_expressions: None,
                }),
            },
            volume_group_snapshot_class_name: request.class.clone(),
        },
    )
}

/// CSI's VolumeGroupSnapshot in version `V`.
pub struct CsiGroup<V>(std::marker::PhantomData<V>);

impl<V: GroupVersion> Snapshotter for CsiGroup<V> {
    type Object = CsiGroupSnapshot<V>;
    const RESOURCE: &'static str = RESOURCE;
    const NOUN: &'static str = "group snapshot";
    const SHOWS_CUT: bool = true;

    fn stage(group: &CsiGroupSnapshot<V>) -> Stage {
        stage_of(group.progress())
    }

    fn same_request(built: &CsiGroupSnapshot<V>, existing: &CsiGroupSnapshot<V>) -> bool {
        existing.spec.source == built.spec.source
    }

    /// Deleting the group deletes its member snapshots with it.
    fn delete_command(name: &str, namespace: &str) -> String {
        format!("kubectl delete {NAME_RESOURCE} {name} -n {namespace}")
    }

    fn failure(name: String, message: String) -> Error {
        Error::GroupSnapshotFailed { name, message }
    }
}

/// The member VolumeSnapshots of `group` (one list call): those it owns.
pub async fn members<V: GroupVersion>(
    cluster: &Cluster,
    group: &CsiGroupSnapshot<V>,
) -> Result<Vec<CsiVolumeSnapshot>> {
    let namespace = group.metadata.namespace.as_deref().unwrap_or_default();
    let Some(uid) = group.metadata.uid.as_deref() else {
        return Ok(Vec::new());
    };
    let api: Api<CsiVolumeSnapshot> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default();
    let listed = cluster
        .read(
            "list",
            "volumesnapshots.snapshot.storage.k8s.io",
            Some(namespace),
            || api.list(&params),
        )
        .await?;
    let mut owned: Vec<CsiVolumeSnapshot> = listed
        .items
        .into_iter()
        .filter(|s| {
            s.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid && o.kind == "VolumeGroupSnapshot")
        })
        .collect();
    owned.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, driver: &str, default: bool) -> GroupClass {
        GroupClass {
            name: name.into(),
            driver: driver.into(),
            default,
        }
    }

    #[test]
    fn the_default_then_the_only_class_of_the_driver() {
        let px = "pxd.portworx.com";
        let all = [
            class("a", px, false),
            class("b", px, true),
            class("e", "ebs", true),
        ];
        assert_eq!(
            pick_class(&all, px, None).ok().flatten().as_deref(),
            Some("b")
        );
        assert_eq!(
            pick_class(&all[..1], px, None).ok().flatten().as_deref(),
            Some("a")
        );
        assert_eq!(pick_class(&all[2..], px, None).ok().flatten(), None);
        assert!(pick_class(&all, px, Some("e")).is_err());
        let two = [class("a", px, false), class("c", px, false)];
        assert!(pick_class(&two, px, None).is_err());
    }
}
