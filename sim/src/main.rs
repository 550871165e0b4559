//! `pxsnap-sim`: run the simulated cluster as a standalone server.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pxsnap_sim::{Fault, Scenario, SimError, SimOptions, Simulator};

#[derive(Parser)]
#[command(
    name = "pxsnap-sim",
    version,
    about = "A simulated Kubernetes + STORK/Portworx cluster for testing pxsnap"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the simulated API until SIGINT/SIGTERM.
    Serve {
        /// Built-in scenario name (`cassandra`, `cassandra-csi`, `cassandra-intree`, `empty`) or a
        /// YAML/JSON scenario file.
        #[arg(long, default_value = "cassandra")]
        scenario: String,
        /// Where to write the kubeconfig pointing at the simulator.
        #[arg(long)]
        kubeconfig_out: PathBuf,
        /// Port to listen on (0 = any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// A YAML/JSON file with a list of faults to arm at start.
        #[arg(long)]
        faults: Option<PathBuf>,
        /// Address to bind (loopback by default: exec runs local processes).
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
    },
}

fn load_faults(path: &PathBuf) -> Result<Vec<Fault>, SimError> {
    let err = |message: String| SimError::Faults {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let value: serde_json::Value = serde_norway::from_str(&text).map_err(|e| err(e.to_string()))?;
    if value.is_array() {
        serde_json::from_value(value).map_err(|e| err(e.to_string()))
    } else {
        serde_json::from_value::<Fault>(value)
            .map(|f| vec![f])
            .map_err(|e| err(e.to_string()))
    }
}

async fn serve(
    scenario: String,
    kubeconfig_out: PathBuf,
    port: u16,
    faults: Option<PathBuf>,
    bind: IpAddr,
) -> Result<(), Box<dyn std::error::Error>> {
    let scenario = Scenario::resolve(&scenario)?;
    let faults = match &faults {
        Some(p) => load_faults(p)?,
        None => Vec::new(),
    };
    let sim = Simulator::start(SimOptions {
        scenario,
        faults,
        port,
        bind,
    })
    .await?;
    sim.write_kubeconfig(&kubeconfig_out)
        .map_err(|e| format!("cannot write kubeconfig {}: {e}", kubeconfig_out.display()))?;
    // Handlers go in before anything is printed: whoever reads the address may signal at once.
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    println!("kubeconfig: {}", kubeconfig_out.display());
    println!("address: {}", sim.server_url());
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    sim.shutdown().await;
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pxsnap-sim: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve {
            scenario,
            kubeconfig_out,
            port,
            faults,
            bind,
        } => rt.block_on(serve(scenario, kubeconfig_out, port, faults, bind)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pxsnap-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
