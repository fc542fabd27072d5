"""The children of a process we started, read from /proc, and SIGKILL for the whole tree.

Only pids found under a process the test started, or in the process group it leads, are ever
signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def children(pid: int) -> list[int]:
    """Direct children of *pid*, from /proc/<n>/stat (field 4 is the parent's pid)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name (field 2) is in parentheses and may hold spaces: split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def kill_tree(pid: int, workers_first: bool = True) -> list[int]:
    """SIGKILL *pid* and its direct children, children first or parent first, then the rest of
    its process group; returns the ones it listed first.

    gunicorn's master replaces a dead worker at once, sometimes before its own SIGKILL lands;
    the group takes that replacement too, as the kernel takes every process of a container
    whose first process dies. *pid* must lead its group (``start_new_session=True``).
    """
    if os.getpgid(pid) != pid:
        raise ValueError(f"{pid} does not lead its own process group")
    workers = children(pid)
    order = [*workers, pid] if workers_first else [pid, *workers]
    for target in order:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return order


def gone(pid: int) -> bool:
    """True once *pid* no longer runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return state[state.rindex(")") + 2] == "Z"
