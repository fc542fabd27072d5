"""The numbers-api Flask application factory."""

from __future__ import annotations

import os
import random

from flask import Flask, Response, jsonify, request
from prometheus_client import CollectorRegistry
from service_runtime.errors import error_response, register_error_handlers
from service_runtime.lifecycle import Lifecycle
from service_runtime.limits import register_request_limits
from service_runtime.metrics import HttpMetrics

from .config import ApiConfig, load_config
from .faults import FaultSwitch
from .rng import BadBounds, draw, parse_bounds

EXTENSION = "numbers_api"


def create_app(
    config: ApiConfig | None = None, rand: random.Random | None = None
) -> Flask:
    """Build the API; with no config, read it from the environment (gunicorn's case)."""
    if config is None:
        config = load_config(os.environ)
    # SystemRandom reads the kernel's pool, so workers forked from one preloaded app never
    # share a sequence; tests pass a seeded Random instead.
    rand = rand or random.SystemRandom()
    faults = FaultSwitch(config.fail_after_calls)
    lifecycle = Lifecycle()
    metrics = HttpMetrics(CollectorRegistry(), config.server.multiprocess_dir)

    app = Flask(__name__)
    app.extensions[EXTENSION] = {"config": config, "faults": faults, "lifecycle": lifecycle}
    lifecycle.init_app(app)
    register_error_handlers(app)
    register_request_limits(app)
    metrics.init_app(app)

    @app.after_request
    def served_by(response: Response) -> Response:
        response.headers["X-Served-By"] = config.served_by
        return response

    @app.get("/")
    def index() -> Response:
        return jsonify(
            service="numbers-api",
            served_by=config.served_by,
            endpoints=["/rng?min=0&max=99", "/healthz", "/readyz", "/metrics", "POST /reset"],
        )

    @app.get("/rng")
    def rng() -> tuple[Response, int] | Response:
        try:
            low, high = parse_bounds(request.args.to_dict(flat=False))
        except BadBounds as error:
            return error_response(400, str(error))
        if faults.record_call():
            return error_response(
                500,
                f"fault injected: FAIL_AFTER_CALLS={faults.fail_after_calls} reached; "
                "POST /reset to recover",
            )
        # The bare integer as jsonify writes it ("42\n"), without its JSON provider's work on
        # the one hot path.
        return Response(f"{draw(low, high, rand)}\n", mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        # Liveness looks at this process only: a restart can cure an injected fault,
        # never a downstream outage.
        if faults.tripped:
            return jsonify(
                status="failing",
                reason=f"FAIL_AFTER_CALLS={faults.fail_after_calls} reached",
            ), 500
        return jsonify(status="ok"), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        # A draining process still serves, so it stays ready and says it is draining. Kubernetes
        # already takes a terminating pod out of the Service's ready endpoints; a 503 here would
        # also mark it not serving, and kube-proxy could not fall back to it while no other pod
        # is ready yet (every pod deleted at once).
        return jsonify(status="draining" if lifecycle.draining else "ready"), 200

    @app.post("/reset")
    def reset() -> Response:
        faults.reset()
        return jsonify(status="reset", calls=faults.calls)

    app.add_url_rule("/metrics", "metrics", metrics.exposition, methods=["GET"])
    return app
