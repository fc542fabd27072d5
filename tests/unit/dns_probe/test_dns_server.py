"""The test DNS server itself (tests/support/dns_server.py), over real UDP and TCP."""

from __future__ import annotations

import socket

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from tests.support.dns_server import DNSServer, Mode, Query

NAME = "numbers-api.ns1.svc.cluster.local."


def ask(server: DNSServer, name: str = NAME, rdtype: str = "A", *, tcp: bool = False):
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=1.0)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_answers_added_records_over_udp_and_tcp(dns_server: DNSServer, tcp: bool) -> None:
    dns_server.add_a(NAME, "10.96.0.20")
    dns_server.add_a(NAME, "10.96.0.21")
    response = ask(dns_server, tcp=tcp)
    assert response.rcode() == dns.rcode.NOERROR
    assert sorted(rdata.address for rdata in response.answer[0]) == ["10.96.0.20", "10.96.0.21"]
    assert dns_server.queries == [Query(NAME, "A", "tcp" if tcp else "udp")]


def test_names_match_with_or_without_the_final_dot_and_in_any_case(
    dns_server: DNSServer,
) -> None:
    dns_server.add_a(NAME.rstrip("."), "10.96.0.20")
    assert ask(dns_server, NAME.upper()).rcode() == dns.rcode.NOERROR


def test_unknown_removed_and_no_data_names(dns_server: DNSServer) -> None:
    assert ask(dns_server).rcode() == dns.rcode.NXDOMAIN
    dns_server.set_a(NAME, ["10.96.0.20"])
    dns_server.remove(NAME)
    assert ask(dns_server).rcode() == dns.rcode.NXDOMAIN
    dns_server.set_no_data(NAME)
    response = ask(dns_server)
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


def test_other_types_of_a_known_name_get_an_empty_answer(dns_server: DNSServer) -> None:
    dns_server.add_a(NAME, "10.96.0.20")
    response = ask(dns_server, rdtype="AAAA")
    assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, [])


@pytest.mark.parametrize(
    ("mode", "rcode"), [(Mode.SERVFAIL, dns.rcode.SERVFAIL), (Mode.REFUSED, dns.rcode.REFUSED)]
)
def test_failure_modes_answer_every_query_with_their_rcode(
    dns_server: DNSServer, mode: Mode, rcode: dns.rcode.Rcode
) -> None:
    dns_server.add_a(NAME, "10.96.0.20")
    dns_server.set_mode(mode)
    assert ask(dns_server).rcode() == rcode
    dns_server.answer()
    assert ask(dns_server).rcode() == dns.rcode.NOERROR


def test_drop_mode_reads_queries_but_never_answers(dns_server: DNSServer) -> None:
    dns_server.drop()
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(dns.message.make_query(NAME, "A"), dns_server.host, port=dns_server.port,
                      timeout=0.1)  # fmt: skip
    assert dns_server.mode is Mode.DROP
    assert [q.name for q in dns_server.queries] == [NAME]


def test_reset_forgets_records_queries_and_mode(dns_server: DNSServer) -> None:
    dns_server.add_a(NAME, "10.96.0.20")
    dns_server.servfail()
    ask(dns_server)
    dns_server.reset()
    assert dns_server.queries == []
    assert dns_server.mode is Mode.ANSWER
    assert ask(dns_server).rcode() == dns.rcode.NXDOMAIN


def test_nameserver_is_host_colon_port_on_loopback(dns_server: DNSServer) -> None:
    assert dns_server.nameserver == f"127.0.0.1:{dns_server.port}"
    assert dns_server.address == ("127.0.0.1", dns_server.port)
    assert dns_server.port > 0


def test_stop_is_idempotent_and_frees_the_port() -> None:
    server = DNSServer().start()
    server.stop()
    server.stop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", server.port))
