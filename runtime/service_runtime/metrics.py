"""Prometheus request metrics, correct across gunicorn workers in multiprocess mode."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Requests take well under a millisecond here; the low buckets keep that visible.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# HTTP's standard methods (RFC 9110 and PATCH); any other token a client sends is "other".
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


class HttpMetrics:
    """Counts requests by method, route template and status, and times them; every label
    has a bounded set of values, whatever clients send."""

    def __init__(self, registry: CollectorRegistry, multiprocess_dir: str) -> None:
        self._registry = registry
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._multiprocess_dir = multiprocess_dir
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to produce an HTTP response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def init_app(self, app: Flask) -> None:
        app.before_request(self._start_timer)
        app.after_request(self._observe)

    @staticmethod
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    def _observe(self, response: Response) -> Response:
        started = g.get("metrics_started")
        # Route templates, not raw paths, so unknown URLs cannot grow the label set.
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        # A client may send any token as its method; only known ones become label values.
        method = request.method if request.method in METHODS else "other"
        status = response.status_code
        series = self._series.get((method, route, status))
        if series is None:
            # labels() validates and locks on every call; its children are kept instead.
            count = self.requests.labels(method, route, str(status))
            series = (count, self.latency.labels(method, route))
            self._series[(method, route, status)] = series
        series[0].inc()
        if started is not None:
            series[1].observe(time.perf_counter() - started)
        return response

    def exposition(self) -> Response:
        """The text format, summed over all workers when running under gunicorn."""
        registry = self._registry
        if self._multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self._multiprocess_dir)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
