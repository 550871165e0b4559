//! Permissions: one SelfSubjectAccessReview per verb and resource of the permission table
//! that the chosen subcommands need, in the namespace for namespaced resources and with no
//! namespace for cluster-scoped ones, all in one round.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;

use super::{Access, Check};
use crate::error::Result;
use crate::k8s::cluster::Cluster;
use crate::k8s::permissions::{PERMISSIONS, Permission, Scope, Subcommand};

/// One review to ask.
#[derive(Debug, Clone)]
pub struct Planned {
    permission: &'static Permission,
    verb: &'static str,
    /// `None` for cluster-scoped resources.
    namespace: Option<String>,
    /// Whether a chosen subcommand needs it (an `rbac.*` check reports it); `pods/exec` is also
    /// asked for a PVC's pods when no chosen subcommand freezes anything.
    needed: bool,
}

/// The reviews for `chosen` in `namespace`, with the exec verbs of a server at
/// `server_minor`; `pods/exec` too when a PVC is looked at (`with_target`). Nothing is asked
/// of the `unserved` API groups.
pub fn plan(
    chosen: &[Subcommand],
    namespace: &str,
    server_minor: u32,
    with_target: bool,
    unserved: &[&str],
) -> Vec<Planned> {
    PERMISSIONS
        .iter()
        .filter(|p| !unserved.contains(&p.group))
        .filter(|p| p.needed_by_any(chosen) || (with_target && is_exec(p)))
        .flat_map(|p| {
            p.verbs_checked(server_minor)
                .iter()
                .map(move |verb| Planned {
                    permission: p,
                    verb,
                    namespace: (p.scope == Scope::Namespaced).then(|| namespace.to_string()),
                    needed: p.needed_by_any(chosen),
                })
        })
        .collect()
}

fn is_exec(permission: &Permission) -> bool {
    permission.resource == "pods/exec"
}

/// Asks every planned review at once; each answer is whether it is allowed.
pub async fn review(cluster: &Cluster, planned: &[Planned]) -> Vec<Result<bool>> {
    futures::future::join_all(planned.iter().map(|p| ask(cluster, p))).await
}

async fn ask(cluster: &Cluster, planned: &Planned) -> Result<bool> {
    let p = planned.permission;
    let (resource, subresource) = p.resource.split_once('/').unwrap_or((p.resource, ""));
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: planned.namespace.clone(),
                verb: Some(planned.verb.to_string()),
                group: Some(p.group.to_string()),
                resource: Some(resource.to_string()),
                subresource: (!subresource.is_empty()).then(|| subresource.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(cluster.client.clone());
    let params = PostParams::default();
    let answered = cluster
        .read(
            "create",
            "selfsubjectaccessreviews.authorization.k8s.io",
            None,
            || api.create(&params, &review),
        )
        .await?;
    Ok(answered.status.is_some_and(|s| s.allowed))
}

/// Whether the pre/post commands could run in the namespace's pods: what a PVC check says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecVerdict {
    Allowed(Vec<&'static str>),
    /// The verbs denied, and the rule to add.
    Denied(Vec<&'static str>, String),
    /// A review failed; the message says why.
    Unknown(String),
}

pub fn exec_verdict(planned: &[Planned], answers: &[Result<bool>]) -> ExecVerdict {
    let mut allowed = Vec::new();
    let mut denied = Vec::new();
    for (p, answer) in planned.iter().zip(answers) {
        match answer {
            _ if !is_exec(p.permission) => {}
            Ok(true) => allowed.push(p.verb),
            Ok(false) => denied.push(p),
            Err(error) => return ExecVerdict::Unknown(error.to_string()),
        }
    }
    match denied.is_empty() {
        true => ExecVerdict::Allowed(allowed),
        false => ExecVerdict::Denied(denied.iter().map(|p| p.verb).collect(), rbac_fix(&denied)),
    }
}

/// The `rbac.*` checks (one per resource, in the table's order) and the table of every review.
pub fn checks(
    planned: &[Planned],
    answers: Vec<Result<bool>>,
    chosen: &[Subcommand],
) -> (Vec<Check>, Vec<Access>) {
    let answered: Vec<(&Planned, Result<bool>)> = planned.iter().zip(answers).collect();
    let access = answered
        .iter()
        .map(|(p, answer)| Access {
            verb: p.verb,
            resource: p.permission.qualified(),
            namespace: p.namespace.clone(),
            allowed: answer.as_ref().ok().copied(),
            needed_by: needers(p.permission, chosen),
        })
        .collect();
    let mut resources: Vec<String> = Vec::new();
    for (p, _) in answered.iter().filter(|(p, _)| p.needed) {
        if !resources.contains(&p.permission.qualified()) {
            resources.push(p.permission.qualified());
        }
    }
    let checks = resources
        .into_iter()
        .map(|resource| {
            let rows: Vec<&(&Planned, Result<bool>)> = answered
                .iter()
                .filter(|(p, _)| p.needed && p.permission.qualified() == resource)
                .collect();
            resource_check(&rows, chosen)
        })
        .collect();
    (checks, access)
}

fn needers(permission: &Permission, chosen: &[Subcommand]) -> Vec<Subcommand> {
    permission
        .needed_by
        .iter()
        .copied()
        .filter(|s| chosen.contains(s))
        .collect()
}

fn where_(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("in namespace {ns:?}"),
        None => "at the cluster scope".to_string(),
    }
}

/// The check of one resource's verbs: `fail` when a verb a subcommand requires is denied,
/// `warn` when only an optional one is.
fn resource_check(rows: &[&(&Planned, Result<bool>)], chosen: &[Subcommand]) -> Check {
    let first = rows[0].0;
    let id = format!("rbac.{}", first.permission.short_name().replace('/', "-"));
    let scope = where_(first.namespace.as_deref());
    if let Some((p, Err(error))) = rows.iter().find(|(_, a)| a.is_err()).copied() {
        let what = format!(
            "asking whether {} {} is allowed",
            p.verb,
            p.permission.qualified()
        );
        return Check::error(id, &what, error);
    }
    let denied: Vec<&Planned> = rows
        .iter()
        .filter(|(_, a)| matches!(a, Ok(false)))
        .map(|(p, _)| *p)
        .collect();
    if denied.is_empty() {
        let verbs: Vec<&str> = rows.iter().map(|(p, _)| p.verb).collect();
        return Check::ok(
            id,
            format!(
                "{} {} allowed {scope}",
                verbs.join(", "),
                first.permission.qualified()
            ),
        );
    }
    let required = denied.iter().any(|p| p.permission.required_by_any(chosen));
    let named: Vec<String> = denied
        .iter()
        .map(|p| {
            let by: Vec<&str> = needers(p.permission, chosen)
                .iter()
                .map(|s| s.name())
                .collect();
            format!(
                "{} {} (needed by {}: {})",
                p.verb,
                p.permission.qualified(),
                by.join(", "),
                p.permission.why
            )
        })
        .collect();
    Check::problem(
        id,
        required,
        format!("denied {scope}: {}", named.join("; ")),
        rbac_fix(&denied),
    )
}

/// The rule to add, where, and the kubectl command that shows it took effect.
fn rbac_fix(denied: &[&Planned]) -> String {
    let first = denied[0];
    let p = first.permission;
    let verbs: Vec<&str> = denied.iter().map(|d| d.verb).collect();
    let rule = format!(
        "{{apiGroups: [\"{}\"], resources: [{}], verbs: [{}]}}",
        p.group,
        p.resource,
        verbs.join(", ")
    );
    let (resource, subresource) = p.resource.split_once('/').unwrap_or((p.resource, ""));
    let mut can_i = match p.group {
        "" => format!("kubectl auth can-i {} {resource}", first.verb),
        group => format!("kubectl auth can-i {} {resource}.{group}", first.verb),
    };
    if !subresource.is_empty() {
        can_i.push_str(&format!(" --subresource={subresource}"));
    }
    match &first.namespace {
        Some(ns) => format!(
            "add the rule {rule} to a Role bound to you in namespace {ns:?} (rbac/role.yaml has every rule); check with {can_i} -n {ns}"
        ),
        None => format!(
            "add the rule {rule} to a ClusterRole bound with a ClusterRoleBinding (rbac/binding-example.yaml, pxsnap-cluster-read); check with {can_i}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_is_asked_with_the_servers_verbs_and_scopes_are_kept() {
        let planned = plan(&[Subcommand::Snap], "db", 33, false, &[]);
        let exec: Vec<&str> = planned
            .iter()
            .filter(|p| is_exec(p.permission))
            .map(|p| p.verb)
            .collect();
        assert_eq!(exec, ["get"]);
        let pv = planned
            .iter()
            .find(|p| p.permission.resource == "persistentvolumes")
            .expect("snap reads PVs");
        assert_eq!(pv.namespace, None);
        assert!(
            plan(&[Subcommand::List], "db", 35, false, &[])
                .iter()
                .all(|p| !is_exec(p.permission))
        );
        let for_pvc = plan(&[Subcommand::List], "db", 35, true, &[]);
        assert_eq!(
            for_pvc.iter().filter(|p| is_exec(p.permission)).count(),
            2,
            "get and create from 1.35"
        );
        assert!(for_pvc.iter().all(|p| !is_exec(p.permission) || !p.needed));
    }

    #[test]
    fn nothing_is_asked_of_an_api_the_server_does_not_serve() {
        let groups = |planned: &[Planned]| {
            let mut groups: Vec<&str> = planned.iter().map(|p| p.permission.group).collect();
            groups.sort_unstable();
            groups.dedup();
            groups
        };
        let all = plan(&[Subcommand::Snap], "db", 33, false, &[]);
        assert!(groups(&all).contains(&"snapshot.storage.k8s.io"));
        let stork_only = plan(
            &[Subcommand::Snap],
            "db",
            33,
            false,
            &["snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"],
        );
        assert_eq!(
            groups(&stork_only),
            [
                "",
                "stork.libopenstorage.org",
                "volumesnapshot.external-storage.k8s.io"
            ],
            "STORK's snapshots, its Rules and the core reads stay"
        );
    }

    #[test]
    fn a_denied_verb_is_named_with_the_rule_to_add() {
        let planned = plan(&[Subcommand::Clone], "db", 33, false, &[]);
        let answers: Vec<Result<bool>> = planned
            .iter()
            .map(|p| Ok(!(p.permission.resource == "persistentvolumeclaims" && p.verb == "watch")))
            .collect();
        let (checks, access) = checks(&planned, answers, &[Subcommand::Clone]);
        let pvc = checks
            .iter()
            .find(|c| c.id == "rbac.persistentvolumeclaims")
            .expect("one check per resource");
        assert_eq!(pvc.status, super::super::Status::Fail);
        assert!(
            pvc.message
                .contains("watch persistentvolumeclaims (needed by clone"),
            "{pvc:?}"
        );
        let fix = pvc.fix.as_deref().unwrap_or_default();
        assert!(
            fix.contains("verbs: [watch]") && fix.contains("-n db"),
            "{fix}"
        );
        let optional = checks
            .iter()
            .find(|c| c.id == "rbac.namespaces")
            .expect("clone");
        assert_eq!(optional.status, super::super::Status::Ok);
        assert!(
            access
                .iter()
                .any(|a| a.verb == "watch" && a.allowed == Some(false))
        );
    }
}
