"""Throughput ratios and latency at a fixed rate, for the programs running on this host.

Four servers run side by side on 127.0.0.1: nginx (the machine's HTTP limit), the bare WSGI
app under numbers-api's gunicorn settings (the stack's ceiling), numbers-api, and web calling
that numbers-api over HTTP. wrk saturates each in turn; the rounds are interleaved so that
drift on a shared machine lands on every target alike. Latency is then measured at a
constant fraction (half) of each program's own measured saturation (its median round).

A shared machine is busy with other work at times, and other work only ever slows a run
down. So each target's throughput is its best round (as timeit takes the minimum), and a
ratio is the ratio of two bests from the same run. Every measurement also records how many
cores something else kept busy meanwhile ("other load", from /proc/stat); a round is quiet
when that stayed under Plan.quiet_cores for all its targets, and rounds go on (up to
Plan.max_rounds) until Plan.rounds quiet ones are in. The median of the per-round ratios and
the ratio of CPU time per request are recorded beside each ratio as cross-checks.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from . import cpu, vegeta, wrk
from .resources import pss_mib
from .servers import Gunicorn, Nginx, ServerError, Tuning

Say = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """How long and how hard to measure; quick() is a seconds-long smoke run."""

    seconds: float = 3.0
    warmup: float = 2.0
    #: quiet rounds wanted
    rounds: int = 5
    #: rounds allowed in all, quiet or not
    max_rounds: int = 12
    #: wrk -c: see docs/benchmarks.md for why 16
    connections: int = 16
    latency_seconds: float = 10.0
    #: the constant rate for latency, as a fraction of the measured saturation
    latency_fraction: float = 0.5
    #: latency runs allowed, to find one in a quiet spell; the quietest is kept
    latency_attempts: int = 3
    #: cores busy with other work above which a measurement is not quiet
    quiet_cores: float = 0.25

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            seconds=1, warmup=1, rounds=1, max_rounds=1, connections=8, latency_seconds=1.0,
            latency_attempts=1,
        )  # fmt: skip


@dataclass
class Target:
    """What wrk loads, and every process that works to answer it (web: web and numbers-api)."""

    url: str
    pids: Callable[[], list[int]]


def _saturate_once(target: Target, plan: Plan) -> dict:
    pids = target.pids()
    ours_before, (machine_before, steal_before) = cpu.process_seconds(pids), cpu.machine_seconds()
    started = time.monotonic()
    result = wrk.run(target.url, plan.connections, plan.seconds)
    usage = cpu.Usage(seconds=time.monotonic() - started)
    machine_after, steal_after = cpu.machine_seconds()
    servers = cpu.process_seconds(pids) - ours_before
    usage.ours = servers + result.cpu_seconds
    usage.machine, usage.steal = machine_after - machine_before, steal_after - steal_before

    def per_request(seconds: float) -> float | None:
        return round(1e6 * seconds / result.requests, 1) if result.requests else None

    return {
        **result.to_dict(),
        "usage": usage.to_dict(),
        # wrk's share included: what the ratio of throughputs depends on
        "cpu_us_per_request": per_request(usage.ours),
        # the servers' alone: what a setting changes
        "server_cpu_us_per_request": per_request(servers),
    }


def saturate(targets: dict[str, Target], plan: Plan, say: Say) -> dict[str, dict]:
    """wrk against every target: one warm-up each, then interleaved rounds until
    `plan.rounds` quiet ones are in (or `plan.max_rounds` were run)."""
    for target in targets.values():
        wrk.run(target.url, plan.connections, plan.warmup)
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    quiet_rounds: list[int] = []
    for index in range(plan.max_rounds):
        for name, target in targets.items():
            runs[name].append(_saturate_once(target, plan))
        other = max(r[-1]["usage"]["other_cores"] for r in runs.values())
        if other <= plan.quiet_cores:
            quiet_rounds.append(index)
        say(
            f"  round {index + 1}: "
            + ", ".join(f"{n} {r[-1]['requests_per_second']:.0f}/s" for n, r in runs.items())
            + f"; other load up to {other:.2f} cores"
            + ("" if other <= plan.quiet_cores else " (busy)")
        )
        if len(quiet_rounds) >= plan.rounds:
            break
    total = len(next(iter(runs.values()), []))
    if len(quiet_rounds) < plan.rounds:
        say(f"  {len(quiet_rounds)} quiet round(s) of {total}: the machine was busy")
    figures = {}
    for name, results in runs.items():
        figures[name] = {
            "url": targets[name].url,
            "best_rps": max(r["requests_per_second"] for r in results),
            "median_rps": statistics.median(r["requests_per_second"] for r in results),
            "best_cpu_us_per_request": _least(r["cpu_us_per_request"] for r in results),
            "best_server_cpu_us_per_request": _least(
                r["server_cpu_us_per_request"] for r in results
            ),
            "errors": sum(r["errors"] for r in results),
            "other_cores": round(statistics.mean(r["usage"]["other_cores"] for r in results), 2),
            "rounds": total,
            "quiet_rounds": quiet_rounds,
            "runs": results,
        }
    return figures


def _least(values) -> float | None:
    present = [value for value in values if value is not None]
    return round(min(present), 1) if present else None


def best_ratio(figures: dict[str, dict], top: str, bottom: str) -> float | None:
    """top's best throughput over bottom's, both from this run: the goal figure."""
    if top not in figures or bottom not in figures or not figures[bottom]["best_rps"]:
        return None
    return round(figures[top]["best_rps"] / figures[bottom]["best_rps"], 3)


def paired_ratio(figures: dict[str, dict], top: str, bottom: str) -> float | None:
    """Median over rounds of top/bottom throughput, each pair taken within the same round."""
    if top not in figures or bottom not in figures:
        return None
    ratios = [
        t["requests_per_second"] / b["requests_per_second"]
        for t, b in zip(figures[top]["runs"], figures[bottom]["runs"], strict=True)
        if b["requests_per_second"] > 0
    ]
    return round(statistics.median(ratios), 3) if ratios else None


def cpu_ratio(
    figures: dict[str, dict], top: str, bottom: str, key: str = "best_cpu_us_per_request"
) -> float | None:
    """The same ratio from CPU time per request (by default wrk's included; key
    best_server_cpu_us_per_request for the servers' alone): bottom's least cost over top's.
    Other work inflates CPU time far less than it cuts throughput."""
    if top not in figures or bottom not in figures:
        return None
    least_top, least_bottom = figures[top][key], figures[bottom][key]
    return round(least_bottom / least_top, 3) if least_top and least_bottom else None


def fixed_rate(name: str, target: Target, rate: float, plan: Plan, say: Say) -> dict:
    """Up to plan.latency_attempts runs at `rate`, until one is quiet; the quietest counts."""
    attempts = []
    for _ in range(plan.latency_attempts):
        attempts.append(_fixed_rate_once(name, target, rate, plan.latency_seconds, say))
        if attempts[-1]["usage"]["other_cores"] <= plan.quiet_cores:
            break
    best = min(attempts, key=lambda figures: figures["usage"]["other_cores"])
    quiet = best["usage"]["other_cores"] <= plan.quiet_cores
    return {**best, "attempts": len(attempts), "quiet": quiet}


def _fixed_rate_once(name: str, target: Target, rate: float, seconds: float, say: Say) -> dict:
    rate = max(1.0, round(rate))
    pids = target.pids()
    ours_before, (machine_before, steal_before) = cpu.process_seconds(pids), cpu.machine_seconds()
    client_before = _self_cpu()
    started = time.monotonic()
    result = vegeta.run(target.url, rate=rate, seconds=seconds)
    usage = cpu.Usage(seconds=time.monotonic() - started)
    machine_after, steal_after = cpu.machine_seconds()
    usage.ours = cpu.process_seconds(pids) - ours_before + _self_cpu() - client_before
    usage.machine, usage.steal = machine_after - machine_before, steal_after - steal_before
    figures = {**result.summary(), "usage": usage.to_dict()}
    say(
        f"  {name} at {rate:.0f} req/s: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"max {figures['max_ms']} ms, {figures['failed']} failed of {figures['sent']} "
        f"(client lag {figures['lag_ms']} ms; other load {usage.other_cores:.2f} cores)"
    )
    return figures


def _self_cpu() -> float:
    """This process's CPU and its finished children's: vegeta, once run() has waited for it."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def measure(
    run_dir: Path,
    plan: Plan,
    say: Say,
    api_tuning: Tuning | None = None,
    web_tuning: Tuning | None = None,
    with_nginx: bool = True,
    with_bare: bool = True,
    with_web: bool = True,
    latency_rates: dict[str, float] | None = None,
    latency_targets: tuple[str, ...] = ("numbers-api", "web"),
) -> dict:
    """Start the servers, saturate each, then time requests at a constant rate.

    latency_rates fixes the constant rates (req/s) instead of deriving them from this run's
    saturation, so that alternative settings are compared at the same load.
    """
    api_tuning = api_tuning or Tuning()
    web_tuning = web_tuning or Tuning()
    data: dict = {"plan": plan.__dict__, "servers": {}}
    with ExitStack() as stack:
        servers: dict[str, object] = {}
        if with_nginx:
            try:
                servers["nginx"] = stack.enter_context(Nginx(run_dir))
            except ServerError as error:
                data["nginx_skipped"] = str(error).splitlines()[0]
                say(f"  nginx skipped: {data['nginx_skipped']}")
        if with_bare:
            servers["bare"] = stack.enter_context(Gunicorn("bare", run_dir, api_tuning))
        api = stack.enter_context(Gunicorn("numbers-api", run_dir, api_tuning))
        servers["numbers-api"] = api
        if with_web:
            servers["web"] = stack.enter_context(
                Gunicorn("web", run_dir, web_tuning, {"NUMBERS_API_URL": f"{api.url}/rng"})
            )
        data["servers"] = {name: server.settings for name, server in servers.items()}
        data["idle_pss_mib"] = {
            name: pss_mib(server.pids())
            for name, server in servers.items()
            if isinstance(server, Gunicorn)
        }
        targets = {
            name: Target(server.load_url, server.pids) for name, server in servers.items()
        }
        if "web" in targets:
            web = servers["web"]
            targets["web"] = Target(web.load_url, lambda: web.pids() + api.pids())
        say(f"  wrk -t2 -c{plan.connections} -d{plan.seconds:g}s, {plan.rounds} round(s): "
            + ", ".join(targets))  # fmt: skip
        data["throughput"] = saturate(targets, plan, say)
        pairs = {
            "bare_over_nginx": ("bare", "nginx"),
            "api_over_bare": ("numbers-api", "bare"),
            "web_over_api": ("web", "numbers-api"),
        }
        data["ratios"] = {k: best_ratio(data["throughput"], *p) for k, p in pairs.items()}
        data["paired_ratios"] = {
            k: paired_ratio(data["throughput"], *p) for k, p in pairs.items()
        }
        data["cpu_ratios"] = {k: cpu_ratio(data["throughput"], *p) for k, p in pairs.items()}
        # The goals: what the servers alone spend, steady on a shared machine.
        data["server_cpu_ratios"] = {
            k: cpu_ratio(data["throughput"], *p, key="best_server_cpu_us_per_request")
            for k, p in pairs.items()
        }
        data["latency"] = {}
        for name in latency_targets:
            if name not in servers:
                continue
            # Half of what it typically sustained in this run (the median round), not of
            # its best: the rate must hold for the whole latency run on a shared machine.
            rate = (latency_rates or {}).get(name) or (
                data["throughput"][name]["median_rps"] * plan.latency_fraction
            )
            data["latency"][name] = fixed_rate(name, targets[name], rate, plan, say)
        data["after_load_pss_mib"] = {
            name: pss_mib(server.pids())
            for name, server in servers.items()
            if isinstance(server, Gunicorn)
        }
    return data
