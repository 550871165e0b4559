//! The bottom floor: talking to Kubernetes. The connection and its bounded, retried calls, paged lists,
//! label selectors, and the types of the objects pxsnap reads and writes. Nothing here knows
//! about snapshots' meaning, pods' commands or the command line.

pub mod api_warnings;
pub mod cluster;
pub mod credential;
pub mod csi_resources;
pub mod error_status;
pub mod names;
pub mod paged_list;
pub mod permissions;
pub mod quantity;
pub mod query_string;
pub mod resources;
pub mod selector;
pub mod served;
