"""A small, real DNS server for tests, built on dnspython and listening on 127.0.0.1.

It answers UDP and TCP on one ephemeral port from a thread, so code under test talks to it
exactly as it would talk to CoreDNS::

    with DNSServer() as server:
        server.add_a("numbers-api.ns1.svc.cluster.local", "10.96.0.20")
        server.nameserver             # "127.0.0.1:<port>", ready for PROBE_NAMESERVER
        server.servfail()             # every query now gets SERVFAIL
        server.drop()                 # every query is now ignored, so clients time out
        server.answer()               # back to answering from the records

Answers: A records for names added with add_a/set_a; NOERROR with an empty answer for a
name made with set_no_data (and for other types of a known name); NXDOMAIN for anything
else. Names are absolute whether or not they end in a dot, and compared case-insensitively.
Every query received is kept in ``queries``, which lets tests see the search list at work.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import threading
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# A TCP client gets this long to send its query, so one slow client cannot stall the server.
TCP_READ_TIMEOUT_SECONDS = 1.0
SELECT_TIMEOUT_SECONDS = 0.5


class Mode(StrEnum):
    ANSWER = "answer"  # answer from the records
    SERVFAIL = "servfail"  # answer every query with SERVFAIL
    REFUSED = "refused"  # answer every query with REFUSED
    DROP = "drop"  # read queries and never answer them


@dataclass(frozen=True)
class Query:
    """One query the server received."""

    name: str  # absolute, lower case, e.g. "numbers-api.ns1.svc.cluster.local."
    rdtype: str  # e.g. "A"
    transport: str  # "udp" or "tcp"


class DNSServer:
    def __init__(self, host: str = "127.0.0.1", *, ttl: int = 0) -> None:
        self.host = host
        self.ttl = ttl
        self._lock = threading.Lock()
        self._records: dict[dns.name.Name, set[str]] = {}
        self._no_data: set[dns.name.Name] = set()
        self._mode = Mode.ANSWER
        self._queries: list[Query] = []
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # Writing to this wakes the serving thread at once, so stop() does not wait for a poll.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DNSServer:
        """Bind UDP and TCP on one free port and start answering; returns self."""
        if self._thread is not None:
            raise RuntimeError("DNSServer already started")
        self._udp, self._tcp = _bind_udp_and_tcp(self.host)
        self.port = self._udp.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="test-dns-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the sockets; safe to call twice."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in (self._udp, self._tcp, self._wake_reader, self._wake_writer):
            if sock is not None:
                sock.close()

    def __enter__(self) -> DNSServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def nameserver(self) -> str:
        """host:port, the form PROBE_NAMESERVER takes."""
        return f"{self.host}:{self.port}"

    # -- records -----------------------------------------------------------------------------

    def add_a(self, name: str, *addresses: str) -> None:
        """Add A records for *name*, keeping any it already has."""
        with self._lock:
            self._records.setdefault(_name(name), set()).update(addresses)

    def set_a(self, name: str, addresses: list[str] | tuple[str, ...]) -> None:
        """Replace the A records of *name* (an empty list leaves the name with no data)."""
        key = _name(name)
        with self._lock:
            self._records[key] = set(addresses)
            if not addresses:
                self._no_data.add(key)

    def set_no_data(self, name: str) -> None:
        """Make *name* exist with no records: queries get NOERROR and an empty answer."""
        key = _name(name)
        with self._lock:
            self._records.pop(key, None)
            self._no_data.add(key)

    def remove(self, name: str) -> None:
        """Forget *name* entirely, so queries for it get NXDOMAIN."""
        key = _name(name)
        with self._lock:
            self._records.pop(key, None)
            self._no_data.discard(key)

    def reset(self) -> None:
        """Forget every record and query and go back to answering."""
        with self._lock:
            self._records.clear()
            self._no_data.clear()
            self._queries.clear()
            self._mode = Mode.ANSWER

    # -- failure modes -----------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        with self._lock:
            return self._mode

    def set_mode(self, mode: Mode | str) -> None:
        with self._lock:
            self._mode = Mode(mode)

    def answer(self) -> None:
        self.set_mode(Mode.ANSWER)

    def servfail(self) -> None:
        self.set_mode(Mode.SERVFAIL)

    def refuse(self) -> None:
        self.set_mode(Mode.REFUSED)

    def drop(self) -> None:
        self.set_mode(Mode.DROP)

    # -- what it saw -------------------------------------------------------------------------

    @property
    def queries(self) -> list[Query]:
        """Every query received so far, oldest first."""
        with self._lock:
            return list(self._queries)

    def clear_queries(self) -> None:
        with self._lock:
            self._queries.clear()

    # -- serving -----------------------------------------------------------------------------

    def respond(self, wire: bytes, transport: str) -> bytes | None:
        """The wire-format reply to one query, or None when it gets no answer."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not DNS; a real server would drop it too
        if not query.question:
            return None
        question = query.question[0]
        with self._lock:
            self._queries.append(
                Query(
                    name=question.name.to_text().lower(),
                    rdtype=dns.rdatatype.to_text(question.rdtype),
                    transport=transport,
                )
            )
            mode = self._mode
            addresses = sorted(self._records.get(question.name, ()))
            exists = question.name in self._records or question.name in self._no_data
        if mode is Mode.DROP:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA | dns.flags.RA
        if mode is Mode.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif mode is Mode.REFUSED:
            response.set_rcode(dns.rcode.REFUSED)
        elif not exists:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A and addresses:
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name, self.ttl, dns.rdataclass.IN, dns.rdatatype.A, addresses
                )
            )
        return response.to_wire()

    def _serve(self) -> None:
        assert self._udp is not None and self._tcp is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ, self._handle_udp)
            selector.register(self._tcp, selectors.EVENT_READ, self._handle_tcp)
            selector.register(self._wake_reader, selectors.EVENT_READ, lambda: None)
            while not self._stopping.is_set():
                for key, _ in selector.select(SELECT_TIMEOUT_SECONDS):
                    key.data()

    def _handle_udp(self) -> None:
        assert self._udp is not None
        try:
            wire, client = self._udp.recvfrom(65535)
        except OSError:
            return
        reply = self.respond(wire, "udp")
        if reply is not None:
            with contextlib.suppress(OSError):
                self._udp.sendto(reply, client)

    def _handle_tcp(self) -> None:
        assert self._tcp is not None
        try:
            connection, _ = self._tcp.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(TCP_READ_TIMEOUT_SECONDS)
            try:
                (length,) = struct.unpack("!H", _read_exactly(connection, 2))
                reply = self.respond(_read_exactly(connection, length), "tcp")
                if reply is not None:
                    connection.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, EOFError, struct.error):
                return


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def _read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise EOFError("client closed the connection")
        data += chunk
    return data


def _bind_udp_and_tcp(host: str, attempts: int = 50) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port (retrying if TCP finds the port taken)."""
    for _ in range(attempts):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError as exc:
            udp.close()
            tcp.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        tcp.listen(16)
        return udp, tcp
    raise RuntimeError(f"no port on {host} was free for both UDP and TCP")
