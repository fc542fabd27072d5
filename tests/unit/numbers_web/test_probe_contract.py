"""The contract between the probe's /status and web's DNS panel, from the real producer.

web's panel tests feed hand-written dictionaries; these feed it what a real Prober reports
after an outage and an address change, so a field renamed in the probe fails here instead of
leaving every test green and the panel empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dns_probe.journal import Journal
from dns_probe.prober import Prober
from dns_probe.results import DnsOutcome, DnsResult
from numbers_web.probe_view import view_from_status

from tests.support.clock import FakeClock
from tests.support.processes import ROOT

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


def json_schema(openapi: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(openapi, list):
        return [json_schema(item) for item in openapi]
    if not isinstance(openapi, dict):
        return openapi
    converted = {key: json_schema(value) for key, value in openapi.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if openapi.get("nullable") else converted


def test_the_status_a_real_prober_reports_is_what_the_probe_s_openapi_describes(status):
    document = yaml.safe_load((ROOT / "probe" / "openapi.yaml").read_text())
    schema = json_schema({**document["components"]["schemas"]["Status"], **document})

    jsonschema.validate(status, schema)


def test_the_schema_check_fails_on_a_status_without_a_field_web_reads(status):
    document = yaml.safe_load((ROOT / "probe" / "openapi.yaml").read_text())
    schema = json_schema({**document["components"]["schemas"]["Status"], **document})
    del status["outages"]

    with pytest.raises(jsonschema.ValidationError, match="'outages' is a required property"):
        jsonschema.validate(status, schema)
