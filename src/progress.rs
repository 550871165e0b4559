//! A spinner on stderr while pxsnap waits, only when stderr is a terminal (never in CI logs or
//! pipes, where it would be noise) and not disabled with `--no-progress`/`-q`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The spinner being drawn, if any. What is written from deep inside the client, far from any
/// `Progress` (the API server's warnings, a credential plugin's prompt), goes around it through
/// [`suspended`] instead of tearing it.
static DRAWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` with the spinner, if one is drawn, wiped from the terminal; it is drawn again after.
pub fn suspended<T>(write: impl FnOnce() -> T) -> T {
    let drawn = DRAWN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match drawn {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if let Some(bar) = &bar {
            *DRAWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        }
        Progress { bar }
    }

    /// A progress that never draws, for code paths that report through other means.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    pub fn step(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// Whether a bar is being drawn (so callers know plain status lines would be redundant).
    pub fn is_drawn(&self) -> bool {
        self.bar.is_some()
    }

    /// Prints a line above the spinner without tearing it (or plainly to stderr without one).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => crate::stderr_line!("{line}"),
        }
    }

    /// Prints a warning line on stderr (above the spinner, if one is drawn).
    pub fn warn(&self, message: &str) {
        self.println(&format!(
            "{} {message}",
            console::style("warning:").for_stderr().yellow().bold()
        ));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            *DRAWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// Says `warning` on stderr now and keeps it for the result's `warnings`: what a user must act
/// on is in both, whichever of them they read.
pub fn warn_and_record(warnings: &mut Vec<String>, warning: String) {
    Progress::hidden().warn(&warning);
    warnings.push(warning);
}
