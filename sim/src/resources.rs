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
    /// Older versions that serve the same objects (`version` is the preferred and storage
    /// one): a CRD served in several versions, where only `apiVersion` tells them apart.
    pub older_versions: &'static [&'static str],
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

    /// Whether `version` of the group serves this resource.
    pub fn serves(&self, version: &str) -> bool {
        self.version == version || self.older_versions.contains(&version)
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
/// The CSI group snapshot group (external-snapshotter 8.3+: v1beta2, v1beta1 still served).
pub const CSI_GROUP: &str = "groupsnapshot.storage.k8s.io";
/// The versions of [`CSI_GROUP`] before the preferred `v1beta2`.
const CSI_GROUP_OLDER: &[&str] = &["v1beta1"];

macro_rules! res {
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, ns=$ns:expr, short=$short:expr, cat=$cat:expr, status=$st:expr, custom=$custom:expr) => {
        res!(
            $g,
            $v,
            $plural,
            $singular,
            $kind,
            ns = $ns,
            short = $short,
            cat = $cat,
            status = $st,
            custom = $custom,
            older = &[]
        )
    };
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, ns=$ns:expr, short=$short:expr, cat=$cat:expr, status=$st:expr, custom=$custom:expr, older=$older:expr) => {
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
            older_versions: $older,
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
    res!(
        CSI_GROUP,
        "v1beta2",
        "volumegroupsnapshots",
        "volumegroupsnapshot",
        "VolumeGroupSnapshot",
        ns = true,
        short = &["vgs"],
        cat = &[],
        status = true,
        custom = true,
        older = CSI_GROUP_OLDER
    ),
    res!(
        CSI_GROUP,
        "v1beta2",
        "volumegroupsnapshotclasses",
        "volumegroupsnapshotclass",
        "VolumeGroupSnapshotClass",
        ns = false,
        short = &["vgsclass", "vgsclasses"],
        cat = &[],
        status = false,
        custom = true,
        older = CSI_GROUP_OLDER
    ),
    res!(
        CSI_GROUP,
        "v1beta2",
        "volumegroupsnapshotcontents",
        "volumegroupsnapshotcontent",
        "VolumeGroupSnapshotContent",
        ns = false,
        short = &["vgsc", "vgscs"],
        cat = &[],
        status = true,
        custom = true,
        older = CSI_GROUP_OLDER
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
    pub const CSI_GROUP_SNAPSHOTS: ResId = 16;
    pub const CSI_GROUP_SNAPSHOTCLASSES: ResId = 17;
    pub const CSI_GROUP_SNAPSHOTCONTENTS: ResId = 18;
}

/// The definition behind an id. Ids only come from this module, so the index is valid.
pub fn def(id: ResId) -> &'static ResourceDef {
    &RESOURCES[id]
}

/// Find a resource by its URL coordinates (any version that serves it).
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<ResId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.serves(version) && r.plural == plural)
}

/// The group/version pairs served, in discovery order (core first, then groups; within a
/// group the preferred version first).
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for r in RESOURCES {
        for v in std::iter::once(&r.version).chain(r.older_versions) {
            if !out.contains(&(r.group, v)) {
                out.push((r.group, v));
            }
        }
    }
    out
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
        for v in ["v1beta2", "v1beta1"] {
            assert_eq!(
                lookup(CSI_GROUP, v, "volumegroupsnapshots"),
                Some(id::CSI_GROUP_SNAPSHOTS)
            );
        }
        assert_eq!(lookup(CSI_GROUP, "v1alpha1", "volumegroupsnapshots"), None);
        assert_eq!(
            def(id::CSI_GROUP_SNAPSHOTCONTENTS).plural,
            "volumegroupsnapshotcontents"
        );
        assert_eq!(
            group_versions()
                .into_iter()
                .filter(|(g, _)| *g == CSI_GROUP)
                .collect::<Vec<_>>(),
            [(CSI_GROUP, "v1beta2"), (CSI_GROUP, "v1beta1")]
        );
    }
}
