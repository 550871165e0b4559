//! How pxsnap's client deals with the API server beyond the requests themselves, end to end
//! against pxsnap-sim: the server's `Warning` headers (printed once each, as kubectl prints
//! them).

mod common;

use std::process::Output;

use common::SimHandle;
use common::run::{cassandra, code, pxsnap, stderr};
use pxsnap::sim::{Fault, RequestRecord};
use serde_json::json;

/// How many requests the simulator saw that `matches`.
fn requests(sim: &SimHandle, matches: impl Fn(&RequestRecord) -> bool) -> usize {
    sim.sim.request_log().iter().filter(|r| matches(r)).count()
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
