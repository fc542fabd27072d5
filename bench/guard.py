"""Load goes only to this machine: 127.0.0.1 ports, including ports Docker publishes there."""

from __future__ import annotations

from urllib.parse import urlsplit


class NotLoopback(ValueError):
    """A load generator was pointed somewhere other than 127.0.0.1."""


def require_loopback(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
        raise NotLoopback(f"load goes only to http://127.0.0.1:<port>, not {url!r}")
    return url
