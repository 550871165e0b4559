//! End-to-end: `list --groups`, `delete --group` and `clone --group` on CSI's
//! `groupsnapshot.storage.k8s.io` VolumeGroupSnapshots beside STORK's GroupVolumeSnapshots,
//! both made by `pxsnap group-snap` on pxsnap-sim's `cassandra-csi` scenario.

use std::process::Output;

use pxsnap_sim::resources::id;
use serde_json::Value;

use crate::common::SimHandle;
use crate::run::{cassandra_csi, code, json, pxsnap, stderr};

const CSI_GROUPS: &str = "volumegroupsnapshots.groupsnapshot.storage.k8s.io";

/// `group-snap` of the cassandra PVCs into group `name` through `api` (`csi` or `stork`).
fn group_snap(sim: &SimHandle, name: &str, api: &str) {
    let out = in_cassandra(
        sim,
        &format!("group-snap -l app=cassandra --name {name} --api {api}"),
    );
    assert_eq!(code(&out), 0, "group-snap --api {api}: {}", stderr(&out));
}

/// cassandra-csi with a CSI group `g-csi` and a STORK group `g-stork`, both of the three PVCs.
fn with_both_groups() -> SimHandle {
    let sim = cassandra_csi();
    group_snap(&sim, "g-csi", "csi");
    group_snap(&sim, "g-stork", "stork");
    sim
}

/// pxsnap in namespace cassandra; `args` split on whitespace (none of them holds a space).
fn in_cassandra(sim: &SimHandle, args: &str) -> Output {
    let args: Vec<&str> = args.split_whitespace().collect();
    pxsnap(sim, &[&["-n", "cassandra"], args.as_slice()].concat())
}

/// The `-o json` plan of `command --group nightly --api csi --dry-run`.
fn csi_dry_run(sim: &SimHandle, command: &str) -> Value {
    let out = in_cassandra(
        sim,
        &format!("{command} --group nightly --api csi --dry-run -o json"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    json(&out)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rows(out: &Output) -> Vec<Vec<String>> {
    stdout(out)
        .lines()
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

fn csi_group_exists(sim: &SimHandle, name: &str) -> bool {
    let store = &sim.sim.shared().store;
    store
        .get(id::CSI_GROUP_SNAPSHOTS, "cassandra", name)
        .is_some()
}

fn stork_group_exists(sim: &SimHandle, name: &str) -> bool {
    let store = &sim.sim.shared().store;
    store.get(id::GROUP_SNAPSHOTS, "cassandra", name).is_some()
}

fn csi_snapshot_names(sim: &SimHandle) -> Vec<String> {
    let store = &sim.sim.shared().store;
    let page = store.list(id::CSI_SNAPSHOTS, Some("cassandra"), None, 0, |_| true);
    page.items.iter().map(|o| o.name().to_string()).collect()
}

fn pvc_creates(sim: &SimHandle) -> usize {
    let log = sim.sim.request_log();
    log.iter()
        .filter(|r| r.verb == "create" && r.resource == "persistentvolumeclaims")
        .count()
}

#[test]
fn list_groups_shows_csi_volume_group_snapshots_beside_storks() {
    let sim = with_both_groups();
    let table = in_cassandra(&sim, "list --groups --sort-by name -o wide");
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    let rows = rows(&table);
    assert_eq!(
        rows[0],
        [
            "NAME", "API", "STAGE", "STATUS", "VOLUMES", "AGE", "SELECTOR"
        ]
    );
    let without_age = |row: &Vec<String>| [&row[..5], &row[6..]].concat();
    assert_eq!(
        without_age(&rows[1]),
        [
            "g-csi",
            "VolumeGroupSnapshot",
            "<none>",
            "Ready",
            "3",
            "app=cassandra"
        ]
    );
    assert_eq!(
        rows[2][..5],
        ["g-stork", "GroupVolumeSnapshot", "Final", "Successful", "3"]
    );

    let names = in_cassandra(&sim, "list --groups -o name");
    assert_eq!(
        stdout(&names),
        "volumegroupsnapshot.groupsnapshot.storage.k8s.io/g-csi\ngroupvolumesnapshot.stork.libopenstorage.org/g-stork\n"
    );
    let only_csi = in_cassandra(&sim, "list --groups --api csi -o name");
    assert_eq!(
        stdout(&only_csi),
        "volumegroupsnapshot.groupsnapshot.storage.k8s.io/g-csi\n"
    );

    // Both kinds in one List, each item keeping its own apiVersion and kind.
    let mixed = json(&in_cassandra(&sim, "list --groups -o json"));
    let kinds: Vec<(&str, &str)> = mixed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["apiVersion"].as_str().unwrap_or_default(),
                item["kind"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "groupsnapshot.storage.k8s.io/v1beta2",
                "VolumeGroupSnapshot"
            ),
            ("stork.libopenstorage.org/v1alpha1", "GroupVolumeSnapshot")
        ]
    );

    // One kind: byte for byte what kubectl prints.
    for format in ["json", "yaml"] {
        let ours = in_cassandra(&sim, &format!("list --groups --api csi -o {format}"));
        assert_eq!(code(&ours), 0, "{}", stderr(&ours));
        let theirs = sim
            .run_kubectl(&["get", CSI_GROUPS, "-n", "cassandra", "-o", format])
            .expect("kubectl on PATH");
        assert!(theirs.status.success(), "kubectl: {}", stderr(&theirs));
        assert_eq!(stdout(&ours), stdout(&theirs), "-o {format}");
        assert!(stdout(&ours).contains("g-csi"));
    }
}

#[test]
fn without_either_group_api_list_delete_and_clone_say_so_in_one_line() {
    let mut scenario = pxsnap_sim::Scenario::builtin("cassandra").expect("built-in scenario");
    scenario.stork_crds = false;
    let sim = SimHandle::start(scenario);
    let neither = "error: neither groupsnapshot.storage.k8s.io/v1beta2 or v1beta1 nor stork.libopenstorage.org/v1alpha1 is served by this cluster: is the CSI external-snapshotter with its group snapshot CRDs or STORK installed? (kubectl api-resources | grep -i groupsnapshot)\n";
    for args in ["list --groups", "delete --group g", "clone --group g"] {
        let out = in_cassandra(&sim, args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert_eq!(stderr(&out), neither, "{args:?}");
    }
    let csi = in_cassandra(&sim, "list --groups --api csi");
    assert_eq!(code(&csi), 1);
    assert_eq!(
        stderr(&csi),
        "error: the API group groupsnapshot.storage.k8s.io/v1beta2 or v1beta1 is not served by this cluster: is the CSI external-snapshotter with its group snapshot CRDs installed? (kubectl api-resources --api-group=groupsnapshot.storage.k8s.io)\n"
    );
    assert_eq!(pvc_creates(&sim), 0);
}

#[test]
fn delete_group_deletes_a_csi_group_with_its_members_and_asks_for_api_when_both_hold_it() {
    let sim = cassandra_csi();
    group_snap(&sim, "nightly", "csi");
    group_snap(&sim, "nightly", "stork");
    let members_before = csi_snapshot_names(&sim);
    assert_eq!(members_before.len(), 3, "{members_before:?}");

    let both = in_cassandra(&sim, "delete --group nightly --yes");
    assert_eq!(code(&both), 2, "{}", stderr(&both));
    assert_eq!(
        stderr(&both),
        "error: both CSI's VolumeGroupSnapshot and STORK's GroupVolumeSnapshot API hold a group snapshot \"nightly\" in namespace \"cassandra\": pass --api csi or --api stork to say which to delete\n"
    );
    assert!(csi_group_exists(&sim, "nightly") && stork_group_exists(&sim, "nightly"));

    let items = csi_dry_run(&sim, "delete")["items"].clone();
    let resources: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["resource"].as_str())
        .collect();
    assert_eq!(
        resources,
        [
            "volumesnapshot.snapshot.storage.k8s.io",
            "volumesnapshot.snapshot.storage.k8s.io",
            "volumesnapshot.snapshot.storage.k8s.io",
            "volumegroupsnapshot.groupsnapshot.storage.k8s.io"
        ]
    );
    assert_eq!(items[3]["action"], "wouldDelete");

    let deleted = in_cassandra(&sim, "delete --group nightly --api csi --yes");
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));
    assert!(
        stdout(&deleted)
            .ends_with("volumegroupsnapshot.groupsnapshot.storage.k8s.io \"nightly\" deleted\n"),
        "{}",
        stdout(&deleted)
    );
    assert!(!csi_group_exists(&sim, "nightly"));
    assert_eq!(csi_snapshot_names(&sim), Vec::<String>::new());
    assert!(stork_group_exists(&sim, "nightly"));
}

#[test]
fn clone_group_clones_each_member_of_a_csi_group_as_a_csi_snapshot() {
    let sim = with_both_groups();
    let out = in_cassandra(
        &sim,
        "clone --group g-csi --name-template {pvc}-restore -o json",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["group"], "g-csi");
    let clones = result["clones"].as_array().expect("clones");
    let mut made: Vec<(String, String, String)> = clones
        .iter()
        .map(|clone| {
            assert_eq!(clone["snapshotApi"], "csi", "{clone}");
            assert_eq!(clone["status"], "Bound", "{clone}");
            let field = |key: &str| clone[key].as_str().unwrap_or_default().to_string();
            (field("pvc"), field("sourcePvc"), field("snapshot"))
        })
        .collect();
    made.sort();
    let members = csi_snapshot_names(&sim);
    for (index, (pvc, source, snapshot)) in made.iter().enumerate() {
        assert_eq!(*pvc, format!("cassandra-data-cassandra-{index}-restore"));
        assert_eq!(*source, format!("cassandra-data-cassandra-{index}"));
        assert!(members.contains(snapshot), "{snapshot} in {members:?}");
        let stored = sim
            .sim
            .shared()
            .store
            .get(id::PVCS, "cassandra", pvc)
            .expect("clone PVC");
        let data_source: &Value = &stored.value["spec"]["dataSource"];
        assert_eq!(data_source["kind"], "VolumeSnapshot");
        assert_eq!(data_source["name"], snapshot.as_str());
    }
}

#[test]
fn clone_group_refuses_a_name_both_apis_hold_and_a_missing_one_creating_nothing() {
    let sim = cassandra_csi();
    group_snap(&sim, "nightly", "csi");
    group_snap(&sim, "nightly", "stork");
    let both = in_cassandra(&sim, "clone --group nightly");
    assert_eq!(code(&both), 2, "{}", stderr(&both));
    assert_eq!(
        stderr(&both),
        "error: both CSI's VolumeGroupSnapshot and STORK's GroupVolumeSnapshot API hold a group snapshot \"nightly\" in namespace \"cassandra\": pass --api csi or --api stork to say which to clone\n"
    );
    let missing = in_cassandra(&sim, "clone --group ghost");
    assert_eq!(code(&missing), 1, "{}", stderr(&missing));
    assert_eq!(
        stderr(&missing),
        "error: VolumeGroupSnapshot or GroupVolumeSnapshot \"ghost\" not found in namespace \"cassandra\"\n"
    );
    assert_eq!(pvc_creates(&sim), 0);
    let clones = csi_dry_run(&sim, "clone")["clones"].clone();
    assert_eq!(clones.as_array().map(Vec::len), Some(3));
    assert_eq!(clones[0]["snapshotApi"], "csi");
    assert_eq!(pvc_creates(&sim), 0);
}
