"""The chapter's steps, measured; backend-agnostic."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from service_runtime.testing import poll

from .backend import Backend
from .load import SteadyLoad

_SERVED_BY = re.compile(r'<code id="served-by">([^<]+)</code>')

Say = Callable[[str], None]


@dataclass
class Step:
    title: str
    passed: bool = False
    figures: dict = field(default_factory=dict)


@dataclass
class Settings:
    load_rate: float = 50.0
    min_requests_during_deletion: int = 1000
    min_requests_during_forced_deletion: int = 500
    # A forced deletion skips the drain: requests already sent to the pod may be lost.
    max_failed_fraction_when_forced: float = 0.01
    ready_timeout: float = 90.0
    recovery_timeout: float = 30.0


def get_json(url: str) -> tuple[int, dict]:
    """Status and JSON body, or (0, {"error": ...}) when nothing answered."""
    try:
        response = requests.get(url, timeout=5)
        return response.status_code, response.json()
    except (requests.RequestException, ValueError) as error:
        return 0, {"error": {"kind": "unreachable", "detail": str(error)}}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def web_number(backend: Backend) -> tuple[int, dict]:
    return get_json(f"{backend.web_url()}/api/number")


def pods_answering_clicks(web_url: str, clicks: int = 20, pace_seconds: float = 0.25) -> list[str]:
    """The API pod named in web's page after each click on Go!, clicked at a person's pace."""
    pods = []
    with requests.Session() as browser:
        for _ in range(clicks):
            html = browser.post(f"{web_url}/", timeout=10).text
            found = _SERVED_BY.search(html)
            pods.append(found.group(1) if found else "no number")
            time.sleep(pace_seconds)  # the pace of a person clicking, not a wait for anything
    return pods


def pods_answering_gets(web_url: str, gets: int = 20, pace_seconds: float = 0.25) -> list[str]:
    """The API pod named by web's /api/number for each GET, sent at a person's pace."""
    pods = []
    with requests.Session() as client:
        for _ in range(gets):
            answer = client.get(f"{web_url}/api/number", timeout=10)
            pods.append(answer.json().get("served_by", "no number"))
            time.sleep(pace_seconds)  # the pace of a person, not a wait for anything
    return pods


def spreading_problem(pods: list[str], most: float = 0.85) -> str | None:
    """What is wrong with how the answers were spread over the pods, or None if nothing is."""
    if not pods:
        return "no answers"
    if "no number" in pods:
        return f"{pods.count('no number')} of {len(pods)} gave no number"
    counts = Counter(pods)
    if len(counts) < 2:
        return f"all {len(pods)} answers came from {pods[0]}"
    pod, answers = counts.most_common(1)[0]
    if answers > most * len(pods):
        return f"{pod} served {answers} of {len(pods)}, more than {most:.0%}"
    return None


def probe_status(backend: Backend) -> dict:
    return get_json(f"{backend.probe_url()}/status")[1]


def pods_without_service(backend: Backend, settings: Settings, say: Say) -> Step:
    step = Step("Pods without a Service")
    say("Starting two numbers-api pods and the web pod with its DNS probe sidecar; no Service.")
    deployed_at = utc_now()
    backend.deploy_without_service()
    ready = poll(lambda: get_json(f"{backend.web_url()}/readyz")[0] == 200, settings.ready_timeout)
    status, body = web_number(backend)
    error = body.get("error", {})
    say(f"  web answers {status}: {error.get('kind')} - {error.get('detail')}")
    nxdomain = poll(
        lambda: probe_status(backend).get("failures_by_outcome", {}).get("nxdomain", 0) >= 2,
        settings.recovery_timeout,
    )
    probe = probe_status(backend)
    failures = {k: v for k, v in probe.get("failures_by_outcome", {}).items() if v}
    say(f"  probe: state {probe.get('state')}, failures so far {failures}")
    step.figures = {
        "deployed_at": deployed_at,
        "web_status": status,
        "web_error_kind": error.get("kind"),
        "web_error_detail": error.get("detail"),
        "probe_state": probe.get("state"),
        "probe_failures": failures,
    }
    step.passed = bool(ready) and status == 503 and error.get("kind") == "dns" and bool(nxdomain)
    return step


def create_service(backend: Backend, settings: Settings, say: Say) -> Step:
    step = Step(f"Create the {backend.service_word}")
    say(f"Creating the {backend.service_word} numbers-api.")
    started, created_at = time.monotonic(), utc_now()
    backend.create_service()
    created = time.monotonic()
    web_ok = poll(lambda: web_number(backend)[0] == 200, settings.recovery_timeout, 0.05)
    web_seconds = time.monotonic() - created
    probe_ok = poll(lambda: probe_status(backend).get("state") == "ok", settings.recovery_timeout)
    probe_seconds = time.monotonic() - created
    status, body = web_number(backend)
    probe = probe_status(backend)
    say(f"  web answered 200 {web_seconds:.2f} s after the {backend.service_word} appeared")
    last_check = probe.get("last_check") or {}
    say(f"  probe reported ok {probe_seconds:.2f} s after; numbers-api -> {probe.get('addresses')}")
    say(
        f"  the probe's lookup of numbers-api tried {last_check.get('names_tried')} "
        f"and resolved {last_check.get('resolved_name')}; "
        f"resolv.conf's search list makes it try {probe.get('names')} in that order"
    )
    step.figures = {
        "service_created_at": created_at,
        "create_seconds": round(created - started, 3),
        "seconds_to_web_200": round(web_seconds, 3),
        "seconds_to_probe_ok": round(probe_seconds, 3),
        "number": body.get("number"),
        "served_by": body.get("served_by"),
        "addresses": probe.get("addresses"),
        # The search list at work: the bare name, completed from the pod's resolv.conf.
        "probe_search_names": probe.get("names"),
        "probe_names_tried": last_check.get("names_tried"),
        "probe_resolved_name": last_check.get("resolved_name"),
        "service": backend.describe_service(),
    }
    step.passed = bool(web_ok) and bool(probe_ok) and status == 200
    return step


def delete_pods(backend: Backend, settings: Settings, say: Say) -> Step:
    """The chapter's `kubectl delete pod -l app=numbers-api`: every API pod at once, gracefully."""
    victims = backend.api_pods()
    say(
        f"Sending {settings.load_rate:g} requests/s to web; deleting every numbers-api pod at "
        f"once, as `kubectl delete pod -l app=numbers-api` does: {', '.join(victims)}."
    )
    step = _under_load(
        backend,
        settings,
        say,
        Step("Delete the pods"),
        delete=backend.delete_api_pods,
        min_requests=settings.min_requests_during_deletion,
    )
    step.figures["deleted_pods"] = victims
    step.passed = step.passed and step.figures["requests_failed"] == 0
    return step


def force_delete_pod(backend: Backend, settings: Settings, say: Say) -> Step:
    """One pod deleted with --grace-period=0 --force: no drain, so a few requests may fail."""
    victim = backend.api_pods()[0]
    say(
        f"Sending {settings.load_rate:g} requests/s to web; force-deleting {victim} "
        "(--grace-period=0 --force: no drain)."
    )
    step = _under_load(
        backend,
        settings,
        say,
        Step("Force-delete a pod"),
        delete=lambda: [backend.delete_pod(victim, graceful=False)],
        min_requests=settings.min_requests_during_forced_deletion,
    )
    step.figures["deleted_pods"] = [victim]
    failed, sent = step.figures["requests_failed"], step.figures["requests_sent"]
    step.figures["failed_percent"] = round(100 * failed / sent, 2) if sent else None
    step.passed = (
        step.passed and sent > 0 and failed <= sent * settings.max_failed_fraction_when_forced
    )
    return step


def _under_load(
    backend: Backend,
    settings: Settings,
    say: Say,
    step: Step,
    delete: Callable[[], list[str]],
    min_requests: int,
) -> Step:
    """Delete under a steady load through web and measure what it cost, before and after."""
    before = probe_status(backend).get("addresses", [])
    service_before = backend.describe_service()
    load = SteadyLoad(
        f"{backend.web_url()}/api/number",
        rate=settings.load_rate,
        max_requests=min_requests * 4,
        max_seconds=min_requests / settings.load_rate * 4 + 60,
    ).start()
    poll(lambda: load.sent() >= settings.load_rate * 2, 10)
    deleted_at = utc_now()
    replacements = delete()
    say(f"  deleted; the replacements {', '.join(replacements)} are ready")
    poll(lambda: load.sent() >= min_requests, min_requests / settings.load_rate * 2 + 30)
    result = load.stop()
    after = poll(lambda: _resolving(probe_status(backend)), settings.recovery_timeout) or []
    service_after = backend.describe_service()
    say(
        f"  {result.sent} requests sent, {result.failed} failed "
        f"(p99 {result.percentile(0.99) * 1000:.1f} ms); numbers-api -> {after}"
    )
    say(f"  {backend.service_word} before: {service_before}")
    say(f"  {backend.service_word} after:  {service_after}")
    step.figures = {
        "deletion_started_at": deleted_at,
        "replacement_pods": replacements,
        "requests_sent": result.sent,
        "requests_failed": result.failed,
        "failures_by_kind": dict(result.failures_by_kind),
        "first_failures": result.first_failures,
        "request_rate": round(result.rate, 1),
        "latency_p50_ms": round(result.percentile(0.5) * 1000, 2),
        "latency_p99_ms": round(result.percentile(0.99) * 1000, 2),
        "addresses_before": before,
        "addresses_after": after,
        "service_before": service_before,
        "service_after": service_after,
    }
    step.passed = result.sent >= min_requests and bool(after)
    return step


def _resolving(status: dict) -> list[str] | None:
    """The name's addresses while the probe says it resolves."""
    if status.get("state") == "ok" and status.get("addresses"):
        return status["addresses"]
    return None


def probe_timeline_svg(backend: Backend, window_seconds: int) -> str:
    """web's own picture of the probe's record, for the report; empty if it cannot be had."""
    window = min(max(window_seconds, 10), 3600)
    try:
        response = requests.get(
            f"{backend.web_url()}/probe/timeline.svg", params={"window": window}, timeout=5
        )
    except requests.RequestException:
        return ""
    return response.text if response.status_code == 200 else ""


def run_chapter(backend: Backend, settings: Settings, say: Say) -> list[Step]:
    """Play the steps in order; a failed step does not stop the story."""
    steps = []
    for play in (pods_without_service, create_service, delete_pods, force_delete_pod):
        step = play(backend, settings, say)
        say(f"{'PASS' if step.passed else 'FAIL'}: {step.title}\n")
        steps.append(step)
    return steps
