"""The call from web to numbers-api, and the classification of how it failed."""

from __future__ import annotations

import errno
import http.client
import re
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from urllib3 import HTTPConnectionPool, HTTPResponse, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import HTTPError as Urllib3Error

# The API answers a bare integer such as "42"; anything much longer is not that.
MAX_BODY_BYTES = 64
_INTEGER = re.compile(rb"\s*(-?[0-9]{1,10})\s*")

KINDS = ("dns", "connect", "timeout", "upstream_status", "bad_response")
# Inside a cluster a connection is made in well under a millisecond. One that takes longer
# than this went to a pod that is gone (kube-proxy's rules lag its deletion by a moment):
# nothing was sent, so it is retried on a fresh connection rather than waited out.
CONNECT_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Number:
    value: int
    served_by: str


class UpstreamError(Exception):
    """The API could not give a number; kind is one of KINDS, detail says what happened.

    lookup_failed marks a dns error where the resolver could not get an answer at all
    (SERVFAIL, timeouts) rather than being told the name does not exist.
    """

    def __init__(self, kind: str, detail: str, lookup_failed: bool = False) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.lookup_failed = lookup_failed


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps: urllib3's errors nest the OS's and the resolver's."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _connect_detail(error: BaseException) -> str:
    for cause in _causes(error):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
        if isinstance(cause, http.client.RemoteDisconnected):
            return "connection closed before an answer"
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "host unreachable"
    return "connection failed"


def classify(error: Exception, host: str, reading_body: bool = False) -> UpstreamError:
    """Turn what urllib3 raised, making the request or reading the body, into a diagnosis."""
    causes = list(_causes(error))
    if any(isinstance(cause, NameResolutionError | socket.gaierror) for cause in causes):
        # The resolver's own words ("Name or service not known") are what a learner can search.
        gaierror = next((c for c in causes if isinstance(c, socket.gaierror)), None)
        reason = (gaierror.strerror if gaierror else None) or "name resolution failed"
        # EAI_AGAIN: the nameserver failed (SERVFAIL, no answer), not "no such name".
        lookup_failed = gaierror is not None and gaierror.errno == socket.EAI_AGAIN
        return UpstreamError(
            "dns", f"the name {host!r} does not resolve: {reason}", lookup_failed=lookup_failed
        )
    if isinstance(error, ReadTimeoutError | TimeoutError):
        return UpstreamError("timeout", f"no answer from {host!r} in time")
    # urllib3 makes NewConnectionError a kind of ConnectTimeoutError: refusals are tested first.
    if isinstance(error, NewConnectionError):
        return UpstreamError("connect", f"{_connect_detail(error)} by {host!r}")
    if isinstance(error, ConnectTimeoutError):
        detail = f"no connection to {host!r} within {CONNECT_TIMEOUT_SECONDS:g} s"
        return UpstreamError("connect", detail)
    if isinstance(error, ProtocolError | OSError):
        if reading_body:
            # The answer began and the connection closed under it: the pod went away mid-answer.
            return UpstreamError("connect", f"the connection to {host!r} closed mid-answer")
        return UpstreamError("connect", f"{_connect_detail(error)} by {host!r}")
    reason = type(error).__name__
    return UpstreamError("bad_response", f"the answer was garbled ({reason})")


def parse_number(response: HTTPResponse) -> Number:
    """Validate an API answer: 2xx, JSON, a bare integer, and short."""
    if not 200 <= response.status < 300:
        raise UpstreamError("upstream_status", f"the API answered HTTP {response.status}")
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UpstreamError(
            "bad_response", f"the answer is {content_type or 'untyped'!s}, not application/json"
        )
    body = response.read(MAX_BODY_BYTES + 1, decode_content=True)
    if len(body) > MAX_BODY_BYTES:
        raise UpstreamError("bad_response", f"the answer is longer than {MAX_BODY_BYTES} bytes")
    match = _INTEGER.fullmatch(body)
    if not match:
        shown = body[:20].decode("utf-8", "replace")
        raise UpstreamError("bad_response", f"the answer is not an integer: {shown!r}")
    return Number(int(match.group(1)), response.headers.get("X-Served-By", "unknown"))


@dataclass(frozen=True)
class Reuse:
    """When a pooled connection to the API may carry another request.

    kube-proxy (and Docker's DNS) chooses a pod per connection, not per request, so a
    connection kept alive forever pins this process to one pod. Dropping connections that sat
    idle (a person's clicks) or have lived long (steady load) lets each new one choose again.
    """

    max_idle_seconds: float = 0.1
    max_age_seconds: float = 1.0

    def allows(self, connection: HTTPConnection, now: float) -> bool:
        opened_at = getattr(connection, "opened_at", None)
        released_at = getattr(connection, "released_at", None)
        if opened_at is None or released_at is None:
            return True  # not connected yet: nothing to reuse
        young = now - opened_at < self.max_age_seconds
        return young and now - released_at < self.max_idle_seconds


def _pool_class(
    base: type[HTTPConnectionPool], reuse: Reuse, clock: Callable[[], float]
) -> type[HTTPConnectionPool]:
    """A urllib3 pool that closes a connection the reuse policy no longer allows."""

    class Connection(base.ConnectionCls):  # type: ignore[name-defined,misc]
        opened_at: float | None = None
        released_at: float | None = None

        def connect(self) -> None:
            super().connect()
            self.opened_at = self.released_at = clock()

    class Pool(base):  # type: ignore[valid-type,misc]
        ConnectionCls = Connection

        def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
            connection = super()._get_conn(timeout)
            if connection.sock is not None and not reuse.allows(connection, clock()):
                connection.close()  # the next request opens a new one, to a pod chosen afresh
                connection.opened_at = connection.released_at = None
            return connection

        def _put_conn(self, conn: HTTPConnection | None) -> None:
            if conn is not None and getattr(conn, "opened_at", None) is not None:
                conn.released_at = clock()
            super()._put_conn(conn)

    return Pool


class RngClient:
    """Fetches numbers over pooled keep-alive connections, within a hard time budget.

    It uses urllib3's connection pool directly: requests' session machinery around one small
    GET (merging settings, preparing the request, hooks) cost a quarter of web's CPU per call.
    """

    def __init__(
        self,
        url: str,
        host: str,
        budget_seconds: float,
        pool_size: int,
        reuse: Reuse | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._host = host
        self._budget = budget_seconds
        self._clock = clock
        parts = urlsplit(url)
        self._target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        base = HTTPSConnectionPool if parts.scheme == "https" else HTTPConnectionPool
        # No retries or redirects of urllib3's own, and a pool that grows rather than blocks.
        pool_options = dict(host=parts.hostname, port=parts.port, retries=False, block=False)
        self._pool = _pool_class(base, reuse or Reuse(), clock)(maxsize=pool_size, **pool_options)
        self._new_pool = partial(base, maxsize=1, **pool_options)
        # urllib3's timeouts do not cover name resolution, so the call runs on a bounded pool
        # and the caller stops waiting at the budget whatever the call is stuck in.
        self._calls = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="rng-call")

    def fetch(self) -> Number:
        deadline = self._clock() + self._budget
        future = self._calls.submit(self._call, deadline)
        try:
            return future.result(timeout=self._budget)
        except FutureTimeout:
            future.cancel()
            raise UpstreamError(
                "timeout", f"no answer from {self._host!r} within {self._budget:g} s"
            ) from None

    def _call(self, deadline: float) -> Number:
        try:
            return self._get(self._pool, deadline)
        except UpstreamError as error:
            if error.kind != "connect":
                raise
        # A pod that was deleted closes its pooled connections; one retry on a brand-new
        # connection reaches a live endpoint instead of costing the user a request.
        fresh = self._new_pool()
        try:
            return self._get(fresh, deadline)
        finally:
            fresh.close()

    def _get(self, pool: HTTPConnectionPool, deadline: float) -> Number:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise UpstreamError("timeout", f"no answer from {self._host!r} within the budget")
        try:
            response = pool.urlopen(
                "GET",
                self._target,
                timeout=Timeout(connect=min(CONNECT_TIMEOUT_SECONDS, remaining), read=remaining),
                redirect=False,
                preload_content=False,
            )
        except (Urllib3Error, OSError) as error:
            raise classify(error, self._host) from error
        try:
            return parse_number(response)
        except (Urllib3Error, OSError) as error:
            raise classify(error, self._host, reading_body=True) from error
        finally:
            # A body read to its end has already gone back to the pool; one read short of it
            # (too long, not a number) cannot carry another request, so it is closed.
            response.close()
            response.release_conn()

    def close(self) -> None:
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._pool.close()
