//! The doctor's result: one line per check, the permissions table, and how it is shown.

use serde::Serialize;
use tabled::{Table, Tabled};

use crate::error::Error;
use crate::k8s::permissions::Subcommand;
use crate::output::report::{Report, plain_table};

/// How a check came out. Only `fail` makes `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Worth knowing or fixing; the chosen subcommands work without it.
    Warn,
    /// One of the chosen subcommands would fail (a check that timed out counts here too).
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check. `id` is stable, for scripts: `jq '.checks[] | select(.id == "rbac.pods-exec")'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub id: String,
    /// What the check is about when it repeats (a PVC of a selection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub status: Status,
    pub message: String,
    /// What to do about it; every check that is not `ok` has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(id: impl Into<String>, message: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            subject: None,
            status: Status::Ok,
            message: message.into(),
            fix: None,
        }
    }

    pub fn warn(
        id: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Check::ok(id, message)
        }
    }

    pub fn fail(
        id: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            status: Status::Fail,
            ..Check::warn(id, message, fix)
        }
    }

    /// `fail` or `warn`, as `required` says.
    pub fn problem(
        id: impl Into<String>,
        required: bool,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        match required {
            true => Check::fail(id, message, fix),
            false => Check::warn(id, message, fix),
        }
    }

    /// A request that went wrong: a timeout or any error fails the check, with what to do
    /// about that kind of error.
    pub fn error(id: impl Into<String>, what: &str, error: &Error) -> Check {
        Check::fail(id, format!("{what}: {error}"), fix_for(error))
    }

    pub fn about(self, subject: impl Into<String>) -> Check {
        Check {
            subject: Some(subject.into()),
            ..self
        }
    }
}

/// What to do about a failed request, by kind of failure.
fn fix_for(error: &Error) -> String {
    match error {
        Error::Timeout { .. } => {
            "the API server is slow or overloaded: try again, or raise --timeout".to_string()
        }
        Error::Unreachable { .. } => {
            "check the server in the kubeconfig and that the cluster is up (kubectl cluster-info)"
                .to_string()
        }
        Error::Unauthorized => {
            "log in again, or check the user of the kubeconfig's context".to_string()
        }
        Error::Forbidden { .. } => {
            "grant the rule (see the rbac.* checks and rbac/ for the manifests)".to_string()
        }
        _ => {
            "retry; if it persists, the message above says what the API server refused".to_string()
        }
    }
}

/// One access review: may the user do `verb` on `resource` (there)?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    pub verb: &'static str,
    /// As kubectl names it: `plural.group`, or `plural` in the core group.
    pub resource: String,
    /// `None` for cluster-scoped resources.
    pub namespace: Option<String>,
    /// `None` when the review itself failed (the `rbac.*` check says why).
    pub allowed: Option<bool>,
    pub needed_by: Vec<Subcommand>,
}

/// The `-o json` document of `doctor`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub kind: &'static str,
    /// The subcommands checked for.
    #[serde(rename = "for")]
    pub for_: Vec<Subcommand>,
    pub checks: Vec<Check>,
    pub permissions: Vec<Access>,
    pub summary: Summary,
}

/// How many checks came out each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
}

impl DoctorReport {
    pub fn new(subcommands: &[Subcommand]) -> DoctorReport {
        DoctorReport {
            kind: "DoctorReport",
            for_: subcommands.to_vec(),
            checks: Vec::new(),
            permissions: Vec::new(),
            summary: Summary::default(),
        }
    }

    pub fn push(&mut self, check: Check) {
        match check.status {
            Status::Ok => self.summary.ok += 1,
            Status::Warn => self.summary.warn += 1,
            Status::Fail => self.summary.fail += 1,
        }
        self.checks.push(check);
    }

    pub fn extend(&mut self, checks: impl IntoIterator<Item = Check>) {
        checks.into_iter().for_each(|c| self.push(c));
    }

    /// The run's error when a check failed: one line naming them, for the log and exit 1.
    pub fn verdict(&self) -> Option<Error> {
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| match &c.subject {
                Some(subject) => format!("{} ({subject})", c.id),
                None => c.id.clone(),
            })
            .collect();
        (!failed.is_empty()).then(|| Error::ChecksFailed {
            failed: failed.len(),
            total: self.checks.len(),
            ids: failed.join(", "),
        })
    }
}

#[derive(Tabled)]
struct CheckRow {
    #[tabled(rename = "CHECK")]
    id: String,
    #[tabled(rename = "STATUS")]
    status: &'static str,
    #[tabled(rename = "MESSAGE")]
    message: String,
}

#[derive(Tabled)]
struct AccessRow {
    #[tabled(rename = "VERB")]
    verb: &'static str,
    #[tabled(rename = "RESOURCE")]
    resource: String,
    #[tabled(rename = "NAMESPACE")]
    namespace: String,
    #[tabled(rename = "ALLOWED")]
    allowed: &'static str,
    #[tabled(rename = "NEEDED BY")]
    needed_by: String,
}

/// A check's line, and under it the line that says what to do.
fn check_rows(check: &Check) -> Vec<CheckRow> {
    let message = match &check.subject {
        Some(subject) => format!("{subject}: {}", check.message),
        None => check.message.clone(),
    };
    let mut rows = vec![CheckRow {
        id: check.id.clone(),
        status: check.status.label(),
        message,
    }];
    if let Some(fix) = &check.fix {
        rows.push(CheckRow {
            id: String::new(),
            status: "",
            message: format!("fix: {fix}"),
        });
    }
    rows
}

fn access_row(access: &Access) -> AccessRow {
    AccessRow {
        verb: access.verb,
        resource: access.resource.clone(),
        namespace: access
            .namespace
            .clone()
            .unwrap_or_else(|| "(cluster)".to_string()),
        allowed: match access.allowed {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        },
        needed_by: access
            .needed_by
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl Report for DoctorReport {
    fn table(&self) -> String {
        let rows: Vec<CheckRow> = self.checks.iter().flat_map(check_rows).collect();
        let mut text = plain_table(Table::new(rows));
        if !self.permissions.is_empty() {
            text.push('\n');
            text.push_str(&plain_table(Table::new(
                self.permissions.iter().map(access_row),
            )));
        }
        let s = self.summary;
        text.push_str(&format!(
            "\n{} ok, {} warn, {} fail\n",
            s.ok, s.warn, s.fail
        ));
        text
    }

    /// `doctor` refuses `-o name` before it runs; nothing has a name to print.
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_lower_case_and_fixes_follow_their_check() {
        let mut report = DoctorReport::new(&[Subcommand::Snap]);
        report.push(Check::ok("connection.server", "v1.33.0"));
        report.push(Check::fail("rbac.pods", "list pods: no", "grant it").about("db"));
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["checks"][1]["status"], "fail");
        assert_eq!(json["for"][0], "snap");
        assert_eq!(json["summary"]["fail"], 1);
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[2].starts_with("rbac.pods") && lines[2].contains("db: list pods: no"));
        assert!(
            lines[3].trim_start().starts_with("fix: grant it"),
            "{table}"
        );
        let verdict = report.verdict().expect("a check failed").to_string();
        assert!(verdict.contains("rbac.pods (db)"), "{verdict}");
    }
}
