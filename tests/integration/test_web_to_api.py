"""web and numbers-api as real gunicorn servers talking over HTTP on 127.0.0.1."""

import threading
import time

import pytest
import requests

from tests.support import scripted_http
from tests.support.scripted_http import ScriptedServer, closed_port_url

pytestmark = pytest.mark.integration


def test_web_gets_a_number_from_the_api(start_service):
    api = start_service("numbers-api")
    web = start_service("web", NUMBERS_API_URL=f"{api.url}/rng")

    response = requests.get(f"{web.url}/api/number", timeout=5)

    assert response.status_code == 200
    body = response.json()
    assert 0 <= body["number"] <= 99
    assert body["served_by"]
    assert body["api_url"] == f"{api.url}/rng"


def test_web_page_shows_the_number_after_go(start_service):
    api = start_service("numbers-api")
    web = start_service("web", NUMBERS_API_URL=f"{api.url}/rng")

    response = requests.post(f"{web.url}/", timeout=5)

    assert response.status_code == 200
    assert 'id="number"' in response.text


def test_web_says_connect_when_the_api_is_down(start_service):
    web = start_service("web", NUMBERS_API_URL=closed_port_url())

    response = requests.get(f"{web.url}/api/number", timeout=5)

    assert response.status_code == 503
    assert response.json()["error"]["kind"] == "connect"


def test_web_says_dns_when_the_name_does_not_resolve(start_service):
    web = start_service("web", NUMBERS_API_URL="http://numbers-api.invalid/rng")

    response = requests.post(f"{web.url}/", timeout=5)

    assert response.status_code == 503
    assert "RNG service unavailable" in response.text
    assert '<strong id="kind">dns</strong>' in response.text


def test_web_says_timeout_within_three_seconds_when_the_api_stalls(start_service):
    release = threading.Event()
    stalled = ScriptedServer(scripted_http.stall_before_answer(release))
    try:
        web = start_service("web", NUMBERS_API_URL=stalled.url)

        started = time.monotonic()
        response = requests.get(f"{web.url}/api/number", timeout=10)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        stalled.stop()

    assert response.status_code == 503
    assert response.json()["error"]["kind"] == "timeout"
    assert elapsed < 3.0


def test_web_liveness_and_readiness_stay_up_while_the_api_is_down(start_service):
    web = start_service("web", NUMBERS_API_URL=closed_port_url())

    assert requests.get(f"{web.url}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{web.url}/readyz", timeout=5).status_code == 200
