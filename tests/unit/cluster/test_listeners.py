"""The check that the cluster listens only on loopback and the node's own address."""

import pytest

from tests.support.listeners import Listener, exposed, parse_ss

SS = """\
tcp LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:* users:(("etcd",pid=10,fd=8))
tcp LISTEN 0 4096 10.213.0.1:6443 0.0.0.0:* users:(("kube-apiserver",pid=11,fd=3))
udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("resolved",pid=12,fd=3))
tcp LISTEN 0 4096 [::1]:10248 [::]:* users:(("kubelet",pid=13,fd=20))
tcp LISTEN 0 4096 *:22 *:* users:(("sshd",pid=14,fd=3),("sshd",pid=15,fd=3))
"""
ALLOWED = ["127.0.0.0/8", "::1/128", "10.213.0.1/32"]


def test_ss_output_is_read_into_one_listener_per_process():
    listeners = parse_ss(SS)

    assert listeners[0] == Listener("etcd", 10, "127.0.0.1", 2379)
    assert Listener("resolved", 12, "127.0.0.53", 53) in listeners
    assert Listener("kubelet", 13, "::1", 10248) in listeners
    assert [entry.pid for entry in listeners if entry.process == "sshd"] == [14, 15]


def test_loopback_and_node_addresses_are_not_exposed():
    assert exposed(parse_ss(SS), {10, 11, 13}, ALLOWED) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('tcp LISTEN 0 1 0.0.0.0:10250 0.0.0.0:* users:(("kubelet",pid=13,fd=8))', "every address"),
        ('tcp LISTEN 0 1 [::]:6443 [::]:* users:(("kube-apiserver",pid=11,fd=3))', "every address"),
        ('tcp LISTEN 0 1 *:2379 *:* users:(("etcd",pid=10,fd=3))', "every address"),
        (
            'tcp LISTEN 0 1 192.0.2.2:6443 0.0.0.0:* users:(("kube-apiserver",pid=11,fd=3))',
            "192.0.2.2:6443",
        ),
    ],
    ids=["ipv4-wildcard", "ipv6-wildcard", "star", "the-real-interface"],
)
def test_a_cluster_socket_on_any_other_address_is_reported(line, problem):
    (found,) = exposed(parse_ss(SS + line), {10, 11, 13}, ALLOWED)

    assert problem in found


def test_other_processes_are_not_the_clusters_business():
    assert exposed(parse_ss(SS), {14, 15}, ALLOWED) == [
        "sshd listens on every address, port 22",
        "sshd listens on every address, port 22",
    ]
    assert exposed(parse_ss(SS), set(), ALLOWED) == []
