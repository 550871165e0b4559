//! Colour and terminals: colour only on stderr and only when asked for (`--color always`) or
//! when stderr is a terminal and NO_COLOR is unset; the spinner only on a terminal; stdout, the
//! data, never carries escapes. And `--version` names the commit.
//!
//! The terminal cases run pxsnap under `script` (util-linux), which gives it a pseudo-terminal;
//! they are skipped, saying so, where `script` is missing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::common::SimHandle;
use regex::Regex;

/// An SGR (colour/bold) escape sequence.
fn colour() -> Regex {
    Regex::new(r"\x1b\[[0-9;]*m").expect("regex")
}

/// Any escape sequence at all (colour, cursor movement, line erasing).
const ESC: char = '\x1b';

fn pxsnap(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("pxsnap").expect("pxsnap binary");
    cmd.env_remove("NO_COLOR");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("pxsnap runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A run that fails at once, before any cluster is contacted.
const BROKEN: &[&str] = &["--kubeconfig", "/nonexistent/kubeconfig", "snap", "data"];

#[test]
fn color_always_colours_the_error_on_stderr_and_only_there() {
    let out = pxsnap(
        &[BROKEN, &["--color", "always", "-o", "json"]].concat(),
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(colour().is_match(&stderr), "{stderr:?}");
    assert!(
        colour()
            .replace_all(&stderr, "")
            .starts_with("error: kubeconfig: cannot read"),
        "{stderr:?}"
    );
    let stdout = text(&out.stdout);
    assert!(!stdout.contains(ESC), "{stdout:?}");
    let result: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(result["snapshot"]["status"], "NotCreated");
}

#[test]
fn color_never_and_no_color_leave_the_error_plain() {
    for (args, env) in [
        (&["--color", "never"][..], &[][..]),
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "auto"][..], &[("NO_COLOR", "1")][..]),
    ] {
        let out = pxsnap(&[BROKEN, args].concat(), env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.starts_with("error: kubeconfig:"),
            "{args:?} {env:?}: {stderr:?}"
        );
        assert!(!stderr.contains(ESC), "{args:?} {env:?}: {stderr:?}");
    }
}

#[test]
fn an_explicit_color_always_beats_no_color() {
    let out = pxsnap(
        &[BROKEN, &["--color", "always"]].concat(),
        &[("NO_COLOR", "1")],
    );
    assert!(
        colour().is_match(&text(&out.stderr)),
        "{:?}",
        text(&out.stderr)
    );
}

/// A whole snapshot run with colour forced: the table and the JSON on stdout stay plain.
#[test]
fn stdout_never_carries_escapes() {
    let sim = SimHandle::cassandra();
    let kubeconfig = sim.kubeconfig_path.to_string_lossy().into_owned();
    for format in ["json", "table", "yaml", "name"] {
        let out = pxsnap(
            &[
                "--kubeconfig",
                &kubeconfig,
                "--color",
                "always",
                "-o",
                format,
                "snap",
                "cassandra-data",
                "--name",
                &format!("snap-{format}"),
                "--pre",
                "nodetool flush",
            ],
            &[],
        );
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(stdout.contains(&format!("snap-{format}")), "{stdout}");
        assert!(!stdout.contains(ESC), "-o {format}: {stdout:?}");
    }
}

/// A `-v` snapshot run with stderr sent to a file, as a CI job or `2>log` does; returns the
/// file's contents.
fn verbose_log_in_a_file(sim: &SimHandle, colour_args: &[&str]) -> String {
    let name = format!("logged{}", colour_args.concat());
    let log = sim.dir.path().join(format!("{name}.log"));
    let file = std::fs::File::create(&log).expect("log file");
    let status = Command::new(assert_cmd::cargo::cargo_bin("pxsnap"))
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig_path)
        .args(colour_args)
        .args(["-v", "snap", "cassandra-data", "--pre", "nodetool flush"])
        .args(["--name", &name])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(file)
        .status()
        .expect("pxsnap runs");
    let text = std::fs::read_to_string(&log).expect("read the log");
    assert!(status.success(), "{text}");
    assert!(text.contains("hook done"), "a -v log: {text:?}");
    text
}

#[test]
fn verbose_logs_in_a_file_are_plain_unless_colour_is_forced() {
    let sim = SimHandle::cassandra();
    for colour_args in [&["--color", "never"][..], &[][..]] {
        let log = verbose_log_in_a_file(&sim, colour_args);
        assert!(!log.contains(ESC), "{colour_args:?}: {log:?}");
    }
    let forced = verbose_log_in_a_file(&sim, &["--color", "always"]);
    assert!(colour().is_match(&forced), "{forced:?}");
}

/// Runs pxsnap with a pseudo-terminal for stdin, stdout and stderr (all in one stream);
/// None, after saying so, without `script`.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let script = crate::common::tool("script", "terminal behaviour")?;
    let bin = assert_cmd::cargo::cargo_bin("pxsnap");
    let line = std::iter::once(bin.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new(script);
    cmd.args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("script runs");
    Some(text(&out.stdout))
}

#[test]
fn on_a_terminal_auto_colours_unless_no_color() {
    let Some(coloured) = on_a_terminal(&[BROKEN, &["--no-progress"]].concat(), &[]) else {
        return;
    };
    assert!(colour().is_match(&coloured), "{coloured:?}");
    let Some(plain) = on_a_terminal(&[BROKEN, &["--no-progress"]].concat(), &[("NO_COLOR", "1")])
    else {
        return;
    };
    assert!(plain.contains("error: kubeconfig:"), "{plain:?}");
    assert!(!plain.contains(ESC), "{plain:?}");
}

#[test]
fn the_spinner_is_drawn_on_a_terminal_only() {
    let Some(tty) = on_a_terminal(BROKEN, &[("NO_COLOR", "1")]) else {
        return;
    };
    assert!(
        tty.contains("connecting"),
        "a spinner on a terminal: {tty:?}"
    );
    let piped = pxsnap(BROKEN, &[]);
    let stderr = text(&piped.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "only the error when piped: {stderr:?}"
    );
    assert!(!stderr.contains("connecting"), "{stderr:?}");
}

#[test]
fn version_names_the_commit() {
    let out = pxsnap(&["--version"], &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    let pattern =
        Regex::new(r"^pxsnap (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}|unknown)\)\n$").expect("regex");
    let found = pattern
        .captures(&stdout)
        .unwrap_or_else(|| panic!("{stdout:?}"));
    assert_eq!(&found[1], env!("CARGO_PKG_VERSION"));
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(&found[2], head, "built from HEAD"),
        None => assert_eq!(&found[2], "unknown", "outside git"),
    }
}
