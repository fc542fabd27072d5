"""DnsChecker against the real in-process DNS server: outcomes, addresses, search list, ndots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dns.message
import dns.rcode
import pytest
from dns_probe.config import Nameserver
from dns_probe.resolver import DnsChecker, answered_servfail
from dns_probe.results import DnsOutcome

from tests.support.dns_server import DNSServer

FQDN = "numbers-api.ns1.svc.cluster.local."
# Generous, so a loaded machine never turns an answer into a timeout; only the test that
# wants a timeout uses the short one, to stay fast.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.2


@pytest.fixture
def checker(dns_server: DNSServer, pod_resolv_conf: Path) -> DnsChecker:
    """Resolves like a pod in namespace ns1 whose cluster DNS is the in-process server."""
    return DnsChecker(
        resolv_conf=str(pod_resolv_conf),
        timeout_seconds=TIMEOUT,
        nameserver=Nameserver("127.0.0.1", dns_server.port),
    )


def test_check_reports_nxdomain_until_record_added(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    missing = checker("numbers-api")
    assert missing.outcome is DnsOutcome.NXDOMAIN
    assert missing.addresses == ()
    assert "numbers-api" in (missing.error or "")

    dns_server.add_a(FQDN, "10.96.0.20")
    found = checker("numbers-api")
    assert found.outcome is DnsOutcome.OK
    assert found.addresses == ("10.96.0.20",)
    assert found.resolved_name == FQDN
    assert found.error is None
    assert 0 <= found.latency_seconds < TIMEOUT


def test_check_returns_every_address_sorted_numerically(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.add_a(FQDN, "10.96.0.100", "10.96.0.9", "10.96.0.20")
    assert checker("numbers-api").addresses == ("10.96.0.9", "10.96.0.20", "10.96.0.100")


def test_check_sees_the_address_change_when_the_service_is_recreated(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.add_a(FQDN, "10.96.0.20")
    assert checker("numbers-api").addresses == ("10.96.0.20",)
    dns_server.set_a(FQDN, ["10.96.7.7"])
    assert checker("numbers-api").addresses == ("10.96.7.7",)


def test_check_reports_timeout_when_the_server_stops_answering(
    pod_resolv_conf: Path, dns_server: DNSServer
) -> None:
    checker = DnsChecker(
        resolv_conf=str(pod_resolv_conf),
        timeout_seconds=SHORT_TIMEOUT,
        nameserver=Nameserver("127.0.0.1", dns_server.port),
    )
    dns_server.add_a(FQDN, "10.96.0.20")
    dns_server.drop()
    result = checker("numbers-api")
    assert result.outcome is DnsOutcome.TIMEOUT
    # The lifetime bounds the lookup; dnspython may add one short retry backoff on top.
    assert SHORT_TIMEOUT * 0.9 <= result.latency_seconds < SHORT_TIMEOUT + 1.0
    assert dns_server.queries, "the query must have reached the server"

    dns_server.answer()
    assert checker("numbers-api").outcome is DnsOutcome.OK


def test_check_reports_servfail_when_the_server_answers_servfail(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.add_a(FQDN, "10.96.0.20")
    dns_server.servfail()
    result = checker("numbers-api")
    assert result.outcome is DnsOutcome.SERVFAIL
    assert "SERVFAIL" in (result.error or "")


def test_refused_answer_is_no_nameservers_not_servfail(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.refuse()
    result = checker("numbers-api")
    assert result.outcome is DnsOutcome.NO_NAMESERVERS
    assert "REFUSED" in (result.error or "")


def test_check_reports_no_answer_for_a_name_without_a_records(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.set_no_data(FQDN)
    result = checker("numbers-api")
    assert result.outcome is DnsOutcome.NO_ANSWER
    assert result.names_tried == (FQDN,)


@pytest.mark.parametrize(
    "resolv_conf_text",
    [
        pytest.param(None, id="resolv.conf missing"),
        pytest.param("search svc.cluster.local\noptions ndots:5\n", id="no nameserver line"),
    ],
)
def test_check_reports_no_nameservers_without_a_nameserver_to_ask(
    tmp_path: Path, resolv_conf_text: str | None
) -> None:
    path = tmp_path / "resolv.conf"
    if resolv_conf_text is not None:
        path.write_text(resolv_conf_text)
    result = DnsChecker(resolv_conf=str(path), timeout_seconds=TIMEOUT)("numbers-api")
    assert result.outcome is DnsOutcome.NO_NAMESERVERS
    assert result.error


def test_bare_name_resolves_through_the_search_list(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    dns_server.add_a(FQDN, "10.96.0.20")
    result = checker("numbers-api")
    assert result.outcome is DnsOutcome.OK
    assert [q.name for q in dns_server.queries] == [FQDN]


def test_nxdomain_tries_every_search_suffix_then_the_name_itself(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    expected = [
        "numbers-api.ns1.svc.cluster.local.",
        "numbers-api.svc.cluster.local.",
        "numbers-api.cluster.local.",
        "numbers-api.",
    ]
    result = checker("numbers-api")
    assert list(result.names_tried) == expected
    assert [q.name for q in dns_server.queries] == expected


@pytest.mark.parametrize(
    ("name", "ndots", "first_query"),
    [
        ("numbers-api", 5, "numbers-api.ns1.svc.cluster.local."),
        ("numbers-api", 1, "numbers-api.ns1.svc.cluster.local."),
        # Four dots are fewer than ndots:5, so even this name is searched first (the ndots trap).
        (FQDN[:-1], 5, FQDN[:-1] + ".ns1.svc.cluster.local."),
        (FQDN[:-1], 4, FQDN),
        (FQDN[:-1], 1, FQDN),
        (FQDN, 5, FQDN),
    ],
)
def test_ndots_decides_whether_the_name_is_tried_as_is_first(
    write_resolv_conf: Callable[..., Path],
    dns_server: DNSServer,
    name: str,
    ndots: int,
    first_query: str,
) -> None:
    checker = DnsChecker(
        resolv_conf=str(write_resolv_conf(ndots=ndots)),
        timeout_seconds=TIMEOUT,
        nameserver=Nameserver("127.0.0.1", dns_server.port),
    )
    result = checker(name)
    seen = [q.name for q in dns_server.queries]
    assert seen[0] == first_query
    # The order the probe reports is the order dnspython really used.
    assert checker.names_to_try(name) == seen
    assert list(result.names_tried) == seen


def test_override_replaces_nameservers_but_keeps_search_and_ndots(
    checker: DnsChecker, dns_server: DNSServer
) -> None:
    assert checker.describe() == {
        "resolv_conf": checker.describe()["resolv_conf"],
        "nameservers": [dns_server.nameserver],
        "search": ["ns1.svc.cluster.local.", "svc.cluster.local.", "cluster.local."],
        "ndots": 5,
    }


def test_override_works_without_any_resolv_conf(tmp_path: Path, dns_server: DNSServer) -> None:
    dns_server.add_a("numbers-api.default.svc.cluster.local", "10.96.0.20")
    checker = DnsChecker(
        resolv_conf=str(tmp_path / "absent"),
        timeout_seconds=TIMEOUT,
        nameserver=Nameserver("127.0.0.1", dns_server.port),
    )
    result = checker("numbers-api.default.svc.cluster.local.")
    assert result.outcome is DnsOutcome.OK


def test_resolv_conf_timeout_option_never_exceeds_the_probe_timeout(
    write_resolv_conf: Callable[..., Path],
) -> None:
    resolver = DnsChecker(
        resolv_conf=str(write_resolv_conf(options=("timeout:5",))),
        timeout_seconds=TIMEOUT,
    ).build_resolver()
    assert resolver.timeout == TIMEOUT
    assert resolver.lifetime == TIMEOUT
    assert resolver.use_search_by_default is True


def test_resolv_conf_is_reread_on_every_check(
    write_resolv_conf: Callable[..., Path], dns_server: DNSServer
) -> None:
    path = write_resolv_conf(search=("ns1.svc.cluster.local",))
    checker = DnsChecker(
        resolv_conf=str(path),
        timeout_seconds=TIMEOUT,
        nameserver=Nameserver("127.0.0.1", dns_server.port),
    )
    dns_server.add_a("numbers-api.ns2.svc.cluster.local", "10.96.0.30")
    assert checker("numbers-api").outcome is DnsOutcome.NXDOMAIN
    write_resolv_conf(search=("ns2.svc.cluster.local",))
    assert checker("numbers-api").addresses == ("10.96.0.30",)


def _response(rcode: dns.rcode.Rcode) -> dns.message.Message:
    response = dns.message.make_response(dns.message.make_query("numbers-api.", "A"))
    response.set_rcode(rcode)
    return response


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([], False),
        ([("127.0.0.1", False, 53, "SERVFAIL", _response(dns.rcode.SERVFAIL))], True),
        ([("127.0.0.1", False, 53, "REFUSED", _response(dns.rcode.REFUSED))], False),
        ([("127.0.0.1", False, 53, ConnectionRefusedError(), None)], False),
        (
            [
                ("10.0.0.1", False, 53, "REFUSED", _response(dns.rcode.REFUSED)),
                ("10.0.0.2", False, 53, "SERVFAIL", _response(dns.rcode.SERVFAIL)),
            ],
            True,
        ),
    ],
)
def test_servfail_is_told_apart_from_other_nameserver_failures(
    errors: list[tuple[object, ...]], expected: bool
) -> None:
    assert answered_servfail(errors) is expected
