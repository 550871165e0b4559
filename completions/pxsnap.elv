
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
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand group-snap 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window'
            cand clone 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount'
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
        &'pxsnap;group-snap'= {
            cand -l 'PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)'
            cand --selector 'PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)'
            cand --pre 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)'
            cand --post 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)'
            cand -c 'Container to run the commands in (default: the container that mounts the volume)'
            cand --container 'Container to run the commands in (default: the container that mounts the volume)'
            cand --hook-timeout 'Longest time one pre or post command may run; it is killed after that'
            cand --parallel 'Most exec streams open at once'
            cand --name 'Group snapshot name (default: <first label value>-<UTC yyyymmddhhmmss>)'
            cand --restore-namespaces 'Namespaces the child snapshots may be restored into'
            cand --max-retries 'How often STORK retries the group when some of its cloud snapshots report failure'
            cand --cred-id 'Portworx cloud credential ID (with --cloud)'
            cand --timeout 'How long to wait for the group to be Successful (default: 5m, 1h with --cloud)'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand --allow-no-pods 'Go on without pre/post commands when no running pod mounts the volume'
            cand --cloud 'Upload the snapshots to the S3-compatible endpoint Portworx is configured with'
            cand --dry-run 'Print what would be done and change nothing'
            cand --keep-failed 'Keep a group that failed, timed out or was interrupted instead of deleting it'
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
        &'pxsnap;clone'= {
            cand --group 'Clone every child snapshot of this GroupVolumeSnapshot (in -n), in parallel'
            cand --name-template 'Name of each clone with --group; {pvc} is the source PVC, {snapshot} the child snapshot'
            cand --target-namespace 'Namespace of the new PVC (default: the snapshot''s); the snapshot must allow it'
            cand --size 'Requested size, e.g. 20Gi (default: the source PVC''s request); not less than the snapshot'
            cand --access-mode 'Access mode: ReadWriteOnce (RWO), ReadOnlyMany (ROX), ReadWriteMany (RWX), ReadWriteOncePod (RWOP) (default: the source PVC''s)'
            cand --storage-class 'StorageClass of the new PVC; its provisioner must be stork-snapshot'
            cand --label 'Extra label on the new PVC (repeatable)'
            cand --timeout 'How long to wait for the PVC to be Bound (and, with --wait-snapshot, for the snapshot)'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)'
            cand --context 'The kubeconfig context to use'
            cand -n 'Namespace (default: the current context''s namespace, then `default`)'
            cand --namespace 'Namespace (default: the current context''s namespace, then `default`)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --color 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)'
            cand --no-wait 'Create the PVC and return without waiting for it to be Bound'
            cand --dry-run 'Run every check and print the PVC that would be created; create nothing'
            cand --wait-snapshot 'Wait (up to --timeout) for a snapshot that is not Ready yet instead of refusing'
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
            cand completions 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand group-snap 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window'
            cand clone 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pxsnap;help;snap'= {
        }
        &'pxsnap;help;cloud-snap'= {
        }
        &'pxsnap;help;completions'= {
        }
        &'pxsnap;help;group-snap'= {
        }
        &'pxsnap;help;clone'= {
        }
        &'pxsnap;help;help'= {
        }
    ]
    $completions[$command]
}
