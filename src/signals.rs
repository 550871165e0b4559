//! SIGINT and SIGTERM as values, so the snapshot path can race them against its work with
//! `select!` and still run the post commands before exiting.

use crate::error::Signal;

/// Listens for SIGINT and SIGTERM from the moment it is installed; the default "die now" action
/// is off from then on, which is what lets pxsnap release frozen pods first.
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}
