//! CSI's `snapshot.storage.k8s.io/v1` VolumeSnapshot: where the object is built, and what its
//! versions mean. It shows the cut (`status.creationTime`) apart from readiness, so the
//! application is released long before a cloud upload ends.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::snapshotter::{Snapshotter, Stage};
use crate::k8s::csi_resources::{
    CsiProgress, CsiSnapshotSource, CsiSnapshotSpec, CsiVolumeSnapshot,
};
use crate::k8s::resources::managed_labels;

const RESOURCE: &str = "volumesnapshots.snapshot.storage.k8s.io";
/// How `-o name` and kubectl spell a CSI VolumeSnapshot.
pub const NAME_RESOURCE: &str = "volumesnapshot.snapshot.storage.k8s.io";

/// Everything needed to build the CSI VolumeSnapshot.
#[derive(Clone, Debug)]
pub struct CsiRequest {
    pub name: String,
    pub namespace: String,
    pub pvc: String,
    /// The class to name; `None` lets the snapshot-controller pick the driver's default.
    pub class: Option<String>,
    pub labels: Vec<(String, String)>,
    /// A manifest's own annotations (`apply`).
    pub annotations: BTreeMap<String, String>,
}

/// Builds the VolumeSnapshot: the class says local or cloud and which credential, so the
/// object itself carries only the source, the class and pxsnap's labels.
pub fn build(request: &CsiRequest) -> CsiVolumeSnapshot {
    CsiVolumeSnapshot {
        metadata: ObjectMeta {
            name: Some(request.name.clone()),
            namespace: Some(request.namespace.clone()),
            labels: Some(managed_labels(&request.labels)),
            annotations: Some(request.annotations.clone()).filter(|a| !a.is_empty()),
            ..Default::default()
        },
        spec: CsiSnapshotSpec {
            source: CsiSnapshotSource {
                persistent_volume_claim_name: Some(request.pvc.clone()),
                volume_snapshot_content_name: None,
            },
            volume_snapshot_class_name: request.class.clone(),
        },
        ..Default::default()
    }
}

/// CSI's VolumeSnapshot.
pub struct Csi;

/// What a CSI object's status means to the pipeline (a group's as a single snapshot's). An
/// error before the cut fails at once: the snapshot-controller would retry, but no application
/// may stay frozen through its retries.
pub fn stage_of(progress: CsiProgress) -> Stage {
    match progress {
        CsiProgress::NotCut { error: None } => Stage::Pending(None),
        CsiProgress::NotCut { error: Some(e) } => Stage::Failed(Some(e)),
        CsiProgress::Cut { at, error } => Stage::Cut { at, error },
        CsiProgress::Ready { cut_at } => Stage::Ready { cut_at },
    }
}

impl Snapshotter for Csi {
    type Object = CsiVolumeSnapshot;
    const RESOURCE: &'static str = RESOURCE;
    const NOUN: &'static str = "snapshot";
    const SHOWS_CUT: bool = true;

    fn stage(snapshot: &CsiVolumeSnapshot) -> Stage {
        stage_of(snapshot.progress())
    }

    /// The class too: a local and a cloud snapshot of one PVC are different requests. (The
    /// snapshot-controller writes the default class into a snapshot that named none.)
    fn same_request(built: &CsiVolumeSnapshot, existing: &CsiVolumeSnapshot) -> bool {
        let class = &built.spec.volume_snapshot_class_name;
        existing.pvc() == built.pvc()
            && (class.is_none() || &existing.spec.volume_snapshot_class_name == class)
    }

    fn delete_command(name: &str, namespace: &str) -> String {
        format!("kubectl delete {NAME_RESOURCE} {name} -n {namespace}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_names_source_class_and_labels() {
        let request = CsiRequest {
            name: "s1".into(),
            namespace: "db".into(),
            pvc: "data".into(),
            class: Some("px-csi-snapclass".into()),
            labels: vec![("team".into(), "dba".into())],
            annotations: BTreeMap::new(),
        };
        let json = serde_json::to_value(build(&request)).expect("serializes");
        assert_eq!(json["apiVersion"], "snapshot.storage.k8s.io/v1");
        assert_eq!(json["spec"]["source"]["persistentVolumeClaimName"], "data");
        assert_eq!(json["spec"]["volumeSnapshotClassName"], "px-csi-snapclass");
        assert_eq!(json["metadata"]["labels"]["team"], "dba");
        let no_class = CsiRequest {
            class: None,
            ..request
        };
        let json = serde_json::to_value(build(&no_class)).expect("serializes");
        assert!(json["spec"].get("volumeSnapshotClassName").is_none());
    }

    #[test]
    fn an_error_fails_before_the_cut_and_not_after() {
        let with = |status: serde_json::Value| -> CsiVolumeSnapshot {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "s"}, "spec": {"source": {"persistentVolumeClaimName": "d"}},
                "status": status,
            }))
            .expect("snapshot")
        };
        let failed = with(serde_json::json!({"error": {"message": "no space"}}));
        assert_eq!(Csi::stage(&failed), Stage::Failed(Some("no space".into())));
        let uploading = with(serde_json::json!({
            "creationTime": "2026-01-01T00:00:00Z", "error": {"message": "upload failed"},
        }));
        assert!(matches!(
            Csi::stage(&uploading),
            Stage::Cut { error: Some(_), .. }
        ));
    }
}
