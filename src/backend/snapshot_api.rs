//! Which snapshot API pxsnap takes a volume's snapshot through, and why: decided here and
//! nowhere else, so that `doctor` reports what a snapshot would really do, and so that adding
//! the CSI path (`--api auto|csi|stork`) changes one function.

use k8s_openapi::api::core::v1::PersistentVolume;
use serde::Serialize;

use crate::backend::csi_classes::{
    ClassProblem, PortworxClass, SnapshotType, Wanted, class_manifest_command, pick,
};
use crate::backend::csi_group::{self, GroupApi, GroupClass};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::VolumeSnapshotClass;
use crate::k8s::csi_resources::{V1beta1, V1beta2};
use crate::k8s::resources::{STORK_GROUP_VERSION, STORK_SNAPSHOT_GROUP_VERSION};

/// CSI driver names Portworx has used; the old one still appears on long-lived clusters.
pub const PORTWORX_CSI_DRIVERS: [&str; 2] = ["pxd.portworx.com", "com.openstorage.pxd"];

/// What a PersistentVolume is, as far as snapshots are concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Volume {
    /// `spec.portworxVolume`: Portworx's in-tree volume plugin.
    PortworxInTree,
    /// `spec.csi` with one of [`PORTWORX_CSI_DRIVERS`].
    PortworxCsi { driver: String },
    /// `spec.csi` with another driver.
    OtherCsi { driver: String },
    /// Neither CSI nor Portworx in-tree (hostPath, NFS, another in-tree plugin...).
    Other,
}

impl Volume {
    pub fn of(pv: &PersistentVolume) -> Volume {
        let spec = pv.spec.as_ref();
        if spec.and_then(|s| s.portworx_volume.as_ref()).is_some() {
            return Volume::PortworxInTree;
        }
        match spec.and_then(|s| s.csi.as_ref()) {
            Some(csi) if PORTWORX_CSI_DRIVERS.contains(&csi.driver.as_str()) => {
                Volume::PortworxCsi {
                    driver: csi.driver.clone(),
                }
            }
            Some(csi) => Volume::OtherCsi {
                driver: csi.driver.clone(),
            },
            None => Volume::Other,
        }
    }

    pub fn is_portworx(&self) -> bool {
        matches!(self, Volume::PortworxInTree | Volume::PortworxCsi { .. })
    }

    /// A few words for a report line.
    pub fn describe(&self) -> String {
        match self {
            Volume::PortworxInTree => "Portworx in-tree (portworxVolume)".to_string(),
            Volume::PortworxCsi { driver } => format!("Portworx CSI ({driver})"),
            Volume::OtherCsi { driver } => format!("CSI driver {driver:?}, not Portworx"),
            Volume::Other => "neither portworxVolume nor a CSI volume".to_string(),
        }
    }
}

/// A snapshot API pxsnap can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotApi {
    /// STORK's `volumesnapshot.external-storage.k8s.io/v1` VolumeSnapshot.
    Stork,
    /// CSI's `snapshot.storage.k8s.io/v1` VolumeSnapshot.
    Csi,
}

impl SnapshotApi {
    pub fn name(self) -> &'static str {
        match self {
            SnapshotApi::Stork => "stork",
            SnapshotApi::Csi => "csi",
        }
    }
}

/// What `--api` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// CSI where it is set up for the volume, else STORK's API.
    Auto,
    Only(SnapshotApi),
}

/// The CSI snapshot classes, as far as the cluster let pxsnap read them.
#[derive(Debug, Clone)]
pub enum Classes {
    /// `snapshot.storage.k8s.io/v1` is not served.
    NotServed,
    /// Listing classes is forbidden: the snapshot-controller will pick the driver's default.
    Forbidden,
    Listed(Vec<VolumeSnapshotClass>),
}

/// What the cluster offers, read once per run.
#[derive(Debug, Clone)]
pub struct Offer {
    pub stork_served: bool,
    pub classes: Classes,
}

/// The API a snapshot is taken through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Stork,
    /// CSI, with the class to name; `None` lets the snapshot-controller pick the driver's
    /// default (classes could not be listed).
    Csi {
        class: Option<PortworxClass>,
    },
}

/// A decision, and what the user should be told about it (one `note:` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub note: Option<String>,
}

/// The API pxsnap snapshots PVC `pvc` (on `volume`) through. `auto` takes CSI when the volume
/// is Portworx CSI, the CSI API is served and a class fits; STORK's API for an in-tree volume,
/// and for a CSI one where CSI is not set up for this snapshot type but STORK is served.
pub fn decide(
    pvc: &str,
    volume: &Volume,
    preference: Preference,
    offer: &Offer,
    wanted: Wanted<'_>,
    named_class: Option<&str>,
) -> Result<Decided> {
    let stork = |note: Option<String>| Decided {
        decision: Decision::Stork,
        note,
    };
    let driver = match (volume, preference) {
        (_, Preference::Only(SnapshotApi::Stork)) => return Ok(stork(None)),
        (Volume::PortworxInTree, Preference::Only(SnapshotApi::Csi)) => {
            return Err(Error::Usage(format!(
                "--api csi: PVC {pvc:?} is an in-tree portworxVolume, which CSI cannot snapshot; use --api stork or --api auto"
            )));
        }
        (Volume::PortworxInTree, Preference::Auto) => {
            // Only STORK's API takes an in-tree volume: its absence is said as for `--api stork`.
            return match offer.stork_served {
                true => Ok(stork(None)),
                false => Err(Error::api_group_missing(STORK_SNAPSHOT_GROUP_VERSION)),
            };
        }
        (Volume::PortworxCsi { driver }, _) => driver.as_str(),
        // check_pvc refuses every other volume before pxsnap gets here.
        (Volume::OtherCsi { .. } | Volume::Other, _) => {
            return Err(not_usable(
                pvc,
                &format!("{} is not a Portworx volume", volume.describe()),
            ));
        }
    };
    // Classes cannot be read, but the user named one: it is named as given, unchecked (the
    // snapshot-controller refuses a class that does not exist: exit 4, its message quoted).
    if let (Classes::Forbidden, Some(name)) = (&offer.classes, named_class) {
        return Ok(Decided {
            decision: Decision::Csi {
                class: Some(PortworxClass {
                    name: name.to_string(),
                    driver: driver.to_string(),
                    snapshot_type: wanted.snapshot_type(),
                    default: false,
                    credential: None,
                    deletion_policy: String::new(),
                }),
            },
            note: Some(format!(
                "listing VolumeSnapshotClasses is forbidden, so --class {name} is named as given, unchecked"
            )),
        });
    }
    let only_csi = preference == Preference::Only(SnapshotApi::Csi);
    let all = match &offer.classes {
        // The driver's default class is a local one: a cloud snapshot must name its class.
        Classes::Forbidden if matches!(wanted, Wanted::Cloud { .. }) => {
            return fall_back(
                pvc,
                only_csi,
                offer.stork_served,
                "listing VolumeSnapshotClasses is forbidden, so no cloud class can be chosen",
                "grant list on volumesnapshotclasses.snapshot.storage.k8s.io (rbac/clusterrole.yaml)",
            );
        }
        Classes::Forbidden => {
            return Ok(Decided {
                decision: Decision::Csi { class: None },
                note: Some(format!(
                    "listing VolumeSnapshotClasses is forbidden, so the snapshot names no class and the snapshot-controller uses the default class of {driver}"
                )),
            });
        }
        Classes::NotServed => {
            let missing = "the CSI snapshot API (snapshot.storage.k8s.io/v1) is not served";
            return fall_back(
                pvc,
                only_csi,
                offer.stork_served,
                missing,
                "install the external-snapshotter CRDs and snapshot-controller (Portworx operator: spec.csi.installSnapshotController: true)",
            );
        }
        Classes::Listed(all) => all,
    };
    match pick(all, driver, wanted, named_class) {
        Ok(class) => Ok(Decided {
            decision: Decision::Csi { class: Some(class) },
            note: None,
        }),
        Err(ClassProblem::NoneOfType) => {
            let kind = match wanted {
                Wanted::Local => SnapshotType::Local,
                Wanted::Cloud { .. } => SnapshotType::Cloud,
            };
            let missing = format!("no {} VolumeSnapshotClass of driver {driver}", kind.label());
            let fix = format!(
                "an administrator can create one: {}",
                class_manifest_command(kind)
            );
            fall_back(pvc, only_csi, offer.stork_served, &missing, &fix)
        }
        Err(problem) => Err(Error::Usage(class_problem(driver, problem))),
    }
}

/// Reads what the cluster offers for a snapshot of `volume`, only as much as the choice needs:
/// nothing when `--api stork` (the command checks STORK's API itself), STORK's discovery for
/// an in-tree volume, and the CSI classes too for a CSI one.
pub async fn offer(cluster: &Cluster, preference: Preference, volume: &Volume) -> Result<Offer> {
    let mut offer = Offer {
        stork_served: false,
        classes: Classes::NotServed,
    };
    if preference == Preference::Only(SnapshotApi::Stork) {
        return Ok(offer);
    }
    if matches!(volume, Volume::PortworxCsi { .. }) {
        offer.classes = match crate::backend::csi_classes::list(cluster).await {
            Ok(Some(all)) => Classes::Listed(all),
            Ok(None) => Classes::NotServed,
            Err(Error::Forbidden { .. }) => Classes::Forbidden,
            Err(err) => return Err(err),
        };
    }
    offer.stork_served = match cluster
        .require_api_group(STORK_SNAPSHOT_GROUP_VERSION)
        .await
    {
        Ok(()) => true,
        Err(Error::ApiGroupMissing { .. }) => false,
        Err(err) => return Err(err),
    };
    Ok(offer)
}

/// CSI is not set up for this snapshot: STORK's API when it is served and the user did not
/// insist on CSI, else the error that says what is missing and how to set it up.
fn fall_back(
    pvc: &str,
    only_csi: bool,
    stork_served: bool,
    missing: &str,
    fix: &str,
) -> Result<Decided> {
    match (only_csi, stork_served) {
        (false, true) => Ok(Decided {
            decision: Decision::Stork,
            note: Some(format!(
                "PVC {pvc:?} is a Portworx CSI volume, but {missing}; using STORK's snapshot API"
            )),
        }),
        (true, _) => Err(not_usable(pvc, &format!("{missing}; {fix}"))),
        (false, false) => Err(not_usable(
            pvc,
            &format!("{missing}, and STORK's snapshot API is not served either; {fix}"),
        )),
    }
}

fn not_usable(pvc: &str, why: &str) -> Error {
    Error::NoSnapshotApi {
        pvc: pvc.to_string(),
        why: why.to_string(),
    }
}

fn class_problem(driver: &str, problem: ClassProblem) -> String {
    match problem {
        ClassProblem::NoneOfType => format!("no VolumeSnapshotClass of driver {driver}"),
        ClassProblem::Ambiguous(names) => format!(
            "several VolumeSnapshotClasses of driver {driver} fit: {}; name one with --class",
            names.join(", ")
        ),
        ClassProblem::NoSuchCredential { cred_id, named } => format!(
            "--cred-id {cred_id} matches no cloud VolumeSnapshotClass of driver {driver}; they name: {}",
            named.join(", ")
        ),
        ClassProblem::Missing(name) => format!(
            "--class {name}: no VolumeSnapshotClass of that name (kubectl get volumesnapshotclasses)"
        ),
        ClassProblem::OtherDriver {
            class,
            driver: other,
        } => format!(
            "--class {class}: that class is of driver {other}, not of the PVC's driver {driver}"
        ),
        ClassProblem::WrongType { class, is } => format!(
            "--class {class}: that class takes {} snapshots; use {} for those",
            is.label(),
            match is {
                SnapshotType::Local => "snap",
                SnapshotType::Cloud => "cloud-snap",
            }
        ),
    }
}

/// What the cluster offers for a group snapshot, read once per run.
#[derive(Debug, Clone)]
pub struct GroupOffer {
    pub stork_served: bool,
    /// The served CSI group API and its classes; `None` when it is not served.
    pub csi: Option<(GroupApi, Vec<GroupClass>)>,
}

/// The API a group snapshot is taken through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupDecision {
    Stork,
    Csi { api: GroupApi, class: String },
}

/// Reads what the cluster offers for a group of `volumes`, as much as the choice needs.
pub async fn group_offer(cluster: &Cluster, volumes: &[(String, Volume)]) -> Result<GroupOffer> {
    let stork_served = match cluster.require_api_group(STORK_GROUP_VERSION).await {
        Ok(()) => true,
        Err(Error::ApiGroupMissing { .. }) => false,
        Err(err) => return Err(err),
    };
    let all_csi = volumes
        .iter()
        .all(|(_, v)| matches!(v, Volume::PortworxCsi { .. }));
    let csi = match all_csi {
        false => None,
        true => match csi_group::served_version(cluster).await? {
            None => None,
            Some(GroupApi::V1beta2) => Some((
                GroupApi::V1beta2,
                csi_group::classes::<V1beta2>(cluster).await?,
            )),
            Some(GroupApi::V1beta1) => Some((
                GroupApi::V1beta1,
                csi_group::classes::<V1beta1>(cluster).await?,
            )),
        },
    };
    Ok(GroupOffer { stork_served, csi })
}

/// The API a group snapshot of `volumes` goes through. CSI's VolumeGroupSnapshot only when
/// every PVC is Portworx CSI of one driver, the group API is served and a class of that driver
/// exists (CSI groups are local snapshots); STORK's GroupVolumeSnapshot otherwise, which takes
/// both kinds of Portworx volume, with a note saying why.
pub fn decide_group(
    selector: &str,
    volumes: &[(String, Volume)],
    preference: Preference,
    offer: &GroupOffer,
    named_class: Option<&str>,
    cloud: bool,
) -> Result<(GroupDecision, Option<String>)> {
    if preference == Preference::Only(SnapshotApi::Stork) {
        return Ok((GroupDecision::Stork, None));
    }
    let only_csi = preference == Preference::Only(SnapshotApi::Csi);
    let in_tree: Vec<&str> = volumes
        .iter()
        .filter(|(_, v)| !matches!(v, Volume::PortworxCsi { .. }))
        .map(|(name, _)| name.as_str())
        .collect();
    let mut drivers: Vec<&str> = volumes
        .iter()
        .filter_map(|(_, v)| match v {
            Volume::PortworxCsi { driver } => Some(driver.as_str()),
            _ => None,
        })
        .collect();
    drivers.sort_unstable();
    drivers.dedup();
    let not_csi = |why: String| -> Result<(GroupDecision, Option<String>)> {
        match (only_csi, offer.stork_served) {
            (true, _) => Err(Error::Usage(format!(
                "--api csi: {why}; use --api stork or --api auto"
            ))),
            (false, true) => Ok((
                GroupDecision::Stork,
                Some(format!("{why}; using STORK's GroupVolumeSnapshot")),
            )),
            (false, false) => Err(Error::api_group_missing(STORK_GROUP_VERSION)),
        }
    };
    match (in_tree.is_empty(), drivers.is_empty(), only_csi) {
        (true, _, _) => {}
        // Only STORK's API takes in-tree volumes: nothing to say unless CSI was asked for.
        (false, true, false) => {
            return match offer.stork_served {
                true => Ok((GroupDecision::Stork, None)),
                false => Err(Error::api_group_missing(STORK_GROUP_VERSION)),
            };
        }
        (false, true, true) => {
            return not_csi(format!(
                "the selector matches in-tree portworxVolume PVCs ({}), which CSI cannot snapshot",
                in_tree.join(", ")
            ));
        }
        (false, false, _) => {
            return not_csi(format!(
                "the selector matches both CSI and in-tree portworxVolume PVCs (in-tree: {})",
                in_tree.join(", ")
            ));
        }
    }
    let [driver] = drivers.as_slice() else {
        return not_csi(format!(
            "the selector matches PVCs of several CSI drivers ({})",
            drivers.join(", ")
        ));
    };
    if cloud {
        return not_csi("CSI group snapshots are local only".to_string());
    }
    let missing = |what: String, fix: &str| -> Result<(GroupDecision, Option<String>)> {
        match (only_csi, offer.stork_served) {
            (false, true) => Ok((
                GroupDecision::Stork,
                Some(format!(
                    "the selected PVCs are Portworx CSI volumes, but {what}; using STORK's GroupVolumeSnapshot"
                )),
            )),
            (true, _) => Err(Error::NoGroupSnapshotApi {
                selector: selector.to_string(),
                why: format!("{what}; {fix}"),
            }),
            (false, false) => Err(Error::NoGroupSnapshotApi {
                selector: selector.to_string(),
                why: format!(
                    "{what}, and STORK's GroupVolumeSnapshot API is not served either; {fix}"
                ),
            }),
        }
    };
    let Some((api, classes)) = &offer.csi else {
        return missing(
            "the CSI group snapshot API (groupsnapshot.storage.k8s.io) is not served".to_string(),
            "install the external-snapshotter's group snapshot CRDs and enable the snapshot-controller's group snapshot feature",
        );
    };
    match csi_group::pick_class(classes, driver, named_class)? {
        Some(class) => Ok((GroupDecision::Csi { api: *api, class }, None)),
        None => missing(
            format!("no VolumeGroupSnapshotClass of driver {driver}"),
            "an administrator can create one (kind VolumeGroupSnapshotClass, driver pxd.portworx.com, deletionPolicy Delete)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pv(spec: serde_json::Value) -> PersistentVolume {
        serde_json::from_value(json!({"metadata": {"name": "pv1"}, "spec": spec})).expect("pv")
    }

    #[test]
    fn volumes_are_told_apart() {
        assert_eq!(
            Volume::of(&pv(json!({"portworxVolume": {"volumeID": "v"}}))),
            Volume::PortworxInTree
        );
        let old = Volume::of(&pv(
            json!({"csi": {"driver": "com.openstorage.pxd", "volumeHandle": "h"}}),
        ));
        assert!(old.is_portworx());
        let ebs = Volume::of(&pv(
            json!({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "h"}}),
        ));
        assert!(!ebs.is_portworx());
        assert!(ebs.describe().contains("ebs.csi.aws.com"));
        assert_eq!(
            Volume::of(&pv(json!({"hostPath": {"path": "/x"}}))),
            Volume::Other
        );
    }

    fn classes(defaults: &[(&str, bool)]) -> Vec<VolumeSnapshotClass> {
        defaults
            .iter()
            .map(|(name, default)| {
                serde_json::from_value(json!({
                    "metadata": {"name": name, "annotations": if *default {
                        json!({"snapshot.storage.kubernetes.io/is-default-class": "true"})
                    } else { json!({}) }},
                    "driver": "pxd.portworx.com", "deletionPolicy": "Delete",
                }))
                .expect("class")
            })
            .collect()
    }

    fn offer(stork_served: bool, classes: Classes) -> Offer {
        Offer {
            stork_served,
            classes,
        }
    }

    #[test]
    fn auto_takes_csi_where_it_is_set_up_and_stork_elsewhere() {
        let csi = Volume::PortworxCsi {
            driver: "pxd.portworx.com".into(),
        };
        let listed = offer(true, Classes::Listed(classes(&[("local", true)])));
        let decided =
            decide("d", &csi, Preference::Auto, &listed, Wanted::Local, None).expect("decided");
        assert!(matches!(&decided.decision, Decision::Csi { class: Some(c) } if c.name == "local"));
        assert_eq!(decided.note, None);
        let none = offer(true, Classes::Listed(Vec::new()));
        let decided =
            decide("d", &csi, Preference::Auto, &none, Wanted::Local, None).expect("decided");
        assert_eq!(decided.decision, Decision::Stork);
        assert!(
            decided
                .note
                .is_some_and(|n| n.contains("no local VolumeSnapshotClass"))
        );
        let neither = offer(false, Classes::NotServed);
        let err = decide("d", &csi, Preference::Auto, &neither, Wanted::Local, None)
            .expect_err("nothing set up");
        assert!(matches!(err, Error::NoSnapshotApi { .. }), "{err}");
        let forbidden = offer(false, Classes::Forbidden);
        let decided =
            decide("d", &csi, Preference::Auto, &forbidden, Wanted::Local, None).expect("decided");
        assert_eq!(decided.decision, Decision::Csi { class: None });
        let in_tree = decide(
            "d",
            &Volume::PortworxInTree,
            Preference::Auto,
            &listed,
            Wanted::Local,
            None,
        )
        .expect("decided");
        assert_eq!(in_tree.decision, Decision::Stork);
        assert_eq!(in_tree.note, None);
        let csi_only = Preference::Only(SnapshotApi::Csi);
        let err = decide(
            "d",
            &Volume::PortworxInTree,
            csi_only,
            &listed,
            Wanted::Local,
            None,
        )
        .expect_err("usage");
        assert!(matches!(err, Error::Usage(_)), "{err}");
    }
}
