//! Each subcommand's `--help` description: what it does, in order, and what its flags mean
//! together. It is the command reference (the README only introduces the commands), so `--help`,
//! the man pages and the docs cannot drift apart. The why lives in docs/design.md.
//!
//! Paragraphs are separated by blank lines: clap prints the text as written, and the man page
//! generator starts a new paragraph at each blank line and fills the lines in between.

pub const SNAP: &str = "\
Take an application-consistent snapshot of one PVC: quiesce the application, snapshot, release.

1. Reads the PVC: it must exist, be Bound and be a Portworx volume (in-tree portworxVolume or CSI
driver pxd.portworx.com).

2. Lists the namespace's pods once and keeps the Running ones whose spec.volumes claim the PVC; in
each, the container that mounts the volume (-c overrides; several candidates and no -c is an
error that names them). Pods that mount it but are not running, or are terminating, are named in
a warning and get no commands.

3. Runs each --pre command in order, as `sh -c CMD` over the exec API, in all pods concurrently
(at most --parallel exec streams at once), each bounded by --hook-timeout. If any pre command
fails, nothing is snapshotted and no pod starts a further pre command.

4. Creates a STORK VolumeSnapshot (volumesnapshot.external-storage.k8s.io/v1; annotation
portworx/snapshot-type: local, label app.kubernetes.io/managed-by: pxsnap plus every --label)
named --name or <pvc>-<UTC yyyymmddhhmmss>, and watches it until it is Ready or Error, for up to
--timeout.

5. Runs each --post command in every pod whose pre command may have started, whatever happened
in 4. A pod whose pre exec was refused before its stream opened ran nothing and gets none.

6. Reports: a table, or one JSON/YAML document with the same shape on every exit path
(docs/output.md), and an exit code that says which step failed.

A snapshot that failed, timed out or was interrupted before it was Ready is deleted after the
post commands ran, unless --keep-failed; only an object this run created is ever deleted (an
older object of the same name is a name clash, exit 2). --no-wait creates the snapshot and
releases at once; with pre commands that could release before the cut, so it is refused unless
--force. --dry-run prints the pods, containers, commands and the object, and changes nothing.

On SIGINT/SIGTERM while pods are frozen, pxsnap stops waiting, runs the post commands, then exits
130/143; a signal during the pre commands starts no further one and lets the running ones finish
first. Every API call is bounded by --timeout; transient API errors (5xx, 429, dropped
connections) are retried within it. A post command whose exec stream broke is tried up to 3
times, so post commands should be idempotent. A command that can hang should bound itself
(`timeout 50 nodetool flush`): closing its exec stream does not stop it on every runtime.

Why each rule: docs/design.md.";

pub const APPLY: &str = "\
Take the snapshots that manifests describe, with the commands they ask for run by pxsnap.

Each document is a VolumeSnapshot of STORK's API (volumesnapshot.external-storage.k8s.io/v1) or
CSI's (snapshot.storage.k8s.io/v1), or STORK's GroupVolumeSnapshot
(stork.libopenstorage.org/v1alpha1); a kind: List is read item by item. -f takes a file, a
directory (its .yaml, .yml and .json files, in name order) or - for standard input, and can be
given more than once.

pxsnap runs what the documents ask for, as snap and group-snap run --pre, --post, --pre-rule and
--post-rule: px/pre-snap-command and px/post-snap-command (the commands Portworx's documentation
puts on a snapshot, which no STORK release runs), the Rules named by
stork.libopenstorage.org/pre-snapshot-rule and post-snapshot-rule (or the deprecated
stork.rule/pre-snapshot and stork.rule/post-snapshot; two keys naming different Rules are
refused), and a group's spec.preExecRule and spec.postExecRule. The object created no longer
carries those keys, so STORK does not run a Rule a second time; it records them as
pxsnap/pre-snap-command, pxsnap/post-snap-command, pxsnap/pre-snapshot-rule and
pxsnap/post-snapshot-rule annotations. Otherwise it is the document as written: name, labels,
other annotations, STORK's cloud annotations or a group's options, the CSI class. The snapshot
API is the document's (no --api); a CSI snapshot is a cloud snapshot when its class is.

The namespace is the document's, else -n, else the context's; a document whose namespace differs
from an explicit -n is refused, as kubectl refuses it.

Every document is checked before anything runs: its kind and fields, its annotations, that its
PVC (or for a group, a PVC matching its selector), its Rules and its CSI class exist, and that no
two documents name the same object. A problem is one line naming the file, the document and the
field (exit 2), and nothing is created.

The documents then run one after another, each as snap, cloud-snap or group-snap would run it
(the same checks, freeze, release, clean-up and clash rule for a name that exists). The run
stops at the first document that fails, unless --continue-on-error; the exit code is the first
failure's. The table shows each result in turn; -o json and -o yaml print one List whose items
are the results; --dry-run prints every plan.";

pub const CLOUD_SNAP: &str = "\
Take a snapshot of one PVC and upload it to the S3-compatible endpoint Portworx is configured with
(a Portworx cloud snapshot).

The same steps as `pxsnap snap`, with a cloud snapshot: annotation portworx/snapshot-type: cloud,
plus portworx/cloud-cred-id (--cred-id), portworx.io/cloudsnap-incremental-count
(--incremental-count) and portworx.io/cloudsnap-delete-local-snap (--delete-local).

The application stays quiesced until the upload is done: STORK shows no moment at which the local
point-in-time copy is cut, so pxsnap cannot release it earlier. The freeze time is reported. For
a short freeze, take a local snapshot with `pxsnap snap` instead.

On a terminal a spinner shows the elapsed time and the progress STORK reports; otherwise a plain
line every 30s keeps CI logs alive. A failed upload (bad credential, unreachable endpoint) shows
STORK's message verbatim, exit 4. --no-wait without pre/post commands creates the snapshot,
prints its name and exits 0; with them it is refused unless --force. Ctrl-C during the upload
runs the post commands first and then deletes the snapshot (pxsnap can no longer vouch that the
cut came before the release) unless --keep-failed; the output says which it did.";

pub const GROUP_SNAP: &str = "\
Snapshot every PVC a label selector matches at one consistency point (a STORK
GroupVolumeSnapshot), with one freeze window.

1. Parses -l: matchLabels only (KEY=VALUE, comma-separated); anything else is refused with exit 2
before anything is contacted.

2. Lists the PVCs (by the selector) and the PVs once. No PVC matched is exit 1; every PVC must be
Bound and on Portworx, and all problems are reported in one error.

3. Lists the pods once. A pod that mounts several of the PVCs is quiesced once; a PVC that no
running pod mounts is snapshotted anyway, with a warning.

4. Runs the pre commands in all pods, at most --parallel at once. Any failure: post commands in
every pod whose pre started, nothing created, exit 3. With more pods than --parallel the first
pods stay frozen through all the waves: raise --parallel when the freeze window matters most.

5. Creates the stork.libopenstorage.org/v1alpha1 GroupVolumeSnapshot (pvcSelector.matchLabels,
--restore-namespaces, --max-retries; with --cloud, the cloud options and --cred-id), named --name
or <first label value>-<UTC yyyymmddhhmmss>.

6. Watches it until Final/Successful with every child Ready, Failed (or a child in Error), or
--timeout (5m; 1h with --cloud).

7. Runs the post commands in every pod whose pre command started, whatever happened, the pod
frozen first released first. A group that failed, timed out or was interrupted is deleted (with
its children) unless --keep-failed. A failure's message quotes the group's latest Event, read
after the release.";

pub const CLONE: &str = "\
Create a new PVC from a STORK snapshot (or one per child of a group snapshot), ready to mount.

SNAPSHOT is a STORK (external-storage) VolumeSnapshot in -n. pxsnap checks it, creates a
PersistentVolumeClaim that STORK's stork-snapshot provisioner fills from it, waits (with a watch)
until it is Bound, and prints the PVC, its volume, and a `volumes:` block to paste into a pod spec.

The new PVC has storageClassName stork-snapshot-sc (or --storage-class, whose provisioner must be
stork-snapshot), the annotation snapshot.alpha.kubernetes.io/snapshot (plus
stork.libopenstorage.org/snapshot-source-namespace when --target-namespace differs from -n), the
label app.kubernetes.io/managed-by: pxsnap plus every --label, and the source PVC's size and
access modes unless --size / --access-mode say otherwise.

Checked before anything is created, each refusal one line: the snapshot exists, is Ready
(--wait-snapshot waits for it) and its VolumeSnapshotData too; no PVC of that name exists; the
target namespace exists and the snapshot's restore-namespaces annotation allows it; --size is not
smaller than the snapshot; the StorageClass exists and is STORK's. When reading the namespace or
the StorageClass is forbidden (403), that check is skipped with a warning.

--group clones every child snapshot of the group, named by --name-template: those STORK's
GroupVolumeSnapshot lists, or the VolumeSnapshots CSI's VolumeGroupSnapshot owns (each cloned as
a CSI snapshot); a name both APIs hold needs --api. Every child is checked first, and if any check fails no PVC is created. Then all are created and
waited for in parallel.

--timeout bounds each wait separately (the snapshot with --wait-snapshot, then Bound) and each API
call. When it runs out pxsnap exits 5 and leaves the PVC in place, naming it. --no-wait returns
once the PVC is created; Ctrl-C while waiting prints the result and exits 130/143 (the PVCs stay).";

pub const LIST: &str = "\
List the VolumeSnapshots of CSI's API and STORK's (--api narrows to one) in the namespace (-n,
else the context's), or in every namespace with -A; with --groups, CSI's VolumeGroupSnapshots
and STORK's GroupVolumeSnapshots.

Columns: NAME, PVC, API, TYPE (local, cloud, or group for a group's children), STATUS (the last
condition: Ready, Error, else Pending), AGE as kubectl prints it; -o wide adds GROUP,
SNAPSHOT-DATA, COMPLETED and MESSAGE (a cloud upload's progress, or the failure); -A adds
NAMESPACE. --groups shows NAME, API (the group kind), STAGE, STATUS, VOLUMES, AGE (wide:
SELECTOR).

PVC, --type and --status are filtered by pxsnap; -l is sent to the API server. -o json|yaml print a
kubectl List of the objects exactly as the API server returned them, byte for byte what kubectl
get prints, metadata.managedFields left out unless --show-managed-fields.

The list is read in pages of --chunk-size and each page is printed as it arrives, so memory stays
flat; only --sort-by holds the list (name: by namespace then name; age: newest first). Each page is
one API call, bounded by --timeout. A list that expires between two pages (410) is not started
again, which would print rows twice: the error says it is incomplete, exit 1. Nothing found: a
line on stderr, exit 0 (json/yaml still print an empty List).";

pub const DELETE: &str = "\
Delete snapshots by name, by PVC with retention (--keep-last, --older-than), by label, or a group.

Snapshots given by name are deleted whatever their state; the retention flags are refused with
names. With --pvc and/or -l, per PVC of the selection: --keep-last N keeps the N newest Ready
snapshots; Pending ones are never deleted unless --include-pending (one may still be being cut)
and never count towards N; Error ones are deleted when selected (they cannot be restored, and
STORK retries them until deleted); --older-than DUR lets only older snapshots go. Combined, a
snapshot goes only if both allow it.

--group NAME deletes a GroupVolumeSnapshot, leaving its children (propagationPolicy Orphan);
--with-children deletes its VolumeSnapshots first. A group with STORK's cleanup finalizer and
children is refused without --with-children: STORK would delete the children anyway. A CSI
VolumeGroupSnapshot goes with its member snapshots (the snapshot-controller deletes them). A
name both APIs hold needs --api.

More than one deletion needs --yes when stdin is not a terminal (nothing is deleted without it);
on a terminal pxsnap lists the objects and asks. --dry-run never asks and deletes nothing.

Deletions run 8 at a time; one that fails, or a name not found, does not stop the others, and the
run ends with exit 1. A snapshot already gone counts as deleted. Every API call is bounded by
--timeout; one that runs out while choosing what to delete ends the run (exit 5), deleting
nothing.";

pub const DOCTOR: &str = "\
Check, read-only, that the cluster has everything the subcommands will need, before a first run.

It checks the kubeconfig, server and namespace; who the API server says you are
(SelfSubjectReview); the snapshot APIs served (STORK's VolumeSnapshot, GroupVolumeSnapshot, Rule;
CSI snapshot.storage.k8s.io/v1 and group snapshots); a running STORK pod and snapshot-controller;
the Portworx VolumeSnapshotClasses; and every permission the chosen subcommands (--for) need,
one SelfSubjectAccessReview each (pods/exec with the verbs the server checks). With a PVC or -l:
found, Bound, Portworx in-tree or CSI, which snapshot API and why, which running pods mount it
and which container the commands would run in (or why -c is needed), and whether pods/exec is
allowed there.

It creates nothing but access and self reviews and runs no command in any pod: two rounds of
parallel requests, none per pod, each bounded by --timeout. Each check prints ok, warn or fail,
and every one that is not ok a `fix:` line; -o json gives each check a stable id.";

pub const DEMO: &str = "\
Run the main job against a simulated cluster started in-process (no cluster needed).

Starts pxsnap-sim (a simulated Kubernetes API server that plays STORK's part) on 127.0.0.1, runs
`pxsnap snap cassandra-data --pre \"nodetool flush\" --post \"echo thawed\"` against it, and shows
the real output and the simulator's timeline (pre ended, snapshot cut, post started). Not in a
build with --no-default-features (no simulator linked in).";
