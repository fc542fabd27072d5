"""One A lookup of the target, resolved like the pod's own programs do, mapped to a DnsOutcome.

resolv.conf is read on every check (it is tiny) so a file that changes or appears later is
picked up, the way glibc notices a changed resolv.conf.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.resolver

from .config import Nameserver
from .results import DnsOutcome, DnsResult

MAX_ERROR_LENGTH = 500


class DnsChecker:
    """Callable that resolves a name to a DnsResult; build one per probe and call it every round."""

    def __init__(
        self,
        *,
        resolv_conf: str,
        timeout_seconds: float,
        nameserver: Nameserver | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolv_conf = resolv_conf
        self._timeout = timeout_seconds
        self._nameserver = nameserver
        self._monotonic = monotonic

    def build_resolver(self) -> dns.resolver.Resolver:
        """A fresh resolver from resolv.conf, with PROBE_NAMESERVER replacing its nameservers.

        Raises NoResolverConfiguration when there is no nameserver to ask at all.
        """
        resolver = dns.resolver.Resolver(configure=False)
        try:
            resolver.read_resolv_conf(self._resolv_conf)
        except dns.resolver.NoResolverConfiguration:
            # Search list and ndots are read before this is raised, so an override keeps them.
            if self._nameserver is None:
                raise
        if self._nameserver is not None:
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(self._nameserver.host, self._nameserver.port)
            ]
        # dnspython ignores the search list unless asked; the pod's libc always uses it.
        resolver.use_search_by_default = True
        resolver.lifetime = self._timeout
        resolver.timeout = min(resolver.timeout, self._timeout)
        return resolver

    def describe(self) -> dict[str, Any]:
        """The effective resolver settings, for the journal's probe_started line and /status."""
        try:
            resolver = self.build_resolver()
        except (dns.exception.DNSException, ValueError) as exc:
            return {"resolv_conf": self._resolv_conf, "nameservers": [], "error": str(exc)}
        return {
            "resolv_conf": self._resolv_conf,
            "nameservers": [_nameserver_text(ns) for ns in resolver.nameservers],
            "search": [str(s) for s in resolver.search],
            "ndots": 1 if resolver.ndots is None else resolver.ndots,
        }

    def names_to_try(self, name: str) -> list[str]:
        """The fully qualified names a lookup of *name* tries, in order."""
        try:
            return names_to_try(self.build_resolver(), name)
        except (dns.exception.DNSException, ValueError):
            return []

    def __call__(self, name: str) -> DnsResult:
        started = self._monotonic()
        candidates: list[str] = []
        try:
            resolver = self.build_resolver()
            candidates = names_to_try(resolver, name)
            answer = resolver.resolve(name, "A", search=True, lifetime=self._timeout)
        except dns.resolver.NXDOMAIN as exc:
            tried = [str(q) for q in exc.qnames()] or candidates
            return self._result(DnsOutcome.NXDOMAIN, started, tried, exc)
        except dns.resolver.NoAnswer as exc:
            tried = _tried_until(candidates, _question_name(exc.kwargs.get("response")))
            return self._result(DnsOutcome.NO_ANSWER, started, tried, exc)
        except dns.exception.Timeout as exc:
            return self._result(DnsOutcome.TIMEOUT, started, candidates, exc)
        except dns.resolver.NoNameservers as exc:
            outcome = (
                DnsOutcome.SERVFAIL
                if answered_servfail(exc.kwargs.get("errors", []))
                else DnsOutcome.NO_NAMESERVERS
            )
            tried = _tried_until(candidates, _question_name(exc.kwargs.get("request")))
            return self._result(outcome, started, tried, exc)
        except dns.resolver.YXDOMAIN as exc:
            # The search suffix made the name too long: the name, as searched, does not exist.
            return self._result(DnsOutcome.NXDOMAIN, started, candidates, exc)
        except (dns.exception.DNSException, ValueError, OSError) as exc:
            # No resolv.conf, no nameserver in it, or one we cannot even send to.
            return self._result(DnsOutcome.NO_NAMESERVERS, started, candidates, exc)
        addresses = sorted(
            {rdata.address for rdata in answer}, key=lambda text: ipaddress.ip_address(text)
        )
        return DnsResult(
            outcome=DnsOutcome.OK,
            latency_seconds=self._monotonic() - started,
            addresses=tuple(addresses),
            names_tried=tuple(_tried_until(candidates, answer.qname)),
            resolved_name=str(answer.qname),
        )

    def _result(
        self, outcome: DnsOutcome, started: float, tried: Sequence[str], exc: Exception
    ) -> DnsResult:
        message = str(exc) or type(exc).__name__
        return DnsResult(
            outcome=outcome,
            latency_seconds=self._monotonic() - started,
            names_tried=tuple(tried),
            error=message[:MAX_ERROR_LENGTH],
        )


def answered_servfail(errors: Sequence[Any]) -> bool:
    """True when a nameserver really answered SERVFAIL, rather than refusing or staying silent."""
    for error in errors:
        response = error[4] if len(error) > 4 else None
        if isinstance(response, dns.message.Message) and response.rcode() == dns.rcode.SERVFAIL:
            return True
        if len(error) > 3 and error[3] == "SERVFAIL":
            return True
    return False


def names_to_try(resolver: dns.resolver.Resolver, name: str) -> list[str]:
    """The search order of resolv.conf(5), which dnspython follows when search=True.

    Names with at least ndots dots are tried as-is first, others only after the search list.
    """
    qname = dns.name.from_text(name, origin=None)
    if qname.is_absolute():
        return [str(qname)]
    absolute = qname.concatenate(dns.name.root)
    if resolver.search:
        suffixes = list(resolver.search)
    elif resolver.domain is not None and resolver.domain != dns.name.root:
        suffixes = [resolver.domain]
    else:
        suffixes = []
    searched = [qname + suffix for suffix in suffixes]
    ndots = 1 if resolver.ndots is None else resolver.ndots
    ordered = [absolute, *searched] if len(qname) > ndots else [*searched, absolute]
    return [str(n) for n in ordered]


def _question_name(message: Any) -> dns.name.Name | None:
    if isinstance(message, dns.message.Message) and message.question:
        return message.question[0].name
    return None


def _tried_until(candidates: list[str], last: dns.name.Name | str | None) -> list[str]:
    """The candidates up to and including *last*, or all of them when *last* is unknown."""
    if last is None:
        return candidates
    last_text = str(last).lower()
    for index, candidate in enumerate(candidates):
        if candidate.lower() == last_text:
            return candidates[: index + 1]
    return candidates


def _nameserver_text(nameserver: Any) -> str:
    if isinstance(nameserver, dns.nameserver.Do53Nameserver):
        host = nameserver.answer_nameserver()
        port = nameserver.answer_port()
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(nameserver)
