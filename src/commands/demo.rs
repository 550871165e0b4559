//! `pxsnap demo`: the main job against a simulated cluster started in-process, so a new user
//! sees pxsnap work with no cluster at all. The output is the real `snap` output; the simulator's
//! timeline then shows the ordering pxsnap guarantees.

use std::path::PathBuf;

use std::time::Duration;

use crate::backend::stork::{CloudOptions, SnapshotKind};
use crate::cli::{
    ApiArgs, ApiChoice as Api, DemoArgs, GlobalArgs, ReleaseArgs, ReleaseChoice, SnapshotOptions,
};
use crate::commands::snap::{SnapJob, SnapResult, run_job};
use crate::error::Error;
use crate::output::report::Outcome;
use crate::pipeline::run::HookOptions;
use crate::signals::Signals;
use pxsnap_sim::{Scenario, SimOptions, Simulator, TimelineEvent, TimelineKind};

const PVC: &str = "cassandra-data";
const PRE: &str = "nodetool flush";
const POST: &str = "echo thawed";
/// How long the simulated cloud upload takes: long enough to see the difference.
const CLOUD_UPLOAD_MS: u64 = 3000;

pub async fn run(global: &GlobalArgs, args: &DemoArgs, signals: &mut Signals) -> i32 {
    match demo(global, args, signals).await {
        Ok(code) => code,
        Err(err) => {
            crate::stderr::error_line(&err);
            err.exit_code()
        }
    }
}

async fn demo(global: &GlobalArgs, args: &DemoArgs, signals: &mut Signals) -> Result<i32, Error> {
    let mut scenario = Scenario::builtin("cassandra-csi")
        .ok_or_else(|| Error::Usage("the built-in cassandra-csi scenario is missing".into()))?;
    scenario.controller.cloud_snapshot_delay_ms = CLOUD_UPLOAD_MS;
    let sim = Simulator::start(SimOptions::new(scenario))
        .await
        .map_err(|e| Error::Api {
            context: "starting the simulated cluster".into(),
            message: e.to_string(),
        })?;
    let kubeconfig = kubeconfig_path();
    sim.write_kubeconfig(&kubeconfig)
        .map_err(|e| Error::Kubeconfig(format!("cannot write {}: {e}", kubeconfig.display())))?;
    let say = |line: String| {
        if !global.quiet {
            crate::stderr_line!("{}", console::style(line).for_stderr().dim());
        }
    };
    say(format!(
        "demo: simulated cluster (pxsnap-sim) at {}, kubeconfig {}",
        sim.server_url(),
        kubeconfig.display()
    ));
    say(format!(
        "demo: $ pxsnap snap {PVC} --name demo --pre {PRE:?} --post {POST:?}\n"
    ));

    let demo_global = GlobalArgs {
        kubeconfig: Some(kubeconfig.clone()),
        context: None,
        namespace: Some("default".into()),
        ..global.clone()
    };
    // The main job: on CSI volumes, `--api auto` takes a CSI snapshot.
    let code = demo_snap(
        &demo_global,
        "demo",
        Api::Auto,
        SnapshotKind::Local,
        signals,
    )
    .await
    .finish(global.output);
    say(String::new());
    for line in timeline_story(&sim.timeline()) {
        say(format!("demo: {line}"));
    }
    if code != 0 {
        return Ok(code);
    }
    // Why the API matters for cloud snapshots: CSI shows the cut, STORK's API does not.
    say(format!(
        "\ndemo: the same as a cloud snapshot (a {} s upload), through each API:",
        CLOUD_UPLOAD_MS / 1000
    ));
    let mut freezes = Vec::new();
    for (api, name) in [
        (Api::Auto, "demo-cloud-csi"),
        (Api::Stork, "demo-cloud-stork"),
    ] {
        let line = match api {
            Api::Stork => "cloud-snap --api stork",
            _ => "cloud-snap",
        };
        say(format!(
            "demo: $ pxsnap {line} {PVC} --name {name} --pre {PRE:?} --post {POST:?}\n"
        ));
        let kind = SnapshotKind::Cloud(CloudOptions::default());
        let outcome = demo_snap(&demo_global, name, api, kind, signals).await;
        let frozen = outcome.result.freeze.as_ref().map_or(0, |f| f.duration_ms);
        freezes.push((outcome.result.snapshot.api_version.clone(), frozen));
        let code = outcome.finish(global.output);
        if code != 0 {
            return Ok(code);
        }
    }
    for (api, frozen) in freezes {
        say(format!(
            "demo: through {api}: the application was frozen {frozen} ms"
        ));
    }
    if args.keep_running {
        say(format!(
            "demo: the simulated cluster stays up; try\n  kubectl --kubeconfig {0} get svs\n  pxsnap --kubeconfig {0} snap {PVC} --pre {PRE:?}\ndemo: press Ctrl-C to stop it",
            kubeconfig.display()
        ));
        signals.recv().await;
    }
    sim.shutdown().await;
    let _ = std::fs::remove_file(&kubeconfig);
    Ok(code)
}

/// `snap` (or `cloud-snap`) of the demo PVC with the demo's commands, through `api`, named
/// `name` (one process takes several: default names made in the same second would clash).
async fn demo_snap(
    global: &GlobalArgs,
    name: &str,
    api: Api,
    kind: SnapshotKind,
    signals: &mut Signals,
) -> Outcome<SnapResult> {
    let hooks = HookOptions {
        pre: vec![PRE.into()],
        hold: Vec::new(),
        hold_timeout: Duration::from_secs(300),
        post: vec![POST.into()],
        container: None,
        hook_timeout: Duration::from_secs(60),
        allow_no_pods: false,
        parallel: 32,
        pre_rule: None,
        post_rule: None,
        force: false,
    };
    let options = SnapshotOptions {
        name: Some(name.to_string()),
        no_wait: false,
        force: false,
        dry_run: false,
        labels: Vec::new(),
        keep_failed: false,
        class: None,
        api: ApiArgs {
            api,
            release: ReleaseArgs {
                cut_timeout: Duration::from_secs(60),
                release_at: ReleaseChoice::Cut,
            },
        },
    };
    let job = SnapJob {
        pvc: PVC,
        hooks,
        kind,
        timeout: Duration::from_secs(60),
        options: &options,
        heartbeat: None,
        annotations: Default::default(),
    };
    run_job(global, &job, signals).await
}

fn kubeconfig_path() -> PathBuf {
    std::env::temp_dir().join(format!("pxsnap-demo-{}.kubeconfig", std::process::id()))
}

/// The timeline in words: each command's start and end, and the cut. A command that starts
/// before the cut is a pre command, after it a post command — the ordering that makes the
/// snapshot consistent.
fn timeline_story(events: &[TimelineEvent]) -> Vec<String> {
    let mut lines = vec!["timeline recorded by the simulator:".to_string()];
    let mut cut_seen = false;
    for event in events {
        let at = format!("{:>8.1} ms", event.at_ns as f64 / 1_000_000.0);
        let pod = event.pod.as_deref().unwrap_or_default();
        let command = event
            .command
            .as_ref()
            .map(|c| c.join(" "))
            .unwrap_or_default();
        let phase = if cut_seen { "post" } else { "pre" };
        let line = match event.kind {
            TimelineKind::ExecStart => {
                format!("{at}  {phase} command started in pod {pod}: {command}")
            }
            TimelineKind::ExecEnd => format!(
                "{at}  {phase} command ended in pod {pod} (exit {})",
                event.exit_code.map_or("-".to_string(), |c| c.to_string())
            ),
            TimelineKind::SnapshotCut => {
                cut_seen = true;
                format!(
                    "{at}  snapshot cut: {}",
                    event.object.as_deref().unwrap_or_default()
                )
            }
            TimelineKind::SnapshotReady => format!("{at}  snapshot Ready"),
            _ => continue,
        };
        lines.push(line);
    }
    lines
}
