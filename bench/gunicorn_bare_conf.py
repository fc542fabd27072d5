"""gunicorn settings for the bare WSGI app: numbers-api's own, with only the app swapped.

    python -m numbers_api -c bench/gunicorn_bare_conf.py

A `-c` file overrides what `python -m numbers_api` sets (service_runtime.server), so every
setting stays numbers-api's (and WEB_CONCURRENCY, GUNICORN_THREADS and --worker-class act on
both alike) except the app, and the hooks that need the Flask app's lifecycle (the drain).
"""

import os

wsgi_app = "bench.bare_wsgi:app"


def post_worker_init(worker):
    """A plain WSGI callable has no lifecycle to drain."""


def worker_exit(server, worker):
    """Nor anything to stop."""


# --tune compares with and without the access log; the bare app follows numbers-api.
if os.environ.get("BENCH_ACCESSLOG") == "off":
    accesslog = None
