//! `pxsnap list`: STORK VolumeSnapshots (or GroupVolumeSnapshots) as a kubectl-style table, or
//! the objects themselves as a `List` document.
//!
//! The list is read in pages and each page is printed as soon as it arrives, so memory follows
//! the page size, not the number of snapshots. Only `--sort-by` holds everything: it cannot print
//! the first row before it has seen the last one.

use std::io::Write;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::cli::{GlobalArgs, ListArgs, OutputFormat, SnapshotTypeFilter, SortBy, StatusFilter};
use crate::duration::age;
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::paged_list::{ListScope, PagedList};
use crate::k8s::resources::{GroupVolumeSnapshot, StorkVolumeSnapshot};
use crate::output::report::StreamingTable;
use crate::output::{kubectl_json, kubectl_yaml};

/// Printed for an empty cell, as kubectl does.
const NONE: &str = "<none>";

/// Lists what the arguments ask for; `None` on success. Output is already written when this
/// returns, also when it fails half-way (the `-o json|yaml` document is then closed, so it still
/// parses, and the error decides the exit code).
pub async fn run(global: &GlobalArgs, args: &ListArgs) -> Option<Error> {
    list(global, args).await.err()
}

async fn list(global: &GlobalArgs, args: &ListArgs) -> Result<()> {
    if let Some(pvc) = &args.pvc {
        crate::k8s::names::check_name("PVC", pvc)?;
    }
    if let Some(selector) = &args.selector {
        crate::k8s::selector::Selector::parse(selector).map(drop)?;
    }
    let cluster = Cluster::connect(&global.target(), args.timeout).await?;
    let scope = ListScope {
        namespace: (!args.all_namespaces).then(|| cluster.namespace.clone()),
        label_selector: args.selector.clone(),
        page_size: args.chunk_size,
    };
    let view = View {
        format: global.output,
        managed_fields: args.show_managed_fields,
        all_namespaces: args.all_namespaces,
        sort_by: args.sort_by,
        filter: Filter {
            pvc: args.pvc.clone(),
            type_: args.type_,
            status: args.status,
        },
        now: jiff::Timestamp::now(),
    };
    let shown = match (args.groups, raw_objects(global.output)) {
        (false, false) => print_list::<StorkVolumeSnapshot, Typed<_>>(&cluster, scope, &view).await,
        (false, true) => print_list::<StorkVolumeSnapshot, Raw>(&cluster, scope, &view).await,
        (true, false) => print_list::<GroupVolumeSnapshot, Typed<_>>(&cluster, scope, &view).await,
        (true, true) => print_list::<GroupVolumeSnapshot, Raw>(&cluster, scope, &view).await,
    }?;
    if shown == 0 {
        let kind = if args.groups {
            "GroupVolumeSnapshots"
        } else {
            "VolumeSnapshots"
        };
        match args.all_namespaces {
            true => crate::stderr_line!("No {kind} found in any namespace."),
            false => crate::stderr_line!("No {kind} found in namespace {:?}.", cluster.namespace),
        }
    }
    Ok(())
}

/// `-o json|yaml` print the objects as the API server returned them, so their text is kept;
/// the other formats only need a few fields and read typed structs.
fn raw_objects(format: OutputFormat) -> bool {
    matches!(format, OutputFormat::Json | OutputFormat::Yaml)
}

/// How to show the list: everything the arguments say besides what to fetch.
struct View {
    format: OutputFormat,
    /// `--show-managed-fields`: json/yaml keep `metadata.managedFields`.
    managed_fields: bool,
    all_namespaces: bool,
    sort_by: Option<SortBy>,
    filter: Filter,
    now: jiff::Timestamp,
}

impl View {
    /// Whether an object's fields must be read before it is shown. `-o json|yaml` with no
    /// filter and no sorting copy the text through without decoding it.
    fn reads_fields(&self) -> bool {
        let filter = &self.filter;
        self.sort_by.is_some()
            || filter.pvc.is_some()
            || filter.type_.is_some()
            || filter.status.is_some()
    }
}

/// Client-side filters (the API cannot select on spec fields or conditions).
struct Filter {
    pvc: Option<String>,
    type_: Option<SnapshotTypeFilter>,
    status: Option<StatusFilter>,
}

/// A kind `list` can show: its columns and how to fill them.
trait Listable: kube::Resource<DynamicType = ()> + DeserializeOwned {
    /// The columns between NAME and AGE.
    const COLUMNS: &'static [&'static str];
    /// The columns `-o wide` adds after AGE.
    const WIDE_COLUMNS: &'static [&'static str];
    fn matches(&self, filter: &Filter) -> bool;
    fn cells(&self) -> Vec<String>;
    fn wide_cells(&self) -> Vec<String>;
}

impl Listable for StorkVolumeSnapshot {
    const COLUMNS: &'static [&'static str] = &["PVC", "TYPE", "STATUS"];
    const WIDE_COLUMNS: &'static [&'static str] =
        &["GROUP", "SNAPSHOT-DATA", "COMPLETED", "MESSAGE"];

    fn matches(&self, filter: &Filter) -> bool {
        filter
            .pvc
            .as_ref()
            .is_none_or(|pvc| *pvc == self.spec.persistent_volume_claim_name)
            && filter.type_.is_none_or(|t| t.label() == shown_type(self))
            && filter
                .status
                .is_none_or(|s| s.label() == self.phase().label())
    }

    fn cells(&self) -> Vec<String> {
        vec![
            or_none(&self.spec.persistent_volume_claim_name),
            shown_type(self).to_string(),
            self.phase().label().to_string(),
        ]
    }

    fn wide_cells(&self) -> Vec<String> {
        vec![
            or_none(self.group_owner().map_or("", |owner| owner.name.as_str())),
            or_none(&self.spec.snapshot_data_name),
            self.ready_at().unwrap_or_else(|| NONE.to_string()),
            or_none(self.last_message().unwrap_or_default()),
        ]
    }
}

/// TYPE: `group` for a snapshot a GroupVolumeSnapshot made (its children carry no type
/// annotation of their own; the group's options hold it), else the annotation.
fn shown_type(snapshot: &StorkVolumeSnapshot) -> &str {
    match snapshot.group_owner() {
        Some(_) => SnapshotTypeFilter::Group.label(),
        None => snapshot.snapshot_type(),
    }
}

impl Listable for GroupVolumeSnapshot {
    const COLUMNS: &'static [&'static str] = &["STAGE", "STATUS", "VOLUMES"];
    const WIDE_COLUMNS: &'static [&'static str] = &["SELECTOR"];

    fn matches(&self, _: &Filter) -> bool {
        // The snapshot filters conflict with --groups on the command line.
        true
    }

    fn cells(&self) -> Vec<String> {
        vec![
            or_none(self.stage()),
            or_none(self.status_text()),
            self.children().len().to_string(),
        ]
    }

    fn wide_cells(&self) -> Vec<String> {
        let labels = &self.spec.pvc_selector.match_labels;
        let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        vec![or_none(&selector.join(","))]
    }
}

fn or_none(value: &str) -> String {
    if value.is_empty() {
        NONE.to_string()
    } else {
        value.to_string()
    }
}

/// How a page item becomes an entry: the typed view decides filters, columns and sort order;
/// for `-o json|yaml` the object's text is kept to be printed as it was sent.
trait Item<K>: DeserializeOwned {
    /// `None` when a filter leaves the object out.
    fn into_entry(self, view: &View) -> Result<Option<Entry>, serde_json::Error>;
}

/// A page item read straight into `K`: nothing else is kept.
#[derive(Deserialize)]
#[serde(transparent)]
struct Typed<K>(K);

impl<K: Listable> Item<K> for Typed<K> {
    fn into_entry(self, view: &View) -> Result<Option<Entry>, serde_json::Error> {
        let Typed(object) = self;
        Ok(object
            .matches(&view.filter)
            .then(|| entry(&object, None, view)))
    }
}

/// A page item as the text the API server sent.
type Raw = Box<RawValue>;

impl<K: Listable> Item<K> for Raw {
    fn into_entry(self, view: &View) -> Result<Option<Entry>, serde_json::Error> {
        if !view.reads_fields() {
            return Ok(Some(Entry {
                namespace: String::new(),
                name: String::new(),
                created: None,
                cells: Vec::new(),
                object: Some(self),
            }));
        }
        let object: K = serde_json::from_str(self.get())?;
        Ok(object
            .matches(&view.filter)
            .then(|| entry(&object, Some(self), view)))
    }
}

/// One object to print: what sorting needs, its table cells, and the object's text for
/// json/yaml. Only the text is filled in when nothing reads the rest (see `View::reads_fields`).
struct Entry {
    namespace: String,
    name: String,
    created: Option<jiff::Timestamp>,
    cells: Vec<String>,
    object: Option<Raw>,
}

fn entry<K: Listable>(object: &K, raw: Option<Raw>, view: &View) -> Entry {
    let meta = object.meta();
    let namespace = meta.namespace.clone().unwrap_or_default();
    let name = meta.name.clone().unwrap_or_default();
    let created = meta.creation_timestamp.as_ref().map(|t| t.0);
    let mut cells = Vec::new();
    if matches!(view.format, OutputFormat::Table | OutputFormat::Wide) {
        if view.all_namespaces {
            cells.push(namespace.clone());
        }
        cells.push(name.clone());
        cells.extend(object.cells());
        cells.push(created.map_or_else(
            || "<unknown>".to_string(),
            |t| age(view.now.duration_since(t).as_secs()),
        ));
        if view.format == OutputFormat::Wide {
            cells.extend(object.wide_cells());
        }
    }
    Entry {
        namespace,
        name,
        created,
        cells,
        object: raw,
    }
}

/// Every item of a `List` carries `apiVersion` and `kind`; the API server leaves them out of
/// list items for some resources, so they are filled in (as kubectl does) when missing.
struct TypeMeta {
    api_version: String,
    kind: String,
}

impl TypeMeta {
    fn of<K: kube::Resource<DynamicType = ()>>() -> TypeMeta {
        TypeMeta {
            api_version: K::api_version(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
        }
    }

    /// In key order, as `kubectl_json::write_indented` wants them.
    fn members(&self) -> [(&str, &str); 2] {
        [("apiVersion", &self.api_version), ("kind", &self.kind)]
    }

    fn fill_in(&self, object: &mut Value) {
        if let Value::Object(map) = object {
            for (key, value) in self.members() {
                map.entry(key)
                    .or_insert_with(|| Value::String(value.to_string()));
            }
        }
    }
}

/// Fetches page after page and prints each, or holds them all when sorting. Returns how many
/// objects were printed.
async fn print_list<K: Listable, T: Item<K>>(
    cluster: &Cluster,
    scope: ListScope,
    view: &View,
) -> Result<usize> {
    let mut pages = PagedList::<K, T>::new(cluster, scope);
    let mut output = Output::start::<K>(view);
    let mut held = Vec::new();
    let mut shown = 0;
    let fetched: Result<()> = async {
        while let Some(page) = pages.next_page().await? {
            let mut entries = Vec::with_capacity(page.len());
            for item in page {
                let shown_entry = item.into_entry(view).map_err(|err| Error::Api {
                    context: format!("read {}", K::plural(&())),
                    message: err.to_string(),
                })?;
                entries.extend(shown_entry);
            }
            shown += entries.len();
            match view.sort_by {
                Some(_) => held.extend(entries),
                None => output.write(&entries),
            }
        }
        Ok(())
    }
    .await;
    if let Some(sort_by) = view.sort_by {
        sort(&mut held, sort_by);
        output.write(&held);
    }
    output.finish();
    fetched.map(|()| shown)
}

fn sort(entries: &mut [Entry], sort_by: SortBy) {
    match sort_by {
        SortBy::Name => {
            entries.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
        }
        // Newest first; equal timestamps (one-second resolution) by name.
        SortBy::Age => entries.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
        }),
    }
}

/// The stdout side of `list`: one of the output formats, written as pages arrive.
///
/// A failed write (a closed pipe, e.g. `| head`) ends the output silently: nobody reads it.
struct Output {
    out: std::io::BufWriter<std::io::Stdout>,
    format: Format,
    type_meta: TypeMeta,
    managed_fields: bool,
    broken: bool,
}

enum Format {
    Table(StreamingTable),
    Names(String),
    /// `-o json`: how many items were written so far (for the separators).
    Json(usize),
    Yaml(usize),
}

impl Output {
    fn start<K: Listable>(view: &View) -> Output {
        let format = match view.format {
            OutputFormat::Table | OutputFormat::Wide => {
                let mut headers = Vec::new();
                if view.all_namespaces {
                    headers.push("NAMESPACE");
                }
                headers.push("NAME");
                headers.extend(K::COLUMNS);
                headers.push("AGE");
                if view.format == OutputFormat::Wide {
                    headers.extend(K::WIDE_COLUMNS);
                }
                Format::Table(StreamingTable::new(headers))
            }
            OutputFormat::Name => {
                Format::Names(format!("{}.{}", K::kind(&()).to_lowercase(), K::group(&())))
            }
            OutputFormat::Json => Format::Json(0),
            OutputFormat::Yaml => Format::Yaml(0),
        };
        Output {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            format,
            type_meta: TypeMeta::of::<K>(),
            managed_fields: view.managed_fields,
            broken: false,
        }
    }

    fn write(&mut self, entries: &[Entry]) {
        let text: Vec<u8> = match &mut self.format {
            Format::Table(_) if entries.is_empty() => return,
            Format::Table(table) => {
                let rows: Vec<&[String]> = entries.iter().map(|e| e.cells.as_slice()).collect();
                table.page(&rows).into_bytes()
            }
            Format::Names(prefix) => entries
                .iter()
                .map(|e| format!("{prefix}/{}\n", e.name))
                .collect::<String>()
                .into_bytes(),
            Format::Json(count) => json_items(entries, count, &self.type_meta, self.managed_fields),
            Format::Yaml(count) => {
                yaml_items(entries, count, &self.type_meta, self.managed_fields).into_bytes()
            }
        };
        self.put(&text);
    }

    /// Closes the `List` document (json/yaml) and flushes.
    fn finish(mut self) {
        let tail = match self.format {
            Format::Table(_) | Format::Names(_) => String::new(),
            Format::Json(count) => format!(
                "{}\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}\n",
                match count {
                    0 => "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],",
                    _ => "\n    ],",
                }
            ),
            Format::Yaml(count) => format!(
                "{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
                if count == 0 {
                    "apiVersion: v1\nitems: []\n"
                } else {
                    ""
                }
            ),
        };
        self.put(tail.as_bytes());
        if !self.broken {
            let _ = self.out.flush();
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if !self.broken && self.out.write_all(bytes).is_err() {
            self.broken = true;
        }
    }
}

/// The `items` of a JSON `List`, as kubectl prints them. The document head is written with
/// the first item.
fn json_items(
    entries: &[Entry],
    count: &mut usize,
    type_meta: &TypeMeta,
    managed_fields: bool,
) -> Vec<u8> {
    let mut text = Vec::new();
    let members = type_meta.members();
    let printed = kubectl_json::Printed {
        defaults: &members,
        managed_fields,
    };
    for object in entries.iter().filter_map(|e| e.object.as_ref()) {
        let mark = text.len();
        text.extend_from_slice(match *count {
            0 => b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        ",
            _ => b",\n        ",
        });
        // Items sit two levels deep: in the List, in its `items`.
        match kubectl_json::write_indented(object.get(), 2, printed, &mut text) {
            Ok(()) => *count += 1,
            Err(_) => text.truncate(mark),
        }
    }
    text
}

/// The `items` of a YAML `List`: each object as a block sequence entry. The document head is
/// written with the first item.
fn yaml_items(
    entries: &[Entry],
    count: &mut usize,
    type_meta: &TypeMeta,
    managed_fields: bool,
) -> String {
    let mut text = String::new();
    for raw in entries.iter().filter_map(|e| e.object.as_ref()) {
        let Ok(mut object) = serde_json::from_str::<Value>(raw.get()) else {
            continue;
        };
        type_meta.fill_in(&mut object);
        if !managed_fields
            && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.remove("managedFields");
        }
        if *count == 0 {
            text.push_str("apiVersion: v1\nitems:\n");
        }
        *count += 1;
        kubectl_yaml::write_sequence_entry(&object, &mut text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(objects: Vec<Value>) -> Vec<Entry> {
        objects
            .into_iter()
            .map(|object| Entry {
                namespace: String::new(),
                name: String::new(),
                created: None,
                cells: Vec::new(),
                object: Some(RawValue::from_string(object.to_string()).expect("JSON")),
            })
            .collect()
    }

    fn type_meta() -> TypeMeta {
        TypeMeta::of::<StorkVolumeSnapshot>()
    }

    #[test]
    fn json_list_pieces_make_one_document() {
        let mut count = 0;
        let mut text = json_items(
            &entries(vec![
                serde_json::json!({"apiVersion": "v9", "kind": "K", "a": 1}),
                serde_json::json!({"b": "x\ny"}),
            ]),
            &mut count,
            &type_meta(),
            false,
        );
        text.extend(json_items(
            &entries(vec![serde_json::json!({"c": []})]),
            &mut count,
            &type_meta(),
            false,
        ));
        assert_eq!(count, 3);
        text.extend_from_slice(b"\n    ],\n    \"kind\": \"List\"}");
        let text = String::from_utf8(text).expect("UTF-8");
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed["items"][1]["b"], "x\ny");
        assert_eq!(parsed["items"][1]["kind"], "VolumeSnapshot");
        assert_eq!(parsed["items"].as_array().map(Vec::len), Some(3));
        assert!(
            text.contains(
                "\n        {\n            \"a\": 1,\n            \"apiVersion\": \"v9\",\n            \"kind\": \"K\"\n        },\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn yaml_list_pieces_make_one_document() {
        let mut count = 0;
        let mut text = yaml_items(
            &entries(vec![
                serde_json::json!({"metadata": {"name": "a", "labels": {"x": "1"}}}),
                serde_json::json!({"message": "line one\nline two", "list": [1, 2]}),
            ]),
            &mut count,
            &type_meta(),
            false,
        );
        text.push_str("kind: List\n");
        let parsed: Value = serde_norway::from_str(&text).expect("valid YAML");
        assert_eq!(parsed["items"][0]["metadata"]["labels"]["x"], "1");
        assert_eq!(parsed["items"][1]["message"], "line one\nline two");
        assert_eq!(parsed["items"][1]["list"][1], 2);
        assert_eq!(
            parsed["items"][0]["apiVersion"],
            "volumesnapshot.external-storage.k8s.io/v1"
        );
    }

    #[test]
    fn age_sort_is_newest_first_then_by_name() {
        let at = |s: &str| Some(s.parse::<jiff::Timestamp>().expect("timestamp"));
        let entry = |name: &str, created| Entry {
            namespace: "ns".into(),
            name: name.into(),
            created,
            cells: Vec::new(),
            object: None,
        };
        let mut list = vec![
            entry("old", at("2025-01-01T00:00:00Z")),
            entry("b-new", at("2025-03-01T00:00:00Z")),
            entry("a-new", at("2025-03-01T00:00:00Z")),
        ];
        sort(&mut list, SortBy::Age);
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a-new", "b-new", "old"]);
        sort(&mut list, SortBy::Name);
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a-new", "b-new", "old"]);
    }
}
