"""The goals of issues 6 and 13, applied to what a run measured: one row per figure.

The two cost goals are ratios of the servers' CPU time per request (from /proc), which other
work on a shared machine disturbs far less than it disturbs requests per second.
"""

from __future__ import annotations

from .report import Row, at_least, at_most, info, skipped

#: the bare WSGI app's server CPU per request over numbers-api's
API_OVER_BARE = 0.65
#: numbers-api's server CPU per request over web's and numbers-api's together for /api/number
WEB_OVER_API = 0.35
P99_MS = {"numbers-api": 10.0, "web": 20.0}
SERVICE_TO_WEB_200_S = 1.0
GRACEFUL_MIN_REQUESTS = 1000
SIGKILL_FAILED_PERCENT = 1.0
MEMORY_MIB = {"numbers-api": 80.0, "web": 80.0, "probe": 40.0}
IMAGE_ADDED_MB = 25.0
START_TO_READY_S = 2.0

THROUGHPUT, LATENCY, CHAPTER, RESOURCES = "throughput", "latency", "chapter", "resources"
API_OVER_BARE_MEASURE = "CPU per request: bare WSGI / numbers-api /rng"
WEB_OVER_API_MEASURE = "CPU per request: numbers-api / web /api/number (web + numbers-api)"


def http_rows(data: dict | None, reason: str = "") -> list[Row]:
    """Throughput ceilings, the two ratios, and latency at half saturation."""
    if not data:
        why = reason or "not run"
        return [
            skipped("api_over_bare", THROUGHPUT, API_OVER_BARE_MEASURE, why,
                    f">= {API_OVER_BARE:.2f}"),
            skipped("web_over_api", THROUGHPUT, WEB_OVER_API_MEASURE, why,
                    f">= {WEB_OVER_API:.2f}"),
            *(skipped(f"{name}_p99", LATENCY, f"{name} p99", why, f"<= {P99_MS[name]:g} ms")
              for name in P99_MS),
        ]  # fmt: skip
    throughput = data["throughput"]
    rps = {name: fig["best_rps"] for name, fig in throughput.items()}
    ratios, paired, by_cpu = data["ratios"], data.get("paired_ratios", {}), data["cpu_ratios"]
    by_server_cpu = data.get("server_cpu_ratios", {})

    def cpu_us(name: str) -> float | None:
        return throughput[name].get("best_server_cpu_us_per_request")

    def note(name: str) -> str:
        fig = throughput[name]
        text = f"best of {fig.get('rounds', '?')}, median {fig['median_rps']:.0f}"
        cost = cpu_us(name)
        text += f"; server CPU {'-' if cost is None else f'{cost:.0f}'} us a request"
        if fig["errors"]:
            text += f"; {fig['errors']} errors"
        return text

    def cross_check(key: str) -> str:
        return (
            f"requests/s ratio {_or_dash(ratios.get(key))} (per-round median "
            f"{_or_dash(paired.get(key))}); with wrk's CPU {_or_dash(by_cpu[key])}"
        )

    def shape(name: str) -> str:
        settings = data["servers"].get(name, {})
        return (
            f"{settings.get('workers')} workers x {settings.get('threads')} threads "
            f"{settings.get('worker_class')}"
        )

    rows = []
    if "nginx" in rps:
        rows.append(info("nginx_rps", THROUGHPUT, "nginx, fixed body (machine limit)",
                         round(rps["nginx"]), "req/s", note("nginx")))  # fmt: skip
    else:
        rows.append(skipped("nginx_rps", THROUGHPUT, "nginx, fixed body (machine limit)",
                            data.get("nginx_skipped", "nginx not installed")))  # fmt: skip
    bare_note = f"{shape('bare')}, as numbers-api; {note('bare')}"
    if ratios.get("bare_over_nginx") is not None:
        bare_note += f"; {ratios['bare_over_nginx']:.3f} of nginx"
    rows += [
        info("bare_rps", THROUGHPUT, "bare WSGI (stack ceiling)", round(rps["bare"]), "req/s",
             bare_note),
        info("api_rps", THROUGHPUT, "numbers-api /rng", round(rps["numbers-api"]), "req/s",
             f"{shape('numbers-api')}; {note('numbers-api')}"),
        at_least("api_over_bare", THROUGHPUT, API_OVER_BARE_MEASURE,
                 by_server_cpu.get("api_over_bare"), API_OVER_BARE,
                 shown=f"{API_OVER_BARE:.2f}", note=cross_check("api_over_bare")),
    ]  # fmt: skip
    if "web" in rps:
        rows += [
            info("web_rps", THROUGHPUT, "web /api/number (web -> api)", round(rps["web"]),
                 "req/s", f"{shape('web')}; {note('web')}"),
            info("web_own_cpu", THROUGHPUT, "web's own server CPU a request",
                 _difference(cpu_us("web"), cpu_us("numbers-api")), "us",
                 "web + numbers-api for /api/number, less numbers-api's for /rng"),
            at_least("web_over_api", THROUGHPUT, WEB_OVER_API_MEASURE,
                     by_server_cpu.get("web_over_api"), WEB_OVER_API,
                     shown=f"{WEB_OVER_API:.2f}", note=cross_check("web_over_api")),
        ]  # fmt: skip
    first = next(iter(throughput.values()))
    other = round(sum(fig["other_cores"] for fig in throughput.values()) / len(throughput), 2)
    rows.append(info("other_load_throughput", THROUGHPUT, "other load during these runs",
                     other, "cores",
                     f"{len(first.get('quiet_rounds', []))} of {first.get('rounds', '?')} "
                     "rounds quiet"))  # fmt: skip
    for name, figures in data.get("latency", {}).items():
        text = (
            f"at {figures['target_rate']:g} req/s for {figures['seconds']:g} s; "
            f"{figures['failed']} failed of {figures['sent']}; other load "
            f"{figures['usage']['other_cores']:g} cores"
        )
        if figures["lag_ms"] and figures["lag_ms"] > 5:
            text += f"; client lag up to {figures['lag_ms']:g} ms"
        rows += [
            info(f"{name}_p50", LATENCY, f"{name} p50", figures["p50_ms"], "ms", text),
            at_most(f"{name}_p99", LATENCY, f"{name} p99", figures["p99_ms"], P99_MS[name],
                    "ms", shown=f"{P99_MS[name]:g} ms"),
            info(f"{name}_max", LATENCY, f"{name} max", figures["max_ms"], "ms"),
        ]  # fmt: skip
    return rows


def _difference(total: float | None, part: float | None) -> float | None:
    return None if total is None or part is None else round(total - part, 1)


def _or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def chapter_rows(figures: dict | None, reason: str = "") -> list[Row]:
    """The Service appearing, and a pod deleted under load: gracefully, then with SIGKILL."""
    if not figures:
        why = reason or "not run"
        return [
            skipped("service_to_web_200", CHAPTER, "Service created -> web's first 200", why,
                    f"<= {SERVICE_TO_WEB_200_S:g} s"),
            skipped("graceful_failed", CHAPTER, "failed, graceful pod deletion", why,
                    f"0 of >= {GRACEFUL_MIN_REQUESTS}"),
            skipped("sigkill_failed_percent", CHAPTER, "failed, pod SIGKILLed", why,
                    f"<= {SIGKILL_FAILED_PERCENT:g} %"),
        ]  # fmt: skip
    created = figures["create_service"]
    rows = [
        at_most("service_to_web_200", CHAPTER, "Service created -> web's first 200",
                created.get("seconds_to_web_200"), SERVICE_TO_WEB_200_S, "s",
                note=f"probe ok after {created.get('seconds_to_probe_ok')} s "
                     "(probe interval 1 s)",
                shown=f"{SERVICE_TO_WEB_200_S:g} s"),
    ]  # fmt: skip
    graceful = figures["delete_graceful"]
    sent, failed = graceful["requests_sent"], graceful["requests_failed"]
    rows.append(
        Row(
            "graceful_failed", CHAPTER, "failed, graceful pod deletion", failed, "requests",
            f"0 of >= {GRACEFUL_MIN_REQUESTS}",
            failed == 0 and sent >= GRACEFUL_MIN_REQUESTS,
            f"{failed} of {sent} at {graceful['request_rate']:g} req/s"
            + _kinds(graceful) + f"; p99 {graceful['latency_p99_ms']} ms",
        )
    )  # fmt: skip
    killed = figures["delete_sigkill"]
    sent, failed = killed["requests_sent"], killed["requests_failed"]
    percent = round(100.0 * failed / sent, 2) if sent else None
    rows.append(
        at_most("sigkill_failed_percent", CHAPTER, "failed, pod SIGKILLed", percent,
                SIGKILL_FAILED_PERCENT, "%", shown=f"{SIGKILL_FAILED_PERCENT:g} %",
                note=f"{failed} of {sent} at {killed['request_rate']:g} req/s" + _kinds(killed)
                + f"; p99 {killed['latency_p99_ms']} ms"),
    )  # fmt: skip
    return rows


def _kinds(step: dict) -> str:
    kinds = step.get("failures_by_kind") or {}
    return (" (" + ", ".join(f"{k} {v}" for k, v in kinds.items()) + ")") if kinds else ""


def resource_rows(figures: dict | None, reason: str = "") -> list[Row]:
    """Memory idle and under load, image size over the base, container start to ready."""
    if not figures:
        why = reason or "not run"
        rows = []
        for phase, words in (("idle", "idle"), ("loaded", "under load")):
            for role, limit in MEMORY_MIB.items():
                rows.append(skipped(f"{role}_memory_{phase}", RESOURCES,
                                    f"{role} memory, {words}", why, f"<= {limit:g} MiB"))
        for role in MEMORY_MIB:
            rows.append(skipped(f"{role}_image_added", RESOURCES, f"{role} image over its base",
                                why, f"<= {IMAGE_ADDED_MB:g} MB"))
        for role in MEMORY_MIB:
            rows.append(skipped(f"{role}_start_to_ready", RESOURCES, f"{role} start to ready",
                                why, f"<= {START_TO_READY_S:g} s"))
        return rows  # fmt: skip
    rows = []
    for phase, words in (("idle", "idle"), ("loaded", "under load")):
        for role, limit in MEMORY_MIB.items():
            memory = figures.get(phase, {}).get(role)
            key, measure = f"{role}_memory_{phase}", f"{role} memory, {words}"
            if memory is None:
                why = figures.get("load_skipped", "not measured")
                rows.append(skipped(key, RESOURCES, measure, why, f"<= {limit:g} MiB"))
                continue
            note = f"rss {memory['rss_mib']:g} MiB"
            if phase == "loaded" and role in figures.get("load", {}):
                load = figures["load"][role]
                note += f"; wrk at {load['requests_per_second']:.0f} req/s"
            rows.append(at_most(key, RESOURCES, measure, memory["mib"], limit, "MiB", note,
                                shown=f"{limit:g} MiB"))  # fmt: skip
    for role, size in figures.get("images", {}).items():
        key, measure = f"{role}_image_added", f"{role} image over its base"
        if size["added_mb"] is None:
            rows.append(skipped(key, RESOURCES, measure, "base image not found locally",
                                f"<= {IMAGE_ADDED_MB:g} MB"))  # fmt: skip
            continue
        rows.append(at_most(key, RESOURCES, measure, size["added_mb"], IMAGE_ADDED_MB, "MB",
                            f"{size['size_mb']:g} MB on {size['base']} ({size['base_mb']:g} MB)",
                            shown=f"{IMAGE_ADDED_MB:g} MB"))  # fmt: skip
    for role, seconds in figures.get("start_seconds", {}).items():
        ready = "/healthz" if role == "probe" else "/readyz"
        samples = figures.get("start_samples", {}).get(role, [])
        note = f"docker run -> {ready} 200; median of {len(samples)}: " + ", ".join(
            "never" if sample is None else f"{sample:g}" for sample in samples
        )
        rows.append(at_most(f"{role}_start_to_ready", RESOURCES, f"{role} start to ready",
                            seconds, START_TO_READY_S, "s", note,
                            shown=f"{START_TO_READY_S:g} s"))  # fmt: skip
    return rows
