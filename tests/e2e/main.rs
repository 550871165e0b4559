//! pxsnap's end-to-end tests, in one test binary (one link, not one per file): the real
//! `pxsnap` binary against pxsnap-sim, and the real kubectl against both.

#[path = "../../sim/tests/sim/common/mod.rs"]
mod common;
mod run;

mod after_release;
mod api_bounds;
mod apply;
mod bad_input;
mod client;
mod clone;
mod clone_csi;
mod cloud_snap_e2e;
mod csi_groups;
mod csi_snap;
mod demo;
mod doctor;
mod floors;
mod generated_files;
mod group_snap;
mod hold;
mod in_cluster;
mod kubectl_plugin;
mod list_delete;
mod no_app_left_frozen;
mod rbac;
mod rules;
mod snap_e2e;
mod terminal;
