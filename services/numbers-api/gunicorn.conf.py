"""gunicorn settings for numbers-api; run with `gunicorn -c gunicorn.conf.py`."""

import glob
import math
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# prometheus-client chooses multiprocess mode when it is first imported, so the shared
# directory has to be in the environment before the app is loaded.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="numbers-api-metrics-")

from numbers_api.config import ConfigError, load_config

try:
    _config = load_config(os.environ)
except ConfigError as error:
    sys.exit(f"numbers-api: configuration error: {error}")

wsgi_app = "numbers_api:create_app()"
bind = f"0.0.0.0:{_config.port}"
workers = _config.workers
# gthread, closing its listener as soon as it stops accepting (lifecycle.py says why).
worker_class = "numbers_api.lifecycle.DrainingThreadWorker"
threads = _config.threads
# The app is built once in the master so every worker shares the fault switch's counter.
preload_app = True
# Heartbeat files on tmpfs: a read-only root filesystem and no disk stalls for the arbiter.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented heartbeat location, not a shared temp file
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
timeout = 30
graceful_timeout = math.ceil(_config.graceful_timeout_seconds)
# Pooled connections from web stay useful between requests without holding sockets forever.
keepalive = 20
# No runtime control socket: nothing uses it, and $HOME is read-only in the container.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = "info"


def on_starting(server):
    # Figures from an earlier run in the same directory would be summed into this one.
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def post_worker_init(worker):
    from numbers_api.lifecycle import install_drain_on_sigterm

    lifecycle = worker.wsgi.extensions["numbers_api"]["lifecycle"]
    install_drain_on_sigterm(worker, lifecycle, _config.shutdown_delay_seconds)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
