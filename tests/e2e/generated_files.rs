//! The committed completion scripts and man pages must match what the current clap definition
//! generates. Regenerate with `PXSNAP_BLESS=1 cargo test --test generated_files`.

use std::path::Path;

fn check(dir: &str, files: Vec<(String, Vec<u8>)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let bless = std::env::var_os("PXSNAP_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, fresh) in files {
        let path = root.join(&name);
        if bless {
            std::fs::create_dir_all(&root).expect("create dir");
            std::fs::write(&path, &fresh).expect("write generated file");
            continue;
        }
        match std::fs::read(&path) {
            Ok(committed) if committed == fresh => {}
            Ok(_) => stale.push(format!("{dir}/{name} is stale")),
            Err(_) => stale.push(format!("{dir}/{name} is missing")),
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nregenerate with: PXSNAP_BLESS=1 cargo test --test generated_files",
        stale.join("\n")
    );
}

#[test]
fn completion_scripts_are_current() {
    let files = pxsnap::cli::completions::SHELLS
        .iter()
        .map(|(shell, name)| (name.to_string(), pxsnap::cli::completions::script(*shell)))
        .collect();
    check("completions", files);
}

#[test]
fn man_pages_are_current() {
    let pages = pxsnap::cli::manpages::render_all().expect("render man pages");
    assert!(pages.iter().any(|(name, _)| name == "pxsnap-snap.1"));
    for (name, text) in &pages {
        assert!(text.contains("EXIT STATUS"), "{name} lacks the exit codes");
        assert!(text.contains("EXAMPLES"), "{name} lacks examples");
    }
    check(
        "man",
        pages
            .into_iter()
            .map(|(n, t)| (n, t.into_bytes()))
            .collect(),
    );
}

#[test]
fn completions_subcommand_prints_the_generated_script() {
    let out = assert_cmd::Command::cargo_bin("pxsnap")
        .expect("binary")
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        pxsnap::cli::completions::script(clap_complete::Shell::Bash)
    );
}
