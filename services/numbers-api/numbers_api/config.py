"""numbers-api configuration, read once from the environment into a frozen dataclass."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from service_runtime.env import ConfigError, Environment, ServerConfig, read_server_config

__all__ = ["ApiConfig", "ConfigError", "load_config"]


@dataclass(frozen=True)
class ApiConfig:
    server: ServerConfig = field(default_factory=lambda: ServerConfig(port=8080))
    fail_after_calls: int = 0
    served_by: str = "localhost"


def load_config(environ: Mapping[str, str]) -> ApiConfig:
    """Build the configuration from environment variables, failing on the first bad one."""
    env = Environment(environ)
    return ApiConfig(
        server=read_server_config(env, port=8080, threads=4, max_threads=256),
        fail_after_calls=env.integer("FAIL_AFTER_CALLS", 0, 0, 1_000_000_000),
        served_by=socket.gethostname(),
    )
