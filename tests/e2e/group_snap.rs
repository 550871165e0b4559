//! End-to-end tests of `pxsnap group-snap`: the real binary against pxsnap-sim.
//!
//! The simulator's timeline is the witness: every pre command must end before the cut
//! (`groupCut`/`snapshotCut`) and every post command must start after it.

use std::collections::BTreeMap;

use assert_cmd::Command;
use pxsnap::k8s::resources::GroupVolumeSnapshot;
use pxsnap_sim::scenario::{ContainerSpec, MountSpec, PodSpec, PvcSpec};
use pxsnap_sim::{ControllerSettings, Scenario, TimelineEvent, TimelineKind};
use serde_json::Value;

use crate::common::SimHandle;
use crate::run::{cassandra, cassandra_with, command_of, dry_run_documents};

/// The three cassandra pods' PVCs, by namespace and label.
const CASSANDRA: &[&str] = &["-n", "cassandra", "-l", "app=cassandra"];

/// The cassandra selector with a flush before and a marker command after the cut.
const FLUSH_AND_THAW: &[&str] = &[
    "-n",
    "cassandra",
    "-l",
    "app=cassandra",
    "--pre",
    "nodetool flush",
    "--post",
    "echo thawed",
];

/// Runs pxsnap against the simulator; returns (exit code, parsed stdout JSON, stderr).
fn group_snap(sim: &SimHandle, args: &[&str]) -> (i32, Value, String) {
    let output = Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .arg("group-snap")
        .args(args)
        .args(["-o", "json", "--no-progress"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {stdout}"));
    (
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn execs(timeline: &[TimelineEvent], kind: TimelineKind, needle: &str) -> Vec<TimelineEvent> {
    timeline
        .iter()
        .filter(|e| e.kind == kind && command_of(e).contains(needle))
        .cloned()
        .collect()
}

/// The moment of the cut: the group's cut and every child's cut.
fn cuts(timeline: &[TimelineEvent]) -> Vec<u64> {
    timeline
        .iter()
        .filter(|e| matches!(e.kind, TimelineKind::GroupCut | TimelineKind::SnapshotCut))
        .map(|e| e.at_ns)
        .collect()
}

/// Proves the freeze bracketed the cut: every pre ended before the first cut, every post
/// started after the last one.
fn assert_cut_inside_freeze(timeline: &[TimelineEvent], pre: &str, post: &str) {
    let cuts = cuts(timeline);
    assert!(!cuts.is_empty(), "no cut on the timeline: {timeline:#?}");
    let first_cut = cuts.iter().min().copied().unwrap_or_default();
    let last_cut = cuts.iter().max().copied().unwrap_or_default();
    let pre_ends = execs(timeline, TimelineKind::ExecEnd, pre);
    let post_starts = execs(timeline, TimelineKind::ExecStart, post);
    assert!(!pre_ends.is_empty() && !post_starts.is_empty());
    for end in &pre_ends {
        assert!(end.at_ns < first_cut, "pre ended after the cut: {end:?}");
    }
    for start in &post_starts {
        assert!(
            start.at_ns > last_cut,
            "post started before the cut: {start:?}"
        );
    }
}

fn groups_in(sim: &SimHandle, namespace: &str) -> Vec<GroupVolumeSnapshot> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let api: kube::Api<GroupVolumeSnapshot> =
            kube::Api::namespaced(sim.client().await, namespace);
        api.list(&Default::default())
            .await
            .expect("list groups")
            .items
    })
}

/// After a failure: every cassandra pod got its post command and no group is left behind.
fn assert_released_and_deleted(sim: &SimHandle) {
    assert!(groups_in(sim, "cassandra").is_empty());
    assert_eq!(
        execs(&sim.sim.timeline(), TimelineKind::ExecStart, "echo thawed").len(),
        3
    );
}

fn created_groups(sim: &SimHandle) -> usize {
    sim.sim
        .request_log()
        .iter()
        .filter(|r| r.verb == "create" && r.resource == "groupvolumesnapshots")
        .count()
}

#[test]
fn cassandra_group_flushes_every_node_and_cuts_inside_the_freeze() {
    let sim = SimHandle::cassandra();
    let (code, json, stderr) =
        group_snap(&sim, &[FLUSH_AND_THAW, &["--name", "cass-group"]].concat());
    assert_eq!(code, 0, "{stderr}\n{json:#}");
    assert_eq!(json["kind"], "GroupSnapResult");
    assert_eq!(json["group"]["name"], "cass-group");
    assert_eq!(json["group"]["status"], "Successful");
    assert_eq!(json["group"]["stage"], "Final");
    let pvcs: Vec<String> = (0..3)
        .map(|i| format!("cassandra-data-cassandra-{i}"))
        .collect();
    assert_eq!(json["group"]["pvcs"], serde_json::json!(pvcs));
    let children = json["children"].as_array().expect("children");
    let mut child_pvcs: Vec<&str> = children
        .iter()
        .map(|c| c["pvc"].as_str().expect("pvc resolved"))
        .collect();
    child_pvcs.sort();
    assert_eq!(child_pvcs, pvcs);
    assert!(children.iter().all(|c| c["status"] == "Ready"), "{json:#}");
    let hooks = json["hooks"].as_array().expect("hooks");
    let pre: Vec<&Value> = hooks.iter().filter(|h| h["phase"] == "pre").collect();
    assert_eq!(pre.len(), 3);
    assert!(
        pre.iter()
            .all(|h| h["exitCode"] == 0 && h["stdout"].as_str().unwrap_or("").contains("flush"))
    );
    assert_eq!(hooks.iter().filter(|h| h["phase"] == "post").count(), 3);
    let freeze = &json["freeze"];
    assert_eq!(freeze["perPod"].as_array().map(Vec::len), Some(3));
    assert!(freeze["longestMs"].as_u64() <= freeze["durationMs"].as_u64());
    assert!(
        freeze["longestPod"]
            .as_str()
            .is_some_and(|p| p.starts_with("cassandra-"))
    );

    let timeline = sim.sim.timeline();
    assert_eq!(
        timeline
            .iter()
            .filter(|e| e.kind == TimelineKind::GroupCut)
            .count(),
        1
    );
    assert_cut_inside_freeze(&timeline, "nodetool flush", "echo thawed");
    // The pod in namespace default, not selected, was never touched.
    assert!(
        timeline
            .iter()
            .all(|e| e.pod.as_deref() != Some("cassandra-app-0"))
    );

    let groups = groups_in(&sim, "cassandra");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0].spec.pvc_selector.match_labels,
        labels(&[("app", "cassandra")])
    );
    // `-o name` names the group as kubectl does.
    let name_out = Command::cargo_bin("pxsnap")
        .expect("bin")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .args([
            "-n",
            "cassandra",
            "group-snap",
            "-l",
            "app=cassandra",
            "--name",
            "g2",
            "-o",
            "name",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&name_out.stdout),
        "groupvolumesnapshot.stork.libopenstorage.org/g2\n"
    );
}

/// Namespace `multi`: pod `both-0` mounts `data-a` and `data-b` in one container, pod
/// `single-0` mounts `data-c`. All three PVCs carry `app=multi`.
fn two_pvcs_in_one_pod() -> Scenario {
    let pvc = |name: &str| PvcSpec {
        namespace: "multi".into(),
        name: name.into(),
        labels: labels(&[("app", "multi")]),
        ..Default::default()
    };
    let mount = |volume: &str, pvc: &str| MountSpec {
        volume: volume.into(),
        pvc: pvc.into(),
        path: format!("/data/{volume}"),
    };
    let pod = |name: &str, mounts: Vec<MountSpec>| PodSpec {
        namespace: "multi".into(),
        name: name.into(),
        containers: vec![ContainerSpec {
            name: "app".into(),
            mounts,
            ..Default::default()
        }],
        ..Default::default()
    };
    Scenario {
        namespaces: vec!["multi".into()],
        pvcs: vec![pvc("data-a"), pvc("data-b"), pvc("data-c")],
        pods: vec![
            pod("both-0", vec![mount("a", "data-a"), mount("b", "data-b")]),
            pod("single-0", vec![mount("c", "data-c")]),
        ],
        ..Default::default()
    }
}

#[test]
fn a_pod_mounting_two_of_the_pvcs_is_quiesced_once() {
    let sim = SimHandle::start(two_pvcs_in_one_pod());
    let (code, json, stderr) = group_snap(
        &sim,
        &[
            "-n",
            "multi",
            "-l",
            "app=multi",
            "--pre",
            "echo freeze",
            "--post",
            "echo thaw",
        ],
    );
    assert_eq!(code, 0, "{stderr}\n{json:#}");
    assert_eq!(json["children"].as_array().map(Vec::len), Some(3));
    let timeline = sim.sim.timeline();
    let pre_starts = execs(&timeline, TimelineKind::ExecStart, "echo freeze");
    let in_both = pre_starts
        .iter()
        .filter(|e| e.pod.as_deref() == Some("both-0"))
        .count();
    assert_eq!(in_both, 1, "both-0 must be quiesced once: {pre_starts:#?}");
    assert_eq!(pre_starts.len(), 2);
    assert_eq!(
        execs(&timeline, TimelineKind::ExecStart, "echo thaw").len(),
        2
    );
    assert_cut_inside_freeze(&timeline, "echo freeze", "echo thaw");
    // Default name: the first label's value and a UTC stamp.
    let name = json["group"]["name"].as_str().unwrap_or_default();
    assert!(
        name.starts_with("multi-") && name.len() == "multi-".len() + 14,
        "{name}"
    );
}

#[test]
fn one_failing_pre_releases_every_started_pod_and_creates_nothing() {
    let mut scenario = Scenario::builtin("cassandra").expect("builtin");
    for pod in scenario.pods.iter_mut().filter(|p| p.name == "cassandra-1") {
        pod.shims.insert(
            "nodetool".into(),
            "echo 'cannot flush: disk full' >&2; exit 7".into(),
        );
    }
    let sim = SimHandle::start(scenario);
    let (code, json, stderr) = group_snap(&sim, FLUSH_AND_THAW);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("cassandra-1") && stderr.contains("disk full"),
        "{stderr}"
    );
    assert_eq!(json["error"]["step"], "pre");
    assert_eq!(json["group"]["status"], "NotCreated");
    assert_eq!(created_groups(&sim), 0);
    assert!(groups_in(&sim, "cassandra").is_empty());
    // Every pod whose pre started got its post, after its pre ended.
    let timeline = sim.sim.timeline();
    let pre_starts = execs(&timeline, TimelineKind::ExecStart, "nodetool flush");
    assert!(!pre_starts.is_empty());
    for pre in &pre_starts {
        let post = execs(&timeline, TimelineKind::ExecStart, "echo thawed")
            .into_iter()
            .find(|p| p.pod == pre.pod)
            .unwrap_or_else(|| panic!("no post in {:?}", pre.pod));
        let pre_end = execs(&timeline, TimelineKind::ExecEnd, "nodetool flush")
            .into_iter()
            .find(|e| e.pod == pre.pod)
            .expect("pre ended");
        assert!(post.at_ns > pre_end.at_ns);
    }
    assert_eq!(
        json["hooks"]
            .as_array()
            .map(|h| h.iter().filter(|h| h["phase"] == "post").count()),
        Some(pre_starts.len())
    );
}

#[test]
fn a_hung_controller_times_out_releases_and_deletes_the_group() {
    let sim = cassandra_with(|c| c.hang = true);
    let (code, json, stderr) = group_snap(
        &sim,
        &[FLUSH_AND_THAW, &["--timeout", "1s", "--name", "stuck"]].concat(),
    );
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("waiting for group snapshot \"stuck\" to be Successful"),
        "{stderr}"
    );
    assert_eq!(json["group"]["status"], "TimedOut");
    assert_eq!(json["group"]["deleted"], true);
    assert_eq!(json["error"]["step"], "wait");
    assert_eq!(created_groups(&sim), 1);
    assert!(
        groups_in(&sim, "cassandra").is_empty(),
        "deleted after the timeout"
    );
    let timeline = sim.sim.timeline();
    assert_eq!(
        execs(&timeline, TimelineKind::ExecStart, "echo thawed").len(),
        3
    );
    // Post before delete: the application is released first.
    let delete_at = sim
        .sim
        .request_log()
        .iter()
        .find(|r| r.verb == "delete" && r.resource == "groupvolumesnapshots")
        .map(|r| r.at_ns)
        .expect("deleted");
    assert!(
        execs(&timeline, TimelineKind::ExecEnd, "echo thawed")
            .iter()
            .all(|e| e.at_ns < delete_at)
    );
}

#[test]
fn keep_failed_keeps_a_timed_out_group() {
    let sim = cassandra_with(|c| c.hang = true);
    let (code, json, _) = group_snap(
        &sim,
        &[
            CASSANDRA,
            &["--timeout", "500ms", "--keep-failed", "--name", "kept"],
        ]
        .concat(),
    );
    assert_eq!(code, 5);
    assert_eq!(json["group"]["deleted"], false);
    assert!(json["warnings"].to_string().contains("--keep-failed"));
    assert_eq!(groups_in(&sim, "cassandra").len(), 1);
}

#[test]
fn a_group_failing_in_the_controller_surfaces_the_event_and_is_deleted() {
    // STORK says why a group failed only in a Warning Event on it; the error must quote it.
    let sim =
        cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data-cassandra-2".into()]);
    let (code, json, stderr) = group_snap(
        &sim,
        &[FLUSH_AND_THAW, &["--timeout", "20s", "--name", "broken"]].concat(),
    );
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("group snapshot \"broken\" failed:")
            && stderr.contains("cassandra-data-cassandra-2"),
        "{stderr}"
    );
    assert_eq!(json["group"]["status"], "Failed");
    assert_eq!(json["error"]["step"], "snapshot");
    assert_eq!(json["group"]["deleted"], true);
    assert_released_and_deleted(&sim);
}

/// STORK's Warning Events in namespace cassandra, whatever object they are about.
fn cassandra_events(sim: &SimHandle) -> Vec<k8s_openapi::api::core::v1::Event> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::Event> =
            kube::Api::namespaced(sim.client().await, "cassandra");
        api.list(&Default::default())
            .await
            .expect("list events")
            .items
    })
}

#[test]
fn the_events_of_an_earlier_group_of_the_same_name_are_not_quoted() {
    // The first "nightly" fails on cassandra-2 and is deleted; its Event stays, as Events do
    // on a real cluster for an hour.
    let fail_on = |pvc: &str| ControllerSettings {
        fail_snapshots_of_pvcs: vec![pvc.to_string()],
        ..ControllerSettings::default()
    };
    let sim = cassandra();
    sim.sim
        .set_controller(fail_on("cassandra-data-cassandra-2"));
    let nightly =
        |extra: &[&str]| group_snap(&sim, &[CASSANDRA, &["--name", "nightly"], extra].concat());
    let (code, _, stderr) = nightly(&[]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("cassandra-data-cassandra-2"), "{stderr}");
    assert!(groups_in(&sim, "cassandra").is_empty());
    assert_eq!(
        cassandra_events(&sim).len(),
        1,
        "the old Event outlives its group"
    );

    // The next "nightly" gets stuck: nothing about it explains that, the old Event least of all.
    sim.sim.set_controller(ControllerSettings {
        hang: true,
        ..ControllerSettings::default()
    });
    let (code, _, stderr) = nightly(&["--timeout", "1s"]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("no events on it"), "{stderr}");
    assert!(!stderr.contains("cassandra-data-cassandra-2"), "{stderr}");

    // The one after fails on cassandra-1: its own Event is the cause given.
    sim.sim
        .set_controller(fail_on("cassandra-data-cassandra-1"));
    let (code, _, stderr) = nightly(&[]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("cassandra-data-cassandra-1"), "{stderr}");
    assert!(!stderr.contains("cassandra-data-cassandra-2"), "{stderr}");
}

#[test]
fn a_cloud_group_carries_type_and_credential_options() {
    let sim = SimHandle::cassandra();
    let (code, json, stderr) = group_snap(
        &sim,
        &[
            CASSANDRA,
            &[
                "--cloud",
                "--cred-id",
                "cred-1",
                "--max-retries",
                "2",
                "--restore-namespaces",
                "restore-a,restore-b",
                "--name",
                "up",
            ],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["group"]["type"], "cloud");
    assert_eq!(json["group"]["credential"], "cred-1");
    let groups = groups_in(&sim, "cassandra");
    let spec = &groups[0].spec;
    assert_eq!(
        spec.options
            .get("portworx/snapshot-type")
            .map(String::as_str),
        Some("cloud")
    );
    assert_eq!(
        spec.options
            .get("portworx/cloud-cred-id")
            .map(String::as_str),
        Some("cred-1")
    );
    assert_eq!(spec.max_retries, 2);
    assert_eq!(spec.restore_namespaces, ["restore-a", "restore-b"]);
}

#[test]
fn a_failed_cloud_group_exits_4_and_is_deleted() {
    let sim = cassandra_with(|c| {
        c.bad_cloud_cred_ids = vec!["bad-cred".into()];
        c.cloud_snapshot_delay_ms = 100;
    });
    let (code, json, stderr) = group_snap(
        &sim,
        &[
            FLUSH_AND_THAW,
            &["--cloud", "--cred-id", "bad-cred", "--timeout", "20s"],
        ]
        .concat(),
    );
    assert_eq!(code, 4, "{stderr}\n{json:#}");
    assert_eq!(json["group"]["status"], "Failed");
    assert_eq!(json["group"]["deleted"], true);
    assert_eq!(json["error"]["step"], "snapshot");
    assert!(
        stderr.contains("credential with ID bad-cred not found"),
        "{stderr}"
    );
    assert_released_and_deleted(&sim);
}

#[test]
fn selectors_stork_cannot_express_are_refused_before_any_request() {
    let sim = SimHandle::cassandra();
    for (selector, what) in [
        ("app!=cassandra", "`!=`"),
        ("app in (cassandra)", "in"),
        ("app notin (x)", "notin"),
        ("app", "existence check"),
        ("app=cassandra,!tier", "existence check"),
    ] {
        let (code, json, stderr) = group_snap(&sim, &["-n", "cassandra", "-l", selector]);
        assert_eq!(code, 2, "{selector}: {stderr}");
        assert!(
            stderr.contains("matchLabels only") && stderr.contains(what),
            "{stderr}"
        );
        assert_eq!(json["error"]["step"], "config");
    }
    assert!(
        sim.sim
            .request_log()
            .iter()
            .all(|r| r.resource.is_empty() || r.verb != "create")
    );
    assert!(
        sim.sim
            .request_log()
            .iter()
            .all(|r| r.resource != "persistentvolumeclaims"),
        "refused before listing anything"
    );
}

#[test]
fn no_matching_pvc_is_a_clear_error() {
    let sim = SimHandle::cassandra();
    let (code, json, stderr) = group_snap(&sim, &["-n", "cassandra", "-l", "app=nothing"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no PVC in namespace \"cassandra\" matches the selector \"app=nothing\""),
        "{stderr}"
    );
    assert_eq!(json["error"]["step"], "pvc");
}

#[test]
fn every_unsnapshottable_pvc_is_reported_at_once() {
    let pvc = |name: &str, phase: &str, driver: &str| PvcSpec {
        namespace: "mixed".into(),
        name: name.into(),
        labels: labels(&[("app", "mixed")]),
        phase: phase.into(),
        driver: driver.into(),
        ..Default::default()
    };
    let scenario = Scenario {
        pvcs: vec![
            pvc("ok", "Bound", "pxd.portworx.com"),
            pvc("pending", "Pending", "pxd.portworx.com"),
            pvc("ebs", "Bound", "ebs.csi.aws.com"),
        ],
        ..Default::default()
    };
    let sim = SimHandle::start(scenario);
    let (code, _, stderr) = group_snap(&sim, &["-n", "mixed", "-l", "app=mixed"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("2 of the 3 PVCs"), "{stderr}");
    assert!(
        stderr.contains("\"pending\"") && stderr.contains("ebs.csi.aws.com"),
        "{stderr}"
    );
    let log = sim.sim.request_log();
    let count = |verb: &str, resource: &str| {
        log.iter()
            .filter(|r| r.verb == verb && r.resource == resource)
            .count()
    };
    assert_eq!(count("list", "persistentvolumes"), 1);
    assert_eq!(count("get", "persistentvolumes"), 0);
}

/// `n` PVCs labelled `app=bench`, each mounted by its own pod whose container is `app`.
fn one_pod_per_pvc(n: usize) -> Scenario {
    let pvcs = (0..n)
        .map(|i| PvcSpec {
            namespace: "bench".into(),
            name: format!("data-{i}"),
            labels: labels(&[("app", "bench")]),
            ..Default::default()
        })
        .collect();
    let pods = (0..n)
        .map(|i| PodSpec {
            namespace: "bench".into(),
            name: format!("app-{i}"),
            containers: vec![ContainerSpec {
                name: "app".into(),
                mounts: vec![MountSpec {
                    volume: "data".into(),
                    pvc: format!("data-{i}"),
                    path: "/data".into(),
                }],
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    Scenario {
        pvcs,
        pods,
        ..Default::default()
    }
}

/// Requests pxsnap made to find the PVCs, their PVs and the pods (exec and the group itself
/// excluded).
fn locate_requests(sim: &SimHandle) -> usize {
    sim.sim
        .request_log()
        .iter()
        .filter(|r| {
            matches!(
                r.resource.as_str(),
                "pods" | "persistentvolumeclaims" | "persistentvolumes"
            ) && r.verb != "exec"
                && r.subresource.is_none()
        })
        .count()
}

#[test]
fn locating_pods_costs_the_same_requests_for_3_and_30_pvcs() {
    let counts: Vec<usize> = [3, 30]
        .into_iter()
        .map(|n| {
            let sim = SimHandle::start(one_pod_per_pvc(n));
            let (code, json, stderr) =
                group_snap(&sim, &["-n", "bench", "-l", "app=bench", "--pre", "true"]);
            assert_eq!(code, 0, "{stderr}");
            assert_eq!(json["children"].as_array().map(Vec::len), Some(n));
            assert_eq!(json["freeze"]["perPod"].as_array().map(Vec::len), Some(n));
            locate_requests(&sim)
        })
        .collect();
    assert_eq!(
        counts[0], counts[1],
        "request count grew with the PVC count"
    );
    assert_eq!(counts[0], 3, "one PVC list, one PV list, one pod list");
}

/// Pods are released in the order their pre commands finished, not in target order: with
/// `--parallel 2` over three pods, app-1 (short pre) and app-2 (no wait) finish before app-0
/// (long pre), so their post commands take the two exec slots and app-0's comes last, although
/// app-0 comes first by name. app-0 was quiesced last, so it is the one that can wait.
#[test]
fn posts_start_in_the_order_the_pre_commands_finished() {
    let sim = SimHandle::start(one_pod_per_pvc(3));
    let pre = r#"case "$HOSTNAME" in app-0) sleep 0.6 ;; app-1) sleep 0.2 ;; esac"#;
    let (code, _, stderr) = group_snap(
        &sim,
        &[
            "-n",
            "bench",
            "-l",
            "app=bench",
            "--pre",
            pre,
            "--post",
            // Each post holds its exec slot a while, so app-0 cannot take one before
            // app-2 started, however slowly a loaded machine opens app-2's stream.
            "sleep 0.3; echo thawed",
            "--parallel",
            "2",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let timeline = sim.sim.timeline();
    let pods = |kind, needle| -> Vec<String> {
        execs(&timeline, kind, needle)
            .into_iter()
            .filter_map(|e| e.pod)
            .collect()
    };
    assert_eq!(
        pods(TimelineKind::ExecEnd, "HOSTNAME"),
        ["app-1", "app-2", "app-0"]
    );
    let posts = pods(TimelineKind::ExecStart, "echo thawed");
    assert_eq!(posts.len(), 3);
    assert_eq!(posts.last().map(String::as_str), Some("app-0"), "{posts:?}");
}

/// A group dry run prints one plan per format and creates no group.
#[test]
fn dry_run_prints_one_document_in_every_format() {
    let sim = cassandra();
    let args = [
        &["group-snap"][..],
        FLUSH_AND_THAW,
        &["--name", "g1", "--dry-run"],
    ]
    .concat();
    let plan = dry_run_documents(
        &sim,
        &args,
        "groupvolumesnapshot.stork.libopenstorage.org/g1",
    );
    assert_eq!(plan["kind"], "GroupSnapPlan");
    assert_eq!(
        plan["object"]["apiVersion"],
        "stork.libopenstorage.org/v1alpha1"
    );
    assert_eq!(plan["object"]["kind"], "GroupVolumeSnapshot");
    assert_eq!(plan["hooks"].as_array().map(Vec::len), Some(6));
    assert!(groups_in(&sim, "cassandra").is_empty());
}
