//! End-to-end: the real `pxsnap` binary against pxsnap-sim over the network.
//!
//! Every test that freezes pods checks the simulator's timeline: every pre command ended before
//! the snapshot was cut, and every post command started after it (or, when nothing was cut,
//! after every pre command), in each failure case as well as the happy path.

use std::process::Output;

use crate::common::SimHandle;
use crate::run::*;
use pxsnap_sim::{Fault, FaultAction, Scenario, TimelineEvent, TimelineKind};
use serde_json::Value;

/// `snap TARGET --pre PRE --post POST` and `extra`, where `target` is the PVC, after `-n NS`
/// when it is not in namespace default: the arguments of every run with both hooks.
fn snap_args<'a>(
    target: &[&'a str],
    pre: &'a str,
    post: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let hooks = ["--pre", pre, "--post", post];
    [&["snap"][..], target, &hooks, extra].concat()
}

/// `pxsnap snap cassandra-data --pre PRE --post POST` and `extra`.
fn snap_cassandra_data(sim: &SimHandle, pre: &str, post: &str, extra: &[&str]) -> Output {
    pxsnap(sim, &snap_args(&["cassandra-data"], pre, post, extra))
}

/// `snap_cassandra_data`, spawned: for the tests that signal the run while it works.
fn spawn_snap_cassandra_data(
    sim: &SimHandle,
    pre: &str,
    post: &str,
    extra: &[&str],
) -> std::process::Child {
    spawn_pxsnap(sim, &snap_args(&["cassandra-data"], pre, post, extra))
}

/// A plain snapshot of cassandra-data named `name`, made before the run under test: an
/// object with that name which the later run did not create.
fn earlier_snapshot(sim: &SimHandle, name: &str) {
    let first = pxsnap(sim, &["snap", "cassandra-data", "--name", name]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
}

/// Waits until the run under test created snapshot `s1` in namespace default.
fn wait_for_s1(sim: &SimHandle) {
    wait_for("the snapshot to be created", || {
        snapshots(sim, "default") == vec!["s1"]
    });
}

/// The first exec event of `kind` whose command line contains `needle`.
fn first_exec<'a>(
    timeline: &'a [TimelineEvent],
    kind: TimelineKind,
    needle: &str,
) -> &'a TimelineEvent {
    execs(timeline, kind)
        .into_iter()
        .find(|e| command_of(e).contains(needle))
        .unwrap_or_else(|| panic!("no {kind:?} of a command with {needle:?}"))
}

/// The exit codes of the commands containing `needle`, in the order they ended.
fn exit_codes(timeline: &[TimelineEvent], needle: &str) -> Vec<Option<i32>> {
    execs(timeline, TimelineKind::ExecEnd)
        .into_iter()
        .filter(|e| command_of(e).contains(needle))
        .map(|e| e.exit_code)
        .collect()
}

/// The run most tests vary one condition around: flush, snapshot, thaw.
fn flush_and_thaw(sim: &SimHandle, extra: &[&str]) -> Output {
    snap_cassandra_data(sim, "nodetool flush", "echo thawed", extra)
}

#[test]
fn snap_freezes_snapshots_and_releases_in_order() {
    let sim = cassandra();
    let out = flush_and_thaw(&sim, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["kind"], "SnapResult");
    assert_eq!(result["snapshot"]["status"], "Ready");
    assert_eq!(result["snapshot"]["pvc"], "cassandra-data");
    assert_eq!(result["snapshot"]["namespace"], "default");
    assert!(
        result["snapshot"]["snapshotData"]
            .as_str()
            .is_some_and(|s| s.starts_with("k8s-volume-snapshot-"))
    );
    assert!(result["error"].is_null());
    let hooks = result["hooks"].as_array().expect("hooks");
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["phase"], "pre");
    assert_eq!(hooks[0]["pod"], "cassandra-app-0");
    assert_eq!(hooks[0]["exitCode"], 0);
    assert_eq!(hooks[1]["phase"], "post");
    assert_eq!(hooks[1]["stdout"], "thawed\n");
    assert!(result["freeze"]["durationMs"].as_u64().is_some());
    assert_ordered(&sim.sim.timeline(), "nodetool flush", "echo thawed");
}

/// pxsnap names itself in its User-Agent, so what it writes shows manager `pxsnap`.
#[test]
fn snapshots_pxsnap_creates_are_managed_by_pxsnap() {
    let sim = cassandra();
    earlier_snapshot(&sim, "mine");
    let snapshot = get_snapshot(&sim, "default", "mine");
    let entries = snapshot.metadata.managed_fields.unwrap_or_default();
    let created = entries
        .iter()
        .find(|e| e.manager.as_deref() == Some("pxsnap"));
    let fields = created.and_then(|e| e.fields_v1.as_ref()).map(|f| &f.0);
    assert!(
        fields.is_some_and(|f| f["f:spec"]["f:persistentVolumeClaimName"].is_object()),
        "{entries:?}"
    );
}

/// `-o yaml` quotes what a YAML 1.1 reader (PyYAML) would otherwise read as a timestamp, a
/// number or a boolean, as kubectl's YAML does, and keeps the report's field order.
#[test]
fn yaml_report_quotes_timestamps_and_keeps_field_order() {
    let sim = cassandra();
    let out = flush_and_thaw(&sim, &["-o", "yaml"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for quoted in [
        "  createdAt: \"20",
        "  readyAt: \"20",
        "  startedAt: \"20",
        "  stderr: \"\"\n",
    ] {
        assert!(text.contains(quoted), "{quoted} in {text}");
    }
    assert!(
        text.starts_with(
            "kind: SnapResult\nsnapshot:\n  apiVersion: volumesnapshot.external-storage.k8s.io/v1\n  kind: VolumeSnapshot\n  name: "
        ),
        "{text}"
    );
    let parsed: Value = serde_norway::from_str(&text).expect("YAML");
    assert_eq!(parsed["kind"], "SnapResult");
    assert!(
        parsed["snapshot"]["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

/// No request URL pxsnap sends has an empty query parameter or a bare `?` (kube's list
/// requests had both: `pods?`, `...?&limit=500`).
#[test]
fn request_urls_are_well_formed() {
    let sim = cassandra();
    earlier_snapshot(&sim, "mine");
    let listed = pxsnap(&sim, &["list"]);
    assert_eq!(code(&listed), 0, "{}", stderr(&listed));
    let log = sim.sim.request_log();
    assert!(log.iter().any(|r| r.verb == "list" && r.resource == "pods"));
    let malformed: Vec<String> = log
        .iter()
        .filter(|r| {
            r.query
                .as_deref()
                .is_some_and(|q| q.split('&').any(str::is_empty))
        })
        .map(|r| format!("{}?{}", r.path, r.query.as_deref().unwrap_or("")))
        .collect();
    assert!(malformed.is_empty(), "{malformed:?}");
}

#[test]
fn a_failing_pre_command_snapshots_nothing_and_still_releases() {
    let sim = cassandra();
    let out = snap_cassandra_data(
        &sim,
        "echo flushing; exit 7",
        "echo thawed",
        &["-o", "json"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["error"]["step"], "pre");
    assert_eq!(result["snapshot"]["status"], "NotCreated");
    let err = stderr(&out);
    assert!(
        err.contains("exited with code 7") && err.contains("cassandra-app-0"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    assert!(snapshots(&sim, "default").is_empty());
    let timeline = sim.sim.timeline();
    assert!(timeline.iter().all(|e| e.kind != TimelineKind::SnapshotCut));
    assert_cassandra_app_thawed(&timeline);
    let pre_end = execs(&timeline, TimelineKind::ExecEnd)[0].at_ns;
    assert!(execs(&timeline, TimelineKind::ExecStart)[1].at_ns > pre_end);
}

#[test]
fn a_snapshot_error_runs_post_then_deletes_the_snapshot() {
    let sim = cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    let out = flush_and_thaw(&sim, &["--name", "s1", "-o", "json"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["error"]["step"], "snapshot");
    assert_eq!(result["snapshot"]["status"], "Error");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert_stderr_contains(&out, "snapshot \"s1\" failed: snapshot failed due to err");
    assert!(
        snapshots(&sim, "default").is_empty(),
        "failed snapshot must be deleted"
    );
    let timeline = sim.sim.timeline();
    let error_at = timeline
        .iter()
        .find(|e| e.kind == TimelineKind::SnapshotError)
        .expect("error recorded")
        .at_ns;
    let post = first_exec(&timeline, TimelineKind::ExecStart, "thawed");
    assert!(post.at_ns > error_at);
}

#[test]
fn keep_failed_keeps_the_failed_snapshot() {
    let sim = cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--name", "s1", "--keep-failed"],
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert_eq!(snapshots(&sim, "default"), vec!["s1"]);
    assert_stderr_contains(&out, "kept because of --keep-failed");
}

#[test]
fn a_timeout_runs_post_deletes_and_exits_5() {
    let sim = cassandra_with(|c| c.hang = true);
    let out = flush_and_thaw(&sim, &["--timeout", "1s", "-o", "json"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["error"]["step"], "wait");
    assert_eq!(result["snapshot"]["status"], "TimedOut");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert_stderr_contains(&out, "timed out after 1.0s waiting for snapshot");
    assert!(snapshots(&sim, "default").is_empty());
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn a_failing_post_command_keeps_the_snapshot_and_exits_6() {
    let sim = cassandra();
    let out = snap_cassandra_data(
        &sim,
        "nodetool flush",
        "echo cannot thaw >&2; exit 2",
        &["--name", "s1", "-o", "json"],
    );
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["snapshot"]["status"], "Ready");
    assert_eq!(result["error"]["step"], "post");
    assert_stderr_contains(&out, "exited with code 2: cannot thaw");
    assert_eq!(snapshots(&sim, "default"), vec!["s1"]);
    assert_ordered(&sim.sim.timeline(), "nodetool flush", "cannot thaw");
}

#[test]
fn a_hung_pre_command_is_killed_at_the_hook_timeout() {
    let sim = cassandra();
    let out = snap_cassandra_data(
        &sim,
        "sleep 30",
        "echo thawed",
        &["--hook-timeout", "1s", "-o", "json"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["hooks"][0]["exitCode"], Value::Null);
    assert!(
        result["hooks"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out after 1.0s"))
    );
    let timeline = sim.sim.timeline();
    // The simulator saw the stream close and killed the command (137).
    let end = first_exec(&timeline, TimelineKind::ExecEnd, "sleep 30");
    assert_eq!(end.exit_code, Some(137));
    assert_cassandra_app_thawed(&timeline);
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn every_pod_whose_pre_started_gets_post_when_one_pod_fails() {
    let sim = cassandra();
    // A StatefulSet-style app: three pods, three PVCs. Freeze cassandra-0's volume with a
    // command that fails only in cassandra-1 — impossible here (one PVC, one pod), so use
    // the group of three through one PVC each and check per-pod release via the namespace.
    let target = ["-n", "cassandra", "cassandra-data-cassandra-1"];
    let out = pxsnap(
        &sim,
        &snap_args(&target, "exit 1", "echo thawed", &["-o", "json"]),
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(
        started(&sim.sim.timeline(), "echo thawed"),
        vec!["cassandra-1"]
    );
}

#[test]
fn pods_sharing_a_pvc_are_frozen_together_and_all_released() {
    let pods: Vec<Value> = (0..3)
        .map(|i| {
            serde_json::json!({
                "namespace": "db", "name": format!("web-{i}"),
                "containers": [{"name": "app", "mounts": [{"volume": "data", "pvc": "shared", "path": "/data"}]}]
            })
        })
        .collect();
    let sim = scenario(serde_json::json!({
        "namespaces": ["db"],
        "pvcs": [{"namespace": "db", "name": "shared"}],
        "pods": pods
    }));
    // web-1 fails its pre command; web-0 and web-2 were frozen concurrently and must thaw.
    let pre = r#"[ "$HOSTNAME" = web-1 ] && exit 9; echo frozen"#;
    let shared = ["-n", "db", "shared"];
    let out = pxsnap(
        &sim,
        &snap_args(&shared, pre, "echo thawed", &["-o", "json"]),
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let mut thawed = started(&sim.sim.timeline(), "echo thawed");
    thawed.sort();
    let mut pre_started = started(&sim.sim.timeline(), "frozen");
    pre_started.sort();
    assert_eq!(
        thawed, pre_started,
        "post must run exactly where pre started"
    );
    assert!(!thawed.is_empty());

    let ok = pxsnap(
        &sim,
        &snap_args(&shared, "echo frozen", "echo thawed2", &[]),
    );
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let mut thawed2 = started(&sim.sim.timeline(), "echo thawed2");
    thawed2.sort();
    assert_eq!(thawed2, vec!["web-0", "web-1", "web-2"]);
    assert_ordered(&sim.sim.timeline(), "echo frozen", "echo thawed2");
}

fn one_pvc_scenario(pvc: Value, pods: Value) -> SimHandle {
    scenario(serde_json::json!({"namespaces": ["db"], "pvcs": [pvc], "pods": pods}))
}

/// `pxsnap snap -n db data --pre PRE` and `extra`: PVC `data` of a `one_pvc_scenario`.
fn snap_db_data(sim: &SimHandle, pre: &str, extra: &[&str]) -> Output {
    pxsnap(
        sim,
        &[&["snap", "-n", "db", "data", "--pre", pre][..], extra].concat(),
    )
}

#[test]
fn pvc_problems_are_one_clear_line_each() {
    let sim = one_pvc_scenario(
        serde_json::json!({"namespace": "db", "name": "pending", "phase": "Pending"}),
        serde_json::json!([]),
    );
    let out = pxsnap(&sim, &["snap", "-n", "db", "missing"]);
    assert_fails_with(&out, 1, r#"PVC "missing" not found in namespace "db""#);
    let out = pxsnap(&sim, &["snap", "-n", "db", "pending"]);
    assert_fails_with(
        &out,
        1,
        r#"PVC "pending" in namespace "db" is not bound (phase Pending)"#,
    );

    let sim = one_pvc_scenario(
        serde_json::json!({"namespace": "db", "name": "ebs", "driver": "ebs.csi.aws.com"}),
        serde_json::json!([]),
    );
    let out = pxsnap(&sim, &["snap", "-n", "db", "ebs", "-o", "json"]);
    assert_fails_with(
        &out,
        1,
        "is not a Portworx volume (CSI driver \"ebs.csi.aws.com\")",
    );
    assert_eq!(json(&out)["error"]["step"], "pvc");
}

#[test]
fn container_choice_is_explicit_when_ambiguous() {
    let sim = one_pvc_scenario(
        serde_json::json!({"namespace": "db", "name": "data"}),
        serde_json::json!([{"namespace": "db", "name": "app-0", "containers": [
            {"name": "db", "mounts": [{"volume": "d", "pvc": "data", "path": "/data"}]},
            {"name": "backup", "mounts": [{"volume": "d", "pvc": "data", "path": "/backup"}]}
        ]}]),
    );
    let out = snap_db_data(&sim, "true", &[]);
    assert_fails_with(
        &out,
        2,
        "several containers mounting PVC \"data\" (db, backup); choose one with -c",
    );
    let out = snap_db_data(&sim, "true", &["-c", "nope"]);
    assert_fails_with(&out, 2, "has no container \"nope\" (it has: db, backup)");
    let out = snap_db_data(&sim, "echo in $0", &["-c", "backup", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["hooks"][0]["container"], "backup");
    assert!(
        sim.sim
            .timeline()
            .iter()
            .any(|e| e.container.as_deref() == Some("backup"))
    );
}

#[test]
fn no_running_pod_with_commands_is_refused_unless_allowed() {
    let sim = one_pvc_scenario(
        serde_json::json!({"namespace": "db", "name": "data"}),
        serde_json::json!([{"namespace": "db", "name": "app-0", "phase": "Pending",
            "containers": [{"name": "db", "mounts": [{"volume": "d", "pvc": "data", "path": "/data"}]}]}]),
    );
    let out = snap_db_data(&sim, "true", &[]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(
        err.contains("no running pod in namespace \"db\" mounts PVC \"data\""),
        "{err}"
    );
    assert!(
        err.contains("mounts PVC \"data\" (app-0: pod is Pending)"),
        "{err}"
    );
    assert!(snapshots(&sim, "db").is_empty());
    let out = snap_db_data(&sim, "true", &["--allow-no-pods", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["snapshot"]["status"], "Ready");
    assert!(json(&out)["hooks"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn a_terminating_pod_is_skipped_with_a_warning() {
    let mount = serde_json::json!([{"name": "db", "mounts": [{"volume": "d", "pvc": "data", "path": "/data"}]}]);
    let sim = one_pvc_scenario(
        serde_json::json!({"namespace": "db", "name": "data"}),
        serde_json::json!([
            {"namespace": "db", "name": "old-0", "terminating": true, "containers": mount},
            {"namespace": "db", "name": "new-0", "containers": mount}
        ]),
    );
    let out = pxsnap(
        &sim,
        &snap_args(
            &["-n", "db", "data"],
            "echo frozen",
            "echo thawed",
            &["-o", "json"],
        ),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let warning = "pod \"old-0\" mounts PVC \"data\" but pod is terminating (deleted at ";
    assert_stderr_contains(&out, &format!("warning: {warning}"));
    let result = json(&out);
    assert!(
        result["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with(warning) && w.ends_with("; no commands run there")),
        "{result}"
    );
    let timeline = sim.sim.timeline();
    assert_eq!(started(&timeline, "echo frozen"), vec!["new-0"]);
    assert_eq!(started(&timeline, "echo thawed"), vec!["new-0"]);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let sim = cassandra();
    let out = flush_and_thaw(&sim, &["--name", "s1", "--dry-run"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pre   PVC cassandra-data -> pod cassandra-app-0 -> container cassandra -> sh -c \"nodetool flush\""), "{text}");
    assert!(
        text.contains("persistentVolumeClaimName: cassandra-data"),
        "{text}"
    );
    assert!(snapshots(&sim, "default").is_empty());
    assert!(
        sim.sim
            .timeline()
            .iter()
            .all(|e| e.kind != TimelineKind::ExecStart)
    );
}

/// The plan replaces the result: one document per format, and the object is the one that would
/// be sent, apiVersion and kind included.
#[test]
fn dry_run_prints_one_document_in_every_format() {
    let sim = cassandra();
    let args = snap_args(
        &["cassandra-data"],
        "nodetool flush",
        "echo thawed",
        &["--name", "s1", "--dry-run"],
    );
    let plan = dry_run_documents(
        &sim,
        &args,
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/s1",
    );
    assert_eq!(plan["kind"], "SnapPlan");
    assert_eq!(
        plan["object"]["apiVersion"],
        "volumesnapshot.external-storage.k8s.io/v1"
    );
    assert_eq!(plan["object"]["kind"], "VolumeSnapshot");
    assert_eq!(plan["object"]["metadata"]["name"], "s1");
    assert_eq!(plan["hooks"][0]["command"], "nodetool flush");
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn no_wait_with_pre_needs_force() {
    let sim = cassandra();
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--pre", "true", "--no-wait"],
    );
    assert_fails_with(&out, 2, "add --force");
    assert!(sim.sim.timeline().is_empty());
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--no-wait",
            "--name",
            "s1",
            "-o",
            "name",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/s1\n"
    );
}

#[test]
fn labels_and_annotations_reach_the_object() {
    let sim = cassandra();
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--name",
            "s1",
            "--label",
            "team=dba",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let object = get_snapshot(&sim, "default", "s1");
    let labels = object.metadata.labels.expect("labels");
    assert_eq!(labels["team"], "dba");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "pxsnap");
    assert_eq!(
        object.metadata.annotations.expect("annotations")["portworx/snapshot-type"],
        "local"
    );
    assert_eq!(
        object.data["spec"]["persistentVolumeClaimName"],
        "cassandra-data"
    );
}

#[test]
fn usage_errors_exit_2_before_touching_the_cluster() {
    let sim = cassandra();
    for (args, says) in [
        (
            vec!["snap", "cassandra-data", "--timeout", "5"],
            "invalid duration \"5\"",
        ),
        (
            vec!["snap", "cassandra-data", "--timeout", "0"],
            "invalid duration \"0\"",
        ),
        (
            vec!["snap", "cassandra-data", "--hook-timeout", "1.5s"],
            "invalid duration",
        ),
        (
            vec!["snap", "cassandra-data", "--hook-timeout", "1ms"],
            "\"1ms\" is too short: a command needs time to start over the exec API; use at least 1s",
        ),
        (
            vec!["snap", "cassandra-data", "--parallel", "0"],
            "for '--parallel <N>'",
        ),
        (
            vec!["snap", "cassandra-data", "-o", "xml"],
            "[possible values: table, wide, json, yaml, name]",
        ),
        (
            vec!["snap", "cassandra-data", "--label", "novalue"],
            "novalue",
        ),
        (
            vec![
                "snap",
                "cassandra-data",
                "--label",
                "app.kubernetes.io/managed-by=me",
            ],
            "is set by pxsnap to mark the objects it made; choose another key",
        ),
        (
            vec!["snap", "cassandra-data", "--pre", " "],
            "for '--pre <CMD>': the command is empty",
        ),
        (
            vec!["snap"],
            "the following required arguments were not provided: <PVC>",
        ),
        (
            vec!["snap", "cassandra-data", "--hook-timout", "5s"],
            "unexpected argument '--hook-timout' found; tip: a similar argument exists: '--hook-timeout'",
        ),
    ] {
        let out = pxsnap(&sim, &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        // One line, as every other error, naming the problem and where help is.
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            err.trim_end().ends_with("(see 'pxsnap snap --help')"),
            "{args:?}: {err}"
        );
    }
    assert!(
        sim.sim.request_log().is_empty(),
        "usage errors must not reach the API"
    );
}

#[test]
fn transient_api_errors_are_retried() {
    let sim = cassandra();
    // The PVC read and the create each fail once with 503/500; both are retried.
    sim.sim.add_fault(Fault::new(
        Some("get"),
        Some("persistentvolumeclaims"),
        FaultAction::Status(500),
    ));
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::Status(503),
    ));
    let out = flush_and_thaw(&sim, &["--name", "s1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(snapshots(&sim, "default"), vec!["s1"]);
    let creates = sim
        .sim
        .request_log()
        .iter()
        .filter(|r| r.verb == "create" && r.resource == "volumesnapshots")
        .count();
    assert_eq!(creates, 2, "one failed create, one retry");
}

#[test]
fn a_dropped_watch_resumes() {
    let sim = cassandra_with(|c| c.snapshot_delay_ms = 600);
    sim.fault_every(
        "watch",
        "volumesnapshots",
        FaultAction::DropWatchAfterEvents(1),
    );
    let out = flush_and_thaw(&sim, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["snapshot"]["status"], "Ready");
    let watches = sim
        .sim
        .request_log()
        .iter()
        .filter(|r| r.verb == "watch" && r.resource == "volumesnapshots")
        .count();
    assert!(
        watches >= 2,
        "the watch must have been re-opened, saw {watches}"
    );
    assert_ordered(&sim.sim.timeline(), "nodetool flush", "echo thawed");
}

#[test]
fn a_post_command_whose_stream_is_cut_is_retried() {
    let sim = cassandra();
    // Cut the 2nd exec (the post command) mid-command; the retry must reach the pod.
    let mut fault = Fault::new(Some("exec"), Some("pods"), FaultAction::CutExecAfterMs(100));
    fault.nth = 2;
    sim.sim.add_fault(fault);
    let out = snap_cassandra_data(
        &sim,
        "nodetool flush",
        "sleep 0.5; echo thawed",
        &["-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let posts = started(&sim.sim.timeline(), "echo thawed");
    assert_eq!(posts.len(), 2, "the cut post command ran again");
    let ends = exit_codes(&sim.sim.timeline(), "echo thawed");
    assert_eq!(ends, vec![Some(137), Some(0)]);
}

#[test]
fn command_not_found_is_reported_from_the_shell() {
    let sim = cassandra();
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--pre", "no-such-tool --flush"],
    );
    assert_fails_with(&out, 3, "exited with code 127");
    assert_stderr_contains(&out, "not found");
}

fn signal_during_wait(signal: i32, expected_code: i32) {
    let sim = cassandra_with(|c| c.hang = true);
    let child = spawn_snap_cassandra_data(
        &sim,
        "nodetool flush",
        "echo thawed",
        &["--name", "s1", "-o", "json"],
    );
    wait_for_s1(&sim);
    send_signal(&child, signal);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), expected_code, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["error"]["step"], "interrupted");
    assert_eq!(result["snapshot"]["status"], "Interrupted");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert_cassandra_app_thawed(&sim.sim.timeline());
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn sigint_while_frozen_releases_first_then_exits_130() {
    signal_during_wait(libc::SIGINT, 130);
}

#[test]
fn sigterm_while_frozen_releases_first_then_exits_143() {
    signal_during_wait(libc::SIGTERM, 143);
}

#[test]
fn sigint_during_a_pre_command_lets_it_finish_then_releases() {
    let sim = cassandra();
    // An older snapshot with the name this run would use: an interrupted run must not touch it.
    earlier_snapshot(&sim, "weekly");
    let child = spawn_snap_cassandra_data(
        &sim,
        "sleep 1; echo flushed",
        "echo thawed",
        &["--name", "weekly"],
    );
    wait_until_started(&sim, "the pre command to start", "flushed");
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_fails_with(&out, 130, "letting running pre commands finish");
    let timeline = sim.sim.timeline();
    // The pre command was not cut: it ended normally, and the post came after it.
    let pre_end = first_exec(&timeline, TimelineKind::ExecEnd, "flushed");
    assert_eq!(pre_end.exit_code, Some(0));
    let post = first_exec(&timeline, TimelineKind::ExecStart, "thawed");
    assert!(post.at_ns > pre_end.at_ns);
    assert_eq!(
        snapshots(&sim, "default"),
        vec!["weekly"],
        "the older snapshot must survive"
    );
}

#[test]
fn an_existing_name_is_a_clash_not_an_adoption() {
    let sim = cassandra();
    earlier_snapshot(&sim, "nightly");
    let again = flush_and_thaw(&sim, &["--name", "nightly", "-o", "json"]);
    assert_fails_with(
        &again,
        2,
        r#"a VolumeSnapshot named "nightly" already exists in namespace "default""#,
    );
    assert!(!stderr(&again).contains("warning:"), "{}", stderr(&again));
    assert_eq!(json(&again)["snapshot"]["deleted"], false);
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn a_create_that_never_answers_is_bounded_by_the_timeout() {
    let sim = cassandra();
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::DelayMs(4000),
    ));
    let out = flush_and_thaw(&sim, &["--timeout", "1s", "--name", "s1", "-o", "json"]);
    assert_fails_with(
        &out,
        5,
        "waiting for the API server to answer create volumesnapshots.volumesnapshot.external-storage.k8s.io \"s1\"",
    );
    assert_cassandra_app_thawed(&sim.sim.timeline());
    assert_eq!(json(&out)["error"]["step"], "snapshot");
    // pxsnap found no object after giving up, but a real API server may still commit the
    // unanswered create (this simulator drops it with the connection), so the user is told.
    let warnings = json(&out)["warnings"].to_string();
    assert!(
        warnings.contains(r#"snapshot \"s1\" could not be confirmed created; none exists now, but the API server did not answer its create"#)
            && warnings.contains("pxsnap delete s1 -n default"),
        "{warnings}"
    );
    assert_stderr_contains(
        &out,
        "warning: snapshot \"s1\" could not be confirmed created",
    );
}

#[test]
fn ctrl_c_while_the_create_is_unanswered_warns_that_it_may_still_appear() {
    let sim = cassandra();
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::DelayMs(4000),
    ));
    let child = spawn_snap_cassandra_data(&sim, "nodetool flush", "echo thawed", &["--name", "s1"]);
    wait_for("the pre command to end", || {
        execs(&sim.sim.timeline(), TimelineKind::ExecEnd)
            .iter()
            .any(|e| command_of(e).contains("nodetool flush"))
    });
    // The create is sent right after the pre command; the simulator holds it for 4 s.
    wait_for("the create to reach the server", || {
        sim.sim.faults_fired() > 0
    });
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert_cassandra_app_thawed(&sim.sim.timeline());
    assert_stderr_contains(
        &out,
        "snapshot \"s1\" was interrupted; none exists now, but the API server did not answer its create",
    );
}

#[test]
fn a_create_the_api_server_refused_needs_no_warning() {
    let sim = cassandra();
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::Status(422),
    ));
    let out = flush_and_thaw(&sim, &["--name", "s1", "-o", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(json(&out)["error"]["step"], "snapshot");
    assert_eq!(json(&out)["warnings"], serde_json::json!([]));
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn connection_and_credential_errors_are_one_line() {
    let sim = cassandra();
    let dir = tempfile::tempdir().expect("tempdir");

    // A kubeconfig of its own: the simulator's with `from` replaced by `to`.
    let run_with = |name: &str, from: &str, to: &str, args: &[&str]| {
        let text = std::fs::read_to_string(&sim.kubeconfig_path).expect("kubeconfig");
        let path = dir.path().join(name);
        std::fs::write(&path, text.replace(from, to)).expect("write");
        assert_cmd::Command::cargo_bin("pxsnap")
            .expect("bin")
            .args(args)
            .arg("--kubeconfig")
            .arg(&path)
            .output()
            .expect("runs")
    };

    // Unreachable: a kubeconfig pointing at a closed port.
    let port = sim.sim.addr().port().to_string();
    let out = run_with("closed", &port, "1", &["snap", "x"]);
    assert_fails_with(
        &out,
        1,
        "cannot reach the Kubernetes API server at https://127.0.0.1:1",
    );

    // Bad kubeconfig file and unknown context.
    let whole = std::fs::read_to_string(&sim.kubeconfig_path).expect("kubeconfig");
    let out = run_with("garbage", &whole, "not: [a kubeconfig", &["snap", "x"]);
    assert_fails_with(&out, 1, "error: kubeconfig: cannot read");
    let out = pxsnap(&sim, &["snap", "x", "--context", "nope"]);
    assert_fails_with(&out, 1, "context \"nope\" not found (known: pxsnap-sim");

    // 401: a wrong token.
    let token = sim.sim.admin_token();
    let out = run_with(
        "wrong-token",
        token,
        "wrong-token",
        &["snap", "cassandra-data"],
    );
    assert_fails_with(&out, 1, "401 Unauthorized");
}

#[test]
fn forbidden_names_the_verb_and_resource() {
    let mut scenario = Scenario::builtin("cassandra-intree").expect("scenario");
    // From 1.35 `get` on everything no longer lets a reader exec (before, a WebSocket exec
    // needed only `get pods/exec`).
    scenario.server_version = "v1.35.0".to_string().try_into().expect("a version");
    scenario.users = vec![serde_json::from_value(serde_json::json!({
        "name": "reader", "token": "reader-token",
        "rules": [{"verbs": ["get", "list", "watch"], "apiGroups": ["*"], "resources": ["*"], "namespaces": ["*"]}]
    }))
    .expect("user")];
    let sim = SimHandle::start(scenario);
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--context",
            "pxsnap-sim-reader",
            "--pre",
            "nodetool flush",
        ],
    );
    assert_fails_with(
        &out,
        3,
        "exec refused: create pods/exec is forbidden in namespace \"default\"",
    );
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--context", "pxsnap-sim-reader"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("create volumesnapshots.volumesnapshot.external-storage.k8s.io is forbidden in namespace \"default\""), "{err}");
    assert!(err.contains("RBAC"), "{err}");
}

#[test]
fn a_cluster_without_stork_says_so() {
    // In-tree volumes: only STORK's API can snapshot them.
    let mut scenario = Scenario::builtin("cassandra-intree").expect("scenario");
    scenario.stork_crds = false;
    let sim = SimHandle::start(scenario);
    let out = pxsnap(&sim, &["snap", "cassandra-data"]);
    assert_fails_with(
        &out,
        1,
        "volumesnapshot.external-storage.k8s.io/v1 is not served by this cluster: is STORK installed?",
    );
}

#[test]
fn a_second_ctrl_c_during_the_release_says_what_is_still_frozen() {
    let sim = cassandra_with(|c| c.hang = true);
    let child = spawn_snap_cassandra_data(
        &sim,
        "nodetool flush",
        "sleep 1; echo thawed",
        &["--name", "s1"],
    );
    wait_for_s1(&sim);
    send_signal(&child, libc::SIGINT);
    wait_until_started(&sim, "the post command to start", "echo thawed");
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(r#"SIGINT received while releasing; still running post commands for: pod "cassandra-app-0" (container "cassandra") in namespace "default""#),
        "{err}"
    );
    // The second Ctrl-C did not cut the release short.
    let ends = exit_codes(&sim.sim.timeline(), "echo thawed");
    assert_eq!(ends, vec![Some(0)]);
}
