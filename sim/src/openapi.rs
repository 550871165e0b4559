//! A minimal OpenAPI v3 surface: enough for kubectl to learn that the server does
//! field validation itself (the `fieldValidation` query parameter on each PATCH),
//! so `kubectl create -f` / `apply` skip client-side schema validation. No schemas
//! are published (so `kubectl explain` has nothing to show).

use serde_json::{Map, Value, json};

use super::discovery::KubeVersion;
use super::resources::{RESOURCES, group_versions};

/// `openapi/v3/<path>` key for a group/version.
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the index of per-group-version documents of a server of version `server`.
pub fn root(server: KubeVersion) -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        let p = gv_path(g, v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=pxsnap-sim-{server}")}),
        );
    }
    json!({"paths": paths})
}

/// `/openapi/v2`: a Swagger document with no paths or definitions, in the protobuf
/// form client-go insists on (gnostic `openapi_v2.Document`: field 1 `swagger`,
/// field 2 `info{title=1, version=2}`). kubectl falls back to it for client-side
/// validation of what the v3 check cannot place (e.g. a `v1/List`); with no
/// definitions it has nothing to reject, as for a schema-less CRD.
pub fn swagger_v2_protobuf(server: KubeVersion) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, number: u8, bytes: &[u8]) {
        out.push((number << 3) | 2);
        // Every field here is far shorter than 128 bytes: a one-byte length.
        out.push(u8::try_from(bytes.len()).unwrap_or(0));
        out.extend_from_slice(bytes);
    }
    let mut info = Vec::new();
    field(&mut info, 1, b"Kubernetes");
    field(&mut info, 2, server.to_string().as_bytes());
    let mut doc = Vec::new();
    field(&mut doc, 1, b"2.0");
    field(&mut doc, 2, &info);
    doc
}

/// The media type served with [`swagger_v2_protobuf`] (client-go cannot parse the `@` in the one it asks for).
pub const SWAGGER_V2_PROTOBUF: &str = "application/octet-stream";

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{g}/{v}`, or None when not served.
pub fn group_version(path: &str, server: KubeVersion) -> Option<Value> {
    let (group, version) = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["api", v] => ("", *v),
        ["apis", g, v] => (*g, *v),
        _ => return None,
    };
    let mut paths = Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.serves(version))
    {
        let gvk = json!({"group": r.group, "version": version, "kind": r.kind});
        let field_validation = json!([
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let op = |id: &str| {
            json!({
                "operationId": format!("{id}{}", r.kind),
                "x-kubernetes-group-version-kind": gvk,
                "parameters": field_validation,
                "responses": {"200": {"description": "OK"}},
            })
        };
        let base = if r.group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", r.group)
        };
        let scope = if r.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        paths.insert(
            format!("{base}{scope}/{}", r.plural),
            json!({"post": op("create")}),
        );
        paths.insert(
            format!("{base}{scope}/{}/{{name}}", r.plural),
            json!({"put": op("replace"), "patch": op("patch")}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": server.to_string()},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
