"""The cluster under test, and the project's own cluster (cluster/) when it is the one."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.listeners import exposed, parse_ss
from tests.support.manifests import KUBERNETES_VERSION
from tests.support.processes import ROOT

pytestmark = pytest.mark.cluster

OWN_PIDS = Path("/run/numbers-demo/cluster")
NODE_IP = "10.213.0.1"


def _make(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_cluster_runs_the_minor_the_manifests_are_validated_against(server_version):
    assert f"{server_version['major']}.{server_version['minor']}" == KUBERNETES_VERSION


def test_every_node_is_ready(cluster):
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json"))["items"]
    ready = {
        node["metadata"]["name"]: condition["status"]
        for node in nodes
        for condition in node["status"]["conditions"]
        if condition["type"] == "Ready"
    }

    assert ready and set(ready.values()) == {"True"}, ready


def test_own_cluster_runs_kubernetes_1_34_4_on_containerd(own_cluster, server_version):
    assert server_version["gitVersion"] == "v1.34.4"
    runtime = own_cluster.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[0].status.nodeInfo.containerRuntimeVersion}"
    )
    assert runtime.startswith("containerd://1.6.")


def test_nothing_of_the_own_cluster_listens_off_loopback_and_the_node_address(own_cluster):
    pids = {int(path.read_text()) for path in OWN_PIDS.glob("*.pid")}
    ss = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True, check=True).stdout
    listeners = [entry for entry in parse_ss(ss) if entry.pid in pids]

    assert {entry.process for entry in listeners} >= {"etcd", "kube-apiserver", "kubelet"}
    assert exposed(listeners, pids, ["127.0.0.0/8", "::1/128", f"{NODE_IP}/32"]) == []


def test_cluster_kubeconfig_prints_only_the_absolute_path(own_cluster):
    result = _make("cluster-kubeconfig", timeout=30)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{own_cluster.kubeconfig}\n"


def test_a_second_cluster_up_on_a_healthy_cluster_returns_in_seconds(own_cluster):
    started = time.monotonic()
    result = _make("cluster-up")
    seconds = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert seconds < 30, result.stderr
    own_cluster.kubectl("get", "--raw", "/readyz")
