//! Which snapshot API pxsnap takes a volume's snapshot through, and why: decided here and
//! nowhere else, so that `doctor` reports what a snapshot would really do, and so that adding
//! the CSI path (`--api auto|csi|stork`) changes one function.

use k8s_openapi::api::core::v1::PersistentVolume;
use serde::Serialize;

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
}

impl SnapshotApi {
    pub fn name(self) -> &'static str {
        match self {
            SnapshotApi::Stork => "stork",
        }
    }
}

/// The API chosen for a volume and the reason, as a user reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub api: SnapshotApi,
    pub why: &'static str,
}

/// The API pxsnap snapshots `volume` through, or `None` when no API of pxsnap's can: STORK
/// leaves a snapshot of a volume that is not Portworx without any status, for ever.
///
/// STORK's API takes both kinds of Portworx volume (it accepts a CSI PV whose driver is
/// Portworx's), so it is used for every one until pxsnap also drives CSI snapshots.
pub fn choose(volume: &Volume) -> Option<Choice> {
    volume.is_portworx().then_some(Choice {
        api: SnapshotApi::Stork,
        why: "pxsnap uses STORK's API for every Portworx PVC",
    })
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

    #[test]
    fn every_portworx_volume_goes_through_stork() {
        let csi = Volume::PortworxCsi {
            driver: "pxd.portworx.com".into(),
        };
        assert_eq!(choose(&csi).map(|c| c.api), Some(SnapshotApi::Stork));
        assert_eq!(
            choose(&Volume::PortworxInTree).map(|c| c.api),
            Some(SnapshotApi::Stork)
        );
        assert_eq!(choose(&Volume::Other), None);
    }
}
