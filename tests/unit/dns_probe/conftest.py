"""Fixtures for the DNS probe tests: pod-like resolv.conf, config, journal, clocks, polling
(the in-process DNS server, dns_server, is tests/conftest.py's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dns_probe.config import ProbeConfig, load_config
from service_runtime.testing import poll

from tests.support.clock import FakeClock
from tests.support.dns_server import DNSServer

# What kubelet writes into a pod in namespace ns1 (the nameserver is never asked in these
# tests: PROBE_NAMESERVER points at the in-process server, and it is 127.0.0.1 regardless).
POD_SEARCH = ("ns1.svc.cluster.local", "svc.cluster.local", "cluster.local")
SERVICE_FQDN = "numbers-api.ns1.svc.cluster.local."


@pytest.fixture
def fake_clock() -> FakeClock:
    """Starts at 2026-01-01T00:00:00Z."""
    return FakeClock()


@pytest.fixture
def write_resolv_conf(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a resolv.conf; by default the one a pod in namespace ns1 gets."""

    def write(
        *,
        nameservers: tuple[str, ...] = ("127.0.0.1",),
        search: tuple[str, ...] = POD_SEARCH,
        ndots: int | None = 5,
        options: tuple[str, ...] = (),
        name: str = "resolv.conf",
    ) -> Path:
        lines = [f"nameserver {ns}" for ns in nameservers]
        if search:
            lines.append("search " + " ".join(search))
        opts = ([f"ndots:{ndots}"] if ndots is not None else []) + list(options)
        if opts:
            lines.append("options " + " ".join(opts))
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@pytest.fixture
def pod_resolv_conf(write_resolv_conf: Callable[..., Path]) -> Path:
    return write_resolv_conf()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """Where the journal goes; its directory does not exist yet (the journal creates it)."""
    return tmp_path / "journal" / "events.jsonl"


@pytest.fixture
def probe_environ(dns_server: DNSServer, pod_resolv_conf: Path, log_path: Path) -> dict[str, str]:
    """Environment for a fast probe of numbers-api against the in-process DNS server."""
    return {
        "PORT": "9090",
        "PROBE_BIND": "127.0.0.1",
        "PROBE_TARGET": "numbers-api",
        # Tests that run the loop pick their own interval; one check at a time never waits.
        "PROBE_INTERVAL_SECONDS": "2",
        "PROBE_TIMEOUT_SECONDS": "2",
        "PROBE_JITTER": "0",
        "PROBE_RESOLV_CONF": str(pod_resolv_conf),
        "PROBE_NAMESERVER": dns_server.nameserver,
        "PROBE_LOG_PATH": str(log_path),
    }


@pytest.fixture
def make_config(probe_environ: dict[str, str]) -> Callable[..., ProbeConfig]:
    """Factory: load_config over probe_environ with overrides, e.g. make_config(PORT="8080")."""

    def make(**overrides: str) -> ProbeConfig:
        return load_config({**probe_environ, **overrides})

    return make


@pytest.fixture
def read_journal(log_path: Path) -> Callable[..., list[dict[str, Any]]]:
    """Reads the journal back, asserting every line is one complete JSON object."""

    def read(path: Path | None = None) -> list[dict[str, Any]]:
        target = path or log_path
        if not target.exists():
            return []
        raw = target.read_bytes()
        assert raw == b"" or raw.endswith(b"\n"), "the journal must end with a whole line"
        return [json.loads(line) for line in raw.decode("ascii").splitlines()]

    return read


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    """Poll a condition until it is truthy or a deadline passes (never a fixed sleep)."""

    def wait(condition: Callable[[], Any], timeout: float = 5.0, message: str = "") -> Any:
        value = poll(condition, timeout, interval=0.01)
        if not value:
            pytest.fail(f"timed out after {timeout}s waiting for {message or condition}")
        return value

    return wait
