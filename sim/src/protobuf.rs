//! Request bodies in the Kubernetes protobuf wire format.
//!
//! kubectl's imperative commands (`create namespace`, `create secret`, `create configmap`)
//! go through client-go's typed clients, which send built-in kinds as
//! `application/vnd.kubernetes.protobuf` and never retry with JSON: without this, a CI script
//! tried against the simulator fails where it works on a cluster. Bodies are turned into the
//! JSON objects the rest of the simulator stores; responses stay JSON, which every such client
//! also accepts.
//!
//! The wire format (apimachinery `runtime/serializer/protobuf`): the magic `k8s\0`, then a
//! `runtime.Unknown` whose `typeMeta` names the kind and whose `raw` is the object's own
//! protobuf. The generated message types come from `k8s-pb`; k8s-openapi's types do the JSON
//! side (field names, base64 for bytes, omitted empties).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1 as json_core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as json_meta;
use k8s_pb::api::core::v1 as pb_core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as pb_meta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde::Serialize;
use serde_json::Value;

use super::resources::{ResId, id};

/// The media type client-go sends protobuf bodies with.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// `k8s` plus the encoding style 0 (a `runtime.Unknown` follows).
const MAGIC: &[u8] = b"k8s\0";

/// Why a protobuf body could not be read; the caller adds which kind was expected.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("provided data does not appear to be a protobuf message, expected prefix {MAGIC:?}")]
    NoMagic,
    #[error("empty body")]
    Empty,
    #[error("{0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("cannot convert the decoded object to JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// How one kind's `raw` bytes become JSON.
type ReadRaw = fn(&[u8]) -> Result<Value, DecodeError>;

/// The kinds read from protobuf: the built-in ones kubectl's typed clients create, among
/// those the simulator serves.
fn reader(res: ResId) -> Option<ReadRaw> {
    let read: ReadRaw = match res {
        id::NAMESPACES => |raw| to_json(namespace(pb_core::Namespace::decode(raw)?)),
        id::SECRETS => |raw| to_json(secret(pb_core::Secret::decode(raw)?)),
        id::CONFIGMAPS => |raw| to_json(config_map(pb_core::ConfigMap::decode(raw)?)),
        _ => return None,
    };
    Some(read)
}

/// Whether a create/update body for `res` may be protobuf (the 415 message lists it then).
pub fn accepts(res: ResId) -> bool {
    reader(res).is_some()
}

/// The object in a create/update body for `res`, as JSON, or None when this kind is not
/// read from protobuf. `apiVersion` and `kind` are the envelope's, so the usual checks
/// against the URL still apply.
pub fn decode_object(res: ResId, body: &[u8]) -> Option<Result<Value, DecodeError>> {
    let read = reader(res)?;
    Some(open(body).and_then(|envelope| {
        let mut object = read(envelope.raw.as_deref().unwrap_or_default())?;
        if let Some(map) = object.as_object_mut() {
            let type_meta = envelope.type_meta.unwrap_or_default();
            for (field, value) in [
                ("apiVersion", type_meta.api_version),
                ("kind", type_meta.kind),
            ] {
                match value.and_then(non_empty) {
                    Some(v) => map.insert(field.into(), Value::String(v)),
                    None => map.remove(field),
                };
            }
        }
        Ok(object)
    }))
}

/// The `DeleteOptions` in a protobuf DELETE body, as JSON.
pub fn decode_delete_options(body: &[u8]) -> Result<Value, DecodeError> {
    let raw = open(body)?.raw.unwrap_or_default();
    let o = pb_meta::DeleteOptions::decode(raw.as_slice())?;
    to_json(json_meta::DeleteOptions {
        grace_period_seconds: o.grace_period_seconds,
        preconditions: o.preconditions.map(|p| json_meta::Preconditions {
            resource_version: p.resource_version.and_then(non_empty),
            uid: p.uid.and_then(non_empty),
        }),
        orphan_dependents: o.orphan_dependents,
        propagation_policy: o.propagation_policy.and_then(non_empty),
        dry_run: non_empty(o.dry_run),
        ..Default::default()
    })
}

/// The `runtime.Unknown` envelope after the magic prefix.
fn open(body: &[u8]) -> Result<Unknown, DecodeError> {
    match body.strip_prefix(MAGIC) {
        None => Err(DecodeError::NoMagic),
        Some([]) => Err(DecodeError::Empty),
        Some(rest) => Ok(Unknown::decode(rest)?),
    }
}

fn to_json(value: impl Serialize) -> Result<Value, DecodeError> {
    Ok(serde_json::to_value(value)?)
}

/// Go's protobuf writes every unset string, map and list as an empty one; JSON omits them.
fn non_empty<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

/// The fields a client may set. The rest (creation and deletion timestamps, generation,
/// managed fields, self link) are the server's, and Go sends them zeroed.
fn object_meta(meta: Option<pb_meta::ObjectMeta>) -> json_meta::ObjectMeta {
    let m = meta.unwrap_or_default();
    json_meta::ObjectMeta {
        name: m.name.and_then(non_empty),
        generate_name: m.generate_name.and_then(non_empty),
        namespace: m.namespace.and_then(non_empty),
        uid: m.uid.and_then(non_empty),
        resource_version: m.resource_version.and_then(non_empty),
        labels: non_empty(m.labels),
        annotations: non_empty(m.annotations),
        owner_references: non_empty(
            m.owner_references
                .into_iter()
                .map(owner_reference)
                .collect(),
        ),
        finalizers: non_empty(m.finalizers),
        ..Default::default()
    }
}

fn owner_reference(r: pb_meta::OwnerReference) -> json_meta::OwnerReference {
    json_meta::OwnerReference {
        api_version: r.api_version.unwrap_or_default(),
        kind: r.kind.unwrap_or_default(),
        name: r.name.unwrap_or_default(),
        uid: r.uid.unwrap_or_default(),
        controller: r.controller,
        block_owner_deletion: r.block_owner_deletion,
    }
}

/// Spec and status are left out: the server sets a new namespace's finalizers and phase.
fn namespace(n: pb_core::Namespace) -> json_core::Namespace {
    json_core::Namespace {
        metadata: object_meta(n.metadata),
        ..Default::default()
    }
}

fn secret(s: pb_core::Secret) -> json_core::Secret {
    json_core::Secret {
        metadata: object_meta(s.metadata),
        data: non_empty(byte_strings(s.data)),
        string_data: non_empty(s.string_data),
        type_: s.r#type.and_then(non_empty),
        immutable: s.immutable,
    }
}

fn config_map(c: pb_core::ConfigMap) -> json_core::ConfigMap {
    json_core::ConfigMap {
        metadata: object_meta(c.metadata),
        data: non_empty(c.data),
        binary_data: non_empty(byte_strings(c.binary_data)),
        immutable: c.immutable,
    }
}

/// Raw bytes as k8s-openapi's base64-serialized strings.
fn byte_strings(map: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, ByteString> {
    map.into_iter().map(|(k, v)| (k, ByteString(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::apimachinery::pkg::runtime::TypeMeta;

    /// A body as client-go frames it.
    fn frame(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(object.encode_to_vec()),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [MAGIC, &unknown.encode_to_vec()].concat()
    }

    /// Metadata as Go's protobuf writes it: every string present, most of them empty.
    fn go_meta(name: &str) -> pb_meta::ObjectMeta {
        pb_meta::ObjectMeta {
            name: Some(name.into()),
            generate_name: Some(String::new()),
            namespace: Some(String::new()),
            uid: Some(String::new()),
            resource_version: Some(String::new()),
            creation_timestamp: Some(pb_meta::Time::default()),
            labels: [("team".to_string(), "db".to_string())].into(),
            ..Default::default()
        }
    }

    #[test]
    fn secret_bytes_become_base64_and_empty_fields_vanish() {
        let body = frame(
            "v1",
            "Secret",
            &pb_core::Secret {
                metadata: Some(go_meta("s")),
                data: [("password".to_string(), b"hunter2".to_vec())].into(),
                r#type: Some("Opaque".into()),
                ..Default::default()
            },
        );
        let v = decode_object(id::SECRETS, &body).unwrap().unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", "labels": {"team": "db"}},
                "data": {"password": "aHVudGVyMg=="},
                "type": "Opaque",
            })
        );
    }

    #[test]
    fn the_envelope_names_the_kind() {
        let body = frame("apps/v1", "Deployment", &pb_core::ConfigMap::default());
        let v = decode_object(id::CONFIGMAPS, &body).unwrap().unwrap();
        assert_eq!(
            (v["apiVersion"].as_str(), v["kind"].as_str()),
            (Some("apps/v1"), Some("Deployment"))
        );
    }

    #[test]
    fn delete_options_keep_their_preconditions() {
        let body = frame(
            "meta.k8s.io/v1",
            "DeleteOptions",
            &pb_meta::DeleteOptions {
                preconditions: Some(pb_meta::Preconditions {
                    uid: Some("u-1".into()),
                    resource_version: Some(String::new()),
                }),
                propagation_policy: Some("Background".into()),
                ..Default::default()
            },
        );
        let v = decode_delete_options(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"preconditions": {"uid": "u-1"}, "propagationPolicy": "Background"})
        );
    }

    #[test]
    fn bad_frames() {
        assert!(matches!(
            decode_object(id::NAMESPACES, b"{\"kind\":\"Namespace\"}"),
            Some(Err(DecodeError::NoMagic))
        ));
        assert!(matches!(
            decode_object(id::NAMESPACES, MAGIC),
            Some(Err(DecodeError::Empty))
        ));
        assert!(matches!(
            decode_object(id::NAMESPACES, b"k8s\0\x0a\xff"),
            Some(Err(DecodeError::Protobuf(_)))
        ));
        assert!(
            decode_object(id::PODS, MAGIC).is_none(),
            "pods are JSON/YAML only"
        );
    }
}
