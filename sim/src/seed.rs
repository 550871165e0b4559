//! Turns a scenario into the objects a real cluster would hold: namespaces,
//! storage and snapshot classes, PVCs with their PVs, pods with running
//! container statuses, and (when STORK is installed) the STORK pod.

use serde_json::{Value, json};

use super::controllers::{DEFAULT_CLASS_ANNOTATION, DEFAULT_GROUP_CLASS_ANNOTATION};
use super::managed_fields::FieldManager;
use super::resources::{ResId, id};
use super::scenario::{
    PX_CSI_DRIVER, PX_CSI_DRIVER_OLD, PX_IN_TREE, PodSpec, PvcSpec, Scenario, SnapshotClassSpec,
};
use super::status::ApiError;
use super::store::Store;
use super::util;

/// The field manager of the scenario's objects: what an administrator creating them with
/// `kubectl create` would leave.
const SEEDED_BY: &str = "kubectl-create";

/// Create every scenario object in an empty store.
pub fn seed(store: &Store, scenario: &Scenario) -> Result<(), ApiError> {
    for ns in scenario.all_namespaces() {
        store.create(
            id::NAMESPACES,
            "",
            namespace(&ns),
            &FieldManager::named(SEEDED_BY),
        )?;
    }
    for sc in &scenario.storage_classes {
        store.create(
            id::STORAGECLASSES,
            "",
            json!({
                "metadata": {"name": sc.name},
                "provisioner": sc.provisioner,
                "parameters": sc.parameters,
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
                "allowVolumeExpansion": true,
            }),
            &FieldManager::named(SEEDED_BY),
        )?;
    }
    for vsc in &scenario.snapshot_classes {
        seed_class(
            store,
            scenario,
            id::CSI_SNAPSHOTCLASSES,
            DEFAULT_CLASS_ANNOTATION,
            vsc,
        )?;
    }
    if scenario.csi_group_snapshots {
        for vgsc in &scenario.group_snapshot_classes {
            seed_class(
                store,
                scenario,
                id::CSI_GROUP_SNAPSHOTCLASSES,
                DEFAULT_GROUP_CLASS_ANNOTATION,
                vgsc,
            )?;
        }
    }
    for pvc in &scenario.pvcs {
        seed_pvc(store, pvc)?;
    }
    for (i, pod) in scenario.pods.iter().enumerate() {
        store.create(
            id::PODS,
            &pod.namespace,
            pod_object(pod, i),
            &FieldManager::named(SEEDED_BY),
        )?;
        if pod.terminating {
            store.mark_deleting(id::PODS, &pod.namespace, &pod.name, POD_GRACE_SECONDS)?;
        }
    }
    if scenario.stork {
        store.create(
            id::PODS,
            "kube-system",
            stork_pod(),
            &FieldManager::named(SEEDED_BY),
        )?;
    }
    if scenario.snapshot_controller {
        store.create(
            id::PODS,
            "kube-system",
            snapshot_controller_pod(),
            &FieldManager::named(SEEDED_BY),
        )?;
    }
    Ok(())
}

/// A VolumeSnapshotClass or VolumeGroupSnapshotClass (`res`); `default_annotation` marks the
/// driver's default.
fn seed_class(
    store: &Store,
    scenario: &Scenario,
    res: ResId,
    default_annotation: &str,
    class: &SnapshotClassSpec,
) -> Result<(), ApiError> {
    let mut meta = json!({"name": class.name});
    if class.default {
        meta["annotations"] = json!({default_annotation: "true"});
    }
    store.create(
        res,
        "",
        json!({
            "metadata": meta,
            "driver": class.driver,
            "deletionPolicy": match scenario.retain_snapshot_classes.contains(&class.name) {
                true => "Retain",
                false => "Delete",
            },
            "parameters": class.parameters,
        }),
        &FieldManager::named(SEEDED_BY),
    )?;
    Ok(())
}

/// A pod's default `terminationGracePeriodSeconds`, which a deletion without one uses.
const POD_GRACE_SECONDS: u32 = 30;

pub fn namespace(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

fn seed_pvc(store: &Store, p: &PvcSpec) -> Result<(), ApiError> {
    let mut obj = json!({
        "metadata": {"name": p.name, "labels": p.labels, "annotations": p.annotations},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": p.size}},
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Pending"},
    });
    if let Some(sc) = &p.storage_class {
        obj["spec"]["storageClassName"] = json!(sc);
    }
    let created = store.create(id::PVCS, &p.namespace, obj, &FieldManager::named(SEEDED_BY))?;
    if p.phase != "Bound" {
        if p.phase != "Pending" {
            store.update_with(
                id::PVCS,
                &p.namespace,
                &p.name,
                &FieldManager::named(SEEDED_BY),
                |cur| {
                    let mut v = cur.value.clone();
                    v["status"]["phase"] = json!(p.phase);
                    Ok(v)
                },
            )?;
        }
        return Ok(());
    }
    let pv_name = format!("pvc-{}", created.uid());
    let pv = persistent_volume(
        &pv_name,
        &p.namespace,
        &p.name,
        created.uid(),
        &p.size,
        p.storage_class.as_deref().unwrap_or(""),
        &p.driver,
    );
    store.create(id::PVS, "", pv, &FieldManager::named(SEEDED_BY))?;
    store.update_with(
        id::PVCS,
        &p.namespace,
        &p.name,
        &FieldManager::named(SEEDED_BY),
        |cur| Ok(bound_pvc(&cur.value, &pv_name, &p.driver)),
    )?;
    Ok(())
}

/// A PVC value updated to Bound to `pv_name`.
pub fn bound_pvc(pvc: &Value, pv_name: &str, driver: &str) -> Value {
    let mut v = pvc.clone();
    let size = util::str_at(pvc, "/spec/resources/requests/storage").to_string();
    let modes = pvc
        .pointer("/spec/accessModes")
        .cloned()
        .unwrap_or_else(|| json!(["ReadWriteOnce"]));
    v["spec"]["volumeName"] = json!(pv_name);
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        let anns = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = anns.as_object_mut() {
            a.insert("pv.kubernetes.io/bind-completed".into(), json!("yes"));
            a.insert("pv.kubernetes.io/bound-by-controller".into(), json!("yes"));
            a.insert(
                "volume.kubernetes.io/storage-provisioner".into(),
                json!(provisioner_for(driver)),
            );
        }
    }
    v["status"] = json!({
        "phase": "Bound",
        "accessModes": modes,
        "capacity": {"storage": size},
    });
    v
}

fn provisioner_for(driver: &str) -> &str {
    if driver == PX_IN_TREE {
        "kubernetes.io/portworx-volume"
    } else {
        driver
    }
}

/// A Bound PV for a PVC. `driver` decides the volume source (see [`PvcSpec::driver`]).
pub fn persistent_volume(
    pv_name: &str,
    ns: &str,
    pvc: &str,
    pvc_uid: &str,
    size: &str,
    storage_class: &str,
    driver: &str,
) -> Value {
    let volume_id = util::random_hex(8)
        .chars()
        .filter(char::is_ascii_digit)
        .chain("1000000000000000".chars())
        .take(18)
        .collect::<String>();
    let mut pv = json!({
        "metadata": {
            "name": pv_name,
            "annotations": {"pv.kubernetes.io/provisioned-by": provisioner_for(driver)},
            "finalizers": ["kubernetes.io/pv-protection"],
        },
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": storage_class,
            "volumeMode": "Filesystem",
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "name": pvc,
                "namespace": ns,
                "uid": pvc_uid,
            },
        },
        "status": {"phase": "Bound"},
    });
    if driver == PX_IN_TREE {
        pv["spec"]["portworxVolume"] = json!({"volumeID": volume_id, "fsType": "ext4"});
    } else {
        pv["spec"]["csi"] = json!({
            "driver": driver,
            "volumeHandle": volume_id,
            "fsType": "ext4",
            "volumeAttributes": {"repl": "3"},
        });
    }
    pv
}

/// Whether a PV is a Portworx volume (CSI or in-tree), as STORK decides it.
pub fn pv_is_portworx(pv: &Value) -> bool {
    if pv.pointer("/spec/portworxVolume").is_some() {
        return true;
    }
    let d = util::str_at(pv, "/spec/csi/driver");
    d == PX_CSI_DRIVER || d == PX_CSI_DRIVER_OLD
}

fn pod_object(p: &PodSpec, index: usize) -> Value {
    let now = util::now_rfc3339();
    let mut volumes = Vec::new();
    let containers: Vec<Value> = p
        .containers
        .iter()
        .map(|c| {
            let mounts: Vec<Value> = c
                .mounts
                .iter()
                .map(|m| {
                    let vol = if m.volume.is_empty() {
                        m.pvc.clone()
                    } else {
                        m.volume.clone()
                    };
                    if !volumes.iter().any(|v: &Value| v["name"] == json!(vol)) {
                        volumes.push(
                            json!({"name": vol, "persistentVolumeClaim": {"claimName": m.pvc}}),
                        );
                    }
                    json!({"name": vol, "mountPath": m.path})
                })
                .collect();
            let env: Vec<Value> = p
                .env
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            json!({
                "name": c.name,
                "image": c.image.clone().unwrap_or_else(|| format!("pxsnap-sim/{}:latest", c.name)),
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": mounts,
                "env": env,
            })
        })
        .collect();
    let running = p.phase == "Running";
    let statuses: Vec<Value> = p
        .containers
        .iter()
        .map(|c| {
            let state = match p.phase.as_str() {
                "Running" => json!({"running": {"startedAt": now}}),
                "Succeeded" => json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}}),
                "Failed" => json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}}),
                _ => json!({"waiting": {"reason": "ContainerCreating"}}),
            };
            json!({
                "name": c.name,
                "ready": running,
                "started": running,
                "restartCount": 0,
                "image": c.image.clone().unwrap_or_else(|| format!("pxsnap-sim/{}:latest", c.name)),
                "imageID": "",
                "containerID": format!("containerd://{}", util::random_hex(32)),
                "state": state,
            })
        })
        .collect();
    let ready = if running { "True" } else { "False" };
    json!({
        "metadata": {"name": p.name, "labels": p.labels},
        "spec": {
            "containers": containers,
            "volumes": volumes,
            "nodeName": "sim-node-1",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
        },
        "status": {
            "phase": p.phase,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                {"type": "ContainersReady", "status": ready, "lastTransitionTime": now},
                {"type": "Ready", "status": ready, "lastTransitionTime": now},
            ],
            "containerStatuses": statuses,
            "hostIP": "10.0.0.1",
            "podIP": format!("10.244.0.{}", 10 + index % 200),
            "startTime": now,
            "qosClass": "BestEffort",
        },
    })
}

fn stork_pod() -> Value {
    control_plane_pod(
        "stork",
        &[("name", "stork"), ("tier", "control-plane")],
        "openstorage/stork:24.3.2",
        199,
    )
}

/// Labelled as the external-snapshotter's own deployment labels it.
fn snapshot_controller_pod() -> Value {
    control_plane_pod(
        "snapshot-controller",
        &[("app.kubernetes.io/name", "snapshot-controller")],
        "sig-storage/snapshot-controller:v8.2.0",
        198,
    )
}

/// A running single-container pod in `kube-system` named `<name>-<suffix>`.
fn control_plane_pod(name: &str, labels: &[(&str, &str)], image: &str, index: usize) -> Value {
    let spec = PodSpec {
        namespace: "kube-system".into(),
        name: format!("{name}-{}", util::name_suffix()),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        phase: "Running".into(),
        containers: vec![super::scenario::ContainerSpec {
            name: name.into(),
            image: Some(image.into()),
            mounts: Vec::new(),
        }],
        ..PodSpec::default()
    };
    pod_object(&spec, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cassandra_seeds() {
        let store = Store::new(1000);
        let s = Scenario::builtin("cassandra").unwrap();
        seed(&store, &s).unwrap();
        let pvc = store
            .get(id::PVCS, "cassandra", "cassandra-data-cassandra-0")
            .unwrap();
        assert_eq!(pvc.value["status"]["phase"], "Bound");
        let pv_name = util::str_at(&pvc.value, "/spec/volumeName");
        let pv = store.get(id::PVS, "", pv_name).unwrap();
        assert!(pv_is_portworx(&pv.value));
        let pod = store.get(id::PODS, "cassandra", "cassandra-1").unwrap();
        assert_eq!(pod.value["status"]["phase"], "Running");
        assert!(pod.value["metadata"].get("deletionTimestamp").is_none());
        assert_eq!(
            pod.value["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "cassandra-data-cassandra-1"
        );
        assert_eq!(
            store.all(id::PODS, Some("kube-system")).len(),
            2,
            "STORK and the snapshot-controller"
        );
    }

    #[test]
    fn a_terminating_pod_is_running_with_a_deletion_timestamp() {
        let store = Store::new(1000);
        let mut s = Scenario::builtin("cassandra").unwrap();
        s.pods[0].terminating = true;
        seed(&store, &s).unwrap();
        let pod = store.get(id::PODS, "cassandra", "cassandra-0").unwrap();
        assert_eq!(pod.value["status"]["phase"], "Running");
        assert!(pod.value["metadata"]["deletionTimestamp"].is_string());
        assert_eq!(pod.value["metadata"]["deletionGracePeriodSeconds"], 30);
    }
}
