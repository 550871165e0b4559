//! Retention: which of a PVC's snapshots `pxsnap delete --keep-last/--older-than` removes.
//!
//! Pure, so the rule is tested without a cluster. The rule, per PVC:
//! - the N newest **Ready** snapshots are kept (`--keep-last N`); Pending and Error ones never
//!   count towards N, because neither can be restored from;
//! - a Pending snapshot may still be being cut, so it is kept unless `--include-pending`;
//! - an Error snapshot is deleted when selected: it is not restorable, and STORK keeps retrying it
//!   (re-running its rules) until it is deleted;
//! - with `--older-than D`, only snapshots older than D go; the others are kept.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::k8s::csi_resources::{CsiProgress, CsiVolumeSnapshot};
use crate::k8s::resources::SnapshotPhase;

/// A snapshot as retention sees it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub name: String,
    pub pvc: String,
    pub phase: SnapshotPhase,
    pub created: Option<jiff::Timestamp>,
}

/// The retention flags.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    pub keep_last: Option<usize>,
    pub older_than: Option<Duration>,
    pub include_pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Delete,
    Keep(Kept),
}

/// Why a snapshot stays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// One of the `--keep-last` newest Ready snapshots of its PVC; 1 is the newest.
    Newest(usize),
    Pending,
    Younger(Duration),
}

impl Kept {
    pub fn reason(&self) -> String {
        match self {
            Kept::Newest(1) => "the newest Ready snapshot of its PVC".to_string(),
            Kept::Newest(rank) => format!("Ready snapshot number {rank} of its PVC, newest first"),
            Kept::Pending => {
                "Pending (may still be being taken; --include-pending deletes it)".to_string()
            }
            Kept::Younger(limit) => format!(
                "not older than {}",
                crate::duration::age(i64::try_from(limit.as_secs()).unwrap_or(i64::MAX))
            ),
        }
    }
}

/// A CSI snapshot in the phases retention (and the STATUS column) think in. Cut but not ready
/// (a cloud upload going on) is Pending, as STORK's uploading cloud snapshot is: nothing can
/// be restored from it yet, and it may still be being taken. A `status.error` is Error although
/// the snapshotter retries: until it clears, the snapshot is not restorable either.
pub fn csi_phase(snapshot: &CsiVolumeSnapshot) -> SnapshotPhase {
    progress_phase(snapshot.progress())
}

/// The phase of a CSI snapshot or group snapshot at `progress`, as [`csi_phase`] reads it.
pub fn progress_phase(progress: CsiProgress) -> SnapshotPhase {
    match progress {
        CsiProgress::Ready { .. } => SnapshotPhase::Ready,
        CsiProgress::NotCut {
            error: Some(message),
        }
        | CsiProgress::Cut {
            error: Some(message),
            ..
        } => SnapshotPhase::Error(message),
        CsiProgress::Cut { at, error: None } => {
            SnapshotPhase::Pending(Some(format!("cut at {at}, not ready to use yet")))
        }
        CsiProgress::NotCut { error: None } => SnapshotPhase::Pending(None),
    }
}

/// One verdict per candidate, in the candidates' order.
pub fn decide(candidates: &[Candidate], rule: &Rule, now: jiff::Timestamp) -> Vec<Verdict> {
    let newest = newest_ready(candidates, rule.keep_last);
    candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            if let Some(&rank) = newest.get(&index) {
                return Verdict::Keep(Kept::Newest(rank));
            }
            if matches!(candidate.phase, SnapshotPhase::Pending(_)) && !rule.include_pending {
                return Verdict::Keep(Kept::Pending);
            }
            match rule.older_than {
                Some(limit) if !older_than(candidate.created, limit, now) => {
                    Verdict::Keep(Kept::Younger(limit))
                }
                _ => Verdict::Delete,
            }
        })
        .collect()
}

/// Index → rank of the `keep` newest Ready candidates of each PVC. Equal timestamps (they have
/// one-second resolution) are ordered by name, descending, since default names end in a UTC
/// timestamp.
fn newest_ready(candidates: &[Candidate], keep: Option<usize>) -> BTreeMap<usize, usize> {
    let Some(keep) = keep else {
        return BTreeMap::new();
    };
    let mut by_pvc: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if candidate.phase == SnapshotPhase::Ready {
            by_pvc.entry(&candidate.pvc).or_default().push(index);
        }
    }
    let mut ranks = BTreeMap::new();
    for mut indices in by_pvc.into_values() {
        indices.sort_by(|&a, &b| {
            let (a, b) = (&candidates[a], &candidates[b]);
            b.created.cmp(&a.created).then_with(|| b.name.cmp(&a.name))
        });
        for (rank, index) in indices.into_iter().take(keep).enumerate() {
            ranks.insert(index, rank + 1);
        }
    }
    ranks
}

/// A snapshot without a creation time (never the case for an object the API server stored)
/// counts as old: nothing protects it.
fn older_than(created: Option<jiff::Timestamp>, limit: Duration, now: jiff::Timestamp) -> bool {
    match created {
        None => true,
        Some(created) => now
            .duration_since(created)
            .try_into()
            .is_ok_and(|age: Duration| age > limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2025-06-10T12:00:00Z";

    fn now() -> jiff::Timestamp {
        NOW.parse().expect("timestamp")
    }

    fn snap(name: &str, pvc: &str, phase: SnapshotPhase, hours_old: i64) -> Candidate {
        Candidate {
            name: name.into(),
            pvc: pvc.into(),
            phase,
            created: Some(now() - jiff::SignedDuration::from_hours(hours_old)),
        }
    }

    fn ready(name: &str, hours_old: i64) -> Candidate {
        snap(name, "data", SnapshotPhase::Ready, hours_old)
    }
    fn pending(name: &str, hours_old: i64) -> Candidate {
        snap(name, "data", SnapshotPhase::Pending(None), hours_old)
    }
    fn failed(name: &str, hours_old: i64) -> Candidate {
        snap(name, "data", SnapshotPhase::Error("boom".into()), hours_old)
    }

    fn deleted(candidates: &[Candidate], rule: &Rule) -> Vec<String> {
        decide(candidates, rule, now())
            .iter()
            .zip(candidates)
            .filter(|(verdict, _)| **verdict == Verdict::Delete)
            .map(|(_, c)| c.name.clone())
            .collect()
    }

    fn keep_last(n: usize) -> Rule {
        Rule {
            keep_last: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn keeps_the_newest_ready_and_deletes_errors_never_pending() {
        let candidates = [
            ready("r-1h", 1),
            failed("e-2h", 2),
            ready("r-3h", 3),
            pending("p-4h", 4),
            ready("r-5h", 5),
            failed("e-6h", 6),
            ready("r-7h", 7),
        ];
        assert_eq!(
            deleted(&candidates, &keep_last(2)),
            ["e-2h", "r-5h", "e-6h", "r-7h"]
        );
        let verdicts = decide(&candidates, &keep_last(2), now());
        assert_eq!(verdicts[0], Verdict::Keep(Kept::Newest(1)));
        assert_eq!(verdicts[2], Verdict::Keep(Kept::Newest(2)));
        assert_eq!(verdicts[3], Verdict::Keep(Kept::Pending));
    }

    #[test]
    fn errors_and_pending_do_not_count_towards_keep_last() {
        // The three newest are not Ready: all three Ready ones are still kept.
        let candidates = [
            failed("e", 1),
            pending("p", 2),
            failed("e2", 3),
            ready("r1", 4),
            ready("r2", 5),
            ready("r3", 6),
        ];
        assert_eq!(deleted(&candidates, &keep_last(3)), ["e", "e2"]);
    }

    #[test]
    fn include_pending_deletes_pending_too() {
        let candidates = [pending("p", 1), ready("r", 2), ready("old", 3)];
        let rule = Rule {
            include_pending: true,
            ..keep_last(1)
        };
        assert_eq!(deleted(&candidates, &rule), ["p", "old"]);
    }

    #[test]
    fn older_than_protects_young_snapshots_of_any_state() {
        let candidates = [
            ready("r-1h", 1),
            failed("e-2h", 2),
            ready("r-30h", 30),
            failed("e-50h", 50),
            pending("p-60h", 60),
        ];
        let rule = Rule {
            older_than: Some(Duration::from_secs(24 * 3600)),
            ..Default::default()
        };
        assert_eq!(deleted(&candidates, &rule), ["r-30h", "e-50h"]);
        let verdicts = decide(&candidates, &rule, now());
        assert_eq!(
            verdicts[1],
            Verdict::Keep(Kept::Younger(Duration::from_secs(86_400)))
        );
    }

    #[test]
    fn keep_last_and_older_than_both_have_to_allow_it() {
        let candidates = [
            ready("a", 1),
            ready("b", 10),
            ready("c", 30),
            ready("d", 40),
        ];
        let rule = Rule {
            older_than: Some(Duration::from_secs(20 * 3600)),
            ..keep_last(1)
        };
        assert_eq!(deleted(&candidates, &rule), ["c", "d"]);
    }

    #[test]
    fn keep_last_applies_per_pvc() {
        let candidates = [
            snap("a1", "a", SnapshotPhase::Ready, 1),
            snap("a2", "a", SnapshotPhase::Ready, 2),
            snap("b1", "b", SnapshotPhase::Ready, 3),
            snap("b2", "b", SnapshotPhase::Ready, 4),
        ];
        assert_eq!(deleted(&candidates, &keep_last(1)), ["a2", "b2"]);
    }

    #[test]
    fn equal_timestamps_rank_by_name() {
        let candidates = [
            ready("data-20250610110000", 1),
            ready("data-20250610110001", 1),
        ];
        assert_eq!(deleted(&candidates, &keep_last(1)), ["data-20250610110000"]);
    }

    #[test]
    fn keep_last_zero_and_no_flags_select_everything_but_pending() {
        let candidates = [ready("r", 1), failed("e", 2), pending("p", 3)];
        assert_eq!(deleted(&candidates, &keep_last(0)), ["r", "e"]);
        assert_eq!(deleted(&candidates, &Rule::default()), ["r", "e"]);
    }

    #[test]
    fn kept_reasons_read_well() {
        assert_eq!(
            Kept::Newest(1).reason(),
            "the newest Ready snapshot of its PVC"
        );
        assert_eq!(
            Kept::Younger(Duration::from_secs(7 * 86_400)).reason(),
            "not older than 7d"
        );
    }
}
