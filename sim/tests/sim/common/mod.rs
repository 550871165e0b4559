//! Shared test helpers: start pxsnap-sim in-process on its own runtime thread, with a
//! kubeconfig in a fresh temp dir, and build kube-rs clients or kubectl commands for it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kube::api::{Api, DynamicObject, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use pxsnap_sim::scenario::{RuleSpec, UserSpec};
use pxsnap_sim::{Fault, FaultAction, Scenario, SimOptions, Simulator, TimelineKind};
use tempfile::TempDir;

/// A running simulator with its kubeconfig. Dropping it stops the simulator.
pub struct SimHandle {
    pub kubeconfig_path: PathBuf,
    pub sim: Simulator,
    /// Temp dir holding the kubeconfig and kubectl's HOME/cache.
    pub dir: TempDir,
    runtime: Option<tokio::runtime::Runtime>,
}

impl SimHandle {
    /// Start a simulator for `scenario` on its own runtime (so it keeps serving while
    /// the test's runtime blocks) and write its kubeconfig.
    pub fn start(scenario: Scenario) -> SimHandle {
        Self::start_with(SimOptions::new(scenario))
    }

    /// The built-in `cassandra` scenario.
    pub fn cassandra() -> SimHandle {
        Self::start(Scenario::builtin("cassandra").expect("built-in scenario"))
    }

    pub fn start_with(opts: SimOptions) -> SimHandle {
        let (runtime, sim) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("simulator runtime");
            let sim = runtime
                .block_on(Simulator::start(opts))
                .expect("simulator starts");
            (runtime, sim)
        })
        .join()
        .expect("simulator start thread");
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig_path = dir.path().join("kubeconfig");
        sim.write_kubeconfig(&kubeconfig_path)
            .expect("write kubeconfig");
        SimHandle {
            kubeconfig_path,
            sim,
            dir,
            runtime: Some(runtime),
        }
    }

    /// A kube-rs client for the kubeconfig's current context (the admin user).
    pub async fn client(&self) -> kube::Client {
        self.client_for_context(None).await
    }

    /// A kube-rs client for a named context, e.g. `pxsnap-sim-<user>`.
    pub async fn client_for_context(&self, context: Option<&str>) -> kube::Client {
        let kc = Kubeconfig::read_from(&self.kubeconfig_path).expect("read kubeconfig");
        let opts = KubeConfigOptions {
            context: context.map(str::to_string),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .expect("kube config");
        kube::Client::try_from(config).expect("kube client")
    }

    /// An admin client with kube-rs's default retries (of 429/503/504) turned off, so a
    /// test sees injected errors directly.
    pub async fn client_without_retries(&self) -> kube::Client {
        let kc = Kubeconfig::read_from(&self.kubeconfig_path).expect("read kubeconfig");
        let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .expect("kube config");
        config.default_retry = false;
        kube::Client::try_from(config).expect("kube client")
    }

    /// An admin client that sends `user_agent` as its User-Agent.
    pub async fn client_with_user_agent(&self, user_agent: &str) -> kube::Client {
        let kc = Kubeconfig::read_from(&self.kubeconfig_path).expect("read kubeconfig");
        let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .expect("kube config");
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_str(user_agent).expect("header value"),
        ));
        kube::Client::try_from(config).expect("kube client")
    }

    /// A client whose bearer token is wrong.
    pub async fn client_with_token(&self, token: &str) -> kube::Client {
        let kc = Kubeconfig::read_from(&self.kubeconfig_path).expect("read kubeconfig");
        let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .expect("kube config");
        config.auth_info.token = Some(token.to_string().into());
        kube::Client::try_from(config).expect("kube client")
    }

    /// A kubectl command against this simulator with its own HOME and discovery cache,
    /// or None when kubectl is not on PATH (see [`tool`]).
    pub fn kubectl(&self) -> Option<Command> {
        let bin = tool("kubectl", "kubectl against the simulator")?;
        let home = self.dir.path().join("home");
        let _ = std::fs::create_dir_all(&home);
        let mut cmd = Command::new(bin);
        cmd.env("KUBECONFIG", &self.kubeconfig_path)
            .env("HOME", &home)
            .arg("--cache-dir")
            .arg(self.dir.path().join("kube-cache"));
        Some(cmd)
    }

    /// Run kubectl with `args`; None when kubectl is not on PATH.
    pub fn run_kubectl(&self, args: &[&str]) -> Option<Output> {
        let mut cmd = self.kubectl()?;
        Some(cmd.args(args).output().expect("run kubectl"))
    }

    /// Whether a watch of `resource` (of the object `name`, when given) has started: the
    /// simulator logs a watch when its stream opens, so a client waiting on an object is then in
    /// that wait, and what a test creates next reaches the watcher.
    pub fn watch_started(&self, resource: &str, name: Option<&str>) -> bool {
        let field = name.map(|n| format!("metadata.name%3D{n}"));
        self.sim.request_log().iter().any(|r| {
            r.verb == "watch"
                && r.resource == resource
                && field
                    .as_deref()
                    .is_none_or(|f| r.query.as_deref().is_some_and(|q| q.contains(f)))
        })
    }

    /// Makes every `verb` of `resource` (from the first on, not just once) meet `action`.
    pub fn fault_every(&self, verb: &str, resource: &str, action: FaultAction) {
        let mut fault = Fault::new(Some(verb), Some(resource), action);
        fault.times = 0;
        self.sim.add_fault(fault);
    }

    /// Write a file into the handle's temp dir and return its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).expect("write file");
        p
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        // Simulator's own Drop stops its tasks; then the runtime goes without blocking
        // (this may run inside a test's async context).
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The external tool `name` (kubectl, script) a test needs, or None after a visible skip line
/// saying that `what` was not tested. With `PXSNAP_REQUIRE_TOOLS=1`, as `.ci/run` sets it, a
/// missing tool fails the test instead: CI must not pass a fidelity test it never ran.
pub fn tool(name: &str, what: &str) -> Option<PathBuf> {
    let found = find_on_path(name);
    if found.is_none() {
        let required = std::env::var_os("PXSNAP_REQUIRE_TOOLS").is_some_and(|v| v == "1");
        assert!(
            !required,
            "{name} is not on PATH and PXSNAP_REQUIRE_TOOLS=1: {what} cannot be tested"
        );
        eprintln!("SKIPPED: {name} is not on PATH; {what} not tested");
    }
    found
}

/// The full path of `name` if it is an executable on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Poll `f` every 20 ms until it returns Some, or panic after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Creates `obj` through `api`, panicking when the server refuses: the setup step of the
/// simulator tests, which check what happens after it.
pub async fn create<K>(api: &Api<K>, obj: &K) -> K
where
    K: Clone + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
{
    api.create(&PostParams::default(), obj)
        .await
        .expect("create")
}

/// STORK VolumeSnapshots in namespace cassandra, where the built-in scenario's StatefulSet
/// and its PVCs live.
pub fn cassandra_snapshots(client: kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(client, "cassandra", &res::stork_snapshot())
}

/// A new STORK VolumeSnapshot `name` of PVC `pvc`, to create through kube-rs.
pub fn new_stork_snapshot(name: &str, pvc: &str) -> DynamicObject {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "volumesnapshot.external-storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": name},
        "spec": {"persistentVolumeClaimName": pvc},
    }))
    .expect("snapshot")
}

/// Creates STORK VolumeSnapshot `name` of cassandra-0's PVC and returns the snapshots of
/// namespace cassandra: the one snapshot a test needs for a controller to act on.
pub async fn snapshot_cassandra_0(client: kube::Client, name: &str) -> Api<DynamicObject> {
    let snaps = cassandra_snapshots(client);
    create(
        &snaps,
        &new_stork_snapshot(name, "cassandra-data-cassandra-0"),
    )
    .await;
    snaps
}

/// The `status` of object `name` as stored now; None while no controller has written one.
pub async fn status_of(api: &Api<DynamicObject>, name: &str) -> Option<serde_json::Value> {
    api.get(name)
        .await
        .expect("get")
        .data
        .get("status")
        .cloned()
}

/// Waits until `name` is gone from `api`: a deletion's cascade, as the controllers do it.
pub async fn wait_gone(api: &Api<DynamicObject>, name: &str) {
    eventually(5, &format!("{name} deleted"), || async {
        api.get(name).await.is_err().then_some(())
    })
    .await
}

/// The kinds of the timeline entries about `object` (`plural/name`), in order.
pub fn kinds_for(h: &SimHandle, object: &str) -> Vec<TimelineKind> {
    h.sim
        .timeline()
        .into_iter()
        .filter(|e| e.object.as_deref() == Some(object))
        .map(|e| e.kind)
        .collect()
}

/// `ApiResource`s for the snapshot CRDs, for `Api::<DynamicObject>`.
pub mod res {
    use kube::api::{ApiResource, GroupVersionKind};

    fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
    }

    /// STORK external-storage VolumeSnapshot (namespaced).
    pub fn stork_snapshot() -> ApiResource {
        ar(
            "volumesnapshot.external-storage.k8s.io",
            "v1",
            "VolumeSnapshot",
            "volumesnapshots",
        )
    }
    /// STORK VolumeSnapshotData (cluster-scoped).
    pub fn stork_snapshot_data() -> ApiResource {
        ar(
            "volumesnapshot.external-storage.k8s.io",
            "v1",
            "VolumeSnapshotData",
            "volumesnapshotdatas",
        )
    }
    pub fn group_snapshot() -> ApiResource {
        ar(
            "stork.libopenstorage.org",
            "v1alpha1",
            "GroupVolumeSnapshot",
            "groupvolumesnapshots",
        )
    }
    pub fn rule() -> ApiResource {
        ar("stork.libopenstorage.org", "v1alpha1", "Rule", "rules")
    }
    /// CSI VolumeSnapshot (namespaced).
    pub fn csi_snapshot() -> ApiResource {
        ar(
            "snapshot.storage.k8s.io",
            "v1",
            "VolumeSnapshot",
            "volumesnapshots",
        )
    }
    /// CSI VolumeGroupSnapshot (namespaced) in `version` (v1beta2 or v1beta1).
    pub fn csi_group_snapshot(version: &str) -> ApiResource {
        ar(
            "groupsnapshot.storage.k8s.io",
            version,
            "VolumeGroupSnapshot",
            "volumegroupsnapshots",
        )
    }
    pub fn csi_group_snapshot_content() -> ApiResource {
        ar(
            "groupsnapshot.storage.k8s.io",
            "v1beta2",
            "VolumeGroupSnapshotContent",
            "volumegroupsnapshotcontents",
        )
    }
    pub fn csi_snapshot_class() -> ApiResource {
        ar(
            "snapshot.storage.k8s.io",
            "v1",
            "VolumeSnapshotClass",
            "volumesnapshotclasses",
        )
    }
    pub fn csi_snapshot_content() -> ApiResource {
        ar(
            "snapshot.storage.k8s.io",
            "v1",
            "VolumeSnapshotContent",
            "volumesnapshotcontents",
        )
    }
}

/// A user who may only get and list pods in namespace cassandra: what the tests of
/// Forbidden answers add to a scenario.
pub fn cassandra_pod_reader(name: &str) -> UserSpec {
    UserSpec {
        name: name.into(),
        token: None,
        rules: vec![RuleSpec {
            verbs: vec!["get".into(), "list".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into()],
            namespaces: vec!["cassandra".into()],
            resource_names: vec![],
        }],
    }
}

/// The HTTP code and reason of a kube-rs API error (panics on other errors).
pub fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason.clone(), s.message.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a command's stderr contains `needle`, printing all of it when it does not.
#[track_caller]
pub fn assert_stderr_contains(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(err.contains(needle), "{err}");
}
