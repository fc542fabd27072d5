"""What the three images cost: memory at idle and under load, size over the base, start time.

The containers run as the chapter runs them (the scenario's hardening, numbers-api under its
Service name on a network of this run's own), with their ports published on 127.0.0.1 only.
Memory is what `docker stats` shows (the cgroup's usage minus its inactive page cache) in MiB;
the anonymous resident part (rss) is recorded next to it. Image sizes are in MB (10^6 bytes),
as `docker images` shows them.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from service_runtime.testing import free_port, poll

from . import wrk
from .servers import http_status

MIB = 1024 * 1024
MB = 1000 * 1000
#: bases the images may have been built FROM (scripts/base-image.sh picks one)
BASE_CANDIDATES = ("numbers-demo/python-base:bookworm", "python:3.12-slim")
ROLES = ("numbers-api", "web", "probe")
PROBE_LOG_TMPFS = "rw,size=16m,uid=10001,gid=10001"


def docker_client():
    """A Docker client that answers, or None (callers skip with a reason)."""
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except Exception:  # any failure means "no Docker here", which the run reports
        return None


def docker_version(client) -> str:
    if client is None:
        return "not available"
    try:
        return client.version().get("Version", "unknown")
    except Exception:  # the version is for the record only
        return "unknown"


# -- memory -------------------------------------------------------------------------------


def memory_of(container) -> dict[str, float]:
    """The container's memory now: `docker stats`' figure and the anonymous rss, in MiB."""
    stats = container.stats(stream=False, one_shot=True).get("memory_stats", {})
    usage = stats.get("usage", 0)
    detail = stats.get("stats", {})
    # docker stats: cgroup v1 subtracts total_inactive_file, v2 inactive_file.
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    if inactive >= usage:
        inactive = 0
    rss = detail.get("total_rss", detail.get("anon", 0))
    return {"mib": round((usage - inactive) / MIB, 1), "rss_mib": round(rss / MIB, 1)}


def pss_mib(pids: list[int]) -> float:
    """Proportional set size of a process tree on this host (shared pages counted once)."""
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
    return round(total_kib / 1024, 1)


class _Sampler:
    """Samples every container's memory in the background and keeps the peaks."""

    def __init__(self, containers: dict, interval: float = 0.5) -> None:
        self.containers = containers
        self.interval = interval
        self.peak: dict[str, dict[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for role, container in self.containers.items():
                with contextlib.suppress(Exception):
                    now = memory_of(container)
                    best = self.peak.setdefault(role, now)
                    for key, value in now.items():
                        best[key] = max(best[key], value)
            self._stop.wait(self.interval)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


# -- image sizes --------------------------------------------------------------------------


def image_growth(client, images: dict[str, str]) -> dict[str, dict]:
    """Each image's size and what it adds over the base it was built FROM."""
    bases = {}
    for tag in BASE_CANDIDATES:
        with contextlib.suppress(Exception):
            bases[tag] = client.images.get(tag).attrs
    sizes = {}
    for role, tag in images.items():
        attrs = client.images.get(tag).attrs
        layers = attrs["RootFS"]["Layers"]
        base_tag, base = next(
            (
                (name, base)
                for name, base in bases.items()
                if layers[: len(base["RootFS"]["Layers"])] == base["RootFS"]["Layers"]
            ),
            (None, None),
        )
        sizes[role] = {
            "image": tag,
            "size_mb": round(attrs["Size"] / MB, 1),
            "base": base_tag,
            "base_mb": round(base["Size"] / MB, 1) if base else None,
            "added_mb": round((attrs["Size"] - base["Size"]) / MB, 1) if base else None,
        }
    return sizes


# -- the running stack --------------------------------------------------------------------


@dataclass
class Stack:
    """numbers-api (under its Service name), web, and the probe in web's network namespace."""

    client: object
    images: dict[str, str]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        from scenario.docker_backend import HARDENING, LABEL, SERVICE_NAME

        self._hardening, self._label, self._service = HARDENING, LABEL, SERVICE_NAME
        self.prefix = f"numbers-demo-bench-{self.run_id}"
        self.network = None
        self.containers: dict[str, object] = {}
        self.urls: dict[str, str] = {}
        self.start_seconds: dict[str, float | None] = {}

    def _labels(self, role: str) -> dict[str, str]:
        return {self._label: self.run_id, "app.kubernetes.io/name": role, "bench": "1"}

    def _timed_start(self, role: str, ready_url: str, timeout: float, **run) -> None:
        """docker run, then poll ready_url; the seconds between are the start-to-ready time."""
        started = time.monotonic()
        container = self.client.containers.run(detach=True, **run)
        self.containers[role] = container
        remaining = started + timeout - time.monotonic()
        if poll(lambda: http_status(ready_url, timeout=0.5) == 200, remaining, interval=0.02):
            self.start_seconds[role] = round(time.monotonic() - started, 3)
            return
        self.start_seconds[role] = None
        logs = container.logs(tail=20).decode(errors="replace")
        raise RuntimeError(f"{role} was not ready within {timeout:g} s:\n{logs}")

    def start(self, timeout: float = 30) -> Stack:
        self.network = self.client.networks.create(
            self.prefix, driver="bridge", labels=self._labels("network")
        )
        api_port, web_port, probe_port = free_port(), free_port(), free_port()
        self.urls = {
            "numbers-api": f"http://127.0.0.1:{api_port}",
            "web": f"http://127.0.0.1:{web_port}",
            "probe": f"http://127.0.0.1:{probe_port}",
        }
        endpoint = self.client.api.create_endpoint_config(aliases=[self._service])
        self._timed_start(
            "numbers-api", self.urls["numbers-api"] + "/readyz", timeout,
            image=self.images["numbers-api"], name=f"{self.prefix}-numbers-api",
            network=self.network.name, networking_config={self.network.name: endpoint},
            environment={"SHUTDOWN_DELAY_SECONDS": "0"},
            ports={"8080/tcp": ("127.0.0.1", api_port)},
            labels=self._labels("numbers-api"), **self._hardening,
        )  # fmt: skip
        self._timed_start(
            "web", self.urls["web"] + "/readyz", timeout,
            image=self.images["web"], name=f"{self.prefix}-web", network=self.network.name,
            environment={"NUMBERS_API_URL": f"http://{self._service}:8080/rng",
                         "SHUTDOWN_DELAY_SECONDS": "0"},
            ports={"8080/tcp": ("127.0.0.1", web_port), "9090/tcp": ("127.0.0.1", probe_port)},
            labels=self._labels("web"), **self._hardening,
        )  # fmt: skip
        self._timed_start(
            "probe", self.urls["probe"] + "/healthz", timeout,
            image=self.images["probe"], name=f"{self.prefix}-probe",
            network_mode=f"container:{self.containers['web'].id}",
            environment={"PROBE_TARGET": self._service},
            labels=self._labels("probe"), read_only=True,
            # Mount points inside the container, as in scenario/docker_backend.py.
            tmpfs={"/tmp": "rw,size=16m",  # noqa: S108
                   "/var/lib/probe": PROBE_LOG_TMPFS},
            cap_drop=["ALL"], security_opt=["no-new-privileges:true"],
        )  # fmt: skip
        return self

    def cleanup(self) -> None:
        mine = {"label": f"{self._label}={self.run_id}"}
        for container in self.client.containers.list(all=True, filters=mine):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        for network in self.client.networks.list(filters=mine):
            with contextlib.suppress(Exception):
                network.remove()


def start_times(client, images: dict[str, str], repeats: int) -> dict[str, list[float | None]]:
    """Each image started alone `repeats` times more: docker run to its ready answer."""
    samples: dict[str, list[float | None]] = {role: [] for role in ROLES}
    for _ in range(repeats):
        stack = Stack(client, images)
        try:
            stack.network = client.networks.create(
                stack.prefix, driver="bridge", labels=stack._labels("network")
            )
            for role in ROLES:
                port = free_port()
                container_port = "9090/tcp" if role == "probe" else "8080/tcp"
                ready = "/healthz" if role == "probe" else "/readyz"
                run = {
                    "image": images[role], "name": f"{stack.prefix}-{role}",
                    "network": stack.network.name, "labels": stack._labels(role),
                    "ports": {container_port: ("127.0.0.1", port)}, **stack._hardening,
                }  # fmt: skip
                if role == "probe":  # its log directory is a tmpfs of its own
                    run["tmpfs"] = {**run["tmpfs"], "/var/lib/probe": PROBE_LOG_TMPFS}
                # One that never became ready is recorded as None, and fails the goal.
                with contextlib.suppress(RuntimeError):
                    stack._timed_start(role, f"http://127.0.0.1:{port}{ready}", 30, **run)
                samples[role].append(stack.start_seconds.get(role))
                with contextlib.suppress(Exception):
                    stack.containers.pop(role).remove(force=True)
        finally:
            stack.cleanup()
    return samples


def _median_start(samples: list[float | None]) -> float | None:
    """The median start time; a start that never became ready makes the figure None."""
    if not samples or any(sample is None for sample in samples):
        return None
    return round(statistics.median(samples), 3)


def measure(
    client, images: dict[str, str], load_seconds: float, settle_seconds: float, say,
    start_repeats: int = 2,
) -> dict:  # fmt: skip
    """Start-to-ready, idle and loaded memory of the three containers, and image growth."""
    figures: dict = {"images": image_growth(client, images)}
    stack = Stack(client, images)
    try:
        stack.start()
        samples = {role: [seconds] for role, seconds in stack.start_seconds.items()}
        say(f"  containers ready: {stack.start_seconds}")
        time.sleep(settle_seconds)
        figures["idle"] = {role: memory_of(c) for role, c in stack.containers.items()}
        say(f"  idle memory (MiB): {_mib(figures['idle'])}")
        loads = {}
        if wrk.available():
            with _Sampler(stack.containers) as sampler:
                # numbers-api at its own saturation, then the whole chain through web.
                for role, path in (("numbers-api", "/rng"), ("web", "/api/number")):
                    result = wrk.run(stack.urls[role] + path, connections=16, seconds=load_seconds)
                    loads[role] = {"requests_per_second": result.requests_per_second,
                                   "errors": result.errors}  # fmt: skip
            figures["loaded"] = sampler.peak
            figures["load"] = loads
            say(f"  peak memory under load (MiB): {_mib(figures['loaded'])}")
        else:
            figures["loaded"] = {}
            figures["load_skipped"] = "wrk is not installed"
    finally:
        stack.cleanup()
    for role, more in start_times(client, images, start_repeats).items():
        samples.setdefault(role, []).extend(more)
    figures["start_samples"] = samples
    figures["start_seconds"] = {role: _median_start(s) for role, s in samples.items()}
    say(f"  start to ready, median of {1 + start_repeats}: {figures['start_seconds']}")
    return figures


def _mib(by_role: dict) -> str:
    return ", ".join(f"{role} {values['mib']}" for role, values in by_role.items())
