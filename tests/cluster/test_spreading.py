"""Through the ClusterIP, clicks at a person's pace reach both API pods from one web worker.

kube-proxy's rules choose an endpoint at random for each new connection, never per request,
so this passes only because web does not keep reusing one pooled connection.
"""

import json

import pytest

from scenario.steps import (
    pods_answering_clicks,
    pods_answering_gets,
    poll,
    spreading_problem,
    web_number,
)

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def one_worker_web(cluster):
    backend = cluster.backend(web_env={"WEB_CONCURRENCY": "1"})
    try:
        backend.deploy_without_service()
        backend.create_service()
        assert poll(lambda: web_number(backend)[0] == 200, 60), "web never answered 200"
        yield backend
    finally:
        backend.cleanup()


def test_web_runs_one_worker(one_worker_web):
    pods = json.loads(one_worker_web.kubectl("get", "pods", "-l", "app=web", "-o", "json"))
    running = [pod for pod in pods["items"] if not pod["metadata"].get("deletionTimestamp")]
    env = {item["name"]: item.get("value") for item in running[0]["spec"]["containers"][0]["env"]}

    assert len(running) == 1
    assert env["WEB_CONCURRENCY"] == "1"


@pytest.mark.parametrize("answers", [pods_answering_clicks, pods_answering_gets])
def test_answers_at_a_persons_pace_spread_over_both_api_pods(one_worker_web, answers):
    pods = answers(one_worker_web.web_url())

    assert spreading_problem(pods) is None, pods
    assert set(pods) <= set(one_worker_web.api_pods())
