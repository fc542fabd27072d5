"""create_app through Flask's test client: /status, /metrics, /healthz and JSON errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dns_probe.app import create_app
from dns_probe.config import ProbeConfig
from dns_probe.journal import Journal
from dns_probe.prober import Delayer, Prober, build_prober
from dns_probe.results import DnsOutcome, DnsResult, HttpOutcome, HttpResult
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

INTERVAL = 1000.0  # long, so a started loop checks once and then waits for the test


class Scripted:
    def __init__(self, *results: DnsResult) -> None:
        self._results = list(results)

    def __call__(self, name: str) -> DnsResult:
        if self._results:
            return self._results.pop(0)
        return DnsResult(DnsOutcome.OK, 0.002, ("10.96.0.20",))


@pytest.fixture
def config(make_config: Callable[..., ProbeConfig]) -> ProbeConfig:
    return make_config(PROBE_INTERVAL_SECONDS=str(INTERVAL))


@pytest.fixture
def make_prober(log_path: Path, fake_clock: Any) -> Iterator[Callable[..., Prober]]:
    made: list[Prober] = []

    def make(*results: DnsResult, start_delay: float = 0.0, **kwargs: Any) -> Prober:
        prober = Prober(
            target="numbers-api",
            interval_seconds=INTERVAL,
            resolve=Scripted(*results),
            journal=Journal(str(log_path), clock=fake_clock),
            clock=fake_clock,
            **kwargs,
        )
        # Real waiting on the stop event: the loop blocks until the test stops it.
        prober.delayer = Delayer(
            INTERVAL, start_delay / INTERVAL, prober.stop_event.wait, rand=lambda: 1.0
        )
        made.append(prober)
        return prober

    yield make
    for prober in made:
        prober.stop()
        assert prober.join(timeout=2)
        prober.journal.close()


def client_for(config: ProbeConfig, prober: Prober) -> FlaskClient:
    return create_app(config, prober).test_client()


def test_status_before_the_first_check_is_unknown(
    config: ProbeConfig, make_prober: Callable[..., Prober]
) -> None:
    response = client_for(config, make_prober()).get("/status")
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "unknown"
    assert body["checks"] == 0
    assert body["last_check"] is None
    assert body["first_check_at"] is None
    assert body["addresses"] == []


def test_status_shows_state_counts_outages_and_last_check(
    config: ProbeConfig, make_prober: Callable[..., Prober], fake_clock: Any
) -> None:
    prober = make_prober(
        DnsResult(DnsOutcome.NXDOMAIN, 0.001, error="no such name"),
        DnsResult(DnsOutcome.OK, 0.002, ("10.96.0.20",)),
        DnsResult(DnsOutcome.OK, 0.002, ("10.96.0.21",)),
        DnsResult(DnsOutcome.TIMEOUT, 0.5, error="timed out"),
        http_url="http://numbers-api/healthz",
        timeout_seconds=0.5,
        http_check=lambda: HttpResult(HttpOutcome.OK, 0.01, status=200),
    )
    for _ in range(4):
        prober.check_once()
        fake_clock.advance(1.0)
    body = client_for(config, prober).get("/status").get_json()

    assert list(body) == [
        "target",
        "query_type",
        "names",
        "resolver",
        "state",
        "state_since",
        "first_check_at",
        "checks",
        "checks_by_outcome",
        "failures",
        "failures_by_outcome",
        "http_checks_by_outcome",
        "addresses",
        "address_changes",
        "outages",
        "recent_checks",
        "dropped",
        "last_check",
        "interval_seconds",
        "timeout_seconds",
        "http_url",
        "started_at",
        "uptime_seconds",
        "loop_running",
        "log",
    ]
    assert body["target"] == "numbers-api"
    assert body["state"] == "failing"
    assert body["state_since"] == "2026-01-01T00:00:03.000Z"
    assert body["first_check_at"] == "2026-01-01T00:00:00.000Z"
    assert body["checks"] == 4
    assert body["checks_by_outcome"]["nxdomain"] == 1
    assert body["checks_by_outcome"]["timeout"] == 1
    assert body["failures"] == 2
    assert body["http_checks_by_outcome"]["http_ok"] == 4
    assert body["addresses"] == ["10.96.0.21"]
    assert body["address_changes"] == [
        {"time": "2026-01-01T00:00:02.000Z", "from": ["10.96.0.20"], "to": ["10.96.0.21"]}
    ]
    assert body["outages"] == [
        {
            "start": "2026-01-01T00:00:00.000Z",
            "end": "2026-01-01T00:00:01.000Z",
            "duration_seconds": 1.0,
            "reason": "nxdomain",
            "reasons": {"nxdomain": 1},
            "failed_checks": 1,
        },
        {
            "start": "2026-01-01T00:00:03.000Z",
            "end": None,
            "duration_seconds": 1.0,
            "reason": "timeout",
            "reasons": {"timeout": 1},
            "failed_checks": 1,
        },
    ]
    assert body["last_check"]["outcome"] == "timeout"
    assert body["last_check"]["latency_ms"] == 500.0
    assert body["last_check"]["error"] == "timed out"
    assert body["last_check"]["http"]["outcome"] == "http_ok"
    assert body["interval_seconds"] == INTERVAL
    assert body["log"]["path"].endswith("events.jsonl")
    assert body["log"]["last_write_error"] is None


def test_status_of_a_real_probe_lists_the_searched_names(
    config: ProbeConfig, fake_clock: Any
) -> None:
    prober = build_prober(config, clock=fake_clock)
    body = client_for(config, prober).get("/status").get_json()
    assert body["names"] == [
        "numbers-api.ns1.svc.cluster.local.",
        "numbers-api.svc.cluster.local.",
        "numbers-api.cluster.local.",
        "numbers-api.",
    ]
    assert body["resolver"]["search"][0] == "ns1.svc.cluster.local."
    assert body["resolver"]["ndots"] == 5


def test_status_reports_a_journal_write_error_and_then_its_recovery(
    config: ProbeConfig, fake_clock: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the journal's directory should be\n")
    prober = Prober(
        target="numbers-api",
        interval_seconds=INTERVAL,
        resolve=Scripted(DnsResult(DnsOutcome.NXDOMAIN, 0.001)),
        journal=Journal(str(blocker / "events.jsonl"), clock=fake_clock),
        clock=fake_clock,
    )
    client = client_for(config, prober)
    prober.check_once()
    broken = client.get("/status").get_json()
    assert broken["checks"] == 1, "the check is published even though it could not be written"
    assert broken["log"]["ok"] is False
    assert broken["log"]["pending_lines"] == 2
    assert broken["log"]["last_write_error"]["time"] == "2026-01-01T00:00:00.000Z"
    metrics = client.get("/metrics").text
    assert "dns_probe_journal_write_errors_total 2.0" in metrics  # one per line tried

    blocker.unlink()
    fake_clock.advance(1.0)
    prober.check_once()
    recovered = client.get("/status").get_json()
    prober.journal.close()
    assert recovered["log"]["ok"] is True
    assert recovered["log"]["pending_lines"] == 0
    assert recovered["log"]["lines_written"] == 3  # check_failed, state_changed twice
    assert recovered["log"]["last_write_error"] == broken["log"]["last_write_error"]


def test_metrics_expose_checks_latency_and_state_in_prometheus_format(
    config: ProbeConfig, make_prober: Callable[..., Prober]
) -> None:
    prober = make_prober(
        DnsResult(DnsOutcome.SERVFAIL, 0.003),
        DnsResult(DnsOutcome.OK, 0.0004, ("10.96.0.20",)),
    )
    prober.check_once()
    prober.check_once()
    response = client_for(config, prober).get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }
    assert samples[("dns_probe_checks_total", (("outcome", "servfail"),))] == 1
    assert samples[("dns_probe_checks_total", (("outcome", "ok"),))] == 1
    assert samples[("dns_probe_checks_total", (("outcome", "nxdomain"),))] == 0
    assert samples[("dns_probe_failures_total", (("reason", "servfail"),))] == 1
    assert samples[("dns_probe_latency_seconds_count", ())] == 2
    assert samples[("dns_probe_latency_seconds_bucket", (("le", "0.0005"),))] == 1
    assert samples[("dns_probe_state", (("state", "ok"),))] == 1
    assert samples[("dns_probe_state", (("state", "failing"),))] == 0
    assert samples[("dns_probe_outages_total", ())] == 1
    assert samples[("dns_probe_addresses", ())] == 1


def test_each_app_has_its_own_metrics_registry(
    config: ProbeConfig, make_prober: Callable[..., Prober]
) -> None:
    first = client_for(config, make_prober(DnsResult(DnsOutcome.NXDOMAIN, 0.001)))
    second_prober = make_prober()
    second = client_for(config, second_prober)
    second_prober.check_once()
    assert 'dns_probe_checks_total{outcome="ok"} 1.0' in second.get("/metrics").text
    assert 'dns_probe_checks_total{outcome="ok"} 0.0' in first.get("/metrics").text


def test_healthz_is_503_when_the_loop_is_not_running(
    config: ProbeConfig, make_prober: Callable[..., Prober]
) -> None:
    response = client_for(config, make_prober()).get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "the probe loop is not running"


def test_healthz_waits_three_intervals_for_the_first_check(
    config: ProbeConfig, make_prober: Callable[..., Prober], fake_clock: Any
) -> None:
    prober = make_prober(start_delay=INTERVAL)  # the loop sits in its start stagger
    prober.start()
    client = client_for(config, prober)
    assert client.get("/healthz").status_code == 200
    fake_clock.advance(3 * INTERVAL)
    assert client.get("/healthz").status_code == 200
    fake_clock.advance(1.0)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unhealthy"


def test_healthz_is_200_until_the_last_check_is_three_intervals_old(
    config: ProbeConfig,
    make_prober: Callable[..., Prober],
    fake_clock: Any,
    wait_until: Callable[..., Any],
) -> None:
    prober = make_prober()
    prober.start()
    wait_until(lambda: prober.history.last is not None, message="the first check")
    client = client_for(config, prober)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.get_json()["state"] == "ok"
    fake_clock.advance(3 * INTERVAL)
    assert client.get("/healthz").status_code == 200
    fake_clock.advance(1.0)
    stale = client.get("/healthz")
    assert stale.status_code == 503
    assert stale.get_json()["last_check_age_seconds"] == 3 * INTERVAL + 1.0


def test_healthz_stays_200_while_the_target_fails(
    config: ProbeConfig, make_prober: Callable[..., Prober], wait_until: Callable[..., Any]
) -> None:
    prober = make_prober(DnsResult(DnsOutcome.NXDOMAIN, 0.001))
    prober.start()
    wait_until(lambda: prober.history.last is not None, message="the first check")
    response = client_for(config, prober).get("/healthz")
    assert response.status_code == 200, "a failing Service must not get the probe restarted"
    assert response.get_json()["state"] == "failing"


@pytest.mark.parametrize("path", ["/nope", "/status/extra", "/metrics.json"])
def test_unknown_path_is_a_json_404(
    config: ProbeConfig, make_prober: Callable[..., Prober], path: str
) -> None:
    response = client_for(config, make_prober()).get(path)
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/status"), ("delete", "/metrics"), ("put", "/healthz")]
)
def test_wrong_method_is_a_json_405_with_allow(
    config: ProbeConfig, make_prober: Callable[..., Prober], method: str, path: str
) -> None:
    response = getattr(client_for(config, make_prober()), method)(path)
    assert response.status_code == 405
    assert response.is_json
    assert response.get_json()["error"]["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_a_json_500_without_a_traceback(
    config: ProbeConfig,
    make_prober: Callable[..., Prober],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prober = make_prober()

    def broken() -> dict[str, Any]:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(prober, "status", broken)
    response = client_for(config, prober).get("/status")
    assert response.status_code == 500
    assert response.get_json()["error"]["status"] == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text


def test_index_lists_the_endpoints(config: ProbeConfig, make_prober: Callable[..., Prober]) -> None:
    body = client_for(config, make_prober()).get("/").get_json()
    assert body["endpoints"] == ["/status", "/metrics", "/healthz"]
