"""HttpChecker against real local HTTP servers, and its place beside the DNS outcome."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from dns_probe.config import ProbeConfig
from dns_probe.http_check import HttpChecker
from dns_probe.prober import build_prober
from dns_probe.results import DnsOutcome, HttpOutcome

from tests.support.dns_server import DNSServer

# Answering servers get a generous timeout so load cannot flip an answer into a timeout.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.2


class Handler(BaseHTTPRequestHandler):
    """GET /status/<code> answers with that code; anything else 200."""

    def do_GET(self) -> None:
        code = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/status/") else 200
        self.send_response(code)
        if 300 <= code < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"hi")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for failures."""


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (the kernel does) but never answers a request."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize(
    ("path", "outcome", "status"),
    [
        ("/healthz", HttpOutcome.OK, 200),
        ("/status/204", HttpOutcome.OK, 204),
        ("/status/302", HttpOutcome.OK, 302),
        ("/status/404", HttpOutcome.STATUS, 404),
        ("/status/503", HttpOutcome.STATUS, 503),
    ],
)
def test_response_status_decides_http_ok_or_http_status(
    http_server: str, path: str, outcome: HttpOutcome, status: int
) -> None:
    result = HttpChecker(http_server + path, timeout_seconds=TIMEOUT)()
    assert (result.outcome, result.status) == (outcome, status)
    assert (result.error is None) is (outcome is HttpOutcome.OK)


def test_refused_connection_is_http_connect(closed_port_url: str) -> None:
    result = HttpChecker(closed_port_url, timeout_seconds=TIMEOUT)()
    assert result.outcome is HttpOutcome.CONNECT
    assert "refused" in (result.error or "").lower()


def test_server_that_never_answers_is_http_timeout(silent_server: str) -> None:
    result = HttpChecker(silent_server, timeout_seconds=SHORT_TIMEOUT)()
    assert result.outcome is HttpOutcome.TIMEOUT
    assert SHORT_TIMEOUT * 0.9 <= result.latency_seconds < SHORT_TIMEOUT + 1.0


def test_proxy_settings_in_the_environment_are_ignored(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    assert HttpChecker(http_server, timeout_seconds=TIMEOUT)().outcome is HttpOutcome.OK


def test_name_can_resolve_while_the_service_behind_it_fails(
    make_config: Callable[..., ProbeConfig], dns_server: DNSServer, http_server: str
) -> None:
    dns_server.add_a("numbers-api.ns1.svc.cluster.local", "10.96.0.20")
    prober = build_prober(make_config(PROBE_HTTP_URL=http_server + "/status/503"))
    try:
        result = prober.check_once()
    finally:
        prober.journal.close()
    assert result.dns.outcome is DnsOutcome.OK
    assert result.http is not None and result.http.outcome is HttpOutcome.STATUS
    status = prober.status()
    assert status["state"] == "failing"
    assert status["last_check"]["outcome"] == "ok"
    assert status["last_check"]["http"]["outcome"] == "http_status"
    assert status["last_check"]["http"]["status"] == 503
    assert status["outages"][0]["reason"] == "http_status"
