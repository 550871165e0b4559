//! `pxsnap list`: VolumeSnapshots of STORK's API and CSI's (or the group snapshots of both) as a
//! kubectl-style table, or the objects themselves as a `List` document.
//!
//! The list is read in pages and each page is printed as soon as it arrives, so memory follows
//! the page size, not the number of snapshots. Only `--sort-by` holds everything: it cannot print
//! the first row before it has seen the last one.

use std::collections::BTreeMap;
use std::io::Write;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::backend::csi_classes::{self, DefaultClass, PortworxClasses, SnapshotType};
use crate::backend::csi_group::GroupApi;
use crate::backend::listed::{self, GroupKind};
use crate::backend::retention::{csi_phase, progress_phase};
use crate::backend::snapshot_api::PORTWORX_CSI_DRIVERS;
use crate::backend::snapshot_api::SnapshotApi;
use crate::cli::{
    ApiFilter, GlobalArgs, ListArgs, OutputFormat, SnapshotTypeFilter, SortBy, StatusFilter,
};
use crate::duration::age;
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{
    CsiGroupSnapshot, CsiProgress, CsiVolumeSnapshot, GroupVersion, V1beta1, V1beta2,
};
use crate::k8s::paged_list::{ListScope, PagedList};
use crate::k8s::resources::{GroupVolumeSnapshot, SnapshotPhase, StorkVolumeSnapshot};
use crate::k8s::served::ServedApis;
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
    let kinds = kinds(&cluster, args).await?;
    let scope = ListScope {
        namespace: (!args.all_namespaces).then(|| cluster.namespace.clone()),
        label_selector: args.selector.clone(),
        page_size: args.chunk_size,
    };
    let mut view = View {
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
        csi_classes: PortworxClasses::default(),
        csi_members: BTreeMap::new(),
    };
    if kinds.contains(&Kind::CsiSnapshot) && view.shows_types() {
        view.csi_classes = csi_classes_for_types(&cluster).await?;
    }
    let csi_groups = kinds.iter().any(|k| matches!(k, Kind::CsiGroup(_)));
    if csi_groups && !raw_objects(view.format) {
        view.csi_members = csi_member_counts(&cluster, &scope).await?;
    }
    let shown = print_list(&cluster, &kinds, &scope, &view).await?;
    if shown == 0 {
        let mut kinds: Vec<&str> = kinds.iter().map(|kind| kind.plural_name()).collect();
        kinds.dedup();
        let kind = kinds.join(" or ");
        match args.all_namespaces {
            true => crate::stderr_line!("No {kind} found in any namespace."),
            false => crate::stderr_line!("No {kind} found in namespace {:?}.", cluster.namespace),
        }
    }
    Ok(())
}

/// An object kind `list` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    StorkSnapshot,
    CsiSnapshot,
    StorkGroup,
    CsiGroup(GroupApi),
}

impl Kind {
    /// How the line saying none were found names the kind.
    fn plural_name(self) -> &'static str {
        match self {
            Kind::StorkSnapshot | Kind::CsiSnapshot => "VolumeSnapshots",
            Kind::StorkGroup => "GroupVolumeSnapshots",
            Kind::CsiGroup(_) => "VolumeGroupSnapshots",
        }
    }
}

/// The kinds to read, in the order they are printed: the snapshot (or group snapshot) APIs the
/// cluster serves (one discovery call), narrowed by `--api`.
async fn kinds(cluster: &Cluster, args: &ListArgs) -> Result<Vec<Kind>> {
    let served = ServedApis::discover(cluster).await?;
    if args.groups {
        let kinds = listed::group_kinds(&served, args.api.map(snapshot_api))?;
        return Ok(kinds
            .into_iter()
            .map(|kind| match kind {
                GroupKind::Csi(api) => Kind::CsiGroup(api),
                GroupKind::Stork => Kind::StorkGroup,
            })
            .collect());
    }
    let apis = listed::snapshot_apis(&served, args.api.map(snapshot_api))?;
    Ok(apis
        .into_iter()
        .map(|api| match api {
            SnapshotApi::Csi => Kind::CsiSnapshot,
            SnapshotApi::Stork => Kind::StorkSnapshot,
        })
        .collect())
}

/// `--api` as the API it names.
pub fn snapshot_api(filter: ApiFilter) -> SnapshotApi {
    match filter {
        ApiFilter::Csi => SnapshotApi::Csi,
        ApiFilter::Stork => SnapshotApi::Stork,
    }
}

/// The VolumeSnapshotClasses that tell a CSI snapshot's TYPE (local or cloud). Not being
/// allowed to read them costs only that column: a `note:` says so and TYPE shows `<unknown>`.
async fn csi_classes_for_types(cluster: &Cluster) -> Result<PortworxClasses> {
    match csi_classes::list(cluster).await {
        Ok(all) => Ok(PortworxClasses::from_classes(&all.unwrap_or_default())),
        Err(Error::Forbidden { .. }) => {
            crate::stderr_line!(
                "note: listing volumesnapshotclasses.snapshot.storage.k8s.io is forbidden, so the TYPE of CSI snapshots shows {UNKNOWN}"
            );
            Ok(PortworxClasses::default())
        }
        Err(err) => Err(err),
    }
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
    /// Where a CSI snapshot's TYPE comes from: its class's snapshot type.
    csi_classes: PortworxClasses,
    /// How many member snapshots each VolumeGroupSnapshot (by uid) owns: its VOLUMES.
    csi_members: BTreeMap<String, usize>,
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

    /// Whether TYPE is shown or filtered on.
    fn shows_types(&self) -> bool {
        self.filter.type_.is_some() || !raw_objects(self.format)
    }
}

/// Client-side filters (the API cannot select on spec fields or conditions).
struct Filter {
    pvc: Option<String>,
    type_: Option<SnapshotTypeFilter>,
    status: Option<StatusFilter>,
}

impl Filter {
    /// Whether a snapshot of `pvc`, shown with `type_` and `phase`, passes.
    fn accepts(&self, pvc: &str, type_: &str, phase: &SnapshotPhase) -> bool {
        self.pvc.as_ref().is_none_or(|wanted| wanted == pvc)
            && self.type_.is_none_or(|t| t.label() == type_)
            && self.status.is_none_or(|s| s.label() == phase.label())
    }
}

/// A kind `list` can show: whether the filters pass it, and its cells.
trait Listable: kube::Resource<DynamicType = ()> + DeserializeOwned {
    fn matches(&self, view: &View) -> bool;
    fn cells(&self, view: &View) -> Vec<String>;
    fn wide_cells(&self) -> Vec<String>;
}

/// The columns of a VolumeSnapshot, whichever API holds it: kinds listed together share them.
const SNAPSHOT_COLUMNS: &[&str] = &["PVC", "API", "TYPE", "STATUS"];
const SNAPSHOT_WIDE_COLUMNS: &[&str] = &["GROUP", "SNAPSHOT-DATA", "COMPLETED", "MESSAGE"];

impl Listable for StorkVolumeSnapshot {
    fn matches(&self, view: &View) -> bool {
        view.filter.accepts(
            &self.spec.persistent_volume_claim_name,
            shown_type(self),
            &self.phase(),
        )
    }

    fn cells(&self, _: &View) -> Vec<String> {
        vec![
            or_none(&self.spec.persistent_volume_claim_name),
            SnapshotApi::Stork.name().to_string(),
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

/// The kind of the CSI group snapshot, as its members' ownerReferences name it.
const CSI_GROUP_KIND: &str = "VolumeGroupSnapshot";
/// TYPE of a CSI snapshot whose class pxsnap cannot read or find.
const UNKNOWN: &str = "<unknown>";

impl Listable for CsiVolumeSnapshot {
    fn matches(&self, view: &View) -> bool {
        view.filter.accepts(
            self.pvc().unwrap_or_default(),
            csi_type(self, &view.csi_classes),
            &csi_phase(self),
        )
    }

    fn cells(&self, view: &View) -> Vec<String> {
        vec![
            or_none(self.pvc().unwrap_or_default()),
            SnapshotApi::Csi.name().to_string(),
            csi_type(self, &view.csi_classes).to_string(),
            csi_phase(self).label().to_string(),
        ]
    }

    fn wide_cells(&self) -> Vec<String> {
        let status = self.status.as_ref();
        let completed = match self.progress() {
            CsiProgress::Ready { cut_at } => cut_at,
            _ => None,
        };
        let message = match csi_phase(self) {
            SnapshotPhase::Error(message) | SnapshotPhase::Pending(Some(message)) => message,
            SnapshotPhase::Ready | SnapshotPhase::Pending(None) => String::new(),
        };
        vec![
            or_none(csi_group_owner(self).unwrap_or_default()),
            or_none(
                status
                    .and_then(|s| s.bound_volume_snapshot_content_name.as_deref())
                    .unwrap_or_default(),
            ),
            completed.unwrap_or_else(|| NONE.to_string()),
            or_none(&message),
        ]
    }
}

/// The VolumeGroupSnapshot that made a CSI snapshot, if any.
fn csi_group_owner(snapshot: &CsiVolumeSnapshot) -> Option<&str> {
    csi_group_reference(snapshot).map(|owner| owner.name.as_str())
}

fn csi_group_owner_uid(snapshot: &CsiVolumeSnapshot) -> Option<&str> {
    csi_group_reference(snapshot).map(|owner| owner.uid.as_str())
}

fn csi_group_reference(snapshot: &CsiVolumeSnapshot) -> Option<&OwnerReference> {
    let owners = snapshot.metadata.owner_references.as_ref()?;
    owners.iter().find(|owner| owner.kind == CSI_GROUP_KIND)
}

/// TYPE of a CSI snapshot: `group` for a group's member, else the snapshot type of its class
/// (the Portworx drivers' default class when it names none, as the snapshot-controller picks).
fn csi_type<'a>(snapshot: &CsiVolumeSnapshot, classes: &'a PortworxClasses) -> &'a str {
    if csi_group_owner(snapshot).is_some() {
        return SnapshotTypeFilter::Group.label();
    }
    let class = match snapshot.spec.volume_snapshot_class_name.as_deref() {
        Some(name) => classes.classes.iter().find(|c| c.name == name),
        None => PORTWORX_CSI_DRIVERS
            .iter()
            .find_map(|driver| match classes.default_for(driver) {
                DefaultClass::One(class) => Some(class),
                DefaultClass::Missing | DefaultClass::Several(_) => None,
            }),
    };
    match class.map(|c| c.snapshot_type) {
        Some(SnapshotType::Local) => SnapshotTypeFilter::Local.label(),
        Some(SnapshotType::Cloud) => SnapshotTypeFilter::Cloud.label(),
        None => UNKNOWN,
    }
}

/// The columns of a group snapshot, whichever API holds it: API is the group kind.
const GROUP_COLUMNS: &[&str] = &["API", "STAGE", "STATUS", "VOLUMES"];
const GROUP_WIDE_COLUMNS: &[&str] = &["SELECTOR"];

impl Listable for GroupVolumeSnapshot {
    fn matches(&self, _: &View) -> bool {
        // The snapshot filters conflict with --groups on the command line.
        true
    }

    fn cells(&self, _: &View) -> Vec<String> {
        vec![
            GroupKind::Stork.kind().to_string(),
            or_none(self.stage()),
            or_none(self.status_text()),
            self.children().len().to_string(),
        ]
    }

    fn wide_cells(&self) -> Vec<String> {
        selector_cell(&self.spec.pvc_selector.match_labels)
    }
}

fn selector_cell(labels: &BTreeMap<String, String>) -> Vec<String> {
    let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    vec![or_none(&selector.join(","))]
}

/// CSI's group snapshot has no stages: STAGE stays empty, STATUS reads as a CSI snapshot's, and
/// VOLUMES counts the member snapshots it owns.
impl<V: GroupVersion> Listable for CsiGroupSnapshot<V> {
    fn matches(&self, _: &View) -> bool {
        true
    }

    fn cells(&self, view: &View) -> Vec<String> {
        let uid = self.metadata.uid.as_deref().unwrap_or_default();
        vec![
            CSI_GROUP_KIND.to_string(),
            NONE.to_string(),
            progress_phase(self.progress()).label().to_string(),
            view.csi_members
                .get(uid)
                .copied()
                .unwrap_or_default()
                .to_string(),
        ]
    }

    fn wide_cells(&self) -> Vec<String> {
        let selector = self.spec.source.selector.as_ref();
        let labels = selector.and_then(|s| s.match_labels.clone());
        selector_cell(&labels.unwrap_or_default())
    }
}

/// How many member snapshots each VolumeGroupSnapshot in `scope` owns, by its uid: one list of
/// the CSI snapshots (members carry none of their group's labels, so the selector is not used).
async fn csi_member_counts(
    cluster: &Cluster,
    scope: &ListScope,
) -> Result<BTreeMap<String, usize>> {
    let scope = ListScope {
        label_selector: None,
        ..scope.clone()
    };
    let members = PagedList::<CsiVolumeSnapshot, CsiVolumeSnapshot>::new(cluster, scope)
        .collect_matching(|snapshot| csi_group_owner_uid(snapshot).is_some())
        .await?;
    let mut counts = BTreeMap::new();
    for uid in members.iter().filter_map(csi_group_owner_uid) {
        *counts.entry(uid.to_string()).or_default() += 1;
    }
    Ok(counts)
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
    /// `None` when a filter leaves the object out. `kind` is the object's index in the
    /// output's kinds.
    fn into_entry(self, view: &View, kind: usize) -> Result<Option<Entry>, serde_json::Error>;
}

/// A page item read straight into `K`: nothing else is kept.
#[derive(Deserialize)]
#[serde(transparent)]
struct Typed<K>(K);

impl<K: Listable> Item<K> for Typed<K> {
    fn into_entry(self, view: &View, kind: usize) -> Result<Option<Entry>, serde_json::Error> {
        let Typed(object) = self;
        Ok(object
            .matches(view)
            .then(|| entry(&object, None, view, kind)))
    }
}

/// A page item as the text the API server sent.
type Raw = Box<RawValue>;

impl<K: Listable> Item<K> for Raw {
    fn into_entry(self, view: &View, kind: usize) -> Result<Option<Entry>, serde_json::Error> {
        if !view.reads_fields() {
            return Ok(Some(Entry {
                kind,
                namespace: String::new(),
                name: String::new(),
                created: None,
                cells: Vec::new(),
                object: Some(self),
            }));
        }
        let object: K = serde_json::from_str(self.get())?;
        Ok(object
            .matches(view)
            .then(|| entry(&object, Some(self), view, kind)))
    }
}

/// One object to print: what sorting needs, its table cells, and the object's text for
/// json/yaml. Only the text is filled in when nothing reads the rest (see `View::reads_fields`).
struct Entry {
    /// Index of its kind in [`Output`]'s kinds: its `-o name` prefix, its `apiVersion`.
    kind: usize,
    namespace: String,
    name: String,
    created: Option<jiff::Timestamp>,
    cells: Vec<String>,
    object: Option<Raw>,
}

fn entry<K: Listable>(object: &K, raw: Option<Raw>, view: &View, kind: usize) -> Entry {
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
        cells.extend(object.cells(view));
        cells.push(created.map_or_else(
            || "<unknown>".to_string(),
            |t| age(view.now.duration_since(t).as_secs()),
        ));
        if view.format == OutputFormat::Wide {
            cells.extend(object.wide_cells());
        }
    }
    Entry {
        kind,
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

/// What the output needs to know of a kind: its type for json/yaml items, its `-o name` prefix.
struct KindMeta {
    type_meta: TypeMeta,
    /// `kind.group`, as kubectl's `-o name` prints it.
    resource: String,
}

impl KindMeta {
    fn of<K: kube::Resource<DynamicType = ()>>() -> KindMeta {
        KindMeta {
            type_meta: TypeMeta::of::<K>(),
            resource: format!("{}.{}", K::kind(&()).to_lowercase(), K::group(&())),
        }
    }
}

/// Reads each kind in turn into one output: one table, one `List`. Returns how many objects
/// were printed. The output is closed also when a read fails half-way.
async fn print_list(
    cluster: &Cluster,
    kinds: &[Kind],
    scope: &ListScope,
    view: &View,
) -> Result<usize> {
    let metas = kinds.iter().map(|kind| match kind {
        Kind::StorkSnapshot => KindMeta::of::<StorkVolumeSnapshot>(),
        Kind::CsiSnapshot => KindMeta::of::<CsiVolumeSnapshot>(),
        Kind::StorkGroup => KindMeta::of::<GroupVolumeSnapshot>(),
        Kind::CsiGroup(GroupApi::V1beta2) => KindMeta::of::<CsiGroupSnapshot<V1beta2>>(),
        Kind::CsiGroup(GroupApi::V1beta1) => KindMeta::of::<CsiGroupSnapshot<V1beta1>>(),
    });
    let (columns, wide_columns) = match kinds.first() {
        Some(Kind::StorkGroup | Kind::CsiGroup(_)) => (GROUP_COLUMNS, GROUP_WIDE_COLUMNS),
        _ => (SNAPSHOT_COLUMNS, SNAPSHOT_WIDE_COLUMNS),
    };
    let mut output = Output::start(view, columns, wide_columns, metas.collect());
    let mut held = Vec::new();
    let mut shown = 0;
    let mut fetched = Ok(());
    for (index, kind) in kinds.iter().enumerate() {
        let mut reader = Reader {
            cluster,
            scope: scope.clone(),
            view,
            kind: index,
            output: &mut output,
            held: &mut held,
        };
        let read = match (kind, raw_objects(view.format)) {
            (Kind::StorkSnapshot, false) => reader.read::<StorkVolumeSnapshot, Typed<_>>().await,
            (Kind::StorkSnapshot, true) => reader.read::<StorkVolumeSnapshot, Raw>().await,
            (Kind::CsiSnapshot, false) => reader.read::<CsiVolumeSnapshot, Typed<_>>().await,
            (Kind::CsiSnapshot, true) => reader.read::<CsiVolumeSnapshot, Raw>().await,
            (Kind::StorkGroup, false) => reader.read::<GroupVolumeSnapshot, Typed<_>>().await,
            (Kind::StorkGroup, true) => reader.read::<GroupVolumeSnapshot, Raw>().await,
            (Kind::CsiGroup(api), raw) => reader.read_csi_group(*api, raw).await,
        };
        match read {
            Ok(count) => shown += count,
            Err(err) => {
                fetched = Err(err);
                break;
            }
        }
    }
    if let Some(sort_by) = view.sort_by {
        sort(&mut held, sort_by);
        output.write(&held);
    }
    output.finish();
    fetched.map(|()| shown)
}

/// One kind's pages into the shared output (or held, when sorting).
struct Reader<'a> {
    cluster: &'a Cluster,
    scope: ListScope,
    view: &'a View,
    kind: usize,
    output: &'a mut Output,
    held: &'a mut Vec<Entry>,
}

impl Reader<'_> {
    /// Fetches page after page and prints each, or holds them when sorting. Returns how many
    /// objects it found.
    async fn read<K: Listable, T: Item<K>>(&mut self) -> Result<usize> {
        let mut pages = PagedList::<K, T>::new(self.cluster, self.scope.clone());
        let mut shown = 0;
        while let Some(page) = pages.next_page().await? {
            let mut entries = Vec::with_capacity(page.len());
            for item in page {
                let shown_entry =
                    item.into_entry(self.view, self.kind)
                        .map_err(|err| Error::Api {
                            context: format!("read {}", K::plural(&())),
                            message: err.to_string(),
                        })?;
                entries.extend(shown_entry);
            }
            shown += entries.len();
            match self.view.sort_by {
                Some(_) => self.held.extend(entries),
                None => self.output.write(&entries),
            }
        }
        Ok(shown)
    }
}

impl Reader<'_> {
    /// A VolumeGroupSnapshot in its served version: typed, or as text for `-o json|yaml`.
    async fn read_csi_group(&mut self, api: GroupApi, raw: bool) -> Result<usize> {
        match (api, raw) {
            (GroupApi::V1beta2, false) => self.read::<CsiGroupSnapshot<V1beta2>, Typed<_>>().await,
            (GroupApi::V1beta2, true) => self.read::<CsiGroupSnapshot<V1beta2>, Raw>().await,
            (GroupApi::V1beta1, false) => self.read::<CsiGroupSnapshot<V1beta1>, Typed<_>>().await,
            (GroupApi::V1beta1, true) => self.read::<CsiGroupSnapshot<V1beta1>, Raw>().await,
        }
    }
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
    kinds: Vec<KindMeta>,
    managed_fields: bool,
    broken: bool,
}

enum Format {
    Table(StreamingTable),
    Names,
    /// `-o json`: how many items were written so far (for the separators).
    Json(usize),
    Yaml(usize),
}

impl Output {
    fn start(
        view: &View,
        columns: &'static [&'static str],
        wide_columns: &'static [&'static str],
        kinds: Vec<KindMeta>,
    ) -> Output {
        let format = match view.format {
            OutputFormat::Table | OutputFormat::Wide => {
                let mut headers = Vec::new();
                if view.all_namespaces {
                    headers.push("NAMESPACE");
                }
                headers.push("NAME");
                headers.extend(columns);
                headers.push("AGE");
                if view.format == OutputFormat::Wide {
                    headers.extend(wide_columns);
                }
                Format::Table(StreamingTable::new(headers))
            }
            OutputFormat::Name => Format::Names,
            OutputFormat::Json => Format::Json(0),
            OutputFormat::Yaml => Format::Yaml(0),
        };
        Output {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            format,
            kinds,
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
            Format::Names => entries
                .iter()
                .map(|e| format!("{}/{}\n", self.kinds[e.kind].resource, e.name))
                .collect::<String>()
                .into_bytes(),
            Format::Json(count) => json_items(entries, count, &self.kinds, self.managed_fields),
            Format::Yaml(count) => {
                yaml_items(entries, count, &self.kinds, self.managed_fields).into_bytes()
            }
        };
        self.put(&text);
    }

    /// Closes the `List` document (json/yaml) and flushes.
    fn finish(mut self) {
        let tail = match self.format {
            Format::Table(_) | Format::Names => String::new(),
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
    kinds: &[KindMeta],
    managed_fields: bool,
) -> Vec<u8> {
    let mut text = Vec::new();
    let members: Vec<[(&str, &str); 2]> = kinds.iter().map(|k| k.type_meta.members()).collect();
    for (kind, object) in entries
        .iter()
        .filter_map(|e| e.object.as_ref().map(|object| (e.kind, object)))
    {
        let printed = kubectl_json::Printed {
            defaults: &members[kind],
            managed_fields,
        };
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
    kinds: &[KindMeta],
    managed_fields: bool,
) -> String {
    let mut text = String::new();
    for (kind, raw) in entries
        .iter()
        .filter_map(|e| e.object.as_ref().map(|object| (e.kind, object)))
    {
        let Ok(mut object) = serde_json::from_str::<Value>(raw.get()) else {
            continue;
        };
        kinds[kind].type_meta.fill_in(&mut object);
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
                kind: 0,
                namespace: String::new(),
                name: String::new(),
                created: None,
                cells: Vec::new(),
                object: Some(RawValue::from_string(object.to_string()).expect("JSON")),
            })
            .collect()
    }

    fn kinds() -> Vec<KindMeta> {
        vec![KindMeta::of::<StorkVolumeSnapshot>()]
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
            &kinds(),
            false,
        );
        text.extend(json_items(
            &entries(vec![serde_json::json!({"c": []})]),
            &mut count,
            &kinds(),
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
            &kinds(),
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
            kind: 0,
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
