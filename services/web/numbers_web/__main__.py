"""``python -m numbers_web``: serve the page with gunicorn (service_runtime.server's settings)."""

import sys

from service_runtime.server import Program, run

from .config import load_config

PROGRAM = Program("web", "numbers_web.app:create_app", load_config)

if __name__ == "__main__":
    sys.exit(run(PROGRAM))
