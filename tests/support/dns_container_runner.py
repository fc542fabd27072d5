"""Runs inside a test container: tests/support/dns_server.py's answers on 0.0.0.0:53 (UDP).

The container is the probe image (its venv has dnspython); this file and dns_server.py are
copied next to each other into it. The test steers the server through a JSON control file
that it replaces atomically with ``docker exec`` (see fault_containers.DnsContainer)::

    {"mode": "answer" | "servfail" | "refused" | "drop",
     "a": {"numbers-api.test": ["172.18.0.3"]},
     "no_data": ["other.test"]}

The file is read again whenever it changes, before the next query is answered, so a change
applies to every query received after ``docker exec`` returns. Every query is printed, with
the mode it met, so ``docker logs`` shows what the clients asked.
"""

from __future__ import annotations

import json
import os
import socket
import sys

from dns_server import DNSServer

CONTROL = os.environ.get("DNS_CONTROL", "/tmp/dns-control.json")  # inside the container
PORT = int(os.environ.get("DNS_PORT", "53"))


class Steered:
    def __init__(self) -> None:
        self.server = DNSServer(host="0.0.0.0", ttl=0)  # the container's network
        self._seen: tuple[int, int] | None = None

    def refresh(self) -> None:
        try:
            stat = os.stat(CONTROL)
        except FileNotFoundError:
            return
        key = (stat.st_mtime_ns, stat.st_ino)
        if key == self._seen:
            return
        with open(CONTROL) as file:
            control = json.load(file)
        self._seen = key
        self.server.reset()
        for name, addresses in control.get("a", {}).items():
            self.server.set_a(name, addresses)
        for name in control.get("no_data", []):
            self.server.set_no_data(name)
        self.server.set_mode(control.get("mode", "answer"))
        print(f"control: {json.dumps(control, sort_keys=True)}", flush=True)


def main() -> int:
    steered = Steered()
    steered.refresh()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", PORT))  # the container's own network
    print(f"listening on 0.0.0.0:{PORT}/udp", flush=True)
    while True:
        wire, client = udp.recvfrom(65535)
        steered.refresh()
        reply = steered.server.respond(wire, "udp")
        query = steered.server.queries[-1] if steered.server.queries else None
        if query is not None:
            print(
                f"{client[0]} {query.rdtype} {query.name} {steered.server.mode.value} "
                f"{'answered' if reply is not None else 'dropped'}",
                flush=True,
            )
        if reply is not None:
            try:
                udp.sendto(reply, client)
            except OSError as error:
                print(f"send to {client[0]} failed: {error}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
