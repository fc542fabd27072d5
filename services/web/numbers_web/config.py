"""web configuration, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A variable is missing or invalid; the message names it and the bad value."""


@dataclass(frozen=True)
class WebConfig:
    port: int = 8080
    workers: int = 2
    # gthread gives each accepted connection a thread until its request is read, so slow
    # clients hold threads: 256 per worker keep /healthz answering with 200 slow clients
    # connected (measured: no answer in 3 s with 8). Threads start only when needed, and
    # the pool of calls to numbers-api is as large, so lookups abandoned at the budget
    # during a DNS outage cannot starve the calls made after it.
    threads: int = 256
    api_url: str = "http://numbers-api/rng"
    # Every failing call answers within this budget, whatever the cause (DNS included).
    api_timeout_seconds: float = 2.5
    # A Service balances connections, not requests: a pooled connection is reused only while
    # it is younger than this and was last used this recently, so that clicks seconds apart
    # each reach a pod chosen afresh while load still rides on open connections.
    api_max_connection_age_seconds: float = 1.0
    api_max_idle_seconds: float = 0.1
    shutdown_delay_seconds: float = 5.0
    # The DNS probe sidecar, on localhost because it shares the pod's network namespace.
    probe_url: str = "http://localhost:9090"
    served_by: str = "localhost"
    # Set by gunicorn.conf.py: where prometheus-client's workers share their figures.
    multiprocess_dir: str = ""

    @property
    def api_host(self) -> str:
        return urlsplit(self.api_url).hostname or ""

    @property
    def graceful_timeout_seconds(self) -> float:
        # Gunicorn's clock starts at SIGTERM, so it must cover the drain delay plus in-flight work,
        # and the sum stays well inside Kubernetes' default 30 s grace period.
        return self.shutdown_delay_seconds + 10.0


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be from {low} to {high}")
    return value


def _seconds(
    environ: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if not low <= value <= high:  # also rejects nan
        raise ConfigError(f"{name}={raw!r} must be from {low:g} to {high:g} seconds")
    return value


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name) or default
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        raise ConfigError(f"{name}={raw!r} is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={raw!r} must be an http:// or https:// URL with a host")
    return raw


def _directory(environ: Mapping[str, str], name: str) -> str:
    raw = environ.get(name, "")
    if raw and not os.path.isdir(raw):
        raise ConfigError(f"{name}={raw!r} is not an existing directory")
    return raw


def load_config(environ: Mapping[str, str]) -> WebConfig:
    """Build the configuration from environment variables, failing on the first bad one."""
    return WebConfig(
        port=_int(environ, "PORT", 8080, 1, 65535),
        workers=_int(environ, "WEB_CONCURRENCY", 2, 1, 64),
        threads=_int(environ, "GUNICORN_THREADS", 256, 1, 1024),
        api_url=_url(environ, "NUMBERS_API_URL", "http://numbers-api/rng"),
        api_timeout_seconds=_seconds(environ, "NUMBERS_API_TIMEOUT_SECONDS", 2.5, 0.1, 2.9),
        api_max_connection_age_seconds=_seconds(
            environ, "NUMBERS_API_MAX_CONNECTION_AGE_SECONDS", 1.0, 0, 3600
        ),
        api_max_idle_seconds=_seconds(environ, "NUMBERS_API_MAX_IDLE_SECONDS", 0.1, 0, 3600),
        shutdown_delay_seconds=_seconds(environ, "SHUTDOWN_DELAY_SECONDS", 5.0, 0, 15.0),
        probe_url=_url(environ, "PROBE_URL", "http://localhost:9090").rstrip("/"),
        served_by=socket.gethostname(),
        multiprocess_dir=_directory(environ, "PROMETHEUS_MULTIPROC_DIR"),
    )
