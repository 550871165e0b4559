//! STORK's GroupVolumeSnapshot: the selector it accepts, the object as STORK reads it, and
//! create / watch / events / delete.
//!
//! A group that fails its pre-checks, or whose driver call errors, is retried by STORK forever
//! and never shows `Failed`; the cause is only in Warning Events on the object. So waiting has
//! its own deadline, and the latest Event is what pxsnap reports when it gives up.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::ListParams;

use super::snapshotter::{Snapshotter, Stage};
use crate::error::{Error, Result};
use crate::k8s::cluster::Cluster;
use crate::k8s::resources::{
    CLOUD_CRED_ANNOTATION, GroupPhase, GroupSnapshotSpec, GroupVolumeSnapshot, PvcSelector,
    SNAPSHOT_TYPE_ANNOTATION, managed_labels,
};
use crate::k8s::selector::Selector;
use crate::progress::warn_and_record;
use crate::signals::AfterRelease;

pub const RESOURCE: &str = "groupvolumesnapshots.stork.libopenstorage.org";

/// Parses a `-l` selector into matchLabels, keeping the order the user wrote (see
/// [`Selector::match_labels`]).
pub fn parse_match_labels(selector: &str) -> Result<Vec<(String, String)>> {
    Selector::parse(selector)?.match_labels()
}

/// matchLabels as the selector text `-l` takes and a list request sends: `k=v,k2=v2`.
pub fn selector_text(labels: &[(String, String)]) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The default name: `<first label value>-<UTC yyyymmddhhmmss>`, or `group-<stamp>` when that
/// value cannot start an object name. Label values allow `_` and capitals, names do not.
pub fn default_name(labels: &[(String, String)], now: jiff::Timestamp) -> String {
    let prefix: String = labels
        .first()
        .map(|(_, value)| {
            value
                .to_ascii_lowercase()
                .replace('_', "-")
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "group".to_string());
    super::stork::default_name(&prefix, now)
}

/// Local or cloud group, as `portworx/snapshot-type` spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKind {
    Local,
    Cloud { cred_id: Option<String> },
}

impl GroupKind {
    pub fn label(&self) -> &'static str {
        match self {
            GroupKind::Local => "local",
            GroupKind::Cloud { .. } => "cloud",
        }
    }
}

/// Everything needed to build the GroupVolumeSnapshot.
#[derive(Clone, Debug)]
pub struct GroupRequest {
    pub name: String,
    pub namespace: String,
    pub match_labels: BTreeMap<String, String>,
    pub restore_namespaces: Vec<String>,
    pub max_retries: u32,
    pub kind: GroupKind,
    /// Labels and annotations of a manifest (`apply`) beside pxsnap's own; STORK copies both
    /// onto every child snapshot.
    pub labels: Vec<(String, String)>,
    pub annotations: BTreeMap<String, String>,
}

/// Builds the object exactly as STORK reads it. No exec rules: pxsnap runs the commands itself.
/// A local group carries no options at all (STORK's default type is local).
pub fn build(request: &GroupRequest) -> GroupVolumeSnapshot {
    let mut options = BTreeMap::new();
    if let GroupKind::Cloud { cred_id } = &request.kind {
        options.insert(SNAPSHOT_TYPE_ANNOTATION.to_string(), "cloud".to_string());
        if let Some(cred) = cred_id {
            options.insert(CLOUD_CRED_ANNOTATION.to_string(), cred.clone());
        }
    }
    GroupVolumeSnapshot {
        api_version: crate::k8s::resources::STORK_GROUP_VERSION.to_string(),
        kind: "GroupVolumeSnapshot".to_string(),
        metadata: ObjectMeta {
            name: Some(request.name.clone()),
            namespace: Some(request.namespace.clone()),
            labels: Some(managed_labels(&request.labels)),
            annotations: Some(request.annotations.clone()).filter(|a| !a.is_empty()),
            ..Default::default()
        },
        spec: GroupSnapshotSpec {
            pvc_selector: PvcSelector {
                match_labels: request.match_labels.clone(),
            },
            restore_namespaces: request.restore_namespaces.clone(),
            max_retries: request.max_retries,
            options,
        },
        status: None,
    }
}

/// STORK's GroupVolumeSnapshot. It shows no cut apart from its success, and a group that
/// cannot proceed never fails: its Events say why, and are read after the release.
pub struct StorkGroup;

impl Snapshotter for StorkGroup {
    type Object = GroupVolumeSnapshot;
    const RESOURCE: &'static str = RESOURCE;
    const NOUN: &'static str = "group snapshot";
    const SHOWS_CUT: bool = false;

    fn stage(group: &GroupVolumeSnapshot) -> Stage {
        match group.phase() {
            GroupPhase::Successful => Stage::Ready { cut_at: None },
            GroupPhase::Failed(message) => Stage::Failed(message),
            GroupPhase::InProgress => Stage::Pending(Some(format!(
                "stage {:?}, status {:?}",
                group.stage(),
                group.status_text()
            ))),
        }
    }

    fn same_request(built: &GroupVolumeSnapshot, existing: &GroupVolumeSnapshot) -> bool {
        existing.spec.pvc_selector == built.spec.pvc_selector
    }

    /// STORK's cleanup finalizer deletes a group's children with it; `pxsnap delete` wants
    /// that said with `--with-children`.
    fn delete_command(name: &str, namespace: &str) -> String {
        format!("pxsnap delete --group {name} --with-children -n {namespace}")
    }

    fn failure(name: String, message: String) -> Error {
        Error::GroupSnapshotFailed { name, message }
    }

    async fn explain_failure(
        cluster: &Cluster,
        group: &GroupVolumeSnapshot,
        after: &mut AfterRelease<'_>,
        warnings: &mut Vec<String>,
    ) -> String {
        match read_events(cluster, group, after, warnings).await {
            Events::Latest(event) => event.message,
            Events::Empty => "STORK set its status to Failed".to_string(),
            Events::Unread => {
                "STORK set its status to Failed (its events could not be read)".to_string()
            }
        }
    }

    async fn timeout_what(
        cluster: &Cluster,
        name: &str,
        created: &GroupVolumeSnapshot,
        last: Option<&GroupVolumeSnapshot>,
        after: &mut AfterRelease<'_>,
        warnings: &mut Vec<String>,
    ) -> String {
        let events = read_events(cluster, created, after, warnings).await;
        timeout_description(name, last.unwrap_or(created), last.is_some(), &events)
    }
}

/// What the group's Events say about why it failed or is stuck.
enum Events {
    Latest(EventSummary),
    Empty,
    /// The read failed (already warned about) or a signal cut it short.
    Unread,
}

/// Reads the latest Event of the group this run created (or adopted), which only explains a
/// failure already decided: a read that fails is a warning, not the run's error.
async fn read_events(
    cluster: &Cluster,
    created: &GroupVolumeSnapshot,
    after: &mut AfterRelease<'_>,
    warnings: &mut Vec<String>,
) -> Events {
    let name = created.metadata.name.as_deref().unwrap_or_default();
    let namespace = created.metadata.namespace.as_deref().unwrap_or_default();
    let failure = match after.call(latest_event(cluster, created)).await {
        Ok(Ok(Some(event))) => return Events::Latest(event),
        Ok(Ok(None)) => return Events::Empty,
        Ok(Err(failure)) => failure,
        Err(_signal) => return Events::Unread,
    };
    let warning = format!(
        "cannot read the events of group snapshot {name:?}: {failure}; kubectl describe groupvolumesnapshots.stork.libopenstorage.org {name} -n {namespace} shows them"
    );
    warn_and_record(warnings, warning);
    Events::Unread
}

/// `group snapshot "g" to be Successful (stage "", status ""; latest event: Warning Failed: ...)`:
/// the stage says how far STORK got, the Event says why it is stuck. `seen` is false when no
/// version came after the create, whose status pxsnap then does not quote.
fn timeout_description(
    name: &str,
    group: &GroupVolumeSnapshot,
    seen: bool,
    events: &Events,
) -> String {
    let stage = group.stage();
    let status = if seen { group.status_text() } else { "" };
    let events = match events {
        Events::Latest(event) => format!("; latest event: {event}"),
        Events::Empty => "; no events on it".to_string(),
        Events::Unread => "; its events could not be read".to_string(),
    };
    format!("group snapshot {name:?} to be Successful (stage {stage:?}, status {status:?}{events})")
}

/// An Event on the group, as pxsnap quotes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSummary {
    pub type_: String,
    pub reason: String,
    pub message: String,
}

impl std::fmt::Display for EventSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.type_, self.reason, self.message)
    }
}

/// The latest Event on `group`: where STORK puts the causes it retries forever. `None` when
/// there is none.
pub async fn latest_event(
    cluster: &Cluster,
    group: &GroupVolumeSnapshot,
) -> Result<Option<EventSummary>> {
    let namespace = group.metadata.namespace.as_deref().unwrap_or_default();
    let name = group.metadata.name.as_deref().unwrap_or_default();
    let api: Api<Event> = Api::namespaced(cluster.client.clone(), namespace);
    let params = ListParams::default().fields(&format!(
        "involvedObject.kind=GroupVolumeSnapshot,involvedObject.name={name}"
    ));
    let events = cluster
        .read("list", "events", Some(namespace), || api.list(&params))
        .await?;
    let about: Vec<Event> = events
        .items
        .into_iter()
        .filter(|e| is_about(e, &group.metadata))
        .collect();
    Ok(latest(&about))
}

/// Whether `event` is about this very object, not an earlier one of the same name: Events
/// outlive their object (an hour, by default), so a group deleted after a failure leaves Events
/// that its name alone would match. The uid decides; an Event whose recorder left the uid out
/// counts only when it is not older than the object.
fn is_about(event: &Event, object: &ObjectMeta) -> bool {
    match event
        .involved_object
        .uid
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        Some(uid) => object.uid.as_deref() == Some(uid),
        None => match (when(event), &object.creation_timestamp) {
            (Some(at), Some(created)) => at >= created.0,
            _ => true,
        },
    }
}

/// When an Event last happened, as far as it says.
fn when(event: &Event) -> Option<jiff::Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// The most recent Warning, else the most recent Event of any type.
fn latest(events: &[Event]) -> Option<EventSummary> {
    let is_warning = |e: &Event| e.type_.as_deref() == Some("Warning");
    let latest = events
        .iter()
        .filter(|e| is_warning(e))
        .max_by_key(|e| when(e))
        .or_else(|| events.iter().max_by_key(|e| when(e)))?;
    Some(EventSummary {
        type_: latest.type_.clone().unwrap_or_else(|| "Normal".to_string()),
        reason: latest.reason.clone().unwrap_or_default(),
        message: latest.message.as_deref().unwrap_or("").trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_names_stage_status_and_the_latest_event() {
        let event = Events::Latest(EventSummary {
            type_: "Warning".into(),
            reason: "Failed".into(),
            message: "no PVCs match".into(),
        });
        let group = GroupVolumeSnapshot::default();
        let text = timeout_description("g", &group, false, &event);
        assert!(text.contains("stage \"\""), "{text}");
        assert!(
            text.contains("latest event: Warning Failed: no PVCs match"),
            "{text}"
        );
        let empty = timeout_description("g", &group, true, &Events::Empty);
        assert!(empty.contains("no events"), "{empty}");
        let unread = timeout_description("g", &group, false, &Events::Unread);
        assert!(unread.contains("its events could not be read"), "{unread}");
    }

    fn usage(selector: &str) -> String {
        let err = parse_match_labels(selector).expect_err("refused");
        assert_eq!(err.exit_code(), 2, "{err}");
        err.to_string()
    }

    #[test]
    fn equality_selectors_become_ordered_match_labels() {
        let labels = parse_match_labels("app=cassandra, tier==db,app=cassandra").expect("parses");
        assert_eq!(
            labels,
            vec![
                ("app".to_string(), "cassandra".to_string()),
                ("tier".to_string(), "db".to_string())
            ]
        );
    }

    #[test]
    fn set_based_and_existence_selectors_are_refused_naming_match_labels() {
        for selector in [
            "app!=cassandra",
            "env in (prod,dev)",
            "env notin (dev)",
            "app",
            "!app",
            "app=cassandra,tier",
        ] {
            let message = usage(selector);
            assert!(
                message.contains("matchLabels only"),
                "{selector}: {message}"
            );
        }
        assert!(usage("app!=x").contains("`!=`"));
        assert!(usage("env in (a)").contains("in"));
        assert!(usage("app").contains("existence"));
        assert_eq!(
            usage("app=a,!tier"),
            "selector \"app=a,!tier\" uses an existence check in \"!tier\"; STORK's GroupVolumeSnapshot selects PVCs by matchLabels only (-l KEY=VALUE[,KEY=VALUE...])"
        );
    }

    #[test]
    fn empty_terms_bad_keys_and_contradictions_are_usage_errors() {
        assert!(usage("").contains("empty term"));
        assert!(usage("app=a,,b=c").contains("empty term"));
        assert!(usage("=x").contains("label key"));
        assert!(usage("app=a,app=b").contains("no PVC can match both"));
    }

    #[test]
    fn default_name_uses_the_first_label_value() {
        let now: jiff::Timestamp = "2026-11-25T19:07:35Z".parse().expect("timestamp");
        let labels = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            default_name(&labels(&[("app", "cassandra"), ("tier", "db")]), now),
            "cassandra-20261125190735"
        );
        assert_eq!(
            default_name(&labels(&[("app", "My_App")]), now),
            "my-app-20261125190735"
        );
        assert_eq!(
            default_name(&labels(&[("team", "")]), now),
            "group-20261125190735"
        );
        assert_eq!(
            default_name(&labels(&[("team", "_x_")]), now),
            "x-20261125190735"
        );
    }

    fn request(kind: GroupKind) -> GroupRequest {
        GroupRequest {
            name: "g".into(),
            namespace: "db".into(),
            match_labels: BTreeMap::from([("app".into(), "cassandra".into())]),
            restore_namespaces: vec!["db-restore".into()],
            max_retries: 2,
            kind,
            labels: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn built_local_group_has_selector_and_no_rules_or_options() {
        let json = serde_json::to_value(build(&request(GroupKind::Local))).expect("json");
        assert_eq!(json["apiVersion"], "stork.libopenstorage.org/v1alpha1");
        assert_eq!(json["kind"], "GroupVolumeSnapshot");
        assert_eq!(
            json["spec"],
            serde_json::json!({
                "pvcSelector": {"matchLabels": {"app": "cassandra"}},
                "restoreNamespaces": ["db-restore"],
                "maxRetries": 2
            })
        );
        assert_eq!(
            json["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "pxsnap"
        );
    }

    #[test]
    fn built_cloud_group_sets_type_and_credential_options() {
        let kind = GroupKind::Cloud {
            cred_id: Some("6b89".into()),
        };
        let json = serde_json::to_value(build(&request(kind))).expect("json");
        assert_eq!(
            json["spec"]["options"],
            serde_json::json!({"portworx/snapshot-type": "cloud", "portworx/cloud-cred-id": "6b89"})
        );
    }

    fn event(type_: &str, message: &str, at: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("e-{at}")},
            "involvedObject": {"kind": "GroupVolumeSnapshot", "name": "g"},
            "type": type_, "reason": "Failed", "message": message, "lastTimestamp": at
        }))
        .expect("event")
    }

    #[test]
    fn only_events_of_this_very_group_count() {
        let group: ObjectMeta = serde_json::from_value(serde_json::json!({
            "name": "g", "uid": "new-uid", "creationTimestamp": "2026-01-01T01:00:00Z"
        }))
        .expect("metadata");
        let with_uid = |uid: &str, at: &str| {
            let mut e = event("Warning", "cause", at);
            e.involved_object.uid = Some(uid.to_string());
            e
        };
        assert!(is_about(
            &with_uid("new-uid", "2026-01-01T01:00:05Z"),
            &group
        ));
        assert!(!is_about(
            &with_uid("old-uid", "2026-01-01T01:00:05Z"),
            &group
        ));
        // Without a uid, only an Event not older than the group can be about it.
        assert!(!is_about(
            &event("Warning", "old", "2026-01-01T00:10:00Z"),
            &group
        ));
        assert!(is_about(
            &event("Warning", "new", "2026-01-01T01:00:00Z"),
            &group
        ));
    }

    #[test]
    fn the_latest_warning_explains_the_group() {
        let events = [
            event("Warning", "old cause", "2026-01-01T00:00:01Z"),
            event("Warning", "no PVCs match", "2026-01-01T00:00:05Z"),
            event("Normal", "retrying", "2026-01-01T00:00:09Z"),
        ];
        let warning = latest(&events).expect("an event");
        assert_eq!(warning.message, "no PVCs match");
        assert_eq!(warning.to_string(), "Warning Failed: no PVCs match");
        assert_eq!(
            latest(&events[2..]).map(|e| e.to_string()).as_deref(),
            Some("Normal Failed: retrying")
        );
        assert_eq!(latest(&[]), None);
    }
}
