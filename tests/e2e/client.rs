//! How pxsnap's client deals with the API server beyond the requests themselves, end to end
//! against pxsnap-sim: credentials from a kubeconfig exec plugin (run once, again only at the
//! token's expiry or after a 401, one line when it fails) and the server's `Warning` headers
//! (printed once each, as kubectl prints them).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::SimHandle;
use crate::run::{SNAP_FLUSH_AND_THAW, cassandra, cassandra_with, code, pxsnap, stderr};
use pxsnap_sim::{Fault, FaultAction, RequestRecord};
use serde_json::json;

/// A credential plugin for the simulator's admin: counts its runs in `$RUNS`, fails with
/// `$FAIL` on stderr from run `$FAIL_FROM` on when `$FAIL` is set, and otherwise prints a token
/// that the simulator accepts for `$FIRST_TTL` seconds on the first run (an hour on later
/// ones), stating that expiry in `expirationTimestamp` only when `$STATE_EXPIRY` is `yes`.
const PLUGIN: &str = r#"#!/bin/sh
echo run >> "$RUNS"
run=$(wc -l < "$RUNS")
if [ -n "$FAIL" ] && [ "$run" -ge "$FAIL_FROM" ]; then echo "$FAIL" >&2; exit 3; fi
ttl=3600
if [ "$run" -eq 1 ]; then ttl=$FIRST_TTL; fi
exp=$(( $(date +%s) + ttl ))
stated=""
if [ "$STATE_EXPIRY" = yes ]; then
  stated=$(printf ',"expirationTimestamp":"%s"' "$(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ)")
fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s.%s"%s}}\n' "$TOKEN" "$exp" "$stated"
"#;

/// The plugin's settings, as the kubeconfig's `env` passes them.
struct Plugin<'a> {
    first_ttl: i64,
    state_expiry: bool,
    fail: Option<&'a str>,
    fail_from: u32,
}

impl Plugin<'_> {
    /// Writes the plugin and a kubeconfig whose user runs it; returns the kubeconfig.
    fn install(&self, sim: &SimHandle) -> PathBuf {
        let script = sim.write_file("credential-plugin", PLUGIN);
        make_executable(&script);
        let runs = sim.dir.path().join("runs");
        let env = [
            ("RUNS", runs.to_string_lossy().into_owned()),
            ("TOKEN", sim.sim.admin_token().to_string()),
            ("FIRST_TTL", self.first_ttl.to_string()),
            (
                "STATE_EXPIRY",
                if self.state_expiry { "yes" } else { "no" }.into(),
            ),
            ("FAIL", self.fail.unwrap_or_default().to_string()),
            ("FAIL_FROM", self.fail_from.to_string()),
        ];
        let mut kubeconfig: serde_json::Value =
            serde_norway::from_str(&sim.sim.kubeconfig()).expect("kubeconfig YAML");
        kubeconfig["users"][0]["user"] = json!({"exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": script,
            "env": env.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "interactiveMode": "IfAvailable",
        }});
        let text = serde_norway::to_string(&kubeconfig).expect("YAML");
        sim.write_file("exec-kubeconfig", &text)
    }
}

const VALID_FOR_AN_HOUR: Plugin = Plugin {
    first_ttl: 3600,
    state_expiry: true,
    fail: None,
    fail_from: 1,
};

const NOT_LOGGED_IN: &str = "error: you must be logged in to the server (run: cloud auth login)";

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// How often the plugin ran.
fn plugin_runs(sim: &SimHandle) -> usize {
    std::fs::read_to_string(sim.dir.path().join("runs"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// Runs pxsnap with `kubeconfig` in place of the simulator's own.
fn pxsnap_with(kubeconfig: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("pxsnap runs")
}

/// How many requests the simulator saw that `matches`.
fn requests(sim: &SimHandle, matches: impl Fn(&RequestRecord) -> bool) -> usize {
    sim.sim.request_log().iter().filter(|r| matches(r)).count()
}

/// Requests the simulator refused with 401.
fn unauthorized(sim: &SimHandle) -> usize {
    requests(sim, |r| r.status == 401)
}

#[test]
fn a_snapshot_runs_the_credential_plugin_once() {
    let sim = cassandra();
    let kubeconfig = VALID_FOR_AN_HOUR.install(&sim);
    let out = pxsnap_with(&kubeconfig, SNAP_FLUSH_AND_THAW);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plugin_runs(&sim), 1);
    assert_eq!(unauthorized(&sim), 0);
}

#[test]
fn a_token_that_expires_mid_run_is_renewed_once_before_the_server_refuses_it() {
    // The first token is good for 2 s, the snapshot takes 4: the post command and the reads
    // after the cut need the second token, from the plugin's second run.
    let sim = cassandra_with(|c| c.snapshot_delay_ms = 4000);
    let plugin = Plugin {
        first_ttl: 2,
        ..VALID_FOR_AN_HOUR
    };
    let out = pxsnap_with(&plugin.install(&sim), SNAP_FLUSH_AND_THAW);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plugin_runs(&sim), 2);
    assert_eq!(unauthorized(&sim), 0, "renewed at the stated expiry");
}

#[test]
fn a_token_the_server_refuses_is_replaced_and_the_request_sent_again() {
    // No expirationTimestamp, and the server no longer takes the token: only a 401 says so.
    let sim = cassandra();
    let plugin = Plugin {
        first_ttl: -5,
        state_expiry: false,
        ..VALID_FOR_AN_HOUR
    };
    let out = pxsnap_with(&plugin.install(&sim), &["list", "-n", "cassandra"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plugin_runs(&sim), 2);
    assert_eq!(unauthorized(&sim), 1);
}

#[test]
fn a_failing_plugin_is_one_line_with_its_stderr_and_exit_code() {
    let sim = cassandra();
    let plugin = Plugin {
        fail: Some(NOT_LOGGED_IN),
        ..VALID_FOR_AN_HOUR
    };
    let kubeconfig = plugin.install(&sim);
    let out = pxsnap_with(&kubeconfig, SNAP_FLUSH_AND_THAW);
    assert_eq!(stderr(&out), format!("{}\n", plugin_failure(&sim)));
    assert_eq!(code(&out), 1);
    assert_eq!(plugin_runs(&sim), 1);
    assert!(sim.sim.timeline().is_empty(), "nothing ran in a pod");
}

/// The error line of the test plugin failing with [`NOT_LOGGED_IN`].
fn plugin_failure(sim: &SimHandle) -> String {
    let script = sim.dir.path().join("credential-plugin");
    format!(
        "error: kubeconfig: credential plugin {:?} failed with exit code 3: {NOT_LOGGED_IN}",
        script.to_string_lossy()
    )
}

#[test]
fn a_plugin_that_fails_to_renew_mid_run_ends_the_wait_at_once() {
    // The first token is good for 2 s; the watch on the snapshot keeps failing, so resuming it
    // needs a new token, which the plugin can no longer give. Retrying cannot help: the wait
    // ends then, not when the snapshot is cut 30 s later.
    let sim = cassandra_with(|c| c.snapshot_delay_ms = 30_000);
    sim.fault_every("watch", "volumesnapshots", FaultAction::Status(503));
    let plugin = Plugin {
        first_ttl: 2,
        fail: Some(NOT_LOGGED_IN),
        fail_from: 2,
        ..VALID_FOR_AN_HOUR
    };
    let started = std::time::Instant::now();
    let out = pxsnap_with(&plugin.install(&sim), SNAP_FLUSH_AND_THAW);
    let elapsed = started.elapsed();
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert_eq!(last, plugin_failure(&sim), "{}", stderr(&out));
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}

const DEPRECATION: &str = "volumesnapshot.external-storage.k8s.io/v1 VolumeSnapshot is deprecated; use snapshot.storage.k8s.io/v1 VolumeSnapshot";

/// Every request for STORK's VolumeSnapshots carries [`DEPRECATION`], as for a deprecated
/// CRD version.
fn warning_on_stork_snapshots(sim: &SimHandle) {
    let fault: Fault = serde_json::from_value(json!({
        "resource": "volumesnapshots",
        "group": "volumesnapshot.external-storage.k8s.io",
        "times": 0,
        "action": {"warning": DEPRECATION},
    }))
    .expect("fault");
    sim.sim.add_fault(fault);
}

/// The `Warning:` lines of a command's stderr.
fn warning_lines(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("Warning:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_server_warning_is_printed_once_as_kubectl_prints_it() {
    let sim = cassandra();
    warning_on_stork_snapshots(&sim);
    let out = pxsnap(&sim, &["snap", "cassandra-data", "--name", "warned"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let warned = requests(&sim, |r| r.resource == "volumesnapshots");
    assert!(warned >= 2, "several requests carried it: {warned}");
    let expected = format!("Warning: {DEPRECATION}");
    assert_eq!(warning_lines(&out), std::slice::from_ref(&expected));

    let Some(kubectl) = sim.run_kubectl(&[
        "get",
        "volumesnapshots.volumesnapshot.external-storage.k8s.io",
        "-n",
        "default",
    ]) else {
        eprintln!("skipped the comparison with kubectl: kubectl not on PATH");
        return;
    };
    assert!(kubectl.status.success(), "{}", stderr(&kubectl));
    assert_eq!(warning_lines(&kubectl), [expected]);
}

#[test]
fn server_warnings_follow_the_colour_setting() {
    let sim = cassandra();
    warning_on_stork_snapshots(&sim);
    let coloured = pxsnap(&sim, &["--color", "always", "list", "-n", "default"]);
    assert_eq!(code(&coloured), 0, "{}", stderr(&coloured));
    let line = stderr(&coloured);
    assert!(line.contains("\u{1b}["), "{line:?}");
    assert!(line.contains(DEPRECATION), "{line:?}");
    let plain = pxsnap(&sim, &["list", "-n", "default"]);
    assert_eq!(warning_lines(&plain), [format!("Warning: {DEPRECATION}")]);
    assert!(!stderr(&plain).contains('\u{1b}'), "{:?}", stderr(&plain));
}
