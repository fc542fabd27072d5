"""A rolling update of numbers-api under 50 requests/s through web costs no request.

Changing the pod template (here one env var) replaces every API pod. The Deployment starts a
new pod before it stops an old one (`maxUnavailable: 0`), sends traffic to it only once its
readiness probe passes, and each old pod drains: it answers for SHUTDOWN_DELAY_SECONDS while
kube-proxy takes it out of the Service, then stops gracefully.
"""

import json

import pytest
from service_runtime.testing import poll

from scenario.load import SteadyLoad

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

RATE = 50
MIN_REQUESTS = 1000


def _template_env(backend) -> dict[str, str]:
    deployment = json.loads(backend.kubectl("get", "deployment", "numbers-api", "-o", "json"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def test_a_rolling_update_under_50_requests_a_second_fails_none(chapter_pods):
    backend = chapter_pods
    before = set(backend.api_pods())
    assert len(before) == 2, before

    load = SteadyLoad(
        f"{backend.web_url()}/api/number",
        rate=RATE,
        max_requests=MIN_REQUESTS * 4,
        max_seconds=MIN_REQUESTS / RATE * 4 + 60,
    ).start()
    assert poll(lambda: load.sent() >= RATE * 2, 10), "the load did not start"
    backend.kubectl("set", "env", "deployment/numbers-api", "GUNICORN_THREADS=8")
    backend.kubectl("rollout", "status", "deployment/numbers-api", "--timeout=180s")
    # Past the rollout by the old pods' drain and then some, to see any late failure.
    assert poll(lambda: load.sent() >= MIN_REQUESTS, MIN_REQUESTS / RATE * 2 + 30)
    result = load.stop()

    after = set(backend.api_pods())
    assert _template_env(backend)["GUNICORN_THREADS"] == "8"
    assert len(after) == 2 and not after & before, (before, after)
    assert result.sent >= MIN_REQUESTS
    assert result.rate <= RATE + 1
    assert result.failed == 0, dict(result.failures_by_kind)
    print(
        f"{result.sent} requests at {result.rate:.1f}/s, "
        f"p99 {result.percentile(0.99) * 1000:.1f} ms"
    )
