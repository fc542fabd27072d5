"""How k8s/ is laid out: the chapter's kubectl commands work as written, -k and -f agree, and
no folder applied with -f holds a kustomization that kubectl would try to send."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import manifests
from tests.support.manifests import K8S, KUSTOMIZATION_NAMES

# The folders the README applies with `kubectl apply -f FOLDER/`.
FOLDERS = ("numbers-api", "web", "sleep", "extras")
# What `kubectl apply -k k8s/` brings up; extras are optional.
TOP_LEVEL = ("numbers-api", "web", "sleep")


def key(obj: dict) -> tuple:
    return manifests.identity(obj)


def by_identity(objs: list[dict]) -> dict[tuple, dict]:
    found = {}
    for obj in objs:
        assert key(obj) not in found, f"{manifests.ref(obj)} appears twice"
        found[key(obj)] = obj
    return found


def test_every_folder_of_objects_has_a_kustomization_kubectl_skips() -> None:
    for name in FOLDERS:
        folder = K8S / name
        assert (folder / "Kustomization").is_file(), name
        assert not (folder / "kustomization.yaml").exists(), name
        assert not (folder / "kustomization.yml").exists(), name


def test_no_folder_with_objects_holds_a_kustomization_kubectl_would_read() -> None:
    # Works without kubectl: kubectl reads .yaml/.yml/.json from a folder, so these names
    # next to object files break `kubectl apply -f FOLDER/`.
    folders = {path.parent for path in manifests.manifest_files()}
    offending = [
        str(folder / name)
        for folder in folders
        for name in KUSTOMIZATION_NAMES
        if name.endswith((".yaml", ".yml")) and (folder / name).exists()
    ]
    assert offending == []


@pytest.mark.parametrize("folder", manifests.kustomization_dirs(), ids=lambda p: p.name)
def test_kustomize_builds(need_kubectl: None, folder: Path) -> None:
    assert manifests.kustomize(folder)


def test_apply_k_of_k8s_creates_exactly_the_objects_of_the_chapter_folders(
    need_kubectl: None,
) -> None:
    built = by_identity(manifests.kustomize(K8S))
    files = by_identity([o for name in TOP_LEVEL for o in manifests.load_folder(K8S / name)])
    assert sorted(built) == sorted(files)
    for identity, obj in files.items():
        assert built[identity] == obj, f"kustomize changed {manifests.ref(obj)}"


@pytest.mark.parametrize("name", FOLDERS)
def test_apply_k_of_a_folder_creates_exactly_its_files_objects(
    need_kubectl: None, name: str
) -> None:
    built = by_identity(manifests.kustomize(K8S / name))
    files = by_identity(manifests.load_folder(K8S / name))
    assert built == files


def test_the_extras_are_not_part_of_the_top_level_kustomization(need_kubectl: None) -> None:
    names = {manifests.ref(o) for o in manifests.kustomize(K8S)}
    extras = {manifests.ref(o) for o in manifests.load_folder(K8S / "extras")}
    assert extras
    assert not names & extras


@pytest.mark.parametrize("name", FOLDERS)
def test_apply_f_of_a_folder_reads_its_objects_and_no_kustomization(
    need_kubectl: None, name: str
) -> None:
    assert manifests.check_folder_reads(K8S / name) == []


def write_service(folder: Path) -> None:
    folder.mkdir()
    (folder / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: demo\n"
        "spec:\n  selector:\n    app: demo\n  ports:\n    - port: 80\n"
    )


KUSTOMIZATION = (
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    "resources:\n  - service.yaml\n"
)


@pytest.mark.parametrize("file_name", ["kustomization.yaml", "kustomization.yml"])
def test_folder_read_check_rejects_a_folder_whose_kustomization_kubectl_would_send(
    need_kubectl: None, tmp_path: Path, file_name: str
) -> None:
    folder = tmp_path / "web"
    write_service(folder)
    (folder / file_name).write_text(KUSTOMIZATION)
    problems = manifests.check_folder_reads(folder)
    assert any("kustomization.kustomize.config.k8s.io" in p for p in problems), problems


def test_folder_read_check_accepts_a_kustomization_named_without_extension(
    need_kubectl: None, tmp_path: Path
) -> None:
    folder = tmp_path / "web"
    write_service(folder)
    (folder / "Kustomization").write_text(KUSTOMIZATION)
    assert manifests.check_folder_reads(folder) == []
    assert [manifests.ref(o) for o in manifests.kustomize(folder)] == ["Service/demo"]


def test_folder_read_check_rejects_a_folder_missing_an_object(
    need_kubectl: None, tmp_path: Path
) -> None:
    folder = tmp_path / "web"
    write_service(folder)
    # Not read by kubectl (wrong extension), but a person would think it applied.
    (folder / "deployment.yml.txt").write_text("apiVersion: apps/v1\nkind: Deployment\n")
    (folder / "extra.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}'
    )
    assert manifests.check_folder_reads(folder) == []
    assert manifests.kubectl_reads(folder) == ["configmap/x", "service/demo"]


# -- the chapter's steps, as k8s/README.md gives them -----------------------------------------


def refs(*paths: str) -> list[str]:
    objs = []
    for path in paths:
        target = K8S.parent / path
        objs += manifests.load_folder(target) if target.is_dir() else manifests.load_file(target)
    return sorted(manifests.ref(o) for o in objs)


def test_step_one_runs_the_api_pods_and_web_without_the_api_service() -> None:
    # kubectl apply -f k8s/numbers-api/deployment.yaml -f k8s/web/
    assert refs("k8s/numbers-api/deployment.yaml", "k8s/web") == [
        "Deployment/numbers-api",
        "Deployment/web",
        "Service/web",
    ]


def test_step_two_adds_only_the_api_service() -> None:
    # kubectl apply -f k8s/numbers-api/service.yaml
    assert refs("k8s/numbers-api/service.yaml") == ["Service/numbers-api"]


def test_the_network_policy_applies_alone() -> None:
    assert refs("k8s/numbers-api/networkpolicy.yaml") == ["NetworkPolicy/numbers-api"]


def test_step_one_applies_with_kubectl_as_written(need_kubectl: None) -> None:
    read = manifests.kubectl_reads(K8S / "numbers-api" / "deployment.yaml") + (
        manifests.kubectl_reads(K8S / "web")
    )
    assert sorted(read) == ["deployment.apps/numbers-api", "deployment.apps/web", "service/web"]


def test_the_readme_mentions_only_paths_that_exist() -> None:
    text = (K8S / "README.md").read_text()
    assert "k8s/web/" in text  # the check below found something to check
    assert manifests.check_readme_paths(text) == []


def test_readme_path_check_rejects_a_path_that_does_not_exist() -> None:
    text = "kubectl apply -f k8s/web/ -f k8s/numbers-api/svc.yaml"
    assert manifests.check_readme_paths(text) == [
        "k8s/numbers-api/svc.yaml is mentioned but does not exist"
    ]
