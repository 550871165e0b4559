//! The simulated controllers: STORK (local/cloud VolumeSnapshots, GroupVolumeSnapshots,
//! clones from `stork-snapshot-sc`), the CSI snapshotter and a Portworx provisioner.
//!
//! A dispatcher task follows the store's change log (no polling) and starts one task
//! per new object; each task owns that object's progress and ends when the object is
//! done or deleted. Retries after a failure are timed (`retryIntervalMs`), as STORK's
//! own reconciler retries. Deletions cascade the way STORK and the CSI snapshotter do.

mod csi;
mod csi_group;
mod events;
mod group;
mod provision;
mod stork;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use super::managed_fields::FieldManager;
use super::resources::{ResId, def, id};
use super::scenario::ControllerSettings;
use super::status::ApiError;
use super::store::{EventType, StoredObject};
use super::{Shared, util};

pub use csi::DEFAULT_CLASS_ANNOTATION;
pub use csi_group::DEFAULT_GROUP_CLASS_ANNOTATION;
pub use events::record_event;

/// Start the dispatcher; controllers see only changes after `from_rv` (the seeded state).
pub fn spawn(sh: Arc<Shared>, from_rv: u64) -> Vec<JoinHandle<()>> {
    let running = Arc::new(Mutex::new(HashSet::new()));
    vec![tokio::spawn(dispatch(sh, from_rv, running))]
}

type Running = Arc<Mutex<HashSet<String>>>;

async fn dispatch(sh: Arc<Shared>, from_rv: u64, running: Running) {
    let mut changes = sh.store.subscribe();
    let mut cursor = from_rv;
    loop {
        match sh.store.events_after(cursor) {
            Ok(events) => {
                for ev in events {
                    cursor = ev.rv;
                    match ev.etype {
                        EventType::Added => start_task(&sh, &running, ev.res, &ev.obj),
                        EventType::Deleted => on_deleted(&sh, ev.res, &ev.obj),
                        EventType::Modified => {}
                    }
                }
            }
            Err(_) => {
                // Fell behind the log: resync every object a controller cares about.
                cursor = sh.store.current_rv();
                for res in [
                    id::EXT_SNAPSHOTS,
                    id::GROUP_SNAPSHOTS,
                    id::CSI_SNAPSHOTS,
                    id::CSI_GROUP_SNAPSHOTS,
                    id::PVCS,
                ] {
                    for o in sh.store.all(res, None) {
                        start_task(&sh, &running, res, &o);
                    }
                }
            }
        }
        tokio::select! {
            _ = sh.cancel.cancelled() => return,
            r = changes.changed() => if r.is_err() { return },
        }
    }
}

/// Start the per-object task for a new object, unless one already runs for it.
fn start_task(sh: &Arc<Shared>, running: &Running, res: ResId, obj: &StoredObject) {
    let stork = sh.scenario.stork;
    let relevant = match res {
        id::EXT_SNAPSHOTS | id::GROUP_SNAPSHOTS => stork,
        id::CSI_SNAPSHOTS => sh.scenario.snapshot_controller,
        id::CSI_GROUP_SNAPSHOTS => {
            sh.scenario.snapshot_controller && sh.scenario.csi_group_snapshots
        }
        id::PVCS => true,
        _ => false,
    };
    if !relevant {
        return;
    }
    let uid = obj.uid().to_string();
    {
        let mut g = running.lock().unwrap_or_else(|e| e.into_inner());
        if !g.insert(uid.clone()) {
            return;
        }
    }
    let key = ObjKey {
        res,
        namespace: util::str_at(&obj.value, "/metadata/namespace").to_string(),
        name: obj.name().to_string(),
        uid: uid.clone(),
    };
    let ctx = Ctx {
        sh: sh.clone(),
        by: FieldManager::named(controller_of(res)),
    };
    let running = running.clone();
    tokio::spawn(async move {
        match res {
            id::EXT_SNAPSHOTS => stork::run(&ctx, &key).await,
            id::GROUP_SNAPSHOTS => group::run(&ctx, &key).await,
            id::CSI_SNAPSHOTS => csi::run(&ctx, &key).await,
            id::CSI_GROUP_SNAPSHOTS => csi_group::run(&ctx, &key).await,
            id::PVCS => provision::run(&ctx, &key).await,
            _ => {}
        }
        running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key.uid);
    });
}

/// The field manager each controller writes as: the name its real counterpart's client
/// sends as User-Agent.
fn controller_of(res: ResId) -> &'static str {
    match res {
        id::EXT_SNAPSHOTS | id::GROUP_SNAPSHOTS => "stork",
        id::CSI_SNAPSHOTS | id::CSI_GROUP_SNAPSHOTS => "snapshot-controller",
        _ => "kube-controller-manager",
    }
}

/// Cascading deletes. Events are never deleted with their object: a real API server keeps them
/// until their TTL ends (`--event-ttl`, an hour by default), so a new object of the same name
/// finds the Events of the one before it.
fn on_deleted(sh: &Arc<Shared>, res: ResId, obj: &StoredObject) {
    let ns = util::str_at(&obj.value, "/metadata/namespace");
    match res {
        id::EXT_SNAPSHOTS if sh.scenario.stork => {
            let data = util::str_at(&obj.value, "/spec/snapshotDataName");
            if !data.is_empty() {
                let _ = sh
                    .store
                    .delete(id::EXT_SNAPSHOTDATAS, "", data, (None, None));
            }
        }
        id::GROUP_SNAPSHOTS if sh.scenario.stork => {
            delete_owned(sh, id::EXT_SNAPSHOTS, ns, obj.uid());
        }
        id::CSI_SNAPSHOTS => {
            let content = util::str_at(&obj.value, "/status/boundVolumeSnapshotContentName");
            delete_unless_retained(sh, id::CSI_SNAPSHOTCONTENTS, content);
        }
        id::CSI_GROUP_SNAPSHOTS => {
            // The garbage collector's part: members go with their group.
            delete_owned(sh, id::CSI_SNAPSHOTS, ns, obj.uid());
            let content = util::str_at(&obj.value, "/status/boundVolumeGroupSnapshotContentName");
            delete_unless_retained(sh, id::CSI_GROUP_SNAPSHOTCONTENTS, content);
        }
        id::PVCS => {
            let pv = util::str_at(&obj.value, "/spec/volumeName");
            if let Some(p) = sh.store.get(id::PVS, "", pv)
                && util::str_at(&p.value, "/spec/persistentVolumeReclaimPolicy") != "Retain"
            {
                let _ = sh.store.delete(id::PVS, "", pv, (None, None));
            }
        }
        _ => {}
    }
}

/// Deletes the objects of `res` in `ns` that `owner_uid` owns.
fn delete_owned(sh: &Shared, res: ResId, ns: &str, owner_uid: &str) {
    for child in sh.store.all(res, Some(ns)) {
        if owned_by(&child.value, owner_uid) {
            let _ = sh.store.delete(res, ns, child.name(), (None, None));
        }
    }
}

/// Deletes a (group) snapshot content whose `deletionPolicy` is not `Retain`.
fn delete_unless_retained(sh: &Shared, res: ResId, name: &str) {
    if let Some(c) = sh.store.get(res, "", name)
        && util::str_at(&c.value, "/spec/deletionPolicy") != "Retain"
    {
        let _ = sh.store.delete(res, "", name, (None, None));
    }
}

fn owned_by(obj: &Value, uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
        })
}

/// Identity of the object a task works on.
#[derive(Debug, Clone)]
pub struct ObjKey {
    pub res: ResId,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// What a task needs: the shared state, who it writes as, plus helpers for waiting.
pub struct Ctx {
    pub sh: Arc<Shared>,
    /// The controller's field manager, for everything it writes.
    pub by: FieldManager,
}

impl Ctx {
    pub fn settings(&self) -> ControllerSettings {
        self.sh.settings()
    }

    /// The object, if it still exists with the same uid.
    pub fn current(&self, k: &ObjKey) -> Option<Arc<StoredObject>> {
        self.sh
            .store
            .get(k.res, &k.namespace, &k.name)
            .filter(|o| o.uid() == k.uid)
    }

    /// Sleep; false when the simulator is shutting down.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.sh.cancel.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }

    /// Wait while controllers are told to hang; false on shutdown.
    pub async fn wait_unhung(&self) -> bool {
        let mut rx = self.sh.settings.subscribe();
        loop {
            if !rx.borrow_and_update().hang {
                return true;
            }
            tokio::select! {
                _ = self.sh.cancel.cancelled() => return false,
                r = rx.changed() => if r.is_err() { return false },
            }
        }
    }

    /// Wait until any of `resources` changes or `timeout` passes; false on shutdown.
    pub async fn wait_change(&self, resources: &[ResId], timeout: Duration) -> bool {
        let mut rx = self.sh.store.subscribe();
        let cursor = *rx.borrow_and_update();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            tokio::select! {
                _ = self.sh.cancel.cancelled() => return false,
                _ = tokio::time::sleep_until(deadline) => return true,
                r = rx.changed() => {
                    if r.is_err() {
                        return false;
                    }
                    match self.sh.store.events_after(cursor) {
                        Ok(evs) if !evs.iter().any(|e| resources.contains(&e.res)) => continue,
                        _ => return true,
                    }
                }
            }
        }
    }

    /// Edits the object this task owns: `change` gets a copy to modify. False when the object
    /// is gone or was replaced by a new one of the same name (another uid), which ends the
    /// task's work on it, as a deleted object ends a controller's.
    pub fn modify(&self, k: &ObjKey, change: impl FnOnce(&mut Value)) -> bool {
        self.write(k, &self.by, change)
    }

    /// `modify` for the status alone, through the status subresource where the resource has
    /// one (as the real controllers write status).
    pub fn modify_status(&self, k: &ObjKey, change: impl FnOnce(&mut Map<String, Value>)) -> bool {
        let by = match def(k.res).status_subresource {
            true => self.by.via_status(),
            false => self.by.clone(),
        };
        self.write(k, &by, |object| change(util::obj_entry(object, "status")))
    }

    fn write(&self, k: &ObjKey, by: &FieldManager, change: impl FnOnce(&mut Value)) -> bool {
        self.sh
            .store
            .update_with(k.res, &k.namespace, &k.name, by, |current| {
                if current.uid() != k.uid {
                    return Err(ApiError::not_found(def(k.res), &k.name));
                }
                let mut edited = current.value.clone();
                change(&mut edited);
                Ok(edited)
            })
            .is_ok()
    }

    pub fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.settings().retry_interval_ms.max(10))
    }

    /// One object's reconcile loop, as every simulated controller runs it: wait out a hang,
    /// wait `first_delay` (read from the settings at that moment) before the first pass and
    /// the retry interval before each later one, and stop on shutdown, when the object is gone
    /// (or replaced: another uid) or when `pass` says it is done. A hang set during a wait
    /// makes the loop wait again rather than act, as a hung controller would.
    pub async fn reconcile<Pass, PassDone>(
        &self,
        k: &ObjKey,
        first_delay: fn(&ControllerSettings) -> Duration,
        mut pass: Pass,
    ) where
        Pass: FnMut(Arc<StoredObject>) -> PassDone,
        PassDone: Future<Output = Attempt>,
    {
        let mut first = true;
        loop {
            if !self.wait_unhung().await {
                return;
            }
            let delay = if first {
                first_delay(&self.settings())
            } else {
                self.retry_interval()
            };
            first = false;
            if !self.sleep(delay).await {
                return;
            }
            if self.settings().hang {
                continue;
            }
            let Some(object) = self.current(k) else {
                return;
            };
            if let Attempt::Done = pass(object).await {
                return;
            }
        }
    }
}

/// What one reconcile pass decided.
pub enum Attempt {
    /// Nothing left to do for this object.
    Done,
    /// Try again after the retry interval.
    Retry,
}

/// The first pass of a snapshot controller waits the configured snapshot delay.
fn snapshot_delay(settings: &ControllerSettings) -> Duration {
    Duration::from_millis(settings.snapshot_delay_ms)
}

/// A condition in the STORK shape (all fields present, as Go writes them).
pub fn stork_condition(ctype: &str, message: &str) -> Value {
    json!({
        "type": ctype,
        "status": "True",
        "lastTransitionTime": util::now_rfc3339(),
        "reason": "",
        "message": message,
    })
}

/// STORK's condition update: a new type is appended, the same type replaces the last.
pub fn push_condition(status: &mut serde_json::Map<String, Value>, cond: Value) {
    let list = status.entry("conditions").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    if let Value::Array(items) = list {
        let same = items.last().and_then(|l| l.get("type")) == cond.get("type");
        if same {
            items.pop();
        }
        items.push(cond);
    }
}

/// The last condition's type, if its status is "True".
pub fn last_condition_type(obj: &Value) -> Option<String> {
    let last = obj.pointer("/status/conditions")?.as_array()?.last()?;
    (last.get("status").and_then(Value::as_str) == Some("True")).then(|| {
        last.get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    })
}

/// Bytes in a Kubernetes quantity such as `10Gi` (0 when unparsable).
pub fn quantity_bytes(q: &str) -> u64 {
    let q = q.trim();
    let split = q
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(q.len());
    let (num, unit) = q.split_at(split);
    let n: f64 = num.parse().unwrap_or(0.0);
    let mult: f64 = match unit {
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => 1.0,
    };
    (n * mult) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_follow_stork_rules() {
        let mut status = serde_json::Map::new();
        push_condition(&mut status, stork_condition("Error", "a"));
        push_condition(&mut status, stork_condition("Error", "b"));
        assert_eq!(status["conditions"].as_array().unwrap().len(), 1);
        push_condition(&mut status, stork_condition("Ready", "ok"));
        assert_eq!(status["conditions"].as_array().unwrap().len(), 2);
        let obj = json!({"status": Value::Object(status)});
        assert_eq!(last_condition_type(&obj).as_deref(), Some("Ready"));
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_bytes("10Gi"), 10 * 1024 * 1024 * 1024);
        assert_eq!(quantity_bytes("1G"), 1_000_000_000);
        assert_eq!(quantity_bytes("bogus"), 0);
    }
}
