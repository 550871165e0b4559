//! End-to-end: the real `pxsnap` binary lists and deletes STORK snapshots on pxsnap-sim.
//!
//! The simulator runs with `stork: false` (the CRDs served, no controller acting), so every
//! snapshot keeps exactly the conditions, owner and age the test gives it. Objects are put into
//! the simulator's store directly: a thousand of them in milliseconds, with chosen ages.

use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use pxsnap_sim::managed_fields::FieldManager;
use pxsnap_sim::resources::id;
use pxsnap_sim::{Fault, FaultAction, Scenario};
use serde_json::{Value, json};

use crate::common::SimHandle;

/// The simulator plus the ways these tests drive it.
struct Cluster {
    handle: SimHandle,
}

impl Cluster {
    /// The built-in scenario with STORK's controllers off: objects keep what the test stores.
    fn start() -> Cluster {
        Cluster::with(|_| {})
    }

    fn with(tweak: impl FnOnce(&mut Scenario)) -> Cluster {
        let mut scenario = Scenario::builtin("cassandra").expect("built-in scenario");
        scenario.stork = false;
        scenario.snapshot_controller = false;
        tweak(&mut scenario);
        Cluster {
            handle: SimHandle::start(scenario),
        }
    }

    fn sim(&self) -> &pxsnap_sim::Simulator {
        &self.handle.sim
    }

    /// Runs the real pxsnap binary against the simulator.
    fn pxsnap(&self, args: &[&str]) -> Output {
        Command::cargo_bin("pxsnap")
            .expect("pxsnap binary")
            .arg("--kubeconfig")
            .arg(&self.handle.kubeconfig_path)
            .args(args)
            .output()
            .expect("pxsnap runs")
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        self.handle.run_kubectl(args).expect("kubectl on PATH")
    }

    /// Stores a snapshot as STORK would have left it, `age_s` seconds old.
    fn snapshot(&self, snap: Snap) {
        let mut object = json!({
            "apiVersion": "volumesnapshot.external-storage.k8s.io/v1",
            "kind": "VolumeSnapshot",
            "metadata": {"name": snap.name, "labels": snap.labels, "annotations": {}},
            "spec": {"persistentVolumeClaimName": snap.pvc, "snapshotDataName": snap.data},
            "status": {"creationTimestamp": null, "conditions": snap.conditions},
        });
        if let Some(kind) = snap.type_ {
            object["metadata"]["annotations"]["portworx/snapshot-type"] = json!(kind);
        }
        if let Some((group, uid)) = &snap.group {
            object["metadata"]["ownerReferences"] = json!([{
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "GroupVolumeSnapshot", "name": group, "uid": uid,
                "controller": true, "blockOwnerDeletion": true
            }]);
        }
        self.store(id::EXT_SNAPSHOTS, &snap.namespace, object, snap.age_s);
    }

    /// Stores a CSI VolumeSnapshot of `pvc` with `status` as the snapshot-controller would have
    /// left it, `age_s` seconds old; `extra` is merged into its metadata.
    fn csi_snapshot(&self, name: &str, pvc: &str, age_s: i64, status: Value, extra: Value) {
        let mut object = json!({
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "kind": "VolumeSnapshot",
            "metadata": {"name": name},
            "spec": {"source": {"persistentVolumeClaimName": pvc}},
            "status": status,
        });
        if let (Some(meta), Value::Object(extra)) = (object["metadata"].as_object_mut(), extra) {
            meta.extend(extra);
        }
        self.store(id::CSI_SNAPSHOTS, "default", object, age_s);
    }

    fn csi_names(&self) -> Vec<String> {
        let store = &self.sim().shared().store;
        let page = store.list(id::CSI_SNAPSHOTS, Some("default"), None, 0, |_| true);
        page.items.iter().map(|o| o.name().to_string()).collect()
    }

    fn store(&self, resource: usize, namespace: &str, object: Value, age_s: i64) {
        let store = &self.sim().shared().store;
        let stored = store
            .create(resource, namespace, object, &FieldManager::named("stork"))
            .expect("stored");
        let created = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(age_s);
        store
            .backdate(resource, namespace, stored.name(), created)
            .expect("backdated");
    }

    fn exists(&self, namespace: &str, name: &str) -> bool {
        self.sim()
            .shared()
            .store
            .get(id::EXT_SNAPSHOTS, namespace, name)
            .is_some()
    }

    fn names_in(&self, namespace: &str) -> Vec<String> {
        let page =
            self.sim()
                .shared()
                .store
                .list(id::EXT_SNAPSHOTS, Some(namespace), None, 0, |_| true);
        page.items.iter().map(|o| o.name().to_string()).collect()
    }
}

/// A snapshot to store; `Snap::ready("n", "pvc", age)` and friends fill the rest.
#[derive(Clone)]
struct Snap {
    namespace: String,
    name: String,
    pvc: String,
    data: String,
    type_: Option<&'static str>,
    conditions: Value,
    group: Option<(String, String)>,
    labels: Value,
    age_s: i64,
}

const READY_MESSAGE: &str = "Snapshot created successfully and it is ready";

impl Snap {
    fn new(name: &str, pvc: &str, age_s: i64, conditions: Value) -> Snap {
        Snap {
            namespace: "default".into(),
            name: name.into(),
            pvc: pvc.into(),
            data: String::new(),
            type_: Some("local"),
            conditions,
            group: None,
            labels: json!({}),
            age_s,
        }
    }
    fn ready(name: &str, pvc: &str, age_s: i64) -> Snap {
        Snap {
            data: format!("k8s-volume-snapshot-{name}"),
            ..Snap::new(
                name,
                pvc,
                age_s,
                json!([{"type": "Ready", "status": "True", "message": READY_MESSAGE,
                        "reason": "", "lastTransitionTime": "2025-06-10T12:00:05Z"}]),
            )
        }
    }
    fn pending(name: &str, pvc: &str, age_s: i64) -> Snap {
        Snap::new(name, pvc, age_s, Value::Null)
    }
    fn failed(name: &str, pvc: &str, age_s: i64) -> Snap {
        Snap::new(
            name,
            pvc,
            age_s,
            json!([{"type": "Error", "status": "True", "reason": "",
                    "message": "snapshot failed due to err: volume is offline",
                    "lastTransitionTime": "2025-06-10T12:00:05Z"}]),
        )
    }
    fn cloud(mut self) -> Snap {
        self.type_ = Some("cloud");
        self
    }
    fn in_namespace(mut self, namespace: &str) -> Snap {
        self.namespace = namespace.into();
        self
    }
    fn labelled(mut self, labels: Value) -> Snap {
        self.labels = labels;
        self
    }
    fn child_of(mut self, group: &str, uid: &str) -> Snap {
        self.group = Some((group.into(), uid.into()));
        self.type_ = None;
        self
    }
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// A fault on STORK's `volumesnapshots` only: CSI's have the same plural.
fn stork_fault(verb: &str, action: FaultAction) -> Fault {
    let mut fault = Fault::new(Some(verb), Some("volumesnapshots"), action);
    fault.group = Some(EXT_GROUP.into());
    fault
}

/// Whether a request was for STORK's `volumesnapshots` (not CSI's).
fn is_stork_snapshots(request: &pxsnap_sim::RequestRecord) -> bool {
    request.resource == "volumesnapshots" && request.group.as_deref() == Some(EXT_GROUP)
}

const EXT_GROUP: &str = "volumesnapshot.external-storage.k8s.io";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that stdout holds each of `needles`, printing all of it when one is missing.
#[track_caller]
fn assert_contains_each(output: &Output, needles: &[&str]) {
    let text = stdout(output);
    for needle in needles {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

/// The table as rows of cells (split on runs of 2+ spaces, since MESSAGE has single spaces).
fn table(output: &Output) -> Vec<Vec<String>> {
    stdout(output)
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The mix most tests list: a local Ready, a cloud upload in progress, a failure, a group child.
fn store_mix(cluster: &Cluster) {
    cluster.snapshot(Snap::ready(
        "data-ready",
        "cassandra-data",
        5 * DAY + 2 * HOUR,
    ));
    let mut uploading = Snap::new(
        "data-uploading",
        "cassandra-data",
        3 * HOUR,
        json!([{"type": "Pending", "status": "Unknown", "message": "40% uploaded", "reason": ""}]),
    )
    .cloud();
    uploading.labels = json!({"team": "dba"});
    cluster.snapshot(uploading);
    cluster.snapshot(Snap::failed("data-failed", "cassandra-data", 12 * 60 + 5));
    cluster.snapshot(
        // 10m5s shows as "10m" for most of a minute; seconds would tick over on a slow run.
        Snap::ready(
            "nightly-data-0-uid1",
            "cassandra-data-cassandra-0",
            10 * 60 + 5,
        )
        .child_of("nightly", "uid1"),
    );
}

#[test]
fn table_shows_every_column() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    let output = cluster.pxsnap(&["list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        table(&output),
        [
            vec!["NAME", "PVC", "API", "TYPE", "STATUS", "AGE"],
            vec![
                "data-failed",
                "cassandra-data",
                "stork",
                "local",
                "Error",
                "12m"
            ],
            vec![
                "data-ready",
                "cassandra-data",
                "stork",
                "local",
                "Ready",
                "5d2h"
            ],
            vec![
                "data-uploading",
                "cassandra-data",
                "stork",
                "cloud",
                "Pending",
                "3h"
            ],
            vec![
                "nightly-data-0-uid1",
                "cassandra-data-cassandra-0",
                "stork",
                "group",
                "Ready",
                "10m"
            ],
        ]
    );
    // kubectl's look: columns start where the header's do.
    let text = stdout(&output);
    let header = text.lines().next().unwrap_or_default();
    let pvc_column = header.find("PVC").expect("PVC header");
    for line in text.lines().skip(1) {
        assert_eq!(&line[pvc_column - 3..pvc_column], "   ", "{line}");
    }
}

#[test]
fn wide_adds_group_data_completion_and_message() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    let output = cluster.pxsnap(&["list", "-o", "wide"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = table(&output);
    assert_eq!(
        rows[0],
        [
            "NAME",
            "PVC",
            "API",
            "TYPE",
            "STATUS",
            "AGE",
            "GROUP",
            "SNAPSHOT-DATA",
            "COMPLETED",
            "MESSAGE"
        ]
    );
    assert_eq!(
        rows[1][6..],
        [
            "<none>",
            "<none>",
            "<none>",
            "snapshot failed due to err: volume is offline"
        ]
    );
    assert_eq!(
        rows[2][6..],
        [
            "<none>",
            "k8s-volume-snapshot-data-ready",
            "2025-06-10T12:00:05Z",
            READY_MESSAGE
        ]
    );
    assert_eq!(rows[3][6..], ["<none>", "<none>", "<none>", "40% uploaded"]);
    assert_eq!(rows[4][6], "nightly");
}

#[test]
fn json_is_what_kubectl_gets() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    // A field pxsnap has no struct member for must survive, and the text kubectl re-encodes
    // (HTML characters, control characters, floats, big integers) must come out as it prints it.
    let mut odd = Snap::ready("odd", "cassandra-data", 60);
    odd.conditions = json!([{"type": "Ready", "status": "True",
        "message": "flush <ok> & done\tat\u{2028}line\u{1}",
        "futureField": {"x": [1, 2], "ratio": 1.0, "tiny": 1.5e-7, "huge": 1e21,
                        "big": 12345678901234567890u64, "empty": {}, "none": []}}]);
    cluster.snapshot(odd);
    let ours = cluster.pxsnap(&["list", "-o", "json"]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let theirs = cluster.kubectl(&[
        "get",
        "volumesnapshots.volumesnapshot.external-storage.k8s.io",
        "-o",
        "json",
    ]);
    assert!(theirs.status.success(), "kubectl: {}", stderr(&theirs));
    let ours_doc: Value = serde_json::from_slice(&ours.stdout).expect("pxsnap JSON");
    let theirs_doc: Value = serde_json::from_slice(&theirs.stdout).expect("kubectl JSON");
    assert_eq!(ours_doc, theirs_doc);
    assert_eq!(ours_doc["kind"], "List");
    assert_eq!(ours_doc["items"].as_array().map(Vec::len), Some(5));
    assert_eq!(ours_doc["items"][4]["metadata"]["name"], "odd");
    assert_eq!(
        ours_doc["items"][4]["status"]["conditions"][0]["futureField"]["x"][1],
        2
    );
    for item in ours_doc["items"].as_array().into_iter().flatten() {
        assert_eq!(
            item["apiVersion"],
            "volumesnapshot.external-storage.k8s.io/v1"
        );
        assert_eq!(item["kind"], "VolumeSnapshot");
    }
    // Same bytes as kubectl, so the two diff cleanly.
    assert_eq!(stdout(&ours), stdout(&theirs));
    assert_contains_each(
        &ours,
        &[
            r#""flush \u003cok\u003e \u0026 done\tat\u2028line\u0001""#,
            "\"huge\": 1e+21",
        ],
    );
}

#[test]
fn yaml_is_what_kubectl_gets() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    // Strings a YAML reader would take for something else unless quoted, text plain YAML
    // cannot hold, line breaks, and text long enough to be folded.
    let mut odd = Snap::ready("odd", "cassandra-data", 60).labelled(json!({
        "SnapshotMetadata-Timestamp": "1796607244219376515", "a10": "yes", "a2": "0755",
        "n": "n", "day": "2026-01-02", "sixty": "12:30", "empty": "", "tilde": "~",
    }));
    odd.conditions = json!([{"type": "Ready", "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "- a",
        "message": format!("flush: done {}", "and again ".repeat(12)),
        "futureField": {"lines": "one\ntwo\n", "indented": "  x\ny", "tab": "a\tb",
                        "quote": "'q'", "hash": "a #b", "float": 1.5e-7, "big": 1e21,
                        "million": 1234567.5, "none": null, "list": [[1], {}, []]}}]);
    cluster.snapshot(odd);
    let yaml = cluster.pxsnap(&["list", "-o", "yaml"]);
    let json = cluster.pxsnap(&["list", "-o", "json"]);
    assert!(yaml.status.success(), "{}", stderr(&yaml));
    let from_yaml: Value = serde_norway::from_slice(&yaml.stdout).expect("YAML");
    let from_json: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(from_yaml, from_json);
    let kubectl = cluster.kubectl(&[
        "get",
        "volumesnapshots.volumesnapshot.external-storage.k8s.io",
        "-o",
        "yaml",
    ]);
    assert!(kubectl.status.success(), "kubectl: {}", stderr(&kubectl));
    // Same bytes as kubectl: quoting, key order, folding, number forms.
    assert_eq!(stdout(&yaml), stdout(&kubectl));
    assert_contains_each(
        &yaml,
        &[
            "    creationTimestamp: \"",
            "      SnapshotMetadata-Timestamp: \"1796607244219376515\"\n",
            "      \"n\": \"n\"\n",
            "      lastTransitionTime: \"2026-01-01T00:00:00Z\"\n",
        ],
    );
}

/// Objects as a real cluster holds them: created by kubectl and by pxsnap, labelled by
/// kubectl, completed by STORK, each write recorded in `metadata.managedFields`.
#[test]
fn managed_fields_are_printed_as_kubectl_prints_them() {
    let cluster = Cluster::with(|scenario| scenario.stork = true);
    let snap = cluster.pxsnap(&[
        "snap",
        "cassandra-data",
        "--api",
        "stork",
        "--name",
        "by-pxsnap",
    ]);
    assert!(snap.status.success(), "{}", stderr(&snap));
    let manifest = cluster.handle.write_file(
        "snapshot.yaml",
        "apiVersion: volumesnapshot.external-storage.k8s.io/v1\nkind: VolumeSnapshot\n\
         metadata:\n  name: by-kubectl\nspec:\n  persistentVolumeClaimName: cassandra-data\n",
    );
    let manifest = manifest.to_string_lossy();
    let resource = "volumesnapshots.volumesnapshot.external-storage.k8s.io";
    for args in [
        &["create", "-f", &manifest][..],
        &["label", resource, "by-pxsnap", "team=dba"],
    ] {
        let done = cluster.kubectl(args);
        assert!(done.status.success(), "kubectl: {}", stderr(&done));
    }
    wait_until_ready(&cluster, "by-kubectl");
    for (format, show) in [
        ("json", false),
        ("yaml", false),
        ("json", true),
        ("yaml", true),
    ] {
        let flags: &[&str] = if show {
            &["--show-managed-fields"]
        } else {
            &[]
        };
        let ours = cluster.pxsnap(&[&["list", "-o", format], flags].concat());
        assert!(ours.status.success(), "{}", stderr(&ours));
        let theirs = cluster.kubectl(&[&["get", resource, "-o", format], flags].concat());
        assert!(theirs.status.success(), "kubectl: {}", stderr(&theirs));
        assert_eq!(stdout(&ours), stdout(&theirs), "-o {format} {flags:?}");
        let printed = stdout(&ours).contains("managedFields");
        assert_eq!(printed, show, "-o {format} {flags:?}");
    }
    let shown = cluster.pxsnap(&["list", "-o", "json", "--show-managed-fields"]);
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    let managers = |name: &str| -> Vec<String> {
        let mut items = shown["items"].as_array().into_iter().flatten();
        let item = items.find(|i| i["metadata"]["name"] == name);
        let entries = item.map(|i| i["metadata"]["managedFields"].clone());
        let entries = entries
            .and_then(|e| e.as_array().cloned())
            .unwrap_or_default();
        entries
            .iter()
            .map(|e| e["manager"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(managers("by-kubectl"), ["kubectl-create", "stork"]);
    let mut by_pxsnap = managers("by-pxsnap");
    by_pxsnap.sort();
    assert_eq!(by_pxsnap, ["kubectl-label", "pxsnap", "stork"]);
}

/// Waits until STORK has made snapshot `name` (namespace default) Ready.
fn wait_until_ready(cluster: &Cluster, name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let object = cluster
            .sim()
            .shared()
            .store
            .get(id::EXT_SNAPSHOTS, "default", name);
        let ready = object.is_some_and(|o| {
            o.value["status"]["conditions"][0]["type"] == "Ready"
                && o.value["spec"]["snapshotDataName"].is_string()
        });
        if ready {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} never became Ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn name_output_is_resource_slash_name() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    let output = cluster.pxsnap(&["list", "-o", "name", "--status", "ready"]);
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/data-ready\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io/nightly-data-0-uid1\n"
    );
}

#[test]
fn more_than_one_page_is_read_in_pages_and_streamed() {
    let cluster = Cluster::start();
    for i in 0..1_234 {
        cluster.snapshot(Snap::ready(&format!("snap-{i:05}"), "cassandra-data", 60));
    }
    let output = cluster.pxsnap(&["list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = table(&output);
    assert_eq!(rows.len(), 1 + 1_234);
    assert_eq!(rows[1][0], "snap-00000");
    assert_eq!(rows[1_234][0], "snap-01233");
    // 1,234 objects in pages of 500 (the default): three list requests of the collection,
    // each URL well formed (no empty parameter, as `?&limit=500` had).
    let queries = || -> Vec<String> {
        let log = cluster.sim().request_log().into_iter();
        let lists = log.filter(|r| r.verb == "list" && is_stork_snapshots(r));
        lists.map(|r| r.query.unwrap_or_default()).collect()
    };
    let lists = queries();
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert_eq!(lists[0], "limit=500");
    for query in &lists[1..] {
        assert!(query.starts_with("limit=500&continue="), "{lists:?}");
        assert!(!query.split('&').any(str::is_empty), "{lists:?}");
    }
    let selected = cluster.pxsnap(&["list", "-l", "team in (dba, ops)"]);
    assert!(selected.status.success(), "{}", stderr(&selected));
    assert_eq!(
        queries().last().map(String::as_str),
        Some("labelSelector=team+in+%28dba%2C+ops%29&limit=500")
    );

    // Small pages, JSON: the document is still one List with every object in order.
    let json = cluster.pxsnap(&["list", "-o", "json", "--chunk-size", "100"]);
    let doc: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 1_234);
    assert_eq!(items[1_233]["metadata"]["name"], "snap-01233");
}

#[test]
fn all_namespaces_adds_the_namespace_column() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    cluster.snapshot(Snap::ready("b", "cassandra-data-cassandra-1", 120).in_namespace("cassandra"));
    let output = cluster.pxsnap(&["list", "-A"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        table(&output),
        [
            vec!["NAMESPACE", "NAME", "PVC", "API", "TYPE", "STATUS", "AGE"],
            vec![
                "cassandra",
                "b",
                "cassandra-data-cassandra-1",
                "stork",
                "local",
                "Ready",
                "2m"
            ],
            vec![
                "default",
                "a",
                "cassandra-data",
                "stork",
                "local",
                "Ready",
                "60s"
            ],
        ]
    );
    let cluster_wide = cluster.sim().request_log().into_iter().any(|r| {
        r.verb == "list"
            && r.path
                .starts_with("/apis/volumesnapshot.external-storage.k8s.io/v1/volumesnapshots")
    });
    assert!(cluster_wide, "-A lists through the cluster-wide path");
    // Without -A only the current namespace.
    let output = cluster.pxsnap(&["list", "-o", "name"]);
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/a\n"
    );
}

#[test]
fn each_filter_and_sort_order() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    let names = |output: &Output| -> Vec<String> {
        table(output)
            .into_iter()
            .skip(1)
            .map(|row| row[0].clone())
            .collect()
    };
    let cases: [(&[&str], &[&str]); 9] = [
        (
            &["list", "cassandra-data"],
            &["data-failed", "data-ready", "data-uploading"],
        ),
        (&["list", "-l", "team=dba"], &["data-uploading"]),
        (&["list", "--type", "local"], &["data-failed", "data-ready"]),
        (&["list", "--type", "cloud"], &["data-uploading"]),
        (&["list", "--type", "group"], &["nightly-data-0-uid1"]),
        (
            &["list", "--status", "ready"],
            &["data-ready", "nightly-data-0-uid1"],
        ),
        (&["list", "--status", "pending"], &["data-uploading"]),
        (&["list", "--status", "error"], &["data-failed"]),
        (
            &["list", "--sort-by", "age"],
            &[
                "nightly-data-0-uid1",
                "data-failed",
                "data-uploading",
                "data-ready",
            ],
        ),
    ];
    for (args, expected) in cases {
        let output = cluster.pxsnap(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert_eq!(names(&output), expected, "{args:?}");
    }
    let output = cluster.pxsnap(&["list", "--sort-by", "name", "--chunk-size", "1"]);
    assert_eq!(
        names(&output),
        [
            "data-failed",
            "data-ready",
            "data-uploading",
            "nightly-data-0-uid1"
        ]
    );
}

#[test]
fn groups_list_stage_status_and_volumes() {
    let cluster = Cluster::start();
    cluster.store(
        id::GROUP_SNAPSHOTS,
        "default",
        json!({
            "apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "GroupVolumeSnapshot",
            "metadata": {"name": "nightly"},
            "spec": {"pvcSelector": {"matchLabels": {"app": "cassandra"}}},
            "status": {"stage": "Final", "status": "Successful", "numRetries": 0, "volumeSnapshots": [
                {"VolumeSnapshotName": "nightly-a-uid", "TaskID": "", "ParentVolumeID": "1", "Conditions": []},
                {"VolumeSnapshotName": "nightly-b-uid", "TaskID": "", "ParentVolumeID": "2", "Conditions": []}
            ]}
        }),
        2 * DAY,
    );
    cluster.store(
        id::GROUP_SNAPSHOTS,
        "default",
        json!({"metadata": {"name": "stuck"}, "spec": {"pvcSelector": {"matchLabels": {"app": "none"}}},
               "status": {"stage": "", "status": ""}}),
        30,
    );
    let output = cluster.pxsnap(&["list", "--groups", "-o", "wide"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        table(&output),
        [
            vec![
                "NAME", "API", "STAGE", "STATUS", "VOLUMES", "AGE", "SELECTOR"
            ],
            vec![
                "nightly",
                "GroupVolumeSnapshot",
                "Final",
                "Successful",
                "2",
                "2d",
                "app=cassandra"
            ],
            vec![
                "stuck",
                "GroupVolumeSnapshot",
                "<none>",
                "<none>",
                "0",
                "30s",
                "app=none"
            ],
        ]
    );
    let names = cluster.pxsnap(&["list", "--groups", "-o", "name"]);
    assert_eq!(
        stdout(&names),
        "groupvolumesnapshot.stork.libopenstorage.org/nightly\ngroupvolumesnapshot.stork.libopenstorage.org/stuck\n"
    );
    let refused = cluster.pxsnap(&["list", "--groups", "--status", "ready"]);
    assert_eq!(refused.status.code(), Some(2));
    // The objects carry managedFields (stored by STORK): left out as kubectl leaves them.
    let resource = "groupvolumesnapshots.stork.libopenstorage.org";
    for format in ["json", "yaml"] {
        let ours = cluster.pxsnap(&["list", "--groups", "-o", format]);
        let theirs = cluster.kubectl(&["get", resource, "-o", format]);
        assert!(theirs.status.success(), "kubectl: {}", stderr(&theirs));
        assert_eq!(stdout(&ours), stdout(&theirs), "-o {format}");
        assert!(!stdout(&ours).contains("managedFields"));
    }
}

#[test]
fn nothing_found_is_a_line_on_stderr_and_exit_zero() {
    let cluster = Cluster::start();
    let output = cluster.pxsnap(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "No VolumeSnapshots found in namespace \"default\".\n"
    );
    let json = cluster.pxsnap(&["list", "-o", "json", "-A"]);
    assert_eq!(json.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        doc,
        json!({"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}})
    );
    assert_eq!(
        stderr(&json),
        "No VolumeSnapshots found in any namespace.\n"
    );
}

// ---------------------------------------------------------------------------------------------
// delete

#[test]
fn delete_names_reports_missing_and_deletes_the_rest() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    cluster.snapshot(Snap::pending("b", "cassandra-data", 60));
    let output = cluster.pxsnap(&["delete", "a", "ghost", "b", "--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io \"a\" deleted\n\
         volumesnapshot \"ghost\" not found\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io \"b\" deleted\n"
    );
    assert_eq!(
        stderr(&output),
        "error: not found in namespace \"default\": volumesnapshot \"ghost\"\n"
    );
    assert!(cluster.names_in("default").is_empty());
}

#[test]
fn one_deletion_needs_no_yes() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    cluster.snapshot(Snap::ready("b", "cassandra-data", 60));
    let output = cluster.pxsnap(&["delete", "a", "-o", "name"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/a\n"
    );
    assert_eq!(cluster.names_in("default"), ["b"]);
}

/// Ready, Pending and Error snapshots of several ages on one PVC, plus another PVC's.
fn store_retention_mix(cluster: &Cluster) {
    for snap in [
        Snap::ready("r-1d", "cassandra-data", DAY),
        Snap::failed("e-2h", "cassandra-data", 2 * HOUR),
        Snap::ready("r-2d", "cassandra-data", 2 * DAY),
        Snap::pending("p-3d", "cassandra-data", 3 * DAY),
        Snap::ready("r-4d", "cassandra-data", 4 * DAY),
        Snap::failed("e-5d", "cassandra-data", 5 * DAY),
        Snap::ready("r-6d", "cassandra-data", 6 * DAY),
        Snap::pending("p-1m", "cassandra-data", 60),
        Snap::ready("other-9d", "cassandra-data-cassandra-0", 9 * DAY),
    ] {
        cluster.snapshot(snap);
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// `delete --pvc cassandra-data --keep-last 2 --yes -o FORMAT`.
fn keep_last_2(cluster: &Cluster, format: &str) -> Output {
    cluster.pxsnap(&[
        "delete",
        "--pvc",
        "cassandra-data",
        "--keep-last",
        "2",
        "--yes",
        "-o",
        format,
    ])
}

#[test]
fn keep_last_keeps_the_newest_ready_never_pending_and_drops_errors() {
    let cluster = Cluster::start();
    store_retention_mix(&cluster);
    let output = keep_last_2(&cluster, "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        sorted(cluster.names_in("default")),
        ["other-9d", "p-1m", "p-3d", "r-1d", "r-2d"]
    );
    let doc: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(doc["kind"], "DeleteResult");
    assert_eq!(doc["error"], Value::Null);
    let actions: Vec<(String, String)> = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or("").to_string(),
                i["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("p-1m", "kept"),
        ("e-2h", "deleted"),
        ("r-1d", "kept"),
        ("r-2d", "kept"),
        ("p-3d", "kept"),
        ("r-4d", "deleted"),
        ("e-5d", "deleted"),
        ("r-6d", "deleted"),
    ]
    .iter()
    .map(|(n, a)| (n.to_string(), a.to_string()))
    .collect();
    assert_eq!(actions, expected);
    assert_eq!(
        doc["items"][2]["reason"],
        "the newest Ready snapshot of its PVC"
    );
}

#[test]
fn older_than_include_pending_and_dry_run() {
    let cluster = Cluster::start();
    store_retention_mix(&cluster);
    // Dry run: the plan, nothing deleted, no --yes needed.
    let dry = cluster.pxsnap(&[
        "delete",
        "--pvc",
        "cassandra-data",
        "--older-than",
        "3d",
        "--dry-run",
        "-o",
        "name",
    ]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_eq!(
        stdout(&dry),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/r-4d\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io/e-5d\n\
         volumesnapshot.volumesnapshot.external-storage.k8s.io/r-6d\n"
    );
    assert_eq!(cluster.names_in("default").len(), 9);
    // --include-pending: the 3-day-old Pending one goes too (older than 2d), the young one stays.
    let output = cluster.pxsnap(&[
        "delete",
        "--pvc",
        "cassandra-data",
        "--older-than",
        "2d1h",
        "--include-pending",
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        sorted(cluster.names_in("default")),
        ["e-2h", "other-9d", "p-1m", "r-1d", "r-2d"]
    );
}

#[test]
fn label_selection_keeps_per_pvc() {
    let cluster = Cluster::start();
    let team = json!({"team": "dba"});
    for (name, pvc, age) in [
        ("a-new", "cassandra-data", HOUR),
        ("a-old", "cassandra-data", DAY),
        ("b-new", "cassandra-data-cassandra-0", HOUR),
        ("b-old", "cassandra-data-cassandra-0", DAY),
    ] {
        cluster.snapshot(Snap::ready(name, pvc, age).labelled(team.clone()));
    }
    cluster.snapshot(Snap::ready("unlabelled-old", "cassandra-data", 9 * DAY));
    let output = cluster.pxsnap(&["delete", "-l", "team=dba", "--keep-last", "1", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        sorted(cluster.names_in("default")),
        ["a-new", "b-new", "unlabelled-old"]
    );
}

#[test]
fn more_than_one_deletion_without_yes_is_refused_off_a_terminal() {
    let cluster = Cluster::start();
    store_retention_mix(&cluster);
    let output = cluster.pxsnap(&["delete", "--pvc", "cassandra-data", "--keep-last", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: refusing to delete 4 objects without --yes: stdin is not a terminal, so pxsnap cannot ask (preview with --dry-run, then add --yes)\n"
    );
    assert_eq!(cluster.names_in("default").len(), 9, "nothing deleted");
    assert!(
        stdout(&output).contains("\"r-4d\" not deleted (not confirmed)"),
        "{}",
        stdout(&output)
    );
    let deletes = cluster
        .sim()
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "delete")
        .count();
    assert_eq!(deletes, 0);
}

#[test]
fn a_terminal_is_asked_and_only_yes_deletes() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    cluster.snapshot(Snap::ready("b", "cassandra-data", 60));
    let binary = assert_cmd::cargo::cargo_bin("pxsnap");
    let run_in_pty = |answer: &str| {
        // `script` gives pxsnap a terminal as stdin; the answer is typed into it.
        let command = format!(
            "{} --kubeconfig {} delete a b",
            binary.display(),
            cluster.handle.kubeconfig_path.display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script runs");
        use std::io::Write;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(format!("{answer}\n").as_bytes());
        }
        child.wait_with_output().expect("script ends")
    };
    let declined = run_in_pty("n");
    let text = stdout(&declined);
    assert!(
        text.contains("About to delete 2 objects in namespace \"default\""),
        "{text}"
    );
    assert!(text.contains("Delete them? [y/N]"), "{text}");
    assert!(text.contains("Nothing deleted."), "{text}");
    assert_eq!(declined.status.code(), Some(0));
    assert_eq!(cluster.names_in("default").len(), 2);
    let accepted = run_in_pty("y");
    assert_eq!(accepted.status.code(), Some(0), "{}", stdout(&accepted));
    assert!(cluster.names_in("default").is_empty());
}

#[test]
fn bad_combinations_are_usage_errors() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    let cases: [&[&str]; 7] = [
        &["delete"],
        &["delete", "a", "--pvc", "cassandra-data"],
        &["delete", "a", "--keep-last", "2"],
        &["delete", "--with-children", "a"],
        &["delete", "--pvc", "cassandra-data", "--older-than", "5"],
        &["delete", "--group", "g", "--pvc", "cassandra-data"],
        &["delete", "--keep-last", "2"],
    ];
    for args in cases {
        let output = cluster.pxsnap(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&output).is_empty(), "{args:?}");
    }
    assert!(cluster.exists("default", "a"));
}

fn store_group(cluster: &Cluster, finalizer: bool) {
    let mut group = json!({
        "apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "GroupVolumeSnapshot",
        "metadata": {"name": "nightly"},
        "spec": {"pvcSelector": {"matchLabels": {"app": "cassandra"}}},
        "status": {"stage": "Final", "status": "Successful", "volumeSnapshots": [
            {"VolumeSnapshotName": "nightly-a-uid", "Conditions": []}
        ]}
    });
    if finalizer {
        group["metadata"]["finalizers"] = json!(["stork.libopenstorage.org/finalizer-cleanup"]);
    }
    cluster.store(id::GROUP_SNAPSHOTS, "default", group, HOUR);
    let uid = cluster
        .sim()
        .shared()
        .store
        .get(id::GROUP_SNAPSHOTS, "default", "nightly")
        .map(|g| g.uid().to_string())
        .expect("group stored");
    // One child found through its owner, one only through the group's status.
    cluster.snapshot(
        Snap::ready("nightly-b-uid", "cassandra-data-cassandra-1", HOUR).child_of("nightly", &uid),
    );
    cluster.snapshot(Snap::ready(
        "nightly-a-uid",
        "cassandra-data-cassandra-0",
        HOUR,
    ));
    cluster.snapshot(Snap::ready("unrelated", "cassandra-data", HOUR));
}

fn group_exists(cluster: &Cluster) -> bool {
    cluster
        .sim()
        .shared()
        .store
        .get(id::GROUP_SNAPSHOTS, "default", "nightly")
        .is_some()
}

#[test]
fn group_with_children_deletes_both() {
    let cluster = Cluster::start();
    store_group(&cluster, false);
    let output = cluster.pxsnap(&["delete", "--group", "nightly", "--with-children", "--yes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!group_exists(&cluster));
    assert_eq!(cluster.names_in("default"), ["unrelated"]);
    assert!(
        stdout(&output)
            .ends_with("groupvolumesnapshot.stork.libopenstorage.org \"nightly\" deleted\n")
    );
}

#[test]
fn group_alone_keeps_its_children_unless_stork_would_delete_them() {
    let cluster = Cluster::start();
    store_group(&cluster, false);
    let output = cluster.pxsnap(&["delete", "--group", "nightly"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!group_exists(&cluster));
    assert_eq!(
        sorted(cluster.names_in("default")),
        ["nightly-a-uid", "nightly-b-uid", "unrelated"]
    );
    assert!(stdout(&output).contains("\"nightly-b-uid\" kept: made by group \"nightly\""));
    let orphaned = cluster
        .sim()
        .request_log()
        .into_iter()
        .any(|r| r.verb == "delete" && r.resource == "groupvolumesnapshots");
    assert!(orphaned);

    let cluster = Cluster::start();
    store_group(&cluster, true);
    let output = cluster.pxsnap(&["delete", "--group", "nightly"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: deleting GroupVolumeSnapshot \"nightly\" also deletes its 2 VolumeSnapshots (STORK's cleanup finalizer does); pass --with-children to confirm\n"
    );
    assert!(group_exists(&cluster));
    let missing = cluster.pxsnap(&["delete", "--group", "ghost"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("groupvolumesnapshot.stork.libopenstorage.org \"ghost\""));
}

#[test]
fn nothing_matched_is_not_an_error() {
    let cluster = Cluster::start();
    let output = cluster.pxsnap(&["delete", "--pvc", "cassandra-data", "--keep-last", "3"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stderr(&output),
        "No VolumeSnapshots matched in namespace \"default\"; nothing to delete.\n"
    );
}

#[test]
fn a_failed_deletion_does_not_stop_the_others() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("a", "cassandra-data", 60));
    cluster.snapshot(Snap::ready("b", "cassandra-data", 60));
    cluster.snapshot(Snap::ready("c", "cassandra-data", 60));
    let mut fault = stork_fault("delete", FaultAction::Status(403));
    fault.name = Some("b".into());
    cluster.sim().add_fault(fault);
    let output = cluster.pxsnap(&["delete", "a", "b", "c", "--yes"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(cluster.names_in("default"), ["b"]);
    assert!(
        stderr(&output)
            .starts_with("error: 1 of 3 deletions failed; the first: \"b\": delete volumesnapshot"),
        "{}",
        stderr(&output)
    );
}

/// The line for an API group that is not served, as `require_api_group` words it.
fn not_served(group_version: &str, installed: &str) -> String {
    let group = group_version.split('/').next().unwrap_or_default();
    format!(
        "error: the API group {group_version} is not served by this cluster: is {installed} installed? (kubectl api-resources --api-group={group})\n"
    )
}

#[test]
fn without_storks_api_group_list_says_so_in_one_line() {
    let cluster = Cluster::with(|scenario| scenario.stork_crds = false);
    for (args, group) in [
        (
            &["list", "--api", "stork"][..],
            "volumesnapshot.external-storage.k8s.io/v1",
        ),
        (
            &["list", "--groups", "--api", "stork"],
            "stork.libopenstorage.org/v1alpha1",
        ),
        (
            &["list", "-A", "-o", "json", "--api", "stork"],
            "volumesnapshot.external-storage.k8s.io/v1",
        ),
    ] {
        let output = cluster.pxsnap(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&output), not_served(group, "STORK"), "{args:?}");
    }
    // Without --api only what is served is read: CSI's, and nothing of STORK's is asked for.
    let output = cluster.pxsnap(&["list", "-o", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let doc: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(doc["items"], json!([]));
    let asked_stork = cluster
        .sim()
        .request_log()
        .into_iter()
        .any(|r| r.verb == "list" && is_stork_snapshots(&r));
    assert!(!asked_stork);
}

/// A get by name answers 404 for an unserved group as for a missing object; delete must say
/// STORK is missing, in list's words and with its exit code, not that the object is.
#[test]
fn without_storks_api_group_delete_by_name_or_group_says_so_in_one_line() {
    let cluster = Cluster::with(|scenario| scenario.stork_crds = false);
    for (args, group) in [
        (
            &["delete", "x", "--api", "stork"][..],
            "volumesnapshot.external-storage.k8s.io/v1",
        ),
        (
            &["delete", "--group", "g", "--api", "stork"],
            "stork.libopenstorage.org/v1alpha1",
        ),
    ] {
        let output = cluster.pxsnap(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&output), not_served(group, "STORK"), "{args:?}");
    }
}

#[test]
fn without_either_snapshot_api_list_and_delete_say_so_in_one_line() {
    let cluster = Cluster::with(|scenario| {
        scenario.stork_crds = false;
        scenario.csi_crds = false;
    });
    let neither = "error: neither snapshot.storage.k8s.io/v1 nor volumesnapshot.external-storage.k8s.io/v1 is served by this cluster: is the CSI external-snapshotter (its CRDs and snapshot-controller) or STORK installed? (kubectl api-resources | grep -i volumesnapshot)\n";
    let csi = not_served(
        "snapshot.storage.k8s.io/v1",
        "the CSI external-snapshotter (its CRDs and snapshot-controller)",
    );
    for (args, line) in [
        (&["list"][..], neither),
        (&["delete", "x"], neither),
        (
            &["delete", "--pvc", "cassandra-data", "--keep-last", "2"],
            neither,
        ),
        (&["list", "--api", "csi"], csi.as_str()),
        (&["delete", "x", "--api", "csi"], csi.as_str()),
    ] {
        let output = cluster.pxsnap(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&output), line, "{args:?}");
    }
}

#[test]
fn a_page_failing_half_way_still_closes_the_json_document() {
    let cluster = Cluster::start();
    for i in 0..5 {
        cluster.snapshot(Snap::ready(&format!("snap-{i}"), "cassandra-data", 60));
    }
    // The second page is refused (403 is not retried).
    let mut fault = stork_fault("list", FaultAction::Status(403));
    fault.nth = 2;
    cluster.sim().add_fault(fault);
    let output = cluster.pxsnap(&["list", "-o", "json", "--chunk-size", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&output.stdout).expect("still one JSON document");
    let names: Vec<&str> = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["snap-0", "snap-1"]);
    assert!(
        stderr(&output).starts_with("error: list volumesnapshots.volumesnapshot.external-storage.k8s.io is forbidden in namespace \"default\""),
        "{}",
        stderr(&output)
    );
}

// --- Paging meets the real server's 410 and 429 ---

/// The statuses of the snapshot list requests, in order.
fn list_statuses(cluster: &Cluster) -> Vec<u16> {
    list_requests(cluster)
        .into_iter()
        .map(|r| r.status)
        .collect()
}

fn list_requests(cluster: &Cluster) -> Vec<pxsnap_sim::RequestRecord> {
    cluster
        .sim()
        .request_log()
        .into_iter()
        .filter(|r| r.verb == "list" && is_stork_snapshots(r))
        .collect()
}

/// Expires the continue token of the list's second page (`times: 0`: of every later page too).
fn expire_second_page(cluster: &Cluster, times: u32) {
    let mut fault = stork_fault("list", FaultAction::ExpireContinue);
    fault.nth = 2;
    fault.times = times;
    cluster.sim().add_fault(fault);
}

#[test]
fn a_list_that_expires_between_pages_stops_with_one_line_and_no_repeated_rows() {
    let cluster = Cluster::start();
    for i in 0..3 {
        cluster.snapshot(Snap::ready(&format!("snap-{i}"), "cassandra-data", 60));
    }
    expire_second_page(&cluster, 1);
    let output = cluster.pxsnap(&["list", "--chunk-size", "1"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let names: Vec<String> = table(&output)
        .into_iter()
        .skip(1)
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(names, ["snap-0"], "printed once, not read again");
    assert_eq!(list_statuses(&cluster), [200, 410]);
    assert_eq!(
        stderr(&output),
        "error: list volumesnapshots.volumesnapshot.external-storage.k8s.io in namespace \"default\": the list expired between two pages (410 Expired: its continue token is too old, objects changed meanwhile), so it is incomplete; run the command again\n"
    );
}

/// 501 Ready snapshots of cassandra-data: two pages at delete's page size of 500.
fn store_two_pages(cluster: &Cluster) {
    for i in 0..501 {
        cluster.snapshot(Snap::ready(
            &format!("snap-{i:03}"),
            "cassandra-data",
            60 + i,
        ));
    }
}

#[test]
fn delete_reads_a_list_that_expired_between_pages_again_once() {
    let cluster = Cluster::start();
    store_two_pages(&cluster);
    expire_second_page(&cluster, 1);
    let args = [
        "delete",
        "--pvc",
        "cassandra-data",
        "--keep-last",
        "1",
        "--dry-run",
    ];
    let output = cluster.pxsnap(&[&args[..], &["-o", "json"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(list_statuses(&cluster), [200, 410, 200, 200]);
    let plan: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let items = plan["items"].as_array().expect("items");
    let names: std::collections::BTreeSet<&str> =
        items.iter().filter_map(|i| i["name"].as_str()).collect();
    assert_eq!(
        (items.len(), names.len()),
        (501, 501),
        "every snapshot once"
    );
    assert_eq!(items[0]["action"], "kept");
    assert_eq!(items[0]["name"], "snap-000");

    // Expiring again: nothing is deleted, and the line says why.
    expire_second_page(&cluster, 0);
    let output = cluster.pxsnap(&[
        "delete",
        "--pvc",
        "cassandra-data",
        "--keep-last",
        "1",
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the list expired between two pages"),
        "{}",
        stderr(&output)
    );
    assert_eq!(cluster.names_in("default").len(), 501);
}

/// API Priority and Fairness turning the list away: a plain-text 429 with `Retry-After`.
fn throttle_lists(cluster: &Cluster, retry_after: u32, times: u32) {
    let mut fault = stork_fault("list", FaultAction::TooManyRequests(retry_after));
    fault.times = times;
    cluster.sim().add_fault(fault);
}

#[test]
fn a_429_is_retried_after_the_wait_it_asks_for() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("snap-0", "cassandra-data", 60));
    throttle_lists(&cluster, 1, 1);
    let output = cluster.pxsnap(&["list", "-o", "name"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/snap-0\n"
    );
    let lists = list_requests(&cluster);
    let statuses: Vec<u16> = lists.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
    let waited = Duration::from_nanos(lists[1].at_ns - lists[0].at_ns);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[test]
fn a_429_that_lasts_ends_within_the_timeout_with_one_line() {
    let cluster = Cluster::start();
    throttle_lists(&cluster, 1, 0);
    let started = Instant::now();
    let output = cluster.pxsnap(&["delete", "-l", "team=dba", "--yes", "--timeout", "3s"]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(
        stderr(&output),
        "error: the API server kept turning away list volumesnapshots.volumesnapshot.external-storage.k8s.io in namespace \"default\" with 429 Too Many Requests for the 3.0s a call may take (--timeout): it is overloaded; try again later\n"
    );
    assert!(list_statuses(&cluster).iter().all(|&s| s == 429));
}

// ---------------------------------------------------------------------------------------------
// Both snapshot APIs: STORK's and CSI's

/// Status of a CSI snapshot that is ready.
fn csi_ready() -> Value {
    json!({"creationTime": "2026-01-01T00:00:00Z", "readyToUse": true,
           "boundVolumeSnapshotContentName": "snapcontent-1", "restoreSize": "1Gi"})
}

/// Beside `store_mix`'s STORK snapshots: CSI snapshots ready, cut and uploading, failing, and a
/// group member.
fn store_csi_mix(cluster: &Cluster) {
    cluster.csi_snapshot(
        "csi-ready",
        "cassandra-data",
        2 * DAY,
        csi_ready(),
        json!({}),
    );
    cluster.csi_snapshot(
        "csi-uploading",
        "cassandra-data",
        HOUR,
        json!({"creationTime": "2026-01-02T00:00:00Z", "readyToUse": false}),
        json!({"labels": {"team": "dba"}}),
    );
    cluster.csi_snapshot(
        "csi-failed",
        "cassandra-data-cassandra-0",
        30,
        json!({"readyToUse": false, "error": {"message": "driver refused: volume offline",
                                               "time": "2026-01-02T00:00:00Z"}}),
        json!({}),
    );
    cluster.csi_snapshot(
        "csi-member",
        "cassandra-data-cassandra-1",
        90,
        csi_ready(),
        json!({"ownerReferences": [{"apiVersion": "groupsnapshot.storage.k8s.io/v1beta2",
            "kind": "VolumeGroupSnapshot", "name": "nightly-csi", "uid": "g1",
            "controller": true}]}),
    );
}

#[test]
fn list_shows_both_apis_in_one_table_with_an_api_column() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    store_csi_mix(&cluster);
    let output = cluster.pxsnap(&["list", "--sort-by", "name"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = table(&output);
    assert_eq!(rows[0], ["NAME", "PVC", "API", "TYPE", "STATUS", "AGE"]);
    let row = |name: &str| rows.iter().find(|r| r[0] == name).cloned();
    assert_eq!(
        row("csi-ready"),
        Some(
            ["csi-ready", "cassandra-data", "csi", "local", "Ready", "2d"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        )
    );
    assert_eq!(
        row("csi-uploading").map(|r| r[2..5].to_vec()),
        Some(vec!["csi".into(), "local".into(), "Pending".into()])
    );
    assert_eq!(
        row("csi-failed").map(|r| r[4].clone()),
        Some("Error".into())
    );
    assert_eq!(
        row("csi-member").map(|r| r[3].clone()),
        Some("group".into())
    );
    assert_eq!(
        row("data-ready").map(|r| r[2].clone()),
        Some("stork".into())
    );
    assert_eq!(rows.len(), 1 + 4 + 4);

    let wide = cluster.pxsnap(&["list", "--api", "csi", "-o", "wide"]);
    assert!(wide.status.success(), "{}", stderr(&wide));
    let wide = table(&wide);
    let wide_row = |name: &str| wide.iter().find(|r| r[0] == name).map(|r| r[6..].to_vec());
    assert_eq!(
        wide_row("csi-ready"),
        Some(vec![
            "<none>".into(),
            "snapcontent-1".into(),
            "2026-01-01T00:00:00Z".into(),
            "<none>".into()
        ])
    );
    assert_eq!(
        wide_row("csi-uploading").map(|r| r[3].clone()),
        Some("cut at 2026-01-02T00:00:00Z, not ready to use yet".into())
    );
    assert_eq!(
        wide_row("csi-member").map(|r| r[0].clone()),
        Some("nightly-csi".into())
    );
    assert_eq!(wide.len(), 1 + 4, "--api csi lists CSI's only");
}

#[test]
fn filters_and_names_work_across_both_apis() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    store_csi_mix(&cluster);
    let names = |args: &[&str]| -> Vec<String> {
        let output = cluster.pxsnap(&[args, &["-o", "name", "--sort-by", "name"]].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output).lines().map(str::to_string).collect()
    };
    let csi = |name: &str| format!("volumesnapshot.snapshot.storage.k8s.io/{name}");
    let stork =
        |name: &str| format!("volumesnapshot.volumesnapshot.external-storage.k8s.io/{name}");
    assert_eq!(
        names(&["list", "cassandra-data"]),
        [
            csi("csi-ready"),
            csi("csi-uploading"),
            stork("data-failed"),
            stork("data-ready"),
            stork("data-uploading")
        ]
    );
    assert_eq!(
        names(&["list", "--status", "error"]),
        [csi("csi-failed"), stork("data-failed")]
    );
    assert_eq!(
        names(&["list", "-l", "team=dba"]),
        [csi("csi-uploading"), stork("data-uploading")]
    );
    assert_eq!(
        names(&["list", "--type", "group"]),
        [csi("csi-member"), stork("nightly-data-0-uid1")]
    );
    assert_eq!(
        names(&["list", "--api", "stork", "--status", "error"]),
        [stork("data-failed")]
    );
}

#[test]
fn json_and_yaml_of_both_apis_are_what_kubectl_prints_for_both_resources() {
    let cluster = Cluster::start();
    store_mix(&cluster);
    store_csi_mix(&cluster);
    // One made through the API server as a user makes it (nothing completes it: the
    // snapshot-controller is off, so both reads see the same object).
    let manifest = cluster.handle.write_file(
        "csi-snapshot.yaml",
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: by-kubectl\nspec:\n  source:\n    persistentVolumeClaimName: cassandra-data\n",
    );
    let apply = cluster.kubectl(&["apply", "-f", &manifest.to_string_lossy()]);
    assert!(apply.status.success(), "kubectl: {}", stderr(&apply));
    let csi = "volumesnapshots.snapshot.storage.k8s.io";
    let stork = "volumesnapshots.volumesnapshot.external-storage.k8s.io";
    for format in ["json", "yaml"] {
        for (api, resources) in [
            (None, format!("{csi},{stork}")),
            (Some("csi"), csi.to_string()),
            (Some("stork"), stork.to_string()),
        ] {
            let mut args = vec!["list", "-o", format];
            args.extend(api.map(|api| ["--api", api]).iter().flatten());
            let ours = cluster.pxsnap(&args);
            assert!(ours.status.success(), "{}", stderr(&ours));
            let theirs = cluster.kubectl(&["get", &resources, "-o", format]);
            assert!(theirs.status.success(), "kubectl: {}", stderr(&theirs));
            assert_eq!(stdout(&ours), stdout(&theirs), "{args:?}");
        }
    }
    let both = cluster.pxsnap(&["list", "-o", "json"]);
    let doc: Value = serde_json::from_slice(&both.stdout).expect("JSON");
    let kinds: std::collections::BTreeSet<String> = doc["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| item["apiVersion"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "snapshot.storage.k8s.io/v1",
            "volumesnapshot.external-storage.k8s.io/v1"
        ]
    );
}

#[test]
fn keep_last_counts_a_pvcs_snapshots_in_both_apis() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("stork-1d", "cassandra-data", DAY));
    cluster.snapshot(Snap::ready("stork-3d", "cassandra-data", 3 * DAY));
    cluster.csi_snapshot("csi-2d", "cassandra-data", 2 * DAY, csi_ready(), json!({}));
    cluster.csi_snapshot("csi-4d", "cassandra-data", 4 * DAY, csi_ready(), json!({}));
    cluster.csi_snapshot(
        "csi-pending",
        "cassandra-data",
        5 * DAY,
        json!({"creationTime": "2026-01-02T00:00:00Z", "readyToUse": false}),
        json!({}),
    );
    let output = keep_last_2(&cluster, "name");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "volumesnapshot.volumesnapshot.external-storage.k8s.io/stork-3d\n\
         volumesnapshot.snapshot.storage.k8s.io/csi-4d\n"
    );
    assert_eq!(cluster.names_in("default"), ["stork-1d"]);
    assert_eq!(sorted(cluster.csi_names()), ["csi-2d", "csi-pending"]);
}

#[test]
fn a_name_both_apis_hold_needs_api_and_a_csi_name_is_deleted() {
    let cluster = Cluster::start();
    cluster.snapshot(Snap::ready("twin", "cassandra-data", 60));
    cluster.csi_snapshot("twin", "cassandra-data", 60, csi_ready(), json!({}));
    cluster.csi_snapshot("only-csi", "cassandra-data", 60, csi_ready(), json!({}));
    let refused = cluster.pxsnap(&["delete", "only-csi", "twin", "--yes"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        stderr(&refused),
        "error: both STORK's and CSI's API hold a VolumeSnapshot \"twin\" in namespace \"default\": pass --api stork or --api csi to say which to delete\n"
    );
    assert_eq!(
        sorted(cluster.csi_names()),
        ["only-csi", "twin"],
        "nothing deleted"
    );
    let csi = cluster.pxsnap(&["delete", "twin", "--api", "csi"]);
    assert_eq!(csi.status.code(), Some(0), "{}", stderr(&csi));
    assert_eq!(
        stdout(&csi),
        "volumesnapshot.snapshot.storage.k8s.io \"twin\" deleted\n"
    );
    assert_eq!(cluster.names_in("default"), ["twin"], "STORK's twin stays");
    let one = cluster.pxsnap(&["delete", "only-csi", "-o", "name"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(
        stdout(&one),
        "volumesnapshot.snapshot.storage.k8s.io/only-csi\n"
    );
    assert!(cluster.csi_names().is_empty());
}
