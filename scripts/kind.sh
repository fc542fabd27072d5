#!/usr/bin/env bash
# The chapter on a kind cluster:  scripts/kind.sh up|deploy|demo|down
#
#   up      create the kind cluster (k8s/kind/cluster.yaml) if absent, build the images,
#           and load them into the cluster's node (there is no registry to pull them from)
#   deploy  kubectl apply -k k8s/ and wait for the rollouts; web is then on 127.0.0.1:8080
#   demo    play the chapter with the kubectl backend, in a namespace of its own
#   down    delete the cluster
#
# Each checks what it needs (kind, kubectl, docker, the kind-numbers-demo context) and says
# what is missing. Exit codes: 0 done; 1 a step failed; 2 usage; 3 a prerequisite is missing.
set -euo pipefail

LIB_PROG=kind
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/.." && pwd)

CLUSTER=${KIND_CLUSTER:-numbers-demo}
CONTEXT=kind-$CLUSTER
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$EXIT_UNSUPPORTED" "$1 is not installed: $2"
}

need_context() {
    need kubectl "see https://kubernetes.io/docs/tasks/tools/"
    kubectl config get-contexts -o name 2>/dev/null | grep -qx "$CONTEXT" ||
        die "$EXIT_UNSUPPORTED" "no kubectl context $CONTEXT: run 'make kind-up' first"
    kubectl --context "$CONTEXT" cluster-info >/dev/null 2>&1 ||
        die "$EXIT_UNSUPPORTED" "the cluster behind $CONTEXT does not answer: is its node container running?"
}

up() {
    need kind "see https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    need kubectl "see https://kubernetes.io/docs/tasks/tools/"
    need docker "kind runs its nodes as Docker containers"
    if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        say "cluster $CLUSTER exists"
    else
        say "creating cluster $CLUSTER (host 127.0.0.1:8080 -> NodePort 30080)"
        kind create cluster --name "$CLUSTER" --config "$ROOT/k8s/kind/cluster.yaml"
    fi
    "$HERE/build-images.sh" "$VERSION"
    for name in numbers-api web probe sleep; do
        kind load docker-image "numbers-demo/$name:$VERSION" --name "$CLUSTER"
    done
    say "ready: 'make kind-deploy' applies everything, 'make kind-demo' plays the chapter"
}

deploy() {
    need_context
    kubectl --context "$CONTEXT" apply -k "$ROOT/k8s"
    for deployment in numbers-api web; do
        kubectl --context "$CONTEXT" rollout status "deployment/$deployment" --timeout=180s
    done
    say "web: http://127.0.0.1:8080"
}

demo() {
    need_context
    [[ -x $PYTHON ]] || die "$EXIT_UNSUPPORTED" "no $PYTHON: run 'make venv' first"
    (cd "$ROOT" && "$PYTHON" -m scenario kubernetes --context "$CONTEXT" --report demo-report.json)
}

down() {
    need kind "see https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    kind delete cluster --name "$CLUSTER"
}

case ${1:-} in
up | deploy | demo | down) "$1" ;;
*) die "$EXIT_USAGE" "usage: scripts/kind.sh up|deploy|demo|down" ;;
esac
