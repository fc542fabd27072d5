"""The chapter on a real kind cluster with the kubectl backend; skipped where none answers.

No cluster can run on this project's own machines (no image registry for kind's node image),
so here these tests skip with the reason; on a machine after `make kind-up` they run for real.
"""

import shutil
import subprocess

import pytest

from scenario.kubectl_backend import KubectlBackend
from scenario.steps import Settings, probe_status, run_chapter

CONTEXT = "kind-numbers-demo"
pytestmark = [pytest.mark.kind, pytest.mark.timeout(900)]


def _cluster_answers():
    if not shutil.which("kubectl"):
        return "kubectl is not installed"
    result = subprocess.run(
        ["kubectl", "--context", CONTEXT, "cluster-info", "--request-timeout=5s"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        return f"no kind cluster answers on context {CONTEXT} (run 'make kind-up')"
    return None


@pytest.fixture(scope="module")
def kind_chapter():
    reason = _cluster_answers()
    if reason:
        pytest.skip(reason)
    backend = KubectlBackend(context=CONTEXT)
    lines = []
    try:
        steps = run_chapter(backend, Settings(), lines.append)
        yield {step.title: step for step in steps}, probe_status(backend), lines
    finally:
        backend.cleanup()


def test_kind_web_says_dns_until_the_service_exists(kind_chapter):
    steps, _, lines = kind_chapter

    figures = steps["Pods without a Service"].figures
    assert (figures["web_status"], figures["web_error_kind"]) == (503, "dns"), lines
    assert figures["probe_failures"]["nxdomain"] >= 2


def test_kind_web_recovers_after_the_service_is_applied(kind_chapter):
    steps, _, lines = kind_chapter

    assert steps["Create the Service"].passed, lines
    assert steps["Create the Service"].figures["service"]["cluster_ip"]


def test_kind_pod_deletion_keeps_the_cluster_ip_and_fails_no_request(kind_chapter):
    steps, _, _lines = kind_chapter
    figures = steps["Delete a pod"].figures

    assert figures["requests_sent"] >= 500
    assert figures["requests_failed"] == 0, figures["failures_by_kind"]
    assert figures["service_before"]["cluster_ip"] == figures["service_after"]["cluster_ip"]
    assert figures["service_before"]["endpoints"] != figures["service_after"]["endpoints"]
    # The probe resolves the name to the ClusterIP, which does not move with the pods.
    assert figures["addresses_before"] == figures["addresses_after"]


def test_kind_probe_recorded_the_outage_as_nxdomain(kind_chapter):
    _, probe, _ = kind_chapter

    assert probe["outages"][0]["reason"] == "nxdomain"
