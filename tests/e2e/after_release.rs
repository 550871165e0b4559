//! End-to-end: what pxsnap does once the application is released — the API calls that explain
//! and clean up a failure, signals that arrive then, post commands that failed while another
//! error decides the exit code — and the warnings it does not print when it created nothing.
//!
//! The simulator's fault injection makes the API slow; the timeline and the request log show
//! what pxsnap did.

use std::process::{Child, Output};
use std::time::Duration;

use crate::common::SimHandle;
use crate::run::*;
use pxsnap_sim::{Fault, FaultAction, Scenario, TimelineKind};

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

/// The lines of `err` (all of stderr) that start with `prefix` (`warning:`, `error:`).
fn lines<'a>(err: &'a str, prefix: &str) -> Vec<&'a str> {
    err.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// Asserts that `err` (all of stderr) has one line starting with `prefix`, and that it
/// contains `text`.
fn one_line(err: &str, prefix: &str, text: &str) {
    let found = lines(err, prefix);
    assert_eq!(found.len(), 1, "{err}");
    assert!(found[0].contains(text), "{err}");
}

/// The words of `line` (arguments without spaces).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The words of `line`, then `--pre PRE --post POST -o json`.
fn args<'a>(line: &'a str, pre: &'a str, post: &'a str) -> Vec<&'a str> {
    let mut args = words(line);
    args.extend(["--pre", pre, "--post", post, "-o", "json"]);
    args
}

fn requests(sim: &SimHandle, verb: &str, resource: &str) -> usize {
    sim.sim
        .request_log()
        .iter()
        .filter(|r| r.verb == verb && r.resource == resource)
        .count()
}

// --- Nothing created, nothing to warn about ---

/// `snap cassandra-data --name nightly` once, so that a second run's name clashes.
fn nightly_exists() -> SimHandle {
    let sim = cassandra();
    let first = pxsnap(&sim, &words("snap cassandra-data --name nightly"));
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    sim
}

#[test]
fn a_name_clash_is_one_error_line_and_no_warning() {
    let sim = nightly_exists();
    for extra in ["", "--keep-failed"] {
        let line = format!("snap cassandra-data --name nightly -o json {extra}");
        let out = pxsnap(&sim, &words(&line));
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{extra}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra}: {err}");
        assert!(
            err.starts_with(r#"error: a VolumeSnapshot named "nightly" already exists in namespace "default"; choose another name (--name, or metadata.name of an applied manifest)"#),
            "{extra}: {err}"
        );
        let result = json(&out);
        assert_eq!(result["warnings"], serde_json::json!([]), "{extra}");
        assert_eq!(result["snapshot"]["status"], "NotCreated");
    }
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
    // Nothing looked at the other object after the clash, let alone tried to delete it.
    assert_eq!(requests(&sim, "delete", "volumesnapshots"), 0);
}

#[test]
fn a_signal_before_the_create_says_nothing_about_an_object_of_that_name() {
    let sim = nightly_exists();
    let line = "snap cassandra-data --name nightly";
    let child = spawn_pxsnap(&sim, &args(line, "sleep 1; echo flushed", "echo thawed"));
    wait_for("the pre command to start", || {
        !started(&sim.sim.timeline(), "flushed").is_empty()
    });
    send_signal(&child, libc::SIGINT);
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 130, "{err}");
    assert!(lines(&err, "warning:").is_empty(), "{err}");
    assert_eq!(lines(&err, "error:").len(), 1, "{err}");
    let result = json(&out);
    assert_eq!(result["warnings"], serde_json::json!([]));
    assert_eq!(result["snapshot"]["status"], "NotCreated");
    assert_eq!(result["error"]["step"], "interrupted");
    assert_eq!(requests(&sim, "create", "volumesnapshots"), 1);
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
}

// --- Failed post commands are always reported ---

#[test]
fn a_failed_post_is_warned_about_when_a_failed_pre_decides_the_exit() {
    let sim = cassandra();
    let out = pxsnap(&sim, &args("snap cassandra-data", "exit 3", "exit 1"));
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    let post_failure = r#"post command "exit 1" in pod "cassandra-app-0" (container "cassandra") exited with code 1"#;
    one_line(&err, "warning:", post_failure);
    one_line(&err, "error:", "pre command failed");
    let result = json(&out);
    assert_eq!(result["error"]["step"], "pre");
    let listed = result["warnings"].as_array().expect("warnings");
    assert_eq!(listed.len(), 1, "{result}");
    assert!(listed[0].as_str().is_some_and(|w| w.contains(post_failure)));
}

#[test]
fn every_failed_post_is_on_stderr_once_when_posts_decide_the_exit() {
    let sim = cassandra();
    let line = "group-snap -n cassandra -l app=cassandra";
    let out = pxsnap(&sim, &args(line, "nodetool flush", "exit 1"));
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    // Three pods, three failed posts: one decides the exit, the two others are warnings.
    let errors = lines(&err, "error:");
    let warnings = lines(&err, "warning:");
    assert_eq!((errors.len(), warnings.len()), (1, 2), "{err}");
    let mut pods: Vec<&str> = errors
        .iter()
        .chain(&warnings)
        .filter_map(|line| {
            ["cassandra-0", "cassandra-1", "cassandra-2"]
                .into_iter()
                .find(|pod| line.contains(&format!("in pod \"{pod}\"")))
        })
        .collect();
    pods.sort_unstable();
    assert_eq!(pods, ["cassandra-0", "cassandra-1", "cassandra-2"], "{err}");
    assert_eq!(json(&out)["warnings"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_interrupted_run_whose_post_failed_does_not_say_the_posts_ran_fine() {
    let sim = cassandra_with(|c| c.hang = true);
    let line = "snap cassandra-data --name s1";
    let child = spawn_pxsnap(&sim, &args(line, "nodetool flush", "exit 9"));
    wait_for("the snapshot to be created", || {
        !snapshots(&sim, "default").is_empty()
    });
    send_signal(&child, libc::SIGINT);
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 130, "{err}");
    let line = "interrupted by SIGINT; post commands ran in every frozen pod, but one failed (warned above)";
    one_line(&err, "error:", line);
    assert!(
        lines(&err, "warning:")
            .iter()
            .any(|w| w.contains(r#"post command "exit 9" in pod "cassandra-app-0""#)),
        "{err}"
    );
    let ends: Vec<Option<i32>> = execs(&sim.sim.timeline(), TimelineKind::ExecEnd)
        .into_iter()
        .filter(|e| command_of(e).contains("exit 9"))
        .map(|e| e.exit_code)
        .collect();
    assert_eq!(ends, vec![Some(9)]);
}

// --- API calls after the release: bounded, and a signal ends them ---

/// Makes every `verb` on `resource` take ten minutes: only a bound or a signal in pxsnap can
/// end such a call.
fn stall(sim: &SimHandle, verb: &str, resource: &str) {
    sim.fault_every(verb, resource, FaultAction::DelayMs(600_000));
}

/// Waits until every post command matching `post` has ended in `pods` pods and pxsnap's next
/// call reached the stalled resource (see [`stall`]): pxsnap is then past the release and in
/// the API call that follows it.
fn wait_until_released(sim: &SimHandle, post: &str, pods: usize) {
    wait_for("the post commands to end", || {
        let timeline = sim.sim.timeline();
        let ends = execs(&timeline, TimelineKind::ExecEnd);
        ends.iter().filter(|e| command_of(e).contains(post)).count() == pods
    });
    wait_for("the call after the release to reach the stall", || {
        sim.sim.faults_fired() > 0
    });
}

/// Sends `signal` once the `pods` post commands matching "echo thawed" ended, and checks the
/// run then ended at once, interrupted, with one warning, containing `warning`. Returns the
/// JSON result.
fn signal_after_the_release(
    sim: &SimHandle,
    child: Child,
    pods: usize,
    signal: i32,
    warning: &str,
) -> serde_json::Value {
    wait_until_released(sim, "echo thawed", pods);
    send_signal(&child, signal);
    let out = exits_within(child, 10);
    let err = stderr(&out);
    assert_eq!(code(&out), 128 + signal, "{err}");
    // Two warnings: what was left (`warning`), and the failure the signal replaced as the
    // error that decides the exit code.
    let warnings = lines(&err, "warning:");
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(warnings[0].contains(warning), "{err}");
    assert!(
        warnings[1].ends_with("(before a signal ended the run)"),
        "{err}"
    );
    assert_eq!(lines(&err, "error:").len(), 1, "{err}");
    let result = json(&out);
    assert_eq!(result["error"]["step"], "interrupted");
    assert_eq!(result["warnings"].as_array().map(Vec::len), Some(2));
    result
}

/// `snap` of a PVC whose snapshots STORK fails, so pxsnap deletes the snapshot after the
/// release, and the request `verb` of that delete (`get`, then `delete`) never answers.
fn snap_failing_with_a_stalled_delete(verb: &str, more: &str) -> (SimHandle, Child) {
    let sim = cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    stall(&sim, verb, "volumesnapshots");
    let line = format!("snap cassandra-data --name s1 {more}");
    let child = spawn_pxsnap(&sim, &args(&line, "nodetool flush", "echo thawed"));
    (sim, child)
}

#[test]
fn sigint_while_deleting_a_failed_snapshot_ends_the_run_at_once() {
    let (sim, child) = snap_failing_with_a_stalled_delete("get", "");
    let warning = r#"snapshot "s1" failed; not deleted because of SIGINT; to delete it: pxsnap delete s1 -n default"#;
    let result = signal_after_the_release(&sim, child, 1, libc::SIGINT, warning);
    // STORK's own message is not lost to the signal.
    assert!(
        result["warnings"][1]
            .as_str()
            .is_some_and(|w| w.contains("injected failure for PVC default/cassandra-data")),
        "{result}"
    );
    assert_eq!(result["snapshot"]["status"], "Error");
    assert_eq!(result["snapshot"]["deleted"], false);
    // The post ran once, before the signal; the snapshot is still there and nothing deleted it.
    assert_eq!(
        started(&sim.sim.timeline(), "echo thawed"),
        vec!["cassandra-app-0"]
    );
    assert_eq!(snapshots(&sim, "default"), vec!["s1"]);
    assert_eq!(requests(&sim, "delete", "volumesnapshots"), 0);
}

#[test]
fn a_delete_that_never_answers_is_bounded_by_the_timeout() {
    let (_sim, child) = snap_failing_with_a_stalled_delete("delete", "--timeout 2s");
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 4, "{err}");
    let warning = r#"snapshot "s1" failed and could not be deleted: timed out after 2.0s waiting for the API server to answer delete volumesnapshots.volumesnapshot.external-storage.k8s.io; to delete it: pxsnap delete s1 -n default"#;
    one_line(&err, "warning:", warning);
    let result = json(&out);
    assert_eq!(result["error"]["step"], "snapshot");
    assert_eq!(result["snapshot"]["deleted"], false);
}

/// group-snap of the cassandra namespace with a controller that never finishes, so the wait
/// times out after 1s and pxsnap reads the group's Events, which never come.
fn stuck_group_with_stalled_events() -> (SimHandle, Child) {
    let mut scenario = Scenario::builtin("cassandra").expect("built-in scenario");
    scenario.controller.hang = true;
    let sim = SimHandle::start(scenario);
    stall(&sim, "list", "events");
    let line = "group-snap -n cassandra -l app=cassandra --name stuck --timeout 1s";
    let child = spawn_pxsnap(&sim, &args(line, "nodetool flush", "echo thawed"));
    (sim, child)
}

#[test]
fn events_that_never_come_are_bounded_and_the_group_is_still_deleted() {
    let (sim, child) = stuck_group_with_stalled_events();
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 5, "{err}");
    let warnings = lines(&err, "warning:");
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].contains(r#"cannot read the events of group snapshot "stuck": timed out after 1.0s waiting for the API server to answer list events"#),
        "{err}"
    );
    assert!(
        warnings[1].contains(r#"group snapshot "stuck" timed out; deleted it"#),
        "{err}"
    );
    one_line(&err, "error:", "its events could not be read");
    assert_eq!(json(&out)["group"]["deleted"], true);
    assert_eq!(requests(&sim, "delete", "groupvolumesnapshots"), 1);
}

#[test]
fn sigterm_while_reading_events_ends_the_run_and_leaves_the_group() {
    let (sim, child) = stuck_group_with_stalled_events();
    let warning = r#"group snapshot "stuck" timed out; not deleted because of SIGTERM; to delete it: pxsnap delete --group stuck --with-children -n cassandra"#;
    let result = signal_after_the_release(&sim, child, 3, libc::SIGTERM, warning);
    assert_eq!(result["group"]["status"], "TimedOut");
    assert_eq!(result["group"]["deleted"], false);
    assert_eq!(requests(&sim, "delete", "groupvolumesnapshots"), 0);
}

// --- API calls before the freeze: bounded too ---

#[test]
fn a_pod_list_that_never_answers_is_bounded_and_freezes_nothing() {
    let sim = cassandra();
    stall(&sim, "list", "pods");
    let line = "snap cassandra-data --name s1 --timeout 1s";
    let child = spawn_pxsnap(&sim, &args(line, "nodetool flush", "echo thawed"));
    let out = exits_within(child, 20);
    let err = stderr(&out);
    assert_eq!(code(&out), 5, "{err}");
    let line = "timed out after 1.0s waiting for the API server to answer list pods";
    one_line(&err, "error:", line);
    assert_eq!(json(&out)["error"]["step"], "locate");
    assert!(execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty());
    assert_eq!(requests(&sim, "create", "volumesnapshots"), 0);
}

// --- A signal during the release, after the snapshot step already failed ---

/// Runs `line` with a pre command and a one-second post command, and Ctrl-C while the post
/// runs: the signal comes during the release, after the snapshot step ended.
fn sigint_during_the_post(sim: &SimHandle, line: &str) -> Output {
    let child = spawn_pxsnap(sim, &args(line, "nodetool flush", "sleep 1; echo thawed"));
    wait_until_started(sim, "the post command", "thawed");
    send_signal(&child, libc::SIGINT);
    let out = exits_within(child, 20);
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    out
}

#[test]
fn a_signal_after_a_name_clash_settles_nothing_and_still_says_the_clash() {
    let sim = nightly_exists();
    let out = sigint_during_the_post(&sim, "snap cassandra-data --name nightly");
    let result = json(&out);
    // The clash said this run created nothing: no cleanup, no word about "that object".
    assert_eq!(result["snapshot"]["status"], "NotCreated", "{result}");
    assert_eq!(requests(&sim, "delete", "volumesnapshots"), 0);
    assert_eq!(snapshots(&sim, "default"), vec!["nightly"]);
    // The signal decides the exit code, and the clash it replaced is still said.
    one_line(
        &stderr(&out),
        "warning:",
        r#"a VolumeSnapshot named "nightly" already exists in namespace "default""#,
    );
    assert_eq!(
        result["warnings"].as_array().map(Vec::len),
        Some(1),
        "{result}"
    );
}

#[test]
fn a_signal_after_an_unanswered_create_still_warns_it_may_appear() {
    let sim = cassandra();
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::DelayMs(10_000),
    ));
    let out = sigint_during_the_post(&sim, "snap cassandra-data --name s1 --timeout 1s");
    let err = stderr(&out);
    assert!(
        err.contains(r#"snapshot "s1" was interrupted; none exists now, but the API server did not answer its create"#),
        "{err}"
    );
    // The timeout the signal replaced is still said.
    assert!(
        err.contains("waiting for the API server to answer create volumesnapshots.volumesnapshot.external-storage.k8s.io \"s1\""),
        "{err}"
    );
}
