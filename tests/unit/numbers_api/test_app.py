"""numbers-api's app (app.py): /healthz and /readyz, the fault switch behind them (faults.py),
the index, and JSON errors for whatever it refuses."""

import multiprocessing
from unittest.mock import ANY

import pytest
from numbers_api.faults import FaultSwitch


def test_healthz_and_readyz_answer_200_when_fresh(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readyz_says_draining_and_stays_200_while_liveness_and_rng_still_serve(client):
    client.application.extensions["numbers_api"]["lifecycle"].begin_drain()

    # 503 would mark the terminating pod not serving: no fallback to it in kube-proxy.
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").get_json() == {"status": "draining"}
    assert client.get("/healthz").status_code == 200
    assert client.get("/rng").status_code == 200


def test_fault_switch_is_off_unless_set(client):
    statuses = {client.get("/rng").status_code for _ in range(300)}

    assert statuses == {200}
    assert client.get("/healthz").status_code == 200


def test_api_turns_unhealthy_after_fail_after_calls_until_reset(make_client):
    client = make_client(fail_after_calls=3)

    for _ in range(3):
        assert client.get("/rng").status_code == 200
    assert client.get("/healthz").status_code == 500

    failed = client.get("/rng")
    assert failed.status_code == 500
    assert "FAIL_AFTER_CALLS=3" in failed.get_json()["error"]["message"]
    assert client.get("/healthz").get_json()["status"] == "failing"

    assert client.post("/reset").get_json() == {"status": "reset", "calls": 0}
    assert client.get("/healthz").status_code == 200
    assert client.get("/rng").status_code == 200


def _record_calls(switch, count):
    for _ in range(count):
        switch.record_call()


def test_fault_switch_counts_calls_from_forked_workers():
    switch = FaultSwitch(fail_after_calls=1000)
    workers = [
        multiprocessing.get_context("fork").Process(target=_record_calls, args=(switch, 50))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert switch.calls == 150


@pytest.mark.parametrize(("method", "path"), [("get", "/reset"), ("post", "/healthz")])
def test_wrong_method_gets_json_405_with_allow_header(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()
    assert response.headers["Allow"]


def test_unknown_path_gets_json_404(client):
    response = client.get("/numbers")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "not found" in response.get_json()["error"]["message"].lower()


def test_unexpected_error_is_json_500_without_traceback(client):
    def explode():
        raise RuntimeError("secret internals")

    client.application.add_url_rule("/explode", "explode", explode)

    response = client.get("/explode")

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert response.get_json() == {"error": {"status": 500, "message": ANY}}


def test_index_lists_the_endpoints(client):
    assert "/rng?min=0&max=99" in client.get("/").get_json()["endpoints"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/rng", {"data": b"42"}),
        ("get", "/rng", {"json": {"min": 1}}),
        ("post", "/reset", {"data": b"please"}),
        ("get", "/healthz", {"data": b"x" * 10_000}),
    ],
)
def test_request_bodies_are_refused_with_json_400(client, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"status": 400, "message": "this endpoint takes no request body"}
    }


def test_oversized_query_string_is_refused_with_json_414(client):
    response = client.get("/rng?min=1&pad=" + "x" * 2000)

    assert response.status_code == 414
    assert "1024 bytes" in response.get_json()["error"]["message"]
