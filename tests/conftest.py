import pytest

from tests.support.scripted_http import ScriptedServer


@pytest.fixture
def scripted():
    """Start scripted stand-ins for numbers-api on 127.0.0.1; each is stopped after the test."""
    servers = []

    def start(behaviour):
        server = ScriptedServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
