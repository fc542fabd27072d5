import random

import pytest
from numbers_api.app import create_app
from numbers_api.config import ApiConfig


@pytest.fixture
def make_client():
    """Build a test client for an API with the given configuration overrides."""

    def build(**overrides):
        config = ApiConfig(served_by="api-test-pod", **overrides)
        app = create_app(config, rand=random.Random(1234))
        app.config["TESTING"] = False  # exercise the real error handlers, as gunicorn would
        return app.test_client()

    return build


@pytest.fixture
def client(make_client):
    return make_client()
