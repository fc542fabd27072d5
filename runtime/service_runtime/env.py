"""Configuration read once from the environment, failing fast on the first bad variable.

Every reader treats an empty value as unset, because manifests often template optional values
to "", and every error names the variable, its value and the rule it breaks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A variable holds a value the program cannot run with; the message names it."""


class Environment:
    """Typed readers over an environment mapping that turn bad values into ConfigError."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        return None if value is None or not value.strip() else value.strip()

    def fail(self, name: str, rule: str) -> NoReturn:
        raise ConfigError(f"{name}={self._environ.get(name)!r} is not {rule}")

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None else value

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        rule = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"
        value = self.raw(name)
        if value is None:
            return default
        try:
            parsed = int(value, 10)
        except ValueError:
            self.fail(name, rule)
        if parsed < low or (high is not None and parsed > high):
            self.fail(name, rule)
        return parsed

    def number(self, name: str, default: float, rule: str) -> float:
        """Any finite number; the caller checks its range and words the rule."""
        value = self.raw(name)
        if value is None:
            return default
        try:
            parsed = float(value)
        except ValueError:
            parsed = math.nan
        if not math.isfinite(parsed):
            self.fail(name, rule)
        return parsed

    def seconds(self, name: str, default: float, low: float, high: float) -> float:
        rule = f"a number of seconds from {low:g} to {high:g}"
        value = self.number(name, default, rule)
        if not low <= value <= high:
            self.fail(name, rule)
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        if value.upper() not in choices:
            self.fail(name, "one of " + ", ".join(choices))
        return value.upper()

    def url(self, name: str, default: str | None) -> str | None:
        """An http(s) URL with a host, or the default when unset."""
        value = self.raw(name)
        if value is None:
            return default
        rule = "an http:// or https:// URL with a host"
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - touching .port validates it and raises ValueError
        except ValueError:
            self.fail(name, rule)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(name, rule)
        return value

    def directory(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            return ""
        if not os.path.isdir(value):
            self.fail(name, "an existing directory")
        return value


@dataclass(frozen=True)
class ServerConfig:
    """How a program is served: the part of its configuration gunicorn runs with."""

    port: int
    host: str = "0.0.0.0"  # noqa: S104 - in a pod, the kubelet and Services connect from outside
    workers: int = 2
    threads: int = 4
    # After SIGTERM the program keeps serving this long before its graceful stop (lifecycle.py).
    shutdown_delay_seconds: float = 5.0
    # What the graceful stop after the drain may take: requests in flight, the probe's last check.
    stop_seconds: float = 10.0
    # Where prometheus-client's workers share their figures; `python -m <program>` sets it.
    multiprocess_dir: str = ""
    log_level: str = "INFO"
    access_log: bool = True

    @property
    def graceful_timeout_seconds(self) -> float:
        # Gunicorn's clock starts at SIGTERM, so it must cover the drain delay plus in-flight
        # work, and with the defaults the sum stays well inside Kubernetes' 30 s grace period.
        return self.shutdown_delay_seconds + self.stop_seconds


def read_server_config(
    env: Environment, *, port: int, threads: int, max_threads: int, workers: int | None = 2
) -> ServerConfig:
    """PORT, WEB_CONCURRENCY, GUNICORN_THREADS and SHUTDOWN_DELAY_SECONDS, as all three read them.

    workers=None fixes one worker and leaves WEB_CONCURRENCY unread: a program whose state
    lives in its process (the probe's history) must not be split across several.
    """
    return ServerConfig(
        port=env.integer("PORT", port, 1, 65535),
        workers=1 if workers is None else env.integer("WEB_CONCURRENCY", workers, 1, 64),
        threads=env.integer("GUNICORN_THREADS", threads, 1, max_threads),
        shutdown_delay_seconds=env.seconds("SHUTDOWN_DELAY_SECONDS", 5.0, 0, 15.0),
        multiprocess_dir=env.directory("PROMETHEUS_MULTIPROC_DIR"),
    )
