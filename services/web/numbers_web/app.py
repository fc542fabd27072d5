"""The web Flask application factory: a page that calls numbers-api by its Service name."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, render_template, request
from prometheus_client import CollectorRegistry
from service_runtime.errors import error, error_response
from service_runtime.lifecycle import Lifecycle
from service_runtime.limits import register_request_limits
from service_runtime.metrics import HttpMetrics

from .config import WebConfig, load_config
from .diagnosis import Diagnosis, diagnose
from .errors import register_error_handlers
from .metrics import UpstreamMetrics
from .probe_view import ProbeClient
from .security import register_security_headers
from .tally import ServedByTally
from .timeline import reason_colour, render_timeline
from .upstream import Number, Reuse, RngClient, UpstreamError

EXTENSION = "numbers_web"


def create_app(config: WebConfig | None = None) -> Flask:
    """Build the web app; with no config, read it from the environment (gunicorn's case)."""
    if config is None:
        config = load_config(os.environ)
    registry = CollectorRegistry()
    http_metrics = HttpMetrics(registry, config.server.multiprocess_dir)
    upstream_metrics = UpstreamMetrics(registry)
    client = RngClient(
        config.api_url,
        config.api_host,
        config.api_timeout_seconds,
        pool_size=config.server.threads,
        reuse=Reuse(config.api_max_idle_seconds, config.api_max_connection_age_seconds),
    )
    tally = ServedByTally()
    probe = ProbeClient(config.probe_url)
    lifecycle = Lifecycle()

    app = Flask(__name__)
    app.extensions[EXTENSION] = {
        "config": config,
        "lifecycle": lifecycle,
        "client": client,
        "probe": probe,
    }
    lifecycle.init_app(app)
    register_error_handlers(app)
    register_request_limits(app)
    register_security_headers(app)
    http_metrics.init_app(app)

    def get_number() -> Number | Diagnosis:
        started = time.perf_counter()
        try:
            number = client.fetch()
        except UpstreamError as error:
            upstream_metrics.observe(error.kind, time.perf_counter() - started)
            return diagnose(
                error.kind,
                error.detail,
                config.api_host,
                config.api_timeout_seconds,
                lookup_failed=error.lookup_failed,
            )
        upstream_metrics.observe("ok", time.perf_counter() - started)
        tally.record(number.served_by)
        return number

    def panel_context() -> dict:
        view = probe.view()
        now = datetime.now(UTC)
        timeline = render_timeline(view, now) if view.available else ""
        return {"probe": view, "timeline": timeline, "reason_colour": reason_colour}

    def page(result: Number | Diagnosis | None) -> tuple[str, int]:
        status = 503 if isinstance(result, Diagnosis) else 200
        html = render_template(
            "index.html", result=result, config=config, tally=tally.shares(), **panel_context()
        )
        return html, status

    @app.get("/")
    def index() -> tuple[str, int]:
        return page(None)

    @app.post("/")
    def go() -> tuple[str, int]:
        return page(get_number())

    @app.get("/probe/panel")
    def probe_panel() -> str:
        # The panel alone, for the page's optional refresh script.
        return render_template("_probe_panel.html", **panel_context())

    @app.get("/probe/timeline.svg")
    def probe_timeline() -> tuple[Response, int] | Response:
        window = request.args.get("window", "300")
        if not window.isascii() or not window.isdigit() or not 10 <= int(window) <= 3600:
            return error_response(400, "'window' must be whole seconds from 10 to 3600")
        view = probe.view()
        if not view.available:
            return error_response(503, f"the probe sidecar is not reachable ({view.error})")
        svg = render_timeline(view, datetime.now(UTC), window_seconds=int(window))
        return Response(svg, mimetype="image/svg+xml")

    @app.get("/api/number")
    def api_number() -> tuple[Response, int]:
        result = get_number()
        if isinstance(result, Diagnosis):
            # The shared shape, with the diagnosis: its message is what the failure means.
            failure = error(
                503,
                result.meaning,
                kind=result.kind,
                detail=result.detail,
                **{"try": result.try_command},
            )
            return jsonify(error=failure, api_url=config.api_url), 503
        return jsonify(number=result.value, served_by=result.served_by, api_url=config.api_url), 200

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        # Liveness never looks at numbers-api: restarting web cannot fix the API.
        return jsonify(status="ok"), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        # Nor does readiness: web must stay in its Service to explain an API outage. While it
        # drains it still serves, so it stays ready too (numbers-api's /readyz says why).
        return jsonify(status="draining" if lifecycle.draining else "ready"), 200

    app.add_url_rule("/metrics", "metrics", http_metrics.exposition, methods=["GET"])
    return app
