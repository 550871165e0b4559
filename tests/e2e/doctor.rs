//! `pxsnap doctor` against pxsnap-sim: a healthy cluster, STORK absent or down, CSI classes
//! absent or doubled, a user missing each permission in turn, a PVC that is not Portworx, a
//! pod with two containers; and that it only reads (and asks its reviews), that kubectl's
//! `auth can-i` and `auth whoami` agree with it, and that a timed-out check fails.

use std::process::Output;

use pxsnap::k8s::permissions::{PERMISSIONS, Permission, Scope, Subcommand};
use pxsnap_sim::scenario::{
    ContainerSpec, MountSpec, PodSpec, PvcSpec, RuleSpec, SnapshotClassSpec, UserSpec,
};
use pxsnap_sim::{Fault, FaultAction, Scenario};
use serde_json::{Value, json};

use crate::common::SimHandle;
use crate::run::{self, code, json, stderr};

/// The simulator user with restricted rules.
const USER: &str = "ci";

fn cassandra() -> Scenario {
    Scenario::builtin("cassandra").expect("built-in scenario")
}

fn start(change: impl FnOnce(&mut Scenario)) -> SimHandle {
    let mut scenario = cassandra();
    change(&mut scenario);
    SimHandle::start(scenario)
}

/// Runs `pxsnap doctor ARGS -o json` (as the admin, or as [`USER`] with `as_user`).
fn doctor(sim: &SimHandle, as_user: bool, args: &[&str]) -> Output {
    let context = format!("pxsnap-sim-{USER}");
    let user: &[&str] = match as_user {
        true => &["--context", &context],
        false => &[],
    };
    run::pxsnap(sim, &[user, &["doctor"], args, &["-o", "json"]].concat())
}

/// Runs doctor as the admin, asserts its exit code, and returns its report and stderr.
#[track_caller]
fn expect(sim: &SimHandle, args: &[&str], exit: i32) -> (Value, String) {
    let out = doctor(sim, false, args);
    assert_eq!(code(&out), exit, "{}", stderr(&out));
    (json(&out), stderr(&out))
}

/// The checks with `id`, from a `-o json` document.
fn checks<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["id"] == id)
        .collect()
}

/// The one check with `id`.
#[track_caller]
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    match checks(report, id).as_slice() {
        [one] => one,
        other => panic!("{} checks {id}: {report:#}", other.len()),
    }
}

/// Asserts the check's status and that its message says `needle`; a check that is not ok
/// must say what to do.
#[track_caller]
fn assert_check(report: &Value, id: &str, status: &str, needle: &str) {
    let c = check(report, id);
    assert_eq!(c["status"], status, "{c:#}");
    let message = c["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{id}: {message}");
    assert_eq!(c["fix"].is_string(), status != "ok", "{c:#}");
}

/// The ids of the checks that are not ok.
fn problems(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] != "ok")
        .map(|c| format!("{}: {}", c["id"], c["message"]))
        .collect()
}

#[test]
fn a_healthy_cluster_is_all_ok_and_only_read() {
    let sim = SimHandle::start(cassandra());
    let (report, _) = expect(&sim, &["cassandra-data"], 0);
    assert_eq!(problems(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(report["summary"]["fail"], 0);
    assert_check(&report, "pvc.api", "ok", "csi: class px-csi-snapclass");
    assert_check(
        &report,
        "pvc.pods",
        "ok",
        "cassandra-app-0 (container cassandra)",
    );
    assert_check(
        &report,
        "api.csi.classes",
        "ok",
        "default px-csi-snapclass (local)",
    );
    assert_check(&report, "connection.user", "ok", "pxsnap-sim-admin");
    let permissions = report["permissions"].as_array().expect("permissions");
    assert!(permissions.iter().all(|p| p["allowed"] == true));
    assert!(
        permissions
            .iter()
            .any(|p| p["resource"] == "pods/exec" && p["verb"] == "get")
    );

    // Read-only: nothing but reads and the reviews, no exec, and no request per pod.
    let requests = sim.sim.request_log();
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| !matches!(r.verb.as_str(), "get" | "list" | "watch"))
        .filter(|r| {
            !matches!(
                r.resource.as_str(),
                "selfsubjectaccessreviews" | "selfsubjectreviews"
            )
        })
        .map(|r| format!("{} {}", r.verb, r.path))
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    assert!(
        requests
            .iter()
            .all(|r| !(r.resource == "pods" && r.name.is_some())),
        "no request names a pod"
    );
    let reviews = requests
        .iter()
        .filter(|r| r.resource == "selfsubjectaccessreviews" && r.status == 201)
        .count();
    assert_eq!(
        reviews,
        permissions.len(),
        "one review per verb and resource"
    );
}

#[test]
fn the_table_shows_each_check_and_what_to_do() {
    let sim = start(|s| s.snapshot_classes.clear());
    let out = run::pxsnap(&sim, &["doctor", "--for", "snap"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    let warn = lines
        .iter()
        .position(|l| l.starts_with("api.csi.classes") && l.contains(" warn "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        lines[warn + 1].trim_start().starts_with("fix: printf"),
        "{table}"
    );
    assert!(lines[warn + 1].contains("kubectl apply -f -"), "{table}");
    assert!(table.contains("VERB "), "the permissions table: {table}");
    assert!(table.ends_with("0 fail\n"), "{table}");
}

#[test]
fn without_stork_snapshots_would_fail() {
    // In-tree volumes and no CSI snapshot class: only STORK's API can snapshot them.
    let sim = start(|s| {
        s.stork = false;
        s.stork_crds = false;
        s.snapshot_classes.clear();
        for pvc in &mut s.pvcs {
            pvc.driver = pxsnap_sim::scenario::PX_IN_TREE.to_string();
        }
    });
    let (report, errors) = expect(&sim, &["cassandra-data"], 1);
    assert_check(
        &report,
        "api.stork.volumesnapshots",
        "fail",
        "needed by snap, cloud-snap",
    );
    assert_check(
        &report,
        "api.stork.running",
        "warn",
        "no running STORK pod (name=stork)",
    );
    assert_check(
        &report,
        "pvc.api",
        "fail",
        "none: the API group volumesnapshot.external-storage.k8s.io/v1 is not served by this cluster: is STORK installed?",
    );
    let line = errors;
    assert!(line.contains("api.stork.volumesnapshots"), "{line}");
    assert!(line.starts_with("error: "), "one error line: {line}");
}

/// Where CSI snapshots are set up (served, with a Portworx class), snap and cloud-snap take
/// them: STORK's API missing is a warning, needed only for in-tree volumes.
#[test]
fn without_stork_snapshots_where_csi_takes_them_is_a_warning() {
    let sim = start(|s| {
        s.stork = false;
        s.stork_crds = false;
    });
    let (report, _) = expect(&sim, &["--for", "snap", "cassandra-data"], 0);
    assert_check(
        &report,
        "api.stork.volumesnapshots",
        "warn",
        "needed by snap); CSI snapshots are set up, so only in-tree portworxVolume PVCs need it",
    );
    assert_check(
        &report,
        "rbac.volumesnapshots.snapshot.storage.k8s.io",
        "ok",
        "create",
    );
}

#[test]
fn stork_down_with_its_crds_left_is_a_warning() {
    let sim = start(|s| s.stork = false);
    let (report, _) = expect(&sim, &[], 0);
    assert_check(&report, "api.stork.volumesnapshots", "ok", "served");
    assert_check(&report, "api.stork.running", "warn", "no running STORK pod");
}

#[test]
fn no_portworx_snapshot_class_is_a_warning_with_the_class_to_apply() {
    let sim = start(|s| {
        s.snapshot_classes.clear();
        s.snapshot_controller = false;
    });
    let report = json(&doctor(&sim, false, &[]));
    assert_check(
        &report,
        "api.csi.classes",
        "warn",
        "no VolumeSnapshotClass for the Portworx CSI driver",
    );
    let fix = check(&report, "api.csi.classes")["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(
        fix.contains("driver: pxd.portworx.com") && fix.contains("kubectl apply"),
        "{fix}"
    );
    assert_check(
        &report,
        "api.csi.controller",
        "warn",
        "no running the snapshot-controller pod",
    );
}

#[test]
fn two_default_classes_are_reported_as_the_snapshot_controller_sees_them() {
    let sim = start(|s| {
        s.snapshot_classes.push(SnapshotClassSpec {
            name: "px-csi-cloud".into(),
            driver: "pxd.portworx.com".into(),
            parameters: [
                (
                    "csi.openstorage.org/snapshot-type".to_string(),
                    "cloud".to_string(),
                ),
                (
                    "csi.openstorage.org/snapshot-credential-id".to_string(),
                    "6b89".to_string(),
                ),
            ]
            .into(),
            default: true,
        })
    });
    let out = doctor(&sim, false, &[]);
    assert_eq!(code(&out), 0, "a warning: pxsnap does not use CSI today");
    let report = json(&out);
    assert_check(
        &report,
        "api.csi.classes",
        "warn",
        "\"2 default snapshot classes were found\"",
    );
    assert_check(
        &report,
        "api.csi.classes",
        "warn",
        "px-csi-cloud (cloud, credential 6b89)",
    );
    let fix = check(&report, "api.csi.classes")["fix"]
        .as_str()
        .unwrap_or_default();
    assert!(
        fix.contains("kubectl annotate volumesnapshotclass px-csi-snapclass snapshot.storage.kubernetes.io/is-default-class-"),
        "{fix}"
    );
}

/// A PVC on another CSI driver, and a pod whose two containers both mount its PVC.
fn odd_pvcs(s: &mut Scenario) {
    let pvc = |name: &str, driver: &str| PvcSpec {
        name: name.into(),
        driver: driver.into(),
        ..PvcSpec::default()
    };
    s.pvcs.push(pvc("ebs-data", "ebs.csi.aws.com"));
    s.pvcs.push(pvc("shared-data", "pxd.portworx.com"));
    let container = |name: &str| ContainerSpec {
        name: name.into(),
        image: None,
        mounts: vec![MountSpec {
            volume: "data".into(),
            pvc: "shared-data".into(),
            path: "/data".into(),
        }],
    };
    s.pods.push(PodSpec {
        name: "shared-0".into(),
        containers: vec![container("app"), container("backup")],
        ..PodSpec::default()
    });
}

#[test]
fn a_pvc_that_is_not_portworx_fails() {
    let sim = start(odd_pvcs);
    let (report, errors) = expect(&sim, &["ebs-data", "--for", "snap"], 1);
    assert_check(&report, "pvc.bound", "ok", "Bound");
    assert_check(
        &report,
        "pvc.volume",
        "fail",
        "CSI driver \"ebs.csi.aws.com\", not Portworx",
    );
    assert_check(&report, "pvc.api", "fail", "none");
    assert!(errors.contains("pvc.volume (ebs-data)"), "{}", errors);
}

#[test]
fn a_pod_with_two_containers_needs_dash_c() {
    let sim = start(odd_pvcs);
    let (report, _) = expect(&sim, &["shared-data"], 1);
    assert_check(
        &report,
        "pvc.pods",
        "fail",
        "several containers mounting PVC \"shared-data\" (app, backup)",
    );
    assert!(
        check(&report, "pvc.pods")["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("-c")
    );

    let chosen = json(&doctor(&sim, false, &["shared-data", "-c", "backup"]));
    assert_check(&chosen, "pvc.pods", "ok", "shared-0 (container backup)");
    assert_check(
        &chosen,
        "pvc.exec",
        "ok",
        "allowed in namespace \"default\"",
    );
}

#[test]
fn a_group_selection_is_checked_pvc_by_pvc() {
    let sim = SimHandle::start(cassandra());
    let out = doctor(
        &sim,
        false,
        &[
            "-n",
            "cassandra",
            "-l",
            "app=cassandra",
            "--for",
            "group-snap",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(checks(&report, "pvc.volume").len(), 3, "{report:#}");
    assert_check(
        &report,
        "pvc.pods",
        "ok",
        "cassandra-2 (container cassandra)",
    );
    assert!(
        checks(&report, "rbac.volumesnapshotdatas").is_empty(),
        "--for group-snap checks only what group-snap needs"
    );
}

/// A STORK-only cluster (no CSI snapshot CRDs) whose role was written before pxsnap spoke CSI:
/// the CSI rules it lacks cannot matter there, so doctor asks nothing about them.
#[test]
fn a_stork_only_cluster_needs_no_csi_rule() {
    const CSI_GROUPS: [&str; 2] = ["snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"];
    let rules = rules_where(|p, _| !CSI_GROUPS.contains(&p.group));
    let mut scenario = Scenario::builtin("cassandra-intree").expect("built-in scenario");
    scenario.csi_crds = false;
    scenario.csi_group_snapshots = false;
    scenario.users = vec![UserSpec {
        name: USER.into(),
        token: None,
        rules,
    }];
    let sim = SimHandle::start(scenario);
    let out = doctor(&sim, true, &["--for", "snap,group-snap"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    let asked: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("rbac."))
        .collect();
    assert!(
        !asked.iter().any(|id| id.contains("snapshot.storage.k8s.io")
            || id.contains("volumesnapshotclasses")
            || id.contains("volumegroupsnapshot")),
        "{asked:?}"
    );
    assert_check(&report, "rbac.volumesnapshots", "ok", "");
    assert_check(
        &report,
        "api.csi.volumesnapshots",
        "warn",
        "STORK's snapshots are served, so pxsnap takes those",
    );
}

#[test]
fn for_apply_checks_what_the_subcommands_apply_runs_need() {
    let sim = SimHandle::start(cassandra());
    let (report, _) = expect(&sim, &["--for", "apply"], 0);
    assert_eq!(report["for"], json!(["snap", "cloud-snap", "group-snap"]));
    assert_check(&report, "rbac.rules", "ok", "");
    assert_eq!(checks(&report, "rbac.groupvolumesnapshots").len(), 1);
    assert!(
        checks(&report, "rbac.volumesnapshotdatas").is_empty(),
        "what only clone, list and delete need is not checked: {report:#}"
    );
}

#[test]
fn usage_errors_come_before_any_request() {
    let sim = SimHandle::start(cassandra());
    for (args, needle) in [
        (&["--for", "backup"][..], "--for"),
        (&["-c", "app"][..], "-c/--container needs a PVC or -l"),
        (&["-l", "app in (a,b)"][..], "matchLabels only"),
    ] {
        let out = doctor(&sim, false, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert!(sim.sim.request_log().is_empty(), "nothing was asked");
}

#[test]
fn a_timed_out_check_fails() {
    let sim = SimHandle::start(cassandra());
    let mut slow = Fault::new(Some("list"), Some("pods"), FaultAction::DelayMs(3000));
    slow.namespace = Some("default".into());
    sim.sim.add_fault(slow);
    let out = doctor(&sim, false, &["cassandra-data", "--timeout", "1s"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_check(&json(&out), "pvc.pods", "fail", "timed out after 1");
}

#[test]
fn a_server_without_self_subject_review_falls_back() {
    let sim = SimHandle::start(cassandra());
    sim.sim.add_fault(Fault::new(
        Some("create"),
        Some("selfsubjectreviews"),
        FaultAction::Status(404),
    ));
    let out = doctor(&sim, false, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_check(
        &json(&out),
        "connection.user",
        "ok",
        "does not serve SelfSubjectReview",
    );
}

/// The permission table as the simulator's rules, everywhere, less `verb` on `resource`.
/// The table's row that `resource` names with `verb`: by its short name (see
/// `Permission::short_name`).
fn row(verb: &str, resource: &str) -> &'static pxsnap::k8s::permissions::Permission {
    PERMISSIONS
        .iter()
        .find(|p| p.short_name() == resource && p.verbs.contains(&verb))
        .expect("in the table")
}

fn rules_without(verb: &str, resource: &str) -> Vec<RuleSpec> {
    let target = row(verb, resource);
    rules_where(|p, v| !(p.group == target.group && p.resource == target.resource && v == verb))
}

/// The permission table as rules, each verb kept where `keep` says.
fn rules_where(keep: impl Fn(&Permission, &str) -> bool) -> Vec<RuleSpec> {
    PERMISSIONS
        .iter()
        .map(|p| RuleSpec {
            verbs: p
                .verbs
                .iter()
                .filter(|v| keep(p, v))
                .map(|v| v.to_string())
                .collect(),
            api_groups: vec![p.group.to_string()],
            resources: vec![p.resource.to_string()],
            namespaces: vec!["*".into()],
            resource_names: vec![],
        })
        .collect()
}

/// A cluster serving every API pxsnap uses (so that each permission is asked), where only
/// `verb` on `resource` is denied.
fn as_restricted_user(verb: &str, resource: &str) -> SimHandle {
    start(|s| {
        s.csi_group_snapshots = true;
        s.users = vec![UserSpec {
            name: USER.into(),
            token: None,
            rules: rules_without(verb, resource),
        }]
    })
}

/// Runs doctor as a user with every permission but `verb` on `resource` and checks that the
/// output names exactly that one, failing (or warning, for an optional one) its check.
fn missing(verb: &str, resource: &str) {
    let permission = row(verb, resource);
    let sim = as_restricted_user(verb, resource);
    let out = doctor(&sim, true, &[]);
    let report = json(&out);
    let id = format!("rbac.{}", resource.replace('/', "-"));
    let denied: Vec<&Value> = report["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter(|p| p["allowed"] != true)
        .collect();
    if resource == "pods/exec" && verb == "create" {
        // A 1.33 server authorizes a WebSocket exec as `get` only: `create` is not asked.
        assert!(denied.is_empty(), "{denied:?}");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        return;
    }
    assert_eq!(denied.len(), 1, "exactly the missing verb: {denied:?}");
    assert_eq!(denied[0]["verb"], verb);
    assert_eq!(denied[0]["resource"], permission.qualified());
    let expected_namespace = match permission.scope {
        Scope::Namespaced => Value::from("default"),
        Scope::Cluster => Value::Null,
    };
    assert_eq!(denied[0]["namespace"], expected_namespace);
    let required = permission.required_by_any(&Subcommand::ALL);
    let status = if required { "fail" } else { "warn" };
    assert_check(
        &report,
        &id,
        status,
        &format!("{verb} {}", permission.qualified()),
    );
    assert_eq!(code(&out), if required { 1 } else { 0 }, "{}", stderr(&out));
    if required {
        assert!(stderr(&out).contains(&id), "{}", stderr(&out));
    }
}

/// One test per permission of the table, named after it.
macro_rules! missing_tests {
    ($($name:ident: $verb:literal $resource:literal,)*) => {
        $(
            #[test]
            fn $name() {
                missing($verb, $resource);
            }
        )*

        /// Every grant of the table has its test above.
        #[test]
        fn every_permission_has_a_missing_test() {
            let mut tested = vec![$(($resource, $verb)),*];
            tested.sort_unstable();
            let mut table: Vec<(String, &str)> = PERMISSIONS
                .iter()
                .flat_map(|p| p.verbs.iter().map(move |v| (p.short_name(), *v)))
                .collect();
            table.sort_unstable();
            let mut tested: Vec<(String, &str)> =
                tested.into_iter().map(|(r, v)| (r.to_string(), v)).collect();
            tested.sort_unstable();
            assert_eq!(tested, table);
        }
    };
}

missing_tests! {
    without_get_persistentvolumeclaims: "get" "persistentvolumeclaims",
    without_list_persistentvolumeclaims: "list" "persistentvolumeclaims",
    without_watch_persistentvolumeclaims: "watch" "persistentvolumeclaims",
    without_create_persistentvolumeclaims: "create" "persistentvolumeclaims",
    without_get_persistentvolumes: "get" "persistentvolumes",
    without_list_persistentvolumes: "list" "persistentvolumes",
    without_list_pods: "list" "pods",
    without_get_pods_exec: "get" "pods/exec",
    without_create_pods_exec: "create" "pods/exec",
    without_list_events: "list" "events",
    without_get_namespaces: "get" "namespaces",
    without_get_storageclasses: "get" "storageclasses",
    without_get_volumesnapshots: "get" "volumesnapshots",
    without_list_volumesnapshots: "list" "volumesnapshots",
    without_watch_volumesnapshots: "watch" "volumesnapshots",
    without_create_volumesnapshots: "create" "volumesnapshots",
    without_delete_volumesnapshots: "delete" "volumesnapshots",
    without_get_volumesnapshotdatas: "get" "volumesnapshotdatas",
    without_get_groupvolumesnapshots: "get" "groupvolumesnapshots",
    without_list_groupvolumesnapshots: "list" "groupvolumesnapshots",
    without_watch_groupvolumesnapshots: "watch" "groupvolumesnapshots",
    without_create_groupvolumesnapshots: "create" "groupvolumesnapshots",
    without_delete_groupvolumesnapshots: "delete" "groupvolumesnapshots",
    without_get_csi_volumesnapshots: "get" "volumesnapshots.snapshot.storage.k8s.io",
    without_list_csi_volumesnapshots: "list" "volumesnapshots.snapshot.storage.k8s.io",
    without_delete_csi_volumesnapshots: "delete" "volumesnapshots.snapshot.storage.k8s.io",
    without_create_csi_volumesnapshots: "create" "volumesnapshots.snapshot.storage.k8s.io",
    without_watch_csi_volumesnapshots: "watch" "volumesnapshots.snapshot.storage.k8s.io",
    without_get_volumegroupsnapshots: "get" "volumegroupsnapshots",
    without_list_volumegroupsnapshots: "list" "volumegroupsnapshots",
    without_watch_volumegroupsnapshots: "watch" "volumegroupsnapshots",
    without_create_volumegroupsnapshots: "create" "volumegroupsnapshots",
    without_delete_volumegroupsnapshots: "delete" "volumegroupsnapshots",
    without_list_volumegroupsnapshotclasses: "list" "volumegroupsnapshotclasses",
    without_get_rules: "get" "rules",
    without_list_volumesnapshotclasses: "list" "volumesnapshotclasses",
}

/// `kubectl auth can-i` and `kubectl auth whoami` against the simulator say what doctor says.
#[test]
fn kubectl_auth_agrees_with_doctor() {
    if crate::common::find_on_path("kubectl").is_none() {
        eprintln!("skipped: kubectl not on PATH");
        return;
    }
    let sim = as_restricted_user("get", "pods/exec");
    let report = json(&doctor(&sim, true, &["cassandra-data"]));
    assert_check(
        &report,
        "pvc.exec",
        "fail",
        "pods/exec (get) denied in namespace \"default\"",
    );
    assert_check(&report, "rbac.pods", "ok", "list pods allowed");
    let kubectl = |args: &[&str]| {
        let context = format!("pxsnap-sim-{USER}");
        let out = sim
            .run_kubectl(&[&["--context", context.as_str()], args].concat())
            .expect("kubectl on PATH");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        kubectl(&[
            "auth",
            "can-i",
            "get",
            "pods",
            "--subresource=exec",
            "-n",
            "default"
        ]),
        "no"
    );
    assert_eq!(
        kubectl(&["auth", "can-i", "list", "pods", "-n", "default"]),
        "yes"
    );
    let whoami = kubectl(&["auth", "whoami"]);
    let user = check(&report, "connection.user")["message"]
        .as_str()
        .unwrap_or_default();
    assert!(whoami.contains(&format!("Username    {USER}")), "{whoami}");
    assert!(
        user.starts_with(&format!("{USER} (groups: system:authenticated")),
        "{user}"
    );
    assert!(whoami.contains("[system:authenticated]"), "{whoami}");
}
