"""Which sockets a set of processes listens on, read from `ss -Hltunp`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+),')


@dataclass(frozen=True)
class Listener:
    process: str
    pid: int
    address: str
    port: int


def parse_ss(output: str) -> list[Listener]:
    """Listening sockets from `ss -Hltunp` output, one per process that holds them."""
    found = []
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        local = fields[4]
        address, _, port = local.rpartition(":")
        address = address.strip("[]").split("%")[0]
        for name, pid in _PROCESS.findall(" ".join(fields[6:])):
            found.append(Listener(name, int(pid), address, int(port)))
    return found


def exposed(listeners: Iterable[Listener], pids: set[int], allowed: list[str]) -> list[str]:
    """Sockets of these processes bound anywhere but the allowed networks (wildcards included)."""
    networks = [ipaddress.ip_network(network) for network in allowed]
    problems = []
    for listener in listeners:
        if listener.pid not in pids:
            continue
        if listener.address in ("*", "0.0.0.0", "::"):
            problems.append(f"{listener.process} listens on every address, port {listener.port}")
            continue
        address = ipaddress.ip_address(listener.address)
        if not any(address in network for network in networks):
            problems.append(f"{listener.process} listens on {address}:{listener.port}")
    return problems
