//! SIGINT and SIGTERM as values, so the freeze window can race them against its work with
//! `select!` and still run the post commands before exiting.
//!
//! Handlers are armed only when a freeze begins: before that, Ctrl-C keeps its default meaning
//! (stop now), which is right while nothing is frozen and nothing has been created.

use crate::error::Signal;

#[derive(Default)]
pub struct Signals {
    armed: Option<Armed>,
}

struct Armed {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn new() -> Signals {
        Signals::default()
    }

    /// Takes over SIGINT and SIGTERM from here on. Idempotent.
    pub fn arm(&mut self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        if self.armed.is_none() {
            self.armed = Some(Armed {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            });
        }
        Ok(())
    }

    /// Waits for the next signal; never resolves while not armed.
    pub async fn recv(&mut self) -> Signal {
        match &mut self.armed {
            Some(armed) => tokio::select! {
                _ = armed.interrupt.recv() => Signal::Interrupt,
                _ = armed.terminate.recv() => Signal::Terminate,
            },
            None => std::future::pending().await,
        }
    }
}
