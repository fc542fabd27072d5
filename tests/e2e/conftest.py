"""Real containers on a Docker Engine: brought up by the project's own scripts, or skipped."""

import subprocess

import pytest

from scenario.docker_backend import DockerBackend
from scenario.steps import Settings, probe_status, run_chapter
from tests.support.processes import ROOT

VERSION = "0.1.0"
IMAGES = {name: f"numbers-demo/{name}:{VERSION}" for name in ("numbers-api", "web", "probe")}
NO_ENGINE = 3  # the scripts' exit code for "no Docker Engine can be had here"


def _script(name, *args):
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="session")
def docker_client():
    result = _script("ensure-docker.sh")
    if result.returncode == NO_ENGINE:
        pytest.skip(f"no Docker Engine: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    import docker

    return docker.from_env()


@pytest.fixture(scope="session")
def images(docker_client):
    result = _script("build-images.sh", VERSION)
    if result.returncode == NO_ENGINE:
        pytest.skip(f"images cannot be built here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return IMAGES


class ChapterRun:
    """One play of the chapter whose steps, backend objects and probe record the tests read."""

    def __init__(self, backend, steps, probe, lines):
        self.backend = backend
        self.steps = {step.title.split(" (")[0]: step for step in steps}
        self.probe = probe
        self.lines = lines


@pytest.fixture(scope="session")
def chapter(docker_client, images):
    """Play the whole chapter once; the containers stay up until the session ends."""
    backend = DockerBackend(images, client=docker_client)
    lines = []
    try:
        steps = run_chapter(
            backend,
            Settings(
                load_rate=50,
                min_requests_during_deletion=500,
                min_requests_during_forced_deletion=250,
            ),
            lines.append,
        )
        yield ChapterRun(backend, steps, probe_status(backend), lines)
    finally:
        backend.cleanup()
