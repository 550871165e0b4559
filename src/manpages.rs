//! Man pages, generated from the clap definition: `pxsnap.1` and one page per subcommand, each
//! with the exit codes and examples. `man/` holds the committed copies; a test fails when stale.

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
success
.TP
\fB1\fR
other error: API server unreachable, kubeconfig, 401/403, PVC missing, not bound or not Portworx, STORK not installed
.TP
\fB2\fR
usage error: bad flag or duration, ambiguous or unknown container, name clash
.TP
\fB3\fR
a pre command failed or could not run; nothing was snapshotted and the post commands ran
.TP
\fB4\fR
the snapshot failed; the post commands ran
.TP
\fB5\fR
timed out; the post commands ran
.TP
\fB6\fR
a post command failed; the snapshot exists
.TP
\fB130\fR, \fB143\fR
interrupted by SIGINT or SIGTERM; the post commands ran first
"#;

const EXAMPLES: &str = r#".SH EXAMPLES
Flush Cassandra, snapshot its volume, and report:
.PP
.RS
.nf
pxsnap snap cassandra-data --pre "nodetool flush"
.fi
.RE
.PP
A CI retention job: snapshot before a migration, keep the seven newest snapshots:
.PP
.RS
.nf
pxsnap snap -n db mysql-data --pre "mysql -e 'FLUSH TABLES'" -o json > snapshot.json
pxsnap delete -n db --pvc mysql-data --keep-last 7 --yes
.fi
.RE
"#;

/// Every page as (file name, roff text): `pxsnap.1`, then `pxsnap-<sub>.1` per subcommand.
pub fn render_all() -> std::io::Result<Vec<(String, String)>> {
    // The package version, not the commit: the pages must not change with every commit.
    let root = Cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .long_version(None::<&str>);
    let mut pages = vec![("pxsnap.1".to_string(), render(root.clone())?)];
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("pxsnap-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("pxsnap {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(page)?));
    }
    Ok(pages)
}

fn render(cmd: clap::Command) -> std::io::Result<String> {
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
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    out.extend_from_slice(EXAMPLES.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
