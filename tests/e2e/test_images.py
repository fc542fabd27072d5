"""The images run as the pod specs expect: uid 10001, read-only root, healthy by their own check."""

import pytest

# Generous: the first test also waits for the engine, the base image and the image builds.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _containers(chapter):
    backend = chapter.backend
    return [*backend.api, backend.web, backend.probe]


def test_every_container_runs_as_uid_10001(chapter):
    for container in _containers(chapter):
        exit_code, output = container.exec_run(["id", "-u"])
        assert (exit_code, output.strip()) == (0, b"10001"), container.name


def test_every_image_declares_numeric_user_and_exec_form_cmd(docker_client, images):
    for image_name in images.values():
        config = docker_client.images.get(image_name).attrs["Config"]
        assert config["User"] == "10001:10001", image_name
        assert config["Cmd"][0] in ("gunicorn", "python3"), image_name
        assert "curl" not in " ".join(config["Healthcheck"]["Test"]), image_name
        assert config["Labels"]["org.opencontainers.image.version"] == "0.1.0"


def test_root_filesystem_is_read_only_and_capabilities_dropped(chapter):
    for container in _containers(chapter):
        container.reload()
        host_config = container.attrs["HostConfig"]
        assert host_config["ReadonlyRootfs"] is True, container.name
        assert host_config["CapDrop"] == ["ALL"], container.name
        exit_code, _ = container.exec_run(["python3", "-c", "open('/app/written', 'w')"])
        assert exit_code != 0, f"{container.name} could write to its root filesystem"
        exit_code, _ = container.exec_run(["python3", "-c", "open('/tmp/written', 'w')"])
        assert exit_code == 0, f"{container.name} has no writable /tmp"


def test_healthchecks_turn_healthy(chapter):
    for container in _containers(chapter):
        container.reload()
        assert container.attrs["State"]["Health"]["Status"] == "healthy", container.name
