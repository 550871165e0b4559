//! pxsnap in a pod: no kubeconfig, only the service account the kubelet mounts and the
//! variables it sets. The files must be at their fixed path, so each run gets a private mount
//! namespace (`unshare`) with a tmpfs there; nothing outside the run sees them.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::SimHandle;
use crate::run::{
    assert_fails_with, assert_stderr_contains, cassandra, code, json, snapshots, stderr,
};

/// Where kubelet mounts a pod's service account.
const SERVICE_ACCOUNT_DIR: &str = "secrets/kubernetes.io/serviceaccount";

/// Mounts a tmpfs over /var/run's target, copies the service account files in, then runs
/// pxsnap with the rest of the arguments.
const IN_POD: &str = r#"set -e
run=$(readlink -f /var/run)
mount -t tmpfs tmpfs "$run"
mkdir -p "$run/$SERVICE_ACCOUNT_DIR"
cp "$FILES"/* "$run/$SERVICE_ACCOUNT_DIR/"
exec "$PXSNAP" "$@""#;

/// Runs pxsnap as a pod would: `files` as its service account, kubelet's variables pointing
/// at the simulator, and no kubeconfig anywhere (empty HOME, no KUBECONFIG).
fn pxsnap_in_pod(sim: &SimHandle, files: &[(&str, &str)], args: &[&str]) -> Output {
    let account = tempfile::tempdir().expect("tempdir");
    for (name, contents) in files {
        std::fs::write(account.path().join(name), contents).expect("write file");
    }
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", IN_POD, "sh"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("PXSNAP", assert_cmd::cargo::cargo_bin("pxsnap"))
        .env("FILES", account.path())
        .env("SERVICE_ACCOUNT_DIR", SERVICE_ACCOUNT_DIR)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", sim.sim.addr().port().to_string())
        .output()
        .expect("unshare runs");
    assert!(
        !stderr(&out).starts_with("unshare:") && !stderr(&out).contains("mount:"),
        "this test needs a private mount namespace (unshare --map-root-user --mount): {}",
        stderr(&out)
    );
    out
}

fn service_account<'a>(sim: &'a SimHandle, namespace: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", sim.sim.admin_token()),
        ("ca.crt", sim.sim.ca_pem()),
        ("namespace", namespace),
    ]
}

#[test]
fn in_a_pod_the_service_account_and_its_namespace_are_used() {
    let sim = cassandra();
    let out = pxsnap_in_pod(
        &sim,
        &service_account(&sim, "cassandra"),
        &[
            "snap",
            "cassandra-data-cassandra-0",
            "--pre",
            "echo frozen > .frozen",
            "--post",
            "rm .frozen",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let result = json(&out);
    // No -n: the namespace comes from the service account's namespace file.
    assert_eq!(result["snapshot"]["namespace"], "cassandra");
    assert_eq!(result["snapshot"]["pvc"], "cassandra-data-cassandra-0");
    assert_eq!(result["snapshot"]["status"], "Ready");
    // Exec streams authenticate with the token file too: the pod was frozen and released.
    assert_eq!(
        result["hooks"].as_array().map(Vec::len),
        Some(2),
        "{result}"
    );
    let name = result["snapshot"]["name"].as_str().expect("snapshot name");
    assert!(snapshots(&sim, "cassandra").contains(&name.to_string()));
    assert!(!Path::new(&format!("/var/run/{SERVICE_ACCOUNT_DIR}")).exists());
}

#[test]
fn in_a_pod_a_wrong_token_is_refused_by_the_server() {
    let sim = cassandra();
    let mut files = service_account(&sim, "cassandra");
    files[0].1 = "not-the-token";
    let out = pxsnap_in_pod(&sim, &files, &["list"]);
    assert_fails_with(&out, 1, "401");
}

#[test]
fn in_a_pod_without_a_service_account_says_what_is_missing() {
    let sim = cassandra();
    let out = pxsnap_in_pod(&sim, &[("namespace", "cassandra")], &["list"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("no kubeconfig, and the pod's service account cannot be used")
            && message.contains("pass --kubeconfig"),
        "{message}"
    );
}

#[test]
fn outside_a_pod_no_kubeconfig_is_still_an_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(assert_cmd::cargo::cargo_bin("pxsnap"))
        .arg("list")
        .env_clear()
        .env("HOME", home.path())
        .output()
        .expect("pxsnap runs");
    assert_fails_with(&out, 1, "no kubeconfig found ($KUBECONFIG is not set and");
    assert_stderr_contains(&out, ".kube/config does not exist); pass --kubeconfig");
}
