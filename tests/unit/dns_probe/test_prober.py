"""Prober: loop timing, journaling before publishing, and a loop that outlives its failures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dns_probe.config import ProbeConfig
from dns_probe.history import History
from dns_probe.journal import Journal
from dns_probe.prober import Delayer, Prober, build_prober
from dns_probe.results import DnsOutcome, DnsResult

from tests.support.dns_server import DNSServer

FQDN = "numbers-api.ns1.svc.cluster.local."
BASE_KEYS = {
    "time",
    "event",
    "target",
    "check",
    "outcome",
    "http_outcome",
    "reason",
    "latency_ms",
    "addresses",
}


class ScriptedResolver:
    """Plays back DNS results in order, taking *latency* seconds of the fake clock each."""

    def __init__(self, clock: Any, outcomes: list[tuple[str, tuple[str, ...]]], latency: float):
        self._clock = clock
        self._outcomes = list(outcomes)
        self._latency = latency
        self.calls = 0

    def __call__(self, name: str) -> DnsResult:
        self.calls += 1
        outcome, addresses = self._outcomes.pop(0) if self._outcomes else ("ok", ("10.0.0.1",))
        self._clock.advance(self._latency)
        return DnsResult(DnsOutcome(outcome), self._latency, addresses)


class RecordingWait:
    """Stands in for Event.wait on the fake clock: records each sleep, stops after *rounds*."""

    def __init__(self, clock: Any, rounds: int) -> None:
        self._clock = clock
        self._rounds = rounds
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.sleeps.append(round(seconds, 9))
        self._clock.advance(seconds)
        return len(self.sleeps) >= self._rounds


@pytest.fixture
def journal(log_path: Path, fake_clock: Any) -> Iterator[Journal]:
    journal = Journal(str(log_path), clock=fake_clock)
    yield journal
    journal.close()


@pytest.mark.parametrize(
    ("interval", "jitter", "rand", "expected"),
    [(1.0, 1.0, 0.5, 0.5), (2.0, 0.25, 1.0, 0.5), (1.0, 0.0, 0.9, None), (1.0, 1.0, 0.0, None)],
)
def test_delayer_staggers_the_first_check_by_up_to_jitter_times_interval(
    interval: float, jitter: float, rand: float, expected: float | None
) -> None:
    waits: list[float] = []
    delayer = Delayer(interval, jitter, lambda s: waits.append(s) or False, rand=lambda: rand)
    assert delayer.start() is False
    assert waits == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("latency", "expected_sleep"),
    [(0.0, 1.0), (0.25, 0.75), (0.999, 0.001), (1.0, 0.0), (3.5, 0.0)],
)
def test_delayer_sleeps_interval_minus_latency(latency: float, expected_sleep: float) -> None:
    waits: list[float] = []
    delayer = Delayer(1.0, 0.5, lambda s: waits.append(s) or False)
    delayer.sleep(latency)
    assert waits == [pytest.approx(expected_sleep)]


def test_delayer_reports_a_stop_requested_while_sleeping() -> None:
    stop = threading.Event()
    stop.set()
    assert Delayer(1000.0, 1.0, stop.wait, rand=lambda: 1.0).start() is True
    assert Delayer(1000.0, 0.0, stop.wait).sleep(0.0) is True


def test_loop_keeps_checks_one_interval_apart_whatever_their_latency(
    fake_clock: Any, journal: Journal
) -> None:
    resolver = ScriptedResolver(fake_clock, [], latency=0.3)
    wait = RecordingWait(fake_clock, rounds=5)
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=resolver,
        journal=journal,
        clock=fake_clock,
        delayer=Delayer(1.0, 0.5, wait, rand=lambda: 0.4),
    )
    prober.run()
    assert wait.sleeps == [0.2, 0.7, 0.7, 0.7, 0.7]
    assert resolver.calls == 4
    assert prober.history.snapshot(fake_clock.monotonic())["checks"] == 4


def test_slow_checks_run_back_to_back_without_sleeping(fake_clock: Any, journal: Journal) -> None:
    wait = RecordingWait(fake_clock, rounds=3)
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=ScriptedResolver(fake_clock, [], latency=1.7),
        journal=journal,
        clock=fake_clock,
        delayer=Delayer(1.0, 0.0, wait),
    )
    prober.run()
    assert wait.sleeps == [0.0, 0.0, 0.0]


def test_state_is_unknown_until_the_first_check(fake_clock: Any, journal: Journal) -> None:
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=ScriptedResolver(fake_clock, [], latency=0.0),
        journal=journal,
        clock=fake_clock,
    )
    assert prober.status()["state"] == "unknown"
    prober.check_once()
    assert prober.status()["state"] == "ok"


def test_failures_and_changes_are_journaled_as_json_lines(
    fake_clock: Any, journal: Journal, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    resolver = ScriptedResolver(
        fake_clock,
        [
            ("nxdomain", ()),
            ("nxdomain", ()),
            ("ok", ("10.96.0.20",)),
            ("ok", ("10.96.0.20",)),
            ("ok", ("10.96.7.7",)),
        ],
        latency=0.004,
    )
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=resolver,
        journal=journal,
        clock=fake_clock,
    )
    for _ in range(5):
        prober.check_once()
        fake_clock.advance(1.0)

    lines = read_journal()
    assert [(line["event"], line["check"]) for line in lines] == [
        ("check_failed", 1),
        ("state_changed", 1),
        ("check_failed", 2),
        ("state_changed", 3),
        ("addresses_changed", 5),
    ]
    assert all(line.keys() >= BASE_KEYS for line in lines)
    assert lines[0] == {
        "time": "2026-01-01T00:00:00.000Z",
        "event": "check_failed",
        "target": "numbers-api",
        "check": 1,
        "outcome": "nxdomain",
        "http_outcome": None,
        "reason": "nxdomain",
        "latency_ms": 4.0,
        "addresses": [],
        "error": None,
        "http_status": None,
        "http_latency_ms": None,
        "names_tried": [],
    }
    assert (lines[1]["from"], lines[1]["to"]) == ("unknown", "failing")
    assert (lines[3]["from"], lines[3]["to"], lines[3]["addresses"]) == (
        "failing",
        "ok",
        ["10.96.0.20"],
    )
    assert (lines[4]["from"], lines[4]["to"]) == (["10.96.0.20"], ["10.96.7.7"])


def test_check_is_on_disk_before_it_shows_in_status(
    fake_clock: Any, journal: Journal, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=ScriptedResolver(fake_clock, [("servfail", ())], latency=0.001),
        journal=journal,
        clock=fake_clock,
    )
    published_at_write: list[int] = []
    real_write = journal.write

    def spying_write(record: dict[str, Any]) -> bool:
        published_at_write.append(prober.status()["checks"])
        return real_write(record)

    monkeypatch.setattr(journal, "write", spying_write)
    prober.check_once()
    assert published_at_write == [0, 0], "both lines were written before the check was published"
    assert prober.status()["checks"] == 1


def test_run_brackets_checks_with_started_and_stopped_lines(
    fake_clock: Any, journal: Journal, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=ScriptedResolver(fake_clock, [("timeout", ())], latency=0.5),
        journal=journal,
        clock=fake_clock,
        delayer=Delayer(1.0, 0.0, RecordingWait(fake_clock, rounds=2)),
        describe=lambda: {"nameservers": ["127.0.0.1:53"], "names": ["numbers-api."]},
    )
    prober.run()
    lines = read_journal()
    assert [line["event"] for line in lines] == [
        "probe_started",
        "check_failed",
        "state_changed",
        "state_changed",
        "probe_stopped",
    ]
    assert lines[0]["resolver"] == {"nameservers": ["127.0.0.1:53"], "names": ["numbers-api."]}
    assert lines[0]["interval_seconds"] == 1.0
    assert lines[-1]["checks"] == 2
    assert lines[-1]["state"] == "ok"


def test_a_crashing_check_does_not_stop_the_loop(
    fake_clock: Any, journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    def flaky(name: str) -> DnsResult:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("resolver bug")
        return DnsResult(DnsOutcome.OK, 0.001, ("10.0.0.1",))

    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=flaky,
        journal=journal,
        clock=fake_clock,
        delayer=Delayer(1.0, 0.0, RecordingWait(fake_clock, rounds=3)),
    )
    prober.run()
    assert calls["n"] == 3
    assert prober.history.state.value == "ok"
    assert "resolver bug" in caplog.text


def test_journal_write_errors_keep_the_loop_checking_and_show_in_status(
    tmp_path: Path, fake_clock: Any, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("not a directory\n")
    path = blocker / "events.jsonl"
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=ScriptedResolver(fake_clock, [("nxdomain", ()), ("nxdomain", ())], 0.001),
        journal=Journal(str(path), clock=fake_clock),
        clock=fake_clock,
    )
    prober.check_once()
    prober.check_once()
    status = prober.status()
    assert status["checks"] == 2
    assert status["state"] == "failing"
    assert status["log"]["ok"] is False
    assert status["log"]["pending_lines"] == 3
    assert status["log"]["last_write_error"]["message"]

    blocker.unlink()
    prober.check_once()
    status = prober.status()
    assert status["log"]["ok"] is True
    assert status["log"]["pending_lines"] == 0
    prober.journal.close()
    events = [(line["event"], line["check"]) for line in read_journal(path)]
    assert events == [
        ("check_failed", 1),
        ("state_changed", 1),
        ("check_failed", 2),
        ("state_changed", 3),
    ]


def test_stop_ends_a_running_loop_well_within_one_interval(journal: Journal) -> None:
    prober = Prober(
        target="numbers-api",
        interval_seconds=5.0,
        resolve=lambda name: DnsResult(DnsOutcome.OK, 0.0, ("10.0.0.1",)),
        journal=journal,
    )
    prober.start()
    assert prober.running
    prober.stop()
    assert prober.join(timeout=1.0)
    assert not prober.running


def test_history_limit_from_config_bounds_status_lists(
    make_config: Callable[..., ProbeConfig], fake_clock: Any
) -> None:
    prober = build_prober(make_config(PROBE_HISTORY_LIMIT="3"), clock=fake_clock)
    assert isinstance(prober.history, History)
    assert prober.history.limit == 3


def test_real_probe_follows_the_service_appearing_changing_and_vanishing(
    make_config: Callable[..., ProbeConfig],
    dns_server: DNSServer,
    read_journal: Callable[..., list[dict[str, Any]]],
    wait_until: Callable[..., Any],
) -> None:
    # Loopback DNS answers in milliseconds; the rest of the 0.25 s is room for a busy machine.
    prober = build_prober(make_config(PROBE_INTERVAL_SECONDS="0.25", PROBE_TIMEOUT_SECONDS="0.25"))
    prober.start()
    try:
        wait_until(lambda: prober.status()["state"] == "failing", message="nxdomain first")
        dns_server.add_a(FQDN, "10.96.0.20")
        wait_until(lambda: prober.status()["state"] == "ok", message="the record to resolve")
        dns_server.set_a(FQDN, ["10.96.7.7"])
        wait_until(lambda: prober.status()["addresses"] == ["10.96.7.7"], message="new address")
        dns_server.remove(FQDN)
        wait_until(lambda: prober.status()["state"] == "failing", message="the name to vanish")
    finally:
        prober.stop()
        assert prober.join(timeout=1.0)
        prober.journal.close()

    status = prober.status()
    assert status["names"][0] == FQDN
    assert [o["reason"] for o in status["outages"]] == ["nxdomain", "nxdomain"]
    assert status["outages"][0]["end"] is not None
    assert status["outages"][1]["end"] is None
    events = [line["event"] for line in read_journal()]
    assert events[0] == "probe_started"
    assert events[-1] == "probe_stopped"
    assert "addresses_changed" in events
    transitions = [(x["from"], x["to"]) for x in read_journal() if x["event"] == "state_changed"]
    assert transitions == [("unknown", "failing"), ("failing", "ok"), ("ok", "failing")]
