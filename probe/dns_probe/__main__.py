"""``python -m dns_probe``: serve /status, /metrics and /healthz with gunicorn, the loop beside it.

One worker (service_runtime.server's settings otherwise): the loop starts in it and stops when it
exits, after the same drain as numbers-api and web. Exit status: 0 after SIGTERM, 2 for a
configuration error, 1 if it cannot serve.
"""

import sys

from service_runtime.server import Program, run

from .config import load_config

PROGRAM = Program(
    "dns-probe", "dns_probe.app:create_app", load_config, multiprocess_metrics=False
)

if __name__ == "__main__":
    sys.exit(run(PROGRAM))
