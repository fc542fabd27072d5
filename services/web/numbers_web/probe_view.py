"""What the DNS probe sidecar has seen, read from its /status on localhost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter

# The page must stay fast when the sidecar is missing, so the probe gets a short leash.
PROBE_TIMEOUT_SECONDS = 0.5


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime | None
    duration_seconds: float
    reason: str
    failed_checks: int


@dataclass(frozen=True)
class AddressChange:
    time: datetime
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class ProbeView:
    """The panel's data; available is False when the sidecar could not be read."""

    available: bool
    url: str
    error: str = ""
    target: str = ""
    state: str = "unknown"
    addresses: list[str] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    checks: int = 0
    outages: list[Outage] = field(default_factory=list)
    address_changes: list[AddressChange] = field(default_factory=list)
    # The first check's time: before it, the probe knew nothing about the name.
    first_check_at: datetime | None = None
    interval_seconds: float = 1.0


def view_from_status(url: str, status: dict) -> ProbeView:
    """Build the view from the probe's /status JSON, tolerating missing fields."""
    outages = []
    for outage in status.get("outages") or []:
        start = parse_time(outage.get("start"))
        if start is None:
            continue
        outages.append(
            Outage(
                start=start,
                end=parse_time(outage.get("end")),
                duration_seconds=float(outage.get("duration_seconds") or 0),
                reason=str(outage.get("reason") or "unknown"),
                failed_checks=int(outage.get("failed_checks") or 0),
            )
        )
    changes = []
    for change in status.get("address_changes") or []:
        time = parse_time(change.get("time"))
        if time is not None:
            changes.append(AddressChange(time, change.get("from") or [], change.get("to") or []))
    failures = {
        reason: count
        for reason, count in (status.get("failures_by_outcome") or {}).items()
        if count
    }
    return ProbeView(
        available=True,
        url=url,
        target=str(status.get("target") or ""),
        state=str(status.get("state") or "unknown"),
        addresses=list(status.get("addresses") or []),
        failures=failures,
        checks=int(status.get("checks") or 0),
        outages=outages,
        address_changes=changes,
        first_check_at=parse_time(status.get("first_check_at")),
        interval_seconds=float(status.get("interval_seconds") or 1.0),
    )


class ProbeClient:
    """Reads the sidecar's /status over one pooled connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._session = requests.Session()
        self._session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=4))

    def view(self) -> ProbeView:
        if not self.url:
            return ProbeView(available=False, url="", error="PROBE_URL is not set")
        try:
            response = self._session.get(f"{self.url}/status", timeout=PROBE_TIMEOUT_SECONDS)
            response.raise_for_status()
            return view_from_status(self.url, response.json())
        except (requests.RequestException, ValueError) as error:
            return ProbeView(available=False, url=self.url, error=type(error).__name__)

    def close(self) -> None:
        self._session.close()
