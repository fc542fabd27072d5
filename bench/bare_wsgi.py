"""The throughput ceiling of the stack: a plain WSGI callable that answers a number.

No Flask, no routing, no metrics: what is left is gunicorn with numbers-api's own settings
(workers, threads, worker class, access log), so numbers-api's /rng over this is the share of
the stack's ceiling that the application itself keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

BODY = b"42"
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
