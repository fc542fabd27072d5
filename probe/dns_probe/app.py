"""HTTP face of the probe: /status (JSON), /metrics (Prometheus) and /healthz."""

from __future__ import annotations

import logging
import os

from flask import Flask, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.process_collector import ProcessCollector
from service_runtime.errors import register_error_handlers
from service_runtime.lifecycle import Lifecycle
from service_runtime.limits import register_request_limits

from .config import ProbeConfig, load_config
from .metrics import ProbeCollector
from .prober import Prober, build_prober

logger = logging.getLogger(__name__)


def create_app(config: ProbeConfig | None = None, probe: Prober | None = None) -> Flask:
    """A Flask app serving *probe*; each app gets its own metrics registry.

    With no config it is read from the environment, and with no probe the real one is built
    from it (gunicorn's case); its loop runs while the serving process lives.
    """
    if config is None:
        config = load_config(os.environ)
    if probe is None:
        probe = build_prober(config)
    lifecycle = Lifecycle()
    lifecycle.on_start(probe.start)
    lifecycle.on_stop(lambda: _stop(probe, config))
    app = Flask("dns_probe")
    # Keep /status in the order it is built (target first, log last), which reads better.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    registry = CollectorRegistry()
    registry.register(ProbeCollector(probe))
    ProcessCollector(registry=registry)
    app.extensions["dns_probe"] = {"config": config, "probe": probe, "registry": registry}
    lifecycle.init_app(app)
    register_error_handlers(app)
    register_request_limits(app)

    @app.get("/")
    def index() -> Response:
        return jsonify(
            service="dns-probe",
            target=probe.target,
            endpoints=["/status", "/metrics", "/healthz"],
        )

    @app.get("/status")
    def status() -> Response:
        return jsonify(probe.status())

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        health = probe.health()
        body = jsonify(
            status="ok" if health.healthy else "unhealthy",
            reason=health.reason,
            state=probe.history.state.value,
            last_check_age_seconds=health.last_check_age_seconds,
        )
        return body, 200 if health.healthy else 503

    return app


def _stop(probe: Prober, config: ProbeConfig) -> None:
    """End the loop within one check and close the journal, as the process exits."""
    probe.stop()
    if not probe.join(timeout=config.interval_seconds + config.timeout_seconds * 2):
        logger.warning("the probe loop did not stop in time")
    probe.journal.close()
