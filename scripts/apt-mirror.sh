#!/usr/bin/env bash
# Print the Debian mirror this host's apt uses, so an image built here uses the same one.
#
#   scripts/apt-mirror.sh archive|security [SOURCES_FILE...]
#
# archive: the URI apt uses for the host's release (e.g. bookworm, bookworm-updates);
# security: the one for its -security suite. Read from the one-line (*.list) and deb822
# (*.sources) files under /etc/apt, or from the files given; only entries for the host's own
# release (VERSION_CODENAME in /etc/os-release, or $HOST_CODENAME) count, so third-party
# repositories are never picked. Prints nothing and exits 1 when there is no such entry.
set -euo pipefail

kind=${1:-}
[[ $kind == archive || $kind == security ]] || {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
shift
if (($# == 0)); then
    set -- /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
fi
codename=${HOST_CODENAME:-$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")}
[[ -n $codename ]] || exit 1

for file in "$@"; do
    [[ -f $file ]] && cat "$file" && echo
done | awk -v kind="$kind" -v codename="$codename" '
    # uri, suites: one entry; print uri and stop if one of its suites is the one wanted.
    function consider(uri, suites,   n, i, list) {
        n = split(suites, list, /[ \t]+/)
        for (i = 1; i <= n; i++) {
            if ((kind == "archive" && list[i] == codename) ||
                (kind == "security" && list[i] == codename "-security")) {
                sub(/\/+$/, "", uri)
                print uri
                found = 1
                exit
            }
        }
    }
    function stanza_end() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "") {
            split(uris, first, /[ \t]+/)
            consider(first[1], suites)
        }
        types = uris = suites = ""
    }
    /^[ \t]*#/ { next }
    # One-line format: deb [options] URI SUITE COMPONENT...
    /^deb[ \t]/ {
        line = $0
        sub(/^deb[ \t]+/, "", line)
        sub(/^\[[^]]*\][ \t]*/, "", line)
        split(line, field, /[ \t]+/)
        consider(field[1], field[2])
        next
    }
    # deb822 format: stanzas of Field: value, separated by blank lines.
    /^[ \t]*$/ { stanza_end(); next }
    tolower($1) == "types:" { types = substr($0, index($0, ":") + 1) }
    tolower($1) == "uris:" { uris = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", uris) }
    tolower($1) == "suites:" { suites = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", suites) }
    END { if (!found) { stanza_end() } ; exit !found }
'
