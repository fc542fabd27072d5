"""The kubectl backend's reading of cluster objects, without a cluster."""

import json

import pytest

from scenario.kubectl_backend import (
    KubectlBackend,
    endpoints_from_slices,
    parse_forwarded_ports,
    running_pods,
)


def _pod(name, phase="Running", deleting=False):
    metadata = {"name": name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-11-26T10:00:00Z"
    return {"metadata": metadata, "status": {"phase": phase}}


def test_running_pods_leaves_out_pending_and_terminating_pods():
    pods = {
        "items": [
            _pod("numbers-api-b"),
            _pod("numbers-api-a"),
            _pod("numbers-api-new", phase="Pending"),
            _pod("numbers-api-old", deleting=True),
        ]
    }

    assert running_pods(pods) == ["numbers-api-a", "numbers-api-b"]


def test_endpoints_from_slices_lists_ready_pods_with_their_addresses():
    slices = {
        "items": [
            {
                "endpoints": [
                    {
                        "addresses": ["10.244.0.7"],
                        "conditions": {"ready": True},
                        "targetRef": {"kind": "Pod", "name": "numbers-api-x"},
                    },
                    {
                        "addresses": ["10.244.0.9"],
                        "conditions": {"ready": False},
                        "targetRef": {"kind": "Pod", "name": "numbers-api-draining"},
                    },
                ]
            },
            {"endpoints": None},
        ]
    }

    assert endpoints_from_slices(slices) == {"numbers-api-x": "10.244.0.7"}


def test_port_forward_output_maps_remote_to_local_ports():
    lines = [
        "Forwarding from 127.0.0.1:41234 -> 8080\n",
        "Forwarding from 127.0.0.1:41235 -> 9090\n",
        "Handling connection for 41234\n",
    ]

    assert parse_forwarded_ports(lines) == {8080: 41234, 9090: 41235}


class FakeKubectl:
    """Records each kubectl call and answers from canned output."""

    def __init__(self, answers):
        self.calls = []
        self.answers = answers

    def __call__(self, args):
        self.calls.append(list(args))
        for needle, answer in self.answers.items():
            if needle in " ".join(args):
                return answer() if callable(answer) else answer
        return ""


def test_create_service_applies_only_the_service_file_in_the_run_namespace():
    fake = FakeKubectl({})
    backend = KubectlBackend(context="kind-numbers-demo", namespace="ns-test", run=fake)

    backend.create_service()

    (call,) = fake.calls
    assert call[:5] == ["kubectl", "--context", "kind-numbers-demo", "--namespace", "ns-test"]
    assert call[5:7] == ["apply", "-f"]
    assert call[7].endswith("k8s/numbers-api/service.yaml")


def test_delete_pod_returns_the_replacement_that_was_not_there_before():
    listings = iter(
        [
            {"items": [_pod("api-a"), _pod("api-b")]},
            {"items": [_pod("api-b"), _pod("api-c"), _pod("api-a", deleting=True)]},
        ]
    )
    fake = FakeKubectl({"get pods": lambda: json.dumps(next(listings))})
    backend = KubectlBackend(namespace="ns-test", run=fake)

    replacement = backend.delete_pod("api-a")

    assert replacement == "api-c"
    assert fake.calls[1][3:] == ["delete", "pod", "api-a", "--wait=true"]


@pytest.mark.parametrize(
    ("graceful", "flags"),
    [(True, ["--wait=true"]), (False, ["--grace-period=0", "--force", "--wait=true"])],
)
def test_delete_pod_is_graceful_unless_asked_otherwise(graceful, flags):
    fake = FakeKubectl({"get pods": json.dumps({"items": []})})

    KubectlBackend(namespace="ns-test", run=fake).delete_pod("api-a", graceful=graceful)

    assert fake.calls[1][-len(flags) :] == flags


def test_describe_service_reports_cluster_ip_and_endpoints():
    fake = FakeKubectl(
        {
            "get service": json.dumps({"spec": {"clusterIP": "10.96.14.2"}}),
            "get endpointslices": json.dumps(
                {
                    "items": [
                        {
                            "endpoints": [
                                {"addresses": ["10.244.0.5"], "targetRef": {"name": "api-a"}}
                            ]
                        }
                    ]
                }
            ),
        }
    )

    described = KubectlBackend(namespace="ns-test", run=fake).describe_service()

    assert described["cluster_ip"] == "10.96.14.2"
    assert described["endpoints"] == {"api-a": "10.244.0.5"}


def test_delete_api_pods_is_the_chapters_label_selected_delete_and_returns_every_replacement():
    listings = iter(
        [
            {"items": [_pod("api-a"), _pod("api-b")]},
            {"items": [_pod("api-c"), _pod("api-d"), _pod("api-a", deleting=True)]},
        ]
    )
    fake = FakeKubectl({"get pods": lambda: json.dumps(next(listings))})
    backend = KubectlBackend(namespace="ns-test", run=fake)

    replacements = backend.delete_api_pods()

    assert replacements == ["api-c", "api-d"]
    assert fake.calls[1][3:] == ["delete", "pod", "-l", "app=numbers-api", "--wait=true"]


def test_a_kubeconfig_comes_before_the_context_on_every_call():
    fake = FakeKubectl({})
    backend = KubectlBackend(kubeconfig="/k/admin", context="c", namespace="ns", run=fake)

    backend.create_service()

    assert fake.calls[0][:7] == [
        "kubectl",
        "--kubeconfig",
        "/k/admin",
        "--context",
        "c",
        "--namespace",
        "ns",
    ]
