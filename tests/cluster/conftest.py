"""Tests against a real Kubernetes cluster: whichever one they are given.

TEST_KUBECONFIG (a kubeconfig file) and TEST_KUBE_CONTEXT (a context in it, or in kubectl's
default kubeconfig) name the cluster. `make test` brings up this project's own cluster
(cluster/) when neither is set, and sets TEST_KUBECONFIG to it; a kind user runs
`make test TEST_KUBE_CONTEXT=kind-numbers-demo`. Where no cluster answers the tests skip,
saying why, except under CI=true, where that is a failure with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from service_runtime.testing import poll

from scenario.kubectl_backend import KubectlBackend
from scenario.steps import web_number

# The admin kubeconfig of the project's own cluster (cluster/), for the tests that need it.
OWN_KUBECONFIG = Path("/var/lib/numbers-demo/cluster/kubeconfig/admin.kubeconfig")


@dataclass(frozen=True)
class Cluster:
    kubeconfig: str | None
    context: str | None

    def kubectl(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        base = ["kubectl"]
        if self.kubeconfig:
            base += ["--kubeconfig", self.kubeconfig]
        if self.context:
            base += ["--context", self.context]
        result = subprocess.run(
            [*base, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def backend(self, web_env: dict[str, str] | None = None) -> KubectlBackend:
        return KubectlBackend(kubeconfig=self.kubeconfig, context=self.context, web_env=web_env)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs a cluster for the cluster tests: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    kubeconfig = os.environ.get("TEST_KUBECONFIG") or None
    context = os.environ.get("TEST_KUBE_CONTEXT") or None
    if not (kubeconfig or context):
        _unavailable(
            os.environ.get("TEST_CLUSTER_UNAVAILABLE")
            or "no cluster named: set TEST_KUBECONFIG or TEST_KUBE_CONTEXT (make test does)"
        )
    if not shutil.which("kubectl"):
        _unavailable("kubectl is not installed")
    found = Cluster(kubeconfig, context)
    try:
        found.kubectl("get", "--raw", "/readyz", timeout=30)
    except (AssertionError, subprocess.TimeoutExpired) as error:
        _unavailable(f"the cluster does not answer ({kubeconfig or ''} {context or ''}): {error}")
    return found


@pytest.fixture(scope="session")
def server_version(cluster) -> dict:
    return json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]


@pytest.fixture(scope="session")
def own_cluster(cluster) -> Cluster:
    """The cluster under test, when it is the project's own; the test skips otherwise."""
    if cluster.kubeconfig is None or Path(cluster.kubeconfig) != OWN_KUBECONFIG:
        pytest.skip("the cluster under test is not the project's own (cluster/)")
    return cluster


@pytest.fixture(scope="session")
def free_node_port(cluster):
    """Wait until no Service holds a node port: it is cluster-wide, and another test's
    namespace may still be going away with its web Service."""

    def holders(port: int) -> list[str]:
        services = json.loads(cluster.kubectl("get", "services", "--all-namespaces", "-o", "json"))
        return [
            f"{s['metadata']['namespace']}/{s['metadata']['name']}"
            for s in services["items"]
            for entry in s["spec"].get("ports", [])
            if entry.get("nodePort") == port
        ]

    def wait(port: int, timeout: float = 180) -> None:
        assert poll(lambda: not holders(port), timeout, 2), f"port {port} is held: {holders(port)}"

    return wait


@pytest.fixture(scope="module")
def web_env() -> dict[str, str]:
    """Variables set on web's Deployment for chapter_pods; a test module can override it."""
    return {}


@pytest.fixture(scope="module")
def chapter_pods(cluster, web_env):
    """numbers-api, its Service and web, in a namespace of their own, web answering 200."""
    backend = cluster.backend(web_env=web_env)
    try:
        backend.deploy_without_service()
        backend.create_service()
        assert poll(lambda: web_number(backend)[0] == 200, 60), "web never answered 200"
        yield backend
    finally:
        backend.cleanup()
