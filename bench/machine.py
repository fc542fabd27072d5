"""The machine a run was measured on: the numbers mean little without it."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from . import vegeta, wrk
from .servers import nginx_version


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe(docker_version: str, mode: str) -> dict:
    try:
        gunicorn = metadata.version("gunicorn")
    except metadata.PackageNotFoundError:
        gunicorn = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "os": _os_name(),
        "docker": docker_version,
        "python": platform.python_version(),
        "gunicorn": gunicorn,
        "wrk": wrk.version(),
        "vegeta": vegeta.version(),
        "nginx": nginx_version(),
        "mode": mode,
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()
