#!/usr/bin/env bash
# Step 1: the host. Debian's container runtime and network plugins, the kernel settings a
# node needs, and the node's own address on a dummy interface.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

# containerd (its CRI plugin runs the pods), runc, the CNI plugins (bridge, host-local,
# portmap, firewall, loopback), busybox for step 11's DNS check, iptables for kube-proxy,
# ipset for kube-router's firewall.
apt_install_missing containerd runc containernetworking-plugins busybox-static iptables ipset openssl ||
    die "$EXIT_FAIL" "apt-get could not install the node's packages"

# Pods route through the host, and bridged pod traffic must pass iptables, where kube-proxy's
# Service rules are. br_netfilter is built into this kernel; the setting is per namespace.
sysctl -q -w net.ipv4.ip_forward=1
sysctl -q -w net.bridge.bridge-nf-call-iptables=1

# The node's address: on an interface of its own, so nothing of the cluster listens on or is
# reached through the machine's real network. A dummy interface is the usual holder, but this
# kernel has no dummy driver; a bridge with no ports holds an address just as well.
if ! ip link show "$NODE_INTERFACE" >/dev/null 2>&1; then
    ip link add "$NODE_INTERFACE" type bridge
fi
ip addr replace "$NODE_IP/32" dev "$NODE_INTERFACE"
ip link set "$NODE_INTERFACE" up

# A Service's address exists only as kube-proxy's rules, and a new Service waits up to a
# second for them. Until then a packet to it would follow the default route out of the
# machine: the whole range is routed to the portless interface instead, where it ends.
ip route replace "$SERVICE_CIDR" dev "$NODE_INTERFACE"
