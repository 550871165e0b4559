//! The `pxsnap-sim serve` binary: prints where it is, serves with faults from a file,
//! and exits 0 on SIGTERM / SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

fn start(dir: &std::path::Path, extra: &[&str]) -> (std::process::Child, String, String) {
    let kc = dir.join("sim.kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pxsnap-sim"))
        .args(["serve", "--scenario", "cassandra", "--kubeconfig-out"])
        .arg(&kc)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pxsnap-sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let second = lines.next().expect("a line").expect("utf-8");
    (child, first, second)
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "pxsnap-sim did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &std::process::Child, sig: i32) {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process by its pid.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0);
}

#[tokio::test]
async fn serve_prints_kubeconfig_and_address_applies_faults_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = dir.path().join("faults.yaml");
    std::fs::write(
        &faults,
        "- {verb: list, resource: pods, action: {status: 500}}\n",
    )
    .expect("write");
    let (mut child, first, second) =
        start(dir.path(), &["--faults", faults.to_str().expect("utf-8")]);
    let kc_path = dir.path().join("sim.kubeconfig");
    assert_eq!(first, format!("kubeconfig: {}", kc_path.display()));
    assert!(
        second.starts_with("address: https://127.0.0.1:"),
        "{second}"
    );
    let kc = Kubeconfig::read_from(&kc_path).expect("kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    config.default_retry = false;
    let pods: Api<Pod> =
        Api::namespaced(kube::Client::try_from(config).expect("client"), "cassandra");
    let err = pods
        .list(&ListParams::default())
        .await
        .map(|_| ())
        .expect_err("the fault from the file");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 500),
        "{err:?}"
    );
    assert_eq!(
        pods.list(&ListParams::default())
            .await
            .expect("then fine")
            .items
            .len(),
        3
    );
    signal(&child, libc::SIGTERM);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_exits_0_on_sigint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, _, _) = start(dir.path(), &[]);
    signal(&child, libc::SIGINT);
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}

#[test]
fn a_missing_scenario_file_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_pxsnap-sim"))
        .args([
            "serve",
            "--scenario",
            "/no/such/scenario.yaml",
            "--kubeconfig-out",
            "/tmp/unused-kc",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot load scenario /no/such/scenario.yaml"),
        "{err}"
    );
}
