//! The same binary, linked as `kubectl-pxsnap` on PATH, is a kubectl plugin: `kubectl pxsnap ...`
//! runs it, and its help and usage errors name `kubectl pxsnap`, the way the user typed it.
//!
//! kubectl's plugin dispatch needs no cluster: it finds `kubectl-<name>` on PATH and execs it. The
//! kubectl here may be a version-picking wrapper (google-cloud-sdk's) that asks the current
//! context's server for its version; an empty HOME and a KUBECONFIG naming no file keep it from
//! contacting whatever cluster the machine's own kubeconfig points at.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A temp dir holding `kubectl-pxsnap`, a symlink to the pxsnap binary under test.
fn plugin_dir() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("kubectl-pxsnap");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("pxsnap"), &link).expect("symlink");
    (dir, link)
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))
        .expect("PATH")
}

/// Runs `kubectl ARGS` with the plugin dir on PATH; None (after saying so) without kubectl.
fn kubectl(args: &[&str]) -> Option<Output> {
    let kubectl = crate::common::tool("kubectl", "the plugin dispatch")?;
    let (dir, _link) = plugin_dir();
    let out = Command::new(kubectl)
        .args(args)
        .env("PATH", path_with(dir.path()))
        .env("HOME", dir.path())
        .env("KUBECONFIG", dir.path().join("no-kubeconfig"))
        .output()
        .expect("kubectl runs");
    Some(out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn kubectl_runs_the_plugin_and_its_help_says_kubectl_pxsnap() {
    let Some(out) = kubectl(&["pxsnap", "--help"]) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Usage: kubectl pxsnap [OPTIONS] <COMMAND>"),
        "{stdout}"
    );
    assert!(!stdout.contains("Usage: pxsnap"), "{stdout}");
    assert!(stdout.contains("group-snap"), "the real help: {stdout}");

    let Some(out) = kubectl(&["pxsnap", "snap", "--help"]) else {
        return;
    };
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Usage: kubectl pxsnap snap [OPTIONS] <PVC>"),
        "{stdout}"
    );
}

#[test]
fn kubectl_passes_the_plugin_exit_code_and_usage_error_through() {
    let Some(out) = kubectl(&["pxsnap", "snap", "--bogus"]) else {
        return;
    };
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("(see 'kubectl pxsnap snap --help')"),
        "{stderr}"
    );
}

#[test]
fn the_link_names_kubectl_pxsnap_in_usage_errors() {
    let (_dir, link) = plugin_dir();
    let out = Command::new(&link)
        .args(["snap", "--bogus"])
        .output()
        .expect("runs");
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "usage errors are exit 2: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: unexpected argument '--bogus' found"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("(see 'kubectl pxsnap snap --help')\n"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "errors go to stderr only");

    let out = Command::new(&link).arg("--version").output().expect("runs");
    assert!(
        text(&out.stdout).starts_with("kubectl pxsnap "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_binary_under_its_own_name_says_pxsnap() {
    let out = assert_cmd::Command::cargo_bin("pxsnap")
        .expect("binary")
        .args(["snap", "--bogus"])
        .output()
        .expect("runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: unexpected argument '--bogus' found"),
        "{stderr}"
    );
    assert!(stderr.ends_with("(see 'pxsnap snap --help')\n"), "{stderr}");
}
