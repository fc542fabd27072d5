"""The outcome vocabulary of a check, shared by the resolver, the history, the journal and HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DnsOutcome(StrEnum):
    OK = "ok"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no_answer"
    TIMEOUT = "timeout"
    SERVFAIL = "servfail"
    NO_NAMESERVERS = "no_nameservers"


class HttpOutcome(StrEnum):
    OK = "http_ok"
    CONNECT = "http_connect"
    TIMEOUT = "http_timeout"
    STATUS = "http_status"


class ProbeState(StrEnum):
    UNKNOWN = "unknown"
    OK = "ok"
    FAILING = "failing"


# Every value a failed check can be attributed to; DNS and HTTP outcomes never share a name.
FAILURE_REASONS: tuple[str, ...] = tuple(
    [o.value for o in DnsOutcome if o is not DnsOutcome.OK]
    + [o.value for o in HttpOutcome if o is not HttpOutcome.OK]
)


@dataclass(frozen=True)
class DnsResult:
    """What one A lookup of the target produced."""

    outcome: DnsOutcome
    latency_seconds: float
    addresses: tuple[str, ...] = ()
    names_tried: tuple[str, ...] = ()
    resolved_name: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class HttpResult:
    """What one GET of the optional URL produced."""

    outcome: HttpOutcome
    latency_seconds: float
    status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One round of the probe: the DNS lookup and, when configured, the HTTP GET."""

    number: int
    wall_time: float
    monotonic_time: float
    target: str
    dns: DnsResult
    http: HttpResult | None = None

    @property
    def failure_reason(self) -> str | None:
        """None if the check passed, else the DNS outcome, or the HTTP one when DNS was fine."""
        if self.dns.outcome is not DnsOutcome.OK:
            return self.dns.outcome.value
        if self.http is not None and self.http.outcome is not HttpOutcome.OK:
            return self.http.outcome.value
        return None

    @property
    def ok(self) -> bool:
        return self.failure_reason is None


def milliseconds(seconds: float) -> float:
    """Latency as people read it in JSON: milliseconds rounded to microseconds."""
    return round(seconds * 1000.0, 3)
