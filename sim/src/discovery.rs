//! Discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/{g}`, `/apis/{g}/{v}`.
//!
//! kubectl reads all of these before any other request and resolves short names
//! (`svs`, `vs`, `pvc`) from them, so they are generated from the resource table.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::resources::{RESOURCES, ResourceDef, group_versions};
use super::reviews;

/// A Kubernetes release as `/version` reports it (`v1.33.0`). kubectl's dispatcher picks its
/// client from it, and the API server's version decides how an exec is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubeVersion {
    /// What a scenario reports unless it says otherwise: the dispatcher on the development and
    /// CI machines bundles kubectl only up to 1.33, and picks its client from this version.
    pub const DEFAULT: KubeVersion = KubeVersion {
        major: 1,
        minor: 33,
        patch: 0,
    };

    /// Whether a WebSocket exec (an HTTP GET, so authorized as `get`) must also be allowed
    /// `create`: the `AuthorizePodWebsocketUpgradeCreatePermission` gate, beta and on by
    /// default from 1.35 (`ensureAuthorizedForVerb` in pkg/registry/core/pod/rest).
    pub fn websocket_exec_needs_create(self) -> bool {
        (self.major, self.minor) >= (1, 35)
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::DEFAULT
    }
}

impl std::fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl From<KubeVersion> for String {
    fn from(v: KubeVersion) -> String {
        v.to_string()
    }
}

impl TryFrom<String> for KubeVersion {
    type Error = String;

    fn try_from(text: String) -> Result<KubeVersion, String> {
        let bad = || format!("{text:?} is not a Kubernetes version like \"v1.33.0\"");
        let numbers: Vec<u32> = text
            .strip_prefix('v')
            .ok_or_else(bad)?
            .split('.')
            .map(|n| n.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match numbers.as_slice() {
            &[major, minor, patch] => Ok(KubeVersion {
                major,
                minor,
                patch,
            }),
            _ => Err(bad()),
        }
    }
}

/// `/version` for a server of version `v`.
pub fn version(v: KubeVersion) -> Value {
    let minor = v.minor.to_string();
    json!({
        "major": v.major.to_string(),
        "minor": minor,
        "emulationMajor": v.major.to_string(),
        "emulationMinor": minor,
        "minCompatibilityMajor": v.major.to_string(),
        "minCompatibilityMinor": v.minor.saturating_sub(1).to_string(),
        "gitVersion": v.to_string(),
        "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T13:01:52Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// The group document of `group` served in `versions` (the preferred one first).
fn group_doc(group: &str, versions: &[&str]) -> Value {
    let gvs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = gvs.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": gvs, "preferredVersion": preferred})
}

/// Every served group (core excluded) with its versions, in discovery order.
fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for (g, v) in group_versions()
        .into_iter()
        .chain(reviews::group_versions())
    {
        if g.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(name, _)| *name == g) {
            Some((_, versions)) => versions.push(v),
            None => out.push((g, vec![v])),
        }
    }
    out
}

/// The group list minus `hidden` groups (a cluster where those CRDs are not registered).
pub fn api_group_list_without(hidden: &[&str]) -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .filter(|(g, _)| !hidden.contains(g))
        .map(|(g, versions)| group_doc(g, &versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, or None when the group is not served.
pub fn api_group(group: &str) -> Option<Value> {
    let (g, versions) = groups().into_iter().find(|(g, _)| *g == group)?;
    let mut doc = group_doc(g, &versions);
    if let Some(m) = doc.as_object_mut() {
        m.insert("kind".into(), json!("APIGroup"));
        m.insert("apiVersion".into(), json!("v1"));
    }
    Some(doc)
}

fn verbs(r: &ResourceDef) -> Vec<&'static str> {
    if r.plural == "namespaces" {
        vec![
            "create", "delete", "get", "list", "patch", "update", "watch",
        ]
    } else {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

fn resource_entries(r: &ResourceDef) -> Vec<Value> {
    let mut main = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": verbs(r),
    });
    if !r.short_names.is_empty() {
        main["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        main["categories"] = json!(r.categories);
    }
    let mut out = vec![main];
    if r.plural == "pods" {
        out.push(json!({"name": "pods/exec", "singularName": "", "namespaced": true, "kind": "PodExecOptions", "verbs": ["create", "get"]}));
    }
    if r.status_subresource {
        out.push(json!({"name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get", "patch", "update"]}));
    }
    out
}

/// `/api/v1` or `/apis/{g}/{v}`, or None when not served.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.serves(version))
        .flat_map(resource_entries)
        .collect();
    if resources.is_empty() {
        return reviews::resource_list(group, version);
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_print_and_gate_exec() {
        let v = KubeVersion::try_from("v1.35.2".to_string()).unwrap();
        assert_eq!(v.to_string(), "v1.35.2");
        assert!(v.websocket_exec_needs_create());
        assert!(!KubeVersion::DEFAULT.websocket_exec_needs_create());
        assert_eq!(version(v)["minCompatibilityMinor"], "34");
        assert!(KubeVersion::try_from("1.35".to_string()).is_err());
        assert!(KubeVersion::try_from("v1.x.0".to_string()).is_err());
    }

    #[test]
    fn documents() {
        let core = resource_list("", "v1").unwrap();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"persistentvolumeclaims/status"));
        let ext = resource_list("volumesnapshot.external-storage.k8s.io", "v1").unwrap();
        assert_eq!(ext["resources"][0]["shortNames"][0], "svs");
        assert_eq!(
            ext["resources"].as_array().unwrap().len(),
            2,
            "no status subresource"
        );
        let groups = api_group_list_without(&[]);
        assert_eq!(groups["groups"].as_array().unwrap().len(), 7);
        assert!(api_group("authorization.k8s.io").is_some());
        assert!(resource_list("authentication.k8s.io", "v1").is_some());
        assert!(api_group("nope").is_none());
        assert!(resource_list("stork.libopenstorage.org", "v1").is_none());
        let group = api_group("groupsnapshot.storage.k8s.io").unwrap();
        assert_eq!(group["preferredVersion"]["version"], "v1beta2");
        assert_eq!(group["versions"][1]["version"], "v1beta1");
        let old = resource_list("groupsnapshot.storage.k8s.io", "v1beta1").unwrap();
        assert_eq!(old["groupVersion"], "groupsnapshot.storage.k8s.io/v1beta1");
        assert_eq!(old["resources"][0]["shortNames"][0], "vgs");
    }
}
