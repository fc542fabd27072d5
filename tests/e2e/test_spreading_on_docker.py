"""Clicks at a person's pace reach both API containers, with web running one worker.

Docker's DNS, like a Service, spreads connections, not requests: this passes only because
web opens a new connection when its last one sat idle (NUMBERS_API_MAX_IDLE_SECONDS).
"""

import pytest
from service_runtime.testing import poll

from scenario.docker_backend import DockerBackend
from scenario.steps import (
    pods_answering_clicks,
    pods_answering_gets,
    spreading_problem,
    web_number,
)


@pytest.fixture(scope="module")
def one_worker_web(docker_client, images):
    backend = DockerBackend(images, client=docker_client, web_env={"WEB_CONCURRENCY": "1"})
    try:
        backend.deploy_without_service()
        backend.create_service()
        assert poll(lambda: web_number(backend)[0] == 200, timeout=30), "web never got a number"
        yield backend
    finally:
        backend.cleanup()


@pytest.mark.parametrize("answers", [pods_answering_clicks, pods_answering_gets])
def test_answers_at_a_persons_pace_spread_over_both_api_pods(one_worker_web, answers):
    pods = answers(one_worker_web.web_url())

    assert spreading_problem(pods) is None, pods
    # Docker names a container's host after the first 12 digits of its id.
    assert set(pods) <= {container.id[:12] for container in one_worker_web.api}
