"""The chapter's lesson, asserted step by step against real containers."""

import pytest

# Generous: the first test also waits for the engine, the base image and the image builds.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_web_says_dns_before_the_service_exists(chapter):
    figures = chapter.steps["Pods without a Service"].figures

    assert figures["web_status"] == 503
    assert figures["web_error_kind"] == "dns"
    assert figures["probe_failures"]["nxdomain"] >= 2


def test_web_answers_200_within_2_s_of_the_service_appearing(chapter):
    step = chapter.steps["Create the Service"]

    assert step.passed, chapter.lines
    assert step.figures["seconds_to_web_200"] <= 2.0
    assert step.figures["served_by"]


def test_deleting_every_api_pod_gracefully_fails_no_request_of_at_least_500(chapter):
    figures = chapter.steps["Delete the pods"].figures

    assert len(figures["deleted_pods"]) == 2
    assert figures["requests_sent"] >= 500
    assert figures["requests_failed"] == 0, figures["failures_by_kind"]


def test_name_still_resolves_after_the_replacement_and_to_new_pod_addresses(chapter):
    figures = chapter.steps["Delete the pods"].figures

    assert figures["addresses_after"]
    assert figures["addresses_after"] != figures["addresses_before"]
    assert len(figures["service_after"]["endpoints"]) == 2
    assert not set(figures["deleted_pods"]) & set(figures["service_after"]["endpoints"])


def test_killing_a_pod_fails_at_most_one_percent(chapter):
    figures = chapter.steps["Force-delete a pod"].figures

    assert figures["requests_sent"] >= 250
    assert figures["requests_failed"] <= figures["requests_sent"] * 0.01, figures


def test_probe_recorded_the_outage_with_nxdomain_as_its_reason(chapter):
    outages = chapter.probe["outages"]

    assert outages, chapter.probe
    first = outages[0]
    assert first["reason"] == "nxdomain"
    assert first["end"] is not None
    assert first["failed_checks"] >= 2
    assert chapter.probe["state"] == "ok"
