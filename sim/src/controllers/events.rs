//! Kubernetes Events from the simulated controllers. Repeats of the same event
//! bump `count` and `lastTimestamp` instead of creating new objects, as the real
//! event recorder aggregates them.

use serde_json::{Value, json};

use crate::Shared;
use crate::managed_fields::FieldManager;
use crate::resources::id;
use crate::util;

/// Record an Event about `involved` (any stored object).
pub fn record_event(
    sh: &Shared,
    involved: &Value,
    etype: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let ns = {
        let n = util::str_at(involved, "/metadata/namespace");
        if n.is_empty() { "default" } else { n }
    };
    // The recorder's client writes as its component.
    let by = FieldManager::named(component);
    let uid = util::uid_of(involved);
    let now = util::now_rfc3339();
    let existing = sh.store.all(id::EVENTS, Some(ns)).into_iter().find(|e| {
        util::str_at(&e.value, "/involvedObject/uid") == uid
            && util::str_at(&e.value, "/reason") == reason
            && util::str_at(&e.value, "/message") == message
    });
    if let Some(e) = existing {
        let _ = sh.store.update_with(id::EVENTS, ns, e.name(), &by, |cur| {
            let mut v = cur.value.clone();
            let count = v.get("count").and_then(Value::as_i64).unwrap_or(1);
            v["count"] = json!(count + 1);
            v["lastTimestamp"] = json!(now);
            Ok(v)
        });
        return;
    }
    let ev = json!({
        "metadata": {"name": format!("{}.{}", util::name_of(involved), util::random_hex(8))},
        "involvedObject": {
            "kind": util::str_at(involved, "/kind"),
            "namespace": util::str_at(involved, "/metadata/namespace"),
            "name": util::name_of(involved),
            "uid": uid,
            "apiVersion": util::str_at(involved, "/apiVersion"),
            "resourceVersion": util::str_at(involved, "/metadata/resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "type": etype,
        "eventTime": null,
        "reportingComponent": component,
        "reportingInstance": "",
    });
    let _ = sh.store.create(id::EVENTS, ns, ev, &by);
}
