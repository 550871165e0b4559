//! Man pages, generated from the clap definition: `pxsnap.1` and one page per subcommand, each
//! with the exit codes and examples. `man/` holds the committed copies; a test fails when stale.

use clap_mangen::Man;

/// The top page's examples: the main job, and a CI job that snapshots before a migration and
/// prunes. Subcommand pages show the examples of their `--help`.
const TOP_EXAMPLES: &[(&str, &[&str])] = &[
    (
        "Flush Cassandra, snapshot its volume, and report:",
        &[r#"pxsnap snap cassandra-data --pre "nodetool flush""#],
    ),
    (
        "A CI job: snapshot before a migration, then keep the seven newest snapshots:",
        &[
            r#"pxsnap snap -n db mysql-data --pre "mysql -e 'FLUSH TABLES'" -o json > snapshot.json"#,
            "pxsnap delete -n db --pvc mysql-data --keep-last 7 --yes",
        ],
    ),
];

/// Every page as (file name, roff text): `pxsnap.1`, then `pxsnap-<sub>.1` per subcommand.
pub fn render_all() -> std::io::Result<Vec<(String, String)>> {
    // The package version, not the commit: the pages must not change with every commit.
    let root = crate::cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .long_version(None::<&str>);
    let mut pages = vec![("pxsnap.1".to_string(), render(root.clone(), "pxsnap")?)];
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("pxsnap-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("pxsnap {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(page, sub.get_name())?));
    }
    Ok(pages)
}

/// One page; `page` names its row in [`crate::cli::exit_codes`] (`pxsnap` for the top page).
fn render(cmd: clap::Command, page: &str) -> std::io::Result<String> {
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.get_subcommands().next().is_some() {
        man.render_subcommands_section(&mut out)?;
    }
    out.extend_from_slice(exit_status(page).as_bytes());
    out.extend_from_slice(examples(&cmd, page).as_bytes());
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The EXIT STATUS section: the codes this page's command can return.
fn exit_status(page: &str) -> String {
    let mut section = String::from(".SH \"EXIT STATUS\"\n");
    for entry in crate::cli::exit_codes::for_page(page) {
        let codes = format!("\\fB{}\\fR", entry.codes_text("\\fR, \\fB"));
        section.push_str(&format!(".TP\n{codes}\n{}\n", escape(&entry.meaning())));
    }
    section
}

/// The EXAMPLES section: the top page's own, or the `Examples:` block of a subcommand's
/// `--help` (the single place a subcommand's examples are written).
fn examples(cmd: &clap::Command, page: &str) -> String {
    let groups: Vec<(String, Vec<String>)> = if page == "pxsnap" {
        TOP_EXAMPLES
            .iter()
            .map(|(what, lines)| {
                (
                    what.to_string(),
                    lines.iter().map(|l| l.to_string()).collect(),
                )
            })
            .collect()
    } else {
        let help = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        vec![(String::new(), help_examples(&help))]
    };
    let mut section = String::from(".SH EXAMPLES\n");
    for (what, lines) in groups {
        if !what.is_empty() {
            section.push_str(&format!("{}\n.PP\n", escape(&what)));
        }
        section.push_str(".RS\n.nf\n");
        for line in lines {
            section.push_str(&escape(&line));
            section.push('\n');
        }
        section.push_str(".fi\n.RE\n.PP\n");
    }
    section
}

/// The indented lines under `Examples:` in an after-help text, up to the first blank line.
fn help_examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Examples:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| line.trim().to_string())
        .collect()
}

/// Text as roff shows it literally: backslashes and hyphens escaped, no line read as a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_come_from_the_help_block() {
        let help = "Intro.\n\nExamples:\n  pxsnap list\n  pxsnap list -A\n\nExit codes:\n  0 ok";
        assert_eq!(help_examples(help), ["pxsnap list", "pxsnap list -A"]);
        assert!(help_examples("no examples here").is_empty());
    }

    #[test]
    fn roff_sees_text_literally() {
        assert_eq!(escape(r"a\b --x"), r"a\eb \-\-x");
        assert_eq!(escape(".hidden"), r"\&.hidden");
    }

    #[test]
    fn every_page_has_its_own_exit_codes_and_examples() {
        let pages = render_all().expect("render");
        let page = |name: &str| &pages.iter().find(|(n, _)| n == name).expect(name).1;
        assert!(page("pxsnap-clone.1").contains("the snapshot is in Error and cannot be cloned"));
        assert!(!page("pxsnap-clone.1").contains(r"\fB3\fR"));
        assert!(!page("pxsnap-list.1").contains("post command"));
        assert!(page("pxsnap-snap.1").contains(r"\fB6\fR"));
        assert!(page("pxsnap.1").contains(r"\-\-keep\-last 7"));
        for (name, text) in &pages {
            let examples = text.split(".SH EXAMPLES").nth(1).unwrap_or_default();
            assert!(examples.contains("pxsnap"), "{name} has no examples");
        }
    }
}
