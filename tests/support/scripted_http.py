"""A raw TCP server that plays numbers-api, or misbehaves like a broken one, on 127.0.0.1.

web's failure diagnosis is what the tests exercise; this server only has to produce each
failure exactly, byte for byte, which a real HTTP framework would not let it do.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable

from service_runtime.testing import free_port

Behaviour = Callable[[socket.socket, int], None]


def _respond(status: str, body: bytes, content_type: str = "application/json", **headers: str):
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())

    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    return behave


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def ok(number: int = 42, served_by: str = "pod-a") -> Behaviour:
    return _respond("200 OK", str(number).encode(), X_Served_By=served_by)


def keep_alive(served_by: str = "pod-a") -> Behaviour:
    """Answer 42 to every request on the connection, keeping it open until the client closes."""

    def behave(conn: socket.socket, _: int) -> None:
        while _read_request(conn).endswith(b"\r\n\r\n"):
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                f"X-Served-By: {served_by}\r\n\r\n"
            )
            conn.sendall(head.encode() + b"42")

    return behave


def status(code: int) -> Behaviour:
    return _respond(f"{code} Whatever", b'{"error": "broken"}')


def web_diagnosis(kind: str, detail: str) -> Behaviour:
    """web's own 503, as its /api/number answers when numbers-api failed it."""
    payload = {"error": {"kind": kind, "detail": detail}, "api_url": "http://numbers-api/rng"}
    return _respond("503 Service Unavailable", json.dumps(payload).encode())


def body(payload: bytes, content_type: str = "application/json") -> Behaviour:
    return _respond("200 OK", payload, content_type)


def redirect() -> Behaviour:
    return _respond("302 Found", b"", Location="http://127.0.0.1:9/rng")


def stall_before_answer(release: threading.Event) -> Behaviour:
    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)
        release.wait(30)

    return behave


# Promises four bytes of body and sends one.
_PARTIAL = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n4"


def stall_mid_body(release: threading.Event) -> Behaviour:
    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)
        conn.sendall(_PARTIAL)
        release.wait(30)

    return behave


def close_mid_body() -> Behaviour:
    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)
        conn.sendall(_PARTIAL)

    return behave


def close_without_answer() -> Behaviour:
    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)

    return behave


def reset_connection() -> Behaviour:
    def behave(conn: socket.socket, _: int) -> None:
        _read_request(conn)
        # Linger 0 makes close() send RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return behave


def first_then(first: Behaviour, rest: Behaviour) -> Behaviour:
    """Behave one way on the first connection and another on every later one."""

    def behave(conn: socket.socket, index: int) -> None:
        (first if index == 0 else rest)(conn, index)

    return behave


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and hands each to the behaviour, one thread each."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/rng"

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            index = self.connections
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn, index), daemon=True).start()

    def _handle(self, conn: socket.socket, index: int) -> None:
        with conn, contextlib.suppress(OSError):  # the client hung up first; nothing to do
            self.behaviour(conn, index)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()


# A name under .invalid, which no resolver may answer (RFC 6761).
UNRESOLVABLE_URL = "http://numbers-api.invalid/rng"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens, so connecting is refused."""
    return f"http://127.0.0.1:{free_port()}/rng"
