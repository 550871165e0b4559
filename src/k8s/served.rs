//! Which API groups and versions the server serves, read once per run from `/apis`.
//!
//! A command that can work with several snapshot APIs (STORK's, CSI's) asks this instead of
//! requesting each and reading a 404 as "not installed": one call, and nothing is listed from
//! an API that is not there.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList;

use crate::error::Result;
use crate::k8s::cluster::Cluster;

/// The server's API groups, each with the versions it serves and the one it prefers.
#[derive(Debug, Clone, Default)]
pub struct ServedApis {
    groups: APIGroupList,
}

impl ServedApis {
    /// One discovery call (`GET /apis`).
    pub async fn discover(cluster: &Cluster) -> Result<ServedApis> {
        let groups = cluster
            .read("discover", "/apis", None, || {
                cluster.client.list_api_groups()
            })
            .await?;
        Ok(ServedApis { groups })
    }

    /// Whether `group_version` (`group/version`) is served.
    pub fn serves(&self, group_version: &str) -> bool {
        self.groups
            .groups
            .iter()
            .flat_map(|group| &group.versions)
            .any(|version| version.group_version == group_version)
    }

    /// The first of `versions` (most wanted first) that `group` serves, as `group/version`.
    pub fn first_served(&self, group: &str, versions: &[&str]) -> Option<String> {
        versions
            .iter()
            .map(|version| format!("{group}/{version}"))
            .find(|group_version| self.serves(group_version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_found_in_the_group_list() {
        let served = ServedApis {
            groups: serde_json::from_value(serde_json::json!({
                "groups": [{"name": "groupsnapshot.storage.k8s.io", "versions": [
                    {"groupVersion": "groupsnapshot.storage.k8s.io/v1beta1", "version": "v1beta1"}
                ]}]
            }))
            .expect("group list"),
        };
        assert!(served.serves("groupsnapshot.storage.k8s.io/v1beta1"));
        assert!(!served.serves("snapshot.storage.k8s.io/v1"));
        assert_eq!(
            served.first_served("groupsnapshot.storage.k8s.io", &["v1beta2", "v1beta1"]),
            Some("groupsnapshot.storage.k8s.io/v1beta1".to_string())
        );
    }
}
