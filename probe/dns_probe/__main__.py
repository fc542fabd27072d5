"""``python -m dns_probe``: load the configuration, run the loop and HTTP server, stop on signal.

Exit status: 0 after SIGTERM/SIGINT, 2 for a configuration error, 1 if the server cannot start.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType

from werkzeug.serving import make_server

from .app import create_app
from .config import ConfigError, load_config
from .prober import build_prober

logger = logging.getLogger("dns_probe")

# How often the HTTP server notices shutdown(); small so stopping takes well under an interval.
SERVER_POLL_SECONDS = 0.1


def main(environ: Mapping[str, str] | None = None) -> int:
    try:
        config = load_config(os.environ if environ is None else environ)
    except ConfigError as exc:
        print(f"dns_probe: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # One access-log line per kubelet probe and Prometheus scrape would drown the failures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    prober = build_prober(config, stop_event=stop)
    app = create_app(config, prober)
    try:
        server = make_server(config.bind, config.port, app, threaded=True)
    except OSError as exc:
        logger.error("cannot listen on %s:%d: %s", config.bind, config.port, exc)
        return 1
    serving = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SERVER_POLL_SECONDS},
        name="dns-probe-http",
        daemon=True,
    )
    prober.start()
    serving.start()
    logger.info(
        "serving /status, /metrics and /healthz on http://%s:%d", config.bind, server.server_port
    )

    stop.wait()
    # The loop sees the same event and finishes its check while the server shuts down.
    server.shutdown()
    server.server_close()
    if not prober.join(timeout=config.interval_seconds + config.timeout_seconds * 2):
        logger.warning("the probe loop did not stop in time")
    prober.journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
