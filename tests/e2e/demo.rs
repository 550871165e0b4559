//! End-to-end: `pxsnap demo` runs the main job against the simulator it starts itself, then the
//! same as a cloud snapshot through CSI and through STORK's API, and shows what each froze.

use assert_cmd::Command;

use crate::run::stderr;

/// The milliseconds in `demo: through API: the application was frozen N ms`.
fn frozen_ms(err: &str, api: &str) -> u64 {
    let prefix = format!("demo: through {api}: the application was frozen ");
    err.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no freeze line for {api} in:\n{err}"))
}

#[test]
fn demo_snapshots_through_csi_and_stork_and_csi_releases_at_the_cut() {
    let out = Command::cargo_bin("pxsnap")
        .expect("pxsnap binary")
        .arg("demo")
        .env("NO_COLOR", "1")
        .output()
        .expect("run demo");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("STATUS         Ready").count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("API            csi"), "{stdout}");
    assert!(stdout.contains("API            stork"), "{stdout}");
    // The timeline shows the ordering: the pre command ends before the cut, the post after.
    let story: Vec<&str> = err.lines().filter(|l| l.contains(" ms  ")).collect();
    let cut = story
        .iter()
        .position(|l| l.contains("snapshot cut"))
        .expect("a cut");
    assert!(
        story[..cut].iter().any(|l| l.contains("pre command ended")),
        "{err}"
    );
    assert!(
        story[cut..]
            .iter()
            .any(|l| l.contains("post command started")),
        "{err}"
    );
    let csi = frozen_ms(&err, "snapshot.storage.k8s.io/v1");
    let stork = frozen_ms(&err, "volumesnapshot.external-storage.k8s.io/v1");
    assert!(
        stork >= 3_000,
        "STORK's API keeps the app frozen through the upload: {stork} ms"
    );
    assert!(
        csi * 5 < stork,
        "CSI released at the cut: {csi} ms against {stork} ms"
    );
}
