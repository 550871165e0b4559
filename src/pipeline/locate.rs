//! From PVCs to the pods and containers that must be quiesced.
//!
//! Pure functions over objects already listed, so the rules (which pod counts, which container is
//! chosen) are unit-tested without a cluster, and so one pod list per namespace serves any number
//! of PVCs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};

use crate::backend::snapshot_api::Volume;
use crate::error::Error;

/// One container in one pod where the pre/post commands run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HookTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The PVCs this container mounts among those being snapshotted, for the report.
    pub pvcs: Vec<String>,
}

/// A pod that mounts a PVC being snapshotted but cannot take commands, reported as a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedPod {
    pub pod: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Located {
    pub targets: Vec<HookTarget>,
    pub skipped: Vec<SkippedPod>,
    /// What `--pre-rule` and `--post-rule` run, resolved from the same pod list.
    pub rules: crate::pipeline::rules::RulePlan,
}

/// Checks that a PVC can be snapshotted by STORK: it is Bound, and its PV is a Portworx volume
/// (in-tree `portworxVolume` or the Portworx CSI driver). STORK itself would leave such a snapshot
/// without any status forever, so this is the only place the user learns why.
pub fn check_pvc(pvc: &PersistentVolumeClaim, pv: Option<&PersistentVolume>) -> Result<(), Error> {
    let name = pvc.metadata.name.clone().unwrap_or_default();
    let namespace = pvc.metadata.namespace.clone().unwrap_or_default();
    let phase = pvc
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "unknown".to_string());
    if phase != "Bound" {
        return Err(Error::PvcNotBound {
            pvc: name,
            namespace,
            phase,
        });
    }
    let not_portworx = |detail: String| Error::NotPortworx {
        pvc: name.clone(),
        namespace: namespace.clone(),
        detail,
    };
    let pv = pv.ok_or_else(|| not_portworx("its PersistentVolume was not found".to_string()))?;
    match Volume::of(pv) {
        volume if volume.is_portworx() => Ok(()),
        Volume::OtherCsi { driver } => Err(not_portworx(format!("CSI driver {driver:?}"))),
        _ => Err(not_portworx(format!(
            "PersistentVolume {:?} is neither portworxVolume nor CSI pxd.portworx.com",
            pv.metadata.name.clone().unwrap_or_default()
        ))),
    }
}

/// Finds, among `pods` (one namespace), the containers that mount any of `pvcs`.
///
/// A pod counts when a `spec.volumes[]` entry claims one of the PVCs; the container is the one
/// whose `volumeMounts`/`volumeDevices` use that volume. `container` (from `-c`) overrides the
/// choice. Several candidate containers and no `-c` is an error naming them. A pod mounting several
/// of the PVCs yields one target per container, not one per PVC.
pub fn locate(pods: &[Pod], pvcs: &[String], container: Option<&str>) -> Result<Located, Error> {
    let mut targets: BTreeMap<(String, String), HookTarget> = BTreeMap::new();
    let mut skipped = Vec::new();
    for pod in pods {
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let Some(spec) = &pod.spec else { continue };
        // volume name in the pod -> PVC it claims, for the PVCs we snapshot
        let claimed: BTreeMap<&str, &str> = spec
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| {
                let claim = v.persistent_volume_claim.as_ref()?;
                pvcs.contains(&claim.claim_name)
                    .then_some((v.name.as_str(), claim.claim_name.as_str()))
            })
            .collect();
        if claimed.is_empty() {
            continue;
        }
        if let Some(reason) = pod_not_running(pod) {
            skipped.push(SkippedPod {
                pod: pod_name,
                reason,
            });
            continue;
        }
        for (volume, pvc) in &claimed {
            let mounting: Vec<&str> = spec
                .containers
                .iter()
                .filter(|c| {
                    c.volume_mounts.iter().flatten().any(|m| m.name == *volume)
                        || c.volume_devices.iter().flatten().any(|d| d.name == *volume)
                })
                .map(|c| c.name.as_str())
                .collect();
            let chosen = match container {
                Some(wanted) => {
                    if !spec.containers.iter().any(|c| c.name == wanted) {
                        return Err(Error::UnknownContainer {
                            pod: pod_name,
                            container: wanted.to_string(),
                            available: spec
                                .containers
                                .iter()
                                .map(|c| c.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                    wanted.to_string()
                }
                None => match mounting.as_slice() {
                    [only] => only.to_string(),
                    // The volume is declared but no container mounts it: nothing writes to it,
                    // yet the pod's main container is where an app would be flushed.
                    [] => match spec.containers.as_slice() {
                        [only] => only.name.clone(),
                        _ => {
                            return Err(Error::AmbiguousContainer {
                                pod: pod_name,
                                pvc: pvc.to_string(),
                                containers: spec
                                    .containers
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            });
                        }
                    },
                    several => {
                        return Err(Error::AmbiguousContainer {
                            pod: pod_name,
                            pvc: pvc.to_string(),
                            containers: several.join(", "),
                        });
                    }
                },
            };
            if let Some(reason) = container_not_running(pod, &chosen) {
                skipped.push(SkippedPod {
                    pod: pod_name.clone(),
                    reason,
                });
                continue;
            }
            let target = targets
                .entry((pod_name.clone(), chosen.clone()))
                .or_insert_with(|| HookTarget {
                    namespace: namespace.clone(),
                    pod: pod_name.clone(),
                    container: chosen,
                    pvcs: Vec::new(),
                });
            target.pvcs.push(pvc.to_string());
        }
    }
    Ok(Located {
        targets: targets.into_values().collect(),
        skipped,
        rules: Default::default(),
    })
}

/// Why a pod cannot take a command now, or `None` when its phase is Running and it is not
/// being deleted. A terminating pod stays Running until its containers stop, but its
/// application is going away: quiescing it would freeze an app that may be gone before the
/// post command, and its data is about to be written for the last time anyway.
pub(crate) fn pod_not_running(pod: &Pod) -> Option<String> {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Unknown");
    if phase != "Running" {
        return Some(format!("pod is {phase}"));
    }
    pod.metadata.deletion_timestamp.as_ref().map(|since| {
        format!(
            "pod is terminating (deleted at {}, phase still Running)",
            since.0
        )
    })
}

/// Why the chosen container cannot take a command, judged on that container alone: a
/// restarting sidecar must not make pxsnap skip (and so not quiesce) the application.
pub(crate) fn container_not_running(pod: &Pod, container: &str) -> Option<String> {
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .find(|c| c.name == container)?;
    let running = status.state.as_ref().is_none_or(|st| st.running.is_some());
    (!running).then(|| format!("container {container:?} is not running"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(
        name: &str,
        phase: &str,
        volumes: serde_json::Value,
        containers: serde_json::Value,
    ) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "db"},
            "spec": {"volumes": volumes, "containers": containers},
            "status": {"phase": phase}
        }))
        .expect("valid pod")
    }

    /// Running pod `app-0` whose volume `data` claims `pvc-a`, with `containers`.
    fn running_app_0(containers: serde_json::Value) -> Pod {
        pod(
            "app-0",
            "Running",
            json!([claim("data", "pvc-a")]),
            containers,
        )
    }

    fn claim(volume: &str, pvc: &str) -> serde_json::Value {
        json!({"name": volume, "persistentVolumeClaim": {"claimName": pvc}})
    }

    fn container(name: &str, mounts: &[&str]) -> serde_json::Value {
        let mounts: Vec<_> = mounts
            .iter()
            .map(|m| json!({"name": m, "mountPath": "/d"}))
            .collect();
        json!({"name": name, "volumeMounts": mounts})
    }

    fn pvcs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn picks_the_container_that_mounts_the_volume() {
        let pods = [running_app_0(json!([
            container("sidecar", &[]),
            container("app", &["data"])
        ]))];
        let found = locate(&pods, &pvcs(&["pvc-a"]), None).expect("locates");
        assert_eq!(found.targets.len(), 1);
        assert_eq!(found.targets[0].container, "app");
        assert_eq!(found.targets[0].pvcs, vec!["pvc-a"]);
    }

    #[test]
    fn several_mounting_containers_need_dash_c() {
        let pods = [running_app_0(json!([
            container("a", &["data"]),
            container("b", &["data"])
        ]))];
        let err = locate(&pods, &pvcs(&["pvc-a"]), None).expect_err("ambiguous");
        assert!(err.to_string().contains("a, b"), "{err}");
        let found = locate(&pods, &pvcs(&["pvc-a"]), Some("b")).expect("override");
        assert_eq!(found.targets[0].container, "b");
    }

    #[test]
    fn unknown_container_names_the_real_ones() {
        let pods = [running_app_0(json!([container("app", &["data"])]))];
        let err = locate(&pods, &pvcs(&["pvc-a"]), Some("nope")).expect_err("unknown");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("(it has: app)"), "{err}");
    }

    #[test]
    fn a_pod_mounting_two_pvcs_is_one_target() {
        let pods = [pod(
            "app-0",
            "Running",
            json!([claim("d1", "pvc-a"), claim("d2", "pvc-b")]),
            json!([container("app", &["d1", "d2"])]),
        )];
        let found = locate(&pods, &pvcs(&["pvc-a", "pvc-b"]), None).expect("locates");
        assert_eq!(found.targets.len(), 1);
        assert_eq!(found.targets[0].pvcs, vec!["pvc-a", "pvc-b"]);
    }

    #[test]
    fn pods_not_running_or_not_mounting_are_left_out() {
        let pods = [
            pod(
                "pending",
                "Pending",
                json!([claim("data", "pvc-a")]),
                json!([container("app", &["data"])]),
            ),
            pod(
                "other",
                "Running",
                json!([claim("data", "pvc-z")]),
                json!([container("app", &["data"])]),
            ),
        ];
        let found = locate(&pods, &pvcs(&["pvc-a"]), None).expect("locates");
        assert!(found.targets.is_empty());
        assert_eq!(
            found.skipped,
            vec![SkippedPod {
                pod: "pending".into(),
                reason: "pod is Pending".into()
            }]
        );
    }

    #[test]
    fn a_terminating_pod_is_skipped() {
        let mut going = running_app_0(json!([container("app", &["data"])]));
        going.metadata.deletion_timestamp =
            serde_json::from_value(json!("2026-01-02T03:04:05Z")).expect("timestamp");
        let found = locate(&[going], &pvcs(&["pvc-a"]), None).expect("locates");
        assert!(found.targets.is_empty());
        assert_eq!(
            found.skipped[0].reason,
            "pod is terminating (deleted at 2026-01-02T03:04:05Z, phase still Running)"
        );
    }

    #[test]
    fn only_the_chosen_containers_state_counts() {
        let mut sidecar_down = running_app_0(json!([
            container("app", &["data"]),
            container("proxy", &[])
        ]));
        sidecar_down.status = serde_json::from_value(json!({"phase": "Running", "containerStatuses": [
            {"name": "app", "ready": true, "restartCount": 0, "image": "i", "imageID": "", "state": {"running": {}}},
            {"name": "proxy", "ready": false, "restartCount": 5, "image": "i", "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]}))
        .expect("status");
        let found =
            locate(std::slice::from_ref(&sidecar_down), &pvcs(&["pvc-a"]), None).expect("locates");
        assert_eq!(
            found.targets.len(),
            1,
            "a crash-looping sidecar must not skip the app"
        );
        let found = locate(&[sidecar_down], &pvcs(&["pvc-a"]), Some("proxy")).expect("locates");
        assert_eq!(
            found.skipped[0].reason,
            "container \"proxy\" is not running"
        );
    }

    #[test]
    fn pvc_checks() {
        let bound = |phase: &str| -> PersistentVolumeClaim {
            serde_json::from_value(
                json!({"metadata": {"name": "d", "namespace": "db"}, "status": {"phase": phase}}),
            )
            .expect("pvc")
        };
        let pv = |spec: serde_json::Value| -> PersistentVolume {
            serde_json::from_value(json!({"metadata": {"name": "pv1"}, "spec": spec})).expect("pv")
        };
        assert!(matches!(
            check_pvc(&bound("Pending"), None),
            Err(Error::PvcNotBound { .. })
        ));
        assert!(
            check_pvc(
                &bound("Bound"),
                Some(&pv(json!({"portworxVolume": {"volumeID": "v"}})))
            )
            .is_ok()
        );
        assert!(
            check_pvc(
                &bound("Bound"),
                Some(&pv(
                    json!({"csi": {"driver": "pxd.portworx.com", "volumeHandle": "h"}})
                ))
            )
            .is_ok()
        );
        let err = check_pvc(
            &bound("Bound"),
            Some(&pv(
                json!({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "h"}}),
            )),
        )
        .expect_err("not px");
        assert!(err.to_string().contains("ebs.csi.aws.com"), "{err}");
    }
}
