"""web (upstream.py's Reuse) reuses a connection to the API only while it is young and recently
used."""

import pytest
from numbers_web.upstream import Reuse, RngClient

from tests.support import scripted_http as api


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Connection:
    def __init__(self, opened_at, released_at):
        self.opened_at = opened_at
        self.released_at = released_at


@pytest.mark.parametrize(
    ("opened_ago", "idle_for", "allowed"),
    [
        (0.5, 0.05, True),
        (0.5, 0.1, False),  # idle as long as the limit: a person's click, not load
        (1.0, 0.01, False),  # as old as the limit: choose a pod again
        (0.99, 0.099, True),
    ],
)
def test_reuse_allows_only_young_recently_used_connections(opened_ago, idle_for, allowed):
    reuse = Reuse(max_idle_seconds=0.1, max_age_seconds=1.0)
    now = 50.0

    assert reuse.allows(Connection(now - opened_ago, now - idle_for), now) is allowed


def test_reuse_allows_a_connection_not_yet_opened():
    assert Reuse().allows(Connection(None, None), 50.0)


@pytest.fixture
def client_of(scripted):
    clients = []

    def build(reuse: Reuse, clock: FakeClock):
        server = scripted(api.keep_alive())
        client = RngClient(server.url, "127.0.0.1", 2.0, pool_size=4, reuse=reuse, clock=clock)
        clients.append(client)
        return server, client

    yield build
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("gap_seconds", "calls", "connections"),
    [
        (0.01, 20, 1),  # load: one connection carries every call
        (0.25, 20, 20),  # clicks a quarter second apart: each opens its own
        (0.06, 20, 2),  # busy but never idle long: a new connection once it is a second old
    ],
)
def test_calls_open_connections_as_the_reuse_policy_says(
    client_of, gap_seconds, calls, connections
):
    clock = FakeClock()
    server, client = client_of(Reuse(max_idle_seconds=0.1, max_age_seconds=1.0), clock)

    for _ in range(calls):
        assert client.fetch().value == 42
        clock.now += gap_seconds

    assert server.connections == connections
