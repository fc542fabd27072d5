# shellcheck shell=bash
# What every step of the cluster shares: where things live, the node's addresses, and how a
# daemon is started, found and stopped. Source it: . "$(dirname "$0")/../lib.sh"

[[ -n ${CLUSTER_LIB_LOADED:-} ]] && return 0
CLUSTER_LIB_LOADED=1

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB_PROG=${LIB_PROG:-cluster}
# say, die and apt_install_missing, as the project's other scripts use them.
# shellcheck source=scripts/lib.sh
. "$CLUSTER_DIR/../scripts/lib.sh"
# shellcheck source=cluster/versions.sh
. "$CLUSTER_DIR/versions.sh"

# Built binaries and images, kept across clusters and clones (cluster-down leaves them).
CLUSTER_CACHE=${CLUSTER_CACHE:-/var/cache/numbers-demo}
# Everything one cluster writes: certificates, etcd's data, containerd's images, pods, logs.
CLUSTER_STATE=/var/lib/numbers-demo/cluster
# Sockets and pid files of the running daemons.
CLUSTER_RUN=/run/numbers-demo/cluster
CLUSTER_LOGS=$CLUSTER_STATE/log
KUBECONFIG_ADMIN=$CLUSTER_STATE/kubeconfig/admin.kubeconfig

# The node's address lives on an interface of its own (01-host), never on the machine's real one.
NODE_NAME=numbers-demo
NODE_INTERFACE=nd-node0
NODE_IP=10.213.0.1
# Pods get addresses on the CNI bridge; Services get virtual ones that kube-proxy translates.
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
CNI_BRIDGE=nd-cni0
SERVICE_CIDR=10.96.0.0/16
DNS_SERVICE_IP=10.96.0.10
API_SERVER=https://$NODE_IP:6443

CONTAINERD_SOCKET=$CLUSTER_RUN/containerd/containerd.sock

# The daemons in the order they start; cluster-down stops them in reverse.
CLUSTER_DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router)

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# The cache folder for one component's build, named for every version that goes into it and
# for the build files themselves, so that changing either builds anew.
build_key() {
    local name=$1 version=$2
    local digest
    digest=$(cat "$CLUSTER_DIR/build/$name/go.mod" "$CLUSTER_DIR/build/$name/go.sum" \
        "$CLUSTER_DIR/build/build.sh" | sha256sum | cut -c1-12)
    printf '%s/build/%s-%s-%s-%s\n' "$CLUSTER_CACHE" "$name" "$version" "$GO_VERSION" "$digest"
}

kubernetes_bin() { printf '%s/bin/%s\n' "$(build_key kubernetes "$KUBERNETES_VERSION")" "$1"; }
etcd_bin() { printf '%s/bin/etcd\n' "$(build_key etcd "$ETCD_VERSION")"; }
coredns_bin() { printf '%s/bin/coredns\n' "$(build_key coredns "$COREDNS_VERSION")"; }
crictl_bin() { printf '%s/bin/crictl\n' "$(build_key cri-tools "$CRI_TOOLS_VERSION")"; }
kube_router_bin() { printf '%s/bin/kube-router\n' "$(build_key kube-router "$KUBE_ROUTER_VERSION")"; }

# The cluster's own kubectl, built at the cluster's version, as the cluster admin.
kc() { "$(kubernetes_bin kubectl)" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

ctr_k8s() { ctr --address "$CONTAINERD_SOCKET" --namespace k8s.io "$@"; }

daemon_pid() {
    local pid
    pid=$(cat "$CLUSTER_RUN/$1.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# Start a daemon in its own session (so that make's or pytest's exit does not take it down),
# unless it runs already; its output goes to $CLUSTER_LOGS/NAME.log.
start_daemon() {
    local name=$1
    shift
    if daemon_pid "$name" >/dev/null; then
        return 0
    fi
    mkdir -p "$CLUSTER_RUN" "$CLUSTER_LOGS"
    printf '\n==== %s: %s\n' "$(date -Is)" "$*" >>"$CLUSTER_LOGS/$name.log"
    setsid "$@" </dev/null >>"$CLUSTER_LOGS/$name.log" 2>&1 &
    echo $! >"$CLUSTER_RUN/$name.pid"
}

# Read a flags file: one flag a line, '#' starts a comment.
read_flags() {
    sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' "$1"
}

# Poll until the command succeeds or the deadline passes; then show the daemon's log and fail.
wait_for() {
    local what=$1 seconds=$2 log=$3
    shift 3
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            say "$what did not come up within ${seconds}s; last lines of $log:"
            tail -n 25 "$log" 2>/dev/null | sed 's/^/    /' >&2
            return 1
        fi
        sleep 0.5
    done
}

# Stop a daemon: SIGTERM, then SIGKILL if it has not gone within ten seconds.
stop_daemon() {
    local name=$1 pid
    pid=$(daemon_pid "$name") || {
        rm -f "$CLUSTER_RUN/$name.pid"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$CLUSTER_RUN/$name.pid"
}
