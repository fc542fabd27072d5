"""What the probe remembers in memory: the state machine, counts, outages and address changes.

Lists are bounded. Trimming never costs a failure first: recent_checks drops its oldest
success before any failure (as blackbox_exporter keeps failed results after they age out),
outages and address changes live in separate lists so neither evicts the other, and every
trim is counted in "dropped". The journal on disk keeps everything regardless.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .clock import rfc3339
from .results import (
    FAILURE_REASONS,
    CheckResult,
    DnsOutcome,
    HttpOutcome,
    ProbeState,
    milliseconds,
)

# DNS inside a cluster answers in well under a millisecond to a few; timeouts land in the top ones.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip


@dataclass(frozen=True)
class Transition:
    """How one check moves the probe: the journal is written from this before it is applied."""

    state_before: ProbeState
    state_after: ProbeState
    addresses_before: tuple[str, ...] | None
    addresses_after: tuple[str, ...] | None

    @property
    def state_changed(self) -> bool:
        return self.state_before is not self.state_after

    @property
    def addresses_changed(self) -> bool:
        # The first resolution is not a change; it is reported by the state change to ok.
        return (
            self.addresses_before is not None
            and self.addresses_after is not None
            and set(self.addresses_before) != set(self.addresses_after)
        )


@dataclass
class Outage:
    start_wall: float
    start_monotonic: float
    reason: str
    reasons: Counter[str] = field(default_factory=Counter)
    failed_checks: int = 0
    end_wall: float | None = None
    end_monotonic: float | None = None

    def as_json(self, now_monotonic: float) -> dict[str, Any]:
        end = self.end_monotonic if self.end_monotonic is not None else now_monotonic
        return {
            "start": rfc3339(self.start_wall),
            "end": None if self.end_wall is None else rfc3339(self.end_wall),
            "duration_seconds": round(max(0.0, end - self.start_monotonic), 3),
            "reason": self.reason,
            "reasons": dict(self.reasons),
            "failed_checks": self.failed_checks,
        }


@dataclass(frozen=True)
class LatencyHistogram:
    """Cumulative bucket counts in the shape prometheus_client's HistogramMetricFamily takes."""

    buckets: tuple[tuple[str, int], ...]
    sum_seconds: float


@dataclass(frozen=True)
class Counts:
    """A consistent copy of the counters, for /metrics."""

    state: ProbeState
    checks_by_outcome: dict[str, int]
    failures_by_reason: dict[str, int]
    http_checks_by_outcome: dict[str, int]
    latency: LatencyHistogram
    addresses: int
    outages: int
    address_changes: int
    last_check_wall: float | None


class History:
    def __init__(self, *, limit: int = 100) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._state = ProbeState.UNKNOWN
        self._state_since_wall: float | None = None
        self._addresses: tuple[str, ...] | None = None
        self._last: CheckResult | None = None
        # When the state stopped being "unknown": where a timeline's known history begins.
        self._first_check_wall: float | None = None
        self._checks = 0
        self._dns_outcomes: Counter[str] = Counter({o.value: 0 for o in DnsOutcome})
        self._http_outcomes: Counter[str] = Counter({o.value: 0 for o in HttpOutcome})
        self._failures: Counter[str] = Counter(dict.fromkeys(FAILURE_REASONS, 0))
        self._bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self._outages: list[Outage] = []
        self._open_outage: Outage | None = None
        self._outages_total = 0
        self._address_changes: list[dict[str, Any]] = []
        self._address_changes_total = 0
        self._recent: list[dict[str, Any]] = []
        self._dropped = {"recent_checks": 0, "address_changes": 0, "outages": 0}

    @property
    def state(self) -> ProbeState:
        with self._lock:
            return self._state

    @property
    def last(self) -> CheckResult | None:
        with self._lock:
            return self._last

    def preview(self, result: CheckResult) -> Transition:
        """The transition *result* would cause, without changing anything."""
        with self._lock:
            return self._transition(result)

    def apply(self, result: CheckResult) -> Transition:
        """Record *result*: counts, state, outages, address changes and the recent list."""
        with self._lock:
            transition = self._transition(result)
            self._count(result)
            self._track_outage(result)
            if transition.addresses_changed:
                self._address_changes.append(
                    {
                        "time": rfc3339(result.wall_time),
                        "from": list(transition.addresses_before or ()),
                        "to": list(transition.addresses_after or ()),
                    }
                )
                self._address_changes_total += 1
                self._trim_oldest(self._address_changes, "address_changes")
            self._addresses = transition.addresses_after
            if transition.state_changed:
                self._state_since_wall = result.wall_time
            self._state = transition.state_after
            self._remember_recent(result)
            self._last = result
            if self._first_check_wall is None:
                self._first_check_wall = result.wall_time
            return transition

    def snapshot(self, now_monotonic: float) -> dict[str, Any]:
        """The history part of /status."""
        with self._lock:
            return {
                "state": self._state.value,
                "state_since": None
                if self._state_since_wall is None
                else rfc3339(self._state_since_wall),
                "first_check_at": None
                if self._first_check_wall is None
                else rfc3339(self._first_check_wall),
                "checks": self._checks,
                "checks_by_outcome": dict(self._dns_outcomes),
                "failures": sum(self._failures.values()),
                "failures_by_outcome": dict(self._failures),
                "http_checks_by_outcome": dict(self._http_outcomes),
                "addresses": list(self._addresses or ()),
                "address_changes": [dict(change) for change in self._address_changes],
                "outages": [outage.as_json(now_monotonic) for outage in self._outages],
                "recent_checks": [dict(check) for check in self._recent],
                "dropped": dict(self._dropped),
                "last_check": None if self._last is None else check_json(self._last),
            }

    def counts(self) -> Counts:
        with self._lock:
            cumulative = 0
            buckets: list[tuple[str, int]] = []
            for bound, count in zip(
                [*(str(b) for b in LATENCY_BUCKETS), "+Inf"], self._bucket_counts, strict=True
            ):
                cumulative += count
                buckets.append((bound, cumulative))
            return Counts(
                state=self._state,
                checks_by_outcome=dict(self._dns_outcomes),
                failures_by_reason=dict(self._failures),
                http_checks_by_outcome=dict(self._http_outcomes),
                latency=LatencyHistogram(tuple(buckets), self._latency_sum),
                addresses=len(self._addresses or ()),
                outages=self._outages_total,
                address_changes=self._address_changes_total,
                last_check_wall=None if self._last is None else self._last.wall_time,
            )

    def _transition(self, result: CheckResult) -> Transition:
        dns_ok = result.dns.outcome is DnsOutcome.OK
        return Transition(
            state_before=self._state,
            state_after=ProbeState.OK if result.ok else ProbeState.FAILING,
            addresses_before=self._addresses,
            addresses_after=result.dns.addresses if dns_ok else self._addresses,
        )

    def _count(self, result: CheckResult) -> None:
        self._checks += 1
        self._dns_outcomes[result.dns.outcome.value] += 1
        if result.http is not None:
            self._http_outcomes[result.http.outcome.value] += 1
        reason = result.failure_reason
        if reason is not None:
            self._failures[reason] += 1
        latency = result.dns.latency_seconds
        self._latency_sum += latency
        index = next(
            (i for i, bound in enumerate(LATENCY_BUCKETS) if latency <= bound),
            len(LATENCY_BUCKETS),
        )
        self._bucket_counts[index] += 1

    def _track_outage(self, result: CheckResult) -> None:
        reason = result.failure_reason
        if reason is None:
            if self._open_outage is not None:
                self._open_outage.end_wall = result.wall_time
                self._open_outage.end_monotonic = result.monotonic_time
                self._open_outage = None
            return
        if self._open_outage is None:
            self._open_outage = Outage(result.wall_time, result.monotonic_time, reason)
            self._outages.append(self._open_outage)
            self._outages_total += 1
            self._trim_oldest(self._outages, "outages")
        self._open_outage.reasons[reason] += 1
        self._open_outage.failed_checks += 1

    def _remember_recent(self, result: CheckResult) -> None:
        self._recent.append(
            {
                "time": rfc3339(result.wall_time),
                "outcome": result.dns.outcome.value,
                "http_outcome": None if result.http is None else result.http.outcome.value,
                "ok": result.ok,
                "latency_ms": milliseconds(result.dns.latency_seconds),
            }
        )
        if len(self._recent) > self.limit:
            oldest_success = next((i for i, c in enumerate(self._recent) if c["ok"]), 0)
            del self._recent[oldest_success]
            self._dropped["recent_checks"] += 1

    def _trim_oldest(self, entries: list[Any], name: str) -> None:
        while len(entries) > self.limit:
            del entries[0]
            self._dropped[name] += 1


def check_json(result: CheckResult) -> dict[str, Any]:
    """A check as /status shows it under last_check."""
    http = result.http
    return {
        "number": result.number,
        "time": rfc3339(result.wall_time),
        "ok": result.ok,
        "outcome": result.dns.outcome.value,
        "latency_ms": milliseconds(result.dns.latency_seconds),
        "addresses": list(result.dns.addresses),
        "names_tried": list(result.dns.names_tried),
        "resolved_name": result.dns.resolved_name,
        "error": result.dns.error,
        "http": None
        if http is None
        else {
            "outcome": http.outcome.value,
            "status": http.status,
            "latency_ms": milliseconds(http.latency_seconds),
            "error": http.error,
        },
    }
