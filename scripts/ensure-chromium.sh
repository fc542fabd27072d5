#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser test; never downloads a browser.
#
#   scripts/ensure-chromium.sh    prints the path of the chromium binary on stdout
#
# Exit codes: 0 found or installed; 1 the install failed; 3 none can be installed here
# (not root on a Debian-family system): the browser test skips with that reason.
set -euo pipefail

LIB_PROG=ensure-chromium
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
    can_provision ||
        die "$EXIT_UNSUPPORTED" "no chromium: install Debian's 'chromium' package (as root: apt-get install chromium)"
    apt_install_missing chromium || die "$EXIT_FAIL" "installing Debian's chromium failed"
fi
command -v chromium
