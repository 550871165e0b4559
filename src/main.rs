//! The `pxsnap` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::FromArgMatches;
use pxsnap::cli::{Cli, ColorChoice, Command};
use pxsnap::commands;
use pxsnap::error::code;
use pxsnap::signals::Signals;

fn main() -> ExitCode {
    let cli = parse_args();
    let colors = init_colors(cli.global.color);
    init_logging(cli.global.verbose, colors);
    let runtime = match runtime_for(&cli.command) {
        Ok(runtime) => runtime,
        Err(err) => {
            pxsnap::stderr_line!("pxsnap: cannot start the async runtime: {err}");
            return exit_status(code::OTHER);
        }
    };
    let code = runtime.block_on(run(cli));
    exit_status(code)
}

/// A documented code as the process's exit status.
fn exit_status(status: i32) -> ExitCode {
    ExitCode::from(u8::try_from(status).unwrap_or(code::OTHER as u8))
}

/// Commands that may freeze pods get worker threads: the quiesce guard's `Drop` blocks in
/// place to run the post commands, which needs a multi-thread runtime (`quiesce.rs`). `list`,
/// `delete` and `doctor` freeze nothing and run on the calling thread, which spares the worker
/// threads' start and a cross-thread wake-up per response chunk: measured on 2,000 snapshots, that and
/// pages of 500 brought `list` from about 1.2x to about 1.0x a bare GET (BENCHMARKS.md case 2).
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::List(_) | Command::Delete(_) | Command::Doctor(_) => {
            tokio::runtime::Builder::new_current_thread()
        }
        _ => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
    };
    builder.enable_all().build()
}

async fn run(cli: Cli) -> i32 {
    let mut signals = Signals::new();
    let global = &cli.global;
    let format = global.output;
    match &cli.command {
        Command::Snap(args) => commands::snap::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::CloudSnap(args) => commands::cloud_snap::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::Demo(args) => commands::demo::run(global, args, &mut signals).await,
        Command::Completions(args) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&pxsnap::cli::completions::script(args.shell));
            code::SUCCESS
        }
        Command::List(args) => {
            pxsnap::output::report::exit_code(commands::list::run(global, args).await)
        }
        Command::Delete(args) => commands::delete::run(global, args).await.finish(format),
        Command::GroupSnap(args) => commands::group_snap::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::Clone(args) => commands::clone::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::Apply(args) => commands::apply::run(global, args, &mut signals).await,
        Command::Doctor(args) => match commands::doctor::run(global, args).await {
            Ok(outcome) => outcome.finish(format),
            Err(usage) => pxsnap::output::report::exit_code(Some(usage)),
        },
    }
}

/// Parses the command line. Installed as `kubectl-pxsnap`, the binary runs as a kubectl plugin, so
/// its help and usage errors say `kubectl pxsnap`, the way the user typed it.
fn parse_args() -> Cli {
    let invoked_as = std::env::args_os().next().and_then(|arg0| {
        std::path::Path::new(&arg0)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    });
    let mut cmd = pxsnap::cli::command();
    if invoked_as.as_deref() == Some("kubectl-pxsnap") {
        cmd = cmd.bin_name("kubectl pxsnap").name("kubectl pxsnap");
    }
    let parsed = cmd
        .clone()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => cli,
        Err(err) => exit_with_usage_error(err.format(&mut cmd), &cmd),
    }
}

/// Help and version go out as clap writes them; a usage error becomes one line on stderr, as
/// every other error does, so a CI log shows it whole and a script can match it: the error, its
/// tips (a similar flag or subcommand) and where help is; clap's usage block is left out.
/// Exit code 2, as documented.
fn exit_with_usage_error(err: clap::Error, cmd: &clap::Command) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        err.exit()
    }
    // The first paragraph is the error itself (a missing argument or the possible values are on
    // its second line); `tip:` lines come after a blank line, then the usage block.
    let rendered = err.render().to_string();
    let lines = || rendered.lines().map(str::trim);
    let paragraph: Vec<&str> = lines()
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect();
    let tips: Vec<&str> = lines().filter(|line| line.starts_with("tip: ")).collect();
    let joined = std::iter::once(paragraph.join(" "))
        .chain(tips.into_iter().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    let usage =
        pxsnap::error::Error::Usage(format!("{message} (see '{} --help')", command_path(cmd)));
    pxsnap::stderr::error_line(&usage);
    std::process::exit(usage.exit_code())
}

/// The command the user typed, for the `--help` hint: the binary's name as clap shows it
/// (`pxsnap`, or `kubectl pxsnap` as a plugin) and the subcommand, if the arguments name one.
fn command_path(cmd: &clap::Command) -> String {
    let bin = cmd.get_bin_name().unwrap_or("pxsnap").to_string();
    // clap's own reading of the arguments, errors ignored: a flag's value that happens to be a
    // subcommand's name (`-n list`) is not taken for one, and non-UTF-8 arguments are fine.
    let matches = cmd
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(std::env::args_os());
    let subcommand = matches
        .ok()
        .and_then(|m| m.subcommand_name().map(str::to_string));
    match subcommand {
        Some(sub) => format!("{bin} {sub}"),
        None => bin,
    }
}

/// `--color`, with `NO_COLOR` (https://no-color.org) honoured for `auto`, and colour only on a
/// terminal. Returns whether stderr is coloured.
fn init_colors(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    console::set_colors_enabled_stderr(enabled);
    console::set_colors_enabled(enabled);
    enabled
}

/// `-v` levels map to pxsnap's own log levels; dependencies stay quiet unless `RUST_LOG` says.
/// The log is coloured as the error lines are (`colors`): tracing's own default looks only at
/// `NO_COLOR`, so `--color never` and a log file got escape codes.
fn init_logging(verbose: u8, colors: bool) {
    let level = match verbose {
        0 => return,
        1 => "pxsnap=info",
        2 => "pxsnap=debug",
        _ => "pxsnap=trace,kube=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // A log line that cannot be written is dropped, never reported with eprintln!: that panics
    // on a closed stderr, and a panic while pods are frozen must not happen (see stderr.rs).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colors)
        .log_internal_errors(false)
        .init();
}
