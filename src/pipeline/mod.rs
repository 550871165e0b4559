//! The middle floor: the flow every snapshotting subcommand shares. [`locate`] finds the pods and
//! containers for the PVCs, [`hooks`] runs one command in one container, [`hold`] keeps a
//! command's session (and its lock) open across the cut, [`quiesce`] holds the
//! freeze and guarantees the release, and [`run`] ties them around a snapshot step.

pub mod hold;
pub mod hooks;
pub mod locate;
pub mod quiesce;
pub mod rules;
pub mod run;
pub mod snapshot;
