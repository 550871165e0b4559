//! End-to-end tests of `pxsnap clone` against pxsnap-sim: the real binary, the simulator's STORK
//! snapshot controller and clone provisioner.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use pxsnap::k8s::resources::{
    GroupVolumeSnapshot, SnapshotPhase, StorkSnapshotSpec, StorkVolumeSnapshot,
};
use pxsnap_sim::{Fault, FaultAction, TimelineKind};
use serde_json::Value;

use crate::common::{SimHandle, create, eventually};

/// The pxsnap run's outcome: exit code, stdout, stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that stderr contains `needle`, printing all of it when it does not.
    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) {
        assert!(self.stderr.contains(needle), "{}", self.stderr);
    }

    /// Asserts that the run exited with `code` and said `needle` on stderr: how a refusal or
    /// failure is checked.
    #[track_caller]
    pub fn assert_fails_with(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "{}", self.stderr);
        self.assert_stderr_contains(needle);
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

/// Runs the real binary against the simulator, off the async runtime's threads. `args` is split
/// on whitespace (no argument in these tests contains a space).
pub async fn pxsnap(env: &SimHandle, args: &str) -> Run {
    let kubeconfig = env.kubeconfig_path.clone();
    let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
    tokio::task::spawn_blocking(move || {
        let out = assert_cmd::Command::cargo_bin("pxsnap")
            .expect("binary")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(&args)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // CARGO_TARGET_DIR is shared between worktrees: another branch's build can replace
        // the binary under a running test. Say so instead of failing on a confusing assertion.
        assert!(
            !stderr.contains("unrecognized subcommand 'clone'"),
            "the pxsnap binary was replaced by another branch's build (shared CARGO_TARGET_DIR); rerun"
        );
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        }
    })
    .await
    .expect("joins")
}

/// Creates a STORK VolumeSnapshot of `pvc` with the given annotations (through the simulator's
/// API, as a user would) and, unless `ready` is false, waits until the simulated STORK cut it.
pub async fn snapshot(
    env: &SimHandle,
    namespace: &str,
    name: &str,
    pvc: &str,
    annotations: &[(&str, &str)],
) -> StorkVolumeSnapshot {
    let api: Api<StorkVolumeSnapshot> = Api::namespaced(env.client().await, namespace);
    let object = StorkVolumeSnapshot {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        },
        spec: StorkSnapshotSpec {
            persistent_volume_claim_name: pvc.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    create(&api, &object).await
}

/// Waits until the snapshot's phase satisfies `wanted`.
async fn wait_phase(
    env: &SimHandle,
    namespace: &str,
    name: &str,
    wanted: fn(&SnapshotPhase) -> bool,
) {
    let api: Api<StorkVolumeSnapshot> = Api::namespaced(env.client().await, namespace);
    eventually(
        10,
        &format!("snapshot {namespace}/{name} settling"),
        || async {
            let phase = api.get(name).await.expect("get snapshot").phase();
            wanted(&phase).then_some(())
        },
    )
    .await
}

async fn ready_snapshot(
    env: &SimHandle,
    namespace: &str,
    name: &str,
    pvc: &str,
    annotations: &[(&str, &str)],
) {
    snapshot(env, namespace, name, pvc, annotations).await;
    wait_phase(env, namespace, name, |p| *p == SnapshotPhase::Ready).await;
}

/// The cassandra scenario with data-snap, a Ready snapshot of PVC cassandra-data in namespace
/// default: the source most clone tests start from.
async fn with_data_snap() -> SimHandle {
    let env = SimHandle::cassandra();
    ready_snapshot(&env, "default", "data-snap", "cassandra-data", &[]).await;
    env
}

pub async fn get_pvc(
    env: &SimHandle,
    namespace: &str,
    name: &str,
) -> Option<PersistentVolumeClaim> {
    let api: Api<PersistentVolumeClaim> = Api::namespaced(env.client().await, namespace);
    api.get_opt(name).await.expect("get pvc")
}

fn annotation<'a>(pvc: &'a PersistentVolumeClaim, key: &str) -> Option<&'a str> {
    pvc.metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

/// Hangs (or releases) the simulated controllers: nothing gets cut or bound while they hang.
fn set_hang(env: &SimHandle, hang: bool) {
    let mut settings = env.sim.controller();
    settings.hang = hang;
    env.sim.set_controller(settings);
}

/// The PVC creates the simulator saw: nothing may be created when a check refuses.
pub fn pvc_creates(env: &SimHandle) -> Vec<String> {
    env.sim
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "create" && r.resource == "persistentvolumeclaims")
        .map(|r| r.name.unwrap_or_default())
        .collect()
}

/// Asserts that no PVC was created: what every refused clone must leave behind.
#[track_caller]
pub fn assert_nothing_created(env: &SimHandle) {
    assert_eq!(pvc_creates(env), Vec::<String>::new(), "nothing is created");
}

const RESTORE_NS: &str = "stork.libopenstorage.org/snapshot-restore-namespaces";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_binds_and_prints_the_volume_and_a_pod_snippet() {
    let env = with_data_snap().await;

    let run = pxsnap(&env, "clone -n default data-snap data-restore").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pvc = get_pvc(&env, "default", "data-restore")
        .await
        .expect("created");
    let volume = pvc
        .spec
        .as_ref()
        .and_then(|s| s.volume_name.clone())
        .expect("bound to a PV");
    let spec = pvc.spec.clone().unwrap_or_default();
    assert_eq!(
        spec.storage_class_name.as_deref(),
        Some("stork-snapshot-sc")
    );
    assert_eq!(
        annotation(&pvc, "snapshot.alpha.kubernetes.io/snapshot"),
        Some("data-snap")
    );
    assert_eq!(
        annotation(&pvc, "stork.libopenstorage.org/snapshot-source-namespace"),
        None,
        "same-namespace clones carry no source namespace"
    );
    let requests = spec.resources.and_then(|r| r.requests).unwrap_or_default();
    assert_eq!(
        requests["storage"].0, "10Gi",
        "size defaults to the source's"
    );
    assert_eq!(
        pvc.metadata.labels.unwrap_or_default()["app.kubernetes.io/managed-by"],
        "pxsnap"
    );
    assert!(
        run.stdout.contains(&format!("VOLUME         {volume}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "volumes:\n  - name: data-restore\n    persistentVolumeClaim:\n      claimName: data-restore\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        env.sim
            .timeline()
            .iter()
            .any(|e| e.kind == TimelineKind::PvcBound && e.pvc.as_deref() == Some("data-restore")),
        "the simulator bound the clone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_options_and_labels() {
    let env = with_data_snap().await;

    let run = pxsnap(&env, "clone -n default data-snap big-copy --size 20Gi --access-mode RWX --label team=dba -o json")
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["kind"], "CloneResult");
    assert_eq!(json["error"], Value::Null);
    let clone = &json["clones"][0];
    assert_eq!(clone["pvc"], "big-copy");
    assert_eq!(clone["status"], "Bound");
    assert_eq!(clone["size"], "20Gi");
    assert_eq!(clone["accessModes"], serde_json::json!(["ReadWriteMany"]));
    assert_eq!(clone["sourcePvc"], "cassandra-data");
    let pvc = get_pvc(&env, "default", "big-copy").await.expect("created");
    assert_eq!(
        clone["volume"].as_str(),
        pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref())
    );
    assert_eq!(pvc.metadata.labels.unwrap_or_default()["team"], "dba");

    let named = pxsnap(&env, "clone -n default data-snap named -o name").await;
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(named.stdout, "persistentvolumeclaim/named\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_namespace_clone_allowed_by_the_annotation() {
    let env = SimHandle::cassandra();
    ready_snapshot(
        &env,
        "cassandra",
        "c0-snap",
        "cassandra-data-cassandra-0",
        &[(RESTORE_NS, "prod-.*, defa[u]lt")],
    )
    .await;

    let run = pxsnap(
        &env,
        "clone -n cassandra c0-snap c0-copy --target-namespace default -o json",
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["clones"][0]["status"], "Bound");
    let pvc = get_pvc(&env, "default", "c0-copy")
        .await
        .expect("created in the target");
    assert_eq!(
        annotation(&pvc, "stork.libopenstorage.org/snapshot-source-namespace"),
        Some("cassandra")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_namespace_clone_refused_shows_the_patterns() {
    let env = SimHandle::cassandra();
    ready_snapshot(
        &env,
        "cassandra",
        "limited",
        "cassandra-data-cassandra-0",
        &[(RESTORE_NS, "prod-.*,staging")],
    )
    .await;
    ready_snapshot(
        &env,
        "cassandra",
        "private",
        "cassandra-data-cassandra-1",
        &[],
    )
    .await;
    ready_snapshot(
        &env,
        "cassandra",
        "prefix",
        "cassandra-data-cassandra-2",
        &[(RESTORE_NS, "defaul")],
    )
    .await;

    let run = pxsnap(
        &env,
        "clone -n cassandra limited x --target-namespace default",
    )
    .await;
    run.assert_fails_with(1, "VolumeSnapshot \"limited\" in namespace \"cassandra\" may not be cloned into namespace \"default\": its restore-namespaces patterns ^prod-.*$, ^staging$ do not match \"default\"");
    // A prefix is not enough: the patterns are anchored, as STORK anchors them.
    let partial = pxsnap(
        &env,
        "clone -n cassandra prefix x --target-namespace default",
    )
    .await;
    partial.assert_fails_with(1, "patterns ^defaul$ do not match");

    let none = pxsnap(
        &env,
        "clone -n cassandra private x --target-namespace default",
    )
    .await;
    none.assert_fails_with(
        1,
        "it has no stork.libopenstorage.org/snapshot-restore-namespaces annotation",
    );
    assert_nothing_created(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_missing_not_ready_or_in_error_is_refused() {
    let env = SimHandle::cassandra();
    let missing = pxsnap(&env, "clone -n default nope x").await;
    missing.assert_fails_with(
        1,
        "VolumeSnapshot \"nope\" not found in namespace \"default\"",
    );

    let mut settings = env.sim.controller();
    settings.hang = true;
    env.sim.set_controller(settings.clone());
    snapshot(&env, "default", "uncut", "cassandra-data", &[]).await;
    let pending = pxsnap(&env, "clone -n default uncut x -o json").await;
    pending.assert_fails_with(1, "VolumeSnapshot \"uncut\" in namespace \"default\" is not Ready yet (no status yet: STORK has not cut it); wait for it, or pass --wait-snapshot");
    let json = pending.json();
    assert_eq!(json["error"]["step"], "snapshot");
    assert_eq!(json["clones"][0]["status"], "NotCreated");

    settings.hang = false;
    settings.fail_snapshots_of_pvcs = vec!["cassandra-data-cassandra-2".into()];
    env.sim.set_controller(settings);
    snapshot(
        &env,
        "cassandra",
        "broken",
        "cassandra-data-cassandra-2",
        &[],
    )
    .await;
    wait_phase(&env, "cassandra", "broken", |p| {
        matches!(p, SnapshotPhase::Error(_))
    })
    .await;
    let failed = pxsnap(&env, "clone -n cassandra broken x").await;
    assert_eq!(failed.code, 4);
    assert!(
        failed
            .stderr
            .contains("VolumeSnapshot \"broken\" in namespace \"cassandra\" is in Error ("),
        "{}",
        failed.stderr
    );
    assert_nothing_created(&env);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_snapshot_waits_for_the_cut_then_clones() {
    let env = SimHandle::cassandra();
    set_hang(&env, true);
    snapshot(&env, "default", "later", "cassandra-data", &[]).await;

    let run = pxsnap(
        &env,
        "clone -n default later later-copy --wait-snapshot -o json",
    );
    let release = async {
        eventually(10, "clone to wait on the snapshot", || async {
            env.watch_started("volumesnapshots", Some("later"))
                .then_some(())
        })
        .await;
        set_hang(&env, false);
    };
    let (run, ()) = tokio::join!(run, release);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["clones"][0]["status"], "Bound");
    let timeline = env.sim.timeline();
    let at = |kind: TimelineKind| timeline.iter().find(|e| e.kind == kind).map(|e| e.at_ns);
    let cut = at(TimelineKind::SnapshotCut).expect("snapshot cut");
    let bound = at(TimelineKind::PvcBound).expect("clone bound");
    assert!(cut < bound);
    let create = env
        .sim
        .request_log()
        .into_iter()
        .find(|r| r.verb == "create" && r.resource == "persistentvolumeclaims")
        .expect("pvc created");
    assert!(
        create.at_ns > cut,
        "the PVC is created only after the snapshot is Ready"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_checks_name_namespace_size_and_storage_class() {
    let env = with_data_snap().await;

    let taken = pxsnap(&env, "clone -n default data-snap cassandra-data").await;
    taken.assert_fails_with(
        2,
        "PVC \"cassandra-data\" already exists in namespace \"default\"; choose another name",
    );

    let no_ns = pxsnap(
        &env,
        "clone -n default data-snap x --target-namespace nowhere",
    )
    .await;
    no_ns.assert_fails_with(1, "namespace \"nowhere\" not found; create it first");

    let small = pxsnap(&env, "clone -n default data-snap x --size 10G").await;
    small.assert_fails_with(2, "--size 10G is smaller than the snapshot (10Gi, the request of source PVC \"cassandra-data\")");

    let foreign = pxsnap(
        &env,
        "clone -n default data-snap x --storage-class px-csi-db",
    )
    .await;
    foreign.assert_fails_with(2, "would create an empty volume");

    let classes: Api<StorageClass> = Api::all(env.client().await);
    classes
        .delete("stork-snapshot-sc", &DeleteParams::default())
        .await
        .expect("delete class");
    let no_class = pxsnap(&env, "clone -n default data-snap x").await;
    no_class.assert_fails_with(1, "StorageClass \"stork-snapshot-sc\" not found: STORK's install spec (specs/stork-deployment.yaml) creates it");
    assert_nothing_created(&env);
}

/// Deletes a PVC; with `retain`, its PV is switched to Retain first so it outlives the claim.
pub async fn delete_pvc(env: &SimHandle, namespace: &str, name: &str, retain: bool) {
    let client = env.client().await;
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    if retain {
        let pv = get_pvc(env, namespace, name)
            .await
            .and_then(|p| p.spec?.volume_name)
            .expect("bound");
        let pvs: Api<PersistentVolume> = Api::all(client);
        let patch = serde_json::json!({"spec": {"persistentVolumeReclaimPolicy": "Retain"}});
        pvs.patch(&pv, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("retain PV");
    }
    pvcs.delete(name, &DeleteParams::default())
        .await
        .expect("delete source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_pvc_gone_uses_the_size_of_its_pv() {
    let env = with_data_snap().await;
    delete_pvc(&env, "default", "cassandra-data", true).await;

    let small = pxsnap(&env, "clone -n default data-snap x --size 1Gi").await;
    assert_eq!(small.code, 2, "{}", small.stderr);
    assert!(
        small.stderr.contains("(10Gi, the capacity of PV"),
        "{}",
        small.stderr
    );

    let run = pxsnap(&env, "clone -n default data-snap revived -o json").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let clone = &run.json()["clones"][0];
    assert_eq!(clone["sourcePvc"], Value::Null);
    assert_eq!(clone["size"], "10Gi");
    assert_eq!(clone["status"], "Bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_pvc_and_pv_gone_needs_size() {
    let env = with_data_snap().await;
    delete_pvc(&env, "default", "cassandra-data", false).await;

    let unsized_run = pxsnap(&env, "clone -n default data-snap x").await;
    unsized_run.assert_fails_with(2, "the source PVC of snapshot \"data-snap\" is gone and no size is recorded for it; pass --size");
    let run = pxsnap(&env, "clone -n default data-snap sized --size 5Gi -o json").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["clones"][0]["size"], "5Gi");
    assert_eq!(
        json["clones"][0]["accessModes"],
        serde_json::json!(["ReadWriteOnce"])
    );
    assert!(
        json["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("--size 5Gi cannot be checked")),
        "{json}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_no_wait() {
    let env = with_data_snap().await;

    let dry = pxsnap(&env, "clone -n default data-snap planned --dry-run -o json").await;
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let clone = &dry.json()["clones"][0];
    assert_eq!(clone["status"], "Planned");
    assert_eq!(
        clone["object"]["spec"]["storageClassName"],
        "stork-snapshot-sc"
    );
    assert_eq!(
        pvc_creates(&env),
        Vec::<String>::new(),
        "a dry run creates nothing"
    );

    set_hang(&env, true);
    let quick = pxsnap(&env, "clone -n default data-snap quick --no-wait -o json").await;
    assert_eq!(quick.code, 0, "{}", quick.stderr);
    assert_eq!(quick.json()["clones"][0]["status"], "Pending");
    assert!(get_pvc(&env, "default", "quick").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_timeout_leaves_the_pvc_and_names_it() {
    let env = with_data_snap().await;
    set_hang(&env, true);

    let run = pxsnap(
        &env,
        "clone -n default data-snap stuck --timeout 1s -o json",
    )
    .await;
    run.assert_fails_with(5, "timed out after 1.0s waiting for PVC \"stuck\" in namespace \"default\" to be Bound; it is left in place");
    let json = run.json();
    assert_eq!(json["clones"][0]["status"], "TimedOut");
    assert_eq!(json["error"]["step"], "wait");
    let pvc = get_pvc(&env, "default", "stuck")
        .await
        .expect("left in place");
    assert_eq!(pvc.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
    let deletes = env
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "delete")
        .count();
    assert_eq!(deletes, 0, "pxsnap deletes nothing");

    // Only a clone a pod can mount gets the block that says how.
    let stuck = pxsnap(&env, "clone -n default data-snap stuck-too --timeout 1s").await;
    assert_eq!(stuck.code, 5, "{}", stuck.stderr);
    assert!(stuck.stdout.contains("TimedOut"), "{}", stuck.stdout);
    assert!(
        !stuck.stdout.contains("Mount it in a pod"),
        "{}",
        stuck.stdout
    );
    let quick = pxsnap(&env, "clone -n default data-snap quick --no-wait").await;
    assert_eq!(quick.code, 0, "{}", quick.stderr);
    assert!(
        quick.stdout.contains("Mount it in a pod"),
        "{}",
        quick.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_never_answers_is_bounded_by_the_timeout() {
    let env = with_data_snap().await;
    let mut fault = Fault::new(
        Some("create"),
        Some("persistentvolumeclaims"),
        FaultAction::Hang,
    );
    fault.times = 0;
    env.sim.add_fault(fault);
    let started = std::time::Instant::now();
    let run = pxsnap(
        &env,
        "clone -n default data-snap new-pvc --timeout 2s -o json",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    run.assert_fails_with(
        5,
        "timed out after 2.0s waiting for the API server to answer create persistentvolumeclaims \"new-pvc\"",
    );
    assert_eq!(run.json()["clones"][0]["status"], "NotCreated");
}

/// Creates the group snapshot of the three cassandra PVCs and waits until it lists its children.
async fn cassandra_group(env: &SimHandle, name: &str) -> Vec<String> {
    let api: Api<GroupVolumeSnapshot> = Api::namespaced(env.client().await, "cassandra");
    let mut group = GroupVolumeSnapshot::default();
    group.metadata.name = Some(name.into());
    group.metadata.namespace = Some("cassandra".into());
    group.spec.pvc_selector.match_labels = BTreeMap::from([("app".into(), "cassandra".into())]);
    create(&api, &group).await;
    eventually(
        10,
        &format!("group {name} listing its children"),
        || async {
            let group = api.get(name).await.expect("get group");
            let children: Vec<String> = group
                .children()
                .iter()
                .map(|c| c.volume_snapshot_name.clone())
                .collect();
            (children.len() == 3).then_some(children)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_clones_every_child_in_parallel() {
    let env = SimHandle::cassandra();
    cassandra_group(&env, "cass-group").await;

    let run = pxsnap(&env, "clone -n cassandra --group cass-group -o json").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["group"], "cass-group");
    let mut names: Vec<&str> = json["clones"]
        .as_array()
        .expect("clones")
        .iter()
        .map(|c| {
            assert_eq!(c["status"], "Bound", "{c}");
            c["pvc"].as_str().expect("name")
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cassandra-data-cassandra-0-clone",
            "cassandra-data-cassandra-1-clone",
            "cassandra-data-cassandra-2-clone"
        ]
    );
    // In parallel: every PVC was created before the first one bound.
    let first_bound = env
        .sim
        .timeline()
        .iter()
        .filter(|e| e.kind == TimelineKind::PvcBound)
        .map(|e| e.at_ns)
        .min()
        .expect("bound");
    let creates: Vec<u64> = env
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "create" && r.resource == "persistentvolumeclaims")
        .map(|r| r.at_ns)
        .collect();
    assert_eq!(creates.len(), 3);
    assert!(
        creates.iter().all(|at| *at < first_bound),
        "created together, then waited"
    );

    let table = pxsnap(
        &env,
        "clone -n cassandra --group cass-group --name-template r-{pvc}",
    )
    .await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains("claimName: r-cassandra-data-cassandra-2\n"),
        "{}",
        table.stdout
    );

    // Again: every name is taken now, and each refusal gets its own line.
    let again = pxsnap(
        &env,
        "clone -n cassandra --group cass-group --name-template r-{pvc}",
    )
    .await;
    again.assert_fails_with(
        2,
        "3 of 3 clones failed; the first: PVC \"r-cassandra-data-cassandra-0\"",
    );
    for other in [
        "r-cassandra-data-cassandra-1",
        "r-cassandra-data-cassandra-2",
    ] {
        again.assert_stderr_contains(&format!("error: PVC \"{other}\" already exists"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_with_a_refused_child_creates_nothing() {
    let env = SimHandle::cassandra();
    cassandra_group(&env, "cass-group").await;
    // One clone's name is already taken: checks run for all before anything is created.
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(env.client().await, "cassandra");
    let mut squatter = get_pvc(&env, "cassandra", "cassandra-data-cassandra-1")
        .await
        .expect("exists");
    squatter.metadata = ObjectMeta {
        name: Some("cassandra-data-cassandra-1-clone".into()),
        namespace: Some("cassandra".into()),
        ..Default::default()
    };
    squatter.status = None;
    create(&pvcs, &squatter).await;
    let before = pvc_creates(&env).len();

    let run = pxsnap(&env, "clone -n cassandra --group cass-group -o json").await;
    run.assert_fails_with(
        2,
        "1 of 3 clones failed; the first: PVC \"cassandra-data-cassandra-1-clone\" already exists",
    );
    let json = run.json();
    let statuses: Vec<&str> = json["clones"]
        .as_array()
        .expect("clones")
        .iter()
        .map(|c| c["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["NotCreated"; 3]);
    assert_eq!(pvc_creates(&env).len(), before, "nothing is created");

    let same = pxsnap(
        &env,
        "clone -n cassandra --group cass-group --name-template same",
    )
    .await;
    same.assert_fails_with(2, "gives two clones the name \"same\"");

    let missing = pxsnap(&env, "clone -n cassandra --group nope").await;
    missing.assert_fails_with(
        1,
        "GroupVolumeSnapshot \"nope\" not found in namespace \"cassandra\"",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_prints_the_result_and_leaves_the_pvc() {
    let env = with_data_snap().await;
    set_hang(&env, true);

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pxsnap"))
        .arg("--kubeconfig")
        .arg(&env.kubeconfig_path)
        .args([
            "clone",
            "-n",
            "default",
            "data-snap",
            "waiting",
            "-o",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    eventually(10, "the clone PVC to be created", || async {
        get_pvc(&env, "default", "waiting").await.map(|_| ())
    })
    .await;
    eventually(10, "clone to wait for it to bind", || async {
        env.watch_started("persistentvolumeclaims", Some("waiting"))
            .then_some(())
    })
    .await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("waits"))
        .await
        .expect("joins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGINT while waiting for PVC(s) waiting in namespace \"default\" to be Bound; left in place"),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("a result is printed");
    assert_eq!(json["clones"][0]["status"], "Interrupted");
    assert!(get_pvc(&env, "default", "waiting").await.is_some());
}
