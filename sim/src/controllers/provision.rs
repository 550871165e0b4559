//! Provisioning of new PVCs: STORK clones (`stork-snapshot-sc` + snapshot annotation),
//! CSI restores and PVC clones (`spec.dataSource`), and plain dynamic provisioning for
//! Portworx storage classes. A PVC that can be provisioned becomes Bound to a new PV
//! after `cloneBindDelayMs`; one that cannot stays Pending with a Warning Event
//! (reason `ProvisioningFailed`) and is retried. A class with `volumeBindingMode:
//! WaitForFirstConsumer` binds only once a pod names the claim, as the scheduler then lets the
//! provisioner act; until then a Normal `WaitForFirstConsumer` Event says so.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::stork::is_done as stork_snapshot_ready;
use super::{Ctx, ObjKey, record_event};
use crate::resources::id;
use crate::scenario::{PX_CSI_DRIVER, PX_CSI_DRIVER_OLD, PX_IN_TREE};
use crate::seed::{bound_pvc, persistent_volume};
use crate::timeline::{TimelineEvent, TimelineKind};
use crate::util;

/// The StorageClass STORK installs for clones.
pub const STORK_SNAPSHOT_SC: &str = "stork-snapshot-sc";
/// The annotation naming the source snapshot of a STORK clone.
pub const SNAPSHOT_ANNOTATION: &str = "snapshot.alpha.kubernetes.io/snapshot";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    StorkClone,
    CsiRestore,
    PvcClone,
    Dynamic,
}

fn mode(ctx: &Ctx, pvc: &Value) -> Option<(Mode, String)> {
    let sc_name = util::str_at(pvc, "/spec/storageClassName");
    let sc = ctx.sh.store.get(id::STORAGECLASSES, "", sc_name);
    let provisioner = sc
        .as_ref()
        .map(|s| util::str_at(&s.value, "/provisioner").to_string())
        .unwrap_or_default();
    if (sc_name == STORK_SNAPSHOT_SC || provisioner == "stork-snapshot")
        && util::annotation(pvc, SNAPSHOT_ANNOTATION).is_some()
    {
        return ctx
            .sh
            .scenario
            .stork
            .then(|| (Mode::StorkClone, "stork-snapshot".to_string()));
    }
    let px = matches!(
        provisioner.as_str(),
        PX_CSI_DRIVER | PX_CSI_DRIVER_OLD | "kubernetes.io/portworx-volume"
    );
    let driver = if provisioner == "kubernetes.io/portworx-volume" {
        PX_IN_TREE.to_string()
    } else {
        provisioner.clone()
    };
    match util::str_at(pvc, "/spec/dataSource/kind") {
        "VolumeSnapshot"
            if util::str_at(pvc, "/spec/dataSource/apiGroup") == "snapshot.storage.k8s.io"
                && px =>
        {
            Some((Mode::CsiRestore, driver))
        }
        "PersistentVolumeClaim" if px => Some((Mode::PvcClone, driver)),
        "" if px => Some((Mode::Dynamic, driver)),
        _ => None,
    }
}

pub async fn run(ctx: &Ctx, k: &ObjKey) {
    let Some(pvc) = ctx.current(k) else { return };
    if util::str_at(&pvc.value, "/status/phase") == "Bound" {
        return;
    }
    let Some((mode, component)) = mode(ctx, &pvc.value) else {
        return;
    };
    let mut first = true;
    let mut last_event: Option<(String, Instant)> = None;
    let mut consumer_noted = false;
    loop {
        if !ctx.wait_unhung().await {
            return;
        }
        let go_on = if first {
            ctx.sleep(Duration::from_millis(ctx.settings().clone_bind_delay_ms))
                .await
        } else {
            ctx.wait_change(
                &[
                    id::EXT_SNAPSHOTS,
                    id::EXT_SNAPSHOTDATAS,
                    id::CSI_SNAPSHOTS,
                    id::PVCS,
                    id::PODS,
                ],
                ctx.retry_interval(),
            )
            .await
        };
        first = false;
        if !go_on {
            return;
        }
        if ctx.settings().hang {
            continue;
        }
        let Some(pvc) = ctx.current(k) else { return };
        if util::str_at(&pvc.value, "/status/phase") == "Bound" {
            return;
        }
        if waits_for_consumer(ctx, &pvc.value) {
            if !consumer_noted {
                record_event(
                    &ctx.sh,
                    &pvc.value,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                    "persistentvolume-controller",
                );
                consumer_noted = true;
            }
            continue;
        }
        let check = match mode {
            Mode::StorkClone => check_stork_clone(ctx, &pvc.value),
            Mode::CsiRestore => check_csi_restore(ctx, &pvc.value),
            Mode::PvcClone => check_pvc_clone(ctx, &pvc.value),
            Mode::Dynamic => Ok(component.clone()),
        };
        match check {
            Ok(driver) => {
                let driver = if mode == Mode::StorkClone {
                    driver
                } else {
                    component.clone()
                };
                bind(ctx, k, &pvc.value, &driver);
                return;
            }
            Err(msg) => {
                let due = last_event
                    .as_ref()
                    .is_none_or(|(m, at)| *m != msg || at.elapsed() >= ctx.retry_interval());
                if due {
                    record_event(
                        &ctx.sh,
                        &pvc.value,
                        "Warning",
                        "ProvisioningFailed",
                        &msg,
                        &component,
                    );
                    last_event = Some((msg, Instant::now()));
                }
            }
        }
    }
}

/// Anchored match of a restore-namespaces pattern. Supports literals, `.`, `*`, `+`,
/// `?`, `\` escapes, `[...]` classes (with ranges and `^`) and top-level `|`.
pub fn anchored_match(pattern: &str, text: &str) -> bool {
    pattern.split('|').any(|alt| {
        let toks = tokenize(alt);
        match_here(&toks, &text.chars().collect::<Vec<_>>())
    })
}

#[derive(Debug, Clone)]
enum Atom {
    Any,
    Lit(char),
    Class(Vec<(char, char)>, bool),
}

#[derive(Debug, Clone)]
struct Tok {
    atom: Atom,
    min: usize,
    max: usize,
}

fn tokenize(p: &str) -> Vec<Tok> {
    let cs: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let atom = match cs[i] {
            '.' => Atom::Any,
            '\\' if i + 1 < cs.len() => {
                i += 1;
                Atom::Lit(cs[i])
            }
            '[' => {
                let mut j = i + 1;
                let neg = cs.get(j) == Some(&'^');
                if neg {
                    j += 1;
                }
                let mut ranges = Vec::new();
                while j < cs.len() && cs[j] != ']' {
                    if j + 2 < cs.len() && cs[j + 1] == '-' && cs[j + 2] != ']' {
                        ranges.push((cs[j], cs[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((cs[j], cs[j]));
                        j += 1;
                    }
                }
                i = j;
                Atom::Class(ranges, neg)
            }
            c => Atom::Lit(c),
        };
        i += 1;
        let (min, max) = match cs.get(i) {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            _ => (1, 1),
        };
        if max != 1 || min != 1 {
            i += 1;
        }
        out.push(Tok { atom, min, max });
    }
    out
}

fn atom_matches(a: &Atom, c: char) -> bool {
    match a {
        Atom::Any => true,
        Atom::Lit(l) => *l == c,
        Atom::Class(ranges, neg) => ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *neg,
    }
}

fn match_here(toks: &[Tok], text: &[char]) -> bool {
    let Some((t, rest)) = toks.split_first() else {
        return text.is_empty();
    };
    let mut n = 0;
    while n < t.min {
        if n >= text.len() || !atom_matches(&t.atom, text[n]) {
            return false;
        }
        n += 1;
    }
    loop {
        if match_here(rest, &text[n..]) {
            return true;
        }
        if n >= t.max || n >= text.len() || !atom_matches(&t.atom, text[n]) {
            return false;
        }
        n += 1;
    }
}

/// Whether the snapshot's restore-namespaces annotation admits `ns`.
fn restore_allowed(vs: &Value, ns: &str) -> bool {
    let list = util::annotation(vs, "stork.libopenstorage.org/snapshot-restore-namespaces")
        .or_else(|| util::annotation(vs, "stork/snapshot-restore-namespaces"));
    list.is_some_and(|l| l.split(',').map(str::trim).any(|p| anchored_match(p, ns)))
}

fn check_stork_clone(ctx: &Ctx, pvc: &Value) -> Result<String, String> {
    if pvc.pointer("/spec/selector").is_some_and(|s| !s.is_null()) {
        return Err("claim Selector is not supported".into());
    }
    let pvc_ns = util::str_at(pvc, "/metadata/namespace");
    let snap = util::annotation(pvc, SNAPSHOT_ANNOTATION).unwrap_or("");
    let src_ns = util::annotation(pvc, "stork.libopenstorage.org/snapshot-source-namespace")
        .or_else(|| util::annotation(pvc, "stork/snapshot-source-namespace"))
        .filter(|s| !s.is_empty())
        .unwrap_or(pvc_ns);
    let Some(vs) = ctx.sh.store.get(id::EXT_SNAPSHOTS, src_ns, snap) else {
        return Err(format!(
            "failed to get snapshot {src_ns}/{snap}: volumesnapshots.volumesnapshot.external-storage.k8s.io \"{snap}\" not found"
        ));
    };
    if src_ns != pvc_ns && !restore_allowed(&vs.value, pvc_ns) {
        return Err(format!(
            "snapshot {snap} cannot be used in namespace {pvc_ns}"
        ));
    }
    if !stork_snapshot_ready(&vs.value) {
        return Err(format!("snapshot {src_ns}/{snap} is not ready yet"));
    }
    let data_name = util::str_at(&vs.value, "/spec/snapshotDataName");
    let Some(data) = ctx.sh.store.get(id::EXT_SNAPSHOTDATAS, "", data_name) else {
        return Err(format!(
            "failed to get snapshot data {data_name} of snapshot {src_ns}/{snap}"
        ));
    };
    if super::last_condition_type(&data.value).as_deref() != Some("Ready") {
        return Err(format!("snapshot data {data_name} is not ready yet"));
    }
    Ok(
        match util::str_at(&data.value, "/spec/portworxVolume/volumeProvisioner") {
            "pxd" | "" => PX_IN_TREE.to_string(),
            other => other.to_string(),
        },
    )
}

/// Whether the claim's class binds on first use and no pod (that is not being deleted) in its
/// namespace names it yet.
fn waits_for_consumer(ctx: &Ctx, pvc: &Value) -> bool {
    let class = util::str_at(pvc, "/spec/storageClassName");
    let wffc = ctx
        .sh
        .store
        .get(id::STORAGECLASSES, "", class)
        .is_some_and(|sc| util::str_at(&sc.value, "/volumeBindingMode") == "WaitForFirstConsumer");
    if !wffc {
        return false;
    }
    let name = util::str_at(pvc, "/metadata/name");
    let uses_it = |pod: &Value| {
        pod.pointer("/metadata/deletionTimestamp").is_none()
            && pod
                .pointer("/spec/volumes")
                .and_then(Value::as_array)
                .is_some_and(|volumes| {
                    volumes
                        .iter()
                        .any(|v| util::str_at(v, "/persistentVolumeClaim/claimName") == name)
                })
    };
    let namespace = util::str_at(pvc, "/metadata/namespace");
    ctx.sh
        .store
        .list(id::PODS, Some(namespace), None, 0, uses_it)
        .items
        .is_empty()
}

fn check_csi_restore(ctx: &Ctx, pvc: &Value) -> Result<String, String> {
    let ns = util::str_at(pvc, "/metadata/namespace");
    let name = util::str_at(pvc, "/spec/dataSource/name");
    let Some(vs) = ctx.sh.store.get(id::CSI_SNAPSHOTS, ns, name) else {
        return Err(format!(
            "error getting handle for DataSource Type VolumeSnapshot by Name {name}: error getting snapshot {name} from api server: volumesnapshots.snapshot.storage.k8s.io \"{name}\" not found"
        ));
    };
    if vs.value.pointer("/status/readyToUse") != Some(&json!(true)) {
        return Err(format!(
            "error getting handle for DataSource Type VolumeSnapshot by Name {name}: snapshot {name} is not Ready"
        ));
    }
    // The external-provisioner's own check: the volume must hold the whole snapshot.
    let requested = super::quantity_bytes(util::str_at(pvc, "/spec/resources/requests/storage"));
    let restore = super::quantity_bytes(util::str_at(&vs.value, "/status/restoreSize"));
    if requested < restore {
        return Err(format!(
            "requested volume size {requested} is less than the size {restore} for the source snapshot {name}"
        ));
    }
    Ok(String::new())
}

fn check_pvc_clone(ctx: &Ctx, pvc: &Value) -> Result<String, String> {
    let ns = util::str_at(pvc, "/metadata/namespace");
    let name = util::str_at(pvc, "/spec/dataSource/name");
    match ctx.sh.store.get(id::PVCS, ns, name) {
        Some(src) if util::str_at(&src.value, "/status/phase") == "Bound" => Ok(String::new()),
        Some(_) => Err(format!(
            "error getting handle for DataSource Type PersistentVolumeClaim by Name {name}: claim in dataSource not bound or invalid"
        )),
        None => Err(format!(
            "error getting handle for DataSource Type PersistentVolumeClaim by Name {name}: persistentvolumeclaims \"{name}\" not found"
        )),
    }
}

fn bind(ctx: &Ctx, k: &ObjKey, pvc: &Value, driver: &str) {
    let pv_name = format!("pvc-{}", k.uid);
    let size = util::str_at(pvc, "/spec/resources/requests/storage");
    let sc = util::str_at(pvc, "/spec/storageClassName");
    let pv = persistent_volume(&pv_name, &k.namespace, &k.name, &k.uid, size, sc, driver);
    if ctx.sh.store.create(id::PVS, "", pv, &ctx.by).is_err() {
        return;
    }
    let bound = ctx.modify(k, |pvc| *pvc = bound_pvc(pvc, &pv_name, driver));
    if !bound {
        let _ = ctx.sh.store.delete(id::PVS, "", &pv_name, (None, None));
        return;
    }
    let mut ev = TimelineEvent::new(TimelineKind::PvcBound, &k.namespace);
    ev.object = Some(format!("persistentvolumeclaims/{}", k.name));
    ev.pvc = Some(k.name.clone());
    ctx.sh.timeline.record(ev);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_namespace_patterns() {
        assert!(anchored_match(".*", "anything"));
        assert!(anchored_match("prod-.*", "prod-1"));
        assert!(!anchored_match("prod-.*", "xprod-1"));
        assert!(anchored_match("staging", "staging"));
        assert!(!anchored_match("staging", "staging2"));
        assert!(anchored_match("db-[0-9]+", "db-42"));
        assert!(!anchored_match("db-[0-9]+", "db-"));
        assert!(anchored_match("a|b", "b"));
        assert!(anchored_match("te?st", "tst"));
        let vs = json!({"metadata": {"annotations": {"stork.libopenstorage.org/snapshot-restore-namespaces": "prod-.*, staging"}}});
        assert!(restore_allowed(&vs, "staging"));
        assert!(restore_allowed(&vs, "prod-a"));
        assert!(!restore_allowed(&vs, "dev"));
    }
}
