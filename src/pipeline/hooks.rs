//! Runs one pre or post command in one container over the exec API.
//!
//! Each run is bounded: by `--hook-timeout` (on expiry the exec stream is dropped; the API server
//! then stops the command or not, depending on the container runtime) and by the amount of
//! output kept. A run never returns an error:
//! whatever happens becomes a [`HookRecord`], because the caller must go on releasing other pods.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Api;
use kube::api::{AttachParams, AttachedProcess};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::pipeline::locate::HookTarget;

/// Output kept per stream; the rest is read and dropped so the command never blocks on a full pipe.
pub const MAX_CAPTURE: usize = 64 * 1024;
/// The line that ends output cut at [`MAX_CAPTURE`].
const TRUNCATED: &str = "[output truncated]";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HookPhase {
    Pre,
    /// A `--hold` command: it runs from after the pre commands until pxsnap lets it go.
    Hold,
    Post,
}

impl HookPhase {
    pub fn label(self) -> &'static str {
        match self {
            HookPhase::Pre => "pre",
            HookPhase::Hold => "hold",
            HookPhase::Post => "post",
        }
    }
}

/// Whether a command may have started in its container: what decides whether a pod gets its
/// post commands. Ordered from least to most started, so that the pre commands of one pod
/// combine to the most started of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StartOutcome {
    /// The API server answered with an error status before any stream opened (403, 404, 429,
    /// 500…), or said on the error channel that it never reached the kubelet: nothing ran.
    NeverStarted,
    /// The exec request got no answer within the hook timeout: the command may or may not have
    /// started, and another attempt there would most likely wait as long again.
    OutcomeUnknown,
    /// The stream opened and nothing says that the command did not start.
    MayHaveRun,
}

/// Where in a Rule a command came from: its name, and the item and action indices as in
/// `rules[item].actions[action]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub name: String,
    pub item: usize,
    pub action: usize,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Rule {} rules[{}].actions[{}]",
            self.name, self.item, self.action
        )
    }
}

/// A command as planned: its text and, when a Rule gave it, where in the Rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub text: String,
    pub rule: Option<RuleRef>,
}

impl Command {
    /// A command the user gave on the command line.
    pub fn given(text: &str) -> Command {
        Command {
            text: text.to_string(),
            rule: None,
        }
    }
}

/// What one command did in one container (the `hooks[]` entries of the JSON result).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRecord {
    pub phase: HookPhase,
    pub pod: String,
    pub container: String,
    pub command: String,
    /// `None` when the command never reported an exit status (timeout, exec refused, stream lost).
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub stdout: String,
    pub stderr: String,
    /// Why the command did not complete, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A held command: when it reported that it holds (its lock is taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_at: Option<String>,
    /// A held command: when pxsnap let it go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at: Option<String>,
    /// The Rule action this command came from (`--pre-rule`, `--post-rule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// The exec stream broke before the command reported (connection lost, API 5xx) or never
    /// opened in time, so trying again may reach it; a timeout of a running command or a
    /// refusal will not get better.
    #[serde(skip)]
    pub stream_lost: bool,
    #[serde(skip)]
    pub start: StartOutcome,
}

impl HookRecord {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// One line naming the pod, the command and what went wrong.
    pub fn failure_line(&self) -> String {
        let what = match (&self.error, self.exit_code) {
            (Some(err), _) => err.clone(),
            (None, Some(code)) => {
                let tail = printable(last_line(&self.stderr));
                if tail.is_empty() {
                    format!("exited with code {code}")
                } else {
                    format!("exited with code {code}: {tail}")
                }
            }
            (None, None) => "did not report an exit status".to_string(),
        };
        format!(
            "{} command {:?} in pod {:?} (container {:?}) {}",
            self.phase.label(),
            self.command,
            self.pod,
            self.container,
            what
        )
    }
}

/// The command's last line of stderr, the one that usually says why it failed, skipping the
/// truncation mark pxsnap adds to output it cut.
fn last_line(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty() && *line != TRUNCATED)
        .unwrap_or("")
}

/// `text` with control characters escaped and cut at [`MAX_LINE_CHARS`]: a line from a
/// command goes into pxsnap's one-line error on the user's terminal, and a stray escape
/// sequence or carriage return must not clear or overwrite it, nor a 64 KiB line bury it.
fn printable(text: &str) -> String {
    let mut chars = text.chars();
    let mut line: String = chars
        .by_ref()
        .take(MAX_LINE_CHARS)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if chars.next().is_some() {
        line.push('…');
    }
    line
}

/// The most of a command's own line quoted in pxsnap's error line.
const MAX_LINE_CHARS: usize = 300;

/// Runs `sh -c command` in the target container, as STORK's rule engine does.
pub async fn run_hook(
    pods: &Api<Pod>,
    target: &HookTarget,
    phase: HookPhase,
    command: &str,
    timeout: Duration,
) -> HookRecord {
    let started = Instant::now();
    let run = execute(pods, target, command, timeout, Some(timeout)).await;
    record(phase, target, command, run, timeout, started)
}

/// Runs `sh -c command` and waits for its end without a bound once its stream is open (only
/// opening it is bounded by `open_timeout`): a held command lasts as long as the snapshot
/// takes, and the caller decides when to stop waiting.
pub async fn run_session(
    pods: &Api<Pod>,
    target: &HookTarget,
    command: &str,
    open_timeout: Duration,
) -> Run {
    execute(pods, target, command, open_timeout, None).await
}

/// One exec: opening it bounded by `open_timeout`, the whole run by `run_timeout` if given.
async fn execute(
    pods: &Api<Pod>,
    target: &HookTarget,
    command: &str,
    open_timeout: Duration,
    run_timeout: Option<Duration>,
) -> Run {
    let deadline = tokio::time::Instant::now() + open_timeout;
    let process = match tokio::time::timeout_at(deadline, open(pods, target, command)).await {
        Err(_elapsed) => return Run::NotOpened,
        Ok(Err(err)) => return Run::Failed(err),
        Ok(Ok(process)) => process,
    };
    match run_timeout {
        Some(timeout) => {
            let deadline = deadline + timeout.saturating_sub(open_timeout);
            match tokio::time::timeout_at(deadline, collect(process)).await {
                Err(_elapsed) => Run::TimedOut,
                Ok(output) => Run::Done(Box::new(output)),
            }
        }
        None => Run::Done(Box::new(collect(process).await)),
    }
}

/// What a run of `command` in `target`, which began at `started`, did; `timeout` is the bound
/// its messages name.
pub fn record(
    phase: HookPhase,
    target: &HookTarget,
    command: &str,
    outcome: Run,
    timeout: Duration,
    started: Instant,
) -> HookRecord {
    let mut record = HookRecord {
        phase,
        pod: target.pod.clone(),
        container: target.container.clone(),
        command: command.to_string(),
        exit_code: None,
        duration_ms: 0,
        stdout: String::new(),
        stderr: String::new(),
        error: None,
        held_at: None,
        released_at: None,
        rule: None,
        stream_lost: false,
        start: StartOutcome::MayHaveRun,
    };
    match outcome {
        Run::NotOpened => {
            // The API server may have reached the kubelet and the command may run, or not:
            // nothing came back to say. Trying again may reach the pod; a post command is
            // idempotent, so a retry is safe even if the first one did start.
            record.stream_lost = true;
            record.start = StartOutcome::OutcomeUnknown;
            record.error = Some(format!(
                "got no answer to its exec request within {}; {UNKNOWN}",
                crate::duration::human(timeout)
            ));
        }
        Run::TimedOut => {
            // Closing the stream is all an exec client can do; whether the runtime then stops
            // the command varies, so the record does not claim it did.
            record.error = Some(format!(
                "timed out after {} (pxsnap closed its exec stream; the command may still be running in the container)",
                crate::duration::human(timeout)
            ));
        }
        Run::Failed(err) => {
            // An API error the reads would retry (5xx, 429 from the API server's flow control)
            // says nothing ran and the next attempt may get through; any other failure to
            // connect is a lost stream.
            record.stream_lost = match &err {
                kube::Error::Api(_) => crate::k8s::cluster::is_transient(&err),
                _ => true,
            };
            record.start = start_of_refused(&err);
            record.error = Some(describe_exec_error(err, &target.namespace));
        }
        Run::Done(done) => {
            let output_seen = !done.stdout.is_empty() || !done.stderr.is_empty();
            record.stdout = done.stdout;
            record.stderr = done.stderr;
            match exit_code(done.status.as_ref()) {
                Ok(code) => record.exit_code = Some(code),
                Err(message) => match done.status.as_ref() {
                    Some(status) if !output_seen && never_reached_kubelet(status) => {
                        // Nothing ran, so a retry is safe and may find the kubelet back.
                        record.stream_lost = true;
                        record.start = StartOutcome::NeverStarted;
                        record.error = Some(format!(
                            "did not start: the API server could not reach the pod's kubelet ({message})"
                        ));
                    }
                    status => {
                        record.stream_lost = status.is_none();
                        record.error = Some(message);
                    }
                },
            }
        }
    }
    record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(phase = phase.label(), pod = %record.pod, exit = ?record.exit_code, error = ?record.error, "hook done");
    record
}

/// A command that must reach its pod (a post command, letting a held command go), tried up to
/// `attempts` times when the exec stream itself failed (not a non-zero exit: the command's own
/// verdict is final), because a lost connection must not leave an app frozen.
pub async fn run_retried(
    pods: &Api<Pod>,
    target: &HookTarget,
    phase: HookPhase,
    command: &str,
    timeout: Duration,
    attempts: u32,
) -> HookRecord {
    let mut attempt = 1;
    loop {
        let record = run_hook(pods, target, phase, command, timeout).await;
        if !record.stream_lost || attempt >= attempts {
            return record;
        }
        tracing::warn!(pod = %target.pod, attempt, error = ?record.error, "command did not complete; retrying");
        tokio::time::sleep(RETRY_DELAY).await;
        attempt += 1;
    }
}

/// Pause between two attempts of [`run_retried`].
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// The end of a message about a command that may or may not have started.
const UNKNOWN: &str = "whether it started is unknown";

/// How far an exec that failed before its stream opened got. An HTTP error status (and, from
/// kube's upgrade check, any other answer than 101) is the API server's answer before it
/// upgraded anything, so nothing ran. A connection that failed without an answer may have
/// carried the request to the kubelet first, so the command may have run: its pod keeps every
/// post attempt, since a failure that came fast (a reset, a dropped proxy) is the kind a retry
/// gets past. Only an exec that got no answer at all is `OutcomeUnknown` (see `run_hook`).
fn start_of_refused(err: &kube::Error) -> StartOutcome {
    match err {
        kube::Error::Api(_)
        | kube::Error::UpgradeConnection(kube::client::UpgradeConnectionError::ProtocolSwitch(_)) => {
            StartOutcome::NeverStarted
        }
        _ => StartOutcome::MayHaveRun,
    }
}

/// Whether a failure Status on the error channel (with no output before it) says that the
/// command never started. The one case upstream makes certain: from 1.30 the API server
/// answers the WebSocket upgrade first and only then opens its own SPDY stream to the kubelet
/// (`StreamTranslatorHandler`, k8s.io/apiserver/pkg/util/proxy); when that fails it sends
/// `apierrors.NewInternalError(err)`, where `err` comes from client-go's `spdy.Negotiate`
/// (`error sending request: …`: the kubelet could not be reached) or
/// `SpdyRoundTripper.NewConnection` (`unable to upgrade connection…`: the kubelet refused the
/// stream). Once the stream to the kubelet exists, the kubelet's own failures arrive as
/// InternalErrors too (`error executing command in container: …`, e.g. container not found),
/// and those may come after the command ran, so any other Status counts as may-have-run: a
/// needless post command is harmless, a missing one leaves the application frozen.
fn never_reached_kubelet(status: &Status) -> bool {
    const NO_KUBELET_STREAM: [&str; 2] =
        ["error sending request: ", "unable to upgrade connection"];
    status.reason.as_deref() == Some("InternalError")
        && status
            .message
            .as_deref()
            .and_then(|m| m.strip_prefix("Internal error occurred: "))
            .is_some_and(|cause| NO_KUBELET_STREAM.iter().any(|p| cause.starts_with(p)))
}

/// How one exec went. Not opening a session is kept apart from timing out in one: the second
/// left a command running that pxsnap can no longer see, the first most likely ran nothing,
/// so only the first is worth retrying.
pub enum Run {
    NotOpened,
    Failed(kube::Error),
    TimedOut,
    Done(Box<ExecOutput>),
}

pub struct ExecOutput {
    stdout: String,
    stderr: String,
    status: Option<Status>,
}

async fn open(
    pods: &Api<Pod>,
    target: &HookTarget,
    command: &str,
) -> Result<AttachedProcess, kube::Error> {
    let params = AttachParams::default()
        .container(target.container.clone())
        .stdin(false)
        .stdout(true)
        .stderr(true);
    pods.exec(&target.pod, ["sh", "-c", command], &params).await
}

/// Reads the command's output and exit status. Dropping `process` (on timeout) aborts the
/// stream task, closing the connection.
async fn collect(mut process: AttachedProcess) -> ExecOutput {
    let stdout = process.stdout();
    let stderr = process.stderr();
    let status_rx = process.take_status();
    let mut out = Capture::default();
    let mut err = Capture::default();
    let status = {
        let readers = async { tokio::join!(out.fill(stdout), err.fill(stderr)) };
        tokio::pin!(readers);
        let status_rx = async {
            match status_rx {
                Some(rx) => rx.await,
                None => None,
            }
        };
        tokio::pin!(status_rx);
        let mut drained = false;
        let status = tokio::select! {
            status = &mut status_rx => status,
            _ = &mut readers => {
                drained = true;
                status_rx.await
            }
        };
        // The server sends all output before the status, so what is left is in flight. When
        // the stream was cut there is no status and kube's readers never see end-of-file,
        // so the wait for the rest is short either way.
        if !drained {
            let grace = if status.is_some() {
                OUTPUT_GRACE
            } else {
                LOST_STREAM_GRACE
            };
            let _ = tokio::time::timeout(grace, &mut readers).await;
        }
        status
    };
    if status.is_some()
        && let Err(err) = process.join().await
    {
        // The status is already in hand; a late stream error changes nothing.
        tracing::debug!(error = %err, "exec stream ended with an error");
    }
    ExecOutput {
        stdout: out.into_text(),
        stderr: err.into_text(),
        status,
    }
}

/// How long to wait for output still in flight once the exit status arrived.
const OUTPUT_GRACE: Duration = Duration::from_secs(1);
/// How long to wait for output once the stream was lost without a status.
const LOST_STREAM_GRACE: Duration = Duration::from_millis(100);

/// Output kept from one stream: the first [`MAX_CAPTURE`] bytes; the rest is read and dropped so
/// the command never blocks on a full pipe.
#[derive(Default)]
struct Capture {
    kept: Vec<u8>,
    truncated: bool,
}

impl Capture {
    async fn fill(&mut self, stream: Option<impl AsyncRead + Unpin>) {
        let Some(mut stream) = stream else { return };
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = MAX_CAPTURE.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&chunk[..n.min(room)]);
                    self.truncated |= n > room;
                }
            }
        }
    }

    /// The kept output; when it was cut, it ends at the last whole line (a line cut at
    /// [`MAX_CAPTURE`] would be quoted as if it were the command's last word) and the mark.
    fn into_text(mut self) -> String {
        if self.truncated
            && let Some(end) = self.kept.iter().rposition(|&b| b == b'\n')
        {
            self.kept.truncate(end);
        }
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.truncated {
            text.push('\n');
            text.push_str(TRUNCATED);
        }
        text
    }
}

/// Reads the exit code the way kubectl does: `Success` is 0; `NonZeroExitCode` carries the code
/// in a cause of reason `ExitCode`; any other failure (container not found, command not
/// startable) is an error message.
pub fn exit_code(status: Option<&Status>) -> Result<i32, String> {
    let Some(status) = status else {
        return Err("the exec stream ended without an exit status (connection lost?)".to_string());
    };
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    let reason = status.reason.as_deref().unwrap_or_default();
    if reason == "NonZeroExitCode" {
        let code = status
            .details
            .as_ref()
            .and_then(|d| d.causes.as_ref())
            .and_then(|causes| {
                causes
                    .iter()
                    .find(|c| c.reason.as_deref() == Some("ExitCode"))
            })
            .and_then(|c| c.message.as_deref()?.parse::<i32>().ok());
        if let Some(code) = code {
            return Ok(code);
        }
    }
    Err(match status.message.as_deref() {
        Some(message) if !message.is_empty() => message.to_string(),
        _ => format!("exec failed ({reason})"),
    })
}

/// Why an exec did not start. A 403 from the API server's authorizer gets pxsnap's Forbidden
/// wording (the verb the server checked, `pods/exec`, and where the RBAC rules are), as every
/// other refused request does: exec is the one rule users forget, and the server's own message
/// does not say what to change. Any other 403 is quoted as it is: no rule would help.
fn describe_exec_error(err: kube::Error, namespace: &str) -> String {
    match err {
        kube::Error::Api(mut status) if status.code == 403 => {
            let verb = match authorizer_denial(&status) {
                Some(ExecDenial::Filter(verb)) => verb,
                Some(ExecDenial::CreateCheck) => {
                    status.message = format!(
                        "{} (from Kubernetes 1.35 a WebSocket exec needs create as well as get)",
                        status.message.trim_end().trim_end_matches(':')
                    );
                    "create".to_string()
                }
                None => {
                    return format!(
                        "exec refused (HTTP 403, not by the API server's authorizer): {}",
                        status.message
                    );
                }
            };
            let refused = crate::error::Error::from_kube(
                kube::Error::Api(status),
                &verb,
                "pods/exec",
                Some(namespace),
            );
            format!("exec refused: {refused}")
        }
        kube::Error::Api(status) => format!("exec refused: {} ({})", status.message, status.code),
        kube::Error::UpgradeConnection(e) => {
            format!("exec refused: {}", crate::error::root_cause(&e))
        }
        other => format!("exec failed: {}", crate::error::root_cause(&other)),
    }
}

/// Which check of the API server's authorizer refused an exec.
#[derive(Debug, PartialEq, Eq)]
enum ExecDenial {
    /// The authorization filter, whose message names the verb it checked: the HTTP method's,
    /// `get` for a WebSocket upgrade, `create` for SPDY.
    Filter(String),
    /// From 1.35, the second check a WebSocket exec meets (`ensureAuthorizedForVerb` in
    /// pkg/registry/core/pod/rest): `create`, which its message does not name.
    CreateCheck,
}

/// How the API server's authorizer refused an exec, or `None` when the 403 did not come from
/// it. An authorizer's Forbidden has reason `Forbidden`, `details.kind` `pods`, and one of two
/// messages: the filter's `pods "x" is forbidden: User "u" cannot get resource "pods/exec" …`,
/// or the second check's, which quotes only the authorizer's reason — empty for RBAC — and so
/// ends at `is forbidden: `. Anything else (a proxy's plain-text `denied destination`, an
/// admission plugin's reason) is not a missing RBAC rule.
fn authorizer_denial(status: &kube::core::Status) -> Option<ExecDenial> {
    let details = status.details.as_ref()?;
    if status.reason != "Forbidden" || details.kind != "pods" {
        return None;
    }
    let message = status.message.as_str();
    if let Some((_, rest)) = message.split_once(" cannot ") {
        let (verb, rest) = rest.split_once(' ')?;
        return rest
            .starts_with("resource \"pods/exec\"")
            .then(|| ExecDenial::Filter(verb.to_string()));
    }
    message
        .trim_end()
        .ends_with("is forbidden:")
        .then_some(ExecDenial::CreateCheck)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_lost_before_an_answer_keeps_every_post_attempt() {
        let lost = kube::Error::Service(Box::new(std::io::Error::other("connection reset")));
        assert_eq!(start_of_refused(&lost), StartOutcome::MayHaveRun);
        let answer: kube::core::Status =
            serde_json::from_value(json!({"code": 500, "status": "Failure"})).expect("status");
        let refused = kube::Error::Api(Box::new(answer));
        assert_eq!(start_of_refused(&refused), StartOutcome::NeverStarted);
    }
    use serde_json::json;

    fn status(value: serde_json::Value) -> Status {
        serde_json::from_value(value).expect("status")
    }

    #[test]
    fn exit_codes_are_read_as_kubectl_reads_them() {
        assert_eq!(
            exit_code(Some(&status(json!({"status": "Success"})))),
            Ok(0)
        );
        let failed = status(json!({
            "status": "Failure", "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}
        }));
        assert_eq!(exit_code(Some(&failed)), Ok(3));
        let refused = status(
            json!({"status": "Failure", "reason": "InternalError", "message": "container not found (\"x\")"}),
        );
        assert_eq!(
            exit_code(Some(&refused)),
            Err("container not found (\"x\")".into())
        );
        assert!(exit_code(None).is_err());
    }

    /// An authorizer-shaped Forbidden for pod app-0 with `message`.
    fn pod_forbidden(message: &str) -> kube::core::Status {
        serde_json::from_value(json!({
            "status": "Failure", "reason": "Forbidden", "code": 403,
            "details": {"name": "app-0", "kind": "pods"}, "message": message
        }))
        .expect("status")
    }

    #[test]
    fn the_verb_comes_from_the_authorizer_s_message() {
        let filter = pod_forbidden(
            "pods \"app-0\" is forbidden: User \"u\" cannot get resource \"pods/exec\" in API group \"\" in the namespace \"db\"",
        );
        assert_eq!(
            authorizer_denial(&filter),
            Some(ExecDenial::Filter("get".into()))
        );
        let second_check = pod_forbidden("pods \"app-0\" is forbidden: ");
        assert_eq!(
            authorizer_denial(&second_check),
            Some(ExecDenial::CreateCheck)
        );
        let admission =
            pod_forbidden("pods \"app-0\" is forbidden: exec into this pod is not allowed");
        assert_eq!(authorizer_denial(&admission), None);
        let proxy = kube::core::Status::failure("denied destination", "Failed to parse error data")
            .with_code(403);
        assert_eq!(authorizer_denial(&proxy), None);
    }

    #[test]
    fn only_the_api_server_s_failure_to_reach_the_kubelet_means_never_started() {
        let internal = |message: &str| {
            status(
                json!({"status": "Failure", "reason": "InternalError", "code": 500, "message": message}),
            )
        };
        assert!(never_reached_kubelet(&internal(
            "Internal error occurred: error sending request: Post \"https://10.0.0.1:10250/exec/db/p/c?command=sh\": dial tcp 10.0.0.1:10250: connect: connection refused"
        )));
        assert!(never_reached_kubelet(&internal(
            "Internal error occurred: unable to upgrade connection: pod does not exist"
        )));
        assert!(!never_reached_kubelet(&internal(
            "Internal error occurred: error executing command in container: container not found"
        )));
        assert!(!never_reached_kubelet(&status(json!({
            "status": "Failure", "reason": "NotFound", "code": 404,
            "message": "error sending request: pods \"p\" not found"
        }))));
    }
}
