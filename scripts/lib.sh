# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Source it, don't run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Every message goes to stderr so that a script's stdout stays machine-readable
# (e.g. PYTHON_IMAGE=$(scripts/base-image.sh)).

[[ -n ${LIB_SH_LOADED:-} ]] && return 0
LIB_SH_LOADED=1

# Exit codes shared by the scripts that source this file.
# shellcheck disable=SC2034  # used by the sourcing scripts
readonly EXIT_OK=0 EXIT_FAIL=1 EXIT_USAGE=2 EXIT_UNSUPPORTED=3

# The script's own name, used as a prefix on every message.
LIB_PROG=${LIB_PROG:-$(basename "${0:-lib.sh}")}

say() { printf '%s: %s\n' "$LIB_PROG" "$*" >&2; }
die() {
    local code=$1
    shift
    say "$*"
    exit "$code"
}

# True when the Docker Engine that the docker CLI points at answers.
docker_answers() {
    command -v docker >/dev/null 2>&1 || return 1
    timeout 20 docker info >/dev/null 2>&1
}

# True when this process may install packages and start daemons itself.
can_provision() {
    [[ ${EUID:-$(id -u)} -eq 0 && -r /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1
}

# Install the named Debian packages unless they are all present already.
# Runs `apt-get update` at most once per process.
LIB_APT_UPDATED=${LIB_APT_UPDATED:-0}
apt_install_missing() {
    local pkg missing=()
    for pkg in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == 'install ok installed' ]] ||
            missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing Debian packages: ${missing[*]}"
    if [[ $LIB_APT_UPDATED != 1 ]]; then
        apt-get update -qq >&2 || return 1
        LIB_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq \
        "${missing[@]}" >&2 || return 1
}

# True when the image (name:tag or id) is present in the local engine.
image_present() {
    docker image inspect "$1" >/dev/null 2>&1
}
