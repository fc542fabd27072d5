"""numbers-api configuration, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(ValueError):
    """A variable is missing or invalid; the message names it and the bad value."""


@dataclass(frozen=True)
class ApiConfig:
    port: int = 8080
    workers: int = 2
    threads: int = 4
    fail_after_calls: int = 0
    shutdown_delay_seconds: float = 5.0
    served_by: str = "localhost"
    # Set by gunicorn.conf.py: where prometheus-client's workers share their figures.
    multiprocess_dir: str = ""

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


def _seconds(environ: Mapping[str, str], name: str, default: float, high: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if not 0 <= value <= high:  # also rejects nan
        raise ConfigError(f"{name}={raw!r} must be from 0 to {high:g} seconds")
    return value


def _directory(environ: Mapping[str, str], name: str) -> str:
    raw = environ.get(name, "")
    if raw and not os.path.isdir(raw):
        raise ConfigError(f"{name}={raw!r} is not an existing directory")
    return raw


def load_config(environ: Mapping[str, str]) -> ApiConfig:
    """Build the configuration from environment variables, failing on the first bad one."""
    return ApiConfig(
        port=_int(environ, "PORT", 8080, 1, 65535),
        workers=_int(environ, "WEB_CONCURRENCY", 2, 1, 64),
        threads=_int(environ, "GUNICORN_THREADS", 4, 1, 256),
        fail_after_calls=_int(environ, "FAIL_AFTER_CALLS", 0, 0, 1_000_000_000),
        shutdown_delay_seconds=_seconds(environ, "SHUTDOWN_DELAY_SECONDS", 5.0, 15.0),
        served_by=socket.gethostname(),
        multiprocess_dir=_directory(environ, "PROMETHEUS_MULTIPROC_DIR"),
    )
