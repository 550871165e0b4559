//! The simulated STORK and CSI controllers, observed through kube-rs and the timeline.

use std::time::Duration;

use crate::common::{
    SimHandle, cassandra_snapshots, create, eventually, kinds_for, new_stork_snapshot, res,
    snapshot_cassandra_0, status_of, wait_gone,
};
use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use pxsnap_sim::scenario::PvcSpec;
use pxsnap_sim::{ControllerSettings, Scenario, SimOptions, TimelineKind};
use serde_json::{Value, json};

/// The cassandra scenario with fast controllers and a few awkward PVCs.
fn scenario() -> Scenario {
    let mut s = Scenario::builtin("cassandra").expect("builtin");
    s.controller = ControllerSettings {
        snapshot_delay_ms: 30,
        cloud_snapshot_delay_ms: 600,
        group_snapshot_delay_ms: 30,
        clone_bind_delay_ms: 30,
        retry_interval_ms: 100,
        ..ControllerSettings::default()
    };
    s.namespaces.push("restore".into());
    s.pvcs.push(PvcSpec {
        namespace: "cassandra".into(),
        name: "pending-data".into(),
        phase: "Pending".into(),
        storage_class: Some("px-csi-db".into()),
        ..PvcSpec::default()
    });
    s.pvcs.push(PvcSpec {
        namespace: "cassandra".into(),
        name: "ebs-data".into(),
        driver: "ebs.csi.aws.com".into(),
        ..PvcSpec::default()
    });
    s.pvcs.push(PvcSpec {
        namespace: "cassandra".into(),
        name: "intree-data".into(),
        driver: "portworx-volume".into(),
        ..PvcSpec::default()
    });
    s
}

fn start() -> SimHandle {
    start_with(|_| {})
}

/// `scenario()` with its controllers changed by `settings`, e.g. to fail or hang.
fn start_with(settings: impl FnOnce(&mut ControllerSettings)) -> SimHandle {
    let mut s = scenario();
    settings(&mut s.controller);
    SimHandle::start_with(SimOptions::new(s))
}

/// A STORK VolumeSnapshot of `pvc` with `annotations`, which choose cloud and restore
/// namespaces.
fn annotated_snapshot(name: &str, pvc: &str, annotations: Value) -> DynamicObject {
    let mut snapshot = new_stork_snapshot(name, pvc);
    snapshot.metadata.annotations = Some(serde_json::from_value(annotations).expect("annotations"));
    snapshot
}

fn last_condition(o: &DynamicObject) -> Option<Value> {
    o.data["status"]["conditions"]
        .as_array()
        .and_then(|c| c.last().cloned())
}

/// The message of `o`'s last condition ("" when that condition has no message).
fn last_message(o: &DynamicObject) -> String {
    last_condition(o).expect("condition")["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn wait_condition(api: &Api<DynamicObject>, name: &str, ctype: &str) -> DynamicObject {
    eventually(
        10,
        &format!("{name} to get a {ctype} condition"),
        || async {
            let o = api.get(name).await.ok()?;
            (last_condition(&o)?["type"] == ctype).then_some(o)
        },
    )
    .await
}

#[tokio::test]
async fn local_snapshot_gets_data_ready_condition_and_timeline() {
    let h = start();
    let client = h.client().await;
    let snaps: Api<DynamicObject> = cassandra_snapshots(client.clone());
    let created = create(
        &snaps,
        &new_stork_snapshot("s1", "cassandra-data-cassandra-0"),
    )
    .await;
    let uid = created.metadata.uid.clone().expect("uid");
    let ready = wait_condition(&snaps, "s1", "Ready").await;
    let conds = ready.data["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(conds.len(), 1);
    assert_eq!(conds[0]["status"], "True");
    assert_eq!(
        conds[0]["message"],
        "Snapshot created successfully and it is ready"
    );
    let labels = ready.metadata.labels.clone().unwrap_or_default();
    assert!(
        labels.contains_key("SnapshotMetadata-Timestamp")
            && labels["SnapshotMetadata-PVName"].starts_with("pvc-")
    );
    let data_name = ready.data["spec"]["snapshotDataName"]
        .as_str()
        .expect("data name")
        .to_string();
    assert!(data_name.starts_with("k8s-volume-snapshot-"));
    let datas: Api<DynamicObject> = Api::all_with(client, &res::stork_snapshot_data());
    let data = datas.get(&data_name).await.expect("VolumeSnapshotData");
    assert_eq!(
        data.data["spec"]["volumeSnapshotRef"]["name"],
        format!("cassandra/s1-{uid}")
    );
    assert_eq!(data.data["spec"]["portworxVolume"]["snapshotType"], "local");
    assert_eq!(
        data.data["spec"]["portworxVolume"]["volumeProvisioner"],
        "pxd.portworx.com"
    );
    assert_eq!(
        last_condition(&data).expect("data condition")["type"],
        "Ready"
    );
    assert_eq!(
        kinds_for(&h, "volumesnapshots/s1"),
        [TimelineKind::SnapshotCut, TimelineKind::SnapshotReady]
    );
    // Deleting the snapshot deletes its data, as STORK does.
    snaps
        .delete("s1", &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&datas, &data_name).await;
}

#[tokio::test]
async fn unbound_missing_or_non_portworx_pvcs_never_get_a_condition() {
    let h = start();
    let snaps: Api<DynamicObject> = cassandra_snapshots(h.client().await);
    for (name, pvc) in [
        ("pending", "pending-data"),
        ("missing", "no-such-pvc"),
        ("ebs", "ebs-data"),
    ] {
        create(&snaps, &new_stork_snapshot(name, pvc)).await;
    }
    create(&snaps, &new_stork_snapshot("intree", "intree-data")).await;
    let intree = wait_condition(&snaps, "intree", "Ready").await;
    assert!(
        intree.data["spec"]["snapshotDataName"].is_string(),
        "in-tree Portworx volumes are snapshotted"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    for name in ["pending", "missing", "ebs"] {
        let o = snaps.get(name).await.expect("get");
        assert!(
            o.data.get("status").is_none_or(Value::is_null),
            "{name}: {:?}",
            o.data
        );
    }
}

#[tokio::test]
async fn failing_snapshots_get_error_and_are_retried_until_they_succeed() {
    let h = start_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data-cassandra-0".into()]);
    let snaps = snapshot_cassandra_0(h.client().await, "s").await;
    let failed = wait_condition(&snaps, "s", "Error").await;
    let msg = last_message(&failed);
    assert!(msg.starts_with("snapshot failed due to err: "), "{msg}");
    assert!(failed.data["spec"]["snapshotDataName"].is_null());
    eventually(5, "retries", || async {
        (kinds_for(&h, "volumesnapshots/s")
            .iter()
            .filter(|k| **k == TimelineKind::SnapshotError)
            .count()
            >= 3)
            .then_some(())
    })
    .await;
    let errors_listed = snaps.get("s").await.expect("get").data["status"]["conditions"]
        .as_array()
        .map(Vec::len);
    assert_eq!(
        errors_listed,
        Some(1),
        "a repeated Error replaces the last condition"
    );
    let mut fixed = h.sim.controller();
    fixed.fail_snapshots_of_pvcs.clear();
    h.sim.set_controller(fixed);
    let ready = wait_condition(&snaps, "s", "Ready").await;
    assert_eq!(
        ready.data["status"]["conditions"].as_array().map(Vec::len),
        Some(1),
        "success replaces the list"
    );
}

#[tokio::test]
async fn cloud_snapshots_report_progress_and_bad_credentials_fail() {
    let h = start();
    let snaps: Api<DynamicObject> = cassandra_snapshots(h.client().await);
    let cloud = json!({"portworx/snapshot-type": "cloud", "portworx/cloud-cred-id": "good-cred"});
    let created = create(
        &snaps,
        &annotated_snapshot("c", "cassandra-data-cassandra-1", cloud),
    )
    .await;
    let pending = wait_condition(&snaps, "c", "Pending").await;
    let msg = last_message(&pending);
    assert!(msg.contains("% done"), "{msg}");
    let ready = wait_condition(&snaps, "c", "Ready").await;
    let data: Api<DynamicObject> = Api::all_with(h.client().await, &res::stork_snapshot_data());
    let d = data
        .get(
            ready.data["spec"]["snapshotDataName"]
                .as_str()
                .expect("name"),
        )
        .await
        .expect("data");
    assert_eq!(d.data["spec"]["portworxVolume"]["snapshotType"], "cloud");
    assert_eq!(
        d.data["spec"]["portworxVolume"]["snapshotCloudCredID"],
        "good-cred"
    );
    assert_eq!(
        d.data["spec"]["portworxVolume"]["snapshotTaskID"].as_str(),
        created.metadata.uid.as_deref()
    );

    let mut settings = h.sim.controller();
    settings.bad_cloud_cred_ids = vec!["bad-cred".into()];
    h.sim.set_controller(settings);
    let bad = json!({"portworx/snapshot-type": "cloud", "portworx/cloud-cred-id": "bad-cred"});
    create(
        &snaps,
        &annotated_snapshot("b", "cassandra-data-cassandra-2", bad),
    )
    .await;
    let failed = wait_condition(&snaps, "b", "Error").await;
    let msg = last_message(&failed);
    assert!(
        msg.starts_with("snapshot failed due to err: ") && msg.contains("bad-cred"),
        "{msg}"
    );

    let weird = json!({"portworx/snapshot-type": "weird"});
    create(
        &snaps,
        &annotated_snapshot("w", "cassandra-data-cassandra-2", weird),
    )
    .await;
    let failed = wait_condition(&snaps, "w", "Error").await;
    assert_eq!(
        last_condition(&failed).expect("condition")["message"],
        "snapshot failed due to err: unsupported Portworx snapshot type: weird"
    );
}

fn group(name: &str, selector: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "GroupVolumeSnapshot",
        "metadata": {"name": name, "labels": {"team": "db"}},
        "spec": {"pvcSelector": selector, "restoreNamespaces": ["restore"]},
    }))
    .expect("group")
}

/// GroupVolumeSnapshots in namespace cassandra.
fn cassandra_groups(client: kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(client, "cassandra", &res::group_snapshot())
}

/// Creates group `name` of the three cassandra PVCs (`app=cassandra`).
async fn create_cassandra_group(groups: &Api<DynamicObject>, name: &str) -> DynamicObject {
    create(
        groups,
        &group(name, json!({"matchLabels": {"app": "cassandra"}})),
    )
    .await
}

/// Waits until group `name` reached its Final stage, and returns it.
async fn wait_final(groups: &Api<DynamicObject>, name: &str) -> DynamicObject {
    eventually(10, "group Final", || async {
        let o = groups.get(name).await.ok()?;
        (o.data["status"]["stage"] == "Final").then_some(o)
    })
    .await
}

#[tokio::test]
async fn group_snapshot_walks_its_stages_and_names_children_as_stork_does() {
    let h = start();
    let client = h.client().await;
    let groups = cassandra_groups(client.clone());
    let g = create_cassandra_group(&groups, "g").await;
    let uid = g.metadata.uid.clone().expect("uid");
    let done = wait_final(&groups, "g").await;
    assert_eq!(done.data["status"]["status"], "Successful");
    let entries = done.data["status"]["volumeSnapshots"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(entries.len(), 3);
    let snaps: Api<DynamicObject> = cassandra_snapshots(client.clone());
    let datas: Api<DynamicObject> = Api::all_with(client, &res::stork_snapshot_data());
    for (i, e) in entries.iter().enumerate() {
        let child = format!("g-cassandra-data-cassandra-{i}-{uid}");
        assert_eq!(e["VolumeSnapshotName"], child.as_str());
        assert_eq!(e["Conditions"][0]["type"], "Ready");
        assert!(e["DataSource"]["portworxVolume"]["snapshotId"].is_string());
        let vs = snaps.get(&child).await.expect("child snapshot");
        assert_eq!(
            vs.data["spec"]["persistentVolumeClaimName"],
            format!("cassandra-data-cassandra-{i}")
        );
        assert_eq!(
            vs.metadata
                .owner_references
                .as_ref()
                .map(|o| o[0].uid.clone()),
            Some(uid.clone())
        );
        assert_eq!(vs.metadata.labels.clone().unwrap_or_default()["team"], "db");
        assert_eq!(
            vs.metadata.annotations.clone().unwrap_or_default()["stork.libopenstorage.org/snapshot-restore-namespaces"],
            "restore"
        );
        datas.get(&child).await.expect("child data");
    }
    let tl = h.sim.timeline();
    let group_cut = tl
        .iter()
        .position(|e| e.kind == TimelineKind::GroupCut)
        .expect("groupCut");
    let cuts = tl
        .iter()
        .filter(|e| e.kind == TimelineKind::SnapshotCut)
        .count();
    assert_eq!(cuts, 3);
    assert!(
        tl.iter()
            .skip(group_cut)
            .filter(|e| e.kind == TimelineKind::SnapshotCut)
            .count()
            == 3
    );
    groups
        .delete("g", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(5, "children deleted", || async {
        let left = snaps.list(&ListParams::default()).await.ok()?.items.len();
        let data_left = datas.list(&ListParams::default()).await.ok()?.items.len();
        (left == 0 && data_left == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn group_prechecks_failures_leave_an_empty_stage_and_warning_events() {
    let h = start();
    let client = h.client().await;
    let groups = cassandra_groups(client.clone());
    let expr =
        json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["cassandra"]}]});
    create(&groups, &group("expr", expr)).await;
    create(
        &groups,
        &group("none", json!({"matchLabels": {"app": "nothing"}})),
    )
    .await;
    let events: Api<Event> = Api::namespaced(client, "cassandra");
    for (name, text) in [
        (
            "expr",
            "matchExpressions are currently not supported in the spec. Use matchLabels",
        ),
        ("none", "found no PVCs"),
    ] {
        let ev = eventually(5, &format!("event for {name}"), || async {
            let lp = ListParams::default().fields(&format!(
                "involvedObject.name={name},involvedObject.kind=GroupVolumeSnapshot"
            ));
            events.list(&lp).await.ok()?.items.into_iter().next()
        })
        .await;
        assert_eq!(ev.type_.as_deref(), Some("Warning"));
        assert_eq!(ev.reason.as_deref(), Some("Failed"));
        assert!(
            ev.message.as_deref().unwrap_or("").contains(text),
            "{:?}",
            ev.message
        );
        let g = groups.get(name).await.expect("get");
        assert!(
            g.data["status"]["stage"].is_null(),
            "stage stays empty: {:?}",
            g.data["status"]
        );
    }
    tokio::time::sleep(Duration::from_millis(350)).await;
    let lp = ListParams::default().fields("involvedObject.name=none");
    let ev = events.list(&lp).await.expect("events").items.remove(0);
    assert!(
        ev.count.unwrap_or(0) >= 2,
        "retries repeat the event (count {:?})",
        ev.count
    );
}

#[tokio::test]
async fn group_with_a_failing_pvc_ends_failed() {
    let h = start_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data-cassandra-1".into()]);
    let groups = cassandra_groups(h.client().await);
    create_cassandra_group(&groups, "g").await;
    let done = wait_final(&groups, "g").await;
    assert_eq!(done.data["status"]["status"], "Failed");
}

fn clone_pvc(name: &str, snapshot: &str, source_ns: Option<&str>) -> PersistentVolumeClaim {
    let mut ann = json!({"snapshot.alpha.kubernetes.io/snapshot": snapshot});
    if let Some(ns) = source_ns {
        ann["stork.libopenstorage.org/snapshot-source-namespace"] = json!(ns);
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": ann},
        "spec": {"storageClassName": "stork-snapshot-sc", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
    }))
    .expect("pvc")
}

/// The first Event about object `name`, waiting for one to be recorded.
async fn first_event(events: &Api<Event>, name: &str) -> Event {
    eventually(5, &format!("an event about {name}"), || async {
        events
            .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
            .await
            .ok()?
            .items
            .into_iter()
            .next()
    })
    .await
}

async fn wait_bound(api: &Api<PersistentVolumeClaim>, name: &str) -> PersistentVolumeClaim {
    eventually(10, &format!("{name} Bound"), || async {
        let p = api.get(name).await.ok()?;
        (p.status.as_ref()?.phase.as_deref() == Some("Bound")).then_some(p)
    })
    .await
}

#[tokio::test]
async fn stork_clones_bind_when_allowed_and_stay_pending_otherwise() {
    let h = start();
    let client = h.client().await;
    let snaps: Api<DynamicObject> = cassandra_snapshots(client.clone());
    create(
        &snaps,
        &new_stork_snapshot("open", "cassandra-data-cassandra-0"),
    )
    .await;
    let allow = json!({"stork.libopenstorage.org/snapshot-restore-namespaces": "rest.*"});
    create(
        &snaps,
        &annotated_snapshot("shared", "cassandra-data-cassandra-1", allow),
    )
    .await;
    wait_condition(&snaps, "open", "Ready").await;
    wait_condition(&snaps, "shared", "Ready").await;

    let same_ns: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "cassandra");
    create(&same_ns, &clone_pvc("clone-1", "open", None)).await;
    let bound = wait_bound(&same_ns, "clone-1").await;
    let pv = bound.spec.and_then(|s| s.volume_name).expect("volume name");
    assert!(pv.starts_with("pvc-"));

    let other: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "restore");
    create(&other, &clone_pvc("allowed", "shared", Some("cassandra"))).await;
    wait_bound(&other, "allowed").await;
    create(&other, &clone_pvc("denied", "open", Some("cassandra"))).await;
    let ev = first_event(&Api::namespaced(client, "restore"), "denied").await;
    assert_eq!(ev.reason.as_deref(), Some("ProvisioningFailed"));
    assert_eq!(
        ev.message.as_deref(),
        Some("snapshot open cannot be used in namespace restore")
    );
    let p = other.get("denied").await.expect("get");
    assert_eq!(p.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
    assert!(
        h.sim
            .timeline()
            .iter()
            .any(|e| e.kind == TimelineKind::PvcBound && e.pvc.as_deref() == Some("allowed"))
    );
}

/// A CSI VolumeSnapshot `name` of cassandra-data-cassandra-0, in the driver's default class.
fn csi_snapshot_of_cassandra_0(name: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name},
        "spec": {"source": {"persistentVolumeClaimName": "cassandra-data-cassandra-0"}},
    }))
    .expect("vs")
}

#[tokio::test]
async fn csi_snapshot_gets_content_creation_time_ready_and_restores() {
    let h = start();
    let client = h.client().await;
    let vs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "cassandra", &res::csi_snapshot());
    let mut obj = csi_snapshot_of_cassandra_0("v1");
    obj.data["spec"]["volumeSnapshotClassName"] = json!("px-csi-snapclass");
    obj.data["status"] = json!({"readyToUse": true});
    let created = create(&vs, &obj).await;
    assert!(
        created.data.get("status").is_none(),
        "status is dropped on create (status subresource)"
    );
    let ready = eventually(10, "readyToUse", || async {
        let o = vs.get("v1").await.ok()?;
        (o.data["status"]["readyToUse"] == true).then_some(o)
    })
    .await;
    assert!(ready.data["status"]["creationTime"].is_string());
    let content_name = ready.data["status"]["boundVolumeSnapshotContentName"]
        .as_str()
        .expect("content")
        .to_string();
    let contents: Api<DynamicObject> = Api::all_with(client.clone(), &res::csi_snapshot_content());
    let content = contents.get(&content_name).await.expect("content");
    assert_eq!(content.data["spec"]["driver"], "pxd.portworx.com");
    assert_eq!(
        kinds_for(&h, "volumesnapshots/v1"),
        [TimelineKind::SnapshotCut, TimelineKind::SnapshotReady]
    );

    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client, "cassandra");
    let restore: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "restored"},
        "spec": {
            "storageClassName": "px-csi-db", "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
            "dataSource": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "v1"},
        },
    }))
    .expect("pvc");
    create(&pvcs, &restore).await;
    wait_bound(&pvcs, "restored").await;
    vs.delete("v1", &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&contents, &content_name).await;
}

/// A PVC restoring CSI snapshot `snapshot` with `size` in `class`.
fn csi_restore_pvc(name: &str, snapshot: &str, size: &str, class: &str) -> PersistentVolumeClaim {
    let source =
        json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": snapshot});
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "storageClassName": class, "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            "dataSource": source, "dataSourceRef": source,
        },
    }))
    .expect("pvc")
}

#[tokio::test]
async fn csi_restores_need_the_snapshot_size_and_wait_for_a_consumer_when_the_class_says_so() {
    let h = start();
    let client = h.client().await;
    let vs: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "cassandra", &res::csi_snapshot());
    create(&vs, &csi_snapshot_of_cassandra_0("v1")).await;
    eventually(10, "readyToUse", || async {
        (vs.get("v1").await.ok()?.data["status"]["readyToUse"] == true).then_some(())
    })
    .await;
    let classes: Api<StorageClass> = Api::all(client.clone());
    let lazy: StorageClass = serde_json::from_value(json!({
        "metadata": {"name": "px-csi-lazy"}, "provisioner": "pxd.portworx.com",
        "volumeBindingMode": "WaitForFirstConsumer",
    }))
    .expect("class");
    create(&classes, &lazy).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "cassandra");
    let events: Api<Event> = Api::namespaced(client.clone(), "cassandra");

    create(&pvcs, &csi_restore_pvc("small", "v1", "1Gi", "px-csi-db")).await;
    let refused = first_event(&events, "small").await;
    assert_eq!(refused.reason.as_deref(), Some("ProvisioningFailed"));
    assert_eq!(
        refused.message.as_deref(),
        Some(
            "requested volume size 1073741824 is less than the size 10737418240 for the source snapshot v1"
        )
    );

    create(
        &pvcs,
        &csi_restore_pvc("later", "v1", "10Gi", "px-csi-lazy"),
    )
    .await;
    let waiting = first_event(&events, "later").await;
    assert_eq!(waiting.type_.as_deref(), Some("Normal"));
    assert_eq!(waiting.reason.as_deref(), Some("WaitForFirstConsumer"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pending = pvcs.get("later").await.expect("get");
    assert_eq!(
        pending.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
    let pods: Api<Pod> = Api::namespaced(client, "cassandra");
    let consumer: Pod = serde_json::from_value(json!({
        "metadata": {"name": "reader"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}],
                 "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "later"}}]},
    }))
    .expect("pod");
    create(&pods, &consumer).await;
    wait_bound(&pvcs, "later").await;
    let small = pvcs.get("small").await.expect("get");
    assert_eq!(
        small.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
}

#[tokio::test]
async fn hung_controllers_do_nothing_until_released() {
    let h = start_with(|c| c.hang = true);
    let snaps = snapshot_cassandra_0(h.client().await, "s").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(status_of(&snaps, "s").await.is_none());
    let mut settings = h.sim.controller();
    settings.hang = false;
    h.sim.set_controller(settings);
    wait_condition(&snaps, "s", "Ready").await;
}
