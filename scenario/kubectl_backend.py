"""The chapter on a real cluster (this project's own, or kind), driven with kubectl.

The run gets a namespace of its own, applies the very manifest files the chapter applies by
hand, and reaches web and its probe sidecar through `kubectl port-forward` on 127.0.0.1, so
it never collides with a copy deployed by `make kind-deploy` (whose NodePort is cluster-wide).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from service_runtime.testing import poll

SERVICE_NAME = "numbers-api"
ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "k8s"
# The files of the chapter's first step: pods without their Service.
WITHOUT_SERVICE = (
    "numbers-api/deployment.yaml",
    "numbers-api/networkpolicy.yaml",
    "web/deployment.yaml",
)
SERVICE = "numbers-api/service.yaml"

Run = Callable[[Sequence[str]], str]
_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)")


def endpoints_from_slices(slices: dict) -> dict[str, str]:
    """Pod name -> address of the ready endpoints in an EndpointSliceList."""
    found = {}
    for item in slices.get("items", []):
        for endpoint in item.get("endpoints") or []:
            if endpoint.get("conditions", {}).get("ready") is False:
                continue
            pod = (endpoint.get("targetRef") or {}).get("name", "?")
            found[pod] = (endpoint.get("addresses") or ["?"])[0]
    return dict(sorted(found.items()))


def running_pods(pods: dict) -> list[str]:
    """Names of pods in a PodList that are running and not being deleted."""
    return sorted(
        item["metadata"]["name"]
        for item in pods.get("items", [])
        if item["status"].get("phase") == "Running"
        and not item["metadata"].get("deletionTimestamp")
    )


def parse_forwarded_ports(lines: Sequence[str]) -> dict[int, int]:
    """Remote port -> local port, from `kubectl port-forward` output."""
    ports = {}
    for line in lines:
        match = _FORWARDING.search(line)
        if match:
            ports[int(match.group(2))] = int(match.group(1))
    return ports


class KubectlBackend:
    name = "kubernetes"
    service_word = "Service"

    def __init__(
        self,
        context: str | None = None,
        kubeconfig: str | None = None,
        namespace: str | None = None,
        run: Run | None = None,
        manifests: Path = MANIFESTS,
        timeout_seconds: int = 180,
        web_env: dict[str, str] | None = None,
    ) -> None:
        self.context = context
        self.web_env = web_env or {}
        self.kubeconfig = kubeconfig
        self.namespace = namespace or f"numbers-demo-{uuid.uuid4().hex[:8]}"
        self.run_id = self.namespace
        self.manifests = manifests
        self.timeout_seconds = timeout_seconds
        self._run = run or self._subprocess
        self._forward: subprocess.Popen | None = None
        self._ports: dict[int, int] = {}

    # -- kubectl --------------------------------------------------------------------------

    def _base(self) -> list[str]:
        base = ["kubectl"]
        if self.kubeconfig:
            base += ["--kubeconfig", self.kubeconfig]
        if self.context:
            base += ["--context", self.context]
        return base

    def _subprocess(self, args: Sequence[str]) -> str:
        result = subprocess.run(  # noqa: S603 - argument list built here, no shell
            args, capture_output=True, text=True, timeout=self.timeout_seconds + 30, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def kubectl(self, *args: str) -> str:
        return self._run([*self._base(), "--namespace", self.namespace, *args])

    def _json(self, *args: str) -> dict:
        return json.loads(self.kubectl(*args, "-o", "json"))

    # -- the chapter ------------------------------------------------------------------------

    def deploy_without_service(self) -> None:
        self._run([*self._base(), "create", "namespace", self.namespace])
        files = [arg for path in WITHOUT_SERVICE for arg in ("-f", str(self.manifests / path))]
        self.kubectl("apply", *files)
        if self.web_env:
            settings = [f"{name}={value}" for name, value in sorted(self.web_env.items())]
            self.kubectl("set", "env", "deployment/web", *settings)
        wait = f"--timeout={self.timeout_seconds}s"
        self.kubectl("rollout", "status", "deployment/numbers-api", wait)
        self.kubectl("rollout", "status", "deployment/web", wait)
        self._start_port_forward()

    def _start_port_forward(self) -> None:
        # Port 0 lets kubectl pick free local ports; it prints which, one line per port.
        self._forward = subprocess.Popen(  # noqa: S603 - argument list built here, no shell
            [
                *self._base(),
                "--namespace",
                self.namespace,
                "port-forward",
                "--address",
                "127.0.0.1",
                "deployment/web",
                ":8080",
                ":9090",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []

        def read() -> None:
            for line in self._forward.stdout:
                lines.append(line)

        threading.Thread(target=read, daemon=True).start()
        forward = self._forward
        poll(lambda: len(parse_forwarded_ports(lines)) >= 2 or forward.poll() is not None, 30, 0.1)
        self._ports = parse_forwarded_ports(lines)
        if len(self._ports) < 2:
            raise RuntimeError(f"kubectl port-forward did not start: {''.join(lines)}")

    def web_url(self) -> str:
        return f"http://127.0.0.1:{self._ports[8080]}"

    def probe_url(self) -> str:
        return f"http://127.0.0.1:{self._ports[9090]}"

    def create_service(self) -> None:
        self.kubectl("apply", "-f", str(self.manifests / SERVICE))

    def api_pods(self) -> list[str]:
        return running_pods(self._json("get", "pods", "-l", "app=numbers-api"))

    def delete_pod(self, name: str, graceful: bool = True) -> str:
        flags = [] if graceful else ["--grace-period=0", "--force"]
        return self._replaced(["delete", "pod", name, *flags, "--wait=true"])[0]

    def delete_api_pods(self) -> list[str]:
        # The chapter's own command: every pod with the label, all at once.
        return self._replaced(["delete", "pod", "-l", f"app={SERVICE_NAME}", "--wait=true"])

    def _replaced(self, delete: list[str]) -> list[str]:
        """Run the deletion; return the API pods that were not there before, once ready."""
        before = set(self.api_pods())
        self.kubectl(*delete)
        self.kubectl(
            "wait",
            "--for=condition=Ready",
            "pod",
            "-l",
            f"app={SERVICE_NAME}",
            f"--timeout={self.timeout_seconds}s",
        )
        return sorted(set(self.api_pods()) - before) or ["?"]

    def describe_service(self) -> dict:
        try:
            service = self._json("get", "service", SERVICE_NAME)
        except RuntimeError:
            return {"name": SERVICE_NAME, "kind": "ClusterIP Service", "cluster_ip": None}
        slices = self._json(
            "get", "endpointslices", "-l", f"kubernetes.io/service-name={SERVICE_NAME}"
        )
        return {
            "name": SERVICE_NAME,
            "kind": "ClusterIP Service",
            "cluster_ip": service["spec"].get("clusterIP"),
            "endpoints": endpoints_from_slices(slices),
        }

    def cleanup(self) -> None:
        if self._forward and self._forward.poll() is None:
            self._forward.terminate()
            self._forward.wait(timeout=10)
        with contextlib.suppress(RuntimeError):
            self._run([*self._base(), "delete", "namespace", self.namespace, "--wait=false"])
