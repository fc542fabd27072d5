"""JSON errors for every failure, so no client ever sees an HTML page or a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _http_error(error: HTTPException) -> Response:
    # get_response() keeps headers such as Allow on a 405; only the body becomes JSON.
    response = error.get_response()
    response.data = jsonify(error=error.description).get_data()
    response.content_type = "application/json"
    return response


def _unexpected_error(error: Exception) -> tuple[Response, int]:
    log.exception("unhandled error", exc_info=error)
    return jsonify(error=InternalServerError.description), 500


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
