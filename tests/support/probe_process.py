"""``python -m dns_probe`` as a real process on 127.0.0.1, for the fault tests.

The probe is started exactly as its image starts it (``python3 -m dns_probe``), with every
inherited PROBE_* variable removed, no drain, and stderr captured to a file. ``status()``
reads /status; ``kill()`` sends SIGKILL to its processes and reaps them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from tests.support.ports import port_outside_ephemeral_range
from tests.support.process_tree import children, kill_tree
from tests.support.processes import program_args

# What kubelet writes into a pod in namespace ns1; the nameserver line is never used because
# PROBE_NAMESERVER points the probe at a test DNS server.
POD_RESOLV_CONF = (
    "nameserver 127.0.0.1\n"
    "search ns1.svc.cluster.local svc.cluster.local cluster.local\n"
    "options ndots:5\n"
)
SERVICE_FQDN = "numbers-api.ns1.svc.cluster.local."


def probe_environment(
    *, nameserver: str, log_path: Path, resolv_conf: Path, port: int, **overrides: str
) -> dict[str, str]:
    """A fast probe of numbers-api, as a pod in ns1 would run it, against *nameserver*."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("PROBE_")}
    environ.update(
        {
            "PORT": str(port),
            # The fault tests time stops and restarts, not the drain.
            "SHUTDOWN_DELAY_SECONDS": "0",
            "PROBE_BIND": "127.0.0.1",
            "PROBE_TARGET": "numbers-api",
            "PROBE_INTERVAL_SECONDS": "0.2",
            "PROBE_JITTER": "0",
            "PROBE_RESOLV_CONF": str(resolv_conf),
            "PROBE_NAMESERVER": nameserver,
            "PROBE_LOG_PATH": str(log_path),
            # The fault tests read one file: rotation would split what they compare.
            "PROBE_LOG_MAX_BYTES": "0",
        }
    )
    environ.update(overrides)
    return environ


class ProbeProcess:
    """One run of ``python -m dns_probe``; several runs may share a journal and a port."""

    def __init__(self, environ: Mapping[str, str], workdir: Path, name: str = "probe") -> None:
        self.port = int(environ["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr_path = workdir / f"{name}.stderr"
        with self.stderr_path.open("wb") as stderr:
            # Its own process group, so that kill() takes gunicorn's worker with its master,
            # as the kernel does to every process of a container whose first process dies.
            self.process = subprocess.Popen(
                program_args("probe"),
                cwd=workdir,
                env=dict(environ),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """The process that runs the loop and writes the journal: gunicorn's one worker."""
        workers = children(self.process.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one worker under {self.process.pid}, found {workers}")
        return workers[0]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def status(self) -> dict[str, Any] | None:
        """/status as JSON, or None while the probe is not answering."""
        try:
            response = requests.get(f"{self.url}/status", timeout=1)
        except requests.RequestException:
            return None
        return response.json() if response.status_code == 200 else None

    def kill(self) -> None:
        """SIGKILL to master and worker: no probe_stopped line, no flush, exactly what the
        kernel leaves."""
        if self.alive():
            kill_tree(self.process.pid)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


def new_probe_port() -> int:
    """Below the ephemeral range: a restarted probe gets its port back even when other
    processes on the machine are handed ephemeral ports meanwhile (see ports.py)."""
    return port_outside_ephemeral_range()


def read_journal_lines(path: Path) -> list[bytes]:
    """The journal's raw lines (without their newlines); empty if it does not exist."""
    return path.read_bytes().splitlines() if path.exists() else []


def parse_lines(lines: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]
