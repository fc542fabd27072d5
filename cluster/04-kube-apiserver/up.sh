#!/usr/bin/env bash
# Step 4: kube-apiserver, with kube-apiserver.flags, in front of etcd.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

mapfile -t flags < <(read_flags "$(dirname "$0")/kube-apiserver.flags")
start_daemon kube-apiserver "$(kubernetes_bin kube-apiserver)" "${flags[@]}"
wait_for kube-apiserver 120 "$CLUSTER_LOGS/kube-apiserver.log" kc get --raw /readyz
