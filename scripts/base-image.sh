#!/usr/bin/env bash
# Print a Python base image tag usable as `FROM ${PYTHON_IMAGE}`.
#
#   PYTHON_IMAGE=$(scripts/base-image.sh [--rebuild])
#
# Only the tag goes to stdout (last line); every diagnostic goes to stderr.
# Order of preference:
#   1. $PYTHON_IMAGE, if it is set and present locally (or can be pulled);
#   2. python:3.12-slim, if present locally or `docker pull` works;
#   3. a local base built with debootstrap from Debian's own packages
#      (Debian bookworm: Python 3.11, `python3` only, no `python`), tagged
#      $BASE_IMAGE_TAG, reused when it exists already.
# --rebuild skips 1 and 2 and rebuilds the local base (3) from scratch.
#
# The local base trusts the same CAs as this host (its ca-certificates.crt and
# /usr/local/share/ca-certificates are copied in, and SSL_CERT_FILE, PIP_CERT and
# REQUESTS_CA_BUNDLE point at that bundle), so pip inside `docker build` works
# behind a TLS-intercepting proxy. Dockerfiles must call `python3` (there is no
# `python`) and should install into a venv (python3 -m venv /opt/venv).
#
# Exit codes:
#   0  tag printed
#   1  the local base could not be built or failed its self-test
#   2  usage error
#   3  no Docker Engine, or the local base is needed but cannot be built here
#      (not root on Debian): callers/tests should skip
#
# Environment:
#   PYTHON_IMAGE      preferred image (see 1.)
#   BASE_IMAGE_TAG    tag of the local base (default numbers-demo/python-base:bookworm)
#   DEBIAN_MIRROR     mirror for debootstrap and the image's apt (default: the one this
#                     host's apt uses, read by scripts/apt-mirror.sh)
#   DEBIAN_SECURITY_MIRROR  the same for the -security suite
#   PULL_TIMEOUT      seconds allowed for `docker pull` (default 60)
set -euo pipefail

LIB_PROG=base-image
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

OFFICIAL=python:3.12-slim
TAG=${BASE_IMAGE_TAG:-numbers-demo/python-base:bookworm}
SUITE=bookworm
# The mirrors this host's apt uses: a user's configured mirror or proxy is what the image uses.
MIRROR=${DEBIAN_MIRROR:-$("$HERE/apt-mirror.sh" archive || true)}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$("$HERE/apt-mirror.sh" security || true)}
PULL_TIMEOUT=${PULL_TIMEOUT:-60}
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

rebuild=0
for arg in "$@"; do
    case $arg in
    --rebuild) rebuild=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
        exit "$EXIT_OK"
        ;;
    *) die "$EXIT_USAGE" "unknown argument: $arg (try --help)" ;;
    esac
done

use() {
    printf '%s\n' "$1"
    exit "$EXIT_OK"
}

try_pull() {
    say "trying: docker pull $1 (timeout ${PULL_TIMEOUT}s)"
    timeout "$PULL_TIMEOUT" docker pull -q "$1" >/dev/null 2>&1
}

# An engine is needed for everything below; start one if this host allows it.
"$HERE/ensure-docker.sh" --quiet || exit $?

if ((!rebuild)); then
    if [[ -n ${PYTHON_IMAGE:-} ]]; then
        if image_present "$PYTHON_IMAGE" || try_pull "$PYTHON_IMAGE"; then
            use "$PYTHON_IMAGE"
        fi
        say "PYTHON_IMAGE=$PYTHON_IMAGE is not present and cannot be pulled; ignoring it"
    fi
    if image_present "$OFFICIAL" || try_pull "$OFFICIAL"; then
        use "$OFFICIAL"
    fi
    say "the official $OFFICIAL image cannot be had (no registry access); using a local Debian $SUITE base instead"
    if image_present "$TAG"; then use "$TAG"; fi
fi

# ---- build the local base ---------------------------------------------------
if ! can_provision; then
    die "$EXIT_UNSUPPORTED" "building $TAG needs root on Debian/Ubuntu (debootstrap); alternatively make $OFFICIAL available (docker pull, or docker load) or set PYTHON_IMAGE to a local Python image"
fi

lock=/run/lock/numbers-demo-base-image.lock
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
flock -w 600 9 || die "$EXIT_FAIL" "timed out waiting for another base-image build (lock $lock)"
if ((!rebuild)) && image_present "$TAG"; then # built by a concurrent run
    use "$TAG"
fi

[[ -n $MIRROR ]] || die "$EXIT_UNSUPPORTED" "this host's apt sources name no Debian mirror for its release: set DEBIAN_MIRROR"
apt_install_missing debootstrap || die "$EXIT_FAIL" "could not install debootstrap"

work=$(mktemp -d /var/tmp/numbers-demo-base.XXXXXX)
# shellcheck disable=SC2317  # only reached through the trap
cleanup() {
    # debootstrap mounts /proc and /sys inside the target; never rm through them.
    local m
    [[ -d $work ]] || return 0
    awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
root=$work/rootfs

started=$SECONDS
say "debootstrap $SUITE from $MIRROR (about a minute)"
if ! debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.out" 2>&1; then
    tail -n 30 "$work/debootstrap.out" "$root/debootstrap/debootstrap.log" 2>/dev/null | sed 's/^/    /' >&2 || true
    die "$EXIT_FAIL" "debootstrap failed"
fi
say "debootstrap done in $((SECONDS - started))s; trimming the root filesystem"

# Trust what this host trusts (TLS-intercepting proxies included). The bundle is
# copied as is; local CAs also go where update-ca-certificates finds them, so a
# Dockerfile that regenerates the bundle (apt-get install ...) keeps them.
cp "$HOST_CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

# apt as in Debian's official images: updates + security, no services started
# by package scripts, no caches or translations left behind.
cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
${SECURITY_MIRROR:+deb $SECURITY_MIRROR $SUITE-security main}
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# Host specifics (docker provides its own) and bulk nobody needs in a container.
rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
: >"$root/etc/machine-id"
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/cache/apt/archives/partial/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/var/log/* "$root"/tmp/* "$root"/debootstrap

say "importing the root filesystem into Docker"
image_id=$(tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL org.opencontainers.image.description=\"Debian $SUITE + python3/python3-venv built by numbers-demo scripts/base-image.sh\"" \
    --change 'CMD ["python3"]' \
    -m "debootstrap --variant=minbase $SUITE + python3 python3-venv ca-certificates" \
    - 2>&1) || die "$EXIT_FAIL" "docker import failed: $image_id"
image_id=${image_id##*$'\n'}

# Self-test before the tag is moved: python3 runs, and a venv gets a working pip.
if ! out=$(docker run --rm --network none "$image_id" sh -ec \
    'python3 --version; python3 -m venv /tmp/v; /tmp/v/bin/python -m pip --version' 2>&1); then
    docker image rm "$image_id" >/dev/null 2>&1 || true
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    die "$EXIT_FAIL" "the imported image failed its self-test (python3 / venv / pip)"
fi
printf '%s\n' "$out" | sed 's/^/    /' >&2

old_id=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
docker tag "$image_id" "$TAG"
if [[ -n $old_id && $old_id != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true # still used by something: keep it
fi
size=$(docker image inspect -f '{{.Size}}' "$TAG")
say "built $TAG in $((SECONDS - started))s ($((size / 1000000)) MB)"
use "$TAG"
