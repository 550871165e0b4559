//! The two review APIs a client asks about itself: `SelfSubjectAccessReview` ("may I do this?",
//! what `kubectl auth can-i` sends) and `SelfSubjectReview` ("who am I?", `kubectl auth whoami`).
//!
//! Neither is stored: a POST is answered from the simulator's own authorizer ([`User::allowed`])
//! and user table, as kube-apiserver answers from its RBAC authorizer and authenticator
//! (`pkg/registry/authorization/selfsubjectaccessreview/rest.go`,
//! `pkg/registry/authentication/selfsubjectreview/rest.go`). Every authenticated user may create
//! both, as the default `system:basic-user` ClusterRole allows on a real cluster.

use serde_json::{Value, json};

use super::auth::{Attributes, User};
use super::status::ApiError;

/// One review resource: create-only, cluster-scoped, never stored.
#[derive(Debug)]
pub struct ReviewDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
}

/// The review resources served, in discovery order.
pub static REVIEWS: [ReviewDef; 2] = [
    ReviewDef {
        group: "authentication.k8s.io",
        version: "v1",
        plural: "selfsubjectreviews",
        singular: "selfsubjectreview",
        kind: "SelfSubjectReview",
    },
    ReviewDef {
        group: "authorization.k8s.io",
        version: "v1",
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        kind: "SelfSubjectAccessReview",
    },
];

/// The review resource at `/apis/{group}/{version}/{plural}`, if it is one.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ReviewDef> {
    REVIEWS
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The group/version pairs of the review APIs, for `/apis`.
pub fn group_versions() -> impl Iterator<Item = (&'static str, &'static str)> {
    REVIEWS.iter().map(|r| (r.group, r.version))
}

/// `/apis/{group}/{version}` for a review group, or None.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let def = REVIEWS
        .iter()
        .find(|r| r.group == group && r.version == version)?;
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": format!("{group}/{version}"),
        "resources": [{
            "name": def.plural,
            "singularName": def.singular,
            "namespaced": false,
            "kind": def.kind,
            "verbs": ["create"],
        }],
    }))
}

/// The groups the authenticator puts every user in: the admin is a cluster admin, the
/// scenario's users are plain authenticated users bound to their rules.
fn groups_of(user: &User) -> Vec<&'static str> {
    if user.admin {
        vec!["system:masters", "system:authenticated"]
    } else {
        vec!["system:authenticated"]
    }
}

/// The answer to a POST of `body` (of `media_type`) to `def`: the review with its `status`
/// filled in, always as JSON (clients accept it whatever they sent).
pub fn answer(
    user: &User,
    def: &ReviewDef,
    media_type: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let unrecognized = |e: String| {
        ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): {e}",
            def.kind
        ))
    };
    let mut review: Value = match media_type {
        PROTOBUF => protobuf::review(body).map_err(unrecognized)?,
        "" | "application/json" | "*/*" => {
            serde_json::from_slice(body).map_err(|e| unrecognized(e.to_string()))?
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "application/json, application/vnd.kubernetes.protobuf".into(),
            ));
        }
    };
    let status = match def.kind {
        "SelfSubjectReview" => json!({"userInfo": {
            "username": user.name,
            "groups": groups_of(user),
        }}),
        _ => access_status(user, def, &review)?,
    };
    let Some(object) = review.as_object_mut() else {
        return Err(ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): expected an object",
            def.kind
        )));
    };
    object.insert("kind".into(), json!(def.kind));
    object.insert(
        "apiVersion".into(),
        json!(format!("{}/{}", def.group, def.version)),
    );
    object.insert("metadata".into(), json!({"creationTimestamp": null}));
    object.insert("status".into(), status);
    Ok(review)
}

/// The media type kubectl (client-go's typed clients) sends built-in objects in.
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The protobuf form of a review, as far as answering it needs: kube-apiserver's envelope
/// (`k8s\0` then a `runtime.Unknown` whose `raw` (2) is the object) around the object's
/// `spec` (2), field numbers from `k8s.io/api/authorization/v1/generated.proto`. A
/// SelfSubjectReview's spec is empty, so it decodes to no spec.
mod protobuf {
    use prost::Message;
    use serde::Serialize;
    use serde_json::{Value, json};

    const MAGIC: &[u8] = b"k8s\0";

    #[derive(Clone, PartialEq, prost::Message)]
    struct Unknown {
        #[prost(bytes = "vec", tag = "2")]
        raw: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Review {
        #[prost(message, optional, tag = "2")]
        spec: Option<Spec>,
    }

    #[derive(Clone, PartialEq, prost::Message, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec {
        #[prost(message, optional, tag = "1")]
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_attributes: Option<ResourceAttributes>,
        #[prost(message, optional, tag = "2")]
        #[serde(skip_serializing_if = "Option::is_none")]
        non_resource_attributes: Option<NonResourceAttributes>,
    }

    #[derive(Clone, PartialEq, prost::Message, Serialize)]
    struct ResourceAttributes {
        #[prost(string, optional, tag = "1")]
        namespace: Option<String>,
        #[prost(string, optional, tag = "2")]
        verb: Option<String>,
        #[prost(string, optional, tag = "3")]
        group: Option<String>,
        #[prost(string, optional, tag = "4")]
        version: Option<String>,
        #[prost(string, optional, tag = "5")]
        resource: Option<String>,
        #[prost(string, optional, tag = "6")]
        subresource: Option<String>,
        #[prost(string, optional, tag = "7")]
        name: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message, Serialize)]
    struct NonResourceAttributes {
        #[prost(string, optional, tag = "1")]
        path: Option<String>,
        #[prost(string, optional, tag = "2")]
        verb: Option<String>,
    }

    /// The review in `body` as the JSON object a client would have sent.
    pub fn review(body: &[u8]) -> Result<Value, String> {
        let envelope = body
            .strip_prefix(MAGIC)
            .ok_or("the protobuf body does not start with the k8s envelope")?;
        let raw = Unknown::decode(envelope).map_err(|e| e.to_string())?.raw;
        let spec = Review::decode(raw.as_slice())
            .map_err(|e| e.to_string())?
            .spec;
        let spec = serde_json::to_value(spec.unwrap_or_default()).map_err(|e| e.to_string())?;
        Ok(json!({"spec": spec}))
    }

    /// A review of `verb` on `resource`/`subresource` in `namespace`, as kubectl encodes it.
    #[cfg(test)]
    pub fn encode(namespace: &str, verb: &str, resource: &str, subresource: &str) -> Vec<u8> {
        let review = Review {
            spec: Some(Spec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some(namespace.into()),
                    verb: Some(verb.into()),
                    resource: Some(resource.into()),
                    subresource: Some(subresource.into()),
                    ..ResourceAttributes::default()
                }),
                non_resource_attributes: None,
            }),
        };
        let unknown = Unknown {
            raw: review.encode_to_vec(),
        };
        [MAGIC, &unknown.encode_to_vec()].concat()
    }
}

/// `status` of a SelfSubjectAccessReview: RBAC has no deny rules, so a request no rule grants
/// is `allowed: false` with no opinion (`denied` left out, as the real server leaves it).
fn access_status(user: &User, def: &ReviewDef, review: &Value) -> Result<Value, ApiError> {
    let allowed = match (
        review.pointer("/spec/resourceAttributes"),
        review.pointer("/spec/nonResourceAttributes"),
    ) {
        (Some(resource), None) => user.allowed(&attributes(resource)),
        (None, Some(path)) => non_resource_allowed(user, path),
        _ => {
            return Err(ApiError::Invalid {
                message: format!(
                    "{}.{} \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    def.kind, def.group
                ),
                group: def.group.into(),
                kind: def.kind.into(),
                name: String::new(),
                causes: Vec::new(),
            });
        }
    };
    Ok(match allowed {
        true => {
            json!({"allowed": true, "reason": format!("RBAC: allowed by the simulator's rules for User \"{}\"", user.name)})
        }
        false => json!({"allowed": false}),
    })
}

/// `spec.resourceAttributes` in the authorizer's terms.
fn attributes(resource: &Value) -> Attributes {
    let field = |name: &str| {
        resource
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Attributes {
        verb: field("verb"),
        group: field("group"),
        resource: field("resource"),
        subresource: field("subresource"),
        namespace: field("namespace"),
        name: field("name"),
    }
}

/// Non-resource paths: the admin may do anything; everyone may read discovery, version and
/// health, as `system:discovery` and `system:public-info-viewer` allow.
fn non_resource_allowed(user: &User, attributes: &Value) -> bool {
    let path = attributes.get("path").and_then(Value::as_str).unwrap_or("");
    let verb = attributes.get("verb").and_then(Value::as_str).unwrap_or("");
    let public = ["/api", "/apis", "/version", "/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    user.admin || (verb == "get" && public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::RuleSpec;

    fn user(rules: Vec<RuleSpec>) -> User {
        User {
            name: "ci".into(),
            token: "t".into(),
            admin: false,
            rules,
        }
    }

    fn exec_reader() -> User {
        user(vec![RuleSpec {
            verbs: vec!["get".into()],
            api_groups: vec!["".into()],
            resources: vec!["pods/exec".into()],
            namespaces: vec!["db".into()],
            resource_names: vec![],
        }])
    }

    fn ask(user: &User, attributes: Value) -> Value {
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}});
        answer(
            user,
            &REVIEWS[1],
            "application/json",
            body.to_string().as_bytes(),
        )
        .expect("answered")
    }

    #[test]
    fn access_reviews_follow_the_rules() {
        let u = exec_reader();
        let yes = ask(
            &u,
            json!({"verb": "get", "resource": "pods", "subresource": "exec", "namespace": "db"}),
        );
        assert_eq!(yes["status"]["allowed"], true, "{yes}");
        assert_eq!(yes["spec"]["resourceAttributes"]["namespace"], "db");
        let other_ns = ask(
            &u,
            json!({"verb": "get", "resource": "pods", "subresource": "exec", "namespace": "x"}),
        );
        assert_eq!(other_ns["status"], json!({"allowed": false}));
        // `kubectl auth can-i get pods/exec` asks about a pod named "exec", not the subresource.
        let named = ask(
            &u,
            json!({"verb": "get", "resource": "pods", "name": "exec", "namespace": "db"}),
        );
        assert_eq!(named["status"]["allowed"], false);
        let err = answer(&u, &REVIEWS[1], "", br#"{"spec": {}}"#).expect_err("no attributes");
        assert_eq!(err.code(), 422);
    }

    /// kubectl sends its reviews as protobuf.
    #[test]
    fn protobuf_reviews_are_read() {
        let body = protobuf::encode("db", "get", "pods", "exec");
        let review = answer(&exec_reader(), &REVIEWS[1], PROTOBUF, &body).expect("answered");
        assert_eq!(review["status"]["allowed"], true, "{review}");
        assert_eq!(review["spec"]["resourceAttributes"]["subresource"], "exec");
        let whoami = answer(&exec_reader(), &REVIEWS[0], PROTOBUF, b"k8s\0").expect("answered");
        assert_eq!(whoami["status"]["userInfo"]["username"], "ci");
        assert!(answer(&exec_reader(), &REVIEWS[1], PROTOBUF, b"junk").is_err());
    }

    #[test]
    fn self_review_names_the_user_and_groups() {
        let review = answer(&exec_reader(), &REVIEWS[0], "", b"{}").expect("answered");
        assert_eq!(
            review["status"]["userInfo"],
            json!({"username": "ci", "groups": ["system:authenticated"]})
        );
        assert_eq!(review["apiVersion"], "authentication.k8s.io/v1");
        assert!(lookup("authorization.k8s.io", "v1", "selfsubjectaccessreviews").is_some());
        assert!(lookup("authorization.k8s.io", "v1", "subjectaccessreviews").is_none());
        assert_eq!(
            resource_list("authentication.k8s.io", "v1").expect("served")["resources"][0]["verbs"],
            json!(["create"])
        );
    }
}
