//! pxsnap: application-consistent snapshots of Portworx volumes on Kubernetes.

pub mod sim;
