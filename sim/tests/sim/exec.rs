//! End-to-end tests of `pxsnap_sim::exec` against real clients: kube-rs `Api::<Pod>::exec`
//! (v5 and v4), a raw WebSocket client (exact frames), and the real `kubectl`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause};
use kube::api::{AttachParams, AttachedProcess};
use kube::{Api, Client};
use pxsnap_sim::exec::{
    EXEC_SUBPROTOCOLS, ExecEvent, ExecQuery, ExecTarget, KillReason, serve_exec,
};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const V4: &str = "v4.channel.k8s.io";
const V5: &str = "v5.channel.k8s.io";

/// How the test server runs execs.
#[derive(Clone)]
struct ServerCfg {
    protocols: Vec<&'static str>,
    cut_after: Option<Duration>,
}

impl Default for ServerCfg {
    fn default() -> Self {
        ServerCfg {
            protocols: EXEC_SUBPROTOCOLS.to_vec(),
            cut_after: None,
        }
    }
}

#[derive(Clone)]
struct AppState {
    cfg: ServerCfg,
    pod_dir: PathBuf,
    shim_dir: PathBuf,
    events: Arc<Mutex<Vec<ExecEvent>>>,
}

/// A tiny API server: exec, the pod GET and the discovery kubectl reads first.
struct TestServer {
    addr: std::net::SocketAddr,
    state: AppState,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(cfg: ServerCfg) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        // Canonical, so `pwd` in the pod prints exactly this path.
        let pod_dir = dir.path().canonicalize().unwrap().join("pod");
        let shim_dir = dir.path().canonicalize().unwrap().join("bin");
        std::fs::create_dir_all(&pod_dir).unwrap();
        write_shim(&shim_dir, "nodetool", "echo flushed \"$@\"");
        let state = AppState {
            cfg,
            pod_dir,
            shim_dir,
            events: Arc::default(),
        };
        let app = Router::new()
            .route("/version", get(version))
            .route("/api", get(api_versions))
            .route("/apis", get(api_groups))
            .route("/api/v1", get(core_resources))
            .route("/api/v1/namespaces/{ns}/pods/{pod}", get(get_pod))
            .route("/api/v1/namespaces/{ns}/pods/{pod}/exec", get(exec))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestServer {
            addr,
            state,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn pods(&self) -> Api<Pod> {
        let config = kube::Config::new(self.url().parse().unwrap());
        Api::namespaced(Client::try_from(config).unwrap(), "default")
    }

    fn pod_file(&self, name: &str) -> PathBuf {
        self.state.pod_dir.join(name)
    }

    fn events(&self) -> Vec<ExecEvent> {
        self.state.events.lock().unwrap().clone()
    }

    /// Asserts what the server recorded of an exec that ran: it started, then exited with
    /// `exit_code`.
    async fn assert_exited(&self, exit_code: i32) {
        assert_eq!(
            self.final_events().await,
            vec![
                ExecEvent::Started,
                ExecEvent::Exited {
                    exit_code,
                    after_stream: None
                }
            ]
        );
    }

    /// Asserts what the server recorded of an exec it killed: it started, then was killed
    /// for `reason`.
    async fn assert_killed(&self, reason: KillReason) {
        assert_eq!(
            self.final_events().await,
            vec![ExecEvent::Started, ExecEvent::Killed { reason }]
        );
    }

    /// Waits until the exec reached a final event, then returns all events.
    async fn final_events(&self) -> Vec<ExecEvent> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let events = self.events();
            let done = events.iter().any(|e| !matches!(e, ExecEvent::Started));
            if done || Instant::now() > deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn write_shim(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

async fn version() -> Json<serde_json::Value> {
    Json(
        json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0", "gitCommit": "0", "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"}),
    )
}

async fn api_versions() -> Json<serde_json::Value> {
    Json(json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}))
}

async fn api_groups() -> Json<serde_json::Value> {
    Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}))
}

async fn core_resources() -> Json<serde_json::Value> {
    Json(
        json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
         "verbs": ["get", "list"], "shortNames": ["po"]},
        {"name": "pods/exec", "singularName": "", "namespaced": true, "kind": "PodExecOptions", "verbs": ["create", "get"]}]}),
    )
}

async fn get_pod(UrlPath((ns, pod)): UrlPath<(String, String)>) -> Json<serde_json::Value> {
    Json(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod, "namespace": ns, "uid": "1", "resourceVersion": "1"},
        "spec": {"containers": [{"name": "c", "image": "sim"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0,
            "image": "sim", "imageID": "", "state": {"running": {"startedAt": "2025-01-01T00:00:00Z"}}}]}}))
}

async fn exec(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let query = match ExecQuery::parse(query.as_deref().unwrap_or_default()) {
        Ok(query) => query,
        Err(message) => {
            let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": "BadRequest", "code": 400});
            return (StatusCode::BAD_REQUEST, Json(status)).into_response();
        }
    };
    let target = ExecTarget {
        command: query.command,
        cwd: state.pod_dir.clone(),
        env: vec![("CASSANDRA_HOME".into(), "/opt/cassandra".into())],
        path_prepend: Some(state.shim_dir.clone()),
        stdin: query.stdin,
        stdout: query.stdout,
        stderr: query.stderr,
        tty: query.tty,
        outlives_stream: false,
    };
    let events = state.events.clone();
    let cut_after = state.cfg.cut_after;
    ws.protocols(state.cfg.protocols.clone())
        .on_upgrade(move |socket| {
            serve_exec(socket, target, cut_after, move |e| {
                events.lock().unwrap().push(e)
            })
        })
}

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

async fn read_all(reader: Option<impl AsyncRead + Unpin>) -> String {
    let mut out = String::new();
    if let Some(mut reader) = reader {
        reader.read_to_string(&mut out).await.unwrap();
    }
    out
}

/// Runs one exec to completion: (stdout, stderr, status).
async fn run(
    pods: &Api<Pod>,
    command: Vec<String>,
    ap: &AttachParams,
) -> (String, String, Option<Status>) {
    let mut attached = pods.exec("p", command, ap).await.unwrap();
    let status = attached.take_status().unwrap();
    let (out, err, status) = tokio::time::timeout(
        Duration::from_secs(10),
        futures::future::join3(
            read_all(attached.stdout()),
            read_all(attached.stderr()),
            status,
        ),
    )
    .await
    .expect("exec did not finish");
    attached.join().await.unwrap();
    (out, err, status)
}

/// The causes of an exec's failure Status, where the kubelet puts the exit code.
fn status_causes(status: Status) -> Vec<StatusCause> {
    status.details.and_then(|d| d.causes).unwrap()
}

fn out_err() -> AttachParams {
    AttachParams::default().stdout(true).stderr(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_zero_exit_gives_both_streams_and_the_kubelet_status() {
    let server = TestServer::start(ServerCfg::default()).await;
    let script = "echo out; echo err >&2; exit 3";
    let (out, err, status) = run(&server.pods(), sh(script), &out_err()).await;
    assert_eq!(out, "out\n");
    assert_eq!(err, "err\n");
    let status = status.expect("a Status on the error channel");
    assert_eq!(status.status.as_deref(), Some("Failure"));
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    assert_eq!(
        status.message.as_deref(),
        Some(
            "command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3"
        )
    );
    let causes = status_causes(status);
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason.as_deref(), Some("ExitCode"));
    assert_eq!(causes[0].message.as_deref(), Some("3"));
    server.assert_exited(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_zero_gives_success() {
    let server = TestServer::start(ServerCfg::default()).await;
    let (out, err, status) = run(&server.pods(), sh("echo hi"), &out_err()).await;
    assert_eq!((out.as_str(), err.as_str()), ("hi\n", ""));
    let status = status.unwrap();
    assert_eq!(status.status.as_deref(), Some("Success"));
    assert_eq!(status.message, None);
    server.assert_exited(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_client_gets_the_same_status() {
    let cfg = ServerCfg {
        protocols: vec![V4],
        ..ServerCfg::default()
    };
    let server = TestServer::start(cfg).await;
    let (out, err, status) =
        run(&server.pods(), sh("echo o; echo e >&2; exit 7"), &out_err()).await;
    assert_eq!((out.as_str(), err.as_str()), ("o\n", "e\n"));
    let status = status.unwrap();
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    let causes = status_causes(status);
    assert_eq!(causes[0].message.as_deref(), Some("7"));
    server.assert_exited(7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_executable_gives_the_runtime_failure() {
    let server = TestServer::start(ServerCfg::default()).await;
    let command = vec!["no-such-tool".to_string(), "--flag".to_string()];
    let (out, err, status) = run(&server.pods(), command, &out_err()).await;
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
    let status = status.unwrap();
    assert_eq!(status.status.as_deref(), Some("Failure"));
    assert_eq!(status.reason.as_deref(), Some("InternalError"));
    assert_eq!(status.code, Some(500));
    let message = status.message.unwrap();
    let prefix = "Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"";
    let suffix = "\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"no-such-tool\": executable file not found in $PATH: unknown";
    assert!(message.starts_with(prefix), "{message}");
    assert!(message.ends_with(suffix), "{message}");
    let cause = status.details.and_then(|d| d.causes).unwrap()[0]
        .message
        .clone()
        .unwrap();
    assert_eq!(format!("Internal error occurred: {cause}"), message);
    assert_eq!(
        server.final_events().await,
        vec![ExecEvent::SpawnFailed { message: cause }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_is_piped_and_closed_by_the_v5_signal() {
    let server = TestServer::start(ServerCfg::default()).await;
    let ap = AttachParams::default()
        .stdin(true)
        .stdout(true)
        .stderr(true);
    let mut attached = server
        .pods()
        .exec("p", vec!["cat".to_string()], &ap)
        .await
        .unwrap();
    let mut stdin = attached.stdin().unwrap();
    let mut stdout = attached.stdout().unwrap();
    stdin.write_all(b"hello\n").await.unwrap();
    // cat echoes while stdin is still open: the pipe streams, it is not buffered to the end.
    let mut first = [0u8; 6];
    tokio::time::timeout(Duration::from_secs(5), stdout.read_exact(&mut first))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&first, b"hello\n");
    stdin.write_all(b"world\n").await.unwrap();
    // Shutting down (not just dropping) the simplex ends kube-rs' stdin stream; kube-rs then
    // sends [255, 0], and cat sees EOF and exits 0.
    stdin.shutdown().await.unwrap();
    let status = attached.take_status().unwrap();
    let (rest, status) = tokio::time::timeout(
        Duration::from_secs(10),
        futures::future::join(read_all(Some(stdout)), status),
    )
    .await
    .unwrap();
    assert_eq!(rest, "world\n");
    assert_eq!(status.unwrap().status.as_deref(), Some("Success"));
    server.assert_exited(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_cwd_and_shims_are_the_pods() {
    let server = TestServer::start(ServerCfg::default()).await;
    let script = "pwd; echo \"$HOME\"; echo \"$CASSANDRA_HOME\"; echo \"$PATH\"; nodetool flush ks; echo x > written";
    let (out, err, status) = run(&server.pods(), sh(script), &out_err()).await;
    assert_eq!(err, "");
    let pod_dir = server.state.pod_dir.display().to_string();
    let shim_dir = server.state.shim_dir.display().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], pod_dir);
    assert_eq!(lines[1], pod_dir);
    assert_eq!(lines[2], "/opt/cassandra");
    assert!(
        lines[3].starts_with(&format!("{shim_dir}:")),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "flushed flush ks");
    assert_eq!(
        std::fs::read_to_string(server.pod_file("written")).unwrap(),
        "x\n"
    );
    assert_eq!(status.unwrap().status.as_deref(), Some("Success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_is_streamed_while_the_command_runs() {
    let server = TestServer::start(ServerCfg::default()).await;
    let started = Instant::now();
    let mut attached = server
        .pods()
        .exec("p", sh("echo first; sleep 2; echo second"), &out_err())
        .await
        .unwrap();
    let mut stdout = attached.stdout().unwrap();
    let mut first = [0u8; 6];
    stdout.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"first\n");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(read_all(Some(stdout)).await, "second\n");
    attached.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_output_arrives_whole_before_the_status() {
    let server = TestServer::start(ServerCfg::default()).await;
    let script = "head -c 300000 /dev/zero | tr '\\0' a; head -c 100000 /dev/zero | tr '\\0' b >&2";
    let (out, err, status) = run(&server.pods(), sh(script), &out_err()).await;
    assert_eq!(out.len(), 300_000);
    assert!(out.bytes().all(|b| b == b'a'));
    assert_eq!(err.len(), 100_000);
    assert_eq!(status.unwrap().status.as_deref(), Some("Success"));
}

/// A pid has left the process table (or, for a process we do not parent, is a zombie).
fn is_dead(pid: i32, allow_zombie: bool) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            allow_zombie
                && stat
                    .rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X'))
        }
    }
}

async fn wait_dead(pid: i32, allow_zombie: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if is_dead(pid, allow_zombie) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn read_pid(path: PathBuf) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Starts `sh` (pid in sh.pid) with a background `sleep 30` (pid in sleep.pid) and waits for
/// "ready" on stdout.
async fn start_sleeper(server: &TestServer) -> (AttachedProcess, i32, i32) {
    let script = "sleep 30 & echo $! > sleep.pid; echo $$ > sh.pid; echo ready; wait";
    let mut attached = server
        .pods()
        .exec("p", sh(script), &out_err())
        .await
        .unwrap();
    let mut stdout = attached.stdout().unwrap();
    let mut ready = [0u8; 6];
    tokio::time::timeout(Duration::from_secs(5), stdout.read_exact(&mut ready))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&ready, b"ready\n");
    let sh_pid = read_pid(server.pod_file("sh.pid"));
    let sleep_pid = read_pid(server.pod_file("sleep.pid"));
    assert!(!is_dead(sh_pid, true) && !is_dead(sleep_pid, true));
    (attached, sh_pid, sleep_pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_kills_the_whole_process_group() {
    let server = TestServer::start(ServerCfg::default()).await;
    let (attached, sh_pid, sleep_pid) = start_sleeper(&server).await;
    drop(attached);
    server.assert_killed(KillReason::ClientClosed).await;
    // sh is ours: reaped, not a zombie. sleep was reparented, so its reaper is not us.
    assert!(wait_dead(sh_pid, false).await, "sh {sh_pid} still there");
    assert!(
        wait_dead(sleep_pid, true).await,
        "sleep {sleep_pid} still running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_after_drops_the_stream_without_a_status() {
    let cfg = ServerCfg {
        cut_after: Some(Duration::from_millis(500)),
        ..ServerCfg::default()
    };
    let server = TestServer::start(cfg).await;
    let started = Instant::now();
    let (mut attached, sh_pid, sleep_pid) = start_sleeper(&server).await;
    let status = attached.take_status().unwrap();
    let (_, status) = tokio::time::timeout(
        Duration::from_secs(5),
        futures::future::join(read_all(attached.stdout()), status),
    )
    .await
    .expect("the cut must end the stream");
    assert!(status.is_none(), "no Status after a cut: {status:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    server.assert_killed(KillReason::Cut).await;
    assert!(wait_dead(sh_pid, false).await);
    assert!(wait_dead(sleep_pid, true).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_children_do_not_outlive_or_hold_the_exec() {
    let server = TestServer::start(ServerCfg::default()).await;
    let started = Instant::now();
    let script = "sleep 30 & echo $! > sleep.pid; echo done";
    let (out, _, status) = run(&server.pods(), sh(script), &out_err()).await;
    assert_eq!(out, "done\n");
    assert_eq!(status.unwrap().status.as_deref(), Some("Success"));
    // The leftover sleep holds stdout open; the group kill on exit ends it at once.
    assert!(started.elapsed() < Duration::from_millis(1500));
    let sleep_pid = read_pid(server.pod_file("sleep.pid"));
    assert!(wait_dead(sleep_pid, true).await);
}

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens an exec with a raw WebSocket client offering `protocols`; returns the negotiated one.
async fn raw_exec(server: &TestServer, query: &str, protocols: &str) -> (RawSocket, String) {
    let url = format!(
        "ws://{}/api/v1/namespaces/default/pods/p/exec?{query}",
        server.addr
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocols.parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    let negotiated = response.headers()["Sec-WebSocket-Protocol"]
        .to_str()
        .unwrap()
        .to_string();
    (socket, negotiated)
}

/// Every message until the server closes (or 10 s pass).
async fn collect(socket: &mut RawSocket) -> Vec<WsMessage> {
    let mut messages = Vec::new();
    let deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            msg = socket.next() => match msg {
                Some(Ok(msg)) => {
                    let close = msg.is_close();
                    messages.push(msg);
                    if close {
                        return messages;
                    }
                }
                _ => return messages,
            },
            _ = &mut deadline => return messages,
        }
    }
}

fn binary(channel: u8, data: &[u8]) -> WsMessage {
    let mut bytes = vec![channel];
    bytes.extend_from_slice(data);
    WsMessage::binary(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_frames_initial_output_status_then_normal_close() {
    let server = TestServer::start(ServerCfg::default()).await;
    let query = "command=sh&command=-c&command=echo+out%3B+sleep+0.1%3B+echo+err+%3E%262%3B+exit+3&stdout=true&stderr=true";
    // The server's preference wins: v5 even when the client lists v4 first.
    let (mut socket, protocol) = raw_exec(&server, query, &format!("{V4}, {V5}")).await;
    assert_eq!(protocol, V5);
    let messages = collect(&mut socket).await;
    let status = br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c echo out; sleep 0.1; echo err >&2; exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#;
    assert_eq!(messages.len(), 5, "{messages:?}");
    assert_eq!(messages[0], binary(1, b""), "initial empty stdout frame");
    assert_eq!(messages[1], binary(1, b"out\n"));
    assert_eq!(messages[2], binary(2, b"err\n"));
    assert_eq!(messages[3], binary(3, status));
    match &messages[4] {
        WsMessage::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected a normal Close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_v5_stdin_only_gets_initial_error_frame_and_close_signal() {
    let server = TestServer::start(ServerCfg::default()).await;
    let (mut socket, protocol) = raw_exec(&server, "command=cat&stdin=true", V5).await;
    assert_eq!(protocol, V5);
    socket.send(binary(0, b"ignored\n")).await.unwrap();
    socket
        .send(WsMessage::binary(vec![255u8, 0]))
        .await
        .unwrap();
    let messages = collect(&mut socket).await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[0],
        binary(3, b""),
        "no stdout/stderr: empty error frame"
    );
    assert_eq!(
        messages[1],
        binary(3, br#"{"metadata":{},"status":"Success"}"#)
    );
    assert!(messages[2].is_close());
    server.assert_exited(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_v4_has_no_close_signal_and_closing_kills() {
    let server = TestServer::start(ServerCfg::default()).await;
    let (mut socket, protocol) = raw_exec(&server, "command=cat&stdin=true&stdout=true", V4).await;
    assert_eq!(protocol, V4);
    assert_eq!(socket.next().await.unwrap().unwrap(), binary(1, b""));
    socket.send(binary(0, b"abc\n")).await.unwrap();
    socket
        .send(WsMessage::binary(vec![255u8, 0]))
        .await
        .unwrap();
    assert_eq!(socket.next().await.unwrap().unwrap(), binary(1, b"abc\n"));
    // [255, 0] means nothing in v4: cat keeps waiting for input, no Status comes.
    let more = tokio::time::timeout(Duration::from_millis(400), socket.next()).await;
    assert!(more.is_err(), "unexpected message under v4: {more:?}");
    assert_eq!(server.events(), vec![ExecEvent::Started]);
    socket.close(None).await.unwrap();
    server.assert_killed(KillReason::ClientClosed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_prints_both_streams_and_exits_with_the_code() {
    let Some(kubectl) = crate::common::tool("kubectl", "kubectl exec") else {
        return;
    };
    let server = TestServer::start(ServerCfg::default()).await;
    let kubeconfig = server.state.pod_dir.join("..").join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {}\n\
             users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: u\n    namespace: default\n\
             current-context: sim\n",
            server.url()
        ),
    )
    .unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["exec", "p", "-c", "c", "--", "sh", "-c"])
            .arg("echo out; echo err >&2; exit 3")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("kubectl hung")
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stdout, "out\n", "stderr: {stderr}");
    assert!(stderr.starts_with("err\n"), "{stderr}");
    assert!(
        stderr.contains("command terminated with exit code 3"),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
    server.assert_exited(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signalled_command_reports_128_plus_the_signal() {
    let server = TestServer::start(ServerCfg::default()).await;
    let (_, _, status) = run(&server.pods(), sh("kill -9 $$"), &out_err()).await;
    let causes = status_causes(status.unwrap());
    assert_eq!(causes[0].message.as_deref(), Some("137"));
    server.assert_exited(137).await;
}
