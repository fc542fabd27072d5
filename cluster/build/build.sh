#!/usr/bin/env bash
# Step 0: build the cluster's programs from the Go module proxy, once per set of versions.
#
#   cluster/build/build.sh [NAME...]     (default: all of kubernetes etcd cri-tools kube-router coredns)
#
# Small Go modules beside this script pin what is built: kubernetes/ (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl), etcd/, cri-tools/
# (crictl), kube-router/ and coredns/. Each lands in its own folder of the cache (lib.sh's
# build_key); a complete folder is reused as it is, so a fresh clone on the same machine
# builds nothing.
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v go >/dev/null || die "$EXIT_UNSUPPORTED" "Go is needed to build the cluster (go 1.24 or later)"

# The version stamps kubectl version and /version report; as Kubernetes' own build sets them.
version_ldflags() {
    local version=$1 package flags="-s -w"
    local minor=${version#v*.}
    minor=${minor%%.*}
    for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $package.gitVersion=$version -X $package.gitMajor=1 -X $package.gitMinor=$minor"
        flags+=" -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
    done
    printf '%s\n' "$flags"
}

WANTED=("$@")
wanted() { ((${#WANTED[@]} == 0)) || [[ " ${WANTED[*]} " == *" $1 "* ]]; }

# build NAME VERSION LDFLAGS PACKAGE...: go build the packages into the cache, timed.
build() {
    local name=$1 version=$2 ldflags=$3
    shift 3
    local out
    out=$(build_key "$name" "$version")
    if [[ -f $out/complete ]] || ! wanted "$name"; then
        return 0
    fi
    # Builds of other versions are not used again: each is hundreds of megabytes.
    find "$(dirname "$out")" -maxdepth 1 -name "$name-v*" ! -name "$(basename "$out")*" \
        -exec rm -rf {} + 2>/dev/null || true
    say "building $name $version with $GO_VERSION into $out (the first time only)"
    rm -rf "$out.partial"
    mkdir -p "$out.partial/bin"
    (cd "$CLUSTER_DIR/build/$name" &&
        /usr/bin/time -f '%e s, peak %M KiB' -o "$out.partial/build-time" \
            go build -trimpath -ldflags "$ldflags" -o "$out.partial/bin/" "$@")
    du -sh "$out.partial/bin" | cut -f1 >"$out.partial/disk"
    touch "$out.partial/complete"
    rm -rf "$out"
    mv "$out.partial" "$out"
    say "built $name: $(cat "$out/build-time"), $(cat "$out/disk") on disk"
}

build kubernetes "$KUBERNETES_VERSION" "$(version_ldflags "$KUBERNETES_VERSION")" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kubectl
build etcd "$ETCD_VERSION" "-s -w" .
# crictl talks to containerd's CRI as the kubelet does: cluster-down removes pods with it.
build cri-tools "$CRI_TOOLS_VERSION" "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" \
    sigs.k8s.io/cri-tools/cmd/crictl
# kube-router's firewall only: it enforces NetworkPolicy with iptables and ipset.
build kube-router "$KUBE_ROUTER_VERSION" \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
# CoreDNS runs in an image with nothing else in it, so it must not need the C library.
CGO_ENABLED=0 build coredns "$COREDNS_VERSION" "-s -w" github.com/coredns/coredns
