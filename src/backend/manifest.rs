//! The snapshot manifests people already have (Portworx's documentation, STORK's), read for
//! `pxsnap apply`: what to run around the snapshot, and the object to create.
//!
//! The keys that ask for commands (`px/pre-snap-command`, the Rule annotations, a group's
//! `preExecRule`) come off the object: pxsnap runs them itself, with its guarantees, and STORK
//! must not run a Rule a second time. The object records what pxsnap ran under `pxsnap/`
//! annotations and is otherwise the document as written. Everything is checked here, before
//! anything runs, and a problem names the document and the field.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::group::GroupKind;
use super::snapshot_api::SnapshotApi;
use super::stork::{CloudOptions, SnapshotKind};
use crate::error::{Error, Result};
use crate::k8s::csi_resources::CSI_SNAPSHOT_GROUP_VERSION;
use crate::k8s::names::{
    check_label_key, check_label_value, parse_namespace_name, parse_object_name,
};
use crate::k8s::resources::{
    CLOUD_CRED_ANNOTATION, GROUP_SNAPSHOT_KIND, MANAGED_BY_LABEL, MANAGED_BY_VALUE,
    SNAPSHOT_TYPE_ANNOTATION, STORK_GROUP_VERSION, STORK_SNAPSHOT_GROUP_VERSION,
};

/// The command Portworx's documentation puts on a snapshot; no STORK release reads it.
pub const PRE_COMMAND: &str = "px/pre-snap-command";
pub const POST_COMMAND: &str = "px/post-snap-command";
/// STORK's Rule annotations, the current key first: it wins over the deprecated one in STORK.
const PRE_RULE: [&str; 2] = [
    "stork.libopenstorage.org/pre-snapshot-rule",
    "stork.rule/pre-snapshot",
];
const POST_RULE: [&str; 2] = [
    "stork.libopenstorage.org/post-snapshot-rule",
    "stork.rule/post-snapshot",
];
/// pxsnap's own annotations; a document's are dropped (a re-applied `kubectl get -o yaml`).
const PXSNAP_PREFIX: &str = "pxsnap/";
/// The legacy annotation group snapshot, which Portworx refuses since 2.0.2.
const LEGACY_GROUP_PREFIX: &str = "portworx.selector/";
const INCREMENTAL_COUNT: &str = "portworx.io/cloudsnap-incremental-count";
const DELETE_LOCAL: &str = "portworx.io/cloudsnap-delete-local-snap";

/// Where pxsnap records what it ran for a document.
pub mod record {
    pub const PRE_COMMAND: &str = "pxsnap/pre-snap-command";
    pub const POST_COMMAND: &str = "pxsnap/post-snap-command";
    pub const PRE_RULE: &str = "pxsnap/pre-snapshot-rule";
    pub const POST_RULE: &str = "pxsnap/post-snapshot-rule";
}

/// One document, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Where it came from: `snap.yaml, document 2`.
    pub origin: String,
    pub name: String,
    /// `metadata.namespace`, if the document says.
    pub namespace: Option<String>,
    pub labels: Vec<(String, String)>,
    /// The document's annotations without the keys pxsnap runs, with its record of them.
    pub annotations: BTreeMap<String, String>,
    pub hooks: Hooks,
    pub target: Target,
}

/// What a document asks to run around its snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hooks {
    pub pre_command: Option<String>,
    pub post_command: Option<String>,
    pub pre_rule: Option<Field>,
    pub post_rule: Option<Field>,
}

/// A value and the field it was read from, for messages about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub field: String,
}

/// What the document snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A VolumeSnapshot of one PVC, through the API its `apiVersion` names.
    Snapshot {
        api: SnapshotApi,
        pvc: String,
        /// STORK's from its annotations; a CSI snapshot's from its class, once read.
        kind: SnapshotKind,
        /// `spec.volumeSnapshotClassName` (CSI).
        class: Option<String>,
    },
    /// STORK's GroupVolumeSnapshot.
    Group {
        match_labels: Vec<(String, String)>,
        restore_namespaces: Vec<String>,
        max_retries: u32,
        kind: GroupKind,
    },
}

impl Document {
    /// `snap.yaml, document 2 (VolumeSnapshot "x")`.
    pub fn describe(&self) -> String {
        describe(&self.origin, self.kind(), &self.name)
    }

    pub fn kind(&self) -> &'static str {
        match self.target {
            Target::Snapshot { .. } => "VolumeSnapshot",
            Target::Group { .. } => GROUP_SNAPSHOT_KIND,
        }
    }

    /// The field that names what is snapshotted.
    pub fn source_field(&self) -> &'static str {
        match &self.target {
            Target::Snapshot {
                api: SnapshotApi::Stork,
                ..
            } => "spec.persistentVolumeClaimName",
            Target::Snapshot {
                api: SnapshotApi::Csi,
                ..
            } => "spec.source.persistentVolumeClaimName",
            Target::Group { .. } => "spec.pvcSelector.matchLabels",
        }
    }

    /// A usage error about this document's `field`.
    pub fn problem(&self, field: &str, problem: impl std::fmt::Display) -> Error {
        Error::Usage(format!("{}: {field}: {problem}", self.describe()))
    }
}

fn describe(origin: &str, kind: &str, name: &str) -> String {
    format!("{origin} ({kind} {name:?})")
}

/// Reads every document of `text` (YAML or JSON, `---`-separated, `kind: List` expanded);
/// `source` names the file in messages. Empty documents are skipped.
pub fn parse(source: &str, text: &str) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    for (index, deserializer) in serde_norway::Deserializer::from_str(text).enumerate() {
        let origin = format!("{source}, document {}", index + 1);
        let value = Value::deserialize(deserializer).map_err(|err| {
            Error::Usage(format!(
                "{source} does not parse: {err}; fix the YAML or JSON"
            ))
        })?;
        match value {
            Value::Null => {}
            Value::Object(object) if kind_of(&object) == "List" => {
                let items = match object.get("items") {
                    Some(Value::Array(items)) => items.clone(),
                    None | Some(Value::Null) => Vec::new(),
                    Some(_) => {
                        return Err(Error::Usage(format!("{origin}: items is not a list")));
                    }
                };
                for (item, value) in items.into_iter().enumerate() {
                    documents.push(document(&format!("{origin}, item {}", item + 1), value)?);
                }
            }
            other => documents.push(document(&origin, other)?),
        }
    }
    Ok(documents)
}

fn kind_of(object: &Map<String, Value>) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// One document, which must be an object of a kind pxsnap applies.
fn document(origin: &str, value: Value) -> Result<Document> {
    let Value::Object(object) = value else {
        return Err(Error::Usage(format!(
            "{origin}: not an object; each document must be a VolumeSnapshot or GroupVolumeSnapshot"
        )));
    };
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = kind_of(&object);
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let fail =
        |problem: String| Error::Usage(format!("{}: {problem}", describe(origin, kind, &name)));
    let read = match (api_version, kind) {
        (STORK_SNAPSHOT_GROUP_VERSION, "VolumeSnapshot") => stork_snapshot(&object),
        (CSI_SNAPSHOT_GROUP_VERSION, "VolumeSnapshot") => csi_snapshot(&object),
        (STORK_GROUP_VERSION, GROUP_SNAPSHOT_KIND) => group(&object),
        (_, "VolumeSnapshot") => {
            return Err(fail(format!(
                "apiVersion {api_version:?} is not one pxsnap applies: use {STORK_SNAPSHOT_GROUP_VERSION} (STORK) or {CSI_SNAPSHOT_GROUP_VERSION} (CSI)"
            )));
        }
        (_, GROUP_SNAPSHOT_KIND) => {
            return Err(fail(format!(
                "apiVersion {api_version:?} is not one pxsnap applies: use {STORK_GROUP_VERSION}"
            )));
        }
        ("", "") => {
            return Err(Error::Usage(format!(
                "{origin}: apiVersion and kind are missing; each document must be a VolumeSnapshot or GroupVolumeSnapshot"
            )));
        }
        _ => {
            return Err(fail(format!(
                "kind {kind} ({api_version}) is not one pxsnap applies: only VolumeSnapshot ({STORK_SNAPSHOT_GROUP_VERSION} or {CSI_SNAPSHOT_GROUP_VERSION}) and GroupVolumeSnapshot ({STORK_GROUP_VERSION}); apply other objects with kubectl"
            )));
        }
    };
    let (target, spec_rules) = read.map_err(&fail)?;
    let meta = metadata(&object, &target).map_err(&fail)?;
    let mut hooks = meta.hooks;
    hooks.pre_rule = one_rule(hooks.pre_rule.into_iter().chain(spec_rules.pre)).map_err(&fail)?;
    hooks.post_rule =
        one_rule(hooks.post_rule.into_iter().chain(spec_rules.post)).map_err(&fail)?;
    let mut annotations = meta.annotations;
    let recorded = [
        (record::PRE_COMMAND, hooks.pre_command.as_ref()),
        (record::POST_COMMAND, hooks.post_command.as_ref()),
        (record::PRE_RULE, hooks.pre_rule.as_ref().map(|r| &r.value)),
        (
            record::POST_RULE,
            hooks.post_rule.as_ref().map(|r| &r.value),
        ),
    ];
    for (key, value) in recorded {
        if let Some(value) = value {
            annotations.insert(key.to_string(), value.clone());
        }
    }
    Ok(Document {
        origin: origin.to_string(),
        name,
        namespace: meta.namespace,
        labels: meta.labels,
        annotations,
        hooks,
        target,
    })
}

/// A group's `preExecRule` and `postExecRule`.
#[derive(Default)]
struct SpecRules {
    pre: Option<Field>,
    post: Option<Field>,
}

/// The Rule several fields name: they must agree (STORK lets one key win silently; a user who
/// wrote two different Rules cannot have meant that).
fn one_rule(named: impl Iterator<Item = Field>) -> Result<Option<Field>, String> {
    let named: Vec<Field> = named.collect();
    match named.iter().find(|f| f.value != named[0].value) {
        Some(other) => Err(format!(
            "{} names Rule {:?} but {} names {:?}; keep one",
            named[0].field, named[0].value, other.field, other.value
        )),
        None => Ok(named.into_iter().next()),
    }
}

/// The members of `object` must all be `known` ones: a misspelt field would be dropped, and the
/// snapshot taken without what it asked for.
fn only_known(object: &Map<String, Value>, at: &str, known: &[&str]) -> Result<(), String> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!(
            "unknown field {at}{key}; pxsnap reads {}",
            known
                .iter()
                .map(|k| format!("{at}{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => Ok(()),
    }
}

/// The top level: `status` (a `kubectl get -o yaml` copy) is what the server writes, ignored.
fn top_level(object: &Map<String, Value>) -> Result<&Map<String, Value>, String> {
    only_known(
        object,
        "",
        &["apiVersion", "kind", "metadata", "spec", "status"],
    )?;
    match object.get("spec") {
        Some(Value::Object(spec)) => Ok(spec),
        None | Some(Value::Null) => Err("spec is missing".to_string()),
        Some(_) => Err("spec is not an object".to_string()),
    }
}

fn string<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{at}{key} is not a string")),
    }
}

fn required_name(
    object: &Map<String, Value>,
    key: &str,
    at: &str,
    what: &str,
) -> Result<String, String> {
    let value =
        string(object, key, at)?.ok_or_else(|| format!("{at}{key} is missing: name the {what}"))?;
    parse_object_name(value).map_err(|reason| format!("{at}{key}: {reason}"))
}

/// The PVC a new snapshot is of, from `source` (at `at`). The `existing` field would import
/// data already taken (`(field, what it names)`): refused, pxsnap takes new snapshots.
fn pvc_of(
    source: &Map<String, Value>,
    at: &str,
    (existing, what): (&str, &str),
) -> Result<String, String> {
    only_known(source, at, &["persistentVolumeClaimName", existing])?;
    if string(source, existing, at)?.is_some() {
        return Err(format!(
            "{at}{existing} names {what}: pxsnap apply takes new snapshots (import it with kubectl apply)"
        ));
    }
    required_name(source, "persistentVolumeClaimName", at, "PVC to snapshot")
}

fn stork_snapshot(object: &Map<String, Value>) -> Result<(Target, SpecRules), String> {
    let mut spec = top_level(object)?.clone();
    // A copy of a snapshot STORK took (`kubectl get -o yaml`) carries the data STORK bound it
    // to; a new snapshot gets its own.
    if is_copy(object) {
        spec.remove("snapshotDataName");
    }
    let pvc = pvc_of(
        &spec,
        "spec.",
        ("snapshotDataName", "existing snapshot data"),
    )?;
    let target = Target::Snapshot {
        api: SnapshotApi::Stork,
        pvc,
        kind: stork_kind(annotations_of(object)?)?,
        class: None,
    };
    Ok((target, SpecRules::default()))
}

fn csi_snapshot(object: &Map<String, Value>) -> Result<(Target, SpecRules), String> {
    let spec = top_level(object)?;
    only_known(spec, "spec.", &["source", "volumeSnapshotClassName"])?;
    let source = match spec.get("source") {
        Some(Value::Object(source)) => source,
        _ => {
            return Err(
                "spec.source is missing: name the PVC in spec.source.persistentVolumeClaimName"
                    .to_string(),
            );
        }
    };
    let pvc = pvc_of(
        source,
        "spec.source.",
        (
            "volumeSnapshotContentName",
            "an existing VolumeSnapshotContent",
        ),
    )?;
    let class = string(spec, "volumeSnapshotClassName", "spec.")?
        .map(|class| {
            parse_object_name(class)
                .map_err(|reason| format!("spec.volumeSnapshotClassName: {reason}"))
        })
        .transpose()?;
    let target = Target::Snapshot {
        api: SnapshotApi::Csi,
        pvc,
        kind: SnapshotKind::Local,
        class,
    };
    Ok((target, SpecRules::default()))
}

fn group(object: &Map<String, Value>) -> Result<(Target, SpecRules), String> {
    let spec = top_level(object)?;
    only_known(
        spec,
        "spec.",
        &[
            "pvcSelector",
            "preExecRule",
            "postExecRule",
            "restoreNamespaces",
            "maxRetries",
            "options",
        ],
    )?;
    let selector = match spec.get("pvcSelector") {
        Some(Value::Object(selector)) => selector,
        _ => {
            return Err(
                "spec.pvcSelector.matchLabels is missing: select the PVCs by label".to_string(),
            );
        }
    };
    if selector
        .get("matchExpressions")
        .is_some_and(|e| !e.is_null() && e.as_array().is_none_or(|e| !e.is_empty()))
    {
        return Err(
            "spec.pvcSelector.matchExpressions: STORK's GroupVolumeSnapshot supports only matchLabels"
                .to_string(),
        );
    }
    only_known(
        selector,
        "spec.pvcSelector.",
        &["matchLabels", "matchExpressions"],
    )?;
    let match_labels = string_map(selector.get("matchLabels"), "spec.pvcSelector.matchLabels")?;
    if match_labels.is_empty() {
        return Err(
            "spec.pvcSelector.matchLabels is missing: select the PVCs by label".to_string(),
        );
    }
    for (key, value) in &match_labels {
        check_label_key(key)
            .and_then(|_| check_label_value(value))
            .map_err(|reason| format!("spec.pvcSelector.matchLabels: {reason}"))?;
    }
    let restore_namespaces = match spec.get("restoreNamespaces") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|ns| ns.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or("spec.restoreNamespaces is not a list of strings")?,
        Some(_) => return Err("spec.restoreNamespaces is not a list of strings".to_string()),
    };
    let max_retries = match spec.get("maxRetries") {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("spec.maxRetries is not a whole number of 0 or more")?,
    };
    let options = string_map(spec.get("options"), "spec.options")?;
    if let Some(key) = options
        .keys()
        .find(|k| ![SNAPSHOT_TYPE_ANNOTATION, CLOUD_CRED_ANNOTATION].contains(&k.as_str()))
    {
        return Err(format!(
            "spec.options[{key:?}] is not read for group snapshots: Portworx reads only {SNAPSHOT_TYPE_ANNOTATION} and {CLOUD_CRED_ANNOTATION} there"
        ));
    }
    let cred_id = options.get(CLOUD_CRED_ANNOTATION).cloned();
    let kind = match options.get(SNAPSHOT_TYPE_ANNOTATION).map(String::as_str) {
        None | Some("local") if cred_id.is_none() => GroupKind::Local,
        None | Some("local") => {
            return Err(format!(
                "spec.options[{CLOUD_CRED_ANNOTATION:?}] is for a cloud group: add {SNAPSHOT_TYPE_ANNOTATION}: cloud"
            ));
        }
        Some("cloud") => GroupKind::Cloud { cred_id },
        Some(other) => {
            return Err(format!(
                "spec.options[{SNAPSHOT_TYPE_ANNOTATION:?}] is {other:?}: use local or cloud"
            ));
        }
    };
    let rule = |key: &str| -> Result<Option<Field>, String> {
        string(spec, key, "spec.")?
            .map(|name| {
                parse_object_name(name)
                    .map(|value| Field {
                        value,
                        field: format!("spec.{key}"),
                    })
                    .map_err(|reason| format!("spec.{key}: {reason}"))
            })
            .transpose()
    };
    let rules = SpecRules {
        pre: rule("preExecRule")?,
        post: rule("postExecRule")?,
    };
    let target = Target::Group {
        match_labels: match_labels.into_iter().collect(),
        restore_namespaces,
        max_retries,
        kind,
    };
    Ok((target, rules))
}

/// A map of strings, as labels and annotations are: a YAML number or boolean left unquoted is
/// refused, as the API server refuses it.
fn string_map(value: Option<&Value>, at: &str) -> Result<BTreeMap<String, String>, String> {
    let object = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(format!("{at} is not a map")),
    };
    object
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key.clone(), s.clone())),
            other => Err(format!("{at}[{key:?}] is {other}, not a string: quote it")),
        })
        .collect()
}

fn annotations_of(object: &Map<String, Value>) -> Result<BTreeMap<String, String>, String> {
    string_map(
        object.get("metadata").and_then(|m| m.get("annotations")),
        "metadata.annotations",
    )
}

/// STORK's VolumeSnapshot options, as its annotations carry them.
fn stork_kind(annotations: BTreeMap<String, String>) -> Result<SnapshotKind, String> {
    let at = |key: &str| format!("metadata.annotations[{key:?}]");
    let cloud = CloudOptions {
        cred_id: annotations.get(CLOUD_CRED_ANNOTATION).cloned(),
        incremental_count: annotations
            .get(INCREMENTAL_COUNT)
            .map(|n| {
                n.parse::<u32>().map_err(|_| {
                    format!(
                        "{} is {n:?}: use a whole number of 0 or more",
                        at(INCREMENTAL_COUNT)
                    )
                })
            })
            .transpose()?,
        delete_local: match annotations.get(DELETE_LOCAL).map(String::as_str) {
            None => false,
            // Go's strconv.ParseBool, as Portworx reads it.
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => true,
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => false,
            Some(other) => {
                return Err(format!(
                    "{} is {other:?}: use true or false",
                    at(DELETE_LOCAL)
                ));
            }
        },
    };
    match annotations
        .get(SNAPSHOT_TYPE_ANNOTATION)
        .map(String::as_str)
    {
        Some("cloud") => Ok(SnapshotKind::Cloud(cloud)),
        None | Some("local") if cloud == CloudOptions::default() => Ok(SnapshotKind::Local),
        None | Some("local") => Err(format!(
            "the cloud snapshot annotations need {}: cloud",
            at(SNAPSHOT_TYPE_ANNOTATION)
        )),
        Some(other) => Err(format!(
            "{} is {other:?}: use local or cloud",
            at(SNAPSHOT_TYPE_ANNOTATION)
        )),
    }
}

/// What `metadata` says, checked.
struct Meta {
    namespace: Option<String>,
    labels: Vec<(String, String)>,
    annotations: BTreeMap<String, String>,
    hooks: Hooks,
}

/// Metadata that the API server or a controller wrote on a copied object (`kubectl get -o
/// yaml`); dropped: the new object gets its own.
const SERVER_WRITTEN: &[&str] = &[
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "finalizers",
    "ownerReferences",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// kubectl's record of what it last applied: on a copy it quotes the original's annotations,
/// hook keys included, so it is not carried over.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether `object` is a copy of one the API server holds: it carries what only the server
/// writes.
fn is_copy(object: &Map<String, Value>) -> bool {
    let meta = object.get("metadata");
    object.get("status").is_some_and(|s| !s.is_null())
        || ["uid", "resourceVersion"]
            .iter()
            .any(|key| meta.and_then(|m| m.get(*key)).is_some_and(|v| !v.is_null()))
}

fn metadata(object: &Map<String, Value>, target: &Target) -> Result<Meta, String> {
    let meta = match object.get("metadata") {
        Some(Value::Object(meta)) => meta,
        _ => return Err("metadata.name is missing: name the snapshot".to_string()),
    };
    if string(meta, "generateName", "metadata.")?.is_some() && !meta.contains_key("name") {
        return Err(
            "metadata.generateName: pxsnap apply needs metadata.name (pxsnap snap names a snapshot after its PVC and the time)"
                .to_string(),
        );
    }
    let known: Vec<&str> = ["name", "namespace", "labels", "annotations", "generateName"]
        .into_iter()
        .chain(SERVER_WRITTEN.iter().copied())
        .collect();
    only_known(meta, "metadata.", &known)?;
    required_name(meta, "name", "metadata.", "snapshot")?;
    let namespace = string(meta, "namespace", "metadata.")?
        .map(|ns| {
            parse_namespace_name(ns).map_err(|reason| format!("metadata.namespace: {reason}"))
        })
        .transpose()?;
    let mut labels = Vec::new();
    for (key, value) in string_map(meta.get("labels"), "metadata.labels")? {
        check_label_key(&key)
            .and_then(|_| check_label_value(&value))
            .map_err(|reason| format!("metadata.labels: {reason}"))?;
        match (key == MANAGED_BY_LABEL, value == MANAGED_BY_VALUE) {
            // pxsnap adds it to every object it makes.
            (true, true) => {}
            (true, false) => {
                return Err(format!(
                    "metadata.labels[{MANAGED_BY_LABEL:?}] is {value:?}: pxsnap marks the objects it makes with {MANAGED_BY_VALUE:?} there; drop the label"
                ));
            }
            (false, _) => labels.push((key, value)),
        }
    }
    let mut annotations = BTreeMap::new();
    let mut hooks = Hooks::default();
    let mut pre_rules = Vec::new();
    let mut post_rules = Vec::new();
    for (key, value) in string_map(meta.get("annotations"), "metadata.annotations")? {
        let at = format!("metadata.annotations[{key:?}]");
        check_label_key(&key).map_err(|_| {
            format!("{at}: not a valid annotation key ([prefix/]name, name up to 63 letters, digits, '-', '_', '.')")
        })?;
        if key.starts_with(LEGACY_GROUP_PREFIX) {
            return Err(format!(
                "{at}: annotation group snapshots were removed in Portworx 2.0.2; use a GroupVolumeSnapshot (or pxsnap group-snap)"
            ));
        }
        let command = |value: String| match value.trim().is_empty() {
            true => Err(format!("{at}: the command is empty")),
            false => Ok(Some(value)),
        };
        let rule = |value: String| {
            parse_object_name(&value)
                .map(|value| Field {
                    value,
                    field: at.clone(),
                })
                .map_err(|reason| format!("{at}: {reason}"))
        };
        match key.as_str() {
            PRE_COMMAND => hooks.pre_command = command(value)?,
            POST_COMMAND => hooks.post_command = command(value)?,
            k if PRE_RULE.contains(&k) => pre_rules.push(rule(value)?),
            k if POST_RULE.contains(&k) => post_rules.push(rule(value)?),
            k if k.starts_with(PXSNAP_PREFIX) || k == LAST_APPLIED => {}
            SNAPSHOT_TYPE_ANNOTATION | CLOUD_CRED_ANNOTATION | INCREMENTAL_COUNT | DELETE_LOCAL => {
                match target {
                    // Rebuilt from the snapshot's kind (`stork::build`).
                    Target::Snapshot {
                        api: SnapshotApi::Stork,
                        ..
                    } => {}
                    Target::Snapshot {
                        api: SnapshotApi::Csi,
                        ..
                    } => {
                        return Err(format!(
                            "{at} is read only by STORK's VolumeSnapshot; a CSI snapshot's class (spec.volumeSnapshotClassName) says local or cloud and which credential"
                        ));
                    }
                    Target::Group { .. } => {
                        return Err(format!(
                            "{at} is not read on a group: its spec.options say local or cloud ({SNAPSHOT_TYPE_ANNOTATION}) and which credential ({CLOUD_CRED_ANNOTATION})"
                        ));
                    }
                }
            }
            _ => {
                annotations.insert(key, value);
            }
        }
    }
    // The current key first, as STORK reads it; `one_rule` refuses two different names.
    let by_key = |rules: Vec<Field>, keys: [&str; 2]| {
        let mut rules = rules;
        rules.sort_by_key(|r| !r.field.contains(keys[0]));
        one_rule(rules.into_iter())
    };
    hooks.pre_rule = by_key(pre_rules, PRE_RULE)?;
    hooks.post_rule = by_key(post_rules, POST_RULE)?;
    Ok(Meta {
        namespace,
        labels,
        annotations,
        hooks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Document> {
        let mut docs = parse("f.yaml", text)?;
        assert_eq!(docs.len(), 1, "{docs:?}");
        Ok(docs.remove(0))
    }

    fn refused(text: &str) -> String {
        match one(text) {
            Err(Error::Usage(message)) => message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    /// The manifest of Portworx's documentation, as README shows it.
    const PORTWORX_DOC: &str = include_str!("../../docs/examples/cassandra-snapshot.yaml");

    #[test]
    fn the_portworx_documentation_manifest_reads_as_written() {
        let doc = one(PORTWORX_DOC).expect("reads");
        assert_eq!(doc.name, "cassandra-snapshot");
        assert_eq!(doc.namespace, None);
        assert_eq!(doc.hooks.pre_command.as_deref(), Some("nodetool flush"));
        assert_eq!(
            doc.target,
            Target::Snapshot {
                api: SnapshotApi::Stork,
                pvc: "cassandra-data".into(),
                kind: SnapshotKind::Local,
                class: None,
            }
        );
        assert_eq!(
            doc.annotations,
            BTreeMap::from([(
                record::PRE_COMMAND.to_string(),
                "nodetool flush".to_string()
            )]),
            "the command is recorded, not left for anyone to run again"
        );
        assert_eq!(
            doc.describe(),
            "f.yaml, document 1 (VolumeSnapshot \"cassandra-snapshot\")"
        );
    }

    #[test]
    fn rule_keys_old_and_new_agree_or_are_refused() {
        let with = |annotations: &str| {
            format!(
                "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: s\n  annotations:\n{annotations}\nspec:\n  source:\n    persistentVolumeClaimName: d\n"
            )
        };
        let doc = one(&with(
            "    stork.rule/pre-snapshot: r1\n    stork.libopenstorage.org/pre-snapshot-rule: r1\n    stork.rule/post-snapshot: r2\n    team: dba",
        ))
        .expect("reads");
        let pre = doc.hooks.pre_rule.expect("pre rule");
        assert_eq!(pre.value, "r1");
        assert!(pre.field.contains("stork.libopenstorage.org"), "{pre:?}");
        assert_eq!(doc.hooks.post_rule.map(|r| r.value).as_deref(), Some("r2"));
        assert_eq!(doc.annotations.get("team").map(String::as_str), Some("dba"));
        assert_eq!(
            doc.annotations.get(record::PRE_RULE).map(String::as_str),
            Some("r1")
        );
        assert!(!doc.annotations.keys().any(|k| k.starts_with("stork")));
        let message = refused(&with(
            "    stork.rule/pre-snapshot: r1\n    stork.libopenstorage.org/pre-snapshot-rule: r2",
        ));
        assert!(
            message.contains("names Rule \"r2\"") && message.contains("\"r1\""),
            "{message}"
        );
    }

    #[test]
    fn stork_cloud_options_become_the_kind() {
        let doc = one(
            "apiVersion: volumesnapshot.external-storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: s\n  annotations:\n    portworx/snapshot-type: cloud\n    portworx/cloud-cred-id: c1\n    portworx.io/cloudsnap-incremental-count: \"0\"\n    stork.libopenstorage.org/snapshot-restore-namespaces: prod\nspec:\n  persistentVolumeClaimName: d\n",
        )
        .expect("reads");
        let Target::Snapshot { kind, .. } = &doc.target else {
            panic!("a snapshot")
        };
        assert_eq!(
            kind,
            &SnapshotKind::Cloud(CloudOptions {
                cred_id: Some("c1".into()),
                incremental_count: Some(0),
                delete_local: false,
            })
        );
        assert_eq!(
            doc.annotations.keys().collect::<Vec<_>>(),
            ["stork.libopenstorage.org/snapshot-restore-namespaces"]
        );
    }

    #[test]
    fn a_group_reads_its_rules_options_and_selector() {
        let doc = one(
            "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: GroupVolumeSnapshot\nmetadata:\n  name: g\n  namespace: db\nspec:\n  preExecRule: pre\n  postExecRule: post\n  pvcSelector:\n    matchLabels:\n      app: cassandra\n  restoreNamespaces: [staging]\n  maxRetries: 2\n  options:\n    portworx/snapshot-type: cloud\n",
        )
        .expect("reads");
        assert_eq!(doc.namespace.as_deref(), Some("db"));
        assert_eq!(
            doc.hooks.pre_rule.map(|r| r.field).as_deref(),
            Some("spec.preExecRule")
        );
        assert_eq!(
            doc.target,
            Target::Group {
                match_labels: vec![("app".into(), "cassandra".into())],
                restore_namespaces: vec!["staging".into()],
                max_retries: 2,
                kind: GroupKind::Cloud { cred_id: None },
            }
        );
        assert_eq!(
            doc.annotations.get(record::POST_RULE).map(String::as_str),
            Some("post")
        );
    }

    #[test]
    fn several_documents_and_lists_in_order_empty_ones_skipped() {
        let text = format!(
            "---\n{PORTWORX_DOC}---\n---\n{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{}]}}\n",
            serde_json::to_string(&serde_norway::from_str::<Value>(PORTWORX_DOC).expect("yaml"))
                .expect("json")
        );
        let docs = parse("f.yaml", &text).expect("reads");
        let origins: Vec<&str> = docs.iter().map(|d| d.origin.as_str()).collect();
        assert_eq!(
            origins,
            ["f.yaml, document 1", "f.yaml, document 3, item 1"]
        );
    }

    #[test]
    fn bad_documents_name_the_document_and_the_field() {
        let cases: &[(&str, &str)] = &[
            ("a: [", "f.yaml does not parse"),
            ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n", "document 1 (ConfigMap \"c\"): kind ConfigMap (v1) is not one pxsnap applies"),
            ("apiVersion: snapshot.storage.k8s.io/v1beta1\nkind: VolumeSnapshot\nmetadata:\n  name: s\n", "apiVersion \"snapshot.storage.k8s.io/v1beta1\""),
            ("- 1\n", "not an object"),
            (&PORTWORX_DOC.replace("\"nodetool flush\"", "\" \""), "metadata.annotations[\"px/pre-snap-command\"]: the command is empty"),
            (&PORTWORX_DOC.replace("px/pre-snap-command: \"nodetool flush\"", "portworx.io/cloudsnap-incremental-count: 7"), "is 7, not a string: quote it"),
            (&PORTWORX_DOC.replace("px/pre-snap-command: \"nodetool flush\"", "portworx/snapshot-type: remote"), "is \"remote\": use local or cloud"),
            (&PORTWORX_DOC.replace("px/pre-snap-command: \"nodetool flush\"", "portworx.selector/app: x"), "removed in Portworx 2.0.2"),
            (&PORTWORX_DOC.replace("px/pre-snap-command: \"nodetool flush\"", "stork.rule/pre-snapshot: Bad_Rule"), "\"Bad_Rule\" is not a valid object name"),
            (&PORTWORX_DOC.replace("persistentVolumeClaimName: cassandra-data", "persistentVolumeClaim: cassandra-data"), "unknown field spec.persistentVolumeClaim"),
            (&PORTWORX_DOC.replace("  name: cassandra-snapshot\n", "  generateName: snap-\n"), "metadata.generateName: pxsnap apply needs metadata.name"),
            (&PORTWORX_DOC.replace("  name: cassandra-snapshot\n", "  name: cassandra-snapshot\n  labels:\n    app.kubernetes.io/managed-by: helm\n"), "drop the label"),
            ("apiVersion: stork.libopenstorage.org/v1alpha1\nkind: GroupVolumeSnapshot\nmetadata:\n  name: g\nspec:\n  pvcSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [a]}\n", "supports only matchLabels"),
            ("apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: s\n  annotations:\n    portworx/snapshot-type: cloud\nspec:\n  source:\n    persistentVolumeClaimName: d\n", "read only by STORK's VolumeSnapshot"),
        ];
        for (text, needle) in cases {
            let message = match parse("f.yaml", text) {
                Err(Error::Usage(message)) => message,
                other => panic!("{text}: expected a usage error, got {other:?}"),
            };
            assert!(message.contains(needle), "{text}\n=> {message}");
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn a_copy_from_kubectl_get_is_applied_without_what_the_server_wrote() {
        let doc = one(
            "apiVersion: volumesnapshot.external-storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: s\n  uid: 1\n  resourceVersion: \"7\"\n  finalizers: [stork.libopenstorage.org/finalizer-cleanup]\n  ownerReferences: []\n  annotations:\n    pxsnap/run-id: abc\n    pxsnap/pre-snap-command: old\n    kubectl.kubernetes.io/last-applied-configuration: '{\"metadata\":{\"annotations\":{\"px/pre-snap-command\":\"x\"}}}'\nspec:\n  persistentVolumeClaimName: d\n  snapshotDataName: k8s-volume-snapshot-1\nstatus:\n  conditions: []\n",
        )
        .expect("reads");
        assert!(doc.annotations.is_empty(), "{:?}", doc.annotations);
        assert_eq!(doc.hooks, Hooks::default());
        // Not a copy: the data named is someone's to import.
        let message = refused(
            "apiVersion: volumesnapshot.external-storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: s\nspec:\n  persistentVolumeClaimName: d\n  snapshotDataName: k8s-volume-snapshot-1\n",
        );
        assert!(
            message.contains("spec.snapshotDataName names existing snapshot data"),
            "{message}"
        );
    }

    #[test]
    fn a_groups_type_is_its_options_not_annotations_and_namespaces_are_labels() {
        let group = |annotation: &str| {
            format!(
                "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: GroupVolumeSnapshot\nmetadata:\n  name: g\n  annotations:\n    {annotation}\nspec:\n  pvcSelector:\n    matchLabels:\n      app: a\n"
            )
        };
        let message = refused(&group("portworx/snapshot-type: cloud"));
        assert!(
            message.contains("is not read on a group: its spec.options say local or cloud"),
            "{message}"
        );
        let message = refused(&PORTWORX_DOC.replace(
            "  name: cassandra-snapshot\n",
            "  name: cassandra-snapshot\n  namespace: db.prod\n",
        ));
        assert!(
            message.contains("metadata.namespace: \"db.prod\" is not a valid namespace name"),
            "{message}"
        );
    }
}
