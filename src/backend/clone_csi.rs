//! What a clone from a CSI `snapshot.storage.k8s.io/v1` VolumeSnapshot needs that STORK's does
//! not: which API holds the snapshot, its readiness and restore size, and a StorageClass of
//! the Portworx CSI driver (the source PVC's by default), because the external-provisioner,
//! not STORK, restores it, and only into the snapshot's own namespace.

use std::time::Duration;

use futures::TryFutureExt;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;

use super::WatchEnd;
use super::clone_pvc::{Probe, Source, probe, source_size};
use super::csi::Csi;
use super::snapshot_api::{PORTWORX_CSI_DRIVERS, Preference, SnapshotApi};
use super::snapshotter::wait_ready;
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{CsiProgress, CsiVolumeSnapshot};
use crate::k8s::resources::{STORK_SNAPSHOT_GROUP_VERSION, StorkVolumeSnapshot};

const SNAPSHOT_RESOURCE: &str = "volumesnapshots.snapshot.storage.k8s.io";
const STORK_SNAPSHOT_RESOURCE: &str = "volumesnapshots.volumesnapshot.external-storage.k8s.io";
/// The binding mode under which a PVC stays Pending until a pod that uses it is scheduled.
const WAIT_FOR_FIRST_CONSUMER: &str = "WaitForFirstConsumer";

/// Which API holds VolumeSnapshot `name` in the cluster's namespace. `auto` looks in both, and
/// a name both hold is refused: which one was meant is a guess. A name neither holds goes to
/// STORK's API when it is served (whose path then says it is not found), else to CSI's.
pub async fn holder(cluster: &Cluster, name: &str, preference: Preference) -> Result<SnapshotApi> {
    if let Preference::Only(api) = preference {
        return Ok(api);
    }
    let namespace = cluster.namespace.as_str();
    let stork: Api<StorkVolumeSnapshot> = Api::namespaced(cluster.client.clone(), namespace);
    let csi: Api<CsiVolumeSnapshot> = Api::namespaced(cluster.client.clone(), namespace);
    let (in_stork, in_csi) = futures::join!(
        cluster.read("get", STORK_SNAPSHOT_RESOURCE, Some(namespace), || {
            stork.get_opt(name).map_ok(|found| found.is_some())
        }),
        cluster.read("get", SNAPSHOT_RESOURCE, Some(namespace), || {
            csi.get_opt(name).map_ok(|found| found.is_some())
        }),
    );
    // An API the user may not read is one they do not mean when the other holds the name; when
    // neither shows it, the refusal may hide it, and is what the user must hear.
    match (in_stork, in_csi) {
        (Ok(true), Ok(true)) => Err(Error::Usage(format!(
            "both STORK's and CSI's API hold a VolumeSnapshot {name:?} in namespace {namespace:?}: pass --api stork or --api csi to say which to clone"
        ))),
        (Ok(true), Ok(false) | Err(Error::Forbidden { .. })) => Ok(SnapshotApi::Stork),
        (Ok(false) | Err(Error::Forbidden { .. }), Ok(true)) => Ok(SnapshotApi::Csi),
        (Ok(false), Ok(false)) => match cluster
            .require_api_group(STORK_SNAPSHOT_GROUP_VERSION)
            .await
        {
            Ok(()) => Ok(SnapshotApi::Stork),
            Err(Error::ApiGroupMissing { .. }) => Ok(SnapshotApi::Csi),
            Err(other) => Err(other),
        },
        (Err(err), _) | (_, Err(err)) => Err(err),
    }
}

/// Reads the CSI snapshot and checks it is `readyToUse`, the moment the external-provisioner
/// restores it. With `wait`, one not ready yet is watched until it is.
pub async fn ready_snapshot(
    cluster: &Cluster,
    name: &str,
    wait: Option<Duration>,
) -> Result<CsiVolumeSnapshot> {
    let namespace = cluster.namespace.as_str();
    let not_found = || Error::SnapshotNotFound {
        name: name.to_string(),
        namespace: namespace.to_string(),
        resource: SNAPSHOT_RESOURCE,
    };
    let snapshot = cluster
        .get_opt::<CsiVolumeSnapshot>(SNAPSHOT_RESOURCE, name)
        .await?
        .ok_or_else(not_found)?;
    let in_error = |message: String| Error::SnapshotInError {
        name: name.to_string(),
        namespace: namespace.to_string(),
        message,
    };
    let pending = match (snapshot.progress(), wait) {
        (CsiProgress::Ready { .. }, _) => return Ok(snapshot),
        (
            CsiProgress::NotCut {
                error: Some(message),
            },
            _,
        ) => return Err(in_error(message)),
        (progress, None) => progress,
        (_, Some(timeout)) => {
            return match wait_ready::<Csi>(cluster, namespace, name, timeout).await {
                WatchEnd::Done(ready) => Ok(ready),
                WatchEnd::Failed(_, message) => Err(in_error(message.unwrap_or_default())),
                WatchEnd::Deleted => Err(not_found()),
                WatchEnd::Api(err) => Err(err),
                WatchEnd::TimedOut(_) => Err(Error::Timeout {
                    what: format!(
                        "VolumeSnapshot {name:?} in namespace {namespace:?} to be readyToUse"
                    ),
                    after: timeout,
                }),
            };
        }
    };
    Err(Error::SnapshotNotReady {
        name: name.to_string(),
        namespace: namespace.to_string(),
        status: pending_status(&pending),
    })
}

/// A not-yet-ready CSI snapshot's (or group's) status as a user reads it.
pub fn pending_status(progress: &CsiProgress) -> String {
    match progress {
        CsiProgress::Cut { at, error: None } => {
            format!("cut at {at}, not readyToUse yet: an upload may still be going on")
        }
        CsiProgress::Cut {
            at,
            error: Some(message),
        } => format!("cut at {at}, not readyToUse yet; last error: {message}"),
        _ => "not cut yet: no status.creationTime".to_string(),
    }
}

/// The source PVC of a CSI snapshot, with the size the clone must at least have: the
/// snapshot's `status.restoreSize` when it gives one (the external-provisioner refuses less),
/// else the source PVC's request.
pub async fn read_source(cluster: &Cluster, snapshot: &CsiVolumeSnapshot) -> Result<Source> {
    let name = snapshot.metadata.name.as_deref().unwrap_or_default();
    let mut source = match snapshot.pvc() {
        Some(pvc) => super::clone_pvc::read_pvc(cluster, &cluster.namespace, pvc)
            .await?
            .unwrap_or_default(),
        None => Source::default(),
    };
    let restore_size = snapshot
        .status
        .as_ref()
        .and_then(|s| s.restore_size.clone())
        .and_then(|q| source_size(q, format!("the restoreSize of VolumeSnapshot {name:?}")));
    source.size = restore_size.or(source.size);
    Ok(source)
}

/// The clone's StorageClass: `--storage-class`, else the source PVC's. Without either the
/// clone cannot be made like its source, so the flag is asked for.
pub fn storage_class(
    given: Option<&str>,
    snapshot: &CsiVolumeSnapshot,
    source: &Source,
) -> Result<String> {
    if let Some(class) = given.or(source.storage_class.as_deref()) {
        return Ok(class.to_string());
    }
    let name = snapshot.metadata.name.as_deref().unwrap_or_default();
    let why = match (snapshot.pvc(), &source.pvc) {
        (Some(pvc), None) => format!("its source PVC {pvc:?} no longer exists"),
        (Some(pvc), Some(_)) => format!("its source PVC {pvc:?} names no StorageClass"),
        (None, _) => "it names no source PVC".to_string(),
    };
    Err(Error::Usage(format!(
        "cannot tell the StorageClass for a clone of CSI VolumeSnapshot {name:?}: {why}; pass --storage-class with a class of the Portworx CSI driver ({})",
        PORTWORX_CSI_DRIVERS[0]
    )))
}

/// How the clone's StorageClass binds, as far as pxsnap may read it.
pub struct ClassCheck {
    /// `WaitForFirstConsumer`: the PVC stays Pending until a pod that uses it is scheduled.
    pub binds_on_first_use: bool,
    pub warning: Option<String>,
}

/// Checks the class exists and belongs to the Portworx CSI driver (any other provisioner
/// would never restore the snapshot, leaving the PVC Pending), and reads its binding mode.
pub async fn check_storage_class(cluster: &Cluster, name: &str) -> Result<ClassCheck> {
    let api: Api<StorageClass> = Api::all(cluster.client.clone());
    match probe(cluster, "storageclasses", || api.get_opt(name)).await? {
        Probe::Found(class) if PORTWORX_CSI_DRIVERS.contains(&class.provisioner.as_str()) => {
            Ok(ClassCheck {
                binds_on_first_use: class.volume_binding_mode.as_deref()
                    == Some(WAIT_FOR_FIRST_CONSUMER),
                warning: None,
            })
        }
        Probe::Found(class) => Err(Error::Usage(format!(
            "StorageClass {name:?} has provisioner {:?}, not the Portworx CSI driver: it cannot restore a CSI snapshot of Portworx; pass --storage-class with a class of {}",
            class.provisioner, PORTWORX_CSI_DRIVERS[0]
        ))),
        Probe::Missing => Err(Error::StorageClassMissing {
            name: name.to_string(),
            hint: "check --storage-class (kubectl get storageclass)".to_string(),
        }),
        Probe::Forbidden(message) => Ok(ClassCheck {
            binds_on_first_use: false,
            warning: Some(format!(
                "cannot check StorageClass {name:?} ({message}); going on"
            )),
        }),
    }
}

/// Refuses a clone into another namespace: a PVC's data source must be in its own namespace
/// unless the cluster runs the alpha CrossNamespaceVolumeDataSource feature.
pub fn check_same_namespace(snapshot: &str, source: &str, target: &str) -> Result<()> {
    if source == target {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "cannot clone CSI VolumeSnapshot {snapshot:?} from namespace {source:?} into {target:?}: a PVC restores only a CSI snapshot of its own namespace (across namespaces needs the alpha CrossNamespaceVolumeDataSource feature); clone it in {source:?} (drop --target-namespace), or clone a STORK snapshot (pxsnap snap --api stork), which may cross namespaces"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(pvc: Option<&str>) -> CsiVolumeSnapshot {
        let mut snapshot = CsiVolumeSnapshot::default();
        snapshot.metadata.name = Some("s1".into());
        snapshot.spec.source.persistent_volume_claim_name = pvc.map(str::to_string);
        snapshot
    }

    #[test]
    fn the_class_is_the_flag_else_the_source_pvcs_else_asked_for() {
        let source = Source {
            pvc: Some("data".into()),
            storage_class: Some("px-csi-db".into()),
            ..Source::default()
        };
        let snap = snapshot(Some("data"));
        let class = |given| storage_class(given, &snap, &source).expect("a class");
        assert_eq!(class(Some("fast")), "fast");
        assert_eq!(class(None), "px-csi-db");
        let gone = storage_class(None, &snap, &Source::default()).expect_err("no class");
        assert_eq!(gone.exit_code(), 2);
        assert!(
            gone.to_string()
                .contains("its source PVC \"data\" no longer exists; pass --storage-class"),
            "{gone}"
        );
    }

    #[test]
    fn another_namespace_is_refused_with_what_to_do() {
        assert!(check_same_namespace("s1", "db", "db").is_ok());
        let refused = check_same_namespace("s1", "db", "staging").expect_err("cross");
        assert_eq!(refused.exit_code(), 2);
        assert!(
            refused
                .to_string()
                .contains("CrossNamespaceVolumeDataSource")
        );
    }
}
