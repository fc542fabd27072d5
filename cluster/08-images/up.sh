#!/usr/bin/env bash
# Step 8: the images the node runs, without a registry. Built with Docker from files beside
# this script (pause, CoreDNS) and from the project's Dockerfiles, saved, and
# imported into the cluster's containerd, where pods find them (imagePullPolicy: IfNotPresent).
set -euo pipefail
# shellcheck source=cluster/lib.sh
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$CLUSTER_DIR/.." && pwd)
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")
IMAGES=$CLUSTER_CACHE/images
IMPORTED=$CLUSTER_STATE/images
mkdir -p "$IMAGES" "$IMPORTED"

"$ROOT/scripts/ensure-docker.sh" --quiet || die "$EXIT_FAIL" "the images are built with Docker, and no Docker Engine answers"

# build_image NAME TAG FILE...: docker build NAME's Dockerfile with FILE... beside it, saved
# as a tarball in the cache under a key of the Dockerfile and the files, once.
build_image() {
    local name=$1 tag=$2
    shift 2
    local key context
    key=$({ echo "$tag"; cat "$HERE/$name/Dockerfile" "$@"; } | sha256sum | cut -c1-12)
    TARBALL=$IMAGES/$name-$key.tar
    [[ -f $TARBALL ]] && return 0
    say "building the image $tag"
    context=$(mktemp -d)
    cp "$HERE/$name/Dockerfile" "$@" "$context/"
    docker build --quiet --tag "$tag" --build-arg "VERSION=${tag##*:}" "$context" >/dev/null 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' >&2)
    rm -rf "$context"
    docker save "$tag" >"$TARBALL.partial"
    mv "$TARBALL.partial" "$TARBALL"
}

# import TARBALL: into containerd, unless this very tarball was imported into this cluster.
import() {
    local marker
    marker=$IMPORTED/$(basename "$1").imported
    [[ -f $marker ]] && return 0
    ctr_k8s images import "$1" >/dev/null
    touch "$marker"
}

pause=$IMAGES/pause-$(sha256sum "$HERE/pause/pause.c" | cut -c1-12)/pause
if [[ ! -f $pause ]]; then
    mkdir -p "$(dirname "$pause")"
    gcc -static -Os -s -o "$pause" "$HERE/pause/pause.c"
fi
build_image pause numbers-demo/pause:1.0 "$pause"
import "$TARBALL"

build_image coredns "numbers-demo/coredns:$COREDNS_VERSION" "$(coredns_bin)"
import "$TARBALL"

# The project's own images, as they are now: rebuilt by Docker (quick when nothing changed),
# and imported again whenever an image's ID differs from the one this cluster has.
"$ROOT/scripts/build-images.sh" "$VERSION"
for name in numbers-api web probe sleep; do
    tag=numbers-demo/$name:$VERSION
    id=$(docker image inspect --format '{{.Id}}' "$tag")
    marker=$IMPORTED/$name.id
    [[ $(cat "$marker" 2>/dev/null) == "$id" ]] && continue
    say "importing $tag into the cluster"
    docker save "$tag" | ctr_k8s images import - >/dev/null
    printf '%s\n' "$id" >"$marker"
done
