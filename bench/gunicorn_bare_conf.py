"""gunicorn settings for the bare WSGI app: numbers-api's own, with only the app swapped.

    gunicorn -c bench/gunicorn_bare_conf.py

Every setting of services/numbers-api/gunicorn.conf.py is taken as it is (so WEB_CONCURRENCY,
GUNICORN_THREADS and GUNICORN_CMD_ARGS act on both alike), except wsgi_app, and the hook that
installs numbers-api's drain-on-SIGTERM, which needs the Flask app's lifecycle object.
"""

import os
import runpy
from pathlib import Path

from gunicorn.config import Config

_API_CONF = Path(__file__).resolve().parents[1] / "services" / "numbers-api" / "gunicorn.conf.py"
_NOT_COPIED = {"wsgi_app", "post_worker_init"}

_SETTINGS = set(Config().settings)

for _name, _value in runpy.run_path(str(_API_CONF)).items():
    if _name in _SETTINGS and _name not in _NOT_COPIED:
        globals()[_name] = _value

wsgi_app = "bench.bare_wsgi:app"

# --tune compares with and without the access log; the bare app follows numbers-api.
if os.environ.get("BENCH_ACCESSLOG") == "off":
    accesslog = None
