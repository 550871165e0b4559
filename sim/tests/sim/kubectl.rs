//! The real kubectl against pxsnap-sim. Each test skips (saying so) when kubectl is not
//! on PATH; each gets its own simulator, HOME and discovery cache.

use std::io::Read;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::assert_stderr_contains;
use crate::common::{SimHandle, cassandra_pod_reader, tool};
use pxsnap_sim::discovery::KubeVersion;
use pxsnap_sim::scenario::{RuleSpec, UserSpec};
use pxsnap_sim::{ControllerSettings, Scenario, SimOptions};
use serde_json::json;

fn fast_cassandra() -> SimHandle {
    let mut s = Scenario::builtin("cassandra").expect("builtin");
    s.controller = ControllerSettings {
        snapshot_delay_ms: 50,
        ..ControllerSettings::default()
    };
    s.users.push(cassandra_pod_reader("viewer"));
    SimHandle::start_with(SimOptions::new(s))
}

/// The simulator for a kubectl test, or None (saying the test is skipped) when kubectl is
/// not on PATH.
fn sim_for_kubectl() -> Option<SimHandle> {
    tool("kubectl", "kubectl against the simulator")?;
    Some(fast_cassandra())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(h: &SimHandle, args: &[&str]) -> String {
    let out = kubectl(h, args);
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn kubectl(h: &SimHandle, args: &[&str]) -> Output {
    h.run_kubectl(args).expect("kubectl on PATH (checked)")
}

/// `kubectl exec -n cassandra TARGET -- COMMAND`, where `target` is the pod and maybe `-c`.
fn exec_in(h: &SimHandle, target: &[&str], command: &[&str]) -> Output {
    kubectl(
        h,
        &[&["exec", "-n", "cassandra"][..], target, &["--"], command].concat(),
    )
}

/// `kubectl wait` until snapshot snap-1 of `STORK_SNAPSHOT` is Ready.
fn wait_for_snap_1(h: &SimHandle) -> String {
    ok(
        h,
        &[
            "wait",
            "--for=condition=Ready",
            "svs/snap-1",
            "-n",
            "cassandra",
            "--timeout=20s",
        ],
    )
}

/// `kubectl get WHAT` fails (exit 1) with the server's NotFound for `object`
/// (`plural "name"`, the way the server words it).
fn assert_gone(h: &SimHandle, what: &[&str], object: &str) {
    let out = kubectl(h, &[&["get"], what].concat());
    assert_eq!(out.status.code(), Some(1), "kubectl get {what:?}");
    assert_stderr_contains(
        &out,
        &format!("Error from server (NotFound): {object} not found"),
    );
}

/// `kubectl get KIND NAME [-n NS] -o json`, parsed.
fn get_json(h: &SimHandle, what: &[&str]) -> serde_json::Value {
    let out = ok(h, &[&["get"], what, &["-o", "json"]].concat());
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("kubectl get {what:?}: {e}\n{out}"))
}

const STORK_SNAPSHOT: &str = r#"apiVersion: volumesnapshot.external-storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: snap-1
  namespace: cassandra
spec:
  persistentVolumeClaimName: cassandra-data-cassandra-0
"#;

const CSI_SNAPSHOT: &str = r#"apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: csi-1
  namespace: cassandra
spec:
  volumeSnapshotClassName: px-csi-snapclass
  source:
    persistentVolumeClaimName: cassandra-data-cassandra-1
"#;

#[test]
fn get_pods_and_pvcs_across_namespaces() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let out = ok(&h, &["get", "pods,pvc", "-A"]);
    for want in [
        "pod/cassandra-0",
        "pod/cassandra-2",
        "pod/cassandra-app-0",
        "persistentvolumeclaim/cassandra-data-cassandra-1",
        "persistentvolumeclaim/cassandra-data",
    ] {
        assert!(out.contains(want), "{want} missing from:\n{out}");
    }
    assert!(
        out.lines()
            .any(|l| l.starts_with("cassandra ") && l.contains("pod/cassandra-1")),
        "{out}"
    );
    let version = ok(&h, &["version", "-o", "json"]);
    assert!(version.contains("\"gitVersion\": \"v1.33.0\""), "{version}");
}

#[test]
fn create_wait_get_and_delete_a_stork_snapshot() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let file = h.write_file("snap.yaml", STORK_SNAPSHOT);
    let file = file.to_str().expect("utf-8 path");
    let out = ok(&h, &["create", "-f", file]);
    assert!(
        out.contains("volumesnapshot.volumesnapshot.external-storage.k8s.io/snap-1 created"),
        "{out}"
    );
    let out = wait_for_snap_1(&h);
    assert!(out.contains("condition met"), "{out}");
    let out = ok(&h, &["get", "svs", "-n", "cassandra"]);
    assert!(out.contains("snap-1"), "{out}");
    let data = ok(
        &h,
        &[
            "get",
            "svs",
            "snap-1",
            "-n",
            "cassandra",
            "-o",
            "jsonpath={.spec.snapshotDataName}",
        ],
    );
    assert!(data.starts_with("k8s-volume-snapshot-"), "{data}");
    let out = ok(&h, &["get", "svsd"]);
    assert!(out.contains(&data), "{out}");
    let dup = kubectl(&h, &["create", "-f", file]);
    assert!(!dup.status.success());
    assert_stderr_contains(&dup, "AlreadyExists");
    let out = ok(&h, &["delete", "-f", file]);
    assert!(out.contains("deleted"), "{out}");
    assert_gone(
        &h,
        &["svs", "snap-1", "-n", "cassandra"],
        "volumesnapshots.volumesnapshot.external-storage.k8s.io \"snap-1\"",
    );
}

#[test]
fn create_from_a_list_document_and_yaml_of_core_objects() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "Rule", "metadata": {"name": "pre", "namespace": "cassandra"},
         "rules": [{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "nodetool flush"}]}]},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "restore"}}]}"#;
    let file = h.write_file("list.json", list);
    let out = ok(&h, &["create", "-f", file.to_str().expect("utf-8")]);
    assert!(
        out.contains("rule.stork.libopenstorage.org/pre created"),
        "{out}"
    );
    assert!(out.contains("namespace/restore created"), "{out}");
    let rules = ok(
        &h,
        &[
            "get",
            "rules.stork.libopenstorage.org",
            "-n",
            "cassandra",
            "-o",
            "name",
        ],
    );
    assert_eq!(rules.trim(), "rule.stork.libopenstorage.org/pre");
}

#[test]
fn csi_snapshot_by_short_name_and_jsonpath_wait() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let file = h.write_file("vs.yaml", CSI_SNAPSHOT);
    ok(&h, &["create", "-f", file.to_str().expect("utf-8")]);
    let out = ok(
        &h,
        &[
            "wait",
            "--for=jsonpath={.status.readyToUse}=true",
            "vs/csi-1",
            "-n",
            "cassandra",
            "--timeout=20s",
        ],
    );
    assert!(out.contains("condition met"), "{out}");
    let out = ok(&h, &["get", "vs", "-n", "cassandra"]);
    assert!(out.contains("csi-1"), "{out}");
    let out = ok(&h, &["get", "vsc", "-o", "name"]);
    assert!(
        out.contains("volumesnapshotcontent.snapshot.storage.k8s.io/snapcontent-"),
        "{out}"
    );
}

#[test]
fn get_watch_streams_changes() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let mut cmd = h.kubectl().expect("kubectl");
    let mut child = cmd
        .args([
            "get",
            "svs",
            "-n",
            "cassandra",
            "-w",
            "--output-watch-events",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubectl get -w");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !h.watch_started("volumesnapshots", None) {
        assert!(
            Instant::now() < deadline,
            "kubectl get -w never started its watch"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let file = h.write_file("snap.yaml", STORK_SNAPSHOT);
    ok(&h, &["create", "-f", file.to_str().expect("utf-8")]);
    wait_for_snap_1(&h);
    ok(&h, &["delete", "svs", "snap-1", "-n", "cassandra"]);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    for ev in ["ADDED", "MODIFIED", "DELETED"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(ev) && l.contains("snap-1")),
            "{ev} missing:\n{out}"
        );
    }
}

#[test]
fn exec_prints_both_streams_and_exits_with_the_command_code() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let out = exec_in(
        &h,
        &["cassandra-0", "-c", "cassandra"],
        &["sh", "-c", "echo out; echo err >&2; exit 3"],
    );
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "out\n");
    assert!(
        text(&out.stderr).starts_with("err\n"),
        "{}",
        text(&out.stderr)
    );
    let bad = exec_in(&h, &["cassandra-0", "-c", "nope"], &["true"]);
    assert_stderr_contains(&bad, "container nope is not valid for pod cassandra-0");
    let flushed = exec_in(&h, &["cassandra-1"], &["nodetool", "flush"]);
    assert_eq!(
        text(&flushed.stdout),
        "nodetool flush: ok\n",
        "the pod's shim is on PATH"
    );
}

#[test]
fn restricted_user_context_gets_forbidden() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let out = ok(
        &h,
        &[
            "--context",
            "pxsnap-sim-viewer",
            "get",
            "pods",
            "-n",
            "cassandra",
            "-o",
            "name",
        ],
    );
    assert_eq!(out.lines().count(), 3, "{out}");
    let denied = kubectl(
        &h,
        &[
            "--context",
            "pxsnap-sim-viewer",
            "get",
            "pods",
            "-n",
            "default",
        ],
    );
    assert!(!denied.status.success());
    assert_stderr_contains(
        &denied,
        "Error from server (Forbidden): pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
    );
}

/// `kubectl create namespace db`, then `kubectl create secret generic creds -n db` with
/// `literals`: both bodies protobuf.
fn create_db_and_secret(h: &SimHandle, literals: &[&str]) {
    assert_eq!(
        ok(h, &["create", "namespace", "db"]).trim(),
        "namespace/db created"
    );
    let out = ok(
        h,
        &[
            &["create", "secret", "generic", "creds", "-n", "db"],
            literals,
        ]
        .concat(),
    );
    assert_eq!(out.trim(), "secret/creds created");
}

/// kubectl's typed `create` subcommands send protobuf; a CI script's usual first steps.
#[test]
fn imperative_create_of_namespace_secret_and_configmap() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    create_db_and_secret(
        &h,
        &[
            "--from-literal=user=admin",
            "--from-literal=password=s3cr=t",
        ],
    );
    let out = ok(
        &h,
        &[
            "create",
            "configmap",
            "cfg",
            "-n",
            "db",
            "--from-literal=mode=fast",
        ],
    );
    assert_eq!(out.trim(), "configmap/cfg created");

    let ns = get_json(&h, &["namespace", "db"]);
    assert_eq!(ns["status"]["phase"], "Active", "{ns}");
    let secret = get_json(&h, &["secret", "creds", "-n", "db"]);
    assert_eq!(
        (&secret["type"], &secret["data"]),
        (
            &json!("Opaque"),
            &json!({"user": "YWRtaW4=", "password": "czNjcj10"})
        ),
        "{secret}"
    );
    let cm = get_json(&h, &["configmap", "cfg", "-n", "db"]);
    assert_eq!(cm["data"], json!({"mode": "fast"}), "{cm}");
}

/// Label, annotate and delete what `kubectl create` made: JSON merge patches and a JSON
/// `DeleteOptions`, then the namespace takes its contents with it.
#[test]
fn label_annotate_and_delete_imperatively_created_objects() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    create_db_and_secret(&h, &["--from-literal=a=b"]);
    assert_eq!(
        ok(&h, &["label", "namespace", "db", "team=storage"]).trim(),
        "namespace/db labeled"
    );
    assert_eq!(
        ok(&h, &["annotate", "secret", "creds", "-n", "db", "owner=ci"]).trim(),
        "secret/creds annotated"
    );
    let ns = get_json(&h, &["namespace", "db"]);
    assert_eq!(
        ns["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "db", "team": "storage"}),
        "{ns}"
    );
    let secret = get_json(&h, &["secret", "creds", "-n", "db"]);
    assert_eq!(
        secret["metadata"]["annotations"],
        json!({"owner": "ci"}),
        "{secret}"
    );
    assert_eq!(
        secret["data"],
        json!({"a": "Yg=="}),
        "annotating kept the data"
    );

    assert_eq!(
        ok(&h, &["delete", "secret", "creds", "-n", "db"]).trim(),
        "secret \"creds\" deleted"
    );
    assert_gone(&h, &["secret", "creds", "-n", "db"], "secrets \"creds\"");
    ok(&h, &["delete", "namespace", "db"]);
    assert_gone(&h, &["namespace", "db"], "namespaces \"db\"");
}

/// Secrets written as YAML: `stringData` lands in `data` (base64), as a real server does it.
#[test]
fn secret_string_data_is_folded_into_data() {
    let Some(h) = sim_for_kubectl() else {
        return;
    };
    let file = h.write_file(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: cassandra\ndata:\n  a: YQ==\nstringData:\n  b: bee\n",
    );
    ok(&h, &["create", "-f", file.to_str().expect("utf-8")]);
    let secret = get_json(&h, &["secret", "tls", "-n", "cassandra"]);
    assert_eq!(
        secret["data"],
        json!({"a": "YQ==", "b": "YmVl"}),
        "{secret}"
    );
    assert_eq!(secret["type"], "Opaque", "{secret}");
    assert!(secret.get("stringData").is_none(), "write-only: {secret}");
    let out = ok(
        &h,
        &[
            "get",
            "secrets",
            "-n",
            "cassandra",
            "--field-selector",
            "type=Opaque",
            "-o",
            "name",
        ],
    );
    assert_eq!(out.trim(), "secret/tls");
}

/// A user who may read pods in namespace cassandra and use `verb` on their pods/exec.
fn exec_user(name: &str, verb: &str) -> UserSpec {
    let mut user = cassandra_pod_reader(name);
    user.rules.push(RuleSpec {
        verbs: vec![verb.into()],
        api_groups: vec!["".into()],
        resources: vec!["pods/exec".into()],
        namespaces: vec!["cassandra".into()],
        resource_names: vec![],
    });
    user
}

/// The cassandra scenario on an API server of `version`, with user `creator` (create on
/// pods/exec) and `getter` (get on pods/exec); None (saying so) without kubectl.
fn exec_users_on(version: &str) -> Option<SimHandle> {
    tool("kubectl", "kubectl exec against the simulator")?;
    let mut s = Scenario::builtin("cassandra").expect("builtin");
    s.server_version = KubeVersion::try_from(version.to_string()).expect("a version");
    s.users = vec![exec_user("creator", "create"), exec_user("getter", "get")];
    Some(SimHandle::start(s))
}

/// `kubectl exec` into cassandra-0 as `user`.
fn exec_as(h: &SimHandle, user: &str) -> Output {
    let context = format!("pxsnap-sim-{user}");
    exec_in(
        h,
        &["--context", &context, "cassandra-0"],
        &["echo", "in the pod"],
    )
}

/// `kubectl exec` as `user`, which must fail after two requests: its WebSocket upgrade (a GET),
/// refused with 403, and the SPDY fallback kubectl makes then (a POST), answered `spdy_status`.
fn refused_exec_as(h: &SimHandle, user: &str, spdy_status: u16) -> Output {
    let out = exec_as(h, user);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let requests: Vec<(String, u16)> = h
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "exec" && r.user.as_deref() == Some(user))
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        requests,
        [("GET".to_string(), 403), ("POST".to_string(), spdy_status)]
    );
    out
}

#[test]
fn on_1_33_kubectl_exec_is_authorized_as_a_real_server_does() {
    let Some(h) = exec_users_on("v1.33.0") else {
        return;
    };
    // kubectl 1.33 opens exec over WebSocket, an HTTP GET, which a 1.33 server authorizes as
    // `get`: enough for getter.
    let out = exec_as(&h, "getter");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "in the pod\n");
    // creator's WebSocket upgrade is refused; kubectl then falls back to SPDY, which is
    // authorized as `create`: a real server runs the command there, the simulator (WebSocket
    // only) says that it cannot.
    let out = refused_exec_as(&h, "creator", 400);
    assert_stderr_contains(
        &out,
        "SPDY/3.1 (kubectl's fallback after a refused WebSocket upgrade) is not simulated",
    );
}

#[test]
fn on_1_35_kubectl_exec_needs_create_as_a_real_server_does() {
    let Some(h) = exec_users_on("v1.35.0") else {
        return;
    };
    // The WebSocket GET passes the `get` check and fails the second, `create`, one; kubectl's
    // SPDY fallback is then refused by the authorization filter, which says so.
    let out = refused_exec_as(&h, "getter", 403);
    assert_stderr_contains(
        &out,
        "Error from server (Forbidden): pods \"cassandra-0\" is forbidden: User \"getter\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"cassandra\"",
    );
}
