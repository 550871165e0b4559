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

/// The API calls a run makes once the application is released: reading why a group failed,
/// deleting what the run gave up on. SIGINT/SIGTERM are still taken over then, so unless these
/// calls listen for them, nothing but SIGKILL ends a run stuck on a slow API server. Nothing is
/// frozen any more, so nothing is worth waiting for: a signal abandons the call in flight and
/// every later one. (The calls themselves are bounded by `--timeout`, see `Cluster::call`.)
pub struct AfterRelease<'a> {
    signals: &'a mut Signals,
    signal: Option<Signal>,
}

impl<'a> AfterRelease<'a> {
    pub fn new(signals: &'a mut Signals) -> AfterRelease<'a> {
        AfterRelease {
            signals,
            signal: None,
        }
    }

    /// `call`'s result, or the signal that ended the run before or during it.
    pub async fn call<T>(&mut self, call: impl Future<Output = T>) -> Result<T, Signal> {
        if let Some(signal) = self.signal {
            return Err(signal);
        }
        tokio::select! {
            // An answer that came with the signal is still an answer.
            biased;
            done = call => Ok(done),
            signal = self.signals.recv() => {
                self.signal = Some(signal);
                Err(signal)
            }
        }
    }

    /// The signal that ended the run after the release, if one did.
    pub fn signal(&self) -> Option<Signal> {
        self.signal
    }
}
