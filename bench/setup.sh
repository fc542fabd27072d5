#!/usr/bin/env bash
# Install the bench's load tools when they are missing: wrk (throughput) and nginx (the
# machine's HTTP limit) from Debian, and vegeta (latency at a constant rate) built from the Go
# module proxy into the cache that bench/vegeta.py uses.
#
#   bench/setup.sh
#
# Always exits 0: when it cannot install (not root, no apt-get, no network) it says so, and
# `python -m bench` skips the rows that need the missing tool, with the reason.
# nginx is only run by the bench itself, in the foreground with its own config on a
# 127.0.0.1 port: the Debian service is kept from starting (policy-rc.d during the install)
# and, where systemd runs, disabled again, so installing it opens no port 80.
set -uo pipefail

say() { printf 'bench/setup: %s\n' "$*" >&2; }

# vegeta: bench/vegeta.py builds the version it pins, once; a failure is said, not fatal.
if ! (cd "$(dirname "$0")/.." && python3 -c 'from bench import vegeta; print(vegeta.binary())' >/dev/null); then
    say "vegeta could not be built; the bench skips the rows that need it"
fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]} == 0)); then
    say "wrk and nginx are installed"
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    say "cannot install ${missing[*]} here (needs root and apt-get); the bench skips what needs them"
    say "to install by hand: sudo apt-get install -y ${missing[*]}"
    exit 0
fi

# Keep package scripts from starting services (Debian's documented mechanism), unless the
# machine already has its own policy.
policy=/usr/sbin/policy-rc.d
ours=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && ours=1
fi
# shellcheck disable=SC2317  # only reached through the trap
cleanup() { if ((ours)); then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
say "installing ${missing[*]} with apt-get"
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    say "apt-get install failed; updating the package lists once and retrying"
    if ! { apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
        say "could not install ${missing[*]}; the bench skips what needs them"
        exit 0
    fi
fi

if [[ " ${missing[*]} " == *" nginx "* && -d /run/systemd/system ]]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
fi
say "installed: ${missing[*]}"
exit 0
