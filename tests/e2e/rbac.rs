//! The RBAC manifests in rbac/ are proven, not just written: the simulator runs a user that has
//! exactly the rules of rbac/clusterrole.yaml, and every subcommand runs end to end under it. Then
//! each important rule is taken away in turn to show the one line a user gets when it is missing.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role};
use pxsnap::k8s::permissions::Scope;
use pxsnap_sim::discovery::KubeVersion;
use pxsnap_sim::resources::id;
use pxsnap_sim::scenario::{RuleSpec, UserSpec};
use pxsnap_sim::{Fault, FaultAction, Scenario, TimelineKind};
use serde_json::Value;

use crate::common::SimHandle;

/// The simulator user that stands for a service account bound to the manifest.
const USER: &str = "ci";

/// The documents of `rbac/<file>`, as JSON values.
fn manifest_documents(file: &str) -> Vec<Value> {
    use serde::Deserialize;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rbac")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("read the manifest");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("manifest is YAML"))
        .collect()
}

/// The rules of the Role or ClusterRole named `name` in `rbac/<file>`.
fn role_rules(file: &str, name: &str) -> Vec<PolicyRule> {
    let doc = manifest_documents(file)
        .into_iter()
        .find(|d| {
            d["metadata"]["name"] == name && d["kind"].as_str().is_some_and(|k| k.ends_with("Role"))
        })
        .unwrap_or_else(|| panic!("{file} has no Role or ClusterRole {name:?}"));
    let rules = match doc["kind"].as_str() {
        Some("ClusterRole") => {
            serde_json::from_value::<ClusterRole>(doc)
                .expect("a ClusterRole")
                .rules
        }
        _ => serde_json::from_value::<Role>(doc).expect("a Role").rules,
    };
    rules.expect("the role has rules")
}

/// The least ClusterRole, rbac/clusterrole.yaml.
fn manifest_rules(file: &str) -> Vec<PolicyRule> {
    role_rules(file, "pxsnap")
}

/// RBAC rules as the simulator's rules, granted in `namespaces`.
fn sim_rules(rules: &[PolicyRule], namespaces: &[&str]) -> Vec<RuleSpec> {
    rules
        .iter()
        .map(|r| RuleSpec {
            verbs: r.verbs.clone(),
            api_groups: r.api_groups.clone().unwrap_or_default(),
            resources: r.resources.clone().unwrap_or_default(),
            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
            resource_names: r.resource_names.clone().unwrap_or_default(),
        })
        .collect()
}

/// The rules with `verb` taken away from `resource` (the rule stays for its other verbs).
fn without(rules: &[PolicyRule], verb: &str, resource: &str) -> Vec<PolicyRule> {
    without_in(rules, verb, None, resource)
}

/// [`without`] in one API `group` only (`None`: in every group): CSI's and STORK's
/// `volumesnapshots` have the same name.
fn without_in(
    rules: &[PolicyRule],
    verb: &str,
    group: Option<&str>,
    resource: &str,
) -> Vec<PolicyRule> {
    let mut found = false;
    let rules = rules
        .iter()
        .cloned()
        .map(|mut r| {
            let in_group = group.is_none_or(|g| r.api_groups.iter().flatten().any(|x| x == g));
            if in_group
                && r.resources.iter().flatten().any(|x| x == resource)
                && r.verbs.iter().any(|v| v == verb)
            {
                found = true;
                r.verbs.retain(|v| v != verb);
            }
            r
        })
        .collect();
    assert!(found, "the manifest grants no {verb} on {resource}");
    rules
}

/// The built-in cassandra workload with one restricted user, faster cloud uploads.
fn cluster_with(rules: Vec<RuleSpec>) -> SimHandle {
    cluster_of(KubeVersion::DEFAULT, rules)
}

/// A server from 1.35 on: a WebSocket exec needs `create` on pods/exec as well as `get`.
fn v1_35() -> KubeVersion {
    KubeVersion::try_from("v1.35.0".to_string()).expect("a version")
}

/// [`cluster_with`] on an API server of version `version`. The volumes are in-tree, so the
/// snapshotting subcommands take STORK's API; the CSI classes are there for the CSI snapshots
/// `list` and `delete` meet.
fn cluster_of(version: KubeVersion, rules: Vec<RuleSpec>) -> SimHandle {
    let mut scenario = Scenario::builtin("cassandra-intree").expect("built-in scenario");
    scenario.snapshot_classes = Scenario::builtin("cassandra")
        .expect("built-in scenario")
        .snapshot_classes;
    scenario.server_version = version;
    started_as_user(scenario, rules)
}

/// The `cassandra-csi` workload (Portworx CSI volumes with every CSI piece set up, where the
/// snapshotting subcommands take CSI's APIs) with one restricted user.
fn csi_cluster_of(version: KubeVersion, rules: Vec<RuleSpec>) -> SimHandle {
    let mut scenario = Scenario::builtin("cassandra-csi").expect("built-in scenario");
    scenario.server_version = version;
    started_as_user(scenario, rules)
}

/// Starts `scenario` with faster cloud uploads and [`USER`] holding `rules`.
fn started_as_user(mut scenario: Scenario, rules: Vec<RuleSpec>) -> SimHandle {
    scenario.controller.cloud_snapshot_delay_ms = 300;
    scenario.users = vec![UserSpec {
        name: USER.into(),
        token: None,
        rules,
    }];
    SimHandle::start(scenario)
}

/// Runs the real binary as the restricted user.
fn pxsnap(env: &SimHandle, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .arg("--kubeconfig")
        .arg(&env.kubeconfig_path)
        .args(["--context", &format!("pxsnap-sim-{USER}")])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("pxsnap runs")
}

/// The pre and post commands of every snapshotting run here.
const HOOKS: [&str; 4] = ["--pre", "nodetool flush", "--post", "echo thawed"];

/// A command line split on whitespace (no argument here has a space), plus [`HOOKS`] when
/// the line ends with ` +hooks`.
fn args(line: &str) -> Vec<&str> {
    match line.strip_suffix(" +hooks") {
        Some(line) => line.split_whitespace().chain(HOOKS).collect(),
        None => line.split_whitespace().collect(),
    }
}

/// Runs pxsnap with `-o json`, asserts it succeeded, and returns the document.
fn pxsnap_json(env: &SimHandle, line: &str) -> Value {
    let args = args(line);
    let args = args.as_slice();
    let out = pxsnap(env, &[args, &["-o", "json"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "pxsnap {args:?} failed under the manifest's rules:\n{stderr}"
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "pxsnap {args:?}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn group_exists(env: &SimHandle, name: &str) -> bool {
    stored(env, id::GROUP_SNAPSHOTS, "cassandra", name)
}

/// The CSI snapshot API's group.
const CSI_GROUP: &str = "snapshot.storage.k8s.io";

/// Stores a Ready CSI VolumeSnapshot of cassandra-data in namespace default, as the
/// snapshot-controller leaves one (its class is the scenario's default, local).
fn store_csi_snapshot(env: &SimHandle, name: &str) {
    let object = serde_json::json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name},
        "spec": {"source": {"persistentVolumeClaimName": "cassandra-data"}},
        "status": {"creationTime": "2026-01-01T00:00:00Z", "readyToUse": true},
    });
    env.sim
        .shared()
        .store
        .create(
            id::CSI_SNAPSHOTS,
            "default",
            object,
            &pxsnap_sim::managed_fields::FieldManager::named("admin"),
        )
        .expect("stored");
}

fn csi_snapshot_exists(env: &SimHandle, name: &str) -> bool {
    stored(env, id::CSI_SNAPSHOTS, "default", name)
}

fn stored(env: &SimHandle, resource: usize, namespace: &str, name: &str) -> bool {
    env.sim
        .shared()
        .store
        .get(resource, namespace, name)
        .is_some()
}

/// `list` (the table, which reads the CSI classes for TYPE) shows the CSI snapshot `name`
/// beside STORK's, and `delete NAME` deletes it.
fn list_and_delete_a_csi_snapshot(env: &SimHandle, name: &str) {
    store_csi_snapshot(env, name);
    let table = pxsnap(env, &["list"]);
    let stderr = String::from_utf8_lossy(&table.stderr);
    assert!(table.status.success(), "{stderr}");
    assert_eq!(stderr, "", "no note: the classes were readable");
    let text = String::from_utf8_lossy(&table.stdout);
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with(name))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(
        row.get(1..5),
        Some(&["cassandra-data", "csi", "local", "Ready"][..]),
        "{text}"
    );
    let deleted = pxsnap_json(env, &format!("delete {name}"));
    assert_eq!(deleted["items"][0]["action"], "deleted", "{deleted}");
    assert!(!csi_snapshot_exists(env, name));
}

fn snapshot_exists(env: &SimHandle, namespace: &str, name: &str) -> bool {
    stored(env, id::EXT_SNAPSHOTS, namespace, name)
}

/// Names of the items of a `pxsnap list -o json` document.
fn listed_names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["metadata"]["name"].as_str())
        .collect()
}

/// Asserts a snapshotting result ran every pre and post command successfully, in `pods`.
fn assert_hooks_ran(result: &Value, pods: usize) {
    let hooks = result["hooks"].as_array().expect("hooks");
    for phase in ["pre", "post"] {
        let ran: Vec<&Value> = hooks.iter().filter(|h| h["phase"] == phase).collect();
        assert_eq!(ran.len(), pods, "{phase} commands: {hooks:?}");
        assert!(ran.iter().all(|h| h["exitCode"] == 0), "{hooks:?}");
    }
}

/// `snap` of cassandra-data as "first" and `group-snap` of the cassandra pods as "nightly",
/// both with pre/post commands, checked; returns the group result.
fn snapshot_first_and_nightly(env: &SimHandle) -> Value {
    let snap = pxsnap_json(env, "snap cassandra-data --name first +hooks");
    assert_eq!(snap["snapshot"]["status"], "Ready", "{snap}");
    assert_hooks_ran(&snap, 1);
    assert!(snapshot_exists(env, "default", "first"));
    let group = pxsnap_json(
        env,
        "group-snap -n cassandra -l app=cassandra --name nightly +hooks",
    );
    assert_eq!(group["group"]["status"], "Successful", "{group}");
    assert_eq!(
        group["children"].as_array().map(Vec::len),
        Some(3),
        "{group}"
    );
    assert_hooks_ran(&group, 3);
    group
}

/// The rules of a manifest as (group, resource, verb) grants, sorted.
fn manifest_grants(rules: &[PolicyRule]) -> Vec<(String, String, String)> {
    let mut grants: Vec<(String, String, String)> = rules
        .iter()
        .flat_map(|r| {
            let groups = r.api_groups.clone().unwrap_or_default();
            let resources = r.resources.clone().unwrap_or_default();
            groups.into_iter().flat_map(move |g| {
                let verbs = r.verbs.clone();
                resources.clone().into_iter().flat_map(move |res| {
                    let g = g.clone();
                    verbs
                        .clone()
                        .into_iter()
                        .map(move |v| (g.clone(), res.clone(), v))
                })
            })
        })
        .collect();
    grants.sort_unstable();
    grants
}

/// pxsnap's permission table (src/permissions.rs) as grants of `scope`, or of every scope.
fn table_grants(scope: Option<Scope>) -> Vec<(String, String, String)> {
    let mut grants: Vec<(String, String, String)> = pxsnap::k8s::permissions::grants()
        .filter(|(_, _, _, s)| scope.is_none_or(|want| *s == want))
        .map(|(g, r, v, _)| (g.to_string(), r.to_string(), v.to_string()))
        .collect();
    grants.sort_unstable();
    grants
}

/// The manifests say exactly what pxsnap's permission table says (the table `pxsnap doctor`
/// checks): the ClusterRole all of it, the Role its namespaced part, the example's cluster
/// read-only ClusterRole its cluster-scoped part.
#[test]
fn the_manifests_match_the_permission_table() {
    assert_eq!(
        manifest_grants(&manifest_rules("clusterrole.yaml")),
        table_grants(None),
        "rbac/clusterrole.yaml and src/permissions.rs disagree"
    );
    assert_eq!(
        manifest_grants(&role_rules("role.yaml", "pxsnap")),
        table_grants(Some(Scope::Namespaced)),
        "rbac/role.yaml and the namespaced rows of src/permissions.rs disagree"
    );
    assert_eq!(
        manifest_grants(&role_rules("binding-example.yaml", "pxsnap-cluster-read")),
        table_grants(Some(Scope::Cluster)),
        "rbac/binding-example.yaml and the cluster-scoped rows of src/permissions.rs disagree"
    );
}

/// Every subcommand that talks to a cluster, under exactly the ClusterRole's rules.
/// Every subcommand that talks to a cluster, under exactly the ClusterRole's rules, on a 1.35
/// server: the strictest about exec, which it authorizes as both `get` and `create`.
#[test]
fn the_clusterrole_is_enough_for_every_subcommand() {
    let rules = manifest_rules("clusterrole.yaml");
    let env = cluster_of(v1_35(), sim_rules(&rules, &["*"]));

    let group = snapshot_first_and_nightly(&env);
    let cloud = pxsnap_json(&env, "cloud-snap cassandra-data --name offsite +hooks");
    assert_eq!(cloud["snapshot"]["status"], "Ready", "{cloud}");
    assert_eq!(cloud["snapshot"]["type"], "cloud", "{cloud}");
    assert_hooks_ran(&cloud, 1);

    let clone = pxsnap_json(&env, "clone first first-restored");
    assert_eq!(clone["clones"][0]["status"], "Bound", "{clone}");
    assert_eq!(clone["clones"][0]["sourcePvc"], "cassandra-data", "{clone}");
    let clones = pxsnap_json(&env, "clone -n cassandra --group nightly");
    let bound = clones["clones"]
        .as_array()
        .expect("clones")
        .iter()
        .filter(|c| c["status"] == "Bound")
        .count();
    assert_eq!(bound, 3, "{clones}");

    let here = pxsnap_json(&env, "list");
    let mut names = listed_names(&here);
    names.sort_unstable();
    assert_eq!(names, ["first", "offsite"], "{here}");
    let everywhere = pxsnap_json(&env, "list -A");
    assert_eq!(listed_names(&everywhere).len(), 5, "{everywhere}");
    let groups = pxsnap_json(&env, "list -n cassandra --groups");
    assert_eq!(listed_names(&groups), ["nightly"], "{groups}");

    let by_name = pxsnap_json(&env, "delete offsite");
    assert_eq!(by_name["items"][0]["action"], "deleted", "{by_name}");
    assert!(!snapshot_exists(&env, "default", "offsite"));

    // Retention: a second snapshot, the first made to look a day old; keep the newest one.
    // This one's commands come from STORK Rules, which the user reads.
    let app = serde_json::json!({"app": "cassandra-app"});
    for (name, command) in [("flush", "nodetool flush"), ("thaw", "echo thawed")] {
        let action = serde_json::json!([{"podSelector": app, "actions": [{"type": "command", "value": command}]}]);
        crate::run::store_rule(&env, "default", name, action);
    }
    pxsnap_json(
        &env,
        "snap cassandra-data --name second --pre-rule flush --post-rule thaw",
    );
    let day_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    env.sim
        .shared()
        .store
        .backdate(id::EXT_SNAPSHOTS, "default", "first", day_ago)
        .expect("backdate");
    let pruned = pxsnap_json(&env, "delete --pvc cassandra-data --keep-last 1 --yes");
    assert!(!snapshot_exists(&env, "default", "first"), "{pruned}");
    assert!(snapshot_exists(&env, "default", "second"), "{pruned}");
    list_and_delete_a_csi_snapshot(&env, "csi-first");

    let children: Vec<&str> = group["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let deleted = pxsnap_json(
        &env,
        "delete -n cassandra --group nightly --with-children --yes",
    );
    assert!(!group_exists(&env, "nightly"), "{deleted}");
    for child in &children {
        assert!(
            !snapshot_exists(&env, "cassandra", child),
            "{child} survived: {deleted}"
        );
    }

    // Everything ran as the restricted user, and the commands ran inside the pods.
    let requests = env.sim.request_log();
    let users: std::collections::BTreeSet<_> =
        requests.iter().filter_map(|r| r.user.as_deref()).collect();
    assert_eq!(users.into_iter().collect::<Vec<_>>(), [USER]);
    assert_eq!(
        ran(&env, "nodetool flush"),
        1 + 3 + 1 + 1,
        "snap, group-snap, cloud-snap, second snap"
    );
    assert_eq!(ran(&env, "echo thawed"), 1 + 3 + 1 + 1);

    // A group that never completes: pxsnap reads the group's Events to say why, releases the
    // pods and deletes the group it made, all under the same rules.
    env.sim.set_controller(pxsnap_sim::ControllerSettings {
        hang: true,
        ..env.sim.controller()
    });
    let stuck = pxsnap(
        &env,
        &args("group-snap -n cassandra -l app=cassandra --name stuck --timeout 1s +hooks"),
    );
    let stderr = String::from_utf8_lossy(&stuck.stderr);
    assert_eq!(stuck.status.code(), Some(5), "{stderr}");
    assert!(!stderr.contains("forbidden"), "{stderr}");
    assert!(
        !group_exists(&env, "stuck"),
        "the timed-out group was left behind: {stderr}"
    );
    assert_eq!(
        ran(&env, "echo thawed"),
        6 + 3,
        "the stuck group's pods were released"
    );

    // The same subcommands on Portworx CSI volumes, where they take CSI's APIs.
    let csi = csi_cluster_of(v1_35(), sim_rules(&rules, &["*"]));
    the_csi_path_works(&csi);
    let mut requests = env.sim.request_log();
    requests.extend(csi.sim.request_log());
    assert_every_rule_used(&rules, &requests);
}

/// `apply` asks nothing of its own: its checks (PVCs, PVs, Rules, classes) and runs need only
/// what snap, cloud-snap and group-snap need, which the ClusterRole grants.
#[test]
fn the_clusterrole_is_enough_for_apply() {
    let rules = manifest_rules("clusterrole.yaml");
    let env = csi_cluster_of(v1_35(), sim_rules(&rules, &["*"]));
    let thaw = serde_json::json!([{"podSelector": {"app": "cassandra-app"}, "actions": [{"type": "command", "value": "echo thawed"}]}]);
    crate::run::store_rule(&env, "default", "thaw", thaw);
    let manifest = env.write_file(
        "snapshots.yaml",
        "\
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: offsite
  annotations:
    px/pre-snap-command: nodetool flush
    stork.libopenstorage.org/post-snapshot-rule: thaw
spec:
  volumeSnapshotClassName: px-csi-cloud-snapclass
  source:
    persistentVolumeClaimName: cassandra-data
---
apiVersion: stork.libopenstorage.org/v1alpha1
kind: GroupVolumeSnapshot
metadata:
  name: nightly
  namespace: cassandra
  annotations:
    px/pre-snap-command: nodetool flush
    px/post-snap-command: echo thawed
spec:
  pvcSelector:
    matchLabels:
      app: cassandra
",
    );
    let applied = pxsnap_json(&env, &format!("apply -f {}", manifest.display()));
    let items = applied["items"].as_array().expect("items");
    assert_eq!(items[0]["snapshot"]["type"], "cloud", "{applied}");
    assert_eq!(items[0]["snapshot"]["status"], "Ready", "{applied}");
    assert_hooks_ran(&items[0], 1);
    assert_eq!(items[1]["group"]["status"], "Successful", "{applied}");
    assert_hooks_ran(&items[1], 3);
    let users: std::collections::BTreeSet<_> = env
        .sim
        .request_log()
        .iter()
        .filter_map(|r| r.user.clone())
        .collect();
    assert_eq!(users.into_iter().collect::<Vec<_>>(), [USER]);
}

/// The CSI API versions of a single and a group snapshot.
const CSI_SNAPSHOT_API: &str = "snapshot.storage.k8s.io/v1";
const CSI_GROUP_API: &str = "groupsnapshot.storage.k8s.io/v1beta2";

/// snap, cloud-snap, group-snap and clone through CSI's APIs in `env` (cassandra-csi), each
/// with its pre and post commands; then a group that is never cut, which group-snap releases,
/// gives up on and deletes.
fn the_csi_path_works(env: &SimHandle) {
    let snap = pxsnap_json(env, "snap cassandra-data --name first +hooks");
    assert_eq!(snap["snapshot"]["apiVersion"], CSI_SNAPSHOT_API, "{snap}");
    assert_eq!(snap["snapshot"]["status"], "Ready", "{snap}");
    assert_eq!(snap["snapshot"]["class"], "px-csi-snapclass", "{snap}");
    assert_hooks_ran(&snap, 1);
    let cloud = pxsnap_json(env, "cloud-snap cassandra-data --name offsite +hooks");
    assert_eq!(cloud["snapshot"]["apiVersion"], CSI_SNAPSHOT_API, "{cloud}");
    assert_eq!(cloud["snapshot"]["status"], "Ready", "{cloud}");
    assert_eq!(cloud["snapshot"]["type"], "cloud", "{cloud}");
    assert_hooks_ran(&cloud, 1);
    let group = pxsnap_json(
        env,
        "group-snap -n cassandra -l app=cassandra --name nightly +hooks",
    );
    assert_eq!(group["group"]["apiVersion"], CSI_GROUP_API, "{group}");
    assert_eq!(group["group"]["status"], "Successful", "{group}");
    assert_eq!(
        group["children"].as_array().map(Vec::len),
        Some(3),
        "the members are listed: {group}"
    );
    assert!(
        group["warnings"].as_array().is_none_or(Vec::is_empty),
        "{group}"
    );
    assert_hooks_ran(&group, 3);
    let clone = pxsnap_json(env, "clone first first-restored");
    assert_eq!(clone["clones"][0]["status"], "Bound", "{clone}");
    assert_eq!(clone["clones"][0]["snapshotApi"], "csi", "{clone}");
    assert_eq!(clone["clones"][0]["storageClass"], "px-csi-db", "{clone}");

    env.sim.set_controller(pxsnap_sim::ControllerSettings {
        hang: true,
        ..env.sim.controller()
    });
    let stuck = pxsnap(
        env,
        &args("group-snap -n cassandra -l app=cassandra --name stuck --timeout 1s +hooks"),
    );
    let stderr = String::from_utf8_lossy(&stuck.stderr);
    assert_eq!(stuck.status.code(), Some(5), "{stderr}");
    assert!(!stderr.contains("forbidden"), "{stderr}");
    assert!(
        !stored(env, id::CSI_GROUP_SNAPSHOTS, "cassandra", "stuck"),
        "the timed-out group was left behind: {stderr}"
    );
    assert_eq!(ran(env, "echo thawed"), 1 + 1 + 3 + 3, "every pod released");
}

/// The manifest is least privilege: every verb it grants was needed by some run above, on the
/// 1.35 server of that test, which authorizes a WebSocket exec as both `get` and `create`.
fn assert_every_rule_used(rules: &[PolicyRule], requests: &[pxsnap_sim::RequestRecord]) {
    use std::collections::BTreeSet;
    let used: BTreeSet<(String, String, String)> = requests
        .iter()
        .filter(|r| r.user.as_deref() == Some(USER) && r.status < 400 && !r.resource.is_empty())
        .flat_map(|r| {
            let verbs = if r.verb == "exec" {
                vec!["get".to_string(), "create".to_string()]
            } else {
                vec![r.verb.clone()]
            };
            let resource = match &r.subresource {
                Some(sub) => format!("{}/{sub}", r.resource),
                None => r.resource.clone(),
            };
            let group = r.group.clone().unwrap_or_default();
            verbs
                .into_iter()
                .map(move |verb| (verb, group.clone(), resource.clone()))
        })
        .collect();
    let mut unused = Vec::new();
    for rule in rules {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for verb in &rule.verbs {
                    let grant = (verb.clone(), group.clone(), resource.clone());
                    if !used.contains(&grant) {
                        unused.push(format!("{verb} {resource} (group {group:?})"));
                    }
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "granted but never needed: {}",
        unused.join(", ")
    );
}

/// The namespaced variant: rbac/role.yaml bound in the application's namespaces plus the
/// cluster-scoped reads of rbac/binding-example.yaml is enough for the day-to-day commands in
/// those namespaces; what it cannot do (look across all namespaces) fails with a clear line.
#[test]
fn the_role_plus_cluster_reads_is_enough_within_its_namespaces() {
    let mut rules = sim_rules(
        &role_rules("role.yaml", "pxsnap"),
        &["default", "cassandra"],
    );
    rules.extend(sim_rules(
        &role_rules("binding-example.yaml", "pxsnap-cluster-read"),
        &["*"],
    ));
    let env = cluster_with(rules);

    snapshot_first_and_nightly(&env);
    let clone = pxsnap_json(&env, "clone first first-restored");
    assert_eq!(clone["clones"][0]["status"], "Bound", "{clone}");
    let listed = pxsnap_json(&env, "list -n cassandra --groups");
    assert_eq!(listed_names(&listed), ["nightly"], "{listed}");
    pxsnap_json(
        &env,
        "delete -n cassandra --group nightly --with-children --yes",
    );
    assert!(!group_exists(&env, "nightly"));
    pxsnap_json(&env, "delete first");
    assert!(!snapshot_exists(&env, "default", "first"));
    list_and_delete_a_csi_snapshot(&env, "csi-first");

    let everywhere = pxsnap(&env, &["list", "-A"]);
    let stderr = String::from_utf8_lossy(&everywhere.stderr);
    assert_eq!(everywhere.status.code(), Some(1), "{stderr}");
    assert!(
        // CSI's are read first, as kubectl lists the two resources.
        stderr.contains("list volumesnapshots.snapshot.storage.k8s.io is forbidden"),
        "{stderr}"
    );
    assert!(stderr.contains("at the cluster scope"), "{stderr}");
}

/// What a user without one rule sees: the run's exit code, its one error line (naming the
/// refused verb and resource and pointing at the README's RBAC section) and any warnings.
struct Refusal {
    env: SimHandle,
    code: Option<i32>,
    line: String,
    warnings: Vec<String>,
}

impl Refusal {
    /// Asserts that the run exited 1 and that its error line says `needle`.
    #[track_caller]
    fn assert_exit_1_saying(&self, needle: &str) {
        assert_eq!(self.code, Some(1), "{}", self.line);
        assert!(self.line.contains(needle), "{}", self.line);
    }

    /// Asserts what a refused exec leaves: exit 3 (the pre command could not run), a line
    /// naming `verb` on pods/exec and the pod, nothing snapshotted, and no post command sent
    /// to a pod where nothing started.
    #[track_caller]
    fn assert_exec_refused_for(&self, verb: &str) {
        assert_eq!(
            self.code,
            Some(3),
            "a pre command that could not run is exit 3: {}",
            self.line
        );
        let named = format!("{verb} pods/exec is forbidden in namespace \"default\"");
        assert!(self.line.contains(&named), "{}", self.line);
        assert!(
            self.line.contains("cassandra-app-0"),
            "names the pod: {}",
            self.line
        );
        assert!(!snapshot_exists(&self.env, "default", "s1"));
        assert_eq!(
            crate::run::requests_of(&self.env, "exec"),
            1,
            "the refused pre exec, and no post exec"
        );
    }
}

/// Runs the `setup` command line (if any) as the admin, then `line` as a user with the
/// ClusterRole's rules except `verb` on `resource`; the server quotes the refused verb.
fn refused_without(verb: &str, resource: &str, setup: Option<&str>, line: &str) -> Refusal {
    let refusal = refused_on(KubeVersion::DEFAULT, verb, resource, setup, line);
    assert!(
        refusal
            .line
            .contains(&format!("cannot {verb} resource \"{resource}\"")),
        "the server's reason is quoted: {}",
        refusal.line
    );
    refusal
}

/// [`refused_without`] on a server of version `version`, which may not quote the verb.
fn refused_on(
    version: KubeVersion,
    verb: &str,
    resource: &str,
    setup: Option<&str>,
    line: &str,
) -> Refusal {
    let rules = without(&manifest_rules("clusterrole.yaml"), verb, resource);
    let env = cluster_of(version, sim_rules(&rules, &["*"]));
    if let Some(step) = setup {
        let out = crate::run::pxsnap(&env, &args(step));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "setup {step:?}: {stderr}");
    }
    refusal(env, line)
}

/// Runs `line` in `env` as the restricted user, which must fail with one error line.
fn refusal(env: SimHandle, line: &str) -> Refusal {
    let out = pxsnap(&env, &args(line));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (errors, warnings): (Vec<&str>, Vec<&str>) =
        stderr.lines().partition(|l| l.starts_with("error: "));
    assert_eq!(errors.len(), 1, "one error line on stderr, got:\n{stderr}");
    assert!(
        warnings.iter().all(|l| l.starts_with("warning: ")),
        "nothing but the error and warnings on stderr:\n{stderr}"
    );
    let line = errors[0].to_string();
    assert!(line.contains("the RBAC section of README.md"), "{line}");
    Refusal {
        env,
        code: out.status.code(),
        line,
        warnings: warnings.into_iter().map(str::to_string).collect(),
    }
}

/// How many times `command` ran to completion in a pod.
fn ran(env: &SimHandle, command: &str) -> usize {
    env.sim
        .timeline()
        .iter()
        .filter(|e| e.kind == TimelineKind::ExecEnd && e.exit_code == Some(0))
        .filter(|e| {
            e.command
                .as_ref()
                .and_then(|c| c.last())
                .map(String::as_str)
                == Some(command)
        })
        .count()
}

const SNAP_WITH_HOOKS: &str = "snap cassandra-data --name s1 +hooks";

#[test]
fn on_1_33_an_exec_is_refused_for_get_when_only_create_is_granted() {
    let r = refused_without("get", "pods/exec", None, SNAP_WITH_HOOKS);
    r.assert_exec_refused_for("get");
    assert!(!r.line.contains("create pods/exec"), "{}", r.line);
}

#[test]
fn on_1_33_get_on_pods_exec_is_enough() {
    let rules = without(&manifest_rules("clusterrole.yaml"), "create", "pods/exec");
    let env = cluster_with(sim_rules(&rules, &["*"]));
    let snap = pxsnap_json(&env, SNAP_WITH_HOOKS);
    assert_hooks_ran(&snap, 1);
}

#[test]
fn on_1_35_an_exec_is_refused_for_get_first() {
    let r = refused_on(v1_35(), "get", "pods/exec", None, SNAP_WITH_HOOKS);
    r.assert_exec_refused_for("get");
    assert!(
        r.line.contains("cannot get resource \"pods/exec\""),
        "{}",
        r.line
    );
}

#[test]
fn on_1_35_an_exec_is_refused_for_create_when_only_get_is_granted() {
    let r = refused_on(v1_35(), "create", "pods/exec", None, SNAP_WITH_HOOKS);
    r.assert_exec_refused_for("create");
    // The server's second check quotes no verb; pxsnap says which one it was.
    assert!(
        r.line.contains(
            "pods \"cassandra-app-0\" is forbidden (from Kubernetes 1.35 a WebSocket exec needs create as well as get)"
        ),
        "{}",
        r.line
    );
}

#[test]
fn a_403_not_from_the_authorizer_is_not_blamed_on_rbac() {
    let env = cluster_with(sim_rules(&manifest_rules("clusterrole.yaml"), &["*"]));
    // A 403 Status without the authorizer's details, as a proxy in front of the API server
    // may send.
    env.sim.add_fault(Fault::new(
        Some("exec"),
        Some("pods"),
        FaultAction::Status(403),
    ));
    let out = pxsnap(&env, &args(SNAP_WITH_HOOKS));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "exec refused (HTTP 403, not by the API server's authorizer): forbidden: injected by pxsnap-sim"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("RBAC"), "{stderr}");
    assert!(!stderr.contains("pods/exec is forbidden"), "{stderr}");
}

#[test]
fn without_volumesnapshots_create_the_app_is_released_and_the_run_fails() {
    let r = refused_without("create", "volumesnapshots", None, SNAP_WITH_HOOKS);
    r.assert_exit_1_saying("create volumesnapshots.volumesnapshot.external-storage.k8s.io is forbidden in namespace \"default\"");
    assert_eq!(ran(&r.env, "nodetool flush"), 1);
    assert_eq!(ran(&r.env, "echo thawed"), 1, "the frozen app was released");
}

#[test]
fn without_volumesnapshots_watch_the_app_is_released_and_the_snapshot_not_left() {
    let r = refused_without("watch", "volumesnapshots", None, SNAP_WITH_HOOKS);
    r.assert_exit_1_saying(
        "watch volumesnapshots.volumesnapshot.external-storage.k8s.io is forbidden",
    );
    assert_eq!(ran(&r.env, "echo thawed"), 1, "the frozen app was released");
    assert!(
        !snapshot_exists(&r.env, "default", "s1"),
        "STORK would retry it forever"
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("\"s1\"") && w.contains("deleted it")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn without_rules_get_a_pre_rule_fails_in_one_line_and_nothing_runs() {
    let refusal = refused_without(
        "get",
        "rules",
        None,
        "snap cassandra-data --name s1 --pre-rule flush +hooks",
    );
    refusal.assert_exit_1_saying("get rules is forbidden in namespace \"default\"");
    assert_eq!(crate::run::requests_of(&refusal.env, "exec"), 0);
    assert!(!snapshot_exists(&refusal.env, "default", "s1"));
}

#[test]
fn without_persistentvolumes_get_nothing_is_frozen() {
    let r = refused_without("get", "persistentvolumes", None, SNAP_WITH_HOOKS);
    r.assert_exit_1_saying("get persistentvolumes is forbidden");
    assert!(r.line.contains("at the cluster scope"), "{}", r.line);
    assert_eq!(ran(&r.env, "nodetool flush"), 0);
}

#[test]
fn without_pods_list_nothing_is_frozen() {
    let r = refused_without("list", "pods", None, SNAP_WITH_HOOKS);
    r.assert_exit_1_saying("list pods is forbidden in namespace \"default\"");
    assert_eq!(ran(&r.env, "nodetool flush"), 0);
    assert!(!snapshot_exists(&r.env, "default", "s1"));
}

#[test]
fn without_groupvolumesnapshots_create_the_pods_are_released() {
    let r = refused_without(
        "create",
        "groupvolumesnapshots",
        None,
        "group-snap -n cassandra -l app=cassandra +hooks",
    );
    r.assert_exit_1_saying("create groupvolumesnapshots.stork.libopenstorage.org is forbidden in namespace \"cassandra\"");
    assert_eq!(
        ran(&r.env, "echo thawed"),
        3,
        "every frozen pod was released"
    );
}

#[test]
fn without_persistentvolumeclaims_create_clone_fails_clearly() {
    let r = refused_without(
        "create",
        "persistentvolumeclaims",
        Some("snap cassandra-data --name s1"),
        "clone s1 restored",
    );
    r.assert_exit_1_saying("create persistentvolumeclaims is forbidden in namespace \"default\"");
}

#[test]
fn without_volumesnapshots_delete_the_snapshot_stays_and_the_run_fails() {
    let r = refused_without(
        "delete",
        "volumesnapshots",
        Some("snap cassandra-data --name s1"),
        "delete s1",
    );
    r.assert_exit_1_saying("delete volumesnapshots");
    assert!(snapshot_exists(&r.env, "default", "s1"));
}

/// Without one of the CSI verbs list and delete need, each fails in one line naming it, and
/// nothing is deleted; STORK's snapshots stay listable with `--api stork`.
#[test]
fn without_the_csi_volumesnapshot_verbs_list_and_delete_fail_in_one_line() {
    for (verb, line, says) in [
        (
            "list",
            "list",
            "list volumesnapshots.snapshot.storage.k8s.io is forbidden in namespace \"default\"",
        ),
        (
            "list",
            "delete --pvc cassandra-data --keep-last 1 --yes",
            "list volumesnapshots.snapshot.storage.k8s.io is forbidden in namespace \"default\"",
        ),
        (
            "get",
            "delete csi-1",
            "get volumesnapshot.snapshot.storage.k8s.io is forbidden in namespace \"default\"",
        ),
        (
            "delete",
            "delete csi-1",
            "delete volumesnapshots.snapshot.storage.k8s.io is forbidden",
        ),
    ] {
        let rules = without_in(
            &manifest_rules("clusterrole.yaml"),
            verb,
            Some(CSI_GROUP),
            "volumesnapshots",
        );
        let env = cluster_with(sim_rules(&rules, &["*"]));
        store_csi_snapshot(&env, "csi-1");
        let stork_only = pxsnap(&env, &["list", "--api", "stork"]);
        assert!(
            stork_only.status.success(),
            "{verb}: --api stork needs no CSI verb"
        );
        let r = refusal(env, line);
        assert_eq!(r.code, Some(1), "{verb} {line}: {}", r.line);
        assert!(r.line.contains(says), "{verb} {line}: {}", r.line);
        assert!(csi_snapshot_exists(&r.env, "csi-1"), "{verb} {line}");
    }
}

/// Without the optional class list, `list` still works; TYPE shows `<unknown>` and a note
/// says why.
#[test]
fn without_volumesnapshotclasses_list_the_csi_type_is_unknown_with_a_note() {
    let rules = without(
        &manifest_rules("clusterrole.yaml"),
        "list",
        "volumesnapshotclasses",
    );
    let env = cluster_with(sim_rules(&rules, &["*"]));
    store_csi_snapshot(&env, "csi-1");
    let out = pxsnap(&env, &["list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        "note: listing volumesnapshotclasses.snapshot.storage.k8s.io is forbidden, so the TYPE of CSI snapshots shows <unknown>\n"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("csi-1   cassandra-data   csi   <unknown>   Ready"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The CSI snapshot API's group of VolumeGroupSnapshots.
const CSI_GROUPS: &str = "groupsnapshot.storage.k8s.io";

/// Runs the `setup` command line (if any) as the admin, then `line` on cassandra-csi as a user
/// with the ClusterRole's rules except `verb` on `resource` of API group `group`.
fn refused_on_csi(
    verb: &str,
    group: &str,
    resource: &str,
    setup: Option<&str>,
    line: &str,
) -> Refusal {
    let rules = without_in(
        &manifest_rules("clusterrole.yaml"),
        verb,
        Some(group),
        resource,
    );
    let env = csi_cluster_of(KubeVersion::DEFAULT, sim_rules(&rules, &["*"]));
    if let Some(step) = setup {
        let out = crate::run::pxsnap(&env, &args(step));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "setup {step:?}: {stderr}");
    }
    refusal(env, line)
}

const GROUP_SNAP_WITH_HOOKS: &str = "group-snap -n cassandra -l app=cassandra --name g1 +hooks";
const CLOUD_SNAP_WITH_HOOKS: &str = "cloud-snap cassandra-data --name s1 +hooks";

/// Without each verb the CSI path requires, the subcommand fails (exit 1) with one line naming
/// the verb and resource, every pod whose pre command ran got its post command, and no
/// snapshot of the run is left.
#[test]
fn without_each_required_csi_verb_the_run_fails_in_one_line_and_releases_the_app() {
    let in_default = "is forbidden in namespace \"default\"";
    let in_cassandra = "is forbidden in namespace \"cassandra\"";
    let snapshots = "volumesnapshots.snapshot.storage.k8s.io";
    let groups = "volumegroupsnapshots.groupsnapshot.storage.k8s.io";
    let snap = Some("snap cassandra-data --name s1");
    for (verb, group, resource, setup, line, says) in [
        (
            "create",
            CSI_GROUP,
            "volumesnapshots",
            None,
            SNAP_WITH_HOOKS,
            format!("create {snapshots} {in_default}"),
        ),
        (
            "list",
            CSI_GROUP,
            "volumesnapshots",
            None,
            SNAP_WITH_HOOKS,
            format!("list {snapshots} {in_default}"),
        ),
        (
            "watch",
            CSI_GROUP,
            "volumesnapshots",
            None,
            SNAP_WITH_HOOKS,
            format!("watch {snapshots} {in_default}"),
        ),
        (
            "create",
            CSI_GROUP,
            "volumesnapshots",
            None,
            CLOUD_SNAP_WITH_HOOKS,
            format!("create {snapshots} {in_default}"),
        ),
        (
            "watch",
            CSI_GROUP,
            "volumesnapshots",
            None,
            CLOUD_SNAP_WITH_HOOKS,
            format!("watch {snapshots} {in_default}"),
        ),
        (
            "create",
            CSI_GROUPS,
            "volumegroupsnapshots",
            None,
            GROUP_SNAP_WITH_HOOKS,
            format!("create {groups} {in_cassandra}"),
        ),
        (
            "list",
            CSI_GROUPS,
            "volumegroupsnapshots",
            None,
            GROUP_SNAP_WITH_HOOKS,
            format!("list {groups} {in_cassandra}"),
        ),
        (
            "watch",
            CSI_GROUPS,
            "volumegroupsnapshots",
            None,
            GROUP_SNAP_WITH_HOOKS,
            format!("watch {groups} {in_cassandra}"),
        ),
        (
            "list",
            CSI_GROUPS,
            "volumegroupsnapshotclasses",
            None,
            GROUP_SNAP_WITH_HOOKS,
            "list volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io is forbidden".to_string(),
        ),
        (
            "get",
            CSI_GROUP,
            "volumesnapshots",
            snap,
            "clone s1 restored",
            format!("get {snapshots} {in_default}"),
        ),
    ] {
        let r = refused_on_csi(verb, group, resource, setup, line);
        let case = format!("without {verb} {resource}: {line}");
        assert_eq!(r.code, Some(1), "{case}: {}", r.line);
        assert!(r.line.contains(&says), "{case}: {}", r.line);
        assert!(
            r.line
                .contains(&format!("cannot {verb} resource \"{resource}\"")),
            "{case}: the server's reason is quoted: {}",
            r.line
        );
        assert_eq!(
            ran(&r.env, "nodetool flush"),
            ran(&r.env, "echo thawed"),
            "{case}: every frozen pod was released"
        );
        for (kind, namespace, name) in [
            (id::CSI_SNAPSHOTS, "default", "s1"),
            (id::CSI_GROUP_SNAPSHOTS, "cassandra", "g1"),
        ] {
            let kept = setup.is_some() && kind == id::CSI_SNAPSHOTS;
            assert_eq!(
                stored(&r.env, kind, namespace, name),
                kept,
                "{case}: {name}"
            );
        }
    }
}

/// `get` and `delete` on CSI snapshots are how snap cleans up a snapshot it gave up on: without
/// one of them (and `watch`, so that it gives up) the app is still released, the run fails on
/// the watch, and a warning names the refused verb and says how to delete what stays.
#[test]
fn without_csi_get_or_delete_a_snapshot_given_up_on_stays_with_a_warning() {
    for verb in ["get", "delete"] {
        let rules = without_in(
            &manifest_rules("clusterrole.yaml"),
            "watch",
            Some(CSI_GROUP),
            "volumesnapshots",
        );
        let rules = without_in(&rules, verb, Some(CSI_GROUP), "volumesnapshots");
        let env = csi_cluster_of(KubeVersion::DEFAULT, sim_rules(&rules, &["*"]));
        let r = refusal(env, SNAP_WITH_HOOKS);
        r.assert_exit_1_saying("watch volumesnapshots.snapshot.storage.k8s.io is forbidden");
        assert_eq!(
            ran(&r.env, "echo thawed"),
            1,
            "{verb}: the app was released"
        );
        assert!(stored(&r.env, id::CSI_SNAPSHOTS, "default", "s1"), "{verb}");
        let refused = format!("{verb} volumesnapshots.snapshot.storage.k8s.io is forbidden");
        let cleanup =
            "to delete it: kubectl delete volumesnapshot.snapshot.storage.k8s.io s1 -n default";
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains(&refused) && w.contains(cleanup)),
            "{verb}: {:?}",
            r.warnings
        );
    }
}

/// Without the optional class list, snap still takes a CSI snapshot: a note says so, and the
/// snapshot names no class, so the snapshot-controller takes the driver's default (local)
/// class. cloud-snap cannot choose a cloud class: it takes STORK's cloud snapshot, and says so.
#[test]
fn without_volumesnapshotclasses_list_snap_names_no_class_and_cloud_snap_takes_storks() {
    let rules = without(
        &manifest_rules("clusterrole.yaml"),
        "list",
        "volumesnapshotclasses",
    );
    let env = csi_cluster_of(KubeVersion::DEFAULT, sim_rules(&rules, &["*"]));
    for (line, api, note) in [
        (
            SNAP_WITH_HOOKS,
            CSI_SNAPSHOT_API,
            "note: listing VolumeSnapshotClasses is forbidden, so the snapshot names no class and the snapshot-controller uses the default class of pxd.portworx.com\n",
        ),
        (
            "cloud-snap cassandra-data --name s2 +hooks",
            "volumesnapshot.external-storage.k8s.io/v1",
            "note: PVC \"cassandra-data\" is a Portworx CSI volume, but listing VolumeSnapshotClasses is forbidden, so no cloud class can be chosen; using STORK's snapshot API\n",
        ),
    ] {
        let out = pxsnap(&env, &[args(line).as_slice(), &["-o", "json"]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{line}: {stderr}");
        assert_eq!(stderr, note, "{line}");
        let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(result["snapshot"]["apiVersion"], api, "{line}: {result}");
        assert_eq!(result["snapshot"]["class"], Value::Null, "{line}: {result}");
        assert_hooks_ran(&result, 1);
    }
    let taken = env
        .sim
        .shared()
        .store
        .get(id::CSI_SNAPSHOTS, "default", "s1")
        .expect("the CSI snapshot");
    assert_eq!(
        taken.value["spec"]["volumeSnapshotClassName"], "px-csi-snapclass",
        "the snapshot-controller gave it the driver's default class"
    );
}
