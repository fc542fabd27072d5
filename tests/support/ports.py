"""A port that stays ours while nothing listens on it.

A test that kills a server and starts it again on the same port leaves the port free in
between. An ephemeral port (what bind(("127.0.0.1", 0)) hands out) can be taken in that gap
by any other process on the machine that asks for one, and the test would then talk to a
stranger. Ports below the kernel's ephemeral range are never handed out that way.
"""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 20000


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(part) for part in RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def _free_on_every_address(port: int) -> bool:
    for host in ("0.0.0.0", "127.0.0.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


def port_outside_ephemeral_range(attempts: int = 200) -> int:
    """A free TCP port below the ephemeral range, picked at random (so parallel runs differ)."""
    low, _ = ephemeral_range()
    if low - 1 <= LOWEST:
        raise RuntimeError(f"the ephemeral range starts at {low}: no room below it")
    rng = random.SystemRandom()
    for _ in range(attempts):
        port = rng.randrange(LOWEST, low)
        with contextlib.suppress(OSError):
            if _free_on_every_address(port):
                return port
    raise RuntimeError(f"no free port between {LOWEST} and {low}")
