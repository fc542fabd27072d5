"""The chapter's events, timed: the scenario's own steps on its own Docker backend.

Nothing here re-implements the story: `scenario.steps` plays it and `scenario.load.SteadyLoad`
(inside the deletion steps) sends the requests. The bench reads the figures the steps record.
"""

from __future__ import annotations

from scenario.docker_backend import DockerBackend
from scenario.steps import (
    Settings,
    create_service,
    delete_pods,
    force_delete_pod,
    pods_without_service,
)


def measure(client, images: dict[str, str], rate: float, requests: int, say) -> dict:
    """Play: pods without a Service, create it, delete every pod gracefully, then kill one."""
    backend = DockerBackend(images, client=client)
    settings = Settings(
        load_rate=rate,
        min_requests_during_deletion=requests,
        min_requests_during_forced_deletion=requests,
    )

    def indent(line: str) -> None:
        say(f"  {line}")

    figures: dict = {"run_id": backend.run_id, "rate": rate, "min_requests": requests}
    try:
        steps = {}
        steps["no_service"] = pods_without_service(backend, settings, indent)
        steps["create_service"] = create_service(backend, settings, indent)
        steps["delete_graceful"] = delete_pods(backend, settings, indent)
        steps["delete_sigkill"] = force_delete_pod(backend, settings, indent)
    finally:
        backend.cleanup()
    for key, step in steps.items():
        figures[key] = {"passed": step.passed, **_plain(step.figures)}
    return figures


def _plain(figures: dict) -> dict:
    """The step's figures without the bulky Service descriptions."""
    return {key: value for key, value in figures.items() if not key.startswith("service")}
