//! Every API permission pxsnap uses, which subcommand needs it and why: the one table that
//! `pxsnap doctor` checks with SelfSubjectAccessReviews and that `tests/rbac.rs` holds the
//! manifests in `rbac/` to, so the check and the manifests cannot drift apart.

use serde::Serialize;

/// A pxsnap subcommand that talks to a cluster (what `doctor --for` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subcommand {
    Snap,
    CloudSnap,
    GroupSnap,
    Clone,
    List,
    Delete,
}

impl Subcommand {
    pub const ALL: [Subcommand; 6] = [
        Subcommand::Snap,
        Subcommand::CloudSnap,
        Subcommand::GroupSnap,
        Subcommand::Clone,
        Subcommand::List,
        Subcommand::Delete,
    ];

    /// The name the command line spells it with.
    pub fn name(self) -> &'static str {
        match self {
            Subcommand::Snap => "snap",
            Subcommand::CloudSnap => "cloud-snap",
            Subcommand::GroupSnap => "group-snap",
            Subcommand::Clone => "clone",
            Subcommand::List => "list",
            Subcommand::Delete => "delete",
        }
    }

    pub fn from_name(name: &str) -> Option<Subcommand> {
        Subcommand::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What `doctor --for NAME` checks: the subcommand, or for `apply` the ones it runs each
    /// document as, which is all it asks of the cluster.
    pub fn covered_by(name: &str) -> Option<Vec<Subcommand>> {
        match name {
            APPLY => Some(vec![
                Subcommand::Snap,
                Subcommand::CloudSnap,
                Subcommand::GroupSnap,
            ]),
            _ => Subcommand::from_name(name).map(|s| vec![s]),
        }
    }

    /// Every name `doctor --for` takes.
    pub fn for_names() -> impl Iterator<Item = &'static str> {
        Subcommand::ALL
            .into_iter()
            .map(Subcommand::name)
            .chain([APPLY])
    }
}

/// `pxsnap apply`, which needs no permission of its own.
const APPLY: &str = "apply";

/// Where a permission is granted: namespaced resources through a Role (or a ClusterRole bound
/// in the namespace), cluster-scoped ones only through a ClusterRoleBinding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// What happens without the permission: the subcommand fails, or it goes on with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Need {
    Required,
    /// The subcommand warns that it could not check something, and goes on.
    Optional,
    /// Optional for these subcommands, required for the others that need it.
    OptionalFor(&'static [Subcommand]),
}

/// One rule: verbs on one resource of one API group.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// API group; "" for the core group.
    pub group: &'static str,
    /// Plural, or `plural/subresource`.
    pub resource: &'static str,
    pub verbs: &'static [&'static str],
    pub scope: Scope,
    pub needed_by: &'static [Subcommand],
    pub need: Need,
    pub why: &'static str,
}

use Subcommand::{Clone as CloneCmd, CloudSnap, Delete, GroupSnap, List, Snap};

const CORE: &str = "";
const STORK_SNAPSHOTS: &str = "volumesnapshot.external-storage.k8s.io";
const STORK: &str = "stork.libopenstorage.org";
const CSI_SNAPSHOTS: &str = "snapshot.storage.k8s.io";
const CSI_GROUPS: &str = "groupsnapshot.storage.k8s.io";

/// The permissions, in the order of rbac/clusterrole.yaml.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        group: CORE,
        resource: "persistentvolumeclaims",
        verbs: &["get"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, CloneCmd],
        need: Need::Required,
        why: "read the PVC to snapshot; clone reads the source PVC and checks the new name is free",
    },
    Permission {
        group: CORE,
        resource: "persistentvolumeclaims",
        verbs: &["list"],
        scope: Scope::Namespaced,
        needed_by: &[GroupSnap, CloneCmd],
        need: Need::Required,
        why: "group-snap selects PVCs by label; clone waits for its PVC (list, then watch)",
    },
    Permission {
        group: CORE,
        resource: "persistentvolumeclaims",
        verbs: &["watch", "create"],
        scope: Scope::Namespaced,
        needed_by: &[CloneCmd],
        need: Need::Required,
        why: "clone creates the new PVC and waits for it to be Bound",
    },
    Permission {
        group: CORE,
        resource: "persistentvolumes",
        verbs: &["get"],
        scope: Scope::Cluster,
        needed_by: &[Snap, CloudSnap],
        need: Need::Required,
        why: "check that the PVC's volume is Portworx",
    },
    Permission {
        group: CORE,
        resource: "persistentvolumes",
        verbs: &["list"],
        scope: Scope::Cluster,
        needed_by: &[GroupSnap],
        need: Need::Required,
        why: "check that every selected PVC's volume is Portworx (one list)",
    },
    Permission {
        group: CORE,
        resource: "pods",
        verbs: &["list"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, GroupSnap],
        need: Need::Required,
        why: "find the running pods that mount the PVC",
    },
    Permission {
        group: CORE,
        resource: "pods/exec",
        verbs: &["create", "get"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, GroupSnap],
        need: Need::Required,
        why: "run the pre and post commands in the pods",
    },
    Permission {
        group: CORE,
        resource: "events",
        verbs: &["list"],
        scope: Scope::Namespaced,
        needed_by: &[GroupSnap],
        need: Need::Optional,
        why: "say why a group snapshot failed or hangs (STORK reports it only in Events)",
    },
    Permission {
        group: CORE,
        resource: "namespaces",
        verbs: &["get"],
        scope: Scope::Cluster,
        needed_by: &[CloneCmd],
        need: Need::Optional,
        why: "clone checks that the target namespace exists",
    },
    Permission {
        group: "storage.k8s.io",
        resource: "storageclasses",
        verbs: &["get"],
        scope: Scope::Cluster,
        needed_by: &[CloneCmd],
        need: Need::Optional,
        why: "clone checks the stork-snapshot-sc StorageClass",
    },
    Permission {
        group: STORK_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["get", "list", "watch", "create", "delete"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, CloneCmd, List, Delete],
        need: Need::Required,
        why: "create the snapshot and wait for it (delete it after a failure); clone, list and delete read them",
    },
    Permission {
        group: STORK_SNAPSHOTS,
        resource: "volumesnapshotdatas",
        verbs: &["get"],
        scope: Scope::Cluster,
        needed_by: &[CloneCmd],
        need: Need::Required,
        why: "clone checks that the snapshot's data is Ready",
    },
    Permission {
        group: STORK,
        resource: "groupvolumesnapshots",
        verbs: &["get", "list", "watch", "create", "delete"],
        scope: Scope::Namespaced,
        needed_by: &[GroupSnap, CloneCmd, List, Delete],
        need: Need::Required,
        why: "group-snap creates the group and waits for it; clone --group, list --groups and delete --group read them",
    },
    Permission {
        group: STORK,
        resource: "rules",
        verbs: &["get"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, GroupSnap],
        need: Need::Optional,
        why: "read the STORK Rule that --pre-rule or --post-rule names (needed only then)",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["create"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap],
        need: Need::Required,
        why: "snap and cloud-snap create a CSI VolumeSnapshot of a Portworx CSI volume where CSI snapshots are set up",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["get"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, CloneCmd, Delete],
        need: Need::Required,
        why: "clone and delete read a CSI snapshot by name; snap and cloud-snap read one they gave up on, to delete it only if it is theirs",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["list"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, GroupSnap, CloneCmd, List, Delete],
        need: Need::OptionalFor(&[GroupSnap]),
        why: "a watch starts with a list; list and delete show and prune CSI snapshots beside STORK's; group-snap reports a CSI group's members (without it, a warning)",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["watch"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, CloneCmd],
        need: Need::Required,
        why: "snap and cloud-snap wait until the CSI snapshot is cut, then ready; clone --wait-snapshot waits until it is readyToUse",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshots",
        verbs: &["delete"],
        scope: Scope::Namespaced,
        needed_by: &[Snap, CloudSnap, Delete],
        need: Need::Required,
        why: "delete prunes CSI snapshots; snap and cloud-snap delete the one they gave up on (a failure, a timeout, a signal)",
    },
    Permission {
        group: CSI_SNAPSHOTS,
        resource: "volumesnapshotclasses",
        verbs: &["list"],
        scope: Scope::Cluster,
        needed_by: &[Snap, CloudSnap, List],
        need: Need::Optional,
        why: "snap and cloud-snap pick the class (without it, a note: snap names no class, so the snapshot-controller takes the driver's default; cloud-snap takes STORK's cloud snapshot); list shows a CSI snapshot's TYPE (without it, <unknown>)",
    },
    Permission {
        group: CSI_GROUPS,
        resource: "volumegroupsnapshots",
        verbs: &["get", "list", "watch", "create", "delete"],
        scope: Scope::Namespaced,
        needed_by: &[GroupSnap],
        need: Need::Required,
        why: "group-snap creates a CSI VolumeGroupSnapshot of Portworx CSI volumes and waits for it (deletes it after a failure)",
    },
    Permission {
        group: CSI_GROUPS,
        resource: "volumegroupsnapshotclasses",
        verbs: &["list"],
        scope: Scope::Cluster,
        needed_by: &[GroupSnap],
        need: Need::Required,
        why: "group-snap picks the VolumeGroupSnapshotClass of the PVCs' driver",
    },
];

/// The verbs an API server checks for a WebSocket exec (an HTTP GET): `get` before 1.35, both
/// `get` and `create` from 1.35 on. The same rule as the exec error message.
pub fn exec_verbs(server_minor: u32) -> &'static [&'static str] {
    if server_minor >= 35 {
        &["get", "create"]
    } else {
        &["get"]
    }
}

impl Permission {
    /// The resource as kubectl names it: `plural.group`, or `plural` in the core group.
    pub fn qualified(&self) -> String {
        match self.group {
            "" => self.resource.to_string(),
            group => match self.resource.split_once('/') {
                Some((plural, sub)) => format!("{plural}.{group}/{sub}"),
                None => format!("{}.{group}", self.resource),
            },
        }
    }

    /// Its name among the table's rows: the plural, qualified with its group when an earlier row
    /// has the same plural in another group (CSI's `volumesnapshots` after STORK's), so that
    /// doctor's `rbac.*` check ids stay what they were before the second group came.
    pub fn short_name(&self) -> String {
        let first = PERMISSIONS.iter().find(|p| p.resource == self.resource);
        match first.is_none_or(|p| p.group == self.group) {
            true => self.resource.to_string(),
            false => self.qualified(),
        }
    }

    /// The verbs an API server at `server_minor` authorizes this permission with. Only
    /// `pods/exec` differs from [`Permission::verbs`]: see [`exec_verbs`].
    pub fn verbs_checked(&self, server_minor: u32) -> &'static [&'static str] {
        match self.resource {
            "pods/exec" => exec_verbs(server_minor),
            _ => self.verbs,
        }
    }

    /// Whether a subcommand among `chosen` fails without it.
    pub fn required_by_any(&self, chosen: &[Subcommand]) -> bool {
        let optional_for: &[Subcommand] = match self.need {
            Need::Required => &[],
            Need::Optional => self.needed_by,
            Need::OptionalFor(these) => these,
        };
        self.needed_by
            .iter()
            .any(|s| chosen.contains(s) && !optional_for.contains(s))
    }

    /// Whether any of `chosen` needs it.
    pub fn needed_by_any(&self, chosen: &[Subcommand]) -> bool {
        self.needed_by.iter().any(|s| chosen.contains(s))
    }
}

/// The permissions as (group, resource, verb, scope) grants, one per verb.
pub fn grants() -> impl Iterator<Item = (&'static str, &'static str, &'static str, Scope)> {
    PERMISSIONS.iter().flat_map(|p| {
        p.verbs
            .iter()
            .map(move |verb| (p.group, p.resource, *verb, p.scope))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_needs_something_and_names_round_trip() {
        for sub in Subcommand::ALL {
            assert_eq!(Subcommand::from_name(sub.name()), Some(sub));
            assert!(PERMISSIONS.iter().any(|p| p.needed_by.contains(&sub)));
        }
        assert_eq!(Subcommand::from_name("apply"), None);
        assert_eq!(
            Subcommand::covered_by("apply"),
            Some(vec![Snap, CloudSnap, GroupSnap])
        );
        assert_eq!(Subcommand::covered_by("list"), Some(vec![List]));
        assert!(Subcommand::for_names().all(|n| Subcommand::covered_by(n).is_some()));
    }

    #[test]
    fn exec_is_checked_with_the_servers_verbs() {
        let exec = PERMISSIONS
            .iter()
            .find(|p| p.resource == "pods/exec")
            .expect("exec");
        assert_eq!(exec.verbs_checked(33), ["get"]);
        assert_eq!(exec.verbs_checked(35), ["get", "create"]);
        assert!(
            exec_verbs(40).iter().all(|v| exec.verbs.contains(v)),
            "the manifests grant every verb any server checks"
        );
    }

    #[test]
    fn qualified_names_are_kubectls() {
        let named: Vec<String> = PERMISSIONS.iter().map(Permission::qualified).collect();
        assert!(named.contains(&"pods/exec".to_string()));
        assert!(named.contains(&"groupvolumesnapshots.stork.libopenstorage.org".to_string()));
    }

    #[test]
    fn no_grant_is_listed_twice() {
        let mut all: Vec<_> = grants().map(|(g, r, v, _)| (g, r, v)).collect();
        let before = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), before);
    }
}
