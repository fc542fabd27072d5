"""The bench harness (`python -m bench`) kept from rotting: its parsers, its constant-rate
load (vegeta, built here from the Go module proxy when not yet cached), its goal table, and a
seconds-long quick run. No speed goal is asserted here:
benchmarks are not timed tests, and this machine's speed is not this suite's business."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from service_runtime.testing import free_port

from bench import goals, report, vegeta, wrk
from bench.__main__ import rows_from
from bench.guard import NotLoopback
from tests.support.processes import ROOT

# ---- wrk's report, as Debian's wrk 4.1.0 printed it on this project's machine ----------

WRK_WITH_LATENCY = """\
Running 1s test @ http://127.0.0.1:18081/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.63ms    1.30ms  16.43ms   88.66%
    Req/Sec     2.73k   706.91     4.00k    71.43%
  Latency Distribution
     50%    1.25ms
     75%    1.80ms
     90%    2.95ms
     99%    7.19ms
  5713 requests in 1.10s, 842.59KB read
Requests/sec:   5192.87
Transfer/sec:    765.88KB
"""

WRK_NON_2XX = """\
Running 1s test @ http://127.0.0.1:18082/nope
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.56ms    2.30ms  18.19ms   89.35%
    Req/Sec     0.91k   340.12     2.18k    90.48%
  1915 requests in 1.10s, 576.00KB read
  Non-2xx or 3xx responses: 1915
Requests/sec:   1738.63
Transfer/sec:    522.95KB
"""

WRK_SOCKET_ERRORS = """\
Running 1s test @ http://127.0.0.1:18098/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   105.93us  275.28us   4.83ms   96.63%
    Req/Sec     4.97k   818.48     5.93k    60.00%
  Latency Distribution
     50%   59.00us
     75%   71.00us
     90%   96.00us
     99%    1.35ms
  4952 requests in 1.00s, 193.44KB read
  Socket errors: connect 0, read 9904, write 0, timeout 0
Requests/sec:   4947.33
Transfer/sec:    193.26KB
"""


def test_wrk_report_with_latency_distribution():
    result = wrk.parse(WRK_WITH_LATENCY)

    assert result.requests == 5713
    assert result.seconds == pytest.approx(1.10)
    assert result.requests_per_second == pytest.approx(5192.87)
    assert result.read_bytes == int(842.59 * 1024)
    assert (result.latency_avg_ms, result.latency_stdev_ms, result.latency_max_ms) == (
        pytest.approx(1.63),
        pytest.approx(1.30),
        pytest.approx(16.43),
    )
    assert result.percentiles_ms == {
        "50": pytest.approx(1.25),
        "75": pytest.approx(1.80),
        "90": pytest.approx(2.95),
        "99": pytest.approx(7.19),
    }
    assert result.errors == 0


def test_wrk_report_counts_non_2xx_answers_as_errors():
    result = wrk.parse(WRK_NON_2XX)

    assert result.requests == 1915
    assert result.non_2xx_3xx == 1915
    assert result.errors == 1915
    assert result.percentiles_ms == {}  # run without --latency


def test_wrk_report_in_microseconds_with_socket_errors():
    result = wrk.parse(WRK_SOCKET_ERRORS)

    assert result.latency_avg_ms == pytest.approx(0.10593)
    assert result.percentiles_ms["50"] == pytest.approx(0.059)
    assert result.percentiles_ms["99"] == pytest.approx(1.35)
    assert result.socket_errors == {"connect": 0, "read": 9904, "write": 0, "timeout": 0}
    assert result.errors == 9904


def test_wrk_parser_refuses_what_is_not_a_report():
    with pytest.raises(wrk.WrkError):
        wrk.parse("unable to connect to 127.0.0.1:18099 Connection refused\n")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:8080/", "http://localhost:8080/", "https://127.0.0.1:8443/"]
)
def test_load_goes_only_to_127_0_0_1(url):
    with pytest.raises(NotLoopback):
        wrk.run(url, connections=1, seconds=1)
    with pytest.raises(NotLoopback):
        vegeta.run(url, rate=1, seconds=1)


# ---- the goal table ---------------------------------------------------------------------


def _http_data(api_over_bare: float, p99_ms: float) -> dict:
    """What http_stack.measure returns, with chosen figures."""
    throughput = {
        name: {"best_rps": rps, "median_rps": rps, "errors": 0, "other_cores": 0.1,
               "rounds": 5, "quiet_rounds": [0, 1, 2, 3, 4],
               "best_server_cpu_us_per_request": cpu_us}
        for name, rps, cpu_us in (("nginx", 50000, 20.0), ("bare", 5000, 250.0),
                                  ("numbers-api", 2000, 400.0), ("web", 800, 1000.0))
    }  # fmt: skip
    figures = {
        "target_rate": 1000, "seconds": 10, "sent": 10000, "failed": 0, "lag_ms": 1.0,
        "p50_ms": 1.0, "p99_ms": p99_ms, "max_ms": 30.0, "usage": {"other_cores": 0.1},
    }  # fmt: skip
    return {
        "servers": {"numbers-api": {"workers": 2, "threads": 4, "worker_class": "gthread"}},
        "throughput": throughput,
        # The requests/s ratios say the opposite of the CPU ones: only the CPU ones are goals.
        "ratios": {"bare_over_nginx": 0.1, "api_over_bare": 0.9, "web_over_api": 0.1},
        "paired_ratios": {"bare_over_nginx": 0.1, "api_over_bare": 0.9, "web_over_api": 0.1},
        "cpu_ratios": {"bare_over_nginx": 0.1, "api_over_bare": 0.9, "web_over_api": 0.1},
        "server_cpu_ratios": {"bare_over_nginx": 0.1, "api_over_bare": api_over_bare,
                              "web_over_api": 0.4},
        "latency": {"numbers-api": figures, "web": {**figures, "p99_ms": 5.0}},
    }


def _row(rows: list[report.Row], key: str) -> report.Row:
    return next(row for row in rows if row.key == key)


def test_a_failing_figure_is_marked_missed_everywhere():
    rows = goals.http_rows(_http_data(api_over_bare=0.41, p99_ms=25.0))

    assert _row(rows, "api_over_bare").result == report.MISSED
    assert _row(rows, "numbers-api_p99").result == report.MISSED
    assert _row(rows, "web_over_api").result == report.MET
    assert _row(rows, "web_p99").result == report.MET
    table = report.table(rows)
    assert "MISSED" in next(line for line in table.splitlines() if "bare WSGI /" in line)
    assert "goals: 2 met, 2 missed, 0 skipped" in table
    assert "| **MISSED** |" in report.markdown(rows)
    assert report.summary(rows)["missed"] == ["api_over_bare", "numbers-api_p99"]


def test_a_goal_exactly_reached_is_met():
    rows = goals.http_rows(_http_data(0.65, 10.0))

    assert _row(rows, "api_over_bare").result == _row(rows, "numbers-api_p99").result == report.MET


def test_every_target_shows_its_cpu_per_request_and_web_its_own_part():
    rows = goals.http_rows(_http_data(0.65, 10.0))

    for key, cpu_us in (("nginx_rps", 20), ("bare_rps", 250), ("api_rps", 400), ("web_rps", 1000)):
        assert f"server CPU {cpu_us} us a request" in _row(rows, key).note
    assert _row(rows, "web_own_cpu").value == 600.0


def test_graceful_deletion_needs_enough_requests_as_well_as_no_failure():
    step = {"requests_sent": 600, "requests_failed": 0, "request_rate": 50.0,
            "latency_p99_ms": 9.0, "failures_by_kind": {}}  # fmt: skip
    figures = {
        "create_service": {"seconds_to_web_200": 1.5, "seconds_to_probe_ok": 0.4},
        "delete_graceful": step,
        "delete_sigkill": {**step, "requests_sent": 1000, "requests_failed": 20,
                           "failures_by_kind": {"connect": 20}},
    }  # fmt: skip
    rows = goals.chapter_rows(figures)

    assert _row(rows, "service_to_web_200").result == report.MISSED
    assert _row(rows, "graceful_failed").result == report.MISSED  # 0 failed, but of 600
    killed = _row(rows, "sigkill_failed_percent")
    assert killed.value == 2.0 and killed.result == report.MISSED
    assert "connect 20" in killed.note


def test_sections_that_could_not_run_are_skipped_with_their_reason():
    rows = goals.resource_rows(None, "no Docker Engine answers")

    assert {row.result for row in rows} == {report.SKIPPED}
    assert all(row.note == "no Docker Engine answers" and row.goal for row in rows)


def test_the_docs_table_is_replaced_between_its_markers():
    document = f"# Benchmarks\n\n{report.BEGIN}\nold table\n{report.END}\n\nWhy...\n"

    updated = report.replace_block(document, "| new | table |\n")

    assert updated == f"# Benchmarks\n\n{report.BEGIN}\n| new | table |\n{report.END}\n\nWhy...\n"
    with pytest.raises(ValueError):
        report.replace_block("no markers", "x")


# ---- the constant-rate client against a server on 127.0.0.1 ------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0  # one handler instance per connection, however many requests it carries

    def setup(self):
        type(self).connections += 1
        super().setup()

    def do_GET(self):
        if self.path == "/stall":
            time.sleep(1.5)
        status = 500 if self.path == "/fail" else 200
        body = b"42"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# vegeta's own CSV (`vegeta encode --to=csv`): sent at (ns), status, latency (ns), bytes out,
# bytes in, error, body, attack, seq, method, url, headers. Request 2 was sent 15 ms late.
VEGETA_CSV = """\
1700000000000000000,200,2000000,0,2,"",NDI=,,0,GET,http://127.0.0.1:1/,
1700000000010000000,200,1000000,0,2,"",NDI=,,1,GET,http://127.0.0.1:1/,
1700000000035000000,200,1000000,0,2,"",NDI=,,2,GET,http://127.0.0.1:1/,
1700000000030000000,0,300000000,0,0,"Get ""http://127.0.0.1:1/"": context deadline exceeded",,,3,GET,http://127.0.0.1:1/,
1700000000040000000,0,100000,0,0,"dial tcp 127.0.0.1:1: connect: connection refused",,,4,GET,,
1700000000050000000,503,1000000,0,2,"503 Service Unavailable",NDI=,,5,GET,http://127.0.0.1:1/,
"""


def test_vegeta_results_are_timed_from_each_request_due_time():
    result = vegeta.read_results(VEGETA_CSV, "http://127.0.0.1:1/", rate=100)

    assert (result.sent, result.ok, result.failed) == (6, 3, 3)
    assert result.failures_by_kind == {"timeout": 1, "connect": 1, "http_503": 1}
    # Request 2 was due at 20 ms and sent at 35 ms: its 1 ms answer counts as 16 ms.
    assert result.max_lag == pytest.approx(0.015)
    assert sorted(result.latencies) == pytest.approx([0.001, 0.002, 0.016])
    assert result.seconds == pytest.approx(0.06)


def test_vegeta_results_with_no_request_are_empty():
    result = vegeta.read_results("", "http://127.0.0.1:1/", rate=10)

    assert result.sent == 0 and result.summary()["p99_ms"] is None


@pytest.mark.integration
def test_constant_rate_load_sends_on_schedule_and_times_every_answer(local_server):
    _Handler.connections = 0
    result = vegeta.run(f"{local_server}/ok", rate=200, seconds=1)

    assert result.sent == 200 and result.ok == 200 and result.failed == 0
    assert result.achieved_rate == pytest.approx(200, rel=0.05)
    summary = result.summary()
    assert 0 < summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    # Keep-alive: far fewer connections than requests.
    assert _Handler.connections < result.sent


@pytest.mark.integration
def test_constant_rate_load_counts_failures_by_kind(local_server):
    failing = vegeta.run(f"{local_server}/fail", rate=50, seconds=0.2)
    refused = vegeta.run(f"http://127.0.0.1:{free_port()}/", rate=50, seconds=0.2)
    stalled = vegeta.run(f"{local_server}/stall", rate=10, seconds=0.2, timeout=0.3)

    assert failing.failures_by_kind == {"http_500": 10} and failing.latencies == []
    assert refused.failures_by_kind == {"connect": 10}
    assert stalled.failures_by_kind == {"timeout": 2}
    assert failing.summary()["p99_ms"] is None


@pytest.mark.integration
def test_wrk_runs_and_its_real_output_parses(local_server):
    if not wrk.available():
        pytest.skip("wrk is not installed (bench/setup.sh installs Debian's package)")

    result = wrk.run(f"{local_server}/ok", connections=2, seconds=1, threads=1)

    assert result.requests > 0 and result.errors == 0
    assert result.latency_max_ms >= result.percentiles_ms["50"] > 0
    assert result.cpu_seconds > 0


# ---- the whole harness, quick -----------------------------------------------------------


@pytest.mark.integration
def test_quick_mode_runs_end_to_end_and_writes_its_results(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=90,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "quick-results.json").read_text())
    assert results["machine"]["mode"] == "quick"
    keys = {row["key"]: row for row in results["rows"]}
    for key in ("api_over_bare", "web_over_api", "numbers-api_p99", "web_p99"):
        assert keys[key]["result"] in (report.MET, report.MISSED, report.SKIPPED)
        if wrk.available():  # measured, whatever the figure
            assert keys[key]["value"] is not None, keys[key]
    assert "| section | measure |" in (tmp_path / "quick-results.md").read_text()
    assert "goals:" in done.stdout
    # --from-json rebuilds the same table from the figures alone.
    again = [(row.key, row.result) for row in rows_from(results["data"])]
    assert again == [(row["key"], row["result"]) for row in results["rows"]]
