"""The one JSON error shape of all three programs, and handlers that answer every failure in it.

    {"error": {"status": 404, "message": "The requested URL was not found ...", ...}}

`status` repeats the HTTP status and `message` says what went wrong in a sentence; a program
may add members of its own inside "error" (web's diagnosis adds kind, detail and try).
No client ever sees a traceback, nor an HTML page it did not ask for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, json, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def error(status: int, message: str, **details: Any) -> dict[str, Any]:
    """The value of "error": what a program answers with its own failures too."""
    return {"status": status, "message": message, **details}


def error_response(status: int, message: str, **details: Any) -> tuple[Response, int]:
    return jsonify(error=error(status, message, **details)), status


def register_error_handlers(
    app: Flask, page: Callable[[HTTPException], str | None] | None = None
) -> None:
    """Answer every HTTP error and unhandled exception in the shape above.

    page, when given, renders the HTML error page for a request that wants one (web's pages)
    and returns None for a request that wants JSON.
    """

    def http_error(failure: HTTPException) -> Response:
        # get_response() keeps headers such as Allow on a 405; only the body is replaced.
        response = failure.get_response()
        html = page(failure) if page else None
        if html is None:
            status = failure.code or 500
            response.data = json.dumps({"error": error(status, failure.description)}) + "\n"
            response.content_type = "application/json"
        else:
            response.data = html.encode()
            response.content_type = "text/html; charset=utf-8"
        return response

    def unexpected_error(failure: Exception) -> Response:
        # The traceback goes to the operator's log; the client learns only that it failed.
        log.exception("unhandled error", exc_info=failure)
        return http_error(InternalServerError())

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
