import pytest

from tests.support.processes import GunicornServer


@pytest.fixture
def start_service(tmp_path):
    """Start numbers-api or web under gunicorn on an ephemeral 127.0.0.1 port, ready."""
    started = []

    def start(service, **env):
        log_path = tmp_path / f"{service}-{len(started)}.log"
        server = GunicornServer(service, env, log_path)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.kill()
