//! `pxsnap apply -f`: the snapshots that manifests describe. Every document is read and checked
//! first (`backend::manifest`, then its PVC, Rules and class on the cluster); then each runs as
//! `snap`, `cloud-snap` or `group-snap` would run it, one after another.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use futures::FutureExt;

use crate::backend::csi::Csi;
use crate::backend::group::StorkGroup;
use crate::backend::group::{GroupKind, selector_text};
use crate::backend::manifest::{self, Document, Target};
use crate::backend::snapshot_api::{SnapshotApi, Volume};
use crate::backend::snapshotter::Snapshotter;
use crate::backend::stork::Stork;
use crate::backend::stork::{CloudOptions, SnapshotKind};
use crate::cli::{
    ApiArgs, ApiChoice, ApplyArgs, GlobalArgs, GroupSnapArgs, HookArgs, OutputFormat,
    SnapshotOptions,
};
use crate::commands::group_snap::{self, CLOUD_TIMEOUT, LOCAL_TIMEOUT, Written};
use crate::commands::snap::{self, SnapJob};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::CSI_SNAPSHOT_GROUP_VERSION;
use crate::k8s::resources::{STORK_GROUP_VERSION, STORK_SNAPSHOT_GROUP_VERSION};
use crate::output::report::{Outcome, Rendered, Report, exit_code, render_list, write_stdout};
use crate::pipeline::rules::{self, Side};
use crate::pipeline::run::{check_selected, check_snapshottable};
use crate::signals::Signals;

/// How often a cloud snapshot's "still uploading" line is printed off a terminal (`cloud-snap`).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// Reads, checks and runs the documents; prints the results and returns the exit code.
pub async fn run(global: &GlobalArgs, args: &ApplyArgs, signals: &mut Signals) -> i32 {
    let documents = match read_all(&args.files).and_then(|docs| checked_locally(global, docs)) {
        Ok(documents) => documents,
        Err(err) => return exit_code(Some(err)),
    };
    let documents = match checked_on_cluster(global, args, documents).await {
        Ok(documents) => documents,
        Err(err) => return exit_code(Some(err)),
    };
    let streaming = matches!(
        global.output,
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Name
    );
    let mut results = Vec::new();
    let mut first_failure: Option<i32> = None;
    let mut left: Vec<String> = Vec::new();
    let mut stopped: Option<Stop> = None;
    for (namespace, document) in &documents {
        if stopped.is_some() {
            left.push(document.describe());
            continue;
        }
        // Signals are taken over once a first freeze began; one that came since then stops the run.
        if let Some(signal) = signals.recv().now_or_never() {
            first_failure.get_or_insert(exit_code(Some(Error::interrupted(signal))));
            stopped = Some(Stop::Interrupted);
            left.push(document.describe());
            continue;
        }
        let (rendered, error) = apply_one(global, args, namespace, document, signals).await;
        if streaming {
            let separator = match (results.is_empty(), global.output) {
                (false, OutputFormat::Table | OutputFormat::Wide) => "\n",
                _ => "",
            };
            write_stdout(&format!("{separator}{}", rendered.render(global.output)));
        }
        results.push(rendered);
        if let Some(error) = error {
            let interrupted = matches!(
                error,
                Error::Interrupted { .. } | Error::InterruptedWaiting { .. }
            );
            let code = exit_code(Some(error));
            first_failure.get_or_insert(code);
            stopped = match (interrupted, args.continue_on_error) {
                (true, _) => Some(Stop::Interrupted),
                (false, false) => Some(Stop::Failed),
                (false, true) => None,
            };
        }
    }
    if !streaming {
        write_stdout(&render_list(global.output, &results));
    }
    if let (false, Some(stop)) = (left.is_empty(), stopped) {
        let (after, hint) = match stop {
            Stop::Failed => ("the failure", " (--continue-on-error goes on)"),
            Stop::Interrupted => ("the interruption", ""),
        };
        crate::stderr_line!(
            "pxsnap: not applied after {after}: {}{hint}",
            left.join(", ")
        );
    }
    first_failure.unwrap_or(crate::error::code::SUCCESS)
}

/// Why the documents after one were not run.
#[derive(Clone, Copy)]
enum Stop {
    Failed,
    Interrupted,
}

/// Every document of every `-f`, in order: a file, a directory's manifests in name order, or
/// standard input.
fn read_all(files: &[std::path::PathBuf]) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    for file in files {
        if file.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|err| Error::Usage(format!("cannot read standard input: {err}")))?;
            documents.extend(manifest::parse("standard input", &text)?);
        } else if file.is_dir() {
            for path in manifests_in(file)? {
                documents.extend(read_file(&path)?);
            }
        } else {
            documents.extend(read_file(file)?);
        }
    }
    if documents.is_empty() {
        return Err(Error::Usage(
            "no objects passed to apply: the files hold no documents".to_string(),
        ));
    }
    Ok(documents)
}

fn read_file(path: &Path) -> Result<Vec<Document>> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| Error::Usage(format!("cannot read {}: {err}", path.display())))?;
    manifest::parse(&path.display().to_string(), &text)
}

/// A directory's `.yaml`, `.yml` and `.json` files, as kubectl reads a directory (not its
/// subdirectories), in name order so that a run is repeatable.
fn manifests_in(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|err| Error::Usage(format!("cannot read {}: {err}", dir.display())))?;
    let mut paths: Vec<std::path::PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// What needs no cluster: a document's namespace against `-n`, refused as kubectl refuses it.
fn checked_locally(global: &GlobalArgs, documents: Vec<Document>) -> Result<Vec<Document>> {
    for document in &documents {
        if let (Some(own), Some(flag)) = (&document.namespace, &global.namespace)
            && own != flag
        {
            return Err(document.problem(
                "metadata.namespace",
                format!(
                    "namespace {own:?} does not match --namespace {flag:?}; drop -n or pass -n {own}"
                ),
            ));
        }
    }
    Ok(documents)
}

/// Two documents naming one object (once each runs in its namespace): the second would be a
/// name clash after the first one's snapshot was taken.
fn distinct(documents: &[(String, Document)]) -> Result<()> {
    let mut seen: BTreeMap<(&str, &str, &str), String> = BTreeMap::new();
    for (namespace, document) in documents {
        let key = (
            resource_of(document),
            namespace.as_str(),
            document.name.as_str(),
        );
        if let Some(first) = seen.insert(key, document.describe()) {
            return Err(document.problem(
                "metadata.name",
                format!(
                    "{first} names the same object in namespace {namespace:?}; give each document its own name"
                ),
            ));
        }
    }
    Ok(())
}

/// The resource a document creates.
fn resource_of(document: &Document) -> &'static str {
    match &document.target {
        Target::Snapshot {
            api: SnapshotApi::Stork,
            ..
        } => Stork::RESOURCE,
        Target::Snapshot {
            api: SnapshotApi::Csi,
            ..
        } => Csi::RESOURCE,
        Target::Group { .. } => StorkGroup::RESOURCE,
    }
}

/// What the cluster must have for every document, checked before anything runs: the PVC (a
/// group's selector matching one), the Rules, the snapshot API and a CSI snapshot's class
/// (whose type makes the snapshot local or cloud). Returns each document with the namespace it
/// runs in.
async fn checked_on_cluster(
    global: &GlobalArgs,
    args: &ApplyArgs,
    documents: Vec<Document>,
) -> Result<Vec<(String, Document)>> {
    let cluster = Cluster::connect(&global.target(), args.timeout.unwrap_or(LOCAL_TIMEOUT)).await?;
    let resolved: Vec<(String, Document)> = documents
        .into_iter()
        .map(|document| {
            let namespace = document
                .namespace
                .clone()
                .unwrap_or_else(|| cluster.namespace.clone());
            (namespace, document)
        })
        .collect();
    distinct(&resolved)?;
    let mut checked = Vec::new();
    for (namespace, mut document) in resolved {
        let mut in_namespace = cluster.clone();
        in_namespace.namespace = namespace.clone();
        let volume = check_source(&in_namespace, &document).await?;
        let rules = [
            (document.hooks.pre_rule.clone(), Side::Pre),
            (document.hooks.post_rule.clone(), Side::Post),
        ];
        for (rule, side) in rules {
            let Some(rule) = rule else { continue };
            match rules::load(&in_namespace, &rule.value, side).await {
                Ok(_) => {}
                Err(err @ (Error::RuleNotFound { .. } | Error::BadRule { .. })) => {
                    return Err(document.problem(&rule.field, err));
                }
                Err(err) => return Err(err),
            }
        }
        check_api(&in_namespace, &mut document, volume.as_ref()).await?;
        checked.push((namespace, document));
    }
    Ok(checked)
}

/// The PVC, or a group's PVCs, as `snap` and `group-snap` check them; one that does not exist
/// is this document's problem (exit 2). Returns a snapshot document's volume.
async fn check_source(cluster: &Cluster, document: &Document) -> Result<Option<Volume>> {
    let namespace = &cluster.namespace;
    let missing = |problem: String| document.problem(document.source_field(), problem);
    match &document.target {
        Target::Snapshot { pvc, api, .. } => {
            match check_snapshottable(cluster, namespace, pvc).await {
                // CSI cannot snapshot an in-tree volume; the document's apiVersion says CSI.
                Ok((_, Volume::PortworxInTree)) if *api == SnapshotApi::Csi => {
                    Err(missing(format!(
                        "PVC {pvc:?} is an in-tree portworxVolume, which CSI cannot snapshot; use apiVersion {STORK_SNAPSHOT_GROUP_VERSION} (STORK's VolumeSnapshot)"
                    )))
                }
                Ok((_, volume)) => Ok(Some(volume)),
                Err(err @ Error::PvcNotFound { .. }) => Err(missing(err.to_string())),
                Err(err) => Err(err),
            }
        }
        Target::Group { match_labels, .. } => {
            match check_selected(cluster, namespace, &selector_text(match_labels)).await {
                Ok(_) => Ok(None),
                Err(err @ Error::NoPvcMatched { .. }) => Err(missing(err.to_string())),
                Err(err) => Err(err),
            }
        }
    }
}

/// The snapshot API the document names is served, and a CSI snapshot's class is the one `snap
/// --api csi` would take: checked here, not found by `run_job` after earlier documents froze
/// their applications. `volume` is a snapshot document's PVC's.
async fn check_api(
    cluster: &Cluster,
    document: &mut Document,
    volume: Option<&Volume>,
) -> Result<()> {
    let group_version = match &document.target {
        Target::Snapshot {
            api: SnapshotApi::Stork,
            ..
        } => STORK_SNAPSHOT_GROUP_VERSION,
        Target::Group { .. } => STORK_GROUP_VERSION,
        Target::Snapshot {
            api: SnapshotApi::Csi,
            ..
        } => return csi_class(cluster, document, volume).await,
    };
    cluster.require_api_group(group_version).await
}

/// A CSI document's class: the one it names, which must exist and be of the PVC's driver, else
/// the driver's default local class, as `snap` picks it. A cloud class makes the snapshot a
/// cloud one (the long wait, `cloud` in the result). Classes that cannot be listed are not
/// checked: the class is named as written, or the controller picks its default, as in `snap`.
async fn csi_class(
    cluster: &Cluster,
    document: &mut Document,
    volume: Option<&Volume>,
) -> Result<()> {
    use crate::backend::csi_classes::{
        self, ClassProblem, PortworxClasses, SnapshotType, Wanted, class_manifest_command,
    };
    // An in-tree PVC was refused with its source; any other volume is not Portworx's.
    let Some(Volume::PortworxCsi { driver }) = volume else {
        return Ok(());
    };
    let all = match csi_classes::list(cluster).await {
        Ok(Some(all)) => all,
        Ok(None) => return Err(Error::api_group_missing(CSI_SNAPSHOT_GROUP_VERSION)),
        Err(Error::Forbidden { .. }) => return Ok(()),
        Err(err) => return Err(err),
    };
    let field = "spec.volumeSnapshotClassName";
    let Target::Snapshot { class, kind, .. } = &mut document.target else {
        return Ok(());
    };
    let problem = match class {
        Some(name) => match all.iter().find(|c| c.metadata.name.as_ref() == Some(name)) {
            None => format!(
                "VolumeSnapshotClass {name:?} not found (kubectl get volumesnapshotclasses lists them)"
            ),
            Some(found) if found.driver != *driver => format!(
                "VolumeSnapshotClass {name:?} is of driver {}, not of the PVC's driver {driver}",
                found.driver
            ),
            Some(_) => {
                let named = PortworxClasses::from_classes(&all)
                    .classes
                    .into_iter()
                    .find(|c| &c.name == name);
                if let Some(cloud) = named.filter(|c| c.snapshot_type == SnapshotType::Cloud) {
                    *kind = SnapshotKind::Cloud(CloudOptions {
                        cred_id: cloud.credential,
                        ..CloudOptions::default()
                    });
                }
                return Ok(());
            }
        },
        None => match csi_classes::pick(&all, driver, Wanted::Local, None) {
            Ok(_) => return Ok(()),
            Err(ClassProblem::Ambiguous(names)) => format!(
                "several local VolumeSnapshotClasses of driver {driver} fit ({}) and none is its default: name one",
                names.join(", ")
            ),
            Err(ClassProblem::NoneOfType) => format!(
                "no local VolumeSnapshotClass of driver {driver}: name one, or have one made: {}",
                class_manifest_command(SnapshotType::Local)
            ),
            // The other problems come of a named class or a cloud snapshot.
            Err(_) => return Ok(()),
        },
    };
    Err(document.problem(field, problem))
}

/// Runs one checked document as the subcommand that takes its kind; its result, rendered, and
/// its error.
async fn apply_one(
    global: &GlobalArgs,
    args: &ApplyArgs,
    namespace: &str,
    document: &Document,
    signals: &mut Signals,
) -> (Rendered, Option<Error>) {
    let global = GlobalArgs {
        namespace: Some(namespace.to_string()),
        ..global.clone()
    };
    let hooks = &document.hooks;
    let pinned = |api: SnapshotApi| ApiArgs {
        api: match api {
            SnapshotApi::Stork => ApiChoice::Stork,
            SnapshotApi::Csi => ApiChoice::Csi,
        },
        release: args.release.clone(),
    };
    match &document.target {
        Target::Snapshot {
            api,
            pvc,
            kind,
            class,
        } => {
            let options = SnapshotOptions {
                name: Some(document.name.clone()),
                no_wait: false,
                force: args.fate.force,
                dry_run: args.fate.dry_run,
                labels: document.labels.clone(),
                keep_failed: args.fate.keep_failed,
                class: class.clone(),
                api: pinned(*api),
            };
            let cloud = matches!(kind, SnapshotKind::Cloud(_));
            let job = SnapJob {
                pvc,
                hooks: crate::pipeline::run::HookOptions {
                    pre: hooks.pre_command.iter().cloned().collect(),
                    post: hooks.post_command.iter().cloned().collect(),
                    pre_rule: hooks.pre_rule.as_ref().map(|r| r.value.clone()),
                    post_rule: hooks.post_rule.as_ref().map(|r| r.value.clone()),
                    ..args.exec.options(args.fate.force)
                },
                kind: kind.clone(),
                timeout: args.timeout.unwrap_or(match cloud {
                    true => CLOUD_TIMEOUT,
                    false => LOCAL_TIMEOUT,
                }),
                options: &options,
                heartbeat: cloud.then_some(HEARTBEAT),
                annotations: document.annotations.clone(),
            };
            settle(snap::run_job(&global, &job, signals).await)
        }
        Target::Group {
            match_labels,
            restore_namespaces,
            max_retries,
            kind,
        } => {
            let cred_id = match kind {
                GroupKind::Cloud { cred_id } => cred_id.clone(),
                GroupKind::Local => None,
            };
            let group_args = GroupSnapArgs {
                selector: selector_text(match_labels),
                hooks: HookArgs {
                    pre: hooks.pre_command.iter().cloned().collect(),
                    hold: Vec::new(),
                    post: hooks.post_command.iter().cloned().collect(),
                    pre_rule: hooks.pre_rule.as_ref().map(|r| r.value.clone()),
                    post_rule: hooks.post_rule.as_ref().map(|r| r.value.clone()),
                    exec: args.exec.clone(),
                },
                name: Some(document.name.clone()),
                restore_namespaces: restore_namespaces.clone(),
                max_retries: *max_retries,
                cloud: matches!(kind, GroupKind::Cloud { .. }),
                cred_id,
                timeout: args.timeout,
                fate: args.fate.clone(),
                group_class: None,
                api: pinned(SnapshotApi::Stork),
            };
            let written = Written {
                labels: document.labels.clone(),
                annotations: document.annotations.clone(),
            };
            settle(group_snap::run_with(&global, &group_args, &written, signals).await)
        }
    }
}

/// A finished document as it prints (its plan, on a dry run) and its error.
fn settle<R: Report>(outcome: Outcome<R>) -> (Rendered, Option<Error>) {
    let rendered = outcome
        .plan
        .unwrap_or_else(|| Rendered::of(&outcome.result));
    (rendered, outcome.error)
}
