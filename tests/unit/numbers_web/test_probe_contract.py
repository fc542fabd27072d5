"""The contract between the probe's /status and web's DNS panel, from the real producer.

web's panel tests feed hand-written dictionaries; these feed it what a real Prober reports
after an outage and an address change, so a field renamed in the probe fails here instead of
leaving every test green and the panel empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dns_probe.journal import Journal
from dns_probe.prober import Prober
from dns_probe.results import DnsOutcome, DnsResult
from numbers_web.probe_view import view_from_status

from tests.support.clock import FakeClock

OLD, NEW = ("10.96.0.20",), ("10.96.0.21",)
# ok, two NXDOMAINs (an outage), ok again at another address (an address change)
SCRIPT = [
    DnsResult(DnsOutcome.OK, 0.002, OLD),
    DnsResult(DnsOutcome.NXDOMAIN, 0.002, error="no such name"),
    DnsResult(DnsOutcome.NXDOMAIN, 0.002, error="no such name"),
    DnsResult(DnsOutcome.OK, 0.002, NEW),
]


class StrictStatus(dict):
    """A /status body that fails when web reads a field the probe does not write."""

    def get(self, key: str, default: Any = None) -> Any:
        assert key in self, f"web's panel reads {key!r}, which the probe's /status lacks"
        return strict(self[key])


def strict(value: Any) -> Any:
    if isinstance(value, dict):
        return StrictStatus(value)
    if isinstance(value, list):
        return [strict(item) for item in value]
    return value


@pytest.fixture
def status(tmp_path: Path) -> dict[str, Any]:
    clock = FakeClock()
    script = list(SCRIPT)
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=lambda name: script.pop(0),
        journal=Journal(str(tmp_path / "events.jsonl"), clock=clock),
        clock=clock,
    )
    for _ in SCRIPT:
        prober.check_once()
        clock.advance(1.0)
    yield prober.status()
    prober.journal.close()


def test_every_field_web_reads_is_one_the_probe_writes(status):
    view_from_status("http://localhost:9090", strict(status))


def test_web_shows_the_probe_s_outage_address_change_and_counts(status):
    view = view_from_status("http://localhost:9090", status)

    assert (view.target, view.state, view.addresses) == ("numbers-api", "ok", list(NEW))
    assert view.checks == 4
    assert view.failures == {"nxdomain": 2}
    assert view.first_check_at is not None
    assert [(o.reason, o.failed_checks, o.end is not None) for o in view.outages] == [
        ("nxdomain", 2, True)
    ]
    assert [(c.before, c.after) for c in view.address_changes] == [(list(OLD), list(NEW))]
