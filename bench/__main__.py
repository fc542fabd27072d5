"""Benchmark numbers-demo on this machine, as ratios taken within one run.

    python -m bench              # everything (about 5 minutes): make bench
    python -m bench --quick      # seconds-long smoke run of the HTTP section only
    python -m bench --tune       # compare gunicorn worker settings (about 15 minutes)

Load goes only to 127.0.0.1 (host servers on ephemeral ports, and ports this run's own
containers publish there). Prints a table with every goal marked met or MISSED, and writes
results as JSON and as a markdown table (--update-docs also puts it in docs/benchmarks.md).
A missed goal is a finding, not an error: the exit code is 0 unless --strict.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import events, goals, http_stack, machine, report, resources, vegeta, wrk
from .servers import ROOT, ServerError, Tuning, nginx_binary

SECTIONS = ("http", "chapter", "resources")
DOCS = ROOT / "docs" / "benchmarks.md"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def say(line: str) -> None:
    print(line, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke mode")
    parser.add_argument("--tune", action="store_true", help="compare gunicorn settings instead")
    parser.add_argument(
        "--sections",
        default=None,
        help=f"comma-separated subset of {','.join(SECTIONS)} "
        "(default: all; with --quick: http)",
    )
    parser.add_argument("--version", default="0.1.0", help="image tag (chapter, resources)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench", help="where results go")
    parser.add_argument(
        "--update-docs", action="store_true", help=f"rewrite the results (or tuning) in {DOCS}"
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    for program in ("api", "web"):
        for knob, variable in (("workers", "WEB_CONCURRENCY"), ("threads", "GUNICORN_THREADS")):
            parser.add_argument(
                f"--{program}-{knob}", type=int, metavar="N",
                help=f"HTTP section: {variable} for {program} (default: its own setting)"
                + ("; the bare app follows" if program == "api" else ""),
            )  # fmt: skip
    parser.add_argument(
        "--from-json", type=Path, help="measure nothing: print and write the table of this "
        "results file again (with --update-docs, into the docs)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.docs = DOCS
    chosen = args.sections or ("http" if args.quick else ",".join(SECTIONS))
    args.sections = [part.strip() for part in chosen.split(",") if part.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def _docker_ready(client, images: dict[str, str]) -> str:
    """Why the Docker sections cannot run, or an empty string when they can."""
    if client is None:
        return "no Docker Engine answers (scripts/ensure-docker.sh starts one)"
    missing = []
    for tag in images.values():
        try:
            client.images.get(tag)
        except Exception:  # not found, or any API error: either way the image is not usable
            missing.append(tag)
    return f"images not built: {', '.join(missing)} (make images)" if missing else ""


def run(args: argparse.Namespace, run_dir: Path) -> tuple[list[report.Row], dict, dict]:
    mode = "quick" if args.quick else "full"
    images = {name: f"numbers-demo/{name}:{args.version}" for name in resources.ROLES}
    client = resources.docker_client() if {"chapter", "resources"} & set(args.sections) else None
    facts = machine.describe(resources.docker_version(client or resources.docker_client()), mode)
    say(report.machine_line(facts) + "\n")
    data: dict = {}
    rows: list[report.Row] = []

    if "http" in args.sections:
        say("HTTP on 127.0.0.1: nginx, bare WSGI, numbers-api, web -> numbers-api")
        reason = ""
        if not wrk.available():
            reason = "wrk is not installed (bench/setup.sh)"
        elif missing := _vegeta_missing():
            reason = missing
        else:
            if not nginx_binary():
                say("  nginx is not installed (bench/setup.sh): no machine-limit row")
            plan = http_stack.Plan.quick() if args.quick else http_stack.Plan()
            try:
                data["http"] = http_stack.measure(
                    run_dir, plan, say,
                    api_tuning=Tuning(args.api_workers, args.api_threads),
                    web_tuning=Tuning(args.web_workers, args.web_threads),
                )  # fmt: skip
            except ServerError as error:
                reason = f"a server did not start: {str(error).splitlines()[0]}"
                say(f"  {error}")
        if reason:
            say(f"  skipped: {reason}")
            data.setdefault("skipped", {})["http"] = reason
        rows += goals.http_rows(data.get("http"), reason)

    if "chapter" in args.sections:
        say("\nThe chapter's events on Docker (scenario.steps, DockerBackend)")
        reason = _docker_ready(client, images)
        if not reason:
            rate, requests = (50.0, 100) if args.quick else (50.0, goals.GRACEFUL_MIN_REQUESTS)
            data["chapter"] = events.measure(client, images, rate, requests, say)
        else:
            say(f"  skipped: {reason}")
            data.setdefault("skipped", {})["chapter"] = reason
        rows += goals.chapter_rows(data.get("chapter"), reason)

    if "resources" in args.sections:
        say("\nResources of the three containers")
        reason = _docker_ready(client, images)
        if not reason:
            load_seconds, settle = (1.0, 1.0) if args.quick else (5.0, 3.0)
            data["resources"] = resources.measure(client, images, load_seconds, settle, say)
        else:
            say(f"  skipped: {reason}")
            data.setdefault("skipped", {})["resources"] = reason
        rows += goals.resource_rows(data.get("resources"), reason)
    return rows, facts, data


ROW_MAKERS = {
    "http": goals.http_rows, "chapter": goals.chapter_rows, "resources": goals.resource_rows,
}  # fmt: skip


def _vegeta_missing() -> str:
    """Why the latency runs cannot be made, or "" once vegeta is built."""
    try:
        vegeta.binary()
    except vegeta.VegetaUnavailable as error:
        return str(error)
    return ""


def rows_from(data: dict) -> list[report.Row]:
    """The table of a run's figures (and of the reasons its sections were skipped)."""
    skipped = data.get("skipped", {})
    return [
        row
        for section in SECTIONS
        if section in data or section in skipped
        for row in ROW_MAKERS[section](data.get(section), skipped.get(section, ""))
    ]


def write(args, rows, facts, data) -> None:
    stem = "quick-results" if args.quick else "results"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = args.out_dir / f"{stem}.json", args.out_dir / f"{stem}.md"
    report.write_json(json_path, rows, facts, data)
    table = report.markdown(rows, facts)
    md_path.write_text(table)
    say(f"\nwrote {json_path} and {md_path}")
    if args.update_docs:
        DOCS.write_text(report.replace_block(DOCS.read_text(), table))
        say(f"updated the table in {DOCS}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        _, facts, data = report.read_json(args.from_json)
        rows = rows_from(data)
        say(report.machine_line(facts) + "\n\n" + report.table(rows))
        args.quick = facts.get("mode") == "quick"
        write(args, rows, facts, data)
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    run_dir = Path(tempfile.mkdtemp(prefix="numbers-demo-bench-"))
    started = time.monotonic()
    try:
        if args.tune:
            from . import tuning

            return tuning.main(args, run_dir, say)
        rows, facts, data = run(args, run_dir)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, containers removed", file=sys.stderr)
        return 130
    finally:
        if args.keep_logs:
            say(f"server logs kept in {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    data["elapsed_seconds"] = round(time.monotonic() - started, 1)
    say("\n" + report.table(rows))
    write(args, rows, facts, data)
    missed = report.summary(rows)["missed"]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
