# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pxsnap_global_optspecs
    string join \n kubeconfig= context= n/namespace= o/output= v/verbose q/quiet no-progress color= h/help V/version
end

function __fish_pxsnap_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pxsnap_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pxsnap_using_subcommand
    set -l cmd (__fish_pxsnap_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pxsnap -n "__fish_pxsnap_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_needs_command" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_needs_command" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "snap" -d 'Take an application-consistent snapshot of one PVC'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "cloud-snap" -d 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "demo" -d 'Run the main job against a simulated cluster started in-process (no cluster needed)'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "list" -d 'List VolumeSnapshots of STORK\'s API and CSI\'s (or their group snapshots with --groups)'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "delete" -d 'Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "group-snap" -d 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "clone" -d 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "apply" -d 'Take the snapshots VolumeSnapshot and GroupVolumeSnapshot manifests describe, running the commands and Rules they name'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "doctor" -d 'Check, read-only, that the cluster has everything the subcommands (and a PVC) will need'
complete -c pxsnap -n "__fish_pxsnap_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l pre -d 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l hold -d 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e \'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};\')' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l post -d 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l pre-rule -d 'STORK Rule (in the snapshot\'s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l post-rule -d 'STORK Rule whose actions pxsnap runs after the --post commands' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s c -l container -d 'Container to run the commands in (default: the container that mounts the volume)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l hook-timeout -d 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l hold-timeout -d 'Longest time a held command\'s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l parallel -d 'Most commands starting or running at once (a held command\'s open session does not count, and letting held commands go is never queued, so every pod can hold)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l timeout -d 'How long to wait for the snapshot to be cut; also the most any one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l name -d 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l label -d 'Extra label on the snapshot (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l class -d 'VolumeSnapshotClass of a CSI snapshot (default: the driver\'s default local class; for cloud-snap its cloud class)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l api -d 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK\'s), csi or stork' -r -f -a "auto\t''
csi\t''
stork\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l cut-timeout -d 'The most the application stays frozen waiting for a CSI snapshot to be cut' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l release-at -d 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready' -r -f -a "cut\t''
ready\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l allow-no-pods -d 'Go on without pre/post commands when no running pod mounts the volume'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l no-wait -d 'Do not wait for the snapshot to be Ready (refused when it would release the app before the cut, unless --force)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l force -d 'Allow --no-wait with pre/post commands although the release may come before the cut, and Rules that leave a quiesced pod without a post command'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l dry-run -d 'Print what would be done and change nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l keep-failed -d 'Keep a snapshot that failed, timed out or was interrupted instead of deleting it'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand snap" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l cred-id -d 'Portworx cloud credential ID (needed when Portworx has more than one credential)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l pre -d 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l hold -d 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e \'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};\')' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l post -d 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l pre-rule -d 'STORK Rule (in the snapshot\'s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l post-rule -d 'STORK Rule whose actions pxsnap runs after the --post commands' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s c -l container -d 'Container to run the commands in (default: the container that mounts the volume)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l hook-timeout -d 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l hold-timeout -d 'Longest time a held command\'s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l parallel -d 'Most commands starting or running at once (a held command\'s open session does not count, and letting held commands go is never queued, so every pod can hold)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l incremental-count -d 'Full backup frequency: 0 forces a full backup, N takes a full one every N incrementals' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l timeout -d 'How long to wait for the upload to finish; also the most any one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l name -d 'Snapshot name (default: <pvc>-<UTC yyyymmddhhmmss>)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l label -d 'Extra label on the snapshot (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l class -d 'VolumeSnapshotClass of a CSI snapshot (default: the driver\'s default local class; for cloud-snap its cloud class)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l api -d 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK\'s), csi or stork' -r -f -a "auto\t''
csi\t''
stork\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l cut-timeout -d 'The most the application stays frozen waiting for a CSI snapshot to be cut' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l release-at -d 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready' -r -f -a "cut\t''
ready\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l heartbeat -d 'How often to print a "still uploading" line when stderr is not a terminal' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l allow-no-pods -d 'Go on without pre/post commands when no running pod mounts the volume'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l delete-local -d 'Delete the local snapshot once the upload is done'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l no-wait -d 'Do not wait for the snapshot to be Ready (refused when it would release the app before the cut, unless --force)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l force -d 'Allow --no-wait with pre/post commands although the release may come before the cut, and Rules that leave a quiesced pod without a post command'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l dry-run -d 'Print what would be done and change nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l keep-failed -d 'Keep a snapshot that failed, timed out or was interrupted instead of deleting it'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand cloud-snap" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -l keep-running -d 'Keep the simulated cluster running afterwards, to try kubectl and pxsnap against it'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand demo" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand completions" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s l -l selector -d 'Label selector, as kubectl takes it (e.g. app=cassandra,tier!=cache)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l type -d 'Only snapshots of this type' -r -f -a "local\t''
cloud\t''
group\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l status -d 'Only snapshots in this state' -r -f -a "ready\t''
pending\t''
error\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l api -d 'Only this snapshot API (default: every one the cluster serves)' -r -f -a "csi\t'CSI\'s snapshot.storage.k8s.io (VolumeSnapshot; VolumeGroupSnapshot with --groups)'
stork\t'STORK\'s volumesnapshot.external-storage.k8s.io (GroupVolumeSnapshot with --groups)'"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l sort-by -d 'Sort the output (default: the API server\'s order, printed as it arrives)' -r -f -a "name\t'By namespace, then name'
age\t'Newest first (smallest AGE at the top)'"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l chunk-size -d 'Objects fetched per API request; memory stays flat however many there are' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l timeout -d 'The most one API call (one page of the list) may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s A -l all-namespaces -d 'List across all namespaces (adds a NAMESPACE column)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l groups -d 'List group snapshots instead of VolumeSnapshots'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l show-managed-fields -d 'Keep metadata.managedFields in -o json|yaml (left out by default, as kubectl does)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand list" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l pvc -d 'Delete snapshots of this PVC (combine with --keep-last / --older-than for retention)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s l -l selector -d 'Delete snapshots matching this label selector' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l keep-last -d 'Keep the N newest Ready snapshots of each PVC, delete the others' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l older-than -d 'Delete only snapshots older than this (e.g. 36h, 30d)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l group -d 'Delete this group snapshot: STORK\'s GroupVolumeSnapshot, or CSI\'s VolumeGroupSnapshot with its member snapshots' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l api -d 'Only this snapshot API (default: every one the cluster serves); needed for a NAME or a --group that both APIs hold' -r -f -a "csi\t'CSI\'s snapshot.storage.k8s.io (VolumeSnapshot; VolumeGroupSnapshot with --groups)'
stork\t'STORK\'s volumesnapshot.external-storage.k8s.io (GroupVolumeSnapshot with --groups)'"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l timeout -d 'The most one API call (a read, a page of a list, a deletion) may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l include-pending -d 'Also delete Pending snapshots (they may still be being taken)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l with-children -d 'With --group: delete the group\'s VolumeSnapshots too (a CSI group\'s always go with it)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l dry-run -d 'Print what would be deleted and delete nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s y -l yes -d 'Do not ask; needed for more than one deletion when stdin is not a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand delete" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s l -l selector -d 'PVCs to snapshot together, by label: KEY=VALUE[,KEY=VALUE...] (matchLabels only)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l pre -d 'Command run with `sh -c` in every pod before the snapshot (repeatable, run in order)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l hold -d 'Command that holds a lock across the cut, run with `sh -c` after the pre commands (repeatable): it must run ${WAIT_CMD}, which returns once the snapshot is cut (e.g. mysql -e \'FLUSH TABLES WITH READ LOCK; system ${WAIT_CMD};\')' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l post -d 'Command run with `sh -c` in every pod whose pre command started, after the snapshot (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l pre-rule -d 'STORK Rule (in the snapshot\'s namespace) whose actions pxsnap runs before the --pre commands; its background actions hold across the cut like --hold' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l post-rule -d 'STORK Rule whose actions pxsnap runs after the --post commands' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s c -l container -d 'Container to run the commands in (default: the container that mounts the volume)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l hook-timeout -d 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l hold-timeout -d 'Longest time a held command\'s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l parallel -d 'Most commands starting or running at once (a held command\'s open session does not count, and letting held commands go is never queued, so every pod can hold)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l name -d 'Group snapshot name (default: <first label value>-<UTC yyyymmddhhmmss>)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l restore-namespaces -d 'Namespaces the child snapshots may be restored into' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l max-retries -d 'How often STORK retries the group when some of its cloud snapshots report failure' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l cred-id -d 'Portworx cloud credential ID (with --cloud)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l timeout -d 'How long to wait for the group to be Successful (default: 5m, 1h with --cloud); also the most any one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l group-class -d 'VolumeGroupSnapshotClass of a CSI group snapshot (default: the driver\'s default group class)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l api -d 'Snapshot API: auto (CSI where the PVCs are Portworx CSI and a class fits, else STORK\'s), csi or stork' -r -f -a "auto\t''
csi\t''
stork\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l cut-timeout -d 'The most the application stays frozen waiting for a CSI snapshot to be cut' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l release-at -d 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready' -r -f -a "cut\t''
ready\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l allow-no-pods -d 'Go on without pre/post commands when no running pod mounts the volume'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l cloud -d 'Upload the snapshots to the S3-compatible endpoint Portworx is configured with'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l dry-run -d 'Print what would be done and change nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l keep-failed -d 'Keep a snapshot (or group) that failed, timed out or was interrupted instead of deleting it'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l force -d 'Run Rules that leave a quiesced pod without a post command'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand group-snap" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l group -d 'Clone every child snapshot of this group snapshot (in -n), in parallel: STORK\'s GroupVolumeSnapshot or CSI\'s VolumeGroupSnapshot' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l name-template -d 'Name of each clone with --group; {pvc} is the source PVC, {snapshot} the child snapshot' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l target-namespace -d 'Namespace of the new PVC (default: the snapshot\'s); a STORK snapshot must allow it, a CSI one cannot leave its namespace' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l size -d 'Requested size, e.g. 20Gi (default: the source PVC\'s request); not less than the snapshot' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l access-mode -d 'Access mode: ReadWriteOnce (RWO), ReadOnlyMany (ROX), ReadWriteMany (RWX), ReadWriteOncePod (RWOP) (default: the source PVC\'s)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l storage-class -d 'StorageClass of the new PVC (default: stork-snapshot-sc for a STORK snapshot, the source PVC\'s class for a CSI one)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l label -d 'Extra label on the new PVC (repeatable)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l timeout -d 'How long to wait for the PVC to be Bound (and, with --wait-snapshot, for the snapshot); also the most any one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l api -d 'The API that holds SNAPSHOT or the --group: auto looks in both (a name both hold needs csi or stork)' -r -f -a "auto\t''
csi\t''
stork\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l no-wait -d 'Create the PVC and return without waiting for it to be Bound'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l dry-run -d 'Run every check and print the PVC that would be created; create nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l wait-snapshot -d 'Wait (up to --timeout) for a snapshot that is not Ready yet instead of refusing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand clone" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s f -l filename -d 'A manifest file, a directory of .yaml, .yml and .json files, or - for standard input (repeatable)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s c -l container -d 'Container to run the commands in (default: the container that mounts the volume)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l hook-timeout -d 'Longest time one pre or post command may run (at least 1s); then pxsnap closes its exec stream (not every container runtime stops the command then: bound a command that can hang with `timeout`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l hold-timeout -d 'Longest time a held command\'s ${WAIT_CMD} waits: it returns then even if pxsnap was killed or lost the cluster' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l parallel -d 'Most commands starting or running at once (a held command\'s open session does not count, and letting held commands go is never queued, so every pod can hold)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l timeout -d 'How long to wait for each snapshot (default: 5m, 1h for a cloud snapshot); also the most any one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l cut-timeout -d 'The most the application stays frozen waiting for a CSI snapshot to be cut' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l release-at -d 'When a CSI snapshot releases the application: at the cut (status.creationTime) or when ready' -r -f -a "cut\t''
ready\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l allow-no-pods -d 'Go on without pre/post commands when no running pod mounts the volume'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l continue-on-error -d 'Go on with the next document after one fails (the exit code is still the first failure\'s)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l dry-run -d 'Print what would be done and change nothing'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l keep-failed -d 'Keep a snapshot (or group) that failed, timed out or was interrupted instead of deleting it'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l force -d 'Run Rules that leave a quiesced pod without a post command'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand apply" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s l -l selector -d 'PVCs to check as group-snap would select them: KEY=VALUE[,KEY=VALUE...]' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s c -l container -d 'The container the commands would run in (as -c of snap and group-snap)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l for -d 'Only what these subcommands need (default: all of them)' -r -f -a "snap\t''
cloud-snap\t''
group-snap\t''
clone\t''
list\t''
delete\t''
apply\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l timeout -d 'Longest time one API call may take' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config; in a pod without either, its service account)' -r -F
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l context -d 'The kubeconfig context to use' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s n -l namespace -d 'Namespace (default: the current context\'s namespace, then `default`)' -r
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t'The table with more columns (commands without extra columns print their table)'
json\t''
yaml\t''
name\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l color -d 'When to colour messages on stderr (NO_COLOR in the environment means never for auto)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s v -l verbose -d 'Log what pxsnap does on stderr (-v info, -vv debug, -vvv trace)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s q -l quiet -d 'Print nothing but the result and errors'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -l no-progress -d 'Never draw progress bars, even on a terminal'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "snap" -d 'Take an application-consistent snapshot of one PVC'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "cloud-snap" -d 'Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "demo" -d 'Run the main job against a simulated cluster started in-process (no cluster needed)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "list" -d 'List VolumeSnapshots of STORK\'s API and CSI\'s (or their group snapshots with --groups)'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "delete" -d 'Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "group-snap" -d 'Snapshot every PVC a label selector matches at one consistency point, with one freeze window'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "clone" -d 'Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "apply" -d 'Take the snapshots VolumeSnapshot and GroupVolumeSnapshot manifests describe, running the commands and Rules they name'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "doctor" -d 'Check, read-only, that the cluster has everything the subcommands (and a PVC) will need'
complete -c pxsnap -n "__fish_pxsnap_using_subcommand help; and not __fish_seen_subcommand_from snap cloud-snap demo completions list delete group-snap clone apply doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
