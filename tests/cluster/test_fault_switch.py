"""The fault switch on Kubernetes: a tripped API fails its liveness probe and the kubelet
restarts it, so web gets numbers again without anyone calling /reset.

With FAIL_AFTER_CALLS=5 each API pod answers /rng with 500 after five calls, and /healthz
too. Its liveness probe (every 10 s, 3 failures) then fails for 20 to 30 s, the kubelet
restarts the container, and the count starts again from zero.
"""

import json
import time

import pytest
from service_runtime.testing import poll

from scenario.steps import get_json, web_number

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]


def _restarts(backend) -> dict[str, int]:
    pods = json.loads(backend.kubectl("get", "pods", "-l", "app=numbers-api", "-o", "json"))
    return {
        pod["metadata"]["name"]: sum(c["restartCount"] for c in pod["status"]["containerStatuses"])
        for pod in pods["items"]
        if not pod["metadata"].get("deletionTimestamp")
    }


def test_a_tripped_api_is_restarted_by_its_liveness_probe_and_web_recovers(chapter_pods):
    backend = chapter_pods
    backend.kubectl("set", "env", "deployment/numbers-api", "FAIL_AFTER_CALLS=5")
    backend.kubectl("rollout", "status", "deployment/numbers-api", "--timeout=180s")
    before = _restarts(backend)
    assert len(before) == 2 and set(before.values()) == {0}, before
    # web's kept-alive connections reach the old pods until those stop, seconds later.
    assert poll(lambda: web_number(backend)[1].get("served_by") in before, 60, 0.5)

    # Twenty calls through web trip the pod web's pooled connection goes to (kube-proxy
    # chooses a pod per connection, so one kept-alive connection keeps to one pod).
    answers = [web_number(backend) for _ in range(20)]
    tripped_at = time.monotonic()
    kinds = {body.get("error", {}).get("kind") for status, body in answers if status != 200}
    assert "upstream_status" in kinds, answers
    assert get_json(f"{backend.web_url()}/healthz")[0] == 200  # web's liveness stays out of it

    restarted = poll(lambda: any(_restarts(backend).values()) and _restarts(backend), 90, 1)
    assert restarted, f"no restart within 90 s of the trip: {_restarts(backend)}"
    seconds = time.monotonic() - tripped_at
    # Three failed probes ten seconds apart: at least 20 s, at most about 30 s and a restart.
    assert 15 <= seconds <= 60, (seconds, restarted)
    print(f"restarted {seconds:.1f} s after the trip: {restarted}")
    # Nobody called /reset: the restart alone brings the numbers back.
    assert poll(lambda: web_number(backend)[0] == 200, 30, 0.5)
