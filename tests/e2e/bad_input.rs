//! End-to-end: bad input to the real `pxsnap` binary gets exactly one line on stderr, saying
//! what was wrong and what to do, and the documented exit code (2 usage, 1 kubeconfig). The
//! cases are the ones a tester found printing the API server's error or a multi-line excerpt.

use std::process::Output;
use std::time::Duration;

use crate::run::{code, pxsnap, stderr};

/// Asserts exit `expected` and that all of stderr is one line containing `needle`.
#[track_caller]
fn assert_one_line(out: &Output, expected: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), expected, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err}");
}

/// The binary with `KUBECONFIG` set and no `--kubeconfig`, in a HOME with no kubeconfig.
fn with_kubeconfig_env(home: &std::path::Path, list: &str, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .env("HOME", home)
        .env("KUBECONFIG", list)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("pxsnap runs")
}

#[test]
fn a_malformed_selector_is_a_usage_error_before_any_request() {
    let sim = crate::run::cassandra();
    for args in [
        &["list", "-l", "bad!!"][..],
        &["delete", "-l", "bad!!", "--yes"],
        &["group-snap", "-l", "bad!!"],
    ] {
        let out = pxsnap(&sim, args);
        assert_one_line(
            &out,
            2,
            r#"-l/--selector "bad!!" is not a valid label selector"#,
        );
        assert!(stderr(&out).contains("KEY=VALUE"), "{args:?}");
    }
    let valid = pxsnap(&sim, &["list", "-l", "app in (cassandra),!gone,tier!=x"]);
    assert_eq!(code(&valid), 0, "{}", stderr(&valid));
}

#[test]
fn an_empty_name_is_a_usage_error() {
    let sim = crate::run::cassandra();
    for (args, needle) in [
        (&["snap", ""][..], "PVC is empty"),
        (&["delete", ""], "snapshot NAME is empty"),
        (&["clone", "", "x"], "SNAPSHOT is empty"),
        (
            &["clone", "snap", "UPPER"],
            r#"NEW_PVC: "UPPER" is not a valid object name"#,
        ),
    ] {
        assert_one_line(&pxsnap(&sim, args), 2, needle);
    }
}

#[test]
fn missing_kubeconfig_entries_are_skipped_as_kubectl_does() {
    let sim = crate::run::cassandra();
    let home = sim.dir.path();
    let kc = sim.kubeconfig_path.display().to_string();
    let missing = home.join("missing").display().to_string();
    for list in [format!("{kc}:{missing}"), format!("{missing}:{kc}")] {
        let out = with_kubeconfig_env(home, &list, &["list"]);
        assert_eq!(code(&out), 0, "{list}: {}", stderr(&out));
    }
    let none = with_kubeconfig_env(home, &missing, &["list"]);
    assert_one_line(&none, 1, "none of the files in $KUBECONFIG exists");
    let dir = home.display().to_string();
    let unreadable = with_kubeconfig_env(home, &format!("{dir}:{kc}"), &["list"]);
    assert_one_line(&unreadable, 1, &format!("cannot read {dir}:"));
}

#[test]
fn a_kubeconfig_syntax_error_is_one_line_with_file_and_position() {
    let sim = crate::run::cassandra();
    let bad = sim.write_file(
        "bad-kubeconfig",
        "apiVersion: v1\nclusters: [\n  - a: b\n kind: x\n",
    );
    let out = with_kubeconfig_env(sim.dir.path(), &bad.display().to_string(), &["list"]);
    assert_one_line(
        &out,
        1,
        &format!(
            "cannot read {}: YAML syntax error at line 3, column 3",
            bad.display()
        ),
    );
}

#[test]
fn an_empty_selector_never_deletes_everything() {
    let sim = crate::run::cassandra();
    let made = pxsnap(&sim, &["snap", "cassandra-data", "--name", "keep-me"]);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    // `-l "$UNSET"` in a cleanup script.
    let out = pxsnap(&sim, &["delete", "-l", "", "--yes"]);
    assert_one_line(&out, 2, "-l/--selector is empty");
    assert_eq!(crate::run::snapshots(&sim, "default"), vec!["keep-me"]);
}

#[test]
fn a_selector_may_name_the_label_pxsnap_sets() {
    // --label may not set app.kubernetes.io/managed-by, but selecting by it is fine: no PVC
    // carries it here, so this is "nothing matched" (exit 1), not a usage error (exit 2).
    let sim = crate::run::cassandra();
    let out = pxsnap(
        &sim,
        &["group-snap", "-l", "app.kubernetes.io/managed-by=helm"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("is set by pxsnap"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_current_context_defers_to_the_next_kubeconfig_file() {
    // `kubectl config` writes `current-context: ""`; kubectl then takes the next file's.
    let sim = crate::run::cassandra();
    let home = sim.dir.path();
    let empty = sim.write_file(
        "empty-context",
        "apiVersion: v1\nkind: Config\ncurrent-context: \"\"\nclusters: []\ncontexts: []\nusers: []\n",
    );
    let list = format!("{}:{}", empty.display(), sim.kubeconfig_path.display());
    let out = with_kubeconfig_env(home, &list, &["list"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
