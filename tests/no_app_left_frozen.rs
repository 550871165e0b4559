//! End-to-end: the release reaches every pod whose pre command started, in the ways a run can
//! go wrong around it that the happy-path tests do not cover — a stderr nobody reads any more,
//! a signal between two pre commands, an exec session that is slow to open.

mod common;

use std::process::{Child, Stdio};

use common::SimHandle;
use common::run::*;

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

fn wait_for_pre(sim: &SimHandle, needle: &str) {
    wait_for("the pre command to start", || {
        !started(&sim.sim.timeline(), needle).is_empty()
    });
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
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 0, "exit status {:?}", out.status);
    assert_eq!(json(&out)["snapshot"]["status"], "Ready");
    assert_eq!(
        started(&sim.sim.timeline(), "echo thawed"),
        vec!["cassandra-app-0"]
    );
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
    wait_for_pre(&sim, "flushed");
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "exit status {:?}", out.status);
    assert_eq!(json(&out)["error"]["step"], "interrupted");
    assert_eq!(
        started(&sim.sim.timeline(), "echo thawed"),
        vec!["cassandra-app-0"]
    );
}
