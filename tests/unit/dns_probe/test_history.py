"""History: the unknown/ok/failing state machine, outages, address changes, bounded lists."""

from __future__ import annotations

import pytest
from dns_probe.history import History
from dns_probe.results import (
    CheckResult,
    DnsOutcome,
    DnsResult,
    HttpOutcome,
    HttpResult,
    ProbeState,
)

T0_WALL = 1_767_225_600.0  # 2026-01-01T00:00:00Z
T0_MONO = 1000.0
ADDRESS = ("10.96.0.20",)


def result(
    number: int,
    outcome: DnsOutcome | str = DnsOutcome.OK,
    addresses: tuple[str, ...] | None = None,
    *,
    http: HttpOutcome | None = None,
    latency: float = 0.002,
) -> CheckResult:
    """Check *number*, made at T0 + number seconds."""
    outcome = DnsOutcome(outcome)
    if addresses is None:
        addresses = ADDRESS if outcome is DnsOutcome.OK else ()
    return CheckResult(
        number=number,
        wall_time=T0_WALL + number,
        monotonic_time=T0_MONO + number,
        target="numbers-api",
        dns=DnsResult(outcome, latency, addresses),
        http=None if http is None else HttpResult(http, 0.01, status=200),
    )


def test_state_is_unknown_before_the_first_check() -> None:
    history = History()
    snapshot = history.snapshot(T0_MONO)
    assert history.state is ProbeState.UNKNOWN
    assert snapshot["state"] == "unknown"
    assert snapshot["state_since"] is None
    assert snapshot["checks"] == 0
    assert snapshot["last_check"] is None
    assert snapshot["addresses"] == []
    assert snapshot["outages"] == []


@pytest.mark.parametrize(
    ("outcomes", "states"),
    [
        (["ok"], ["ok"]),
        (["nxdomain"], ["failing"]),
        (["ok", "timeout", "timeout", "ok"], ["ok", "failing", "failing", "ok"]),
        (["servfail", "no_answer", "no_nameservers"], ["failing"] * 3),
    ],
)
def test_state_follows_every_check(outcomes: list[str], states: list[str]) -> None:
    history = History()
    seen = []
    for number, outcome in enumerate(outcomes, start=1):
        history.apply(result(number, outcome))
        seen.append(history.state.value)
    assert seen == states


def test_preview_reports_the_transition_without_applying_it() -> None:
    history = History()
    transition = history.preview(result(1, "nxdomain"))
    assert (transition.state_before, transition.state_after) == (
        ProbeState.UNKNOWN,
        ProbeState.FAILING,
    )
    assert history.state is ProbeState.UNKNOWN
    assert history.snapshot(T0_MONO)["checks"] == 0


def test_outage_starts_at_the_first_failure_and_ends_at_the_first_success() -> None:
    history = History()
    history.apply(result(1))
    history.apply(result(2, "nxdomain"))
    history.apply(result(3, "nxdomain"))
    history.apply(result(4, "timeout"))
    history.apply(result(7))
    assert history.snapshot(T0_MONO + 8)["outages"] == [
        {
            "start": "2026-01-01T00:00:02.000Z",
            "end": "2026-01-01T00:00:07.000Z",
            "duration_seconds": 5.0,
            "reason": "nxdomain",
            "reasons": {"nxdomain": 2, "timeout": 1},
            "failed_checks": 3,
        }
    ]


def test_ongoing_outage_has_no_end_and_a_growing_duration() -> None:
    history = History()
    history.apply(result(1, "servfail"))
    early = history.snapshot(T0_MONO + 1.5)["outages"]
    later = history.snapshot(T0_MONO + 61)["outages"]
    assert early[0]["end"] is None
    assert early[0]["duration_seconds"] == 0.5
    assert later[0]["duration_seconds"] == 60.0


def test_http_failure_fails_the_check_with_the_http_reason() -> None:
    history = History()
    history.apply(result(1, http=HttpOutcome.OK))
    history.apply(result(2, http=HttpOutcome.STATUS))
    snapshot = history.snapshot(T0_MONO + 3)
    assert snapshot["state"] == "failing"
    assert snapshot["checks_by_outcome"]["ok"] == 2
    assert snapshot["http_checks_by_outcome"] == {
        "http_ok": 1,
        "http_connect": 0,
        "http_timeout": 0,
        "http_status": 1,
    }
    assert snapshot["failures_by_outcome"]["http_status"] == 1
    assert snapshot["outages"][0]["reason"] == "http_status"
    # DNS still answered, so the addresses are known.
    assert snapshot["addresses"] == list(ADDRESS)


def test_dns_failure_is_the_reason_even_when_http_also_failed() -> None:
    check = result(1, "nxdomain", http=HttpOutcome.CONNECT)
    assert check.failure_reason == "nxdomain"


def test_first_resolution_is_not_an_address_change() -> None:
    history = History()
    transition = history.apply(result(1))
    assert not transition.addresses_changed
    assert history.snapshot(T0_MONO)["address_changes"] == []


def test_changed_address_set_is_recorded_from_and_to() -> None:
    history = History()
    history.apply(result(1, addresses=("10.96.0.20",)))
    transition = history.apply(result(2, addresses=("10.96.0.20", "10.96.0.21")))
    assert transition.addresses_changed
    assert history.snapshot(T0_MONO)["address_changes"] == [
        {
            "time": "2026-01-01T00:00:02.000Z",
            "from": ["10.96.0.20"],
            "to": ["10.96.0.20", "10.96.0.21"],
        }
    ]


def test_failures_keep_the_last_known_addresses_and_a_new_address_after_them_is_a_change() -> None:
    history = History()
    history.apply(result(1, addresses=("10.96.0.20",)))
    history.apply(result(2, "nxdomain"))
    assert history.snapshot(T0_MONO)["addresses"] == ["10.96.0.20"]
    history.apply(result(3, addresses=("10.96.9.9",)))
    changes = history.snapshot(T0_MONO)["address_changes"]
    assert [(c["from"], c["to"]) for c in changes] == [(["10.96.0.20"], ["10.96.9.9"])]


def test_same_addresses_in_another_order_are_not_a_change() -> None:
    history = History()
    history.apply(result(1, addresses=("10.0.0.1", "10.0.0.2")))
    assert not history.apply(result(2, addresses=("10.0.0.2", "10.0.0.1"))).addresses_changed


def test_counts_by_outcome_and_by_failure_reason() -> None:
    history = History()
    for number, outcome in enumerate(["ok", "nxdomain", "nxdomain", "timeout", "ok"], 1):
        history.apply(result(number, outcome))
    snapshot = history.snapshot(T0_MONO)
    assert snapshot["checks"] == 5
    assert snapshot["checks_by_outcome"] == {
        "ok": 2,
        "nxdomain": 2,
        "no_answer": 0,
        "timeout": 1,
        "servfail": 0,
        "no_nameservers": 0,
    }
    assert snapshot["failures"] == 3
    assert snapshot["failures_by_outcome"]["nxdomain"] == 2
    assert snapshot["failures_by_outcome"]["timeout"] == 1


def test_recent_checks_drop_old_successes_before_failures() -> None:
    history = History(limit=4)
    outcomes = ["nxdomain", "ok", "ok", "timeout", "ok", "ok", "ok"]
    for number, outcome in enumerate(outcomes, start=1):
        history.apply(result(number, outcome))
    recent = history.snapshot(T0_MONO)["recent_checks"]
    assert [c["outcome"] for c in recent] == ["nxdomain", "timeout", "ok", "ok"]
    assert [c["time"][17:19] for c in recent] == ["01", "04", "06", "07"]
    assert history.snapshot(T0_MONO)["dropped"]["recent_checks"] == 3


def test_recent_checks_drop_the_oldest_failure_only_when_all_are_failures() -> None:
    history = History(limit=2)
    for number in range(1, 5):
        history.apply(result(number, "servfail"))
    recent = history.snapshot(T0_MONO)["recent_checks"]
    assert [c["time"][17:19] for c in recent] == ["03", "04"]


def test_outages_and_address_changes_are_bounded_separately_and_trims_counted() -> None:
    history = History(limit=2)
    number = 0
    for cycle in range(4):
        number += 1
        history.apply(result(number, addresses=(f"10.0.0.{cycle}",)))
        number += 1
        history.apply(result(number, "nxdomain"))
    snapshot = history.snapshot(T0_MONO + 100)
    assert len(snapshot["outages"]) == 2
    assert snapshot["outages"][-1]["end"] is None, "the ongoing outage is never trimmed"
    assert len(snapshot["address_changes"]) == 2
    assert snapshot["address_changes"][-1]["to"] == ["10.0.0.3"]
    assert snapshot["dropped"]["outages"] == 2
    assert snapshot["dropped"]["address_changes"] == 1
    counts = history.counts()
    assert (counts.outages, counts.address_changes) == (4, 3)


@pytest.mark.parametrize(
    ("latencies", "expected_le_0_001", "expected_le_0_25", "expected_inf"),
    [
        ([0.0004, 0.001, 0.2, 7.0], 2, 3, 4),
        ([], 0, 0, 0),
    ],
)
def test_latency_histogram_is_cumulative(
    latencies: list[float], expected_le_0_001: int, expected_le_0_25: int, expected_inf: int
) -> None:
    history = History()
    for number, latency in enumerate(latencies, start=1):
        history.apply(result(number, latency=latency))
    buckets = dict(history.counts().latency.buckets)
    assert buckets["0.001"] == expected_le_0_001
    assert buckets["0.25"] == expected_le_0_25
    assert buckets["+Inf"] == expected_inf
    assert history.counts().latency.sum_seconds == pytest.approx(sum(latencies))


def test_last_check_shows_outcome_latency_addresses_and_http() -> None:
    history = History()
    history.apply(result(1, http=HttpOutcome.OK, latency=0.0015))
    assert history.snapshot(T0_MONO)["last_check"] == {
        "number": 1,
        "time": "2026-01-01T00:00:01.000Z",
        "ok": True,
        "outcome": "ok",
        "latency_ms": 1.5,
        "addresses": ["10.96.0.20"],
        "names_tried": [],
        "resolved_name": None,
        "error": None,
        "http": {"outcome": "http_ok", "status": 200, "latency_ms": 10.0, "error": None},
    }


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        History(limit=0)
