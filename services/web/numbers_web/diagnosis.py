"""What each failure kind means for a learner, and the command that shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    kind: str
    detail: str
    meaning: str
    try_command: str


def diagnose(
    kind: str, detail: str, host: str, budget_seconds: float, lookup_failed: bool = False
) -> Diagnosis:
    """Explain an UpstreamError's kind in the chapter's terms."""
    if kind == "dns" and lookup_failed:
        return Diagnosis(
            kind=kind,
            detail=detail,
            meaning=f"The name {host} could not be looked up: the cluster's DNS failed to "
            "answer (this is not about the Service existing).",
            try_command="kubectl get pods -n kube-system -l k8s-app=kube-dns",
        )
    meanings = {
        "dns": (
            f"The name {host} does not resolve: is there a Service named {host}?",
            f"kubectl get svc {host}",
        ),
        "connect": (
            f"The name {host} resolves, but nothing accepted the connection: the Service "
            "has no ready endpoints, or its selector matches no pods.",
            f"kubectl get endpoints {host}",
        ),
        "timeout": (
            f"No answer within {budget_seconds:g} s: the API pods may be overloaded or "
            "stuck, a NetworkPolicy may be dropping the traffic, or the name lookup itself "
            "got no answer from DNS.",
            "kubectl get pods -l app=numbers-api",
        ),
        "upstream_status": (
            "The API is reachable but answered with an error status: it is running but "
            "unhealthy (is its fault switch on?).",
            "kubectl logs -l app=numbers-api",
        ),
        "bad_response": (
            f"Something answered at {host}, but not with a number: does NUMBERS_API_URL "
            "point at numbers-api?",
            "kubectl get svc -o wide",
        ),
    }
    meaning, command = meanings[kind]
    return Diagnosis(kind=kind, detail=detail, meaning=meaning, try_command=command)
