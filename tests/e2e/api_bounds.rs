//! End-to-end: every subcommand bounds every API call by its `--timeout`, against an API server
//! that never answers a request and one that never completes a TLS handshake (the two silences a
//! wedged or overloaded control plane shows), and says which call it gave up on.

use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::SimHandle;
use crate::run::*;
use pxsnap_sim::{Fault, FaultAction, Scenario};

/// The call each subcommand makes first, as the timeout line names it.
const STORK_DISCOVERY: &str = "discover volumesnapshot.external-storage.k8s.io/v1";
const GROUP_DISCOVERY: &str = "discover stork.libopenstorage.org/v1alpha1";
const SNAPSHOT_LIST: &str = "list volumesnapshots.volumesnapshot.external-storage.k8s.io";
/// list and delete read which snapshot APIs are served first.
const APIS_DISCOVERY: &str = "discover /apis";

/// Every subcommand that talks to the API server, with `--timeout 2s`, and the call it makes
/// first (the one that meets the silence).
const COMMANDS: [(&str, &str); 7] = [
    (
        "snap cassandra-data --api stork --pre true --post true",
        STORK_DISCOVERY,
    ),
    (
        "cloud-snap cassandra-data --api stork --pre true --post true",
        STORK_DISCOVERY,
    ),
    (
        "group-snap -n cassandra -l app=cassandra --api stork --pre true",
        GROUP_DISCOVERY,
    ),
    ("clone some-snapshot new-pvc --api stork", STORK_DISCOVERY),
    ("list", APIS_DISCOVERY),
    (
        "delete -l purpose=pre-migration --keep-last 5 --yes",
        APIS_DISCOVERY,
    ),
    ("delete some-snapshot", APIS_DISCOVERY),
];

/// Generous: the bound is 2 s; this only tells "ended" from "hung".
const ENDS_WITHIN: Duration = Duration::from_secs(20);

/// Runs `line --timeout 2s` and returns its output and how long it took.
fn timed(sim: &SimHandle, line: &str) -> (Output, Duration) {
    let mut args: Vec<&str> = line.split_whitespace().collect();
    args.extend(["--timeout", "2s"]);
    let started = Instant::now();
    let out = pxsnap(sim, &args);
    (out, started.elapsed())
}

/// Asserts that `line` ended within [`ENDS_WITHIN`], exit 5, with one error line naming `call`.
#[track_caller]
fn gives_up_on(sim: &SimHandle, line: &str, call: &str) {
    let (out, took) = timed(sim, line);
    let err = stderr(&out);
    assert!(took < ENDS_WITHIN, "{line}: took {took:?}\n{err}");
    assert_eq!(code(&out), 5, "{line}:\n{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    let expected =
        format!("error: timed out after 2.0s waiting for the API server to answer {call}");
    assert_eq!(errors.len(), 1, "{line}:\n{err}");
    assert!(errors[0].starts_with(&expected), "{line}:\n{err}");
}

/// A fault that fires on every match for ever.
fn always(action: FaultAction) -> Fault {
    let mut fault = Fault::new(None, None, action);
    fault.times = 0;
    fault
}

/// Never answers a request whose path `path` matches (`*`: every path, discovery included).
fn hang_on(path: &str) -> Fault {
    let mut fault = always(FaultAction::Hang);
    fault.path = Some(path.into());
    fault
}

/// Every subcommand, against a simulator with `fault`, gives up on its first call.
fn every_subcommand_gives_up_under(fault: Fault) {
    let sim = cassandra();
    sim.sim.add_fault(fault);
    for (line, call) in COMMANDS {
        gives_up_on(&sim, line, call);
    }
}

#[test]
fn every_subcommand_gives_up_on_a_request_never_answered() {
    every_subcommand_gives_up_under(hang_on("*"));
}

#[test]
fn every_subcommand_gives_up_on_a_tls_handshake_never_completed() {
    every_subcommand_gives_up_under(always(FaultAction::StallTlsHandshake));
}

/// A silence on one path only: the discovery document of STORK's group, or one resource's
/// list; the other calls are answered.
#[test]
fn the_call_that_never_answers_is_the_one_named() {
    let sim = cassandra();
    sim.sim
        .add_fault(hang_on("/apis/volumesnapshot.external-storage.k8s.io/v1"));
    gives_up_on(&sim, "snap cassandra-data", STORK_DISCOVERY);
    // list reads only the group list (/apis), not that document: it is answered.
    let (listed, _) = timed(&sim, "list");
    assert_eq!(code(&listed), 0, "{}", stderr(&listed));

    let mut lists = always(FaultAction::Hang);
    lists.verb = Some("list".into());
    lists.resource = Some("volumesnapshots".into());
    lists.group = Some("volumesnapshot.external-storage.k8s.io".into());
    sim.sim.add_fault(lists);
    gives_up_on(&sim, "list -A", SNAPSHOT_LIST);
}

/// Without STORK's CRDs the API server answers their URLs with its plain-text 404; every
/// subcommand says STORK is missing, in one line, exit 1.
#[test]
fn every_subcommand_without_storks_crds_asks_whether_stork_is_installed() {
    let mut scenario = Scenario::builtin("cassandra-intree").expect("scenario");
    scenario.stork_crds = false;
    let sim = SimHandle::start(scenario);
    for (line, _) in COMMANDS {
        // list and delete read CSI's snapshots too, which this cluster serves: --api stork
        // asks for STORK's alone.
        let line = match line.starts_with("list") || line.starts_with("delete") {
            true => format!("{line} --api stork"),
            false => line.to_string(),
        };
        let line = line.as_str();
        let (out, _) = timed(&sim, line);
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{line}:\n{err}");
        assert_eq!(err.lines().count(), 1, "{line}:\n{err}");
        assert!(
            err.starts_with("error: the API group ")
                && err.contains("is not served by this cluster: is STORK installed?"),
            "{line}:\n{err}"
        );
    }
}

/// The TCP connection and its TLS handshake have a bound of their own, 10 s, under a longer
/// `--timeout` (list's default is 60 s): a server that silent is given up on, not retried.
#[test]
fn a_tls_handshake_gets_ten_seconds_whatever_the_timeout() {
    let sim = cassandra();
    sim.sim.add_fault(always(FaultAction::StallTlsHandshake));
    let started = Instant::now();
    let out = pxsnap(&sim, &["list"]);
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 5, "{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}\n{err}");
    let server = sim.sim.server_url();
    assert_eq!(
        err,
        format!(
            "error: timed out after 10.0s waiting for a connection to the API server at {server}/ (to {APIS_DISCOVERY})\n"
        )
    );
}
