#!/usr/bin/env bash
# Step 11: CoreDNS (coredns.yaml), then proof that it answers: the API server's Service name,
# asked of the cluster DNS address from the node, through kube-proxy's rules.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

kc apply -f "$(dirname "$0")/coredns.yaml" >/dev/null
kc -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    die "$EXIT_FAIL" "CoreDNS did not become ready: $(kc -n kube-system get pods -o wide 2>&1)"
wait_for "CoreDNS at $DNS_SERVICE_IP" 60 "$CLUSTER_LOGS/kube-proxy.log" \
    busybox nslookup kubernetes.default.svc.cluster.local "$DNS_SERVICE_IP"
