import pytest
from numbers_web.app import create_app
from numbers_web.config import WebConfig

from tests.support.scripted_http import closed_port_url

TEST_BUDGET_SECONDS = 0.6


@pytest.fixture
def make_web():
    """Build a web test client that calls the given API URL."""
    apps = []

    def build(api_url, budget=TEST_BUDGET_SECONDS, probe_url=None):
        config = WebConfig(
            api_url=api_url,
            api_timeout_seconds=budget,
            served_by="web-test-pod",
            # A closed port unless a test provides a probe: nothing on this host can answer.
            probe_url=(probe_url or closed_port_url()).removesuffix("/rng"),
        )
        app = create_app(config)
        app.config["TESTING"] = False  # exercise the real error handlers, as gunicorn would
        apps.append(app)
        return app.test_client()

    yield build
    for app in apps:
        app.extensions["numbers_web"]["client"].close()
        app.extensions["numbers_web"]["probe"].close()
