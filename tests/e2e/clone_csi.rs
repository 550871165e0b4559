//! End-to-end tests of `pxsnap clone` from CSI `snapshot.storage.k8s.io/v1` VolumeSnapshots
//! against pxsnap-sim: its CSI snapshot-controller and its external-provisioner's restores.

use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;
use kube::api::DynamicObject;
use serde_json::{Value, json};

use crate::clone::{assert_nothing_created, delete_pvc, get_pvc, pvc_creates, pxsnap, snapshot};
use crate::common::{SimHandle, create, eventually, res};
use crate::run;

/// Creates CSI VolumeSnapshot `name` of `pvc` in namespace default (with `class`, else the
/// driver's default) and waits until it is `readyToUse`.
async fn csi_snapshot(env: &SimHandle, name: &str, pvc: &str, class: Option<&str>) {
    let api: Api<DynamicObject> =
        Api::namespaced_with(env.client().await, "default", &res::csi_snapshot());
    let mut spec = json!({"source": {"persistentVolumeClaimName": pvc}});
    if let Some(class) = class {
        spec["volumeSnapshotClassName"] = json!(class);
    }
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name, "namespace": "default"}, "spec": spec,
    }))
    .expect("snapshot");
    create(&api, &object).await;
}

async fn ready_csi_snapshot(env: &SimHandle, name: &str) {
    let api: Api<DynamicObject> =
        Api::namespaced_with(env.client().await, "default", &res::csi_snapshot());
    eventually(10, &format!("{name} readyToUse"), || async {
        let snapshot = api.get(name).await.ok()?;
        (snapshot.data["status"]["readyToUse"] == true).then_some(())
    })
    .await
}

/// cassandra-csi with csnap, a ready CSI snapshot of cassandra-data in namespace default.
async fn with_csi_snap() -> SimHandle {
    let env = run::cassandra_csi();
    csi_snapshot(&env, "csnap", "cassandra-data", None).await;
    ready_csi_snapshot(&env, "csnap").await;
    env
}

fn data_source(pvc: &PersistentVolumeClaim) -> (Value, Value) {
    let spec = serde_json::to_value(pvc.spec.clone()).expect("spec");
    (spec["dataSource"].clone(), spec["dataSourceRef"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csi_snapshot_is_restored_through_data_source_in_the_source_class() {
    let env = with_csi_snap().await;

    let small = pxsnap(&env, "clone -n default csnap x --size 5Gi").await;
    small.assert_fails_with(
        2,
        "--size 5Gi is smaller than the snapshot (10Gi, the restoreSize of VolumeSnapshot \"csnap\")",
    );
    let run = pxsnap(&env, "clone -n default csnap csi-restore -o json").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clone = &run.json()["clones"][0];
    assert_eq!(clone["status"], "Bound", "{clone}");
    assert_eq!(clone["snapshotApi"], "csi");
    assert_eq!(clone["storageClass"], "px-csi-db");
    assert_eq!(clone["size"], "10Gi");
    assert_eq!(clone["sourcePvc"], "cassandra-data");
    assert_eq!(clone["waitsForFirstConsumer"], false);
    let pvc = get_pvc(&env, "default", "csi-restore")
        .await
        .expect("created");
    let wanted =
        json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "csnap"});
    assert_eq!(data_source(&pvc), (wanted.clone(), wanted));
    let annotations = pvc.metadata.annotations.clone().unwrap_or_default();
    assert!(
        !annotations.contains_key("snapshot.alpha.kubernetes.io/snapshot"),
        "no STORK annotation: {annotations:?}"
    );
    assert_eq!(
        pvc.spec.and_then(|s| s.storage_class_name).as_deref(),
        Some("px-csi-db")
    );

    let table = pxsnap(&env, "clone -n default csnap csi-restore-2").await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains("SNAPSHOT-API   csi"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_consumer_class_is_left_pending_with_a_note() {
    let env = with_csi_snap().await;
    let classes: Api<StorageClass> = Api::all(env.client().await);
    let lazy: StorageClass = serde_json::from_value(json!({
        "metadata": {"name": "px-csi-lazy"}, "provisioner": "pxd.portworx.com",
        "volumeBindingMode": "WaitForFirstConsumer",
    }))
    .expect("class");
    create(&classes, &lazy).await;

    let run = pxsnap(
        &env,
        "clone -n default csnap lazy-restore --storage-class px-csi-lazy --timeout 20s -o json",
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_contains("note: PVC \"lazy-restore\" in namespace \"default\" has StorageClass \"px-csi-lazy\", which binds on first use (WaitForFirstConsumer)");
    let clone = &run.json()["clones"][0];
    assert_eq!(clone["status"], "Pending", "{clone}");
    assert_eq!(clone["waitsForFirstConsumer"], true);
    let pvc = get_pvc(&env, "default", "lazy-restore")
        .await
        .expect("created");
    assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Pending"));

    let stork_class = pxsnap(
        &env,
        "clone -n default csnap x --storage-class stork-snapshot-sc",
    )
    .await;
    stork_class.assert_fails_with(2, "StorageClass \"stork-snapshot-sc\" has provisioner \"stork-snapshot\", not the Portworx CSI driver");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_snapshot_waits_for_a_cloud_upload_to_be_ready() {
    let env = run::cassandra_csi();
    csi_snapshot(
        &env,
        "cloud",
        "cassandra-data",
        Some("px-csi-cloud-snapclass"),
    )
    .await;

    let early = pxsnap(&env, "clone -n default cloud x").await;
    early.assert_fails_with(
        1,
        "VolumeSnapshot \"cloud\" in namespace \"default\" is not Ready yet (",
    );
    let run = pxsnap(
        &env,
        "clone -n default cloud cloud-restore --wait-snapshot -o json",
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["clones"][0]["status"], "Bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_csi_clones_say_why_and_create_nothing() {
    let env = with_csi_snap().await;

    let across = pxsnap(
        &env,
        "clone -n default csnap x --target-namespace cassandra",
    )
    .await;
    across.assert_fails_with(2, "cannot clone CSI VolumeSnapshot \"csnap\" from namespace \"default\" into \"cassandra\": a PVC restores only a CSI snapshot of its own namespace (across namespaces needs the alpha CrossNamespaceVolumeDataSource feature); clone it in \"default\"");

    // A STORK snapshot of the same name: which one is meant is a guess.
    snapshot(&env, "default", "csnap", "cassandra-data", &[]).await;
    let both = pxsnap(&env, "clone -n default csnap x").await;
    both.assert_fails_with(2, "both STORK's and CSI's API hold a VolumeSnapshot \"csnap\" in namespace \"default\": pass --api stork or --api csi");

    let missing = pxsnap(&env, "clone -n default nope x --api csi").await;
    missing.assert_fails_with(1, "VolumeSnapshot \"nope\" not found in namespace \"default\" (kubectl get volumesnapshots.snapshot.storage.k8s.io -n default)");

    delete_pvc(&env, "default", "cassandra-data", false).await;
    let classless = pxsnap(&env, "clone -n default csnap x --api csi").await;
    classless.assert_fails_with(
        2,
        "its source PVC \"cassandra-data\" no longer exists; pass --storage-class",
    );
    assert_nothing_created(&env);

    let named = pxsnap(
        &env,
        "clone -n default csnap named --api csi --storage-class px-csi-db -o json",
    )
    .await;
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(named.json()["clones"][0]["status"], "Bound");
    assert_eq!(pvc_creates(&env).len(), 1, "only the clone that passed");
    assert!(get_pvc(&env, "default", "named").await.is_some());
}
