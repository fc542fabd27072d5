"""Start the real programs as subprocesses on 127.0.0.1 ephemeral ports, and stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import requests
from service_runtime.testing import free_port, poll

from tests.support.process_tree import kill_tree

ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIRS = {
    "numbers-api": ROOT / "services" / "numbers-api",
    "web": ROOT / "services" / "web",
    "probe": ROOT / "probe",
}
#: how each program is started, in its image and here: python -m <package>
PACKAGES = {"numbers-api": "numbers_api", "web": "numbers_web", "probe": "dns_probe"}
#: what answers 200 once a program serves (the probe has no readiness: no Service sends to it)
READY_PATHS = {"numbers-api": "/readyz", "web": "/readyz", "probe": "/healthz"}


class Program:
    """One running program with its log captured to a file."""

    def __init__(self, args: list[str], cwd: Path, env: Mapping[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        # Its own process group: a kill takes every process gunicorn forked (process_tree.py).
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.alive():
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL to the master and every worker, so that no orphaned worker outlives a test."""
        if self.alive():
            kill_tree(self.process.pid)
            self.process.wait(timeout=10)
        self._log.close()


def program_args(service: str) -> list[str]:
    """The command that starts a program as its container does: python -m <package>."""
    return [sys.executable, "-m", PACKAGES[service]]


class GunicornServer(Program):
    """A Flask service started exactly as its container starts it (program_args)."""

    def __init__(self, service: str, env: Mapping[str, str], log_path: Path):
        self.service = service
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "PORT": str(self.port), "SHUTDOWN_DELAY_SECONDS": "0", **env}
        full_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        super().__init__(program_args(service), log_path.parent, full_env, log_path)

    def ready(self) -> bool:
        try:
            ready = f"{self.url}{READY_PATHS[self.service]}"
            return requests.get(ready, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, timeout: float = 20) -> GunicornServer:
        if not poll(lambda: self.ready() or not self.alive(), timeout) or not self.alive():
            self.kill()
            raise RuntimeError(f"server did not become ready:\n{self.log()}")
        return self
