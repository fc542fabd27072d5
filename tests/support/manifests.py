"""Read the Kubernetes manifests in k8s/ and check them statically, without a cluster.

Every ``check_*`` function takes parsed objects (dicts, as YAML gives them) and returns a list
of problems: plain sentences that name the object and say what is wrong. An empty list means
the check passed. The checks know the three programs through the programs themselves: their
Flask url_maps (which paths a kubelet probe may use), their config loaders (which env values
they accept, which port they listen on, how long they take to stop) and their Dockerfiles
(which user they run as), so the manifests cannot drift from the code unnoticed.

tests/unit/k8s runs each check on the real manifests (no problems) and on deliberately
broken copies (each break reported).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

Obj = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KIND_CONFIG = K8S / "kind" / "cluster.yaml"
BUILD_SCRIPT = ROOT / "scripts" / "build-images.sh"
# The Kubernetes minor version whose API schemas the manifests must satisfy. It is the
# version of the kind node image pinned in k8s/kind/cluster.yaml (check_kind_config) and of
# the project's own cluster (cluster/versions.sh, checked by tests/cluster).
KUBERNETES_VERSION = "1.34"
# kubectl reads these from a folder given to -f; anything else there is skipped.
KUBECTL_EXTENSIONS = (".json", ".yaml", ".yml")
# The names kustomize looks for in a folder.
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Seconds of slack between the longest a program may take to stop and the pod's grace period.
SHUTDOWN_MARGIN_SECONDS = 5
# Kubernetes' default when a pod spec omits terminationGracePeriodSeconds.
DEFAULT_GRACE_SECONDS = 30
PROBE_KINDS = ("startupProbe", "livenessProbe", "readinessProbe")
PART_OF = "numbers-demo"
RECOMMENDED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of",
                      "app.kubernetes.io/component")
VERSION_LABEL = "app.kubernetes.io/version"
# Sysctls the kubelet allows without --allowed-unsafe-sysctls (namespaced, no privilege).
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
})
NODE_PORT_RANGE = range(30000, 32768)
# kind's port mapping for web's NodePort: the address the README sends people to.
KIND_HOST_ADDRESS = "127.0.0.1"
KIND_HOST_PORT = 8080


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


# -- loading ----------------------------------------------------------------------------------


def load_file(path: Path) -> list[Obj]:
    """The objects of one YAML file, empty documents dropped."""
    with path.open() as file:
        return [doc for doc in yaml.safe_load_all(file) if doc is not None]


def manifest_files(root: Path = K8S) -> list[Path]:
    """Every object file under k8s/: kustomizations and kind's own config are not objects."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix in KUBECTL_EXTENSIONS
        and path.name not in KUSTOMIZATION_NAMES
        and root / "kind" not in path.parents
    )


def load_folder(folder: Path) -> list[Obj]:
    """What `kubectl apply -f FOLDER/` would read, by kubectl's rule: *.json, *.yaml, *.yml."""
    return [
        obj
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in KUBECTL_EXTENSIONS
        for obj in load_file(path)
    ]


def kustomization_dirs(root: Path = K8S) -> list[Path]:
    return sorted(
        {path.parent for name in KUSTOMIZATION_NAMES for path in root.rglob(name)}
    )


def kubectl() -> str | None:
    return shutil.which("kubectl")


def _run_kubectl(*args: str) -> str:
    binary = kubectl()
    if binary is None:
        raise RuntimeError("kubectl is not installed")
    result = subprocess.run(
        [binary, *args], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def kustomize(folder: Path) -> list[Obj]:
    """`kubectl kustomize FOLDER`, parsed (works offline)."""
    return [doc for doc in yaml.safe_load_all(_run_kubectl("kustomize", str(folder))) if doc]


def kubectl_reads(path: Path) -> list[str]:
    """The objects `kubectl apply -f PATH` would send, as kind/name, read offline.

    `kubectl label --local` walks -f exactly as apply does (same resource builder, same
    file-extension rule for folders) but never contacts a server.
    """
    out = _run_kubectl("label", "--local", "-f", str(path), "-o", "name", "numbers-demo/check=1")
    return sorted(line.strip() for line in out.splitlines() if line.strip())


def ref(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind', '?')}/{obj.get('metadata', {}).get('name', '?')}"


def identity(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    return (obj.get("apiVersion", ""), obj.get("kind", ""), obj.get("metadata", {}).get("name"))


# -- schema -----------------------------------------------------------------------------------


def schema_problems(obj: Obj, version: str = KUBERNETES_VERSION) -> list[str]:
    """Strict validation against the Kubernetes API schemas: unknown fields are errors."""
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(top level)"
        return [f"{ref(obj)}: {where}: {error.message}"]
    except SchemaNotFoundError:
        return [
            f"{ref(obj)}: Kubernetes {version} has no {obj.get('apiVersion')} "
            f"{obj.get('kind')}: not an object the API server accepts"
        ]
    return []


# -- model helpers ----------------------------------------------------------------------------


def of_kind(objs: Iterable[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objs if obj.get("kind") == kind]


def name_of(obj: Mapping[str, Any]) -> str:
    return obj.get("metadata", {}).get("name", "?")


def pod_spec(deployment: Obj) -> Obj:
    return deployment.get("spec", {}).get("template", {}).get("spec", {})


def pod_labels(deployment: Obj) -> dict[str, str]:
    return deployment.get("spec", {}).get("template", {}).get("metadata", {}).get("labels") or {}


def all_containers(spec: Obj) -> list[Obj]:
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def env_of(container: Obj) -> dict[str, str]:
    """Literal env values (valueFrom entries cannot be known statically and are left out)."""
    return {
        item["name"]: str(item["value"])
        for item in container.get("env") or []
        if "value" in item
    }


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a label set."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def map_selector_matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """A Service's selector: every pair present in the labels (an empty one selects nothing)."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container_port(containers: Iterable[Obj], port: Any, protocol: str = "TCP") -> Obj | None:
    """The container port a Service targetPort or NetworkPolicy port means, or None."""
    for container in containers:
        for declared in container.get("ports") or []:
            if declared.get("protocol", "TCP") != protocol:
                continue
            if isinstance(port, str) and declared.get("name") == port:
                return declared
            if isinstance(port, int) and declared.get("containerPort") == port:
                return declared
    return None


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """repository, tag, digest of an image reference."""
    rest, _, digest = image.partition("@")
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


# -- the three programs -----------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """What the checks know about one of the project's images, taken from its code."""

    name: str  # numbers-demo/<name>, built from the root Dockerfile's stage of that name
    port_name: str  # the container port the manifests give it
    load_config: Callable[[Mapping[str, str]], Any]
    url_map: Callable[[], Any]
    # Directories it writes to; a read-only root filesystem needs a volume on each.
    writable_dirs: Callable[[Mapping[str, str], Any], list[str]]
    # The longest it takes from SIGTERM to exit.
    stop_seconds: Callable[[Any], float]
    # Probe kinds a container of it must have.
    required_probes: tuple[str, ...]

    @property
    def repository(self) -> str:
        return f"numbers-demo/{self.name}"


def _api_config(environ: Mapping[str, str]) -> Any:
    from numbers_api.config import load_config

    return load_config(environ)


@functools.cache
def _api_url_map() -> Any:
    from numbers_api.app import create_app
    from numbers_api.config import ApiConfig

    return create_app(ApiConfig()).url_map


def _web_config(environ: Mapping[str, str]) -> Any:
    from numbers_web.config import load_config

    return load_config(environ)


@functools.cache
def _web_url_map() -> Any:
    from numbers_web.app import create_app
    from numbers_web.config import WebConfig

    return create_app(WebConfig()).url_map


def _probe_config(environ: Mapping[str, str]) -> Any:
    from dns_probe.config import load_config

    return load_config(environ)


@functools.cache
def _probe_url_map() -> Any:
    from dns_probe.app import create_app
    from dns_probe.config import ProbeConfig
    from dns_probe.journal import Journal
    from dns_probe.prober import Prober

    with tempfile.TemporaryDirectory() as scratch:
        # Never started, so it never resolves anything nor writes its journal.
        prober = Prober(
            target="numbers-api",
            interval_seconds=1.0,
            resolve=lambda name: None,  # type: ignore[arg-type,return-value]
            journal=Journal(os.path.join(scratch, "events.jsonl")),
        )
        url_map = create_app(ProbeConfig(), prober).url_map
        prober.journal.close()
    return url_map


def _gunicorn_tmp(environ: Mapping[str, str], config: Any) -> list[str]:
    # service_runtime.server makes the Prometheus multiprocess directory with tempfile.mkdtemp().
    return [environ.get("PROMETHEUS_MULTIPROC_DIR") or environ.get("TMPDIR") or "/tmp"]


APPS: dict[str, App] = {
    app.repository: app
    for app in (
        App(
            name="numbers-api",
            port_name="http",
            load_config=_api_config,
            url_map=_api_url_map,
            writable_dirs=_gunicorn_tmp,
            stop_seconds=lambda config: config.server.graceful_timeout_seconds,
            required_probes=("livenessProbe", "readinessProbe"),
        ),
        App(
            name="web",
            port_name="http",
            load_config=_web_config,
            url_map=_web_url_map,
            writable_dirs=_gunicorn_tmp,
            stop_seconds=lambda config: config.server.graceful_timeout_seconds,
            required_probes=("livenessProbe", "readinessProbe"),
        ),
        App(
            name="probe",
            port_name="probe-http",
            load_config=_probe_config,
            url_map=_probe_url_map,
            writable_dirs=lambda environ, config: [posixpath.dirname(config.log_path)],
            # After SIGTERM it drains like the others; its graceful stop also covers the
            # loop's last check (dns_probe.config).
            stop_seconds=lambda config: config.server.graceful_timeout_seconds,
            # No readiness: it serves no Service, and would only gate web's pod.
            required_probes=("livenessProbe",),
        ),
    )
}


def app_of(container: Obj) -> App | None:
    repository, _, _ = image_parts(container.get("image", ""))
    return APPS.get(repository)


def serves_get(app: App, path: str) -> bool:
    """Whether the program answers GET PATH with a route of its own (not a 404 or 405)."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import RequestRedirect

    adapter = app.url_map().bind("localhost")
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except RequestRedirect:
        return False
    except HTTPException:
        return False
    return True


def image_user(app: App, dockerfile: Path = ROOT / "Dockerfile") -> tuple[int, int] | None:
    """uid, gid of the numeric `USER uid:gid` in force in the app's stage of the Dockerfile.

    The stage's own last USER, else the one of the stage it is built FROM, and so on.
    """
    stages: dict[str, tuple[str, str]] = {}  # name: (base, body)
    stage_start = re.compile(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", re.M | re.I)
    parts = stage_start.split(dockerfile.read_text())
    for base, name, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        if name:
            stages[name] = (base, body)
    stage = app.name
    while stage in stages:
        base, body = stages[stage]
        matches = re.findall(r"^USER\s+(\d+)(?::(\d+))?\s*$", body, re.M)
        if matches:
            uid, gid = matches[-1]
            return int(uid), int(gid or uid)
        stage = base
    return None


def built_images(version: str) -> set[str]:
    """The image names scripts/build-images.sh tags: numbers-demo/<name>:<version>."""
    text = BUILD_SCRIPT.read_text()
    match = re.search(r"^for name in (.+?); do$", text, re.M)
    if not match:
        raise ValueError(f"{BUILD_SCRIPT}: the `for name in ...` loop was not found")
    names = match.group(1).split()
    return {f"numbers-demo/{name}:{version}" for name in names}


# -- quantities -------------------------------------------------------------------------------

_SUFFIXES = {
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
    "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40),
    "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:[eE](?P<exponent>[+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)


def parse_quantity(value: Any) -> Fraction:
    """A Kubernetes resource quantity (500m, 128Mi, 1.5, 1e3) as an exact number."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity")
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a quantity")
    number = Fraction(match.group("number"))
    if match.group("exponent") is not None:
        return number * Fraction(10) ** int(match.group("exponent"))
    return number * _SUFFIXES[match.group("suffix") or ""]


# -- checks -----------------------------------------------------------------------------------


def _workloads(objs: Iterable[Obj]) -> Iterator[tuple[Obj, Obj, Obj]]:
    """(deployment, pod spec, container) for every container of every Deployment."""
    for deployment in of_kind(objs, "Deployment"):
        spec = pod_spec(deployment)
        for container in all_containers(spec):
            yield deployment, spec, container


def _where(deployment: Obj, container: Obj) -> str:
    return f"{ref(deployment)} container {container.get('name', '?')}"


def _selected(selector: Mapping[str, str], objs: list[Obj]) -> list[Obj]:
    return [d for d in of_kind(objs, "Deployment") if map_selector_matches(selector, pod_labels(d))]


def check_services(objs: list[Obj]) -> list[str]:
    """Selectors select one Deployment's pods, targetPorts are their ports, endpoints exist."""
    problems = []
    endpoints = {name_of(e): e for e in of_kind(objs, "Endpoints")}
    slices = {
        (s.get("metadata", {}).get("labels") or {}).get("kubernetes.io/service-name")
        for s in of_kind(objs, "EndpointSlice")
    }
    for service in of_kind(objs, "Service"):
        spec = service.get("spec", {})
        kind = spec.get("type", "ClusterIP")
        ports = spec.get("ports") or []
        if kind == "ExternalName":
            if not spec.get("externalName"):
                problems.append(f"{ref(service)}: type ExternalName without an externalName")
            if spec.get("selector"):
                problems.append(f"{ref(service)}: an ExternalName Service ignores its selector")
            continue
        for port in ports:
            node_port = port.get("nodePort")
            if node_port is not None and (
                kind not in ("NodePort", "LoadBalancer") or node_port not in NODE_PORT_RANGE
            ):
                problems.append(
                    f"{ref(service)}: nodePort {node_port} needs type NodePort and the range "
                    f"{NODE_PORT_RANGE.start}-{NODE_PORT_RANGE.stop - 1}"
                )
        selector = spec.get("selector")
        if not selector:
            problems.extend(_manual_endpoint_problems(service, endpoints, slices))
            continue
        chosen = _selected(selector, objs)
        if not chosen:
            problems.append(f"{ref(service)}: selector {selector} matches no Deployment's pods")
            continue
        if len(chosen) > 1:
            names = ", ".join(ref(d) for d in chosen)
            problems.append(
                f"{ref(service)}: selector {selector} matches pods of several Deployments "
                f"({names}); one Service would mix them"
            )
            continue
        containers = all_containers(pod_spec(chosen[0]))
        for port in ports:
            target = port.get("targetPort", port.get("port"))
            protocol = port.get("protocol", "TCP")
            if container_port(containers, target, protocol) is None:
                problems.append(
                    f"{ref(service)}: port {port.get('name', port.get('port'))} targetPort "
                    f"{target!r} ({protocol}) is not a container port of {ref(chosen[0])}"
                )
    return problems


def _manual_endpoint_problems(
    service: Obj, endpoints: Mapping[str, Obj], slices: set[str | None]
) -> list[str]:
    name = name_of(service)
    if name in slices:
        return []
    if name not in endpoints:
        return [
            f"{ref(service)}: no selector and no Endpoints or EndpointSlice of its own: "
            "it has no endpoints at all"
        ]
    service_ports = {p.get("name") for p in service.get("spec", {}).get("ports") or []}
    problems = []
    for subset in endpoints[name].get("subsets") or []:
        if not subset.get("addresses"):
            problems.append(f"{ref(service)}: its Endpoints has a subset without addresses")
        for port in subset.get("ports") or []:
            if port.get("name") not in service_ports:
                problems.append(
                    f"{ref(service)}: Endpoints port {port.get('name')!r} is not one of the "
                    f"Service's port names {sorted(p for p in service_ports if p)}"
                )
    return problems


def check_probes(objs: list[Obj]) -> list[str]:
    """Kubelet probes use the container's own ports and paths its program serves."""
    problems = []
    for deployment, _, container in _workloads(objs):
        app = app_of(container)
        where = _where(deployment, container)
        if app is not None:
            for kind in app.required_probes:
                if kind not in container:
                    problems.append(f"{where}: has no {kind}")
        for kind in PROBE_KINDS:
            probe = container.get(kind)
            if not probe:
                continue
            handler = probe.get("httpGet") or probe.get("tcpSocket")
            if handler is None:
                continue
            port = handler.get("port")
            # A probe's named port is looked up in its own container only.
            if container_port([container], port) is None:
                problems.append(f"{where}: {kind} port {port!r} is not a port of this container")
            if "httpGet" not in probe:
                continue
            path = probe["httpGet"].get("path", "/")
            if probe["httpGet"].get("scheme", "HTTP") != "HTTP":
                problems.append(f"{where}: {kind} uses HTTPS; the program serves plain HTTP")
            if app is None:
                problems.append(f"{where}: {kind} GET {path}: no known program serves this image")
            elif not serves_get(app, path):
                problems.append(f"{where}: {kind} GET {path} is not served by {app.name}")
    return problems


def check_images(objs: list[Obj], version: str) -> list[str]:
    """The project's images are the tags the build makes, never pulled; others are pinned."""
    problems = []
    built = built_images(version)
    for deployment, _, container in _workloads(objs):
        where = _where(deployment, container)
        image = container.get("image", "")
        repository, tag, digest = image_parts(image)
        policy = container.get("imagePullPolicy")
        if repository.startswith("numbers-demo/"):
            if image not in built:
                problems.append(
                    f"{where}: image {image} is not one that scripts/build-images.sh makes "
                    f"({', '.join(sorted(built))})"
                )
            # Loaded into kind, never in a registry: Always would fail to pull. Without a
            # policy, a tag other than latest defaults to IfNotPresent.
            pulls = policy == "Always" or (policy is None and tag in (None, "latest"))
            if pulls:
                problems.append(
                    f"{where}: imagePullPolicy {policy or 'Always (the default for latest)'} "
                    "pulls an image that only exists locally; use IfNotPresent"
                )
        elif digest is None and tag in (None, "latest"):
            problems.append(f"{where}: image {image} is not pinned to a tag or digest")
    return problems


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def check_probe_url(objs: list[Obj]) -> list[str]:
    """web's PROBE_URL reaches /status of the probe container in web's own pod."""
    problems = []
    for deployment, pod, container in _workloads(objs):
        app = app_of(container)
        if app is None or app.name != "web":
            continue
        where = _where(deployment, container)
        try:
            config = app.load_config(env_of(container))
        except ValueError:
            continue  # check_env reports it
        url = urlsplit(config.probe_url)
        port = url.port or (443 if url.scheme == "https" else 80)
        if url.hostname not in LOOPBACK_HOSTS:
            problems.append(
                f"{where}: PROBE_URL host {url.hostname!r} is not localhost, but the probe "
                "runs in web's own pod"
            )
        probes = [c for c in all_containers(pod) if (a := app_of(c)) and a.name == "probe"]
        if not probes:
            problems.append(f"{where}: PROBE_URL, but no probe container in the pod")
            continue
        if container_port(probes, port) is None:
            problems.append(
                f"{where}: PROBE_URL port {port} is not a port of the probe container"
            )
        status = url.path.rstrip("/") + "/status"
        if not serves_get(APPS["numbers-demo/probe"], status):
            problems.append(
                f"{where}: PROBE_URL gives GET {status}, which the probe does not serve"
            )
    return problems


def check_resources(objs: list[Obj]) -> list[str]:
    """cpu and memory requests and limits everywhere, each request within its limit."""
    problems = []
    for deployment, _, container in _workloads(objs):
        where = _where(deployment, container)
        resources = container.get("resources") or {}
        for resource in ("cpu", "memory"):
            values = {}
            for kind in ("requests", "limits"):
                raw = (resources.get(kind) or {}).get(resource)
                if raw is None:
                    problems.append(f"{where}: no {kind}.{resource}")
                    continue
                try:
                    values[kind] = parse_quantity(raw)
                except ValueError as error:
                    problems.append(f"{where}: {kind}.{resource}: {error}")
                    continue
                if values[kind] <= 0:
                    problems.append(f"{where}: {kind}.{resource} {raw} is not positive")
            if len(values) == 2 and values["requests"] > values["limits"]:
                problems.append(
                    f"{where}: requests.{resource} {resources['requests'][resource]} exceeds "
                    f"limits.{resource} {resources['limits'][resource]}"
                )
    return problems


def _effective(pod: Obj, container: Obj, key: str) -> Any:
    own = (container.get("securityContext") or {}).get(key)
    return own if own is not None else (pod.get("securityContext") or {}).get(key)


def _ping_range_problem(value: str, groups_by_container: Mapping[str, set[int]]) -> str | None:
    """Linux lets a process open a ping socket if its group or a supplementary one is in range."""
    try:
        low, high = (int(part) for part in value.split())
    except ValueError:
        return f"net.ipv4.ping_group_range {value!r} is not two group ids"
    left_out = sorted(
        name
        for name, groups in groups_by_container.items()
        if not any(low <= group <= high for group in groups)
    )
    if left_out:
        return (
            f"net.ipv4.ping_group_range {value!r} includes no group of container(s) {left_out}"
        )
    return None


def check_security(objs: list[Obj]) -> list[str]:
    """Non-root with numeric ids, no privilege, read-only root, seccomp, no token, no host."""
    problems = []
    for deployment in of_kind(objs, "Deployment"):
        pod = pod_spec(deployment)
        where = ref(deployment)
        pod_context = pod.get("securityContext") or {}
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(host):
                problems.append(f"{where}: {host} is true")
        fs_group = pod_context.get("fsGroup")
        if not isinstance(fs_group, int) or fs_group <= 0:
            problems.append(f"{where}: pod fsGroup {fs_group!r} is not a non-root group id")
        for volume in pod.get("volumes") or []:
            if "hostPath" in volume:
                problems.append(f"{where}: volume {volume.get('name')} is a hostPath")
        groups: dict[str, set[int]] = {}
        extra_groups = {fs_group, *(pod_context.get("supplementalGroups") or [])}
        for container in all_containers(pod):
            cwhere = _where(deployment, container)
            context = container.get("securityContext") or {}
            if _effective(pod, container, "runAsNonRoot") is not True:
                problems.append(f"{cwhere}: runAsNonRoot is not true")
            ids = {}
            for key in ("runAsUser", "runAsGroup"):
                value = _effective(pod, container, key)
                if not isinstance(value, int) or value <= 0:
                    problems.append(f"{cwhere}: {key} {value!r} is not a numeric non-root id")
                ids[key] = value
            groups[container.get("name", "?")] = {
                g for g in (ids["runAsGroup"], *extra_groups) if isinstance(g, int)
            }
            seccomp = (_effective(pod, container, "seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(
                    f"{cwhere}: seccompProfile {seccomp or 'unset'} is not RuntimeDefault"
                )
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{cwhere}: allowPrivilegeEscalation is not false")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{cwhere}: readOnlyRootFilesystem is not true")
            if context.get("privileged"):
                problems.append(f"{cwhere}: privileged")
            if context.get("procMount", "Default") != "Default":
                problems.append(f"{cwhere}: procMount {context['procMount']}")
            capabilities = context.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                problems.append(f"{cwhere}: capabilities do not drop ALL")
            if capabilities.get("add"):
                problems.append(f"{cwhere}: adds capabilities {capabilities['add']}")
            app = app_of(container)
            expected = image_user(app) if app is not None else None
            if expected is not None and (ids["runAsUser"], ids["runAsGroup"]) != expected:
                problems.append(
                    f"{cwhere}: runs as {ids['runAsUser']}:{ids['runAsGroup']}, but its image's "
                    f"Dockerfile says USER {expected[0]}:{expected[1]}"
                )
        for sysctl in pod_context.get("sysctls") or []:
            name, value = sysctl.get("name"), str(sysctl.get("value"))
            if name not in SAFE_SYSCTLS:
                problems.append(
                    f"{where}: sysctl {name} is not a safe sysctl; the kubelet refuses it"
                )
            elif name == "net.ipv4.ping_group_range":
                problem = _ping_range_problem(value, groups)
                if problem:
                    problems.append(f"{where}: {problem}, so ping cannot open its socket")
    return problems


def check_env(objs: list[Obj]) -> list[str]:
    """The programs accept their env, listen on their named port, and can write where they must."""
    problems = []
    for deployment, pod, container in _workloads(objs):
        app = app_of(container)
        if app is None:
            continue
        where = _where(deployment, container)
        environ = env_of(container)
        try:
            config = app.load_config(environ)
        except ValueError as error:
            problems.append(f"{where}: {app.name} would exit at start: {error}")
            continue
        declared = container_port([container], app.port_name)
        listens = config.server.port
        if declared is None:
            problems.append(f"{where}: no container port named {app.port_name}")
        elif declared.get("containerPort") != listens:
            problems.append(
                f"{where}: {app.name} listens on {listens} (PORT), but its port "
                f"{app.port_name} is {declared.get('containerPort')}"
            )
        if (container.get("securityContext") or {}).get("readOnlyRootFilesystem"):
            volumes = {v.get("name"): v for v in pod.get("volumes") or []}
            mounts = {
                m.get("mountPath", "").rstrip("/") or "/": m
                for m in container.get("volumeMounts") or []
            }
            for directory in app.writable_dirs(environ, config):
                mount = mounts.get(directory.rstrip("/") or "/")
                volume = volumes.get(mount.get("name")) if mount else None
                if mount is None or mount.get("readOnly") or volume is None or not (
                    "emptyDir" in volume or "ephemeral" in volume
                ):
                    problems.append(
                        f"{where}: {app.name} writes to {directory}, which is not a writable "
                        "volume on a read-only root filesystem"
                    )
    return problems


def check_shutdown(objs: list[Obj], margin: float = SHUTDOWN_MARGIN_SECONDS) -> list[str]:
    """The grace period covers each program's drain and graceful stop, with a margin."""
    problems = []
    for deployment, pod, container in _workloads(objs):
        app = app_of(container)
        if app is None:
            continue
        try:
            config = app.load_config(env_of(container))
        except ValueError:
            continue  # check_env reports it
        grace = pod.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
        needed = app.stop_seconds(config) + margin
        if grace < needed:
            problems.append(
                f"{_where(deployment, container)}: terminationGracePeriodSeconds {grace} is "
                f"less than {app.name}'s stop time {app.stop_seconds(config):g} s + {margin:g} s: "
                "the kubelet would SIGKILL it mid-drain"
            )
    return problems


def check_rollout(objs: list[Obj]) -> list[str]:
    """Rolling updates that never lower the number of ready pods."""
    problems = []
    for deployment in of_kind(objs, "Deployment"):
        strategy = deployment.get("spec", {}).get("strategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            problems.append(
                f"{ref(deployment)}: strategy {strategy.get('type')} stops every pod first"
            )
            continue
        rolling = strategy.get("rollingUpdate") or {}
        unavailable = rolling.get("maxUnavailable", "25% (the default)")
        if unavailable not in (0, "0%"):
            problems.append(
                f"{ref(deployment)}: maxUnavailable {unavailable} "
                "lets a rollout remove ready pods before new ones are ready"
            )
        if rolling.get("maxSurge", "25%") in (0, "0%"):
            problems.append(f"{ref(deployment)}: maxSurge 0 with maxUnavailable 0 cannot roll")
    return problems


def check_network_policy(
    objs: list[Obj], target: str = "numbers-api", clients: Mapping[str, str] | None = None
) -> list[str]:
    """Only the client Deployments' pods reach the target's pods, each on one named port.

    clients maps a Deployment name to the target container port name it may use; by default
    web may reach numbers-api on http.
    """
    clients = {"web": "http"} if clients is None else clients
    deployments = {name_of(d): d for d in of_kind(objs, "Deployment")}
    protected = deployments.get(target)
    if protected is None:
        return [f"no Deployment/{target}"]
    labels = pod_labels(protected)
    containers = all_containers(pod_spec(protected))
    policies = [
        p
        for p in of_kind(objs, "NetworkPolicy")
        if selector_matches(p.get("spec", {}).get("podSelector"), labels)
        and "Ingress" in (p.get("spec", {}).get("policyTypes") or ["Ingress"])
    ]
    if not policies:
        return [f"no NetworkPolicy isolates Deployment/{target}'s pods: every pod can reach them"]
    problems = []
    allowed: set[tuple[str, str]] = set()
    for policy in policies:
        for number, rule in enumerate(policy["spec"].get("ingress") or [], 1):
            where = f"{ref(policy)} ingress rule {number}"
            peers = rule.get("from") or []
            if not peers:
                problems.append(f"{where}: no `from`, so it allows every source")
            sources: set[str] = set()
            for peer in peers:
                if "ipBlock" in peer:
                    problems.append(f"{where}: allows IP block {peer['ipBlock'].get('cidr')}")
                if "namespaceSelector" in peer:
                    problems.append(f"{where}: a namespaceSelector allows pods of other namespaces")
                if "podSelector" in peer:
                    matched = {
                        name
                        for name, d in deployments.items()
                        if selector_matches(peer["podSelector"], pod_labels(d))
                    }
                    if not matched:
                        problems.append(
                            f"{where}: podSelector {peer['podSelector']} matches no "
                            "Deployment's pods"
                        )
                    for name in sorted(matched - set(clients)):
                        problems.append(f"{where}: allows the pods of Deployment/{name}")
                    sources |= matched & set(clients)
            ports = rule.get("ports") or []
            if not ports:
                problems.append(f"{where}: no `ports`, so it allows every port")
            for port in ports:
                protocol = port.get("protocol", "TCP")
                declared = container_port(containers, port.get("port"), protocol)
                if "endPort" in port:
                    problems.append(f"{where}: a port range (endPort) is wider than one port")
                if declared is None:
                    problems.append(
                        f"{where}: port {port.get('port')!r} ({protocol}) is not a container port "
                        f"of Deployment/{target}"
                    )
                    continue
                for source in sources:
                    if declared.get("name") == clients[source]:
                        allowed.add((source, clients[source]))
                    else:
                        problems.append(
                            f"{where}: allows Deployment/{source} on port "
                            f"{declared.get('name') or declared.get('containerPort')}, not only "
                            f"{clients[source]}"
                        )
    for source, port_name in sorted(clients.items()):
        if (source, port_name) not in allowed:
            problems.append(
                f"Deployment/{source}'s pods cannot reach Deployment/{target} on port {port_name}"
            )
    return problems


def check_labels(objs: list[Obj]) -> list[str]:
    """Recommended labels on every object; a Deployment's version label is its images' tag."""
    problems = []
    for obj in objs:
        labels = obj.get("metadata", {}).get("labels") or {}
        targets = [(ref(obj), labels)]
        if obj.get("kind") == "Deployment":
            targets.append((f"{ref(obj)} pod template", pod_labels(obj)))
        for where, found in targets:
            missing = [key for key in RECOMMENDED_LABELS if key not in found]
            if missing:
                problems.append(f"{where}: missing labels {missing}")
            elif found["app.kubernetes.io/part-of"] != PART_OF:
                problems.append(f"{where}: part-of is {found['app.kubernetes.io/part-of']!r}")
            if obj.get("kind") == "Deployment":
                tags = {image_parts(c.get("image", ""))[1] for c in all_containers(pod_spec(obj))}
                if len(tags) == 1 and found.get(VERSION_LABEL) not in tags:
                    problems.append(
                        f"{where}: {VERSION_LABEL} {found.get(VERSION_LABEL)!r} is not its "
                        f"image tag {tags.pop()!r}"
                    )
    return problems


def check_namespaces(objs: list[Obj]) -> list[str]:
    """No object names a namespace: each lands in the current one, the same for -f and -k."""
    return [
        f"{ref(obj)}: metadata.namespace {obj['metadata']['namespace']!r} pins it to one namespace"
        for obj in objs
        if obj.get("metadata", {}).get("namespace")
    ]


def check_kind_config(config: Obj, objs: list[Obj], version: str = KUBERNETES_VERSION) -> list[str]:
    """The node image is the validated Kubernetes version; web's NodePort reaches 127.0.0.1:8080."""
    problems = []
    nodes = config.get("nodes") or []
    if not nodes:
        problems.append("kind config: no nodes, so no pinned node image")
    for node in nodes:
        image = node.get("image", "")
        repository, tag, digest = image_parts(image)
        match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", tag or "")
        if repository != "kindest/node" or not match:
            problems.append(f"kind config: node image {image!r} is not a kindest/node:vX.Y.Z")
        elif f"{match.group(1)}.{match.group(2)}" != version:
            problems.append(
                f"kind config: node image {tag} is not Kubernetes {version}, the version "
                "the manifests are validated against"
            )
        if digest is None:
            problems.append(f"kind config: node image {image!r} is not pinned by digest")
    mappings = [m for node in nodes for m in node.get("extraPortMappings") or []]
    for service in of_kind(objs, "Service"):
        for port in service.get("spec", {}).get("ports") or []:
            node_port = port.get("nodePort")
            if node_port is None:
                continue
            mapped = [m for m in mappings if m.get("containerPort") == node_port]
            if not mapped:
                problems.append(f"kind config: {ref(service)} nodePort {node_port} is not mapped")
            for mapping in mapped:
                address = mapping.get("listenAddress", "0.0.0.0")
                if (address, mapping.get("hostPort")) != (KIND_HOST_ADDRESS, KIND_HOST_PORT):
                    problems.append(
                        f"kind config: nodePort {node_port} is published on "
                        f"{address}:{mapping.get('hostPort')}, not "
                        f"{KIND_HOST_ADDRESS}:{KIND_HOST_PORT}"
                    )
                if mapping.get("protocol", "TCP") != port.get("protocol", "TCP"):
                    problems.append(
                        f"kind config: nodePort {node_port} is mapped for another protocol"
                    )
    return problems


def check_folder_reads(folder: Path) -> list[str]:
    """`kubectl apply -f FOLDER/` reads exactly the folder's objects, no kustomization."""
    expected = sorted(
        f"{_kubectl_kind(obj)}/{name_of(obj)}" for obj in load_folder(folder)
        if obj.get("kind") != "Kustomization"
    )
    read = kubectl_reads(folder)
    problems = [
        f"kubectl apply -f {folder.name}/ would send {item}, which is not a Kubernetes object"
        for item in read
        if item.startswith("kustomization.")
    ]
    if [item for item in read if not item.startswith("kustomization.")] != expected:
        problems.append(f"kubectl apply -f {folder.name}/ reads {read}, expected {expected}")
    return problems


def _kubectl_kind(obj: Obj) -> str:
    """kind[.group] in lower case, as `kubectl -o name` prints it (core objects: no group)."""
    api_version = obj.get("apiVersion", "")
    kind = obj.get("kind", "").lower()
    return f"{kind}.{api_version.split('/')[0]}" if "/" in api_version else kind


def check_readme_paths(text: str, root: Path = ROOT) -> list[str]:
    """Every k8s/... path a document mentions exists."""
    problems = []
    for path in sorted(set(re.findall(r"\bk8s/[\w./-]*[\w/]", text))):
        if not (root / path).exists():
            problems.append(f"{path} is mentioned but does not exist")
    return problems


def all_problems(objs: list[Obj], version: str) -> list[str]:
    return [
        *check_services(objs),
        *check_probes(objs),
        *check_images(objs, version),
        *check_probe_url(objs),
        *check_resources(objs),
        *check_security(objs),
        *check_env(objs),
        *check_shutdown(objs),
        *check_rollout(objs),
        *check_network_policy(objs),
        *check_labels(objs),
        *check_namespaces(objs),
    ]
