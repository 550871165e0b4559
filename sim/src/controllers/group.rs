//! STORK's GroupVolumeSnapshot controller.
//!
//! Pre-check failures (matchExpressions, empty or unmatched selector, an unbound PVC,
//! a missing Rule) are not saved on the object, as in STORK: it stays at an empty stage
//! and a Warning Event (reason `Failed`) is recorded on each retry. Otherwise the
//! stages go `Snapshot`/`InProgress` (via `PreSnapshot` when a pre rule is named) to
//! `Final`/`Successful` with one child VolumeSnapshot + VolumeSnapshotData per PVC,
//! named `<group>-<pvc>-<groupUID>`; a PVC listed in `failSnapshotsOfPvcs` ends the
//! group `Final`/`Failed`. Rules are checked for existence but not executed.

use std::time::Duration;

use serde_json::{Value, json};

use super::stork::{READY_MESSAGE, volume_id, volume_provisioner};
use super::{Attempt, Ctx, ObjKey, record_event, stork_condition};
use crate::resources::id;
use crate::seed::pv_is_portworx;
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

const COMPONENT: &str = "stork";

/// A group's first pass starts at once: its delay is spent inside `take`, once the
/// pre-checks pass.
pub async fn run(ctx: &Ctx, k: &ObjKey) {
    ctx.reconcile(
        k,
        |_| Duration::ZERO,
        |g| async move {
            if util::str_at(&g.value, "/status/stage") == "Final" {
                return Attempt::Done;
            }
            match precheck(ctx, k, &g.value) {
                Err(msg) => {
                    record_event(&ctx.sh, &g.value, "Warning", "Failed", &msg, COMPONENT);
                    Attempt::Retry
                }
                Ok(pvcs) => match take(ctx, k, &g.value, pvcs).await {
                    true => Attempt::Done,
                    false => Attempt::Retry,
                },
            }
        },
    )
    .await
}

/// A PVC in the group with its PV.
struct Member {
    pvc: String,
    pv_name: String,
    pv: Value,
}

fn precheck(ctx: &Ctx, k: &ObjKey, g: &Value) -> Result<Vec<Member>, String> {
    let sh = &ctx.sh;
    let sel = g
        .pointer("/spec/pvcSelector")
        .cloned()
        .unwrap_or(Value::Null);
    if sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err(
            "matchExpressions are currently not supported in the spec. Use matchLabels".into(),
        );
    }
    let labels = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if labels.is_empty() {
        return Err("pvcSelector.matchLabels is empty; no PVCs can be selected".into());
    }
    for key in ["preExecRule", "postExecRule"] {
        let rule = util::str_at(g, &format!("/spec/{key}"));
        if !rule.is_empty() && sh.store.get(id::RULES, &k.namespace, rule).is_none() {
            return Err(format!(
                "failed to get rule {rule} in namespace {}: rules.stork.libopenstorage.org \"{rule}\" not found",
                k.namespace
            ));
        }
    }
    let pvcs: Vec<_> = sh
        .store
        .all(id::PVCS, Some(&k.namespace))
        .into_iter()
        .filter(|p| {
            labels.iter().all(|(lk, lv)| {
                p.value.pointer("/metadata/labels").and_then(|l| l.get(lk)) == Some(lv)
            })
        })
        .collect();
    if pvcs.is_empty() {
        let sel_text: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect();
        return Err(format!(
            "found no PVCs in namespace {} matching selector {}",
            k.namespace,
            sel_text.join(",")
        ));
    }
    let mut members = Vec::new();
    for p in pvcs {
        let name = p.name().to_string();
        if util::str_at(&p.value, "/status/phase") != "Bound" {
            return Err(format!("PVC {}/{name} is not bound yet", k.namespace));
        }
        let pv_name = util::str_at(&p.value, "/spec/volumeName").to_string();
        let Some(pv) = sh.store.get(id::PVS, "", &pv_name) else {
            return Err(format!("failed to get PV {pv_name} of PVC {name}"));
        };
        if !pv_is_portworx(&pv.value) {
            return Err(format!("PVC {name} is not backed by a Portworx volume"));
        }
        members.push(Member {
            pvc: name,
            pv_name,
            pv: pv.value.clone(),
        });
    }
    Ok(members)
}

/// Take the group snapshot; true when the group reached a final state (or vanished).
async fn take(ctx: &Ctx, k: &ObjKey, g: &Value, members: Vec<Member>) -> bool {
    let settings = ctx.settings();
    let has_pre = !util::str_at(g, "/spec/preExecRule").is_empty();
    let stage = if has_pre { "PreSnapshot" } else { "Snapshot" };
    if !ctx.modify_status(k, |s| {
        s.insert("stage".into(), json!(stage));
        s.insert("status".into(), json!("InProgress"));
        s.entry("numRetries").or_insert(json!(0));
        s.entry("volumeSnapshots").or_insert(Value::Null);
    }) {
        return true;
    }
    if has_pre
        && !ctx.modify_status(k, |s| {
            s.insert("stage".into(), json!("Snapshot"));
        })
    {
        return true;
    }
    if !ctx
        .sleep(Duration::from_millis(settings.group_snapshot_delay_ms))
        .await
    {
        return true;
    }
    let Some(cur) = ctx.current(k) else {
        return true;
    };
    let option = |key: &str| {
        g.pointer(&format!("/spec/options/{}", key.replace('/', "~1")))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let cred = option("portworx/cloud-cred-id");
    let bad_cred =
        option("portworx/snapshot-type") == "cloud" && settings.bad_cloud_cred_ids.contains(&cred);
    let failure = members.iter().find_map(|m| {
        if bad_cred {
            Some((m, format!("failed to create cloud group snapshot of volume {}: credential with ID {cred} not found", volume_id(&m.pv))))
        } else {
            settings.fail_snapshots_of_pvcs.contains(&m.pvc).then(|| {
                let msg = format!(
                    "failed to create group snapshot: failed to snapshot volume {} of PVC {}: injected failure",
                    volume_id(&m.pv),
                    m.pvc
                );
                (m, msg)
            })
        }
    });
    if let Some((bad, msg)) = failure {
        record_event(&ctx.sh, &cur.value, "Warning", "Failed", &msg, COMPONENT);
        let mut ev = TimelineEvent::new(TimelineKind::SnapshotError, &k.namespace);
        ev.object = Some(format!("groupvolumesnapshots/{}", k.name));
        ev.pvc = Some(bad.pvc.clone());
        ev.detail = Some(msg);
        ctx.sh.timeline.record(ev);
        ctx.modify_status(k, |s| {
            s.insert("stage".into(), json!("Final"));
            s.insert("status".into(), json!("Failed"));
        });
        return true;
    }
    let mut ev = TimelineEvent::new(TimelineKind::GroupCut, &k.namespace);
    ev.object = Some(format!("groupvolumesnapshots/{}", k.name));
    ctx.sh.timeline.record(ev);
    let labels = g.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    let mut annotations = g
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(list) = g
        .pointer("/spec/restoreNamespaces")
        .and_then(Value::as_array)
    {
        let joined: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        if !joined.is_empty()
            && let Some(a) = annotations.as_object_mut()
        {
            a.insert(
                "stork.libopenstorage.org/snapshot-restore-namespaces".into(),
                json!(joined.join(",")),
            );
        }
    }
    let cloud = util::str_at(g, "/spec/options/portworx~1snapshot-type") == "cloud";
    let mut entries = Vec::new();
    for m in &members {
        let child = format!("{}-{}-{}", k.name, m.pvc, k.uid);
        let ready = stork_condition("Ready", READY_MESSAGE);
        let source = json!({
            "snapshotId": format!("{}", u64::from_str_radix(&util::random_hex(6), 16).unwrap_or(1)),
            "snapshotType": if cloud { "cloud" } else { "local" },
            "snapshotTaskID": "",
            "volumeProvisioner": volume_provisioner(&m.pv),
        });
        let mut ev = TimelineEvent::new(TimelineKind::SnapshotCut, &k.namespace);
        ev.object = Some(format!("volumesnapshots/{child}"));
        ev.pvc = Some(m.pvc.clone());
        ctx.sh.timeline.record(ev);
        let data = json!({
            "metadata": {"name": child, "labels": labels, "annotations": annotations},
            "spec": {
                "volumeSnapshotRef": {"kind": "VolumeSnapshot", "name": child, "namespace": k.namespace},
                "persistentVolumeRef": {},
                "portworxVolume": source,
            },
            "status": {"creationTimestamp": util::now_rfc3339(), "conditions": [ready]},
        });
        let _ = ctx
            .sh
            .store
            .create(id::EXT_SNAPSHOTDATAS, "", data, &ctx.by);
        let mut child_labels = labels.clone();
        if let Some(l) = child_labels.as_object_mut() {
            l.insert("SnapshotMetadata-PVName".into(), json!(m.pv_name));
        }
        let vs = json!({
            "metadata": {
                "name": child,
                "labels": child_labels,
                "annotations": annotations,
                "ownerReferences": [{
                    "apiVersion": "stork.libopenstorage.org/v1alpha1",
                    "kind": "GroupVolumeSnapshot",
                    "name": k.name,
                    "uid": k.uid,
                }],
            },
            "spec": {"persistentVolumeClaimName": m.pvc, "snapshotDataName": child},
            "status": {"creationTimestamp": null, "conditions": [ready]},
        });
        let _ = ctx
            .sh
            .store
            .create(id::EXT_SNAPSHOTS, &k.namespace, vs, &ctx.by);
        entries.push(json!({
            "VolumeSnapshotName": child,
            "TaskID": "",
            "ParentVolumeID": volume_id(&m.pv),
            "DataSource": {"portworxVolume": source},
            "Conditions": [ready],
        }));
    }
    if !ctx.modify_status(k, |s| {
        s.insert("stage".into(), json!("Final"));
        s.insert("status".into(), json!("Successful"));
        s.insert("volumeSnapshots".into(), Value::Array(entries));
    }) {
        // Deleted while the children were being made: remove them too.
        for m in &members {
            let child = format!("{}-{}-{}", k.name, m.pvc, k.uid);
            let _ = ctx
                .sh
                .store
                .delete(id::EXT_SNAPSHOTS, &k.namespace, &child, (None, None));
        }
        return true;
    }
    for m in &members {
        let mut ev = TimelineEvent::new(TimelineKind::SnapshotReady, &k.namespace);
        ev.object = Some(format!("volumesnapshots/{}-{}-{}", k.name, m.pvc, k.uid));
        ev.pvc = Some(m.pvc.clone());
        ctx.sh.timeline.record(ev);
    }
    true
}
