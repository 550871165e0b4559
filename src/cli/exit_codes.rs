//! The exit codes each command can return, in one table. The man pages' EXIT STATUS sections are
//! generated from it, so a page lists only the codes its command can return, in words that fit
//! that command. [`crate::error::Error::exit_code`] is what decides a code; this says what it means.

/// A page name: `pxsnap` for the top page, else the subcommand.
type Page = &'static str;

/// Commands that freeze an application around a snapshot (the demo runs `snap`).
const FREEZING: &[Page] = &["pxsnap", "snap", "cloud-snap", "group-snap", "demo"];
/// Every page.
const ALL: &[Page] = &[
    "pxsnap",
    "snap",
    "cloud-snap",
    "group-snap",
    "clone",
    "list",
    "delete",
    "completions",
    "demo",
    "doctor",
];

/// One exit code and what it means on each page that can return it (first match wins).
struct Row {
    code: &'static str,
    meanings: &'static [(&'static [Page], &'static str)],
}

const TABLE: &[Row] = &[
    Row {
        code: "0",
        meanings: &[
            (
                &["clone"],
                "success: every clone is Bound (or created, with --no-wait)",
            ),
            (
                &["list"],
                "success, also when nothing matched (a line on stderr says so)",
            ),
            (
                &["delete"],
                "success, also when nothing matched or the prompt was answered no",
            ),
            (&["completions"], "the script was printed"),
            (
                &["doctor"],
                "nothing would fail: every check is ok or a warning",
            ),
            (ALL, "success"),
        ],
    },
    Row {
        code: "1",
        meanings: &[
            (
                &["group-snap"],
                "other error: API server unreachable, kubeconfig, 401/403, no PVC matched the selector, a PVC not bound or not Portworx, STORK not installed; nothing was frozen",
            ),
            (
                &["clone"],
                "other error: API server unreachable, kubeconfig, 401/403, snapshot missing or not Ready, namespace missing, cross-namespace clone not allowed, StorageClass missing, the clone did not bind",
            ),
            (
                &["list"],
                "API server unreachable, kubeconfig, 401/403, STORK not installed, or the list expired between two pages (410 Expired: the rows printed are incomplete; run it again)",
            ),
            (
                &["delete"],
                "a named snapshot was not found or a deletion failed (the others still went), or an API error",
            ),
            (
                &["demo"],
                "the simulated cluster could not start, or the snapshot failed for another reason",
            ),
            (
                &["doctor"],
                "a check failed: something would make the chosen subcommands fail (a check that timed out counts), or the kubeconfig cannot be used",
            ),
            (
                FREEZING,
                "other error: API server unreachable, kubeconfig, 401/403, PVC missing, not bound or not Portworx, STORK not installed",
            ),
        ],
    },
    Row {
        code: "2",
        meanings: &[
            (
                &["clone"],
                "usage error: bad flag or size, empty or invalid name, the new PVC's name is taken, --size smaller than the snapshot",
            ),
            (
                &["list"],
                "usage error: bad flag, empty or invalid name, malformed -l selector, conflicting filters",
            ),
            (
                &["delete"],
                "usage error: empty or invalid name, malformed -l selector, conflicting selections, retention flags without --pvc or -l, more than one deletion without --yes when stdin is not a terminal",
            ),
            (&["completions"], "usage error: unknown shell"),
            (&["demo"], "usage error: bad flag"),
            (
                &["doctor"],
                "usage error: bad flag or duration, --for names no subcommand, -c without a PVC or -l, a selector that is not matchLabels, -o name",
            ),
            (
                &["group-snap"],
                "usage error: bad flag or duration, a selector STORK cannot express, ambiguous or unknown container, name clash",
            ),
            (
                FREEZING,
                "usage error: bad flag or duration, ambiguous or unknown container, name clash",
            ),
        ],
    },
    Row {
        code: "3",
        meanings: &[(
            FREEZING,
            "a pre command failed or could not run (also: pods/exec not allowed); nothing was snapshotted and the post commands ran",
        )],
    },
    Row {
        code: "4",
        meanings: &[
            (
                &["clone"],
                "the snapshot is in Error and cannot be cloned; take a new one",
            ),
            (
                &["group-snap"],
                "the group snapshot failed; the post commands ran",
            ),
            (FREEZING, "the snapshot failed; the post commands ran"),
        ],
    },
    Row {
        code: "5",
        meanings: &[
            (
                &["clone"],
                "timed out waiting for the PVC to be Bound (or, with --wait-snapshot, for the snapshot), or an API call took longer than --timeout; a PVC already created is left in place",
            ),
            (
                &["list"],
                "an API call (one page of the list) took longer than --timeout, or the API server kept answering 429 Too Many Requests as long",
            ),
            (
                &["delete"],
                "an API call took longer than --timeout while choosing what to delete, or the API server kept answering 429 Too Many Requests as long (a deletion that times out is a failed one: 1)",
            ),
            (
                FREEZING,
                "timed out: the snapshot, or an API call, took longer than --timeout (or the API server kept answering 429 Too Many Requests that long); post commands ran in every frozen pod (a read that timed out before the freeze froze nothing)",
            ),
        ],
    },
    Row {
        code: "6",
        meanings: &[(FREEZING, "a post command failed; the snapshot exists")],
    },
    Row {
        code: "130, 143",
        meanings: &[
            (
                &["clone"],
                "interrupted by SIGINT or SIGTERM while waiting; what was created is left in place",
            ),
            (
                FREEZING,
                "interrupted by SIGINT or SIGTERM; the post commands ran first",
            ),
        ],
    },
];

/// The exit codes `page` can return and what each means there, in ascending order.
pub fn for_page(page: &str) -> Vec<(&'static str, &'static str)> {
    TABLE
        .iter()
        .filter_map(|row| {
            row.meanings
                .iter()
                .find(|(pages, _)| pages.contains(&page))
                .map(|(_, meaning)| (row.code, *meaning))
        })
        .collect()
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
            for (listed, _) in row.meanings {
                assert!(listed.iter().all(|p| ALL.contains(p)), "{listed:?}");
            }
        }
        for page in ALL {
            let codes: Vec<&str> = for_page(page).into_iter().map(|(c, _)| c).collect();
            assert!(
                codes.starts_with(&["0", "1", "2"]) || codes == ["0", "2"],
                "{page}: {codes:?}"
            );
        }
    }

    #[test]
    fn pages_list_only_the_codes_their_command_returns() {
        let codes = |page| -> Vec<&str> { for_page(page).into_iter().map(|(c, _)| c).collect() };
        assert_eq!(codes("completions"), ["0", "2"]);
        assert_eq!(codes("list"), ["0", "1", "2", "5"]);
        assert_eq!(codes("delete"), ["0", "1", "2", "5"]);
        assert_eq!(codes("doctor"), ["0", "1", "2"]);
        assert_eq!(codes("clone"), ["0", "1", "2", "4", "5", "130, 143"]);
        assert_eq!(
            codes("snap"),
            ["0", "1", "2", "3", "4", "5", "6", "130, 143"]
        );
        assert!(for_page("clone")[3].1.contains("Error"));
    }
}
