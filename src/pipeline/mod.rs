//! The middle floor: the flow every snapshotting subcommand shares. [`locate`] finds the pods and
//! containers for the PVCs, [`hooks`] runs one command in one container, [`quiesce`] holds the
//! freeze and guarantees the release, and [`run`] ties them around a snapshot step.

pub mod hooks;
pub mod locate;
pub mod quiesce;
pub mod run;
pub mod snapshot;
