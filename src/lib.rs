//! pxsnap: application-consistent snapshots of Portworx volumes on Kubernetes.
//!
//! The crate is built in floors, and a module only imports from its own floor or below
//! (`tests/e2e/floors.rs` fails otherwise); ARCHITECTURE.md maps them:
//! - foundation: [`error`], [`duration`], [`signals`], [`stderr`], [`progress`], [`version`];
//! - [`k8s`]: talking to Kubernetes (connection, retries, bounded calls, paged lists, types);
//! - [`backend`]: one module per snapshot API; [`pipeline`]: locate → quiesce → snapshot →
//!   release, the flow every snapshotting subcommand shares;
//! - [`output`], [`cli`] and [`doctor`]: rendering results, the command line, and the checks
//!   `pxsnap doctor` makes before anything is frozen;
//! - [`commands`]: one file per subcommand.

pub mod backend;
pub mod cli;
pub mod commands;
pub mod doctor;
pub mod duration;
pub mod error;
pub mod k8s;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod signals;
pub mod stderr;
pub mod version;
