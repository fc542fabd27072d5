"""Settings, read once from the environment into a frozen ProbeConfig.

Variable                Default                      Meaning
PORT                    9090                         HTTP port of /status, /metrics, /healthz
PROBE_BIND              0.0.0.0                      IP address the HTTP server binds
GUNICORN_THREADS        8                            threads of its one gunicorn worker (1..64)
SHUTDOWN_DELAY_SECONDS  5                            seconds it serves on after SIGTERM (0..15)
PROBE_TARGET            numbers-api                  name to resolve (type A), searched like libc
PROBE_INTERVAL_SECONDS  1                            from the start of one check to the next (> 0)
PROBE_TIMEOUT_SECONDS   min(2, interval / 2)         bound on one DNS lookup and on one HTTP GET
                                                     (0 < timeout <= interval)
PROBE_JITTER            1                            up to this fraction (0..1) of an interval the
                                                     first check waits, like kube-dns' sidecar
PROBE_RESOLV_CONF       /etc/resolv.conf             nameservers, search list and ndots
PROBE_NAMESERVER        (unset)                      host[:port] replacing resolv.conf nameservers
PROBE_HTTP_URL          (unset = off)                http(s) URL to GET every round as well
PROBE_LOG_PATH          /var/lib/probe/events.jsonl  the durable JSON-lines journal
PROBE_LOG_MAX_BYTES     10485760                     rotate the journal past this size (0 = never)
PROBE_LOG_BACKUPS       5                            rotated files kept: events.jsonl.1 .. .N (>= 1)
PROBE_HISTORY_LIMIT     100                          entries kept per list in /status (>= 1)
PROBE_LOG_LEVEL         INFO                         stderr log level: DEBUG, INFO, WARNING, ERROR

An empty value counts as unset, because Kubernetes manifests often template optional values to "".
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import dns.exception
import dns.name
from service_runtime.env import ConfigError, Environment, ServerConfig, read_server_config

__all__ = ["ConfigError", "Nameserver", "ProbeConfig", "load_config"]

DEFAULT_PORT = 9090
DEFAULT_BIND = "0.0.0.0"  # noqa: S104 - a sidecar must be reachable by the kubelet and Prometheus
DEFAULT_THREADS = 8
DEFAULT_TARGET = "numbers-api"
DEFAULT_INTERVAL_SECONDS = 1.0
MAX_DEFAULT_TIMEOUT_SECONDS = 2.0
DEFAULT_JITTER = 1.0
DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
# /var/lib survives what /tmp may not; in the pod it is a mounted volume (see the probe's README).
DEFAULT_LOG_PATH = "/var/lib/probe/events.jsonl"
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_BACKUPS = 5
DEFAULT_HISTORY_LIMIT = 100
DEFAULT_LOG_LEVEL = "INFO"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_HOSTNAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ProbeConfig:
    # One worker: the history /status shows lives in the process that runs the loop.
    server: ServerConfig = field(
        default_factory=lambda: ServerConfig(
            port=DEFAULT_PORT, workers=1, threads=DEFAULT_THREADS, access_log=False
        )
    )
    target: str = DEFAULT_TARGET
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    timeout_seconds: float = DEFAULT_INTERVAL_SECONDS / 2
    jitter: float = DEFAULT_JITTER
    resolv_conf: str = DEFAULT_RESOLV_CONF
    nameserver: Nameserver | None = None
    http_url: str | None = None
    log_path: str = DEFAULT_LOG_PATH
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES
    log_backups: int = DEFAULT_LOG_BACKUPS
    history_limit: int = DEFAULT_HISTORY_LIMIT


def load_config(environ: Mapping[str, str]) -> ProbeConfig:
    """Build the configuration from *environ*, raising ConfigError on the first bad value."""
    env = _ProbeEnvironment(environ)
    interval = env.number("PROBE_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS, "a number > 0")
    if interval <= 0:
        env.fail("PROBE_INTERVAL_SECONDS", "a number > 0")
    default_timeout = min(MAX_DEFAULT_TIMEOUT_SECONDS, interval / 2)
    timeout_rule = f"a number > 0 and <= PROBE_INTERVAL_SECONDS ({interval:g})"
    timeout = env.number("PROBE_TIMEOUT_SECONDS", default_timeout, timeout_rule)
    if not 0 < timeout <= interval:
        env.fail("PROBE_TIMEOUT_SECONDS", timeout_rule)
    jitter = env.number("PROBE_JITTER", DEFAULT_JITTER, "a number from 0 to 1")
    if not 0 <= jitter <= 1:
        env.fail("PROBE_JITTER", "a number from 0 to 1")
    server = read_server_config(
        env, port=DEFAULT_PORT, threads=DEFAULT_THREADS, max_threads=64, workers=None
    )
    return ProbeConfig(
        server=dataclasses.replace(
            server,
            host=env.ip_address("PROBE_BIND", DEFAULT_BIND),
            log_level=env.choice("PROBE_LOG_LEVEL", DEFAULT_LOG_LEVEL, LOG_LEVELS),
            # One access-log line per kubelet probe and scrape would drown the failures.
            access_log=False,
            # The loop's last check, one DNS lookup and one HTTP GET, ends inside the stop.
            stop_seconds=max(server.stop_seconds, 2 * timeout),
        ),
        target=env.dns_name("PROBE_TARGET", DEFAULT_TARGET),
        interval_seconds=interval,
        timeout_seconds=timeout,
        jitter=jitter,
        resolv_conf=env.text("PROBE_RESOLV_CONF", DEFAULT_RESOLV_CONF),
        nameserver=env.nameserver("PROBE_NAMESERVER"),
        http_url=env.url("PROBE_HTTP_URL", None),
        log_path=env.text("PROBE_LOG_PATH", DEFAULT_LOG_PATH),
        log_max_bytes=env.integer("PROBE_LOG_MAX_BYTES", DEFAULT_LOG_MAX_BYTES, 0),
        log_backups=env.integer("PROBE_LOG_BACKUPS", DEFAULT_LOG_BACKUPS, 1, 1000),
        history_limit=env.integer("PROBE_HISTORY_LIMIT", DEFAULT_HISTORY_LIMIT, 1, 10000),
    )


class _ProbeEnvironment(Environment):
    """The shared readers plus the ones only the probe needs: addresses and DNS names."""

    def ip_address(self, name: str, default: str) -> str:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            self.fail(name, "an IP address")

    def dns_name(self, name: str, default: str) -> str:
        value = self.raw(name)
        if value is None:
            return default
        value = value.strip()
        rule = "a DNS name like numbers-api or numbers-api.default.svc.cluster.local"
        if not _HOSTNAME_CHARACTERS.fullmatch(value) or value.strip(".") == "":
            self.fail(name, rule)
        try:
            dns.name.from_text(value)
        except dns.exception.DNSException:
            self.fail(name, rule)
        return value

    def nameserver(self, name: str) -> Nameserver | None:
        value = self.raw(name)
        if value is None:
            return None
        rule = "host[:port] with an IP address host and a port from 1 to 65535"
        host, port_text = _split_host_port(value.strip())
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            self.fail(name, rule)
        port = 53
        if port_text is not None:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                self.fail(name, rule)
            port = int(port_text)
        return Nameserver(host, port)


def _split_host_port(value: str) -> tuple[str, str | None]:
    """Split host[:port], accepting [v6]:port and a bare IPv6 address."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if not rest:
            return host, None
        return host, rest[1:] if rest.startswith(":") else "invalid"
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, None
