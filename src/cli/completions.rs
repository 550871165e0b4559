//! Shell completion scripts, generated from the clap definition so they can never disagree with
//! the real flags. `completions/` holds the committed copies; a test fails when they are stale.

use clap_complete::Shell;

/// The shells a script is committed for, with the file name each shell expects.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "pxsnap.bash"),
    (Shell::Zsh, "_pxsnap"),
    (Shell::Fish, "pxsnap.fish"),
    (Shell::Elvish, "pxsnap.elv"),
    (Shell::PowerShell, "_pxsnap.ps1"),
];

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pxsnap", &mut out);
    out
}
