"""web's calls to numbers-api (upstream.py) against scripted stand-ins: answers, diagnoses,
budgets and the one retry on a fresh connection."""

import socket
import threading
import time

import pytest

from tests.support import scripted_http as api
from tests.support.scripted_http import UNRESOLVABLE_URL

# Stalled stand-ins wait on this; it is set at the end of the session so no thread lingers.
RELEASE = threading.Event()


@pytest.fixture(scope="module", autouse=True)
def release_stalled_servers():
    yield
    RELEASE.set()


def test_api_number_returns_number_pod_and_url(scripted, make_web):
    server = scripted(api.ok(number=7, served_by="numbers-api-abc12"))

    response = make_web(server.url).get("/api/number")

    assert response.status_code == 200
    assert response.get_json() == {
        "number": 7,
        "served_by": "numbers-api-abc12",
        "api_url": server.url,
    }


@pytest.mark.parametrize(
    ("behaviour", "kind", "detail_says"),
    [
        (api.status(500), "upstream_status", "HTTP 500"),
        (api.status(404), "upstream_status", "HTTP 404"),
        (api.redirect(), "upstream_status", "HTTP 302"),
        (api.body(b'"forty-two"'), "bad_response", "not an integer"),
        (api.body(b"4.2"), "bad_response", "not an integer"),
        (api.body(b"1e3"), "bad_response", "not an integer"),
        (api.body(b""), "bad_response", "not an integer"),
        (api.body(b"99999999999"), "bad_response", "not an integer"),
        (api.body(b"7" * 100_000), "bad_response", "longer than"),
        (api.body(b"42", content_type="text/html"), "bad_response", "text/html"),
        (api.close_mid_body(), "connect", "closed mid-answer"),
        (api.close_without_answer(), "connect", "connection"),
        (api.reset_connection(), "connect", "connection"),
        (api.stall_before_answer(RELEASE), "timeout", "no answer"),
        (api.stall_mid_body(RELEASE), "timeout", "no answer"),
    ],
)
def test_broken_api_answer_becomes_503_of_the_right_kind_within_budget(
    scripted, make_web, behaviour, kind, detail_says
):
    server = scripted(behaviour)
    web = make_web(server.url)

    started = time.monotonic()
    response = web.get("/api/number")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["kind"] == kind
    assert detail_says in body["error"]["detail"]
    assert body["api_url"] == server.url
    assert elapsed < web.application.extensions["numbers_web"]["config"].api_timeout_seconds + 0.5


def test_refused_connection_is_diagnosed_as_connect(make_web):
    from tests.support.scripted_http import closed_port_url

    response = make_web(closed_port_url()).get("/api/number")

    assert response.status_code == 503
    assert response.get_json()["error"]["kind"] == "connect"
    assert "connection refused" in response.get_json()["error"]["detail"]


def test_unresolvable_name_is_diagnosed_as_dns(make_web):
    response = make_web(UNRESOLVABLE_URL).get("/api/number")

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["kind"] == "dns"
    assert "numbers-api.invalid" in error["detail"]
    assert error["try"] == "kubectl get svc numbers-api.invalid"


def test_stalled_api_answers_within_three_seconds_with_the_default_budget(scripted, make_web):
    server = scripted(api.stall_before_answer(RELEASE))
    web = make_web(server.url, budget=2.5)

    started = time.monotonic()
    response = web.get("/api/number")

    assert response.get_json()["error"]["kind"] == "timeout"
    assert time.monotonic() - started < 3.0


def test_connect_failure_is_retried_once_on_a_fresh_connection(scripted, make_web):
    server = scripted(api.first_then(api.close_without_answer(), api.ok(number=5)))

    response = make_web(server.url).get("/api/number")

    assert response.status_code == 200
    assert response.get_json()["number"] == 5
    assert server.connections == 2


def test_answer_cut_off_by_a_dying_pod_is_retried_on_a_fresh_connection(scripted, make_web):
    server = scripted(api.first_then(api.close_mid_body(), api.ok(number=9)))

    response = make_web(server.url).get("/api/number")

    assert response.get_json()["number"] == 9
    assert server.connections == 2


def test_a_connection_never_accepted_is_a_connect_failure_retried_within_a_second(make_web):
    # A listener whose accept queue is full drops new SYNs, like the IP of a deleted pod.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = []
        for _ in range(3):  # more than the queue holds; connecting does not wait for them
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        try:
            started = time.monotonic()
            response = make_web(url, budget=2.5).get("/api/number")
            elapsed = time.monotonic() - started
        finally:
            for filler in fillers:
                filler.close()

    error = response.get_json()["error"]
    assert error["kind"] == "connect", error
    assert error["detail"] == "no connection to '127.0.0.1' within 0.5 s"
    # Two attempts of 0.5 s each, not the whole 2.5 s budget.
    assert 0.9 <= elapsed < 1.8, elapsed


def test_connect_failure_is_retried_only_once(scripted, make_web):
    server = scripted(api.close_without_answer())

    response = make_web(server.url).get("/api/number")

    assert response.get_json()["error"]["kind"] == "connect"
    assert server.connections == 2


@pytest.mark.parametrize("behaviour", [api.status(500), api.body(b"nope")])
def test_answers_that_arrived_are_not_retried(scripted, make_web, behaviour):
    server = scripted(api.first_then(behaviour, api.ok()))

    response = make_web(server.url).get("/api/number")

    assert response.status_code == 503
    assert server.connections == 1


def test_upstream_outcomes_are_counted_in_metrics(scripted, make_web):
    web = make_web(UNRESOLVABLE_URL)
    web.get("/api/number")
    web.post("/")

    text = web.get("/metrics").get_data(as_text=True)

    assert 'numbers_api_calls_total{outcome="dns"} 2.0' in text
