"""A program's own gunicorn settings without the access log, for `python -m bench --tune`.

    python -m numbers_api -c bench/gunicorn_variant_conf.py

A `-c` file overrides what `python -m <program>` sets (service_runtime.server), so this
measures what writing the log costs and nothing else. Workers, threads and the worker class
are varied through WEB_CONCURRENCY, GUNICORN_THREADS and --worker-class, which need no file.
"""

accesslog = None
