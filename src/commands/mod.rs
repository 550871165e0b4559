//! One file per subcommand; each turns parsed arguments into a result and an exit code.
pub mod cloud_snap;
pub mod demo;
pub mod snap;
