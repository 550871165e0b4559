//! End-to-end: what pxsnap does once the application is released — the API calls that explain
//! and clean up a failure, signals that arrive then, post commands that failed while another
//! error decides the exit code — and the warnings it does not print when it created nothing.
//!
//! The simulator's fault injection makes the API slow; the timeline and the request log show
//! what pxsnap did.

mod common;

use std::process::{Child, Output};
use std::time::Duration;

use common::SimHandle;
use common::run::*;

/// Waits for `child` to exit; kills it and fails the test when it is still running after
/// `secs` seconds (a hang is what several of these tests guard against).
fn exits_within(child: Child, secs: u64) -> Output {
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.expect("pxsnap exits"),
        Err(_) => {
            let pid = i32::try_from(pid).expect("pid fits in i32");
            // SAFETY: kill(2) on our own child, which has not been reaped (its waiter is blocked).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("pxsnap was still running after {secs}s; killed it");
        }
    }
}

fn warning_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("warning:")).collect()
}

fn error_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error:")).collect()
}

/// `snap cassandra-data -o json --name NAME --pre PRE --post POST`.
fn snap_args<'a>(name: &'a str, pre: &'a str, post: &'a str) -> Vec<&'a str> {
    let mut args = vec!["snap", "cassandra-data", "-o", "json", "--name", name];
    args.extend(["--pre", pre, "--post", post]);
    args
}

fn requests(sim: &SimHandle, verb: &str, resource: &str) -> usize {
    sim.sim
        .request_log()
        .iter()
        .filter(|r| r.verb == verb && r.resource == resource)
        .count()
}

/// `snap cassandra-data --name nightly` once, so that a second run's name clashes.
fn nightly_exists() -> SimHandle {
    let sim = cassandra();
    let first = pxsnap(&sim, &["snap", "cassandra-data", "--name", "nightly"]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    sim
}

#[test]
fn a_name_clash_is_one_error_line_and_no_warning() {
    let sim = nightly_exists();
    for extra in [&[][..], &["--keep-failed"][..]] {
        let out = pxsnap(
            &sim,
            &[
                &["snap", "cassandra-data", "--name", "nightly", "-o", "json"][..],
                extra,
            ]
            .concat(),
        );
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
        assert!(
            err.starts_with(r#"error: a VolumeSnapshot named "nightly" already exists in namespace "default"; choose another --name"#),
            "{extra:?}: {err}"
        );
        let result = json(&out);
        assert_eq!(result["warnings"], serde_json::json!([]), "{extra:?}");
        assert_eq!(result["snapshot"]["status"], "NotCreated");
    }
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
    // Nothing looked at the other object after the clash, let alone tried to delete it.
    assert_eq!(requests(&sim, "delete", "volumesnapshots"), 0);
}

#[test]
fn a_signal_before_the_create_says_nothing_about_an_object_of_that_name() {
    let sim = nightly_exists();
    let child = spawn_pxsnap(
        &sim,
        &snap_args("nightly", "sleep 1; echo flushed", "echo thawed"),
    );
    wait_for("the pre command to start", || {
        !started(&sim.sim.timeline(), "flushed").is_empty()
    });
    send_signal(&child, libc::SIGINT);
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 130, "{err}");
    assert!(warning_lines(&err).is_empty(), "{err}");
    assert_eq!(error_lines(&err).len(), 1, "{err}");
    let result = json(&out);
    assert_eq!(result["warnings"], serde_json::json!([]));
    assert_eq!(result["snapshot"]["status"], "NotCreated");
    assert_eq!(result["error"]["step"], "interrupted");
    assert_eq!(requests(&sim, "create", "volumesnapshots"), 1);
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
}
