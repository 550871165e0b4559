//! One file per subcommand; each turns parsed arguments into a result and an exit code.
pub mod clone;
pub mod cloud_snap;
pub mod delete;
pub mod demo;
pub mod doctor;
pub mod group_snap;
pub mod list;
pub mod snap;
