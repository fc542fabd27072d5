"""Play the Services chapter and report what happened.

python -m scenario docker                                 # containers on Docker (make demo)
python -m scenario kubernetes --kubeconfig FILE           # a real cluster (make cluster-demo)
python -m scenario kubernetes --context kind-numbers-demo # a kind cluster (make kind-demo)
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from .report import table, write_html, write_json
from .steps import Settings, probe_status, probe_timeline_svg, run_chapter


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenario", description=__doc__)
    parser.add_argument("backend", choices=["docker", "kubernetes"])
    parser.add_argument("--kubeconfig", help="kubectl's kubeconfig (kubernetes backend)")
    parser.add_argument("--context", help="kubectl context (kubernetes backend)")
    parser.add_argument("--version", default="0.1.0", help="image tag to run")
    parser.add_argument(
        "--report", type=Path, default=Path("demo-report.json"), help="and .html beside it"
    )
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s during deletion")
    parser.add_argument(
        "--requests",
        type=int,
        default=Settings.min_requests_during_deletion,
        help="at least this many while the pods are deleted",
    )
    args = parser.parse_args(argv)

    if args.backend == "kubernetes":
        from .kubectl_backend import KubectlBackend

        backend = KubectlBackend(kubeconfig=args.kubeconfig, context=args.context)
    else:
        from .docker_backend import DockerBackend

        images = {
            name: f"numbers-demo/{name}:{args.version}" for name in ("numbers-api", "web", "probe")
        }
        backend = DockerBackend(images)
    settings = Settings(load_rate=args.rate, min_requests_during_deletion=args.requests)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"numbers-demo: the Services chapter on {backend.name} (run {backend.run_id})\n")
    started = time.monotonic()
    try:
        steps = run_chapter(backend, settings, lambda line: print(line, flush=True))
        probe = probe_status(backend)
        timeline = probe_timeline_svg(backend, int(time.monotonic() - started) + 5)
    except KeyboardInterrupt:
        print("\ninterrupted: removing what this run created", file=sys.stderr)
        return 130
    finally:
        backend.cleanup()
    print(table(steps))
    report = write_json(args.report, backend.name, steps, probe)
    html_path = args.report.with_suffix(".html")
    write_html(html_path, report, timeline)
    print(f"\nreports: {args.report} and {html_path}; everything this run created was removed")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
