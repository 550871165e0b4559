//! CSI's `groupsnapshot.storage.k8s.io` VolumeGroupSnapshot: the object, its class, and what its
//! versions mean. Like a single CSI snapshot it shows the cut (one `creationTime` for every
//! member) apart from readiness.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::Api;
use kube::api::ListParams;

use super::WatchEnd;
use super::csi::stage_of;
use super::snapshotter::{Snapshotter, Stage, wait_ready};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{
    CsiGroupClass, CsiGroupSnapshot, CsiGroupSource, CsiGroupSpec, CsiProgress, CsiVolumeSnapshot,
    GroupVersion, V1beta1, V1beta2,
};
use crate::k8s::resources::managed_labels;
use crate::k8s::served::ServedApis;

const RESOURCE: &str = "volumegroupsnapshots.groupsnapshot.storage.k8s.io";
/// How `-o name` and kubectl spell a VolumeGroupSnapshot.
pub const NAME_RESOURCE: &str = "volumegroupsnapshot.groupsnapshot.storage.k8s.io";

/// The served version of the group API, preferring the newer; `None` when neither is served.
/// One discovery call (`/apis`) answers for both versions.
pub async fn served_version(cluster: &Cluster) -> Result<Option<GroupApi>> {
    let served = ServedApis::discover(cluster).await?;
    Ok([GroupApi::V1beta2, GroupApi::V1beta1]
        .into_iter()
        .find(|version| served.serves(version.group_version())))
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

    /// The group `name` in the cluster's namespace; `None` when there is none. The version
    /// is known to be served, so a 404 is the object missing.
    pub async fn get(self, cluster: &Cluster, name: &str) -> Result<Option<FoundGroup>> {
        match self {
            GroupApi::V1beta2 => get_in::<V1beta2>(self, cluster, name).await,
            GroupApi::V1beta1 => get_in::<V1beta1>(self, cluster, name).await,
        }
    }

    /// Deletes group `name` of the cluster's namespace; the snapshot-controller deletes its
    /// members with it. Already gone is fine.
    pub async fn delete(self, cluster: &Cluster, name: &str) -> Result<()> {
        let namespace = &cluster.namespace;
        match self {
            GroupApi::V1beta2 => {
                super::delete::<CsiGroupSnapshot<V1beta2>>(cluster, RESOURCE, namespace, name).await
            }
            GroupApi::V1beta1 => {
                super::delete::<CsiGroupSnapshot<V1beta1>>(cluster, RESOURCE, namespace, name).await
            }
        }
    }

    /// Watches group `name` of the cluster's namespace until it is `readyToUse`, for a clone
    /// of a group whose members are not made yet.
    pub async fn wait_ready(
        self,
        cluster: &Cluster,
        name: &str,
        timeout: Duration,
    ) -> Result<FoundGroup> {
        match self {
            GroupApi::V1beta2 => wait_ready_in::<V1beta2>(self, cluster, name, timeout).await,
            GroupApi::V1beta1 => wait_ready_in::<V1beta1>(self, cluster, name, timeout).await,
        }
    }
}

/// A VolumeGroupSnapshot as read in its served version: what `delete` and `clone` need of it.
#[derive(Debug, Clone)]
pub struct FoundGroup {
    pub api: GroupApi,
    pub metadata: ObjectMeta,
    pub progress: CsiProgress,
}

impl FoundGroup {
    fn of<V: GroupVersion>(api: GroupApi, group: CsiGroupSnapshot<V>) -> FoundGroup {
        FoundGroup {
            api,
            progress: group.progress(),
            metadata: group.metadata,
        }
    }
}

async fn get_in<V: GroupVersion>(
    version: GroupApi,
    cluster: &Cluster,
    name: &str,
) -> Result<Option<FoundGroup>> {
    let namespace = cluster.namespace.as_str();
    let api: Api<CsiGroupSnapshot<V>> = Api::namespaced(cluster.client.clone(), namespace);
    let found = cluster
        .read("get", RESOURCE, Some(namespace), || api.get_opt(name))
        .await?;
    Ok(found.map(|group| FoundGroup::of(version, group)))
}

async fn wait_ready_in<V: GroupVersion>(
    version: GroupApi,
    cluster: &Cluster,
    name: &str,
    timeout: Duration,
) -> Result<FoundGroup> {
    let namespace = cluster.namespace.as_str();
    match wait_ready::<CsiGroup<V>>(cluster, namespace, name, timeout).await {
        WatchEnd::Done(group) => Ok(FoundGroup::of(version, group)),
        WatchEnd::Failed(_, message) => Err(CsiGroup::<V>::failure(
            name.to_string(),
            message.unwrap_or_default(),
        )),
        WatchEnd::Deleted => Err(Error::GroupSnapshotNotFound {
            kind: "VolumeGroupSnapshot",
            name: name.to_string(),
            namespace: namespace.to_string(),
        }),
        WatchEnd::Api(err) => Err(err),
        WatchEnd::TimedOut(_) => Err(Error::Timeout {
            what: format!(
                "VolumeGroupSnapshot {name:?} in namespace {namespace:?} to be readyToUse"
            ),
            after: timeout,
        }),
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

/// The member VolumeSnapshots of the group `group` describes (one list call): those it owns.
pub async fn members(cluster: &Cluster, group: &ObjectMeta) -> Result<Vec<CsiVolumeSnapshot>> {
    let namespace = group.namespace.as_deref().unwrap_or_default();
    let Some(uid) = group.uid.as_deref() else {
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
