"""Optional GET of a URL each round: a name can resolve while the service behind it is down."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from .results import HttpOutcome, HttpResult

MAX_ERROR_LENGTH = 300


class HttpChecker:
    """Callable that GETs one URL and reports an HttpResult; 2xx and 3xx count as http_ok."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._timeout = timeout_seconds
        self._monotonic = monotonic

    def __call__(self) -> HttpResult:
        started = self._monotonic()
        # A fresh session per check, so every round opens a new connection like a new client would.
        with requests.Session() as session:
            # Proxy variables from the environment would hide the path we mean to test.
            session.trust_env = False
            try:
                response = session.get(
                    self.url,
                    timeout=(self._timeout, self._timeout),
                    allow_redirects=False,
                    headers={"Connection": "close", "User-Agent": "dns-probe"},
                )
                response.close()
            except requests.Timeout as exc:
                return self._failure(HttpOutcome.TIMEOUT, started, exc)
            except requests.RequestException as exc:
                return self._failure(HttpOutcome.CONNECT, started, exc)
        latency = self._monotonic() - started
        if response.status_code >= 400:
            return HttpResult(
                HttpOutcome.STATUS,
                latency,
                status=response.status_code,
                error=f"HTTP {response.status_code} from {self.url}",
            )
        return HttpResult(HttpOutcome.OK, latency, status=response.status_code)

    def _failure(self, outcome: HttpOutcome, started: float, exc: Exception) -> HttpResult:
        # requests wraps urllib3's error, whose .reason is the readable part ("Connection refused").
        wrapped = exc.args[0] if exc.args else None
        message = f"{type(exc).__name__}: {getattr(wrapped, 'reason', None) or exc}"
        return HttpResult(outcome, self._monotonic() - started, error=message[:MAX_ERROR_LENGTH])
