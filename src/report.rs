//! Rendering results: a table for people, JSON/YAML for scripts, `-o name` for piping.
//!
//! Results go to stdout and nothing else does; warnings, progress and errors go to stderr, so
//! `pxsnap snap ... -o json | jq` always sees one clean document.

use std::io::Write;

use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::cli::{HookArgs, OutputFormat};
use crate::duration::human;
use crate::error::{Error, Step};
use crate::hooks::HookRecord;
use crate::locate::Located;

/// The `error` member of every JSON result: which step failed and the message printed on stderr.
#[derive(Debug, Serialize)]
pub struct ErrorReport {
    pub step: Step,
    pub message: String,
}

/// A finished run: the result to print and the error that decides the exit code.
pub struct Outcome<R> {
    pub result: R,
    pub error: Option<Error>,
}

impl<R: Report> Outcome<R> {
    /// Prints the result on stdout and the error (if any) as one line on stderr; returns the
    /// exit code.
    pub fn finish(self, format: OutputFormat) -> i32 {
        emit(format, &self.result);
        match self.error {
            None => 0,
            Some(err) => {
                eprintln!(
                    "{} {err}",
                    console::style("error:").for_stderr().red().bold()
                );
                err.exit_code()
            }
        }
    }
}

/// A result that can be shown in every output format.
pub trait Report: Serialize {
    /// The human-readable rendering.
    fn table(&self) -> String;
    /// `-o name` lines, `resource.group/name` as kubectl prints them.
    fn names(&self) -> Vec<String>;
}

/// Prints a warning line on stderr (above the spinner, if one is drawn).
pub fn warn(progress: &crate::progress::Progress, message: &str) {
    progress.println(&format!(
        "{} {message}",
        console::style("warning:").for_stderr().yellow().bold()
    ));
}

/// Writes the result in the chosen format. A failure to write stdout (a closed pipe) is not
/// worth a second error message.
pub fn emit(format: OutputFormat, report: &impl Report) {
    let text = match format {
        OutputFormat::Table => report.table(),
        OutputFormat::Json => serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .unwrap_or_default(),
        OutputFormat::Yaml => serde_norway::to_string(report).unwrap_or_default(),
        OutputFormat::Name => report.names().iter().map(|n| format!("{n}\n")).collect(),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[derive(Tabled)]
struct HookRow {
    #[tabled(rename = "PHASE")]
    phase: &'static str,
    #[tabled(rename = "POD")]
    pod: String,
    #[tabled(rename = "CONTAINER")]
    container: String,
    #[tabled(rename = "EXIT")]
    exit: String,
    #[tabled(rename = "DURATION")]
    duration: String,
    #[tabled(rename = "COMMAND")]
    command: String,
}

/// One row per hook run: phase, pod, container, exit code, duration.
pub fn hooks_table(records: &[HookRecord]) -> String {
    let rows = records.iter().map(|r| HookRow {
        phase: r.phase.label(),
        pod: r.pod.clone(),
        container: r.container.clone(),
        exit: match (r.exit_code, &r.error) {
            (Some(code), _) => code.to_string(),
            (None, Some(err)) if err.starts_with("timed out") => "timeout".to_string(),
            (None, _) => "-".to_string(),
        },
        duration: human(std::time::Duration::from_millis(r.duration_ms)),
        command: r.command.clone(),
    });
    plain_table(Table::new(rows))
}

/// kubectl's look: no borders, columns separated by spaces.
pub fn plain_table(mut table: Table) -> String {
    table.with(Style::blank());
    let mut text = table.to_string();
    // tabled pads every line to the full width; kubectl does not.
    text = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    text
}

/// Key/value lines for the summary block above the hooks table.
pub fn summary(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}

/// The `--dry-run` document: PVC → pod → container → command, and the object to be created.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanReport<'a, O: Serialize> {
    kind: &'static str,
    hooks: Vec<PlannedHook<'a>>,
    object: &'a O,
    /// The `-o name` line of the object, `resource.group/name`.
    #[serde(skip)]
    name: String,
}

#[derive(Serialize)]
struct PlannedHook<'a> {
    phase: &'static str,
    pod: &'a str,
    container: &'a str,
    command: &'a str,
    #[serde(skip)]
    pvcs: &'a [String],
}

/// Prints what a dry run would do: every command in every target, and the object.
pub fn print_plan<O: Serialize>(
    format: OutputFormat,
    kind: &'static str,
    located: &Located,
    hooks: &HookArgs,
    object: &O,
    name: String,
) {
    let phases = [("pre", &hooks.pre), ("post", &hooks.post)];
    let planned: Vec<PlannedHook> = phases
        .iter()
        .flat_map(|(phase, commands)| {
            located.targets.iter().flat_map(move |t| {
                commands.iter().map(move |c| PlannedHook {
                    phase,
                    pod: &t.pod,
                    container: &t.container,
                    command: c,
                    pvcs: &t.pvcs,
                })
            })
        })
        .collect();
    let plan = PlanReport {
        kind,
        hooks: planned,
        object,
        name,
    };
    emit(format, &plan);
}

impl<O: Serialize> Report for PlanReport<'_, O> {
    fn table(&self) -> String {
        let mut text = String::from("Dry run: nothing will be changed.\n\n");
        for hook in &self.hooks {
            text.push_str(&format!(
                "{:<4}  PVC {} -> pod {} -> container {} -> sh -c {:?}\n",
                hook.phase,
                hook.pvcs.join(","),
                hook.pod,
                hook.container,
                hook.command
            ));
        }
        text.push_str("\nWould create:\n");
        text.push_str(&serde_norway::to_string(self.object).unwrap_or_default());
        text
    }

    fn names(&self) -> Vec<String> {
        vec![format!("{} (dry run)", self.name)]
    }
}
