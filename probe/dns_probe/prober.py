"""The probe loop, shaped like kube-dns' sidecar: stagger the start, then check and sleep
interval - latency, forever.

Everything with a side effect outside memory is injected (resolver, HTTP check, clock, the
wait used for sleeping) so tests drive the loop exactly. Each check is written to the journal
and fsync'ed before it is published to /status and /metrics, so nothing shown was not recorded.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .clock import Clock, SystemClock, rfc3339
from .config import ProbeConfig
from .history import History, Transition
from .journal import Journal
from .resolver import DnsChecker
from .results import CheckResult, DnsResult, HttpResult, milliseconds

logger = logging.getLogger(__name__)

# /healthz fails once no check has completed for this many intervals.
HEALTHY_WITHIN_INTERVALS = 3


class Delayer:
    """The loop's timing: a random start stagger, then interval - latency between checks.

    *wait* sleeps up to the given seconds and returns True when the probe should stop,
    which is exactly threading.Event.wait.
    """

    def __init__(
        self,
        interval_seconds: float,
        jitter: float,
        wait: Callable[[float], bool],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.interval = interval_seconds
        self.jitter = jitter
        self._wait = wait
        self._rand = rand

    def start(self) -> bool:
        """Stagger the first check so replicas started together do not probe in lockstep."""
        delay = self.interval * self.jitter * self._rand()
        return self._wait(delay) if delay > 0 else False

    def sleep(self, latency_seconds: float) -> bool:
        """Keep checks one interval apart from start to start, however long the last one took."""
        return self._wait(max(0.0, self.interval - latency_seconds))


@dataclass(frozen=True)
class Health:
    healthy: bool
    reason: str
    last_check_age_seconds: float | None


class Prober:
    def __init__(
        self,
        *,
        target: str,
        interval_seconds: float,
        resolve: Callable[[str], DnsResult],
        journal: Journal,
        history: History | None = None,
        http_check: Callable[[], HttpResult] | None = None,
        clock: Clock | None = None,
        delayer: Delayer | None = None,
        stop_event: threading.Event | None = None,
        jitter: float = 0.0,
        timeout_seconds: float | None = None,
        http_url: str | None = None,
        describe: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.target = target
        self.interval_seconds = interval_seconds
        self.timeout_seconds = timeout_seconds
        self.http_url = http_url
        self.journal = journal
        self.history = history or History()
        self.clock = clock or SystemClock()
        self.stop_event = stop_event or threading.Event()
        self.delayer = delayer or Delayer(interval_seconds, jitter, self.stop_event.wait)
        self._resolve = resolve
        self._http_check = http_check
        self._describe = describe or dict
        self._number = 0
        self._thread: threading.Thread | None = None
        self._started_monotonic: float | None = None
        self._started_wall: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a daemon thread; stop() ends it within one interval."""
        if self._thread is not None:
            raise RuntimeError("the probe loop is already started")
        self._mark_started()
        self._thread = threading.Thread(target=self.run, name="dns-probe-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the loop thread to end; True if it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """The loop itself; returns once stop_event is set."""
        if self._started_monotonic is None:
            self._mark_started()
        self.journal.write(
            self._record(
                "probe_started",
                pid=os.getpid(),
                interval_seconds=self.interval_seconds,
                timeout_seconds=self.timeout_seconds,
                http_url=self.http_url,
                resolver=self._safe_describe(),
            )
        )
        logger.info(
            "probing %s every %gs; journal %s",
            self.target,
            self.interval_seconds,
            self.journal.path,
        )
        try:
            if self.delayer.start():
                return
            while not self.stop_event.is_set():
                began = self.clock.monotonic()
                try:
                    self.check_once()
                except Exception as exc:
                    # A bug in one round must not blind the probe for the rest of the pod's life.
                    logger.error(
                        "check of %s crashed, the loop carries on: %s: %s",
                        self.target,
                        type(exc).__name__,
                        exc,
                    )
                    logger.debug("traceback of the crashed check", exc_info=True)
                if self.delayer.sleep(self.clock.monotonic() - began):
                    break
        finally:
            self.journal.write(
                self._record("probe_stopped", checks=self._number, state=self.history.state.value)
            )
            logger.info("stopped probing %s after %d check(s)", self.target, self._number)

    # -- one check ---------------------------------------------------------------------------

    def check_once(self) -> CheckResult:
        """Resolve (and GET), journal what changed, then publish it; returns the result."""
        wall = self.clock.wall()
        monotonic = self.clock.monotonic()
        dns_result = self._resolve(self.target)
        http_result = self._http_check() if self._http_check is not None else None
        self._number += 1
        result = CheckResult(
            number=self._number,
            wall_time=wall,
            monotonic_time=monotonic,
            target=self.target,
            dns=dns_result,
            http=http_result,
        )
        transition = self.history.preview(result)
        for record in self._records_for(result, transition):
            self.journal.write(record)
        self.history.apply(result)
        self._log(result, transition)
        return result

    def _records_for(self, result: CheckResult, transition: Transition) -> list[dict[str, Any]]:
        records = []
        if not result.ok:
            error = result.dns.error or (result.http.error if result.http else None)
            records.append(
                self._record(
                    "check_failed",
                    result,
                    error=error,
                    http_status=result.http.status if result.http else None,
                    http_latency_ms=milliseconds(result.http.latency_seconds)
                    if result.http
                    else None,
                    names_tried=list(result.dns.names_tried),
                )
            )
        if transition.state_changed:
            records.append(
                self._record(
                    "state_changed",
                    result,
                    addresses=list(transition.addresses_after or ()),
                    **{"from": transition.state_before.value, "to": transition.state_after.value},
                )
            )
        if transition.addresses_changed:
            records.append(
                self._record(
                    "addresses_changed",
                    result,
                    **{
                        "from": list(transition.addresses_before or ()),
                        "to": list(transition.addresses_after or ()),
                    },
                )
            )
        return records

    def _record(self, event: str, result: CheckResult | None = None, **extra: Any) -> dict:
        """One journal line: the same base keys for every event, then the event's own."""
        record: dict[str, Any] = {
            "time": rfc3339(result.wall_time if result else self.clock.wall()),
            "event": event,
            "target": self.target,
            "check": result.number if result else None,
            "outcome": result.dns.outcome.value if result else None,
            "http_outcome": result.http.outcome.value if result and result.http else None,
            "reason": result.failure_reason if result else None,
            "latency_ms": milliseconds(result.dns.latency_seconds) if result else None,
            "addresses": list(result.dns.addresses) if result else [],
        }
        record.update(extra)
        return record

    def _log(self, result: CheckResult, transition: Transition) -> None:
        if not result.ok:
            logger.warning(
                "check %d of %s failed: %s after %.1f ms: %s",
                result.number,
                self.target,
                result.failure_reason,
                result.dns.latency_seconds * 1000,
                result.dns.error or (result.http.error if result.http else ""),
            )
        if transition.state_changed:
            logger.info(
                "%s is now %s (was %s), addresses %s",
                self.target,
                transition.state_after.value,
                transition.state_before.value,
                list(transition.addresses_after or ()),
            )
        if transition.addresses_changed:
            logger.info(
                "%s addresses changed from %s to %s",
                self.target,
                list(transition.addresses_before or ()),
                list(transition.addresses_after or ()),
            )

    # -- what HTTP shows ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock.monotonic()
        history = self.history.snapshot(now)
        resolver = self._safe_describe()
        return {
            "target": self.target,
            "query_type": "A",
            # The fully qualified names a lookup tries, in order, from resolv.conf's search rules.
            "names": resolver.pop("names", []),
            "resolver": resolver,
            "state": history.pop("state"),
            **history,
            "interval_seconds": self.interval_seconds,
            "timeout_seconds": self.timeout_seconds,
            "http_url": self.http_url,
            "started_at": None if self._started_wall is None else rfc3339(self._started_wall),
            "uptime_seconds": None
            if self._started_monotonic is None
            else round(now - self._started_monotonic, 3),
            "loop_running": self.running,
            "log": self.journal.status(),
        }

    def health(self) -> Health:
        """Healthy while the loop runs and a check completed within HEALTHY_WITHIN_INTERVALS."""
        window = HEALTHY_WITHIN_INTERVALS * self.interval_seconds
        now = self.clock.monotonic()
        last = self.history.last
        age = None if last is None else round(now - last.monotonic_time, 3)
        if not self.running:
            return Health(False, "the probe loop is not running", age)
        if last is None:
            since_start = now - (self._started_monotonic or now)
            if since_start > window:
                return Health(False, f"no check completed in {since_start:.1f}s since start", age)
            return Health(True, "waiting for the first check", age)
        if age is not None and age > window:
            return Health(False, f"last check completed {age:.1f}s ago", age)
        return Health(True, f"last check {age}s ago", age)

    def _mark_started(self) -> None:
        self._started_monotonic = self.clock.monotonic()
        self._started_wall = self.clock.wall()

    def _safe_describe(self) -> dict[str, Any]:
        try:
            return dict(self._describe())
        except Exception as exc:  # describing is informative only; it must not break a check
            return {"error": str(exc)}


def build_prober(
    config: ProbeConfig,
    *,
    clock: Clock | None = None,
    stop_event: threading.Event | None = None,
) -> Prober:
    """Wire the real resolver, HTTP check, journal and history from the configuration."""
    clock = clock or SystemClock()
    checker = DnsChecker(
        resolv_conf=config.resolv_conf,
        timeout_seconds=config.timeout_seconds,
        nameserver=config.nameserver,
    )
    return Prober(
        target=config.target,
        interval_seconds=config.interval_seconds,
        resolve=checker,
        journal=Journal(
            config.log_path,
            max_bytes=config.log_max_bytes,
            backups=config.log_backups,
            clock=clock,
        ),
        history=History(limit=config.history_limit),
        http_check=_http_check(config),
        clock=clock,
        stop_event=stop_event,
        jitter=config.jitter,
        timeout_seconds=config.timeout_seconds,
        http_url=config.http_url,
        describe=lambda: {**checker.describe(), "names": checker.names_to_try(config.target)},
    )


def _http_check(config: ProbeConfig) -> Callable[[], HttpResult] | None:
    if not config.http_url:
        return None
    # requests costs about 5 MB in each of gunicorn's two processes: loaded only when used.
    from .http_check import HttpChecker

    return HttpChecker(config.http_url, timeout_seconds=config.timeout_seconds)
