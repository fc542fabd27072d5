"""Error pages: HTML for people on the page, JSON for the API and the operational endpoints."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

# The timeline's own refusals (400, 503) are JSON, so the errors raised before it runs are too.
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/probe/timeline.svg")


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or (
        request.accept_mimetypes.best == "application/json"
    )


def _render(error: HTTPException) -> Response:
    # get_response() keeps headers such as Allow on a 405; only the body is replaced.
    response = error.get_response()
    if _wants_json():
        response.data = jsonify(error=error.description).get_data()
        response.content_type = "application/json"
    else:
        response.data = render_template("error.html", error=error).encode()
        response.content_type = "text/html; charset=utf-8"
    return response


def _http_error(error: HTTPException) -> Response:
    return _render(error)


def _unexpected_error(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return _render(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
