//! Running the real `pxsnap` binary against a simulator, and reading what happened from the
//! simulator's timeline: the helpers every end-to-end test of a snapshotting command shares.

use std::process::Output;
use std::time::Duration;

use pxsnap_sim::{ControllerSettings, Scenario, TimelineEvent, TimelineKind};
use serde_json::Value;

use crate::common::SimHandle;
pub use crate::common::{assert_stderr_contains, stderr};

/// `snap cassandra-data` with a flush before the cut and `echo thawed` after it, in the
/// cassandra scenario's one pod that mounts `cassandra-data`.
pub const SNAP_FLUSH_AND_THAW: &[&str] = &[
    "snap",
    "cassandra-data",
    "--pre",
    "nodetool flush",
    "--post",
    "echo thawed",
];

/// The cassandra workload on in-tree `portworxVolume` PVs, where `--api auto` takes STORK's API:
/// the scenario of the tests of STORK's path. CSI's tests use [`cassandra_csi`].
pub fn cassandra() -> SimHandle {
    SimHandle::start(Scenario::builtin("cassandra-intree").expect("built-in scenario"))
}

/// The same workload on Portworx CSI PVs, with a default local class, a cloud class whose
/// upload takes seconds, and the CSI group API.
pub fn cassandra_csi() -> SimHandle {
    SimHandle::start(Scenario::builtin("cassandra-csi").expect("built-in scenario"))
}

/// [`cassandra`] with other controller settings.
pub fn cassandra_with(settings: impl FnOnce(&mut ControllerSettings)) -> SimHandle {
    let mut scenario = Scenario::builtin("cassandra-intree").expect("built-in scenario");
    settings(&mut scenario.controller);
    SimHandle::start(scenario)
}

/// A scenario from JSON, for the odd shapes (unbound PVCs, sidecars, stopped pods).
pub fn scenario(value: Value) -> SimHandle {
    SimHandle::start(serde_json::from_value(value).expect("valid scenario"))
}

/// Stores STORK Rule `name` in `namespace` with the item list `rules`, as an admin's
/// `kubectl apply` of it would.
pub fn store_rule(sim: &SimHandle, namespace: &str, name: &str, rules: Value) {
    let object = serde_json::json!({
        "apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "Rule",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules,
    });
    sim.sim
        .shared()
        .store
        .create(
            pxsnap_sim::resources::id::RULES,
            namespace,
            object,
            &pxsnap_sim::managed_fields::FieldManager::named("admin"),
        )
        .expect("rule stored");
}

/// Runs `future` on a fresh current-thread runtime: how these synchronous tests read the
/// simulator through kube-rs while the simulator serves from its own runtime.
fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// The admin's API for the STORK VolumeSnapshots of `namespace`.
async fn stork_snapshots_api(
    sim: &SimHandle,
    namespace: &str,
) -> kube::Api<kube::api::DynamicObject> {
    kube::Api::namespaced_with(
        sim.client().await,
        namespace,
        &crate::common::res::stork_snapshot(),
    )
}

/// STORK VolumeSnapshots currently in `namespace`, by name.
pub fn snapshots(sim: &SimHandle, namespace: &str) -> Vec<String> {
    block_on(async {
        stork_snapshots_api(sim, namespace)
            .await
            .list(&Default::default())
            .await
            .expect("list snapshots")
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect()
    })
}

/// STORK VolumeSnapshot `name` in `namespace`; panics when it does not exist.
pub fn get_snapshot(sim: &SimHandle, namespace: &str, name: &str) -> kube::api::DynamicObject {
    block_on(async {
        stork_snapshots_api(sim, namespace)
            .await
            .get(name)
            .await
            .expect("snapshot exists")
    })
}

pub fn started(timeline: &[TimelineEvent], needle: &str) -> Vec<String> {
    execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| command_of(e).contains(needle))
        .filter_map(|e| e.pod.clone())
        .collect()
}

pub fn pxsnap(sim: &SimHandle, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("pxsnap runs")
}

pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Runs `args` (a `--dry-run`) with `-o json`, `-o yaml` and `-o name`, and checks each prints
/// exactly one document: a plan that parses as one JSON value, the same plan as one YAML
/// document (no repeated keys), and `name` once, marked as a dry run. Returns the JSON plan.
pub fn dry_run_documents(sim: &SimHandle, args: &[&str], name: &str) -> Value {
    let run = |format: &str| {
        let out = pxsnap(sim, &[args, &["-o", format]].concat());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        out
    };
    let plan = json(&run("json"));
    let yaml = run("yaml");
    let yaml: serde_norway::Value = serde_norway::from_slice(&yaml.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one YAML document ({e}):\n{}",
            String::from_utf8_lossy(&yaml.stdout)
        )
    });
    assert_eq!(serde_json::to_value(yaml).expect("YAML as JSON"), plan);
    assert_eq!(
        String::from_utf8_lossy(&run("name").stdout),
        format!("{name} (dry run)\n")
    );
    plan
}

/// Asserts that pxsnap exited with `expected` and said `needle` on stderr: how a refusal or
/// failure is checked.
#[track_caller]
pub fn assert_fails_with(out: &Output, expected: i32, needle: &str) {
    assert_eq!(code(out), expected, "{}", stderr(out));
    assert_stderr_contains(out, needle);
}

/// Asserts that the post command most tests use, `echo thawed`, started once and only in
/// cassandra-app-0: the release of the cassandra scenario's one pod that mounts
/// `cassandra-data`, which every failure path must still do.
#[track_caller]
pub fn assert_cassandra_app_thawed(timeline: &[TimelineEvent]) {
    assert_eq!(started(timeline, "echo thawed"), vec!["cassandra-app-0"]);
}

/// How many requests with `verb` (`exec`, `delete`…) the simulator has answered.
pub fn requests_of(sim: &SimHandle, verb: &str) -> usize {
    sim.sim
        .request_log()
        .iter()
        .filter(|r| r.verb == verb)
        .count()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// The exec events of one pod, in order, with the command line they ran.
pub fn execs(timeline: &[TimelineEvent], kind: TimelineKind) -> Vec<&TimelineEvent> {
    timeline.iter().filter(|e| e.kind == kind).collect()
}

pub fn command_of(e: &TimelineEvent) -> String {
    e.command.as_ref().map(|c| c.join(" ")).unwrap_or_default()
}

/// Asserts the consistency guarantee on a timeline: pre commands (matched by `pre`) all ended
/// before the cut, post commands (matched by `post`) all started after it.
pub fn assert_ordered(timeline: &[TimelineEvent], pre: &str, post: &str) -> u64 {
    let cut = timeline
        .iter()
        .find(|e| e.kind == TimelineKind::SnapshotCut)
        .unwrap_or_else(|| panic!("no snapshotCut in {timeline:#?}"))
        .at_ns;
    let pre_ends: Vec<_> = execs(timeline, TimelineKind::ExecEnd)
        .into_iter()
        .filter(|e| command_of(e).contains(pre))
        .collect();
    let post_starts: Vec<_> = execs(timeline, TimelineKind::ExecStart)
        .into_iter()
        .filter(|e| command_of(e).contains(post))
        .collect();
    assert!(!pre_ends.is_empty(), "no pre command ran: {timeline:#?}");
    assert!(
        !post_starts.is_empty(),
        "no post command ran: {timeline:#?}"
    );
    for e in &pre_ends {
        assert!(
            e.at_ns < cut,
            "pre ended at {} after the cut at {cut}",
            e.at_ns
        );
    }
    for e in &post_starts {
        assert!(
            e.at_ns > cut,
            "post started at {} before the cut at {cut}",
            e.at_ns
        );
    }
    cut
}

pub fn spawn_pxsnap(sim: &SimHandle, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("pxsnap"))
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn pxsnap")
}

pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (e.g. `libc::SIGINT`) to a pxsnap child, as a user's Ctrl-C or a CI runner's
/// SIGTERM would; the one place the tests call kill(2).
pub fn send_signal(child: &std::process::Child, signal: i32) {
    let pid = i32::try_from(child.id()).expect("pid fits in i32");
    // SAFETY: kill(2) on a child we spawned and have not reaped; no memory is involved.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
}

/// Waits until a command containing `needle` started in a pod: the moment `what` names.
pub fn wait_until_started(sim: &SimHandle, what: &str, needle: &str) {
    wait_for(what, || !started(&sim.sim.timeline(), needle).is_empty());
}

/// Ctrl-C for `child` once a command containing `needle` started (the moment a user would
/// press it); waits for pxsnap and asserts it exited 130, as an interrupted run must.
pub fn ctrl_c_once_started(sim: &SimHandle, child: std::process::Child, needle: &str) -> Output {
    wait_until_started(sim, &format!("a command with {needle:?} to start"), needle);
    send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(
        code(&out),
        130,
        "exit status {:?}: {}",
        out.status,
        stderr(&out)
    );
    out
}
