#!/usr/bin/env bash
# Build the project's images, numbers-demo/{numbers-api,web,probe,sleep}:VERSION.
#
#   scripts/build-images.sh [VERSION]
#
# Brings up a Docker Engine when none answers (scripts/ensure-docker.sh), and builds FROM
# the official python:3.12-slim, or from a local Debian base when no registry can provide
# it (scripts/base-image.sh says which, and why).
# Exit codes: 0 built; 1 a build failed; 3 no Docker Engine can be had here (callers skip).
set -euo pipefail

LIB_PROG=build-images
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/.." && pwd)

VERSION=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")}
SOURCE=$(git -C "$ROOT" remote get-url origin 2>/dev/null || echo numbers-demo)

"$HERE/ensure-docker.sh" || exit $?
PYTHON_IMAGE=$("$HERE/base-image.sh") || exit $?

# The three programs are targets of the root Dockerfile, built from the repository root so
# each image installs the runtime they share; the sleep pod's image has its own folder.
for name in numbers-api web probe sleep; do
    case $name in
    sleep) build=(--file "$ROOT/k8s/sleep/image/Dockerfile" "$ROOT/k8s/sleep/image") ;;
    *) build=(--file "$ROOT/Dockerfile" --target "$name" "$ROOT") ;;
    esac
    say "building numbers-demo/$name:$VERSION from $PYTHON_IMAGE"
    docker build --quiet \
        --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" \
        --build-arg "VERSION=$VERSION" \
        --build-arg "SOURCE=$SOURCE" \
        --tag "numbers-demo/$name:$VERSION" \
        "${build[@]}" >/dev/null 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' >&2) ||
        die "$EXIT_FAIL" "building numbers-demo/$name failed"
done
say "built numbers-demo/{numbers-api,web,probe,sleep}:$VERSION"
