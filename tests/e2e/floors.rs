//! The crate's floors (ARCHITECTURE.md): a module may import from its own floor or below,
//! never from above. A lower floor that reaches up is how import loops and clap types in
//! domain code crept in before; this test names every such import.

use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its floor; a module missing here fails the test, so a
/// new module has to be given a place.
const FLOORS: &[(&str, u8)] = &[
    ("duration", 0),
    ("error", 0),
    ("progress", 0),
    ("signals", 0),
    ("stderr", 0),
    ("stderr_line", 0),
    ("version", 0),
    ("k8s", 1),
    ("backend", 2),
    ("pipeline", 3),
    ("output", 4),
    ("doctor", 4),
    ("cli", 4),
    ("commands", 5),
];

/// The floor of a top-level module name; `None` for a name this table does not know.
fn floor_of(module: &str) -> Option<u8> {
    FLOORS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, floor)| *floor)
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules a file names as `crate::NAME`.
fn imports(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with('$'))
        .map(|(at, needle)| {
            text[at + needle.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .collect()
}

#[test]
fn no_module_imports_from_a_higher_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_string())
            .unwrap_or_default();
        if top == "main" || top == "lib" {
            continue;
        }
        let Some(own) = floor_of(&top) else {
            problems.push(format!(
                "{}: module {top:?} has no floor in FLOORS",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        for module in imports(&text) {
            match floor_of(&module) {
                Some(floor) if floor > own => problems.push(format!(
                    "{} (floor {own}) imports crate::{module} (floor {floor})",
                    relative.display()
                )),
                Some(_) => {}
                None => problems.push(format!(
                    "{}: crate::{module} has no floor in FLOORS",
                    relative.display()
                )),
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_floor_check_sees_grouped_and_nested_paths() {
    let text = "use crate::k8s::cluster::Cluster;\nlet x = crate::cli::Cli::parse();\n$crate::stderr::write";
    assert_eq!(imports(text), ["k8s", "cli"]);
}
