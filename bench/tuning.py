"""Which gunicorn settings: the defaults against the alternatives, measured the same way.

    python -m bench --tune        # about 15 minutes; writes bench/tuning.json and tuning.md

1. wrk's connection count, for the defaults: how the ratios depend on -c.
2. Throughput of each candidate setting: numbers-api (and the bare app under the same
   settings, for the ratio), then web (calling numbers-api at its defaults). Best of the
   rounds, CPU time per request, memory (PSS) of the server's processes after the load.
3. Latency of each candidate at one fixed rate that every candidate sustains: all candidates
   run side by side and take turns, round after round, so that a busy spell on a shared
   machine hits them alike; the figure is the median over the quiet rounds.
"""

from __future__ import annotations

import json
import statistics
from contextlib import ExitStack
from pathlib import Path

from . import cpu, http_stack, machine, resources, wrk
from .report import machine_line, replace_block
from .servers import Gunicorn, Tuning

TUNING_BEGIN, TUNING_END = "<!-- bench:tuning:begin -->", "<!-- bench:tuning:end -->"

CONNECTIONS = (4, 8, 16, 32, 64)
DEFAULTS = Tuning()
API_CANDIDATES = (
    DEFAULTS,
    Tuning(accesslog=False),
    Tuning(1, None, "gthread"),
    Tuning(2, 1, "gthread"),
    Tuning(2, 2, "gthread"),
    Tuning(2, 8, "gthread"),
    Tuning(4, 2, "gthread"),
    Tuning(2, 1, "sync"),
)
WEB_CANDIDATES = (
    DEFAULTS,
    Tuning(accesslog=False),
    Tuning(1, None, "gthread"),
    Tuning(2, 8, "gthread"),
    Tuning(2, 32, "gthread"),
    Tuning(4, None, "gthread"),
    Tuning(4, 1, "sync"),
)
API_LATENCY = (DEFAULTS, Tuning(2, 1, "gthread"), Tuning(2, 2, "gthread"), Tuning(2, 1, "sync"))
WEB_LATENCY = (DEFAULTS, Tuning(2, 8, "gthread"), Tuning(2, 32, "gthread"), Tuning(4, 1, "sync"))
#: fixed rates for the latency comparison: about a third of what the defaults sustain here
API_RATE, WEB_RATE = 1000.0, 200.0
LATENCY_ROUNDS, LATENCY_SECONDS = 3, 5.0
PLAN = http_stack.Plan(seconds=3, warmup=2, rounds=3, max_rounds=6, connections=16)


def _quiet(line: str) -> None:
    pass


def _label(tuning: Tuning, settings: dict) -> str:
    shape = f"{settings.get('worker_class')} {settings.get('workers')}w {settings.get('threads')}t"
    if tuning == DEFAULTS:
        return f"defaults ({shape})"
    return shape + (", no access log" if tuning.accesslog is False else "")


def connection_sweep(run_dir: Path, say) -> list[dict]:
    rows = []
    for connections in CONNECTIONS:
        plan = http_stack.Plan(
            seconds=2, warmup=1, rounds=2, max_rounds=4, connections=connections,
            latency_seconds=1,
        )  # fmt: skip
        data = http_stack.measure(run_dir, plan, _quiet, with_nginx=False, latency_targets=())
        rps = {name: round(fig["best_rps"]) for name, fig in data["throughput"].items()}
        rows.append({
            "connections": connections, "rps": rps, **data["ratios"],
            "cpu_ratios": data["cpu_ratios"],
            "other_cores": max(fig["other_cores"] for fig in data["throughput"].values()),
        })  # fmt: skip
        say(f"  -c{connections}: {rps}, api/bare {data['ratios']['api_over_bare']}, "
            f"web/api {data['ratios']['web_over_api']}")  # fmt: skip
    return rows


def throughput(run_dir: Path, kind: str, say) -> list[dict]:
    rows = []
    for tuning in API_CANDIDATES if kind == "numbers-api" else WEB_CANDIDATES:
        if kind == "numbers-api":
            data = http_stack.measure(
                run_dir, PLAN, _quiet, api_tuning=tuning, with_nginx=False, with_web=False,
                latency_targets=(),
            )  # fmt: skip
            other, ratio = "bare", "api_over_bare"
        else:
            data = http_stack.measure(
                run_dir, PLAN, _quiet, web_tuning=tuning, with_nginx=False, with_bare=False,
                latency_targets=(),
            )  # fmt: skip
            other, ratio = "numbers-api", "web_over_api"
        figures = data["throughput"][kind]
        row = {
            "settings": _label(tuning, data["servers"][kind]),
            "effective": data["servers"][kind],
            "rps": round(figures["best_rps"]),
            "median_rps": round(figures["median_rps"]),
            "other_rps": round(data["throughput"][other]["best_rps"]),
            "ratio": data["ratios"][ratio],
            "cpu_ratio": data["cpu_ratios"][ratio],
            # web's figure includes the numbers-api it calls
            "server_cpu_us": figures["best_server_cpu_us_per_request"],
            "pss_mib": data["idle_pss_mib"][kind],
            "pss_after_load_mib": data["after_load_pss_mib"][kind],
            "quiet_rounds": f"{len(figures['quiet_rounds'])}/{figures['rounds']}",
        }
        rows.append(row)
        say(f"  {kind} {row['settings']}: {row['rps']}/s, ratio {row['ratio']} "
            f"(cpu {row['cpu_ratio']}), {row['server_cpu_us']} us/req, "
            f"PSS {row['pss_after_load_mib']} MiB, quiet {row['quiet_rounds']}")  # fmt: skip
    return rows


def latency_matrix(run_dir: Path, kind: str, say) -> dict:
    """Every candidate side by side, taking turns at one rate; median p99 of quiet rounds."""
    candidates = API_LATENCY if kind == "numbers-api" else WEB_LATENCY
    rate = API_RATE if kind == "numbers-api" else WEB_RATE
    plan = http_stack.Plan(latency_seconds=LATENCY_SECONDS, latency_attempts=1)
    samples: dict[str, list[dict]] = {}
    with ExitStack() as stack:
        api = stack.enter_context(Gunicorn("numbers-api", run_dir)) if kind == "web" else None
        servers = {}
        for tuning in candidates:
            env = {"NUMBERS_API_URL": f"{api.url}/rng"} if api else {}
            server = stack.enter_context(Gunicorn(kind, run_dir, tuning, env))
            servers[_label(tuning, server.settings)] = server
        for server in servers.values():
            wrk.run(server.load_url, 16, 1)
        for round_number in range(LATENCY_ROUNDS):
            for label, server in servers.items():
                pids = (lambda s=server: s.pids() + api.pids()) if api else server.pids
                before = cpu.process_seconds(pids())
                figures = http_stack.fixed_rate(
                    label, http_stack.Target(server.load_url, pids), rate, plan, _quiet
                )
                spent = cpu.process_seconds(pids()) - before
                figures["server_cpu_us"] = round(1e6 * spent / max(1, figures["sent"]), 1)
                samples.setdefault(label, []).append(figures)
            say(f"  round {round_number + 1}: " + ", ".join(
                f"{label} p99 {runs[-1]['p99_ms']} ms" for label, runs in samples.items()
            ))  # fmt: skip
    rows = []
    for label, runs in samples.items():
        quiet = [r for r in runs if r["usage"]["other_cores"] <= plan.quiet_cores]
        used = quiet or runs

        def median(key: str, used: list[dict] = used) -> float | None:
            values = [r[key] for r in used if r[key] is not None]
            return round(statistics.median(values), 2) if values else None

        rows.append({
            "settings": label, "rate": rate, "quiet_rounds": f"{len(quiet)}/{len(runs)}",
            "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"), "max_ms": median("max_ms"),
            "server_cpu_us": median("server_cpu_us"),
            "failed": sum(r["failed"] for r in runs),
            "p99_each_ms": [r["p99_ms"] for r in runs],
        })  # fmt: skip
    return {"rate": rate, "rows": rows}


def markdown(results: dict) -> str:
    out = [
        f"#### wrk -c, at the defaults ({results['machine']['nproc']} cores)",
        "",
        "| -c | bare req/s | numbers-api req/s | web req/s | api / bare (by CPU) | "
        "web / api (by CPU) | other load, cores |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["connections"]:
        rps, by_cpu = row["rps"], row["cpu_ratios"]
        out.append(
            f"| {row['connections']} | {rps.get('bare')} | {rps.get('numbers-api')} | "
            f"{rps.get('web')} | {row['api_over_bare']} ({by_cpu['api_over_bare']}) | "
            f"{row['web_over_api']} ({by_cpu['web_over_api']}) | {row['other_cores']} |"
        )
    for title, key, other in (
        ("numbers-api throughput (bare WSGI under the same settings)", "api", "bare"),
        ("web throughput (numbers-api at its defaults)", "web", "numbers-api"),
    ):
        out += [
            "",
            f"#### {title}",
            "",
            f"| settings | req/s (best) | {other} req/s | ratio (by CPU) | server CPU µs/req | "
            "PSS after load, MiB | quiet rounds |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in results[key]:
            out.append(
                f"| {row['settings']} | {row['rps']} | {row['other_rps']} | {row['ratio']} "
                f"({row['cpu_ratio']}) | {row['server_cpu_us']} | {row['pss_after_load_mib']} | "
                f"{row['quiet_rounds']} |"
            )
    for title, key in (("numbers-api latency", "api_latency"), ("web latency", "web_latency")):
        matrix = results[key]
        out += [
            "",
            f"#### {title} at {matrix['rate']:g} req/s (median of quiet rounds)",
            "",
            "| settings | p50 ms | p99 ms | max ms | server CPU µs/req at this rate | "
            "p99 of each round, ms | quiet rounds |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in matrix["rows"]:
            each = ", ".join("-" if v is None else f"{v:g}" for v in row["p99_each_ms"])
            out.append(
                f"| {row['settings']} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} | "
                f"{row['server_cpu_us']} | {each} | {row['quiet_rounds']} |"
            )
    return "\n".join(out) + "\n"


def main(args, run_dir: Path, say) -> int:
    facts = machine.describe(resources.docker_version(resources.docker_client()), "tune")
    say(report_line(facts))
    results: dict = {"machine": facts, "plan": PLAN.__dict__}
    say("wrk connection count, defaults")
    results["connections"] = connection_sweep(run_dir, say)
    say("numbers-api settings: throughput")
    results["api"] = throughput(run_dir, "numbers-api", say)
    say(f"numbers-api settings: latency at {API_RATE:g} req/s")
    results["api_latency"] = latency_matrix(run_dir, "numbers-api", say)
    say("web settings: throughput")
    results["web"] = throughput(run_dir, "web", say)
    say(f"web settings: latency at {WEB_RATE:g} req/s")
    results["web_latency"] = latency_matrix(run_dir, "web", say)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "tuning.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = markdown(results)
    (args.out_dir / "tuning.md").write_text(report_line(facts) + "\n\n" + table)
    say("\n" + table)
    say(f"wrote {args.out_dir / 'tuning.json'} and {args.out_dir / 'tuning.md'}")
    if args.update_docs:
        docs = args.docs
        block = report_line(facts) + "\n\n" + table
        docs.write_text(replace_block(docs.read_text(), block, TUNING_BEGIN, TUNING_END))
        say(f"updated the tuning tables in {docs}")
    return 0


def report_line(facts: dict) -> str:
    return machine_line(facts)
