"""Through the ClusterIP, clicks at a person's pace reach both API pods from one web worker.

kube-proxy's rules choose an endpoint at random for each new connection, never per request,
so this passes only because web does not keep reusing one pooled connection.
"""

import json

import pytest

from scenario.steps import (
    pods_answering_clicks,
    pods_answering_gets,
    spreading_problem,
)

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def web_env():
    # One worker, one pool: only how web lets go of connections can spread its clicks.
    return {"WEB_CONCURRENCY": "1"}


def test_web_runs_one_worker(chapter_pods):
    pods = json.loads(chapter_pods.kubectl("get", "pods", "-l", "app=web", "-o", "json"))
    running = [pod for pod in pods["items"] if not pod["metadata"].get("deletionTimestamp")]
    env = {item["name"]: item.get("value") for item in running[0]["spec"]["containers"][0]["env"]}

    assert len(running) == 1
    assert env["WEB_CONCURRENCY"] == "1"


@pytest.mark.parametrize("answers", [pods_answering_clicks, pods_answering_gets])
def test_answers_at_a_persons_pace_spread_over_both_api_pods(chapter_pods, answers):
    pods = answers(chapter_pods.web_url())

    assert spreading_problem(pods) is None, pods
    assert set(pods) <= set(chapter_pods.api_pods())
