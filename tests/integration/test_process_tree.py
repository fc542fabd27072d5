"""kill_tree against real process trees: nothing the leader forked survives it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from service_runtime.testing import poll

from tests.support.process_tree import children, gone, kill_tree

pytestmark = pytest.mark.integration

# A leader whose child forks a grandchild and prints its pid: a process the leader's children,
# listed before the kill, do not include, as a worker gunicorn forks between two kills.
TREE = (
    "import os, time\n"
    "if os.fork() == 0 and os.fork() == 0:\n"
    "    print(os.getpid(), flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def leader() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    yield process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.parametrize("workers_first", [True, False], ids=["workers_first", "leader_first"])
def test_kill_tree_also_kills_what_the_leader_forked_beyond_its_listed_children(
    leader: subprocess.Popen[str], workers_first: bool
) -> None:
    assert leader.stdout is not None
    grandchild = int(leader.stdout.readline())
    assert grandchild not in children(leader.pid)

    kill_tree(leader.pid, workers_first=workers_first)

    assert leader.wait(timeout=10) == -signal.SIGKILL
    assert poll(lambda: gone(grandchild), timeout=5), f"{grandchild} outlived the kill"


def test_kill_tree_refuses_a_process_that_does_not_lead_its_group() -> None:
    # Started in the test's own process group: a group kill would reach the test itself.
    follower = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(ValueError, match="does not lead its own process group"):
            kill_tree(follower.pid)
        assert follower.poll() is None
    finally:
        follower.kill()
        follower.wait(timeout=10)
