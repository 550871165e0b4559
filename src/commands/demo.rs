//! `pxsnap demo`: the main job against a simulated cluster started in-process, so a new user
//! sees pxsnap work with no cluster at all. The output is the real `snap` output; the simulator's
//! timeline then shows the ordering pxsnap guarantees.

use std::path::PathBuf;

use crate::cli::{ApiArgs, ApiChoice, DemoArgs, GlobalArgs, ReleaseChoice, SnapshotOptions};
use crate::commands::snap::{SnapJob, run_job};
use crate::error::Error;
use crate::pipeline::run::HookOptions;
use crate::signals::Signals;
use pxsnap_sim::{Scenario, SimOptions, Simulator, TimelineEvent, TimelineKind};

const PVC: &str = "cassandra-data";
const PRE: &str = "nodetool flush";
const POST: &str = "echo thawed";

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
    let scenario = Scenario::builtin("cassandra")
        .ok_or_else(|| Error::Usage("the built-in cassandra scenario is missing".into()))?;
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
        "demo: $ pxsnap snap {PVC} --pre {PRE:?} --post {POST:?}\n"
    ));

    let demo_global = GlobalArgs {
        kubeconfig: Some(kubeconfig.clone()),
        context: None,
        namespace: Some("default".into()),
        ..global.clone()
    };
    let hooks = HookOptions {
        pre: vec![PRE.into()],
        hold: Vec::new(),
        hold_timeout: std::time::Duration::from_secs(300),
        post: vec![POST.into()],
        container: None,
        hook_timeout: std::time::Duration::from_secs(60),
        allow_no_pods: false,
        parallel: 32,
    };
    let job = SnapJob {
        pvc: PVC,
        hooks,
        kind: crate::backend::stork::SnapshotKind::Local,
        timeout: std::time::Duration::from_secs(60),
        options: &SnapshotOptions {
            name: None,
            no_wait: false,
            force: false,
            dry_run: false,
            labels: Vec::new(),
            keep_failed: false,
            class: None,
            api: ApiArgs {
                api: ApiChoice::Stork,
                cut_timeout: std::time::Duration::from_secs(60),
                release_at: ReleaseChoice::Cut,
            },
        },
        heartbeat: None,
    };
    let code = run_job(&demo_global, &job, signals)
        .await
        .finish(global.output);

    say(String::new());
    for line in timeline_story(&sim.timeline()) {
        say(format!("demo: {line}"));
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
