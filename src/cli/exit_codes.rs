//! The exit codes each command can return, in one table. The man pages' EXIT STATUS sections are
//! generated from it, so a page lists only the codes its command can return, in words that fit
//! that command, and so is each `--help`'s `Exit codes:` paragraph (briefly). The numbers are
//! [`crate::error::code`]'s, which [`crate::error::Error::exit_code`] returns; this says what
//! they mean.

use crate::error::code;

/// A page name: `pxsnap` for the top page, else the subcommand.
type Page = &'static str;

/// Commands that freeze an application around a snapshot (the demo runs `snap`).
const FREEZING: &[Page] = &[
    "pxsnap",
    "snap",
    "cloud-snap",
    "group-snap",
    "apply",
    "demo",
];
/// Every page.
const ALL: &[Page] = &[
    "pxsnap",
    "snap",
    "cloud-snap",
    "group-snap",
    "apply",
    "clone",
    "list",
    "delete",
    "completions",
    "demo",
    "doctor",
];

/// One exit code and what it means on each page that can return it (first match wins): a brief
/// meaning for `--help`, and what the man page and README add to it.
struct Row {
    codes: &'static [i32],
    meanings: &'static [(&'static [Page], &'static str, &'static str)],
}

const TABLE: &[Row] = &[
    Row {
        codes: &[code::SUCCESS],
        meanings: &[
            (
                &["clone"],
                "success: every clone is Bound (or created, with --no-wait)",
                "",
            ),
            (
                &["list"],
                "success, also when nothing matched",
                " (a line on stderr says so)",
            ),
            (
                &["delete"],
                "success, also when nothing matched or the prompt was answered no",
                "",
            ),
            (&["completions"], "the script was printed", ""),
            (
                &["apply"],
                "success: every document's snapshot was taken",
                " (with --dry-run: every document checked and planned)",
            ),
            (
                &["doctor"],
                "nothing would fail: every check is ok or a warning",
                "",
            ),
            (ALL, "success", ""),
        ],
    },
    Row {
        codes: &[code::OTHER],
        meanings: &[
            (
                &["group-snap"],
                "other error",
                ": API server unreachable, kubeconfig, 401/403, no PVC matched the selector, a PVC not bound or not Portworx, no group snapshot API set up for them (STORK, CSI); nothing was frozen",
            ),
            (
                &["clone"],
                "other error",
                ": API server unreachable, kubeconfig, 401/403, snapshot missing or not Ready, namespace missing, cross-namespace clone not allowed, StorageClass missing, the clone did not bind",
            ),
            (
                &["list"],
                "API server unreachable, kubeconfig, 401/403, STORK not installed, or the list expired between two pages",
                " (410 Expired: the rows printed are incomplete; run it again)",
            ),
            (
                &["delete"],
                "a named snapshot was not found or a deletion failed",
                " (the others still went), or an API error",
            ),
            (
                &["demo"],
                "the simulated cluster could not start, or the snapshot failed for another reason",
                "",
            ),
            (
                &["apply"],
                "other error",
                ": API server unreachable, kubeconfig, 401/403, a PVC not bound or not Portworx, no snapshot API set up for it (STORK, CSI); with several documents, each code is the first failing document's",
            ),
            (
                &["doctor"],
                "a check failed",
                ": something would make the chosen subcommands fail (a check that timed out counts), or the kubeconfig cannot be used",
            ),
            (
                FREEZING,
                "other error",
                ": API server unreachable, kubeconfig, 401/403, PVC missing, not bound or not Portworx, no snapshot API set up for it (STORK, CSI)",
            ),
        ],
    },
    Row {
        codes: &[code::USAGE],
        meanings: &[
            (
                &["clone"],
                "usage error",
                ": bad flag or size, empty or invalid name, the new PVC's name is taken, --size smaller than the snapshot",
            ),
            (
                &["list"],
                "usage error",
                ": bad flag, empty or invalid name, malformed -l selector, conflicting filters",
            ),
            (
                &["delete"],
                "usage error",
                ": empty or invalid name, malformed -l selector, conflicting selections, retention flags without --pvc or -l, more than one deletion without --yes when stdin is not a terminal",
            ),
            (&["completions"], "usage error", ": unknown shell"),
            (
                &["apply"],
                "usage error",
                ": a file that does not parse, a document of another kind, a bad field or annotation, a missing PVC, Rule or class, a namespace that differs from -n, two documents naming one object (nothing was created); later, an ambiguous or unknown container or a name clash",
            ),
            (&["demo"], "usage error", ": bad flag"),
            (
                &["doctor"],
                "usage error",
                ": bad flag or duration, --for names no subcommand, -c without a PVC or -l, a selector that is not matchLabels, -o name",
            ),
            (
                &["group-snap"],
                "usage error",
                ": bad flag or duration, a selector STORK cannot express, ambiguous or unknown container, name clash",
            ),
            (
                FREEZING,
                "usage error",
                ": bad flag or duration, ambiguous or unknown container, name clash",
            ),
        ],
    },
    Row {
        codes: &[code::PRE_FAILED],
        meanings: &[(
            FREEZING,
            "a pre command failed or could not run, or a held command did not hold until the cut",
            " (also: pods/exec not allowed); nothing was snapshotted and the post commands ran",
        )],
    },
    Row {
        codes: &[code::SNAPSHOT_FAILED],
        meanings: &[
            (
                &["clone"],
                "the snapshot is in Error and cannot be cloned",
                "; take a new one",
            ),
            (
                &["group-snap"],
                "the group snapshot failed; the post commands ran",
                "",
            ),
            (FREEZING, "the snapshot failed; the post commands ran", ""),
        ],
    },
    Row {
        codes: &[code::TIMED_OUT],
        meanings: &[
            (
                &["clone"],
                "timed out waiting for the PVC to be Bound",
                " (or, with --wait-snapshot, for the snapshot), or an API call took longer than --timeout; a PVC already created is left in place",
            ),
            (
                &["list"],
                "an API call (one page of the list) took longer than --timeout",
                ", or the API server kept answering 429 Too Many Requests as long",
            ),
            (
                &["delete"],
                "an API call took longer than --timeout while choosing what to delete",
                ", or the API server kept answering 429 Too Many Requests as long (a deletion that times out is a failed one: 1)",
            ),
            (
                FREEZING,
                "timed out",
                ": the snapshot, or an API call, took longer than --timeout (or the API server kept answering 429 Too Many Requests that long); post commands ran in every frozen pod (a read that timed out before the freeze froze nothing)",
            ),
        ],
    },
    Row {
        codes: &[code::POST_FAILED],
        meanings: &[(FREEZING, "a post command failed; the snapshot exists", "")],
    },
    Row {
        codes: &[code::SIGINT, code::SIGTERM],
        meanings: &[
            (
                &["clone"],
                "interrupted by SIGINT or SIGTERM while waiting",
                "; what was created is left in place",
            ),
            (
                FREEZING,
                "interrupted by SIGINT or SIGTERM; the post commands ran first",
                "",
            ),
        ],
    },
];

/// One row as a page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// One code, or the codes that mean the same (130 and 143: which signal).
    pub codes: &'static [i32],
    /// A few words, for `--help`.
    pub brief: &'static str,
    /// What the man page and README say after the brief.
    pub more: &'static str,
}

impl Entry {
    /// The whole meaning, as the man page and README say it.
    pub fn meaning(&self) -> String {
        format!("{}{}", self.brief, self.more)
    }

    /// The codes as text, `separator` between them: `130, 143`.
    pub fn codes_text(&self, separator: &str) -> String {
        let codes: Vec<String> = self.codes.iter().map(i32::to_string).collect();
        codes.join(separator)
    }
}

/// The exit codes `page` can return and what each means there, in ascending order.
pub fn for_page(page: &str) -> Vec<Entry> {
    TABLE
        .iter()
        .filter_map(|row| {
            row.meanings
                .iter()
                .find(|(pages, _, _)| pages.contains(&page))
                .map(|(_, brief, more)| Entry {
                    codes: row.codes,
                    brief,
                    more,
                })
        })
        .collect()
}

/// The `Exit codes:` paragraph of `page`'s `--help`: each code with its brief meaning.
pub fn help(page: &str) -> String {
    let entries = for_page(page);
    let width = entries
        .iter()
        .map(|e| e.codes_text(", ").len())
        .max()
        .unwrap_or_default();
    let mut text = String::from("Exit codes:");
    for entry in entries {
        text.push_str(&format!(
            "\n  {:width$}  {}",
            entry.codes_text(", "),
            entry.brief
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The page names in the table are the real subcommands, and every page has a row for
    /// success and for clap's usage errors.
    #[test]
    fn every_page_is_a_command_with_success_and_usage_codes() {
        let cli = crate::cli::Cli::command();
        let mut commands: Vec<&str> = cli
            .get_subcommands()
            .map(|s| s.get_name())
            .filter(|n| *n != "help")
            .collect();
        commands.push("pxsnap");
        commands.sort_unstable();
        let mut pages = ALL.to_vec();
        pages.sort_unstable();
        assert_eq!(pages, commands);
        for row in TABLE {
            for (listed, _, _) in row.meanings {
                assert!(listed.iter().all(|p| ALL.contains(p)), "{listed:?}");
            }
        }
        for page in ALL {
            let codes: Vec<&[i32]> = for_page(page).into_iter().map(|e| e.codes).collect();
            assert!(
                codes.starts_with(&[&[0], &[1], &[2]]) || codes == [&[0], &[2]],
                "{page}: {codes:?}"
            );
        }
    }

    /// README's table is the top page's, word for word (Markdown's backticks aside), so the
    /// README cannot drift from `--help` and the man pages.
    #[test]
    fn readme_table_is_the_top_page() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let section = readme
            .split("\n## Exit codes\n")
            .nth(1)
            .expect("README has an Exit codes section");
        let rows: Vec<(String, String)> = section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2)
            .map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
                (cells[0].to_string(), cells[1..].join("|").replace('`', ""))
            })
            .collect();
        let table: Vec<(String, String)> = for_page("pxsnap")
            .iter()
            .map(|entry| (entry.codes_text(" / "), entry.meaning()))
            .collect();
        assert_eq!(rows, table);
    }

    #[test]
    fn pages_list_only_the_codes_their_command_returns() {
        let codes = |page| -> Vec<String> {
            for_page(page)
                .into_iter()
                .map(|e| e.codes_text(", "))
                .collect()
        };
        assert_eq!(codes("completions"), ["0", "2"]);
        assert_eq!(codes("list"), ["0", "1", "2", "5"]);
        assert_eq!(codes("delete"), ["0", "1", "2", "5"]);
        assert_eq!(codes("doctor"), ["0", "1", "2"]);
        assert_eq!(codes("clone"), ["0", "1", "2", "4", "5", "130, 143"]);
        assert_eq!(
            codes("snap"),
            ["0", "1", "2", "3", "4", "5", "6", "130, 143"]
        );
        assert!(for_page("clone")[3].brief.contains("Error"));
    }
}
