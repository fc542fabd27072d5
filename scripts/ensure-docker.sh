#!/usr/bin/env bash
# Make sure a Docker Engine answers, bringing one up only when needed.
#
#   scripts/ensure-docker.sh [-q|--quiet]
#
# - An engine that already answers `docker info` is never touched.
# - Otherwise, as root on Debian/Ubuntu: install docker.io, docker-compose and
#   debootstrap if missing, start dockerd detached from the calling shell
#   (its own session, survives make/pytest exiting), log to $DOCKERD_LOG and
#   wait up to $DOCKERD_START_TIMEOUT seconds for it to answer.
# - Otherwise: say what to install.
#
# Exit codes:
#   0  an engine answers (already did, or was started)
#   1  tried to install/start an engine and failed (log tail printed)
#   2  usage error
#   3  cannot provide an engine here (not root, not Debian-family, or
#      DOCKER_HOST points elsewhere): callers/tests should skip
#
# Environment:
#   DOCKERD_LOG            dockerd log file (default /var/log/dockerd.log)
#   DOCKERD_START_TIMEOUT  seconds to wait for the engine (default 60)
set -euo pipefail

LIB_PROG=ensure-docker
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quiet=0
for arg in "$@"; do
    case $arg in
    -q | --quiet) quiet=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
        exit "$EXIT_OK"
        ;;
    *) die "$EXIT_USAGE" "unknown argument: $arg (try --help)" ;;
    esac
done

LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
TIMEOUT=${DOCKERD_START_TIMEOUT:-60}
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "$EXIT_USAGE" "DOCKERD_START_TIMEOUT must be whole seconds, got '$TIMEOUT'"

report_up() {
    ((quiet)) && return 0
    local info
    info=$(docker info --format 'server {{.ServerVersion}}, storage driver {{.Driver}}' 2>/dev/null) || info='?'
    say "Docker Engine answers ($info)${1:+ $1}"
}

now_ms() { date +%s%3N; }

if docker_answers; then
    report_up
    exit "$EXIT_OK"
fi

# A DOCKER_HOST that points somewhere else is the user's choice: a local
# dockerd would not be the engine the CLI talks to, so don't start one.
case ${DOCKER_HOST:-} in
'' | unix:///var/run/docker.sock | unix:///run/docker.sock) ;;
*) die "$EXIT_UNSUPPORTED" "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine (unset DOCKER_HOST to let this script start one)" ;;
esac

if ! can_provision; then
    sock=${DOCKER_HOST:-}
    sock=${sock#unix://}
    sock=${sock:-/var/run/docker.sock}
    if [[ -S $sock && ! -w $sock ]]; then
        say "a Docker Engine seems to run ($sock exists) but user '$(id -un)' may not use it;"
        say "add the user to the 'docker' group (then log in again) or run as root."
        exit "$EXIT_UNSUPPORTED"
    fi
    say "no Docker Engine answers, and this script can only start one as root on Debian/Ubuntu."
    say "Install Docker Engine and Docker Compose, start the engine, and make sure"
    say "'docker info' works for this user (e.g. add it to the 'docker' group):"
    say "  https://docs.docker.com/engine/install/   (Debian/Ubuntu: apt-get install docker.io docker-compose)"
    exit "$EXIT_UNSUPPORTED"
fi

# dockerd needs iptables & co. from sbin; root's PATH may lack it under sudo/env -i.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Serialise concurrent callers (e.g. several test sessions starting at once).
lock=/run/lock/numbers-demo-ensure-docker.lock
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if ! flock -w "$((TIMEOUT + 120))" 9; then
    die "$EXIT_FAIL" "timed out waiting for another ensure-docker run (lock $lock)"
fi
if docker_answers; then # another caller started it while we waited
    report_up
    exit "$EXIT_OK"
fi

say "no Docker Engine answers; bringing one up (root on Debian $(cat /etc/debian_version))"
apt_install_missing docker.io docker-compose debootstrap ||
    die "$EXIT_FAIL" "apt-get could not install docker.io docker-compose debootstrap"

log_tail() {
    say "last lines of $LOG:"
    tail -n 30 "$LOG" 2>/dev/null | sed 's/^/    /' >&2 || true
}

started=$(now_ms)
pid=''
if existing=$(pgrep -x dockerd); then
    # Something is starting (or wedged); a second dockerd would only fight it.
    say "a dockerd is already running (pid $(echo "$existing" | tr '\n' ' ')) but not answering yet; waiting for it"
else
    mkdir -p "$(dirname "$LOG")"
    printf '\n==== %s: started by %s (pid %s)\n' "$(date -Is)" "$0" "$$" >>"$LOG"
    say "starting dockerd in the background (log: $LOG)"
    # setsid: own session and process group, so make/pytest/terminal signals
    # (SIGINT, SIGHUP) and their exit do not take the engine down with them.
    setsid nohup dockerd </dev/null >>"$LOG" 2>&1 9>&- &
    pid=$!
    disown "$pid" 2>/dev/null || true
fi

deadline=$((started + TIMEOUT * 1000))
until docker_answers; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
        log_tail
        die "$EXIT_FAIL" "dockerd exited before answering"
    fi
    if (($(now_ms) >= deadline)); then
        log_tail
        die "$EXIT_FAIL" "dockerd did not answer within ${TIMEOUT}s (it is left running${pid:+ as pid $pid})"
    fi
    sleep 0.5
done

elapsed=$(($(now_ms) - started))
report_up "after $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s; log: $LOG"
exit "$EXIT_OK"
