//! Records the git commit the binary is built from, for `pxsnap --version`.
use std::path::Path;
use std::process::Command;

/// One line of `git` output, or None when git is missing or says no.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PXSNAP_GIT_COMMIT={commit}");
    // Rerun only when this checkout's commit can have changed: HEAD, its reflog (appended on every
    // commit, checkout or reset here, even when the branch ref is packed) and the current branch's
    // ref, wherever git keeps them. In a worktree `.git` is a file, so a fixed `.git/HEAD` does not
    // exist and cargo reran this script (and rebuilt pxsnap) on every build; watching all of
    // refs/heads reran it whenever any branch moved. A path that does not exist would do the same,
    // so only existing ones are named.
    println!("cargo:rerun-if-changed=build.rs");
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let watched = [
        "HEAD",
        "logs/HEAD",
        branch.as_deref().unwrap_or("HEAD"),
        "packed-refs",
    ];
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
