import pytest

from scenario.load import SteadyLoad


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8080/api/number", "http://example.com/", "http://localhost:80/"]
)
def test_steady_load_refuses_any_target_but_loopback_ports(url):
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        SteadyLoad(url, rate=1, max_requests=1, max_seconds=1)


def test_steady_load_stops_by_itself_at_its_request_bound(scripted):
    from tests.support.scripted_http import ok

    server = scripted(ok())

    result = SteadyLoad(server.url, rate=200, max_requests=20, max_seconds=10).start().wait()

    assert result.sent == 20
    assert result.failed == 0
