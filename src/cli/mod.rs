//! The command line, as clap sees it.
//!
//! Global flags are spelled the way kubectl spells them, so muscle memory carries over:
//! `--kubeconfig`, `--context`, `-n/--namespace`, `-o/--output`.

pub mod completions;
pub mod exit_codes;
mod long_help;
pub mod manpages;

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::backend::snapshot_api::{Preference, SnapshotApi};
use crate::duration::{parse_duration, parse_hook_timeout};
use crate::k8s::names::{check_label_key, check_label_value, parse_object_name};
use crate::k8s::permissions::Subcommand as PxsnapCommand;
use crate::pipeline::snapshot::ReleaseAt;

/// The command line with each page's `Exit codes:` paragraph, from the one table
/// ([`exit_codes`]), after what the page's `after_help` says (its examples). Everything that
/// shows the command (parsing and `--help`, completions, man pages) starts here.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let with_codes = |cmd: clap::Command, page: &str| {
        let help = match cmd.get_after_help() {
            Some(own) => format!("{own}\n\n{}", exit_codes::help(page)),
            None => exit_codes::help(page),
        };
        cmd.after_help(help)
    };
    let root = with_codes(Cli::command(), "pxsnap");
    let pages: Vec<String> = root
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    pages.iter().fold(root, |root, page| {
        root.mut_subcommand(page, |sub| with_codes(sub, page))
    })
}

#[derive(Debug, Parser)]
#[command(
    name = "pxsnap",
    version = crate::version::LONG,
    about = "Application-consistent snapshots of Portworx volumes on Kubernetes",
    long_about = "Application-consistent snapshots of Portworx volumes on Kubernetes.\n\n\
        pxsnap finds the running pods that mount a PVC, runs your pre command in each \
        (e.g. `nodetool flush`), creates the STORK snapshot, waits until it is cut, and runs \
        your post command — in every pod whose pre command started, whatever fails.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand understands. Under a heading of their own, so that a subcommand's
/// help shows its own flags first and these kubectl-style ones after them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then
    /// ~/.kube/config; in a pod without either, its service account)
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
    /// The table with more columns (commands without extra columns print their table)
    Wide,
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take an application-consistent snapshot of one PVC
    #[command(long_about = long_help::SNAP)]
    #[command(after_help = SNAP_HELP)]
    Snap(SnapArgs),
    /// Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with
    #[command(long_about = long_help::CLOUD_SNAP)]
    #[command(after_help = CLOUD_SNAP_HELP)]
    CloudSnap(CloudSnapArgs),
    /// Run the main job against a simulated cluster started in-process (no cluster needed)
    #[command(long_about = long_help::DEMO)]
    #[command(after_help = DEMO_HELP)]
    Demo(DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// List VolumeSnapshots of STORK's API and CSI's (or their group snapshots with --groups)
    #[command(long_about = long_help::LIST)]
    #[command(after_help = LIST_HELP)]
    List(ListArgs),
    /// Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group
    #[command(long_about = long_help::DELETE)]
    #[command(after_help = DELETE_HELP)]
    Delete(DeleteArgs),
    /// Snapshot every PVC a label selector matches at one consistency point, with one freeze window
    #[command(long_about = long_help::GROUP_SNAP)]
    #[command(after_help = GROUP_SNAP_HELP)]
    GroupSnap(GroupSnapArgs),
    /// Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount
    #[command(long_about = long_help::CLONE)]
    #[command(after_help = CLONE_HELP)]
    Clone(CloneArgs),
    /// Take the snapshots VolumeSnapshot and GroupVolumeSnapshot manifests describe, running the commands and Rules they name
    #[command(long_about = long_help::APPLY)]
    #[command(after_help = APPLY_HELP)]
    Apply(ApplyArgs),
    /// Check, read-only, that the cluster has everything the subcommands (and a PVC) will need
    #[command(long_about = long_help::DOCTOR)]
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
}

const APPLY_HELP: &str = "\
Examples:
  pxsnap apply -f cassandra-snapshot.yaml         a manifest from Portworx's documentation, as written
  pxsnap apply -f snapshots/ --continue-on-error -o json
  cat snapshots/*.yaml | pxsnap apply -f - --dry-run -o yaml  every plan, nothing changed";

/// `pxsnap apply`'s flags: the documents say what to snapshot and what to run.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A manifest file, a directory of .yaml, .yml and .json files, or - for standard input (repeatable)
    #[arg(short = 'f', long = "filename", value_name = "FILE", required = true)]
    pub files: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// How long to wait for each snapshot (default: 5m, 1h for a cloud snapshot); also the most any one API call may take
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Go on with the next document after one fails (the exit code is still the first failure's)
    #[arg(long)]
    pub continue_on_error: bool,
    #[command(flatten)]
    pub fate: FateArgs,
}

/// Whether a run changes anything, what it keeps after a failure, and whether Rules that leave
/// a pod without a release run anyway: `group-snap`'s and `apply`'s.
#[derive(Debug, Clone, Args)]
pub struct FateArgs {
    /// Print what would be done and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Keep a snapshot (or group) that failed, timed out or was interrupted instead of deleting it
    #[arg(long)]
    pub keep_failed: bool,
    /// Run Rules that leave a quiesced pod without a post command
    #[arg(long)]
    pub force: bool,
}

const DOCTOR_HELP: &str = "\
Examples:
  pxsnap doctor                              the cluster and your permissions, for every subcommand
  pxsnap doctor -n db mysql-data             ... and that PVC, as snap would use it
  pxsnap doctor -n cassandra -l app=cassandra --for group-snap -o json";

/// `--for`: a subcommand by name, and the subcommands it stands for (`apply` runs three); the
/// names are offered to shell completion.
fn subcommand_names() -> impl clap::builder::TypedValueParser<Value = ForName> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(PxsnapCommand::for_names()).try_map(|name| {
        PxsnapCommand::covered_by(&name)
            .map(ForName)
            .ok_or("not a pxsnap subcommand")
    })
}

/// The subcommands one `--for` name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForName(pub Vec<PxsnapCommand>);

/// `pxsnap doctor`'s flags.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// A PVC to check as snap and cloud-snap would use it
    #[arg(conflicts_with = "selector")]
    pub pvc: Option<String>,
    /// PVCs to check as group-snap would select them: KEY=VALUE[,KEY=VALUE...]
    #[arg(short = 'l', long = "selector", value_name = "KEY=VALUE,...")]
    pub selector: Option<String>,
    /// The container the commands would run in (as -c of snap and group-snap)
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// Only what these subcommands need (default: all of them)
    #[arg(
        long = "for",
        value_name = "CMD,...",
        value_delimiter = ',',
        value_parser = subcommand_names()
    )]
    pub for_: Vec<ForName>,
    /// Longest time one API call may take
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

const GROUP_SNAP_HELP: &str = "\
Examples:
  pxsnap group-snap -n cassandra -l app=cassandra --pre 'nodetool flush'
  pxsnap group-snap -l app=cassandra,tier=db --cloud --cred-id 6b89... --max-retries 2 -o json

The selector is matchLabels only (KEY=VALUE, comma-separated): STORK's GroupVolumeSnapshot
cannot express !=, in, notin or existence checks.";

const SNAP_HELP: &str = "\
Examples:
  pxsnap snap cassandra-data --pre 'nodetool flush'
  pxsnap snap -n db mysql-data --pre 'mysql -e \"FLUSH TABLES WITH READ LOCK\"' --post 'echo done' -o json";

const CLOUD_SNAP_HELP: &str = "\
Examples:
  pxsnap cloud-snap cassandra-data --pre 'nodetool flush' --cred-id 6b89...
  pxsnap cloud-snap -n db mysql-data --incremental-count 7 -o json";

const DEMO_HELP: &str = "\
Examples:
  pxsnap demo                   snapshot cassandra-data around `nodetool flush`, show the timeline
  pxsnap demo --keep-running    then try kubectl and pxsnap against the simulated cluster";

const COMPLETIONS_HELP: &str = "\
Examples:
  pxsnap completions bash > ~/.local/share/bash-completion/completions/pxsnap
  pxsnap completions zsh > ~/.zfunc/_pxsnap          (with fpath+=~/.zfunc in .zshrc)
  pxsnap completions fish > ~/.config/fish/completions/pxsnap.fish";

impl GlobalArgs {
    /// The cluster, user and namespace these flags name.
    pub fn target(&self) -> crate::k8s::cluster::Target {
        crate::k8s::cluster::Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
        }
    }
}

impl HookArgs {
    /// The commands and how to run them, for the pipeline; `force` is the command's `--force`.
    pub fn options(&self, force: bool) -> crate::pipeline::run::HookOptions {
        crate::pipeline::run::HookOptions {
            pre: self.pre.clone(),
            hold: self.hold.clone(),
            post: self.post.clone(),
            pre_rule: self.pre_rule.clone(),
            post_rule: self.post_rule.clone(),
            ..self.exec.options(force)
        }
    }
}

impl ExecArgs {
    /// How to run commands, with no command yet: `apply` takes its commands from the documents.
    pub fn options(&self, force: bool) -> crate::pipeline::run::HookOptions {
        crate::pipeline::run::HookOptions {
            pre: Vec::new(),
            hold: Vec::new(),
            hold_timeout: self.hold_timeout,
            post: Vec::new(),
            container: self.container.clone(),
            hook_timeout: self.hook_timeout,
            allow_no_pods: self.allow_no_pods,
            parallel: usize::from(self.parallel),
            pre_rule: None,
            post_rule: None,
            force,
        }
    }
}

/// The commands run around the snapshot, and how.
#[derive(Debug, Clone, Args)]
pub struct HookArgs {
    /// Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)
    #[arg(long = "pre", value_name = "CMD", value_parser = parse_hook_command)]
    pub pre: Vec<String>,
    /// Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e 'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};')
    #[arg(long = "hold", value_name = "CMD", value_parser = parse_hold_command)]
    pub hold: Vec<String>,
    /// Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)
    #[arg(long = "post", value_name = "CMD", value_parser = parse_hook_command)]
    pub post: Vec<String>,
    /// STORK Rule (in the snapshot's namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold
    #[arg(long, value_name = "NAME", value_parser = parse_object_name)]
    pub pre_rule: Option<String>,
    /// STORK Rule whose actions pxsnap runs after the --post commands
    #[arg(long, value_name = "NAME", value_parser = parse_object_name)]
    pub post_rule: Option<String>,
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// How commands run, wherever they come from (flags, Rules, a manifest's annotations).
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Container to run the commands in (default: the container that mounts the volume)
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_hook_timeout)]
    pub hook_timeout: Duration,
    /// Longest time a held command's ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = parse_hook_timeout)]
    pub hold_timeout: Duration,
    /// Go on without pre/post commands when no running pod mounts the volume
    #[arg(long)]
    pub allow_no_pods: bool,
    /// Most commands starting or running at once (a held command's open session does not count, and letting held commands go is never queued, so every pod can hold)
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
}

#[derive(Debug, Clone, Args)]
pub struct SnapArgs {
    /// The PersistentVolumeClaim to snapshot
    pub pvc: String,
    #[command(flatten)]
    pub hooks: HookArgs,
    /// How long to wait for the snapshot to be cut; also the most any one API call may take
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub snapshot: SnapshotOptions,
}

/// What `snap` and `cloud-snap` share about the snapshot object and its fate.
#[derive(Debug, Clone, Args)]
pub struct SnapshotOptions {
    /// Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)
    #[arg(long, value_name = "NAME", value_parser = parse_object_name)]
    pub name: Option<String>,
    /// Do not wait for the snapshot to be Ready (refused when it would release the app before the cut, unless --force)
    #[arg(long)]
    pub no_wait: bool,
    /// Allow --no-wait with pre/post commands although the release may come before the cut, and Rules that leave a quiesced pod without a post command
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
    /// VolumeSnapshotClass of a CSI snapshot (default: the driver's default local class; for cloud-snap its cloud class)
    #[arg(long, value_name = "NAME")]
    pub class: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Which snapshot API takes the snapshot, and how a CSI one releases the application.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK's), csi or stork
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto, value_name = "API")]
    pub api: ApiChoice,
    #[command(flatten)]
    pub release: ReleaseArgs,
}

/// When a CSI snapshot releases the application.
#[derive(Debug, Clone, Args)]
pub struct ReleaseArgs {
    /// The most the application stays frozen waiting for a CSI snapshot to be cut
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = parse_duration)]
    pub cut_timeout: Duration,
    /// When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready
    #[arg(long, value_enum, default_value_t = ReleaseChoice::Cut, value_name = "WHEN")]
    pub release_at: ReleaseChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiChoice {
    Auto,
    Csi,
    Stork,
}

impl ApiChoice {
    pub fn preference(self) -> Preference {
        match self {
            ApiChoice::Auto => Preference::Auto,
            ApiChoice::Csi => Preference::Only(SnapshotApi::Csi),
            ApiChoice::Stork => Preference::Only(SnapshotApi::Stork),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReleaseChoice {
    Cut,
    Ready,
}

impl ReleaseChoice {
    pub fn release_at(self) -> ReleaseAt {
        match self {
            ReleaseChoice::Cut => ReleaseAt::Cut,
            ReleaseChoice::Ready => ReleaseAt::Ready,
        }
    }
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
    /// Full backup frequency: 0 forces a full backup, N takes a full one every N incrementals
    #[arg(long, value_name = "N")]
    pub incremental_count: Option<u32>,
    /// Delete the local snapshot once the upload is done
    #[arg(long)]
    pub delete_local: bool,
    /// How long to wait for the upload to finish; also the most any one API call may take
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub snapshot: SnapshotOptions,
    /// How often to print a "still uploading" line when stderr is not a terminal
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration, hide = true)]
    pub heartbeat: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Keep the simulated cluster running afterwards, to try kubectl and pxsnap against it
    #[arg(long)]
    pub keep_running: bool,
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
    #[arg(long, value_name = "NAME", value_parser = parse_object_name)]
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
    /// How long to wait for the group to be Successful (default: 5m, 1h with --cloud); also the
    /// most any one API call may take
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub fate: FateArgs,
    /// VolumeGroupSnapshotClass of a CSI group snapshot (default: the driver's default group class)
    #[arg(long, value_name = "NAME")]
    pub group_class: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `key=value`, checked the way Kubernetes checks labels, so a typo is a usage error before
/// anything is frozen rather than a 422 from the API server after.
pub fn parse_label(raw: &str) -> Result<(String, String), String> {
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("label {raw:?} is not KEY=VALUE"))?;
    check_label_key(key)?;
    check_label_value(value)?;
    // pxsnap finds its own objects by this label (adopting a retried create, retention), so a
    // user's value would make them someone else's.
    if key == crate::k8s::resources::MANAGED_BY_LABEL {
        return Err(format!(
            "label {key:?} is set by pxsnap to mark the objects it made; choose another key"
        ));
    }
    Ok((key.to_string(), value.to_string()))
}

/// `--pre`/`--post`: a command with something in it. `sh -c ''` succeeds doing nothing, so an
/// empty pre command (an unset variable in a CI script) would report the app quiesced when
/// nothing quiesced it.
fn parse_hook_command(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        Err("the command is empty; give the command to run in the pods".to_string())
    } else {
        Ok(raw.to_string())
    }
}

/// `--hold`: a command that waits in `${WAIT_CMD}`. Without it the command would return at once
/// (or never), and its lock would not span the cut.
fn parse_hold_command(raw: &str) -> Result<String, String> {
    let command = parse_hook_command(raw)?;
    match command.contains(crate::pipeline::hold::WAIT_CMD) {
        true => Ok(command),
        false => Err(format!(
            "the command has no {wait}: put {wait} where the session must wait until the snapshot is cut, e.g. mysql -e 'FLUSH TABLES WITH READ LOCK; system {wait};'",
            wait = crate::pipeline::hold::WAIT_CMD
        )),
    }
}

const CLONE_HELP: &str = "\
Examples:
  pxsnap clone -n db mysql-data-20261125190735 mysql-restore
  pxsnap clone -n db mysql-snap mysql-copy --target-namespace staging --size 20Gi -o json
  pxsnap clone -n cassandra --group cassandra-group --name-template '{pvc}-restore'";

/// The clone's source: one snapshot and the new PVC's name, or a group snapshot.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["snapshot", "group"]))]
pub struct CloneArgs {
    /// The VolumeSnapshot to clone, in -n: STORK's (volumesnapshot.external-storage.k8s.io) or
    /// CSI's (snapshot.storage.k8s.io)
    #[arg(requires = "new_pvc")]
    pub snapshot: Option<String>,
    /// Name of the new PersistentVolumeClaim
    pub new_pvc: Option<String>,
    /// Clone every child snapshot of this group snapshot (in -n), in parallel: STORK's
    /// GroupVolumeSnapshot or CSI's VolumeGroupSnapshot
    #[arg(long, value_name = "GROUPSNAP", conflicts_with_all = ["snapshot", "new_pvc"])]
    pub group: Option<String>,
    /// Name of each clone with --group; {pvc} is the source PVC, {snapshot} the child snapshot
    #[arg(long, value_name = "TEMPLATE", default_value = "{pvc}-clone")]
    pub name_template: String,
    /// Namespace of the new PVC (default: the snapshot's); a STORK snapshot must allow it, a
    /// CSI one cannot leave its namespace
    #[arg(long, value_name = "NS")]
    pub target_namespace: Option<String>,
    /// Requested size, e.g. 20Gi (default: the source PVC's request); not less than the snapshot
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub size: Option<String>,
    /// Access mode: ReadWriteOnce (RWO), ReadOnlyMany (ROX), ReadWriteMany (RWX),
    /// ReadWriteOncePod (RWOP) (default: the source PVC's)
    #[arg(long, value_name = "MODE", value_parser = parse_access_mode)]
    pub access_mode: Option<String>,
    /// StorageClass of the new PVC (default: stork-snapshot-sc for a STORK snapshot, the source
    /// PVC's class for a CSI one)
    #[arg(long, value_name = "NAME")]
    pub storage_class: Option<String>,
    /// Extra label on the new PVC (repeatable)
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Create the PVC and return without waiting for it to be Bound
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the PVC to be Bound (and, with --wait-snapshot, for the snapshot);
    /// also the most any one API call may take
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Run every check and print the PVC that would be created; create nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Wait (up to --timeout) for a snapshot that is not Ready yet instead of refusing
    #[arg(long)]
    pub wait_snapshot: bool,
    /// The API that holds SNAPSHOT or the --group: auto looks in both (a name both hold needs
    /// csi or stork)
    #[arg(long, value_enum, default_value_t = ApiChoice::Auto, value_name = "API")]
    pub api: ApiChoice,
}

/// A Kubernetes quantity larger than zero, kept as the user wrote it (that is what goes into
/// the PVC), so `--size 10` is caught here rather than as a 1-byte volume.
pub fn parse_size(raw: &str) -> Result<String, String> {
    match crate::k8s::quantity::parse_bytes(raw)? {
        0 => Err(format!("invalid size {raw:?}: must be more than zero")),
        _ => Ok(raw.trim().to_string()),
    }
}

/// The four access modes, by full name (any case) or by kubectl's short form.
pub fn parse_access_mode(raw: &str) -> Result<String, String> {
    const MODES: [(&str, &str); 4] = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    MODES
        .iter()
        .find(|(full, short)| raw.eq_ignore_ascii_case(full) || raw.eq_ignore_ascii_case(short))
        .map(|(full, _)| full.to_string())
        .ok_or_else(|| {
            format!(
                "invalid access mode {raw:?}: use ReadWriteOnce (RWO), ReadOnlyMany (ROX), ReadWriteMany (RWX) or ReadWriteOncePod (RWOP)"
            )
        })
}

#[cfg(test)]
mod tests {
    /// Each page's `--help` ends with its codes from the table, after its own examples.
    #[test]
    fn help_takes_its_exit_codes_from_the_table() {
        let cmd = super::command();
        let after = |page: &str| {
            let sub = cmd.find_subcommand(page).expect(page);
            sub.get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        let clone = after("clone");
        assert!(clone.starts_with("Examples:\n  pxsnap clone"), "{clone}");
        assert!(
            clone.ends_with(&super::exit_codes::help("clone")),
            "{clone}"
        );
        assert!(after("completions").contains("  0  the script was printed"));
        let top = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        assert!(
            top.contains("\n  130, 143  interrupted by SIGINT or SIGTERM"),
            "{top}"
        );
    }

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
        assert!(parse_label("example.com/team=dba").is_ok());
        assert!(parse_label("team=-dba").is_err());
        assert!(parse_label(&format!("team={}", "x".repeat(64))).is_err());
    }

    #[test]
    fn object_names_are_dns_subdomains() {
        assert!(parse_object_name("nightly-1.db").is_ok());
        for bad in ["Nightly", "nightly_1", "-x", "x-", "", &"x".repeat(254)] {
            assert!(parse_object_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn access_modes_by_full_or_short_name() {
        assert_eq!(parse_access_mode("rwx"), Ok("ReadWriteMany".into()));
        assert_eq!(parse_access_mode("readonlymany"), Ok("ReadOnlyMany".into()));
        assert_eq!(parse_access_mode("RWOP"), Ok("ReadWriteOncePod".into()));
        assert!(parse_access_mode("RW").is_err());
    }

    #[test]
    fn sizes_must_be_positive_quantities() {
        assert_eq!(parse_size("20Gi"), Ok("20Gi".into()));
        assert!(parse_size("0Gi").is_err());
        assert!(parse_size("20GB").is_err());
    }

    #[test]
    fn clone_takes_a_snapshot_and_name_or_a_group() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["pxsnap", "clone"], args].concat());
        assert!(parse(&["snap", "new"]).is_ok());
        assert!(parse(&["--group", "g"]).is_ok());
        assert!(
            parse(&["snap"]).is_err(),
            "NEW_PVC is required with SNAPSHOT"
        );
        assert!(parse(&[]).is_err(), "a source is required");
        assert!(parse(&["snap", "new", "--group", "g"]).is_err());
    }
}

const LIST_HELP: &str = "\
Examples:
  pxsnap list                          snapshots in the current namespace
  pxsnap list cassandra-data -o wide   one PVC's snapshots, with data name, completion and message
  pxsnap list -A --status error        failed snapshots in every namespace
  pxsnap list --api csi                only CSI VolumeSnapshots (default: STORK's and CSI's)
  pxsnap list --groups                 GroupVolumeSnapshots and VolumeGroupSnapshots
  pxsnap list -o json | jq '.items[].metadata.name'";

/// Snapshot types as TYPE shows them: the `portworx/snapshot-type` annotation, or `group` for a
/// snapshot a GroupVolumeSnapshot made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotTypeFilter {
    Local,
    Cloud,
    Group,
}

impl SnapshotTypeFilter {
    pub fn label(self) -> &'static str {
        match self {
            SnapshotTypeFilter::Local => "local",
            SnapshotTypeFilter::Cloud => "cloud",
            SnapshotTypeFilter::Group => "group",
        }
    }
}

/// The STATUS column's values, for `--status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    Ready,
    Pending,
    Error,
}

impl StatusFilter {
    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Ready => "Ready",
            StatusFilter::Pending => "Pending",
            StatusFilter::Error => "Error",
        }
    }
}

/// `--api` of `list` and `delete`: one snapshot API instead of every one the server serves.
/// There is no `auto` or `both`: leaving the flag out is both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiFilter {
    /// CSI's snapshot.storage.k8s.io (VolumeSnapshot; VolumeGroupSnapshot with --groups)
    Csi,
    /// STORK's volumesnapshot.external-storage.k8s.io (GroupVolumeSnapshot with --groups)
    Stork,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// By namespace, then name
    Name,
    /// Newest first (smallest AGE at the top)
    Age,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only snapshots of this PersistentVolumeClaim
    #[arg(conflicts_with = "groups")]
    pub pvc: Option<String>,
    /// List across all namespaces (adds a NAMESPACE column)
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, as kubectl takes it (e.g. app=cassandra,tier!=cache)
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Only snapshots of this type
    #[arg(
        long = "type",
        value_enum,
        value_name = "TYPE",
        conflicts_with = "groups"
    )]
    pub type_: Option<SnapshotTypeFilter>,
    /// Only snapshots in this state
    #[arg(long, value_enum, conflicts_with = "groups")]
    pub status: Option<StatusFilter>,
    /// List group snapshots instead of VolumeSnapshots
    #[arg(long)]
    pub groups: bool,
    /// Only this snapshot API (default: every one the cluster serves)
    #[arg(long, value_enum, value_name = "API")]
    pub api: Option<ApiFilter>,
    /// Sort the output (default: the API server's order, printed as it arrives)
    #[arg(long, value_enum)]
    pub sort_by: Option<SortBy>,
    /// Objects fetched per API request; memory stays flat however many there are
    #[arg(long, value_name = "N", default_value_t = crate::k8s::paged_list::DEFAULT_PAGE_SIZE, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_size: u32,
    /// The most one API call (one page of the list) may take
    #[arg(long, value_name = "DUR", default_value = CALL_TIMEOUT, value_parser = parse_duration)]
    pub timeout: Duration,
    /// Keep metadata.managedFields in -o json|yaml (left out by default, as kubectl does)
    #[arg(long)]
    pub show_managed_fields: bool,
}

/// `--timeout` of `list` and `delete`, which wait for nothing but the API server: long enough
/// for a slow page of thousands of objects, short enough that a CI job learns of a silent API
/// server within its run.
const CALL_TIMEOUT: &str = "60s";

const DELETE_HELP: &str = "\
Deleting a STORK VolumeSnapshot deletes the Portworx snapshot (or the cloud backup) with it.

Examples:
  pxsnap delete cassandra-data-20250101120000
  pxsnap delete --pvc cassandra-data --keep-last 7 --yes     CI retention: keep the 7 newest Ready
  pxsnap delete --pvc cassandra-data --older-than 30d --dry-run
  pxsnap delete -l team=dba --keep-last 3 --yes             retention per PVC of the selection
  pxsnap delete --group nightly --with-children --yes

Retention (--pvc / -l): Pending snapshots are never deleted unless --include-pending; Error snapshots
are not restorable, so they never count as kept and are deleted when selected.";

#[derive(Debug, Clone, Args)]
#[command(group(
    clap::ArgGroup::new("target")
        .required(true)
        .multiple(true)
        .args(["names", "pvc", "selector", "group"])
))]
#[command(group(
    clap::ArgGroup::new("selection")
        .multiple(true)
        .args(["pvc", "selector"])
))]
pub struct DeleteArgs {
    /// VolumeSnapshots to delete
    #[arg(value_name = "NAME", conflicts_with_all = ["pvc", "selector", "group"])]
    pub names: Vec<String>,
    /// Delete snapshots of this PVC (combine with --keep-last / --older-than for retention)
    #[arg(long, value_name = "PVC")]
    pub pvc: Option<String>,
    /// Delete snapshots matching this label selector
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Keep the N newest Ready snapshots of each PVC, delete the others
    #[arg(long, value_name = "N", requires = "selection")]
    pub keep_last: Option<usize>,
    /// Delete only snapshots older than this (e.g. 36h, 30d)
    #[arg(long, value_name = "DUR", value_parser = parse_duration, requires = "selection")]
    pub older_than: Option<Duration>,
    /// Also delete Pending snapshots (they may still be being taken)
    #[arg(long, requires = "selection")]
    pub include_pending: bool,
    /// Delete this group snapshot: STORK's GroupVolumeSnapshot, or CSI's VolumeGroupSnapshot with
    /// its member snapshots
    #[arg(long, value_name = "NAME", conflicts_with_all = ["pvc", "selector"])]
    pub group: Option<String>,
    /// With --group: delete the group's VolumeSnapshots too (a CSI group's always go with it)
    #[arg(long, conflicts_with_all = ["names", "pvc", "selector"])]
    pub with_children: bool,
    /// Only this snapshot API (default: every one the cluster serves); needed for a NAME or a
    /// --group that both APIs hold
    #[arg(long, value_enum, value_name = "API")]
    pub api: Option<ApiFilter>,
    /// Print what would be deleted and delete nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask; needed for more than one deletion when stdin is not a terminal
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// The most one API call (a read, a page of a list, a deletion) may take
    #[arg(long, value_name = "DUR", default_value = CALL_TIMEOUT, value_parser = parse_duration)]
    pub timeout: Duration,
}
