"""DNS faults under the real probe process: each is recorded with its reason, and the recovery
is recorded by the first check after the nameserver answers again.

``python -m dns_probe`` runs as in its image, against the in-process DNS server of
tests/support/dns_server.py on 127.0.0.1 (PROBE_NAMESERVER), with a 0.2 s interval. The unit
tests cover the resolver's mapping in-process and the process's nxdomain -> ok path; these
break a nameserver that was answering, under the running program.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from service_runtime.testing import poll

from tests.support.dns_server import DNSServer
from tests.support.probe_process import (
    POD_RESOLV_CONF,
    SERVICE_FQDN,
    ProbeProcess,
    new_probe_port,
    parse_lines,
    probe_environment,
    read_journal_lines,
)

pytestmark = pytest.mark.integration

INTERVAL = 0.2
# PROBE_TIMEOUT_SECONDS defaults to min(2, interval / 2); dnspython may add one retry backoff.
TIMEOUT = INTERVAL / 2
# A fault shows, and a recovery is recorded, by the first check that starts after it: at most
# one interval of waiting plus that check's own lookup. The slack is for a busy CI machine.
DETECT_WITHIN = INTERVAL + TIMEOUT + 1.5
ADDRESS = "10.96.0.20"


def _break_by_dropping(server: DNSServer) -> None:
    server.drop()


def _break_by_servfail(server: DNSServer) -> None:
    server.servfail()


def _break_by_refusing(server: DNSServer) -> None:
    server.refuse()


def _break_by_removing_the_records(server: DNSServer) -> None:
    server.set_no_data(SERVICE_FQDN)


def _repair(server: DNSServer) -> None:
    server.set_a(SERVICE_FQDN, [ADDRESS])
    server.answer()


FAULTS = [
    pytest.param(_break_by_dropping, "timeout", id="nameserver_stops_answering-timeout"),
    pytest.param(_break_by_servfail, "servfail", id="nameserver_answers_servfail-servfail"),
    pytest.param(_break_by_removing_the_records, "no_answer", id="name_has_no_records-no_answer"),
    pytest.param(_break_by_refusing, "no_nameservers", id="nameserver_refuses-no_nameservers"),
]


def _wall(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer() as server:
        server.add_a(SERVICE_FQDN, ADDRESS)
        yield server


@pytest.fixture
def probe(dns_server: DNSServer, tmp_path: Path) -> Iterator[ProbeProcess]:
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text(POD_RESOLV_CONF)
    environ = probe_environment(
        nameserver=dns_server.nameserver,
        log_path=tmp_path / "journal" / "events.jsonl",
        resolv_conf=resolv_conf,
        port=new_probe_port(),
        PROBE_INTERVAL_SECONDS=str(INTERVAL),
    )
    process = ProbeProcess(environ, tmp_path)
    try:
        yield process
    finally:
        process.kill()


def _wait_for_status(
    probe: ProbeProcess, condition: Callable[[dict[str, Any]], bool], timeout: float, what: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def holds() -> bool:
        assert probe.alive(), f"the probe exited:\n{probe.stderr()}"
        status = probe.status()
        if status is None:
            return False
        seen.update(status)
        return condition(status)

    assert poll(holds, timeout, interval=0.02), (
        f"timed out after {timeout}s waiting for {what}; last /status: "
        f"state={seen.get('state')} last_check={seen.get('last_check')}"
    )
    return seen


@pytest.mark.parametrize(("break_dns", "outcome"), FAULTS)
def test_probe_process_records_the_dns_fault_and_the_recovery_as_soon_as_dns_answers(
    probe: ProbeProcess,
    dns_server: DNSServer,
    break_dns: Callable[[DNSServer], None],
    outcome: str,
    tmp_path: Path,
) -> None:
    _wait_for_status(
        probe,
        lambda s: s["state"] == "ok" and s["addresses"] == [ADDRESS],
        timeout=15,
        what="the probe to resolve the Service",
    )

    broke_at = time.time()
    break_dns(dns_server)
    _wait_for_status(
        probe,
        lambda s: s["state"] == "failing" and s["last_check"]["outcome"] == outcome,
        timeout=DETECT_WITHIN,
        what=f"/status to record {outcome}",
    )
    detected_after = time.time() - broke_at
    # The fault lasts a few checks, each recorded with the same reason.
    failing = _wait_for_status(
        probe,
        lambda s: s["outages"][-1]["failed_checks"] >= 3,
        timeout=3 * (INTERVAL + TIMEOUT) + 2,
        what="three failed checks",
    )
    outage = failing["outages"][-1]
    assert outage["reason"] == outcome
    assert outage["end"] is None
    assert failing["failures_by_outcome"][outcome] >= 1
    assert failing["last_check"]["ok"] is False
    # The addresses last seen stay shown while DNS fails; they are what the pods last used.
    assert failing["addresses"] == [ADDRESS]
    assert failing["log"]["ok"] is True

    repaired_at = time.time()
    _repair(dns_server)
    recovered = _wait_for_status(
        probe, lambda s: s["state"] == "ok", timeout=DETECT_WITHIN, what="the recovery"
    )
    recovered_after = time.time() - repaired_at

    # The check that recovers may have begun before the repair (a dropped query answered on
    # dnspython's retry); what follows is about the checks begun after it, so wait for one.
    def began_after_repair(check: dict[str, Any]) -> bool:
        return _wall(check["time"]) > repaired_at + 0.001

    recovered = _wait_for_status(
        probe,
        lambda s: any(began_after_repair(c) for c in s["recent_checks"]),
        timeout=DETECT_WITHIN,
        what="a check begun after the repair",
    )

    outage = recovered["outages"][-1]
    assert outage["end"] is not None, "the outage must be closed with its end time"
    assert _wall(outage["start"]) <= _wall(outage["end"])
    assert outage["reasons"] == {outcome: outage["failed_checks"]}
    assert recovered["checks_by_outcome"][outcome] == outage["failed_checks"]
    # As soon as it answers again: every check that began after the repair succeeded (check
    # times are the checks' starts, in milliseconds, hence the 1 ms of slack).
    after_repair = [c for c in recovered["recent_checks"] if began_after_repair(c)]
    assert all(check["ok"] for check in after_repair), after_repair
    assert recovered_after < DETECT_WITHIN

    metrics = requests.get(f"{probe.url}/metrics", timeout=2).text
    assert re.search(
        rf'^dns_probe_failures_total\{{reason="{outcome}"\}} [1-9]', metrics, re.M
    ), metrics

    assert probe.stop() == 0, probe.stderr()
    lines = parse_lines(read_journal_lines(tmp_path / "journal" / "events.jsonl"))
    failed = [line for line in lines if line["event"] == "check_failed"]
    assert [line["outcome"] for line in failed] == [outcome] * outage["failed_checks"]
    transitions = [
        (line["from"], line["to"], line["reason"])
        for line in lines
        if line["event"] == "state_changed"
    ]
    assert transitions == [
        ("unknown", "ok", None),
        ("ok", "failing", outcome),
        ("failing", "ok", None),
    ]
    assert lines[-1]["event"] == "probe_stopped"
    print(  # the figures the fault report quotes (pytest -s or -rP)
        f"\n{outcome}: recorded {detected_after:.3f} s after the fault, "
        f"ok again {recovered_after:.3f} s after the repair, "
        f"{outage['failed_checks']} failed check(s), outage {outage['duration_seconds']} s"
    )
