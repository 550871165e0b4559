//! pxsnap: application-consistent snapshots of Portworx volumes on Kubernetes.
//!
//! The pipeline, one module per step: [`locate`] (PVC → pods → container), [`quiesce`] (pre
//! commands and the guard that always runs the post commands), [`backend`] (the snapshot
//! objects), [`report`] (output). [`pipeline`] ties them together for every subcommand.

pub mod backend;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod completions;
pub mod csi_classes;
pub mod doctor;
pub mod duration;
pub mod error;
pub mod exit_codes;
pub mod hooks;
pub mod kubectl_json;
pub mod locate;
pub mod manpages;
pub mod paged_list;
pub mod permissions;
pub mod pipeline;
pub mod progress;
pub mod quantity;
pub mod quiesce;
pub mod report;
pub mod resources;
pub mod retention;
pub mod signals;
/// The simulated cluster (`pxsnap-sim`); used by tests and `pxsnap demo`, never by the snapshot path.
pub mod sim;
pub mod snapshot_api;
pub mod stderr;
pub mod version;
