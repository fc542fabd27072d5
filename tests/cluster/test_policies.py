"""The chapter's hardening, enforced on a live cluster: Pod Security and NetworkPolicy.

Every object of k8s/ goes into a namespace of its own that enforces the `restricted` Pod
Security Standard, so admitting the pods is the proof that their hardening is real; then
k8s/numbers-api/networkpolicy.yaml must cut sleep-1 off from numbers-api and leave web alone.
"""

import json
import uuid

import pytest
from service_runtime.testing import poll

from tests.support.processes import ROOT

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

K8S = ROOT / "k8s"
GET_A_NUMBER = ["timeout", "5", "wget", "-qO-", "http://numbers-api/rng"]
# The same call from web's own container, which has Python and no wget.
WEB_GETS_A_NUMBER = [
    "python3",
    "-c",
    "from urllib.request import urlopen; "
    "print(urlopen('http://numbers-api/rng', timeout=3).read().decode())",
]


@pytest.fixture(scope="module")
def restricted(cluster):
    """A namespace enforcing `restricted`, with the sleep pods, numbers-api and web in it."""
    namespace = f"numbers-demo-policy-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl(
        "label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted"
    )

    def kubectl(*args, **kwargs):
        return cluster.kubectl("--namespace", namespace, *args, **kwargs)

    try:
        kubectl(
            "apply",
            "-f", str(K8S / "sleep"),
            "-f", str(K8S / "numbers-api" / "deployment.yaml"),
            "-f", str(K8S / "numbers-api" / "service.yaml"),
            "-f", str(K8S / "web" / "deployment.yaml"),
        )  # fmt: skip
        for deployment in ("sleep-1", "sleep-2", "numbers-api", "web"):
            kubectl("rollout", "status", f"deployment/{deployment}", "--timeout=180s", timeout=200)
        yield kubectl
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def _exit_code_of(kubectl, *command) -> int:
    try:
        kubectl("exec", *command, timeout=30)
    except AssertionError:
        return 1
    return 0


def test_every_pod_of_the_chapter_is_admitted_under_the_restricted_standard(restricted):
    kubectl = restricted

    pods = json.loads(kubectl("get", "pods", "-o", "json"))["items"]
    apps = sorted({pod["metadata"]["labels"]["app"] for pod in pods})
    assert apps == ["numbers-api", "sleep-1", "sleep-2", "web"]
    assert all(pod["status"]["phase"] == "Running" for pod in pods), pods


def test_the_restricted_namespace_refuses_a_pod_without_the_hardening(restricted):
    kubectl = restricted

    # A plain `kubectl run` may run as root, escalate and keep its capabilities.
    with pytest.raises(AssertionError, match='violates PodSecurity "restricted:'):
        kubectl("run", "unhardened", "--image=busybox:1.36.1", "--", "true")


def test_the_network_policy_cuts_off_sleep_1_and_leaves_web_its_numbers(restricted):
    kubectl = restricted
    assert kubectl("exec", "deploy/sleep-1", "--", *GET_A_NUMBER).strip().isdigit()

    kubectl("apply", "-f", str(K8S / "numbers-api" / "networkpolicy.yaml"))

    blocked = poll(lambda: _exit_code_of(kubectl, "deploy/sleep-1", "--", *GET_A_NUMBER), 30, 1)
    assert blocked, "sleep-1 still gets numbers from numbers-api 30 s after the NetworkPolicy"
    from_web = kubectl("exec", "deploy/web", "-c", "web", "--", *WEB_GETS_A_NUMBER)
    assert from_web.strip().isdigit(), from_web
    # The kubelet's probes come from the node, which the policy does not stop.
    ready = kubectl("get", "deployment", "numbers-api", "-o", "jsonpath={.status.readyReplicas}")
    assert ready == "2"
