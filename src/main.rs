//! The `pxsnap` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use pxsnap::cli::{Cli, Command};
use pxsnap::commands;
use pxsnap::signals::Signals;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("pxsnap: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(run(cli));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

async fn run(cli: Cli) -> i32 {
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!("pxsnap: cannot install signal handlers: {err}");
            return 1;
        }
    };
    let global = &cli.global;
    let format = global.output;
    match &cli.command {
        Command::Snap(args) => commands::snap::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::CloudSnap(args) => commands::cloud_snap::run(global, args, &mut signals)
            .await
            .finish(format),
        Command::List(args) => pxsnap::report::exit_code(commands::list::run(global, args).await),
        Command::Delete(args) => commands::delete::run(global, args).await.finish(format),
        Command::GroupSnap(args) => commands::group_snap::run(global, args, &mut signals)
            .await
            .finish(format),
    }
}

/// `-v` levels map to pxsnap's own log levels; dependencies stay quiet unless `RUST_LOG` says.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "pxsnap=info",
        2 => "pxsnap=debug",
        _ => "pxsnap=trace,kube=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
