"""The chapter on a real cluster, with the scenario's kubectl backend, in a namespace of its own.

The same steps as `make demo` and `make cluster-demo`: web 503 `dns` until the Service
exists, 200 after it, every API pod deleted at once (`kubectl delete pod -l app=numbers-api`)
under 50 requests/s without a failed request, and one pod force-deleted.
"""

import pytest

from scenario.steps import Settings, probe_status, run_chapter

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def chapter(cluster):
    backend = cluster.backend()
    lines = []
    try:
        steps = run_chapter(backend, Settings(), lines.append)
        yield {step.title: step for step in steps}, probe_status(backend), backend, lines
    finally:
        backend.cleanup()


def test_web_says_dns_and_the_probe_nxdomain_until_the_service_exists(chapter):
    steps, _, _, lines = chapter

    figures = steps["Pods without a Service"].figures
    assert (figures["web_status"], figures["web_error_kind"]) == (503, "dns"), lines
    assert figures["probe_failures"]["nxdomain"] >= 2


def test_web_answers_200_once_the_service_is_applied(chapter):
    steps, _, _, lines = chapter

    step = steps["Create the Service"]
    assert step.passed, lines
    assert step.figures["service"]["cluster_ip"]
    assert step.figures["served_by"].startswith("numbers-api-")


def test_the_probe_resolves_the_bare_name_through_the_pods_search_list(chapter):
    steps, _, backend, _ = chapter

    figures = steps["Create the Service"].figures
    full_name = f"numbers-api.{backend.namespace}.svc.cluster.local."
    assert figures["probe_search_names"][0] == full_name
    assert figures["probe_resolved_name"] == full_name
    assert figures["addresses"] == [figures["service"]["cluster_ip"]]


def test_deleting_every_api_pod_at_once_fails_no_request_of_at_least_1000(chapter):
    steps, _, _, lines = chapter

    figures = steps["Delete the pods"].figures
    assert len(figures["deleted_pods"]) == 2, lines
    assert figures["requests_sent"] >= 1000
    assert figures["request_rate"] <= 50
    assert figures["requests_failed"] == 0, figures["failures_by_kind"]


def test_the_pods_get_new_ips_and_the_cluster_ip_stays(chapter):
    steps, _, _, _ = chapter

    figures = steps["Delete the pods"].figures
    before, after = figures["service_before"], figures["service_after"]
    assert before["cluster_ip"] == after["cluster_ip"]
    assert len(after["endpoints"]) == 2
    assert not set(before["endpoints"]) & set(after["endpoints"])
    assert not set(before["endpoints"].values()) & set(after["endpoints"].values())
    # The probe resolves the name to the ClusterIP, which does not move with the pods.
    assert figures["addresses_before"] == figures["addresses_after"] == [before["cluster_ip"]]


def test_a_forced_deletion_fails_at_most_one_percent(chapter):
    steps, _, _, lines = chapter

    figures = steps["Force-delete a pod"].figures
    assert steps["Force-delete a pod"].passed, lines
    assert figures["requests_sent"] >= 500
    assert figures["requests_failed"] <= figures["requests_sent"] * 0.01, figures
    assert figures["deleted_pods"][0] not in figures["service_after"]["endpoints"]


def test_the_probe_recorded_the_outage_as_nxdomain(chapter):
    _, probe, _, _ = chapter

    first = probe["outages"][0]
    assert first["reason"] == "nxdomain"
    assert first["end"] is not None
    assert probe["state"] == "ok"
