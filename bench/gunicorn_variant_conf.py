"""A service's own gunicorn settings with one thing changed, for `python -m bench --tune`.

    BENCH_BASE_CONF=services/numbers-api/gunicorn.conf.py BENCH_ACCESSLOG=off \
        gunicorn -c bench/gunicorn_variant_conf.py

Every setting and hook of BENCH_BASE_CONF is taken as it is; with BENCH_ACCESSLOG=off the
access log is not written, to measure what writing it costs. Workers, threads and the worker
class are varied through WEB_CONCURRENCY, GUNICORN_THREADS and --worker-class, which the
service's own conf already honours, so they need nothing here.
"""

import os
import runpy

from gunicorn.config import Config

_SETTINGS = set(Config().settings)

for _name, _value in runpy.run_path(os.environ["BENCH_BASE_CONF"]).items():
    if _name in _SETTINGS:
        globals()[_name] = _value

if os.environ.get("BENCH_ACCESSLOG") == "off":
    accesslog = None
