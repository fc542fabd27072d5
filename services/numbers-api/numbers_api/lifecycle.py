"""Graceful shutdown: keep serving for a short drain delay after SIGTERM, then stop."""

from __future__ import annotations

import signal
import threading
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class Lifecycle:
    """Whether this process is draining: still serving, on its way to a graceful stop."""

    def __init__(self) -> None:
        self._draining = threading.Event()

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    def begin_drain(self) -> None:
        self._draining.set()


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
    """gunicorn's gthread worker, which stops listening when it stops accepting for good.

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
