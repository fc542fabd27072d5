"""The FAIL_AFTER_CALLS fault switch, shared by every gunicorn worker of one server."""

from __future__ import annotations

import multiprocessing


class FaultSwitch:
    """Counts /rng calls and turns the API unhealthy after a set number of them.

    The counter lives in shared memory created before gunicorn forks (preload_app), so
    "after N calls" means N calls to the server, not N to whichever worker answered.
    """

    def __init__(self, fail_after_calls: int) -> None:
        self.fail_after_calls = fail_after_calls
        self._calls = multiprocessing.Value("q", 0)

    @property
    def enabled(self) -> bool:
        return self.fail_after_calls > 0

    def record_call(self) -> bool:
        """Count one /rng call; True when this call must fail."""
        if not self.enabled:
            return False
        with self._calls.get_lock():
            self._calls.value += 1
            return self._calls.value > self.fail_after_calls

    @property
    def calls(self) -> int:
        return self._calls.value

    @property
    def tripped(self) -> bool:
        return self.enabled and self._calls.value >= self.fail_after_calls

    def reset(self) -> None:
        with self._calls.get_lock():
            self._calls.value = 0
