"""``python -m dns_probe`` as a real process: serves, records, stops cleanly, rejects bad config."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from service_runtime.testing import free_port, poll

from tests.support.dns_server import DNSServer
from tests.support.probe_process import (
    POD_RESOLV_CONF,
    ProbeProcess,
    parse_lines,
    probe_environment,
    read_journal_lines,
)
from tests.support.processes import program_args

pytestmark = pytest.mark.integration

FQDN = "numbers-api.ns1.svc.cluster.local."
INTERVAL = 0.5
# Time allowed after the signal: one interval plus room for interpreter shutdown on a busy CI box.
EXIT_MARGIN = 3.0


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Where the journal goes; its directory does not exist yet (the journal creates it)."""
    return tmp_path / "journal" / "events.jsonl"


@pytest.fixture
def probe_env(dns_server: DNSServer, log_path: Path, tmp_path: Path) -> dict[str, str]:
    """The probe's environment (no inherited PROBE_* variable, no drain: these tests time the
    stop itself), for a pod in ns1 asking the in-process DNS server."""
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text(POD_RESOLV_CONF)
    return probe_environment(
        nameserver=dns_server.nameserver,
        log_path=log_path,
        resolv_conf=resolv_conf,
        port=free_port(),
        PROBE_INTERVAL_SECONDS=str(INTERVAL),
        PROBE_TIMEOUT_SECONDS=str(INTERVAL),
    )


def read_journal(log_path: Path) -> list[dict[str, Any]]:
    """The journal's lines, parsed; it must end with a whole line."""
    assert log_path.read_bytes().endswith(b"\n"), "the journal must end with a whole line"
    return parse_lines(read_journal_lines(log_path))


def has_checked(probe: ProbeProcess) -> bool:
    return (probe.status() or {}).get("checks", 0) >= 1


@pytest.fixture
def running_probe(probe_env: dict[str, str], tmp_path: Path) -> Iterator[ProbeProcess]:
    probe = ProbeProcess(probe_env, tmp_path)
    yield probe
    probe.kill()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_probe_process_serves_records_and_exits_zero_on_signal(
    running_probe: ProbeProcess,
    dns_server: DNSServer,
    log_path: Path,
    signum: signal.Signals,
) -> None:
    process, url = running_probe.process, running_probe.url

    def state() -> str | None:
        assert running_probe.alive(), running_probe.stderr()
        status = running_probe.status()
        return None if status is None else status["state"]

    assert poll(lambda: state() == "failing", timeout=15), "the probe never reported nxdomain"
    dns_server.add_a(FQDN, "10.96.0.20")
    assert poll(lambda: state() == "ok", timeout=5), "the probe never resolved the record"

    status = running_probe.status()
    assert status is not None
    assert status["addresses"] == ["10.96.0.20"]
    assert status["outages"][0]["reason"] == "nxdomain"
    assert requests.get(f"{url}/healthz", timeout=1).status_code == 200
    metrics = requests.get(f"{url}/metrics", timeout=1).text
    assert 'dns_probe_checks_total{outcome="nxdomain"}' in metrics

    process.send_signal(signum)
    signalled = time.monotonic()
    assert process.wait(timeout=INTERVAL + EXIT_MARGIN) == 0
    assert time.monotonic() - signalled < INTERVAL + EXIT_MARGIN

    lines = read_journal(log_path)
    events = [line["event"] for line in lines]
    assert events[0] == "probe_started"
    assert events[-1] == "probe_stopped"
    transitions = [(x["from"], x["to"]) for x in lines if x["event"] == "state_changed"]
    assert transitions == [("unknown", "failing"), ("failing", "ok")]
    assert any(x["event"] == "check_failed" and x["outcome"] == "nxdomain" for x in lines)
    stderr = running_probe.stderr()
    assert "Traceback" not in stderr
    assert "is now ok" in stderr


def test_restarted_probe_appends_to_the_journal(
    probe_env: dict[str, str],
    tmp_path: Path,
    log_path: Path,
) -> None:
    for run in range(2):
        probe = ProbeProcess(probe_env, tmp_path, name=f"probe-{run}")
        try:
            assert poll(partial(has_checked, probe), timeout=15), (
                f"no check within 15 s:\n{probe.stderr()}"
            )
            assert probe.stop(timeout=INTERVAL + EXIT_MARGIN) == 0, probe.stderr()
        finally:
            probe.kill()
    events = [line["event"] for line in read_journal(log_path)]
    assert events.count("probe_started") == 2
    assert events.count("probe_stopped") == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PROBE_INTERVAL_SECONDS", "abc"),
        ("PORT", "99999"),
        ("PROBE_NAMESERVER", "dns.example:53"),
    ],
)
def test_bad_environment_exits_2_with_one_line_naming_the_variable(
    probe_env: dict[str, str],
    tmp_path: Path,
    variable: str,
    value: str,
) -> None:
    completed = subprocess.run(
        program_args("probe"),
        cwd=tmp_path,
        env={**probe_env, variable: value},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"dns-probe: configuration error: {variable}={value!r} is not ")


def test_journal_lines_written_by_the_process_parse_one_by_one(
    running_probe: ProbeProcess, log_path: Path
) -> None:
    assert poll(lambda: log_path.exists() and log_path.stat().st_size > 0, timeout=15)
    assert running_probe.stop(timeout=INTERVAL + EXIT_MARGIN) == 0
    for raw in log_path.read_bytes().splitlines():
        assert isinstance(json.loads(raw), dict)


@pytest.mark.parametrize(
    ("http_url", "loads_requests"),
    [(None, False), ("http://127.0.0.1:9/", True)],
    ids=["no_http_check", "http_check"],
)
def test_the_probe_loads_requests_only_for_its_optional_http_check(
    probe_env: dict[str, str], http_url: str | None, loads_requests: bool
) -> None:
    """requests costs about 5 MB in each of the probe's two processes; its memory goal is 40 MiB."""
    environ = {**probe_env, **({"PROBE_HTTP_URL": http_url} if http_url else {})}
    built = (
        "import os, sys\n"
        "from dns_probe.app import create_app\n"
        "from dns_probe.config import load_config\n"
        "create_app(load_config(os.environ))\n"
        "print('requests' in sys.modules)\n"
    )
    done = subprocess.run(
        [program_args("probe")[0], "-c", built],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(loads_requests)
