//! One file per subcommand; each turns parsed arguments into a result and an exit code.
pub mod apply;
pub mod clone;
pub mod cloud_snap;
pub mod delete;
#[cfg(feature = "demo")]
pub mod demo;
/// A client-only build (`--no-default-features`) links no simulator, so its `demo` can only say
/// how to get one; the subcommand stays so that help, man pages and completions are one set.
#[cfg(not(feature = "demo"))]
pub mod demo {
    use crate::cli::{DemoArgs, GlobalArgs};
    use crate::error::Error;
    use crate::signals::Signals;

    pub async fn run(_: &GlobalArgs, _: &DemoArgs, _: &mut Signals) -> i32 {
        let err = Error::Usage(
            "this pxsnap was built without the demo (cargo feature \"demo\"): install it with default features to get the simulated cluster".into(),
        );
        crate::stderr::error_line(&err);
        err.exit_code()
    }
}
pub mod doctor;
pub mod group_snap;
pub mod list;
pub mod snap;
