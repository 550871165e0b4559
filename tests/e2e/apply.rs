//! `pxsnap apply -f`: the manifests people already have (Portworx's documentation, STORK's),
//! run with pxsnap's guarantees: the commands and Rules they name run around the cut, come off
//! the object, and every document is checked before anything runs.

use std::process::Output;

use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use pxsnap_sim::{TimelineEvent, TimelineKind};
use serde_json::{Value, json};

use crate::common::{SimHandle, res};
use crate::run::{
    assert_fails_with, assert_ordered, cassandra, cassandra_csi, cassandra_with, code, command_of,
    execs, json as json_of, pxsnap, scenario, snapshots, started, stderr, store_rule,
};

/// The manifest of Portworx's documentation, word for word (README applies it).
const PORTWORX_DOC: &str = include_str!("../../docs/examples/cassandra-snapshot.yaml");

/// `pxsnap apply -f <manifest saved to a file>` and `extra`.
fn apply(sim: &SimHandle, manifest: &str, extra: &[&str]) -> Output {
    let file = sim.write_file("manifest.yaml", manifest);
    let file = file.to_string_lossy().into_owned();
    pxsnap(sim, &[&["apply", "-f", &file][..], extra].concat())
}

/// An object as the API server holds it; panics when it does not exist.
fn object(sim: &SimHandle, resource: &ApiResource, namespace: &str, name: &str) -> DynamicObject {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let api: Api<DynamicObject> = Api::namespaced_with(sim.client().await, namespace, resource);
        api.get(name).await.expect("object exists")
    })
}

fn annotations(object: &DynamicObject) -> Value {
    json!(object.metadata.annotations.clone().unwrap_or_default())
}

/// The annotations of the STORK snapshot [`PORTWORX_DOC`] creates.
fn documented_snapshot_annotations(sim: &SimHandle) -> Value {
    annotations(&object(
        sim,
        &res::stork_snapshot(),
        "default",
        "cassandra-snapshot",
    ))
}

/// When the first event of `kind` happened.
fn first(timeline: &[TimelineEvent], kind: TimelineKind) -> u64 {
    timeline
        .iter()
        .find(|e| e.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in {timeline:#?}"))
        .at_ns
}

/// When commands containing `needle` ended (or started), each run.
fn exec_times(timeline: &[TimelineEvent], kind: TimelineKind, needle: &str) -> Vec<u64> {
    let times: Vec<u64> = execs(timeline, kind)
        .into_iter()
        .filter(|e| command_of(e).contains(needle))
        .map(|e| e.at_ns)
        .collect();
    assert!(!times.is_empty(), "{needle:?} never ran: {timeline:#?}");
    times
}

#[test]
fn the_portworx_documentation_manifest_works_as_written() {
    let sim = cassandra();
    let out = apply(&sim, PORTWORX_DOC, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let list = json_of(&out);
    assert_eq!(list["kind"], "List");
    let result = &list["items"][0];
    assert_eq!(result["snapshot"]["name"], "cassandra-snapshot");
    assert_eq!(result["snapshot"]["status"], "Ready");
    assert_eq!(result["hooks"][0]["command"], "nodetool flush");
    assert_eq!(result["hooks"][0]["pod"], "cassandra-app-0");

    // The flush ran in the pod that mounts the PVC, and ended before the cut.
    let timeline = sim.sim.timeline();
    let cut = first(&timeline, TimelineKind::SnapshotCut);
    for end in exec_times(&timeline, TimelineKind::ExecEnd, "nodetool flush") {
        assert!(
            end < cut,
            "the flush ended at {end}, after the cut at {cut}"
        );
    }
    // The object: the document's, without the key pxsnap ran, with its record.
    let annotations = documented_snapshot_annotations(&sim);
    assert!(
        annotations.get("px/pre-snap-command").is_none(),
        "{annotations}"
    );
    assert_eq!(annotations["pxsnap/pre-snap-command"], "nodetool flush");
    assert_eq!(annotations["portworx/snapshot-type"], "local");
}

#[test]
fn rule_annotations_on_a_csi_snapshot_run_around_the_cut_and_come_off_the_object() {
    let sim = cassandra_csi();
    store_rule(
        &sim,
        "cassandra",
        "flush",
        json!([{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "echo rule-flush"}]}]),
    );
    store_rule(
        &sim,
        "cassandra",
        "thaw",
        json!([{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "echo rule-thaw"}]}]),
    );
    let manifest = "\
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: c1-snap
  namespace: cassandra
  labels:
    team: dba
  annotations:
    stork.libopenstorage.org/pre-snapshot-rule: flush
    stork.rule/post-snapshot: thaw
    backup.example.com/ticket: OPS-7
spec:
  source:
    persistentVolumeClaimName: cassandra-data-cassandra-1
";
    let out = apply(&sim, manifest, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = &json_of(&out)["items"][0];
    assert_eq!(
        result["snapshot"]["apiVersion"],
        "snapshot.storage.k8s.io/v1"
    );
    assert_eq!(result["snapshot"]["status"], "Ready");

    let timeline = sim.sim.timeline();
    let mut flushed = started(&timeline, "echo rule-flush");
    flushed.sort();
    assert_eq!(
        flushed,
        ["cassandra-0", "cassandra-1", "cassandra-2"],
        "the Rule's podSelector"
    );
    assert_ordered(&timeline, "rule-flush", "rule-thaw");

    let created = object(&sim, &res::csi_snapshot(), "cassandra", "c1-snap");
    let annotations = annotations(&created);
    assert_eq!(annotations["pxsnap/pre-snapshot-rule"], "flush");
    assert_eq!(annotations["pxsnap/post-snapshot-rule"], "thaw");
    assert_eq!(annotations["backup.example.com/ticket"], "OPS-7");
    assert!(
        annotations
            .as_object()
            .is_some_and(|a| !a.keys().any(|k| k.starts_with("stork"))),
        "no Rule key is left for anyone to run again: {annotations}"
    );
    let labels = created.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("dba"));
}

#[test]
fn a_group_manifest_runs_its_exec_rules_around_one_group_that_carries_none() {
    let sim = cassandra();
    store_rule(
        &sim,
        "cassandra",
        "group-flush",
        json!([{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "echo group-flush"}]}]),
    );
    let manifest = "\
apiVersion: stork.libopenstorage.org/v1alpha1
kind: GroupVolumeSnapshot
metadata:
  name: cassandra-group
  namespace: cassandra
  labels:
    tier: db
spec:
  preExecRule: group-flush
  pvcSelector:
    matchLabels:
      app: cassandra
  restoreNamespaces:
  - staging
";
    // A pre-Rule with nothing to release its pods is refused, as group-snap refuses it.
    let out = apply(&sim, manifest, &[]);
    assert_fails_with(&out, 2, "no post command or post-Rule action runs there");
    assert!(execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty());

    store_rule(
        &sim,
        "cassandra",
        "group-thaw",
        json!([{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "echo group-thaw"}]}]),
    );
    let manifest = manifest.replace(
        "  preExecRule: group-flush\n",
        "  preExecRule: group-flush\n  postExecRule: group-thaw\n",
    );
    let out = apply(&sim, &manifest, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = &json_of(&out)["items"][0];
    assert_eq!(result["kind"], "GroupSnapResult");
    assert_eq!(result["group"]["status"], "Successful");
    assert_eq!(result["group"]["restoreNamespaces"], json!(["staging"]));
    let timeline = sim.sim.timeline();
    let mut flushed = started(&timeline, "echo group-flush");
    flushed.sort();
    assert_eq!(flushed, ["cassandra-0", "cassandra-1", "cassandra-2"]);
    let cut = first(&timeline, TimelineKind::GroupCut);
    assert!(
        exec_times(&timeline, TimelineKind::ExecEnd, "group-flush")
            .iter()
            .all(|t| *t < cut)
    );
    assert!(
        exec_times(&timeline, TimelineKind::ExecStart, "group-thaw")
            .iter()
            .all(|t| *t > cut)
    );

    let group = object(&sim, &res::group_snapshot(), "cassandra", "cassandra-group");
    assert!(
        group.data["spec"].get("preExecRule").is_none()
            && group.data["spec"].get("postExecRule").is_none(),
        "STORK must not run the Rule a second time: {}",
        group.data["spec"]
    );
    assert_eq!(
        annotations(&group)["pxsnap/pre-snapshot-rule"],
        "group-flush"
    );
    let labels = group.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("tier").map(String::as_str), Some("db"));
}

/// Three STORK snapshots in namespace cassandra, one per PVC, named `<prefix>-<n>`.
fn three_snapshots(prefix: &str) -> String {
    (0..3)
        .map(|n| {
            format!(
                "apiVersion: volumesnapshot.external-storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: {prefix}-{n}
  namespace: cassandra
  annotations:
    px/pre-snap-command: echo flush-{prefix}-{n}
    px/post-snap-command: echo thaw-{prefix}-{n}
spec:
  persistentVolumeClaimName: cassandra-data-cassandra-{n}
"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn documents_run_in_order_and_the_first_failure_stops_the_run() {
    let sim =
        cassandra_with(|c| c.fail_snapshots_of_pvcs = vec!["cassandra-data-cassandra-1".into()]);
    let out = apply(&sim, &three_snapshots("s"), &["-o", "json"]);
    assert_eq!(
        code(&out),
        4,
        "the snapshot failure's code: {}",
        stderr(&out)
    );
    let items = json_of(&out)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 2, "the third never ran: {items:#?}");
    assert_eq!(items[0]["snapshot"]["status"], "Ready");
    assert_eq!(items[1]["error"]["step"], "snapshot");
    let err = stderr(&out);
    assert!(
        err.contains("not applied after the failure: ")
            && err.contains("document 3 (VolumeSnapshot \"s-2\")"),
        "{err}"
    );
    let timeline = sim.sim.timeline();
    assert!(
        started(&timeline, "flush-s-2").is_empty(),
        "nothing of the third ran"
    );
    assert_eq!(
        started(&timeline, "thaw-s-1"),
        ["cassandra-1"],
        "the failed one was released"
    );
    assert_eq!(
        snapshots(&sim, "cassandra"),
        ["s-0"],
        "the failed snapshot was deleted"
    );

    // Sequential: the second freeze began after the first one ended.
    let second = exec_times(&timeline, TimelineKind::ExecStart, "flush-s-1")[0];
    assert!(
        exec_times(&timeline, TimelineKind::ExecEnd, "thaw-s-0")
            .iter()
            .all(|t| *t < second)
    );

    let out = apply(
        &sim,
        &three_snapshots("t"),
        &["--continue-on-error", "-o", "json"],
    );
    assert_eq!(
        code(&out),
        4,
        "still the first failure's code: {}",
        stderr(&out)
    );
    let items = json_of(&out)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<&Value> = items.iter().map(|i| &i["snapshot"]["status"]).collect();
    assert_eq!(
        statuses,
        [&json!("Ready"), &json!("Error"), &json!("Ready")]
    );
    let mut left = snapshots(&sim, "cassandra");
    left.sort();
    assert_eq!(left, ["s-0", "t-0", "t-2"]);
}

#[test]
fn the_table_shows_each_result_and_name_each_object() {
    let sim = cassandra();
    let out = apply(&sim, &three_snapshots("n"), &["-o", "name"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/n-0\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io/n-1\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io/n-2\n"
    );
    let out = apply(&sim, &three_snapshots("t"), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let names: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("SNAPSHOT "))
        .map(str::trim)
        .collect();
    assert_eq!(names, ["t-0", "t-1", "t-2"], "{table}");
    assert!(
        table.contains("\n\nSNAPSHOT "),
        "a blank line between results: {table}"
    );
}

#[test]
fn dry_run_prints_every_plan_and_creates_nothing() {
    let sim = cassandra();
    let manifest = format!(
        "{}---\napiVersion: stork.libopenstorage.org/v1alpha1\nkind: GroupVolumeSnapshot\nmetadata:\n  name: g\n  namespace: cassandra\nspec:\n  pvcSelector:\n    matchLabels:\n      app: cassandra\n",
        three_snapshots("d")
    );
    let out = apply(&sim, &manifest, &["--dry-run", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let list = json_of(&out);
    let kinds: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["kind"])
        .collect();
    assert_eq!(
        kinds,
        [
            &json!("SnapPlan"),
            &json!("SnapPlan"),
            &json!("SnapPlan"),
            &json!("GroupSnapPlan")
        ]
    );
    let first = &list["items"][0];
    assert_eq!(first["hooks"][0]["command"], "echo flush-d-0");
    assert_eq!(first["hooks"][0]["pod"], "cassandra-0");
    assert_eq!(
        first["object"]["metadata"]["annotations"]["pxsnap/pre-snap-command"],
        "echo flush-d-0"
    );
    assert!(
        first["object"]["metadata"]["annotations"]
            .get("px/pre-snap-command")
            .is_none()
    );

    let yaml = apply(&sim, &manifest, &["--dry-run", "-o", "yaml"]);
    assert_eq!(code(&yaml), 0, "{}", stderr(&yaml));
    let yaml: serde_norway::Value =
        serde_norway::from_slice(&yaml.stdout).expect("one YAML document");
    assert_eq!(serde_json::to_value(yaml).expect("as JSON"), list);

    assert!(snapshots(&sim, "cassandra").is_empty());
    assert!(
        execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty(),
        "a dry run runs nothing"
    );
}

/// A valid first document that runs a command, then `second`: nothing of either may run when
/// `second` is refused.
fn with_a_bad_second(second: &str) -> String {
    format!("{PORTWORX_DOC}---\n{second}")
}

#[test]
fn every_document_is_checked_before_anything_runs() {
    let sim = cassandra_csi();
    let snapshot = |pvc: &str, annotations: &str| {
        format!(
            "apiVersion: volumesnapshot.external-storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: second\n  annotations:\n    {annotations}\nspec:\n  persistentVolumeClaimName: {pvc}\n"
        )
    };
    let cases: Vec<(String, &[&str], &str)> = vec![
        (snapshot("nope", "team: dba"), &[], "document 2 (VolumeSnapshot \"second\"): spec.persistentVolumeClaimName: PVC \"nope\" not found in namespace \"default\""),
        (
            snapshot("cassandra-data", "stork.libopenstorage.org/pre-snapshot-rule: missing"),
            &[],
            "document 2 (VolumeSnapshot \"second\"): metadata.annotations[\"stork.libopenstorage.org/pre-snapshot-rule\"]: Rule \"missing\" not found",
        ),
        (snapshot("cassandra-data", "px/post-snap-command: \"\""), &[], "metadata.annotations[\"px/post-snap-command\"]: the command is empty"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n".to_string(),
            &[],
            "document 2 (ConfigMap \"cm\"): kind ConfigMap (v1) is not one pxsnap applies",
        ),
        (
            snapshot("cassandra-data", "team: dba").replace("name: second", "name: cassandra-snapshot\n  namespace: default"),
            &[],
            "document 2 (VolumeSnapshot \"cassandra-snapshot\"): metadata.name: ",
        ),
        (
            "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: second\nspec:\n  volumeSnapshotClassName: gold\n  source:\n    persistentVolumeClaimName: cassandra-data\n".to_string(),
            &[],
            "spec.volumeSnapshotClassName: VolumeSnapshotClass \"gold\" not found",
        ),
        (
            snapshot("cassandra-data", "team: dba").replace("  name: second\n", "  name: second\n  namespace: cassandra\n"),
            &["-n", "default"],
            "metadata.namespace: namespace \"cassandra\" does not match --namespace \"default\"",
        ),
    ];
    for (second, extra, needle) in &cases {
        let out = apply(&sim, &with_a_bad_second(second), extra);
        assert_fails_with(&out, 2, needle);
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "one line: {}",
            stderr(&out)
        );
        assert!(
            out.stdout.is_empty(),
            "no result: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(
        execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty(),
        "the first document's command never ran"
    );
    assert!(snapshots(&sim, "default").is_empty(), "nothing was created");
}

#[test]
fn a_file_that_does_not_parse_or_holds_nothing_is_one_line_and_exit_2() {
    let sim = cassandra();
    let out = apply(&sim, "apiVersion: v1\nkind: [VolumeSnapshot\n", &[]);
    assert_fails_with(&out, 2, "manifest.yaml does not parse: ");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let out = apply(&sim, "---\n---\n", &[]);
    assert_fails_with(&out, 2, "no objects passed to apply");
    let out = pxsnap(&sim, &["apply", "-f", "/nonexistent/snap.yaml"]);
    assert_fails_with(&out, 2, "cannot read /nonexistent/snap.yaml: ");
    assert!(
        sim.sim.request_log().is_empty(),
        "nothing was asked of the cluster"
    );
}

#[test]
fn standard_input_and_a_directory_are_read_as_kubectl_reads_them() {
    let sim = cassandra();
    let out = assert_cmd::Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .args([
            "--kubeconfig",
            &sim.kubeconfig_path.to_string_lossy(),
            "apply",
            "-f",
            "-",
            "-o",
            "name",
        ])
        .write_stdin(PORTWORX_DOC)
        .output()
        .expect("pxsnap runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/cassandra-snapshot\n"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let docs = three_snapshots("dir");
    let docs: Vec<&str> = docs.split("---\n").collect();
    // Name order, not the order written; other files are not manifests.
    std::fs::write(dir.path().join("b.yml"), docs[1]).expect("write");
    std::fs::write(dir.path().join("a.yaml"), docs[2]).expect("write");
    std::fs::write(
        dir.path().join("c.json"),
        serde_json::to_string(&serde_norway::from_str::<Value>(docs[0]).expect("yaml"))
            .expect("json"),
    )
    .expect("write");
    std::fs::write(dir.path().join("README.md"), "not a manifest").expect("write");
    let out = pxsnap(
        &sim,
        &["apply", "-f", &dir.path().to_string_lossy(), "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let names: Vec<Value> = json_of(&out)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["snapshot"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("dir-2"), json!("dir-1"), json!("dir-0")]);
}

#[test]
fn a_command_on_a_pvc_no_running_pod_mounts_is_refused_as_snap_refuses_it() {
    let sim = scenario(json!({
        "namespaces": ["db"],
        "pvcs": [{"namespace": "db", "name": "data"}],
        "pods": [],
    }));
    let manifest = PORTWORX_DOC
        .replace(
            "name: cassandra-snapshot",
            "name: data-snap\n  namespace: db",
        )
        .replace("cassandra-data", "data");
    let out = apply(&sim, &manifest, &[]);
    assert_fails_with(
        &out,
        3,
        "no running pod in namespace \"db\" mounts PVC \"data\"",
    );
    assert!(snapshots(&sim, "db").is_empty());
    let out = apply(&sim, &manifest, &["--allow-no-pods", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = &json_of(&out)["items"][0];
    assert_eq!(result["snapshot"]["status"], "Ready");
    assert!(result["hooks"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn cloud_manifests_are_cloud_snapshots_through_either_api() {
    let sim = cassandra_csi();
    let stork = PORTWORX_DOC.replace(
        "    px/pre-snap-command: \"nodetool flush\"\n",
        "    portworx/snapshot-type: cloud\n    portworx.io/cloudsnap-incremental-count: \"0\"\n",
    );
    let csi = "\
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: csi-cloud
spec:
  volumeSnapshotClassName: px-csi-cloud-snapclass
  source:
    persistentVolumeClaimName: cassandra-data
";
    let out = apply(&sim, &format!("{stork}---\n{csi}"), &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let items = json_of(&out)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let described: Vec<(Value, Value, Value)> = items
        .iter()
        .map(|i| {
            let s = &i["snapshot"];
            (
                s["apiVersion"].clone(),
                s["type"].clone(),
                s["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            (
                json!("volumesnapshot.external-storage.k8s.io/v1"),
                json!("cloud"),
                json!("Ready")
            ),
            (
                json!("snapshot.storage.k8s.io/v1"),
                json!("cloud"),
                json!("Ready")
            ),
        ]
    );
    assert_eq!(items[1]["snapshot"]["class"], "px-csi-cloud-snapclass");
    let annotations = documented_snapshot_annotations(&sim);
    assert_eq!(annotations["portworx/snapshot-type"], "cloud");
    assert_eq!(annotations["portworx.io/cloudsnap-incremental-count"], "0");
}

#[test]
fn ctrl_c_releases_the_document_in_flight_and_runs_no_further_one() {
    let sim = cassandra();
    let manifest = three_snapshots("c").replace("echo flush-c-1", "sleep 3");
    let file = sim.write_file("manifest.yaml", &manifest);
    let child = crate::run::spawn_pxsnap(&sim, &["apply", "-f", &file.to_string_lossy()]);
    let out = crate::run::ctrl_c_once_started(&sim, child, "sleep 3");
    let timeline = sim.sim.timeline();
    assert_eq!(started(&timeline, "thaw-c-1"), ["cassandra-1"], "released");
    assert!(
        started(&timeline, "flush-c-2").is_empty(),
        "the third never ran"
    );
    assert_eq!(snapshots(&sim, "cassandra"), ["c-0"]);
    let err = stderr(&out);
    assert!(
        err.contains("not applied after the interruption: ") && err.contains("\"c-2\""),
        "{err}"
    );
}

#[test]
fn a_csi_document_for_an_in_tree_volume_names_the_api_that_can_take_it() {
    let sim = cassandra();
    let manifest = "\
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: in-tree
spec:
  source:
    persistentVolumeClaimName: cassandra-data
";
    let out = apply(&sim, manifest, &[]);
    assert_fails_with(
        &out,
        2,
        "spec.source.persistentVolumeClaimName: PVC \"cassandra-data\" is an in-tree portworxVolume, which CSI cannot snapshot; use apiVersion volumesnapshot.external-storage.k8s.io/v1",
    );
}

#[test]
fn a_document_whose_snapshot_api_is_not_served_stops_the_run_before_anything_runs() {
    let mut scenario = pxsnap_sim::Scenario::builtin("cassandra-csi").expect("built-in scenario");
    scenario.stork_crds = false;
    let sim = SimHandle::start(scenario);
    let csi = PORTWORX_DOC
        .replace(
            "volumesnapshot.external-storage.k8s.io/v1",
            "snapshot.storage.k8s.io/v1",
        )
        .replace(
            "  persistentVolumeClaimName: cassandra-data\n",
            "  source:\n    persistentVolumeClaimName: cassandra-data\n",
        )
        .replace("name: cassandra-snapshot", "name: csi-first");
    let out = apply(&sim, &format!("{csi}---\n{PORTWORX_DOC}"), &[]);
    assert_fails_with(&out, 1, "volumesnapshot.external-storage.k8s.io");
    assert!(
        execs(&sim.sim.timeline(), TimelineKind::ExecStart).is_empty(),
        "the first document's command never ran: {}",
        stderr(&out)
    );
}

#[test]
fn ctrl_c_while_a_later_document_is_prepared_freezes_nothing_more() {
    let sim = cassandra();
    // The second document's PVC is read once by the checks, then again when it runs: that read
    // is held long enough for a Ctrl-C to come while nothing is frozen.
    let mut slow = pxsnap_sim::Fault::new(
        Some("get"),
        Some("persistentvolumeclaims"),
        pxsnap_sim::FaultAction::DelayMs(1500),
    );
    slow.name = Some("cassandra-data-cassandra-1".into());
    slow.nth = 2;
    sim.sim.add_fault(slow);
    let file = sim.write_file("manifest.yaml", &three_snapshots("p"));
    let child = crate::run::spawn_pxsnap(&sim, &["apply", "-f", &file.to_string_lossy()]);
    crate::run::wait_for("the second document's PVC read to be held", || {
        sim.sim.faults_fired() >= 1
    });
    crate::run::send_signal(&child, libc::SIGINT);
    let out = child.wait_with_output().expect("pxsnap exits");
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    let timeline = sim.sim.timeline();
    assert_eq!(
        started(&timeline, "thaw-p-0"),
        ["cassandra-0"],
        "the first ran whole"
    );
    assert!(
        started(&timeline, "flush-p-1").is_empty() && started(&timeline, "flush-p-2").is_empty(),
        "nothing was frozen after the Ctrl-C"
    );
    assert_eq!(snapshots(&sim, "cassandra"), ["p-0"]);
}
