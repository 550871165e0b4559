//! The CSI snapshot-controller and the Portworx driver's external-snapshotter sidecar for
//! `snapshot.storage.k8s.io` VolumeSnapshots. The controller picks the class (the named one,
//! or the one default class of the PV's driver, written back into the spec); for the
//! Portworx driver the sidecar then makes a VolumeSnapshotContent, sets
//! `status.creationTime` (the cut) and, after a cloud class's upload, `readyToUse: true`.
//! Failures go to `status.error` and are retried; snapshots of other drivers get their class
//! and nothing more, as no sidecar of theirs runs. Members of a VolumeGroupSnapshot are left to
//! the group controller.

use std::time::Duration;

use serde_json::{Value, json};

use super::stork::{timeline, volume_id};
use super::{Attempt, Ctx, ObjKey, quantity_bytes, snapshot_delay};
use crate::resources::{def, id};
use crate::scenario::{PX_CSI_DRIVER, PX_CSI_DRIVER_OLD};
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

/// The annotation that makes a VolumeSnapshotClass its driver's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "snapshot.storage.kubernetes.io/is-default-class";

pub async fn run(ctx: &Ctx, k: &ObjKey) {
    ctx.reconcile(k, snapshot_delay, |vs| async move {
        if vs.value.pointer("/status/readyToUse") == Some(&json!(true)) {
            return Attempt::Done;
        }
        attempt(ctx, k, &vs.value).await
    })
    .await
}

/// What the snapshot-controller's class step decided.
enum ClassChoice {
    /// The class to snapshot with.
    Class(Value),
    /// A group member: the group controller drives it, as upstream skips class checks for
    /// members (`IsVolumeGroupSnapshotMember`).
    GroupMember,
}

/// `checkAndUpdateSnapshotClass` of the snapshot-controller (pkg/common-controller/
/// snapshot_controller.go): the named class, or the default class of the PV's own driver,
/// written back into `spec.volumeSnapshotClassName`. Errors carry upstream's wording.
fn choose_class(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Result<ClassChoice, String> {
    if is_group_member(vs) {
        return Ok(ClassChoice::GroupMember);
    }
    let name = util::str_at(vs, "/spec/volumeSnapshotClassName");
    if !name.is_empty() {
        return ctx
            .sh
            .store
            .get(id::CSI_SNAPSHOTCLASSES, "", name)
            .map(|c| ClassChoice::Class(c.value.clone()))
            .ok_or_else(|| format!("Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"{name}\" not found"));
    }
    let class = default_class(ctx, k, vs)
        .map_err(|e| format!("Failed to set default snapshot class with error {e}"))?;
    let chosen = util::name_of(&class).to_string();
    ctx.modify(k, |v| v["spec"]["volumeSnapshotClassName"] = json!(chosen));
    Ok(ClassChoice::Class(class))
}

/// `SetDefaultSnapshotClass`: the one default class whose driver is the PV's CSI driver.
fn default_class(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Result<Value, String> {
    let driver = pv_driver(ctx, k, vs)?;
    default_of_driver(
        ctx,
        id::CSI_SNAPSHOTCLASSES,
        DEFAULT_CLASS_ANNOTATION,
        &driver,
    )
    .map_err(|found| match found {
        0 => "cannot find default snapshot class".to_string(),
        n => format!("{n} default snapshot classes were found"),
    })
}

/// The class of `res` marked default (by `annotation`) for `driver`; Err(count) unless
/// exactly one is.
pub fn default_of_driver(
    ctx: &Ctx,
    res: crate::resources::ResId,
    annotation: &str,
    driver: &str,
) -> Result<Value, usize> {
    let defaults: Vec<Value> = ctx
        .sh
        .store
        .all(res, None)
        .into_iter()
        .filter(|c| {
            util::annotation(&c.value, annotation) == Some("true")
                && util::str_at(&c.value, "/driver") == driver
        })
        .map(|c| c.value.clone())
        .collect();
    match defaults.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(other.len()),
    }
}

/// The snapshot-controller's `pvDriverFromSnapshot`: PVC, bound PV, its CSI driver.
fn pv_driver(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Result<String, String> {
    let pvc_name = util::str_at(vs, "/spec/source/persistentVolumeClaimName");
    if pvc_name.is_empty() {
        return Err("the snapshot source PVC name is not specified".into());
    }
    let pvc = ctx
        .sh
        .store
        .get(id::PVCS, &k.namespace, pvc_name)
        .ok_or_else(|| {
            format!(
                "failed to retrieve PVC {pvc_name} from the lister: \"persistentvolumeclaim \\\"{pvc_name}\\\" not found\""
            )
        })?;
    if util::str_at(&pvc.value, "/status/phase") != "Bound" {
        return Err(format!(
            "the PVC {pvc_name} is not yet bound to a PV, will not attempt to take a snapshot"
        ));
    }
    let pv_name = util::str_at(&pvc.value, "/spec/volumeName");
    let pv = ctx.sh.store.get(id::PVS, "", pv_name).ok_or_else(|| {
        format!(
            "failed to retrieve PV {pv_name} from the API server: \"persistentvolumes \\\"{pv_name}\\\" not found\""
        )
    })?;
    match util::str_at(&pv.value, "/spec/csi/driver") {
        "" => Err(format!(
            "snapshotting non-CSI volumes is not supported, snapshot:{}/{}",
            k.namespace, k.name
        )),
        driver => Ok(driver.to_string()),
    }
}

/// Whether a VolumeSnapshot was made by the group controller for a VolumeGroupSnapshot.
pub fn is_group_member(vs: &Value) -> bool {
    vs.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("kind").and_then(Value::as_str) == Some("VolumeGroupSnapshot"))
        })
}

/// `update(Group)SnapshotErrorStatusWithEvent`: not ready, the error in the status, retried.
pub fn status_error(ctx: &Ctx, k: &ObjKey, msg: &str) -> Attempt {
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
    ev.object = Some(format!("{}/{}", def(k.res).plural, k.name));
    ev.detail = Some(msg.to_string());
    ctx.sh.timeline.record(ev);
    Attempt::Retry
}

async fn attempt(ctx: &Ctx, k: &ObjKey, vs: &Value) -> Attempt {
    let class = match choose_class(ctx, k, vs) {
        Ok(ClassChoice::Class(c)) => c,
        Ok(ClassChoice::GroupMember) => return Attempt::Done,
        Err(msg) => return status_error(ctx, k, &msg),
    };
    let driver = util::str_at(&class, "/driver").to_string();
    if driver != PX_CSI_DRIVER && driver != PX_CSI_DRIVER_OLD {
        // Another driver's sidecar would take it from here; none runs in the simulator.
        return Attempt::Done;
    }
    let pvc_name = util::str_at(vs, "/spec/source/persistentVolumeClaimName").to_string();
    if pvc_name.is_empty() {
        // Pre-provisioned snapshots (source.volumeSnapshotContentName) are not simulated.
        return Attempt::Done;
    }
    let cloud = is_cloud(&class);
    if !util::str_at(vs, "/status/creationTime").is_empty() {
        // Cut on an earlier pass whose upload failed: only the upload is retried.
        return finish(ctx, k, &pvc_name, cloud).await;
    }
    match cut(ctx, k, &class, &pvc_name) {
        Ok(true) => finish(ctx, k, &pvc_name, cloud).await,
        Ok(false) => Attempt::Done,
        Err(CutError::Hung) => Attempt::Retry,
        Err(CutError::Failed(msg)) => status_error(ctx, k, &msg),
    }
}

/// Why a pass did not cut.
enum CutError {
    /// The driver never answers for this PVC (`hangSnapshotsOfPvcs`): nothing is written.
    Hung,
    /// Recorded in `status.error`.
    Failed(String),
}

/// Whether a class asks the Portworx driver for a cloud snapshot.
pub fn is_cloud(class: &Value) -> bool {
    util::str_at(class, "/parameters/csi.openstorage.org~1snapshot-type") == "cloud"
}

/// CreateSnapshot: the content and `status.creationTime`. Ok(false) when the snapshot went
/// away meanwhile.
fn cut(ctx: &Ctx, k: &ObjKey, class: &Value, pvc_name: &str) -> Result<bool, CutError> {
    let sh = &ctx.sh;
    let Some(pvc) = sh.store.get(id::PVCS, &k.namespace, pvc_name) else {
        return Err(CutError::Failed(format!(
            "Failed to create snapshot: error getting PVC {}/{pvc_name}: persistentvolumeclaims \"{pvc_name}\" not found",
            k.namespace
        )));
    };
    if util::str_at(&pvc.value, "/status/phase") != "Bound" {
        return Err(CutError::Failed(format!(
            "Failed to create snapshot: the PVC {pvc_name} is not yet bound to a PV, will not attempt to take a snapshot"
        )));
    }
    let Some(pv) = sh
        .store
        .get(id::PVS, "", util::str_at(&pvc.value, "/spec/volumeName"))
    else {
        return Err(CutError::Hung);
    };
    let handle = volume_id(&pv.value);
    let settings = ctx.settings();
    if settings
        .hang_snapshots_of_pvcs
        .iter()
        .any(|p| p == pvc_name)
    {
        return Err(CutError::Hung);
    }
    if settings
        .fail_snapshots_of_pvcs
        .iter()
        .any(|p| p == pvc_name)
    {
        return Err(CutError::Failed(driver_error(
            &handle,
            &format!("injected failure for PVC {pvc_name}"),
        )));
    }
    let size = util::str_at(&pvc.value, "/status/capacity/storage").to_string();
    let content_name = format!("snapcontent-{}", k.uid);
    let content = content_object(
        &content_name,
        SnapshotRef {
            namespace: &k.namespace,
            name: &k.name,
            uid: &k.uid,
        },
        class,
        &handle,
        &size,
    );
    if sh
        .store
        .get(id::CSI_SNAPSHOTCONTENTS, "", &content_name)
        .is_none()
        && let Err(e) = sh
            .store
            .create(id::CSI_SNAPSHOTCONTENTS, "", content, &ctx.by)
    {
        return Err(CutError::Failed(e.to_string()));
    }
    timeline(
        ctx,
        TimelineKind::SnapshotCut,
        k,
        pvc_name,
        is_cloud(class).then(|| "cloud".to_string()),
    );
    Ok(ctx.modify_status(k, |s| {
        s.insert("boundVolumeSnapshotContentName".into(), json!(content_name));
        s.insert("creationTime".into(), json!(util::now_rfc3339()));
        s.insert("readyToUse".into(), json!(false));
        s.insert("restoreSize".into(), json!(size));
        s.remove("error");
    }))
}

/// The VolumeSnapshot a content is bound to.
pub struct SnapshotRef<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
}

/// A dynamically provisioned VolumeSnapshotContent, cut now; ready at once unless `class`
/// asks for a cloud upload.
pub fn content_object(
    content_name: &str,
    vs: SnapshotRef,
    class: &Value,
    volume_handle: &str,
    size: &str,
) -> Value {
    let snapshot_handle = format!(
        "{}",
        u64::from_str_radix(&util::random_hex(6), 16).unwrap_or(1)
    );
    json!({
        "metadata": {"name": content_name},
        "spec": {
            "volumeSnapshotRef": {
                "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                "name": vs.name, "namespace": vs.namespace, "uid": vs.uid,
            },
            "deletionPolicy": util::str_at(class, "/deletionPolicy"),
            "driver": util::str_at(class, "/driver"),
            "volumeSnapshotClassName": util::name_of(class),
            "source": {"volumeHandle": volume_handle},
        },
        "status": {
            "snapshotHandle": snapshot_handle,
            "creationTime": jiff::Timestamp::now().as_nanosecond(),
            "restoreSize": quantity_bytes(size),
            "readyToUse": !is_cloud(class),
        },
    })
}

/// A CreateSnapshot failure as the snapshot-controller copies it from the content.
fn driver_error(handle: &str, cause: &str) -> String {
    format!(
        "Failed to check and update snapshot content: failed to take snapshot of the volume {handle}: \"rpc error: code = Internal desc = {cause}\""
    )
}

/// After the cut: a cloud snapshot uploads for `cloudSnapshotDelayMs` (failing while
/// `failCloudUploads` lasts, with the error set after the cut), then the snapshot is ready.
async fn finish(ctx: &Ctx, k: &ObjKey, pvc_name: &str, cloud: bool) -> Attempt {
    if cloud {
        if !ctx
            .sleep(Duration::from_millis(
                ctx.settings().cloud_snapshot_delay_ms,
            ))
            .await
        {
            return Attempt::Done;
        }
        if ctx.sh.take_cloud_upload_failure() {
            let handle = ctx
                .current(k)
                .map(|vs| bound_volume_handle(ctx, &vs.value))
                .unwrap_or_default();
            return status_error(
                ctx,
                k,
                &driver_error(&handle, "cloud backup upload failed: injected failure"),
            );
        }
    }
    let content = ctx
        .current(k)
        .map(|vs| util::str_at(&vs.value, "/status/boundVolumeSnapshotContentName").to_string())
        .unwrap_or_default();
    let _ = ctx.sh.store.update_with(
        id::CSI_SNAPSHOTCONTENTS,
        "",
        &content,
        &ctx.by.via_status(),
        |cur| {
            let mut v = cur.value.clone();
            v["status"]["readyToUse"] = json!(true);
            Ok(v)
        },
    );
    if ctx.modify_status(k, |s| {
        s.insert("readyToUse".into(), json!(true));
        s.remove("error");
    }) {
        timeline(ctx, TimelineKind::SnapshotReady, k, pvc_name, None);
    }
    Attempt::Done
}

/// The volume handle of a snapshot's bound content.
fn bound_volume_handle(ctx: &Ctx, vs: &Value) -> String {
    let content = util::str_at(vs, "/status/boundVolumeSnapshotContentName");
    ctx.sh
        .store
        .get(id::CSI_SNAPSHOTCONTENTS, "", content)
        .map(|c| util::str_at(&c.value, "/spec/source/volumeHandle").to_string())
        .unwrap_or_default()
}
