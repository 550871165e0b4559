//! The timeline: what happened in the simulated cluster, with monotonic timestamps,
//! so tests can prove ordering (pre command ended before the cut, post started after).

use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Kinds of timeline entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TimelineKind {
    ExecStart,
    /// An exec request that reached a kubelet which never answered (fault injection): no
    /// command started.
    ExecUnanswered,
    ExecEnd,
    SnapshotCut,
    SnapshotReady,
    SnapshotError,
    GroupCut,
    /// A CSI VolumeGroupSnapshot became `readyToUse` (after its members did).
    GroupReady,
    PvcBound,
    /// A line a pod's own process wrote (see `marks`): `detail` says what happened.
    Mark,
    /// Every open client connection was dropped (the `dropConnections` fault): `detail` says
    /// how many.
    ConnectionsDropped,
}

/// One timeline entry. `exitCode` on `execEnd` is the process's code, or 137 when the
/// stream was killed (then `detail` says why); a command that could not be started has
/// no `exitCode` and a `detail` starting with `spawn failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// Nanoseconds since the simulator started (monotonic clock).
    pub at_ns: u64,
    pub kind: TimelineKind,
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// `<plural>/<name>`, e.g. `volumesnapshots/snap-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl TimelineEvent {
    /// An entry with only kind and namespace set; callers fill in the rest.
    pub fn new(kind: TimelineKind, namespace: &str) -> TimelineEvent {
        TimelineEvent {
            at_ns: 0,
            kind,
            namespace: namespace.to_string(),
            pod: None,
            container: None,
            command: None,
            exit_code: None,
            object: None,
            pvc: None,
            detail: None,
        }
    }
}

/// The append-only event list.
pub struct Timeline {
    start: Instant,
    events: Mutex<Vec<TimelineEvent>>,
}

impl Timeline {
    pub fn new(start: Instant) -> Timeline {
        Timeline {
            start,
            events: Mutex::new(Vec::new()),
        }
    }

    /// Stamp and append an entry.
    pub fn record(&self, mut ev: TimelineEvent) {
        let mut g = self.events.lock().unwrap_or_else(|e| e.into_inner());
        // Stamped under the lock, so the list is in timestamp order.
        ev.at_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        g.push(ev);
    }

    pub fn snapshot(&self) -> Vec<TimelineEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
