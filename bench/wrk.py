"""Throughput with wrk (Debian's package): run it against 127.0.0.1, and parse what it prints."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from dataclasses import asdict, dataclass, field

from .guard import require_loopback

_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"

_LATENCY = re.compile(
    rf"^\s*Latency\s+{_NUMBER}(us|ms|s|m|h)\s+{_NUMBER}(us|ms|s|m|h)\s+{_NUMBER}(us|ms|s|m|h)",
    re.M,
)
_PERCENTILE = re.compile(rf"^\s*{_NUMBER}%\s+{_NUMBER}(us|ms|s|m|h)\s*$", re.M)
_TOTAL = re.compile(
    rf"^\s*([0-9]+) requests in {_NUMBER}(us|ms|s|m|h), {_NUMBER}(B|KB|MB|GB|TB) read", re.M
)
_RATE = re.compile(rf"^Requests/sec:\s+{_NUMBER}\s*$", re.M)
_SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)", re.M
)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses: ([0-9]+)", re.M)


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something this parser does not understand."""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    read_bytes: int
    latency_avg_ms: float
    latency_stdev_ms: float
    latency_max_ms: float
    #: "50", "75", "90", "99" -> milliseconds, when wrk ran with --latency
    percentiles_ms: dict[str, float] = field(default_factory=dict)
    #: connect, read, write, timeout (wrk prints the line only when one is non-zero)
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    #: CPU seconds wrk itself used (set by run(); parse() cannot know it)
    cpu_seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx_3xx

    def to_dict(self) -> dict:
        return {**asdict(self), "errors": self.errors}


def _ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS[unit]


def parse(text: str) -> WrkResult:
    """Read wrk 4's report (with or without --latency) into numbers."""
    latency, total, rate = _LATENCY.search(text), _TOTAL.search(text), _RATE.search(text)
    if not (total and rate):
        raise WrkError(f"not a wrk report:\n{text[-2000:]}")
    errors = _SOCKET_ERRORS.search(text)
    non_2xx = _NON_2XX.search(text)
    if latency:
        avg, stdev, worst = (
            _ms(latency.group(i), latency.group(i + 1)) for i in (1, 3, 5)
        )
    else:  # wrk prints no latency line when not one request completed
        avg = stdev = worst = 0.0
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000.0,
        requests_per_second=float(rate.group(1)),
        read_bytes=int(float(total.group(4)) * _BYTE_UNITS[total.group(5)]),
        latency_avg_ms=avg,
        latency_stdev_ms=stdev,
        latency_max_ms=worst,
        percentiles_ms={
            _percent_key(match.group(1)): _ms(match.group(2), match.group(3))
            for match in _PERCENTILE.finditer(text)
        },
        socket_errors=(
            dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()),
                     strict=True))
            if errors
            else {}
        ),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def _percent_key(raw: str) -> str:
    number = float(raw)
    return str(int(number)) if number.is_integer() else str(number)


def available() -> str | None:
    """The path of wrk, or None."""
    return shutil.which("wrk")


def version() -> str:
    if not available():
        return "not installed"
    # wrk prints its version with the usage text and exits non-zero.
    done = subprocess.run(  # noqa: S603 - fixed argv
        [available(), "--version"], capture_output=True, text=True, timeout=10
    )
    first = (done.stdout or done.stderr).splitlines()
    # "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


def run(
    url: str,
    connections: int,
    seconds: float,
    threads: int = 2,
    timeout_seconds: float = 5.0,
) -> WrkResult:
    """Saturate url for a bounded time with wrk -t<threads> -c<connections> -d<seconds>."""
    require_loopback(url)
    if not available():
        raise WrkError("wrk is not installed (bench/setup.sh installs Debian's package)")
    duration = max(1, round(seconds))
    args = [
        available(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout_seconds:g}s",
        "--latency",
        url,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(  # noqa: S603 - wrk with our own arguments, to 127.0.0.1 only
            args, capture_output=True, text=True, timeout=duration + timeout_seconds + 30
        )
    except subprocess.TimeoutExpired as error:
        raise WrkError(f"wrk did not finish: {' '.join(args)}") from error
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise WrkError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    result = parse(done.stdout)
    # Servers are children too, but still running: only wrk ended in between.
    result.cpu_seconds = round(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 4
    )
    return result
