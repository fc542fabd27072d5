import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from gunicorn.config import Config
from service_runtime.lifecycle import DrainingThreadWorker, Lifecycle, install_drain_on_sigterm
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


def test_quit_signal_landing_while_a_pool_thread_starts_exits_instead_of_deadlocking():
    """SIGINT or SIGQUIT can land while the worker's main thread is inside the pool's submit(),
    which holds the pool's lock while it starts a thread; the handler runs on that thread."""
    worker = object.__new__(DrainingThreadWorker)
    worker.cfg, worker.alive = Config(), True
    worker.tpool = ThreadPoolExecutor(max_workers=1)
    exit_codes = []

    def signal_inside_submit():
        # The pool's private lock, held as submit() holds it when it starts a thread.
        with worker.tpool._shutdown_lock:
            try:
                worker.handle_quit(signal.SIGQUIT, None)
            except SystemExit as exc:
                exit_codes.append(exc.code)

    main_thread = threading.Thread(target=signal_inside_submit, daemon=True)
    main_thread.start()
    main_thread.join(timeout=5)

    assert not main_thread.is_alive(), "the quit handler waited for a lock its own thread holds"
    assert exit_codes == [0]
    assert not worker.alive
    worker.tpool.shutdown()
