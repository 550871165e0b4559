//! Rendering results: a table for people, JSON/YAML for scripts, `-o name` for piping.
//!
//! Results go to stdout and nothing else does; warnings, progress and errors go to stderr, so
//! `pxsnap snap ... -o json | jq` always sees one clean document.

use std::io::Write;

use serde::Serialize;
use tabled::settings::{Padding, Style};
use tabled::{Table, Tabled};

use crate::cli::OutputFormat;
use crate::duration::human;
use crate::error::{Error, Step};
use crate::pipeline::hooks::HookRecord;
use crate::pipeline::hooks::RuleRef;
use crate::pipeline::locate::Located;
use crate::pipeline::rules::RuleStage;
use crate::pipeline::run::HookOptions;

/// The `error` member of every JSON result: which step failed and the message printed on stderr.
#[derive(Debug, Serialize)]
pub struct ErrorReport {
    pub step: Step,
    pub message: String,
}

/// A result document with an `error` member, so every exit path can end the same way.
pub trait Fallible: Sized {
    fn error_mut(&mut self) -> &mut Option<ErrorReport>;

    /// Records `error` in the document (step and message, as printed on stderr) and ends the
    /// run with it.
    fn fail(mut self, step: Step, error: Error) -> Outcome<Self> {
        *self.error_mut() = Some(ErrorReport {
            step,
            message: error.to_string(),
        });
        Outcome {
            result: self,
            error: Some(error),
            plan: None,
        }
    }
}

/// A finished run: the result to print and the error that decides the exit code.
pub struct Outcome<R> {
    pub result: R,
    pub error: Option<Error>,
    /// A dry run's plan ([`render_plan`]). It is printed instead of the result, so stdout holds
    /// one document: a second (the `Planned` result) would break `json.loads`, repeat YAML
    /// keys, and print a `-o name` line that reads as if the object had been created.
    pub plan: Option<Rendered>,
}

impl<R> Outcome<R> {
    /// A run that ended without an error.
    pub fn ok(result: R) -> Outcome<R> {
        Outcome {
            result,
            error: None,
            plan: None,
        }
    }

    /// A dry run that ended with `plan` (see [`Outcome::plan`]).
    pub fn planned(result: R, plan: Rendered) -> Outcome<R> {
        Outcome {
            plan: Some(plan),
            ..Outcome::ok(result)
        }
    }
}

impl<R: Report> Outcome<R> {
    /// Prints the result (or a dry run's plan in its place) on stdout and the error (if any) as
    /// one line on stderr; returns the exit code.
    pub fn finish(self, format: OutputFormat) -> i32 {
        match self.plan {
            Some(plan) => write_stdout(&plan.render(format)),
            None => emit(format, &self.result),
        }
        exit_code(self.error)
    }
}

/// Prints the error (if any) as one line on stderr and returns the exit code; for commands that
/// stream their result instead of returning one object.
pub fn exit_code(error: Option<Error>) -> i32 {
    match error {
        None => crate::error::code::SUCCESS,
        Some(err) => {
            crate::stderr::error_line(&err);
            err.exit_code()
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

/// Writes the result in the chosen format.
pub fn emit(format: OutputFormat, report: &impl Report) {
    write_stdout(&render(format, report));
}

/// The result as text in the chosen format.
fn render(format: OutputFormat, report: &impl Report) -> String {
    match format {
        OutputFormat::Table | OutputFormat::Wide => report.table(),
        OutputFormat::Json => serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .unwrap_or_default(),
        OutputFormat::Yaml => {
            crate::output::kubectl_yaml::document_in_order(report).unwrap_or_default()
        }
        OutputFormat::Name => report.names().iter().map(|n| format!("{n}\n")).collect(),
    }
}

/// A document rendered once for every output format, so that the documents of one run
/// (`apply -f`) print as the items of one list, each as it would print alone.
pub struct Rendered {
    /// `-o json`, as the document prints alone (its members in their logical order).
    json: String,
    table: String,
    names: Vec<String>,
}

impl Rendered {
    pub fn of(report: &impl Report) -> Rendered {
        Rendered {
            json: render(OutputFormat::Json, report),
            table: report.table(),
            names: report.names(),
        }
    }

    /// The document in `format`, as [`emit`] prints a report.
    pub fn render(&self, format: OutputFormat) -> String {
        match format {
            OutputFormat::Table | OutputFormat::Wide => self.table.clone(),
            OutputFormat::Json => self.json.clone(),
            OutputFormat::Yaml => {
                crate::output::kubectl_yaml::document_from_json(&self.json).unwrap_or_default()
            }
            OutputFormat::Name => self.names.iter().map(|n| format!("{n}\n")).collect(),
        }
    }
}

/// Several documents in `format`: for `-o json|yaml` one `List` whose items are the documents
/// (one shape for scripts, whatever the count); tables one after another with a blank line
/// between them; `-o name` lines in order.
pub fn render_list(format: OutputFormat, items: &[Rendered]) -> String {
    match format {
        OutputFormat::Table | OutputFormat::Wide => items
            .iter()
            .map(|item| item.table.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        OutputFormat::Name => items.iter().map(|item| item.render(format)).collect(),
        OutputFormat::Json => list_json(items),
        OutputFormat::Yaml => {
            crate::output::kubectl_yaml::document_from_json(&list_json(items)).unwrap_or_default()
        }
    }
}

/// `{"kind": "List", "items": [...]}` laid out as serde_json's pretty printer would, each item
/// indented as a member of the list. Written from the items' text, which keeps their members
/// in order (a `serde_json::Value` would sort them).
fn list_json(items: &[Rendered]) -> String {
    let mut text = String::from("{\n  \"kind\": \"List\",\n  \"items\": [");
    for (index, item) in items.iter().enumerate() {
        text.push_str(if index == 0 { "\n" } else { ",\n" });
        let lines: Vec<String> = item
            .json
            .trim_end()
            .lines()
            .map(|line| format!("    {line}"))
            .collect();
        text.push_str(&lines.join("\n"));
    }
    text.push_str(match items.is_empty() {
        true => "]\n}\n",
        false => "\n  ]\n}\n",
    });
    text
}

/// A failure to write stdout (a closed pipe) is not worth a second error message.
pub fn write_stdout(text: &str) {
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
    table.with(Style::blank()).with(Padding::new(0, 2, 0, 0));
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
    /// The Rule action it comes from, if a Rule gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a RuleRef>,
    #[serde(skip)]
    pvcs: &'a [String],
}

/// What a dry run would do: every command in every target, and the object. It is returned
/// rather than printed, for [`Outcome::planned`] to print in place of the result.
pub fn render_plan<'a, O: Serialize>(
    kind: &'static str,
    located: &'a Located,
    hooks: &'a HookOptions,
    object: &O,
    name: String,
) -> Rendered {
    let given = |phase: &'static str, commands: &'a [String]| {
        located.targets.iter().flat_map(move |t| {
            commands.iter().map(move |c| PlannedHook {
                phase,
                pod: &t.pod,
                container: &t.container,
                command: c,
                rule: None,
                pvcs: &t.pvcs,
            })
        })
    };
    let ruled = |phase: &'static str, stages: &'a [RuleStage], background: bool| {
        stages
            .iter()
            .filter(move |s| s.background == background)
            .flat_map(move |s| {
                s.targets.iter().map(move |t| PlannedHook {
                    phase,
                    pod: &t.pod,
                    container: &t.container,
                    command: &s.command,
                    rule: Some(&s.rule),
                    pvcs: &t.pvcs,
                })
            })
    };
    let rules = &located.rules;
    let planned: Vec<PlannedHook> = ruled("pre", &rules.pre, false)
        .chain(given("pre", &hooks.pre))
        .chain(given("hold", &hooks.hold))
        .chain(ruled("hold", &rules.pre, true))
        .chain(given("post", &hooks.post))
        .chain(ruled("post", &rules.post, false))
        .collect();
    let plan = PlanReport {
        kind,
        hooks: planned,
        object,
        name,
    };
    Rendered::of(&plan)
}

impl<O: Serialize> Report for PlanReport<'_, O> {
    fn table(&self) -> String {
        let mut text = String::from("Dry run: nothing will be changed.\n\n");
        for hook in &self.hooks {
            let from = match hook.rule {
                Some(rule) => rule.to_string(),
                None => format!("PVC {}", hook.pvcs.join(",")),
            };
            text.push_str(&format!(
                "{:<4}  {from} -> pod {} -> container {} -> sh -c {:?}\n",
                hook.phase, hook.pod, hook.container, hook.command
            ));
        }
        text.push_str("\nWould create:\n");
        text.push_str(&object_yaml(self.object));
        text
    }

    fn names(&self) -> Vec<String> {
        vec![format!("{} (dry run)", self.name)]
    }
}

/// An API object as `kubectl get -o yaml` would print it.
pub fn object_yaml(object: &impl Serialize) -> String {
    serde_json::to_value(object)
        .map(|value| crate::output::kubectl_yaml::document(&value))
        .unwrap_or_default()
}

/// Columns are this many spaces apart, as kubectl's tabwriter pads them.
const COLUMN_GAP: usize = 3;

/// A kubectl-look table written page by page, for lists too long to hold in memory.
///
/// kubectl aligns each chunk of a paged list on its own. This writer does the same but never lets
/// a column shrink: a page is padded to the widest cell seen so far (the header included), so a
/// column only moves right when a later page has a longer value, and never back.
pub struct StreamingTable {
    headers: Vec<&'static str>,
    widths: Vec<usize>,
    header_written: bool,
}

impl StreamingTable {
    pub fn new(headers: Vec<&'static str>) -> StreamingTable {
        let widths = headers.iter().map(|h| h.chars().count()).collect();
        StreamingTable {
            headers,
            widths,
            header_written: false,
        }
    }

    /// Renders one page of rows (the header before the first page). Every row has one cell per
    /// header.
    pub fn page<R: AsRef<[String]>>(&mut self, rows: &[R]) -> String {
        for row in rows {
            for (width, cell) in self.widths.iter_mut().zip(row.as_ref()) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        if !self.header_written {
            self.header_written = true;
            let headers: Vec<&str> = self.headers.clone();
            self.push_line(&mut text, &headers);
        }
        for row in rows {
            self.push_line(&mut text, row.as_ref());
        }
        text
    }

    fn push_line<S: AsRef<str>>(&self, text: &mut String, cells: &[S]) {
        let last = cells.len().saturating_sub(1);
        for (index, (cell, width)) in cells.iter().zip(&self.widths).enumerate() {
            let cell = cell.as_ref();
            text.push_str(cell);
            if index < last {
                let pad = width - cell.chars().count() + COLUMN_GAP;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn streaming_table_aligns_and_never_shrinks() {
        let mut table = StreamingTable::new(vec!["NAME", "AGE"]);
        let first = table.page(&[row(&["a", "5d"]), row(&["bbbbbb", "3h"])]);
        assert_eq!(first, "NAME     AGE\na        5d\nbbbbbb   3h\n");
        // A later page with shorter names keeps the width; a longer one widens it.
        assert_eq!(table.page(&[row(&["c", "1s"])]), "c        1s\n");
        assert_eq!(table.page(&[row(&["dddddddd", "2m"])]), "dddddddd   2m\n");
        assert_eq!(table.page::<Vec<String>>(&[]), "");
    }
}
