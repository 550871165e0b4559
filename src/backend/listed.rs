//! The snapshot APIs `list` and `delete` read: STORK's and CSI's together, or the one asked
//! for, and of those only what the server serves, so that a cluster with one of them is not
//! an error and nothing is requested from an API that is not installed.

use crate::backend::snapshot_api::SnapshotApi;
use crate::error::{Error, Result};
use crate::k8s::csi_resources::CSI_SNAPSHOT_GROUP_VERSION;
use crate::k8s::resources::STORK_SNAPSHOT_GROUP_VERSION;
use crate::k8s::served::ServedApis;

/// In the order kubectl prints them when asked for both (CSI's first).
pub const ALL_APIS: [SnapshotApi; 2] = [SnapshotApi::Csi, SnapshotApi::Stork];

/// What `list` and `delete` need to know of an API besides its name.
impl SnapshotApi {
    pub fn group_version(self) -> &'static str {
        match self {
            SnapshotApi::Csi => CSI_SNAPSHOT_GROUP_VERSION,
            SnapshotApi::Stork => STORK_SNAPSHOT_GROUP_VERSION,
        }
    }

    /// kubectl's name for one object's resource, as `-o name` and `delete` print it.
    pub fn resource(self) -> &'static str {
        match self {
            SnapshotApi::Csi => "volumesnapshot.snapshot.storage.k8s.io",
            SnapshotApi::Stork => "volumesnapshot.volumesnapshot.external-storage.k8s.io",
        }
    }

    /// What installs it, for the line that says it is missing.
    fn install(self) -> &'static str {
        match self {
            SnapshotApi::Csi => "the CSI external-snapshotter (its CRDs and snapshot-controller)",
            SnapshotApi::Stork => "STORK",
        }
    }
}

/// The APIs to read: `only`, or every one; each must be served. With `only` unserved, or
/// none served, the error names what is missing and what installs it (exit 1).
pub fn snapshot_apis(served: &ServedApis, only: Option<SnapshotApi>) -> Result<Vec<SnapshotApi>> {
    let wanted: Vec<SnapshotApi> = match only {
        Some(api) => vec![api],
        None => ALL_APIS.to_vec(),
    };
    let apis: Vec<SnapshotApi> = wanted
        .iter()
        .copied()
        .filter(|api| served.serves(api.group_version()))
        .collect();
    if !apis.is_empty() {
        return Ok(apis);
    }
    Err(missing(&wanted))
}

fn missing(wanted: &[SnapshotApi]) -> Error {
    let installs: Vec<&str> = wanted.iter().map(|api| api.install()).collect();
    let (what, check) = match wanted {
        [one] => (
            format!("the API group {} is not served", one.group_version()),
            format!(
                "kubectl api-resources --api-group={}",
                one.group_version().split('/').next().unwrap_or_default()
            ),
        ),
        _ => (
            format!(
                "neither {} is served",
                wanted
                    .iter()
                    .map(|api| api.group_version())
                    .collect::<Vec<_>>()
                    .join(" nor ")
            ),
            "kubectl api-resources | grep -i volumesnapshot".to_string(),
        ),
    };
    Error::SnapshotApiMissing {
        what,
        install: installs.join(" or "),
        check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_line_names_each_api_and_its_installer() {
        assert_eq!(
            missing(&ALL_APIS).to_string(),
            "neither snapshot.storage.k8s.io/v1 nor volumesnapshot.external-storage.k8s.io/v1 is served by this cluster: is the CSI external-snapshotter (its CRDs and snapshot-controller) or STORK installed? (kubectl api-resources | grep -i volumesnapshot)"
        );
        assert_eq!(
            missing(&[SnapshotApi::Stork]).to_string(),
            "the API group volumesnapshot.external-storage.k8s.io/v1 is not served by this cluster: is STORK installed? (kubectl api-resources --api-group=volumesnapshot.external-storage.k8s.io)"
        );
    }
}
