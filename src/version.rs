//! The version string, with the commit it was built from so a bug report names the exact build.

/// `0.1.0 (commit abc123def456)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PXSNAP_GIT_COMMIT"),
    ")"
);

/// What pxsnap sends as its User-Agent: `pxsnap/0.1.0 (commit abc123def456)`. The API server
/// names the field manager of every object pxsnap writes after the part before the first `/`
/// (`pxsnap`, shown in `metadata.managedFields`), and audit logs show the whole build.
pub const USER_AGENT: &str = concat!(
    "pxsnap/",
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PXSNAP_GIT_COMMIT"),
    ")"
);
