"""Requests none of the programs needs are refused early, with an answer that says why."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest, RequestURITooLarge

# Far above any real query (numbers-api's "min=-1000000000&max=1000000000" is 30 bytes).
MAX_QUERY_BYTES = 1024


def _refuse_oversized_or_bodied_requests() -> None:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes")
    if request.content_length or "chunked" in request.headers.get("Transfer-Encoding", ""):
        raise BadRequest("this endpoint takes no request body")


def register_request_limits(app: Flask) -> None:
    app.before_request(_refuse_oversized_or_bodied_requests)
