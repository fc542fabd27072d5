#!/usr/bin/env bash
# Step 6: kube-scheduler, from kube-scheduler.yaml.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

kubeconfig=$CLUSTER_STATE/kubeconfig/kube-scheduler.kubeconfig
start_daemon kube-scheduler "$(kubernetes_bin kube-scheduler)" \
    --config "$(dirname "$0")/kube-scheduler.yaml" --bind-address=127.0.0.1 \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" --v=1
wait_for kube-scheduler 60 "$CLUSTER_LOGS/kube-scheduler.log" curl -fsSk https://127.0.0.1:10259/healthz
