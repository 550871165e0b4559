//! STORK's controller for external-storage VolumeSnapshots (local and cloud).
//!
//! A missing, unbound or non-Portworx PVC leaves the snapshot without any condition
//! (retried quietly); a failing snapshot gets an `Error` condition and is retried
//! until it succeeds or is deleted; success writes the VolumeSnapshotData, the
//! `spec.snapshotDataName` and a single `Ready` condition.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    Attempt, Ctx, ObjKey, last_condition_type, push_condition, snapshot_delay, stork_condition,
};
use crate::resources::id;
use crate::seed::pv_is_portworx;
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

/// Message STORK writes with the Ready condition.
pub const READY_MESSAGE: &str = "Snapshot created successfully and it is ready";
/// Prefix STORK puts before every snapshot failure.
pub const ERROR_PREFIX: &str = "snapshot failed due to err: ";

pub async fn run(ctx: &Ctx, k: &ObjKey) {
    ctx.reconcile(k, snapshot_delay, |vs| async move {
        if is_done(&vs.value) {
            return Attempt::Done;
        }
        attempt(ctx, k, &vs.value).await
    })
    .await
}

/// Ready with its data written: nothing left to do.
pub fn is_done(vs: &Value) -> bool {
    !util::str_at(vs, "/spec/snapshotDataName").is_empty()
        && last_condition_type(vs).as_deref() == Some("Ready")
}

/// What the PV says about the Portworx provisioner, as STORK records it.
pub fn volume_provisioner(pv: &Value) -> &'static str {
    match util::str_at(pv, "/spec/csi/driver") {
        "pxd.portworx.com" => "pxd.portworx.com",
        "com.openstorage.pxd" => "com.openstorage.pxd",
        _ => "pxd",
    }
}

/// The Portworx volume id behind a PV.
pub fn volume_id(pv: &Value) -> String {
    let csi = util::str_at(pv, "/spec/csi/volumeHandle");
    if csi.is_empty() {
        util::str_at(pv, "/spec/portworxVolume/volumeID").to_string()
    } else {
        csi.to_string()
    }
}

/// Records a timeline entry about VolumeSnapshot `k` (STORK's or a CSI one) of `pvc`.
pub fn timeline(ctx: &Ctx, kind: TimelineKind, k: &ObjKey, pvc: &str, detail: Option<String>) {
    let mut ev = TimelineEvent::new(kind, &k.namespace);
    ev.object = Some(format!("volumesnapshots/{}", k.name));
    ev.pvc = Some(pvc.to_string());
    ev.detail = detail;
    ctx.sh.timeline.record(ev);
}

async fn attempt(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Attempt {
    let sh = &ctx.sh;
    let pvc_name = util::str_at(vs, "/spec/persistentVolumeClaimName").to_string();
    let Some(pvc) = sh.store.get(id::PVCS, &k.namespace, &pvc_name) else {
        return Attempt::Retry;
    };
    if util::str_at(&pvc.value, "/status/phase") != "Bound" {
        return Attempt::Retry;
    }
    let pv_name = util::str_at(&pvc.value, "/spec/volumeName").to_string();
    let Some(pv) = sh.store.get(id::PVS, "", &pv_name) else {
        return Attempt::Retry;
    };
    if !pv_is_portworx(&pv.value) {
        return Attempt::Retry;
    }
    let settings = ctx.settings();
    let stype = util::annotation(vs, "portworx/snapshot-type").unwrap_or("local");
    let cloud = match stype {
        "" | "local" => false,
        "cloud" => true,
        other => {
            return fail(
                ctx,
                k,
                &pvc_name,
                &format!("unsupported Portworx snapshot type: {other}"),
            );
        }
    };
    if settings.fail_snapshots_of_pvcs.contains(&pvc_name) {
        return fail(
            ctx,
            k,
            &pvc_name,
            &format!(
                "failed to create snapshot of volume {}: injected failure for PVC {}/{pvc_name}",
                volume_id(&pv.value),
                k.namespace
            ),
        );
    }
    let cred = util::annotation(vs, "portworx/cloud-cred-id")
        .unwrap_or("")
        .to_string();
    if cloud && settings.bad_cloud_cred_ids.contains(&cred) {
        return fail(
            ctx,
            k,
            &pvc_name,
            &format!(
                "failed to create cloud snapshot of volume {}: credential with ID {cred} not found",
                volume_id(&pv.value)
            ),
        );
    }
    // STORK labels the snapshot right before taking it.
    let stamp = jiff::Timestamp::now().as_nanosecond().to_string();
    let labelled = ctx.modify(k, |v| {
        let meta = util::obj_entry(v, "metadata");
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert("SnapshotMetadata-Timestamp".into(), json!(stamp));
            l.insert("SnapshotMetadata-PVName".into(), json!(pv_name));
        }
    });
    if !labelled {
        return Attempt::Done;
    }
    timeline(
        ctx,
        TimelineKind::SnapshotCut,
        k,
        &pvc_name,
        cloud.then(|| "cloud".to_string()),
    );
    if cloud && !upload(ctx, k, settings.cloud_snapshot_delay_ms).await {
        return Attempt::Done;
    }
    let data_name = format!("k8s-volume-snapshot-{}", util::new_uid());
    let source = if cloud {
        json!({
            "snapshotId": format!("{}/{}-{}", util::new_uid(), volume_id(&pv.value), util::random_hex(8)),
            "snapshotType": "cloud",
            "snapshotCloudCredID": cred,
            "snapshotTaskID": k.uid,
            "volumeProvisioner": volume_provisioner(&pv.value),
        })
    } else {
        json!({
            "snapshotId": format!("{}", u64::from_str_radix(&util::random_hex(6), 16).unwrap_or(1)),
            "snapshotType": "local",
            "snapshotTaskID": "",
            "volumeProvisioner": volume_provisioner(&pv.value),
        })
    };
    let mut data_meta = json!({"name": data_name});
    if let Some(r) = util::annotation(vs, "stork.libopenstorage.org/snapshot-restore-namespaces") {
        data_meta["annotations"] =
            json!({"stork.libopenstorage.org/snapshot-restore-namespaces": r});
    }
    let data = json!({
        "metadata": data_meta,
        "spec": {
            "volumeSnapshotRef": {"kind": "VolumeSnapshot", "name": format!("{}/{}-{}", k.namespace, k.name, k.uid)},
            "persistentVolumeRef": {"kind": "PersistentVolume", "name": pv_name},
            "portworxVolume": source,
        },
        "status": {"creationTimestamp": util::now_rfc3339(), "conditions": [stork_condition("Ready", READY_MESSAGE)]},
    });
    if sh
        .store
        .create(id::EXT_SNAPSHOTDATAS, "", data, &ctx.by)
        .is_err()
    {
        return Attempt::Retry;
    }
    let updated = ctx.modify(k, |v| {
        v["spec"]["snapshotDataName"] = json!(data_name);
        let status = util::obj_entry(v, "status");
        status.entry("creationTimestamp").or_insert(Value::Null);
        status.insert(
            "conditions".into(),
            json!([stork_condition("Ready", READY_MESSAGE)]),
        );
    });
    if !updated {
        // Deleted meanwhile: nothing would ever clean the data up, so do it now.
        let _ = sh
            .store
            .delete(id::EXT_SNAPSHOTDATAS, "", &data_name, (None, None));
        return Attempt::Done;
    }
    timeline(ctx, TimelineKind::SnapshotReady, k, &pvc_name, None);
    Attempt::Done
}

/// The cloud upload: `Pending` conditions with progress, then done. False if the
/// snapshot was deleted or the simulator stopped meanwhile.
async fn upload(ctx: &Ctx, k: &ObjKey, total_ms: u64) -> bool {
    const STEPS: u64 = 4;
    for step in 0..STEPS {
        let pct = step * 100 / STEPS;
        let ok = ctx.modify_status(k, |status| {
            let mut cond = stork_condition(
                "Pending",
                &format!("Cloud snapshot upload in progress: {pct}% done"),
            );
            cond["status"] = json!("Unknown");
            push_condition(status, cond);
        });
        if !ok {
            return false;
        }
        if !ctx.sleep(Duration::from_millis(total_ms / STEPS)).await {
            return false;
        }
        if ctx.current(k).is_none() {
            return false;
        }
    }
    true
}

fn fail(ctx: &Ctx, k: &ObjKey, pvc: &str, cause: &str) -> Attempt {
    let message = format!("{ERROR_PREFIX}{cause}");
    let failed = ctx.modify_status(k, |status| {
        status.entry("creationTimestamp").or_insert(Value::Null);
        push_condition(status, stork_condition("Error", &message));
    });
    if !failed {
        return Attempt::Done;
    }
    timeline(ctx, TimelineKind::SnapshotError, k, pvc, Some(message));
    Attempt::Retry
}
