"""docker-compose.yml as a developer uses it, with Compose v1.29 (the one Debian 12 ships)."""

import os
import shutil
import subprocess
import uuid

import pytest
import requests
import yaml
from service_runtime.testing import free_port, poll

from tests.support.processes import ROOT

# Generous: the first test also waits for the engine, the base image and the image builds.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _compose(project, *args, env=None, timeout=180):
    return subprocess.run(
        ["docker-compose", "-p", project, "-f", str(ROOT / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def project(docker_client, images):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed")
    name = f"numbers-demo-test-{uuid.uuid4().hex[:8]}"
    ports = {"WEB_PORT": str(free_port()), "PROBE_PORT": str(free_port())}
    yield name, ports
    _compose(name, "down", "--volumes", "--remove-orphans", env=ports)


def _published(port):
    """(host ip, host port, container port) from v1's short form or v2's long form."""
    if isinstance(port, str):
        host_ip, published, target = port.split(":")
        return host_ip, published, target.split("/")[0]
    return port["host_ip"], str(port["published"]), str(port["target"])


def test_compose_file_is_valid_and_publishes_web_on_loopback_8080(docker_client):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed")
    env = {key: value for key, value in os.environ.items() if key not in ("WEB_PORT", "PROBE_PORT")}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert _published(services["web"]["ports"][0]) == ("127.0.0.1", "8080", "8080")
    assert services["probe"]["network_mode"] == "service:web"
    assert "depends_on" not in services["web"]
    for service in services.values():
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges:true"]


def _json(url):
    try:
        response = requests.get(url, timeout=5)
        return response.status_code, response.json()
    except (requests.RequestException, ValueError):
        return 0, {}


def test_compose_plays_the_lesson_web_fails_until_numbers_api_starts(project):
    name, ports = project
    web = f"http://127.0.0.1:{ports['WEB_PORT']}"
    probe = f"http://127.0.0.1:{ports['PROBE_PORT']}"

    started = _compose(name, "up", "-d", "web", "probe", env=ports)
    assert started.returncode == 0, started.stderr
    assert poll(lambda: _json(f"{web}/readyz")[0] == 200, timeout=60)
    status, body = _json(f"{web}/api/number")
    assert (status, body["error"]["kind"]) == (503, "dns")
    assert poll(
        lambda: _json(f"{probe}/status")[1].get("failures_by_outcome", {}).get("nxdomain", 0) > 0,
        timeout=30,
    )

    started = _compose(name, "up", "-d", "numbers-api", env=ports)
    assert started.returncode == 0, started.stderr
    assert poll(lambda: _json(f"{web}/api/number")[0] == 200, timeout=60)
    assert poll(lambda: _json(f"{probe}/status")[1].get("state") == "ok", timeout=30)
    assert len(_json(f"{probe}/status")[1]["addresses"]) == 2


def test_compose_up_brings_all_services_up_healthy(project):
    name, ports = project

    started = _compose(name, "up", "-d", env=ports)
    assert started.returncode == 0, started.stderr

    def all_healthy():
        listed = _compose(name, "ps", env=ports).stdout
        return listed.count("(healthy)") == 4

    assert poll(all_healthy, timeout=90, interval=0.5), _compose(name, "ps", env=ports).stdout
    assert _json(f"http://127.0.0.1:{ports['WEB_PORT']}/api/number")[0] == 200
