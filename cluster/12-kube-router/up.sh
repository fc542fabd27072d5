#!/usr/bin/env bash
# Step 12: NetworkPolicy enforcement, kube-router's firewall on the host (kube-router.flags),
# allowed by rbac.yaml to read what it enforces.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

kc apply -f "$(dirname "$0")/rbac.yaml" >/dev/null
mapfile -t flags < <(read_flags "$(dirname "$0")/kube-router.flags")
start_daemon kube-router "$(kube_router_bin)" "${flags[@]}"
wait_for kube-router 60 "$CLUSTER_LOGS/kube-router.log" curl -fsS http://127.0.0.1:20244/healthz
