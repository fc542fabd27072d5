"""Every object, from each single file and from each kustomize build, against the Kubernetes
API schemas of the pinned version (kubernetes-validate, strict: unknown fields are errors)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.support import manifests
from tests.support.manifests import K8S, KUBERNETES_VERSION, schema_problems


def _file_objects() -> list:
    return [
        pytest.param(obj, id=f"{path.relative_to(K8S)}:{manifests.ref(obj)}")
        for path in manifests.manifest_files()
        for obj in manifests.load_file(path)
    ]


@pytest.mark.parametrize("obj", _file_objects())
def test_each_object_of_each_file_is_valid_for_the_pinned_kubernetes(obj: dict) -> None:
    assert schema_problems(obj) == []


@pytest.mark.parametrize(
    "folder", manifests.kustomization_dirs(), ids=lambda p: str(p.relative_to(K8S.parent))
)
def test_each_object_of_each_kustomize_build_is_valid_for_the_pinned_kubernetes(
    need_kubectl: None, folder: Path
) -> None:
    built = manifests.kustomize(folder)
    assert built
    assert [p for obj in built for p in schema_problems(obj)] == []


def test_the_pinned_version_has_schemas_in_kubernetes_validate() -> None:
    from kubernetes_validate.utils import all_versions

    assert any(v.startswith(f"{KUBERNETES_VERSION}.") for v in all_versions())


@pytest.fixture
def deployment(real_objects: list[dict]) -> dict:
    return copy.deepcopy(next(o for o in real_objects if o["kind"] == "Deployment"))


def test_schema_check_rejects_a_misspelt_field(deployment: dict) -> None:
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    [problem] = schema_problems(deployment)
    assert "spec: Additional properties are not allowed ('replica' was unexpected)" in problem


def test_schema_check_rejects_an_unknown_field_deep_in_a_container(deployment: dict) -> None:
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRoot"] = 1
    [problem] = schema_problems(deployment)
    assert "containers.0.securityContext" in problem
    assert "'readOnlyRoot' was unexpected" in problem


def test_schema_check_rejects_a_value_of_the_wrong_type(deployment: dict) -> None:
    deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = "yes"
    [problem] = schema_problems(deployment)
    assert "runAsNonRoot: 'yes' is not of type 'boolean'" in problem


def test_schema_check_rejects_a_missing_required_field(deployment: dict) -> None:
    del deployment["spec"]["template"]["spec"]["containers"][0]["name"]
    [problem] = schema_problems(deployment)
    assert "'name' is a required property" in problem


def test_schema_check_rejects_a_kind_the_api_server_does_not_serve() -> None:
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["deployment.yaml"],
    }
    [problem] = schema_problems(kustomization)
    assert "not an object the API server accepts" in problem


def test_schema_check_rejects_an_api_version_removed_before_the_pinned_one(
    deployment: dict,
) -> None:
    deployment["apiVersion"] = "extensions/v1beta1"
    [problem] = schema_problems(deployment)
    assert "no extensions/v1beta1 Deployment" in problem
