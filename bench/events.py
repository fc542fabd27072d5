"""The chapter's events, timed: the scenario's own steps on its own Docker backend.

Nothing here re-implements the story: `scenario.steps` plays it and `scenario.load.SteadyLoad`
(inside the delete step) sends the requests. The bench only plays the delete step a second
time with SIGKILL instead of a graceful stop, and reads the figures the steps record.
"""

from __future__ import annotations

from scenario.docker_backend import DockerBackend
from scenario.steps import Settings, create_service, delete_pod, pods_without_service


class _KillingBackend:
    """The same backend, except that deleting a pod kills it (SIGKILL) instead of stopping it."""

    def __init__(self, backend: DockerBackend) -> None:
        self._backend = backend

    def __getattr__(self, name: str):
        return getattr(self._backend, name)

    def delete_pod(self, name: str, graceful: bool = True) -> str:
        return self._backend.delete_pod(name, graceful=False)


def measure(client, images: dict[str, str], rate: float, requests: int, say) -> dict:
    """Play: pods without a Service, create it, delete a pod gracefully, then kill one."""
    backend = DockerBackend(images, client=client)
    settings = Settings(load_rate=rate, min_requests_during_deletion=requests)
    def indent(line: str) -> None:
        say(f"  {line}")

    def killing(line: str) -> None:
        # The step's own words say "gracefully"; this run of it kills.
        say(f"  {line.replace('gracefully', 'with SIGKILL (docker kill)')}")

    figures: dict = {"run_id": backend.run_id, "rate": rate, "min_requests": requests}
    try:
        steps = {}
        steps["no_service"] = pods_without_service(backend, settings, indent)
        steps["create_service"] = create_service(backend, settings, indent)
        steps["delete_graceful"] = delete_pod(backend, settings, indent)
        steps["delete_sigkill"] = delete_pod(_KillingBackend(backend), settings, killing)
    finally:
        backend.cleanup()
    for key, step in steps.items():
        figures[key] = {"passed": step.passed, **_plain(step.figures)}
    return figures


def _plain(figures: dict) -> dict:
    """The step's figures without the bulky Service descriptions."""
    return {key: value for key, value in figures.items() if not key.startswith("service")}
