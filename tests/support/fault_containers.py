"""Containers and networks for the fault tests, each labelled and removed again, pass or fail.

``Janitor`` creates every object with one run label and removes everything carrying it (with
anonymous volumes) at the end. ``DnsContainer`` is a DNS server the test steers, on a network
the test created: the probe image (whose venv has dnspython) running
tests/support/dns_container_runner.py over tests/support/dns_server.py, both copied in.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from docker import DockerClient
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from docker.models.networks import Network
from service_runtime.testing import poll

SUPPORT = Path(__file__).resolve().parent
LABEL = "io.numbers-demo.faults-run"
# Hardened like the pod specs: nothing writable but tmpfs, no capabilities.
HARDENING: dict[str, Any] = {
    "read_only": True,
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges:true"],
}


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.05):
    """Poll until condition() is truthy and return it; fail with *what* at the deadline."""
    value = poll(condition, timeout, interval)
    if not value:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")
    return value


class Janitor:
    """Creates labelled networks and containers, and removes all of them in cleanup()."""

    def __init__(self, client: DockerClient, purpose: str) -> None:
        self.client = client
        self.run_id = f"{purpose}-{uuid.uuid4().hex[:8]}"
        self.labels = {LABEL: self.run_id}

    def name(self, role: str) -> str:
        return f"numbers-demo-{self.run_id}-{role}"

    def network(self) -> Network:
        return self.client.networks.create(
            self.name("net"), driver="bridge", labels=self.labels, check_duplicate=True
        )

    def run(self, image: str, role: str, **kwargs: Any) -> Container:
        return self.client.containers.run(
            image, name=self.name(role), detach=True, labels=self.labels, **kwargs
        )

    def create(self, image: str, role: str, **kwargs: Any) -> Container:
        return self.client.containers.create(
            image, name=self.name(role), labels=self.labels, **kwargs
        )

    def cleanup(self) -> None:
        mine = {"label": f"{LABEL}={self.run_id}"}
        for container in self.client.containers.list(all=True, filters=mine):
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True, v=True)
        for network in self.client.networks.list(filters=mine):
            with contextlib.suppress(NotFound, APIError):
                network.remove()

    def leftovers(self) -> list[str]:
        """Anything of this run still on the engine (expected: nothing after cleanup)."""
        mine = {"label": f"{LABEL}={self.run_id}"}
        return [
            *(c.name for c in self.client.containers.list(all=True, filters=mine)),
            *(n.name for n in self.client.networks.list(filters=mine)),
        ]


def ip_on(container: Container, network: Network) -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]


def published_url(container: Container, port: str) -> str:
    """http://127.0.0.1:<host port> for a port published on 127.0.0.1 only."""
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"][port]
    assert [binding["HostIp"] for binding in bindings] == ["127.0.0.1"], bindings
    return f"http://127.0.0.1:{bindings[0]['HostPort']}"


def wait_http_ok(url: str, timeout: float, what: str) -> None:
    def ok() -> bool:
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_for(ok, timeout, what)


def logs(container: Container, tail: int = 50) -> str:
    try:
        return container.logs(tail=tail).decode(errors="replace")
    except (NotFound, APIError) as error:
        return f"(no logs: {error})"


def _tar(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o444
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
        directory = tarfile.TarInfo("dns")
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o555
        tar.addfile(directory)
    return buffer.getvalue()


class DnsContainer:
    """A DNS server on port 53 of a test network, answering as the test says."""

    CONTROL = "/tmp/dns-control.json"  # inside the container, on its tmpfs

    def __init__(self, janitor: Janitor, image: str, network: Network) -> None:
        self.container = janitor.create(
            image,
            "dns",
            command=["python3", "/srv/dns/dns_container_runner.py"],
            working_dir="/srv/dns",
            environment={"DNS_CONTROL": self.CONTROL, "PYTHONDONTWRITEBYTECODE": "1"},
            network=network.name,
            tmpfs={"/tmp": "rw,size=1m"},
            # Port 53 without any capability (Docker sets this too since 20.10).
            sysctls={"net.ipv4.ip_unprivileged_port_start": "0"},
            # Not read-only: the server's two files are copied in before it starts.
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
        )
        self.container.put_archive(
            "/srv",
            _tar(
                {
                    "dns/dns_server.py": (SUPPORT / "dns_server.py").read_bytes(),
                    "dns/dns_container_runner.py": (
                        SUPPORT / "dns_container_runner.py"
                    ).read_bytes(),
                }
            ),
        )
        self.container.start()
        self.ip = ip_on(self.container, network)
        wait_for(
            lambda: "listening on" in logs(self.container)
            or self.container.reload()
            or self.container.status == "exited",
            timeout=30,
            what="the DNS container to listen",
        )
        assert "listening on" in logs(self.container), logs(self.container)

    def set(
        self,
        mode: str = "answer",
        a: Mapping[str, Sequence[str]] | None = None,
        no_data: Sequence[str] = (),
    ) -> None:
        """Replace the records and mode; applies to every query after this returns."""
        control = json.dumps({"mode": mode, "a": dict(a or {}), "no_data": list(no_data)})
        script = (
            "import os, sys\n"
            f"path = {self.CONTROL!r}\n"
            "with open(path + '.new', 'w') as f:\n"
            "    f.write(sys.argv[1])\n"
            "os.replace(path + '.new', path)\n"
        )
        exit_code, output = self.container.exec_run(["python3", "-c", script, control])
        assert exit_code == 0, output.decode(errors="replace")

