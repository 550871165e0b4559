//! Fault injection (in-process and over `/sim/faults`) and exec through the full simulator.

use std::time::{Duration, Instant};

use crate::common::{
    SimHandle, api_error, eventually, new_stork_snapshot, res, snapshot_cassandra_0, status_of,
};
use axum::http::{Method, Request};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, AttachParams, DynamicObject, ListParams, PostParams, WatchEvent, WatchParams,
};
use pxsnap_sim::{Fault, FaultAction, Scenario, TimelineKind};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

/// The error of a request that must fail (without printing a huge Ok value).
fn must_fail<T>(r: kube::Result<T>, what: &str) -> kube::Error {
    match r {
        Ok(_) => panic!("expected an error: {what}"),
        Err(e) => e,
    }
}

/// The cassandra scenario with one fault on `verb` of pods, and the admin's pods of namespace
/// cassandra to meet it through. Keep the handle alive: dropping it stops the simulator.
async fn pods_with_fault(verb: &str, action: FaultAction) -> (SimHandle, Api<Pod>) {
    let h = SimHandle::cassandra();
    h.sim
        .add_fault(Fault::new(Some(verb), Some("pods"), action));
    let pods = Api::namespaced(h.client().await, "cassandra");
    (h, pods)
}

fn sim_request(method: Method, path: &str, body: Value) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", "application/json")
        .body(body.to_string().into_bytes())
        .expect("request")
}

#[tokio::test]
async fn nth_request_fails_with_the_chosen_status_then_recovers() {
    let h = SimHandle::cassandra();
    let mut f = Fault::new(Some("list"), Some("pods"), FaultAction::Status(503));
    f.nth = 2;
    f.times = 2;
    h.sim.add_fault(f);
    let pods: Api<Pod> = Api::namespaced(h.client_without_retries().await, "cassandra");
    let lp = ListParams::default();
    assert!(pods.list(&lp).await.is_ok(), "1st passes");
    let err = must_fail(pods.list(&lp).await, "2nd fails");
    let (code, reason, _) = api_error(err);
    assert_eq!((code, reason.as_str()), (503, "ServiceUnavailable"));
    let err = must_fail(pods.list(&lp).await, "3rd fails too (times: 2)");
    assert_eq!(api_error(err).0, 503);
    assert!(pods.list(&lp).await.is_ok(), "4th passes");
    assert!(
        pods.get("cassandra-0").await.is_ok(),
        "other verbs are not matched"
    );
    let log = h.sim.request_log();
    let statuses: Vec<u16> = log
        .iter()
        .filter(|r| r.verb == "list" && r.resource == "pods")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 503, 503, 200]);

    for (code, reason) in [
        (429, "TooManyRequests"),
        (500, "InternalError"),
        (403, "Forbidden"),
    ] {
        h.sim.add_fault(Fault::new(
            Some("get"),
            Some("pods"),
            FaultAction::Status(code),
        ));
        let err = must_fail(pods.get("cassandra-0").await, "injected");
        let (c, r, _) = api_error(err);
        assert_eq!((c, r.as_str()), (code, reason));
    }
}

#[tokio::test]
async fn kube_rs_default_client_retries_a_single_503() {
    let (h, pods) = pods_with_fault("get", FaultAction::Status(503)).await;
    assert!(
        pods.get("cassandra-0").await.is_ok(),
        "retried transparently"
    );
    let statuses: Vec<u16> = h
        .sim
        .request_log()
        .iter()
        .filter(|r| r.verb == "get")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 200]);
}

#[tokio::test]
async fn faults_can_target_a_group_and_a_name() {
    let h = SimHandle::cassandra();
    let mut f = Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::Status(500),
    );
    f.group = Some("snapshot.storage.k8s.io".into());
    h.sim.add_fault(f);
    let client = h.client().await;
    // The fault is for the CSI group: the STORK create passes.
    snapshot_cassandra_0(client.clone(), "s").await;
    let mut by_name = Fault::new(Some("get"), None, FaultAction::Status(500));
    by_name.name = Some("cassandra-2".into());
    by_name.times = 0;
    h.sim.add_fault(by_name);
    let pods: Api<Pod> = Api::namespaced(client, "cassandra");
    assert!(pods.get("cassandra-1").await.is_ok());
    for _ in 0..3 {
        assert_eq!(
            api_error(pods.get("cassandra-2").await.unwrap_err()).0,
            500,
            "times 0 = forever"
        );
    }
    h.sim.clear_faults();
    assert!(pods.get("cassandra-2").await.is_ok());
}

#[tokio::test]
async fn delay_slows_the_response() {
    let (_sim, pods) = pods_with_fault("get", FaultAction::DelayMs(400)).await;
    let t = Instant::now();
    pods.get("cassandra-0").await.expect("get");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    let t = Instant::now();
    pods.get("cassandra-0").await.expect("get");
    assert!(t.elapsed() < Duration::from_millis(300), "only once");
}

#[tokio::test]
async fn watch_is_dropped_after_k_events() {
    let (_sim, pods) = pods_with_fault("watch", FaultAction::DropWatchAfterEvents(2)).await;
    let events: Vec<_> = tokio::time::timeout(
        Duration::from_secs(5),
        pods.watch(&WatchParams::default().timeout(30), "0")
            .await
            .expect("watch")
            .try_collect::<Vec<_>>(),
    )
    .await
    .expect("the stream ends early")
    .expect("events");
    let objects = events
        .iter()
        .filter(|e| !matches!(e, WatchEvent::Bookmark(_)))
        .count();
    assert_eq!(objects, 2, "{events:?}");
}

#[tokio::test]
async fn control_endpoint_adds_and_clears_faults_and_controller_settings() {
    let h = SimHandle::cassandra();
    let client = h.client_without_retries().await;
    let added: Value = client
        .request(sim_request(
            Method::POST,
            "/sim/faults",
            json!({"verb": "get", "resource": "pods", "action": {"status": 503}, "times": 0}),
        ))
        .await
        .expect("POST /sim/faults");
    assert_eq!(added["added"], 1);
    let pods: Api<Pod> = Api::namespaced(client.clone(), "cassandra");
    assert_eq!(api_error(pods.get("cassandra-0").await.unwrap_err()).0, 503);
    let _: Value = client
        .request(sim_request(Method::DELETE, "/sim/faults", json!({})))
        .await
        .expect("DELETE /sim/faults");
    assert!(pods.get("cassandra-0").await.is_ok());
    let bad = client
        .request::<Value>(sim_request(
            Method::POST,
            "/sim/faults",
            json!({"action": {"explode": 1}}),
        ))
        .await;
    assert_eq!(api_error(bad.unwrap_err()).0, 400);

    // Controller faults: hang, then fail a PVC's snapshots, then recover.
    let _: Value = client
        .request(sim_request(
            Method::POST,
            "/sim/faults",
            json!({"controller": {"hang": true}}),
        ))
        .await
        .expect("hang");
    let snaps = snapshot_cassandra_0(client.clone(), "s").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(status_of(&snaps, "s").await.is_none(), "hung");
    let settings: Value = client
        .request(sim_request(
            Method::POST,
            "/sim/faults",
            json!({"controller": {"hang": false, "failSnapshotsOfPvcs": ["cassandra-data-cassandra-0"], "retryIntervalMs": 100}}),
        ))
        .await
        .expect("fail");
    assert_eq!(settings["hang"], false);
    eventually(5, "Error condition", || async {
        let o = snaps.get("s").await.ok()?;
        (o.data["status"]["conditions"][0]["type"] == "Error").then_some(())
    })
    .await;
    let timeline: Value = client
        .request(sim_request(Method::GET, "/sim/timeline", json!({})))
        .await
        .expect("timeline");
    assert!(
        timeline
            .as_array()
            .is_some_and(|t| t.iter().any(|e| e["kind"] == "snapshotError"))
    );
    let requests: Value = client
        .request(sim_request(Method::GET, "/sim/requests", json!({})))
        .await
        .expect("requests");
    assert!(requests.as_array().is_some_and(|r| {
        r.iter()
            .any(|e| e["verb"] == "create" && e["resource"] == "volumesnapshots")
    }));
}

async fn read_to_string(r: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let mut s = String::new();
    if let Some(mut r) = r {
        let _ = r.read_to_string(&mut s).await;
    }
    s
}

#[tokio::test]
async fn exec_runs_in_the_pod_dir_and_lands_on_the_timeline_before_the_cut() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "cassandra");
    let ap = AttachParams::default()
        .container("cassandra")
        .stdout(true)
        .stderr(true);
    let cmd = vec![
        "sh",
        "-c",
        "nodetool flush > flushed.txt; echo out; echo err >&2; exit 3",
    ];
    let mut p = pods.exec("cassandra-0", cmd, &ap).await.expect("exec");
    let status = p.take_status().expect("status");
    let (out, err, status) = tokio::join!(
        read_to_string(p.stdout()),
        read_to_string(p.stderr()),
        status
    );
    assert_eq!((out.as_str(), err.as_str()), ("out\n", "err\n"));
    let status = status.expect("a final status");
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    let flushed = std::fs::read_to_string(
        h.sim
            .pod_dir("cassandra", "cassandra-0")
            .join("flushed.txt"),
    )
    .expect("file in pod dir");
    assert!(flushed.starts_with("nodetool flush"), "{flushed}");
    // Then a snapshot: its cut is after the exec ended.
    snapshot_cassandra_0(client.clone(), "s").await;
    let tl = eventually(5, "snapshot cut", || async {
        let tl = h.sim.timeline();
        tl.iter()
            .any(|e| e.kind == TimelineKind::SnapshotCut)
            .then_some(tl)
    })
    .await;
    let end = tl
        .iter()
        .find(|e| e.kind == TimelineKind::ExecEnd)
        .expect("execEnd");
    let start = tl
        .iter()
        .find(|e| e.kind == TimelineKind::ExecStart)
        .expect("execStart");
    let cut = tl
        .iter()
        .find(|e| e.kind == TimelineKind::SnapshotCut)
        .expect("cut");
    assert_eq!(end.exit_code, Some(3));
    assert_eq!(start.container.as_deref(), Some("cassandra"));
    assert!(start.at_ns < end.at_ns && end.at_ns < cut.at_ns);
    // Bad exec requests get the API server's errors.
    let err = pods
        .exec(
            "cassandra-0",
            vec!["true"],
            &AttachParams::default().container("nope"),
        )
        .await
        .err()
        .expect("error");
    assert!(
        format!("{err:?}").contains("container nope is not valid for pod cassandra-0"),
        "{err:?}"
    );
    let err = pods
        .exec("no-such-pod", vec!["true"], &AttachParams::default())
        .await
        .err()
        .expect("error");
    assert!(
        format!("{err:?}").contains("404") || format!("{err:?}").contains("not found"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_exec_kills_the_command_and_records_137() {
    let (h, pods) = pods_with_fault("exec", FaultAction::CutExecAfterMs(200)).await;
    let ap = AttachParams::default()
        .container("cassandra")
        .stdout(true)
        .stderr(true);
    let t = Instant::now();
    let mut p = pods
        .exec(
            "cassandra-1",
            vec!["sh", "-c", "echo started; sleep 5; echo never"],
            &ap,
        )
        .await
        .expect("exec");
    // kube-rs ends the status (None) and join (with the reset error) on a cut; its
    // stdout reader does not see EOF, so do not wait on it.
    let status = p.take_status().expect("status");
    let status = tokio::time::timeout(Duration::from_secs(4), status)
        .await
        .unwrap_or_else(|_| panic!("cut early; timeline {:?}", h.sim.timeline()));
    assert!(status.is_none(), "no Status after a cut: {status:?}");
    let joined = tokio::time::timeout(Duration::from_secs(2), p.join())
        .await
        .expect("join ends");
    assert!(joined.is_err(), "the connection was reset: {joined:?}");
    assert!(t.elapsed() < Duration::from_secs(3));
    let end = eventually(5, "execEnd", || async {
        h.sim
            .timeline()
            .into_iter()
            .find(|e| e.kind == TimelineKind::ExecEnd)
    })
    .await;
    assert_eq!(end.exit_code, Some(137));
    assert!(
        end.detail.as_deref().unwrap_or("").contains("cut"),
        "{:?}",
        end.detail
    );
}

/// A bodiless GET of `path`, for reading an answer's headers and text.
fn get_request(path: &str) -> Request<kube::client::Body> {
    Request::builder()
        .uri(path)
        .body(kube::client::Body::empty())
        .expect("request")
}

/// Whether `call` is still unanswered after half a second.
async fn unanswered<T>(call: impl std::future::Future<Output = T>) -> bool {
    tokio::time::timeout(Duration::from_millis(500), call)
        .await
        .is_err()
}

#[tokio::test]
async fn hang_never_answers_one_path_or_every_path_but_sim() {
    let h = SimHandle::cassandra();
    let client = h.client_without_retries().await;
    let mut version = Fault::new(None, None, FaultAction::Hang);
    version.path = Some("/version".into());
    version.times = 0;
    h.sim.add_fault(version);
    assert!(unanswered(client.apiserver_version()).await, "/version");
    assert!(client.list_api_groups().await.is_ok(), "other paths answer");
    h.sim.clear_faults();

    let mut everything = Fault::new(None, None, FaultAction::Hang);
    everything.path = Some("*".into());
    everything.times = 0;
    h.sim.add_fault(everything);
    let pods: Api<Pod> = Api::namespaced(client.clone(), "cassandra");
    assert!(unanswered(client.list_core_api_versions()).await, "/api");
    assert!(unanswered(client.list_api_groups()).await, "/apis");
    assert!(unanswered(pods.list(&ListParams::default())).await, "pods");
    // The control endpoint still answers, so a test can lift the fault.
    let _: Value = client
        .request(sim_request(Method::DELETE, "/sim/faults", json!({})))
        .await
        .expect("DELETE /sim/faults");
    assert!(pods.list(&ListParams::default()).await.is_ok());
}

#[tokio::test]
async fn a_stalled_tls_handshake_never_completes() {
    let h = SimHandle::cassandra();
    h.sim
        .add_fault(Fault::new(None, None, FaultAction::StallTlsHandshake));
    let client = h.client_without_retries().await;
    assert!(unanswered(client.apiserver_version()).await);
    // The fault fired once (`times: 1`): the next connection's handshake completes.
    client
        .apiserver_version()
        .await
        .expect("the next handshake completes");
}

#[tokio::test]
async fn too_many_requests_is_apfs_plain_text_429_with_retry_after() {
    let (h, _pods) = pods_with_fault("list", FaultAction::TooManyRequests(2)).await;
    let client = h.client_without_retries().await;
    let response = client
        .send(get_request("/api/v1/namespaces/cassandra/pods"))
        .await
        .expect("an answer");
    let (parts, body) = response.into_parts();
    assert_eq!(parts.status, 429);
    assert_eq!(parts.headers["retry-after"], "2");
    assert_eq!(parts.headers["content-type"], "text/plain; charset=utf-8");
    assert!(
        parts
            .headers
            .contains_key("x-kubernetes-pf-prioritylevel-uid")
    );
    let body = http_body_util::BodyExt::collect(body)
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"Too many requests, please try again later.\n");
}

#[tokio::test]
async fn expire_continue_answers_a_continued_list_with_410() {
    let h = SimHandle::cassandra();
    let mut expire = Fault::new(Some("list"), Some("pods"), FaultAction::ExpireContinue);
    expire.nth = 2;
    h.sim.add_fault(expire);
    let pods: Api<Pod> = Api::namespaced(h.client_without_retries().await, "cassandra");
    let first = pods
        .list(&ListParams::default().limit(1))
        .await
        .expect("the first page is served");
    let token = first.metadata.continue_.expect("more pages");
    let expired = must_fail(
        pods.list(&ListParams::default().limit(1).continue_token(&token))
            .await,
        "the second page expires",
    );
    let kube::Error::Api(status) = expired else {
        panic!("expected a Status, got {expired:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
    let offered = status.metadata.and_then(|m| m.continue_).expect("a token");
    assert!(
        pods.list(&ListParams::default().continue_token(&offered))
            .await
            .is_ok(),
        "the offered token continues"
    );
}

/// `dropConnections` on a snapshot create, in the MySQL scenario whose execs outlive their
/// streams: the create is not served and gets no answer, an exec in flight loses its stream
/// without a Status while its command goes on, a watch ends, and the next request is served on
/// a new connection, as after an API server restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_connections_ends_every_stream_and_the_next_connection_is_served() {
    let h = SimHandle::start(Scenario::builtin("mysql").expect("built-in scenario"));
    h.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::DropConnections,
    ));
    let client = h.client_without_retries().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "db");
    let ap = AttachParams::default()
        .container("mysql")
        .stdout(true)
        .stderr(true);
    let script = "while [ ! -e go ]; do sleep 0.05; done; : > went";
    let mut exec = pods
        .exec("mysql-0", vec!["sh", "-c", script], &ap)
        .await
        .expect("exec");
    let status = exec.take_status().expect("status");
    eventually(5, "the exec's command started", || async {
        kind_seen(&h, TimelineKind::ExecStart).then_some(())
    })
    .await;
    let mut watch = pods
        .watch(&WatchParams::default().timeout(60), "0")
        .await
        .expect("watch")
        .boxed();
    eventually(5, "the watch started", || async {
        h.watch_started("pods", None).then_some(())
    })
    .await;

    let snaps: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "db", &res::stork_snapshot());
    let created = snaps
        .create(
            &PostParams::default(),
            &new_stork_snapshot("s", "mysql-data"),
        )
        .await;
    let err = must_fail(created, "the create's connection was dropped");
    assert!(
        !matches!(err, kube::Error::Api(_)),
        "no answer, not a Status: {err:?}"
    );
    let status = tokio::time::timeout(Duration::from_secs(2), status)
        .await
        .expect("the exec stream ended with the connection");
    assert!(status.is_none(), "no Status after a drop: {status:?}");
    let watch_ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(Some(_)) = watch.try_next().await {}
    })
    .await;
    assert!(watch_ended.is_ok(), "the watch ended with the connection");
    let dropped = h
        .sim
        .timeline()
        .into_iter()
        .find(|e| e.kind == TimelineKind::ConnectionsDropped)
        .expect("the drop is on the timeline");
    let count: usize = dropped
        .detail
        .as_deref()
        .and_then(|d| d.strip_suffix(" connections"))
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(
        count >= 3,
        "the exec's, the watch's and the create's: {count}"
    );

    let listed = snaps
        .list(&ListParams::default())
        .await
        .expect("served again");
    assert!(listed.items.is_empty(), "the dropped create was not served");
    assert!(!kind_seen(&h, TimelineKind::ExecEnd), "the command goes on");
    std::fs::write(h.sim.pod_dir("db", "mysql-0").join("go"), "").expect("write go");
    let end = eventually(5, "the command ended", || async {
        h.sim
            .timeline()
            .into_iter()
            .find(|e| e.kind == TimelineKind::ExecEnd)
    })
    .await;
    assert_eq!(end.exit_code, Some(0));
    assert!(
        end.detail
            .as_deref()
            .unwrap_or("")
            .contains("after its stream ended"),
        "{end:?}"
    );
    assert!(h.sim.pod_dir("db", "mysql-0").join("went").exists());
    assert_eq!(h.sim.faults_fired(), 1);
}

/// Whether the timeline has an entry of `kind` yet.
fn kind_seen(h: &SimHandle, kind: TimelineKind) -> bool {
    h.sim.timeline().iter().any(|e| e.kind == kind)
}
