#!/usr/bin/env bash
# What a competent script writer runs instead of `pxsnap snap`: the same steps with kubectl.
#
#   kubectl-snap.sh NAMESPACE POD_SELECTOR PVC SNAPSHOT_NAME PRE_CMD POST_CMD
#
# 1. find the pods (one `kubectl get pods -l`), 2. `kubectl exec` the pre command in every pod
# at once (`&` + `wait`), 3. `kubectl create -f` the STORK VolumeSnapshot, 4. `kubectl wait` for
# its Ready condition, 5. `kubectl exec` the post command in every pod at once. If a pre command
# fails the post command still runs everywhere and nothing is created, as pxsnap does.
# KUBECTL (default `kubectl`) names the binary; KUBECONFIG/HOME/--cache-dir come from the caller.
set -uo pipefail

ns=$1 selector=$2 pvc=$3 name=$4 pre=$5 post=$6
kubectl=${KUBECTL:-kubectl}
cache=()
[[ -n ${KUBECTL_CACHE_DIR:-} ]] && cache=(--cache-dir "$KUBECTL_CACHE_DIR")
k() { "$kubectl" "${cache[@]}" -n "$ns" "$@"; }

mapfile -t pods < <(k get pods -l "$selector" -o name)
if ((${#pods[@]} == 0)); then
    echo "no pods match $selector in $ns" >&2
    exit 1
fi

# Runs one command in every pod in parallel; fails if any pod's command failed.
exec_all() {
    local cmd=$1 pids=() failed=0
    for pod in "${pods[@]}"; do
        k exec "$pod" -- sh -c "$cmd" >/dev/null &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=1
    done
    return $failed
}

if ! exec_all "$pre"; then
    echo "pre command failed; releasing" >&2
    exec_all "$post"
    exit 3
fi

status=0
k create -f - >/dev/null <<YAML || status=4
apiVersion: volumesnapshot.external-storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: $name
  annotations:
    portworx/snapshot-type: local
spec:
  persistentVolumeClaimName: $pvc
YAML
if ((status == 0)); then
    k wait --for=condition=Ready --timeout=5m \
        "volumesnapshots.volumesnapshot.external-storage.k8s.io/$name" >/dev/null || status=4
fi

exec_all "$post" || { echo "post command failed" >&2; ((status == 0)) && status=6; }
exit $status
