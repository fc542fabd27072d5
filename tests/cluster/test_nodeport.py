"""web's NodePort Service answers on the node's port 30080, from 127.0.0.1.

On kind that port is mapped to the reader's 127.0.0.1:8080 (k8s/kind/cluster.yaml); on the
project's own cluster kube-proxy answers NodePorts on the loopback address itself.
"""

import uuid

import pytest
import requests
from service_runtime.testing import poll

from tests.support.processes import ROOT

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

NODE_PORT_URL = "http://127.0.0.1:30080"


def _status(path: str) -> int:
    try:
        return requests.get(f"{NODE_PORT_URL}{path}", timeout=5).status_code
    except requests.RequestException:
        return 0


def test_web_answers_on_node_port_30080_from_localhost(own_cluster, free_node_port):
    cluster = own_cluster
    namespace = f"numbers-demo-nodeport-{uuid.uuid4().hex[:8]}"
    free_node_port(30080)
    cluster.kubectl("create", "namespace", namespace)
    try:
        cluster.kubectl("--namespace", namespace, "apply", "-f", str(ROOT / "k8s" / "web"))
        cluster.kubectl(
            "--namespace", namespace, "rollout", "status", "deployment/web", "--timeout=180s"
        )

        assert poll(lambda: _status("/healthz") == 200, 30, 0.5), _status("/healthz")
        assert _status("/") == 200
        # No numbers-api Service in this namespace: the page explains instead of failing.
        assert (
            requests.get(f"{NODE_PORT_URL}/api/number", timeout=5).json()["error"]["kind"] == "dns"
        )
    finally:
        # Waited for: until the Service is gone, NodePort 30080 stays taken cluster-wide.
        cluster.kubectl(
            "delete", "namespace", namespace, "--timeout=120s", timeout=150, check=False
        )
