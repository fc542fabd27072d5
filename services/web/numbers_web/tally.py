"""Which API pods served this web process's last answers: the Service's spreading, seen."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass

LAST_ANSWERS = 20


@dataclass(frozen=True)
class Share:
    pod: str
    answers: int
    of: int

    @property
    def percent(self) -> int:
        return round(100 * self.answers / self.of)


class ServedByTally:
    """The pods that served the last answers, counted; safe across gunicorn's threads."""

    def __init__(self, size: int = LAST_ANSWERS) -> None:
        self._last: deque[str] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, pod: str) -> None:
        with self._lock:
            self._last.append(pod)

    def shares(self) -> list[Share]:
        """Each pod's part of the last answers, most first (ties by name)."""
        with self._lock:
            counts = Counter(self._last)
            total = len(self._last)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [Share(pod, answers, total) for pod, answers in ranked]
