"""SIGKILL under the real probe while it journals: nothing it showed is lost, and it appends on.

``python -m dns_probe`` checks every 50 ms while the in-process DNS server flips the Service's
records (two address sets and NXDOMAIN), so nearly every check writes one or two fsync'ed
lines. The probe is killed with SIGKILL several times, restarted each time on the same journal
and port, and after every kill the journal must hold every event /status showed before it.

A SIGKILL can cut a write(2) in half, though rarely: the kernel copies a write into the file
page by page and stops at a fatal signal, so a line that crosses a page boundary can be left
torn (64 MB writes killed mid-way were torn 20 times in 20 here; the probe's ~300-byte lines
only now and then). Whatever a kill leaves after the last newline is therefore accepted as a
torn tail, and one parametrization makes such a tail every time by appending part of a line
after the kill, which is byte for byte what a torn write, a power loss or a full disk leaves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from service_runtime.testing import poll

from tests.support.dns_server import DNSServer
from tests.support.probe_process import (
    POD_RESOLV_CONF,
    SERVICE_FQDN,
    ProbeProcess,
    new_probe_port,
    probe_environment,
)

pytestmark = pytest.mark.integration

INTERVAL = 0.05
FLIP_EVERY = 0.03
KILLS = 5
# What a kill in the middle of a line leaves: the start of a line and no newline.
TORN_TAIL = b'{"time":"2026-01-01T00:00:03.0'


class RecordFlipper:
    """Cycles the Service through two address sets and NXDOMAIN, from a thread, until stopped."""

    STATES = (("10.96.0.20",), ("10.96.0.20", "10.96.0.21"), ())

    def __init__(self, server: DNSServer) -> None:
        self._server = server
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="record-flipper", daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 120  # bounded even if the test forgets to stop it
        index = 0
        while not self._stop.wait(FLIP_EVERY) and time.monotonic() < deadline:
            addresses = self.STATES[index % len(self.STATES)]
            if addresses:
                self._server.set_a(SERVICE_FQDN, list(addresses))
            else:
                self._server.remove(SERVICE_FQDN)
            index += 1

    def __enter__(self) -> RecordFlipper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class Runs:
    """Starts probe runs on one journal and one port, and kills whatever is left at the end."""

    environ: dict[str, str]
    workdir: Path
    started: list[ProbeProcess] = field(default_factory=list)

    @property
    def journal(self) -> Path:
        return Path(self.environ["PROBE_LOG_PATH"])

    def start(self) -> ProbeProcess:
        probe = ProbeProcess(self.environ, self.workdir, name=f"probe-{len(self.started)}")
        self.started.append(probe)
        return probe


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Runs]:
    with DNSServer() as server, RecordFlipper(server):
        resolv_conf = tmp_path / "resolv.conf"
        resolv_conf.write_text(POD_RESOLV_CONF)
        environ = probe_environment(
            nameserver=server.nameserver,
            log_path=tmp_path / "journal" / "events.jsonl",
            resolv_conf=resolv_conf,
            port=new_probe_port(),
            PROBE_INTERVAL_SECONDS=str(INTERVAL),
            # The journal must keep up with a check every 50 ms; stderr need not.
            PROBE_LOG_LEVEL="ERROR",
        )
        result = Runs(environ, tmp_path)
        try:
            yield result
        finally:
            for probe in result.started:
                probe.kill()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def kill_after_a_check_is_published(probe: ProbeProcess, journal: Path) -> dict[str, Any]:
    """/status has just shown a new check, whose lines are on disk: kill between writes."""
    first = probe.status()
    assert first is not None

    def new_check() -> dict[str, Any] | None:
        status = probe.status()
        return status if status is not None and status["checks"] > first["checks"] else None

    status = poll(new_check, timeout=5, interval=0)  # asked back to back: kill right after
    if status is None:
        pytest.fail(f"no new check within 5 s:\n{probe.stderr()}")
    probe.kill()
    return status


def kill_as_the_journal_grows(probe: ProbeProcess, journal: Path) -> dict[str, Any]:
    """Kill the moment the file grows: the check's next line or fsync may be under way."""
    status = probe.status()
    assert status is not None
    size = _size(journal)
    deadline = time.monotonic() + 5
    while _size(journal) == size and time.monotonic() < deadline:
        pass  # os.stat in a tight loop, for at most 5 s: the growth is what times the kill
    probe.kill()
    return status


KILL_MOMENTS = [
    pytest.param(kill_after_a_check_is_published, False, id="between_writes"),
    pytest.param(kill_as_the_journal_grows, False, id="as_a_line_is_written"),
    pytest.param(kill_as_the_journal_grows, True, id="mid_line_leaving_a_torn_tail"),
]


def _run_of(pid: int, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines one run wrote: from its probe_started to the next run's."""
    starts = [i for i, line in enumerate(lines) if line["event"] == "probe_started"]
    mine = next(i for i in starts if lines[i]["pid"] == pid)
    following = [i for i in starts if i > mine]
    return lines[mine : following[0] if following else len(lines)]


def _parse_journal(raw: bytes, torn: list[bytes]) -> list[dict[str, Any]]:
    """Every line parses as a JSON object, except exactly the torn tails left by crashes."""
    parsed, unparseable = [], []
    for line in raw.splitlines():
        # A tail cut just before its newline parses, but is still not a line of the journal.
        if line in torn:
            unparseable.append(line)
            continue
        try:
            parsed.append(json.loads(line))
        except ValueError:
            unparseable.append(line)
    assert unparseable == torn, "only the torn tails may fail to parse"
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def _assert_run_holds_what_status_showed(run: list[dict[str, Any]], status: dict[str, Any]):
    events = [line["event"] for line in run]
    assert events[0] == "probe_started"
    assert "probe_stopped" not in events, "a killed run must not claim a clean stop"
    # Written (and fsync'ed) before /status showed them, so at least as many lines.
    assert len(run) >= status["log"]["lines_written"]
    assert status["log"]["ok"] is True
    failed_times = {line["time"] for line in run if line["event"] == "check_failed"}
    for check in status["recent_checks"]:
        if not check["ok"]:
            assert check["time"] in failed_times, f"failed check {check} is not in the journal"
    assert len(failed_times) >= status["failures"]
    changes = [
        {"time": line["time"], "from": line["from"], "to": line["to"]}
        for line in run
        if line["event"] == "addresses_changed"
    ]
    for change in status["address_changes"]:
        assert change in changes, f"address change {change} is not in the journal"
    outage_starts = {
        line["time"] for line in run if line["event"] == "state_changed" and line["to"] == "failing"
    }
    for outage in status["outages"]:
        assert outage["start"] in outage_starts, f"outage {outage} is not in the journal"


def _has_flipped(probe: ProbeProcess) -> bool:
    status = probe.status() or {}
    return bool(status.get("address_changes")) and status.get("failures", 0) >= 2


def _has_written(probe: ProbeProcess) -> bool:
    status = probe.status() or {}
    return status.get("log", {}).get("lines_written", 0) >= 2


@pytest.mark.parametrize(("kill", "tear"), KILL_MOMENTS)
def test_probe_killed_while_journaling_keeps_every_event_it_showed_and_appends_after_restart(
    runs: Runs,
    kill: Callable[[ProbeProcess, Path], dict[str, Any]],
    tear: bool,
) -> None:
    torn: list[bytes] = []
    for _ in range(KILLS):
        probe = runs.start()
        assert poll(partial(_has_flipped, probe), timeout=20, interval=0.02), (
            f"the probe recorded no flips:\n{probe.stderr()}"
        )
        journaling_pid = probe.pid  # read while it lives: the journal's lines carry it

        status = kill(probe, runs.journal)
        assert probe.process.returncode == -9

        before_restart = runs.journal.read_bytes()
        if tear:
            with runs.journal.open("ab") as journal:
                journal.write(TORN_TAIL)
            before_restart += TORN_TAIL
        # What the kill (or the test) left of an unfinished line; usually nothing.
        torn_tail = before_restart.rpartition(b"\n")[2]
        if torn_tail:
            torn.append(torn_tail)
        lines = _parse_journal(before_restart, torn)
        _assert_run_holds_what_status_showed(_run_of(journaling_pid, lines), status)

        # The next run appends to the same file: what the killed run left is never rewritten.
        restarted = runs.start()
        assert poll(partial(_has_written, restarted), timeout=20, interval=0.02), (
            f"the restarted probe wrote nothing:\n{restarted.stderr()}"
        )
        after = runs.journal.read_bytes()
        assert after.startswith(before_restart)
        if torn_tail:
            # The torn tail is closed by a newline and the next line starts on its own.
            assert after[len(before_restart) : len(before_restart) + 1] == b"\n"
        new_lines = _parse_journal(after, torn)
        assert _run_of(restarted.pid, new_lines)[0]["event"] == "probe_started"
        assert restarted.stop() == 0, restarted.stderr()

    final = _parse_journal(runs.journal.read_bytes(), torn)
    starts = [line for line in final if line["event"] == "probe_started"]
    stops = [line for line in final if line["event"] == "probe_stopped"]
    assert len(starts) == 2 * KILLS
    assert len(stops) == KILLS  # only the runs stopped by SIGTERM
    if tear:
        assert len(torn) == KILLS
    assert final[-1]["event"] == "probe_stopped"
