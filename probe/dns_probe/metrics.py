"""Prometheus metrics, collected at scrape time from the probe's history so they match /status."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .prober import Prober
from .results import ProbeState


class ProbeCollector(Collector):
    """Reads counts from one Prober on every scrape; register it on a per-process registry."""

    def __init__(self, prober: Prober) -> None:
        self._prober = prober

    def collect(self) -> Iterator[Metric]:
        counts = self._prober.history.counts()
        info = InfoMetricFamily("dns_probe", "What the probe resolves.")
        info.add_metric([], {"target": self._prober.target, "query_type": "A"})
        yield info

        checks = CounterMetricFamily(
            "dns_probe_checks", "DNS checks by outcome.", labels=["outcome"]
        )
        for outcome, count in counts.checks_by_outcome.items():
            checks.add_metric([outcome], count)
        yield checks

        failures = CounterMetricFamily(
            "dns_probe_failures",
            "Failed checks by reason (a DNS outcome, or an HTTP one when DNS was fine).",
            labels=["reason"],
        )
        for reason, count in counts.failures_by_reason.items():
            failures.add_metric([reason], count)
        yield failures

        if self._prober.http_url:
            http = CounterMetricFamily(
                "dns_probe_http_checks", "HTTP checks by outcome.", labels=["outcome"]
            )
            for outcome, count in counts.http_checks_by_outcome.items():
                http.add_metric([outcome], count)
            yield http

        yield HistogramMetricFamily(
            "dns_probe_latency_seconds",
            "Time one DNS lookup of the target took, failures included.",
            buckets=list(counts.latency.buckets),
            sum_value=counts.latency.sum_seconds,
        )

        state = GaugeMetricFamily(
            "dns_probe_state",
            "1 for the probe's current state, 0 for the others.",
            labels=["state"],
        )
        for candidate in ProbeState:
            state.add_metric([candidate.value], 1.0 if candidate is counts.state else 0.0)
        yield state

        yield GaugeMetricFamily(
            "dns_probe_addresses", "Addresses the target resolved to last.", value=counts.addresses
        )
        yield CounterMetricFamily(
            "dns_probe_outages", "Outages started (runs of failed checks).", value=counts.outages
        )
        yield CounterMetricFamily(
            "dns_probe_address_changes",
            "Times the resolved address set changed.",
            value=counts.address_changes,
        )
        yield CounterMetricFamily(
            "dns_probe_journal_write_errors",
            "Failed attempts to write the durable journal.",
            value=self._prober.journal.write_errors,
        )
        if counts.last_check_wall is not None:
            yield GaugeMetricFamily(
                "dns_probe_last_check_timestamp_seconds",
                "Wall-clock time the last check started.",
                value=counts.last_check_wall,
            )
