import pytest

from tests.support.dns_server import DNSServer
from tests.support.scripted_http import ScriptedServer


@pytest.fixture
def dns_server():
    """A started in-process DNS server on 127.0.0.1; see tests/support/dns_server.py."""
    with DNSServer() as server:
        yield server


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
