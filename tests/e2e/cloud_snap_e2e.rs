//! End-to-end: `pxsnap cloud-snap` against pxsnap-sim, whose STORK plays a slow upload with
//! progress and fails for a scenario's bad credential.
//!
//! A cloud snapshot shows no cut before it is Ready, so the guarantee checked here is stronger
//! than for `snap`: every post command starts after the snapshot is Ready.

use crate::common::SimHandle;
use crate::run::*;
use pxsnap_sim::{TimelineEvent, TimelineKind};

fn uploading_cluster(upload_ms: u64) -> SimHandle {
    cassandra_with(|c| {
        c.cloud_snapshot_delay_ms = upload_ms;
        c.bad_cloud_cred_ids = vec!["bad-cred".into()];
    })
}

/// `cloud-snap cassandra-data` and `args`.
fn cloud_snap_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&["cloud-snap", "cassandra-data"][..], args].concat()
}

/// `cloud-snap cassandra-data --pre "nodetool flush" --post "echo thawed"` and `extra`: the
/// quiesced upload most tests here vary one condition around.
fn flush_and_thaw_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let hooks = ["--pre", "nodetool flush", "--post", "echo thawed"];
    cloud_snap_args(&[&hooks[..], extra].concat())
}

fn ready_at(timeline: &[TimelineEvent]) -> u64 {
    timeline
        .iter()
        .find(|e| e.kind == TimelineKind::SnapshotReady)
        .unwrap_or_else(|| panic!("no snapshotReady in {timeline:#?}"))
        .at_ns
}

#[test]
fn the_app_stays_quiesced_until_the_upload_is_done() {
    let sim = uploading_cluster(1200);
    let out = pxsnap(
        &sim,
        &flush_and_thaw_args(&[
            "--cred-id",
            "good-cred",
            "--incremental-count",
            "0",
            "--delete-local",
            "--name",
            "c1",
            "--heartbeat",
            "300ms",
            "-o",
            "json",
        ]),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["snapshot"]["type"], "cloud");
    assert_eq!(result["snapshot"]["status"], "Ready");
    assert_eq!(result["snapshot"]["credential"], "good-cred");
    // The freeze covers the whole upload, and is reported.
    assert!(
        result["freeze"]["durationMs"]
            .as_u64()
            .is_some_and(|ms| ms >= 1200),
        "{result}"
    );
    let timeline = sim.sim.timeline();
    let ready = ready_at(&timeline);
    for post in execs(&timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| command_of(e).contains("thawed"))
    {
        assert!(
            post.at_ns > ready,
            "post started before the upload finished"
        );
    }
    assert_ordered(&timeline, "nodetool flush", "echo thawed");
    // Not on a terminal: plain heartbeat lines with the progress STORK reports.
    let err = stderr(&out);
    assert!(
        err.contains("pxsnap: still waiting for snapshot c1"),
        "{err}"
    );
    assert!(err.contains("Cloud snapshot upload in progress"), "{err}");

    let object = serde_json::to_value(get_snapshot(&sim, "default", "c1")).expect("json");
    let annotations = &object["metadata"]["annotations"];
    assert_eq!(annotations["portworx/snapshot-type"], "cloud");
    assert_eq!(annotations["portworx/cloud-cred-id"], "good-cred");
    assert_eq!(annotations["portworx.io/cloudsnap-incremental-count"], "0");
    assert_eq!(
        annotations["portworx.io/cloudsnap-delete-local-snap"],
        "true"
    );
}

#[test]
fn a_failed_upload_shows_storks_message_runs_post_and_deletes() {
    let sim = uploading_cluster(300);
    let out = pxsnap(
        &sim,
        &flush_and_thaw_args(&["--cred-id", "bad-cred", "-o", "json"]),
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("credential with ID bad-cred not found"),
        "the condition message verbatim: {err}"
    );
    let result = json(&out);
    assert_eq!(result["snapshot"]["status"], "Error");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert!(snapshots(&sim, "default").is_empty());
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn an_upload_longer_than_the_timeout_is_abandoned_after_post() {
    let sim = uploading_cluster(10_000);
    let out = pxsnap(&sim, &flush_and_thaw_args(&["--timeout", "1s"]));
    assert_fails_with(&out, 5, "deleted it (use --keep-failed to keep it)");
    assert!(snapshots(&sim, "default").is_empty());
    assert_cassandra_app_thawed(&sim.sim.timeline());
}

#[test]
fn no_wait_creates_and_returns_and_is_refused_with_commands() {
    let sim = uploading_cluster(5_000);
    for hooks in [["--pre", "nodetool flush"], ["--post", "echo thawed"]] {
        let args = cloud_snap_args(&[&["--no-wait"][..], &hooks].concat());
        let out = pxsnap(&sim, &args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert_stderr_contains(&out, "release the application before the snapshot is cut");
    }
    assert!(sim.sim.timeline().is_empty());
    let out = pxsnap(
        &sim,
        &cloud_snap_args(&["--no-wait", "--name", "c1", "-o", "name"]),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/c1\n"
    );
    assert_eq!(snapshots(&sim, "default"), vec!["c1"]);
    // `--force` accepts the early release.
    let out = pxsnap(
        &sim,
        &cloud_snap_args(&["--no-wait", "--force", "--pre", "true", "--name", "c2"]),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn ctrl_c_during_the_upload_releases_then_deletes_and_says_so() {
    let sim = uploading_cluster(20_000);
    let child = spawn_pxsnap(&sim, &flush_and_thaw_args(&["--name", "c1", "-o", "json"]));
    wait_for("the upload to start", || {
        sim.sim
            .timeline()
            .iter()
            .any(|e| e.kind == TimelineKind::SnapshotCut)
    });
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["snapshot"]["status"], "Interrupted");
    assert_eq!(result["snapshot"]["deleted"], true);
    assert_stderr_contains(&out, "snapshot \"c1\" was interrupted; deleted it");
    assert_cassandra_app_thawed(&sim.sim.timeline());
    assert!(snapshots(&sim, "default").is_empty());

    let child = spawn_pxsnap(
        &sim,
        &cloud_snap_args(&["--pre", "true", "--name", "c2", "--keep-failed"]),
    );
    wait_for("the second upload to start", || {
        snapshots(&sim, "default") == vec!["c2"]
    });
    wait_for("pxsnap to watch it", || {
        sim.watch_started("volumesnapshots", Some("c2"))
    });
    send_signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_fails_with(&out, 143, "kept because of --keep-failed");
    assert_eq!(snapshots(&sim, "default"), vec!["c2"]);
}

/// A cloud dry run prints one plan per format, for the object with its cloud annotations.
#[test]
fn dry_run_prints_one_document_in_every_format() {
    let sim = uploading_cluster(0);
    let args = flush_and_thaw_args(&["--cred-id", "good-cred", "--name", "c1", "--dry-run"]);
    let plan = dry_run_documents(
        &sim,
        &args,
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/c1",
    );
    assert_eq!(plan["kind"], "SnapPlan");
    let object = &plan["object"];
    assert_eq!(
        object["apiVersion"],
        "volumesnapshot.external-storage.k8s.io/v1"
    );
    assert_eq!(object["kind"], "VolumeSnapshot");
    assert_eq!(
        object["metadata"]["annotations"]["portworx/snapshot-type"],
        "cloud"
    );
    assert!(snapshots(&sim, "default").is_empty());
}
