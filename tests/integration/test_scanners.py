"""scripts/scan.sh: the security scanners pass on the repository, and each one fails on
something broken, through the very script CI runs.

The scanners live in .venv-scan; the first test to need them installs it (about a minute),
hence the long timeouts. pip-audit needs a vulnerability feed: where PyPI's per-release JSON
does not answer, the tests that need the real feed skip and say so, and a stand-in OSV feed
on 127.0.0.1 shows that the script audits every pin and fails on a vulnerable one.

checkov's waivers for Kubernetes objects live in .checkov-waivers.yaml, not in the objects:
each names its check, the objects it concerns and its reason, and waives nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCAN = ROOT / "scripts" / "scan.sh"
SCANNERS = ("checkov", "hadolint", "pip-audit", "ruff")
# A summary line: "checkov:   0 findings, ..." / "pip-audit: skipped: why" / "x: error: why".
SUMMARY = re.compile(
    r"^(?P<name>[a-z-]+):\s+"
    r"(?:(?P<count>\d+) findings?|(?P<state>skipped|error): (?P<why>.*))"
)


def tracked_dockerfiles() -> list[Path]:
    """The Dockerfiles scan.sh scans by default: those git tracks (else those found)."""
    result = subprocess.run(
        ["git", "ls-files", "--", "*Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return [ROOT / name for name in result.stdout.split()]
    return [
        path
        for path in ROOT.rglob("Dockerfile")
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    ]


DOCKERFILES = tracked_dockerfiles()


def run_scan(*args: str, **env: str) -> tuple[int, str, dict[str, re.Match]]:
    result = subprocess.run(
        [str(SCAN), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )
    output = result.stdout + result.stderr
    lines = {m["name"]: m for m in map(SUMMARY.match, result.stdout.splitlines()) if m}
    return result.returncode, output, lines


def count(lines: dict[str, re.Match], name: str) -> int:
    assert name in lines, f"no summary line for {name}"
    assert lines[name]["count"] is not None, lines[name].string
    return int(lines[name]["count"])


@pytest.fixture(scope="module")
def scanners() -> None:
    """.venv-scan, installed from requirements-scan.txt when its pins changed."""
    result = subprocess.run(
        [str(SCAN), "--setup-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )
    assert result.returncode == 0, f"installing the scanners failed:\n{result.stderr}"


# -- the repository ---------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_the_repository_scans_clean(scanners: None) -> None:
    code, output, lines = run_scan()
    assert set(lines) == set(SCANNERS), output
    for name in ("checkov", "hadolint", "ruff"):
        assert count(lines, name) == 0, output
    # pip-audit either audited every pin clean or says why it could not (its own test below).
    assert lines["pip-audit"]["count"] == "0" or lines["pip-audit"]["state"] == "skipped", output
    assert code == 0, output
    assert "scan: passed" in output
    # checkov read every manifest and every Dockerfile.
    manifests = [p for p in (ROOT / "k8s").rglob("*.y*ml")]
    assert f", {len(manifests) + len(DOCKERFILES)} files" in lines["checkov"].string, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_pip_audit_finds_nothing_in_the_pinned_requirements(scanners: None) -> None:
    code, output, lines = run_scan("pip-audit")
    if lines["pip-audit"]["state"] == "skipped":
        pytest.skip(f"pip-audit cannot audit here: {lines['pip-audit']['why']}")
    assert count(lines, "pip-audit") == 0, output
    assert code == 0, output


# -- each scanner fails on something broken ---------------------------------------------------

BROKEN_DOCKERFILE = """\
FROM python:latest
USER root
RUN curl -fsSL https://example.com/install.sh | sh
CMD python app.py
"""

PRIVILEGED = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "bad", "namespace": "scan-test"},
    "spec": {
        "selector": {"matchLabels": {"app": "bad"}},
        "template": {
            "metadata": {"labels": {"app": "bad"}},
            "spec": {
                "containers": [
                    {
                        "name": "bad",
                        "image": "numbers-demo/web:0.1.0",
                        "securityContext": {"privileged": True},
                    }
                ]
            },
        },
    },
}


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_checkov_and_hadolint_fail_on_a_bad_dockerfile(scanners: None, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(BROKEN_DOCKERFILE)
    code, output, lines = run_scan(
        "checkov", "hadolint", SCAN_K8S="", SCAN_DOCKERFILES=str(tmp_path / "Dockerfile")
    )
    assert code == 1, output
    assert count(lines, "checkov") >= 3, output
    for check in ("CKV_DOCKER_7", "CKV_DOCKER_8", "CKV_DOCKER_2"):  # latest, root, no HEALTHCHECK
        assert re.search(rf"{check}:.*\n\s+FAILED", output), f"{check} not reported:\n{output}"
    assert count(lines, "hadolint") >= 3, output
    for rule in ("DL3007", "DL3002", "DL4006"):  # latest, root, a pipe without pipefail
        assert f" {rule} " in output, f"{rule} not reported:\n{output}"


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_checkov_fails_on_a_privileged_deployment(scanners: None, tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(yaml.safe_dump(PRIVILEGED))
    code, output, lines = run_scan("checkov", SCAN_K8S=str(manifest), SCAN_DOCKERFILES="")
    assert code == 1, output
    assert re.search(r"CKV_K8S_16:.*\n\s+FAILED", output), output  # privileged
    assert count(lines, "checkov") > 1, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_checkov_errs_on_a_manifest_it_cannot_parse(scanners: None, tmp_path: Path) -> None:
    # checkov itself passes a file of broken YAML as one with no objects.
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: [oops\n")
    code, output, lines = run_scan("checkov", SCAN_K8S=str(manifest), SCAN_DOCKERFILES="")
    assert lines["checkov"]["state"] == "error" and f"cannot read {manifest}" in output, output
    assert code == 1, output


def deployment(name: str) -> dict:
    """PRIVILEGED, named NAME."""
    obj = json.loads(json.dumps(PRIVILEGED))
    obj["metadata"]["name"] = name
    return obj


def waiver_file(tmp_path: Path, *waivers: dict) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": list(waivers)}))
    return path


def reported(output: str, check: str) -> list[tuple[str, str]]:
    """(resource, file) of every failure of CHECK that scan.sh shows."""
    found = re.findall(rf"{check}:.*\n\s+FAILED for resource: (\S+)\n\s+File: ([^:\n]+):", output)
    return [(resource, str(Path(file).name)) for resource, file in found]


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_a_checkov_waiver_waives_only_its_check_on_its_object(
    scanners: None, tmp_path: Path
) -> None:
    # Deployment/bad waived in one.yaml; the same finding on Deployment/worse in the same
    # file, and on a Deployment/bad in another file, must still be reported.
    one, other = tmp_path / "one.yaml", tmp_path / "other.yaml"
    one.write_text(yaml.safe_dump_all([deployment("bad"), deployment("worse")]))
    other.write_text(yaml.safe_dump(deployment("bad")))
    waivers = waiver_file(
        tmp_path,
        {
            "check": "CKV_K8S_16",
            "reason": "a test of the waiver",
            "objects": {str(one): "Deployment/bad"},
        },
    )
    code, output, lines = run_scan(
        "checkov",
        SCAN_K8S=f"{one} {other}",
        SCAN_DOCKERFILES="",
        SCAN_CHECKOV_WAIVERS=str(waivers),
    )
    assert sorted(reported(output, "CKV_K8S_16")) == [
        ("Deployment.scan-test.bad", "other.yaml"),
        ("Deployment.scan-test.worse", "one.yaml"),
    ], output
    assert " 1 waived " in lines["checkov"].string, output
    # Its other checks still fail on the waived object.
    assert ("Deployment.scan-test.bad", "one.yaml") in reported(output, "CKV_K8S_20"), output
    assert code == 1, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_the_repositorys_waivers_do_not_cover_a_copy_of_their_manifest(
    scanners: None, tmp_path: Path
) -> None:
    # k8s/web/deployment.yaml's waivers name that file: a copy elsewhere gets every finding.
    copy = tmp_path / "deployment.yaml"
    copy.write_text((ROOT / "k8s" / "web" / "deployment.yaml").read_text())
    code, output, lines = run_scan("checkov", SCAN_K8S=str(copy), SCAN_DOCKERFILES="")
    waived_on_web = {
        w["check"] for w in repository_waivers() if "k8s/web/deployment.yaml" in w["objects"]
    }
    assert waived_on_web, "no waiver for k8s/web/deployment.yaml any more: pick another file"
    for check in waived_on_web:
        assert reported(output, check), f"{check} not reported on the copy:\n{output}"
    assert count(lines, "checkov") == len(waived_on_web) and code == 1, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_a_waiver_that_waives_nothing_is_a_finding(scanners: None, tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(yaml.safe_dump(deployment("bad")))
    waivers = waiver_file(
        tmp_path,
        # Not privileged: CKV_K8S_16 fails on Deployment/bad, but no check fails on /nothing.
        {
            "check": "CKV_K8S_16",
            "reason": "needed",
            "objects": {str(manifest): "Deployment/nothing"},
        },
        # No such file.
        {"check": "CKV_K8S_16", "reason": "gone", "objects": {"k8s/gone.yaml": "Deployment/bad"}},
    )
    code, output, lines = run_scan(
        "checkov", SCAN_K8S=str(manifest), SCAN_DOCKERFILES="", SCAN_CHECKOV_WAIVERS=str(waivers)
    )
    assert "Waiver: CKV_K8S_16 on Deployment/nothing" in output and "waives nothing" in output
    assert "Waiver: CKV_K8S_16 on Deployment/bad in k8s/gone.yaml: no such file" in output
    assert reported(output, "CKV_K8S_16"), output  # Deployment/bad's finding stays
    assert count(lines, "checkov") >= 3 and code == 1, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_a_waiver_without_a_reason_stops_the_scan(scanners: None, tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(yaml.safe_dump(deployment("bad")))
    waivers = waiver_file(
        tmp_path,
        {"check": "CKV_K8S_16", "reason": " ", "objects": {str(manifest): "Deployment/bad"}},
    )
    code, output, lines = run_scan(
        "checkov", SCAN_K8S=str(manifest), SCAN_DOCKERFILES="", SCAN_CHECKOV_WAIVERS=str(waivers)
    )
    assert lines["checkov"]["state"] == "error" and "no reason given" in output, output
    assert code == 1, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_ruff_fails_on_a_shell_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    code, output, lines = run_scan("ruff", SCAN_RUFF=str(bad))
    assert code == 1, output
    assert count(lines, "ruff") == 1 and " S602 " in output, output


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_pip_audit_fails_on_a_known_vulnerable_pin(scanners: None, tmp_path: Path) -> None:
    """Against the real feed: Flask 0.12 has published advisories (e.g. PYSEC-2018-66)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==0.12\n")
    code, output, lines = run_scan("pip-audit", SCAN_REQUIREMENTS=str(requirements))
    if lines["pip-audit"]["state"] == "skipped":
        pytest.skip(f"pip-audit cannot audit here: {lines['pip-audit']['why']}")
    assert code == 1, output
    assert count(lines, "pip-audit") >= 1, output


# -- pip-audit against a stand-in OSV feed on 127.0.0.1 ---------------------------------------


STAND_IN_RANGE = {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.12.3"}]}
STAND_IN_ADVISORY = {
    "vulns": [
        {
            "id": "TEST-0001",
            "summary": "a stand-in advisory",
            "affected": [
                {"package": {"name": "flask", "ecosystem": "PyPI"}, "ranges": [STAND_IN_RANGE]}
            ],
        }
    ]
}


class StandInFeed:
    """An OSV-style /v1/query endpoint that knows one advisory: TEST-0001 in flask 0.12."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                name, version = query["package"]["name"], query["version"]
                feed.queries.append((name, version))
                body = STAND_IN_ADVISORY if (name, version) == ("flask", "0.12") else {}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/query"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()


@pytest.fixture
def feed() -> Iterator[StandInFeed]:
    stand_in = StandInFeed()
    yield stand_in
    stand_in.stop()


def pins(path: Path) -> set[tuple[str, str]]:
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", path.read_text(), re.M)
    return {(re.sub(r"[-_.]+", "-", name).lower(), version) for name, version in found}


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_pip_audit_fails_on_a_pin_the_feed_knows_is_vulnerable(
    scanners: None, feed: StandInFeed, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==0.12\n")
    code, output, lines = run_scan(
        "pip-audit", SCAN_REQUIREMENTS=str(requirements), SCAN_OSV_URL=feed.url
    )
    assert code == 1, output
    assert count(lines, "pip-audit") == 1 and "TEST-0001" in output, output
    assert ("flask", "0.12") in feed.queries


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_pip_audit_queries_every_pin_of_every_requirements_file(
    scanners: None, feed: StandInFeed
) -> None:
    code, output, lines = run_scan("pip-audit", SCAN_OSV_URL=feed.url)
    assert code == 0 and count(lines, "pip-audit") == 0, output
    assert "5 requirements files" in lines["pip-audit"].string, output
    for name in ("services/numbers-api", "services/web", "probe"):
        expected = pins(ROOT / name / "requirements.txt")
        assert expected and expected <= set(feed.queries), name
    assert pins(ROOT / "requirements-dev.txt") <= set(feed.queries)
    assert pins(ROOT / "requirements-build.txt") <= set(feed.queries)


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_pip_audit_without_a_feed_is_skipped_and_fails_only_when_strict(
    scanners: None, feed: StandInFeed
) -> None:
    url = feed.url
    feed.stop()  # nothing listens there any more
    code, output, lines = run_scan("pip-audit", SCAN_OSV_URL=url)
    assert lines["pip-audit"]["state"] == "skipped" and url in lines["pip-audit"]["why"], output
    assert code == 0, output
    code, output, _ = run_scan("--strict", "pip-audit", SCAN_OSV_URL=url)
    assert code == 1, output


# -- waivers carry their reasons; the script's own contract ------------------------------------

CHECK_ID = r"CKV2?_[A-Z0-9]+_\d+"


WAIVERS = ROOT / ".checkov-waivers.yaml"


def repository_waivers() -> list[dict]:
    return yaml.safe_load(WAIVERS.read_text())["waivers"]


def waived_objects() -> list[tuple[str, str, str]]:
    """(check, file, Kind/name) for every object .checkov-waivers.yaml names."""
    found = []
    for waiver in repository_waivers():
        for file, refs in waiver["objects"].items():
            for ref in [refs] if isinstance(refs, str) else refs:
                found.append((waiver["check"], file, ref))
    return found


def test_every_checkov_waiver_gives_its_reason() -> None:
    waivers = repository_waivers()
    assert waivers, "no waivers found: has the waiver file's format changed?"
    for waiver in waivers:
        assert set(waiver) == {"check", "reason", "objects"}, waiver
        assert re.fullmatch(CHECK_ID, waiver["check"]), waiver
        assert waiver["objects"], f"{waiver['check']}: names no object"
        reason = waiver["reason"]
        assert len(reason.split()) >= 6, (
            f"{waiver['check']}: the reason {reason!r} explains nothing"
        )


def test_every_checkov_waiver_names_an_object_that_exists() -> None:
    objects = waived_objects()
    assert len(objects) >= 20, "fewer waived objects than the manifests had waivers"
    assert len(set(objects)) == len(objects), "an object is waived twice for the same check"
    for check, file, ref in objects:
        path = ROOT / file
        assert path.is_file() and path.is_relative_to(ROOT / "k8s"), f"{check}: no manifest {file}"
        kind, *namespace, name = ref.split("/")
        there = [
            obj
            for obj in yaml.safe_load_all(path.read_text())
            if obj
            and obj["kind"] == kind
            and obj["metadata"]["name"] == name
            and obj["metadata"].get("namespace") in (namespace or [None])
        ]
        assert len(there) == 1, f"{check}: {file} has no {ref}"


def test_no_waiver_is_left_in_the_kubernetes_objects() -> None:
    # checkov would still honour such an annotation, and it would be applied into the cluster.
    manifests = sorted((ROOT / "k8s").rglob("*.y*ml"))
    assert manifests
    for path in manifests:
        assert "checkov.io/" not in path.read_text(), path
        assert "bridgecrew.io/" not in path.read_text(), path
        for obj in yaml.safe_load_all(path.read_text()):
            annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
            assert not [k for k in annotations if "checkov" in k or "bridgecrew" in k], path


def test_every_waiver_in_the_dockerfiles_gives_its_reason() -> None:
    assert DOCKERFILES
    for path in DOCKERFILES:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if "checkov:skip=" in line:
                match = re.search(rf"checkov:skip=({CHECK_ID}):(.+)", line)
                assert match and len(match[2].split()) >= 6, f"{where}: no reason given"
            if re.search(r"hadolint\s+ignore=", line):
                before = lines[number - 2] if number > 1 else ""
                assert before.startswith("#") and "hadolint" not in before, (
                    f"{where}: a hadolint ignore needs a comment with its reason on the line before"
                )


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_the_scan_venv_stamp_matches_the_pins(scanners: None) -> None:
    stamp = (ROOT / ".venv-scan" / ".installed").read_text().split()[0]
    assert stamp == hashlib.sha256((ROOT / "requirements-scan.txt").read_bytes()).hexdigest()


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_the_scan_venv_is_invisible_to_git(scanners: None) -> None:
    result = subprocess.run(
        ["git", "status", "--porcelain", "--ignored=no", "--", ".venv-scan"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("not a git work tree")
    assert result.stdout == ""


def test_the_script_rejects_an_unknown_scanner() -> None:
    code, output, _ = run_scan("bandit")
    assert code == 2 and "unknown argument: bandit" in output
