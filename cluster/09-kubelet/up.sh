#!/usr/bin/env bash
# Step 9: the kubelet, from kubelet.yaml; it registers the node and waits for pods.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

start_daemon kubelet "$(kubernetes_bin kubelet)" \
    --config "$(dirname "$0")/kubelet.yaml" \
    --kubeconfig "$CLUSTER_STATE/kubeconfig/kubelet.kubeconfig" \
    --root-dir "$CLUSTER_STATE/kubelet" \
    --cert-dir "$CLUSTER_STATE/kubelet/pki" \
    --hostname-override "$NODE_NAME" \
    --node-ip "$NODE_IP" \
    --v=1
wait_for kubelet 60 "$CLUSTER_LOGS/kubelet.log" curl -fsS http://127.0.0.1:10248/healthz
