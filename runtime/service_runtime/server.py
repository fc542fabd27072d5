"""`python -m <program>`: gunicorn, with the settings numbers-api, web and the probe share.

Each program's __main__ hands run() a Program. Its configuration (env.ServerConfig) gives the
settings' defaults; gunicorn's own options still override them, on the command line, in
GUNICORN_CMD_ARGS or in a `-c` file, as with the gunicorn command itself.
"""

from __future__ import annotations

import glob
import logging
import math
import os
import pkgutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gunicorn import util
from gunicorn.app.base import Application

from .env import ConfigError, ServerConfig

# Heartbeat files on tmpfs: a read-only root filesystem and no disk stalls for the arbiter.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented heartbeat location, not a shared temp file


@dataclass(frozen=True)
class Program:
    """What run() needs to know about a program."""

    name: str  # "numbers-api": in messages and the metrics directory's name
    # "numbers_api.app:create_app": called with the config load_config read.
    factory: str
    # Reads the environment into the program's frozen config, whose .server is a ServerConfig.
    load_config: Callable[[Mapping[str, str]], Any]
    # Several workers sum their metrics through files in a shared directory.
    multiprocess_metrics: bool = True

    @property
    def wsgi_app(self) -> str:
        """The app as gunicorn would name it, for its settings and --print-config."""
        return f"{self.factory}()"


def settings(program: Program, server: ServerConfig) -> dict[str, Any]:
    """gunicorn's settings for this program, by their names in gunicorn's docs."""

    def post_worker_init(worker: Any) -> None:
        from .lifecycle import Lifecycle, install_drain_on_sigterm

        lifecycle = Lifecycle.of(worker.wsgi)
        install_drain_on_sigterm(worker, lifecycle, server.shutdown_delay_seconds)
        lifecycle.started()

    def worker_exit(_server: Any, worker: Any) -> None:
        from .lifecycle import Lifecycle

        Lifecycle.of(worker.wsgi).stopped()

    chosen = {
        "wsgi_app": program.wsgi_app,
        "bind": [f"{server.host}:{server.port}"],
        "workers": server.workers,
        # gthread, closing its listener as soon as it stops accepting (lifecycle.py says why).
        "worker_class": "service_runtime.lifecycle.DrainingThreadWorker",
        "threads": server.threads,
        # Built once in the master and forked: workers share its pages, and numbers-api's
        # workers share the fault switch's counter.
        "preload_app": True,
        "worker_tmp_dir": SHM if os.path.isdir(SHM) else None,
        "timeout": 30,
        "graceful_timeout": math.ceil(server.graceful_timeout_seconds),
        # Pooled and keep-alive connections stay useful between requests without pinning sockets.
        "keepalive": 20,
        # No runtime control socket: nothing uses it, and $HOME is read-only in the container.
        "control_socket_disable": True,
        "accesslog": "-" if server.access_log else None,
        "errorlog": "-",
        "loglevel": server.log_level.lower(),
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
    }
    if program.multiprocess_metrics:
        chosen.update(on_starting=_clear_stale_metrics, child_exit=_mark_worker_dead)
    return chosen


class ProgramServer(Application):
    """gunicorn's command line, with a program's settings where gunicorn has its defaults."""

    def __init__(self, program: Program, config: Any) -> None:
        self._program, self._config = program, config
        self._settings = settings(program, config.server)
        super().__init__(usage=f"python -m {program.factory.partition('.')[0]} [OPTIONS]")

    def init(self, parser: Any, opts: Any, args: Any) -> dict[str, Any]:
        return self._settings

    def load(self) -> Any:
        if self.cfg.wsgi_app != self._program.wsgi_app:
            # A -c file or the command line named another app (the bench's bare one).
            return util.import_app(self.cfg.wsgi_app)
        # The program's own app, from the configuration run() read: the environment once.
        return pkgutil.resolve_name(self._program.factory)(self._config)


def run(program: Program) -> int:
    """Serve the program until gunicorn stops; 2 for a configuration error."""
    if program.multiprocess_metrics and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # prometheus-client chooses multiprocess mode when it is first imported, so the
        # directory is in the environment before the app (and with it the client) is loaded.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"{program.name}-metrics-")
    try:
        config = program.load_config(os.environ)
    except ConfigError as failure:
        print(f"{program.name}: configuration error: {failure}", file=sys.stderr)
        return 2
    # The programs' own loggers, beside gunicorn's; workers inherit this from the master.
    logging.basicConfig(
        level=config.server.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ProgramServer(program, config).run()
    return 0


def _clear_stale_metrics(_server: Any) -> None:
    # Figures from an earlier run in the same directory would be summed into this one.
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def _mark_worker_dead(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
