//! Typed views of the CSI snapshot objects (`snapshot.storage.k8s.io/v1`) pxsnap reads and
//! writes. Unlike STORK's CRDs these have a schema, so the server refuses unknown fields; the
//! structs still tolerate `null`s, as every object written by a Go controller may carry them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use serde::{Deserialize, Serialize};

use super::resources::{meta_without_managed_fields, null_as_default, static_resource};

/// The API group and version of CSI VolumeSnapshots, their classes and contents.
pub const CSI_SNAPSHOT_GROUP_VERSION: &str = "snapshot.storage.k8s.io/v1";
/// The annotation that makes a VolumeSnapshotClass its driver's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "snapshot.storage.kubernetes.io/is-default-class";

/// `snapshot.storage.k8s.io/v1` VolumeSnapshotClass (cluster-scoped): which driver takes the
/// CSI snapshots of a class, with which parameters, and whether it is its driver's default.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotClass {
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub driver: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub parameters: BTreeMap<String, String>,
    /// `Delete` or `Retain`: whether the data outlives the VolumeSnapshot.
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletion_policy: String,
}
static_resource!(
    VolumeSnapshotClass,
    k8s_openapi::ClusterResourceScope,
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshotClass",
    "volumesnapshotclasses"
);

/// `snapshot.storage.k8s.io/v1` VolumeSnapshot: the object the CSI snapshot-controller acts on.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiVolumeSnapshot {
    #[serde(default = "csi_snapshot_api_version")]
    pub api_version: String,
    #[serde(default = "csi_snapshot_kind")]
    pub kind: String,
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: CsiSnapshotSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CsiSnapshotStatus>,
}
static_resource!(
    CsiVolumeSnapshot,
    k8s_openapi::NamespaceResourceScope,
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshot",
    "volumesnapshots"
);

/// Not derived, for the same reason as `StorkVolumeSnapshot`'s: a dry run shows the object that
/// is sent, `apiVersion` and `kind` included.
impl Default for CsiVolumeSnapshot {
    fn default() -> Self {
        CsiVolumeSnapshot {
            api_version: csi_snapshot_api_version(),
            kind: csi_snapshot_kind(),
            metadata: ObjectMeta::default(),
            spec: CsiSnapshotSpec::default(),
            status: None,
        }
    }
}

fn csi_snapshot_api_version() -> String {
    CSI_SNAPSHOT_GROUP_VERSION.to_string()
}
fn csi_snapshot_kind() -> String {
    "VolumeSnapshot".to_string()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiSnapshotSpec {
    #[serde(default, deserialize_with = "null_as_default")]
    pub source: CsiSnapshotSource,
    /// Omitted (never empty: the server refuses "") to let the controller pick the driver's
    /// default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiSnapshotSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_content_name: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiSnapshotStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_volume_snapshot_content_name: Option<String>,
    #[serde(flatten)]
    pub moments: Moments,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_size: Option<Quantity>,
}

/// What every CSI snapshot object's status says of its progress, a snapshot's as a group's.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moments {
    /// Set when the driver's CreateSnapshot returned: the moment of the cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_use: Option<bool>,
    /// The last error; the controller keeps retrying and clears it on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CsiSnapshotError>,
}

impl Moments {
    pub fn progress(&self) -> CsiProgress {
        let cut_at = self.creation_time.as_ref().map(|t| t.0.to_string());
        let error = self
            .error
            .as_ref()
            .map(|e| e.message.clone().unwrap_or_default());
        if self.ready_to_use == Some(true) {
            return CsiProgress::Ready { cut_at };
        }
        match cut_at {
            Some(at) => CsiProgress::Cut { at, error },
            None => CsiProgress::NotCut { error },
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiSnapshotError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where a CSI snapshot stands, read from its status: the cut and readiness are separate
/// moments, and an error is only the latest attempt's, not a final verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsiProgress {
    /// Not cut yet; `error` is the last failed attempt's message, if any.
    NotCut { error: Option<String> },
    /// Cut at `at`, not ready yet (a cloud upload goes on); `error` as above.
    Cut { at: String, error: Option<String> },
    /// `readyToUse: true`.
    Ready { cut_at: Option<String> },
}

impl CsiVolumeSnapshot {
    pub fn progress(&self) -> CsiProgress {
        self.status
            .as_ref()
            .map_or(CsiProgress::NotCut { error: None }, |s| {
                s.moments.progress()
            })
    }

    /// The PVC this snapshot was taken of.
    pub fn pvc(&self) -> Option<&str> {
        self.spec.source.persistent_volume_claim_name.as_deref()
    }
}

/// `snapshot.storage.k8s.io/v1` VolumeSnapshotContent (cluster-scoped): the snapshot on the
/// storage side. pxsnap only reads its deletion policy, to say whether data outlives a delete.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContent {
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: ContentSpec,
}
static_resource!(
    VolumeSnapshotContent,
    k8s_openapi::ClusterResourceScope,
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshotContent",
    "volumesnapshotcontents"
);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentSpec {
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletion_policy: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub driver: String,
}

/// The API group of CSI group snapshots; two versions are served, see [`GroupVersion`].
pub const CSI_GROUP_SNAPSHOT_GROUP: &str = "groupsnapshot.storage.k8s.io";
/// The annotation that makes a VolumeGroupSnapshotClass its driver's default.
pub const DEFAULT_GROUP_CLASS_ANNOTATION: &str =
    "groupsnapshot.storage.kubernetes.io/is-default-class";

/// A served version of `groupsnapshot.storage.k8s.io`: v1beta2 in current external-snapshotter
/// releases, v1beta1 on older ones. The fields pxsnap uses are the same in both.
pub trait GroupVersion: Clone + std::fmt::Debug + Send + Sync + 'static {
    const VERSION: &'static str;
}

#[derive(Clone, Debug)]
pub struct V1beta2;
impl GroupVersion for V1beta2 {
    const VERSION: &'static str = "v1beta2";
}

#[derive(Clone, Debug)]
pub struct V1beta1;
impl GroupVersion for V1beta1 {
    const VERSION: &'static str = "v1beta1";
}

/// `groupsnapshot.storage.k8s.io` VolumeGroupSnapshot: the PVCs a label selector matches, cut
/// at one moment by the CSI driver; the snapshot-controller makes one VolumeSnapshot per member.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiGroupSnapshot<V> {
    pub api_version: String,
    #[serde(default = "group_kind")]
    pub kind: String,
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: CsiGroupSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CsiGroupStatus>,
    #[serde(skip)]
    version: std::marker::PhantomData<V>,
}
static_resource!(
    impl [V: GroupVersion] CsiGroupSnapshot<V>,
    k8s_openapi::NamespaceResourceScope,
    CSI_GROUP_SNAPSHOT_GROUP,
    V::VERSION,
    "VolumeGroupSnapshot",
    "volumegroupsnapshots"
);

fn group_kind() -> String {
    "VolumeGroupSnapshot".to_string()
}

impl<V: GroupVersion> CsiGroupSnapshot<V> {
    pub fn new(metadata: ObjectMeta, spec: CsiGroupSpec) -> CsiGroupSnapshot<V> {
        CsiGroupSnapshot {
            api_version: format!("{CSI_GROUP_SNAPSHOT_GROUP}/{}", V::VERSION),
            kind: group_kind(),
            metadata,
            spec,
            status: None,
            version: std::marker::PhantomData,
        }
    }

    /// Where the group stands: the same moments as a single snapshot's.
    pub fn progress(&self) -> CsiProgress {
        self.status
            .as_ref()
            .map_or(CsiProgress::NotCut { error: None }, |s| {
                s.moments.progress()
            })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiGroupSpec {
    #[serde(default, deserialize_with = "null_as_default")]
    pub source: CsiGroupSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_group_snapshot_class_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiGroupSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiGroupStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_volume_group_snapshot_content_name: Option<String>,
    /// `creationTime` is the one moment every member was cut at.
    #[serde(flatten)]
    pub moments: Moments,
}

/// `groupsnapshot.storage.k8s.io` VolumeGroupSnapshotClass (cluster-scoped).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiGroupClass<V> {
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub driver: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletion_policy: String,
    #[serde(skip)]
    version: std::marker::PhantomData<V>,
}
static_resource!(
    impl [V: GroupVersion] CsiGroupClass<V>,
    k8s_openapi::ClusterResourceScope,
    CSI_GROUP_SNAPSHOT_GROUP,
    V::VERSION,
    "VolumeGroupSnapshotClass",
    "volumegroupsnapshotclasses"
);

impl<V> CsiGroupClass<V> {
    pub fn is_default(&self) -> bool {
        self.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DEFAULT_GROUP_CLASS_ANNOTATION))
            .is_some_and(|v| v == "true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(status: serde_json::Value) -> CsiVolumeSnapshot {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "db"},
            "spec": {"source": {"persistentVolumeClaimName": "data"}},
            "status": status,
        }))
        .expect("snapshot")
    }

    #[test]
    fn the_cut_and_readiness_are_separate_moments() {
        assert_eq!(
            snapshot(serde_json::json!(null)).progress(),
            CsiProgress::NotCut { error: None }
        );
        let cut = snapshot(serde_json::json!({
            "creationTime": "2026-01-01T00:00:00Z", "readyToUse": false,
            "error": {"message": "upload failed"},
        }));
        assert_eq!(
            cut.progress(),
            CsiProgress::Cut {
                at: "2026-01-01T00:00:00Z".into(),
                error: Some("upload failed".into())
            }
        );
        let ready = snapshot(serde_json::json!({"readyToUse": true}));
        assert_eq!(ready.progress(), CsiProgress::Ready { cut_at: None });
        assert_eq!(ready.pvc(), Some("data"));
    }

    #[test]
    fn a_built_snapshot_omits_what_is_unset() {
        let built = CsiVolumeSnapshot {
            spec: CsiSnapshotSpec {
                source: CsiSnapshotSource {
                    persistent_volume_claim_name: Some("data".into()),
                    volume_snapshot_content_name: None,
                },
                volume_snapshot_class_name: None,
            },
            ..Default::default()
        };
        let json = serde_json::to_value(&built).expect("json");
        assert_eq!(json["apiVersion"], "snapshot.storage.k8s.io/v1");
        assert_eq!(
            json["spec"],
            serde_json::json!({"source": {"persistentVolumeClaimName": "data"}})
        );
        assert!(json.get("status").is_none());
    }
}
