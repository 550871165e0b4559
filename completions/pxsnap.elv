
use builtin;
use str;

set edit:completion:arg-completer[pxsnap] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pxsnap'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pxsnap'= {
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand -v 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Print nothing but the result and errors'
            cand --quiet 'Print nothing but the result and errors'
            cand --no-progress 'Never draw progress bars, even on a terminal'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand snap 'Take an application-consistent snapshot of one PVC'
            cand cloud-snap 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with'
            cand demo 'Run the main job against a simulated cluster started in-process (no cluster needed)'
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pxsnap;snap'= {
            cand --pre 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)'
            cand --post 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)'
            cand -c 'Container to run the commands in (default: the container that mounts the volume)'
            cand --container 'Container to run the commands in (default: the container that mounts the volume)'
            cand --hook-timeout 'Longest time one pre or post command may run; it is killed after that'
            cand --parallel 'Most exec streams open at once'
            cand --name 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)'
            cand --timeout 'How long to wait for the snapshot to be cut'
            cand --label 'Extra label on the snapshot (repeatable)'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand --allow-no-pods 'Go on without pre/post commands when no running pod mounts the volume'
            cand --no-wait 'Do not wait for the snapshot to be Ready (refused with --pre unless --force)'
            cand --force 'Allow --no-wait with --pre although the cut may come after the release'
            cand --dry-run 'Print what would be done and change nothing'
            cand --keep-failed 'Keep a snapshot that failed or timed out instead of deleting it'
            cand -v 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Print nothing but the result and errors'
            cand --quiet 'Print nothing but the result and errors'
            cand --no-progress 'Never draw progress bars, even on a terminal'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pxsnap;cloud-snap'= {
            cand --cred-id 'Portworx cloud credential ID (needed when Portworx has more than one credential)'
            cand --pre 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)'
            cand --post 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)'
            cand -c 'Container to run the commands in (default: the container that mounts the volume)'
            cand --container 'Container to run the commands in (default: the container that mounts the volume)'
            cand --hook-timeout 'Longest time one pre or post command may run; it is killed after that'
            cand --parallel 'Most exec streams open at once'
            cand --name 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)'
            cand --incremental-count 'Full backup frequency: 0 forces a full backup, N takes a full one every N incrementals'
            cand --timeout 'How long to wait for the upload to finish'
            cand --label 'Extra label on the snapshot (repeatable)'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand --allow-no-pods 'Go on without pre/post commands when no running pod mounts the volume'
            cand --delete-local 'Delete the local snapshot once the upload is done'
            cand --no-wait 'Do not wait for the upload (refused with --pre/--post unless --force); `pxsnap list` shows progress'
            cand --force 'Allow --no-wait with pre/post commands although the app is released before the cut'
            cand --dry-run 'Print what would be done and change nothing'
            cand --keep-failed 'Keep a snapshot that failed, timed out or was interrupted instead of deleting it'
            cand -v 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Print nothing but the result and errors'
            cand --quiet 'Print nothing but the result and errors'
            cand --no-progress 'Never draw progress bars, even on a terminal'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pxsnap;demo'= {
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand --keep-running 'Keep the simulated cluster running afterwards, to try kubectl and pxsnap against it'
            cand -v 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Print nothing but the result and errors'
            cand --quiet 'Print nothing but the result and errors'
            cand --no-progress 'Never draw progress bars, even on a terminal'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pxsnap;completions'= {
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand -v 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Print nothing but the result and errors'
            cand --quiet 'Print nothing but the result and errors'
            cand --no-progress 'Never draw progress bars, even on a terminal'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pxsnap;help'= {
            cand snap 'Take an application-consistent snapshot of one PVC'
            cand cloud-snap 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with'
            cand demo 'Run the main job against a simulated cluster started in-process (no cluster needed)'
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pxsnap;help;snap'= {
        }
        &'pxsnap;help;cloud-snap'= {
        }
        &'pxsnap;help;demo'= {
        }
        &'pxsnap;help;completions'= {
        }
        &'pxsnap;help;help'= {
        }
    ]
    $completions[$command]
}
