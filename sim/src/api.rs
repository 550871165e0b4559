//! HTTP routing and the resource handlers (get, list, create, update, patch,
//! delete, deletecollection); watch and exec are handed to their own modules.
//!
//! Paths are parsed by hand, the way the API server's request-info factory does, so each
//! unknown path gets the 404 a real server gives it: a `Status` where a built-in group's
//! web service claims the path (an unknown resource or subresource there), the mux's plain-text
//! one where nothing does (a group that is not installed, a resource no CRD defines).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{self, Attributes, User};
use super::exec_route::{ExecFault, ExecStream};
use super::faults::{FaultAction, RequestAttrs};
use super::managed_fields::FieldManager;
use super::resources::{RESOURCES, ResId, ResourceDef, def, id, lookup};
use super::selectors::{FieldSelector, LabelSelector, allowed_fields};
use super::status::{ApiError, message_for_code};
use super::store::StoredObject;
use super::{RequestRecord, Shared, discovery, patch, protobuf, reviews, tls, util, watch};

/// Largest request body accepted.
const MAX_BODY: usize = 32 * 1024 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// A request for a resource, after path parsing.
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    pub res: ResId,
    /// "" when the path has no namespace.
    pub namespace: String,
    pub name: String,
    pub subresource: String,
    pub verb: &'static str,
    /// The older version the URL named (see `ResourceDef::older_versions`); None for the
    /// preferred one, which is also the one objects are stored in.
    pub view: Option<&'static str>,
}

impl ResourceRequest {
    /// The `apiVersion` of the URL: what the client sends and gets back.
    pub fn api_version(&self) -> String {
        let d = def(self.res);
        match self.view {
            Some(v) => format!("{}/{v}", d.group),
            None => d.api_version(),
        }
    }

    /// An object as the URL's version shows it. The served versions share one schema, so only
    /// `apiVersion` differs, as for a CRD whose conversion strategy is `None`.
    pub fn body(&self, obj: &StoredObject) -> Bytes {
        if self.view.is_none() {
            return obj.json.clone();
        }
        let mut v = obj.value.clone();
        v["apiVersion"] = json!(self.api_version());
        Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
    }
}

enum Route {
    Version,
    ApiVersions,
    ApiGroupList,
    ApiGroup(String),
    ResourceList(String, String),
    Health,
    OpenApi(String),
    OpenApiV2,
    Sim(String),
    Resource(ResourceRequest),
    /// A POST to one of the review APIs, answered without being stored.
    Review(&'static reviews::ReviewDef),
}

/// Decoded query parameters, in order.
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_route(method: &Method, path: &str, query: &Query) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => return Ok(Route::Version),
        ["api"] => return Ok(Route::ApiVersions),
        ["apis"] => return Ok(Route::ApiGroupList),
        ["healthz" | "readyz" | "livez", ..] => return Ok(Route::Health),
        ["sim", rest @ ..] => return Ok(Route::Sim(rest.join("/"))),
        ["openapi", "v3", rest @ ..] => return Ok(Route::OpenApi(rest.join("/"))),
        ["openapi", "v2"] => return Ok(Route::OpenApiV2),
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g] => return Ok(Route::ApiGroup(g.to_string())),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::NotServed),
    };
    if rest.is_empty() {
        return Ok(Route::ResourceList(group.to_string(), version.to_string()));
    }
    let (legacy_watch, rest) = match rest {
        ["watch", r @ ..] => (true, r),
        r => (false, r),
    };
    let mut parts: &[&str] = rest;
    let mut namespace = "";
    if parts.first() == Some(&"namespaces") && parts.len() > 1 {
        namespace = parts[1];
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts = &parts[2..];
        } else {
            namespace = "";
        }
    }
    if let ([plural], "") = (parts, namespace)
        && let Some(review) = reviews::lookup(group, version, plural)
    {
        return match *method {
            Method::POST => Ok(Route::Review(review)),
            _ => Err(ApiError::MethodNotAllowed),
        };
    }
    let (resource, name, sub) = match parts {
        [r] => (*r, "", ""),
        [r, n] => (*r, *n, ""),
        [r, n, s] => (*r, *n, *s),
        _ => return Err(ApiError::NoSuchResource),
    };
    let res = lookup(group, version, resource).ok_or_else(|| unknown_resource(group, version))?;
    let d = def(res);
    let view = d.older_versions.iter().copied().find(|v| *v == version);
    if !d.namespaced && !namespace.is_empty() {
        return Err(ApiError::NoSuchResource);
    }
    match sub {
        "" => {}
        "status" if d.status_subresource => {}
        "exec" if res == id::PODS => {}
        _ => return Err(ApiError::NoSuchResource),
    }
    let watch = legacy_watch || query.flag("watch");
    let verb = match (method.as_str(), name.is_empty(), sub) {
        (_, _, "exec") if matches!(*method, Method::GET | Method::POST) => "exec",
        ("GET", true, _) if watch => "watch",
        ("GET", true, _) => "list",
        ("GET", false, "") if legacy_watch => "watch",
        ("GET", false, _) => "get",
        ("POST", true, _) => "create",
        ("PUT", false, _) => "update",
        ("PATCH", false, _) => "patch",
        ("DELETE", false, "") => "delete",
        ("DELETE", true, _) => "deletecollection",
        _ => return Err(ApiError::MethodNotAllowed),
    };
    // Namespaced resources addressed without a namespace: only collection reads.
    if d.namespaced && namespace.is_empty() {
        match verb {
            "list" | "watch" | "deletecollection" => {}
            "create" => return Err(ApiError::MethodNotAllowed),
            _ => return Err(ApiError::NoSuchResource),
        }
    }
    Ok(Route::Resource(ResourceRequest {
        res,
        namespace: namespace.to_string(),
        name: name.to_string(),
        subresource: sub.to_string(),
        verb,
        view,
    }))
}

/// The 404 for a resource the table does not have. A built-in group/version is a go-restful
/// web service, whose 404 is a `Status`; for any other group (not installed, or a CRD group,
/// whose handler passes unknown resources on) the path falls through to the mux's plain-text
/// NotFound handler.
fn unknown_resource(group: &str, version: &str) -> ApiError {
    let built_in = group.is_empty()
        || RESOURCES
            .iter()
            .any(|r| r.group == group && r.version == version && !r.custom);
    match built_in {
        true => ApiError::NoSuchResource,
        false => ApiError::NotServed,
    }
}

/// A JSON response from pre-serialized bytes.
pub fn json_bytes(code: StatusCode, body: Bytes) -> Response {
    let mut r = (code, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub fn json_value(code: StatusCode, v: &Value) -> Response {
    json_bytes(code, Bytes::from(v.to_string()))
}

/// The API groups a cluster without STORK's CRDs does not serve.
const STORK_GROUPS: [&str; 2] = [super::resources::EXT, super::resources::STORK];

/// The groups of the resource table whose CRDs the scenario's cluster does not have (CSI's
/// snapshot group without `csiCrds`).
fn hidden_groups(sh: &Shared) -> Vec<&'static str> {
    let mut hidden = Vec::new();
    if !sh.scenario.stork_crds {
        hidden.extend(STORK_GROUPS);
    }
    if !sh.scenario.csi_crds {
        hidden.push(super::resources::CSI);
    }
    if !sh.scenario.csi_group_snapshots {
        hidden.push(super::resources::CSI_GROUP);
    }
    hidden
}

/// Whether a request addresses one of the `hidden` groups (discovery or resources).
fn is_hidden_route(route: &Route, hidden: &[&str]) -> bool {
    match route {
        Route::ApiGroup(g) | Route::ResourceList(g, _) => hidden.contains(&g.as_str()),
        Route::Resource(r) => hidden.contains(&def(r.res).group),
        _ => false,
    }
}

async fn dispatch(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query().unwrap_or(""));
    let mut rec = RequestRecord {
        verb: parts.method.as_str().to_ascii_lowercase(),
        method: parts.method.to_string(),
        resource: String::new(),
        namespace: None,
        name: None,
        status: 0,
        group: None,
        subresource: None,
        user: None,
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        at_ns: 0,
    };
    let Some(user) = sh.auth.authenticate(&parts.headers).cloned() else {
        return recorded(&sh, rec, ApiError::Unauthorized.into_response());
    };
    rec.user = Some(user.name.clone());
    let route = parse_route(&parts.method, &path, &query);
    if let Ok(Route::Resource(r)) = &route {
        let d = def(r.res);
        rec.verb = r.verb.to_string();
        rec.resource = d.plural.to_string();
        rec.group = Some(d.group.to_string());
        rec.namespace = (!r.namespace.is_empty()).then(|| r.namespace.clone());
        rec.name = (!r.name.is_empty()).then(|| r.name.clone());
        rec.subresource = (!r.subresource.is_empty()).then(|| r.subresource.clone());
    }
    if let Ok(Route::Review(review)) = &route {
        rec.verb = "create".into();
        rec.resource = review.plural.into();
        rec.group = Some(review.group.into());
    }
    // Resource and review requests meet their faults in their handlers (resources after
    // authorization, in `handle_resource`).
    if !matches!(
        route,
        Ok(Route::Sim(_) | Route::Resource(_) | Route::Review(_))
    ) {
        let attrs = RequestAttrs {
            verb: rec.verb.clone(),
            path: path.clone(),
            ..Default::default()
        };
        if let Err(resp) = apply_faults(&sh, &attrs).await {
            return recorded(&sh, rec, resp);
        }
    }
    let hidden = hidden_groups(&sh);
    let resp = match route {
        Ok(ref r) if is_hidden_route(r, &hidden) => ApiError::NotServed.into_response(),
        Err(e) => e.into_response(),
        Ok(Route::Version) => json_value(
            StatusCode::OK,
            &discovery::version(sh.scenario.server_version),
        ),
        Ok(Route::ApiVersions) => json_value(
            StatusCode::OK,
            &discovery::api_versions(&sh.addr.to_string()),
        ),
        Ok(Route::ApiGroupList) => {
            json_value(StatusCode::OK, &discovery::api_group_list_without(&hidden))
        }
        Ok(Route::ApiGroup(g)) => match discovery::api_group(&g) {
            Some(v) => json_value(StatusCode::OK, &v),
            None => ApiError::NotServed.into_response(),
        },
        Ok(Route::ResourceList(g, v)) => match discovery::resource_list(&g, &v) {
            Some(doc) => json_value(StatusCode::OK, &doc),
            None => unknown_resource(&g, &v).into_response(),
        },
        Ok(Route::Health) => (StatusCode::OK, "ok").into_response(),
        Ok(Route::OpenApiV2) => {
            let mut r = (
                StatusCode::OK,
                super::openapi::swagger_v2_protobuf(sh.scenario.server_version),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(super::openapi::SWAGGER_V2_PROTOBUF),
            );
            r
        }
        Ok(Route::OpenApi(rest)) => {
            let doc = if rest.is_empty() {
                Some(super::openapi::root(sh.scenario.server_version))
            } else {
                super::openapi::group_version(&rest, sh.scenario.server_version)
            };
            match doc {
                Some(d) => json_value(StatusCode::OK, &d),
                None => ApiError::NoSuchResource.into_response(),
            }
        }
        Ok(Route::Sim(rest)) => {
            if user.admin {
                sim_control(&sh, &parts.method, &rest, body).await
            } else {
                auth::forbidden_path(&user.name, &rec.verb, &path).into_response()
            }
        }
        Ok(Route::Review(review)) => {
            answer_review(&sh, &user, review, &path, &parts.headers, body).await
        }
        Ok(Route::Resource(r)) => {
            let ws = if r.verb == "exec" {
                use axum::extract::FromRequestParts;
                axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &())
                    .await
                    .ok()
            } else {
                None
            };
            handle_resource(
                &sh,
                &user,
                r,
                &parts.method,
                &path,
                &parts.headers,
                &query,
                body,
                ws,
                parts.uri.query().unwrap_or(""),
            )
            .await
        }
    };
    recorded(&sh, rec, resp)
}

/// Logs the request with the status of its response.
fn recorded(sh: &Shared, mut rec: RequestRecord, resp: Response) -> Response {
    rec.status = resp.status().as_u16();
    sh.record_request(rec);
    resp
}

#[allow(clippy::too_many_arguments)]
async fn handle_resource(
    sh: &Arc<Shared>,
    user: &User,
    r: ResourceRequest,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    query: &Query,
    body: Body,
    ws: Option<axum::extract::ws::WebSocketUpgrade>,
    raw_query: &str,
) -> Response {
    let d = def(r.res);
    let attrs = Attributes {
        verb: if r.verb == "exec" {
            auth::exec_verb(method).into()
        } else {
            r.verb.to_string()
        },
        group: d.group.to_string(),
        resource: d.plural.to_string(),
        subresource: r.subresource.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    };
    if !user.allowed(&attrs) {
        return auth::forbidden(&user.name, &attrs).into_response();
    }
    if r.verb == "exec"
        && let Err(refused) = auth::check_exec_create(user, &attrs, sh.scenario.server_version)
    {
        return refused.into_response();
    }
    let attrs = RequestAttrs {
        verb: r.verb.to_string(),
        resource: d.plural.to_string(),
        group: d.group.to_string(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        path: path.to_string(),
    };
    let effects = match apply_faults(sh, &attrs).await {
        Ok(effects) => effects,
        Err(response) => return response,
    };
    let by = FieldManager::of_request(query.get("fieldManager"), headers, &r.subresource);
    let result = match r.verb {
        "get" => get(sh, &r),
        "list" => list(sh, &r, query, effects.expire_continue),
        "watch" => {
            let stream = watch::serve(sh.clone(), &r, query, effects.drop_watch_after);
            return with_warnings(stream, &effects.warnings);
        }
        "create" => match read_body(body).await {
            Ok(b) => create(sh, &r, headers, &by, &b),
            Err(e) => Err(e),
        },
        "update" => match read_body(body).await {
            Ok(b) => update(sh, &r, headers, &by, &b),
            Err(e) => Err(e),
        },
        "patch" => match read_body(body).await {
            Ok(b) => patch_object(sh, &r, headers, &by, &b),
            Err(e) => Err(e),
        },
        "delete" => match read_body(body).await {
            Ok(b) => delete(sh, &r, headers, &b),
            Err(e) => Err(e),
        },
        "deletecollection" => delete_collection(sh, &r, query),
        "exec" => {
            let stream = match ws {
                Some(ws) => ExecStream::WebSocket(ws),
                None if is_spdy_upgrade(headers) => ExecStream::Spdy,
                None => ExecStream::None,
            };
            return super::exec_route::handle(sh.clone(), &r, stream, raw_query, effects.exec)
                .await;
        }
        _ => Err(ApiError::MethodNotAllowed),
    };
    let response = result.unwrap_or_else(IntoResponse::into_response);
    with_warnings(response, &effects.warnings)
}

/// Whether a request asks to upgrade to SPDY/3.1, as kubectl's fallback exec does.
fn is_spdy_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("spdy/"))
}

/// Adds a `Warning` header per text, in the API server's format (k8s.io/apiserver's warning
/// recorder): code 299, agent `-`, the text quoted with `"` and `\` escaped.
fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for text in warnings {
        let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_bytes(format!("299 - \"{quoted}\"").as_bytes()) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

/// What the faults that fired on a request ask of its handler, besides answering at once.
#[derive(Default)]
struct FaultEffects {
    /// `Warning` header texts for the response, whatever it is.
    warnings: Vec<String>,
    drop_watch_after: Option<u32>,
    exec: Option<ExecFault>,
    expire_continue: bool,
}

/// Fires the faults matching `attrs`: waits as they say, or returns the response that
/// replaces the real one (after holding it for ever, for `hang`).
async fn apply_faults(sh: &Shared, attrs: &RequestAttrs) -> Result<FaultEffects, Response> {
    let actions = sh.faults.fire(attrs);
    let mut effects = FaultEffects {
        warnings: actions
            .iter()
            .filter_map(|action| match action {
                FaultAction::Warning(text) => Some(text.clone()),
                _ => None,
            })
            .collect(),
        ..FaultEffects::default()
    };
    for action in actions {
        match action {
            FaultAction::Status(code) => {
                let refused = ApiError::Injected {
                    code,
                    message: message_for_code(code),
                };
                return Err(with_warnings(refused.into_response(), &effects.warnings));
            }
            FaultAction::TooManyRequests(retry_after) => {
                let throttled = ApiError::Throttled { retry_after };
                return Err(with_warnings(throttled.into_response(), &effects.warnings));
            }
            FaultAction::Hang => {
                // Ends with the client's connection (the server then drops this future), or
                // with the simulator.
                sh.cancel.cancelled().await;
                return Err(ApiError::Injected {
                    code: 503,
                    message: message_for_code(503),
                }
                .into_response());
            }
            FaultAction::DropConnections => {
                sh.drop_connections();
                // Never delivered: this request's connection is gone with the others.
                return Err(ApiError::Injected {
                    code: 503,
                    message: message_for_code(503),
                }
                .into_response());
            }
            FaultAction::DelayMs(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            FaultAction::DropWatchAfterEvents(k) => effects.drop_watch_after = Some(k),
            FaultAction::CutExecAfterMs(ms) => {
                effects.exec = Some(ExecFault::CutAfter(Duration::from_millis(ms)));
            }
            FaultAction::ExecStatusAfterUpgrade(code) => {
                effects.exec = Some(ExecFault::StatusAfterUpgrade(code));
            }
            FaultAction::ExecNeverAnswered => effects.exec = Some(ExecFault::NeverAnswered),
            FaultAction::ExpireContinue => effects.expire_continue = true,
            FaultAction::Warning(_) => {}
            // Connection faults: `fire` never returns them (see `Faults::stall_tls_handshake`).
            FaultAction::StallTlsHandshake => {}
        }
    }
    Ok(effects)
}

/// A review POST: faults first (a test may make the API look unserved or slow), then the
/// answer, `201 Created` as for any create.
async fn answer_review(
    sh: &Shared,
    user: &User,
    review: &'static reviews::ReviewDef,
    path: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let request = RequestAttrs {
        verb: "create".into(),
        resource: review.plural.into(),
        group: review.group.into(),
        path: path.to_string(),
        ..RequestAttrs::default()
    };
    if let Err(injected) = apply_faults(sh, &request).await {
        return injected;
    }
    let answered = match read_body(body).await {
        Ok(bytes) => reviews::answer(user, review, &media_type(headers), &bytes),
        Err(e) => Err(e),
    };
    match answered {
        Ok(review) => json_value(StatusCode::CREATED, &review),
        Err(e) => e.into_response(),
    }
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::BadRequest(format!("unable to read request body: {e}")))
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// The 415 for a create/update body of a media type this resource is not read from.
fn unsupported_body(res: ResId) -> ApiError {
    let mut accepted = String::from("application/json, application/yaml");
    if protobuf::accepts(res) {
        accepted = format!("{accepted}, {}", protobuf::MEDIA_TYPE);
    }
    ApiError::UnsupportedMediaType(accepted)
}

/// Decode a create/update body (JSON, YAML, or protobuf for the kinds
/// [`protobuf::accepts`]) into an object.
fn decode_object(r: &ResourceRequest, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let res = r.res;
    let d = def(res);
    let mt = media_type(headers);
    let json_error = |e: String| format!("couldn't get version/kind; json parse error: {e}");
    let parsed: Result<Value, String> = match mt.as_str() {
        "" | "application/json" | "*/*" => {
            serde_json::from_slice(body).map_err(|e| json_error(e.to_string()))
        }
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_norway::from_slice(body).map_err(|e| json_error(e.to_string()))
        }
        protobuf::MEDIA_TYPE => protobuf::decode_object(res, body)
            .ok_or_else(|| unsupported_body(res))?
            .map_err(|e| e.to_string()),
        _ => return Err(unsupported_body(res)),
    };
    let v = parsed.map_err(|e| {
        ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): {e}",
            d.kind
        ))
    })?;
    if !v.is_object() {
        return Err(ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: expected an object",
            d.kind
        )));
    }
    let av = util::str_at(&v, "/apiVersion");
    if !av.is_empty() && av != r.api_version() {
        return Err(ApiError::BadRequest(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            r.api_version()
        )));
    }
    let kind = util::str_at(&v, "/kind");
    if !kind.is_empty() && kind != d.kind {
        return Err(ApiError::BadRequest(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            d.kind
        )));
    }
    if v.get("metadata")
        .is_some_and(|m| !m.is_object() && !m.is_null())
    {
        return Err(ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): metadata must be an object",
            d.kind
        )));
    }
    Ok(v)
}

fn check_namespace(r: &ResourceRequest, obj: &Value) -> Result<(), ApiError> {
    let ns = util::str_at(obj, "/metadata/namespace");
    if def(r.res).namespaced && !ns.is_empty() && ns != r.namespace {
        return Err(ApiError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    Ok(())
}

fn get(sh: &Shared, r: &ResourceRequest) -> Result<Response, ApiError> {
    let obj = sh
        .store
        .get(r.res, &r.namespace, &r.name)
        .ok_or_else(|| ApiError::not_found(def(r.res), &r.name))?;
    Ok(json_bytes(StatusCode::OK, r.body(&obj)))
}

/// Parse the label and field selectors of a list or watch.
pub fn selectors(
    r: &ResourceRequest,
    q: &Query,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels =
        LabelSelector::parse(q.get("labelSelector").unwrap_or("")).map_err(ApiError::BadRequest)?;
    let fields = FieldSelector::parse(
        q.get("fieldSelector").unwrap_or(""),
        allowed_fields(def(r.res).plural),
    )
    .map_err(ApiError::BadRequest)?;
    Ok((labels, fields))
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    format!("{rv}\n{ns}\n{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Option<(u64, String, String)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut it = text.splitn(3, '\n');
    let rv = it.next()?.parse().ok()?;
    Some((rv, it.next()?.to_string(), it.next()?.to_string()))
}

/// A page of a collection. `expire` answers a continue token as too old (a fault), as the
/// server does for one older than the last compaction.
fn list(sh: &Shared, r: &ResourceRequest, q: &Query, expire: bool) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(r, q)?;
    let limit: usize = match q.get("limit") {
        Some(l) if !l.is_empty() => l
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("invalid limit: {l}")))?,
        _ => 0,
    };
    let mut list_rv = None;
    let after = match q.get("continue") {
        Some(c) if !c.is_empty() => {
            let (rv, ns, name) = decode_continue(c).ok_or_else(|| {
                ApiError::BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into())
            })?;
            if expire || rv < sh.store.floor() {
                return Err(ApiError::ContinueExpired {
                    token: encode_continue(sh.store.current_rv(), &ns, &name),
                });
            }
            list_rv = Some(rv);
            Some((ns, name))
        }
        _ => None,
    };
    let ns = (!r.namespace.is_empty()).then_some(r.namespace.as_str());
    let page = sh.store.list(r.res, ns, after.as_ref(), limit, |v| {
        labels.matches(v) && fields.matches(v)
    });
    let rv = list_rv.unwrap_or(page.rv);
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some((ns, name)) = &page.next {
        meta["continue"] = json!(encode_continue(rv, ns, name));
        if labels.is_empty() && fields.is_empty() {
            meta["remainingItemCount"] = json!(page.remaining);
        }
    }
    Ok(json_bytes(StatusCode::OK, list_body(r, &meta, &page.items)))
}

/// `{"kind":"XList",...,"items":[...]}` built from the stored bytes.
pub fn list_body(r: &ResourceRequest, meta: &Value, items: &[Arc<StoredObject>]) -> Bytes {
    let head = format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
        def(r.res).kind,
        r.api_version(),
        meta
    );
    let total: usize = items.iter().map(|o| o.json.len() + 1).sum::<usize>() + head.len() + 2;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(head.as_bytes());
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&r.body(o));
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

/// Status written by the server rather than the client on create, for types with
/// a status subresource (what each type's create strategy resets it to).
fn initial_status(res: ResId) -> Option<Value> {
    match res {
        id::PODS => Some(json!({"phase": "Pending", "qosClass": "BestEffort"})),
        id::PVCS => Some(json!({"phase": "Pending"})),
        id::PVS => Some(json!({"phase": "Pending"})),
        id::NAMESPACES => Some(json!({"phase": "Active"})),
        _ => None,
    }
}

/// The object a create or update sends, as the API server stores it: decoded, in the request's
/// namespace, a Secret's `stringData` folded into `data`.
fn decode_written(
    r: &ResourceRequest,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let mut obj = decode_object(r, headers, body)?;
    check_namespace(r, &obj)?;
    if r.res == id::SECRETS {
        normalize_secret(&mut obj);
    }
    Ok(obj)
}

fn create(
    sh: &Shared,
    r: &ResourceRequest,
    headers: &HeaderMap,
    by: &FieldManager,
    body: &[u8],
) -> Result<Response, ApiError> {
    let d = def(r.res);
    let mut obj = decode_written(r, headers, body)?;
    if d.status_subresource {
        replace_status(&mut obj, initial_status(r.res));
    }
    if r.res == id::NAMESPACES {
        let name = util::name_of(&obj).to_string();
        let meta = util::obj_entry(&mut obj, "metadata");
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
    }
    let stored = sh.store.create(r.res, &r.namespace, obj, by)?;
    Ok(json_bytes(StatusCode::CREATED, r.body(&stored)))
}

/// What the API server's conversion and defaulting do to every Secret written:
/// `stringData` is write-only, folded into `data` (base64, winning over a same-named key),
/// and `type` defaults to `Opaque`.
fn normalize_secret(secret: &mut Value) {
    let Some(map) = secret.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(strings)) = map.remove("stringData") {
        let data = map.entry("data").or_insert_with(|| json!({}));
        if !data.is_object() {
            *data = json!({});
        }
        if let Some(data) = data.as_object_mut() {
            for (key, value) in strings {
                let text = value.as_str().unwrap_or_default();
                data.insert(key, json!(tls::base64(text.as_bytes())));
            }
        }
    }
    if util::str_at(secret, "/type").is_empty() {
        secret["type"] = json!("Opaque");
    }
}

/// Carry `status` over from the current object (main resource writes) or take only
/// `status` from the new one (`/status` writes), for types with a status subresource.
fn apply_status_rules(d: &ResourceDef, sub: &str, cur: &Value, new: Value) -> Value {
    if !d.status_subresource {
        return new;
    }
    if sub == "status" {
        let mut out = cur.clone();
        replace_status(&mut out, new.get("status").cloned());
        out
    } else {
        let mut out = new;
        replace_status(&mut out, cur.get("status").cloned());
        out
    }
}

/// Sets an object's `status`, or removes it for `None`.
fn replace_status(object: &mut Value, status: Option<Value>) {
    if let Some(map) = object.as_object_mut() {
        match status {
            Some(status) => map.insert("status".into(), status),
            None => map.remove("status"),
        };
    }
}

fn update(
    sh: &Shared,
    r: &ResourceRequest,
    headers: &HeaderMap,
    by: &FieldManager,
    body: &[u8],
) -> Result<Response, ApiError> {
    let d = def(r.res);
    let obj = decode_written(r, headers, body)?;
    let body_name = util::name_of(&obj);
    if !body_name.is_empty() && body_name != r.name {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            r.name
        )));
    }
    let stored = sh
        .store
        .update_with(r.res, &r.namespace, &r.name, by, |cur| {
            let rv = util::str_at(&obj, "/metadata/resourceVersion");
            if rv.is_empty() {
                if d.custom {
                    return Err(ApiError::invalid(
                        d,
                        &r.name,
                        "metadata.resourceVersion",
                        "Invalid value: 0x0: must be specified for an update",
                    ));
                }
            } else if rv != cur.rv.to_string() {
                return Err(ApiError::conflict(d, &r.name));
            }
            Ok(apply_status_rules(
                d,
                &r.subresource,
                &cur.value,
                obj.clone(),
            ))
        })?;
    Ok(json_bytes(StatusCode::OK, r.body(&stored)))
}

fn patch_object(
    sh: &Shared,
    r: &ResourceRequest,
    headers: &HeaderMap,
    by: &FieldManager,
    body: &[u8],
) -> Result<Response, ApiError> {
    let d = def(r.res);
    let mt = media_type(headers);
    let accepted = if d.custom {
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    } else {
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
    };
    let kind = match mt.as_str() {
        "application/merge-patch+json" => "merge",
        "application/strategic-merge-patch+json" if !d.custom => "strategic",
        "application/json-patch+json" => "json",
        _ => return Err(ApiError::UnsupportedMediaType(accepted.into())),
    };
    let p: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?;
    if kind != "json" && !p.is_object() {
        return Err(ApiError::BadRequest(
            "error decoding patch: the patch must be a JSON object".into(),
        ));
    }
    let stored = sh
        .store
        .update_with(r.res, &r.namespace, &r.name, by, |cur| {
            let mut new = cur.value.clone();
            match kind {
                "merge" => patch::merge_patch(&mut new, &p),
                "strategic" => patch::strategic_merge_patch(&mut new, &p),
                _ => patch::json_patch(&mut new, &p).map_err(|e| ApiError::Invalid {
                    message: format!(
                        "the server rejected our request due to an error in our request: {e}"
                    ),
                    group: d.group.into(),
                    kind: d.kind.into(),
                    name: r.name.clone(),
                    causes: Vec::new(),
                })?,
            }
            if !new.is_object() {
                return Err(ApiError::BadRequest(
                    "the patch produced a non-object".into(),
                ));
            }
            let rv = util::str_at(&new, "/metadata/resourceVersion");
            if !rv.is_empty() && rv != cur.rv.to_string() {
                return Err(ApiError::conflict(d, &r.name));
            }
            if util::name_of(&new) != r.name {
                return Err(ApiError::BadRequest(
                    "metadata.name cannot be changed by a patch".into(),
                ));
            }
            Ok(apply_status_rules(d, &r.subresource, &cur.value, new))
        })?;
    Ok(json_bytes(StatusCode::OK, r.body(&stored)))
}

/// The `DeleteOptions` a DELETE may carry: JSON (kubectl), protobuf (client-go typed
/// clients set to protobuf), or nothing.
fn delete_options(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let decoded = if media_type(headers) == protobuf::MEDIA_TYPE {
        protobuf::decode_delete_options(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    };
    decoded.map_err(|e| ApiError::BadRequest(format!("error decoding DeleteOptions: {e}")))
}

fn delete(
    sh: &Shared,
    r: &ResourceRequest,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let d = def(r.res);
    let opts = delete_options(headers, body)?;
    let uid = opts.pointer("/preconditions/uid").and_then(Value::as_str);
    let rv = opts
        .pointer("/preconditions/resourceVersion")
        .and_then(Value::as_str);
    let gone = sh.store.delete(r.res, &r.namespace, &r.name, (uid, rv))?;
    if r.res == id::EVENTS {
        return Ok(json_value(
            StatusCode::OK,
            &json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": r.name, "kind": d.plural, "uid": gone.uid()},
            }),
        ));
    }
    Ok(json_bytes(StatusCode::OK, r.body(&gone)))
}

fn delete_collection(sh: &Shared, r: &ResourceRequest, q: &Query) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(r, q)?;
    let ns = (!r.namespace.is_empty()).then_some(r.namespace.as_str());
    let page = sh.store.list(r.res, ns, None, 0, |v| {
        labels.matches(v) && fields.matches(v)
    });
    let mut gone = Vec::new();
    for o in page.items {
        let ns = util::str_at(&o.value, "/metadata/namespace").to_string();
        if let Ok(g) = sh.store.delete(r.res, &ns, o.name(), (None, None)) {
            gone.push(g);
        }
    }
    let meta = json!({"resourceVersion": sh.store.current_rv().to_string()});
    Ok(json_bytes(StatusCode::OK, list_body(r, &meta, &gone)))
}

/// `/sim/...`: timeline, request log, faults, compaction.
async fn sim_control(sh: &Arc<Shared>, method: &Method, rest: &str, body: Body) -> Response {
    match (method.as_str(), rest) {
        ("GET", "timeline") => json_value(StatusCode::OK, &json!(sh.timeline.snapshot())),
        ("GET", "requests") => json_value(StatusCode::OK, &json!(sh.requests())),
        ("GET", "controller") => json_value(StatusCode::OK, &json!(sh.settings())),
        ("POST", "compact") => {
            sh.store.compact();
            json_value(
                StatusCode::OK,
                &json!({"resourceVersion": sh.store.current_rv().to_string()}),
            )
        }
        ("DELETE", "faults") => {
            sh.faults.clear();
            json_value(StatusCode::OK, &json!({"cleared": true}))
        }
        ("POST", "faults") => {
            let bytes = match read_body(body).await {
                Ok(b) => b,
                Err(e) => return e.into_response(),
            };
            let v: Value = match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    return ApiError::BadRequest(format!("invalid fault JSON: {e}"))
                        .into_response();
                }
            };
            if let Some(ctrl) = v.get("controller") {
                return match sh.patch_settings(ctrl) {
                    Ok(()) => json_value(StatusCode::OK, &json!(sh.settings())),
                    Err(e) => ApiError::BadRequest(format!("invalid controller settings: {e}"))
                        .into_response(),
                };
            }
            let faults: Result<Vec<super::Fault>, _> = if v.is_array() {
                serde_json::from_value(v)
            } else {
                serde_json::from_value(v).map(|f| vec![f])
            };
            match faults {
                Ok(fs) => {
                    let n = fs.len();
                    for f in fs {
                        sh.faults.add(f);
                    }
                    json_value(StatusCode::CREATED, &json!({"added": n}))
                }
                Err(e) => ApiError::BadRequest(format!("invalid fault: {e}")).into_response(),
            }
        }
        _ => ApiError::NoSuchResource.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<ResourceRequest, ApiError> {
        let q = Query::parse(path.split_once('?').map(|x| x.1).unwrap_or(""));
        match parse_route(&method, path.split('?').next().unwrap_or(""), &q)? {
            Route::Resource(r) => Ok(r),
            _ => Err(ApiError::BadRequest("not a resource".into())),
        }
    }

    #[test]
    fn paths() {
        let r = route(Method::GET, "/api/v1/namespaces/cassandra/pods/cassandra-0").unwrap();
        assert_eq!(
            (r.res, r.namespace.as_str(), r.name.as_str(), r.verb),
            (id::PODS, "cassandra", "cassandra-0", "get")
        );
        let r = route(Method::GET, "/api/v1/pods?watch=true").unwrap();
        assert_eq!((r.namespace.as_str(), r.verb), ("", "watch"));
        let r = route(Method::GET, "/api/v1/namespaces/default").unwrap();
        assert_eq!((r.res, r.name.as_str()), (id::NAMESPACES, "default"));
        let r = route(Method::PUT, "/api/v1/namespaces/default/status").unwrap();
        assert_eq!(
            (r.res, r.subresource.as_str(), r.verb),
            (id::NAMESPACES, "status", "update")
        );
        let r = route(
            Method::GET,
            "/apis/volumesnapshot.external-storage.k8s.io/v1/volumesnapshotdatas",
        )
        .unwrap();
        assert_eq!(r.res, id::EXT_SNAPSHOTDATAS);
        let r = route(Method::POST, "/api/v1/namespaces/a/pods/p/exec?command=ls").unwrap();
        assert_eq!(r.verb, "exec");
        let r = route(Method::GET, "/api/v1/watch/namespaces/a/pods").unwrap();
        assert_eq!(r.verb, "watch");
        assert!(route(Method::GET, "/apis/volumesnapshot.external-storage.k8s.io/v1/namespaces/a/volumesnapshots/x/status").is_err());
        assert!(route(Method::GET, "/api/v1/namespaces/a/widgets").is_err());
        assert!(
            route(
                Method::GET,
                "/apis/storage.k8s.io/v1/namespaces/a/storageclasses"
            )
            .is_err()
        );
        assert_eq!(
            route(Method::POST, "/api/v1/namespaces/a/pods/x")
                .unwrap_err()
                .code(),
            405
        );
    }

    #[test]
    fn reviews_take_only_a_post() {
        let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
        let q = Query::parse("");
        assert!(matches!(
            parse_route(&Method::POST, path, &q),
            Ok(Route::Review(r)) if r.kind == "SelfSubjectAccessReview"
        ));
        assert!(matches!(
            parse_route(&Method::GET, path, &q),
            Err(ApiError::MethodNotAllowed)
        ));
    }

    #[test]
    fn continue_roundtrip() {
        let t = encode_continue(42, "ns", "name");
        assert_eq!(decode_continue(&t), Some((42, "ns".into(), "name".into())));
        assert!(decode_continue("zz").is_none());
    }

    #[test]
    fn query_decoding() {
        let q = Query::parse("labelSelector=app%3Dcassandra%2Ctier+in+(a)&watch=1");
        assert_eq!(q.get("labelSelector"), Some("app=cassandra,tier in (a)"));
        assert!(q.flag("watch"));
    }
}
