"""The semantic cross-checks of tests/support/manifests.py, on the real manifests and on broken
copies of them.

Each check has three kinds of test: the real manifests pass; every mutation in its BREAKS
table (one deliberate mistake in a deep copy) is reported with a problem naming it; and the
changes in its KEEPS table, which are harmless because of Kubernetes or program defaults,
are not reported. A check that cried wolf would be as useless as one that never did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from tests.support import manifests
from tests.support.manifests import (
    check_env,
    check_images,
    check_kind_config,
    check_labels,
    check_namespaces,
    check_network_policy,
    check_probe_url,
    check_probes,
    check_resources,
    check_rollout,
    check_security,
    check_services,
    check_shutdown,
)

Objs = list[dict[str, Any]]
Mutation = Callable[[Objs], Any]


# -- helpers that reach into a copy of the manifests ------------------------------------------


def obj(objs: Objs, kind: str, name: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def dep(objs: Objs, name: str) -> dict:
    return obj(objs, "Deployment", name)


def pod(objs: Objs, name: str) -> dict:
    return dep(objs, name)["spec"]["template"]["spec"]


def pod_sc(objs: Objs, name: str) -> dict:
    return pod(objs, name)["securityContext"]


def ctr(objs: Objs, deployment: str, container: str | None = None) -> dict:
    container = container or deployment
    return next(c for c in pod(objs, deployment)["containers"] if c["name"] == container)


def ctr_sc(objs: Objs, deployment: str, container: str | None = None) -> dict:
    return ctr(objs, deployment, container)["securityContext"]


def svc(objs: Objs, name: str) -> dict:
    return obj(objs, "Service", name)


def svc_port(objs: Objs, name: str) -> dict:
    return svc(objs, name)["spec"]["ports"][0]


def netpol(objs: Objs) -> dict:
    return obj(objs, "NetworkPolicy", "numbers-api")["spec"]


def rule(objs: Objs) -> dict:
    return netpol(objs)["ingress"][0]


def set_env(container: dict, name: str, value: str) -> None:
    env = container.setdefault("env", [])
    for item in env:
        if item["name"] == name:
            item["value"] = value
            return
    env.append({"name": name, "value": value})


def del_env(container: dict, name: str) -> None:
    container["env"] = [item for item in container.get("env", []) if item["name"] != name]


def mount(objs: Objs, deployment: str, container: str, path: str) -> dict:
    mounts = ctr(objs, deployment, container)["volumeMounts"]
    return next(m for m in mounts if m["mountPath"] == path)


def volume(objs: Objs, deployment: str, name: str) -> dict:
    return next(v for v in pod(objs, deployment)["volumes"] if v["name"] == name)


def both(*mutations: Mutation) -> Mutation:
    def apply(objs: Objs) -> None:
        for mutation in mutations:
            mutation(objs)

    return apply


def assert_reported(problems: list[str], expected: str) -> None:
    assert any(expected in problem for problem in problems), (
        f"expected a problem containing {expected!r}, got {problems}"
    )


# -- the real manifests -----------------------------------------------------------------------


def test_the_real_manifests_pass_every_check(objects: Objs, version: str) -> None:
    assert manifests.all_problems(objects, version) == []


def test_the_real_kind_config_matches_the_manifests_and_the_schema_version(
    kind_config: dict, objects: Objs
) -> None:
    assert check_kind_config(kind_config, objects) == []


def test_the_checks_see_every_object_kind_they_check(objects: Objs) -> None:
    # Guards against a loader that silently finds nothing, which would pass every check.
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "NetworkPolicy", "Endpoints"} <= kinds
    names = {manifests.name_of(d) for d in manifests.of_kind(objects, "Deployment")}
    assert names == {"numbers-api", "web", "sleep-1", "sleep-2"}


def test_every_project_image_is_known_to_the_checks(objects: Objs) -> None:
    # Probe paths, env and users are checked through these; an unknown app would skip them.
    apps = {
        manifests.app_of(c).name
        for _, _, c in manifests._workloads(objects)
        if manifests.app_of(c) is not None
    }
    assert apps == {"numbers-api", "web", "probe"}


# -- Services ---------------------------------------------------------------------------------

SERVICE_BREAKS = [
    pytest.param(
        lambda o: svc(o, "numbers-api")["spec"].update(selector={"app": "numbers"}),
        "matches no Deployment's pods",
        id="service-whose-selector-matches-no-pods",
    ),
    pytest.param(
        lambda o: svc(o, "numbers-api")["spec"].update(
            selector={"app.kubernetes.io/part-of": "numbers-demo"}
        ),
        "matches pods of several Deployments",
        id="service-whose-selector-matches-every-deployment",
    ),
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(targetPort="htp"),
        "targetPort 'htp'",
        id="target-port-naming-no-container-port",
    ),
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(targetPort=9999),
        "targetPort 9999",
        id="target-port-number-nothing-declares",
    ),
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(targetPort="probe-http"),
        "targetPort 'probe-http'",
        id="target-port-of-another-deployments-pods",
    ),
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(protocol="UDP"),
        "(UDP) is not a container port",
        id="target-port-with-another-protocol",
    ),
    pytest.param(
        lambda o: svc_port(o, "web").update(nodePort=80),
        "nodePort 80",
        id="node-port-outside-the-node-port-range",
    ),
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(nodePort=30081),
        "nodePort 30081 needs type NodePort",
        id="node-port-on-a-cluster-ip-service",
    ),
    pytest.param(
        lambda o: obj(o, "Endpoints", "numbers-api-headless")["metadata"].update(name="other"),
        "no selector and no Endpoints",
        id="headless-service-whose-endpoints-have-another-name",
    ),
    pytest.param(
        lambda o: obj(o, "Endpoints", "numbers-api-headless")["subsets"][0]["ports"][0].update(
            name="web"
        ),
        "Endpoints port 'web'",
        id="endpoints-port-name-not-on-the-service",
    ),
    pytest.param(
        lambda o: obj(o, "Endpoints", "numbers-api-headless")["subsets"][0].pop("addresses"),
        "without addresses",
        id="endpoints-without-addresses",
    ),
    pytest.param(
        lambda o: svc(o, "sleep-2")["spec"].pop("selector"),
        "no selector and no Endpoints",
        id="service-without-selector-or-endpoints",
    ),
    pytest.param(
        lambda o: svc(o, "numbers-api-external")["spec"].pop("externalName"),
        "without an externalName",
        id="external-name-service-without-a-name",
    ),
]
SERVICE_KEEPS = [
    pytest.param(
        lambda o: svc_port(o, "numbers-api").update(targetPort=8080),
        id="target-port-by-number-of-the-named-port",
    ),
    pytest.param(
        lambda o: o.append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": "sleep-2-manual",
                    "labels": {"kubernetes.io/service-name": "sleep-2"},
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": ["192.0.2.20"]}],
            }
        )
        or svc(o, "sleep-2")["spec"].pop("selector"),
        id="selectorless-service-with-an-endpoint-slice",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), SERVICE_BREAKS)
def test_service_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_services(objects), expected)


@pytest.mark.parametrize("mutate", SERVICE_KEEPS)
def test_service_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_services(objects) == []


# -- kubelet probes ---------------------------------------------------------------------------


def http_get(objs: Objs, deployment: str, container: str, kind: str) -> dict:
    return ctr(objs, deployment, container)[kind]["httpGet"]


PROBE_BREAKS = [
    pytest.param(
        lambda o: http_get(o, "numbers-api", "numbers-api", "livenessProbe").update(
            path="/health"
        ),
        "GET /health is not served by numbers-api",
        id="liveness-path-the-api-does-not-serve",
    ),
    pytest.param(
        lambda o: http_get(o, "numbers-api", "numbers-api", "livenessProbe").update(
            path="/reset"
        ),
        "GET /reset is not served by numbers-api",
        id="liveness-path-served-only-for-post",
    ),
    pytest.param(
        lambda o: http_get(o, "web", "web", "readinessProbe").update(path="/status"),
        "GET /status is not served by web",
        id="readiness-path-of-the-sidecar-on-the-web-container",
    ),
    pytest.param(
        lambda o: http_get(o, "web", "probe", "livenessProbe").update(path="/readyz"),
        "GET /readyz is not served by probe",
        id="probe-sidecar-liveness-on-a-path-it-lacks",
    ),
    pytest.param(
        lambda o: http_get(o, "numbers-api", "numbers-api", "readinessProbe").update(
            port="metrics"
        ),
        "port 'metrics' is not a port of this container",
        id="readiness-port-name-no-container-declares",
    ),
    pytest.param(
        lambda o: http_get(o, "web", "web", "livenessProbe").update(port="probe-http"),
        "port 'probe-http' is not a port of this container",
        id="liveness-port-name-of-the-other-container",
    ),
    pytest.param(
        lambda o: http_get(o, "web", "web", "livenessProbe").update(port=9090),
        "port 9090 is not a port of this container",
        id="liveness-port-number-of-the-other-container",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").pop("readinessProbe"),
        "has no readinessProbe",
        id="api-without-readiness",
    ),
    pytest.param(
        lambda o: ctr(o, "web", "probe").pop("livenessProbe"),
        "has no livenessProbe",
        id="probe-sidecar-without-liveness",
    ),
    pytest.param(
        lambda o: http_get(o, "web", "web", "startupProbe").update(scheme="HTTPS"),
        "uses HTTPS",
        id="startup-probe-over-https-to-a-plain-http-server",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").update(livenessProbe={"tcpSocket": {"port": 9999}}),
        "port 9999 is not a port of this container",
        id="tcp-probe-on-an-undeclared-port",
    ),
    pytest.param(
        lambda o: ctr(o, "sleep-1", "sleep").update(
            livenessProbe={"httpGet": {"path": "/", "port": 8080}}
        ),
        "no known program serves this image",
        id="http-probe-on-a-container-that-serves-nothing",
    ),
]
PROBE_KEEPS = [
    pytest.param(
        lambda o: http_get(o, "web", "web", "readinessProbe").update(path="/readyz?verbose=1"),
        id="query-string-on-a-served-path",
    ),
    pytest.param(
        lambda o: http_get(o, "numbers-api", "numbers-api", "livenessProbe").update(port=8080),
        id="port-by-number-instead-of-name",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").update(livenessProbe={"tcpSocket": {"port": "http"}}),
        id="tcp-probe-on-the-named-port",
    ),
    pytest.param(lambda o: ctr(o, "numbers-api").pop("startupProbe"), id="no-startup-probe"),
]


@pytest.mark.parametrize(("mutate", "expected"), PROBE_BREAKS)
def test_probe_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_probes(objects), expected)


@pytest.mark.parametrize("mutate", PROBE_KEEPS)
def test_probe_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_probes(objects) == []


@pytest.mark.parametrize(
    ("app", "path", "served"),
    [
        ("numbers-api", "/healthz", True),
        ("numbers-api", "/readyz", True),
        ("numbers-api", "/rng", True),
        ("numbers-api", "/status", False),
        ("web", "/healthz", True),
        ("web", "/readyz", True),
        ("web", "/rng", False),
        ("probe", "/healthz", True),
        ("probe", "/status", True),
        ("probe", "/readyz", False),
    ],
)
def test_served_paths_come_from_each_programs_own_routes(app: str, path: str, served: bool) -> None:
    assert manifests.serves_get(manifests.APPS[f"numbers-demo/{app}"], path) is served


# -- images -----------------------------------------------------------------------------------

IMAGE_BREAKS = [
    pytest.param(
        lambda o: ctr(o, "web").update(image="numbers-demo/web:latest"),
        "is not one that scripts/build-images.sh makes",
        id="project-image-with-latest-tag",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").update(image="numbers-demo/numbers-api:0.0.9"),
        "numbers-demo/numbers-api:0.0.9 is not one",
        id="project-image-with-another-version",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").update(image="numbers-demo/api:0.1.0"),
        "numbers-demo/api:0.1.0 is not one",
        id="project-image-the-build-does-not-make",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").update(imagePullPolicy="Always"),
        "pulls an image that only exists locally",
        id="pull-policy-always-for-a-local-image",
    ),
    pytest.param(
        lambda o: ctr(o, "web", "probe").update(image="numbers-demo/probe:latest")
        or ctr(o, "web", "probe").pop("imagePullPolicy"),
        "Always (the default for latest)",
        id="latest-tag-without-pull-policy-defaults-to-always",
    ),
    pytest.param(
        lambda o: ctr(o, "sleep-1", "sleep").update(image="busybox"),
        "image busybox is not pinned",
        id="public-image-without-tag",
    ),
    pytest.param(
        lambda o: ctr(o, "sleep-2", "sleep").update(image="busybox:latest"),
        "image busybox:latest is not pinned",
        id="public-image-with-latest-tag",
    ),
]
IMAGE_KEEPS = [
    pytest.param(
        lambda o: ctr(o, "numbers-api").pop("imagePullPolicy"),
        id="no-pull-policy-with-a-version-tag-means-if-not-present",
    ),
    pytest.param(
        lambda o: ctr(o, "sleep-1", "sleep").update(image="busybox@sha256:" + "a" * 64),
        id="public-image-pinned-by-digest",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), IMAGE_BREAKS)
def test_image_check_rejects(objects: Objs, version: str, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_images(objects, version), expected)


@pytest.mark.parametrize("mutate", IMAGE_KEEPS)
def test_image_check_accepts(objects: Objs, version: str, mutate: Mutation) -> None:
    mutate(objects)
    assert check_images(objects, version) == []


def test_image_check_follows_the_project_version(objects: Objs) -> None:
    # After a version bump in pyproject.toml, the old tags are wrong everywhere.
    problems = check_images(objects, "0.2.0")
    assert len(problems) == 5, problems


def test_built_images_are_read_from_the_build_script() -> None:
    assert manifests.built_images("9.9.9") == {
        "numbers-demo/numbers-api:9.9.9",
        "numbers-demo/web:9.9.9",
        "numbers-demo/probe:9.9.9",
        "numbers-demo/sleep:9.9.9",
    }


PROBE_URL_BREAKS = [
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "PROBE_URL", "http://localhost:9091"),
        "PROBE_URL port 9091 is not a port of the probe container",
        id="probe-url-on-another-port",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "PROBE_URL", "http://probe:9090"),
        "PROBE_URL host 'probe' is not localhost",
        id="probe-url-through-a-name-instead-of-the-shared-network",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "PROBE_URL", "http://localhost:9090/api"),
        "GET /api/status, which the probe does not serve",
        id="probe-url-with-a-path-prefix",
    ),
    pytest.param(
        lambda o: pod(o, "web")["containers"].remove(ctr(o, "web", "probe")),
        "no probe container in the pod",
        id="web-pod-without-its-probe",
    ),
]
PROBE_URL_KEEPS = [
    pytest.param(
        lambda o: del_env(ctr(o, "web"), "PROBE_URL"), id="probe-url-left-to-webs-default"
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "PROBE_URL", "http://127.0.0.1:9090/"),
        id="loopback-address-and-trailing-slash",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), PROBE_URL_BREAKS)
def test_probe_url_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_probe_url(objects), expected)


@pytest.mark.parametrize("mutate", PROBE_URL_KEEPS)
def test_probe_url_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_probe_url(objects) == []


# -- resources --------------------------------------------------------------------------------


def resources(objs: Objs, deployment: str, container: str | None = None) -> dict:
    return ctr(objs, deployment, container)["resources"]


RESOURCE_BREAKS = [
    pytest.param(
        lambda o: resources(o, "numbers-api")["requests"].update(memory="256Mi"),
        "requests.memory 256Mi exceeds limits.memory 128Mi",
        id="memory-request-above-limit",
    ),
    pytest.param(
        lambda o: resources(o, "web")["requests"].update(cpu="1"),
        "requests.cpu 1 exceeds limits.cpu 500m",
        id="cpu-request-in-cores-above-limit-in-millicores",
    ),
    pytest.param(
        lambda o: resources(o, "web")["requests"].update(memory="135M"),
        "requests.memory 135M exceeds limits.memory 128Mi",
        id="decimal-megabytes-above-binary-limit",
    ),
    pytest.param(
        lambda o: resources(o, "web", "probe").pop("limits"),
        "no limits.cpu",
        id="container-without-limits",
    ),
    pytest.param(
        lambda o: ctr(o, "sleep-1", "sleep").pop("resources"),
        "no requests.memory",
        id="container-without-resources",
    ),
    pytest.param(
        lambda o: resources(o, "numbers-api")["requests"].update(memory="lots"),
        "'lots' is not a quantity",
        id="quantity-that-does-not-parse",
    ),
    pytest.param(
        lambda o: resources(o, "sleep-2", "sleep")["limits"].update(memory="0"),
        "limits.memory 0 is not positive",
        id="zero-limit",
    ),
]
RESOURCE_KEEPS = [
    pytest.param(
        lambda o: resources(o, "web")["requests"].update(memory="130M"),
        id="decimal-megabytes-below-binary-limit",
    ),
    pytest.param(
        lambda o: resources(o, "numbers-api")["limits"].update(cpu=0.5), id="cpu-as-a-float"
    ),
    pytest.param(
        lambda o: resources(o, "numbers-api")["requests"].update(memory="0.125Gi"),
        id="request-equal-to-limit-in-other-units",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), RESOURCE_BREAKS)
def test_resource_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_resources(objects), expected)


@pytest.mark.parametrize("mutate", RESOURCE_KEEPS)
def test_resource_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_resources(objects) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Fraction(1, 2)),
        ("1", Fraction(1)),
        (1, Fraction(1)),
        (0.25, Fraction(1, 4)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1Gi", Fraction(2**30)),
        ("128M", Fraction(128 * 10**6)),
        ("1k", Fraction(1000)),
        ("1Ki", Fraction(1024)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("2E", Fraction(2 * 10**18)),
        ("1.5Gi", Fraction(3 * 2**29)),
        (".5", Fraction(1, 2)),
        ("100u", Fraction(1, 10**4)),
    ],
)
def test_quantities_parse_like_kubernetes(text: Any, value: Fraction) -> None:
    assert manifests.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Mi", "1MB", "1 Mi", "1mi", "lots", "1.2.3", True])
def test_quantities_that_kubernetes_rejects_do_not_parse(text: Any) -> None:
    with pytest.raises(ValueError, match="is not a quantity"):
        manifests.parse_quantity(text)


# -- security ---------------------------------------------------------------------------------


def move_user_to_containers(objs: Objs) -> None:
    user = pod_sc(objs, "web").pop("runAsUser")
    for container in pod(objs, "web")["containers"]:
        container["securityContext"]["runAsUser"] = user


SECURITY_BREAKS = [
    pytest.param(
        lambda o: pod_sc(o, "numbers-api").update(runAsNonRoot=False),
        "runAsNonRoot is not true",
        id="pod-allowed-to-run-as-root",
    ),
    pytest.param(
        lambda o: pod_sc(o, "web").update(runAsUser=0),
        "runAsUser 0 is not a numeric non-root id",
        id="pod-running-as-uid-0",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "web", "probe").update(runAsUser=0),
        "container probe: runAsUser 0",
        id="one-container-overriding-the-user-to-root",
    ),
    pytest.param(
        lambda o: pod_sc(o, "sleep-1").pop("runAsUser"),
        "runAsUser None is not a numeric non-root id",
        id="no-numeric-user-so-the-kubelet-cannot-verify-non-root",
    ),
    pytest.param(
        lambda o: pod_sc(o, "web").update(runAsUser="10001"),
        "runAsUser '10001' is not a numeric",
        id="user-as-a-string",
    ),
    pytest.param(
        lambda o: pod_sc(o, "numbers-api").pop("runAsGroup"),
        "runAsGroup None",
        id="no-group",
    ),
    pytest.param(
        lambda o: pod_sc(o, "web").update(runAsUser=1000),
        "Dockerfile says USER 10001:10001",
        id="user-other-than-the-images-user",
    ),
    pytest.param(
        lambda o: pod_sc(o, "numbers-api").pop("seccompProfile"),
        "seccompProfile unset",
        id="no-seccomp-profile",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "web").update(seccompProfile={"type": "Unconfined"}),
        "seccompProfile Unconfined",
        id="container-unconfined-by-seccomp",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "numbers-api").update(allowPrivilegeEscalation=True),
        "allowPrivilegeEscalation is not false",
        id="privilege-escalation-allowed",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "web", "probe").pop("readOnlyRootFilesystem"),
        "readOnlyRootFilesystem is not true",
        id="writable-root-filesystem",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "web")["capabilities"].update(drop=[]),
        "do not drop ALL",
        id="capabilities-kept",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "sleep-1", "sleep")["capabilities"].update(add=["NET_RAW"]),
        "adds capabilities ['NET_RAW']",
        id="net-raw-added-for-ping",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "numbers-api").update(privileged=True),
        "privileged",
        id="privileged-container",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "numbers-api").update(procMount="Unmasked"),
        "procMount Unmasked",
        id="unmasked-proc",
    ),
    pytest.param(
        lambda o: pod(o, "web").pop("automountServiceAccountToken"),
        "automountServiceAccountToken is not false",
        id="service-account-token-mounted-by-default",
    ),
    pytest.param(
        lambda o: pod(o, "web").update(hostNetwork=True),
        "hostNetwork is true",
        id="pod-on-the-host-network",
    ),
    pytest.param(
        lambda o: pod(o, "web")["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
        "volume host is a hostPath",
        id="host-path-volume",
    ),
    pytest.param(
        lambda o: pod_sc(o, "numbers-api").pop("fsGroup"),
        "pod fsGroup None",
        id="no-fs-group",
    ),
    pytest.param(
        lambda o: pod_sc(o, "sleep-1")["sysctls"].append({"name": "kernel.msgmax", "value": "1"}),
        "sysctl kernel.msgmax is not a safe sysctl",
        id="unsafe-sysctl",
    ),
    pytest.param(
        lambda o: pod_sc(o, "sleep-1")["sysctls"][0].update(value="0 0"),
        "includes no group of container(s) ['sleep']",
        id="ping-group-range-without-the-pods-group",
    ),
]
SECURITY_KEEPS = [
    pytest.param(move_user_to_containers, id="user-set-on-each-container-instead-of-the-pod"),
    pytest.param(
        lambda o: pod_sc(o, "sleep-2")["sysctls"][0].update(value="0 2147483647"),
        id="ping-group-range-open-to-every-group",
    ),
    pytest.param(
        lambda o: pod_sc(o, "sleep-2").update(supplementalGroups=[3000])
        or pod_sc(o, "sleep-2")["sysctls"][0].update(value="3000 3000"),
        id="ping-group-range-of-a-supplementary-group",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), SECURITY_BREAKS)
def test_security_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_security(objects), expected)


@pytest.mark.parametrize("mutate", SECURITY_KEEPS)
def test_security_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_security(objects) == []


def test_image_users_are_read_from_the_dockerfiles() -> None:
    for app in manifests.APPS.values():
        assert manifests.image_user(app) == (10001, 10001), app.name


STAGED_DOCKERFILE = """\
FROM python AS builder
USER 0
FROM python AS program
USER 10001:10002
FROM program AS web
COPY a b
FROM program AS probe
USER 20000
FROM python AS rootless
COPY a b
"""


@pytest.mark.parametrize(
    ("stage", "user"),
    [
        ("web", (10001, 10002)),  # inherited from the stage it is built FROM
        ("probe", (20000, 20000)),  # its own USER wins; no group means the user's
        ("rootless", None),  # no USER in it or its bases: the image runs as root
        ("sleep", None),  # no such stage
    ],
)
def test_the_image_user_is_the_one_in_force_in_the_app_s_stage(tmp_path, stage, user) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(STAGED_DOCKERFILE)
    app = next(iter(manifests.APPS.values()))

    assert manifests.image_user(dataclasses.replace(app, name=stage), dockerfile) == user


# -- env, ports and writable paths ------------------------------------------------------------

ENV_BREAKS = [
    pytest.param(
        lambda o: set_env(ctr(o, "numbers-api"), "PORT", "9000"),
        "numbers-api listens on 9000 (PORT), but its port http is 8080",
        id="program-listening-on-another-port-than-the-named-one",
    ),
    pytest.param(
        lambda o: ctr(o, "web", "probe")["ports"][0].update(containerPort=9091),
        "probe listens on 9090 (PORT), but its port probe-http is 9091",
        id="named-port-moved-without-the-program",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api")["ports"][0].update(name="api"),
        "no container port named http",
        id="named-port-renamed",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "PORT", "http"),
        "web would exit at start: PORT='http' is not an integer",
        id="port-that-is-not-a-number",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "numbers-api"), "FAIL_AFTER_CALLS", "-1"),
        "numbers-api would exit at start: FAIL_AFTER_CALLS='-1'",
        id="negative-fault-counter",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web"), "NUMBERS_API_TIMEOUT_SECONDS", "5"),
        "NUMBERS_API_TIMEOUT_SECONDS='5'",
        id="api-timeout-beyond-webs-budget",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web", "probe"), "PROBE_INTERVAL_SECONDS", "0"),
        "probe would exit at start: PROBE_INTERVAL_SECONDS='0'",
        id="zero-probe-interval",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "web", "probe"), "PROBE_LOG_PATH", "/data/events.jsonl"),
        "probe writes to /data, which is not a writable volume",
        id="probe-journal-outside-its-volume",
    ),
    pytest.param(
        lambda o: ctr(o, "numbers-api").pop("volumeMounts"),
        "numbers-api writes to /tmp, which is not a writable volume",
        id="api-without-tmp-on-a-read-only-root",
    ),
    pytest.param(
        lambda o: mount(o, "web", "web", "/tmp").update(readOnly=True),
        "web writes to /tmp",
        id="tmp-mounted-read-only",
    ),
    pytest.param(
        lambda o: volume(o, "web", "tmp").update(configMap={"name": "x"})
        or volume(o, "web", "tmp").pop("emptyDir"),
        "web writes to /tmp",
        id="tmp-on-a-config-map",
    ),
]
ENV_KEEPS = [
    pytest.param(lambda o: del_env(ctr(o, "web"), "PORT"), id="port-left-to-the-default-8080"),
    pytest.param(
        lambda o: del_env(ctr(o, "web", "probe"), "PROBE_LOG_PATH"),
        id="journal-left-to-its-default-path-on-the-volume",
    ),
    pytest.param(
        lambda o: ctr_sc(o, "numbers-api").update(readOnlyRootFilesystem=False)
        or ctr(o, "numbers-api").pop("volumeMounts"),
        id="writable-root-needs-no-volume",  # check_security reports that one
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), ENV_BREAKS)
def test_env_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_env(objects), expected)


@pytest.mark.parametrize("mutate", ENV_KEEPS)
def test_env_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_env(objects) == []


# -- shutdown ---------------------------------------------------------------------------------

SHUTDOWN_BREAKS = [
    pytest.param(
        lambda o: pod(o, "web").update(terminationGracePeriodSeconds=15),
        "terminationGracePeriodSeconds 15 is less than web's stop time 15 s + 5 s",
        id="grace-period-shorter-than-drain-plus-graceful-stop",
    ),
    pytest.param(
        both(
            lambda o: set_env(ctr(o, "numbers-api"), "SHUTDOWN_DELAY_SECONDS", "12"),
            lambda o: pod(o, "numbers-api").update(terminationGracePeriodSeconds=25),
        ),
        "numbers-api's stop time 22 s",
        id="longer-drain-delay-than-the-grace-period-allows",
    ),
    pytest.param(
        both(
            lambda o: set_env(ctr(o, "web", "probe"), "PROBE_INTERVAL_SECONDS", "60"),
            lambda o: set_env(ctr(o, "web", "probe"), "PROBE_TIMEOUT_SECONDS", "14"),
        ),
        "probe's stop time 33 s",
        id="probe-lookups-longer-than-the-grace-period",
    ),
]
SHUTDOWN_KEEPS = [
    pytest.param(
        lambda o: pod(o, "web").pop("terminationGracePeriodSeconds"),
        id="kubernetes-default-30-s",
    ),
    pytest.param(
        lambda o: set_env(ctr(o, "numbers-api"), "SHUTDOWN_DELAY_SECONDS", "15"),
        id="longest-drain-the-api-accepts-still-fits-30-s",
    ),
    pytest.param(
        lambda o: pod(o, "sleep-1").update(terminationGracePeriodSeconds=0),
        id="nothing-to-drain-in-a-sleep-pod",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), SHUTDOWN_BREAKS)
def test_shutdown_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_shutdown(objects), expected)


@pytest.mark.parametrize("mutate", SHUTDOWN_KEEPS)
def test_shutdown_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_shutdown(objects) == []


# -- rollouts ---------------------------------------------------------------------------------

ROLLOUT_BREAKS = [
    pytest.param(
        lambda o: dep(o, "numbers-api")["spec"]["strategy"]["rollingUpdate"].update(
            maxUnavailable=1
        ),
        "maxUnavailable 1",
        id="rollout-that-may-stop-a-ready-pod-first",
    ),
    pytest.param(
        lambda o: dep(o, "numbers-api")["spec"]["strategy"].pop("rollingUpdate"),
        "maxUnavailable 25% (the default)",
        id="rollout-left-to-the-25-percent-default",
    ),
    pytest.param(
        lambda o: dep(o, "web")["spec"].update(strategy={"type": "Recreate"}),
        "strategy Recreate stops every pod first",
        id="recreate-strategy",
    ),
    pytest.param(
        lambda o: dep(o, "sleep-1")["spec"]["strategy"]["rollingUpdate"].update(maxSurge=0),
        "maxSurge 0",
        id="rollout-that-cannot-start-a-new-pod",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), ROLLOUT_BREAKS)
def test_rollout_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_rollout(objects), expected)


def test_rollout_check_accepts_zero_as_a_percentage(objects: Objs) -> None:
    dep(objects, "web")["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable="0%")
    assert check_rollout(objects) == []


# -- NetworkPolicy ----------------------------------------------------------------------------

POLICY_BREAKS = [
    pytest.param(
        lambda o: netpol(o).update(podSelector={"matchLabels": {"app": "numbers"}}),
        "no NetworkPolicy isolates Deployment/numbers-api",
        id="policy-selecting-no-api-pods",
    ),
    pytest.param(
        lambda o: o.remove(obj(o, "NetworkPolicy", "numbers-api")),
        "no NetworkPolicy isolates Deployment/numbers-api",
        id="no-policy",
    ),
    pytest.param(
        lambda o: netpol(o).update(policyTypes=["Egress"]),
        "no NetworkPolicy isolates Deployment/numbers-api",
        id="egress-only-policy",
    ),
    pytest.param(
        lambda o: rule(o).pop("from"),
        "no `from`, so it allows every source",
        id="rule-without-from",
    ),
    pytest.param(
        lambda o: rule(o)["from"][0].update(podSelector={}),
        "allows the pods of Deployment/sleep-1",
        id="empty-pod-selector-allowing-every-pod",
    ),
    pytest.param(
        lambda o: rule(o)["from"].append({"podSelector": {"matchLabels": {"app": "sleep-1"}}}),
        "allows the pods of Deployment/sleep-1",
        id="extra-peer-for-another-deployment",
    ),
    pytest.param(
        lambda o: rule(o)["from"][0].update(namespaceSelector={}),
        "namespaceSelector allows pods of other namespaces",
        id="web-pods-of-every-namespace",
    ),
    pytest.param(
        lambda o: rule(o)["from"].append({"ipBlock": {"cidr": "0.0.0.0/0"}}),
        "allows IP block 0.0.0.0/0",
        id="ip-block-peer",
    ),
    pytest.param(
        lambda o: rule(o).pop("ports"),
        "no `ports`, so it allows every port",
        id="rule-without-ports",
    ),
    pytest.param(
        lambda o: rule(o)["ports"][0].update(port=9090),
        "port 9090 (TCP) is not a container port of Deployment/numbers-api",
        id="port-number-the-api-does-not-use",
    ),
    pytest.param(
        lambda o: rule(o)["ports"][0].update(port="metrics"),
        "port 'metrics' (TCP) is not a container port",
        id="port-name-the-api-does-not-declare",
    ),
    pytest.param(
        lambda o: rule(o)["ports"][0].update(protocol="UDP"),
        "(UDP) is not a container port",
        id="udp-instead-of-tcp",
    ),
    pytest.param(
        lambda o: rule(o)["ports"][0].update(port=8080, endPort=8090),
        "port range (endPort)",
        id="port-range",
    ),
    pytest.param(
        both(
            lambda o: ctr(o, "numbers-api")["ports"].append(
                {"name": "debug", "containerPort": 5678, "protocol": "TCP"}
            ),
            lambda o: rule(o)["ports"].append({"protocol": "TCP", "port": "debug"}),
        ),
        "allows Deployment/web on port debug, not only http",
        id="second-port-opened-to-web",
    ),
    pytest.param(
        lambda o: rule(o)["from"][0].update(podSelector={"matchLabels": {"app": "webb"}}),
        "Deployment/web's pods cannot reach Deployment/numbers-api on port http",
        id="web-itself-left-out",
    ),
    pytest.param(
        lambda o: o.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow-all"},
                "spec": {"podSelector": {}, "ingress": [{}]},
            }
        ),
        "NetworkPolicy/allow-all ingress rule 1: no `from`",
        id="second-policy-allowing-everything",
    ),
]
POLICY_KEEPS = [
    pytest.param(lambda o: rule(o)["ports"][0].update(port=8080), id="port-by-number"),
    pytest.param(
        lambda o: rule(o)["from"][0].update(
            podSelector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}
        ),
        id="web-selected-by-expression",
    ),
    pytest.param(lambda o: netpol(o).pop("policyTypes"), id="policy-types-default-to-ingress"),
]


@pytest.mark.parametrize(("mutate", "expected"), POLICY_BREAKS)
def test_network_policy_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_network_policy(objects), expected)


@pytest.mark.parametrize("mutate", POLICY_KEEPS)
def test_network_policy_check_accepts(objects: Objs, mutate: Mutation) -> None:
    mutate(objects)
    assert check_network_policy(objects) == []


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web", "x": "1"}, True),
        ({"matchLabels": {"app": "web"}}, {"app": "api"}, False),
        ({}, {"app": "web"}, True),
        (None, {"app": "web"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "web"]}]},
         {"app": "web"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]},
         {"app": "web"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]},
         {"app": "web"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]},
         {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": ""}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "x"}, False),
    ],
)
def test_label_selectors_match_like_kubernetes(
    selector: dict | None, labels: dict, matches: bool
) -> None:
    assert manifests.selector_matches(selector, labels) is matches


def test_an_empty_service_selector_selects_nothing() -> None:
    # Unlike a LabelSelector, a Service without selector gets no endpoints managed for it.
    assert manifests.map_selector_matches({}, {"app": "web"}) is False


# -- labels and namespaces --------------------------------------------------------------------

LABEL_BREAKS = [
    pytest.param(
        lambda o: svc(o, "numbers-api")["metadata"]["labels"].pop("app.kubernetes.io/part-of"),
        "Service/numbers-api: missing labels ['app.kubernetes.io/part-of']",
        id="object-without-part-of",
    ),
    pytest.param(
        lambda o: dep(o, "web")["spec"]["template"]["metadata"]["labels"].pop(
            "app.kubernetes.io/component"
        ),
        "Deployment/web pod template: missing labels",
        id="pod-template-without-component",
    ),
    pytest.param(
        lambda o: dep(o, "web")["metadata"]["labels"].update(
            {"app.kubernetes.io/part-of": "other"}
        ),
        "part-of is 'other'",
        id="object-part-of-another-application",
    ),
    pytest.param(
        lambda o: dep(o, "web")["spec"]["template"]["metadata"]["labels"].update(
            {"app.kubernetes.io/version": "0.2.0"}
        ),
        "app.kubernetes.io/version '0.2.0' is not its image tag '0.1.0'",
        id="version-label-behind-the-image",
    ),
    pytest.param(
        lambda o: dep(o, "sleep-1")["metadata"]["labels"].update(
            {"app.kubernetes.io/version": "latest"}
        ),
        "is not its image tag '0.1.0'",
        id="sleep-version-label-not-its-image-tag",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), LABEL_BREAKS)
def test_label_check_rejects(objects: Objs, mutate: Mutation, expected: str) -> None:
    mutate(objects)
    assert_reported(check_labels(objects), expected)


def test_namespace_check_rejects_an_object_pinned_to_a_namespace(objects: Objs) -> None:
    svc(objects, "numbers-api")["metadata"]["namespace"] = "default"
    assert check_namespaces(objects) == [
        "Service/numbers-api: metadata.namespace 'default' pins it to one namespace"
    ]


# -- kind -------------------------------------------------------------------------------------


def mapping(config: dict) -> dict:
    return config["nodes"][0]["extraPortMappings"][0]


KIND_BREAKS = [
    pytest.param(
        lambda c, o: mapping(c).update(containerPort=30081),
        "Service/web nodePort 30080 is not mapped",
        id="mapping-for-another-node-port",
    ),
    pytest.param(
        lambda c, o: svc_port(o, "web").update(nodePort=30090),
        "Service/web nodePort 30090 is not mapped",
        id="node-port-changed-in-the-service-only",
    ),
    pytest.param(
        lambda c, o: mapping(c).pop("listenAddress"),
        "published on 0.0.0.0:8080",
        id="port-published-on-every-interface",
    ),
    pytest.param(
        lambda c, o: mapping(c).update(hostPort=8081),
        "published on 127.0.0.1:8081",
        id="host-port-other-than-the-readmes",
    ),
    pytest.param(
        lambda c, o: mapping(c).update(protocol="UDP"),
        "mapped for another protocol",
        id="udp-mapping",
    ),
    pytest.param(
        lambda c, o: c["nodes"][0].update(
            image="kindest/node:v1.33.1@sha256:" + "0" * 64
        ),
        "node image v1.33.1 is not Kubernetes 1.34",
        id="node-image-of-another-kubernetes-version",
    ),
    pytest.param(
        lambda c, o: c["nodes"][0].update(image="kindest/node:v1.34.0"),
        "is not pinned by digest",
        id="node-image-without-digest",
    ),
    pytest.param(
        lambda c, o: c["nodes"][0].update(image="kindest/node:latest"),
        "is not a kindest/node:vX.Y.Z",
        id="node-image-without-version",
    ),
    pytest.param(lambda c, o: c.pop("nodes"), "no nodes", id="no-pinned-node"),
]


@pytest.mark.parametrize(("mutate", "expected"), KIND_BREAKS)
def test_kind_config_check_rejects(
    kind_config: dict, objects: Objs, mutate: Callable[[dict, Objs], Any], expected: str
) -> None:
    mutate(kind_config, objects)
    assert_reported(check_kind_config(kind_config, objects), expected)
