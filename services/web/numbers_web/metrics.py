"""Prometheus metrics for web's calls to numbers-api (service_runtime.metrics counts requests)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from service_runtime.metrics import LATENCY_BUCKETS


class UpstreamMetrics:
    """What web's calls to numbers-api came to, by diagnosis kind."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "numbers_api_calls_total",
            "Calls from web to numbers-api by outcome: ok or the diagnosis kind.",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "numbers_api_call_duration_seconds",
            "Time web waited for numbers-api, successful or not.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._counts: dict[str, Any] = {}

    def observe(self, outcome: str, seconds: float) -> None:
        count = self._counts.get(outcome)
        if count is None:  # as in HttpMetrics: one labels() call per outcome, not per call
            count = self._counts[outcome] = self.calls.labels(outcome)
        count.inc()
        self.latency.observe(seconds)
