//! `pxsnap doctor`: everything the chosen subcommands will need from a cluster, checked up
//! front and read-only, so a first run fails here with what to do rather than half-way through
//! a snapshot.
//!
//! It creates nothing but SelfSubjectReviews and SelfSubjectAccessReviews and runs no command
//! in any pod. It makes two rounds of parallel requests, none per pod, each call bounded by
//! the cluster's call timeout: first what needs nothing (version, identity, discovery, pods,
//! classes, the PVCs), then what needs the first (the access reviews need the server's version
//! for the exec verbs; the PersistentVolumes need the PVCs).

mod access;
mod apis;
mod connection;
mod report;
mod volume;

pub use report::{Access, Check, DoctorReport, Status};

use crate::backend::csi_classes::{PortworxClasses, Wanted};
use crate::backend::snapshot_api::{Classes, Offer};
use crate::error::Error;
use crate::k8s::cluster::Cluster;
use crate::k8s::permissions::Subcommand;

/// What to check, free of the command line's types.
#[derive(Debug, Clone)]
pub struct Options {
    /// The subcommands to check for (`--for`; every one by default).
    pub subcommands: Vec<Subcommand>,
    /// The PVCs to look at as a snapshot would, if any.
    pub target: Option<Target>,
    /// `-c`: the container the commands would run in.
    pub container: Option<String>,
}

/// The PVCs `doctor` looks at.
#[derive(Debug, Clone)]
pub enum Target {
    /// One PVC by name, as `snap` and `cloud-snap` take it.
    Pvc(String),
    /// A label selector, as `group-snap` takes it (already checked to be matchLabels).
    Selector(String),
}

/// Runs every check against `cluster` (whose call timeout bounds each request).
pub async fn run(cluster: &Cluster, options: &Options) -> DoctorReport {
    let mut report = DoctorReport::new(&options.subcommands);
    report.push(connection::kubeconfig(cluster));
    let (version, user, discovered, controllers, classes, volumes) = futures::join!(
        connection::version(cluster),
        connection::whoami(cluster),
        apis::discover(cluster),
        apis::controllers(cluster),
        crate::backend::csi_classes::list(cluster),
        volume::read(cluster, options),
    );
    let version = match version {
        Ok(version) => version,
        // Nothing else can have worked: report the one cause, not the same failure many times.
        Err(error) => {
            report.push(connection::unreachable(cluster, &error));
            return report;
        }
    };
    report.push(connection::version_check(cluster, &version));
    report.push(connection::user_check(user));
    let csi_takes_snapshots = classes.as_ref().is_ok_and(|listed| {
        listed
            .as_ref()
            .is_some_and(|all| !PortworxClasses::from_classes(all).classes.is_empty())
    });
    report.extend(apis::checks(
        &discovered,
        &options.subcommands,
        csi_takes_snapshots,
    ));
    report.extend(apis::controller_checks(controllers));
    let offer = Offer {
        stork_served: apis::stork_snapshots_served(&discovered),
        classes: match &classes {
            Ok(Some(all)) => Classes::Listed(all.clone()),
            Err(Error::Forbidden { .. }) => Classes::Forbidden,
            Ok(None) | Err(_) => Classes::NotServed,
        },
    };
    report.extend(apis::class_checks(
        classes.map(|listed| listed.map(|all| PortworxClasses::from_classes(&all))),
    ));
    let planned = access::plan(
        &options.subcommands,
        &cluster.namespace,
        version.minor,
        options.target.is_some(),
        &discovered.unserved_groups(),
    );
    let (answers, volumes) = futures::join!(
        access::review(cluster, &planned),
        volume::read_volumes(cluster, volumes),
    );
    let exec = access::exec_verdict(&planned, &answers);
    let (checks, permissions) = access::checks(&planned, answers, &options.subcommands);
    report.extend(checks);
    report.permissions = permissions;
    if let Some(target) = &options.target {
        let context = volume::Context {
            container: options.container.as_deref(),
            offer: &offer,
            wanted: match options.subcommands.as_slice() {
                [Subcommand::CloudSnap] => Wanted::Cloud { cred_id: None },
                _ => Wanted::Local,
            },
            exec: &exec,
            namespace: &cluster.namespace,
        };
        report.extend(volume::checks(target, volumes, &context));
    }
    report
}

/// The report when no connection could be set up at all.
pub fn unconnected(subcommands: &[Subcommand], error: &crate::error::Error) -> DoctorReport {
    let mut report = DoctorReport::new(subcommands);
    report.push(connection::kubeconfig_failed(error));
    report
}
