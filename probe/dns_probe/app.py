"""HTTP face of the probe: /status (JSON), /metrics (Prometheus) and /healthz."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.process_collector import ProcessCollector
from werkzeug.exceptions import HTTPException, InternalServerError

from .config import ProbeConfig
from .metrics import ProbeCollector
from .prober import Prober

logger = logging.getLogger(__name__)


def create_app(config: ProbeConfig, probe: Prober) -> Flask:
    """A Flask app serving *probe*; each app gets its own metrics registry."""
    app = Flask("dns_probe")
    # Keep /status in the order it is built (target first, log last), which reads better.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    registry = CollectorRegistry()
    registry.register(ProbeCollector(probe))
    ProcessCollector(registry=registry)
    app.extensions["dns_probe"] = {"config": config, "probe": probe, "registry": registry}

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

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = error.get_response()
        response.data = jsonify(
            error=error.name, status=error.code, message=error.description
        ).get_data()
        response.content_type = "application/json"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Response, int]:
        # Details go to stderr for the operator (traceback at DEBUG); the client learns only 500.
        logger.error(
            "%s %s failed: %s: %s", request.method, request.path, type(error).__name__, error
        )
        logger.debug("traceback of the failed request", exc_info=error)
        internal = InternalServerError()
        return jsonify(error=internal.name, status=500, message=internal.description), 500

    return app
