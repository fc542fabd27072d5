"""Time sources, injected everywhere so tests can drive the probe without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Two readings: monotonic for durations and deadlines, wall for timestamps people read."""

    def monotonic(self) -> float: ...

    def wall(self) -> float: ...


class SystemClock:
    """The real clocks of the running process."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


def rfc3339(epoch_seconds: float) -> str:
    """A wall-clock reading as RFC 3339 UTC with milliseconds: 2025-01-02T03:04:05.678Z."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
