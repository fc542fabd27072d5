"""The one error shape: every failure of every program answers {"error": {status, message}}."""

from __future__ import annotations

import logging
from collections.abc import Callable
from unittest.mock import ANY

import pytest
from flask import Flask
from service_runtime.errors import error, error_response, register_error_handlers
from werkzeug.exceptions import BadRequest

from tests.support.scripted_http import closed_port_url


def _app(page: Callable | None = None) -> Flask:
    app = Flask(__name__)
    register_error_handlers(app, page=page)

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    @app.get("/refuse")
    def refuse():
        raise BadRequest("the request says nothing")

    @app.get("/own")
    def own():
        return error_response(409, "already done", hint="try later")

    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("get", "/nowhere", 404, "The requested URL was not found"),
        ("post", "/refuse", 405, "The method is not allowed"),
        ("get", "/refuse", 400, "the request says nothing"),
        ("get", "/explode", 500, "The server encountered an internal error"),
    ],
)
def test_every_failure_answers_the_one_shape(method, path, status, message):
    response = getattr(_app().test_client(), method)(path)

    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    assert body["error"]["message"].startswith(message)


def test_a_405_keeps_its_allow_header():
    response = _app().test_client().post("/refuse")

    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_is_logged_for_the_operator_and_hidden_from_the_client(caplog):
    with caplog.at_level(logging.ERROR):
        response = _app().test_client().get("/explode")

    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text


def test_a_program_adds_its_own_members_inside_error():
    response = _app().test_client().get("/own")

    assert response.status_code == 409
    assert response.get_json() == {
        "error": {"status": 409, "message": "already done", "hint": "try later"}
    }
    assert error(409, "already done", hint="try later") == response.get_json()["error"]


def test_a_page_renderer_answers_html_where_it_wants_to_and_json_elsewhere():
    app = _app(page=lambda failure: None if failure.code == 400 else f"<h1>{failure.code}</h1>")
    client = app.test_client()

    page = client.get("/nowhere")
    assert (page.mimetype, page.get_data(as_text=True)) == ("text/html", "<h1>404</h1>")
    assert client.get("/refuse").get_json()["error"]["status"] == 400


def _numbers_api(tmp_path):
    from numbers_api.app import create_app
    from numbers_api.config import ApiConfig

    return create_app(ApiConfig())


def _web(tmp_path):
    from numbers_web.app import create_app
    from numbers_web.config import WebConfig

    return create_app(WebConfig(probe_url=closed_port_url()))


def _dns_probe(tmp_path):
    from dns_probe.app import create_app
    from dns_probe.config import ProbeConfig
    from dns_probe.journal import Journal
    from dns_probe.prober import Prober

    # Never started, so it never resolves anything.
    prober = Prober(
        target="numbers-api",
        interval_seconds=1.0,
        resolve=lambda name: None,
        journal=Journal(str(tmp_path / "events.jsonl")),
    )
    return create_app(ProbeConfig(), prober)


@pytest.mark.parametrize("build", [_numbers_api, _web, _dns_probe])
@pytest.mark.parametrize(
    ("method", "path", "status"), [("get", "/nowhere", 404), ("put", "/healthz", 405)]
)
def test_the_three_programs_answer_errors_in_the_one_shape(build, method, path, status, tmp_path):
    # web answers a page to a browser; a client that asks for JSON gets the shared shape.
    client = build(tmp_path).test_client()
    response = getattr(client, method)(path, headers={"Accept": "application/json"})

    assert response.status_code == status
    assert response.get_json() == {"error": {"status": status, "message": ANY}}
