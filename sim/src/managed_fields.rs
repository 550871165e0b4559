//! `metadata.managedFields`, kept as a real API server keeps them, so clients that print or
//! compare whole objects (kubectl, `pxsnap list -o json|yaml`) see what they would see on a
//! real cluster.
//!
//! Every write is recorded under its field manager: the request's `?fieldManager=`, else the
//! User-Agent up to its first `/` (`kubectl/v1.33.1 (linux/amd64) …` is `kubectl`), as the API
//! server's `managerOrUserAgent` derives it. Entries are merged per manager, operation, API
//! version and subresource: a write takes the fields it changed (from every other manager too)
//! and adds them to what its manager already owned; fields it removed leave every manager. The
//! field sets follow structured-merge-diff's rules for schemaless objects: each field a write
//! set is a member, a map it added is a member of its own (`.`), and lists are atomic (one leaf).
//! The simulator serves no server-side apply, so every entry's operation is `Update`.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use serde_json::{Map, Value, json};

/// Longest manager name the API server keeps (`validation.FieldManagerMaxLength`).
const MAX_MANAGER_LEN: usize = 128;

/// The fields the API server never lists in an entry (its `stripMetaManager`): type and
/// identity metadata that no client sets.
const STRIPPED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

/// Who writes, and through which door.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldManager {
    name: String,
    /// The write went through the `status` subresource.
    status: bool,
}

impl FieldManager {
    /// A component of the simulated cluster (a controller, the seeding of a scenario).
    pub fn named(name: &str) -> FieldManager {
        FieldManager {
            name: name.to_string(),
            status: false,
        }
    }

    /// The manager of an API request: `?fieldManager=` when given, else the User-Agent's
    /// product name (printable characters only, at most 128 bytes); "" when neither is sent.
    pub fn of_request(field_manager: Option<&str>, headers: &HeaderMap, subresource: &str) -> Self {
        let name = match field_manager.filter(|m| !m.is_empty()) {
            Some(manager) => manager.to_string(),
            None => prefix_of_user_agent(
                headers
                    .get(USER_AGENT)
                    .and_then(|ua| ua.to_str().ok())
                    .unwrap_or(""),
            ),
        };
        FieldManager {
            name,
            status: subresource == "status",
        }
    }

    /// The same manager writing through the `status` subresource.
    pub fn via_status(&self) -> FieldManager {
        FieldManager {
            name: self.name.clone(),
            status: true,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The API server's `prefixFromUserAgent`.
fn prefix_of_user_agent(user_agent: &str) -> String {
    let product = user_agent.split('/').next().unwrap_or("");
    let mut name = String::new();
    for c in product.chars().filter(|c| !c.is_control()) {
        if name.len() + c.len_utf8() > MAX_MANAGER_LEN {
            break;
        }
        name.push(c);
    }
    name
}

/// One field path, as the `f:`/`.` keys of `fieldsV1` spell its steps.
type Path = Vec<String>;
type FieldSet = BTreeSet<Path>;

/// What a write changed, by field path.
#[derive(Default)]
struct Comparison {
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
}

/// Records in `new.metadata.managedFields` that `by` wrote `new` over `old` (`None`: a
/// create) at `time`. `status_resets` says the resource has a status subresource: a write to
/// the main resource then owns nothing under `status`, as the server resets it.
pub fn record(
    old: Option<&Value>,
    new: &mut Value,
    by: &FieldManager,
    api_version: &str,
    status_resets: bool,
    time: &str,
) {
    let empty = Value::Object(Map::new());
    let old = old.unwrap_or(&empty);
    let mut entries = entries_of(old);
    let ignored: &[&str] = if status_resets && !by.status {
        &["f:status"]
    } else {
        &[]
    };
    let mut changes = Comparison::default();
    compare(Some(old), Some(new), &mut Vec::new(), ignored, &mut changes);
    let taken: FieldSet = changes.added.union(&changes.modified).cloned().collect();
    for entry in &mut entries {
        entry
            .fields
            .retain(|p| !taken.contains(p) && !changes.removed.contains(p));
    }
    let key = EntryKey {
        manager: by.name.clone(),
        api_version: api_version.to_string(),
        subresource: if by.status { "status" } else { "" }.to_string(),
    };
    let former = entries_of(old).into_iter().find(|e| e.key == key);
    let owned: FieldSet = taken.difference(&changes.removed).cloned().collect();
    if !owned.is_empty() {
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.fields.extend(owned),
            None => entries.push(Entry {
                key: key.clone(),
                time: String::new(),
                fields: owned,
            }),
        }
        if let Some(entry) = entries.iter_mut().find(|e| e.key == key)
            && former.is_none_or(|f| f.fields != entry.fields)
        {
            entry.time = time.to_string();
        }
    }
    entries.retain(|e| !e.fields.is_empty());
    entries.sort_by(|a, b| {
        (
            &a.time,
            &a.key.manager,
            &a.key.api_version,
            &a.key.subresource,
        )
            .cmp(&(
                &b.time,
                &b.key.manager,
                &b.key.api_version,
                &b.key.subresource,
            ))
    });
    if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        match entries.is_empty() {
            true => meta.remove("managedFields"),
            false => meta.insert(
                "managedFields".into(),
                Value::Array(entries.iter().map(Entry::to_json).collect()),
            ),
        };
    }
}

/// What identifies an `Update` entry: entries with the same key are one.
#[derive(Clone, PartialEq, Eq, Debug)]
struct EntryKey {
    manager: String,
    api_version: String,
    subresource: String,
}

struct Entry {
    key: EntryKey,
    time: String,
    fields: FieldSet,
}

impl Entry {
    fn to_json(&self) -> Value {
        let mut entry = json!({
            "apiVersion": self.key.api_version,
            "fieldsType": "FieldsV1",
            "fieldsV1": fields_v1(&self.fields),
            "operation": "Update",
            "time": self.time,
        });
        if !self.key.manager.is_empty() {
            entry["manager"] = json!(self.key.manager);
        }
        if !self.key.subresource.is_empty() {
            entry["subresource"] = json!(self.key.subresource);
        }
        entry
    }
}

/// The entries an object carries now.
fn entries_of(object: &Value) -> Vec<Entry> {
    let listed = object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array);
    let text = |entry: &Value, key: &str| {
        entry
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    listed
        .into_iter()
        .flatten()
        .map(|entry| {
            let mut fields = FieldSet::new();
            if let Some(v1) = entry.get("fieldsV1") {
                read_fields_v1(v1, &mut Vec::new(), &mut fields);
            }
            Entry {
                key: EntryKey {
                    manager: text(entry, "manager"),
                    api_version: text(entry, "apiVersion"),
                    subresource: text(entry, "subresource"),
                },
                time: text(entry, "time"),
                fields,
            }
        })
        .collect()
}

fn read_fields_v1(node: &Value, path: &mut Path, into: &mut FieldSet) {
    let Some(children) = node.as_object() else {
        return;
    };
    if children.is_empty() && !path.is_empty() {
        into.insert(path.clone());
    }
    for (key, child) in children {
        if key == "." {
            into.insert(path.clone());
            continue;
        }
        path.push(key.clone());
        read_fields_v1(child, path, into);
        path.pop();
    }
}

/// The `fieldsV1` tree of a set: a member with members below it says so with `.`.
fn fields_v1(fields: &FieldSet) -> Value {
    #[derive(Default)]
    struct Node {
        member: bool,
        children: BTreeMap<String, Node>,
    }
    fn to_json(node: &Node) -> Value {
        let mut map = Map::new();
        if node.member && !node.children.is_empty() {
            map.insert(".".into(), json!({}));
        }
        for (key, child) in &node.children {
            map.insert(key.clone(), to_json(child));
        }
        Value::Object(map)
    }
    let mut root = Node::default();
    for path in fields {
        let mut node = &mut root;
        for step in path {
            node = node.children.entry(step.clone()).or_default();
        }
        node.member = true;
    }
    to_json(&root)
}

/// structured-merge-diff's comparison of two versions of an object, for schemaless values:
/// maps are walked into unless both sides are empty (or absent), everything else is a leaf.
fn compare(
    old: Option<&Value>,
    new: Option<&Value>,
    path: &mut Path,
    ignored: &[&str],
    into: &mut Comparison,
) {
    let (Some(old_map), Some(new_map)) = (map_or_absent(old), map_or_absent(new)) else {
        return leaf(old, new, path, into);
    };
    let filled = |m: Option<&Map<String, Value>>| m.is_some_and(|m| !m.is_empty());
    if !filled(old_map) && !filled(new_map) {
        return leaf(old, new, path, into);
    }
    let keys: BTreeSet<&String> = old_map
        .into_iter()
        .chain(new_map)
        .flat_map(Map::keys)
        .collect();
    for key in keys {
        path.push(format!("f:{key}"));
        let skipped = is_stripped(path) || (path.len() == 1 && ignored.contains(&path[0].as_str()));
        if !skipped {
            let old_field = old_map.and_then(|m| m.get(key.as_str()));
            let new_field = new_map.and_then(|m| m.get(key.as_str()));
            compare(old_field, new_field, path, ignored, into);
        }
        path.pop();
    }
    // A map that appeared or went is a member itself, besides its fields.
    if !path.is_empty() && !is_metadata(path) {
        match (old_map, new_map) {
            (None, Some(_)) => into.added.insert(path.clone()),
            (Some(_), None) => into.removed.insert(path.clone()),
            _ => false,
        };
    }
}

/// `Some(None)` for an absent value, `Some(map)` for a map, `None` for anything else.
fn map_or_absent(value: Option<&Value>) -> Option<Option<&Map<String, Value>>> {
    match value {
        None => Some(None),
        Some(Value::Object(map)) => Some(Some(map)),
        Some(_) => None,
    }
}

/// A scalar, a list, an empty map or null: one field, compared as a whole.
fn leaf(old: Option<&Value>, new: Option<&Value>, path: &Path, into: &mut Comparison) {
    if path.is_empty() || is_metadata(path) {
        return;
    }
    match (old, new) {
        (None, Some(_)) => {
            into.added.insert(path.clone());
        }
        (Some(_), None) => {
            into.removed.insert(path.clone());
        }
        (Some(a), Some(b)) if a != b => {
            into.modified.insert(path.clone());
        }
        _ => {}
    }
}

fn is_metadata(path: &Path) -> bool {
    path.len() == 1 && path[0] == "f:metadata"
}

fn is_stripped(path: &Path) -> bool {
    STRIPPED.iter().any(|stripped| {
        stripped.len() == path.len()
            && stripped
                .iter()
                .zip(path)
                .all(|(name, step)| step.strip_prefix("f:") == Some(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-01T00:00:00Z";
    const T2: &str = "2026-01-01T00:00:05Z";

    fn created(by: &str, object: Value) -> Value {
        let mut object = object;
        record(None, &mut object, &FieldManager::named(by), "v1", false, T1);
        object
    }

    #[test]
    fn user_agent_prefix_is_the_product_name() {
        assert_eq!(
            prefix_of_user_agent("kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0"),
            "kubectl"
        );
        assert_eq!(prefix_of_user_agent(""), "");
        assert_eq!(prefix_of_user_agent("a\u{7}b/1"), "ab");
        assert_eq!(prefix_of_user_agent(&"x".repeat(200)).len(), 128);
    }

    #[test]
    fn a_create_owns_every_field_it_set() {
        let object = created(
            "kubectl-create",
            json!({"apiVersion": "v1", "kind": "K",
                   "metadata": {"name": "a", "uid": "u", "labels": {"app": "x"}},
                   "spec": {"pvc": "data", "list": [1, 2], "empty": {}}}),
        );
        assert_eq!(
            object["metadata"]["managedFields"],
            json!([{
                "apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubectl-create",
                "operation": "Update", "time": T1,
                "fieldsV1": {
                    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {".": {}, "f:empty": {}, "f:list": {}, "f:pvc": {}},
                },
            }])
        );
    }

    #[test]
    fn an_update_takes_the_fields_it_changed_from_others() {
        let old = created(
            "kubectl-create",
            json!({"metadata": {"name": "a"}, "spec": {"a": 1, "b": 2}}),
        );
        let mut new = old.clone();
        new["spec"]["a"] = json!(10);
        new["status"] = json!({"phase": "Ready"});
        record(
            Some(&old),
            &mut new,
            &FieldManager::named("stork"),
            "v1",
            false,
            T2,
        );
        let entries = &new["metadata"]["managedFields"];
        assert_eq!(entries[0]["manager"], "kubectl-create");
        assert_eq!(
            entries[0]["fieldsV1"],
            json!({"f:spec": {".": {}, "f:b": {}}})
        );
        assert_eq!(entries[1]["manager"], "stork");
        assert_eq!(entries[1]["time"], T2);
        assert_eq!(
            entries[1]["fieldsV1"],
            json!({"f:spec": {"f:a": {}}, "f:status": {".": {}, "f:phase": {}}})
        );
    }

    #[test]
    fn status_writes_are_their_own_entry_and_main_writes_own_no_status() {
        let mut object = json!({"metadata": {"name": "a"}, "spec": {"x": 1}, "status": {"s": 1}});
        record(
            None,
            &mut object,
            &FieldManager::named("kubectl"),
            "v1",
            true,
            T1,
        );
        assert_eq!(
            object["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:spec": {".": {}, "f:x": {}}})
        );
        let old = object.clone();
        object["status"]["s"] = json!(2);
        let controller = FieldManager::named("snapshot-controller").via_status();
        record(Some(&old), &mut object, &controller, "v1", true, T2);
        let status = &object["metadata"]["managedFields"][1];
        assert_eq!(status["subresource"], "status");
        assert_eq!(status["fieldsV1"], json!({"f:status": {"f:s": {}}}));
    }

    #[test]
    fn an_unchanged_write_keeps_entry_and_time() {
        let old = created("a", json!({"metadata": {"name": "a"}, "spec": {"x": 1}}));
        let mut new = old.clone();
        record(
            Some(&old),
            &mut new,
            &FieldManager::named("a"),
            "v1",
            false,
            T2,
        );
        assert_eq!(new, old);
    }

    #[test]
    fn removed_fields_leave_their_manager() {
        let old = created("a", json!({"metadata": {"name": "a"}, "spec": {"x": 1}}));
        let mut new = old.clone();
        new.as_object_mut().map(|m| m.remove("spec"));
        record(
            Some(&old),
            &mut new,
            &FieldManager::named("b"),
            "v1",
            false,
            T2,
        );
        assert!(new["metadata"].get("managedFields").is_none(), "{new}");
    }
}
