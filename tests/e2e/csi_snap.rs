//! End-to-end: `snap` and `cloud-snap` through CSI `snapshot.storage.k8s.io/v1` VolumeSnapshots,
//! chosen per PVC by `--api auto`, released at the cut, against pxsnap-sim's snapshot-controller.

use pxsnap_sim::resources::id;
use pxsnap_sim::scenario::PX_IN_TREE;
use pxsnap_sim::{Scenario, TimelineEvent, TimelineKind};
use serde_json::Value;

use crate::common::{SimHandle, kinds_for, tool};
use crate::run::*;

const CLOUD_CRED: &str = "4b2a7c1e-9d3f-4e8a-b6c5-0f1e2d3c4b5a";

/// `cassandra-csi` changed by `tweak`.
fn csi_with(tweak: impl FnOnce(&mut Scenario)) -> SimHandle {
    let mut scenario = Scenario::builtin("cassandra-csi").expect("built-in scenario");
    tweak(&mut scenario);
    SimHandle::start(scenario)
}

fn at(timeline: &[TimelineEvent], kind: TimelineKind, object: &str) -> u64 {
    timeline
        .iter()
        .find(|e| e.kind == kind && e.object.as_deref() == Some(object))
        .unwrap_or_else(|| panic!("no {kind:?} of {object} in {timeline:#?}"))
        .at_ns
}

fn post_started(timeline: &[TimelineEvent], post: &str) -> u64 {
    execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .find(|e| command_of(e).contains(post))
        .unwrap_or_else(|| panic!("no post command in {timeline:#?}"))
        .at_ns
}

/// `SUBCOMMAND cassandra-data` with a flush before the cut and `echo thawed` after it, and
/// `extra`.
fn flush_and_thaw<'a>(subcommand: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = SNAP_FLUSH_AND_THAW.to_vec();
    args[0] = subcommand;
    args.extend(extra);
    args
}

fn csi_snapshot_exists(sim: &SimHandle, name: &str) -> bool {
    sim.sim
        .shared()
        .store
        .get(id::CSI_SNAPSHOTS, "default", name)
        .is_some()
}

fn csi_snapshot_count(sim: &SimHandle) -> usize {
    sim.sim.shared().store.all(id::CSI_SNAPSHOTS, None).len()
}

#[test]
fn auto_takes_a_csi_snapshot_of_a_csi_pvc_with_the_default_class() {
    let sim = cassandra_csi();
    let args = flush_and_thaw("snap", &["--name", "s1", "-o", "json"]);
    let out = pxsnap(&sim, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    let snapshot = &result["snapshot"];
    assert_eq!(snapshot["apiVersion"], "snapshot.storage.k8s.io/v1");
    assert_eq!(snapshot["kind"], "VolumeSnapshot");
    assert_eq!(snapshot["class"], "px-csi-snapclass");
    assert_eq!(snapshot["status"], "Ready");
    assert!(
        snapshot["cutAt"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{snapshot}"
    );
    assert!(snapshot["readyAt"].is_string(), "{snapshot}");
    assert!(
        snapshot["snapshotData"]
            .as_str()
            .is_some_and(|c| c.starts_with("snapcontent-")),
        "{snapshot}"
    );
    assert!(csi_snapshot_exists(&sim, "s1"));
    let timeline = sim.sim.timeline();
    assert_ordered(&timeline, "nodetool flush", "echo thawed");
    // The table says which API took it.
    let table = pxsnap(&sim, &["snap", "cassandra-data", "--name", "s2"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("API") && text.contains("csi"), "{text}");
    assert!(text.contains("px-csi-snapclass"), "{text}");
    let named = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--name", "s3", "-o", "name"],
    );
    assert_eq!(
        String::from_utf8_lossy(&named.stdout),
        "volumesnapshot.snapshot.storage.k8s.io/s3\n"
    );
}

/// The point of CSI for cloud snapshots: the application is released at the cut, seconds
/// before the upload ends, and pxsnap still waits for the upload.
#[test]
fn a_cloud_snapshot_releases_at_the_cut_and_waits_for_the_upload() {
    let sim = cassandra_csi();
    let args = flush_and_thaw("cloud-snap", &["--name", "c1", "-o", "json"]);
    let out = pxsnap(&sim, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["snapshot"]["class"], "px-csi-cloud-snapclass");
    assert_eq!(result["snapshot"]["status"], "Ready");
    let timeline = sim.sim.timeline();
    let object = "volumesnapshots/c1";
    let cut = at(&timeline, TimelineKind::SnapshotCut, object);
    let ready = at(&timeline, TimelineKind::SnapshotReady, object);
    let post = post_started(&timeline, "echo thawed");
    assert!(post > cut, "post at {post} before the cut at {cut}");
    assert!(
        ready > post + 2_000_000_000,
        "the post command started {} ms before ready; the upload takes 3 s",
        (ready.saturating_sub(post)) / 1_000_000
    );
    let frozen = result["freeze"]["durationMs"].as_u64().expect("freeze");
    assert!(frozen < 2_000, "frozen {frozen} ms through a 3 s upload");
    let cut_at: jiff::Timestamp = result["snapshot"]["cutAt"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("cutAt");
    let ready_at: jiff::Timestamp = result["snapshot"]["readyAt"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("readyAt");
    assert!(ready_at > cut_at, "{result}");
}

#[test]
fn release_at_ready_keeps_the_application_frozen_through_the_upload() {
    let sim = cassandra_csi();
    let args = flush_and_thaw("cloud-snap", &["--name", "c1", "--release-at", "ready"]);
    let out = pxsnap(&sim, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    let ready = at(&timeline, TimelineKind::SnapshotReady, "volumesnapshots/c1");
    assert!(post_started(&timeline, "echo thawed") > ready);
}

/// A cut that never comes: the freeze is bounded by --cut-timeout, not by --timeout; the
/// application is released, the snapshot deleted, exit 5.
#[test]
fn a_cut_that_never_comes_releases_at_the_cut_timeout() {
    let sim = csi_with(|s| s.controller.hang_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    let args = flush_and_thaw(
        "cloud-snap",
        &["--name", "c1", "--cut-timeout", "1s", "-o", "json"],
    );
    let out = pxsnap(&sim, &args);
    assert_fails_with(
        &out,
        5,
        "timed out after 1.0s waiting for snapshot \"c1\" to be cut",
    );
    assert_cassandra_app_thawed(&sim.sim.timeline());
    let result = json(&out);
    assert_eq!(result["snapshot"]["status"], "TimedOut");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert!(!csi_snapshot_exists(&sim, "c1"));
}

/// `status.error` before the cut: the snapshot-controller would retry, but the application is
/// released at once and the run fails with the controller's message.
#[test]
fn an_error_before_the_cut_releases_at_once_and_exits_4() {
    let sim = csi_with(|s| s.controller.fail_snapshots_of_pvcs = vec!["cassandra-data".into()]);
    let args = flush_and_thaw("snap", &["--name", "s1"]);
    let out = pxsnap(&sim, &args);
    assert_fails_with(&out, 4, "snapshot \"s1\" failed");
    assert_stderr_contains(&out, "injected failure for PVC cassandra-data");
    assert_cassandra_app_thawed(&sim.sim.timeline());
    assert!(!csi_snapshot_exists(&sim, "s1"));
}

/// An upload that fails once and then succeeds is not a failure: the error after the cut is
/// only the latest attempt's.
#[test]
fn an_upload_error_after_the_cut_that_recovers_is_not_a_failure() {
    let sim = csi_with(|s| {
        s.controller.fail_cloud_uploads = 1;
        s.controller.cloud_snapshot_delay_ms = 300;
    });
    let out = pxsnap(
        &sim,
        &["cloud-snap", "cassandra-data", "--name", "c1", "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["snapshot"]["status"], "Ready");
    let kinds = kinds_for(&sim, "volumesnapshots/c1");
    assert!(kinds.contains(&TimelineKind::SnapshotError), "{kinds:?}");
}

/// One still failing when `--timeout` ends fails the run with its message (exit 4).
#[test]
fn an_upload_error_still_there_at_the_timeout_fails_the_run() {
    let sim = csi_with(|s| {
        s.controller.fail_cloud_uploads = 1000;
        s.controller.cloud_snapshot_delay_ms = 200;
    });
    let out = pxsnap(
        &sim,
        &[
            "cloud-snap",
            "cassandra-data",
            "--name",
            "c1",
            "--timeout",
            "2s",
            "--keep-failed",
        ],
    );
    assert_fails_with(&out, 4, "snapshot \"c1\" failed");
    assert!(
        csi_snapshot_exists(&sim, "c1"),
        "kept because of --keep-failed"
    );
}

/// CSI PVCs on a cluster where CSI snapshots are not set up: STORK's API, and a note that
/// says what is missing.
#[test]
fn without_a_class_auto_uses_storks_api_and_says_why() {
    let sim = csi_with(|s| s.snapshot_classes.clear());
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--name", "s1", "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(
        notes[0].contains("no local VolumeSnapshotClass of driver pxd.portworx.com")
            && notes[0].contains("using STORK's snapshot API"),
        "{err}"
    );
    assert_eq!(
        json(&out)["snapshot"]["apiVersion"],
        "volumesnapshot.external-storage.k8s.io/v1"
    );
}

#[test]
fn with_neither_api_set_up_the_line_says_what_is_missing_and_how_to_install_it() {
    let sim = csi_with(|s| {
        s.snapshot_classes.clear();
        s.stork_crds = false;
    });
    let out = pxsnap(
        &sim,
        &["snap", "cassandra-data", "--pre", "true", "--post", "true"],
    );
    assert_fails_with(
        &out,
        1,
        "PVC \"cassandra-data\" cannot be snapshotted: no local VolumeSnapshotClass of driver pxd.portworx.com, and STORK's snapshot API is not served either; an administrator can create one: printf",
    );
    assert!(sim.sim.timeline().is_empty(), "nothing ran");
}

#[test]
fn api_csi_refuses_what_csi_cannot_do() {
    // An in-tree volume: usage, exit 2.
    let intree = cassandra();
    let out = pxsnap(&intree, &["snap", "cassandra-data", "--api", "csi"]);
    assert_fails_with(
        &out,
        2,
        "--api csi: PVC \"cassandra-data\" is an in-tree portworxVolume",
    );
    // The CSI API not served: exit 1, saying how to install it.
    let unserved = csi_with(|s| s.csi_crds = false);
    let out = pxsnap(&unserved, &["snap", "cassandra-data", "--api", "csi"]);
    assert_fails_with(
        &out,
        1,
        "the CSI snapshot API (snapshot.storage.k8s.io/v1) is not served; install the external-snapshotter",
    );
    // No class: exit 1 with the class an administrator could apply, and that command works.
    let classless = csi_with(|s| s.snapshot_classes.clear());
    let out = pxsnap(&classless, &["snap", "cassandra-data", "--api", "csi"]);
    assert_fails_with(
        &out,
        1,
        "no local VolumeSnapshotClass of driver pxd.portworx.com",
    );
    let err = stderr(&out);
    let command = err
        .split("an administrator can create one: ")
        .nth(1)
        .expect("a command")
        .trim_end();
    let Some(kubectl) = tool("kubectl", "applying the suggested class") else {
        return;
    };
    let applied = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PATH", path_with(&kubectl))
        .env("KUBECONFIG", &classless.kubeconfig_path)
        .output()
        .expect("sh");
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let out = pxsnap(
        &classless,
        &["snap", "cassandra-data", "--api", "csi", "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["snapshot"]["class"], "px-csi-snapclass");
}

/// PATH with the directory of `tool` first.
fn path_with(tool: &std::path::Path) -> String {
    let dir = tool.parent().expect("a directory");
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn class_mistakes_are_usage_errors_and_create_nothing() {
    let sim = csi_with(|s| {
        let other: pxsnap_sim::scenario::SnapshotClassSpec =
            serde_json::from_value(serde_json::json!({"name": "ebs", "driver": "ebs.csi.aws.com"}))
                .expect("class");
        s.snapshot_classes.push(other);
    });
    let cases: [(&[&str], &str); 5] = [
        (
            &["snap", "cassandra-data", "--class", "missing"],
            "--class missing: no VolumeSnapshotClass of that name",
        ),
        (
            &["snap", "cassandra-data", "--class", "ebs"],
            "--class ebs: that class is of driver ebs.csi.aws.com, not of the PVC's driver pxd.portworx.com",
        ),
        (
            &[
                "snap",
                "cassandra-data",
                "--class",
                "px-csi-cloud-snapclass",
            ],
            "--class px-csi-cloud-snapclass: that class takes cloud snapshots; use cloud-snap",
        ),
        (
            &["cloud-snap", "cassandra-data", "--cred-id", "nope"],
            "--cred-id nope matches no cloud VolumeSnapshotClass of driver pxd.portworx.com; they name: 4b2a7c1e",
        ),
        (
            &["cloud-snap", "cassandra-data", "--incremental-count", "0"],
            "--incremental-count has no CSI equivalent: set the class parameter csi.openstorage.org/snapshot-incremental-count",
        ),
    ];
    for (args, line) in cases {
        let out = pxsnap(&sim, args);
        assert_fails_with(&out, 2, line);
    }
    assert_eq!(csi_snapshot_count(&sim), 0);
}

#[test]
fn two_fitting_cloud_classes_need_a_choice() {
    let sim = csi_with(|s| {
        let second: pxsnap_sim::scenario::SnapshotClassSpec =
            serde_json::from_value(serde_json::json!({
                "name": "px-csi-cloud-b", "driver": "pxd.portworx.com",
                "parameters": {"csi.openstorage.org/snapshot-type": "cloud",
                               "csi.openstorage.org/snapshot-credential-id": "other-cred"},
            }))
            .expect("class");
        s.snapshot_classes.push(second);
    });
    let out = pxsnap(&sim, &["cloud-snap", "cassandra-data"]);
    assert_fails_with(
        &out,
        2,
        "several VolumeSnapshotClasses of driver pxd.portworx.com fit: px-csi-cloud-b, px-csi-cloud-snapclass; name one with --class",
    );
    // The credential tells them apart.
    let out = pxsnap(
        &sim,
        &[
            "cloud-snap",
            "cassandra-data",
            "--cred-id",
            CLOUD_CRED,
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["snapshot"]["class"], "px-csi-cloud-snapclass");
}

/// A class that retains its content: a deleted snapshot's data stays, and pxsnap says how to
/// delete it.
#[test]
fn a_retained_snapshot_that_is_deleted_says_where_its_data_stays() {
    let sim = csi_with(|s| {
        s.retain_snapshot_classes = vec!["px-csi-snapclass".into()];
        s.controller.fail_cloud_uploads = 0;
        s.controller.hang_snapshots_of_pvcs = vec!["cassandra-data".into()];
    });
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--name",
            "s1",
            "--cut-timeout",
            "1s",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let result = json(&out);
    let warnings: Vec<&str> = result["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("class \"px-csi-snapclass\" has deletionPolicy Retain")),
        "{warnings:?}"
    );
}

#[test]
fn a_dry_run_shows_the_csi_object() {
    let sim = cassandra_csi();
    let plan = dry_run_documents(
        &sim,
        &["snap", "cassandra-data", "--name", "s1", "--dry-run"],
        "volumesnapshot.snapshot.storage.k8s.io/s1",
    );
    assert_eq!(csi_snapshot_count(&sim), 0);
    let text = plan.to_string();
    assert!(text.contains("snapshot.storage.k8s.io/v1"), "{text}");
    assert!(text.contains("px-csi-snapclass"), "{text}");
}

/// A user who may not list classes still gets a CSI snapshot: it names no class, and the
/// snapshot-controller writes back the driver's default.
#[test]
fn without_list_on_classes_the_controller_picks_the_default() {
    let sim = csi_with(|s| {
        s.users = vec![serde_json::from_value(serde_json::json!({
            "name": "ci", "token": "ci-token",
            "rules": [
                {"verbs": ["*"], "apiGroups": ["", "snapshot.storage.k8s.io", "volumesnapshot.external-storage.k8s.io"],
                 "resources": ["persistentvolumeclaims", "persistentvolumes", "pods", "pods/exec", "volumesnapshots"],
                 "namespaces": ["*"]},
            ]
        }))
        .expect("user")];
    });
    let out = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--name",
            "s1",
            "--context",
            "pxsnap-sim-ci",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_stderr_contains(&out, "note: listing VolumeSnapshotClasses is forbidden");
    let result = json(&out);
    assert!(result["snapshot"].get("class").is_none(), "{result}");
    let written = sim
        .sim
        .shared()
        .store
        .get(id::CSI_SNAPSHOTS, "default", "s1")
        .map(|o| o.value["spec"]["volumeSnapshotClassName"].clone());
    assert_eq!(written, Some(serde_json::json!("px-csi-snapclass")));
    // A class the user names is named as given, though it cannot be checked.
    let named = pxsnap(
        &sim,
        &[
            "snap",
            "cassandra-data",
            "--name",
            "s2",
            "--context",
            "pxsnap-sim-ci",
            "--class",
            "px-csi-snapclass",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&named), 0, "{}", stderr(&named));
    assert_stderr_contains(
        &named,
        "--class px-csi-snapclass is named as given, unchecked",
    );
    assert_eq!(json(&named)["snapshot"]["class"], "px-csi-snapclass");
}

/// `group-snap` on CSI PVCs: one VolumeGroupSnapshot, released at its one cut.
#[test]
fn group_snap_of_csi_pvcs_takes_a_volume_group_snapshot() {
    let sim = cassandra_csi();
    let out = pxsnap(
        &sim,
        &[
            "group-snap",
            "-n",
            "cassandra",
            "-l",
            "app=cassandra",
            "--name",
            "g1",
            "--pre",
            "nodetool flush",
            "--post",
            "echo thawed",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    let group = &result["group"];
    assert_eq!(group["apiVersion"], "groupsnapshot.storage.k8s.io/v1beta2");
    assert_eq!(group["kind"], "VolumeGroupSnapshot");
    assert_eq!(group["class"], "px-csi-group-snapclass");
    assert_eq!(group["status"], "Successful");
    assert!(group["cutAt"].is_string(), "{group}");
    let mut pvcs: Vec<&str> = result["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["pvc"].as_str())
        .collect();
    pvcs.sort_unstable();
    assert_eq!(
        pvcs,
        [
            "cassandra-data-cassandra-0",
            "cassandra-data-cassandra-1",
            "cassandra-data-cassandra-2"
        ]
    );
    let timeline = sim.sim.timeline();
    let cut = at(&timeline, TimelineKind::GroupCut, "volumegroupsnapshots/g1");
    for post in execs(&timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| command_of(e).contains("echo thawed"))
    {
        assert!(
            post.at_ns > cut,
            "a post command started before the group's cut"
        );
    }
    let named = pxsnap(
        &sim,
        &[
            "group-snap",
            "-n",
            "cassandra",
            "-l",
            "app=cassandra",
            "--name",
            "g2",
            "-o",
            "name",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&named.stdout),
        "volumegroupsnapshot.groupsnapshot.storage.k8s.io/g2\n"
    );
}

/// Where CSI groups cannot take the selected PVCs, STORK's group does, and the note says why.
#[test]
fn group_snap_falls_back_to_storks_group_and_says_why() {
    let unserved = csi_with(|s| s.csi_group_snapshots = false);
    let mixed = csi_with(|s| {
        if let Some(pvc) = s
            .pvcs
            .iter_mut()
            .find(|p| p.name == "cassandra-data-cassandra-1")
        {
            pvc.driver = PX_IN_TREE.to_string();
        }
    });
    for (sim, why) in [
        (
            &unserved,
            "the CSI group snapshot API (groupsnapshot.storage.k8s.io) is not served",
        ),
        (
            &mixed,
            "the selector matches both CSI and in-tree portworxVolume PVCs (in-tree: cassandra-data-cassandra-1)",
        ),
    ] {
        let out = pxsnap(
            sim,
            &[
                "group-snap",
                "-n",
                "cassandra",
                "-l",
                "app=cassandra",
                "-o",
                "json",
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(why) && err.contains("using STORK's GroupVolumeSnapshot"),
            "{err}"
        );
        assert_eq!(
            json(&out)["group"]["apiVersion"],
            "stork.libopenstorage.org/v1alpha1"
        );
    }
    // Insisting on CSI: the missing API is exit 1, STORK-only options exit 2.
    let out = pxsnap(
        &unserved,
        &[
            "group-snap",
            "-n",
            "cassandra",
            "-l",
            "app=cassandra",
            "--api",
            "csi",
        ],
    );
    assert_fails_with(
        &out,
        1,
        "the PVCs selected by app=cassandra cannot be snapshotted together: the CSI group snapshot API (groupsnapshot.storage.k8s.io) is not served",
    );
    let csi = cassandra_csi();
    let out = pxsnap(
        &csi,
        &[
            "group-snap",
            "-n",
            "cassandra",
            "-l",
            "app=cassandra",
            "--restore-namespaces",
            "dr",
        ],
    );
    assert_fails_with(&out, 2, "--restore-namespaces has no CSI equivalent");
}
