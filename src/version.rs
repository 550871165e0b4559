//! The version string, with the commit it was built from so a bug report names the exact build.

/// `0.1.0 (commit abc123def456)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PXSNAP_GIT_COMMIT"),
    ")"
);
