//! Authentication (bearer tokens from the kubeconfig) and a small RBAC-like
//! authorizer for restricted scenario users, with the real server's 401/403 wording.

use axum::http::{HeaderMap, Method, header};

use super::discovery::KubeVersion;
use super::scenario::{RuleSpec, UserSpec};
use super::status::ApiError;
use super::util;

/// The admin user's name, as it appears in Forbidden messages and the request log.
pub const ADMIN_USER: &str = "pxsnap-sim-admin";

/// A known user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
    pub admin: bool,
    pub rules: Vec<RuleSpec>,
}

/// What a request asks to do, in RBAC terms.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    /// get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    /// "" for cluster-scoped resources and cluster-wide requests.
    pub namespace: String,
    pub name: String,
}

/// All users of one simulator run.
#[derive(Debug, Clone)]
pub struct Auth {
    users: Vec<User>,
}

fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl User {
    /// Whether any rule grants the request.
    pub fn allowed(&self, a: &Attributes) -> bool {
        if self.admin {
            return true;
        }
        let resource = if a.subresource.is_empty() {
            a.resource.clone()
        } else {
            format!("{}/{}", a.resource, a.subresource)
        };
        self.rules.iter().any(|r| {
            listed(&r.verbs, &a.verb)
                && listed(&r.api_groups, &a.group)
                && (listed(&r.resources, &resource)
                    || (a.subresource.is_empty() && listed(&r.resources, &a.resource))
                    || r.resources.iter().any(|x| x == "*/*"))
                && (r.resource_names.is_empty() || listed(&r.resource_names, &a.name))
                && if a.namespace.is_empty() {
                    r.namespaces.iter().any(|n| n == "*")
                } else {
                    listed(&r.namespaces, &a.namespace)
                }
        })
    }
}

impl Auth {
    pub fn new(admin_token: &str, users: &[UserSpec]) -> Auth {
        let mut all = vec![User {
            name: ADMIN_USER.into(),
            token: admin_token.to_string(),
            admin: true,
            rules: Vec::new(),
        }];
        for u in users {
            all.push(User {
                name: u.name.clone(),
                token: u.token.clone().unwrap_or_else(|| util::random_hex(24)),
                admin: false,
                rules: u.rules.clone(),
            });
        }
        Auth { users: all }
    }

    /// The user a request's `Authorization: Bearer` header names, if any.
    ///
    /// A token may carry an expiry, `<user's token>.<unix seconds>`, as a service account's JWT
    /// carries `exp`: it names the user until then and nobody after, so the request is refused
    /// with 401. That is what an exec credential plugin's short-lived tokens meet on a real
    /// cluster; tests give such tokens out from a plugin script.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<&User> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?
            .trim();
        self.holder(token).or_else(|| {
            let (token, expiry) = token.rsplit_once('.')?;
            let expiry: i64 = expiry.parse().ok()?;
            (jiff::Timestamp::now().as_second() < expiry).then(|| self.holder(token))?
        })
    }

    fn holder(&self, token: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| constant_time_eq(&u.token, token))
    }

    /// Scenario users (not the admin), for the kubeconfig.
    pub fn users(&self) -> &[User] {
        &self.users
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The 403 a real API server gives, e.g.
/// `pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"`.
pub fn forbidden(user: &str, a: &Attributes) -> ApiError {
    let resource = if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    };
    let scope = if a.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", a.namespace)
    };
    let reason = format!(
        "User \"{user}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        a.verb, a.group
    );
    let qualified = if a.group.is_empty() {
        a.resource.clone()
    } else {
        format!("{}.{}", a.resource, a.group)
    };
    let message = if a.name.is_empty() {
        format!("{qualified} is forbidden: {reason}")
    } else {
        format!("{qualified} \"{}\" is forbidden: {reason}", a.name)
    };
    ApiError::Forbidden {
        message,
        group: a.group.clone(),
        plural: a.resource.clone(),
        name: a.name.clone(),
    }
}

/// The verb the authorization filter checks for an exec: the HTTP method's, as for any
/// subresource, so `get` for a WebSocket upgrade (a GET) and `create` for SPDY (a POST).
pub fn exec_verb(method: &Method) -> &'static str {
    if method == Method::GET {
        "get"
    } else {
        "create"
    }
}

/// The second check a WebSocket exec meets on a server from 1.35 (`ensureAuthorizedForVerb` in
/// pkg/registry/core/pod/rest): once `a` (verb `get`) passed the filter, `create` too. Its
/// refusal is `apierrors.NewForbidden` with only the authorizer's reason, which RBAC leaves
/// empty, so the message names no user and no verb: `pods "x" is forbidden: `.
pub fn check_exec_create(user: &User, a: &Attributes, server: KubeVersion) -> Result<(), ApiError> {
    if a.verb != "get" || !server.websocket_exec_needs_create() {
        return Ok(());
    }
    let create = Attributes {
        verb: "create".into(),
        ..a.clone()
    };
    if user.allowed(&create) {
        return Ok(());
    }
    Err(ApiError::Forbidden {
        message: format!("{} \"{}\" is forbidden: ", a.resource, a.name),
        group: a.group.clone(),
        plural: a.resource.clone(),
        name: a.name.clone(),
    })
}

/// The 403 for a non-resource path such as `/sim/timeline`.
pub fn forbidden_path(user: &str, verb: &str, path: &str) -> ApiError {
    ApiError::Forbidden {
        message: format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\""),
        group: String::new(),
        plural: String::new(),
        name: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(verb: &str, resource: &str, sub: &str, ns: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            resource: resource.into(),
            subresource: sub.into(),
            namespace: ns.into(),
            ..Default::default()
        }
    }

    #[test]
    fn rules_and_wording() {
        let auth = Auth::new(
            "admintoken",
            &[UserSpec {
                name: "snap".into(),
                token: Some("t1".into()),
                rules: vec![RuleSpec {
                    verbs: vec!["get".into(), "list".into()],
                    api_groups: vec!["".into()],
                    resources: vec!["pods".into()],
                    namespaces: vec!["cassandra".into()],
                    resource_names: vec![],
                }],
            }],
        );
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer t1".parse().unwrap());
        let u = auth.authenticate(&h).unwrap();
        assert_eq!(u.name, "snap");
        assert!(u.allowed(&attrs("list", "pods", "", "cassandra")));
        assert!(!u.allowed(&attrs("list", "pods", "", "default")));
        assert!(!u.allowed(&attrs("list", "pods", "", "")));
        assert!(!u.allowed(&attrs("create", "pods", "exec", "cassandra")));
        let e = forbidden("snap", &attrs("list", "pods", "", "default"));
        assert_eq!(
            e.to_string(),
            "pods is forbidden: User \"snap\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""
        );
        let mut a = attrs("create", "pods", "exec", "cassandra");
        a.name = "cassandra-0".into();
        assert_eq!(
            forbidden("snap", &a).to_string(),
            "pods \"cassandra-0\" is forbidden: User \"snap\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"cassandra\""
        );
        h.insert(header::AUTHORIZATION, "Bearer nope".parse().unwrap());
        assert!(auth.authenticate(&h).is_none());
    }

    #[test]
    fn a_websocket_exec_needs_create_too_from_1_35() {
        let user = User {
            name: "reader".into(),
            token: String::new(),
            admin: false,
            rules: vec![RuleSpec {
                verbs: vec!["get".into()],
                api_groups: vec!["".into()],
                resources: vec!["pods/exec".into()],
                namespaces: vec!["*".into()],
                resource_names: vec![],
            }],
        };
        let mut a = attrs(exec_verb(&Method::GET), "pods", "exec", "db");
        a.name = "app-0".into();
        assert!(user.allowed(&a));
        assert!(check_exec_create(&user, &a, KubeVersion::DEFAULT).is_ok());
        let v135 = KubeVersion::try_from("v1.35.0".to_string()).unwrap();
        let refused = check_exec_create(&user, &a, v135).unwrap_err();
        assert_eq!(refused.to_string(), "pods \"app-0\" is forbidden: ");
        let status = refused.to_status();
        assert_eq!(status["reason"], "Forbidden");
        assert_eq!(status["details"]["kind"], "pods");
        assert_eq!(exec_verb(&Method::POST), "create");
    }

    #[test]
    fn a_token_with_an_expiry_names_its_user_until_then() {
        let auth = Auth::new("admintoken", &[]);
        let now = jiff::Timestamp::now().as_second();
        let with_expiry = |expiry: i64| {
            let mut h = HeaderMap::new();
            let value = format!("Bearer admintoken.{expiry}");
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            auth.authenticate(&h).map(|u| u.name.clone())
        };
        assert_eq!(with_expiry(now + 60).as_deref(), Some(ADMIN_USER));
        assert_eq!(with_expiry(now - 1), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "Bearer other.99999999999".parse().unwrap(),
        );
        assert!(auth.authenticate(&h).is_none());
    }
}
