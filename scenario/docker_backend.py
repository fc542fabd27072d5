"""The chapter on a Docker engine: containers for pods, a network alias for the Service.

Docker's embedded DNS answers for a network alias the way cluster DNS answers for a Service
name, so giving the API containers the alias numbers-api is "creating the Service". There is
no virtual IP: the name resolves to the containers' own addresses, which is why the report
shows them change when a container is replaced. Nor is there a port mapping: a Service maps
its port 80 to the pods' 8080, so here the API containers listen on 80 themselves (Docker
lets unprivileged processes bind low ports inside a container), and web calls the very same
http://numbers-api/rng as in the cluster.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from service_runtime.testing import poll

SERVICE_NAME = "numbers-api"
LABEL = "io.numbers-demo.run"
# Hardened like the pod specs: uid from the image, nothing writable but tmpfs, no capabilities.
HARDENING = {
    "read_only": True,
    "tmpfs": {"/tmp": "rw,size=16m"},
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges:true"],
}


class DockerBackend:
    name = "docker"
    service_word = "Service (network alias)"

    def __init__(
        self,
        images: dict[str, str],
        client: docker.DockerClient | None = None,
        run_id: str | None = None,
        api_env: dict[str, str] | None = None,
        probe_env: dict[str, str] | None = None,
        web_env: dict[str, str] | None = None,
        grace_period_seconds: int = 30,
    ) -> None:
        self.images = images
        self.client = client or docker.from_env()
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.prefix = f"numbers-demo-{self.run_id}"
        self.api_env = {"PORT": "80", "SHUTDOWN_DELAY_SECONDS": "5", **(api_env or {})}
        self.probe_env = {"PROBE_TARGET": SERVICE_NAME, **(probe_env or {})}
        self.web_env = {"NUMBERS_API_URL": f"http://{SERVICE_NAME}/rng", **(web_env or {})}
        self.grace_period_seconds = grace_period_seconds
        self._numbers = itertools.count(1)
        self._aliased = False
        self.network = None
        self.web: Container | None = None
        self.probe: Container | None = None
        self.api: list[Container] = []

    # -- objects -------------------------------------------------------------------------

    def _labels(self, role: str) -> dict[str, str]:
        return {LABEL: self.run_id, "app.kubernetes.io/name": role}

    def _start_api(self, aliased: bool) -> Container:
        endpoint = self.client.api.create_endpoint_config(
            aliases=[SERVICE_NAME] if aliased else None
        )
        container = self.client.containers.run(
            self.images["numbers-api"],
            name=f"{self.prefix}-numbers-api-{next(self._numbers)}",
            detach=True,
            network=self.network.name,
            networking_config={self.network.name: endpoint},
            environment=self.api_env,
            labels=self._labels("numbers-api"),
            **HARDENING,
        )
        self.api.append(container)
        return container

    def deploy_without_service(self) -> None:
        self.network = self.client.networks.create(
            self.prefix, driver="bridge", labels=self._labels("network")
        )
        for _ in range(2):
            self._start_api(aliased=False)
        self.web = self.client.containers.run(
            self.images["web"],
            name=f"{self.prefix}-web",
            detach=True,
            network=self.network.name,
            environment=self.web_env,
            # The probe shares web's network namespace, so its port is published here.
            ports={"8080/tcp": ("127.0.0.1", None), "9090/tcp": ("127.0.0.1", None)},
            labels=self._labels("web"),
            **HARDENING,
        )
        self.probe = self.client.containers.run(
            self.images["probe"],
            name=f"{self.prefix}-probe",
            detach=True,
            network_mode=f"container:{self.web.id}",
            environment=self.probe_env,
            labels=self._labels("probe"),
            read_only=True,
            tmpfs={"/tmp": "rw,size=16m", "/var/lib/probe": "rw,size=16m,uid=10001,gid=10001"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
        )
        for container in [*self.api, self.web, self.probe]:
            self._wait_healthy(container)

    def _wait_healthy(self, container: Container, timeout: float = 60) -> None:
        def settled() -> str:
            container.reload()
            if container.attrs["State"].get("Health", {}).get("Status") == "healthy":
                return "healthy"
            return "exited" if container.status == "exited" else ""

        if poll(settled, timeout, interval=0.2) == "healthy":
            return
        logs = container.logs(tail=20).decode(errors="replace")
        raise RuntimeError(f"{container.name} did not become healthy:\n{logs}")

    def _published(self, port: str) -> str:
        self.web.reload()
        host_port = self.web.attrs["NetworkSettings"]["Ports"][port][0]["HostPort"]
        return f"http://127.0.0.1:{host_port}"

    def web_url(self) -> str:
        return self._published("8080/tcp")

    def probe_url(self) -> str:
        return self._published("9090/tcp")

    def create_service(self) -> None:
        # An alias can only be given on connect; nothing is talking to these containers yet.
        for container in self.api:
            self.network.disconnect(container)
            self.network.connect(container, aliases=[SERVICE_NAME])
        self._aliased = True

    def api_pods(self) -> list[str]:
        return [container.name for container in self.api]

    def delete_pod(self, name: str, graceful: bool = True) -> str:
        return self._replace([name], graceful)[0]

    def delete_api_pods(self) -> list[str]:
        return self._replace([container.name for container in self.api], graceful=True)

    def _replace(self, names: list[str], graceful: bool) -> list[str]:
        """Stop these API containers at once, as a ReplicaSet replaces deleted pods."""
        victims = [container for container in self.api if container.name in names]
        # Like a ReplicaSet, the replacements start while the old pods are still terminating.
        replacements = [self._start_api(aliased=self._aliased) for _ in victims]
        for victim in victims:
            self.api.remove(victim)
        with ThreadPoolExecutor(max_workers=max(len(victims), 1)) as pool:
            list(pool.map(lambda victim: self._stop(victim, graceful), victims))
        for replacement in replacements:
            self._wait_healthy(replacement)
        return [replacement.name for replacement in replacements]

    def _stop(self, victim: Container, graceful: bool) -> None:
        if graceful:
            victim.stop(timeout=self.grace_period_seconds)
        else:
            victim.kill()
        victim.remove(force=True)

    def describe_service(self) -> dict:
        self.network.reload()
        endpoints = {}
        for container in self.api:
            container.reload()
            settings = container.attrs["NetworkSettings"]["Networks"].get(self.network.name, {})
            if SERVICE_NAME in (settings.get("Aliases") or []):
                endpoints[container.name] = settings.get("IPAddress")
        return {"name": SERVICE_NAME, "kind": "network alias", "endpoints": endpoints}

    def cleanup(self) -> None:
        mine = {"label": f"{LABEL}={self.run_id}"}
        for container in self.client.containers.list(all=True, filters=mine):
            with contextlib.suppress(NotFound, APIError):
                container.remove(force=True)
        for network in self.client.networks.list(filters=mine):
            with contextlib.suppress(NotFound, APIError):
                network.remove()
