"""Graceful shutdown: keep serving for a short drain delay after SIGTERM, then stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import ThreadWorker

EXTENSION = "service_runtime.lifecycle"


class Lifecycle:
    """A serving process's life: whether it drains, and what runs when it starts and stops.

    Registered on the Flask app (init_app) so the gunicorn hooks in server.py find it; a
    program hands it the work that belongs to a serving process, such as the probe's loop,
    which must start after gunicorn forks the worker (a thread does not survive a fork).
    """

    def __init__(self) -> None:
        self._draining = threading.Event()
        self._on_start: list[Callable[[], object]] = []
        self._on_stop: list[Callable[[], object]] = []

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self

    @staticmethod
    def of(app: Flask) -> Lifecycle:
        return app.extensions[EXTENSION]

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def begin_drain(self) -> None:
        self._draining.set()

    def on_start(self, callback: Callable[[], object]) -> None:
        self._on_start.append(callback)

    def on_stop(self, callback: Callable[[], object]) -> None:
        self._on_stop.append(callback)

    def started(self) -> None:
        for callback in self._on_start:
            callback()

    def stopped(self) -> None:
        # Last registered, first stopped, as with nested resources.
        for callback in reversed(self._on_stop):
            callback()


def install_drain_on_sigterm(worker: Any, lifecycle: Lifecycle, delay_seconds: float) -> None:
    """Replace a gunicorn worker's SIGTERM handler with drain-then-stop.

    Kubernetes sends SIGTERM while kube-proxy and DNS may still route new requests here for a
    moment; serving on for delay_seconds lets them catch up (and lets kube-proxy fall back to
    this pod while its replacement is not ready yet), and only then does gunicorn's own
    graceful stop (finish in-flight requests) begin.
    """
    stop = worker.handle_exit

    def on_sigterm(signum: int, frame: Any) -> None:
        if lifecycle.draining:
            return
        lifecycle.begin_drain()
        worker.log.info("SIGTERM: draining for %.1f s, then a graceful stop", delay_seconds)
        timer = threading.Timer(delay_seconds, stop, args=(signum, frame))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_sigterm)
    # signal.signal() makes SIGTERM interrupt system calls again; gunicorn turns that off.
    signal.siginterrupt(signal.SIGTERM, False)


class DrainingThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, which stops listening when it stops accepting for good and
    quits at once on SIGINT or SIGQUIT.

    gthread stops accepting at shutdown but keeps its listening socket open until it exits:
    the kernel goes on completing handshakes nobody accepts, and resets them at the exit.
    Closed at once, the socket refuses new connections, and a client moves on to the name's
    next address (Docker's DNS names a stopping container until it is gone).
    """

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                listener.close()

    def handle_quit(self, sig: int, frame: Any) -> None:
        # gthread's own handler shuts its thread pool down from inside the signal handler, and
        # deadlocks when the signal lands while the main thread is in the pool's submit(), which
        # holds the same lock (the master then SIGKILLs the worker after graceful_timeout).
        # Exiting is enough: the interpreter's exit stops the pool's idle threads.
        Worker.handle_quit(self, sig, frame)
