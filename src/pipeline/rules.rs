//! STORK Rules run by pxsnap (`--pre-rule`, `--post-rule`): read one Rule, check that pxsnap
//! can run all of it, and resolve its items to the containers each action runs in.
//!
//! STORK's semantics are kept where they are sound (items in order, actions in order, each
//! action on the item's pods at once; `podSelector`, `container`, `runInSinglePod`). Resolving
//! happens before anything runs, from one pod list, so a Rule that cannot run as a whole runs
//! not at all.

use k8s_openapi::api::core::v1::Pod;

use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{RuleItem, StorkRule};
use crate::pipeline::hold::WAIT_CMD;
use crate::pipeline::hooks::RuleRef;
use crate::pipeline::locate::{HookTarget, container_not_running, pod_not_running};

/// Which side of the snapshot a Rule runs on: a post-Rule cannot hold anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Pre,
    Post,
}

/// One Rule action resolved to the containers it runs in, all at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStage {
    pub rule: RuleRef,
    pub command: String,
    /// A background action: it runs as a held command (`${WAIT_CMD}`) across the cut.
    pub background: bool,
    pub targets: Vec<HookTarget>,
}

/// What the Rules of one run will do, resolved before anything runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RulePlan {
    pub pre: Vec<RuleStage>,
    pub post: Vec<RuleStage>,
    /// Items that select every pod of the namespace, or none.
    pub warnings: Vec<String>,
}

/// Reads Rule `name` in `namespace` and checks that pxsnap can run every action of it.
pub async fn load(cluster: &Cluster, name: &str, side: Side) -> Result<Vec<RuleItem>> {
    let namespace = cluster.namespace.clone();
    let rule: StorkRule =
        cluster
            .get_opt("rules", name)
            .await?
            .ok_or_else(|| Error::RuleNotFound {
                rule: name.to_string(),
                namespace: namespace.clone(),
            })?;
    let bad = |problem: String| Error::BadRule {
        rule: name.to_string(),
        namespace: namespace.clone(),
        problem,
    };
    let items = parse(&rule.rules).map_err(bad)?;
    check(&items, side).map_err(bad)?;
    Ok(items)
}

/// The items of a Rule's `rules` list, or what in it does not parse.
fn parse(rules: &serde_json::Value) -> Result<Vec<RuleItem>, String> {
    let list = match rules {
        serde_json::Value::Null => return Ok(Vec::new()),
        serde_json::Value::Array(list) => list,
        _ => return Err("does not parse: rules is not a list".to_string()),
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item.clone())
                .map_err(|err| format!("does not parse: rules[{i}]: {err}"))
        })
        .collect()
}

/// Refuses what pxsnap will not run: an action that is not a command, an empty one, a
/// background action on the post side (nothing would let it go) or without `${WAIT_CMD}`.
fn check(items: &[RuleItem], side: Side) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        for (j, action) in item.actions.iter().enumerate() {
            let at = format!("rules[{i}].actions[{j}]");
            if action.type_ != "command" {
                return Err(format!(
                    "has an unsupported action type {:?} at {at} (only \"command\" is supported)",
                    action.type_
                ));
            }
            if action.value.trim().is_empty() {
                return Err(format!("has an empty command at {at}.value"));
            }
            match (action.background, side) {
                (true, Side::Post) => {
                    return Err(format!(
                        "has a background action at {at}, which a post-Rule cannot have (nothing after it would let it go)"
                    ));
                }
                (true, Side::Pre) if !action.value.contains(WAIT_CMD) => {
                    return Err(format!(
                        "has a background action at {at} without {WAIT_CMD}, so it could never report that it holds"
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Resolves the checked `items` of Rule `name` against the namespace's `pods` (in API list
/// order, which `runInSinglePod` follows), adding to `warnings` what the user should know.
pub fn resolve(
    name: &str,
    items: &[RuleItem],
    pods: &[Pod],
    warnings: &mut Vec<String>,
) -> Result<Vec<RuleStage>> {
    let mut stages = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let targets = item_targets(name, i, item, pods)?;
        if item.pod_selector.is_empty() {
            warnings.push(format!(
                "Rule {name:?} rules[{i}] has an empty podSelector, so it runs in every running pod of the namespace ({} pod(s))",
                targets.len()
            ));
        } else if targets.is_empty() {
            warnings.push(format!(
                "Rule {name:?} rules[{i}] selects no running pod; its actions run nowhere"
            ));
        }
        for (j, action) in item.actions.iter().enumerate() {
            let targets = match (action.run_in_single_pod, targets.first()) {
                (true, Some(first)) => vec![first.clone()],
                _ => targets.clone(),
            };
            stages.push(RuleStage {
                rule: RuleRef {
                    name: name.to_string(),
                    item: i,
                    action: j,
                },
                command: action.value.clone(),
                background: action.background,
                targets,
            });
        }
    }
    Ok(stages)
}

/// The containers one item runs in: running pods whose labels match, as STORK picks them.
fn item_targets(name: &str, i: usize, item: &RuleItem, pods: &[Pod]) -> Result<Vec<HookTarget>> {
    let mut targets = Vec::new();
    for pod in pods {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let selected = item
            .pod_selector
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value));
        if !selected || pod_not_running(pod).is_some() {
            continue;
        }
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let container = container_of(name, i, item, pod, &pod_name)?;
        if container_not_running(pod, &container).is_some() {
            continue;
        }
        targets.push(HookTarget {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            pod: pod_name,
            container,
            pvcs: Vec::new(),
        });
    }
    Ok(targets)
}

/// The item's `container`, else the pod's only one.
fn container_of(
    name: &str,
    i: usize,
    item: &RuleItem,
    pod: &Pod,
    pod_name: &str,
) -> Result<String> {
    let containers: Vec<&str> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.as_str()))
        .collect();
    match (item.container.as_str(), containers.as_slice()) {
        ("", [only]) => Ok(only.to_string()),
        ("", several) => Err(Error::Usage(format!(
            "Rule {name:?} rules[{i}] names no container and pod {pod_name:?} has {} ({}); set rules[{i}].container; nothing was run",
            several.len(),
            several.join(", ")
        ))),
        (wanted, all) if all.contains(&wanted) => Ok(wanted.to_string()),
        (wanted, all) => Err(Error::UnknownContainer {
            pod: pod_name.to_string(),
            container: wanted.to_string(),
            available: all.join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(rules: serde_json::Value) -> Result<Vec<RuleItem>, String> {
        parse(&rules)
    }

    #[test]
    fn a_rule_that_does_not_parse_names_the_item() {
        let err = items(json!([{"actions": []}, {"actions": "no"}])).expect_err("bad");
        assert!(err.starts_with("does not parse: rules[1]:"), "{err}");
    }

    #[test]
    fn post_rules_cannot_hold_and_only_commands_run() {
        let held = items(json!([{"actions": [
            {"type": "command", "value": "lock; ${WAIT_CMD}", "background": true}
        ]}]))
        .expect("parses");
        assert!(check(&held, Side::Pre).is_ok());
        let err = check(&held, Side::Post).expect_err("refused");
        assert!(err.contains("rules[0].actions[0]"), "{err}");
        let other =
            items(json!([{"actions": [{"type": "script", "value": "x"}]}])).expect("parses");
        assert!(
            check(&other, Side::Pre)
                .expect_err("refused")
                .contains("\"script\"")
        );
    }

    #[test]
    fn single_pod_actions_take_the_first_pod_in_list_order() {
        let pod = |name: &str| -> Pod {
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "db", "labels": {"app": "x"}},
                "spec": {"containers": [{"name": "main"}]},
                "status": {"phase": "Running"}
            }))
            .expect("pod")
        };
        let items = items(json!([{"podSelector": {"app": "x"}, "actions": [
            {"type": "command", "value": "a", "runInSinglePod": true},
            {"type": "command", "value": "b"}
        ]}]))
        .expect("parses");
        let mut warnings = Vec::new();
        let stages =
            resolve("r", &items, &[pod("b-1"), pod("a-0")], &mut warnings).expect("resolves");
        let pods = |s: &RuleStage| s.targets.iter().map(|t| t.pod.clone()).collect::<Vec<_>>();
        assert_eq!(pods(&stages[0]), ["b-1"]);
        assert_eq!(pods(&stages[1]), ["b-1", "a-0"]);
        assert!(warnings.is_empty());
    }
}
