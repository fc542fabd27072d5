"""The one poll-with-deadline and the one free port, for the tests, the scenario and the bench.

They live in the shared runtime because that is the one package installed wherever they are
needed: the tests import it, and `python -m scenario` and `python -m bench` (run from the
repository root) cannot import from tests/. The programs themselves do not use this module.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(condition: Callable[[], T], timeout: float, interval: float = 0.05) -> T:
    """Call condition until it returns something truthy or timeout seconds have passed.

    Returns condition's last value: truthy on success, falsy (whatever it was) at the
    deadline. condition is called at least once and never again after it succeeded; between
    calls it waits interval seconds, or less before the last call, which is made at the
    deadline and not after it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        now = time.monotonic()
        if value or now >= deadline:
            return value
        time.sleep(min(interval, deadline - now))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago (the kernel's choice)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
