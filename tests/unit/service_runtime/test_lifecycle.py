import logging
import signal
import threading

import pytest
from service_runtime.lifecycle import Lifecycle, install_drain_on_sigterm
from service_runtime.testing import poll


class RecordingWorker:
    """The two attributes of a gunicorn worker that the drain handler uses."""

    def __init__(self):
        self.log = logging.getLogger("test-worker")
        self.stopped = threading.Event()
        self.stop_signals = []

    def handle_exit(self, signum, frame):
        self.stop_signals.append(signum)
        self.stopped.set()


@pytest.fixture
def restore_sigterm():
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_drains_first_and_stops_after_the_delay(restore_sigterm):
    worker, lifecycle = RecordingWorker(), Lifecycle()
    install_drain_on_sigterm(worker, lifecycle, delay_seconds=0.3)

    signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)

    assert lifecycle.draining
    assert not worker.stopped.is_set()
    assert worker.stopped.wait(timeout=5)
    assert worker.stop_signals == [signal.SIGTERM]


def test_second_sigterm_does_not_stop_twice(restore_sigterm):
    worker, lifecycle = RecordingWorker(), Lifecycle()
    install_drain_on_sigterm(worker, lifecycle, delay_seconds=0.05)
    handler = signal.getsignal(signal.SIGTERM)
    threads_before = set(threading.enumerate())

    handler(signal.SIGTERM, None)
    handler(signal.SIGTERM, None)

    def timers_running() -> list[threading.Thread]:
        return [
            thread
            for thread in threading.enumerate()
            if isinstance(thread, threading.Timer) and thread not in threads_before
        ]

    assert worker.stopped.wait(timeout=5)
    # Once no timer the handler started is still running, each one has stopped the worker.
    assert poll(lambda: not timers_running(), timeout=5)
    assert worker.stop_signals == [signal.SIGTERM]
