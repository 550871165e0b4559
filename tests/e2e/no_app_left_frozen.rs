//! End-to-end: the release reaches every pod whose pre command may have started, in the ways a
//! run can go wrong around it that the happy-path tests do not cover — a stderr nobody reads
//! any more, a signal between two pre commands, an exec session that is slow to open — and
//! only those: a pod where the API server said nothing started gets no post command.

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::SimHandle;
use crate::run::*;
use pxsnap_sim::{Fault, FaultAction, TimelineKind};

/// pxsnap with its stderr on a pipe whose reader is already gone, as after `2>&1 | tee log`
/// once `tee` was killed by the same Ctrl-C: every write to stderr fails with EPIPE.
fn spawn_with_stderr_closed(sim: &SimHandle, args: &[&str]) -> Child {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pxsnap"))
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pxsnap");
    drop(child.stderr.take());
    child
}

/// Waits for a run that should have gone well despite its closed stderr: exit 0, the snapshot
/// Ready, the application thawed.
fn assert_snapshot_ready_and_app_thawed(sim: &SimHandle, child: Child) {
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 0, "exit status {:?}", out.status);
    assert_eq!(json(&out)["snapshot"]["status"], "Ready");
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn a_heartbeat_line_stderr_cannot_take_does_not_stop_the_release() {
    let sim = cassandra_with(|c| c.cloud_snapshot_delay_ms = 800);
    let child = spawn_with_stderr_closed(
        &sim,
        &[
            "cloud-snap",
            "cassandra-data",
            "--cred-id",
            "good-cred",
            "--pre",
            "nodetool flush",
            "--post",
            "echo thawed",
            "--heartbeat",
            "100ms",
            "-o",
            "json",
        ],
    );
    assert_snapshot_ready_and_app_thawed(&sim, child);
}

#[test]
fn ctrl_c_with_stderr_closed_still_releases() {
    let sim = cassandra();
    let child = spawn_with_stderr_closed(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--pre",
            "sleep 0.5; echo flushed",
            "--post",
            "echo thawed",
            "-o",
            "json",
        ],
    );
    let out = ctrl_c_once_started(&sim, child, "flushed");
    assert_eq!(json(&out)["error"]["step"], "interrupted");
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn a_signal_during_the_first_pre_command_starts_no_second_one() {
    let sim = cassandra();
    let child = spawn_pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--pre",
            "sleep 0.5; echo first-pre",
            "--pre",
            "echo second-pre",
            "--post",
            "echo thawed",
        ],
    );
    ctrl_c_once_started(&sim, child, "first-pre");
    let timeline = sim.sim.timeline();
    assert!(
        started(&timeline, "second-pre").is_empty(),
        "a pre command started after the signal: {timeline:#?}"
    );
    assert_cassandra_app_thawed(&timeline);
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn a_failed_pre_command_stops_the_pod_s_later_ones_on_every_pod() {
    // Two pods on one volume, one pre command each at a time: once the first pod's first pre
    // command fails, the other pod (already started) must not go on to its second one.
    let sim = scenario(serde_json::json!({
        "namespaces": ["default"],
        "storageClasses": [{"name": "px", "provisioner": "pxd.portworx.com"}],
        "pvcs": [{"namespace": "default", "name": "shared", "phase": "Bound",
                  "storageClass": "px", "driver": "pxd.portworx.com"}],
        "pods": [
            {"namespace": "default", "name": "fails", "labels": {}, "phase": "Running",
             "env": {"FAIL": "1"},
             "containers": [{"name": "app", "mounts": [{"volume": "d", "pvc": "shared", "path": "/d"}]}]},
            {"namespace": "default", "name": "slow", "labels": {}, "phase": "Running",
             "containers": [{"name": "app", "mounts": [{"volume": "d", "pvc": "shared", "path": "/d"}]}]}
        ],
        "stork": true
    }));
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "shared",
            "--pre",
            "if [ -n \"$FAIL\" ]; then exit 3; fi; sleep 0.5; echo first-pre",
            "--pre",
            "echo second-pre",
            "--post",
            "echo thawed",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    assert!(
        started(&timeline, "second-pre").is_empty(),
        "a pre command started after another pod's failed: {timeline:#?}"
    );
    let mut thawed = started(&timeline, "echo thawed");
    thawed.sort();
    assert_eq!(thawed, vec!["fails", "slow"]);
}

/// `snap cassandra-data --pre 'nodetool flush' --post 'echo thawed' -o json` and `extra`,
/// against a simulator where the exec requests meet `fault`.
fn snap_with_an_exec_fault(fault: Fault, extra: &[&str]) -> (SimHandle, Output) {
    let sim = cassandra();
    sim.sim.add_fault(fault);
    let out = pxsnap(
        &sim,
        &[SNAP_FLUSH_AND_THAW, &["-o", "json"], extra].concat(),
    );
    (sim, out)
}

/// [`snap_with_an_exec_fault`] where the post command's exec (the 2nd exec of the run) meets
/// `fault` once; the run must still succeed and thaw the app.
fn snap_with_a_faulty_post_exec(fault: FaultAction, extra: &[&str]) -> (SimHandle, Output) {
    let mut fault = Fault::new(Some("exec"), Some("pods"), fault);
    fault.nth = 2;
    let (sim, out) = snap_with_an_exec_fault(fault, extra);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_cassandra_app_thawed(&sim.sim.timeline());
    (sim, out)
}

#[test]
fn a_post_command_whose_exec_session_opens_too_late_is_retried() {
    // Answered only after the hook timeout: the command never started, so the app is still
    // frozen and a second attempt must reach it.
    let (sim, out) =
        snap_with_a_faulty_post_exec(FaultAction::DelayMs(3000), &["--hook-timeout", "1s"]);
    let timeline = sim.sim.timeline();
    let ended: Vec<_> = execs(&timeline, TimelineKind::ExecEnd)
        .into_iter()
        .filter(|e| command_of(e).contains("echo thawed"))
        .collect();
    assert_eq!(ended.len(), 1, "{timeline:#?}");
    let result = json(&out);
    let post = result["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .find(|h| h["phase"] == "post")
        .expect("a post record");
    assert_eq!(post["exitCode"], 0, "{result}");
}

#[test]
fn verbose_logs_stderr_cannot_take_do_not_stop_the_release() {
    let sim = cassandra();
    let child = spawn_with_stderr_closed(
        &sim,
        &[&["-v"], SNAP_FLUSH_AND_THAW, &["-o", "json"]].concat(),
    );
    assert_snapshot_ready_and_app_thawed(&sim, child);
}

#[test]
fn a_post_command_turned_away_with_429_is_retried() {
    // The API server's flow control refuses the post command's exec once.
    snap_with_a_faulty_post_exec(FaultAction::Status(429), &[]);
}

#[test]
fn a_failing_command_s_own_line_cannot_garble_the_error_line() {
    let sim = cassandra();
    // An escape sequence that would clear the screen, a carriage return, then the reason.
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--pre",
            r"printf 'starting\n\033[2Jcannot flush\r\n' >&2; exit 3",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(r"exited with code 3: \u{1b}[2Jcannot flush"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "a raw escape reached the terminal: {err:?}"
    );
}

#[test]
fn the_reason_survives_output_pxsnap_had_to_cut() {
    let sim = cassandra();
    // More than the 64 KiB pxsnap keeps, then the reason: the line quotes the last line it
    // kept (shortened), never its own truncation mark.
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--pre",
            "i=0; while [ $i -lt 2000 ]; do echo \"line $i of noise that fills the buffer quickly\" >&2; i=$((i+1)); done; exit 3",
        ],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("[output truncated]"), "{err}");
    // A whole line, not the part of one that fitted in the buffer.
    let quoted = err
        .split_once("exited with code 3: ")
        .map(|(_, rest)| rest)
        .expect("the command's line is quoted");
    assert!(quoted.starts_with("line "), "{err}");
    assert!(
        quoted.contains(" of noise that fills the buffer quickly"),
        "{err}"
    );
}

/// [`snap_with_an_exec_fault`] where the pre command's exec (the first of the run) meets
/// `fault`, and every later exec too unless `only_the_pre`.
fn snap_with_a_faulty_pre_exec(
    fault: FaultAction,
    only_the_pre: bool,
    extra: &[&str],
) -> (SimHandle, Output) {
    let mut fault = Fault::new(Some("exec"), Some("pods"), fault);
    fault.times = u32::from(only_the_pre);
    snap_with_an_exec_fault(fault, extra)
}

/// Runs a snapshot whose only pre exec meets `fault`, which the server must answer before
/// anything starts, and asserts how the run ends: the pre step failed with `needle`, and the
/// pod got no post command (none in the request log, none in the timeline), no warning about
/// its release, and no freeze window.
#[track_caller]
fn assert_a_refused_pre_gets_no_post(fault: FaultAction, needle: &str) {
    let (sim, out) = snap_with_a_faulty_pre_exec(fault, true, &[]);
    assert_fails_with(&out, 3, needle);
    assert_eq!(
        requests_of(&sim, "exec"),
        1,
        "only the refused pre exec was sent"
    );
    assert!(started(&sim.sim.timeline(), "").is_empty());
    let err = stderr(&out);
    assert!(!err.contains("may not have been released"), "{err}");
    assert!(!err.contains("warning:"), "{err}");
    let result = json(&out);
    assert_eq!(result["error"]["step"], "pre", "{result}");
    assert!(result["freeze"].is_null(), "{result}");
    assert_eq!(result["warnings"], serde_json::json!([]), "{result}");
    assert_eq!(
        result["hooks"].as_array().map(Vec::len),
        Some(1),
        "{result}"
    );
}

#[test]
fn a_pre_exec_refused_because_the_pod_s_node_is_gone_gets_no_post() {
    assert_a_refused_pre_gets_no_post(FaultAction::Status(404), "exec refused");
}

#[test]
fn a_pre_exec_refused_because_the_kubelet_is_unreachable_gets_no_post() {
    assert_a_refused_pre_gets_no_post(FaultAction::Status(500), "exec refused");
}

#[test]
fn a_pre_exec_refused_with_403_gets_no_post() {
    assert_a_refused_pre_gets_no_post(FaultAction::Status(403), "exec refused (HTTP 403");
}

#[test]
fn a_kubelet_unreachable_after_the_upgrade_means_the_pre_never_started() {
    // From 1.30 the API server answers the WebSocket upgrade first, then dials the kubelet:
    // its failure arrives as a Status on the error channel of a stream that did open.
    assert_a_refused_pre_gets_no_post(
        FaultAction::ExecStatusAfterUpgrade(500),
        "did not start: the API server could not reach the pod's kubelet (Internal error occurred: error sending request: Post \"https://10.0.0.1:10250/exec/default/cassandra-app-0/cassandra?command=sh&command=-c&command=nodetool+flush&error=1&output=1\": dial tcp 10.0.0.1:10250: connect: connection refused)",
    );
}

#[test]
fn a_pre_exec_never_answered_gets_one_bounded_post_attempt() {
    let began = Instant::now();
    let (sim, out) = snap_with_a_faulty_pre_exec(
        FaultAction::ExecNeverAnswered,
        false,
        &["--hook-timeout", "1s"],
    );
    let took = began.elapsed();
    assert_fails_with(
        &out,
        3,
        "got no answer to its exec request within 1.0s; whether it started is unknown",
    );
    assert_stderr_contains(
        &out,
        "warning: post command \"echo thawed\" in pod \"cassandra-app-0\" (container \"cassandra\") got no answer to its exec request within 1.0s; whether it started is unknown (tried once: the pre command's outcome there is unknown)",
    );
    let unanswered = sim
        .sim
        .timeline()
        .iter()
        .filter(|e| e.kind == TimelineKind::ExecUnanswered)
        .count();
    assert_eq!(unanswered, 2, "the pre exec and one post attempt");
    // Each attempt is bounded by --hook-timeout: two of them, not the pre and three posts.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
