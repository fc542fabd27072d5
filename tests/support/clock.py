"""A clock for the probe's tests: it moves only when told to."""

from __future__ import annotations

import threading


class FakeClock:
    """A clock that only moves when told to; monotonic and wall move together."""

    def __init__(self, wall: float = 1_767_225_600.0, monotonic: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._wall = wall
        self._monotonic = monotonic

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def wall(self) -> float:
        with self._lock:
            return self._wall

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._wall += seconds
            self._monotonic += seconds
