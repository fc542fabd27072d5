#!/usr/bin/env bash
# A single-node Kubernetes cluster on this host, assembled step by step (see README.md).
#
#   cluster/cluster.sh up          build what is not built, start every step, load the images
#   cluster/cluster.sh down        stop everything and remove the cluster's state and network
#   cluster/cluster.sh kubeconfig  print the admin kubeconfig's path
#   cluster/cluster.sh bin         print the folder of the cluster's kubectl (put it on PATH)
#   cluster/cluster.sh status      each daemon, and the node
#
# Runs as root on Debian 12 with Go and Docker (the images are built with it).
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/lib.sh"

healthy() {
    local daemon
    for daemon in "${CLUSTER_DAEMONS[@]}"; do
        daemon_pid "$daemon" >/dev/null || return 1
    done
    kc get --raw /readyz >/dev/null 2>&1
}

up() {
    [[ $EUID -eq 0 ]] || die "$EXIT_UNSUPPORTED" "the cluster runs as root: it starts containerd and the kubelet"
    local started=$SECONDS
    # A cluster whose daemons are gone (a new session, a reboot) is not restarted half-way:
    # its pods' networks and cgroups went with it, so it is removed and made anew.
    if ! healthy && [[ -d $CLUSTER_STATE || -d $CLUSTER_RUN ]]; then
        say "removing a cluster that is not running whole"
        down
    fi
    "$CLUSTER_DIR/build/build.sh"
    local step
    for step in "$CLUSTER_DIR"/[0-9][0-9]-*/up.sh; do
        "$step"
    done
    kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null
    say "up in $((SECONDS - started)) s; kubeconfig: $KUBECONFIG_ADMIN"
}

# Remove every iptables rule and chain that kube-proxy or the CNI plugins made, in both
# address families; the built-in chains (Docker's among them) keep all their other rules.
remove_chains() {
    local tool table rule chain
    for tool in iptables ip6tables; do
        command -v "$tool" >/dev/null || continue
        for table in filter nat mangle; do
            "$tool" -t "$table" -S 2>/dev/null |
                sed -n -E 's/^-A ((INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE|CNI)-)/-D \1/p' |
                while read -r rule; do
                eval "$tool -t $table $rule" 2>/dev/null || true
            done
            for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
                "$tool" -t "$table" -F "$chain" 2>/dev/null || true
            done
            for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
                "$tool" -t "$table" -X "$chain" 2>/dev/null || true
            done
        done
    done
}

# Processes left in the pods' cgroups (their shims went with containerd), then the cgroups.
remove_pod_cgroups() {
    local controller pid
    for controller in /sys/fs/cgroup/*/kubepods; do
        [[ -d $controller ]] || continue
        while read -r pid; do
            kill -KILL "$pid" 2>/dev/null || true
        done < <(find "$controller" -name cgroup.procs -exec cat {} + 2>/dev/null)
    done
    for controller in /sys/fs/cgroup/*/kubepods; do
        [[ -d $controller ]] || continue
        find "$controller" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

down() {
    [[ $EUID -eq 0 ]] || die "$EXIT_UNSUPPORTED" "the cluster runs as root"
    # First the pods, through the runtime, so that the CNI plugins undo their networks.
    stop_daemon kubelet
    if daemon_pid containerd >/dev/null && [[ -x $(crictl_bin) ]]; then
        timeout 60 "$(crictl_bin)" --runtime-endpoint "unix://$CONTAINERD_SOCKET" \
            rmp --all --force >/dev/null 2>&1 || true
    fi
    local index
    for ((index = ${#CLUSTER_DAEMONS[@]} - 1; index >= 0; index--)); do
        stop_daemon "${CLUSTER_DAEMONS[index]}"
    done
    pkill -KILL -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCKET" 2>/dev/null || true
    remove_pod_cgroups
    # Mounts of the cluster's own (containerd's snapshots, pod volumes), deepest first.
    awk -v state="$CLUSTER_STATE" -v run="$CLUSTER_RUN" \
        'index($2, state) == 1 || index($2, run) == 1 {print $2}' /proc/self/mounts |
        sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
    local netns
    for netns in /run/netns/cni-*; do
        [[ -e $netns ]] && ip netns delete "$(basename "$netns")" 2>/dev/null || true
    done
    ip link delete "$CNI_BRIDGE" 2>/dev/null || true
    ip link delete "$NODE_INTERFACE" 2>/dev/null || true
    remove_chains
    # kube-router's address sets, once no rule refers to them.
    if command -v ipset >/dev/null; then
        ipset list -n 2>/dev/null | sed -n -E '/^(inet6:)?KUBE-/p' | while read -r set; do
            ipset destroy "$set" 2>/dev/null || true
        done
    fi
    rm -rf /var/lib/cni/results/numbers-demo-* 2>/dev/null || true
    find /var/log/containers -maxdepth 1 -lname "$CLUSTER_STATE/*" -delete 2>/dev/null || true
    rm -rf "$CLUSTER_STATE" "$CLUSTER_RUN"
    rmdir --ignore-fail-on-non-empty "$(dirname "$CLUSTER_STATE")" "$(dirname "$CLUSTER_RUN")" 2>/dev/null || true
    say "down: daemons stopped; state, bridge, chains, ipsets and network namespaces removed (build cache kept in $CLUSTER_CACHE)"
}

kubeconfig() {
    [[ -f $KUBECONFIG_ADMIN ]] || die "$EXIT_FAIL" "no cluster: run 'make cluster-up' first"
    printf '%s\n' "$KUBECONFIG_ADMIN"
}

bin() {
    dirname "$(kubernetes_bin kubectl)"
}

status() {
    local daemon pid
    for daemon in "${CLUSTER_DAEMONS[@]}"; do
        if pid=$(daemon_pid "$daemon"); then
            printf '%-24s running (pid %s)\n' "$daemon" "$pid"
        else
            printf '%-24s stopped\n' "$daemon"
        fi
    done
    kc get nodes -o wide 2>/dev/null || true
}

case ${1:-} in
up | down | kubeconfig | bin | status) "$1" ;;
*) die "$EXIT_USAGE" "usage: cluster/cluster.sh up|down|kubeconfig|bin|status" ;;
esac
