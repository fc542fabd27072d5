"""numbers-api under gunicorn: workers, shared state, shutdown and start-up failures."""

import re
import socket
import subprocess
import threading
import time

import pytest
import requests
from service_runtime.testing import poll

from tests.support.processes import program_args

pytestmark = pytest.mark.integration


def test_metrics_add_up_over_all_workers(start_service):
    api = start_service("numbers-api", WEB_CONCURRENCY="2")
    with requests.Session() as session:
        for _ in range(20):
            session.get(f"{api.url}/rng", timeout=5)
    # Fresh connections so that both workers answer some requests.
    for _ in range(20):
        requests.get(f"{api.url}/rng", timeout=5)

    text = requests.get(f"{api.url}/metrics", timeout=5).text

    match = re.search(
        r'^http_requests_total\{method="GET",route="/rng",status="200"\} (\S+)$', text, re.M
    )
    assert match and float(match.group(1)) == 40


def test_fault_switch_trips_every_worker(start_service):
    api = start_service("numbers-api", WEB_CONCURRENCY="2", FAIL_AFTER_CALLS="5")

    statuses = [requests.get(f"{api.url}/rng", timeout=5).status_code for _ in range(8)]
    health = {requests.get(f"{api.url}/healthz", timeout=5).status_code for _ in range(10)}

    assert statuses == [200] * 5 + [500] * 3
    assert health == {500}

    assert requests.post(f"{api.url}/reset", timeout=5).status_code == 200
    assert {requests.get(f"{api.url}/healthz", timeout=5).status_code for _ in range(10)} == {200}


def _send_partial_request(port):
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(b"GET /rng?min=7&max=7 HTTP/1.1\r\nHost: numbers-api\r\n")
    return conn


def _finish_request(conn):
    conn.sendall(b"Connection: close\r\n\r\n")
    answer = b""
    while chunk := conn.recv(4096):
        answer += chunk
    conn.close()
    return answer


def test_sigterm_lets_in_flight_requests_finish_and_exits_0(start_service):
    api = start_service("numbers-api", SHUTDOWN_DELAY_SECONDS="2")
    in_flight = _send_partial_request(api.port)
    # Connections are accepted in the order they arrived: once a later one is answered, the
    # half-sent request's connection is in a worker's hands.
    assert requests.get(f"{api.url}/healthz", timeout=5).status_code == 200

    api.process.terminate()
    # Draining: /readyz says so once the workers have the signal, and /rng is still served.
    assert poll(
        lambda: requests.get(f"{api.url}/readyz", timeout=5).json() == {"status": "draining"},
        timeout=1.5,
    )
    assert requests.get(f"{api.url}/rng", timeout=5).status_code == 200
    answer = _finish_request(in_flight)
    started = time.monotonic()
    exit_code = api.process.wait(timeout=30)

    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b"7\n")
    assert exit_code == 0
    assert time.monotonic() - started < 10


def test_sigterm_under_steady_load_answers_every_request_it_answers_at_all(start_service):
    api = start_service("numbers-api", SHUTDOWN_DELAY_SECONDS="1")
    outcomes = {"ok": 0, "not_accepted": 0, "broken": 0}
    deadline = time.monotonic() + 10

    def client():
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"{api.url}/rng", timeout=5)
            except requests.exceptions.ChunkedEncodingError:
                outcomes["broken"] += 1  # an answer that started and broke off
                continue
            except requests.ConnectionError:
                # Refused, or reset from the listen backlog as the listener closed: no answer
                # began, which is what web's one retry on a fresh connection absorbs.
                outcomes["not_accepted"] += 1
                return
            outcomes["ok" if response.status_code == 200 else "broken"] += 1

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    poll(lambda: outcomes["ok"] >= 50, timeout=5)
    api.process.terminate()
    served_before_term = outcomes["ok"]
    exit_code = api.process.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=15)

    assert exit_code == 0
    assert outcomes["broken"] == 0
    assert outcomes["ok"] > served_before_term  # the drain delay kept serving after SIGTERM
    assert outcomes["not_accepted"] == len(threads)


@pytest.mark.parametrize(
    ("service", "variable", "value"),
    [
        ("numbers-api", "PORT", "abc"),
        ("numbers-api", "FAIL_AFTER_CALLS", "-3"),
        ("numbers-api", "SHUTDOWN_DELAY_SECONDS", "forever"),
        ("web", "NUMBERS_API_URL", "numbers-api"),
        ("web", "NUMBERS_API_TIMEOUT_SECONDS", "10"),
    ],
)
def test_bad_variable_stops_the_server_with_one_line_naming_it(
    monkeypatch, tmp_path, service, variable, value
):
    monkeypatch.setenv(variable, value)

    result = subprocess.run(
        program_args(service),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{variable}={value!r}" in lines[0]
    assert lines[0].startswith(f"{service if service == 'web' else 'numbers-api'}: ")


def _connect_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_once_the_drain_ends_new_connections_are_refused_not_left_in_the_backlog(start_service):
    """A worker that stops accepting also stops listening. Otherwise the kernel goes on
    completing handshakes that nobody accepts, and resets them when the worker exits: on
    Docker, whose DNS still names a stopping container, a client then fails instead of
    trying the name's next address (seen as `connection reset` in the chapter's deletion)."""
    api = start_service("numbers-api", WEB_CONCURRENCY="1", SHUTDOWN_DELAY_SECONDS="1")
    in_flight = _send_partial_request(api.port)  # keeps the worker in its graceful stop

    api.process.terminate()
    # Answered from the backlog after the half-sent request, so that one was accepted too.
    assert poll(
        lambda: requests.get(f"{api.url}/readyz", timeout=5).json() == {"status": "draining"},
        timeout=1.5,
    )

    assert poll(lambda: _connect_refused(api.port), timeout=5), (
        "after the drain a new connection was still taken into a backlog no worker reads"
    )
    assert _finish_request(in_flight).endswith(b"7\n")
    assert api.process.wait(timeout=30) == 0
