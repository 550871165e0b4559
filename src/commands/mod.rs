//! One file per subcommand; each turns parsed arguments into a result and an exit code.
pub mod clone;
pub mod cloud_snap;
pub mod group_snap;
pub mod snap;
