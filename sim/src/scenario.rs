//! Scenario files: what the simulated cluster contains at start-up and how its
//! controllers behave. YAML or JSON, camelCase keys; every field has a default so
//! a scenario only states what matters to its test.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SimError;
use super::discovery::KubeVersion;

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scenario {
    /// Namespaces to create (`default`, `kube-system` and `kube-public` always exist,
    /// and any namespace a PVC or pod names is created too).
    pub namespaces: Vec<String>,
    pub storage_classes: Vec<StorageClassSpec>,
    /// CSI VolumeSnapshotClasses.
    pub snapshot_classes: Vec<SnapshotClassSpec>,
    /// CSI VolumeGroupSnapshotClasses (seeded only when `csiGroupSnapshots` is true; `default`
    /// marks them with `groupsnapshot.storage.kubernetes.io/is-default-class`).
    pub group_snapshot_classes: Vec<SnapshotClassSpec>,
    /// Names of (group) snapshot classes whose `deletionPolicy` is `Retain` (deleting a
    /// snapshot then leaves its content); every other class has `Delete`.
    pub retain_snapshot_classes: Vec<String>,
    pub pvcs: Vec<PvcSpec>,
    pub pods: Vec<PodSpec>,
    pub controller: ControllerSettings,
    pub users: Vec<UserSpec>,
    /// Whether STORK is installed and running: a `name=stork` pod in `kube-system`
    /// and the STORK controllers. With `false` the STORK CRDs are still served (as on
    /// a cluster where STORK was installed once and is now down) but nothing acts on them.
    pub stork: bool,
    /// Whether STORK's CRDs are registered at all. With `false` (a cluster STORK was never
    /// installed on) the groups `volumesnapshot.external-storage.k8s.io` and
    /// `stork.libopenstorage.org` are not served: discovery leaves them out and their URLs
    /// answer 404, as an API server does for an unknown group.
    pub stork_crds: bool,
    /// Whether the CSI snapshot CRDs (`snapshot.storage.k8s.io`) are registered. With `false`
    /// (a cluster without the external-snapshotter) the group is not served, as STORK's are
    /// not without `storkCrds`.
    pub csi_crds: bool,
    /// The Kubernetes version the server reports (`v1.33.0` unless set), and so the one whose
    /// behaviour it plays where versions differ: which verbs an exec needs.
    pub server_version: KubeVersion,
    /// Whether the CSI snapshot-controller runs: a pod labelled
    /// `app.kubernetes.io/name=snapshot-controller` in `kube-system`, and the simulated
    /// controller acting on `snapshot.storage.k8s.io` VolumeSnapshots. With `false` the CRDs
    /// are still served and nothing acts on them, as on a cluster where only the CRDs were
    /// installed.
    pub snapshot_controller: bool,
    /// Whether the CSI group snapshot API `groupsnapshot.storage.k8s.io` is served (v1beta2,
    /// preferred, and v1beta1, as external-snapshotter 8.3+ installs it) and its controller
    /// runs with the snapshot-controller. With `false` (the default) discovery leaves the group
    /// out and its URLs answer 404, as on a cluster without those CRDs.
    pub csi_group_snapshots: bool,
    /// Whether an exec'd process goes on after its stream closed or was cut, as on containerd
    /// and CRI-O. With `false` (the default) the simulator kills the process group then, which
    /// no real runtime does: a client that relies on it passes here and fails in a cluster.
    pub exec_outlives_stream: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            namespaces: Vec::new(),
            storage_classes: Vec::new(),
            snapshot_classes: Vec::new(),
            pvcs: Vec::new(),
            pods: Vec::new(),
            controller: ControllerSettings::default(),
            users: Vec::new(),
            stork: true,
            stork_crds: true,
            csi_crds: true,
            server_version: KubeVersion::DEFAULT,
            snapshot_controller: true,
            group_snapshot_classes: Vec::new(),
            retain_snapshot_classes: Vec::new(),
            csi_group_snapshots: false,
            exec_outlives_stream: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StorageClassSpec {
    pub name: String,
    pub provisioner: String,
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SnapshotClassSpec {
    pub name: String,
    pub driver: String,
    /// Portworx reads `csi.openstorage.org/snapshot-type` (`local` or `cloud`) and
    /// `csi.openstorage.org/snapshot-credential-id`.
    pub parameters: BTreeMap<String, String>,
    /// Marks the class with `snapshot.storage.kubernetes.io/is-default-class: "true"`.
    pub default: bool,
}

impl SnapshotClassSpec {
    /// A non-default class of the Portworx CSI driver.
    pub fn portworx(name: &str) -> SnapshotClassSpec {
        SnapshotClassSpec {
            name: name.into(),
            driver: PX_CSI_DRIVER.into(),
            ..SnapshotClassSpec::default()
        }
    }
}

/// A PVC, and the PV behind it when Bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PvcSpec {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `Bound` (with a PV) or `Pending` (no PV).
    pub phase: String,
    pub size: String,
    pub storage_class: Option<String>,
    /// `pxd.portworx.com` / `com.openstorage.pxd` (CSI Portworx), `portworx-volume`
    /// (in-tree `portworxVolume`), or any other CSI driver name (not Portworx).
    pub driver: String,
}

impl Default for PvcSpec {
    fn default() -> Self {
        PvcSpec {
            namespace: "default".into(),
            name: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            phase: "Bound".into(),
            size: "10Gi".into(),
            storage_class: None,
            driver: PX_CSI_DRIVER.into(),
        }
    }
}

/// A pod. Its commands run as local processes in a per-pod directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `Running`, `Pending`, `Succeeded` or `Failed`.
    pub phase: String,
    pub containers: Vec<ContainerSpec>,
    /// Extra environment for every exec in this pod.
    pub env: BTreeMap<String, String>,
    /// Executables (shell script bodies) placed first in the pod's PATH.
    pub shims: BTreeMap<String, String>,
    /// The pod is being deleted: it carries a `deletionTimestamp` (and a 30 s grace period)
    /// while its phase is still Running, as a real pod does between its deletion and the
    /// end of its containers.
    pub terminating: bool,
}

impl Default for PodSpec {
    fn default() -> Self {
        PodSpec {
            namespace: "default".into(),
            name: String::new(),
            labels: BTreeMap::new(),
            phase: "Running".into(),
            containers: Vec::new(),
            env: BTreeMap::new(),
            shims: BTreeMap::new(),
            terminating: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerSpec {
    pub name: String,
    pub image: Option<String>,
    pub mounts: Vec<MountSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MountSpec {
    pub volume: String,
    pub pvc: String,
    pub path: String,
}

/// How the simulated STORK / CSI controllers behave. Also changeable at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ControllerSettings {
    /// Delay before a STORK local snapshot (or a CSI snapshot) is cut and ready.
    pub snapshot_delay_ms: u64,
    /// Duration of a cloud snapshot upload, after the cut: STORK's (progress is reported
    /// meanwhile) and a CSI snapshot's whose class says `snapshot-type: cloud`
    /// (`readyToUse` stays false meanwhile).
    pub cloud_snapshot_delay_ms: u64,
    pub group_snapshot_delay_ms: u64,
    pub clone_bind_delay_ms: u64,
    /// How often a failed STORK snapshot, group or clone is retried.
    pub retry_interval_ms: u64,
    /// PVC names whose snapshots fail before the cut (STORK: `Error` condition; CSI:
    /// `status.error` without `creationTime`), retried.
    pub fail_snapshots_of_pvcs: Vec<String>,
    /// PVC names whose CSI snapshots the driver never answers, as a hung driver: no content,
    /// no `creationTime`, no error, until the PVC leaves the list.
    pub hang_snapshots_of_pvcs: Vec<String>,
    /// How many CSI cloud uploads fail from now on (each sets `status.error` after the cut;
    /// the retry uploads again and clears it on success). Counts down as uploads fail.
    pub fail_cloud_uploads: u32,
    /// Cloud credential ids that make a cloud snapshot fail.
    pub bad_cloud_cred_ids: Vec<String>,
    /// Controllers do nothing while this is true.
    pub hang: bool,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        ControllerSettings {
            snapshot_delay_ms: 200,
            cloud_snapshot_delay_ms: 2000,
            group_snapshot_delay_ms: 300,
            clone_bind_delay_ms: 200,
            retry_interval_ms: 1000,
            fail_snapshots_of_pvcs: Vec::new(),
            hang_snapshots_of_pvcs: Vec::new(),
            fail_cloud_uploads: 0,
            bad_cloud_cred_ids: Vec::new(),
            hang: false,
        }
    }
}

/// A user with a restricted rule set (the admin user from the kubeconfig may do anything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserSpec {
    pub name: String,
    /// Bearer token; random when absent.
    pub token: Option<String>,
    pub rules: Vec<RuleSpec>,
}

/// An RBAC-like rule. `*` matches anything in each list; a rule whose `namespaces`
/// contains `*` also covers cluster-scoped resources and cluster-wide lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleSpec {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    /// Plurals, or `plural/subresource` such as `pods/exec`.
    pub resources: Vec<String>,
    pub namespaces: Vec<String>,
    /// Empty = any name.
    pub resource_names: Vec<String>,
}

/// The Portworx CSI driver name.
pub const PX_CSI_DRIVER: &str = "pxd.portworx.com";
/// The older Portworx CSI driver name.
pub const PX_CSI_DRIVER_OLD: &str = "com.openstorage.pxd";
/// The `driver` value that makes an in-tree `portworxVolume` PV.
pub const PX_IN_TREE: &str = "portworx-volume";

impl Scenario {
    /// A scenario built into the binary: `cassandra`, `cassandra-csi`, `cassandra-intree`, `mysql` or
    /// `empty`.
    pub fn builtin(name: &str) -> Option<Scenario> {
        match name {
            "cassandra" => Some(cassandra()),
            "cassandra-csi" => Some(cassandra_csi()),
            "cassandra-intree" => Some(cassandra_intree()),
            "mysql" => Some(mysql()),
            "empty" => Some(Scenario::default()),
            _ => None,
        }
    }

    /// Load a scenario from a YAML or JSON file.
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Scenario {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|message| SimError::Scenario {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parse scenario text (JSON is tried first, then YAML).
    pub fn parse(text: &str) -> Result<Scenario, String> {
        match serde_json::from_str(text) {
            Ok(s) => Ok(s),
            Err(json_err) => serde_norway::from_str(text).map_err(|e| {
                if text.trim_start().starts_with('{') {
                    json_err.to_string()
                } else {
                    e.to_string()
                }
            }),
        }
    }

    /// A built-in name, or else a path to a file.
    pub fn resolve(name_or_path: &str) -> Result<Scenario, SimError> {
        match Scenario::builtin(name_or_path) {
            Some(s) => Ok(s),
            None => Scenario::load(Path::new(name_or_path)),
        }
    }

    /// Every namespace the scenario needs, in a stable order.
    pub fn all_namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> =
            vec!["default".into(), "kube-system".into(), "kube-public".into()];
        let named = self
            .namespaces
            .iter()
            .cloned()
            .chain(self.pvcs.iter().map(|p| p.namespace.clone()))
            .chain(self.pods.iter().map(|p| p.namespace.clone()));
        for ns in named {
            if !out.contains(&ns) {
                out.push(ns);
            }
        }
        out
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn nodetool_shim() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "nodetool".to_string(),
        "echo \"nodetool $*: ok\"".to_string(),
    );
    m
}

fn cassandra_pod(ns: &str, name: &str, pvc: &str, app: &str) -> PodSpec {
    PodSpec {
        namespace: ns.into(),
        name: name.into(),
        labels: labels(&[("app", app)]),
        phase: "Running".into(),
        containers: vec![ContainerSpec {
            name: "cassandra".into(),
            image: Some("cassandra:4.1".into()),
            mounts: vec![MountSpec {
                volume: "cassandra-data".into(),
                pvc: pvc.into(),
                path: "/var/lib/cassandra".into(),
            }],
        }],
        env: {
            let mut e = BTreeMap::new();
            e.insert("CASSANDRA_HOME".to_string(), "/opt/cassandra".to_string());
            e
        },
        shims: nodetool_shim(),
        terminating: false,
    }
}

/// The built-in scenario: the Portworx docs' Cassandra example.
fn cassandra() -> Scenario {
    let mut pvcs = Vec::new();
    let mut pods = Vec::new();
    for i in 0..3 {
        let pvc = format!("cassandra-data-cassandra-{i}");
        pvcs.push(PvcSpec {
            namespace: "cassandra".into(),
            name: pvc.clone(),
            labels: labels(&[("app", "cassandra")]),
            storage_class: Some("px-csi-db".into()),
            ..PvcSpec::default()
        });
        pods.push(cassandra_pod(
            "cassandra",
            &format!("cassandra-{i}"),
            &pvc,
            "cassandra",
        ));
    }
    pvcs.push(PvcSpec {
        namespace: "default".into(),
        name: "cassandra-data".into(),
        labels: labels(&[("app", "cassandra-app")]),
        storage_class: Some("px-csi-db".into()),
        ..PvcSpec::default()
    });
    pods.push(cassandra_pod(
        "default",
        "cassandra-app-0",
        "cassandra-data",
        "cassandra-app",
    ));
    Scenario {
        namespaces: vec!["default".into(), "cassandra".into()],
        storage_classes: vec![
            StorageClassSpec {
                name: "px-csi-db".into(),
                provisioner: PX_CSI_DRIVER.into(),
                parameters: labels(&[("repl", "3"), ("io_profile", "db_remote")]),
            },
            StorageClassSpec {
                name: "stork-snapshot-sc".into(),
                provisioner: "stork-snapshot".into(),
                parameters: BTreeMap::new(),
            },
        ],
        snapshot_classes: vec![SnapshotClassSpec {
            default: true,
            ..SnapshotClassSpec::portworx("px-csi-snapclass")
        }],
        pvcs,
        pods,
        ..Scenario::default()
    }
}

/// The credential id of `cassandra-csi`'s cloud snapshot class.
pub const CASSANDRA_CSI_CLOUD_CRED: &str = "4b2a7c1e-9d3f-4e8a-b6c5-0f1e2d3c4b5a";

/// `cassandra` for the CSI path: a default local class and a cloud class (uploads of 3 s)
/// for the Portworx driver, and the CSI group API with a default group class.
fn cassandra_csi() -> Scenario {
    let mut s = cassandra();
    s.snapshot_classes.push(SnapshotClassSpec {
        parameters: labels(&[
            ("csi.openstorage.org/snapshot-type", "cloud"),
            (
                "csi.openstorage.org/snapshot-credential-id",
                CASSANDRA_CSI_CLOUD_CRED,
            ),
        ]),
        ..SnapshotClassSpec::portworx("px-csi-cloud-snapclass")
    });
    s.group_snapshot_classes.push(SnapshotClassSpec {
        default: true,
        ..SnapshotClassSpec::portworx("px-csi-group-snapclass")
    });
    s.csi_group_snapshots = true;
    s.controller.cloud_snapshot_delay_ms = 3000;
    s
}

/// `cassandra` on in-tree `portworxVolume` PVs and without any VolumeSnapshotClass: only
/// STORK can snapshot there.
fn cassandra_intree() -> Scenario {
    let mut s = cassandra();
    for pvc in &mut s.pvcs {
        pvc.driver = PX_IN_TREE.into();
    }
    for sc in &mut s.storage_classes {
        if sc.provisioner == PX_CSI_DRIVER {
            sc.provisioner = "kubernetes.io/portworx-volume".into();
        }
    }
    s.snapshot_classes.clear();
    s
}

/// A `mysql` client whose `FLUSH TABLES WITH READ LOCK` holds only while its session lives, as
/// MySQL's does. It runs the `-e` statements in order (`;`-separated): the lock, `UNLOCK
/// TABLES`, `system CMD` (runs CMD, as the real client's command does); anything else
/// answers ok. Taking and dropping the lock are timeline marks (`lock-taken`,
/// `lock-released`), and the session's end drops a lock still held.
const MYSQL_SHIM: &str = r#"mark() { [ -n "$SIM_MARKS" ] && printf '%s %s\n' "$SIM_POD" "$1" > "$SIM_MARKS"; }
locked=0
release() { if [ "$locked" = 1 ]; then locked=0; mark "lock-released"; fi; }
trap 'release; exit 143' TERM INT HUP
sql=
while [ $# -gt 0 ]; do
  case "$1" in
    -e|-*e) sql=$2; shift ;;
  esac
  shift
done
set -f
IFS=';'
for stmt in $sql; do
  stmt=$(printf '%s' "$stmt" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')
  upper=$(printf '%s' "$stmt" | tr '[:lower:]' '[:upper:]')
  case "$upper" in
    "") ;;
    "FLUSH TABLES WITH READ LOCK") locked=1; mark "lock-taken" ;;
    "UNLOCK TABLES") release ;;
    "SYSTEM "*) (IFS=' '; sh -c "${stmt#* }") ;;
    *) echo "ok: $stmt" ;;
  esac
done
release"#;

/// MySQL in namespace `db`: pod `mysql-0` mounts `mysql-data` (in-tree Portworx, so STORK's
/// API takes its snapshots), and its `mysql` client holds
/// a read lock only while its session is open. Execs outlive their streams, as on a real
/// runtime, so a lock pxsnap cannot let go of stays taken here too.
fn mysql() -> Scenario {
    Scenario {
        namespaces: vec!["db".into()],
        storage_classes: vec![StorageClassSpec {
            name: "px-db".into(),
            provisioner: "kubernetes.io/portworx-volume".into(),
            parameters: labels(&[("repl", "3"), ("io_profile", "db_remote")]),
        }],
        pvcs: vec![PvcSpec {
            namespace: "db".into(),
            name: "mysql-data".into(),
            labels: labels(&[("app", "mysql")]),
            storage_class: Some("px-db".into()),
            driver: PX_IN_TREE.into(),
            ..PvcSpec::default()
        }],
        pods: vec![PodSpec {
            namespace: "db".into(),
            name: "mysql-0".into(),
            labels: labels(&[("app", "mysql")]),
            containers: vec![ContainerSpec {
                name: "mysql".into(),
                image: Some("mysql:8.0".into()),
                mounts: vec![MountSpec {
                    volume: "data".into(),
                    pvc: "mysql-data".into(),
                    path: "/var/lib/mysql".into(),
                }],
            }],
            shims: [("mysql".to_string(), MYSQL_SHIM.to_string())].into(),
            ..PodSpec::default()
        }],
        exec_outlives_stream: true,
        ..Scenario::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_cassandra_shape() {
        let s = Scenario::builtin("cassandra").unwrap();
        assert_eq!(s.pods.len(), 4);
        assert_eq!(s.pvcs.len(), 4);
        assert!(s.all_namespaces().contains(&"cassandra".to_string()));
        assert!(s.pods.iter().all(|p| p.shims.contains_key("nodetool")));
    }

    #[test]
    fn csi_and_intree_variants_keep_cassandra_workload() {
        let base = Scenario::builtin("cassandra").unwrap();
        let csi = Scenario::builtin("cassandra-csi").unwrap();
        let intree = Scenario::builtin("cassandra-intree").unwrap();
        for s in [&csi, &intree] {
            assert_eq!(s.pods, base.pods);
            let names = |s: &Scenario| s.pvcs.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
            assert_eq!(names(s), names(&base));
        }
        assert!(csi.csi_group_snapshots && !base.csi_group_snapshots);
        assert_eq!(csi.controller.cloud_snapshot_delay_ms, 3000);
        assert!(intree.pvcs.iter().all(|p| p.driver == PX_IN_TREE));
        assert!(intree.snapshot_classes.is_empty());
    }

    #[test]
    fn yaml_and_json_parse() {
        let y = "namespaces: [db]\npvcs:\n  - {namespace: db, name: d, phase: Pending}\ncontroller: {snapshotDelayMs: 5, hang: true}\n";
        let s = Scenario::parse(y).unwrap();
        assert_eq!(s.pvcs[0].phase, "Pending");
        assert_eq!(s.pvcs[0].driver, PX_CSI_DRIVER);
        assert_eq!(s.controller.snapshot_delay_ms, 5);
        assert_eq!(s.controller.cloud_snapshot_delay_ms, 2000);
        assert!(s.controller.hang);
        let j = r#"{"pods":[{"name":"p","containers":[{"name":"c"}]}]}"#;
        let s = Scenario::parse(j).unwrap();
        assert_eq!(s.pods[0].namespace, "default");
        assert_eq!(s.server_version, KubeVersion::DEFAULT);
        let s = Scenario::parse(r#"{"serverVersion":"v1.35.0"}"#).unwrap();
        assert_eq!(s.server_version.minor, 35);
        assert!(Scenario::parse(r#"{"serverVersion":"1.35"}"#).is_err());
        assert!(Scenario::parse("{bad").is_err());
    }
}
