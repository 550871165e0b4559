//! Starts pxsnap-sim in-process on its own runtime, so a test can run the real pxsnap binary
//! synchronously against it and read the timeline, request log and objects afterwards.
//! (Stand-in until the simulator branch ships tests/common; same calls.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use pxsnap::sim::{RequestRecord, Scenario, SimOptions, Simulator, TimelineEvent};

pub struct Sim {
    runtime: tokio::runtime::Runtime,
    sim: Option<Simulator>,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sim {
    pub fn start(scenario: Scenario) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sim = runtime
            .block_on(Simulator::start(SimOptions::new(scenario)))
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
        Sim {
            runtime,
            sim: Some(sim),
            kubeconfig,
            _dir: dir,
        }
    }

    fn sim(&self) -> &Simulator {
        self.sim.as_ref().expect("running")
    }

    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.sim().timeline()
    }

    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.sim().request_log()
    }

    /// Lists objects of kind `K` in `namespace` with a kube client, as any client would.
    pub fn list<K>(&self, namespace: &str) -> Vec<K>
    where
        K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
    {
        let kubeconfig = self.kubeconfig.clone();
        self.runtime.block_on(async move {
            let config = kube::config::Kubeconfig::read_from(&kubeconfig).expect("read");
            let config = kube::Config::from_custom_kubeconfig(config, &Default::default())
                .await
                .expect("config");
            let client = kube::Client::try_from(config).expect("client");
            let api: kube::Api<K> = kube::Api::namespaced(client, namespace);
            api.list(&Default::default()).await.expect("list").items
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}
