//! Watch semantics against kube-rs: replay from a resourceVersion, 410 Expired, bookmarks,
//! timeouts, selector transitions, and the kube-rs `watcher` / `await_condition` helpers.

use std::time::{Duration, Instant};

use crate::common::{SimHandle, cassandra_snapshots, create, eventually, new_stork_snapshot, res};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

fn rule(name: &str, labels: serde_json::Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "Rule",
        "metadata": {"name": name, "labels": labels},
        "rules": [],
    }))
    .expect("rule")
}

/// The Rules of the cassandra namespace and the list's resourceVersion: where every watch
/// test starts from.
async fn rules_and_version(h: &SimHandle) -> (Api<DynamicObject>, String) {
    let rules: Api<DynamicObject> =
        Api::namespaced_with(h.client().await, "cassandra", &res::rule());
    let rv = rules
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    (rules, rv)
}

/// The next event that is not a bookmark.
async fn next_event(
    stream: &mut futures::stream::BoxStream<'static, kube::Result<WatchEvent<DynamicObject>>>,
) -> WatchEvent<DynamicObject> {
    loop {
        match stream.try_next().await.expect("watch event") {
            Some(WatchEvent::Bookmark(_)) => continue,
            Some(ev) => return ev,
            None => panic!("watch ended"),
        }
    }
}

fn name_of(ev: &WatchEvent<DynamicObject>) -> String {
    match ev {
        WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => {
            o.metadata.name.clone().unwrap_or_default()
        }
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn watch_replays_from_a_resource_version_then_streams_live() {
    let h = SimHandle::cassandra();
    let (rules, rv) = rules_and_version(&h).await;
    create(&rules, &rule("before", json!({}))).await;
    let mut stream = rules
        .watch(&WatchParams::default().timeout(10), &rv)
        .await
        .expect("watch")
        .boxed();
    let first = next_event(&mut stream).await;
    assert!(matches!(first, WatchEvent::Added(_)), "{first:?}");
    assert_eq!(name_of(&first), "before");
    create(&rules, &rule("after", json!({}))).await;
    let second = next_event(&mut stream).await;
    assert_eq!(name_of(&second), "after");
    rules
        .delete("before", &Default::default())
        .await
        .expect("delete");
    let third = next_event(&mut stream).await;
    assert!(
        matches!(third, WatchEvent::Deleted(_)) && name_of(&third) == "before",
        "{third:?}"
    );
}

#[tokio::test]
async fn watch_without_resource_version_starts_with_the_current_state() {
    let h = SimHandle::cassandra();
    let pods: Api<DynamicObject> = Api::namespaced_with(
        h.client().await,
        "cassandra",
        &kube::api::ApiResource::erase::<k8s_openapi::api::core::v1::Pod>(&()),
    );
    let mut stream = pods
        .watch(&WatchParams::default().timeout(5), "0")
        .await
        .expect("watch")
        .boxed();
    let mut names = Vec::new();
    for _ in 0..3 {
        match next_event(&mut stream).await {
            WatchEvent::Added(p) => names.push(p.metadata.name.unwrap_or_default()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(names, ["cassandra-0", "cassandra-1", "cassandra-2"]);
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_expired() {
    let h = SimHandle::cassandra();
    let (rules, rv) = rules_and_version(&h).await;
    create(&rules, &rule("x", json!({}))).await;
    h.sim.compact();
    let mut stream = rules
        .watch(&WatchParams::default().timeout(5), &rv)
        .await
        .expect("watch")
        .boxed();
    match next_event(&mut stream).await {
        WatchEvent::Error(e) => {
            assert_eq!(e.code, 410);
            assert_eq!(e.reason, "Expired");
            assert!(
                e.message.starts_with("too old resource version"),
                "{}",
                e.message
            );
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
    assert!(
        stream.try_next().await.expect("end").is_none(),
        "the stream ends after the error"
    );
}

#[tokio::test]
async fn bookmarks_arrive_and_timeout_ends_the_stream() {
    let h = SimHandle::cassandra();
    let (rules, rv) = rules_and_version(&h).await;
    let started = Instant::now();
    let events: Vec<_> = rules
        .watch(&WatchParams::default().timeout(2), &rv)
        .await
        .expect("watch")
        .try_collect()
        .await
        .expect("events");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    let bookmarks = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Bookmark(_)))
        .count();
    assert!(
        bookmarks >= 2,
        "one at the start and about one a second: {events:?}"
    );
    if let Some(WatchEvent::Bookmark(b)) = events.first() {
        assert_eq!(b.metadata.resource_version, rv);
    }
}

#[tokio::test]
async fn label_selector_watch_sees_objects_enter_and_leave() {
    let h = SimHandle::cassandra();
    let (rules, rv) = rules_and_version(&h).await;
    let mut stream = rules
        .watch(&WatchParams::default().labels("tier=db").timeout(10), &rv)
        .await
        .expect("watch")
        .boxed();
    create(&rules, &rule("other", json!({"tier": "web"}))).await;
    create(&rules, &rule("r", json!({"tier": "db"}))).await;
    let ev = next_event(&mut stream).await;
    assert!(
        matches!(ev, WatchEvent::Added(_)) && name_of(&ev) == "r",
        "{ev:?}"
    );
    let relabel = |v: &str| Patch::Merge(json!({"metadata": {"labels": {"tier": v}}}));
    rules
        .patch("r", &PatchParams::default(), &relabel("web"))
        .await
        .expect("patch");
    let ev = next_event(&mut stream).await;
    assert!(
        matches!(ev, WatchEvent::Deleted(_)),
        "leaving the selector is DELETED: {ev:?}"
    );
    rules
        .patch("other", &PatchParams::default(), &relabel("db"))
        .await
        .expect("patch");
    let ev = next_event(&mut stream).await;
    assert!(
        matches!(ev, WatchEvent::Added(_)) && name_of(&ev) == "other",
        "entering is ADDED: {ev:?}"
    );
}

#[tokio::test]
async fn kube_runtime_watcher_and_await_condition_see_a_snapshot_become_ready() {
    let h = SimHandle::cassandra();
    let snaps: Api<DynamicObject> = cassandra_snapshots(h.client().await);
    let seen = tokio::spawn({
        let snaps = snaps.clone();
        async move {
            watcher(snaps, watcher::Config::default().timeout(20))
                .applied_objects()
                .try_filter(|o| {
                    let ready = o.data["status"]["conditions"]
                        .as_array()
                        .and_then(|c| c.last())
                        .is_some_and(|c| c["type"] == "Ready" && c["status"] == "True");
                    futures::future::ready(ready)
                })
                .boxed()
                .try_next()
                .await
        }
    });
    eventually(10, "the watcher to start", || async {
        h.watch_started("volumesnapshots", None).then_some(())
    })
    .await;
    create(
        &snaps,
        &new_stork_snapshot("s1", "cassandra-data-cassandra-0"),
    )
    .await;
    let ready = tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("in time")
        .expect("task")
        .expect("watcher")
        .expect("an object");
    assert_eq!(ready.metadata.name.as_deref(), Some("s1"));
    assert!(
        ready.data["spec"]["snapshotDataName"]
            .as_str()
            .is_some_and(|d| d.starts_with("k8s-volume-snapshot-"))
    );

    create(
        &snaps,
        &new_stork_snapshot("s2", "cassandra-data-cassandra-1"),
    )
    .await;
    let cond =
        kube::runtime::wait::await_condition(snaps.clone(), "s2", |o: Option<&DynamicObject>| {
            o.and_then(|o| {
                o.data["status"]["conditions"]
                    .as_array()
                    .and_then(|c| c.last().cloned())
            })
            .is_some_and(|c| c["type"] == "Ready")
        });
    tokio::time::timeout(Duration::from_secs(10), cond)
        .await
        .expect("in time")
        .expect("condition");
}
