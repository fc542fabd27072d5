"""Malformed HTTP at the real servers: always a 4xx, never a 5xx, a traceback or a hang."""

import socket

import pytest

pytestmark = pytest.mark.integration

SERVICES = ["numbers-api", "web"]


def _raw(port, request: bytes, timeout=5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.fixture(scope="module", params=SERVICES)
def server(request, tmp_path_factory):
    from tests.support.processes import GunicornServer

    env = {"NUMBERS_API_URL": "http://numbers-api.invalid/rng"} if request.param == "web" else {}
    log = tmp_path_factory.mktemp("bad") / f"{request.param}.log"
    started = GunicornServer(request.param, env, log).wait_ready()
    yield started
    started.kill()


BAD_REQUESTS = {
    "query over the app's limit": b"GET /healthz?" + b"a" * 2000 + b" HTTP/1.1\r\n",
    "request line over gunicorn's limit": b"GET /healthz?" + b"a" * 9000 + b" HTTP/1.1\r\n",
    "header over gunicorn's limit": b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n",
    "too many headers": b"GET /healthz HTTP/1.1\r\n" + b"".join(
        b"X-H%d: v\r\n" % i for i in range(150)
    ),
    "invalid percent-encoding": b"GET /%zz%ff HTTP/1.1\r\n",
    "invalid UTF-8 in the path": b"GET /\xff\xfe HTTP/1.1\r\n",
    "body on a GET": b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "garbage request line": b"HELLO\r\n",
    "unknown method": b"BREW /healthz HTTP/1.1\r\n",
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_malformed_request_gets_a_4xx_without_traceback(server, case):
    request = BAD_REQUESTS[case]
    if b"\r\n\r\n" not in request:
        request += b"Host: t\r\nConnection: close\r\n\r\n"
    elif b"Connection:" not in request:
        request = request.replace(b"\r\n\r\n", b"\r\nHost: t\r\nConnection: close\r\n\r\n", 1)

    answer = _raw(server.port, request)

    assert 400 <= _status(answer) < 500, answer[:200]
    assert b"Traceback" not in answer
    assert server.alive()


def test_server_still_answers_after_the_bad_requests(server):
    answer = _raw(server.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")

    assert _status(answer) == 200
