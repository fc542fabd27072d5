#!/usr/bin/env bash
# Step 7: containerd from config.toml, and the pod network it sets up for every pod: a bridge
# on the node (cni.conflist). The firewall plugin accepts the pods' forwarded traffic, which
# Docker's FORWARD policy (DROP) would otherwise drop.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

install -D -m 0644 "$(dirname "$0")/cni.conflist" "$CLUSTER_STATE/cni/net.d/10-numbers-demo.conflist"
mkdir -p "$CLUSTER_RUN/containerd"
start_daemon containerd containerd --config "$(dirname "$0")/config.toml"
wait_for containerd 60 "$CLUSTER_LOGS/containerd.log" ctr --address "$CONTAINERD_SOCKET" version
