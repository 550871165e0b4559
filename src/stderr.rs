//! Lines for stderr that cannot panic.
//!
//! `eprintln!` panics when stderr is a pipe whose reader is gone, as in `pxsnap snap … 2>&1 |
//! tee log` after the same Ctrl-C killed `tee`. A panic while pods are frozen unwinds into the
//! quiesce guard's `Drop`, and a second panic there (its own message) aborts the process before
//! a single post command runs. A message is worth less than the release, so one that cannot be
//! written is dropped.

use std::fmt;
use std::io::Write;

/// Writes one line to stderr; a failed write is ignored (see the module docs).
#[macro_export]
macro_rules! stderr_line {
    ($($arg:tt)*) => {
        $crate::stderr::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `text` to stderr as it is (a prompt has no newline); a failed write is ignored.
pub fn write(text: fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(text);
    let _ = stderr.flush();
}

/// The `error: <message>` line every command ends a failed run with.
pub fn error_line(error: &impl fmt::Display) {
    stderr_line!(
        "{} {error}",
        console::style("error:").for_stderr().red().bold()
    );
}
