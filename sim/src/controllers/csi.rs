//! The CSI external-snapshotter for `snapshot.storage.k8s.io` VolumeSnapshots whose
//! class names the Portworx driver: a VolumeSnapshotContent, then
//! `status.creationTime` (the cut), then `readyToUse: true`. Failures go to
//! `status.error` and are retried; snapshots of other drivers are left alone.

use std::time::Duration;

use serde_json::{Value, json};

use super::stork::volume_id;
use super::{Attempt, Ctx, ObjKey, quantity_bytes, snapshot_delay};
use crate::resources::id;
use crate::scenario::{PX_CSI_DRIVER, PX_CSI_DRIVER_OLD};
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

pub async fn run(ctx: &Ctx, k: &ObjKey) {
    ctx.reconcile(k, snapshot_delay, |vs| async move {
        if vs.value.pointer("/status/readyToUse") == Some(&json!(true)) {
            return Attempt::Done;
        }
        attempt(ctx, k, &vs.value).await
    })
    .await
}

fn find_class(ctx: &Ctx, vs: &Value) -> Result<Value, String> {
    let name = util::str_at(vs, "/spec/volumeSnapshotClassName");
    if name.is_empty() {
        return ctx
            .sh
            .store
            .all(id::CSI_SNAPSHOTCLASSES, None)
            .into_iter()
            .find(|c| {
                util::annotation(&c.value, "snapshot.storage.kubernetes.io/is-default-class")
                    == Some("true")
            })
            .map(|c| c.value.clone())
            .ok_or_else(|| {
                "Failed to get default snapshot class with error cannot find default snapshot class"
                    .to_string()
            });
    }
    ctx.sh
        .store
        .get(id::CSI_SNAPSHOTCLASSES, "", name)
        .map(|c| c.value.clone())
        .ok_or_else(|| format!("Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"{name}\" not found"))
}

fn set_error(ctx: &Ctx, k: &ObjKey, msg: &str) -> Attempt {
    let ok = ctx.modify_status(k, |s| {
        s.insert("readyToUse".into(), json!(false));
        s.insert(
            "error".into(),
            json!({"time": util::now_rfc3339(), "message": msg}),
        );
    });
    if !ok {
        return Attempt::Done;
    }
    let mut ev = TimelineEvent::new(TimelineKind::SnapshotError, &k.namespace);
    ev.object = Some(format!("volumesnapshots/{}", k.name));
    ev.detail = Some(msg.to_string());
    ctx.sh.timeline.record(ev);
    Attempt::Retry
}

async fn attempt(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Attempt {
    let sh = &ctx.sh;
    let class = match find_class(ctx, vs) {
        Ok(c) => c,
        Err(msg) => return set_error(ctx, k, &msg),
    };
    let driver = util::str_at(&class, "/driver").to_string();
    if driver != PX_CSI_DRIVER && driver != PX_CSI_DRIVER_OLD {
        // Another driver's snapshotter would handle it; none runs here.
        return Attempt::Done;
    }
    let pvc_name = util::str_at(vs, "/spec/source/persistentVolumeClaimName").to_string();
    if pvc_name.is_empty() {
        // Pre-provisioned snapshots (source.volumeSnapshotContentName) are not simulated.
        return Attempt::Done;
    }
    let Some(pvc) = sh.store.get(id::PVCS, &k.namespace, &pvc_name) else {
        return set_error(
            ctx,
            k,
            &format!(
                "Failed to create snapshot: error getting PVC {}/{pvc_name}: persistentvolumeclaims \"{pvc_name}\" not found",
                k.namespace
            ),
        );
    };
    if util::str_at(&pvc.value, "/status/phase") != "Bound" {
        return set_error(
            ctx,
            k,
            &format!(
                "Failed to create snapshot: the PVC {pvc_name} is not yet bound to a PV, will not attempt to take a snapshot"
            ),
        );
    }
    let Some(pv) = sh
        .store
        .get(id::PVS, "", util::str_at(&pvc.value, "/spec/volumeName"))
    else {
        return Attempt::Retry;
    };
    let handle = volume_id(&pv.value);
    let settings = ctx.settings();
    if settings.fail_snapshots_of_pvcs.contains(&pvc_name) {
        return set_error(
            ctx,
            k,
            &format!(
                "Failed to check and update snapshot content: failed to take snapshot of the volume {handle}: \"rpc error: code = Internal desc = injected failure for PVC {pvc_name}\""
            ),
        );
    }
    let cloud = util::str_at(&class, "/parameters/csi.openstorage.org~1snapshot-type") == "cloud";
    let size = util::str_at(&pvc.value, "/status/capacity/storage").to_string();
    let content_name = format!("snapcontent-{}", k.uid);
    let snapshot_handle = format!(
        "{}",
        u64::from_str_radix(&util::random_hex(6), 16).unwrap_or(1)
    );
    let now = jiff::Timestamp::now();
    let content = json!({
        "metadata": {"name": content_name},
        "spec": {
            "volumeSnapshotRef": {
                "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                "name": k.name, "namespace": k.namespace, "uid": k.uid,
            },
            "deletionPolicy": util::str_at(&class, "/deletionPolicy"),
            "driver": driver,
            "volumeSnapshotClassName": util::name_of(&class),
            "source": {"volumeHandle": handle},
        },
        "status": {
            "snapshotHandle": snapshot_handle,
            "creationTime": now.as_nanosecond(),
            "restoreSize": quantity_bytes(&size),
            "readyToUse": !cloud,
        },
    });
    if sh
        .store
        .get(id::CSI_SNAPSHOTCONTENTS, "", &content_name)
        .is_none()
        && let Err(e) = sh
            .store
            .create(id::CSI_SNAPSHOTCONTENTS, "", content, &ctx.by)
    {
        return set_error(ctx, k, &e.to_string());
    }
    let mut cut = TimelineEvent::new(TimelineKind::SnapshotCut, &k.namespace);
    cut.object = Some(format!("volumesnapshots/{}", k.name));
    cut.pvc = Some(pvc_name.clone());
    sh.timeline.record(cut);
    let created = ctx.modify_status(k, |s| {
        s.insert("boundVolumeSnapshotContentName".into(), json!(content_name));
        s.insert("creationTime".into(), json!(util::now_rfc3339()));
        s.insert("readyToUse".into(), json!(false));
        s.insert("restoreSize".into(), json!(size));
        s.remove("error");
    });
    if !created {
        return Attempt::Done;
    }
    let upload = if cloud {
        settings.cloud_snapshot_delay_ms
    } else {
        0
    };
    if !ctx.sleep(Duration::from_millis(upload)).await {
        return Attempt::Done;
    }
    if cloud {
        let _ = sh.store.update_with(
            id::CSI_SNAPSHOTCONTENTS,
            "",
            &content_name,
            &ctx.by.via_status(),
            |cur| {
                let mut v = cur.value.clone();
                v["status"]["readyToUse"] = json!(true);
                Ok(v)
            },
        );
    }
    if !ctx.modify_status(k, |s| {
        s.insert("readyToUse".into(), json!(true));
    }) {
        return Attempt::Done;
    }
    let mut ready = TimelineEvent::new(TimelineKind::SnapshotReady, &k.namespace);
    ready.object = Some(format!("volumesnapshots/{}", k.name));
    ready.pvc = Some(pvc_name);
    sh.timeline.record(ready);
    Attempt::Done
}
