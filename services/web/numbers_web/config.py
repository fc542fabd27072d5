"""web configuration, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from service_runtime.env import ConfigError, Environment, ServerConfig, read_server_config

__all__ = ["ConfigError", "WebConfig", "load_config"]

# gthread gives each accepted connection a thread until its request is read, so slow clients
# hold threads: 256 per worker keep /healthz answering with 200 slow clients connected
# (measured: no answer in 3 s with 8). Threads start only when needed, and the pool of calls
# to numbers-api is as large, so lookups abandoned at the budget during a DNS outage cannot
# starve the calls made after it.
THREADS = 256


@dataclass(frozen=True)
class WebConfig:
    server: ServerConfig = field(default_factory=lambda: ServerConfig(port=8080, threads=THREADS))
    api_url: str = "http://numbers-api/rng"
    # Every failing call answers within this budget, whatever the cause (DNS included).
    api_timeout_seconds: float = 2.5
    # A Service balances connections, not requests: a pooled connection is reused only while
    # it is younger than this and was last used this recently, so that clicks seconds apart
    # each reach a pod chosen afresh while load still rides on open connections.
    api_max_connection_age_seconds: float = 1.0
    api_max_idle_seconds: float = 0.1
    # The DNS probe sidecar, on localhost because it shares the pod's network namespace.
    probe_url: str = "http://localhost:9090"
    served_by: str = "localhost"

    @property
    def api_host(self) -> str:
        return urlsplit(self.api_url).hostname or ""


def load_config(environ: Mapping[str, str]) -> WebConfig:
    """Build the configuration from environment variables, failing on the first bad one."""
    env = Environment(environ)
    return WebConfig(
        server=read_server_config(env, port=8080, threads=THREADS, max_threads=1024),
        api_url=env.url("NUMBERS_API_URL", WebConfig.api_url),
        api_timeout_seconds=env.seconds("NUMBERS_API_TIMEOUT_SECONDS", 2.5, 0.1, 2.9),
        api_max_connection_age_seconds=env.seconds(
            "NUMBERS_API_MAX_CONNECTION_AGE_SECONDS", 1.0, 0, 3600
        ),
        api_max_idle_seconds=env.seconds("NUMBERS_API_MAX_IDLE_SECONDS", 0.1, 0, 3600),
        probe_url=env.url("PROBE_URL", WebConfig.probe_url).rstrip("/"),
        served_by=socket.gethostname(),
    )
