#!/usr/bin/env bash
# Step 10: kube-proxy, from kube-proxy.yaml, on the host like the kubelet.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

start_daemon kube-proxy "$(kubernetes_bin kube-proxy)" --config "$(dirname "$0")/kube-proxy.yaml" --v=1
wait_for kube-proxy 60 "$CLUSTER_LOGS/kube-proxy.log" curl -fsS http://127.0.0.1:10256/healthz
