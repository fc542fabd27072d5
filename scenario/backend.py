"""What the scenario needs from a platform: Docker here, kubectl on a cluster."""

from __future__ import annotations

from typing import Protocol


class Backend(Protocol):
    """Runs the chapter's objects. URLs it hands out point at 127.0.0.1 published ports."""

    name: str
    #: what "the Service" is called on this platform, for the printed story
    service_word: str

    def deploy_without_service(self) -> None:
        """Start two API pods under no shared name, and the web pod with its probe sidecar."""

    def web_url(self) -> str:
        """Base URL of web, e.g. http://127.0.0.1:49153."""

    def probe_url(self) -> str:
        """Base URL of the probe sidecar inside the web pod."""

    def create_service(self) -> None:
        """Make the name numbers-api resolve to the API pods."""

    def api_pods(self) -> list[str]:
        """Names of the API pods currently running."""

    def delete_pod(self, name: str, graceful: bool = True) -> str:
        """Delete one API pod the way Kubernetes does; return the replacement's name once ready."""

    def delete_api_pods(self) -> list[str]:
        """Delete every API pod at once, as `kubectl delete pod -l app=numbers-api` does;
        return the replacements' names once they are ready."""

    def describe_service(self) -> dict:
        """The platform's own view of the Service: its address and endpoints, for the report."""

    def cleanup(self) -> None:
        """Remove everything this backend created; safe to call twice or after a failure."""
