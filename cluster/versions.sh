# shellcheck shell=bash
# Every version the cluster is built from. The build cache is keyed by all of them, so a
# change here builds anew beside the old build instead of reusing it.
KUBERNETES_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
COREDNS_VERSION=v1.12.1
CRI_TOOLS_VERSION=v1.34.0
KUBE_ROUTER_VERSION=v2.10.0
# The Go that compiles them: part of the key, since a new Go makes new binaries.
GO_VERSION=$(go env GOVERSION 2>/dev/null || echo go-missing)
