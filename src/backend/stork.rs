//! STORK's external-storage VolumeSnapshot: where the object is built, created, watched to a
//! final state, and deleted.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::snapshotter::{Snapshotter, Stage};
use crate::error::Result;
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{
    CLOUD_CRED_ANNOTATION, SNAPSHOT_TYPE_ANNOTATION, SnapshotPhase, StorkSnapshotSpec,
    StorkVolumeSnapshot, managed_labels,
};

const RESOURCE: &str = "volumesnapshots.volumesnapshot.external-storage.k8s.io";

/// Portworx snapshot flavours, as the `portworx/snapshot-type` annotation spells them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotKind {
    Local,
    Cloud(CloudOptions),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudOptions {
    pub cred_id: Option<String>,
    pub incremental_count: Option<u32>,
    pub delete_local: bool,
}

impl SnapshotKind {
    pub fn label(&self) -> &'static str {
        match self {
            SnapshotKind::Local => "local",
            SnapshotKind::Cloud(_) => "cloud",
        }
    }
}

/// Everything needed to build the VolumeSnapshot object.
#[derive(Clone, Debug)]
pub struct SnapshotRequest {
    pub name: String,
    pub namespace: String,
    pub pvc: String,
    pub kind: SnapshotKind,
    pub labels: Vec<(String, String)>,
    /// A manifest's own annotations (`apply`), kept beside the ones pxsnap writes.
    pub annotations: BTreeMap<String, String>,
}

/// The default name: `<pvc>-<UTC yyyymmddhhmmss>`. Fixed before the create call so a retry after a
/// lost response finds the first object (409) instead of making a second snapshot.
pub fn default_name(pvc: &str, now: jiff::Timestamp) -> String {
    let stamp = now.strftime("%Y%m%d%H%M%S").to_string();
    // Object names are at most 253 characters.
    let keep = pvc.len().min(253 - stamp.len() - 1);
    format!("{}-{stamp}", &pvc[..keep])
}

/// Builds the VolumeSnapshot exactly as STORK reads it.
pub fn build(request: &SnapshotRequest) -> StorkVolumeSnapshot {
    let mut annotations = request.annotations.clone();
    annotations.insert(
        SNAPSHOT_TYPE_ANNOTATION.to_string(),
        request.kind.label().to_string(),
    );
    if let SnapshotKind::Cloud(cloud) = &request.kind {
        if let Some(cred) = &cloud.cred_id {
            annotations.insert(CLOUD_CRED_ANNOTATION.to_string(), cred.clone());
        }
        if let Some(count) = cloud.incremental_count {
            annotations.insert(
                "portworx.io/cloudsnap-incremental-count".to_string(),
                count.to_string(),
            );
        }
        if cloud.delete_local {
            annotations.insert(
                "portworx.io/cloudsnap-delete-local-snap".to_string(),
                "true".to_string(),
            );
        }
    }
    StorkVolumeSnapshot {
        metadata: ObjectMeta {
            name: Some(request.name.clone()),
            namespace: Some(request.namespace.clone()),
            labels: Some(managed_labels(&request.labels)),
            annotations: Some(annotations),
            ..Default::default()
        },
        spec: StorkSnapshotSpec {
            persistent_volume_claim_name: request.pvc.clone(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// STORK's VolumeSnapshot, which shows no cut: Ready is the first moment pxsnap knows the
/// snapshot was taken.
pub struct Stork;

impl Snapshotter for Stork {
    type Object = StorkVolumeSnapshot;
    const RESOURCE: &'static str = RESOURCE;
    const NOUN: &'static str = "snapshot";
    const SHOWS_CUT: bool = false;

    fn stage(snapshot: &StorkVolumeSnapshot) -> Stage {
        match snapshot.phase() {
            SnapshotPhase::Ready => Stage::Ready {
                cut_at: snapshot.ready_at(),
            },
            SnapshotPhase::Error(message) => Stage::Failed(Some(message)),
            SnapshotPhase::Pending(message) => Stage::Pending(message),
        }
    }

    fn same_request(built: &StorkVolumeSnapshot, existing: &StorkVolumeSnapshot) -> bool {
        existing.spec.persistent_volume_claim_name == built.spec.persistent_volume_claim_name
    }

    fn delete_command(name: &str, namespace: &str) -> String {
        format!("pxsnap delete {name} -n {namespace}")
    }
}

/// Deletes a snapshot pxsnap gave up on. Already gone is fine.
pub async fn delete(cluster: &Cluster, namespace: &str, name: &str) -> Result<()> {
    super::delete::<StorkVolumeSnapshot>(cluster, RESOURCE, namespace, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_is_pvc_and_utc_stamp() {
        let now: jiff::Timestamp = "2026-11-25T19:07:35Z".parse().expect("timestamp");
        assert_eq!(
            default_name("cassandra-data", now),
            "cassandra-data-20261125190735"
        );
        let long = "p".repeat(300);
        assert_eq!(default_name(&long, now).len(), 253);
    }

    #[test]
    fn built_object_carries_type_labels_and_pvc() {
        let request = SnapshotRequest {
            name: "s1".into(),
            namespace: "db".into(),
            pvc: "data".into(),
            kind: SnapshotKind::Local,
            labels: vec![("team".into(), "dba".into())],
            annotations: BTreeMap::from([("note".into(), "kept".into())]),
        };
        let json = serde_json::to_value(build(&request)).expect("serializes");
        assert_eq!(json["spec"]["persistentVolumeClaimName"], "data");
        assert_eq!(
            json["metadata"]["annotations"]["portworx/snapshot-type"],
            "local"
        );
        assert_eq!(
            json["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "pxsnap"
        );
        assert_eq!(json["metadata"]["labels"]["team"], "dba");
        assert_eq!(json["metadata"]["annotations"]["note"], "kept");
    }

    #[test]
    fn cloud_options_become_annotations() {
        let request = SnapshotRequest {
            name: "s1".into(),
            namespace: "db".into(),
            pvc: "data".into(),
            kind: SnapshotKind::Cloud(CloudOptions {
                cred_id: Some("cred".into()),
                incremental_count: Some(0),
                delete_local: true,
            }),
            labels: vec![],
            annotations: BTreeMap::new(),
        };
        let json = serde_json::to_value(build(&request)).expect("serializes");
        let annotations = &json["metadata"]["annotations"];
        assert_eq!(annotations["portworx/snapshot-type"], "cloud");
        assert_eq!(annotations["portworx/cloud-cred-id"], "cred");
        assert_eq!(annotations["portworx.io/cloudsnap-incremental-count"], "0");
        assert_eq!(
            annotations["portworx.io/cloudsnap-delete-local-snap"],
            "true"
        );
    }
}
