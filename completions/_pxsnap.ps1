
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pxsnap' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pxsnap'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pxsnap' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('snap', 'snap', [CompletionResultType]::ParameterValue, 'Take an application-consistent snapshot of one PVC')
            [CompletionResult]::new('cloud-snap', 'cloud-snap', [CompletionResultType]::ParameterValue, 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the main job against a simulated cluster started in-process (no cluster needed)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List VolumeSnapshots of STORK''s API and CSI''s (or their group snapshots with --groups)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group')
            [CompletionResult]::new('group-snap', 'group-snap', [CompletionResultType]::ParameterValue, 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window')
            [CompletionResult]::new('clone', 'clone', [CompletionResultType]::ParameterValue, 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Take the snapshots VolumeSnapshot and GroupVolumeSnapshot manifests describe, running the commands and Rules they name')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check, read-only, that the cluster has everything the subcommands (and a PVC) will need')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pxsnap;snap' {
            [CompletionResult]::new('--pre', '--pre', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e ''FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'')')
            [CompletionResult]::new('--post', '--post', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)')
            [CompletionResult]::new('--pre-rule', '--pre-rule', [CompletionResultType]::ParameterName, 'STORK Rule (in the snapshot''s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold')
            [CompletionResult]::new('--post-rule', '--post-rule', [CompletionResultType]::ParameterName, 'STORK Rule whose actions pxsnap runs after the --post commands')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)')
            [CompletionResult]::new('--hold-timeout', '--hold-timeout', [CompletionResultType]::ParameterName, 'Longest time a held command''s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Most commands starting or running at once (a held command''s open session does not count, and letting held commands go is never queued, so every pod can hold)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the snapshot to be cut; also the most any one API call may take')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Extra label on the snapshot (repeatable)')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'VolumeSnapshotClass of a CSI snapshot (default: the driver''s default local class; for cloud-snap its cloud class)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK''s), csi or stork')
            [CompletionResult]::new('--cut-timeout', '--cut-timeout', [CompletionResultType]::ParameterName, 'The most the application stays frozen waiting for a CSI snapshot to be cut')
            [CompletionResult]::new('--release-at', '--release-at', [CompletionResultType]::ParameterName, 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--allow-no-pods', '--allow-no-pods', [CompletionResultType]::ParameterName, 'Go on without pre/post commands when no running pod mounts the volume')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Do not wait for the snapshot to be Ready (refused when it would release the app before the cut, unless --force)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Allow --no-wait with pre/post commands although the release may come before the cut, and Rules that leave a quiesced pod without a post command')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be done and change nothing')
            [CompletionResult]::new('--keep-failed', '--keep-failed', [CompletionResultType]::ParameterName, 'Keep a snapshot that failed, timed out or was interrupted instead of deleting it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;cloud-snap' {
            [CompletionResult]::new('--cred-id', '--cred-id', [CompletionResultType]::ParameterName, 'Portworx cloud credential ID (needed when Portworx has more than one credential)')
            [CompletionResult]::new('--pre', '--pre', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e ''FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'')')
            [CompletionResult]::new('--post', '--post', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)')
            [CompletionResult]::new('--pre-rule', '--pre-rule', [CompletionResultType]::ParameterName, 'STORK Rule (in the snapshot''s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold')
            [CompletionResult]::new('--post-rule', '--post-rule', [CompletionResultType]::ParameterName, 'STORK Rule whose actions pxsnap runs after the --post commands')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)')
            [CompletionResult]::new('--hold-timeout', '--hold-timeout', [CompletionResultType]::ParameterName, 'Longest time a held command''s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Most commands starting or running at once (a held command''s open session does not count, and letting held commands go is never queued, so every pod can hold)')
            [CompletionResult]::new('--incremental-count', '--incremental-count', [CompletionResultType]::ParameterName, 'Full backup frequency: 0 forces a full backup, N takes a full one every N incrementals')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the upload to finish; also the most any one API call may take')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Extra label on the snapshot (repeatable)')
            [CompletionResult]::new('--class', '--class', [CompletionResultType]::ParameterName, 'VolumeSnapshotClass of a CSI snapshot (default: the driver''s default local class; for cloud-snap its cloud class)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK''s), csi or stork')
            [CompletionResult]::new('--cut-timeout', '--cut-timeout', [CompletionResultType]::ParameterName, 'The most the application stays frozen waiting for a CSI snapshot to be cut')
            [CompletionResult]::new('--release-at', '--release-at', [CompletionResultType]::ParameterName, 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready')
            [CompletionResult]::new('--heartbeat', '--heartbeat', [CompletionResultType]::ParameterName, 'How often to print a "still uploading" line when stderr is not a terminal')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--allow-no-pods', '--allow-no-pods', [CompletionResultType]::ParameterName, 'Go on without pre/post commands when no running pod mounts the volume')
            [CompletionResult]::new('--delete-local', '--delete-local', [CompletionResultType]::ParameterName, 'Delete the local snapshot once the upload is done')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Do not wait for the snapshot to be Ready (refused when it would release the app before the cut, unless --force)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Allow --no-wait with pre/post commands although the release may come before the cut, and Rules that leave a quiesced pod without a post command')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be done and change nothing')
            [CompletionResult]::new('--keep-failed', '--keep-failed', [CompletionResultType]::ParameterName, 'Keep a snapshot that failed, timed out or was interrupted instead of deleting it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;demo' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--keep-running', '--keep-running', [CompletionResultType]::ParameterName, 'Keep the simulated cluster running afterwards, to try kubectl and pxsnap against it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;completions' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;list' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector, as kubectl takes it (e.g. app=cassandra,tier!=cache)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector, as kubectl takes it (e.g. app=cassandra,tier!=cache)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only snapshots of this type')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only snapshots in this state')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Only this snapshot API (default: every one the cluster serves)')
            [CompletionResult]::new('--sort-by', '--sort-by', [CompletionResultType]::ParameterName, 'Sort the output (default: the API server''s order, printed as it arrives)')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'Objects fetched per API request; memory stays flat however many there are')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The most one API call (one page of the list) may take')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List across all namespaces (adds a NAMESPACE column)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List across all namespaces (adds a NAMESPACE column)')
            [CompletionResult]::new('--groups', '--groups', [CompletionResultType]::ParameterName, 'List group snapshots instead of VolumeSnapshots')
            [CompletionResult]::new('--show-managed-fields', '--show-managed-fields', [CompletionResultType]::ParameterName, 'Keep metadata.managedFields in -o json|yaml (left out by default, as kubectl does)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;delete' {
            [CompletionResult]::new('--pvc', '--pvc', [CompletionResultType]::ParameterName, 'Delete snapshots of this PVC (combine with --keep-last / --older-than for retention)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Delete snapshots matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Delete snapshots matching this label selector')
            [CompletionResult]::new('--keep-last', '--keep-last', [CompletionResultType]::ParameterName, 'Keep the N newest Ready snapshots of each PVC, delete the others')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Delete only snapshots older than this (e.g. 36h, 30d)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Delete this group snapshot: STORK''s GroupVolumeSnapshot, or CSI''s VolumeGroupSnapshot with its member snapshots')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Only this snapshot API (default: every one the cluster serves); needed for a NAME or a --group that both APIs hold')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'The most one API call (a read, a page of a list, a deletion) may take')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--include-pending', '--include-pending', [CompletionResultType]::ParameterName, 'Also delete Pending snapshots (they may still be being taken)')
            [CompletionResult]::new('--with-children', '--with-children', [CompletionResultType]::ParameterName, 'With --group: delete the group''s VolumeSnapshots too (a CSI group''s always go with it)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be deleted and delete nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask; needed for more than one deletion when stdin is not a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask; needed for more than one deletion when stdin is not a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;group-snap' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)')
            [CompletionResult]::new('--pre', '--pre', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e ''FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};'')')
            [CompletionResult]::new('--post', '--post', [CompletionResultType]::ParameterName, 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)')
            [CompletionResult]::new('--pre-rule', '--pre-rule', [CompletionResultType]::ParameterName, 'STORK Rule (in the snapshot''s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold')
            [CompletionResult]::new('--post-rule', '--post-rule', [CompletionResultType]::ParameterName, 'STORK Rule whose actions pxsnap runs after the --post commands')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)')
            [CompletionResult]::new('--hold-timeout', '--hold-timeout', [CompletionResultType]::ParameterName, 'Longest time a held command''s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Most commands starting or running at once (a held command''s open session does not count, and letting held commands go is never queued, so every pod can hold)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Group snapshot name (default: <first label value>-<UTC yyyymmddhhmmss>)')
            [CompletionResult]::new('--restore-namespaces', '--restore-namespaces', [CompletionResultType]::ParameterName, 'Namespaces the child snapshots may be restored into')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'How often STORK retries the group when some of its cloud snapshots report failure')
            [CompletionResult]::new('--cred-id', '--cred-id', [CompletionResultType]::ParameterName, 'Portworx cloud credential ID (with --cloud)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the group to be Successful (default: 5m, 1h with --cloud); also the most any one API call may take')
            [CompletionResult]::new('--group-class', '--group-class', [CompletionResultType]::ParameterName, 'VolumeGroupSnapshotClass of a CSI group snapshot (default: the driver''s default group class)')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK''s), csi or stork')
            [CompletionResult]::new('--cut-timeout', '--cut-timeout', [CompletionResultType]::ParameterName, 'The most the application stays frozen waiting for a CSI snapshot to be cut')
            [CompletionResult]::new('--release-at', '--release-at', [CompletionResultType]::ParameterName, 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--allow-no-pods', '--allow-no-pods', [CompletionResultType]::ParameterName, 'Go on without pre/post commands when no running pod mounts the volume')
            [CompletionResult]::new('--cloud', '--cloud', [CompletionResultType]::ParameterName, 'Upload the snapshots to the S3-compatible endpoint Portworx is configured with')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be done and change nothing')
            [CompletionResult]::new('--keep-failed', '--keep-failed', [CompletionResultType]::ParameterName, 'Keep a snapshot (or group) that failed, timed out or was interrupted instead of deleting it')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run Rules that leave a quiesced pod without a post command')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;clone' {
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Clone every child snapshot of this group snapshot (in -n), in parallel: STORK''s GroupVolumeSnapshot or CSI''s VolumeGroupSnapshot')
            [CompletionResult]::new('--name-template', '--name-template', [CompletionResultType]::ParameterName, 'Name of each clone with --group; {pvc} is the source PVC, {snapshot} the child snapshot')
            [CompletionResult]::new('--target-namespace', '--target-namespace', [CompletionResultType]::ParameterName, 'Namespace of the new PVC (default: the snapshot''s); a STORK snapshot must allow it, a CSI one cannot leave its namespace')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Requested size, e.g. 20Gi (default: the source PVC''s request); not less than the snapshot')
            [CompletionResult]::new('--access-mode', '--access-mode', [CompletionResultType]::ParameterName, 'Access mode: ReadWriteOnce (RWO), ReadOnlyMany (ROX), ReadWriteMany (RWX), ReadWriteOncePod (RWOP) (default: the source PVC''s)')
            [CompletionResult]::new('--storage-class', '--storage-class', [CompletionResultType]::ParameterName, 'StorageClass of the new PVC (default: stork-snapshot-sc for a STORK snapshot, the source PVC''s class for a CSI one)')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Extra label on the new PVC (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the PVC to be Bound (and, with --wait-snapshot, for the snapshot); also the most any one API call may take')
            [CompletionResult]::new('--api', '--api', [CompletionResultType]::ParameterName, 'The API that holds SNAPSHOT or the --group: auto looks in both (a name both hold needs csi or stork)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Create the PVC and return without waiting for it to be Bound')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Run every check and print the PVC that would be created; create nothing')
            [CompletionResult]::new('--wait-snapshot', '--wait-snapshot', [CompletionResultType]::ParameterName, 'Wait (up to --timeout) for a snapshot that is not Ready yet instead of refusing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A manifest file, a directory of .yaml, .yml and .json files, or - for standard input (repeatable)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'A manifest file, a directory of .yaml, .yml and .json files, or - for standard input (repeatable)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Container to run the commands in (default: the container that mounts the volume)')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)')
            [CompletionResult]::new('--hold-timeout', '--hold-timeout', [CompletionResultType]::ParameterName, 'Longest time a held command''s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'Most commands starting or running at once (a held command''s open session does not count, and letting held commands go is never queued, so every pod can hold)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for each snapshot (default: 5m, 1h for a cloud snapshot); also the most any one API call may take')
            [CompletionResult]::new('--cut-timeout', '--cut-timeout', [CompletionResultType]::ParameterName, 'The most the application stays frozen waiting for a CSI snapshot to be cut')
            [CompletionResult]::new('--release-at', '--release-at', [CompletionResultType]::ParameterName, 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('--allow-no-pods', '--allow-no-pods', [CompletionResultType]::ParameterName, 'Go on without pre/post commands when no running pod mounts the volume')
            [CompletionResult]::new('--continue-on-error', '--continue-on-error', [CompletionResultType]::ParameterName, 'Go on with the next document after one fails (the exit code is still the first failure''s)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be done and change nothing')
            [CompletionResult]::new('--keep-failed', '--keep-failed', [CompletionResultType]::ParameterName, 'Keep a snapshot (or group) that failed, timed out or was interrupted instead of deleting it')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run Rules that leave a quiesced pod without a post command')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;doctor' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'PVCs to check as group-snap would select them: KEY=VALUE[,KEY=VALUE...]')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'PVCs to check as group-snap would select them: KEY=VALUE[,KEY=VALUE...]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The container the commands would run in (as -c of snap and group-snap)')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'The container the commands would run in (as -c of snap and group-snap)')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Only what these subcommands need (default: all of them)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest time one API call may take')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace (default: the current context''s namespace, then `default`)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but the result and errors')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'Never draw progress bars, even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pxsnap;help' {
            [CompletionResult]::new('snap', 'snap', [CompletionResultType]::ParameterValue, 'Take an application-consistent snapshot of one PVC')
            [CompletionResult]::new('cloud-snap', 'cloud-snap', [CompletionResultType]::ParameterValue, 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the main job against a simulated cluster started in-process (no cluster needed)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List VolumeSnapshots of STORK''s API and CSI''s (or their group snapshots with --groups)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group')
            [CompletionResult]::new('group-snap', 'group-snap', [CompletionResultType]::ParameterValue, 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window')
            [CompletionResult]::new('clone', 'clone', [CompletionResultType]::ParameterValue, 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Take the snapshots VolumeSnapshot and GroupVolumeSnapshot manifests describe, running the commands and Rules they name')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check, read-only, that the cluster has everything the subcommands (and a PVC) will need')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pxsnap;help;snap' {
            break
        }
        'pxsnap;help;cloud-snap' {
            break
        }
        'pxsnap;help;demo' {
            break
        }
        'pxsnap;help;completions' {
            break
        }
        'pxsnap;help;list' {
            break
        }
        'pxsnap;help;delete' {
            break
        }
        'pxsnap;help;group-snap' {
            break
        }
        'pxsnap;help;clone' {
            break
        }
        'pxsnap;help;apply' {
            break
        }
        'pxsnap;help;doctor' {
            break
        }
        'pxsnap;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
