//! The object store: one ordered map per resource, a global resourceVersion
//! counter, and a bounded log of change events for watches and controllers.
//!
//! Objects are kept both as a `Value` (for selectors and patches) and as their
//! serialized JSON bytes, so a list of thousands of objects is a concatenation
//! of ready-made byte slices rather than a re-serialization of the store.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use serde_json::Value;
use tokio::sync::watch;

use super::managed_fields::{self, FieldManager};
use super::resources::{RESOURCES, ResId, def, id};
use super::status::ApiError;
use super::util;

/// One stored version of an object.
#[derive(Debug)]
pub struct StoredObject {
    pub value: Value,
    /// `value` serialized; what the HTTP layer writes out.
    pub json: Bytes,
    pub rv: u64,
}

impl StoredObject {
    fn new(value: Value, rv: u64) -> Arc<StoredObject> {
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Arc::new(StoredObject { value, json, rv })
    }

    pub fn name(&self) -> &str {
        util::name_of(&self.value)
    }

    pub fn uid(&self) -> &str {
        util::uid_of(&self.value)
    }
}

/// Watch event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One entry in the change log.
#[derive(Debug)]
pub struct LogEvent {
    pub rv: u64,
    pub res: ResId,
    /// "" for cluster-scoped objects.
    pub namespace: String,
    pub etype: EventType,
    pub obj: Arc<StoredObject>,
    /// The version before a modification (watch selectors need it).
    pub prev: Option<Arc<StoredObject>>,
}

/// The log no longer holds events after the requested version.
#[derive(Debug, Clone, Copy)]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

type Key = (String, String);

struct Inner {
    rv: u64,
    maps: Vec<BTreeMap<Key, Arc<StoredObject>>>,
    log: VecDeque<Arc<LogEvent>>,
    /// Every event with `rv > floor` is still in `log`.
    floor: u64,
}

/// The shared store. Cheap operations under a short std mutex; never held across `.await`.
pub struct Store {
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    log_cap: usize,
}

/// Default number of change events kept for watch replay.
pub const DEFAULT_LOG_CAP: usize = 50_000;

/// A page of a list.
pub struct ListPage {
    pub items: Vec<Arc<StoredObject>>,
    pub rv: u64,
    /// Key of the last item returned, when more items remain.
    pub next: Option<(String, String)>,
    pub remaining: usize,
}

impl Store {
    pub fn new(log_cap: usize) -> Store {
        let (changed, _) = watch::channel(0);
        Store {
            inner: Mutex::new(Inner {
                rv: 0,
                maps: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
                log: VecDeque::new(),
                floor: 0,
            }),
            changed,
            log_cap,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A receiver that sees the latest resourceVersion after every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// Forget the change log, as an etcd compaction would: watches and continue
    /// tokens from before now get 410.
    pub fn compact(&self) {
        let mut g = self.lock();
        g.log.clear();
        g.floor = g.rv;
    }

    /// The oldest resourceVersion a watch may still start from.
    pub fn floor(&self) -> u64 {
        self.lock().floor
    }

    pub fn get(&self, res: ResId, ns: &str, name: &str) -> Option<Arc<StoredObject>> {
        let g = self.lock();
        g.maps
            .get(res)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// List objects of `res`, in (namespace, name) order, starting after `after`,
    /// keeping those `keep` accepts, at most `limit` (0 = all).
    pub fn list(
        &self,
        res: ResId,
        ns: Option<&str>,
        after: Option<&Key>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> ListPage {
        let g = self.lock();
        let rv = g.rv;
        let Some(map) = g.maps.get(res) else {
            return ListPage {
                items: Vec::new(),
                rv,
                next: None,
                remaining: 0,
            };
        };
        use std::ops::Bound;
        let lower = match (after, ns) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(n)) => Bound::Included((n.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut items = Vec::new();
        let mut next = None;
        let mut remaining = 0usize;
        for ((kns, _), obj) in map.range((lower, Bound::Unbounded)) {
            if let Some(n) = ns
                && kns != n
            {
                break;
            }
            if limit > 0 && items.len() >= limit {
                // Past the page: one more match decides whether there is a next page; after
                // that the rest is only counted, without filtering, since remainingItemCount
                // is reported only for unfiltered lists (as the real API server does). So a
                // page costs its own size, not the size of the namespace.
                if remaining > 0 || keep(&obj.value) {
                    remaining += 1;
                }
                continue;
            }
            if !keep(&obj.value) {
                continue;
            }
            items.push(obj.clone());
        }
        if remaining > 0
            && let Some(last) = items.last()
        {
            next = Some((
                util::str_at(&last.value, "/metadata/namespace").to_string(),
                last.name().to_string(),
            ));
        }
        ListPage {
            items,
            rv,
            next,
            remaining,
        }
    }

    /// All objects of a resource in one namespace (or all), for controllers.
    pub fn all(&self, res: ResId, ns: Option<&str>) -> Vec<Arc<StoredObject>> {
        self.list(res, ns, None, 0, |_| true).items
    }

    /// Stores `object` at `rv` in place of `previous` (none: a new object), logs the ADDED or
    /// MODIFIED event and wakes the watchers, after releasing the lock.
    fn commit(
        &self,
        mut g: MutexGuard<'_, Inner>,
        res: ResId,
        key: Key,
        object: Value,
        rv: u64,
        previous: Option<Arc<StoredObject>>,
    ) -> Arc<StoredObject> {
        let stored = StoredObject::new(object, rv);
        let namespace = key.0.clone();
        g.maps[res].insert(key, stored.clone());
        let event = match previous {
            Some(_) => EventType::Modified,
            None => EventType::Added,
        };
        Self::push_event(
            &mut g,
            self.log_cap,
            res,
            &namespace,
            event,
            stored.clone(),
            previous,
        );
        drop(g);
        self.changed.send_replace(rv);
        stored
    }

    fn push_event(
        g: &mut Inner,
        cap: usize,
        res: ResId,
        ns: &str,
        etype: EventType,
        obj: Arc<StoredObject>,
        prev: Option<Arc<StoredObject>>,
    ) {
        g.log.push_back(Arc::new(LogEvent {
            rv: obj.rv,
            res,
            namespace: ns.to_string(),
            etype,
            obj,
            prev,
        }));
        while g.log.len() > cap {
            if let Some(old) = g.log.pop_front() {
                g.floor = old.rv;
            }
        }
    }

    /// Takes the lock and finds an existing object: the guard, its key in the maps (cluster
    /// objects under the empty namespace) and the object; not found if there is none.
    fn locked_existing(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
    ) -> Result<(MutexGuard<'_, Inner>, Key, Arc<StoredObject>), ApiError> {
        let d = def(res);
        let map_ns = if d.namespaced { ns } else { "" };
        let key = (map_ns.to_string(), name.to_string());
        let g = self.lock();
        match g.maps[res].get(&key).cloned() {
            Some(object) => Ok((g, key, object)),
            None => Err(ApiError::not_found(d, name)),
        }
    }

    /// Create an object written by `by`. Fills uid, creationTimestamp, resourceVersion,
    /// generation and managedFields, resolves `generateName`, and requires the namespace to
    /// exist.
    pub fn create(
        &self,
        res: ResId,
        ns: &str,
        mut obj: Value,
        by: &FieldManager,
    ) -> Result<Arc<StoredObject>, ApiError> {
        let d = def(res);
        let mut g = self.lock();
        if d.namespaced && !g.maps[id::NAMESPACES].contains_key(&(String::new(), ns.to_string())) {
            return Err(ApiError::namespace_not_found(ns));
        }
        let map_ns = if d.namespaced { ns } else { "" };
        let mut name = util::name_of(&obj).to_string();
        if name.is_empty() {
            let prefix = util::str_at(&obj, "/metadata/generateName").to_string();
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    d,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
            loop {
                let candidate = format!("{prefix}{}", util::name_suffix());
                if !g.maps[res].contains_key(&(map_ns.to_string(), candidate.clone())) {
                    name = candidate;
                    break;
                }
            }
        }
        let key = (map_ns.to_string(), name.clone());
        if g.maps[res].contains_key(&key) {
            return Err(ApiError::already_exists(d, &name));
        }
        g.rv += 1;
        let rv = g.rv;
        let meta = util::obj_entry(&mut obj, "metadata");
        meta.insert("name".into(), Value::String(name));
        if d.namespaced {
            meta.insert("namespace".into(), Value::String(ns.to_string()));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), Value::String(util::new_uid()));
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        meta.insert(
            "creationTimestamp".into(),
            Value::String(util::now_rfc3339()),
        );
        if res != id::EVENTS {
            meta.insert("generation".into(), Value::from(1));
        }
        meta.remove("deletionTimestamp");
        if let Some(map) = obj.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(d.api_version()));
            map.insert("kind".into(), Value::String(d.kind.to_string()));
        }
        record_write(res, None, &mut obj, by);
        Ok(self.commit(g, res, key, obj, rv, None))
    }

    /// Test support: make an object look as if it had been created at `created`. A real API
    /// server never lets a client set `creationTimestamp`; tests of age-dependent behaviour
    /// (AGE columns, retention) need objects of several ages without waiting for them. Recorded
    /// as a normal modification (new resourceVersion, MODIFIED event).
    pub fn backdate(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        created: jiff::Timestamp,
    ) -> Result<Arc<StoredObject>, ApiError> {
        let created = created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        self.set_server_metadata(
            res,
            ns,
            name,
            [("creationTimestamp", Value::String(created))],
        )
    }

    /// Starts a graceful deletion: sets `deletionTimestamp` (now) and
    /// `deletionGracePeriodSeconds` and leaves the object in place, as the API server does for a
    /// pod until its kubelet reports the containers gone. Recorded as a modification.
    pub fn mark_deleting(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        grace_seconds: u32,
    ) -> Result<Arc<StoredObject>, ApiError> {
        self.set_server_metadata(
            res,
            ns,
            name,
            [
                ("deletionTimestamp", Value::String(util::now_rfc3339())),
                ("deletionGracePeriodSeconds", Value::from(grace_seconds)),
            ],
        )
    }

    /// Sets metadata fields only the server writes (which `update_with` keeps from the stored
    /// object), as a modification with a new resourceVersion.
    fn set_server_metadata<const N: usize>(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        fields: [(&str, Value); N],
    ) -> Result<Arc<StoredObject>, ApiError> {
        let (mut g, key, old) = self.locked_existing(res, ns, name)?;
        let mut new = old.value.clone();
        g.rv += 1;
        let rv = g.rv;
        let meta = util::obj_entry(&mut new, "metadata");
        for (field, value) in fields {
            meta.insert(field.to_string(), value);
        }
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        Ok(self.commit(g, res, key, new, rv, Some(old)))
    }

    /// Read-modify-write by `by` under the lock. `f` sees the current object and returns the
    /// new one; identity metadata is kept from the old object, managedFields are the server's.
    /// A result equal to the current object is a no-op (no new resourceVersion, no event), as
    /// in Kubernetes.
    pub fn update_with(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        by: &FieldManager,
        f: impl FnOnce(&StoredObject) -> Result<Value, ApiError>,
    ) -> Result<Arc<StoredObject>, ApiError> {
        let d = def(res);
        let (mut g, key, old) = self.locked_existing(res, ns, name)?;
        let mut new = f(&old)?;
        // Identity and server-owned metadata come from the stored object.
        let old_meta = old.value.get("metadata").cloned().unwrap_or(Value::Null);
        {
            let meta = util::obj_entry(&mut new, "metadata");
            for k in [
                "name",
                "namespace",
                "uid",
                "creationTimestamp",
                "generation",
                "deletionTimestamp",
            ] {
                match old_meta.get(k) {
                    Some(v) => meta.insert(k.to_string(), v.clone()),
                    None => meta.remove(k),
                };
            }
            meta.insert("resourceVersion".into(), Value::String(old.rv.to_string()));
        }
        if let Some(map) = new.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(d.api_version()));
            map.insert("kind".into(), Value::String(d.kind.to_string()));
        }
        record_write(res, Some(&old.value), &mut new, by);
        if new == old.value {
            return Ok(old);
        }
        if spec_changed(&old.value, &new) {
            let gen_now = old_meta
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            util::obj_entry(&mut new, "metadata")
                .insert("generation".into(), Value::from(gen_now + 1));
        }
        g.rv += 1;
        let rv = g.rv;
        util::obj_entry(&mut new, "metadata")
            .insert("resourceVersion".into(), Value::String(rv.to_string()));
        Ok(self.commit(g, res, key, new, rv, Some(old)))
    }

    /// Delete an object, returning its final state (with the deletion's resourceVersion).
    /// `precondition` is an optional (uid, resourceVersion) pair that must match.
    pub fn delete(
        &self,
        res: ResId,
        ns: &str,
        name: &str,
        precondition: (Option<&str>, Option<&str>),
    ) -> Result<Arc<StoredObject>, ApiError> {
        let d = def(res);
        let (mut g, key, old) = self.locked_existing(res, ns, name)?;
        if let Some(uid) = precondition.0
            && uid != old.uid()
        {
            return Err(ApiError::conflict(d, name));
        }
        if let Some(rv) = precondition.1
            && rv != old.rv.to_string()
        {
            return Err(ApiError::conflict(d, name));
        }
        g.maps[res].remove(&key);
        g.rv += 1;
        let rv = g.rv;
        let mut last = old.value.clone();
        util::obj_entry(&mut last, "metadata")
            .insert("resourceVersion".into(), Value::String(rv.to_string()));
        let stored = StoredObject::new(last, rv);
        Self::push_event(
            &mut g,
            self.log_cap,
            res,
            &key.0,
            EventType::Deleted,
            stored.clone(),
            None,
        );
        let mut cascade = Vec::new();
        if res == id::NAMESPACES {
            for (r, map) in g.maps.iter().enumerate() {
                if def(r).namespaced {
                    for (k, _) in map.range((name.to_string(), String::new())..) {
                        if k.0 != name {
                            break;
                        }
                        cascade.push((r, k.1.clone()));
                    }
                }
            }
        }
        drop(g);
        self.changed.send_replace(rv);
        for (r, n) in cascade {
            let _ = self.delete(r, name, &n, (None, None));
        }
        Ok(stored)
    }

    /// Events after `rv`, or `TooOld` when the log has been trimmed past it.
    pub fn events_after(&self, rv: u64) -> Result<Vec<Arc<LogEvent>>, TooOld> {
        let g = self.lock();
        if rv < g.floor {
            return Err(TooOld {
                requested: rv,
                oldest: g.floor,
            });
        }
        let start = g.log.partition_point(|e| e.rv <= rv);
        Ok(g.log.range(start..).cloned().collect())
    }
}

/// Records `by`'s write of `new` over `old` in `new`'s managedFields, as of now.
fn record_write(res: ResId, old: Option<&Value>, new: &mut Value, by: &FieldManager) {
    let d = def(res);
    let api_version = d.api_version();
    let now = util::now_rfc3339();
    managed_fields::record(old, new, by, &api_version, d.status_subresource, &now);
}

/// Whether anything outside metadata and status differs (what bumps `generation`).
fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("metadata");
            m.remove("status");
        }
        v
    };
    strip(old) != strip(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn by() -> FieldManager {
        FieldManager::named("test")
    }

    fn store_with_ns() -> Store {
        let s = Store::new(4);
        s.create(
            id::NAMESPACES,
            "",
            json!({"metadata": {"name": "ns"}}),
            &by(),
        )
        .unwrap();
        s
    }

    #[test]
    fn create_assigns_metadata() {
        let s = store_with_ns();
        let o = s
            .create(
                id::PODS,
                "ns",
                json!({"metadata": {"generateName": "p-"}}),
                &by(),
            )
            .unwrap();
        assert!(o.name().starts_with("p-"));
        assert_eq!(o.name().len(), 7);
        assert_eq!(o.value["metadata"]["namespace"], "ns");
        assert_eq!(o.value["metadata"]["resourceVersion"], "2");
        assert_eq!(o.value["kind"], "Pod");
        let e = s
            .create(id::PODS, "nope", json!({"metadata": {"name": "x"}}), &by())
            .unwrap_err();
        assert_eq!(e.to_string(), "namespaces \"nope\" not found");
        let e = s
            .create(
                id::PODS,
                "ns",
                json!({"metadata": {"name": o.name()}}),
                &by(),
            )
            .unwrap_err();
        assert_eq!(e.code(), 409);
    }

    #[test]
    fn noop_update_keeps_rv() {
        let s = store_with_ns();
        let o = s
            .create(
                id::PODS,
                "ns",
                json!({"metadata": {"name": "a"}, "spec": {}}),
                &by(),
            )
            .unwrap();
        let same = s
            .update_with(id::PODS, "ns", "a", &by(), |cur| Ok(cur.value.clone()))
            .unwrap();
        assert_eq!(same.rv, o.rv);
        let changed = s
            .update_with(id::PODS, "ns", "a", &by(), |cur| {
                let mut v = cur.value.clone();
                v["spec"]["x"] = json!(1);
                Ok(v)
            })
            .unwrap();
        assert!(changed.rv > o.rv);
        assert_eq!(changed.value["metadata"]["generation"], 2);
    }

    #[test]
    fn log_trims_and_reports_too_old() {
        let s = store_with_ns();
        for i in 0..6 {
            s.create(
                id::PODS,
                "ns",
                json!({"metadata": {"name": format!("p{i}")}}),
                &by(),
            )
            .unwrap();
        }
        assert!(s.events_after(1).is_err());
        let evs = s.events_after(s.current_rv() - 2).unwrap();
        assert_eq!(evs.len(), 2);
    }

    #[test]
    fn list_pages_in_key_order() {
        let s = store_with_ns();
        for n in ["c", "a", "b"] {
            s.create(id::PODS, "ns", json!({"metadata": {"name": n}}), &by())
                .unwrap();
        }
        let p = s.list(id::PODS, Some("ns"), None, 2, |_| true);
        let names: Vec<_> = p.items.iter().map(|o| o.name().to_string()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(p.remaining, 1);
        let next = p.next.unwrap();
        let p2 = s.list(id::PODS, Some("ns"), Some(&next), 2, |_| true);
        assert_eq!(p2.items.len(), 1);
        assert!(p2.next.is_none());
    }

    #[test]
    fn namespace_delete_cascades() {
        let s = store_with_ns();
        s.create(id::PODS, "ns", json!({"metadata": {"name": "a"}}), &by())
            .unwrap();
        s.delete(id::NAMESPACES, "", "ns", (None, None)).unwrap();
        assert!(s.get(id::PODS, "ns", "a").is_none());
    }
}
