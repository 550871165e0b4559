//! pxsnap-sim: a simulated Kubernetes API server with STORK/Portworx and CSI
//! snapshot controllers, for end-to-end tests and `pxsnap demo`.
//!
//! It is a real HTTP server on loopback that real clients (kube-rs, kubectl) talk to.
//! Nothing here is used by pxsnap's snapshot path.

pub mod api;
pub mod auth;
pub mod connections;
pub mod controllers;
pub mod discovery;
pub mod exec;
pub mod exec_route;
pub mod faults;
pub mod managed_fields;
pub mod marks;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod resources;
pub mod reviews;
pub mod scenario;
pub mod seed;
pub mod selectors;
pub mod status;
pub mod store;
pub mod timeline;
pub mod tls;
pub mod util;
pub mod watch;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::watch as tokio_watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use faults::{Fault, FaultAction};
pub use scenario::{ControllerSettings, Scenario};
pub use timeline::{TimelineEvent, TimelineKind};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot load scenario {path}: {message}")]
    Scenario { path: String, message: String },
    #[error("cannot load faults file {path}: {message}")]
    Faults { path: String, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot prepare the pod directories under {path}: {source}")]
    PodDirs {
        path: String,
        source: std::io::Error,
    },
    #[error("the scenario's objects are not valid: {0}")]
    Seed(String),
    #[error("cannot create the TLS certificate: {0}")]
    Tls(String),
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenario: Scenario,
    pub faults: Vec<Fault>,
    /// 0 = any free port.
    pub port: u16,
    /// Loopback unless told otherwise: exec runs real local processes.
    pub bind: IpAddr,
}

impl SimOptions {
    pub fn new(scenario: Scenario) -> SimOptions {
        SimOptions {
            scenario,
            faults: Vec::new(),
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions::new(Scenario::default())
    }
}

/// One API request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// get, list, watch, create, update, patch, delete, deletecollection, exec; for
    /// non-resource paths (discovery, /sim) the lower-case HTTP method.
    pub verb: String,
    /// The HTTP method, e.g. `GET` for a WebSocket exec and `POST` for an SPDY one: the API
    /// server authorizes the two with different verbs.
    pub method: String,
    /// Plural; "" for non-resource paths.
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// HTTP status of the response (200 for a watch or exec that started).
    pub status: u16,
    pub group: Option<String>,
    pub subresource: Option<String>,
    pub user: Option<String>,
    pub path: String,
    /// The raw query string, as sent (after the `?`); `None` when the URL has no `?`.
    #[serde(default)]
    pub query: Option<String>,
    pub at_ns: u64,
}

/// Most request records kept (oldest dropped first).
const REQUEST_LOG_CAP: usize = 200_000;

/// State shared by the HTTP handlers and the controllers.
pub struct Shared {
    pub store: store::Store,
    pub timeline: timeline::Timeline,
    pub faults: faults::Faults,
    pub auth: auth::Auth,
    pub settings: tokio_watch::Sender<ControllerSettings>,
    pub scenario: Scenario,
    pub root: PathBuf,
    pub addr: SocketAddr,
    pub start: Instant,
    pub cancel: CancellationToken,
    /// PEM of the per-run CA that signed the server certificate.
    pub ca_pem: String,
    /// The client connections open now (see [`Shared::drop_connections`]).
    pub connections: Arc<connections::Connections>,
    requests: Mutex<VecDeque<RequestRecord>>,
}

impl Shared {
    pub fn record_request(&self, mut rec: RequestRecord) {
        rec.at_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut g = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if g.len() >= REQUEST_LOG_CAP {
            g.pop_front();
        }
        g.push_back(rec);
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn settings(&self) -> ControllerSettings {
        self.settings.borrow().clone()
    }

    /// Uses up one of the `failCloudUploads` left; whether this upload must fail.
    pub fn take_cloud_upload_failure(&self) -> bool {
        self.settings.send_if_modified(|s| {
            let fail = s.fail_cloud_uploads > 0;
            s.fail_cloud_uploads = s.fail_cloud_uploads.saturating_sub(1);
            fail
        })
    }

    /// Merge a partial controller-settings object (camelCase keys) into the current one.
    pub fn patch_settings(&self, patch: &serde_json::Value) -> Result<(), String> {
        let mut cur = serde_json::to_value(self.settings()).map_err(|e| e.to_string())?;
        patch::merge_patch(&mut cur, patch);
        let next: ControllerSettings = serde_json::from_value(cur).map_err(|e| e.to_string())?;
        self.settings.send_replace(next);
        Ok(())
    }

    /// The per-pod working directory.
    pub fn pod_dir(&self, ns: &str, pod: &str) -> PathBuf {
        self.root.join("pods").join(ns).join(pod)
    }

    /// The per-pod directory of shim executables (first in the pod's PATH).
    pub fn pod_bin_dir(&self, ns: &str, pod: &str) -> PathBuf {
        self.root.join("bin").join(ns).join(pod)
    }

    /// Drops every open client connection at once, as an API server restart or a network
    /// blip does (see [`connections`]), and puts that on the timeline (`connectionsDropped`,
    /// `detail`: how many) so a test can order it against the pods' own events. Returns how
    /// many there were.
    pub fn drop_connections(&self) -> usize {
        let dropped = self.connections.drop_all();
        let mut event = TimelineEvent::new(TimelineKind::ConnectionsDropped, "");
        event.detail = Some(format!("{dropped} connections"));
        self.timeline.record(event);
        dropped
    }

    pub fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A running simulator. Dropping it (or `shutdown`) stops the server, the
/// controllers and every exec'd process, and removes its pod directories.
pub struct Simulator {
    shared: Arc<Shared>,
    admin_token: String,
    tasks: Vec<JoinHandle<()>>,
}

/// Connections the kernel may queue before the simulator accepts them; Linux caps it at
/// `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds the API port with the accept queue a real API server has: Go's `net.Listen` asks for
/// `net.core.somaxconn` (4096 on current kernels). std's `bind` asks for 128, so a client
/// opening a few hundred exec streams at once overflowed the queue; the kernel then drops the
/// SYNs and each of those connections waits out a 1 s retransmit, which put whole seconds into
/// group freeze windows that a real cluster would not have.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As std and Go do for listeners: a restarted simulator can reuse a port in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

impl Simulator {
    /// Seed the scenario, bind, and start serving and the controllers.
    pub async fn start(opts: SimOptions) -> Result<Simulator, SimError> {
        let addr = SocketAddr::new(opts.bind, opts.port);
        let listener = listen(addr).map_err(|source| SimError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let root = std::env::temp_dir().join(format!(
            "pxsnap-sim-{}-{}",
            std::process::id(),
            util::random_hex(4)
        ));
        prepare_pod_dirs(&root, &opts.scenario)
            .and_then(|()| marks::create(&root))
            .map_err(|source| SimError::PodDirs {
                path: root.display().to_string(),
                source,
            })?;
        let tls = tls::generate(addr.ip()).map_err(SimError::Tls)?;
        let admin_token = util::random_hex(24);
        let store = store::Store::new(store::DEFAULT_LOG_CAP);
        seed::seed(&store, &opts.scenario).map_err(|e| SimError::Seed(e.to_string()))?;
        let seeded_rv = store.current_rv();
        let (settings, _) = tokio_watch::channel(opts.scenario.controller.clone());
        let shared = Arc::new(Shared {
            store,
            timeline: timeline::Timeline::new(Instant::now()),
            faults: faults::Faults::default(),
            auth: auth::Auth::new(&admin_token, &opts.scenario.users),
            settings,
            scenario: opts.scenario,
            root,
            addr,
            start: Instant::now(),
            cancel: CancellationToken::new(),
            ca_pem: tls.ca_pem,
            connections: Arc::default(),
            requests: Mutex::new(VecDeque::new()),
        });
        for f in opts.faults {
            shared.faults.add(f);
        }
        let mut tasks = controllers::spawn(shared.clone(), seeded_rv);
        tasks.push(marks::spawn_reader(shared.clone()));
        let app = api::router(shared.clone());
        let cancel = shared.cancel.clone();
        let faulty = shared.clone();
        let stall_handshake = move || faulty.faults.stall_tls_handshake();
        let listener = tls::SniffingListener::new(
            listener,
            tls.acceptor,
            cancel.clone(),
            stall_handshake,
            shared.connections.clone(),
        )
        .map_err(|source| SimError::Bind { addr, source })?;
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                cancel.cancelled().await;
            });
            if let Err(e) = serve.await {
                tracing::error!("pxsnap-sim server stopped: {e}");
            }
        }));
        Ok(Simulator {
            shared,
            admin_token,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `https://127.0.0.1:PORT` (the same port also answers plain HTTP).
    pub fn server_url(&self) -> String {
        format!("https://{}", self.shared.addr)
    }

    /// `http://127.0.0.1:PORT`, for clients that do not want TLS (kubectl will not
    /// send credentials over it; kube-rs and curl do).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// PEM of the CA that signed the server certificate (also in the kubeconfig).
    pub fn ca_pem(&self) -> &str {
        &self.shared.ca_pem
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A kubeconfig (YAML) whose current context `pxsnap-sim` is the admin user in
    /// namespace `default`, plus a context `pxsnap-sim-<user>` per scenario user.
    pub fn kubeconfig(&self) -> String {
        let server = self.server_url();
        let mut users = Vec::new();
        let mut contexts = Vec::new();
        for u in self.shared.auth.users() {
            let (ctx_name, user_name) = if u.admin {
                ("pxsnap-sim".to_string(), auth::ADMIN_USER.to_string())
            } else {
                (format!("pxsnap-sim-{}", u.name), u.name.clone())
            };
            users.push(serde_json::json!({"name": user_name, "user": {"token": u.token}}));
            contexts.push(serde_json::json!({
                "name": ctx_name,
                "context": {"cluster": "pxsnap-sim", "user": user_name, "namespace": "default"},
            }));
        }
        let doc = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "pxsnap-sim", "cluster": {
                "server": server,
                "certificate-authority-data": tls::base64(self.shared.ca_pem.as_bytes()),
            }}],
            "users": users,
            "contexts": contexts,
            "current-context": "pxsnap-sim",
            "preferences": {},
        });
        serde_norway::to_string(&doc).unwrap_or_default()
    }

    /// Write [`Simulator::kubeconfig`] to `path` (mode 0600 on Unix: it holds tokens).
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }

    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.shared.timeline.snapshot()
    }

    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    pub fn add_fault(&self, f: Fault) {
        self.shared.faults.add(f);
    }

    /// How many requests the active faults fired on (see [`faults::Faults::fired`]).
    pub fn faults_fired(&self) -> u32 {
        self.shared().faults.fired()
    }

    /// Drops every open client connection now (see [`Shared::drop_connections`]); returns
    /// how many there were. The `dropConnections` fault does the same on a chosen request.
    pub fn drop_connections(&self) -> usize {
        self.shared.drop_connections()
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Change controller settings at run time (e.g. start failing a PVC's snapshots).
    pub fn set_controller(&self, settings: ControllerSettings) {
        self.shared.settings.send_replace(settings);
    }

    pub fn controller(&self) -> ControllerSettings {
        self.shared.settings()
    }

    /// Drop the watch event log, as an etcd compaction would: watches from older
    /// resourceVersions then get 410 Expired.
    pub fn compact(&self) {
        self.shared.store.compact();
    }

    /// The per-pod working directory (where files written by exec'd commands land).
    pub fn pod_dir(&self, namespace: &str, pod: &str) -> PathBuf {
        self.shared.pod_dir(namespace, pod)
    }

    /// The shared state, for in-crate helpers.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stop serving and wait for the server task to finish.
    pub async fn shutdown(mut self) {
        self.shared.cancel.cancel();
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
        for t in &self.tasks {
            t.abort();
        }
        let _ = std::fs::remove_dir_all(&self.shared.root);
    }
}

/// Create each scenario pod's working directory and shim directory.
fn prepare_pod_dirs(root: &Path, scenario: &Scenario) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    for p in &scenario.pods {
        std::fs::create_dir_all(root.join("pods").join(&p.namespace).join(&p.name))?;
        let bin = root.join("bin").join(&p.namespace).join(&p.name);
        std::fs::create_dir_all(&bin)?;
        for (name, body) in &p.shims {
            let path = bin.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
            }
        }
    }
    Ok(())
}
