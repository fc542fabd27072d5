#!/usr/bin/env bash
# Step 5: kube-controller-manager, with kube-controller-manager.flags.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

mapfile -t flags < <(read_flags "$(dirname "$0")/kube-controller-manager.flags")
start_daemon kube-controller-manager "$(kubernetes_bin kube-controller-manager)" "${flags[@]}"
wait_for kube-controller-manager 60 "$CLUSTER_LOGS/kube-controller-manager.log" \
    curl -fsSk https://127.0.0.1:10257/healthz
