//! Typed views of the STORK objects pxsnap reads and writes.
//!
//! STORK registers its CRDs without a schema, so the API server accepts any field name and a typo
//! is silently ignored. These structs are the one place the JSON names are spelled; everything is
//! optional and `null`-tolerant because STORK (Go, no `omitempty`) writes empty strings and nulls.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer, Serialize};

/// The external-storage API group STORK serves its VolumeSnapshot in.
pub const STORK_SNAPSHOT_GROUP_VERSION: &str = "volumesnapshot.external-storage.k8s.io/v1";
/// The group of GroupVolumeSnapshot and Rule.
pub const STORK_GROUP_VERSION: &str = "stork.libopenstorage.org/v1alpha1";

/// Label pxsnap puts on everything it creates, so `list`/`delete` can tell its own objects apart.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "pxsnap";
pub const SNAPSHOT_TYPE_ANNOTATION: &str = "portworx/snapshot-type";
pub const CLOUD_CRED_ANNOTATION: &str = "portworx/cloud-cred-id";

/// Implements `kube::Resource` for a struct with a `metadata` field, so `Api<T>` works without
/// kube's derive macro (which would pull schemars into the build for CRDs we never install).
/// `impl [GENERICS]` first, for a type whose API version is a type parameter (CSI's group
/// snapshots, served in two versions).
macro_rules! static_resource {
    (impl [$($generics:tt)*] $ty:ty, $scope:ty, $group:expr, $version:expr, $kind:literal, $plural:literal) => {
        impl<$($generics)*> kube::Resource for $ty {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($group)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($version)
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
    ($ty:ty, $scope:ty, $group:expr, $version:expr, $kind:literal, $plural:literal) => {
        static_resource!(impl [] $ty, $scope, $group, $version, $kind, $plural);
    };
}
pub(crate) use static_resource;

/// `volumesnapshot.external-storage.k8s.io/v1` VolumeSnapshot: the object STORK acts on.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorkVolumeSnapshot {
    #[serde(default = "stork_snapshot_api_version")]
    pub api_version: String,
    #[serde(default = "stork_snapshot_kind")]
    pub kind: String,
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: StorkSnapshotSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StorkSnapshotStatus>,
}
static_resource!(
    StorkVolumeSnapshot,
    k8s_openapi::NamespaceResourceScope,
    "volumesnapshot.external-storage.k8s.io",
    "v1",
    "VolumeSnapshot",
    "volumesnapshots"
);

/// Not derived: a derived default has an empty `apiVersion` and `kind`, and an object built
/// from it (`stork::build`) is shown as such by `--dry-run`, not as the object that is sent.
impl Default for StorkVolumeSnapshot {
    fn default() -> Self {
        StorkVolumeSnapshot {
            api_version: stork_snapshot_api_version(),
            kind: stork_snapshot_kind(),
            metadata: ObjectMeta::default(),
            spec: StorkSnapshotSpec::default(),
            status: None,
        }
    }
}

fn stork_snapshot_api_version() -> String {
    STORK_SNAPSHOT_GROUP_VERSION.to_string()
}
fn stork_snapshot_kind() -> String {
    "VolumeSnapshot".to_string()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorkSnapshotSpec {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub persistent_volume_claim_name: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub snapshot_data_name: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorkSnapshotStatus {
    #[serde(default, deserialize_with = "null_as_default")]
    pub conditions: Vec<StorkCondition>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorkCondition {
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

impl StorkSnapshotStatus {
    /// The phase of a snapshot (or its data) from its status, Pending when it has none yet.
    pub fn phase(status: Option<&StorkSnapshotStatus>) -> SnapshotPhase {
        phase_of(status.map(|s| s.conditions.as_slice()).unwrap_or_default())
    }
}

/// Where a STORK snapshot stands, decided from the **last** condition as STORK's own controller
/// does (an earlier `Error` followed by `Ready` is a success).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotPhase {
    Ready,
    Error(String),
    /// No conditions yet, or `Pending`; carries the last message, if any, for progress display.
    Pending(Option<String>),
}

impl SnapshotPhase {
    pub fn label(&self) -> &'static str {
        match self {
            SnapshotPhase::Ready => "Ready",
            SnapshotPhase::Error(_) => "Error",
            SnapshotPhase::Pending(_) => "Pending",
        }
    }
}

pub fn phase_of(conditions: &[StorkCondition]) -> SnapshotPhase {
    match conditions.last() {
        Some(c) if c.type_ == "Ready" && c.status == "True" => SnapshotPhase::Ready,
        Some(c) if c.type_ == "Error" && c.status == "True" => {
            SnapshotPhase::Error(c.message.clone())
        }
        Some(c) if !c.message.is_empty() => SnapshotPhase::Pending(Some(c.message.clone())),
        _ => SnapshotPhase::Pending(None),
    }
}

impl StorkVolumeSnapshot {
    pub fn phase(&self) -> SnapshotPhase {
        StorkSnapshotStatus::phase(self.status.as_ref())
    }

    /// When the snapshot became Ready, from its Ready condition.
    pub fn ready_at(&self) -> Option<String> {
        let conditions = &self.status.as_ref()?.conditions;
        conditions
            .iter()
            .rev()
            .find(|c| c.type_ == "Ready" && c.status == "True")
            .and_then(|c| c.last_transition_time.clone())
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }

    pub fn snapshot_type(&self) -> &str {
        self.annotation(SNAPSHOT_TYPE_ANNOTATION).unwrap_or("local")
    }

    /// The GroupVolumeSnapshot that made this snapshot, if any: STORK gives every child an
    /// ownerReference to its group.
    pub fn group_owner(&self) -> Option<&OwnerReference> {
        self.metadata
            .owner_references
            .as_ref()?
            .iter()
            .find(|owner| owner.kind == GROUP_SNAPSHOT_KIND)
    }

    /// The last condition's message: the progress or failure text STORK wrote.
    pub fn last_message(&self) -> Option<&str> {
        let last = self.status.as_ref()?.conditions.last()?;
        Some(last.message.as_str()).filter(|m| !m.is_empty())
    }
}

/// The kind of STORK's group snapshot, as ownerReferences name it.
pub const GROUP_SNAPSHOT_KIND: &str = "GroupVolumeSnapshot";

/// `stork.libopenstorage.org/v1alpha1` GroupVolumeSnapshot: several PVCs cut at one point.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupVolumeSnapshot {
    #[serde(default = "stork_group_api_version")]
    pub api_version: String,
    #[serde(default = "group_snapshot_kind")]
    pub kind: String,
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: GroupSnapshotSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GroupSnapshotStatus>,
}
static_resource!(
    GroupVolumeSnapshot,
    k8s_openapi::NamespaceResourceScope,
    "stork.libopenstorage.org",
    "v1alpha1",
    "GroupVolumeSnapshot",
    "groupvolumesnapshots"
);

fn stork_group_api_version() -> String {
    STORK_GROUP_VERSION.to_string()
}
fn group_snapshot_kind() -> String {
    GROUP_SNAPSHOT_KIND.to_string()
}

/// The spec fields pxsnap writes. No pre/post exec rule: pxsnap runs the commands itself.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSnapshotSpec {
    #[serde(default, deserialize_with = "null_as_default")]
    pub pvc_selector: PvcSelector,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub restore_namespaces: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub max_retries: u32,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub options: BTreeMap<String, String>,
}

/// STORK reads `matchLabels` only; `matchExpressions` makes the group fail its pre-checks forever.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PvcSelector {
    #[serde(default, deserialize_with = "null_as_default")]
    pub match_labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSnapshotStatus {
    #[serde(default, deserialize_with = "null_as_default")]
    pub stage: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub num_retries: u32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub volume_snapshots: Vec<GroupChildStatus>,
}

/// One child of a group. STORK's Go struct has no JSON tags, so the keys are PascalCase; the
/// lowerCamel aliases accept writers that follow the usual convention (Go decodes either).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupChildStatus {
    #[serde(
        alias = "volumeSnapshotName",
        default,
        deserialize_with = "null_as_default"
    )]
    pub volume_snapshot_name: String,
    #[serde(
        rename = "ParentVolumeID",
        alias = "parentVolumeID",
        alias = "parentVolumeId",
        default,
        deserialize_with = "null_as_default"
    )]
    pub parent_volume_id: String,
    #[serde(alias = "conditions", default, deserialize_with = "null_as_default")]
    pub conditions: Vec<StorkCondition>,
}

/// Where a group snapshot stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupPhase {
    /// `Final`/`Successful` and every child Ready.
    Successful,
    /// `status: Failed`, or a child in Error; carries the child's message when there is one.
    Failed(Option<String>),
    /// Anything else, including the empty stage of a group failing its pre-checks (whose
    /// cause is only in Events).
    InProgress,
}

impl GroupVolumeSnapshot {
    pub fn stage(&self) -> &str {
        self.status.as_ref().map_or("", |s| s.stage.as_str())
    }

    pub fn status_text(&self) -> &str {
        self.status.as_ref().map_or("", |s| s.status.as_str())
    }

    pub fn children(&self) -> &[GroupChildStatus] {
        self.status
            .as_ref()
            .map(|s| s.volume_snapshots.as_slice())
            .unwrap_or_default()
    }

    /// STORK gave up on the group (its `status.status` is `Failed`).
    pub fn has_failed(&self) -> bool {
        self.status_text() == "Failed"
    }

    /// Done is `Final` + `Successful` with every child Ready, the check sched-ops applies.
    pub fn phase(&self) -> GroupPhase {
        if self.has_failed() {
            return GroupPhase::Failed(self.child_error());
        }
        if let Some(message) = self.child_error() {
            return GroupPhase::Failed(Some(message));
        }
        let children_ready = self
            .children()
            .iter()
            .all(|c| c.phase() == SnapshotPhase::Ready);
        if self.stage() == "Final" && self.status_text() == "Successful" && children_ready {
            GroupPhase::Successful
        } else {
            GroupPhase::InProgress
        }
    }

    fn child_error(&self) -> Option<String> {
        self.children().iter().find_map(|c| match c.phase() {
            SnapshotPhase::Error(message) => Some(format!("{}: {message}", c.volume_snapshot_name)),
            _ => None,
        })
    }
}

impl GroupChildStatus {
    /// A child holds a single condition (STORK reads `Conditions[0]`), so first and last agree.
    pub fn phase(&self) -> SnapshotPhase {
        phase_of(&self.conditions)
    }
}

/// The namespaces a snapshot may be cloned into: a CSV of regexes, each matched against the
/// whole namespace name. The first key is current; the second is the deprecated alias STORK
/// still reads (the current key wins when both are set).
pub const RESTORE_NAMESPACES_ANNOTATIONS: [&str; 2] = [
    "stork.libopenstorage.org/snapshot-restore-namespaces",
    "stork/snapshot-restore-namespaces",
];
/// Label STORK puts on a VolumeSnapshot it has cut: the source PV's name.
pub const SNAPSHOT_PV_LABEL: &str = "SnapshotMetadata-PVName";

impl StorkVolumeSnapshot {
    /// The restore-namespaces annotation, current key first, then the deprecated alias.
    pub fn restore_namespaces(&self) -> Option<&str> {
        RESTORE_NAMESPACES_ANNOTATIONS
            .iter()
            .find_map(|key| self.annotation(key))
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(key).map(String::as_str)
    }
}

/// `volumesnapshot.external-storage.k8s.io/v1` VolumeSnapshotData (cluster-scoped, written by
/// STORK): the clone provisioner refuses a snapshot whose data is not Ready, so pxsnap checks it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorkVolumeSnapshotData {
    #[serde(deserialize_with = "meta_without_managed_fields")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: StorkSnapshotDataSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StorkSnapshotStatus>,
}
static_resource!(
    StorkVolumeSnapshotData,
    k8s_openapi::ClusterResourceScope,
    "volumesnapshot.external-storage.k8s.io",
    "v1",
    "VolumeSnapshotData",
    "volumesnapshotdatas"
);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorkSnapshotDataSpec {
    /// `{kind: PersistentVolume, name}`: the PV the snapshot was taken of.
    #[serde(default, deserialize_with = "null_as_default")]
    pub persistent_volume_ref: NameRef,
}

/// The part of an ObjectReference pxsnap reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NameRef {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

impl StorkVolumeSnapshotData {
    pub fn phase(&self) -> SnapshotPhase {
        StorkSnapshotStatus::phase(self.status.as_ref())
    }
}

/// Builds the labels every pxsnap-made object carries: the managed-by marker plus the user's.
pub fn managed_labels(extra: &[(String, String)]) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(MANAGED_BY_LABEL.to_string(), MANAGED_BY_VALUE.to_string())]);
    labels.extend(extra.iter().cloned());
    labels
}

/// The metadata pxsnap reads, without `managedFields`. A real API server writes them on every
/// object, and decoding their `fieldsV1` trees, which pxsnap never reads, doubled the time of a
/// `pxsnap list` table over 2,000 snapshots (BENCHMARKS.md case 2); skipped unread, they cost
/// only their bytes.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    annotations: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

pub(crate) fn meta_without_managed_fields<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<ObjectMeta, D::Error> {
    let lean: LeanMeta = null_as_default(deserializer)?;
    Ok(ObjectMeta {
        annotations: lean.annotations,
        creation_timestamp: lean.creation_timestamp,
        deletion_grace_period_seconds: lean.deletion_grace_period_seconds,
        deletion_timestamp: lean.deletion_timestamp,
        finalizers: lean.finalizers,
        generate_name: lean.generate_name,
        generation: lean.generation,
        labels: lean.labels,
        managed_fields: None,
        name: lean.name,
        namespace: lean.namespace,
        owner_references: lean.owner_references,
        resource_version: lean.resource_version,
        self_link: lean.self_link,
        uid: lean.uid,
    })
}

/// STORK's `Rule`: the commands a snapshot's pre/post rule runs. Its `rules` list is kept as
/// raw JSON here and read by [`RuleItem`] afterwards, so a Rule that does not parse is an error
/// naming the field rather than a failed API read.
#[derive(Clone, Debug, Deserialize)]
pub struct StorkRule {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub rules: serde_json::Value,
}
static_resource!(
    StorkRule,
    k8s_openapi::NamespaceResourceScope,
    "stork.libopenstorage.org",
    "v1alpha1",
    "Rule",
    "rules"
);

/// One item of a Rule: the pods it selects and the actions run on them, in order.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleItem {
    /// Equality labels, ANDed; empty selects every pod of the namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub pod_selector: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub container: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<RuleAction>,
}

/// One action of a Rule item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleAction {
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub background: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub run_in_single_pod: bool,
}

/// Go clients write `null` for empty slices, maps and strings; treat it as the empty value.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_without_managed_fields() {
        let snapshot: StorkVolumeSnapshot = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "s1", "namespace": "db", "uid": "u1", "labels": {"a": "b"},
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
            },
            "spec": {"persistentVolumeClaimName": "data"},
        }))
        .expect("snapshot");
        let meta = &snapshot.metadata;
        assert_eq!(meta.name.as_deref(), Some("s1"));
        assert_eq!(meta.namespace.as_deref(), Some("db"));
        assert_eq!(meta.uid.as_deref(), Some("u1"));
        assert_eq!(meta.labels.as_ref().map(|l| l["a"].as_str()), Some("b"));
        assert!(meta.creation_timestamp.is_some());
        assert!(meta.managed_fields.is_none());
    }

    fn condition(type_: &str, status: &str, message: &str) -> StorkCondition {
        StorkCondition {
            type_: type_.into(),
            status: status.into(),
            message: message.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_last_condition_decides() {
        assert_eq!(phase_of(&[]), SnapshotPhase::Pending(None));
        assert_eq!(
            phase_of(&[
                condition("Error", "True", "boom"),
                condition("Ready", "True", "ok")
            ]),
            SnapshotPhase::Ready
        );
        assert_eq!(
            phase_of(&[
                condition("Ready", "True", "ok"),
                condition("Error", "True", "boom")
            ]),
            SnapshotPhase::Error("boom".into())
        );
        assert_eq!(
            phase_of(&[condition("Pending", "Unknown", "40% uploaded")]),
            SnapshotPhase::Pending(Some("40% uploaded".into()))
        );
    }

    #[test]
    fn go_style_nulls_and_empty_strings_deserialize() {
        let json = serde_json::json!({
            "apiVersion": "volumesnapshot.external-storage.k8s.io/v1",
            "kind": "VolumeSnapshot",
            "metadata": {"name": "s", "namespace": "db"},
            "spec": {"persistentVolumeClaimName": "data", "snapshotDataName": null},
            "status": {"creationTimestamp": null, "conditions": null}
        });
        let snap: StorkVolumeSnapshot = serde_json::from_value(json).expect("parses");
        assert_eq!(snap.spec.persistent_volume_claim_name, "data");
        assert_eq!(snap.spec.snapshot_data_name, "");
        assert_eq!(snap.phase(), SnapshotPhase::Pending(None));
    }

    fn group(status: serde_json::Value) -> GroupVolumeSnapshot {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "stork.libopenstorage.org/v1alpha1",
            "kind": "GroupVolumeSnapshot",
            "metadata": {"name": "g", "namespace": "db"},
            "spec": {"pvcSelector": {"matchLabels": {"app": "cassandra"}}, "options": null},
            "status": status
        }))
        .expect("parses")
    }

    #[test]
    fn group_children_read_pascal_case_and_lower_camel() {
        let g = group(serde_json::json!({
            "stage": "Final", "status": "Successful", "numRetries": 0,
            "volumeSnapshots": [
                {"VolumeSnapshotName": "g-a-uid", "TaskID": "", "ParentVolumeID": "111",
                 "DataSource": {"portworxVolume": {"snapshotId": "9"}},
                 "Conditions": [{"type": "Ready", "status": "True", "message": "ok"}]},
                {"volumeSnapshotName": "g-b-uid", "parentVolumeID": "222",
                 "conditions": [{"type": "Ready", "status": "True"}]}
            ]
        }));
        let children = g.children();
        assert_eq!(children[0].volume_snapshot_name, "g-a-uid");
        assert_eq!(children[0].parent_volume_id, "111");
        assert_eq!(children[1].volume_snapshot_name, "g-b-uid");
        assert_eq!(children[1].parent_volume_id, "222");
        assert_eq!(g.phase(), GroupPhase::Successful);
        assert_eq!(g.spec.pvc_selector.match_labels["app"], "cassandra");
    }

    #[test]
    fn group_phase_follows_stage_status_and_children() {
        assert_eq!(
            group(serde_json::json!(null)).phase(),
            GroupPhase::InProgress
        );
        assert_eq!(
            group(serde_json::json!({"stage": "", "status": ""})).phase(),
            GroupPhase::InProgress
        );
        assert_eq!(
            group(serde_json::json!({"stage": "Final", "status": "Failed"})).phase(),
            GroupPhase::Failed(None)
        );
        let pending_child = serde_json::json!({"stage": "Final", "status": "Successful",
            "volumeSnapshots": [{"VolumeSnapshotName": "c", "Conditions": null}]});
        assert_eq!(group(pending_child).phase(), GroupPhase::InProgress);
        let failed_child = serde_json::json!({"stage": "Snapshot", "status": "InProgress",
            "volumeSnapshots": [{"VolumeSnapshotName": "c",
                "Conditions": [{"type": "Error", "status": "True", "message": "boom"}]}]});
        assert_eq!(
            group(failed_child).phase(),
            GroupPhase::Failed(Some("c: boom".into()))
        );
    }

    #[test]
    fn a_group_child_names_its_group() {
        let json = serde_json::json!({
            "metadata": {"name": "g-data-uid", "ownerReferences": [
                {"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "GroupVolumeSnapshot",
                 "name": "g", "uid": "uid"}
            ]},
            "spec": {"persistentVolumeClaimName": "data"}
        });
        let snap: StorkVolumeSnapshot = serde_json::from_value(json).expect("parses");
        assert_eq!(snap.group_owner().map(|o| o.name.as_str()), Some("g"));
    }

    #[test]
    fn restore_namespaces_prefers_the_current_key() {
        let mut snap = StorkVolumeSnapshot::default();
        assert_eq!(snap.restore_namespaces(), None);
        snap.metadata.annotations = Some(BTreeMap::from([(
            "stork/snapshot-restore-namespaces".to_string(),
            "old".to_string(),
        )]));
        assert_eq!(snap.restore_namespaces(), Some("old"));
        snap.metadata.annotations.as_mut().expect("set").insert(
            "stork.libopenstorage.org/snapshot-restore-namespaces".to_string(),
            "new".to_string(),
        );
        assert_eq!(snap.restore_namespaces(), Some("new"));
    }

    #[test]
    fn snapshot_data_reads_its_pv_and_conditions() {
        let json = serde_json::json!({
            "metadata": {"name": "k8s-volume-snapshot-1"},
            "spec": {"persistentVolumeRef": {"kind": "PersistentVolume", "name": "pv-1"},
                     "portworxVolume": {"snapshotId": "1", "snapshotTaskID": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        });
        let data: StorkVolumeSnapshotData = serde_json::from_value(json).expect("parses");
        assert_eq!(data.spec.persistent_volume_ref.name, "pv-1");
        assert_eq!(data.phase(), SnapshotPhase::Ready);
    }

    #[test]
    fn serializes_with_exact_stork_field_names() {
        let snap = StorkVolumeSnapshot {
            api_version: stork_snapshot_api_version(),
            kind: stork_snapshot_kind(),
            metadata: ObjectMeta {
                name: Some("s".into()),
                ..Default::default()
            },
            spec: StorkSnapshotSpec {
                persistent_volume_claim_name: "data".into(),
                ..Default::default()
            },
            status: None,
        };
        let json = serde_json::to_value(&snap).expect("serializes");
        assert_eq!(
            json["spec"],
            serde_json::json!({"persistentVolumeClaimName": "data"})
        );
        assert_eq!(
            json["apiVersion"],
            "volumesnapshot.external-storage.k8s.io/v1"
        );
        assert!(json.get("status").is_none());
    }
}
