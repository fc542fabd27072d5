"""service_runtime.testing: the one poll with a deadline and the one free port."""

from __future__ import annotations

import socket
import time

from service_runtime.testing import free_port, poll


class Answers:
    """A condition that gives its answers in turn and records when it was asked."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[float] = []

    def __call__(self) -> object:
        self.calls.append(time.monotonic())
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


def test_poll_returns_the_first_truthy_value_as_soon_as_it_comes() -> None:
    condition = Answers(None, 0, "ready")
    started = time.monotonic()

    assert poll(condition, timeout=10, interval=0.01) == "ready"

    assert len(condition.calls) == 3
    assert time.monotonic() - started < 1  # two intervals, not the ten-second timeout


def test_poll_never_calls_the_condition_again_after_it_succeeded() -> None:
    condition = Answers(False, {"state": "ok"}, False)

    assert poll(condition, timeout=5, interval=0.01) == {"state": "ok"}
    assert len(condition.calls) == 2


def test_poll_returns_the_last_falsy_value_at_the_deadline_without_overrunning_it() -> None:
    last: list[str] = []
    condition = Answers(0, "", last)  # falsy every time; from the third call on, this list
    timeout, interval = 0.3, 0.1
    started = time.monotonic()

    value = poll(condition, timeout, interval)
    elapsed = time.monotonic() - started

    assert value is last
    assert timeout <= elapsed < timeout + interval
    assert condition.calls[-1] >= started + timeout  # the last call is at the deadline
    assert 3 <= len(condition.calls) <= 5  # every interval, not in a tight loop


def test_poll_asks_once_even_with_no_time_at_all() -> None:
    condition = Answers(0)

    assert poll(condition, timeout=0) == 0
    assert len(condition.calls) == 1


def test_free_port_is_a_port_that_can_then_be_bound_on_127_0_0_1() -> None:
    port = free_port()

    assert 0 < port < 65536
    with socket.create_server(("127.0.0.1", port)) as server:
        assert server.getsockname() == ("127.0.0.1", port)
