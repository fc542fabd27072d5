"""Fixtures for the manifest checks: the real objects of k8s/, loaded once, copied per test."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.support import manifests


@pytest.fixture(scope="session")
def real_objects() -> list[dict]:
    """Every object of every file under k8s/ (kind's config excepted), as -f would read them."""
    return [obj for path in manifests.manifest_files() for obj in manifests.load_file(path)]


@pytest.fixture
def objects(real_objects: list[dict]) -> list[dict]:
    """A private copy to break."""
    return copy.deepcopy(real_objects)


@pytest.fixture
def kind_config() -> dict:
    return yaml.safe_load(manifests.KIND_CONFIG.read_text())


@pytest.fixture(scope="session")
def version() -> str:
    return manifests.project_version()


@pytest.fixture
def need_kubectl() -> None:
    if manifests.kubectl() is None:
        pytest.skip("kubectl is not installed: kustomize builds and -f folder reads need it")
