//! The CSI VolumeSnapshotClasses of the Portworx driver, read the way the snapshot-controller
//! reads them: which class a VolumeSnapshot that names none would get (its driver's one
//! default), which classes take cloud snapshots and with which credential, and whether two
//! defaults make every such snapshot fail.

use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use crate::backend::snapshot_api::PORTWORX_CSI_DRIVERS;
use crate::error::Result;
use crate::k8s::cluster::Cluster;
use crate::k8s::csi_resources::{DEFAULT_CLASS_ANNOTATION, VolumeSnapshotClass};

/// The Portworx parameter choosing a local or a cloud snapshot (absent: local).
const SNAPSHOT_TYPE_PARAMETER: &str = "csi.openstorage.org/snapshot-type";
/// The cloud credential parameter: the key Portworx documents first, then the one the
/// open-source driver reads.
const CREDENTIAL_PARAMETERS: [&str; 2] = [
    "csi.openstorage.org/snapshot-credential-id",
    "csi.openstorage.org/credential-id",
];
const RESOURCE: &str = "volumesnapshotclasses.snapshot.storage.k8s.io";

/// Where a class's snapshots go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotType {
    Local,
    /// Uploaded to the object store Portworx is configured with.
    Cloud,
}

impl SnapshotType {
    pub fn label(self) -> &'static str {
        match self {
            SnapshotType::Local => "local",
            SnapshotType::Cloud => "cloud",
        }
    }
}

/// One VolumeSnapshotClass of a Portworx driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortworxClass {
    pub name: String,
    pub driver: String,
    pub snapshot_type: SnapshotType,
    pub default: bool,
    /// The cloud credential it names; `None` means the cluster's default credential.
    pub credential: Option<String>,
    /// `Retain` keeps the snapshot's data when its VolumeSnapshot is deleted.
    pub deletion_policy: String,
}

/// What a VolumeSnapshot that names no class gets from the snapshot-controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultClass<'a> {
    /// No default for the driver: the snapshot fails ("cannot find default snapshot class").
    Missing,
    One(&'a PortworxClass),
    /// Several defaults for the driver: the snapshot fails ("N default snapshot classes were
    /// found"), whatever their types.
    Several(Vec<&'a PortworxClass>),
}

/// The Portworx classes of a cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortworxClasses {
    pub classes: Vec<PortworxClass>,
}

impl PortworxClasses {
    /// The Portworx classes among `all`, by name.
    pub fn from_classes(all: &[VolumeSnapshotClass]) -> PortworxClasses {
        let mut classes: Vec<PortworxClass> = all
            .iter()
            .filter(|c| PORTWORX_CSI_DRIVERS.contains(&c.driver.as_str()))
            .map(portworx_class)
            .collect();
        classes.sort_by(|a, b| a.name.cmp(&b.name));
        PortworxClasses { classes }
    }

    /// The default class of `driver`, as the snapshot-controller picks it: it counts every
    /// class of the driver that carries the default annotation.
    pub fn default_for(&self, driver: &str) -> DefaultClass<'_> {
        let defaults: Vec<&PortworxClass> = self
            .classes
            .iter()
            .filter(|c| c.driver == driver && c.default)
            .collect();
        match defaults.as_slice() {
            [] => DefaultClass::Missing,
            [one] => DefaultClass::One(one),
            _ => DefaultClass::Several(defaults),
        }
    }

    /// The drivers that have at least one class, in the order of [`PORTWORX_CSI_DRIVERS`].
    pub fn drivers(&self) -> Vec<&'static str> {
        PORTWORX_CSI_DRIVERS
            .into_iter()
            .filter(|d| self.classes.iter().any(|c| c.driver == *d))
            .collect()
    }

    /// The classes that take cloud snapshots.
    pub fn cloud(&self) -> impl Iterator<Item = &PortworxClass> {
        self.classes
            .iter()
            .filter(|c| c.snapshot_type == SnapshotType::Cloud)
    }
}

fn portworx_class(class: &VolumeSnapshotClass) -> PortworxClass {
    let parameter = |key: &str| class.parameters.get(key).filter(|v| !v.is_empty());
    let default = class
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
        .is_some_and(|v| v == "true");
    PortworxClass {
        name: class.metadata.name.clone().unwrap_or_default(),
        driver: class.driver.clone(),
        // The open-source driver takes any other value for local, as Portworx does.
        snapshot_type: match parameter(SNAPSHOT_TYPE_PARAMETER).map(String::as_str) {
            Some("cloud") => SnapshotType::Cloud,
            _ => SnapshotType::Local,
        },
        default,
        credential: CREDENTIAL_PARAMETERS
            .iter()
            .find_map(|key| parameter(key).cloned()),
        deletion_policy: class.deletion_policy.clone(),
    }
}

/// The command that makes a class an administrator could apply: a default local class, or a
/// cloud class, of the Portworx driver. Said by `doctor` and by `--api csi` when none exists.
pub fn class_manifest_command(snapshot_type: SnapshotType) -> String {
    let (name, extra) = match snapshot_type {
        SnapshotType::Local => (
            "px-csi-snapclass",
            format!("  annotations:\\n    {DEFAULT_CLASS_ANNOTATION}: \"true\"\\n"),
        ),
        SnapshotType::Cloud => ("px-csi-cloud-snapclass", String::new()),
    };
    let parameters = match snapshot_type {
        SnapshotType::Local => String::new(),
        SnapshotType::Cloud => format!(
            "parameters:\\n  {SNAPSHOT_TYPE_PARAMETER}: cloud\\n  {}: CREDENTIAL-ID\\n",
            CREDENTIAL_PARAMETERS[0]
        ),
    };
    format!(
        "printf 'apiVersion: snapshot.storage.k8s.io/v1\\nkind: VolumeSnapshotClass\\nmetadata:\\n  name: {name}\\n{extra}driver: pxd.portworx.com\\ndeletionPolicy: Delete\\n{parameters}' | kubectl apply -f -"
    )
}

/// The snapshot a class is picked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    Local,
    Cloud { cred_id: Option<&'a str> },
}

impl Wanted<'_> {
    pub fn snapshot_type(&self) -> SnapshotType {
        match self {
            Wanted::Local => SnapshotType::Local,
            Wanted::Cloud { .. } => SnapshotType::Cloud,
        }
    }
}

/// Why no class was picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassProblem {
    /// The driver has no class of the wanted type: CSI is not set up for it.
    NoneOfType,
    /// Several classes fit and nothing tells them apart.
    Ambiguous(Vec<String>),
    /// `--cred-id` matches no cloud class; the credentials the cloud classes name.
    NoSuchCredential { cred_id: String, named: Vec<String> },
    /// `--class` names a class that does not exist.
    Missing(String),
    /// `--class` names a class of another driver.
    OtherDriver { class: String, driver: String },
    /// `--class` names a class of the other snapshot type.
    WrongType { class: String, is: SnapshotType },
}

/// Picks the class of `driver` for `wanted`: the one `named` (`--class`), else for a local
/// snapshot the driver's default local class or its only local one, for a cloud snapshot its
/// cloud class, narrowed by the credential when one is given.
pub fn pick(
    all: &[VolumeSnapshotClass],
    driver: &str,
    wanted: Wanted<'_>,
    named: Option<&str>,
) -> Result<PortworxClass, ClassProblem> {
    let classes = PortworxClasses::from_classes(all);
    if let Some(named) = named {
        let Some(found) = all
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(named))
        else {
            return Err(ClassProblem::Missing(named.to_string()));
        };
        if found.driver != driver {
            return Err(ClassProblem::OtherDriver {
                class: named.to_string(),
                driver: found.driver.clone(),
            });
        }
        let class = portworx_class(found);
        if class.snapshot_type != wanted.snapshot_type() {
            return Err(ClassProblem::WrongType {
                class: class.name,
                is: class.snapshot_type,
            });
        }
        return Ok(class);
    }
    let of_type: Vec<&PortworxClass> = classes
        .classes
        .iter()
        .filter(|c| c.driver == driver && c.snapshot_type == wanted.snapshot_type())
        .collect();
    let candidates: Vec<&PortworxClass> = match wanted {
        Wanted::Local => {
            let defaults: Vec<&PortworxClass> =
                of_type.iter().copied().filter(|c| c.default).collect();
            match defaults.is_empty() {
                true => of_type,
                false => defaults,
            }
        }
        Wanted::Cloud { cred_id: None } => of_type,
        Wanted::Cloud {
            cred_id: Some(cred_id),
        } => {
            let matching: Vec<&PortworxClass> = of_type
                .iter()
                .copied()
                .filter(|c| c.credential.as_deref() == Some(cred_id))
                .collect();
            if matching.is_empty() && !of_type.is_empty() {
                return Err(ClassProblem::NoSuchCredential {
                    cred_id: cred_id.to_string(),
                    named: of_type
                        .iter()
                        .map(|c| match &c.credential {
                            Some(cred) => format!("{cred} ({})", c.name),
                            None => format!("the default credential ({})", c.name),
                        })
                        .collect(),
                });
            }
            matching
        }
    };
    match candidates.as_slice() {
        [] => Err(ClassProblem::NoneOfType),
        [one] => Ok((*one).clone()),
        several => Err(ClassProblem::Ambiguous(
            several.iter().map(|c| c.name.clone()).collect(),
        )),
    }
}

/// Every VolumeSnapshotClass of the cluster (one call); `None` when the CSI snapshot API is
/// not served.
pub async fn list(cluster: &Cluster) -> Result<Option<Vec<VolumeSnapshotClass>>> {
    let api: Api<VolumeSnapshotClass> = Api::all(cluster.client.clone());
    let params = ListParams::default();
    let listed = cluster
        .read_if_served("list", RESOURCE, None, || api.list(&params))
        .await?;
    Ok(listed.map(|list| list.items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn class(
        name: &str,
        driver: &str,
        default: bool,
        parameters: serde_json::Value,
    ) -> VolumeSnapshotClass {
        let annotations = match default {
            true => json!({DEFAULT_CLASS_ANNOTATION: "true"}),
            false => json!({}),
        };
        serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": annotations},
            "driver": driver, "deletionPolicy": "Delete", "parameters": parameters,
        }))
        .expect("class")
    }

    #[test]
    fn the_default_local_class_and_the_cloud_ones() {
        let classes = PortworxClasses::from_classes(&[
            class("px-local", "pxd.portworx.com", true, json!({})),
            class(
                "px-cloud",
                "pxd.portworx.com",
                false,
                json!({SNAPSHOT_TYPE_PARAMETER: "cloud", "csi.openstorage.org/credential-id": "6b89"}),
            ),
            class("ebs", "ebs.csi.aws.com", true, json!({})),
        ]);
        assert_eq!(classes.classes.len(), 2, "only Portworx classes");
        assert!(matches!(
            classes.default_for("pxd.portworx.com"),
            DefaultClass::One(c) if c.name == "px-local" && c.snapshot_type == SnapshotType::Local
        ));
        let cloud: Vec<_> = classes.cloud().collect();
        assert_eq!(cloud[0].credential.as_deref(), Some("6b89"));
        assert_eq!(classes.drivers(), ["pxd.portworx.com"]);
        assert_eq!(
            classes.default_for("com.openstorage.pxd"),
            DefaultClass::Missing
        );
    }

    #[test]
    fn two_defaults_for_one_driver_are_seen_as_the_controller_sees_them() {
        let classes = PortworxClasses::from_classes(&[
            class("a", "pxd.portworx.com", true, json!({})),
            class(
                "b",
                "pxd.portworx.com",
                true,
                json!({SNAPSHOT_TYPE_PARAMETER: "cloud"}),
            ),
            class("old", "com.openstorage.pxd", true, json!({})),
        ]);
        match classes.default_for("pxd.portworx.com") {
            DefaultClass::Several(found) => assert_eq!(found.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classes.default_for("com.openstorage.pxd"),
            DefaultClass::One(_)
        ));
    }
}
