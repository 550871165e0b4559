//! The clone PVC: a new PersistentVolumeClaim that STORK's `stork-snapshot` provisioner fills
//! from an external-storage VolumeSnapshot, or the CSI external-provisioner from a CSI one
//! (named by `spec.dataSource`; what only that path needs is in `clone_csi`). Everything the
//! provisioner would refuse (or silently get wrong) is checked before the PVC is created,
//! because once it exists a refusal only shows as a PVC stuck in Pending.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Namespace, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    TypedLocalObjectReference, TypedObjectReference, VolumeResourceRequirements,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;

use super::snapshot_api::SnapshotApi;
use super::snapshotter::wait_ready;
use super::stork::Stork;
use super::{Verdict, WatchEnd, create_or_adopt, watch_until};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::quantity::parse_bytes;
use crate::k8s::resources::{
    RESTORE_NAMESPACES_ANNOTATIONS, SNAPSHOT_PV_LABEL, SnapshotPhase, StorkVolumeSnapshot,
    StorkVolumeSnapshotData, managed_labels,
};

/// The StorageClass STORK's install spec creates for clones.
pub const DEFAULT_STORAGE_CLASS: &str = "stork-snapshot-sc";
/// The provisioner that restores snapshots; a class with any other provisioner would make an
/// empty volume and ignore the snapshot annotation.
pub const STORK_SNAPSHOT_PROVISIONER: &str = "stork-snapshot";
/// Names the VolumeSnapshot the provisioner restores.
pub const SNAPSHOT_ANNOTATION: &str = "snapshot.alpha.kubernetes.io/snapshot";
/// Names the snapshot's namespace when it differs from the PVC's.
pub const SOURCE_NAMESPACE_ANNOTATION: &str = "stork.libopenstorage.org/snapshot-source-namespace";

const PVC_RESOURCE: &str = "persistentvolumeclaims";
/// The API group a CSI clone's data source names.
const CSI_SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";
const SNAPSHOT_RESOURCE: &str = "volumesnapshots.volumesnapshot.external-storage.k8s.io";
const DATA_RESOURCE: &str = "volumesnapshotdatas.volumesnapshot.external-storage.k8s.io";

/// Everything the new PVC is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloneSpec {
    pub name: String,
    pub namespace: String,
    pub snapshot: String,
    pub snapshot_namespace: String,
    pub size: String,
    pub access_modes: Vec<String>,
    pub storage_class: String,
    pub labels: Vec<(String, String)>,
    /// The API that holds the snapshot, and so which provisioner restores it.
    pub api: SnapshotApi,
    /// The class binds on first use (`WaitForFirstConsumer`): nothing binds it until a pod
    /// that uses it is scheduled, so pxsnap does not wait for Bound.
    pub binds_on_first_use: bool,
}

/// Builds the PVC as its provisioner reads it. STORK's: class, snapshot annotation, and the
/// source namespace annotation only when the clone crosses namespaces; no `spec.selector`, which
/// the provisioner refuses. CSI's: `dataSource` naming the VolumeSnapshot, mirrored in
/// `dataSourceRef` as the API server itself does (and STORK's own CSI restores do).
pub fn build(spec: &CloneSpec) -> PersistentVolumeClaim {
    let mut annotations = BTreeMap::new();
    let (mut data_source, mut data_source_ref) = (None, None);
    match spec.api {
        SnapshotApi::Stork => {
            annotations.insert(SNAPSHOT_ANNOTATION.to_string(), spec.snapshot.clone());
            if spec.snapshot_namespace != spec.namespace {
                annotations.insert(
                    SOURCE_NAMESPACE_ANNOTATION.to_string(),
                    spec.snapshot_namespace.clone(),
                );
            }
        }
        SnapshotApi::Csi => {
            data_source = Some(TypedLocalObjectReference {
                api_group: Some(CSI_SNAPSHOT_GROUP.to_string()),
                kind: "VolumeSnapshot".to_string(),
                name: spec.snapshot.clone(),
            });
            data_source_ref = Some(TypedObjectReference {
                api_group: Some(CSI_SNAPSHOT_GROUP.to_string()),
                kind: "VolumeSnapshot".to_string(),
                name: spec.snapshot.clone(),
                namespace: None,
            });
        }
    }
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            namespace: Some(spec.namespace.clone()),
            labels: Some(managed_labels(&spec.labels)),
            annotations: Some(annotations),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            data_source,
            data_source_ref,
            storage_class_name: Some(spec.storage_class.clone()),
            access_modes: Some(spec.access_modes.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(spec.size.clone()),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: None,
    }
}

/// Whether STORK lets `snapshot` be cloned into namespace `target`; the error is the reason,
/// with the patterns written the way STORK applies them.
///
/// This mirrors STORK's provisioner exactly: the annotation is one CSV record, each field is
/// trimmed and compiled as `"^" + field + "$"` (a literal concatenation, so a field `a|b`
/// becomes `^a|b$`, hence the anchored patterns in the message), tried in order, and the first
/// invalid regex refuses the clone outright.
pub fn check_restore_namespace(snapshot: &StorkVolumeSnapshot, target: &str) -> Result<(), String> {
    let Some(value) = snapshot.restore_namespaces() else {
        return Err(format!(
            "it has no {} annotation",
            RESTORE_NAMESPACES_ANNOTATIONS[0]
        ));
    };
    let fields = parse_csv_record(value).map_err(|problem| {
        format!("its restore-namespaces annotation {value:?} is not one CSV record ({problem})")
    })?;
    let mut tried = Vec::with_capacity(fields.len());
    for field in &fields {
        let anchored = format!("^{field}$");
        match regex::Regex::new(&anchored) {
            Ok(re) if re.is_match(target) => return Ok(()),
            Ok(_) => tried.push(anchored),
            Err(_) => {
                return Err(format!(
                    "its restore-namespaces pattern {anchored} is not a valid regex, and STORK refuses every clone when it meets one (patterns before it: {})",
                    if tried.is_empty() {
                        "none".to_string()
                    } else {
                        tried.join(", ")
                    }
                ));
            }
        }
    }
    Err(format!(
        "its restore-namespaces patterns {} do not match {target:?}",
        tried.join(", ")
    ))
}

/// Splits one CSV record the way Go's `encoding/csv` does with its defaults: fields may be
/// double-quoted (to hold commas, as in `"a{1,3}"`), `""` inside quotes is one quote, and a
/// quote inside an unquoted field is an error, as is a second line (STORK wants exactly one
/// record). Fields are trimmed afterwards, as STORK does.
fn parse_csv_record(value: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = value.trim_matches(['\r', '\n']).chars().peekable();
    loop {
        let mut field = String::new();
        let more = if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err("a quote is never closed"),
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => false,
                Some(',') => true,
                Some('\n' | '\r') => return Err("it has more than one line"),
                Some(_) => return Err("text follows a closing quote"),
            }
        } else {
            loop {
                match chars.next() {
                    None => break false,
                    Some(',') => break true,
                    Some('"') => return Err("a quote inside an unquoted field"),
                    Some('\n' | '\r') => return Err("it has more than one line"),
                    Some(c) => field.push(c),
                }
            }
        };
        fields.push(field.trim().to_string());
        if !more {
            return Ok(fields);
        }
    }
}

/// A snapshot the provisioner will accept now: Ready, with Ready VolumeSnapshotData.
pub struct ReadySnapshot {
    pub snapshot: StorkVolumeSnapshot,
    pub data: StorkVolumeSnapshotData,
}

/// Reads the snapshot and its VolumeSnapshotData and checks both are Ready. With `wait`, a
/// snapshot still being cut is watched until it is Ready (or that long has passed).
pub async fn ready_snapshot(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    wait: Option<Duration>,
) -> Result<ReadySnapshot> {
    let api: Api<StorkVolumeSnapshot> = Api::namespaced(cluster.client.clone(), namespace);
    let not_found = || Error::SnapshotNotFound {
        name: name.to_string(),
        namespace: namespace.to_string(),
        resource: SNAPSHOT_RESOURCE,
    };
    let in_error = |message: String| Error::SnapshotInError {
        name: name.to_string(),
        namespace: namespace.to_string(),
        message,
    };
    let not_ready = |status: String| Error::SnapshotNotReady {
        name: name.to_string(),
        namespace: namespace.to_string(),
        status,
    };
    let snapshot = cluster
        .read("get", SNAPSHOT_RESOURCE, Some(namespace), || {
            api.get_opt(name)
        })
        .await?
        .ok_or_else(not_found)?;
    let snapshot = match (snapshot.phase(), wait) {
        (SnapshotPhase::Ready, _) => snapshot,
        (SnapshotPhase::Error(message), _) => return Err(in_error(message)),
        (SnapshotPhase::Pending(message), None) => return Err(not_ready(pending_status(message))),
        (SnapshotPhase::Pending(_), Some(timeout)) => {
            match wait_ready::<Stork>(cluster, namespace, name, timeout).await {
                WatchEnd::Done(ready) => ready,
                WatchEnd::Failed(_, message) => return Err(in_error(message.unwrap_or_default())),
                WatchEnd::Deleted => return Err(not_found()),
                WatchEnd::Api(err) => return Err(err),
                WatchEnd::TimedOut(_) => {
                    return Err(Error::Timeout {
                        what: format!(
                            "VolumeSnapshot {name:?} in namespace {namespace:?} to be Ready"
                        ),
                        after: timeout,
                    });
                }
            }
        }
    };
    let data_name = snapshot.spec.snapshot_data_name.clone();
    if data_name.is_empty() {
        return Err(not_ready(
            "Ready, but STORK has not linked its VolumeSnapshotData yet".to_string(),
        ));
    }
    let data = ready_data(cluster, &data_name)
        .await
        .map_err(|problem| match problem {
            DataProblem::Error(message) => in_error(message),
            DataProblem::NotReady(status) => not_ready(status),
            DataProblem::Api(err) => err,
        })?;
    Ok(ReadySnapshot { snapshot, data })
}

enum DataProblem {
    Error(String),
    NotReady(String),
    Api(Error),
}

/// The clone provisioner checks the VolumeSnapshotData's own Ready condition, once per attempt.
/// STORK marks it Ready together with the snapshot, so one read after the snapshot is Ready
/// settles it.
async fn ready_data(cluster: &Cluster, name: &str) -> Result<StorkVolumeSnapshotData, DataProblem> {
    let api: Api<StorkVolumeSnapshotData> = Api::all(cluster.client.clone());
    let data = cluster
        .read("get", DATA_RESOURCE, None, || api.get_opt(name))
        .await
        .map_err(DataProblem::Api)?
        .ok_or_else(|| {
            DataProblem::NotReady(format!("its VolumeSnapshotData {name:?} does not exist"))
        })?;
    match data.phase() {
        SnapshotPhase::Ready => Ok(data),
        SnapshotPhase::Error(message) => Err(DataProblem::Error(message)),
        SnapshotPhase::Pending(message) => Err(DataProblem::NotReady(format!(
            "its VolumeSnapshotData {name:?} is {}",
            pending_status(message)
        ))),
    }
}

/// A not-yet-Ready status as a user reads it.
fn pending_status(message: Option<String>) -> String {
    match message {
        Some(message) => format!("Pending: {message}"),
        None => "no status yet: STORK has not cut it".to_string(),
    }
}

/// The size the snapshot was taken at, and where that figure comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSize {
    pub quantity: String,
    pub bytes: u128,
    pub origin: String,
}

/// What the clone inherits from the volume the snapshot was taken of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// The source PVC's name, when it still exists.
    pub pvc: Option<String>,
    pub size: Option<SourceSize>,
    pub access_modes: Vec<String>,
    /// The source PVC's StorageClass: a CSI clone's default.
    pub storage_class: Option<String>,
}

/// Reads the source PVC (same namespace as the snapshot); when it is gone, the PV the snapshot
/// was taken of (named by STORK's `SnapshotMetadata-PVName` label or the VolumeSnapshotData),
/// whose capacity is the size the snapshot recorded.
pub async fn read_source(cluster: &Cluster, ready: &ReadySnapshot) -> Result<Source> {
    let namespace = ready
        .snapshot
        .metadata
        .namespace
        .clone()
        .unwrap_or_default();
    let pvc_name = &ready.snapshot.spec.persistent_volume_claim_name;
    if !pvc_name.is_empty()
        && let Some(source) = read_pvc(cluster, &namespace, pvc_name).await?
    {
        return Ok(source);
    }
    let pv_name = ready
        .snapshot
        .label(SNAPSHOT_PV_LABEL)
        .map(str::to_string)
        .unwrap_or_else(|| ready.data.spec.persistent_volume_ref.name.clone());
    if pv_name.is_empty() {
        return Ok(Source::default());
    }
    let pvs: Api<PersistentVolume> = Api::all(cluster.client.clone());
    let Some(pv) = cluster
        .read("get", "persistentvolumes", None, || pvs.get_opt(&pv_name))
        .await?
    else {
        return Ok(Source::default());
    };
    let spec = pv.spec.unwrap_or_default();
    Ok(Source {
        pvc: None,
        storage_class: None,
        size: spec
            .capacity
            .and_then(|mut capacity| capacity.remove("storage"))
            .and_then(|q| {
                source_size(q, format!("the capacity of PV {pv_name:?} it was taken of"))
            }),
        access_modes: spec.access_modes.unwrap_or_default(),
    })
}

/// What a clone inherits from source PVC `name`, `None` when it no longer exists.
pub async fn read_pvc(cluster: &Cluster, namespace: &str, name: &str) -> Result<Option<Source>> {
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client.clone(), namespace);
    let Some(pvc) = cluster
        .read("get", PVC_RESOURCE, Some(namespace), || pvcs.get_opt(name))
        .await?
    else {
        return Ok(None);
    };
    let spec = pvc.spec.unwrap_or_default();
    let request = spec
        .resources
        .and_then(|r| r.requests)
        .and_then(|mut requests| requests.remove("storage"));
    Ok(Some(Source {
        size: request.and_then(|q| source_size(q, format!("the request of source PVC {name:?}"))),
        access_modes: spec.access_modes.unwrap_or_default(),
        storage_class: spec.storage_class_name.filter(|c| !c.is_empty()),
        pvc: Some(name.to_string()),
    }))
}

pub fn source_size(quantity: Quantity, origin: String) -> Option<SourceSize> {
    let bytes = parse_bytes(&quantity.0).ok()?;
    Some(SourceSize {
        quantity: quantity.0,
        bytes,
        origin,
    })
}

/// Refuses a requested size below the snapshot's: the restored filesystem would not fit.
pub fn check_size(requested: &str, source: &SourceSize) -> Result<()> {
    let requested_bytes = parse_bytes(requested).map_err(Error::Usage)?;
    if requested_bytes < source.bytes {
        return Err(Error::SizeTooSmall {
            requested: requested.to_string(),
            snapshot_size: source.quantity.clone(),
            origin: source.origin.clone(),
        });
    }
    Ok(())
}

/// Refuses a PVC name already in use in the target namespace (the create would 409).
pub async fn check_name_free(cluster: &Cluster, namespace: &str, name: &str) -> Result<()> {
    let api: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client.clone(), namespace);
    let existing = cluster
        .read("get", PVC_RESOURCE, Some(namespace), || api.get_opt(name))
        .await?;
    match existing {
        Some(_) => Err(Error::PvcExists {
            pvc: name.to_string(),
            namespace: namespace.to_string(),
        }),
        None => Ok(()),
    }
}

/// A cluster-scoped fact pxsnap may not be allowed to read: a 403 means "unknown", not
/// "missing" (many users may create PVCs but not read namespaces), and becomes a warning.
pub enum Probe<T> {
    Found(T),
    Missing,
    Forbidden(String),
}

pub async fn probe<T, F, Fut>(cluster: &Cluster, resource: &str, read: F) -> Result<Probe<T>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<Option<T>, kube::Error>>,
{
    match cluster.read("get", resource, None, read).await {
        Ok(Some(found)) => Ok(Probe::Found(found)),
        Ok(None) => Ok(Probe::Missing),
        Err(Error::Forbidden { message, .. }) => Ok(Probe::Forbidden(message)),
        Err(other) => Err(other),
    }
}

/// Checks the target namespace exists; `Ok(Some(warning))` when pxsnap may not look.
pub async fn check_namespace(cluster: &Cluster, namespace: &str) -> Result<Option<String>> {
    let api: Api<Namespace> = Api::all(cluster.client.clone());
    match probe(cluster, "namespaces", || api.get_opt(namespace)).await? {
        Probe::Found(_) => Ok(None),
        Probe::Missing => Err(Error::NamespaceNotFound {
            namespace: namespace.to_string(),
        }),
        Probe::Forbidden(message) => Ok(Some(format!(
            "cannot check that namespace {namespace:?} exists ({message}); going on"
        ))),
    }
}

/// Checks the StorageClass exists and is STORK's snapshot provisioner; `Ok(Some(warning))` when
/// pxsnap may not look.
pub async fn check_storage_class(cluster: &Cluster, name: &str) -> Result<Option<String>> {
    let api: Api<StorageClass> = Api::all(cluster.client.clone());
    match probe(cluster, "storageclasses", || api.get_opt(name)).await? {
        Probe::Found(class) if class.provisioner == STORK_SNAPSHOT_PROVISIONER => Ok(None),
        Probe::Found(class) => Err(Error::Usage(format!(
            "StorageClass {name:?} has provisioner {:?}, not {STORK_SNAPSHOT_PROVISIONER:?}: it would create an empty volume and ignore the snapshot; use --storage-class {DEFAULT_STORAGE_CLASS}",
            class.provisioner
        ))),
        Probe::Missing => Err(Error::StorageClassMissing {
            name: name.to_string(),
            hint: if name == DEFAULT_STORAGE_CLASS {
                format!(
                    "STORK's install spec (specs/stork-deployment.yaml) creates it with provisioner {STORK_SNAPSHOT_PROVISIONER}; reinstall STORK or apply that StorageClass"
                )
            } else {
                format!(
                    "check --storage-class (kubectl get storageclass); STORK's own is {DEFAULT_STORAGE_CLASS}"
                )
            },
        }),
        Probe::Forbidden(message) => Ok(Some(format!(
            "cannot check StorageClass {name:?} ({message}); going on"
        ))),
    }
}

/// Creates the PVC, adopting one an earlier attempt of this call created. The name was checked
/// free just before, so a clash here is a PVC created in between, reported like the check does.
pub async fn create(
    cluster: &Cluster,
    pvc: &PersistentVolumeClaim,
) -> Result<PersistentVolumeClaim> {
    let wanted = snapshot_of(pvc);
    match create_or_adopt(cluster, PVC_RESOURCE, pvc, |existing| {
        snapshot_of(existing) == wanted
    })
    .await
    {
        Err(Error::Usage(_)) => Err(Error::PvcExists {
            pvc: pvc.metadata.name.clone().unwrap_or_default(),
            namespace: pvc.metadata.namespace.clone().unwrap_or_default(),
        }),
        other => other,
    }
}

/// The snapshot a clone PVC restores: STORK's annotation, or a CSI `dataSource`.
fn snapshot_of(claim: &PersistentVolumeClaim) -> Option<String> {
    let annotated = claim
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SNAPSHOT_ANNOTATION));
    let data_source = claim.spec.as_ref().and_then(|s| s.data_source.as_ref());
    annotated.or(data_source.map(|d| &d.name)).cloned()
}

/// How waiting for a clone to bind ended, other than Bound.
#[derive(Debug)]
pub enum BindFailure {
    /// The claim lost its volume (phase `Lost`).
    Lost,
    Deleted,
    TimedOut,
    Api(Error),
}

/// Watches the PVC until its phase is Bound.
pub async fn wait_until_bound(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> Result<PersistentVolumeClaim, BindFailure> {
    let judge = |pvc: &PersistentVolumeClaim| match phase(pvc) {
        "Bound" => Verdict::Done,
        "Lost" => Verdict::Failed(()),
        _ => Verdict::Pending,
    };
    match watch_until(cluster, PVC_RESOURCE, namespace, name, timeout, judge).await {
        WatchEnd::Done(pvc) => Ok(pvc),
        WatchEnd::Failed(_, ()) => Err(BindFailure::Lost),
        WatchEnd::Deleted => Err(BindFailure::Deleted),
        WatchEnd::TimedOut(_) => Err(BindFailure::TimedOut),
        WatchEnd::Api(err) => Err(BindFailure::Api(err)),
    }
}

/// The PVC's phase, `Pending` when it has no status yet.
pub fn phase(pvc: &PersistentVolumeClaim) -> &str {
    pvc.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// The PV bound to the PVC, if any.
pub fn volume(pvc: &PersistentVolumeClaim) -> Option<String> {
    pvc.spec
        .as_ref()
        .and_then(|s| s.volume_name.clone())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(namespace: &str) -> CloneSpec {
        CloneSpec {
            name: "mysql-clone".into(),
            namespace: namespace.into(),
            snapshot: "mysql-snap".into(),
            snapshot_namespace: "db".into(),
            size: "10Gi".into(),
            access_modes: vec!["ReadWriteOnce".into()],
            storage_class: DEFAULT_STORAGE_CLASS.into(),
            labels: vec![("team".into(), "dba".into())],
            api: SnapshotApi::Stork,
            binds_on_first_use: false,
        }
    }

    fn snapshot_with(annotations: &[(&str, &str)]) -> StorkVolumeSnapshot {
        let mut snap = StorkVolumeSnapshot::default();
        snap.metadata.annotations = Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        snap
    }

    #[test]
    fn same_namespace_clone_has_class_snapshot_and_no_source_namespace() {
        let json = serde_json::to_value(build(&spec("db"))).expect("serializes");
        assert_eq!(json["spec"]["storageClassName"], "stork-snapshot-sc");
        assert_eq!(
            json["spec"]["accessModes"],
            serde_json::json!(["ReadWriteOnce"])
        );
        assert_eq!(json["spec"]["resources"]["requests"]["storage"], "10Gi");
        assert!(json["spec"].get("selector").is_none());
        let annotations = &json["metadata"]["annotations"];
        assert_eq!(
            annotations["snapshot.alpha.kubernetes.io/snapshot"],
            "mysql-snap"
        );
        assert!(annotations.get(SOURCE_NAMESPACE_ANNOTATION).is_none());
        assert_eq!(json["metadata"]["labels"]["team"], "dba");
        assert_eq!(
            json["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "pxsnap"
        );
    }

    #[test]
    fn csi_clone_names_the_snapshot_as_data_source_and_ref() {
        let csi = CloneSpec {
            api: SnapshotApi::Csi,
            storage_class: "px-csi-db".into(),
            ..spec("db")
        };
        let json = serde_json::to_value(build(&csi)).expect("serializes");
        let source = serde_json::json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "mysql-snap"});
        assert_eq!(json["spec"]["dataSource"], source);
        assert_eq!(json["spec"]["dataSourceRef"], source);
        assert_eq!(json["spec"]["storageClassName"], "px-csi-db");
        assert_eq!(json["metadata"]["annotations"], serde_json::json!({}));
    }

    #[test]
    fn cross_namespace_clone_names_the_source_namespace() {
        let json = serde_json::to_value(build(&spec("staging"))).expect("serializes");
        assert_eq!(json["metadata"]["namespace"], "staging");
        assert_eq!(
            json["metadata"]["annotations"]["stork.libopenstorage.org/snapshot-source-namespace"],
            "db"
        );
    }

    #[test]
    fn restore_namespaces_are_anchored_trimmed_csv_regexes() {
        let snap = snapshot_with(&[(
            "stork.libopenstorage.org/snapshot-restore-namespaces",
            "prod-.*, staging",
        )]);
        assert_eq!(check_restore_namespace(&snap, "staging"), Ok(()));
        assert_eq!(check_restore_namespace(&snap, "prod-eu"), Ok(()));
        let refused = check_restore_namespace(&snap, "my-staging").expect_err("anchored");
        assert!(refused.contains("^prod-.*$, ^staging$"), "{refused}");
        assert!(check_restore_namespace(&snap, "prod").is_err());
    }

    #[test]
    fn restore_namespaces_read_the_deprecated_key_and_explain_absence() {
        let old = snapshot_with(&[("stork/snapshot-restore-namespaces", "dev")]);
        assert_eq!(check_restore_namespace(&old, "dev"), Ok(()));
        let none = snapshot_with(&[]);
        let reason = check_restore_namespace(&none, "dev").expect_err("no annotation");
        assert!(
            reason.contains("stork.libopenstorage.org/snapshot-restore-namespaces"),
            "{reason}"
        );
    }

    #[test]
    fn restore_namespaces_follow_stork_literally() {
        // `^a|b$`: STORK does not group the field, so `a|b` allows anything starting with a.
        let snap = snapshot_with(&[("stork/snapshot-restore-namespaces", "a|b")]);
        assert_eq!(check_restore_namespace(&snap, "anything"), Ok(()));
        // STORK gives up at the first invalid pattern, even if a later one would match.
        let bad = snapshot_with(&[("stork/snapshot-restore-namespaces", "qa,(oops,dev")]);
        let reason = check_restore_namespace(&bad, "dev").expect_err("invalid regex");
        assert!(
            reason.contains("^(oops$ is not a valid regex") && reason.contains("before it: ^qa$"),
            "{reason}"
        );
        assert_eq!(check_restore_namespace(&bad, "qa"), Ok(()));
    }

    #[test]
    fn csv_fields_may_be_quoted() {
        assert_eq!(
            parse_csv_record(r#""db-[0-9]{1,3}", x ,"say ""hi""""#),
            Ok(vec![
                "db-[0-9]{1,3}".into(),
                "x".into(),
                "say \"hi\"".into()
            ])
        );
        assert_eq!(parse_csv_record(""), Ok(vec![String::new()]));
        assert!(parse_csv_record(r#""open"#).is_err());
        assert!(parse_csv_record(r#"a"b"#).is_err());
        assert!(parse_csv_record(r#""a"b"#).is_err());
        assert_eq!(parse_csv_record("a,b\n"), Ok(vec!["a".into(), "b".into()]));
        assert!(parse_csv_record("a\nb").is_err());
    }

    #[test]
    fn size_is_compared_as_bytes() {
        let source = SourceSize {
            quantity: "10Gi".into(),
            bytes: parse_bytes("10Gi").expect("10Gi"),
            origin: "the request of source PVC \"data\"".into(),
        };
        assert!(check_size("10Gi", &source).is_ok());
        assert!(check_size("11G", &source).is_ok());
        let err = check_size("10G", &source).expect_err("10G < 10Gi");
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "--size 10G is smaller than the snapshot (10Gi, the request of source PVC \"data\"); a clone must be at least as large"
        );
    }
}
