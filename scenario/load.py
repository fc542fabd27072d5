"""A steady, bounded stream of requests to web, as a user clicking all the time would send."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

FAILURES_KEPT = 5


@dataclass
class LoadResult:
    sent: int = 0
    failed: int = 0
    failures_by_kind: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    #: the first failures as web explained them, with when (seconds into the load)
    first_failures: list[dict] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class SteadyLoad:
    """Sends GETs to one URL at a fixed rate until stopped, max_requests or max_seconds.

    The URL must be on 127.0.0.1: this is load, and load only goes to our own published ports.
    """

    def __init__(self, url: str, rate: float, max_requests: int, max_seconds: float) -> None:
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError(f"load goes only to 127.0.0.1, not {url}")
        self.url = url
        self.rate = rate
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._local = threading.local()
        self._started_at = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="steady-load", daemon=True)

    def start(self) -> SteadyLoad:
        self._started_at = time.perf_counter()
        self._thread.start()
        return self

    def wait(self) -> LoadResult:
        """Let the load run to its own bound (count or time), then return what it measured."""
        self._thread.join(timeout=self.max_seconds + 10)
        return self.result

    def stop(self) -> LoadResult:
        self._stop.set()
        self._thread.join(timeout=self.max_seconds + 10)
        return self.result

    def sent(self) -> int:
        with self._lock:
            return self.result.sent

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _one(self) -> None:
        started = time.perf_counter()
        kind = detail = None
        try:
            response = self._session().get(self.url, timeout=5)
            if response.status_code != 200:
                error = response.json().get("error")
                error = error if isinstance(error, dict) else {"detail": str(error)}
                kind = error.get("kind", f"http_{response.status_code}")
                detail = error.get("detail", "")
        except (requests.RequestException, ValueError) as error:
            kind, detail = f"client:{type(error).__name__}", str(error)
        elapsed = time.perf_counter() - started
        with self._lock:
            self.result.latencies.append(elapsed)
            if kind:
                self.result.failed += 1
                self.result.failures_by_kind[kind] += 1
                if len(self.result.first_failures) < FAILURES_KEPT:
                    at = round(started - self._started_at, 3)
                    self.result.first_failures.append({"at": at, "kind": kind, "detail": detail})

    def _run(self) -> None:
        began = time.monotonic()
        interval = 1.0 / self.rate
        # Enough workers that a request stuck for web's whole 3 s budget never slows the pace.
        with ThreadPoolExecutor(max_workers=int(self.rate * 3) + 2) as pool:
            next_at = began
            while not self._stop.is_set():
                now = time.monotonic()
                if now - began >= self.max_seconds or self.result.sent >= self.max_requests:
                    break
                if now < next_at:
                    self._stop.wait(next_at - now)
                    continue
                with self._lock:
                    self.result.sent += 1
                pool.submit(self._one)
                next_at += interval
        self.result.seconds = time.monotonic() - began
