//! Server side of `pods/{name}/exec` over WebSocket, as a kubelet behind the API server speaks it.
//!
//! The wire format is the `channel.k8s.io` family: every binary frame starts with one channel
//! byte (0 stdin, 1 stdout, 2 stderr, 3 error/Status JSON, 4 resize); `v5.channel.k8s.io` adds
//! channel 255, a half-close signal (`[255, 0]` closes stdin). Right after the upgrade the server
//! sends one empty frame on the lowest writable channel (what `createWebSocketStreams` in the
//! kubelet does), stdout and stderr are streamed as the process produces them, then the final
//! `Status` goes on the error channel and the socket is closed — clients (client-go's
//! `io.ReadAll` on the error stream) only finish once the connection closes.
//!
//! The command runs as a local process in its own process group, so that everything it starts
//! can be killed together: when the client goes away, when fault injection cuts the stream,
//! when the future is dropped, and when the main process exits leaving children behind.
//! Real runtimes (containerd, CRI-O) do not stop a command whose stream closed: with
//! [`ExecTarget::outlives_stream`] the process goes on until it exits by itself (or the
//! simulator stops), its output read and dropped.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;

/// Parsed from the exec request's query string (repeated `command=` params, `container=`,
/// `stdin=`, `stdout=`, `stderr=`, `tty=`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecQuery {
    pub command: Vec<String>,
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl ExecQuery {
    /// Err(message) when the query is unusable, with the message a real API server / kubelet
    /// gives. Booleans follow the API server's query conversion: present and not `0`/`false`
    /// (any case) means true. As the kubelet does, `tty` together with `stderr` silently drops
    /// stderr (a terminal has a single output stream).
    pub fn parse(raw_query: &str) -> Result<ExecQuery, String> {
        let mut query = ExecQuery::default();
        let mut seen_scalar = std::collections::HashSet::new();
        for (key, value) in parse_pairs(raw_query)? {
            if key == "command" {
                query.command.push(value);
                continue;
            }
            // Like Go's `url.Values.Get`, the first occurrence of a scalar wins.
            if !seen_scalar.insert(key.clone()) {
                continue;
            }
            match key.as_str() {
                "container" => query.container = Some(value).filter(|c| !c.is_empty()),
                "stdin" => query.stdin = query_bool(&value),
                "stdout" => query.stdout = query_bool(&value),
                "stderr" => query.stderr = query_bool(&value),
                "tty" => query.tty = query_bool(&value),
                _ => {}
            }
        }
        query.validate()?;
        Ok(query)
    }

    /// Applies the API server's and the kubelet's checks, in the order a request meets them.
    fn validate(&mut self) -> Result<(), String> {
        if self.command.is_empty() {
            return Err("you must specify at least 1 command".to_string());
        }
        if self.tty && self.stderr {
            self.stderr = false;
        }
        if !self.stdin && !self.stdout && !self.stderr {
            return Err("you must specify at least 1 of stdin, stdout, stderr".to_string());
        }
        Ok(())
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs, keeping repeats and their order.
fn parse_pairs(raw_query: &str) -> Result<Vec<(String, String)>, String> {
    let uri: axum::http::Uri = format!("/?{raw_query}")
        .parse()
        .map_err(|e| format!("invalid exec query {raw_query:?}: {e}"))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| format!("invalid exec query {raw_query:?}: {e}"))
}

/// The API server's string-to-bool conversion for query parameters.
fn query_bool(value: &str) -> bool {
    !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
}

/// The subprotocols we accept, in preference order, for `WebSocketUpgrade::protocols(..)`.
pub const EXEC_SUBPROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// What the simulator resolved about the target pod before upgrading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecTarget {
    /// Run as a local process: command[0] with args (so `sh -c CMD` runs sh).
    pub command: Vec<String>,
    /// The pod's working directory.
    pub cwd: PathBuf,
    /// The pod's environment (added to a minimal base env: PATH, HOME=cwd).
    pub env: Vec<(String, String)>,
    /// The pod's shim bin dir, first in PATH.
    pub path_prepend: Option<PathBuf>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// The process goes on when its stream closes or is cut, as on real container runtimes.
    pub outlives_stream: bool,
}

/// What happened to one exec, in order: `Started` then `Exited` or `Killed`; or `SpawnFailed`
/// alone.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    Started,
    /// `after_stream`: the stream had ended first (client gone or cut) and the process went on.
    Exited {
        exit_code: i32,
        after_stream: Option<KillReason>,
    },
    SpawnFailed {
        message: String,
    },
    Killed {
        reason: KillReason,
    },
}

/// Why the simulator killed an exec'd process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KillReason {
    /// The client closed the stream or the connection dropped while the command ran.
    ClientClosed,
    /// Fault injection (`cut_after`) cut the stream.
    Cut,
}

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
/// v5 only: `[255, channel]` half-closes that channel.
const STREAM_CLOSE: u8 = 255;

/// The PATH a container runtime gives when the image sets none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Output is forwarded in chunks of at most this size (the kubelet copies with 32 KiB buffers).
const CHUNK: usize = 32 * 1024;
/// After the command exited, how long to wait for its pipes to reach EOF. Everything in the
/// process group is dead by then, so this only bounds processes that escaped the group.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to wait for the client's answer to our Close frame before dropping the connection.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Fallback poll for the command's exit, in case a SIGCHLD is missed.
const EXIT_POLL: Duration = Duration::from_millis(100);

/// Which framing the client negotiated. Without a negotiated subprotocol we speak v4, which is
/// the same framing minus the close signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    V4,
    V5,
}

impl Protocol {
    fn of(socket: &WebSocket) -> Protocol {
        match socket.protocol().map(|p| p.as_bytes()) {
            Some(b"v5.channel.k8s.io") => Protocol::V5,
            _ => Protocol::V4,
        }
    }
}

type WsSink = SplitSink<WebSocket, Message>;
type WsStream = SplitStream<WebSocket>;

/// Runs the command, pumps the channels, sends the final Status on the error channel, closes the
/// socket. `cut_after`: fault injection — after this long, kill the process and drop the
/// connection abruptly (no Status). `on_event` is called for each event in order.
pub async fn serve_exec(
    socket: WebSocket,
    target: ExecTarget,
    cut_after: Option<Duration>,
    mut on_event: impl FnMut(ExecEvent) + Send + 'static,
) {
    let protocol = Protocol::of(&socket);
    let (mut sink, stream) = socket.split();
    if sink.send(initial_frame(&target)).await.is_err() {
        // The client left before anything ran; there is nothing to report.
        return;
    }
    let (process, pipes) = match Process::spawn(&target) {
        Ok(spawned) => spawned,
        Err(failure) => {
            on_event(ExecEvent::SpawnFailed {
                message: failure.cause.clone(),
            });
            finish(sink, stream, failure.status_json()).await;
            return;
        }
    };
    on_event(ExecEvent::Started);
    let mut session = Session {
        protocol,
        sink,
        stream,
        process,
        pipes,
        stderr_channel: if target.tty { STDOUT } else { STDERR },
        outlives_stream: target.outlives_stream,
    };
    match session.run(cut_after).await {
        Outcome::Exited(status) => {
            let exit_code = exit_code(status);
            on_event(ExecEvent::Exited {
                exit_code,
                after_stream: None,
            });
            let Session { sink, stream, .. } = session;
            let status = if exit_code == 0 {
                success_status()
            } else {
                non_zero_exit_status(&target.command, exit_code)
            };
            finish(sink, stream, status).await;
        }
        Outcome::Killed(reason) => on_event(ExecEvent::Killed { reason }),
        Outcome::Outlived(reason) => {
            let status = session.outlive().await;
            on_event(ExecEvent::Exited {
                exit_code: exit_code(status),
                after_stream: Some(reason),
            });
        }
    }
}

/// The kubelet's "connection established" signal: an empty frame on the lowest writable channel.
fn initial_frame(target: &ExecTarget) -> Message {
    let channel = if target.stdout {
        STDOUT
    } else if target.stderr {
        STDERR
    } else {
        ERROR
    };
    frame(channel, &[])
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::Binary(bytes.into())
}

/// Sends the final Status, closes normally and waits briefly for the client's Close, so the
/// client sees a clean end of stream. Errors only mean the client is already gone.
async fn finish(mut sink: WsSink, mut stream: WsStream, status_json: String) {
    if sink
        .send(frame(ERROR, status_json.as_bytes()))
        .await
        .is_err()
    {
        return;
    }
    let close = CloseFrame {
        code: close_code::NORMAL,
        reason: "".into(),
    };
    if sink.send(Message::Close(Some(close))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// How a running exec ended.
enum Outcome {
    Exited(ExitStatus),
    Killed(KillReason),
    /// The stream ended while the command ran, and the command goes on.
    Outlived(KillReason),
}

/// One exec in flight: the socket halves and the process.
struct Session {
    protocol: Protocol,
    sink: WsSink,
    stream: WsStream,
    process: Process,
    pipes: Pipes,
    /// With a TTY there is one output stream, so stderr goes to stdout as a terminal would.
    stderr_channel: u8,
    outlives_stream: bool,
}

/// Why the pump loop stopped early.
enum Stop {
    ClientGone,
    Cut,
}

impl Session {
    /// Pumps until the command exited and its output was forwarded, or until the client left or
    /// the cut fired (then the process group is killed and reaped).
    async fn run(&mut self, cut_after: Option<Duration>) -> Outcome {
        match self.pump(cut_after).await {
            Ok(status) => Outcome::Exited(status),
            Err(stop) => {
                let reason = match stop {
                    Stop::ClientGone => KillReason::ClientClosed,
                    Stop::Cut => KillReason::Cut,
                };
                if self.outlives_stream {
                    return Outcome::Outlived(reason);
                }
                self.process.kill_and_reap().await;
                Outcome::Killed(reason)
            }
        }
    }

    /// After the stream ended: no stdin any more, output read and dropped (a full pipe would
    /// block the command), until the command exits.
    async fn outlive(&mut self) -> ExitStatus {
        self.process.close_stdin();
        let mut out_buf = vec![0u8; CHUNK];
        let mut err_buf = vec![0u8; CHUNK];
        loop {
            tokio::select! {
                n = read_some(&mut self.pipes.stdout, &mut out_buf) => if filled(&out_buf, n).is_none() {
                    self.pipes.close(Pipe::Stdout);
                },
                n = read_some(&mut self.pipes.stderr, &mut err_buf) => if filled(&err_buf, n).is_none() {
                    self.pipes.close(Pipe::Stderr);
                },
                status = self.process.wait_exit() => return status,
            }
        }
    }

    async fn pump(&mut self, cut_after: Option<Duration>) -> Result<ExitStatus, Stop> {
        let cut = sleep_or_never(cut_after);
        tokio::pin!(cut);
        let drain = sleep_or_never(None);
        tokio::pin!(drain);
        let mut out_buf = vec![0u8; CHUNK];
        let mut err_buf = vec![0u8; CHUNK];
        let mut exited: Option<ExitStatus> = None;
        loop {
            if let Some(status) = exited
                && self.pipes.all_closed()
            {
                return Ok(status);
            }
            tokio::select! {
                n = read_some(&mut self.pipes.stdout, &mut out_buf) => {
                    if let Err(stop) = self.forward(Pipe::Stdout, filled(&out_buf, n)).await {
                        // A client lost after the exit does not change how the command ended.
                        return exited.ok_or(stop);
                    }
                }
                n = read_some(&mut self.pipes.stderr, &mut err_buf) => {
                    if let Err(stop) = self.forward(Pipe::Stderr, filled(&err_buf, n)).await {
                        return exited.ok_or(stop);
                    }
                }
                msg = self.stream.next(), if exited.is_none() => self.on_client_message(msg)?,
                status = self.process.wait_exit(), if exited.is_none() => {
                    exited = Some(status);
                    drain.as_mut().reset(tokio::time::Instant::now() + DRAIN_TIMEOUT);
                }
                _ = &mut cut, if exited.is_none() => return Err(Stop::Cut),
                _ = &mut drain => {
                    // Pipes held open by something outside the group: stop waiting for EOF.
                    self.pipes = Pipes::default();
                }
            }
        }
    }

    /// Forwards what one read produced; nothing (EOF or a read error) closes that pipe.
    async fn forward(&mut self, pipe: Pipe, data: Option<&[u8]>) -> Result<(), Stop> {
        match data {
            Some(data) => {
                let channel = match pipe {
                    Pipe::Stdout => STDOUT,
                    Pipe::Stderr => self.stderr_channel,
                };
                self.sink
                    .send(frame(channel, data))
                    .await
                    .map_err(|_| Stop::ClientGone)
            }
            None => {
                self.pipes.close(pipe);
                Ok(())
            }
        }
    }

    /// Handles one message from the client: stdin data, the v5 stdin close signal, resize
    /// (ignored: there is no real terminal), or the end of the connection.
    fn on_client_message(&mut self, msg: Option<Result<Message, axum::Error>>) -> Result<(), Stop> {
        let data = match msg {
            Some(Ok(Message::Binary(data))) => data.to_vec(),
            Some(Ok(Message::Text(text))) => text.as_str().as_bytes().to_vec(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(Stop::ClientGone),
        };
        match data.split_first() {
            Some((&STREAM_CLOSE, rest)) if self.protocol == Protocol::V5 => match rest {
                [STDIN] => self.process.close_stdin(),
                [_] => {}
                // The real server treats a malformed close signal as a broken connection.
                _ => return Err(Stop::ClientGone),
            },
            Some((&STDIN, payload)) => self.process.write_stdin(payload),
            _ => {}
        }
        Ok(())
    }
}

/// Reads from a pipe if it is still open; a closed pipe never completes.
async fn read_some<R: AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut [u8],
) -> io::Result<usize> {
    match pipe {
        Some(pipe) => pipe.read(buf).await,
        None => std::future::pending().await,
    }
}

/// The bytes one read produced, or `None` for EOF or a read error (both end that pipe).
fn filled(buf: &[u8], n: io::Result<usize>) -> Option<&[u8]> {
    match n {
        Ok(n) if n > 0 => buf.get(..n),
        _ => None,
    }
}

fn sleep_or_never(after: Option<Duration>) -> tokio::time::Sleep {
    // A far deadline stands in for "never" so the future has one concrete type.
    let after = after.unwrap_or(Duration::from_secs(60 * 60 * 24 * 365));
    tokio::time::sleep(after)
}

/// Exit code as the container runtime reports it: 128 + signal for a killed process.
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// The running command: the child (leader of its own process group) and its stdin queue.
struct Process {
    // Declared (so dropped) before `child`: the group is killed while the leader is unreaped.
    group: ProcessGroup,
    child: Child,
    stdin: Option<mpsc::UnboundedSender<Vec<u8>>>,
    sigchld: Option<tokio::signal::unix::Signal>,
}

/// Which output pipe a read came from.
#[derive(Debug, Clone, Copy)]
enum Pipe {
    Stdout,
    Stderr,
}

/// The command's output pipes; `None` once at EOF.
#[derive(Default)]
struct Pipes {
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
}

impl Pipes {
    fn close(&mut self, pipe: Pipe) {
        match pipe {
            Pipe::Stdout => self.stdout = None,
            Pipe::Stderr => self.stderr = None,
        }
    }

    fn all_closed(&self) -> bool {
        self.stdout.is_none() && self.stderr.is_none()
    }
}

/// A spawn that failed, described as the container runtime and kubelet would.
struct SpawnFailure {
    /// The error the kubelet wraps (`error executing command in container: ...`).
    cause: String,
}

impl SpawnFailure {
    fn status_json(&self) -> String {
        internal_error_status(&self.cause)
    }
}

/// `apierrors.NewInternalError(cause)` as it goes on the error channel.
fn internal_error_status(cause: &str) -> String {
    status_json(&StatusBody {
        metadata: EmptyObject {},
        status: "Failure",
        message: Some(format!("Internal error occurred: {cause}")),
        reason: Some("InternalError"),
        details: Some(StatusDetails {
            causes: vec![StatusCause {
                reason: None,
                message: cause.to_string(),
            }],
        }),
        code: Some(500),
    })
}

/// Where a node's kubelet is reached for exec.
pub struct Kubelet<'a> {
    /// The node's address (the pod's `status.hostIP`).
    pub host: &'a str,
    /// `https://HOST:10250/exec/NS/POD/CONTAINER?command=…`, as `ExecLocation` builds it.
    pub url: &'a str,
}

/// The Status a 1.30+ API server sends on the error channel, right after answering the
/// WebSocket upgrade, when it cannot open its own stream to the kubelet: the SPDY client's
/// error as an InternalError (`StreamTranslatorHandler` in k8s.io/apiserver/pkg/util/proxy).
/// With `code` 500 the kubelet cannot be dialled (client-go's `spdy.Negotiate`: `error sending
/// request: …`); any other code is the kubelet refusing the upgrade with a plain-text answer
/// (`SpdyRoundTripper.NewConnection`: `unable to upgrade connection: …`).
pub fn no_kubelet_stream_status(kubelet: &Kubelet, code: u16) -> String {
    let cause = match code {
        500 => format!(
            "error sending request: Post \"{}\": dial tcp {}:10250: connect: connection refused",
            kubelet.url, kubelet.host
        ),
        // What the kubelet answers for a pod it does not run (e.g. one moved to another node).
        404 => "unable to upgrade connection: pod does not exist".to_string(),
        other => format!(
            "unable to upgrade connection: {}",
            axum::http::StatusCode::from_u16(other)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("unknown error")
        ),
    };
    internal_error_status(&cause)
}

/// Answers an exec that was upgraded but will run nothing: the connection-established frame,
/// then `status_json` on the error channel, then a normal close.
pub async fn refuse_after_upgrade(socket: WebSocket, target: &ExecTarget, status_json: String) {
    let (mut sink, stream) = socket.split();
    if sink.send(initial_frame(target)).await.is_ok() {
        finish(sink, stream, status_json).await;
    }
}

impl Process {
    fn spawn(target: &ExecTarget) -> Result<(Process, Pipes), SpawnFailure> {
        // Listen for SIGCHLD before the child exists so its exit cannot be missed.
        let sigchld = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child()).ok();
        let mut command = build_command(target)?;
        let mut child = command
            .spawn()
            .map_err(|e| runtime_failure(&exec_error(&target.command, &e)))?;
        let group = ProcessGroup::new(child.id());
        let stdin = child.stdin.take().map(spawn_stdin_writer);
        let pipes = Pipes {
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
        };
        let process = Process {
            child,
            group,
            stdin,
            sigchld,
        };
        Ok((process, pipes))
    }

    fn write_stdin(&mut self, data: &[u8]) {
        if let Some(stdin) = &self.stdin
            && !data.is_empty()
            && stdin.send(data.to_vec()).is_err()
        {
            self.stdin = None;
        }
    }

    /// The writer task closes the pipe once everything queued before this was written.
    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until the leader exited, kills what is left of its group while the leader is still
    /// an unreaped zombie (so the group id cannot have been reused), then reaps it.
    async fn wait_exit(&mut self) -> ExitStatus {
        loop {
            if self.group.leader_exited() {
                break;
            }
            match &mut self.sigchld {
                Some(sig) => {
                    let _ = tokio::time::timeout(EXIT_POLL, sig.recv()).await;
                }
                None => tokio::time::sleep(EXIT_POLL).await,
            }
        }
        self.kill_and_reap_status().await
    }

    async fn kill_and_reap(&mut self) {
        let _ = self.kill_and_reap_status().await;
    }

    async fn kill_and_reap_status(&mut self) -> ExitStatus {
        self.group.kill();
        self.stdin = None;
        let status = self.child.wait().await;
        self.group.disarm();
        match status {
            Ok(status) => status,
            Err(e) => {
                tracing::warn!("reaping exec'd process failed: {e}");
                use std::os::unix::process::ExitStatusExt;
                ExitStatus::from_raw(libc::SIGKILL)
            }
        }
    }
}

/// Builds the local process: clean env, pod cwd, own process group, pipes for the requested
/// streams (anything not requested is /dev/null, as in a container).
fn build_command(target: &ExecTarget) -> Result<Command, SpawnFailure> {
    // runc's wording for a program it cannot find, empty or not, comes from `exec_error`.
    let not_found = || {
        runtime_failure(&exec_error(
            &target.command,
            &io::ErrorKind::NotFound.into(),
        ))
    };
    let Some((program, args)) = target.command.split_first() else {
        return Err(not_found());
    };
    if !target.cwd.is_dir() {
        return Err(runtime_failure(&format!(
            "chdir to cwd ({:?}) set in config.json failed: no such file or directory",
            target.cwd.display().to_string()
        )));
    }
    let env = child_env(target);
    let search = env.get("PATH").map(String::as_str).unwrap_or_default();
    let Some(executable) = look_path(program, search, &target.cwd) else {
        return Err(not_found());
    };
    let mut command = Command::new(executable);
    command
        .arg0(program)
        .args(args)
        .current_dir(&target.cwd)
        .env_clear()
        .envs(env)
        .process_group(0)
        .kill_on_drop(true)
        .stdin(piped_if(target.stdin))
        .stdout(piped_if(target.stdout))
        .stderr(piped_if(target.stderr || (target.tty && target.stdout)));
    Ok(command)
}

/// Finds the executable as runc does before it execs (Go's `exec.LookPath` over the
/// container's PATH): a name with a slash is used as given, a bare name is the first regular
/// file with an execute bit in PATH's directories (an empty entry and relative ones count from
/// the pod's working directory). `None` when no directory has it.
///
/// Resolving here, rather than leaving it to `execvp` in the child, also decides how the child
/// is started: std uses `posix_spawn` (a vfork) only when the program needs no lookup in a PATH
/// of the child's own, and otherwise falls back to `fork`, which copies the simulator's page
/// tables for every exec. With hundreds of execs at once that copying was most of the
/// simulator's CPU and stretched every pod's freeze window.
fn look_path(program: &str, path: &str, cwd: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    path.split(':')
        .map(|dir| {
            cwd.join(if dir.is_empty() { "." } else { dir })
                .join(program)
        })
        .find(|candidate| is_executable(candidate))
}

/// A regular file (after symlinks) that someone may execute, as Go's `findExecutable` checks.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn piped_if(wanted: bool) -> Stdio {
    if wanted {
        Stdio::piped()
    } else {
        Stdio::null()
    }
}

/// A minimal container-like environment: PATH (shim dir first) and HOME=cwd, then the pod's env.
/// A PATH in the pod env replaces the default PATH but the shim dir stays first.
fn child_env(target: &ExecTarget) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("HOME".to_string(), target.cwd.display().to_string());
    let mut path = DEFAULT_PATH.to_string();
    for (key, value) in &target.env {
        if key == "PATH" {
            path = value.clone();
        } else {
            env.insert(key.clone(), value.clone());
        }
    }
    if let Some(shims) = &target.path_prepend {
        path = format!("{}:{path}", shims.display());
    }
    env.insert("PATH".to_string(), path);
    env
}

/// Feeds stdin from a queue so a command that does not read its stdin never blocks the pump.
/// Dropping the sender closes the pipe after the queued data.
fn spawn_stdin_writer(mut stdin: ChildStdin) -> mpsc::UnboundedSender<Vec<u8>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(chunk) = rx.recv().await {
            if stdin.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    tx
}

/// runc's wording for an exec that could not start, given the `exec: ...` part.
fn exec_error(command: &[String], err: &io::Error) -> String {
    let program = command.first().map(String::as_str).unwrap_or_default();
    match err.kind() {
        io::ErrorKind::NotFound if !program.contains('/') => {
            format!("exec: {program:?}: executable file not found in $PATH")
        }
        io::ErrorKind::NotFound => {
            format!("exec: {program:?}: stat {program}: no such file or directory")
        }
        io::ErrorKind::PermissionDenied => format!("exec: {program:?}: permission denied"),
        _ => format!("exec: {program:?}: {err}"),
    }
}

/// Wraps a runc error the way containerd and the kubelet do on their way to the API server.
fn runtime_failure(runc_error: &str) -> SpawnFailure {
    SpawnFailure {
        cause: format!(
            "error executing command in container: failed to exec in container: failed to start exec {:?}: \
             OCI runtime exec failed: exec failed: unable to start container process: {runc_error}: unknown",
            random_exec_id()
        ),
    }
}

/// containerd exec ids are 64 hex digits.
fn random_exec_id() -> String {
    (0..4)
        .map(|i| {
            let mut hasher = std::hash::RandomState::new().build_hasher();
            hasher.write_u32(i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// Kills a whole process group. Armed while the group leader is unreaped, because only then is
/// the group id guaranteed to still be ours; dropping it armed kills the group, so a cancelled
/// exec (e.g. simulator shutdown) leaves nothing behind.
struct ProcessGroup {
    pgid: Option<libc::pid_t>,
}

impl ProcessGroup {
    fn new(pid: Option<u32>) -> ProcessGroup {
        ProcessGroup {
            pgid: pid.and_then(|p| libc::pid_t::try_from(p).ok()),
        }
    }

    fn kill(&self) {
        if let Some(pgid) = self.pgid {
            // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the group.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }

    fn disarm(&mut self) {
        self.pgid = None;
    }

    /// True once the leader has exited; it is left unreaped (WNOWAIT) for `Child::wait`.
    fn leader_exited(&self) -> bool {
        let Some(pid) = self.pgid else {
            return true;
        };
        let Ok(id) = libc::id_t::try_from(pid) else {
            return true;
        };
        // SAFETY: siginfo_t is plain data for which all-zero is valid; waitid only writes to it.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let rc = libc::waitid(
                libc::P_PID,
                id,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            // rc < 0 (e.g. ECHILD) means there is nothing left to wait for.
            rc < 0 || info.si_pid() != 0
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `metav1.Status` with the fields in Go's order, so the JSON matches a real server's bytes.
#[derive(Serialize)]
struct StatusBody {
    metadata: EmptyObject,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<StatusDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

#[derive(Serialize)]
struct EmptyObject {}

#[derive(Serialize)]
struct StatusDetails {
    causes: Vec<StatusCause>,
}

#[derive(Serialize)]
struct StatusCause {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    message: String,
}

fn status_json(status: &StatusBody) -> String {
    // Serializing plain strings and numbers cannot fail; keep a valid Status if it ever does.
    serde_json::to_string(status)
        .unwrap_or_else(|_| r#"{"metadata":{},"status":"Failure"}"#.to_string())
}

fn success_status() -> String {
    status_json(&StatusBody {
        metadata: EmptyObject {},
        status: "Success",
        message: None,
        reason: None,
        details: None,
        code: None,
    })
}

/// What the kubelet writes for a command that ran and exited non-zero (containerd's error text
/// inside, `%v` of the command is Go's `[a b c]`).
fn non_zero_exit_status(command: &[String], exit_code: i32) -> String {
    status_json(&StatusBody {
        metadata: EmptyObject {},
        status: "Failure",
        message: Some(format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {exit_code}",
            command.join(" ")
        )),
        reason: Some("NonZeroExitCode"),
        details: Some(StatusDetails {
            causes: vec![StatusCause {
                reason: Some("ExitCode"),
                message: exit_code.to_string(),
            }],
        }),
        code: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubectl_query() {
        let q = ExecQuery::parse(
            "command=sh&command=-c&command=echo+out%3B+exit+3&container=cassandra&stdout=true&stderr=true",
        )
        .unwrap();
        assert_eq!(q.command, vec!["sh", "-c", "echo out; exit 3"]);
        assert_eq!(q.container.as_deref(), Some("cassandra"));
        assert!(q.stdout && q.stderr && !q.stdin && !q.tty);
    }

    #[test]
    fn parses_kubelet_style_booleans() {
        let q = ExecQuery::parse("command=ls&stdin=1&stdout=0&stderr=FALSE&tty=0").unwrap();
        assert!(q.stdin && !q.stdout && !q.stderr && !q.tty);
        assert_eq!(q.container, None);
    }

    #[test]
    fn rejects_missing_command() {
        assert_eq!(
            ExecQuery::parse("stdout=true").unwrap_err(),
            "you must specify at least 1 command"
        );
    }

    #[test]
    fn rejects_no_streams() {
        assert_eq!(
            ExecQuery::parse("command=ls&stdout=false").unwrap_err(),
            "you must specify at least 1 of stdin, stdout, stderr"
        );
    }

    #[test]
    fn tty_drops_stderr() {
        let q = ExecQuery::parse("command=sh&tty=true&stderr=true&stdin=true").unwrap();
        assert!(q.tty && q.stdin && !q.stderr);
        assert_eq!(
            ExecQuery::parse("command=sh&tty=true&stderr=true").unwrap_err(),
            "you must specify at least 1 of stdin, stdout, stderr"
        );
    }

    #[test]
    fn first_scalar_wins_and_empty_container_is_default() {
        let q = ExecQuery::parse("command=ls&stdout=true&stdout=false&container=").unwrap();
        assert!(q.stdout);
        assert_eq!(q.container, None);
    }

    #[test]
    fn status_json_matches_the_kubelet() {
        assert_eq!(success_status(), r#"{"metadata":{},"status":"Success"}"#);
        let cmd = ["sh", "-c", "exit 3"].map(String::from);
        assert_eq!(
            non_zero_exit_status(&cmd, 3),
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
        );
    }

    #[test]
    fn env_has_shims_first_and_pod_values() {
        let target = ExecTarget {
            command: vec!["true".into()],
            cwd: "/pod".into(),
            env: vec![("A".into(), "1".into()), ("PATH".into(), "/x".into())],
            path_prepend: Some("/shims".into()),
            stdin: false,
            stdout: true,
            stderr: true,
            tty: false,
            outlives_stream: false,
        };
        let env = child_env(&target);
        assert_eq!(env.get("PATH").map(String::as_str), Some("/shims:/x"));
        assert_eq!(env.get("HOME").map(String::as_str), Some("/pod"));
        assert_eq!(env.get("A").map(String::as_str), Some("1"));
    }

    #[test]
    fn look_path_searches_path_in_order_from_the_pod_dir() {
        use std::os::unix::fs::PermissionsExt;
        let pod = tempfile::tempdir().unwrap();
        let make = |rel: &str, mode: u32| {
            let file = pod.path().join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        make("shims/tool", 0o755);
        make("plain/tool", 0o644);
        make("bin/other", 0o755);
        let cwd = pod.path();
        let found = |path: &str, program: &str| look_path(program, path, cwd);
        // Not executable is skipped, the shim dir is relative to the pod dir.
        assert_eq!(found("plain:shims", "tool"), Some(cwd.join("shims/tool")));
        assert_eq!(found("bin::shims", "tool"), Some(cwd.join("shims/tool")));
        // An empty entry is the pod dir itself.
        make("here", 0o755);
        assert_eq!(found("bin:", "here"), Some(cwd.join("here")));
        assert_eq!(found("plain", "tool"), None);
        assert_eq!(found("/usr/bin:/bin", "no-such-tool-here"), None);
        // A directory is not an executable.
        assert_eq!(found("", "bin"), None);
        // With a slash it is used as given, found or not.
        assert_eq!(found("", "./x/y"), Some(PathBuf::from("./x/y")));
    }

    #[test]
    fn exec_ids_look_like_containerd() {
        let id = random_exec_id();
        assert_eq!(id.len(), 64);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
