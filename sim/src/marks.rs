//! Marks: lines a pod's own processes add to the timeline, so a test can order what happens
//! inside an application (a MySQL-like shim taking and dropping its lock) against the cut and
//! the exec streams on one clock.
//!
//! Every exec gets `SIM_MARKS`, the path of a FIFO the simulator reads, and `SIM_POD`
//! (`namespace/pod`). A process writes one line `$SIM_POD what` to it (lines are shorter than
//! `PIPE_BUF`, so writes from many processes never mix); each becomes a `mark` entry whose
//! `detail` is `what`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinHandle;

use super::Shared;
use super::timeline::{TimelineEvent, TimelineKind};

fn fifo(sh: &Shared) -> PathBuf {
    sh.root.join("marks")
}

/// The environment that lets a process in pod `ns/pod` add marks.
pub fn env(sh: &Shared, ns: &str, pod: &str) -> [(String, String); 2] {
    [
        ("SIM_MARKS".into(), fifo(sh).display().to_string()),
        ("SIM_POD".into(), format!("{ns}/{pod}")),
    ]
}

/// Creates the FIFO under the simulator's root.
pub fn create(root: &Path) -> std::io::Result<()> {
    let path = std::ffi::CString::new(root.join("marks").as_os_str().as_encoded_bytes())
        .map_err(std::io::Error::other)?;
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    match unsafe { libc::mkfifo(path.as_ptr(), 0o600) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// Reads marks until the simulator stops. The FIFO is opened for reading and writing, so it
/// never reports end-of-file when the last writer closes it.
pub fn spawn_reader(sh: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let receiver = tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(fifo(&sh));
        let receiver = match receiver {
            Ok(receiver) => receiver,
            Err(e) => {
                tracing::error!("cannot read the marks FIFO: {e}");
                return;
            }
        };
        let mut lines = BufReader::new(receiver).lines();
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(line)) => record(&sh, &line),
                    Ok(None) | Err(_) => return,
                },
                _ = sh.cancel.cancelled() => return,
            }
        }
    })
}

/// One line `namespace/pod what` as a `mark` entry.
fn record(sh: &Shared, line: &str) {
    let (who, what) = line.split_once(' ').unwrap_or((line, ""));
    let (ns, pod) = who.split_once('/').unwrap_or(("", who));
    let mut event = TimelineEvent::new(TimelineKind::Mark, ns);
    event.pod = Some(pod.to_string());
    event.detail = Some(what.trim().to_string());
    sh.timeline.record(event);
}
