//! The command line, as clap sees it.
//!
//! Global flags are spelled the way kubectl spells them, so muscle memory carries over:
//! `--kubeconfig`, `--context`, `-n/--namespace`, `-o/--output`.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;

/// Printed under `--help` so the exit codes are one `--help` away in a CI log.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success
  1    other error (API, kubeconfig, cluster setup)
  2    usage error (bad flag, bad duration, ambiguous container)
  3    pre command failed or could not run (nothing was snapshotted)
  4    snapshot failed
  5    timed out
  6    post command failed (the snapshot exists)
  130  interrupted by SIGINT (post commands ran first)
  143  interrupted by SIGTERM (post commands ran first)";

#[derive(Debug, Parser)]
#[command(
    name = "pxsnap",
    version = crate::version::LONG,
    about = "Application-consistent snapshots of Portworx volumes on Kubernetes",
    long_about = "Application-consistent snapshots of Portworx volumes on Kubernetes.\n\n\
        pxsnap finds the running pods that mount a PVC, runs your pre command in each \
        (e.g. `nodetool flush`), creates the STORK snapshot, waits until it is cut, and runs \
        your post command — in every pod whose pre command started, whatever fails.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context to use
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace (default: the current context's namespace, then `default`)
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing but the result and errors
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Never draw progress bars, even on a terminal
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// When to colour messages on stderr (NO_COLOR in the environment means never for auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take an application-consistent snapshot of one PVC
    #[command(after_help = SNAP_HELP)]
    Snap(SnapArgs),
    /// Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with
    #[command(
        long_about = "Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is \
            configured with (a Portworx cloud snapshot).\n\n\
            The application stays quiesced until the upload is done: STORK shows no moment at which the \
            local point-in-time copy is cut, so pxsnap cannot release it earlier. The freeze time is \
            reported. For a short freeze, take a local snapshot with `pxsnap snap` instead.",
        after_help = SNAP_HELP
    )]
    CloudSnap(CloudSnapArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Snapshot every PVC a label selector matches at one consistency point, with one freeze window
    #[command(
        long_about = "Snapshot every PVC a label selector matches at one consistency point (a STORK \
            GroupVolumeSnapshot), with one freeze window.\n\n\
            pxsnap lists the PVCs and pods once, runs the pre commands in every pod that mounts one of \
            the PVCs (at most --parallel at a time; a pod mounting several is quiesced once), creates \
            the group, waits until it is Final/Successful, and runs the post commands in every pod \
            whose pre command started, whatever happened.",
        after_help = GROUP_SNAP_HELP
    )]
    GroupSnap(GroupSnapArgs),
}

const GROUP_SNAP_HELP: &str = "\
Examples:
  pxsnap group-snap -n cassandra -l app=cassandra --pre 'nodetool flush'
  pxsnap group-snap -l app=cassandra,tier=db --cloud --cred-id 6b89... --max-retries 2 -o json

The selector is matchLabels only (KEY=VALUE, comma-separated): STORK's GroupVolumeSnapshot
cannot express !=, in, notin or existence checks.

Exit codes:
  0 ok, 1 other error (no PVC matched, a PVC not Bound/not Portworx), 2 usage, 3 pre command
  failed (nothing snapshotted), 4 group snapshot failed, 5 timed out, 6 post command failed
  (the group exists), 130/143 interrupted (post ran first)";

const SNAP_HELP: &str = "\
Examples:
  pxsnap snap cassandra-data --pre 'nodetool flush'
  pxsnap snap -n db mysql-data --pre 'mysql -e \"FLUSH TABLES WITH READ LOCK\"' --post 'echo done' -o json

Exit codes:
  0 ok, 1 other error, 2 usage, 3 pre command failed (nothing snapshotted), 4 snapshot failed,
  5 timed out, 6 post command failed (snapshot exists), 130/143 interrupted (post ran first)";

/// Options shared by every command that freezes an application around a snapshot.
#[derive(Debug, Clone, Args)]
pub struct HookArgs {
    /// Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)
    #[arg(long = "pre", value_name = "CMD")]
    pub pre: Vec<String>,
    /// Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)
    #[arg(long = "post", value_name = "CMD")]
    pub post: Vec<String>,
    /// Container to run the commands in (default: the container that mounts the volume)
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// Longest time one pre or post command may run; it is killed after that
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration)]
    pub hook_timeout: Duration,
    /// Go on without pre/post commands when no running pod mounts the volume
    #[arg(long)]
    pub allow_no_pods: bool,
    /// Most exec streams open at once
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
}

#[derive(Debug, Clone, Args)]
pub struct SnapArgs {
    /// The PersistentVolumeClaim to snapshot
    pub pvc: String,
    #[command(flatten)]
    pub hooks: HookArgs,
    /// Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// How long to wait for the snapshot to be cut
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Do not wait for the snapshot to be Ready (refused with --pre unless --force)
    #[arg(long)]
    pub no_wait: bool,
    /// Allow --no-wait with --pre although the cut may come after the release
    #[arg(long)]
    pub force: bool,
    /// Print what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Extra label on the snapshot (repeatable)
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Keep a snapshot that failed or timed out instead of deleting it
    #[arg(long)]
    pub keep_failed: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CloudSnapArgs {
    /// The PersistentVolumeClaim to snapshot
    pub pvc: String,
    /// Portworx cloud credential ID (needed when Portworx has more than one credential)
    #[arg(long, value_name = "ID")]
    pub cred_id: Option<String>,
    #[command(flatten)]
    pub hooks: HookArgs,
    /// Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Full backup frequency: 0 forces a full backup, N takes a full one every N incrementals
    #[arg(long, value_name = "N")]
    pub incremental_count: Option<u32>,
    /// Delete the local snapshot once the upload is done
    #[arg(long)]
    pub delete_local: bool,
    /// How long to wait for the upload to finish
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Do not wait for the upload (refused with --pre/--post unless --force); `pxsnap list` shows progress
    #[arg(long)]
    pub no_wait: bool,
    /// Allow --no-wait with pre/post commands although the app is released before the cut
    #[arg(long)]
    pub force: bool,
    /// Print what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Extra label on the snapshot (repeatable)
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Keep a snapshot that failed, timed out or was interrupted instead of deleting it
    #[arg(long)]
    pub keep_failed: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct GroupSnapArgs {
    /// PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)
    #[arg(short = 'l', long = "selector", value_name = "KEY=VALUE,...")]
    pub selector: String,
    #[command(flatten)]
    pub hooks: HookArgs,
    /// Group snapshot name (default: <first label value>-<UTC yyyymmddhhmmss>)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Namespaces the child snapshots may be restored into
    #[arg(long, value_name = "NS,...", value_delimiter = ',')]
    pub restore_namespaces: Vec<String>,
    /// How often STORK retries the group when some of its cloud snapshots report failure
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_retries: u32,
    /// Upload the snapshots to the S3-compatible endpoint Portworx is configured with
    #[arg(long)]
    pub cloud: bool,
    /// Portworx cloud credential ID (with --cloud)
    #[arg(long, value_name = "ID", requires = "cloud")]
    pub cred_id: Option<String>,
    /// How long to wait for the group to be Successful (default: 5m, 1h with --cloud)
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Print what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Keep a group that failed, timed out or was interrupted instead of deleting it
    #[arg(long)]
    pub keep_failed: bool,
}

/// `key=value`, with the key checked the way Kubernetes checks label keys (loosely: non-empty,
/// no spaces), so a typo is a usage error and not a 422 from the API server.
pub fn parse_label(raw: &str) -> Result<(String, String), String> {
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("label {raw:?} is not KEY=VALUE"))?;
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(format!("label key {key:?} is not a valid label key"));
    }
    if value.len() > 63 || value.contains(char::is_whitespace) {
        return Err(format!("label value {value:?} is not a valid label value"));
    }
    Ok((key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn labels_parse_strictly() {
        assert_eq!(parse_label("a=b"), Ok(("a".into(), "b".into())));
        assert_eq!(parse_label("team=").map(|l| l.1), Ok(String::new()));
        assert!(parse_label("novalue").is_err());
        assert!(parse_label("=x").is_err());
        assert!(parse_label("a b=c").is_err());
    }
}
