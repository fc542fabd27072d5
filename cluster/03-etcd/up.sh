#!/usr/bin/env bash
# Step 3: etcd, the API server's store, from etcd.yaml.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

start_daemon etcd "$(etcd_bin)" --config-file "$(dirname "$0")/etcd.yaml"
wait_for etcd 60 "$CLUSTER_LOGS/etcd.log" curl -fsS http://127.0.0.1:2381/health
