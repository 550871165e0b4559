//! `--hold`: a command whose lock lives only as long as its session, held from before the cut
//! until after it, in the simulator's MySQL-like pod whose execs outlive their streams as on a
//! real runtime (so closing a stream lets no lock go there either).

use pxsnap_sim::scenario::PodSpec;
use pxsnap_sim::{Fault, FaultAction, Scenario, TimelineEvent, TimelineKind};

use crate::common::SimHandle;
use crate::run::{
    assert_fails_with, code, command_of, execs, json, pxsnap, send_signal, snapshots, spawn_pxsnap,
    started, stderr, wait_for,
};

/// The README's example: the lock, then `system ${WAIT_CMD}` inside the same session.
pub const LOCK: &str = "mysql -e 'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'";

fn mysql_with(settings: impl FnOnce(&mut Scenario)) -> SimHandle {
    let mut scenario = Scenario::builtin("mysql").expect("built-in scenario");
    settings(&mut scenario);
    SimHandle::start(scenario)
}

pub fn mysql() -> SimHandle {
    mysql_with(|_| {})
}

/// `snap -n db mysql-data` with `extra` flags.
pub fn snap(sim: &SimHandle, extra: &[&str]) -> std::process::Output {
    pxsnap(sim, &[&["snap", "-n", "db", "mysql-data"], extra].concat())
}

/// When the pod's mysql shim marked `what` (`lock-taken`, `lock-released`) on the timeline.
pub fn mark(timeline: &[TimelineEvent], what: &str) -> Option<u64> {
    timeline
        .iter()
        .find(|e| e.kind == TimelineKind::Mark && e.detail.as_deref() == Some(what))
        .map(|e| e.at_ns)
}

/// Asserts that the lock was taken before the cut, let go after it and before the first
/// command containing `post` started; returns when it was taken.
pub fn assert_held_across_the_cut(timeline: &[TimelineEvent], post: &str) -> u64 {
    let taken = mark(timeline, "lock-taken").expect("lock taken");
    let cut = kind_at(timeline, TimelineKind::SnapshotCut).expect("cut");
    let released = mark(timeline, "lock-released").expect("lock released");
    let post = started_at(timeline, post).expect("post ran");
    assert!(taken < cut, "the lock was taken after the cut");
    assert!(cut < released, "the lock was let go before the cut");
    assert!(released < post, "the post command started under the lock");
    taken
}

/// The result's first `hold` entry in `hooks`.
pub fn hold_entry(result: &serde_json::Value) -> &serde_json::Value {
    result["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .find(|h| h["phase"] == "hold")
        .unwrap_or_else(|| panic!("no hold entry in {result:#}"))
}

pub fn kind_at(timeline: &[TimelineEvent], kind: TimelineKind) -> Option<u64> {
    timeline.iter().find(|e| e.kind == kind).map(|e| e.at_ns)
}

/// When the first command containing `needle` started.
pub fn started_at(timeline: &[TimelineEvent], needle: &str) -> Option<u64> {
    timeline
        .iter()
        .find(|e| e.kind == TimelineKind::ExecStart && crate::run::command_of(e).contains(needle))
        .map(|e| e.at_ns)
}

#[test]
fn the_lock_is_held_across_the_cut_and_let_go_before_the_post_commands() {
    let sim = mysql();
    let out = snap(
        &sim,
        &[
            "--pre",
            "echo pre",
            "--hold",
            LOCK,
            "--post",
            "echo thawed",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    let taken = assert_held_across_the_cut(&timeline, "echo thawed");
    let pre_start = started_at(&timeline, "echo pre").expect("pre ran");
    assert!(pre_start < taken, "the lock came before the pre command");
    let result = json(&out);
    let hold = hold_entry(&result);
    assert_eq!(hold["command"], LOCK);
    assert_eq!(hold["pod"], "mysql-0");
    assert_eq!(hold["exitCode"], 0);
    let stamp = |key: &str| {
        hold[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {hold:#}"))
            .parse::<jiff::Timestamp>()
            .expect("timestamp")
    };
    assert!(stamp("heldAt") < stamp("releasedAt"));
    let window = &result["freeze"];
    assert!(
        window["endedAt"].as_str().expect("freeze end")
            >= hold["releasedAt"].as_str().expect("released"),
        "the freeze window must include the held command: {window:#}"
    );
}

#[test]
fn the_table_shows_the_held_command() {
    let sim = mysql();
    let out = snap(&sim, &["--hold", LOCK]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("hold") && l.contains("mysql-0") && l.contains("FLUSH")),
        "{table}"
    );
}

/// A pxsnap holding the lock (with `extra` flags) on a cluster whose cut never comes, once
/// the lock is taken: the moment a user's Ctrl-C or a node's OOM killer would strike.
fn holding(extra: &[&str]) -> (SimHandle, std::process::Child) {
    let sim = mysql_with(|s| s.controller.hang = true);
    let args = [&["snap", "-n", "db", "mysql-data", "--hold", LOCK], extra].concat();
    let child = spawn_pxsnap(&sim, &args);
    wait_for("the lock to be taken", || {
        mark(&sim.sim.timeline(), "lock-taken").is_some()
    });
    (sim, child)
}

#[test]
fn a_pxsnap_killed_while_holding_still_lets_the_lock_go_within_the_hold_timeout() {
    let (sim, child) = holding(&["--hold-timeout", "2s"]);
    send_signal(&child, libc::SIGKILL);
    let killed = std::time::Instant::now();
    let _ = child.wait_with_output();
    let killed_at = sim.sim.timeline().last().map_or(0, |e| e.at_ns);
    wait_for("the lock to be let go", || {
        mark(&sim.sim.timeline(), "lock-released").is_some()
    });
    let waited = killed.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(4),
        "the lock stayed {waited:?} after pxsnap died"
    );
    let released = mark(&sim.sim.timeline(), "lock-released").expect("released");
    assert!(released > killed_at, "released before pxsnap was killed");
}

#[test]
fn ctrl_c_while_holding_lets_the_lock_go_and_runs_the_post_commands() {
    let (sim, child) = holding(&["--post", "echo thawed"]);
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    let released = mark(&timeline, "lock-released").expect("lock let go");
    let post = started_at(&timeline, "echo thawed").expect("post ran");
    assert!(released < post);
}

#[test]
fn a_hold_without_wait_cmd_is_refused_before_anything_runs() {
    let sim = mysql();
    let out = snap(&sim, &["--hold", "mysql -e 'FLUSH TABLES WITH READ LOCK'"]);
    assert_fails_with(&out, 2, "has no ${WAIT_CMD}");
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(sim.sim.timeline().is_empty());
}

#[test]
fn a_held_command_that_never_reports_held_fails_with_nothing_snapshotted() {
    let sim = mysql();
    let out = snap(
        &sim,
        &[
            "--hold",
            "sleep 3 # ${WAIT_CMD}",
            "--hook-timeout",
            "1s",
            "--post",
            "echo thawed",
        ],
    );
    assert_fails_with(&out, 3, "did not report held within 1.0s");
    assert_stderr_names_the_pod(&out);
    assert!(snapshots(&sim, "db").is_empty());
    assert_eq!(started(&sim.sim.timeline(), "echo thawed"), vec!["mysql-0"]);
}

#[test]
fn a_held_command_that_ends_before_the_cut_fails_and_its_snapshot_is_not_kept() {
    // The cut comes 4 s after the create; the command holds, then ends after 1 s.
    let sim = mysql_with(|s| s.controller.snapshot_delay_ms = 4000);
    let out = snap(
        &sim,
        &[
            "--hold",
            "mysql -e 'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD} & sleep 1;'",
            "--post",
            "echo thawed",
        ],
    );
    assert_fails_with(&out, 3, "ended before pxsnap let it go");
    assert_stderr_names_the_pod(&out);
    let timeline = sim.sim.timeline();
    assert!(kind_at(&timeline, TimelineKind::SnapshotCut).is_none());
    assert!(snapshots(&sim, "db").is_empty(), "{}", stderr(&out));
    assert_eq!(started(&timeline, "echo thawed"), vec!["mysql-0"]);
}

#[test]
fn a_held_command_still_running_after_it_was_let_go_is_a_warning_and_exit_6() {
    let sim = mysql();
    let out = snap(
        &sim,
        &["--hold", "${WAIT_CMD}; sleep 5", "--hook-timeout", "1s"],
    );
    assert_fails_with(&out, 6, "was still running 1.0s after pxsnap let it go");
    assert_stderr_names_the_pod(&out);
    assert_eq!(
        snapshots(&sim, "db").len(),
        1,
        "the snapshot was cut in time"
    );
}

#[track_caller]
fn assert_stderr_names_the_pod(out: &std::process::Output) {
    crate::run::assert_stderr_contains(out, "in pod \"mysql-0\"");
}

/// The mysql scenario with `pods` pods (`mysql-0`…), each with its own session-bound lock, all
/// mounting `mysql-data`.
fn mysql_pods(pods: usize) -> SimHandle {
    mysql_with(|s| {
        let first = s.pods[0].clone();
        s.pods = (0..pods)
            .map(|i| PodSpec {
                name: format!("mysql-{i}"),
                ..first.clone()
            })
            .collect();
    })
}

/// When pod `pod`'s mysql shim marked `what`.
fn mark_in(timeline: &[TimelineEvent], pod: &str, what: &str) -> Option<u64> {
    timeline
        .iter()
        .find(|e| {
            e.kind == TimelineKind::Mark
                && e.pod.as_deref() == Some(pod)
                && e.detail.as_deref() == Some(what)
        })
        .map(|e| e.at_ns)
}

/// When the first command containing `needle` started in pod `pod`.
fn started_in(timeline: &[TimelineEvent], pod: &str, needle: &str) -> Option<u64> {
    execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .find(|e| e.pod.as_deref() == Some(pod) && command_of(e).contains(needle))
        .map(|e| e.at_ns)
}

/// Each exec's (start, end) whose command `keep` accepts and that started before `before`,
/// sorted by start. An exec is one pod's one command line: every hold-phase command names its
/// own directory.
fn exec_spans(
    timeline: &[TimelineEvent],
    before: u64,
    keep: impl Fn(&str) -> bool,
) -> Vec<(u64, u64, String)> {
    let mut spans: Vec<(u64, u64, String)> = execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| e.at_ns < before && keep(&command_of(e)))
        .map(|start| {
            let end = execs(timeline, TimelineKind::ExecEnd)
                .into_iter()
                .find(|e| e.pod == start.pod && e.command == start.command)
                .unwrap_or_else(|| panic!("no end of {start:?}"));
            (start.at_ns, end.at_ns, command_of(start))
        })
        .collect();
    spans.sort();
    spans
}

#[test]
fn more_pods_holding_than_parallel_slots_all_hold_across_the_cut() {
    // A held session that kept its --parallel slot would leave the second pod waiting for a
    // slot given back only after the cut, and the cut waits for that pod: a deadlock.
    let sim = mysql_pods(3);
    let out = snap(
        &sim,
        &[
            "--parallel",
            "1",
            "--hold",
            LOCK,
            "--post",
            "echo thawed",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    let cut = kind_at(&timeline, TimelineKind::SnapshotCut).expect("cut");
    let pods = ["mysql-0", "mysql-1", "mysql-2"];
    for pod in pods {
        let at = |what| mark_in(&timeline, pod, what).unwrap_or_else(|| panic!("{pod}: {what}"));
        let (taken, released) = (at("lock-taken"), at("lock-released"));
        let post = started_in(&timeline, pod, "echo thawed").expect("post ran");
        assert!(taken < cut, "{pod}: the lock was taken after the cut");
        assert!(cut < released, "{pod}: the lock was let go before the cut");
        assert!(
            released < post,
            "{pod}: the post command started under the lock"
        );
    }
    let mut thawed = started(&timeline, "echo thawed");
    thawed.sort();
    assert_eq!(thawed, pods, "one post command in each pod");
    // The short execs of the hold phase (writing the wait script, waiting for "held") still
    // take the one slot: none overlaps another.
    let short = exec_spans(&timeline, cut, |command| !command.contains("FLUSH"));
    assert_eq!(short.len(), 6, "two short execs per pod: {short:#?}");
    for pair in short.windows(2) {
        assert!(pair[0].1 < pair[1].0, "overlapping: {pair:#?}");
    }
    let result = json(&out);
    let holds: Vec<&serde_json::Value> = result["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .filter(|h| h["phase"] == "hold")
        .collect();
    let mut held: Vec<&str> = holds.iter().filter_map(|h| h["pod"].as_str()).collect();
    held.sort();
    assert_eq!(held, pods);
    for hold in holds {
        assert!(
            hold["exitCode"] == 0 && hold["heldAt"].is_string() && hold["releasedAt"].is_string(),
            "{hold:#}"
        );
    }
}

/// The one `error:` line of a failed run's stderr (warnings may come before it).
fn error_line(out: &std::process::Output) -> String {
    let err = stderr(out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line: {err}");
    errors[0].to_string()
}

#[test]
fn a_connection_dropped_while_holding_lets_the_lock_go_before_the_post_commands() {
    let (sim, out, error) =
        dropped_at_the_create(&["--hold", LOCK, "--post", "echo thawed", "-o", "json"]);
    assert!(
        error.contains("ended before pxsnap let it go") && !error.contains("could not be let go"),
        "{error}"
    );
    // Read at once: pxsnap must not exit before the lock went.
    let timeline = sim.sim.timeline();
    let taken = mark(&timeline, "lock-taken").expect("lock taken");
    let dropped = kind_at(&timeline, TimelineKind::ConnectionsDropped).expect("dropped");
    let released = mark(&timeline, "lock-released").expect("the lock went before pxsnap exited");
    let post = started_at(&timeline, "echo thawed").expect("post ran");
    assert!(
        taken < dropped,
        "the connections dropped before the lock was held"
    );
    assert!(released < post, "the post command started under the lock");
    assert_eq!(started(&timeline, "echo thawed"), ["mysql-0"]);
    let result = json(&out);
    assert!(
        hold_entry(&result)["releasedAt"].is_string(),
        "pxsnap let it go, not its --hold-timeout: {result:#}"
    );
    assert!(snapshots(&sim, "db").is_empty(), "{}", stderr(&out));
}

#[test]
fn a_held_command_still_running_after_its_stream_was_lost_and_it_was_let_go_is_said() {
    let (_, _, error) =
        dropped_at_the_create(&["--hold", "${WAIT_CMD}; sleep 5", "--hook-timeout", "1s"]);
    assert!(
        error.contains("its stream was lost, and it was still running 1.0s after pxsnap let it go"),
        "{error}"
    );
}

/// `snap` of the mysql scenario with `args`, every connection dropping (held exec stream
/// included) when pxsnap sends the create, right after the lock held: the command goes on
/// holding, as on containerd or CRI-O. Asserts exit 3 and one error line naming the pod;
/// returns the simulator, the output and that line.
fn dropped_at_the_create(args: &[&str]) -> (SimHandle, std::process::Output, String) {
    let sim = mysql();
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("volumesnapshots"),
        FaultAction::DropConnections,
    ));
    let out = snap(&sim, args);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let error = error_line(&out);
    assert!(error.contains("in pod \"mysql-0\""), "{error}");
    (sim, out, error)
}

#[test]
fn an_api_server_lost_for_good_while_holding_leaves_the_lock_to_the_hold_timeout() {
    let sim = mysql_with(|s| s.controller.hang = true);
    let args = [
        "snap",
        "-n",
        "db",
        "mysql-data",
        "--hold",
        LOCK,
        "--post",
        "echo thawed",
        "--hold-timeout",
        "3s",
        "--timeout",
        "5s",
        "-o",
        "json",
    ];
    let child = spawn_pxsnap(&sim, &args);
    wait_for("pxsnap to wait for the cut", || {
        sim.watch_started("volumesnapshots", None)
    });
    // From now on every connection is dropped, the ones open now and every new one.
    let mut every = Fault::new(None, None, FaultAction::DropConnections);
    every.path = Some("*".into());
    every.times = 0;
    sim.sim.add_fault(every);
    sim.sim.drop_connections();
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let error = error_line(&out);
    assert!(
        error.contains("in pod \"mysql-0\"")
            && error.contains("its lock may have been gone at the cut")
            && error.contains("could not be let go")
            && error.contains("until its --hold-timeout passes"),
        "{error}"
    );
    crate::run::assert_stderr_contains(&out, "the application there may not have been released");
    // The snapshot was created before the API server went, and could not be deleted after.
    let snapshot = &json(&out)["snapshot"];
    assert!(
        snapshot["status"] == "Pending"
            && snapshot["deleted"] == false
            && snapshot["createdAt"].is_string(),
        "{snapshot:#}"
    );
    wait_for("the lock to be let go by its --hold-timeout", || {
        mark(&sim.sim.timeline(), "lock-released").is_some()
    });
    let timeline = sim.sim.timeline();
    let taken = mark(&timeline, "lock-taken").expect("lock taken");
    let dropped = kind_at(&timeline, TimelineKind::ConnectionsDropped).expect("dropped");
    let released = mark(&timeline, "lock-released").expect("released");
    assert!(taken < dropped && dropped < released);
    let held_for = std::time::Duration::from_nanos(released - taken);
    assert!(
        held_for >= std::time::Duration::from_secs(3)
            && held_for < std::time::Duration::from_secs(6),
        "the lock went after {held_for:?}, not at its 3s --hold-timeout"
    );
    assert!(
        started(&timeline, "echo thawed").is_empty(),
        "nothing reached the pod"
    );
}
