//! The snapshot-controller's VolumeGroupSnapshot path (external-snapshotter 8.3+,
//! `groupsnapshot.storage.k8s.io/v1beta2`) with the Portworx driver behind it.
//!
//! The class is the named VolumeGroupSnapshotClass or the one default class of the members'
//! driver (written back into the spec). Members are the PVCs matching the selector's
//! `matchLabels`: upstream lists PVCs with `labels.Set(selector.MatchLabels)` alone
//! (`getClaimsFromVolumeGroupSnapshot`), so `matchExpressions` do not narrow the group on a
//! real cluster either. One cut for all members: a VolumeGroupSnapshotContent, then per member
//! a VolumeSnapshotContent and a VolumeSnapshot owned by the group with
//! `spec.source.persistentVolumeClaimName` (the 8.2+ member-to-PVC mapping), all with the
//! group's `creationTime`; then `readyToUse`. `failSnapshotsOfPvcs` and `hangSnapshotsOfPvcs`
//! apply to members. Errors go to `status.error` with upstream's wording and are retried.

use serde_json::{Value, json};

use super::csi::{SnapshotRef, content_object, default_of_driver, status_error};
use super::stork::volume_id;
use super::{Attempt, Ctx, ObjKey, snapshot_delay};
use crate::resources::{CSI_GROUP, def, id};
use crate::scenario::{PX_CSI_DRIVER, PX_CSI_DRIVER_OLD};
use crate::selectors::LabelSelector;
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

/// The annotation that makes a VolumeGroupSnapshotClass its driver's default.
pub const DEFAULT_GROUP_CLASS_ANNOTATION: &str =
    "groupsnapshot.storage.kubernetes.io/is-default-class";

pub async fn run(ctx: &Ctx, k: &ObjKey) {
    ctx.reconcile(k, snapshot_delay, |g| async move {
        if g.value.pointer("/status/readyToUse") == Some(&json!(true))
            || g.value.pointer("/spec/source/selector").is_none()
        {
            // Ready, or pre-provisioned (not simulated).
            return Attempt::Done;
        }
        match attempt(ctx, k, &g.value) {
            Ok(Pass::Done) => Attempt::Done,
            Ok(Pass::Wait) => Attempt::Retry,
            Err(msg) => status_error(ctx, k, &msg),
        }
    })
    .await
}

/// How a pass ended, when not with an error.
enum Pass {
    Done,
    /// Nothing written; try again later (a hung driver).
    Wait,
}

/// A member PVC with its volume.
struct Member {
    pvc: String,
    handle: String,
    size: String,
    driver: String,
}

fn attempt(ctx: &Ctx, k: &ObjKey, g: &Value) -> Result<Pass, String> {
    let selector = g
        .pointer("/spec/source/selector")
        .cloned()
        .unwrap_or(Value::Null);
    let class_name = util::str_at(g, "/spec/volumeGroupSnapshotClassName").to_string();
    let members = if class_name.is_empty() {
        members(ctx, k, &selector)
            .map_err(|e| format!("Failed to set default group snapshot class with error {e}"))?
    } else {
        members(ctx, k, &selector).map_err(|e| {
            format!(
                "failed to create group snapshot content with error failed to get input parameters to create group snapshot {}: {e:?}",
                k.name
            )
        })?
    };
    let class = class(ctx, k, &class_name, &members)?;
    let driver = util::str_at(&class, "/driver");
    if driver != PX_CSI_DRIVER && driver != PX_CSI_DRIVER_OLD {
        return Ok(Pass::Done);
    }
    let settings = ctx.settings();
    if members
        .iter()
        .any(|m| settings.hang_snapshots_of_pvcs.contains(&m.pvc))
    {
        return Ok(Pass::Wait);
    }
    if let Some(m) = members
        .iter()
        .find(|m| settings.fail_snapshots_of_pvcs.contains(&m.pvc))
    {
        return Err(format!(
            "Failed to check and update group snapshot content: failed to take group snapshot of the volumes [{}]: \"rpc error: code = Internal desc = injected failure for PVC {}\"",
            members
                .iter()
                .map(|m| m.handle.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            m.pvc
        ));
    }
    cut(ctx, k, &class, &members);
    Ok(Pass::Done)
}

/// The named class, or the default class of the members' driver written back into the spec.
fn class(ctx: &Ctx, k: &ObjKey, name: &str, members: &[Member]) -> Result<Value, String> {
    if !name.is_empty() {
        return ctx
            .sh
            .store
            .get(id::CSI_GROUP_SNAPSHOTCLASSES, "", name)
            .map(|c| c.value.clone())
            .ok_or_else(|| {
                format!(
                    "Failed to get group snapshot class with error {}.{CSI_GROUP} \"{name}\" not found",
                    def(id::CSI_GROUP_SNAPSHOTCLASSES).plural
                )
            });
    }
    let driver = members.first().map(|m| m.driver.as_str()).unwrap_or("");
    let class = default_of_driver(
        ctx,
        id::CSI_GROUP_SNAPSHOTCLASSES,
        DEFAULT_GROUP_CLASS_ANNOTATION,
        driver,
    )
    .map_err(|found| {
        let cause = match found {
            0 => "cannot find default group snapshot class".to_string(),
            n => format!("{n} default snapshot classes were found"),
        };
        format!("Failed to set default group snapshot class with error {cause}")
    })?;
    let chosen = util::name_of(&class).to_string();
    ctx.modify(k, |v| {
        v["spec"]["volumeGroupSnapshotClassName"] = json!(chosen)
    });
    Ok(class)
}

/// `getVolumesFromVolumeGroupSnapshot`: the bound PVCs matching `matchLabels`, with their
/// CSI volumes.
fn members(ctx: &Ctx, k: &ObjKey, selector: &Value) -> Result<Vec<Member>, String> {
    let labels: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(key, v)| format!("{key}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let text = labels.join(",");
    let matcher = LabelSelector::parse(&text).map_err(|e| e.to_string())?;
    let pvcs: Vec<_> = ctx
        .sh
        .store
        .all(id::PVCS, Some(&k.namespace))
        .into_iter()
        .filter(|p| matcher.matches(&p.value))
        .collect();
    if pvcs.is_empty() {
        return Err(format!(
            "label selector {text} for group snapshot not applied to any PVC"
        ));
    }
    let mut out = Vec::new();
    for p in pvcs {
        let name = p.name().to_string();
        if util::str_at(&p.value, "/status/phase") != "Bound" {
            return Err(format!(
                "the PVC {name} is not yet bound to a PV, will not attempt to take a group snapshot"
            ));
        }
        let pv_name = util::str_at(&p.value, "/spec/volumeName");
        let pv = ctx.sh.store.get(id::PVS, "", pv_name).ok_or_else(|| {
            format!("failed to retrieve PV {pv_name} from the API server: \"persistentvolumes \\\"{pv_name}\\\" not found\"")
        })?;
        let driver = util::str_at(&pv.value, "/spec/csi/driver").to_string();
        if driver.is_empty() {
            return Err(format!(
                "snapshotting non-CSI volumes is not supported, snapshot:{}/{}",
                k.namespace, k.name
            ));
        }
        out.push(Member {
            pvc: name,
            handle: volume_id(&pv.value),
            size: util::str_at(&p.value, "/status/capacity/storage").to_string(),
            driver,
        });
    }
    Ok(out)
}

/// The one cut: group content, members, the group's `creationTime`, then everything ready.
fn cut(ctx: &Ctx, k: &ObjKey, class: &Value, members: &[Member]) {
    let sh = &ctx.sh;
    let now = util::now_rfc3339();
    let group_content = format!("groupsnapcontent-{}", k.uid);
    let mut event = TimelineEvent::new(TimelineKind::GroupCut, &k.namespace);
    event.object = Some(format!("volumegroupsnapshots/{}", k.name));
    sh.timeline.record(event);
    let mut infos = Vec::new();
    for m in members {
        let hash = util::random_hex(32);
        let (vs_name, content_name) = (format!("snapshot-{hash}"), format!("snapcontent-{hash}"));
        let member = json!({
            "metadata": {
                "name": vs_name,
                "ownerReferences": [{
                    "apiVersion": def(id::CSI_GROUP_SNAPSHOTS).api_version(),
                    "kind": "VolumeGroupSnapshot",
                    "name": k.name,
                    "uid": k.uid,
                }],
            },
            "spec": {"source": {"persistentVolumeClaimName": m.pvc}},
            "status": {
                "boundVolumeSnapshotContentName": content_name,
                "creationTime": now,
                "readyToUse": true,
                "restoreSize": m.size,
            },
        });
        let vs_uid = sh
            .store
            .create(id::CSI_SNAPSHOTS, &k.namespace, member, &ctx.by)
            .map(|vs| vs.uid().to_string())
            .unwrap_or_default();
        let mut content = content_object(
            &content_name,
            SnapshotRef {
                namespace: &k.namespace,
                name: &vs_name,
                uid: &vs_uid,
            },
            class,
            &m.handle,
            &m.size,
        );
        content["status"]["readyToUse"] = json!(true);
        content["metadata"]["annotations"] =
            json!({"groupsnapshot.storage.k8s.io/volumeGroupSnapshotHandle": group_content});
        infos.push(json!({
            "volumeHandle": m.handle,
            "snapshotHandle": content["status"]["snapshotHandle"],
            "creationTime": content["status"]["creationTime"],
            "readyToUse": true,
            "restoreSize": content["status"]["restoreSize"],
        }));
        let _ = sh
            .store
            .create(id::CSI_SNAPSHOTCONTENTS, "", content, &ctx.by);
        for kind in [TimelineKind::SnapshotCut, TimelineKind::SnapshotReady] {
            let mut ev = TimelineEvent::new(kind, &k.namespace);
            ev.object = Some(format!("volumesnapshots/{vs_name}"));
            ev.pvc = Some(m.pvc.clone());
            sh.timeline.record(ev);
        }
    }
    let handles: Vec<&str> = members.iter().map(|m| m.handle.as_str()).collect();
    let content = json!({
        "metadata": {"name": group_content},
        "spec": {
            "volumeGroupSnapshotRef": {
                "apiVersion": def(id::CSI_GROUP_SNAPSHOTS).api_version(),
                "kind": "VolumeGroupSnapshot",
                "name": k.name, "namespace": k.namespace, "uid": k.uid,
            },
            "deletionPolicy": util::str_at(class, "/deletionPolicy"),
            "driver": util::str_at(class, "/driver"),
            "volumeGroupSnapshotClassName": util::name_of(class),
            "source": {"volumeHandles": handles},
        },
        "status": {
            "volumeGroupSnapshotHandle": util::new_uid(),
            "creationTime": now,
            "readyToUse": true,
            "volumeSnapshotInfoList": infos,
        },
    });
    let _ = sh
        .store
        .create(id::CSI_GROUP_SNAPSHOTCONTENTS, "", content, &ctx.by);
    let cut = ctx.modify_status(k, |s| {
        s.insert(
            "boundVolumeGroupSnapshotContentName".into(),
            json!(group_content),
        );
        s.insert("creationTime".into(), json!(now));
        s.insert("readyToUse".into(), json!(false));
        s.remove("error");
    });
    if cut
        && ctx.modify_status(k, |s| {
            s.insert("readyToUse".into(), json!(true));
        })
    {
        let mut ev = TimelineEvent::new(TimelineKind::GroupReady, &k.namespace);
        ev.object = Some(format!("volumegroupsnapshots/{}", k.name));
        sh.timeline.record(ev);
    }
}
