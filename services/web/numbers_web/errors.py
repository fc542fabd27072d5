"""Error pages: HTML for people on the page, the shared JSON shape for everything else."""

from __future__ import annotations

from flask import Flask, render_template, request
from service_runtime.errors import register_error_handlers as register_json_or_page
from werkzeug.exceptions import HTTPException

# The timeline's own refusals (400, 503) are JSON, so the errors raised before it runs are too.
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/probe/timeline.svg")


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or (
        request.accept_mimetypes.best == "application/json"
    )


def _page(error: HTTPException) -> str | None:
    return None if _wants_json() else render_template("error.html", error=error)


def register_error_handlers(app: Flask) -> None:
    register_json_or_page(app, page=_page)
