"""numbers-api killed with SIGKILL under load: web says `connect` at once, and recovers at once.

Both programs run under gunicorn on 127.0.0.1 as their images run them. While a bounded load
goes through web, the API's master and workers are killed with SIGKILL (no drain, no FIN for
requests in flight). Web must answer every request within its budget, never 500 and never
hang; once the API is gone every answer is 503 `connect`; and when the API is started again on
the same port, the first request after it is ready gets a number (web's pooled connections to
the dead API must not cost a request).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from service_runtime.testing import poll

from tests.support.ports import port_outside_ephemeral_range
from tests.support.process_tree import children, gone, kill_tree
from tests.support.processes import GunicornServer

pytestmark = pytest.mark.integration

BUDGET = 2.5  # web's NUMBERS_API_TIMEOUT_SECONDS default
# Client timeout: far above the budget, so a hang is seen as one rather than cut short.
CLIENT_TIMEOUT = 10.0
LOAD_THREADS = 6
MAX_REQUESTS = 3000
MAX_LOAD_SECONDS = 30.0
SETTLE = 0.05  # after every process is gone, before requests count as "after the kill"


class GunicornServerOnPort(GunicornServer):
    """Started on a given port: the restarted API must be where web already points."""

    def __init__(self, service: str, port: int, env: Mapping[str, str], log_path: Path):
        super().__init__(service, {**env, "PORT": str(port)}, log_path)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Answer:
    started: float
    finished: float
    status: int | None  # None: no HTTP answer at all
    kind: str | None
    detail: str | None = None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def _json_kind(response: requests.Response) -> tuple[str | None, str | None]:
    if response.status_code != 503:
        return None, None
    error = response.json()["error"]
    return error["kind"], error["detail"]


def _page_kind(response: requests.Response) -> tuple[str | None, str | None]:
    match = re.search(r'<strong id="kind">([a-z_]+)</strong>', response.text)
    if not match:
        return None, None
    # The page shows the detail as text; what matters here is whether it says "cut off".
    return match.group(1), "cut off" if "cut off" in response.text else response.text[-200:]


CALLS = [
    pytest.param("GET", "/api/number", _json_kind, id="json_api"),
    pytest.param("POST", "/", _page_kind, id="page_after_go"),
]
KILL_ORDERS = [
    pytest.param(True, id="workers_then_master"),
    pytest.param(False, id="master_then_workers"),
]


class Load:
    """LOAD_THREADS clients calling web back to back; bounded in count and in time."""

    def __init__(self, call: Callable[[], Answer]) -> None:
        self._call = call
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.answers: list[Answer] = []
        self._deadline = time.monotonic() + MAX_LOAD_SECONDS
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(LOAD_THREADS)
        ]

    def _run(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if len(self.answers) >= MAX_REQUESTS:
                    return
            answer = self._call()
            with self._lock:
                self.answers.append(answer)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def count(self, condition: Callable[[Answer], bool]) -> int:
        return sum(1 for answer in self.snapshot() if condition(answer))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)


@pytest.fixture
def servers() -> Iterator[list[GunicornServer]]:
    """Servers the test starts; each is killed with its workers at the end, pass or fail."""
    started: list[GunicornServer] = []
    yield started
    for server in started:
        if server.alive():
            kill_tree(server.process.pid)
        server.kill()


@pytest.mark.parametrize("workers_first", KILL_ORDERS)
@pytest.mark.parametrize(("method", "path", "kind_of"), CALLS)
def test_web_answers_connect_within_budget_when_the_api_is_sigkilled_and_recovers_on_restart(
    servers: list[GunicornServer],
    tmp_path: Path,
    method: str,
    path: str,
    kind_of: Callable[[requests.Response], tuple[str | None, str | None]],
    workers_first: bool,
) -> None:
    # Below the ephemeral range, so no other process is handed the port while the API is dead.
    port = port_outside_ephemeral_range()
    api = GunicornServerOnPort("numbers-api", port, {}, tmp_path / "numbers-api.log")
    servers.append(api)
    api.wait_ready()
    web = GunicornServer("web", {"NUMBERS_API_URL": f"{api.url}/rng"}, tmp_path / "web.log")
    servers.append(web)
    web.wait_ready()

    def call() -> Answer:
        started = time.monotonic()
        try:
            response = requests.request(method, f"{web.url}{path}", timeout=CLIENT_TIMEOUT)
        except requests.RequestException as error:
            return Answer(started, time.monotonic(), None, None, repr(error))
        kind, detail = kind_of(response)
        return Answer(started, time.monotonic(), response.status_code, kind, detail)

    with Load(call) as load:
        assert poll(lambda: load.count(lambda a: a.status == 200) >= 50, timeout=15)

        workers = children(api.process.pid)
        assert workers, "gunicorn has no workers to kill"
        kill_tree(api.process.pid, workers_first=workers_first)
        api.process.wait(timeout=10)
        assert poll(lambda: all(gone(pid) for pid in workers), timeout=10)
        dead_since = time.monotonic() + SETTLE
        assert poll(lambda: load.count(lambda a: a.started > dead_since) >= 30, timeout=15)

        restarting_at = time.monotonic()
        restarted = GunicornServerOnPort(
            "numbers-api", port, {}, tmp_path / "numbers-api-restarted.log"
        )
        servers.append(restarted)
        restarted.wait_ready()
        ready_at = time.monotonic()
        assert poll(lambda: load.count(lambda a: a.started > ready_at) >= 30, timeout=15)

    answers = load.snapshot()
    hung_or_broken = [a for a in answers if a.status is None]
    assert not hung_or_broken, hung_or_broken[:3]
    assert not [a for a in answers if a.status == 500], "web answered 500"
    slowest = max(answers, key=lambda a: a.seconds)
    assert slowest.seconds < BUDGET + 0.5, slowest

    before = [a for a in answers if a.finished < dead_since - SETTLE]
    in_flight = [a for a in answers if a.started <= dead_since < a.finished]
    dead = [a for a in answers if dead_since < a.started and a.finished < restarting_at]
    after = [a for a in answers if a.started > ready_at]
    assert before and dead and after
    unexpected = [
        (round(a.started - dead_since, 3), round(a.seconds, 3), a.status, a.kind, a.detail)
        for a in dead
        if (a.status, a.kind) != (503, "connect")
    ]
    assert {(a.status, a.kind) for a in dead} == {(503, "connect")}, unexpected
    # Killed before answering, or between gunicorn's two writes (head, then body): closed,
    # reset or cut off mid-answer, then refused on web's one fresh retry, so `connect`.
    assert {(a.status, a.kind) for a in in_flight} <= {(200, None), (503, "connect")}
    assert {a.status for a in after} == {200}, "the first requests after the restart failed"

    first_ok = min(a.finished for a in after)
    worst_dead = max(a.seconds for a in dead)
    print(  # the figures the fault report quotes (pytest -s or -rP)
        f"\n{len(answers)} requests: {len(dead)} while the API was dead, all 503 connect, "
        f"slowest {worst_dead * 1000:.1f} ms; {len(in_flight)} in flight at the kill "
        "(each 200 or connect); "
        f"first 200 {(first_ok - ready_at) * 1000:.1f} ms after the API was ready again; "
        f"slowest answer overall {slowest.seconds * 1000:.1f} ms"
    )
