"""Latency and failures at a constant rate, measured by vegeta (github.com/tsenart/vegeta).

wrk measures how much a server can do; it cannot say how fast one request is at a given load,
because each of its connections waits for an answer before sending again (closed loop), so a
stalled server is simply asked less. vegeta sends request i at start + i / rate whatever
happened before (open loop), on keep-alive connections. It times each request from when it
was sent; the delay between a request's due time and its sending is added back here, so a
client that fell behind cannot hide a slow server ("coordinated omission", as wrk2 corrects
it). `lag_ms` in the result is the worst such delay: a run where it is large measured the
client (or a busy machine), not the server.

vegeta is built from the Go module proxy with `go install`, once, into a cache beside the
cluster's (bench/setup.sh does it ahead; the first run does it otherwise).
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .guard import require_loopback

MODULE = "github.com/tsenart/vegeta/v12"
VERSION = "v12.13.0"
_CACHE = Path(os.environ.get("CLUSTER_CACHE", "/var/cache/numbers-demo")) / "bench"
BINARY = _CACHE / f"vegeta-{VERSION}" / "vegeta"
_BUILD_SECONDS = 600


class VegetaUnavailable(RuntimeError):
    """vegeta is not installed and cannot be built here; the message says why."""


def binary() -> Path:
    """The pinned vegeta, built into the cache the first time."""
    if BINARY.is_file():
        return BINARY
    go = shutil.which("go")
    if not go:
        raise VegetaUnavailable(f"vegeta is not built and there is no Go to build it ({MODULE})")
    try:
        BINARY.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VegetaUnavailable(f"cannot create {BINARY.parent}: {error}") from None
    done = subprocess.run(  # noqa: S603 - the go command, with a pinned module version
        [go, "install", "-trimpath", f"{MODULE}@{VERSION}"],
        env={**os.environ, "GOBIN": str(BINARY.parent)},
        capture_output=True, text=True, timeout=_BUILD_SECONDS, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not BINARY.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise VegetaUnavailable(f"go install {MODULE}@{VERSION} failed: {last}")
    return BINARY


def version() -> str:
    return VERSION if BINARY.is_file() else "not built"


@dataclass
class LatencyResult:
    url: str
    target_rate: float
    seconds: float = 0.0
    sent: int = 0
    ok: int = 0
    failed: int = 0
    failures_by_kind: Counter = field(default_factory=Counter)
    #: seconds from each request's due time to its answer; successful ones only
    latencies: list[float] = field(default_factory=list)
    #: the worst delay between a request's due time and vegeta sending it
    max_lag: float = 0.0

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
        }


def failure_kind(status: int, error: str) -> str | None:
    """None for a 2xx answer; otherwise what went wrong, in a word."""
    if status and 200 <= status < 300:
        return None
    if status:
        return f"http_{status}"
    if "connection refused" in error or "connect:" in error:
        return "connect"
    if "timeout" in error.lower() or "deadline exceeded" in error:
        return "timeout"
    if "reset" in error or "EOF" in error:
        return "closed"
    return "error"


def read_results(csv_text: str, url: str, rate: float) -> LatencyResult:
    """The result of `vegeta encode --to=csv`: one line a request (timestamp in ns since the
    epoch, status, latency in ns, bytes out, bytes in, error, body, attack, seq, ...)."""
    result = LatencyResult(url, rate)
    rows = [row for row in csv.reader(csv_text.splitlines()) if row]
    if not rows:
        return result
    start = min(int(row[0]) for row in rows)
    last = start
    for row in rows:
        sent_ns, status, latency_ns, error, seq = (int(row[0]), int(row[1]), int(row[2]),
                                                   row[5], int(row[8]))  # fmt: skip
        lag = max(0.0, (sent_ns - start) / 1e9 - seq / rate)
        result.max_lag = max(result.max_lag, lag)
        result.sent += 1
        last = max(last, sent_ns)
        kind = failure_kind(status, error)
        if kind is None:
            result.ok += 1
            result.latencies.append(lag + latency_ns / 1e9)
        else:
            result.failed += 1
            result.failures_by_kind[kind] += 1
    # From the first due time to the last one's end of its slot: n requests take n / rate.
    result.seconds = (last - start) / 1e9 + 1 / rate
    return result


def run(
    url: str, rate: float, seconds: float, connections: int = 64, timeout: float = 5.0
) -> LatencyResult:
    """GET url `rate` times a second for `seconds` (bounded: rate * seconds requests)."""
    require_loopback(url)
    if rate < 1 or seconds <= 0:
        raise ValueError("rate must be at least 1 a second and seconds positive")
    vegeta = str(binary())
    with tempfile.TemporaryDirectory(prefix="vegeta-") as tmp:
        results = Path(tmp) / "results.bin"
        subprocess.run(  # noqa: S603 - our pinned vegeta, loading 127.0.0.1 only (checked above)
            [vegeta, "attack", f"-rate={round(rate)}/1s", f"-duration={round(seconds * 1000)}ms",
             f"-timeout={round(timeout * 1000)}ms", f"-max-connections={connections}",
             f"-output={results}"],
            input=f"GET {url}\n", capture_output=True, text=True,
            timeout=seconds + timeout + 30, check=True,
        )  # fmt: skip
        encoded = subprocess.run(  # noqa: S603 - the same binary, decoding its own file
            [vegeta, "encode", "--to=csv", str(results)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    return read_results(encoded.stdout, url, round(rate))
