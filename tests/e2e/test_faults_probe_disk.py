"""A full disk under the probe's journal, in its container: it keeps checking and serving,
says so in /status and in its log, and writes every held line once there is room again.

The probe image runs hardened (read-only root, no capabilities, uid 10001) with its journal
directory on a 64 KiB tmpfs. It resolves numbers-api through a DNS server container on the
test's network that answers NXDOMAIN, so every check fails and adds a line. The test fills
the tmpfs from inside the container (docker exec, as uid 10001), watches, then deletes the
filler.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from docker.models.containers import Container

from tests.support.fault_containers import (
    HARDENING,
    DnsContainer,
    Janitor,
    logs,
    published_url,
    wait_for,
    wait_http_ok,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

JOURNAL_DIR = "/var/lib/probe"
JOURNAL = f"{JOURNAL_DIR}/events.jsonl"
FILLER = f"{JOURNAL_DIR}/filler"
INTERVAL = 0.5
CANNOT_WRITE = f"cannot write journal {JOURNAL}: No space left on device"
WRITABLE_AGAIN = f"journal {JOURNAL} is writable again"

# Runs in the probe container as its user: fill the tmpfs until the kernel says ENOSPC.
FILL = """
import errno, sys
written = 0
with open(sys.argv[1], "wb", buffering=0) as filler:
    while True:
        try:
            written += filler.write(b"\\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
            break
    # Whatever the last page could still take, so not even one more line fits.
    while True:
        try:
            written += filler.write(b"\\0")
        except OSError:
            break
print(written)
"""


@dataclass
class RunningProbe:
    container: Container
    url: str

    def status(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/status", timeout=2)
        assert response.status_code == 200
        return response.json()

    def exec(self, *command: str) -> str:
        exit_code, output = self.container.exec_run(list(command))
        text = output.decode(errors="replace")
        assert exit_code == 0, text
        return text


@pytest.fixture
def probe(docker_client, images) -> Iterator[RunningProbe]:
    janitor = Janitor(docker_client, "probe-disk")
    try:
        network = janitor.network()
        dns = DnsContainer(janitor, images["probe"], network)
        dns.set(a={})  # every name is NXDOMAIN: the probe fails, and journals, every check
        container = janitor.run(
            images["probe"],
            "probe",
            network=network.name,
            environment={
                "PROBE_TARGET": "numbers-api",
                "PROBE_NAMESERVER": f"{dns.ip}:53",
                "PROBE_INTERVAL_SECONDS": str(INTERVAL),
                "PROBE_JITTER": "0",
            },
            ports={"9090/tcp": ("127.0.0.1", None)},
            tmpfs={
                "/tmp": "rw,size=16m",
                JOURNAL_DIR: "rw,size=64k,uid=10001,gid=10001,mode=0755",
            },
            **HARDENING,
        )
        url = published_url(container, "9090/tcp")
        wait_http_ok(f"{url}/healthz", timeout=60, what=f"the probe:\n{logs(container)}")
        yield RunningProbe(container, url)
    finally:
        janitor.cleanup()
    assert janitor.leftovers() == []


def _journal_lines(probe: RunningProbe) -> list[dict[str, Any]]:
    """Every line parses, but a torn one left by a partial write before ENOSPC, which must be
    the start of the line written whole right after it."""
    raw = probe.exec("cat", JOURNAL).encode()
    assert raw.endswith(b"\n")
    lines = raw.splitlines()
    parsed = []
    for index, line in enumerate(lines):
        try:
            parsed.append(json.loads(line))
        except ValueError:
            assert index + 1 < len(lines) and lines[index + 1].startswith(line), line
    return parsed


def test_probe_on_a_full_disk_keeps_checking_reports_the_error_and_flushes_when_freed(
    probe: RunningProbe,
) -> None:
    probe.container.reload()
    volumes = [m for m in probe.container.attrs["Mounts"] if m["Type"] == "volume"]
    assert volumes == [], "the tmpfs must replace the image's volume, not add one"
    wait_for(
        lambda: probe.status()["log"]["lines_written"] >= 3,
        timeout=10,
        what="the probe to journal its failing checks",
    )
    assert probe.status()["checks_by_outcome"]["nxdomain"] >= 1

    filled = int(probe.exec("python3", "-c", FILL, FILLER))
    assert filled > 0

    full = wait_for(
        lambda: (status := probe.status())["log"]["ok"] is False and status,
        timeout=30,
        what="/status to report the write error",
    )
    error = full["log"]["last_write_error"]
    assert error["errno"] == "ENOSPC"
    assert "No space left on device" in error["message"]
    # Still checking and serving: more checks, lines held in memory in order, none dropped.
    later = wait_for(
        lambda: (status := probe.status())["checks"] >= full["checks"] + 3 and status,
        timeout=10 * INTERVAL + 5,
        what="three more checks on the full disk",
    )
    assert later["log"]["ok"] is False
    assert later["log"]["pending_lines"] > full["log"]["pending_lines"] >= 1
    assert later["log"]["dropped_lines"] == 0
    assert later["loop_running"] is True
    assert requests.get(f"{probe.url}/healthz", timeout=2).status_code == 200
    metrics = requests.get(f"{probe.url}/metrics", timeout=2).text
    assert "dns_probe_journal_write_errors_total" in metrics
    container_log = logs(probe.container, tail=500)
    assert container_log.count(CANNOT_WRITE) == 1, container_log  # once, not once per check

    held = later["log"]["pending_lines"]
    written_before = later["log"]["lines_written"]
    probe.exec("rm", FILLER)
    freed = time.monotonic()
    resumed = wait_for(
        lambda: (
            (status := probe.status())["log"]["ok"] is True
            and status["log"]["pending_lines"] == 0
            and status
        ),
        timeout=3 * INTERVAL + 5,
        what="the probe to write again",
    )
    resumed_after = time.monotonic() - freed
    assert resumed["log"]["lines_written"] >= written_before + held
    assert resumed["log"]["dropped_lines"] == 0
    assert WRITABLE_AGAIN in logs(probe.container, tail=500)

    lines = _journal_lines(probe)
    failed = [line["check"] for line in lines if line["event"] == "check_failed"]
    # Every check failed and every one is in the journal, in order, once: nothing was lost
    # while the disk was full, and the held lines came out in the order they were made.
    assert failed == list(range(1, len(failed) + 1))
    assert len(failed) >= resumed["checks"] - 1
    assert [line["event"] for line in lines][:3] == [
        "probe_started",
        "check_failed",
        "state_changed",
    ]
    print(  # the figures the fault report quotes (pytest -s or -rP)
        f"\nfiller {filled} bytes; {held} line(s) held in memory; writing again "
        f"{resumed_after:.3f} s after the filler was deleted; {len(failed)} failed checks "
        f"journaled, write_errors={resumed['log']['write_errors']}"
    )
