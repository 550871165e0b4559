//! Where a result's object stands: the `status` field of `SnapResult`, `GroupSnapResult` and
//! `CloneResult`, and their STATUS column. One enum, so a typo is a compile error and not a
//! status no script matches; the JSON strings are the variant names, as before it was an enum.

use crate::k8s::resources::SnapshotPhase;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    /// Nothing was created: a check failed first.
    #[default]
    NotCreated,
    /// A dry run: what would be created.
    Planned,
    /// A VolumeSnapshot not cut yet, or a PVC not bound yet.
    Pending,
    Ready,
    Error,
    /// A group STORK has not finished.
    InProgress,
    Successful,
    Failed,
    Bound,
    /// A PVC whose volume went away.
    Lost,
    TimedOut,
    Interrupted,
    /// Deleted by someone else while pxsnap waited for it.
    Deleted,
    /// A status the API server or STORK reported that pxsnap has no name for, shown as it came.
    #[serde(untagged)]
    Other(String),
}

impl Status {
    /// Reads a status as STORK or a PVC reports it (`Bound`, `Successful`, ...).
    pub fn parse(text: &str) -> Status {
        const NAMED: [Status; 13] = [
            Status::NotCreated,
            Status::Planned,
            Status::Pending,
            Status::Ready,
            Status::Error,
            Status::InProgress,
            Status::Successful,
            Status::Failed,
            Status::Bound,
            Status::Lost,
            Status::TimedOut,
            Status::Interrupted,
            Status::Deleted,
        ];
        NAMED
            .into_iter()
            .find(|status| status.label() == text)
            .unwrap_or_else(|| Status::Other(text.to_string()))
    }

    /// The word for the table, the same as in JSON.
    pub fn label(&self) -> &str {
        match self {
            Status::NotCreated => "NotCreated",
            Status::Planned => "Planned",
            Status::Pending => "Pending",
            Status::Ready => "Ready",
            Status::Error => "Error",
            Status::InProgress => "InProgress",
            Status::Successful => "Successful",
            Status::Failed => "Failed",
            Status::Bound => "Bound",
            Status::Lost => "Lost",
            Status::TimedOut => "TimedOut",
            Status::Interrupted => "Interrupted",
            Status::Deleted => "Deleted",
            Status::Other(text) => text,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl From<&SnapshotPhase> for Status {
    fn from(phase: &SnapshotPhase) -> Status {
        match phase {
            SnapshotPhase::Ready => Status::Ready,
            SnapshotPhase::Error(_) => Status::Error,
            SnapshotPhase::Pending(_) => Status::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON says what the table says, and what the strings said before the enum.
    #[test]
    fn json_is_the_label_and_parse_reads_it_back() {
        for text in ["NotCreated", "TimedOut", "Bound", "InProgress", "Claimed"] {
            let status = Status::parse(text);
            assert_eq!(status.label(), text);
            assert_eq!(status.to_string(), text);
            assert_eq!(
                serde_json::to_string(&status).expect("json"),
                format!("{text:?}")
            );
        }
        assert_eq!(Status::parse("Claimed"), Status::Other("Claimed".into()));
        assert_eq!(Status::parse("Lost"), Status::Lost);
    }
}
