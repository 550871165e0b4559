//! The CSI snapshot-controller, the Portworx driver's sidecar and the CSI group snapshot API,
//! on the `cassandra-csi` and `cassandra-intree` scenarios.

use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject};
use pxsnap_sim::scenario::{PvcSpec, SnapshotClassSpec};
use pxsnap_sim::{Scenario, SimOptions, TimelineKind};
use serde_json::{Value, json};

use crate::common::{SimHandle, create, eventually, kinds_for, res, wait_gone};

const PVC0: &str = "cassandra-data-cassandra-0";

/// `cassandra-csi` with fast controllers, changed by `edit`.
fn start(edit: impl FnOnce(&mut Scenario)) -> SimHandle {
    let mut s = Scenario::builtin("cassandra-csi").expect("builtin");
    s.controller.snapshot_delay_ms = 20;
    s.controller.retry_interval_ms = 100;
    s.controller.cloud_snapshot_delay_ms = 600;
    edit(&mut s);
    SimHandle::start_with(SimOptions::new(s))
}

fn snapshots(client: kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(client, "cassandra", &res::csi_snapshot())
}

/// Creates CSI VolumeSnapshot `name` of `pvc`, of `class` or (None) the default one.
async fn snapshot(api: &Api<DynamicObject>, name: &str, pvc: &str, class: Option<&str>) {
    let mut spec = json!({"source": {"persistentVolumeClaimName": pvc}});
    if let Some(c) = class {
        spec["volumeSnapshotClassName"] = json!(c);
    }
    let obj = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name}, "spec": spec,
    }))
    .expect("vs");
    create(api, &obj).await;
}

/// Waits until `pointer` of `name` satisfies `check`; returns the object.
async fn wait_for(
    api: &Api<DynamicObject>,
    name: &str,
    pointer: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    eventually(10, &format!("{name}{pointer}"), || async {
        let o = serde_json::to_value(api.get(name).await.ok()?).ok()?;
        check(o.pointer(pointer)?).then_some(o)
    })
    .await
}

fn error_of(obj: &Value) -> &str {
    obj.pointer("/status/error/message")
        .and_then(Value::as_str)
        .unwrap_or("")
}

#[tokio::test]
async fn default_class_is_the_pv_drivers_own_and_is_written_back() {
    let h = start(|s| {
        s.pvcs.push(PvcSpec {
            namespace: "cassandra".into(),
            name: "ebs-data".into(),
            driver: "ebs.csi.aws.com".into(),
            ..PvcSpec::default()
        });
    });
    let vs = snapshots(h.client().await);
    snapshot(&vs, "px", PVC0, None).await;
    snapshot(&vs, "ebs", "ebs-data", None).await;
    let px = wait_for(&vs, "px", "/status/readyToUse", |v| v == true).await;
    assert_eq!(px["spec"]["volumeSnapshotClassName"], "px-csi-snapclass");
    let ebs = wait_for(&vs, "ebs", "/status/error", Value::is_object).await;
    assert_eq!(
        error_of(&ebs),
        "Failed to set default snapshot class with error cannot find default snapshot class",
        "the Portworx default class is not another driver's default"
    );
    assert!(ebs["status"].get("creationTime").is_none());
    let Some(out) = h.run_kubectl(&[
        "get",
        // Plain `volumesnapshots` would be STORK's, the group discovery lists first.
        "volumesnapshots.snapshot.storage.k8s.io",
        "-n",
        "cassandra",
        "px",
        "-o",
        "jsonpath={.spec.volumeSnapshotClassName} {.status.readyToUse}",
    ]) else {
        return;
    };
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "px-csi-snapclass true"
    );
}

#[tokio::test]
async fn two_default_classes_for_a_driver_fail_the_snapshot() {
    let h = start(|s| {
        s.snapshot_classes.push(SnapshotClassSpec {
            default: true,
            ..SnapshotClassSpec::portworx("px-csi-other-default")
        });
    });
    let vs = snapshots(h.client().await);
    snapshot(&vs, "two", PVC0, None).await;
    let two = wait_for(&vs, "two", "/status/error", Value::is_object).await;
    assert_eq!(
        error_of(&two),
        "Failed to set default snapshot class with error 2 default snapshot classes were found"
    );
    assert!(two["spec"].get("volumeSnapshotClassName").is_none());
}

#[tokio::test]
async fn cloud_class_cuts_at_once_and_is_ready_after_the_upload() {
    let h = start(|s| s.controller.fail_cloud_uploads = 1);
    let vs = snapshots(h.client().await);
    let started = Instant::now();
    snapshot(&vs, "up", PVC0, Some("px-csi-cloud-snapclass")).await;
    let cut = wait_for(&vs, "up", "/status/creationTime", Value::is_string).await;
    assert_eq!(cut["status"]["readyToUse"], false, "cut, still uploading");
    let failed = wait_for(&vs, "up", "/status/error", Value::is_object).await;
    assert_eq!(
        failed["status"]["creationTime"], cut["status"]["creationTime"],
        "the upload fails after the cut, which stays"
    );
    assert!(error_of(&failed).contains("cloud backup upload failed"));
    let ready = wait_for(&vs, "up", "/status/readyToUse", |v| v == true).await;
    assert!(ready["status"].get("error").is_none(), "cleared on success");
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "two uploads"
    );
    assert_eq!(
        kinds_for(&h, "volumesnapshots/up"),
        [
            TimelineKind::SnapshotCut,
            TimelineKind::SnapshotError,
            TimelineKind::SnapshotReady
        ]
    );
    assert_eq!(h.sim.controller().fail_cloud_uploads, 0);
}

#[tokio::test]
async fn a_hung_driver_never_cuts_until_released() {
    let h = start(|s| s.controller.hang_snapshots_of_pvcs = vec![PVC0.into()]);
    let vs = snapshots(h.client().await);
    snapshot(&vs, "hung", PVC0, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = serde_json::to_value(vs.get("hung").await.expect("get")).expect("json");
    assert!(waiting.pointer("/status/creationTime").is_none());
    assert!(waiting.pointer("/status/error").is_none());
    let mut settings = h.sim.controller();
    settings.hang_snapshots_of_pvcs.clear();
    h.sim.set_controller(settings);
    wait_for(&vs, "hung", "/status/readyToUse", |v| v == true).await;
}

#[tokio::test]
async fn retain_keeps_the_content_and_delete_removes_it() {
    let h = start(|s| {
        s.snapshot_classes
            .push(SnapshotClassSpec::portworx("px-csi-retain"));
        s.retain_snapshot_classes.push("px-csi-retain".into());
    });
    let client = h.client().await;
    let vs = snapshots(client.clone());
    let contents: Api<DynamicObject> = Api::all_with(client, &res::csi_snapshot_content());
    snapshot(&vs, "kept", PVC0, Some("px-csi-retain")).await;
    snapshot(&vs, "gone", PVC0, None).await;
    let mut names = Vec::new();
    for name in ["kept", "gone"] {
        let o = wait_for(&vs, name, "/status/readyToUse", |v| v == true).await;
        names.push(
            o["status"]["boundVolumeSnapshotContentName"]
                .as_str()
                .expect("bound")
                .to_string(),
        );
        vs.delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }
    wait_gone(&contents, &names[1]).await;
    let kept = contents.get(&names[0]).await.expect("retained content");
    assert_eq!(kept.data["spec"]["deletionPolicy"], "Retain");
}

/// A VolumeGroupSnapshot of the cassandra PVCs in `version`, of the default group class.
async fn group_snapshot(client: kube::Client, version: &str, name: &str) -> Api<DynamicObject> {
    let api = Api::namespaced_with(client, "cassandra", &res::csi_group_snapshot(version));
    let obj = serde_json::from_value(json!({
        "apiVersion": format!("groupsnapshot.storage.k8s.io/{version}"),
        "kind": "VolumeGroupSnapshot",
        "metadata": {"name": name},
        "spec": {"source": {"selector": {"matchLabels": {"app": "cassandra"}}}},
    }))
    .expect("vgs");
    create(&api, &obj).await;
    api
}

#[tokio::test]
async fn group_snapshot_cuts_members_once_and_deletes_them_with_it() {
    let h = start(|_| {});
    let client = h.client().await;
    let groups = group_snapshot(client.clone(), "v1beta2", "g").await;
    let g = wait_for(&groups, "g", "/status/readyToUse", |v| v == true).await;
    assert_eq!(
        g["spec"]["volumeGroupSnapshotClassName"],
        "px-csi-group-snapclass"
    );
    let uid = g["metadata"]["uid"].clone();
    let vs = snapshots(client.clone());
    let members: Vec<Value> = vs
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|o| serde_json::to_value(o).expect("json"))
        .filter(|o| o["metadata"]["ownerReferences"][0]["uid"] == uid)
        .collect();
    let mut pvcs: Vec<&str> = members
        .iter()
        .map(|m| {
            m["spec"]["source"]["persistentVolumeClaimName"]
                .as_str()
                .expect("pvc")
        })
        .collect();
    pvcs.sort();
    assert_eq!(
        pvcs,
        [
            PVC0,
            "cassandra-data-cassandra-1",
            "cassandra-data-cassandra-2"
        ]
    );
    for m in &members {
        assert_eq!(
            m["status"]["creationTime"], g["status"]["creationTime"],
            "one cut"
        );
        assert_eq!(m["status"]["readyToUse"], true);
    }
    assert_eq!(
        kinds_for(&h, "volumegroupsnapshots/g"),
        [TimelineKind::GroupCut, TimelineKind::GroupReady]
    );
    if let Some(out) = h.run_kubectl(&[
        "get",
        "volumegroupsnapshots",
        "-n",
        "cassandra",
        "g",
        "-o",
        "jsonpath={.apiVersion} {.status.readyToUse}",
    ]) {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "groupsnapshot.storage.k8s.io/v1beta2 true",
            "{out:?}"
        );
    }
    let contents: Api<DynamicObject> = Api::all_with(client, &res::csi_group_snapshot_content());
    let content = g["status"]["boundVolumeGroupSnapshotContentName"]
        .as_str()
        .expect("bound");
    let c = contents.get(content).await.expect("group content");
    assert_eq!(
        c.data["status"]["volumeSnapshotInfoList"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    groups
        .delete("g", &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&contents, content).await;
    for m in &members {
        wait_gone(&vs, m["metadata"]["name"].as_str().expect("name")).await;
    }
}

#[tokio::test]
async fn group_api_answers_in_v1beta1_too_and_only_where_served() {
    let h = start(|_| {});
    let groups = group_snapshot(h.client().await, "v1beta1", "old").await;
    let g = wait_for(&groups, "old", "/status/readyToUse", |v| v == true).await;
    assert_eq!(g["apiVersion"], "groupsnapshot.storage.k8s.io/v1beta1");
    let plain = SimHandle::start(Scenario::builtin("cassandra").expect("builtin"));
    let Some(out) = plain.run_kubectl(&["get", "volumegroupsnapshots", "-A"]) else {
        return;
    };
    assert!(!out.status.success());
    crate::common::assert_stderr_contains(
        &out,
        "the server doesn't have a resource type \"volumegroupsnapshots\"",
    );
    let out = h.run_kubectl(&["api-versions"]).expect("kubectl");
    let versions = String::from_utf8_lossy(&out.stdout);
    assert!(versions.contains("groupsnapshot.storage.k8s.io/v1beta2"));
    assert!(versions.contains("groupsnapshot.storage.k8s.io/v1beta1"));
}

#[tokio::test]
async fn intree_scenario_has_stork_snapshots_and_refuses_csi_ones() {
    let h = SimHandle::start(Scenario::builtin("cassandra-intree").expect("builtin"));
    let client = h.client().await;
    let stork = crate::common::snapshot_cassandra_0(client.clone(), "s").await;
    let done = eventually(10, "STORK snapshot data", || async {
        let o = stork.get("s").await.ok()?;
        let data = o.data["spec"]["snapshotDataName"].as_str()?.to_string();
        (!data.is_empty()).then_some(data)
    })
    .await;
    let datas: Api<DynamicObject> = Api::all_with(client.clone(), &res::stork_snapshot_data());
    let data = datas.get(&done).await.expect("data");
    assert_eq!(
        data.data["spec"]["portworxVolume"]["volumeProvisioner"],
        "pxd"
    );
    let vs = snapshots(client);
    snapshot(&vs, "csi", PVC0, None).await;
    let refused = wait_for(&vs, "csi", "/status/error", Value::is_object).await;
    assert_eq!(
        error_of(&refused),
        "Failed to set default snapshot class with error snapshotting non-CSI volumes is not supported, snapshot:cassandra/csi"
    );
}
