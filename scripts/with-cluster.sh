#!/usr/bin/env bash
# Run a command with a Kubernetes cluster for the cluster tests (make test uses it).
#
#   scripts/with-cluster.sh COMMAND...
#
# A cluster named by TEST_KUBECONFIG or TEST_KUBE_CONTEXT (kind: TEST_KUBE_CONTEXT=kind-numbers-demo)
# is used as it is. Otherwise the project's own cluster is brought up (cluster/cluster.sh up)
# and named, with its kubectl first on PATH. When it cannot come up, the reason goes to the
# tests, which skip with it; under CI=true that is a failure here and now.
set -euo pipefail

LIB_PROG=with-cluster
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
CLUSTER=$HERE/../cluster/cluster.sh

if [[ -z ${TEST_KUBECONFIG:-}${TEST_KUBE_CONTEXT:-} ]]; then
    if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
        reason="the project's cluster runs only as root (cluster/README.md); set TEST_KUBE_CONTEXT for another"
    elif ! "$CLUSTER" up; then
        reason="cluster/cluster.sh up failed (its messages above; logs in /var/lib/numbers-demo/cluster/log)"
    else
        reason=
        TEST_KUBECONFIG=$("$CLUSTER" kubeconfig)
        PATH=$("$CLUSTER" bin):$PATH
        export TEST_KUBECONFIG PATH
    fi
    if [[ -n $reason ]]; then
        [[ ${CI:-} == true ]] && die "$EXIT_FAIL" "CI=true needs the cluster tests' cluster: $reason"
        say "the cluster tests will skip: $reason"
        export TEST_CLUSTER_UNAVAILABLE=$reason
    fi
fi
exec "$@"
