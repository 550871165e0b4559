//! A PVC (or a selection) as a snapshot would see it: found, Bound, Portworx, through which
//! API, which running pods mount it and which container the commands would run in.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::Api;
use kube::api::ListParams;

use super::access::ExecVerdict;
use super::{Check, Options, Target};
use crate::backend::csi_classes::Wanted;
use crate::backend::snapshot_api::{Decided, Decision, Offer, Preference, Volume, decide};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::pipeline::locate::locate;

/// What the first round read: the PVCs and the namespace's pods.
pub struct Read {
    pvcs: Result<Vec<PersistentVolumeClaim>>,
    pods: Result<Vec<Pod>>,
}

/// The first round's reads plus the PersistentVolumes behind the PVCs.
pub struct Volumes {
    read: Read,
    pvs: Result<BTreeMap<String, PersistentVolume>>,
}

/// Reads the target's PVCs and the namespace's pods (one list: no call per pod); `None`
/// without a target.
pub async fn read(cluster: &Cluster, options: &Options) -> Option<Read> {
    let target = options.target.as_ref()?;
    let (pvcs, pods) = futures::join!(read_pvcs(cluster, target), read_pods(cluster));
    Some(Read { pvcs, pods })
}

async fn read_pvcs(cluster: &Cluster, target: &Target) -> Result<Vec<PersistentVolumeClaim>> {
    let namespace = cluster.namespace.as_str();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(cluster.client.clone(), namespace);
    let resource = "persistentvolumeclaims";
    match target {
        Target::Pvc(name) => Ok(cluster
            .read("get", resource, Some(namespace), || api.get_opt(name))
            .await?
            .into_iter()
            .collect()),
        Target::Selector(selector) => {
            let params = ListParams::default().labels(selector);
            let mut pvcs = cluster
                .read("list", resource, Some(namespace), || api.list(&params))
                .await?
                .items;
            pvcs.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            Ok(pvcs)
        }
    }
}

async fn read_pods(cluster: &Cluster) -> Result<Vec<Pod>> {
    let namespace = cluster.namespace.as_str();
    let api: Api<Pod> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default();
    Ok(cluster
        .read("list", "pods", Some(namespace), || api.list(&params))
        .await?
        .items)
}

fn volume_name(pvc: &PersistentVolumeClaim) -> Option<&str> {
    pvc.spec
        .as_ref()
        .and_then(|s| s.volume_name.as_deref())
        .filter(|v| !v.is_empty())
}

/// Reads the PVs behind the PVCs read: a GET for one PVC, one list for a selection (as
/// `snap` and `group-snap` read them).
pub async fn read_volumes(cluster: &Cluster, read: Option<Read>) -> Option<Volumes> {
    let read = read?;
    let names: Vec<&str> = match &read.pvcs {
        Ok(pvcs) => pvcs.iter().filter_map(volume_name).collect(),
        Err(_) => Vec::new(),
    };
    let api: Api<PersistentVolume> = Api::all(cluster.client.clone());
    let resource = "persistentvolumes";
    let pvs = match names.as_slice() {
        [] => Ok(Vec::new()),
        [one] => cluster
            .read("get", resource, None, || api.get_opt(one))
            .await
            .map(|pv| pv.into_iter().collect()),
        _ => {
            let params = ListParams::default();
            cluster
                .read("list", resource, None, || api.list(&params))
                .await
                .map(|list| list.items)
        }
    };
    let pvs = pvs.map(|pvs| {
        pvs.into_iter()
            .filter_map(|pv| Some((pv.metadata.name.clone()?, pv)))
            .collect()
    });
    Some(Volumes { read, pvs })
}

/// Everything the run's decisions need about the target.
pub struct Context<'a> {
    pub container: Option<&'a str>,
    /// What the cluster offers for a snapshot: STORK's API, CSI classes.
    pub offer: &'a Offer,
    /// The snapshot the chosen subcommands take (local, or cloud for `--for cloud-snap`).
    pub wanted: Wanted<'a>,
    pub exec: &'a ExecVerdict,
    pub namespace: &'a str,
}

/// The checks of the target: the PVCs, then their pods.
pub fn checks(target: &Target, volumes: Option<Volumes>, context: &Context) -> Vec<Check> {
    let Some(Volumes { read, pvs }) = volumes else {
        return Vec::new();
    };
    let pvcs = match read.pvcs {
        Ok(pvcs) => pvcs,
        Err(error) => return vec![Check::error("pvc.found", "reading the PVCs", &error)],
    };
    let found = found_check(target, &pvcs, context.namespace);
    if pvcs.is_empty() {
        return vec![found];
    }
    let mut checks = vec![found];
    for pvc in &pvcs {
        checks.extend(pvc_checks(pvc, &pvs, context));
    }
    let names: Vec<String> = pvcs
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    let subject = match target {
        Target::Pvc(name) => name.clone(),
        Target::Selector(selector) => selector.clone(),
    };
    checks.extend(
        pods_checks(read.pods, &names, context)
            .into_iter()
            .map(|c| c.about(&subject)),
    );
    checks
}

fn found_check(target: &Target, pvcs: &[PersistentVolumeClaim], namespace: &str) -> Check {
    match (target, pvcs.is_empty()) {
        (Target::Pvc(name), true) => Check::fail(
            "pvc.found",
            Error::PvcNotFound {
                pvc: name.clone(),
                namespace: namespace.to_string(),
            }
            .to_string(),
            format!(
                "kubectl get pvc -n {namespace} lists the PVCs there; -n chooses the namespace"
            ),
        ),
        (Target::Selector(selector), true) => Check::fail(
            "pvc.found",
            Error::NoPvcMatched {
                selector: selector.clone(),
                namespace: namespace.to_string(),
            }
            .to_string(),
            format!("kubectl get pvc -n {namespace} --show-labels shows the labels to select by"),
        ),
        (Target::Pvc(name), false) => Check::ok(
            "pvc.found",
            format!("PVC {name:?} in namespace {namespace:?}"),
        ),
        (Target::Selector(selector), false) => {
            let names: Vec<&str> = pvcs
                .iter()
                .filter_map(|p| p.metadata.name.as_deref())
                .collect();
            Check::ok(
                "pvc.found",
                format!(
                    "{selector} selects {} in namespace {namespace:?}",
                    names.join(", ")
                ),
            )
        }
    }
}

/// Bound, Portworx, and the API a snapshot of it would go through.
fn pvc_checks(
    pvc: &PersistentVolumeClaim,
    pvs: &Result<BTreeMap<String, PersistentVolume>>,
    context: &Context,
) -> Vec<Check> {
    let name = pvc.metadata.name.clone().unwrap_or_default();
    let phase = pvc
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("unknown");
    let bound = match (phase, volume_name(pvc)) {
        ("Bound", Some(pv)) => Check::ok("pvc.bound", format!("Bound to PersistentVolume {pv}")),
        _ => Check::fail(
            "pvc.bound",
            format!("phase {phase}: only a bound volume can be snapshotted"),
            format!(
                "wait for it to bind; kubectl describe pvc {name} -n {} says why it has not",
                context.namespace
            ),
        ),
    };
    let mut checks = vec![bound.about(&name)];
    let Some(pv_name) = volume_name(pvc).filter(|_| phase == "Bound") else {
        return checks;
    };
    let pv = match pvs {
        Ok(pvs) => pvs.get(pv_name),
        Err(error) => {
            checks.push(
                Check::error("pvc.volume", "reading its PersistentVolume", error).about(&name),
            );
            return checks;
        }
    };
    let Some(pv) = pv else {
        checks.push(
            Check::fail(
                "pvc.volume",
                format!("its PersistentVolume {pv_name:?} was not found"),
                format!("kubectl get pv {pv_name}; a PVC bound to a missing volume cannot be snapshotted"),
            )
            .about(&name),
        );
        return checks;
    };
    let volume = Volume::of(pv);
    checks.push(volume_check(&volume).about(&name));
    checks.push(api_check(&name, &volume, context).about(&name));
    checks
}

fn volume_check(volume: &Volume) -> Check {
    match volume.is_portworx() {
        true => Check::ok("pvc.volume", volume.describe()),
        false => Check::fail(
            "pvc.volume",
            format!(
                "{}: STORK can only snapshot Portworx volumes, and would leave the snapshot without status for ever",
                volume.describe()
            ),
            "choose a PVC of a Portworx StorageClass (provisioner pxd.portworx.com)",
        ),
    }
}

/// Which API pxsnap would take the snapshot through, and why: the decision `snap` makes
/// (`backend::snapshot_api::decide`), so the report says what a run would really do.
fn api_check(pvc: &str, volume: &Volume, context: &Context) -> Check {
    let decided = decide(
        pvc,
        volume,
        Preference::Auto,
        context.offer,
        context.wanted,
        None,
    );
    match decided {
        Ok(Decided {
            decision: Decision::Csi { class: Some(class) },
            ..
        }) => Check::ok("pvc.api", format!("csi: class {}", class.name)),
        Ok(Decided {
            decision: Decision::Csi { class: None },
            note,
        }) => Check::ok("pvc.api", format!("csi: {}", note.unwrap_or_default())),
        Ok(Decided {
            decision: Decision::Stork,
            note: None,
        }) => Check::ok(
            "pvc.api",
            "stork: an in-tree portworxVolume takes STORK's API",
        ),
        Ok(Decided {
            decision: Decision::Stork,
            note: Some(note),
        }) => Check::warn(
            "pvc.api",
            format!("stork: {note}"),
            "to take CSI snapshots (released at the cut), set up a VolumeSnapshotClass of the Portworx driver (see api.csi.classes)",
        ),
        Err(error) => Check::fail(
            "pvc.api",
            format!("none: {error}"),
            "choose a PVC of a Portworx StorageClass, or install what the message names",
        ),
    }
}

/// Which running pods mount the PVCs, the container each command would run in, and whether
/// pods/exec is allowed there.
fn pods_checks(pods: Result<Vec<Pod>>, pvcs: &[String], context: &Context) -> Vec<Check> {
    let pods = match pods {
        Ok(pods) => pods,
        Err(error) => return vec![Check::error("pvc.pods", "listing the pods", &error)],
    };
    let located = match locate(&pods, pvcs, context.container) {
        Ok(located) => located,
        Err(error) => {
            let fix = match error {
                Error::UnknownContainer { .. } => {
                    "pass -c with one of the containers it has, to doctor and to snap or group-snap"
                }
                _ => {
                    "pass -c CONTAINER (the one to run the commands in) to doctor and to snap or group-snap"
                }
            };
            return vec![Check::fail("pvc.pods", error.to_string(), fix)];
        }
    };
    let skipped: Vec<String> = located
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.pod, s.reason))
        .collect();
    let skipped = match skipped.is_empty() {
        true => String::new(),
        false => format!(" (not running: {})", skipped.join("; ")),
    };
    if located.targets.is_empty() {
        return vec![Check::warn(
            "pvc.pods",
            format!(
                "no running pod mounts it{skipped}: --pre/--post commands would have nowhere to run (exit 3)"
            ),
            "start the application first, or snapshot without commands with --allow-no-pods",
        )];
    }
    let targets: Vec<String> = located
        .targets
        .iter()
        .map(|t| format!("{} (container {})", t.pod, t.container))
        .collect();
    vec![
        Check::ok(
            "pvc.pods",
            format!("commands would run in {}{skipped}", targets.join(", ")),
        ),
        exec_check(context),
    ]
}

fn exec_check(context: &Context) -> Check {
    let scope = format!("in namespace {:?}", context.namespace);
    match context.exec {
        ExecVerdict::Allowed(verbs) => Check::ok(
            "pvc.exec",
            format!("pods/exec ({}) allowed {scope}", verbs.join(", ")),
        ),
        ExecVerdict::Denied(verbs, fix) => Check::fail(
            "pvc.exec",
            format!(
                "pods/exec ({}) denied {scope}: the pre and post commands could not run (exit 3)",
                verbs.join(", ")
            ),
            fix.clone(),
        ),
        ExecVerdict::Unknown(error) => Check::fail(
            "pvc.exec",
            format!("cannot tell whether pods/exec is allowed {scope}: {error}"),
            "try again, or raise --timeout",
        ),
    }
}
