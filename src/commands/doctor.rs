//! `pxsnap doctor`: the flags become doctor's options (usage errors before any request), then
//! one connection, every check, and exit 1 when one failed.

use crate::backend::group::parse_match_labels;
use crate::cli::{DoctorArgs, GlobalArgs, OutputFormat};
use crate::doctor::{self, DoctorReport, Options, Target};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::names::check_name;
use crate::k8s::permissions::Subcommand;
use crate::output::report::Outcome;

/// Runs the checks; `Err` is a usage error, found before anything was asked of the cluster.
pub async fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<Outcome<DoctorReport>> {
    let options = options(global, args)?;
    let cluster = match Cluster::connect(&global.target(), args.timeout).await {
        Ok(cluster) => cluster,
        Err(error) => {
            let report = doctor::unconnected(&options.subcommands, &error);
            return Ok(Outcome {
                error: Some(error),
                ..Outcome::ok(report)
            });
        }
    };
    let report = doctor::run(&cluster, &options).await;
    Ok(Outcome {
        error: report.verdict(),
        ..Outcome::ok(report)
    })
}

/// The flags as doctor's options, checked as the subcommands they stand for check them.
fn options(global: &GlobalArgs, args: &DoctorArgs) -> Result<Options> {
    if global.output == OutputFormat::Name {
        return Err(Error::Usage(
            "doctor prints -o table, wide, json or yaml; it has no objects to name".to_string(),
        ));
    }
    let target = match (&args.pvc, &args.selector) {
        (Some(pvc), _) => {
            check_name("PVC", pvc)?;
            Some(Target::Pvc(pvc.clone()))
        }
        (None, Some(selector)) => {
            parse_match_labels(selector)?;
            Some(Target::Selector(selector.clone()))
        }
        (None, None) => None,
    };
    if args.container.is_some() && target.is_none() {
        return Err(Error::Usage(
            "-c/--container needs a PVC or -l to say whose pods to look at".to_string(),
        ));
    }
    let mut subcommands = match args.for_.is_empty() {
        true => Subcommand::ALL.to_vec(),
        false => args.for_.iter().flat_map(|f| f.0.clone()).collect(),
    };
    subcommands.sort_unstable();
    subcommands.dedup();
    Ok(Options {
        subcommands,
        target,
        container: args.container.clone(),
    })
}
