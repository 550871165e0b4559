//! The fixed table of API resources the simulator serves.
//!
//! Everything that depends on "what kind of thing is this URL segment" (discovery,
//! routing, scope checks, status subresources, patch strategies, error wording)
//! reads this one table, so the answers can never disagree with each other.

/// Index into [`RESOURCES`]; cheap to copy and to use as a map key.
pub type ResId = usize;

/// One resource as discovery describes it.
#[derive(Debug)]
pub struct ResourceDef {
    /// API group; empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// URL segment (plural, lower case).
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Whether a `/status` subresource exists (PUT/PATCH on the main resource then
    /// leave `status` alone, and `/status` touches only `status`).
    pub status_subresource: bool,
    /// Custom resources: no strategic merge patch, resourceVersion required on PUT.
    pub custom: bool,
}

impl ResourceDef {
    /// `group/version`, or just `version` for the core group, as `apiVersion` spells it.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group` (or `plural` for core), the qualified name used in error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const CORE: &str = "";
const STORAGE: &str = "storage.k8s.io";
/// STORK's external-storage snapshot group.
pub const EXT: &str = "volumesnapshot.external-storage.k8s.io";
/// STORK's own group (rules, group snapshots, restores).
pub const STORK: &str = "stork.libopenstorage.org";
/// The CSI snapshot group.
pub const CSI: &str = "snapshot.storage.k8s.io";

macro_rules! res {
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, ns=$ns:expr, short=$short:expr, cat=$cat:expr, status=$st:expr, custom=$custom:expr) => {
        ResourceDef {
            group: $g,
            version: $v,
            plural: $plural,
            singular: $singular,
            kind: $kind,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            status_subresource: $st,
            custom: $custom,
        }
    };
}

/// Every resource served. Order matters only for discovery output.
pub static RESOURCES: &[ResourceDef] = &[
    res!(
        CORE,
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        ns = false,
        short = &["ns"],
        cat = &[],
        status = true,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "pods",
        "pod",
        "Pod",
        ns = true,
        short = &["po"],
        cat = &["all"],
        status = true,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        ns = true,
        short = &["pvc"],
        cat = &[],
        status = true,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        ns = false,
        short = &["pv"],
        cat = &[],
        status = true,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "events",
        "event",
        "Event",
        ns = true,
        short = &["ev"],
        cat = &[],
        status = false,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "secrets",
        "secret",
        "Secret",
        ns = true,
        short = &[],
        cat = &[],
        status = false,
        custom = false
    ),
    res!(
        CORE,
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        ns = true,
        short = &["cm"],
        cat = &[],
        status = false,
        custom = false
    ),
    res!(
        STORAGE,
        "v1",
        "storageclasses",
        "storageclass",
        "StorageClass",
        ns = false,
        short = &["sc"],
        cat = &[],
        status = false,
        custom = false
    ),
    res!(
        EXT,
        "v1",
        "volumesnapshots",
        "volumesnapshot",
        "VolumeSnapshot",
        ns = true,
        short = &["svs", "stork-volumesnapshot", "stork-volumesnapshots"],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        EXT,
        "v1",
        "volumesnapshotdatas",
        "volumesnapshotdata",
        "VolumeSnapshotData",
        ns = false,
        short = &[
            "svsd",
            "stork-volumesnapshotdata",
            "stork-volumesnapshotdatas"
        ],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        STORK,
        "v1alpha1",
        "rules",
        "rule",
        "Rule",
        ns = true,
        short = &[],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        STORK,
        "v1alpha1",
        "groupvolumesnapshots",
        "groupvolumesnapshot",
        "GroupVolumeSnapshot",
        ns = true,
        short = &[],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        STORK,
        "v1alpha1",
        "volumesnapshotrestores",
        "volumesnapshotrestore",
        "VolumeSnapshotRestore",
        ns = true,
        short = &[],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        CSI,
        "v1",
        "volumesnapshots",
        "volumesnapshot",
        "VolumeSnapshot",
        ns = true,
        short = &["vs"],
        cat = &[],
        status = true,
        custom = true
    ),
    res!(
        CSI,
        "v1",
        "volumesnapshotclasses",
        "volumesnapshotclass",
        "VolumeSnapshotClass",
        ns = false,
        short = &["vsclass", "vsclasses"],
        cat = &[],
        status = false,
        custom = true
    ),
    res!(
        CSI,
        "v1",
        "volumesnapshotcontents",
        "volumesnapshotcontent",
        "VolumeSnapshotContent",
        ns = false,
        short = &["vsc", "vscs"],
        cat = &[],
        status = true,
        custom = true
    ),
];

/// Well-known ids, so controllers need no string look-ups.
pub mod id {
    use super::ResId;
    pub const NAMESPACES: ResId = 0;
    pub const PODS: ResId = 1;
    pub const PVCS: ResId = 2;
    pub const PVS: ResId = 3;
    pub const EVENTS: ResId = 4;
    pub const SECRETS: ResId = 5;
    pub const CONFIGMAPS: ResId = 6;
    pub const STORAGECLASSES: ResId = 7;
    pub const EXT_SNAPSHOTS: ResId = 8;
    pub const EXT_SNAPSHOTDATAS: ResId = 9;
    pub const RULES: ResId = 10;
    pub const GROUP_SNAPSHOTS: ResId = 11;
    pub const SNAPSHOT_RESTORES: ResId = 12;
    pub const CSI_SNAPSHOTS: ResId = 13;
    pub const CSI_SNAPSHOTCLASSES: ResId = 14;
    pub const CSI_SNAPSHOTCONTENTS: ResId = 15;
}

/// The definition behind an id. Ids only come from this module, so the index is valid.
pub fn def(id: ResId) -> &'static ResourceDef {
    &RESOURCES[id]
}

/// Find a resource by its URL coordinates.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<ResId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The group/version pairs served, in discovery order (core first, then groups).
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// Whether a group/version is served at all.
pub fn group_version_exists(group: &str, version: &str) -> bool {
    RESOURCES
        .iter()
        .any(|r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_table() {
        assert_eq!(def(id::PODS).plural, "pods");
        assert_eq!(def(id::SECRETS).plural, "secrets");
        assert_eq!(def(id::CONFIGMAPS).plural, "configmaps");
        assert_eq!(def(id::STORAGECLASSES).plural, "storageclasses");
        assert_eq!(def(id::EXT_SNAPSHOTS).group, EXT);
        assert_eq!(def(id::CSI_SNAPSHOTS).group, CSI);
        assert_eq!(
            def(id::CSI_SNAPSHOTCONTENTS).plural,
            "volumesnapshotcontents"
        );
        assert_eq!(def(id::SNAPSHOT_RESTORES).plural, "volumesnapshotrestores");
        assert_eq!(
            lookup(EXT, "v1", "volumesnapshotdatas"),
            Some(id::EXT_SNAPSHOTDATAS)
        );
    }
}
