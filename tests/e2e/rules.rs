//! `--pre-rule` and `--post-rule`: STORK Rules run by pxsnap itself, in STORK's order where it
//! is sound (items, then actions, each action in all its pods at once) and strictly where STORK
//! is not (no silent re-run, post on every path, no pod quiesced without a release).

use pxsnap_sim::{TimelineEvent, TimelineKind};
use serde_json::{Value, json};

use crate::common::SimHandle;
use crate::hold::{
    LOCK, assert_held_across_the_cut, hold_entry, kind_at, mysql, snap as snap_mysql,
};
use crate::run::{
    assert_fails_with, assert_stderr_contains, cassandra, cassandra_with, code, command_of,
    ctrl_c_once_started, execs, json as json_of, pxsnap, scenario, snapshots, spawn_pxsnap, stderr,
    store_rule,
};

/// One item selecting `selector`, running `actions` (`{"type": "command", ...}` added).
fn item(selector: Value, actions: &[Value]) -> Value {
    let actions: Vec<Value> = actions
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a["type"] = json!("command");
            a
        })
        .collect();
    json!({"podSelector": selector, "actions": actions})
}

/// Stores Rule `name` in `namespace` with one item: `actions` in the pods `selector` picks.
fn rule_of_one_item(
    sim: &SimHandle,
    namespace: &str,
    name: &str,
    selector: Value,
    actions: &[Value],
) {
    store_rule(sim, namespace, name, json!([item(selector, actions)]));
}

/// `{"value": command}`: a foreground action.
fn run(command: &str) -> Value {
    json!({ "value": command })
}

/// The pods where commands containing `needle` ran, one entry per run, sorted.
fn ran_in(timeline: &[TimelineEvent], needle: &str) -> Vec<String> {
    let mut pods: Vec<String> = execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| command_of(e).contains(needle))
        .filter_map(|e| e.pod.clone())
        .collect();
    pods.sort();
    pods
}

/// When the last command containing `needle` ended, and when the first started.
fn span(timeline: &[TimelineEvent], needle: &str) -> (u64, u64) {
    let of = |kind| {
        execs(timeline, kind)
            .into_iter()
            .filter(|e| command_of(e).contains(needle))
            .map(|e| e.at_ns)
            .collect::<Vec<_>>()
    };
    let starts = of(TimelineKind::ExecStart);
    let ends = of(TimelineKind::ExecEnd);
    (
        *starts
            .iter()
            .min()
            .unwrap_or_else(|| panic!("{needle} never ran")),
        *ends
            .iter()
            .max()
            .unwrap_or_else(|| panic!("{needle} never ended")),
    )
}

/// `group-snap` of the three cassandra pods with `extra` flags.
fn group_snap(sim: &SimHandle, extra: &[&str]) -> std::process::Output {
    pxsnap(
        sim,
        &[
            &["group-snap", "-n", "cassandra", "-l", "app=cassandra"],
            extra,
        ]
        .concat(),
    )
}

#[test]
fn rules_run_in_order_around_the_cut_each_action_in_all_its_pods() {
    let sim = cassandra();
    let cassandra = json!({"app": "cassandra"});
    store_rule(
        &sim,
        "cassandra",
        "presnap",
        json!([
            item(
                cassandra.clone(),
                &[run("echo r-first"), run("echo r-second")]
            ),
            item(
                cassandra.clone(),
                &[json!({"value": "echo r-single", "runInSinglePod": true})]
            ),
        ]),
    );
    rule_of_one_item(
        &sim,
        "cassandra",
        "postsnap",
        cassandra,
        &[run("echo r-thaw")],
    );
    let out = group_snap(
        &sim,
        &[
            "--pre-rule",
            "presnap",
            "--pre",
            "echo given-pre",
            "--post",
            "echo given-post",
            "--post-rule",
            "postsnap",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    let all = ["cassandra-0", "cassandra-1", "cassandra-2"];
    assert_eq!(ran_in(&timeline, "r-first"), all);
    assert_eq!(ran_in(&timeline, "r-single").len(), 1, "runInSinglePod");
    let cut = kind_at(&timeline, TimelineKind::SnapshotCut).expect("cut");
    let order = ["r-first", "r-second", "r-single", "given-pre"];
    for pair in order.windows(2) {
        let (_, first_ended) = span(&timeline, pair[0]);
        let (second_started, _) = span(&timeline, pair[1]);
        assert!(
            first_ended < second_started,
            "{} overlaps {}",
            pair[0],
            pair[1]
        );
    }
    let (_, pre_ended) = span(&timeline, "given-pre");
    let (post_started, post_ended) = span(&timeline, "given-post");
    let (thaw_started, _) = span(&timeline, "r-thaw");
    assert!(pre_ended < cut && cut < post_started && post_ended < thaw_started);
    let result = json_of(&out);
    let thaw = result["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .find(|h| h["command"] == "echo r-thaw")
        .unwrap_or_else(|| panic!("{result:#}"));
    assert_eq!(thaw["phase"], "post");
    assert_eq!(
        thaw["rule"],
        json!({"name": "postsnap", "item": 0, "action": 0})
    );
}

#[test]
fn a_background_action_holds_the_lock_across_the_cut_and_lets_go_before_the_post_rule() {
    let sim = mysql();
    let mysql = json!({"app": "mysql"});
    rule_of_one_item(
        &sim,
        "db",
        "lock",
        mysql.clone(),
        &[json!({"value": LOCK, "background": true})],
    );
    rule_of_one_item(&sim, "db", "thaw", mysql, &[run("echo thawed")]);
    let out = snap_mysql(
        &sim,
        &["--pre-rule", "lock", "--post-rule", "thaw", "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_held_across_the_cut(&sim.sim.timeline(), "echo thawed");
    let result = json_of(&out);
    let hold = hold_entry(&result);
    assert_eq!(hold["rule"]["name"], "lock");
    assert!(
        hold["heldAt"].is_string() && hold["releasedAt"].is_string(),
        "{hold}"
    );
}

#[test]
fn bad_rules_are_exit_2_and_nothing_runs() {
    let sim = cassandra();
    let app = json!({"app": "cassandra-app"});
    let script = json!([{"podSelector": app, "actions": [{"type": "script", "value": "x"}]}]);
    store_rule(&sim, "default", "script", script);
    store_rule(&sim, "default", "garbled", json!([{"actions": "flush"}]));
    let held = json!({"value": LOCK, "background": true});
    rule_of_one_item(&sim, "default", "held", app, &[held]);
    let cases = [
        (
            "--pre-rule",
            "missing",
            "Rule \"missing\" not found in namespace \"default\"",
        ),
        (
            "--pre-rule",
            "script",
            "unsupported action type \"script\" at rules[0].actions[0]",
        ),
        ("--pre-rule", "garbled", "does not parse: rules[0]"),
        (
            "--post-rule",
            "held",
            "background action at rules[0].actions[0], which a post-Rule",
        ),
    ];
    for (flag, name, needle) in cases {
        let out = pxsnap(
            &sim,
            &["snap", "cassandra-data", flag, name, "--pre", "echo pre"],
        );
        assert_fails_with(&out, 2, needle);
    }
    assert!(execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty());
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn a_pod_the_pre_rule_quiesces_without_a_release_is_refused_unless_forced() {
    let sim = cassandra();
    rule_of_one_item(
        &sim,
        "cassandra",
        "freeze",
        json!({"app": "cassandra"}),
        &[run("echo frozen")],
    );
    let first = json!({"value": "echo thawed", "runInSinglePod": true});
    rule_of_one_item(
        &sim,
        "cassandra",
        "thaw-0",
        json!({"app": "cassandra"}),
        &[first],
    );
    let rules = ["--pre-rule", "freeze", "--post-rule", "thaw-0"];
    let out = group_snap(&sim, &rules);
    assert_fails_with(
        &out,
        2,
        "pod \"cassandra-1\", pod \"cassandra-2\" but no post command",
    );
    assert!(execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty());
    let forced = group_snap(&sim, &[&rules[..], &["--force"]].concat());
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(ran_in(&sim.sim.timeline(), "echo frozen").len(), 3);
}

#[test]
fn an_empty_selector_runs_in_every_running_pod_with_a_warning() {
    let sim = cassandra();
    rule_of_one_item(&sim, "default", "all", json!({}), &[run("echo everyone")]);
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--pre-rule",
            "all",
            "--post",
            "echo post",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "Rule \"all\" rules[0] has an empty podSelector, so it runs in every running pod"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        ran_in(&sim.sim.timeline(), "echo everyone"),
        ["cassandra-app-0"]
    );
}

/// `snap cassandra-data` with a pre-Rule running `pre` and a post-Rule running `echo thawed`
/// in cassandra-app-0.
fn snap_with_rules(sim: &SimHandle, pre: &str) -> std::process::Output {
    let app = json!({"app": "cassandra-app"});
    rule_of_one_item(sim, "default", "pre", app.clone(), &[run(pre)]);
    rule_of_one_item(sim, "default", "thaw", app, &[run("echo thawed")]);
    let rules = ["--pre-rule", "pre", "--post-rule", "thaw"];
    pxsnap(sim, &[&["snap", "cassandra-data"], &rules[..]].concat())
}

#[test]
fn a_failing_action_is_not_run_again_and_the_post_rule_still_runs() {
    let sim = cassandra();
    let out = snap_with_rules(&sim, "echo trying; exit 7");
    assert_fails_with(&out, 3, "exited with code 7");
    let timeline = sim.sim.timeline();
    assert_eq!(
        ran_in(&timeline, "exit 7").len(),
        1,
        "a failed action is not re-run"
    );
    assert_eq!(ran_in(&timeline, "echo thawed"), ["cassandra-app-0"]);
    assert!(snapshots(&sim, "default").is_empty());
}

#[test]
fn a_failed_snapshot_still_runs_the_post_rule() {
    let sim = cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    let out = snap_with_rules(&sim, "nodetool flush");
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert_eq!(
        ran_in(&sim.sim.timeline(), "echo thawed"),
        ["cassandra-app-0"]
    );
}

#[test]
fn dry_run_shows_each_rule_action_in_its_pod_and_container_held_or_not() {
    let sim = mysql();
    let mysql = json!({"app": "mysql"});
    let actions = [
        run("echo flush"),
        json!({"value": LOCK, "background": true}),
    ];
    rule_of_one_item(&sim, "db", "lock", mysql, &actions);
    let out = snap_mysql(
        &sim,
        &[
            "--pre-rule",
            "lock",
            "--post",
            "echo thawed",
            "--dry-run",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let plan = json_of(&out);
    let hooks: Vec<(&str, &str, &str, Option<u64>)> = plan["hooks"]
        .as_array()
        .expect("hooks")
        .iter()
        .map(|h| {
            (
                h["phase"].as_str().unwrap_or_default(),
                h["pod"].as_str().unwrap_or_default(),
                h["container"].as_str().unwrap_or_default(),
                h["rule"]["action"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        hooks,
        [
            ("pre", "mysql-0", "mysql", Some(0)),
            ("hold", "mysql-0", "mysql", Some(1)),
            ("post", "mysql-0", "mysql", None)
        ]
    );
    assert!(execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty());
}

#[test]
fn several_containers_and_none_named_is_one_clear_error_and_a_named_one_is_used() {
    let sim = scenario(json!({
        "namespaces": ["default"],
        "storageClasses": [{"name": "px", "provisioner": "pxd.portworx.com"}],
        "pvcs": [{"namespace": "default", "name": "data", "phase": "Bound",
                  "storageClass": "px", "driver": "pxd.portworx.com"}],
        "pods": [{"namespace": "default", "name": "app-0", "labels": {"app": "x"},
                  "phase": "Running",
                  "containers": [
                      {"name": "app", "mounts": [{"volume": "d", "pvc": "data", "path": "/d"}]},
                      {"name": "sidecar"}]}],
        "stork": true
    }));
    let hold = json!({"value": "sh -c '${WAIT_CMD}'", "background": true});
    let unnamed = std::slice::from_ref(&hold);
    rule_of_one_item(&sim, "default", "unnamed", json!({"app": "x"}), unnamed);
    let mut named = item(json!({"app": "x"}), &[hold]);
    named["container"] = json!("sidecar");
    store_rule(&sim, "default", "named", json!([named]));
    let out = pxsnap(&sim, &["snap", "data", "--pre-rule", "unnamed"]);
    assert_fails_with(
        &out,
        2,
        "names no container and pod \"app-0\" has 2 (app, sidecar)",
    );
    let out = pxsnap(&sim, &["snap", "data", "--pre-rule", "named", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json_of(&out);
    let hold = hold_entry(&result);
    assert_eq!(hold["container"], "sidecar", "the Rule's container holds");
}

#[test]
fn ctrl_c_during_a_slow_pre_rule_action_starts_nothing_more_and_releases_where_it_ran() {
    // --parallel 1: the slow first action runs in one pod while the others wait for the slot,
    // so the signal finds pods whose pre side started and pods whose pre side did not.
    let sim = cassandra();
    let cassandra = json!({"app": "cassandra"});
    store_rule(
        &sim,
        "cassandra",
        "freeze",
        json!([
            item(
                cassandra.clone(),
                &[run("sleep 2; echo r-slow"), run("echo r-next-action")]
            ),
            item(cassandra.clone(), &[run("echo r-next-item")]),
        ]),
    );
    rule_of_one_item(&sim, "cassandra", "thaw", cassandra, &[run("echo r-thaw")]);
    let args = [
        "group-snap",
        "-n",
        "cassandra",
        "-l",
        "app=cassandra",
        "--parallel",
        "1",
        "--pre-rule",
        "freeze",
        "--pre",
        "echo given-pre",
        "--post",
        "echo given-post",
        "--post-rule",
        "thaw",
    ];
    let child = spawn_pxsnap(&sim, &args);
    let out = ctrl_c_once_started(&sim, child, "r-slow");
    assert_stderr_contains(&out, "SIGINT received; letting running pre commands finish");
    assert_stderr_contains(
        &out,
        "error: interrupted by SIGINT; post commands ran in every frozen pod",
    );
    let timeline = sim.sim.timeline();
    let slow = ran_in(&timeline, "r-slow");
    assert_eq!(slow.len(), 1, "one pod had the slot: {slow:?}");
    let (_, slow_ended) = span(&timeline, "r-slow");
    let ended_ok = execs(&timeline, TimelineKind::ExecEnd)
        .into_iter()
        .any(|e| command_of(e).contains("r-slow") && e.exit_code == Some(0));
    assert!(ended_ok, "the running action was let finish, not killed");
    for never in ["r-next-action", "r-next-item", "given-pre"] {
        assert!(
            ran_in(&timeline, never).is_empty(),
            "{never} started after the signal"
        );
    }
    assert_eq!(
        ran_in(&timeline, "given-post"),
        slow,
        "--post where the pre side ran"
    );
    assert_eq!(
        ran_in(&timeline, "r-thaw"),
        slow,
        "the post-Rule where the pre side ran"
    );
    let (thaw_started, _) = span(&timeline, "r-thaw");
    assert!(
        slow_ended < thaw_started,
        "the release overtook the running action"
    );
    let creates: Vec<_> = sim
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "create" && r.resource.contains("snapshot"))
        .collect();
    assert!(
        creates.is_empty(),
        "nothing to snapshot after Ctrl-C: {creates:?}"
    );
    assert!(snapshots(&sim, "cassandra").is_empty());
}
