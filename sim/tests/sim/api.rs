//! kube-rs against pxsnap-sim: discovery, list/selectors/paging, create/update/patch/delete
//! semantics, auth, and bad input — each answered with the Status a real API server gives.

use crate::common::{SimHandle, api_error, cassandra_pod_reader, create, res};
use axum::http::{Method, Request};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use pxsnap_sim::{Scenario, SimOptions};
use serde_json::{Value, json};

fn raw(method: Method, path: &str, content_type: &str, body: &str) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", content_type)
        .body(body.as_bytes().to_vec())
        .expect("request")
}

/// A bodiless GET of `path`: how the tests read discovery and the control endpoints.
fn get_request(path: &str) -> Request<Vec<u8>> {
    raw(Method::GET, path, "application/json", "")
}

/// A POST of the JSON `body` to `path`.
fn post_json(path: &str, body: &str) -> Request<Vec<u8>> {
    raw(Method::POST, path, "application/json", body)
}

fn rule(name: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "Rule",
        "metadata": {"name": name, "namespace": "cassandra"},
        "rules": [{"podSelector": {"app": "cassandra"}, "actions": [{"type": "command", "value": "nodetool flush"}]}],
    }))
    .expect("rule")
}

#[tokio::test]
async fn discovery_reports_version_groups_scope_and_short_names() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let v = client.apiserver_version().await.expect("version");
    assert_eq!(v.git_version, "v1.33.0");
    let ext: Value = client
        .request(get_request(
            "/apis/volumesnapshot.external-storage.k8s.io/v1",
        ))
        .await
        .expect("ext discovery");
    let find = |doc: &Value, name: &str| {
        doc["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{name} missing from {doc}"))
    };
    let svs = find(&ext, "volumesnapshots");
    assert_eq!(svs["namespaced"], true);
    assert_eq!(svs["shortNames"][0], "svs");
    assert_eq!(find(&ext, "volumesnapshotdatas")["namespaced"], false);
    let core: Value = client
        .request(get_request("/api/v1"))
        .await
        .expect("core discovery");
    assert_eq!(find(&core, "pods/exec")["verbs"], json!(["create", "get"]));
    assert_eq!(
        find(&core, "persistentvolumeclaims")["shortNames"],
        json!(["pvc"])
    );
    let csi: Value = client
        .request(get_request("/apis/snapshot.storage.k8s.io/v1"))
        .await
        .expect("csi discovery");
    assert_eq!(find(&csi, "volumesnapshots")["shortNames"], json!(["vs"]));
    assert_eq!(find(&csi, "volumesnapshotcontents")["namespaced"], false);
    // kube-rs discovery agrees with the documents.
    let discovery = kube::Discovery::new(client).run().await.expect("discovery");
    let groups: Vec<String> = discovery.groups().map(|g| g.name().to_string()).collect();
    for g in [
        "",
        "storage.k8s.io",
        "volumesnapshot.external-storage.k8s.io",
        "stork.libopenstorage.org",
        "snapshot.storage.k8s.io",
    ] {
        assert!(groups.iter().any(|x| x == g), "{g} missing from {groups:?}");
    }
}

#[tokio::test]
async fn list_with_label_and_field_selectors() {
    let h = SimHandle::cassandra();
    let pods: Api<Pod> = Api::namespaced(h.client().await, "cassandra");
    let count = |sel: &'static str| {
        let pods = pods.clone();
        async move {
            pods.list(&ListParams::default().labels(sel))
                .await
                .expect(sel)
                .items
                .len()
        }
    };
    assert_eq!(count("app=cassandra").await, 3);
    assert_eq!(count("app==cassandra").await, 3);
    assert_eq!(count("app!=cassandra").await, 0);
    assert_eq!(count("app in (x, cassandra)").await, 3);
    assert_eq!(count("app notin (cassandra)").await, 0);
    assert_eq!(count("app").await, 3);
    assert_eq!(count("!app").await, 0);
    let by_name = pods
        .list(&ListParams::default().fields("metadata.name=cassandra-1"))
        .await
        .expect("field selector");
    assert_eq!(by_name.items.len(), 1);
    let running = pods
        .list(&ListParams::default().fields("status.phase=Running,metadata.namespace=cassandra"))
        .await
        .expect("phase selector");
    assert_eq!(running.items.len(), 3);
    let bad = pods
        .list(&ListParams::default().labels("app in cassandra"))
        .await
        .unwrap_err();
    assert_eq!(api_error(bad).0, 400);
    let bad = pods
        .list(&ListParams::default().fields("spec.bogus=1"))
        .await
        .unwrap_err();
    let (code, _, msg) = api_error(bad);
    assert_eq!(
        (code, msg.as_str()),
        (400, "field label not supported: spec.bogus")
    );
}

#[tokio::test]
async fn cluster_wide_list_pages_with_continue_tokens() {
    let h = SimHandle::cassandra();
    let pods: Api<Pod> = Api::all(h.client().await);
    let all = pods.list(&ListParams::default()).await.expect("list all");
    assert_eq!(
        all.items.len(),
        6,
        "4 app pods, the stork pod and the snapshot-controller's"
    );
    let mut seen = Vec::new();
    let mut lp = ListParams::default().limit(2);
    let mut pages = 0;
    loop {
        let page = pods.list(&lp).await.expect("page");
        pages += 1;
        assert_eq!(
            page.metadata.resource_version,
            all.metadata.resource_version
        );
        seen.extend(
            page.items
                .iter()
                .map(|p| p.metadata.name.clone().unwrap_or_default()),
        );
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => {
                assert!(page.metadata.remaining_item_count.unwrap_or(0) > 0);
                lp = lp.continue_token(&c);
            }
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = all
        .items
        .iter()
        .map(|p| p.metadata.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        seen, expected,
        "pages concatenate to the full list, in order"
    );
    let bad = pods
        .list(&ListParams::default().continue_token("zz"))
        .await
        .unwrap_err();
    assert_eq!(api_error(bad).0, 400);
    // After a compaction an old continue token is 410 Expired.
    let first = pods
        .list(&ListParams::default().limit(2))
        .await
        .expect("page");
    let token = first.metadata.continue_.clone().expect("token");
    let ns: Api<DynamicObject> = Api::namespaced_with(h.client().await, "cassandra", &res::rule());
    ns.create(&PostParams::default(), &rule("bump"))
        .await
        .expect("bump rv");
    h.sim.compact();
    let gone = pods
        .list(&ListParams::default().continue_token(&token))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = gone else {
        panic!("expected a Status, got {gone:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
    assert!(
        status.message.starts_with("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response"),
        "{}",
        status.message
    );
    // As the real server, it offers a token that continues at the latest resourceVersion.
    let offered = status
        .metadata
        .and_then(|meta| meta.continue_)
        .expect("a continue token in the Status");
    let rest = pods
        .list(&ListParams::default().continue_token(&offered))
        .await
        .expect("the offered token continues the list");
    let names = |pods: &[Pod]| -> Vec<String> {
        pods.iter()
            .map(|p| p.metadata.name.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(names(&rest.items), names(&all.items[2..]));
}

#[tokio::test]
async fn create_fills_metadata_and_refuses_duplicates_and_missing_namespaces() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let rules: Api<DynamicObject> = Api::namespaced_with(client.clone(), "cassandra", &res::rule());
    let created = create(&rules, &rule("presnap")).await;
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.resource_version.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    assert_eq!(
        created.data["rules"][0]["actions"][0]["value"],
        "nodetool flush"
    );
    let dup = rules
        .create(&PostParams::default(), &rule("presnap"))
        .await
        .unwrap_err();
    let (code, reason, msg) = api_error(dup);
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(
        msg,
        "rules.stork.libopenstorage.org \"presnap\" already exists"
    );
    let mut generated = rule("");
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("snap-rule-".into());
    let g = rules
        .create(&PostParams::default(), &generated)
        .await
        .expect("generateName");
    let name = g.metadata.name.unwrap_or_default();
    assert!(
        name.starts_with("snap-rule-") && name.len() == "snap-rule-".len() + 5,
        "{name}"
    );
    let missing: Api<DynamicObject> = Api::namespaced_with(client, "nope", &res::rule());
    let mut r = rule("x");
    r.metadata.namespace = Some("nope".into());
    let err = missing
        .create(&PostParams::default(), &r)
        .await
        .unwrap_err();
    let (code, reason, msg) = api_error(err);
    assert_eq!(
        (code, reason.as_str(), msg.as_str()),
        (404, "NotFound", "namespaces \"nope\" not found")
    );
}

#[tokio::test]
async fn update_with_a_stale_resource_version_conflicts() {
    let h = SimHandle::cassandra();
    let rules: Api<DynamicObject> =
        Api::namespaced_with(h.client().await, "cassandra", &res::rule());
    let v1 = create(&rules, &rule("r")).await;
    let mut v2 = v1.clone();
    v2.metadata.labels = Some([("step".to_string(), "2".to_string())].into());
    let saved = rules
        .replace("r", &PostParams::default(), &v2)
        .await
        .expect("replace");
    assert_ne!(
        saved.metadata.resource_version,
        v1.metadata.resource_version
    );
    let err = rules
        .replace("r", &PostParams::default(), &v1)
        .await
        .unwrap_err();
    let (code, reason, msg) = api_error(err);
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert!(
        msg.starts_with("Operation cannot be fulfilled on rules.stork.libopenstorage.org \"r\""),
        "{msg}"
    );
    // Custom resources need a resourceVersion on update.
    let mut no_rv = saved.clone();
    no_rv.metadata.resource_version = None;
    let err = rules
        .replace("r", &PostParams::default(), &no_rv)
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 422);
}

#[tokio::test]
async fn merge_strategic_and_json_patches() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let rules: Api<DynamicObject> = Api::namespaced_with(client.clone(), "cassandra", &res::rule());
    create(&rules, &rule("r")).await;
    let patched = rules
        .patch(
            "r",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"a": "1"}}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(patched.metadata.annotations.unwrap_or_default()["a"], "1");
    assert_eq!(
        patched.data["rules"][0]["podSelector"]["app"], "cassandra",
        "rest untouched"
    );
    let err = rules
        .patch(
            "r",
            &PatchParams::default(),
            &Patch::Strategic(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap_err();
    assert_eq!(
        api_error(err).0,
        415,
        "no strategic merge patch for custom resources"
    );
    let json_patched = rules
        .patch(
            "r",
            &PatchParams::default(),
            &Patch::Json::<()>(
                serde_json::from_value(
                    json!([{"op": "replace", "path": "/rules/0/actions/0/value", "value": "sync"}]),
                )
                .expect("ops"),
            ),
        )
        .await
        .expect("json patch");
    assert_eq!(json_patched.data["rules"][0]["actions"][0]["value"], "sync");
    // A patch carrying a stale resourceVersion conflicts.
    let err = rules
        .patch(
            "r",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"resourceVersion": "1"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 409);
    // Strategic merge on a pod's status merges conditions by type.
    let pods: Api<Pod> = Api::namespaced(client, "cassandra");
    let p = pods
        .patch_status(
            "cassandra-0",
            &PatchParams::default(),
            &Patch::Strategic(
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
            ),
        )
        .await
        .expect("strategic status patch");
    let conds = p.status.and_then(|s| s.conditions).unwrap_or_default();
    assert_eq!(conds.len(), 4, "merged by type, not replaced");
    assert_eq!(
        conds
            .iter()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status.as_str()),
        Some("False")
    );
}

#[tokio::test]
async fn status_subresource_separates_spec_and_status() {
    let h = SimHandle::cassandra();
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(h.client().await, "cassandra");
    let name = "cassandra-data-cassandra-0";
    let p = pvcs
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"l": "1"}}, "status": {"phase": "Lost"}})),
        )
        .await
        .expect("main patch");
    assert_eq!(
        p.status.and_then(|s| s.phase).as_deref(),
        Some("Bound"),
        "main resource ignores status"
    );
    assert_eq!(p.metadata.labels.unwrap_or_default()["l"], "1");
    let p = pvcs
        .patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"l": "2"}}, "status": {"phase": "Lost"}})),
        )
        .await
        .expect("status patch");
    assert_eq!(p.status.and_then(|s| s.phase).as_deref(), Some("Lost"));
    assert_eq!(
        p.metadata.labels.unwrap_or_default()["l"],
        "1",
        "status subresource ignores metadata"
    );
}

#[tokio::test]
async fn delete_returns_the_object_and_then_404() {
    let h = SimHandle::cassandra();
    let rules: Api<DynamicObject> =
        Api::namespaced_with(h.client().await, "cassandra", &res::rule());
    create(&rules, &rule("r")).await;
    let gone = rules
        .delete("r", &DeleteParams::default())
        .await
        .expect("delete");
    let obj = gone.left().expect("the deleted object, not a Status");
    assert_eq!(obj.metadata.name.as_deref(), Some("r"));
    let err = rules.get("r").await.unwrap_err();
    let (code, reason, msg) = api_error(err);
    assert_eq!(
        (code, reason.as_str(), msg.as_str()),
        (
            404,
            "NotFound",
            "rules.stork.libopenstorage.org \"r\" not found"
        )
    );
    let err = rules
        .delete("r", &DeleteParams::default())
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 404);
}

fn restricted_scenario() -> Scenario {
    let mut s = Scenario::builtin("cassandra").expect("builtin");
    s.users.push(cassandra_pod_reader("snapper"));
    s
}

#[tokio::test]
async fn wrong_token_is_401_and_restricted_user_gets_real_403_wording() {
    let h = SimHandle::start_with(SimOptions::new(restricted_scenario()));
    let bad = h.client_with_token("not-the-token").await;
    let err = Api::<Pod>::namespaced(bad, "cassandra")
        .list(&ListParams::default())
        .await
        .unwrap_err();
    let (code, reason, _) = api_error(err);
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));

    let user = h.client_for_context(Some("pxsnap-sim-snapper")).await;
    let ok = Api::<Pod>::namespaced(user.clone(), "cassandra")
        .list(&ListParams::default())
        .await;
    assert_eq!(ok.expect("allowed").items.len(), 3);
    let err = Api::<Pod>::namespaced(user.clone(), "default")
        .list(&ListParams::default())
        .await
        .unwrap_err();
    let (code, reason, msg) = api_error(err);
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        msg,
        "pods is forbidden: User \"snapper\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
    );
    let err = Api::<Pod>::all(user.clone())
        .list(&ListParams::default())
        .await
        .unwrap_err();
    assert!(api_error(err).2.ends_with("at the cluster scope"));
    let err =
        Api::<DynamicObject>::namespaced_with(user.clone(), "cassandra", &res::stork_snapshot())
            .list(&ListParams::default())
            .await
            .unwrap_err();
    assert_eq!(
        api_error(err).2,
        "volumesnapshots.volumesnapshot.external-storage.k8s.io is forbidden: User \"snapper\" cannot list resource \"volumesnapshots\" in API group \"volumesnapshot.external-storage.k8s.io\" in the namespace \"cassandra\""
    );
    let err = user
        .request::<Value>(post_json(
            "/api/v1/namespaces/cassandra/pods/cassandra-0/exec?command=true&stdout=true",
            "",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(err).2,
        "pods \"cassandra-0\" is forbidden: User \"snapper\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"cassandra\""
    );
    let err = user
        .request::<Value>(get_request("/sim/timeline"))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(err).0,
        403,
        "the control endpoints are admin-only"
    );
}

#[tokio::test]
async fn bad_input_gets_status_errors() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let svs =
        "/apis/volumesnapshot.external-storage.k8s.io/v1/namespaces/cassandra/volumesnapshots";
    let cases: Vec<(Request<Vec<u8>>, u16, &str)> = vec![
        (post_json(svs, "{not json"), 400, "BadRequest"),
        (post_json(svs, "[1,2]"), 400, "BadRequest"),
        (
            raw(Method::POST, svs, "text/plain", "{}"),
            415,
            "UnsupportedMediaType",
        ),
        (
            post_json(
                "/apis/volumesnapshot.external-storage.k8s.io/v1/namespaces/nope/volumesnapshots",
                r#"{"metadata":{"name":"x"},"spec":{"persistentVolumeClaimName":"p"}}"#,
            ),
            404,
            "NotFound",
        ),
        (
            post_json(svs, r#"{"metadata":{"name":"x","namespace":"other"}}"#),
            400,
            "BadRequest",
        ),
        (
            post_json(
                svs,
                r#"{"apiVersion":"v1","kind":"VolumeSnapshot","metadata":{"name":"x"}}"#,
            ),
            400,
            "BadRequest",
        ),
        (post_json(svs, r#"{"metadata":{}}"#), 422, "Invalid"),
        (
            get_request("/api/v1/namespaces/cassandra/pods/cassandra-0/log"),
            404,
            "NotFound",
        ),
        (
            raw(
                Method::PATCH,
                "/api/v1/namespaces/cassandra/pods/cassandra-0",
                "application/json",
                "{}",
            ),
            415,
            "UnsupportedMediaType",
        ),
        (
            raw(
                Method::PATCH,
                "/api/v1/namespaces/cassandra/pods/cassandra-0",
                "application/merge-patch+json",
                "{oops",
            ),
            400,
            "BadRequest",
        ),
        (
            post_json("/api/v1/namespaces/cassandra/pods/cassandra-0", "{}"),
            405,
            "MethodNotAllowed",
        ),
        (
            get_request("/api/v1/namespaces/cassandra/pods?labelSelector=a%20in%20b"),
            400,
            "BadRequest",
        ),
        (
            get_request("/api/v1/namespaces/cassandra/pods?limit=abc"),
            400,
            "BadRequest",
        ),
    ];
    for (req, code, reason) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let err = client.request::<Value>(req).await.unwrap_err();
        let (c, r, m) = api_error(err);
        assert_eq!((c, r.as_str()), (code, reason), "{what}: {m}");
        assert!(!m.is_empty(), "{what}: a message");
    }
    // The simulator is still fine afterwards.
    let pods: Api<Pod> = Api::namespaced(client, "cassandra");
    assert_eq!(
        pods.list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        3
    );
}

/// A body framed as client-go's protobuf serializer frames it: `k8s\0` and a
/// `runtime.Unknown` naming the kind.
fn protobuf_body(api_version: &str, kind: &str, object: &impl prost::Message) -> Vec<u8> {
    use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(object.encode_to_vec()),
        ..Default::default()
    };
    [&b"k8s\0"[..], &prost::Message::encode_to_vec(&unknown)].concat()
}

fn protobuf_request(method: Method, path: &str, body: Vec<u8>) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", "application/vnd.kubernetes.protobuf")
        .body(body)
        .expect("request")
}

/// Kinds not read from protobuf say so, and the 415 lists only what is read.
#[tokio::test]
async fn protobuf_bodies_of_unread_kinds_get_an_honest_415() {
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let pod = protobuf_body("v1", "Pod", &k8s_pb::api::core::v1::Pod::default());
    let svs =
        "/apis/volumesnapshot.external-storage.k8s.io/v1/namespaces/cassandra/volumesnapshots";
    for path in ["/api/v1/namespaces/cassandra/pods", svs] {
        let err = client
            .request::<Value>(protobuf_request(Method::POST, path, pod.clone()))
            .await
            .unwrap_err();
        assert_eq!(
            api_error(err),
            (
                415,
                "UnsupportedMediaType".into(),
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml".into()
            ),
            "{path}"
        );
    }
    let err = client
        .request::<Value>(raw(Method::POST, "/api/v1/namespaces", "text/plain", "{}"))
        .await
        .unwrap_err();
    assert_eq!(
        api_error(err).2,
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
    );
    let err = client
        .request::<Value>(protobuf_request(
            Method::POST,
            "/api/v1/namespaces",
            b"k8s\0\x0a\xff".to_vec(),
        ))
        .await
        .unwrap_err();
    let (code, reason, message) = api_error(err);
    assert_eq!((code, reason.as_str()), (400, "BadRequest"), "{message}");
    assert!(
        message.starts_with("the object provided is unrecognized (must be of type Namespace): "),
        "{message}"
    );
}

/// client-go's typed clients send `DeleteOptions` as protobuf too; preconditions hold.
#[tokio::test]
async fn protobuf_delete_options_carry_preconditions() {
    use k8s_pb::apimachinery::pkg::apis::meta::v1::{DeleteOptions, Preconditions};
    let h = SimHandle::cassandra();
    let client = h.client().await;
    let path = "/api/v1/namespaces/cassandra/persistentvolumeclaims/cassandra-data-cassandra-0";
    let options = |uid: &str| {
        let opts = DeleteOptions {
            preconditions: Some(Preconditions {
                uid: Some(uid.into()),
                resource_version: Some(String::new()),
            }),
            ..Default::default()
        };
        protobuf_request(
            Method::DELETE,
            path,
            protobuf_body("meta.k8s.io/v1", "DeleteOptions", &opts),
        )
    };
    let err = client
        .request::<Value>(options("not-the-uid"))
        .await
        .unwrap_err();
    assert_eq!(api_error(err).0, 409, "a uid precondition that fails");
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "cassandra");
    let uid = pvcs
        .get("cassandra-data-cassandra-0")
        .await
        .expect("still there")
        .metadata
        .uid
        .expect("uid");
    let gone: Value = client.request(options(&uid)).await.expect("deleted");
    assert_eq!(gone["metadata"]["uid"], json!(uid));
    assert!(
        pvcs.get_opt("cassandra-data-cassandra-0")
            .await
            .expect("get")
            .is_none()
    );
}

/// A path no handler serves gets the API server's mux 404, Go's `http.NotFound`: an API group
/// that is not installed, a resource no CRD defines, a path outside the API. kubectl reads it as
/// "the server could not find the requested resource"; pxsnap must too.
#[tokio::test]
async fn paths_nothing_serves_get_the_muxs_plain_404() {
    let mut scenario = Scenario::builtin("cassandra").expect("scenario");
    scenario.stork_crds = false;
    let h = SimHandle::start(scenario);
    let client = h.client().await;
    for path in [
        "/apis/nope.example.com/v1/things",
        "/apis/nope.example.com/v1",
        "/apis/nope.example.com",
        "/apis/stork.libopenstorage.org/v1alpha1/namespaces/cassandra/groupvolumesnapshots/g",
        "/apis/volumesnapshot.external-storage.k8s.io/v1",
        "/apis/snapshot.storage.k8s.io/v1/namespaces/cassandra/widgets",
        "/nope",
    ] {
        let response = client
            .send(get_request(path).map(kube::client::Body::from))
            .await
            .expect("an answer");
        let (parts, body) = response.into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .expect("body")
            .to_bytes();
        assert_eq!(parts.status, 404, "{path}");
        assert_eq!(
            parts.headers["content-type"], "text/plain; charset=utf-8",
            "{path}"
        );
        assert_eq!(parts.headers["x-content-type-options"], "nosniff");
        assert_eq!(&body[..], b"404 page not found\n", "{path}");
    }
    // A built-in group's web service answers its own unknown resources with a Status.
    let err = client
        .request::<Value>(get_request("/api/v1/namespaces/cassandra/widgets"))
        .await
        .unwrap_err();
    assert_eq!(api_error(err).1, "NotFound");
}

/// The entries of an object's `metadata.managedFields`, as (manager, subresource, fieldsV1).
fn managed_fields(object: &Value) -> Vec<(String, String, Value)> {
    let entries = object["metadata"]["managedFields"].as_array().cloned();
    entries
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            assert_eq!(entry["operation"], "Update");
            assert_eq!(entry["fieldsType"], "FieldsV1");
            assert!(
                entry["time"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{entry}"
            );
            let text = |key: &str| entry[key].as_str().unwrap_or("").to_string();
            (
                text("manager"),
                text("subresource"),
                entry["fieldsV1"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn managed_fields_record_who_wrote_which_fields() {
    let h = SimHandle::cassandra();
    let client = h
        .client_with_user_agent("probe/1.2.3 (linux/amd64) kubernetes/abc")
        .await;
    let rules: Api<DynamicObject> = Api::namespaced_with(client.clone(), "cassandra", &res::rule());
    create(&rules, &rule("r1")).await;
    let params = PatchParams {
        field_manager: Some("tool".into()),
        ..PatchParams::default()
    };
    let patch = json!({"metadata": {"labels": {"team": "dba"}}});
    let patched = rules
        .patch("r1", &params, &Patch::Merge(patch))
        .await
        .expect("patch");
    let entries = managed_fields(&serde_json::to_value(&patched).expect("JSON"));
    assert_eq!(
        entries,
        [
            ("probe".to_string(), String::new(), json!({"f:rules": {}})),
            (
                "tool".to_string(),
                String::new(),
                json!({"f:metadata": {"f:labels": {".": {}, "f:team": {}}}})
            ),
        ]
    );
    // A write through the status subresource is its own entry, and the server's own status
    // (set on create) belongs to nobody.
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client, "cassandra");
    let status = json!({"status": {"conditions": [{"type": "Resizing", "status": "True"}]}});
    let params = PatchParams {
        field_manager: Some("resizer".into()),
        ..PatchParams::default()
    };
    let pvc = pvcs
        .patch_status("cassandra-data-cassandra-0", &params, &Patch::Merge(status))
        .await
        .expect("status patch");
    let entries = managed_fields(&serde_json::to_value(&pvc).expect("JSON"));
    let last = entries.last().cloned();
    assert_eq!(
        last,
        Some((
            "resizer".to_string(),
            "status".to_string(),
            json!({"f:status": {"f:conditions": {}}})
        ))
    );
    assert!(
        entries
            .iter()
            .all(|(_, sub, fields)| sub == "status" || fields.get("f:status").is_none()),
        "{entries:?}"
    );
}

#[tokio::test]
async fn controllers_write_status_through_the_status_subresource_as_themselves() {
    let h = SimHandle::cassandra();
    let vs: Api<DynamicObject> =
        Api::namespaced_with(h.client().await, "cassandra", &res::csi_snapshot());
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": "v1"},
        "spec": {"volumeSnapshotClassName": "px-csi-snapclass",
                 "source": {"persistentVolumeClaimName": "cassandra-data-cassandra-0"}},
    }))
    .expect("vs");
    create(&vs, &object).await;
    let ready = crate::common::eventually(10, "readyToUse", || async {
        let o = vs.get("v1").await.ok()?;
        (o.data["status"]["readyToUse"] == true).then_some(o)
    })
    .await;
    let entries = managed_fields(&serde_json::to_value(&ready).expect("JSON"));
    let controller: Vec<&(String, String, Value)> = entries
        .iter()
        .filter(|(manager, _, _)| manager == "snapshot-controller")
        .collect();
    assert_eq!(controller.len(), 1, "{entries:?}");
    assert_eq!(controller[0].1, "status");
    assert!(
        controller[0].2["f:status"]["f:readyToUse"].is_object(),
        "{entries:?}"
    );
}
