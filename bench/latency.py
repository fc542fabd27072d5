"""Latency and failures at a constant rate: an open-loop HTTP/1.1 client on asyncio.

wrk measures how much a server can do; it cannot say how fast one request is at a given load,
because each of its connections waits for an answer before sending again (closed loop), so a
stalled server is simply asked less. Here request i is due at start + i / rate whatever
happened before, and its latency counts from that due time to the last byte of the answer
("coordinated omission" corrected, as wrk2 does). Requests go out on keep-alive connections
from a bounded pool; when every connection is busy a request waits for one, and the wait
counts.

The client is cheap (asyncio protocols, callbacks rather than a task per request, no HTTP
library) so that it takes little of the machine from the server it measures. `lag_ms` in the
result says how late the client itself was in sending: a run where that is large measured the
client (or a busy machine), not the server.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .guard import require_loopback

_MAX_HEADER_BYTES = 64 * 1024
#: how often requests are checked against their timeout
_SWEEP_SECONDS = 0.05


@dataclass
class LatencyResult:
    url: str
    target_rate: float
    seconds: float = 0.0
    sent: int = 0
    ok: int = 0
    failed: int = 0
    failures_by_kind: Counter = field(default_factory=Counter)
    #: seconds from each request's due time to its answer's last byte; successful ones only
    latencies: list[float] = field(default_factory=list)
    #: the worst delay between a request's due time and the client sending it
    max_lag: float = 0.0
    connections_opened: int = 0

    @property
    def achieved_rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float | None:
        """Nearest-rank percentile in milliseconds, or None when nothing succeeded."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000.0

    def fail(self, kind: str) -> None:
        self.failed += 1
        self.failures_by_kind[kind] += 1

    def summary(self) -> dict:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "url": self.url,
            "target_rate": round(self.target_rate, 1),
            "achieved_rate": round(self.achieved_rate, 1),
            "seconds": round(self.seconds, 3),
            "sent": self.sent,
            "ok": self.ok,
            "failed": self.failed,
            "failures_by_kind": dict(self.failures_by_kind),
            "p50_ms": ms(self.percentile_ms(0.50)),
            "p90_ms": ms(self.percentile_ms(0.90)),
            "p99_ms": ms(self.percentile_ms(0.99)),
            "max_ms": ms(self.percentile_ms(1.0)),
            "lag_ms": ms(self.max_lag * 1000.0),
            "connections_opened": self.connections_opened,
        }


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, client: _Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.due: float | None = None  # the request in flight, by its due time
        self.sent_at = 0.0

    # -- asyncio callbacks --

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEADER_BYTES:
                self._broken("bad_response")
            return
        try:
            status, length, keep_alive = _head(bytes(self.buffer[:end]))
        except ValueError:
            self._broken("bad_response")
            return
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        due, self.due = self.due, None
        if due is None:  # an answer nobody asked for
            self._broken("bad_response")
            return
        self.client.answered(self, due, status, keep_alive and not self.buffer)

    def connection_lost(self, exc) -> None:
        self.transport = None
        due, self.due = self.due, None
        if due is not None:
            self.client.lost(self, due, "connection")
        else:
            self.client.dropped(self)

    # -- used by the client --

    def send(self, due: float, request: bytes) -> None:
        self.due = due
        self.sent_at = self.client.loop.time()
        self.transport.write(request)

    def _broken(self, kind: str) -> None:
        due, self.due = self.due, None
        if self.transport is not None:
            self.transport.abort()
        if due is not None:
            self.client.lost(self, due, kind)

    def abort(self, kind: str) -> None:
        self._broken(kind)


def _head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and keep-alive of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep_alive = None, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            keep_alive = False
    if length is None:
        raise ValueError("answer without Content-Length")
    return status, length, keep_alive


class _Client:
    def __init__(self, url: str, rate: float, connections: int, timeout: float) -> None:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "User-Agent: numbers-demo-bench\r\nAccept: */*\r\n\r\n"
        ).encode("ascii")
        self.host, self.port = parts.hostname, parts.port
        self.limit = connections
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.result = LatencyResult(url=url, target_rate=rate)
        self.idle: list[_Connection] = []
        self.busy: set[_Connection] = set()
        self.connecting = 0
        self.waiting: deque[float] = deque()  # due times of requests waiting for a connection
        self.outstanding = 0

    # -- requests --

    def fire(self, due: float) -> None:
        self.result.sent += 1
        self.outstanding += 1
        if self.idle:
            self._send(self.idle.pop(), due)
        elif len(self.busy) + self.connecting < self.limit:
            self.connecting += 1
            self.loop.create_task(self._connect(due))
        else:
            self.waiting.append(due)

    async def _connect(self, due: float) -> None:
        try:
            _, connection = await asyncio.wait_for(
                self.loop.create_connection(lambda: _Connection(self), self.host, self.port),
                timeout=max(0.001, due + self.timeout - self.loop.time()),
            )
        except (OSError, TimeoutError) as error:
            self.connecting -= 1
            self._finish(due, kind="timeout" if isinstance(error, TimeoutError) else "connect")
            self._next_waiting_via_new_connection()
            return
        self.connecting -= 1
        self.result.connections_opened += 1
        self._send(connection, due)

    def _send(self, connection: _Connection, due: float) -> None:
        self.busy.add(connection)
        connection.send(due, self.request)

    def answered(self, connection: _Connection, due: float, status: int, reusable: bool) -> None:
        self.busy.discard(connection)
        if status == 200:
            self._finish(due, latency=self.loop.time() - due)
        else:
            self._finish(due, kind=f"http_{status}")
        if reusable and connection.transport is not None:
            if self.waiting:
                self._send(connection, self.waiting.popleft())
            else:
                self.idle.append(connection)
        else:
            if connection.transport is not None:
                connection.transport.close()
            self._next_waiting_via_new_connection()

    def lost(self, connection: _Connection, due: float, kind: str) -> None:
        """The request in flight on connection failed; the connection is gone."""
        self.dropped(connection)
        self._finish(due, kind=kind)
        self._next_waiting_via_new_connection()

    def dropped(self, connection: _Connection) -> None:
        """A connection closed (the server may close idle keep-alive connections)."""
        self.busy.discard(connection)
        if connection in self.idle:
            self.idle.remove(connection)

    def _next_waiting_via_new_connection(self) -> None:
        if self.waiting and len(self.busy) + self.connecting < self.limit:
            self.connecting += 1
            self.loop.create_task(self._connect(self.waiting.popleft()))

    def _finish(self, due: float, latency: float | None = None, kind: str = "") -> None:
        self.outstanding -= 1
        if latency is not None:
            self.result.ok += 1
            self.result.latencies.append(latency)
        else:
            self.result.fail(kind)

    # -- timeouts --

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.busy):
            if connection.due is not None and now - connection.due > self.timeout:
                connection.abort("timeout")
        while self.waiting and now - self.waiting[0] > self.timeout:
            self.waiting.popleft()
            self._finish(now, kind="timeout")

    def close(self) -> None:
        for connection in [*self.idle, *self.busy]:
            if connection.transport is not None:
                connection.transport.abort()


async def _measure(
    url: str, rate: float, seconds: float, connections: int, timeout: float
) -> LatencyResult:
    client = _Client(url, rate, connections, timeout)
    loop, result = client.loop, client.result
    total = max(1, round(rate * seconds))
    started = loop.time()
    next_sweep = started + _SWEEP_SECONDS
    index = 0
    while index < total:
        now = loop.time()
        # Everything due by now goes out, oldest first; lateness is the client's lag.
        while index < total and started + index / rate <= now:
            due = started + index / rate
            result.max_lag = max(result.max_lag, now - due)
            client.fire(due)
            index += 1
        if now >= next_sweep:
            client.sweep()
            next_sweep = now + _SWEEP_SECONDS
        if index < total:
            await asyncio.sleep(max(0.0, started + index / rate - loop.time()))
    result.seconds = loop.time() - started + 1 / rate
    # Every request carries its own timeout; this waits for the last ones to end.
    deadline = loop.time() + timeout + 1
    while client.outstanding > 0 and loop.time() < deadline:
        client.sweep()
        await asyncio.sleep(_SWEEP_SECONDS / 5)
    if client.outstanding > 0:
        result.failed += client.outstanding
        result.failures_by_kind["unfinished"] += client.outstanding
    client.close()
    return result


def run(
    url: str, rate: float, seconds: float, connections: int = 64, timeout: float = 5.0
) -> LatencyResult:
    """GET url `rate` times a second for `seconds` (bounded: rate * seconds requests)."""
    require_loopback(url)
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and seconds must be positive")
    return asyncio.run(_measure(url, rate, seconds, connections, timeout))
