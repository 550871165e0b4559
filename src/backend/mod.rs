//! One module per snapshot API pxsnap drives.
pub mod stork;
