#!/usr/bin/env bash
# Security scanners over the repository: prints one summary line per scanner with its finding
# count, and exits non-zero on any finding.
#
#   scripts/scan.sh [--strict] [--setup-only] [checkov|hadolint|pip-audit|ruff ...]
#
#   checkov    misconfigurations in the Kubernetes manifests (k8s/) and the Dockerfiles
#   hadolint   Dockerfile best practices, and ShellCheck on their RUN lines
#   pip-audit  known vulnerabilities in each service's pinned requirements and the test pins
#   ruff       the code and tests, including its bandit (S) security rules (.venv's ruff)
#
# The first three live in their own virtualenv, .venv-scan, installed from the hash-pinned
# requirements-scan.txt (checkov pins dozens of packages that would fight .venv's); it is
# rebuilt whenever those pins or the Python change. ruff is the one `make test` runs.
#
# Each tool writes a JSON report, which scan_report.py turns into the findings shown here;
# a tool that exits non-zero without a finding in its report failed to run. Waivers, each
# with its reason: for Kubernetes objects in .checkov-waivers.yaml, on the objects it names
# (scan_report.py applies them to checkov's report; an unused waiver is a finding); in
# Dockerfiles beside the instruction, as `# checkov:skip=CKV_...: reason` and
# `# hadolint ignore=DLxxxx` (after a comment giving the reason).
#
# pip-audit needs a vulnerability feed: PyPI's per-release JSON API by default (pip-audit
# asks PyPI itself, whatever index pip is configured with), or the OSV-style API at
# SCAN_OSV_URL. When the feed does not answer, pip-audit is reported as skipped with the
# reason, and counts as a failure only with --strict. When it answers, every pinned package
# must be audited (pip-audit --strict): a partial audit is an error.
#
# What to scan can be changed, for tests and one-off runs (space-separated paths):
#   SCAN_K8S (files or folders; default k8s), SCAN_DOCKERFILES (default: the Dockerfiles git
#   tracks), SCAN_REQUIREMENTS (default: the three services', requirements-dev.txt and -build.txt),
#   SCAN_RUFF (default .); and SCAN_CHECKOV_WAIVERS, the waiver file (default
#   .checkov-waivers.yaml).
#
# Exit codes: 0 no findings; 1 findings, or a scanner that failed to run (or, with --strict,
#             was skipped); 2 usage; 3 the scanners could not be installed.
set -uo pipefail

LIB_PROG=scan
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/lib.sh"
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT" || exit "$EXIT_FAIL"

PYTHON=${PYTHON:-python3}
VENV=$ROOT/.venv-scan
PINS=$ROOT/requirements-scan.txt
STAMP=$VENV/.installed
WAIVERS=${SCAN_CHECKOV_WAIVERS:-.checkov-waivers.yaml}
ALL_SCANNERS=(checkov hadolint pip-audit ruff)

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit "$EXIT_USAGE"
}

strict=0
setup_only=0
scanners=()
for arg in "$@"; do
    case $arg in
    --strict) strict=1 ;;
    --setup-only) setup_only=1 ;;
    -h | --help) usage ;;
    checkov | hadolint | pip-audit | ruff) scanners+=("$arg") ;;
    *)
        say "unknown argument: $arg"
        usage
        ;;
    esac
done
((${#scanners[@]})) || scanners=("${ALL_SCANNERS[@]}")

# -- .venv-scan ---------------------------------------------------------------------------

# The venv is rebuilt from scratch when the pins or the Python change, so that nothing a
# previous pin set installed stays behind. A lock keeps two runs from building it at once.
ensure_venv() {
    local want lock
    command -v "$PYTHON" >/dev/null 2>&1 || die 3 "no $PYTHON to create $VENV with"
    want="$(sha256sum <"$PINS" | cut -d' ' -f1) $("$PYTHON" -c 'import sys; print(sys.version)' | head -1)"
    [[ -f $STAMP && $(<"$STAMP") == "$want" ]] && return 0
    lock=${TMPDIR:-/tmp}/numbers-demo-scan-$(printf '%s' "$VENV" | sha256sum | cut -c1-16).lock
    exec 9>"$lock"
    flock 9
    if [[ -f $STAMP && $(<"$STAMP") == "$want" ]]; then
        exec 9>&-
        return 0
    fi
    say "installing the scanners into $VENV from requirements-scan.txt (about a minute)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die 3 "could not create $VENV"
    # Keep git from ever offering the venv for a commit, whatever the top .gitignore says.
    printf '*\n' >"$VENV/.gitignore"
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet \
        --require-hashes -r "$PINS" >"$VENV/install.log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$VENV/install.log" | tail -20 >&2
        rm -f "$STAMP"
        die 3 "installing the scanners failed (log: $VENV/install.log)"
    fi
    printf '%s\n' "$want" >"$STAMP"
    exec 9>&-
}

# -- helpers ------------------------------------------------------------------------------

declare -a SUMMARY=()
failed=0
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

# record NAME COUNT DETAIL START: one summary line; a count above zero is a failure.
record() {
    local name=$1 count=$2 detail=$3 start=$4 word=findings
    ((count == 1)) && word=finding
    SUMMARY+=("$(printf '%-10s %d %s%s (%s)' "$name:" "$count" "$word" "${detail:+, $detail}" "$(since "$start")")")
    ((count == 0)) || failed=1
}
# error NAME WHY START: the scanner did not do its job; always a failure.
error() {
    SUMMARY+=("$(printf '%-10s error: %s (%s)' "$1:" "$2" "$(since "$3")")")
    failed=1
}
# skipped NAME WHY START: could not run here; a failure only with --strict.
skipped() {
    SUMMARY+=("$(printf '%-10s skipped: %s (%s)' "$1:" "$2" "$(since "$3")")")
    ((strict)) && failed=1
}
# show NAME FILE: a report, indented under a heading.
show() {
    printf '== %s\n' "$1"
    sed 's/^/   /' "$2"
}
# judged NAME RC START TOOL REPORT [ARG...]: reads the JSON REPORT of TOOL, which exited RC,
# with scan_report.py (run by PY, default .venv-scan's): sets N to its findings, shown under
# NAME, and WAIVED to those waived. False, with an error recorded and what the tool said
# shown, when it did not do its job: an unreadable report, or an exit code it gives for
# anything but findings (above 1, or 1 with none reported).
judged() {
    local name=$1 rc=$2 start=$3 reported=0
    shift 3
    if "${PY:-$VENV/bin/python}" "$HERE/scan_report.py" "$@" >"$OUT/findings" 2>>"$OUT/err"; then
        read -r N WAIVED reported <"$OUT/findings"
        sed -i 1d "$OUT/findings"
        if ((rc == 0 || (rc == 1 && reported > 0))); then
            ((N == 0)) || show "$name" "$OUT/findings"
            return 0
        fi
    fi
    cat "$OUT/findings" >>"$OUT/err"
    show "$name" "$OUT/err"
    error "${name%% *}" "exit $rc without a result it could count (see '== $name')" "$start"
    return 1
}

# Paths: SCAN_* when set, else the repository's defaults. Folders are expanded to their files
# (checkov repeats its reports when given several folders).
k8s_files() {
    local p
    for p in ${SCAN_K8S-k8s}; do
        if [[ -d $p ]]; then
            find "$p" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort
        else
            printf '%s\n' "$p"
        fi
    done
}
# The Dockerfiles git tracks (outside a git work tree: those found, hidden folders aside).
dockerfiles() {
    local p
    if [[ -n ${SCAN_DOCKERFILES+set} ]]; then
        for p in $SCAN_DOCKERFILES; do printf '%s\n' "$p"; done
    else
        { git ls-files -- '*Dockerfile' 2>/dev/null ||
            find . -path './.*' -prune -o -name Dockerfile -printf '%P\n'; } | sort
    fi
}
requirement_files() {
    local p
    for p in ${SCAN_REQUIREMENTS-services/numbers-api/requirements.txt services/web/requirements.txt \
        probe/requirements.txt requirements-dev.txt requirements-build.txt}; do printf '%s\n' "$p"; done
}

# -- the scanners -------------------------------------------------------------------------

run_checkov() {
    local start files=() args=() f rc report=$OUT/checkov.json
    start=$(now)
    mapfile -t files < <(k8s_files; dockerfiles)
    ((${#files[@]})) || { error checkov "nothing to scan" "$start"; return; }
    for f in "${files[@]}"; do args+=(-f "$f"); done
    # Offline and strict: no downloads or update checks, and a file it cannot parse fails.
    BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true CKV_PARSE_ERROR_FAIL=true \
        "$VENV/bin/checkov" --config-file .checkov.yaml -o json "${args[@]}" >"$report" 2>"$OUT/err"
    rc=$?
    judged checkov "$rc" "$start" checkov "$report" "$WAIVERS" "${files[@]}" || return
    record checkov "$N" "$WAIVED waived with a reason ($WAIVERS, Dockerfiles), ${#files[@]} files" "$start"
}

run_hadolint() {
    local start files=() rc report=$OUT/hadolint.json
    start=$(now)
    mapfile -t files < <(dockerfiles)
    ((${#files[@]})) || { error hadolint "no Dockerfile to scan" "$start"; return; }
    "$VENV/bin/hadolint" --config .hadolint.yaml -f json "${files[@]}" >"$report" 2>"$OUT/err"
    rc=$?
    judged hadolint "$rc" "$start" hadolint "$report" || return
    record hadolint "$N" "${#files[@]} Dockerfiles" "$start"
}

# Why the vulnerability feed cannot be used, or nothing when it answers. pip-audit reads
# PyPI's JSON API, whose address pip itself knows; an OSV feed is probed with a query.
feed_problem() {
    SCAN_OSV_URL=${SCAN_OSV_URL:-} "$VENV/bin/python" - <<'PY'
import json, os, requests
from pip._internal.models.index import PyPI
url = os.environ["SCAN_OSV_URL"]
try:
    if url:
        query = {"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "24.0"}
        r = requests.post(url, data=json.dumps(query), timeout=20)
    else:
        url = f"{PyPI.pypi_url}/pip/24.0/json"  # a release that exists
        r = requests.get(url, timeout=20)
except requests.RequestException as e:
    print(f"the vulnerability feed {url} does not answer: {type(e).__name__}")
else:
    if r.status_code != 200:
        print(f"the vulnerability feed {url} answers HTTP {r.status_code}, so no release can be audited")
PY
}

run_pip_audit() {
    local start files=() f rc total=0 problem mode service=() report=$OUT/pip-audit.json
    start=$(now)
    mapfile -t files < <(requirement_files)
    ((${#files[@]})) || { error pip-audit "no requirements file to audit" "$start"; return; }
    problem=$(feed_problem)
    [[ -n $problem ]] && { skipped pip-audit "$problem" "$start"; return; }
    [[ -n ${SCAN_OSV_URL:-} ]] && service=(--vulnerability-service osv --osv-url "$SCAN_OSV_URL")
    for f in "${files[@]}"; do
        # Hash-pinned files are audited exactly as pinned (and must pin everything); others
        # exactly as listed. pip is never run: nothing is resolved or installed.
        if grep -q -- '--hash=' "$f"; then mode=--require-hashes; else mode=--no-deps; fi
        "$VENV/bin/pip-audit" --strict --disable-pip "$mode" --progress-spinner off -f json \
            "${service[@]}" -r "$f" >"$report" 2>"$OUT/err"
        rc=$?
        judged "pip-audit $f" "$rc" "$start" pip-audit "$report" "$f" || return
        total=$((total + N))
    done
    record pip-audit "$total" "${#files[@]} requirements files" "$start"
}

run_ruff() {
    local start rc paths=() report=$OUT/ruff.json
    start=$(now)
    if [[ ! -x $ROOT/.venv/bin/ruff ]]; then
        say "setting up .venv for ruff (make venv)"
        make -s -C "$ROOT" venv >&2 || { error ruff "make venv failed" "$start"; return; }
    fi
    read -r -a paths <<<"${SCAN_RUFF-.}"
    "$ROOT/.venv/bin/ruff" check --config pyproject.toml --output-format json --no-cache \
        "${paths[@]}" >"$report" 2>"$OUT/err"
    rc=$?
    PY=$ROOT/.venv/bin/python judged ruff "$rc" "$start" ruff "$report" || return
    record ruff "$N" "" "$start"
}

# -- main ---------------------------------------------------------------------------------

needs_venv=0
for s in "${scanners[@]}"; do [[ $s != ruff ]] && needs_venv=1; done
if ((needs_venv || setup_only)); then ensure_venv; fi
((setup_only)) && exit "$EXIT_OK"

for s in "${scanners[@]}"; do run_"${s/-/_}"; done

printf '%s\n' "${SUMMARY[@]}"
if ((failed)); then
    printf 'scan: FAILED\n'
    exit "$EXIT_FAIL"
fi
printf 'scan: passed\n'
exit "$EXIT_OK"
