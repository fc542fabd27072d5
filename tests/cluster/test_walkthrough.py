"""k8s/README.md is the test: every command of its shell blocks, run in order on the cluster.

The commands run as written, in one bash, from the repository root, with KUBECONFIG set to
a private copy of the cluster's kubeconfig (the walk-through switches its namespace). Each
command has a check below, keyed by the command and the comment that says what it shows;
a command without a check, or a check whose command is gone, fails the test of the keys.
Queries are run again until they show what the comment says, with a deadline, as a reader
would re-run them; commands that change something run once.

The walk-through uses the namespace `numbers-demo` and web's NodePort 30080, so it waits
for any earlier run's namespace, and any other namespace holding that port, to be gone.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from service_runtime.testing import poll

from scenario.steps import spreading_problem
from tests.support.processes import ROOT
from tests.support.readme_shell import (
    Command,
    Result,
    Shell,
    private_kubeconfig,
    shell_commands,
    unmatched,
)

README = ROOT / "k8s" / "README.md"
NAMESPACE = "numbers-demo"
NODE_PORT = 30080
COMMANDS = shell_commands(README.read_text())
SETUP_SECTION = "Setting up"
WALKTHROUGH = [command for command in COMMANDS if command.section != SETUP_SECTION]


@dataclass
class Walk:
    """The shell, and what earlier commands showed that later ones are compared with."""

    shell: Shell
    kubectl: Callable[..., str]
    seen: dict = field(default_factory=dict)

    def until(
        self,
        command: Command,
        shows: Callable[[Result], bool],
        timeout: float = 60,
        interval: float = 1,
    ) -> Result:
        result = self.shell.until(command.text, shows, timeout, interval)
        assert shows(result), f"{command}\nshowed (exit {result.exit_code}):\n{result.output}"
        return result

    def once(self, command: Command, exit_code: int = 0) -> Result:
        result = self.shell.run(command.text, timeout=240)
        assert result.exit_code == exit_code, (
            f"{command}\nexited {result.exit_code}, not {exit_code}:\n{result.output}"
        )
        return result

    def cluster_ip(self, service: str) -> str:
        return self.kubectl("get", "service", service, "-o", "jsonpath={.spec.clusterIP}")

    def pod_ips(self, app: str) -> dict[str, str]:
        pods = json.loads(self.kubectl("get", "pods", "-l", f"app={app}", "-o", "json"))
        return {
            pod["metadata"]["name"]: pod["status"].get("podIP", "")
            for pod in pods["items"]
            if not pod["metadata"].get("deletionTimestamp")
        }


def _json(result: Result) -> dict:
    try:
        return json.loads(result.output)
    except ValueError:
        return {}


def _last_check(result: Result) -> dict:
    """The probe's /status: its latest check, with the outcome and the addresses."""
    return _json(result).get("last_check") or {}


def _answers_address(output: str, address: str) -> bool:
    return re.search(rf"^Address:\s*{re.escape(address)}$", output, re.M) is not None


def _slice_addresses(output: str) -> set[str]:
    # `kubectl get endpointslices`: NAME ADDRESSTYPE PORTS ENDPOINTS AGE
    rows = [line.split() for line in output.splitlines()[1:] if line.strip()]
    return {address for row in rows if len(row) >= 4 for address in row[3].split(",")}


# -- the checks, one per command of the README -------------------------------------------------

CHECKS: dict[tuple[str, str], Callable[[Walk, Command], None]] = {}


def check(text: str, comment: str = ""):
    def register(function):
        CHECKS[(text, comment)] = function
        return function

    return register


@check("make cluster-up")
@check('export KUBECONFIG="$(make -s cluster-kubeconfig)"')
def _setup_is_tested_apart(walk, command):
    raise AssertionError(
        "the setup block runs in test_the_setup_block_points_kubectl_at_the_own_cluster"
    )


@check(f"kubectl create namespace {NAMESPACE}")
@check(f"kubectl label namespace {NAMESPACE} pod-security.kubernetes.io/enforce=restricted")
@check("kubectl apply -f k8s/sleep/")
@check("kubectl apply -f k8s/numbers-api/deployment.yaml -f k8s/web/")
@check("kubectl apply -f k8s/numbers-api/service.yaml")
@check(
    "kubectl wait --for=condition=Available deployment/sleep-1 deployment/sleep-2 --timeout=120s"
)
@check("kubectl wait --for=condition=Ready pod -l app=sleep-2 --timeout=120s")
@check(
    "kubectl wait --for=condition=Available deployment/numbers-api deployment/web --timeout=180s"
)
@check("kubectl wait --for=condition=Available deployment/numbers-api --timeout=120s")
@check("kubectl rollout status deployment/numbers-api --timeout=180s")
def _succeeds(walk, command):
    walk.once(command)


@check(f"kubectl config set-context --current --namespace={NAMESPACE}")
@check("kubectl config set-context --current --namespace=default")
def _namespace_becomes_current(walk, command):
    walk.once(command)
    namespace = command.text.rsplit("--namespace=", 1)[1]
    result = walk.shell.run("kubectl config view --minify -o jsonpath='{..namespace}'")
    assert result.output.strip() == namespace, result.output


@check(
    "kubectl run unhardened --image=numbers-demo/sleep:0.1.0 -- sleep 1",
    'refused: violates PodSecurity "restricted:latest"',
)
def _unhardened_pod_refused(walk, command):
    result = walk.once(command, exit_code=1)
    assert 'violates PodSecurity "restricted:latest"' in result.output, result.output
    assert walk.kubectl("get", "pods", "-o", "name").count("unhardened") == 0


@check("kubectl get pods -l 'app in (sleep-1, sleep-2)' -o wide", "two pods, each with its own IP")
def _two_sleep_pods(walk, command):
    ips = {**walk.pod_ips("sleep-1"), **walk.pod_ips("sleep-2")}
    assert len(ips) == 2 and len(set(ips.values())) == 2, ips
    result = walk.until(command, lambda r: r.ok and all(ip in r.output for ip in ips.values()))
    assert result.output.count("Running") == 2, result.output
    walk.seen["sleep-2 pod IP"] = next(iter(walk.pod_ips("sleep-2").values()))


@check(
    'kubectl exec deploy/sleep-1 -- ping -c 2 -W 2 "$(kubectl get pod -l app=sleep-2 -o '
    "jsonpath='{.items[0].status.podIP}')\"",
    "replies from sleep-2's pod",
)
def _pod_ip_answers_ping(walk, command):
    ip = walk.seen["sleep-2 pod IP"]
    walk.until(command, lambda r: r.ok and "2 received" in r.output and ip in r.output, 20)


@check("kubectl get service sleep-2", "a ClusterIP of its own")
def _sleep_2_cluster_ip(walk, command):
    cluster_ip = walk.cluster_ip("sleep-2")
    assert ipaddress.ip_address(cluster_ip), cluster_ip
    walk.until(command, lambda r: r.ok and "ClusterIP" in r.output and cluster_ip in r.output)
    walk.seen["sleep-2 ClusterIP"] = cluster_ip


@check("kubectl exec deploy/sleep-1 -- nslookup sleep-2", "the name gives that ClusterIP")
@check("kubectl exec deploy/sleep-1 -- nslookup sleep-2", "the same ClusterIP as before")
def _sleep_2_resolves_to_its_cluster_ip(walk, command):
    cluster_ip = walk.seen["sleep-2 ClusterIP"]
    assert walk.cluster_ip("sleep-2") == cluster_ip
    walk.until(command, lambda r: r.ok and _answers_address(r.output, cluster_ip), 30)


@check(
    "kubectl exec deploy/sleep-1 -- ping -c 2 -W 2 sleep-2", "the ClusterIP, then 100% packet loss"
)
def _cluster_ip_answers_no_ping(walk, command):
    result = walk.once(command, exit_code=1)
    assert f"({walk.seen['sleep-2 ClusterIP']})" in result.output, result.output
    assert "100% packet loss" in result.output, result.output


@check(
    "kubectl exec deploy/sleep-1 -- wget -O- -T 2 -t 1 http://sleep-2",
    "reaches the pod: connection refused",
)
def _sleep_2_refuses(walk, command):
    # GNU wget exits 4 on a network failure.
    result = walk.once(command, exit_code=4)
    assert f"|{walk.seen['sleep-2 ClusterIP']}|:80... failed: Connection refused" in result.output


@check("kubectl delete pod -l app=sleep-2", "its Deployment starts another")
def _sleep_2_deleted(walk, command):
    result = walk.once(command)
    assert "deleted" in result.output, result.output


@check("kubectl get pods -l app=sleep-2 -o wide", "a new pod, with a new IP")
def _sleep_2_has_a_new_ip(walk, command):
    old = walk.seen["sleep-2 pod IP"]
    (new,) = walk.pod_ips("sleep-2").values()
    assert new and new != old, (old, new)
    walk.until(command, lambda r: r.ok and new in r.output and "Running" in r.output)


@check("kubectl get pods -l app=numbers-api", "two pods, Running")
def _two_api_pods(walk, command):
    walk.until(command, lambda r: r.ok and r.output.count("Running") == 2)


@check("kubectl port-forward deploy/web 8088:8080 9090:9090 &", "web and its probe on 127.0.0.1")
def _port_forward(walk, command):
    walk.once(command)
    number = walk.shell.commands_run
    assert poll(lambda: walk.shell.output_of(number).count("Forwarding from 127.0.0.1") == 2, 30), (
        walk.shell.output_of(number)
    )


@check("curl -s http://127.0.0.1:8088/api/number", '503, an error of kind "dns"')
def _web_says_dns(walk, command):
    result = walk.until(command, lambda r: _json(r).get("error", {}).get("kind") == "dns")
    assert _json(result)["error"]["kind"] == "dns", result.output


@check("kubectl logs deploy/web -c probe", "the probe's lookups: nxdomain")
def _probe_logs_nxdomain(walk, command):
    walk.until(command, lambda r: r.ok and "nxdomain" in r.output)


@check("curl -s http://127.0.0.1:9090/status", "the probe's last outcome: nxdomain")
def _probe_status_nxdomain(walk, command):
    walk.until(command, lambda r: _last_check(r).get("outcome") == "nxdomain")


@check("kubectl get service numbers-api", "type ClusterIP, port 80")
def _api_service(walk, command):
    cluster_ip = walk.cluster_ip("numbers-api")
    walk.seen["numbers-api ClusterIP"] = cluster_ip
    walk.until(
        command,
        lambda r: (
            r.ok and re.search(rf"ClusterIP\s+{re.escape(cluster_ip)}\s+\S+\s+80/TCP", r.output)
        ),
    )


@check(
    "kubectl get endpointslices -l kubernetes.io/service-name=numbers-api",
    "the two pods' IPs, port 8080",
)
def _slices_list_the_pods(walk, command):
    ips = set(walk.pod_ips("numbers-api").values())
    result = walk.until(command, lambda r: r.ok and _slice_addresses(r.output) == ips)
    assert "8080" in result.output, result.output
    walk.seen["numbers-api pod IPs"] = ips


@check("kubectl exec deploy/sleep-1 -- nslookup numbers-api", "numbers-api's ClusterIP")
def _api_resolves(walk, command):
    walk.until(
        command, lambda r: r.ok and _answers_address(r.output, walk.seen["numbers-api ClusterIP"])
    )


@check("curl -s http://127.0.0.1:8088/api/number", "a number, and the pod that served it")
def _web_gives_numbers(walk, command):
    pods = walk.pod_ips("numbers-api")
    result = walk.until(command, lambda r: isinstance(_json(r).get("number"), int))
    assert _json(result)["served_by"] in pods, (result.output, pods)


@check(
    "for i in $(seq 20); do curl -s http://127.0.0.1:8088/api/number; echo; sleep 0.25; done"
    " | grep -o 'numbers-api-[a-z0-9-]*' | sort | uniq -c",
    "both pods, neither more than 17 of 20",
)
def _clicks_spread_over_both_pods(walk, command):
    pods = walk.pod_ips("numbers-api")
    tally = [line.split() for line in walk.once(command).output.splitlines() if line.strip()]
    answers = [pod for count, pod in tally for _ in range(int(count))]
    assert len(answers) == 20, tally
    assert spreading_problem(answers) is None, tally
    assert {pod for _, pod in tally} <= set(pods), (tally, pods)


@check("curl -s http://127.0.0.1:9090/status", "the probe resolves the name to the ClusterIP")
def _probe_resolves(walk, command):
    cluster_ip = walk.seen["numbers-api ClusterIP"]
    walk.until(command, lambda r: _last_check(r).get("addresses") == [cluster_ip], 30)


@check("kubectl delete pod -l app=numbers-api", "both pods at once")
def _api_pods_deleted(walk, command):
    walk.seen["numbers-api pods before"] = set(walk.pod_ips("numbers-api"))
    result = walk.once(command)
    assert result.output.count("deleted") == 2, result.output


@check("kubectl get endpointslices -l kubernetes.io/service-name=numbers-api", "the new pods' IPs")
def _slices_follow(walk, command):
    new = walk.pod_ips("numbers-api")
    assert not set(new) & walk.seen["numbers-api pods before"], new
    walk.until(command, lambda r: r.ok and _slice_addresses(r.output) == set(new.values()))
    assert not set(new.values()) & walk.seen["numbers-api pod IPs"]
    assert walk.cluster_ip("numbers-api") == walk.seen["numbers-api ClusterIP"]


@check("curl -s http://127.0.0.1:8088/api/number", "a number, from a new pod")
def _numbers_from_new_pods(walk, command):
    new = walk.pod_ips("numbers-api")
    walk.until(command, lambda r: _json(r).get("served_by") in new)


@check("kubectl exec deploy/sleep-1 -- wget -qO- -T 2 -t 1 http://numbers-api/rng", "a number")
def _sleep_gets_a_number(walk, command):
    walk.until(command, lambda r: r.ok and r.output.strip().isdigit())


@check("kubectl apply -f k8s/numbers-api/networkpolicy.yaml")
def _policy_applied(walk, command):
    result = walk.once(command)
    assert "networkpolicy.networking.k8s.io/numbers-api created" in result.output, result.output


@check(
    "kubectl exec deploy/sleep-1 -- wget -qO- -T 2 -t 1 http://numbers-api/rng",
    "no number: refused, or timed out",
)
def _sleep_gets_none(walk, command):
    result = walk.until(command, lambda r: not r.ok, 30)
    assert not re.search(r"^\d+$", result.output, re.M), result.output


@check("curl -s http://127.0.0.1:8088/api/number", "web still gets numbers")
def _web_still_gets_numbers(walk, command):
    for _ in range(3):
        result = walk.until(command, lambda r: isinstance(_json(r).get("number"), int), 10)
        assert _json(result)["served_by"], result.output


@check(
    "kubectl set env deployment/numbers-api FAIL_AFTER_CALLS=5",
    "new pods: /rng fails after 5 calls",
)
def _arm_fault_switch(walk, command):
    walk.seen["numbers-api pods before"] = set(walk.pod_ips("numbers-api"))
    walk.once(command)


@check("curl -s http://127.0.0.1:8088/api/number", 'after a few numbers, "upstream_status" errors')
def _fault_trips(walk, command):
    pods = walk.pod_ips("numbers-api")
    assert not set(pods) & walk.seen["numbers-api pods before"], pods
    kind = lambda r: _json(r).get("error", {}).get("kind")  # noqa: E731
    walk.until(command, lambda r: kind(r) == "upstream_status", 60, interval=0.2)


@check("kubectl get pods -l app=numbers-api", "RESTARTS 1 for that pod, within about 30 s")
def _liveness_restarts(walk, command):
    # NAME READY STATUS RESTARTS AGE; RESTARTS may read "1 (5s ago)".
    restarts = lambda r: [int(row.split()[3]) for row in r.output.splitlines()[1:] if row.strip()]  # noqa: E731
    walk.until(command, lambda r: r.ok and 1 in restarts(r), 90, interval=2)


@check("curl -s http://127.0.0.1:8088/api/number", "numbers again; nobody called /reset")
def _numbers_after_restart(walk, command):
    walk.until(command, lambda r: isinstance(_json(r).get("number"), int), 60, interval=0.5)


@check(
    "kubectl set env deployment/numbers-api FAIL_AFTER_CALLS-",
    "another rolling update: the switch is off",
)
def _disarm_fault_switch(walk, command):
    walk.once(command)
    env = walk.kubectl("get", "deployment", "numbers-api", "-o", "jsonpath={..env[*].name}")
    assert "FAIL_AFTER_CALLS" not in env.split(), env


@check("kubectl apply -k k8s/", "numbers-api, web and sleep, as they are")
def _apply_everything(walk, command):
    result = walk.once(command)
    names = re.findall(r"^(\S+) (?:unchanged|configured|created)$", result.output, re.M)
    assert len(names) == 8, result.output


@check("kubectl apply -f k8s/extras/", "numbers-api-headless, numbers-api-external")
def _apply_extras(walk, command):
    result = walk.once(command)
    assert "service/numbers-api-headless created" in result.output, result.output
    assert "service/numbers-api-external created" in result.output, result.output


@check(
    "kubectl exec deploy/sleep-1 -- nslookup numbers-api-headless",
    "the endpoint's own address, 192.0.2.10",
)
def _headless_answers_its_endpoint(walk, command):
    assert walk.cluster_ip("numbers-api-headless") == "None"
    # Resolved only: 192.0.2.10 is a documentation address, and nothing may be sent to it.
    walk.until(command, lambda r: r.ok and _answers_address(r.output, "192.0.2.10"), 30)


@check(
    "kubectl exec deploy/sleep-1 -- nslookup numbers-api-external",
    "a CNAME: canonical name = example.com",
)
def _external_name_is_a_cname(walk, command):
    # Without internet access nslookup then fails to find example.com itself: exit 1.
    walk.until(command, lambda r: "canonical name = example.com." in r.output, 30)


@check("kill %1", "stops the port-forward")
def _port_forward_stops(walk, command):
    walk.once(command)
    running = walk.shell.until("jobs -r | wc -l", lambda r: r.output.strip() == "0", 10, 0.2)
    assert running.output.strip() == "0", f"the port-forward still runs: {running.output}"


@check("kubectl delete -f k8s/extras/ ; kubectl delete -k k8s/")
def _everything_deleted(walk, command):
    walk.once(command)
    left = walk.kubectl("get", "deployments,services,networkpolicies", "-o", "name")
    assert left.strip() == "", left


@check(f"kubectl delete namespace {NAMESPACE}")
def _namespace_deleted(walk, command):
    walk.once(command)
    # kubectl delete waits for the namespace to be gone, with everything in it.
    result = walk.shell.run(f"kubectl get namespace {NAMESPACE}")
    assert result.exit_code == 1 and "NotFound" in result.output, result.output


# -- the tests ----------------------------------------------------------------------------------


def test_every_readme_command_has_a_check_and_every_check_a_command():
    unchecked, stale = unmatched(COMMANDS, set(CHECKS))
    assert not unchecked, f"README commands no test runs: {unchecked}"
    assert not stale, f"checks of commands the README no longer has: {stale}"


@pytest.fixture(scope="module")
def walk(cluster, free_node_port, tmp_path_factory):
    # An earlier run's namespace, or another test's web Service, would hold the names or the port.
    cluster.kubectl(
        "delete", "namespace", NAMESPACE, "--ignore-not-found", "--timeout=180s", timeout=200
    )
    free_node_port(NODE_PORT)
    kubeconfig = private_kubeconfig(
        cluster.kubeconfig, cluster.context, tmp_path_factory.mktemp("kube")
    )
    environ = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    shell = Shell(ROOT, environ)

    def kubectl(*args, **kwargs):
        return cluster.kubectl("--namespace", NAMESPACE, *args, **kwargs)

    outcomes: dict[int, str | None] = {}
    walk = Walk(shell, kubectl)
    try:
        for index, command in enumerate(WALKTHROUGH):
            try:
                CHECKS[command.key](walk, command)
            except Exception as error:  # each command's failure is its own test's
                outcomes[index] = f"{command}\n{type(error).__name__}: {error}"
                break
            outcomes[index] = None
        yield outcomes
    finally:
        shell.close()
        cluster.kubectl(
            "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false", check=False
        )


@pytest.mark.cluster
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("index", range(len(WALKTHROUGH)), ids=[str(c) for c in WALKTHROUGH])
def test_readme_command_shows_what_it_says(walk, index):
    outcome = walk.get(index, "not reached")
    if outcome == "not reached":
        failed = next(i for i, o in walk.items() if o)
        pytest.fail(f"not reached: command {failed + 1} failed first ({WALKTHROUGH[failed]})")
    assert outcome is None, outcome


@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_the_setup_block_points_kubectl_at_the_own_cluster(own_cluster):
    setup = [command.text for command in COMMANDS if command.section == SETUP_SECTION]
    assert setup == ["make cluster-up", 'export KUBECONFIG="$(make -s cluster-kubeconfig)"']
    shell = Shell(ROOT, {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}, timeout=540)
    try:
        for text in setup:
            result = shell.run(text)
            assert result.ok, f"{text}\n{result.output}"
        nodes = shell.run("kubectl get nodes -o name; echo $KUBECONFIG")
        assert nodes.ok and nodes.output.split() == [
            "node/numbers-demo",
            str(Path(own_cluster.kubeconfig)),
        ], nodes.output
    finally:
        shell.close()
