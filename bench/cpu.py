"""CPU time, from /proc: of the processes under test, and of the whole machine.

On a shared machine the throughput a server reaches depends on what else runs; the CPU time
it spends per request much less. Both are recorded: the throughput ratios are the goals, and
the CPU-per-request ratios are a cross-check that says whether a ratio is noise. The machine's
busy time minus ours is the "other load" a run had to share the cores with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds of these processes so far (gone ones count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def tree(pid: int) -> list[int]:
    """pid and its children (a gunicorn master and its workers, nginx and its workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(int(child) for child in children)]


def machine_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine since boot, all cores summed."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0]
        fields = [int(value) for value in first.split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    # user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    user, nice, system, _, _, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy / _TICKS, steal / _TICKS


@dataclass
class Usage:
    """CPU used over one measurement."""

    seconds: float = 0.0  # wall-clock
    ours: float = 0.0  # CPU seconds of the processes under test and the load generator
    machine: float = 0.0  # CPU seconds of everything
    steal: float = 0.0

    @property
    def other_cores(self) -> float:
        """Average cores busy with something other than this measurement."""
        if not self.seconds:
            return 0.0
        return max(0.0, (self.machine - self.ours) / self.seconds)

    def to_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.ours, 3),
            "machine_cpu_seconds": round(self.machine, 3),
            "steal_seconds": round(self.steal, 3),
            "other_cores": round(self.other_cores, 2),
        }
