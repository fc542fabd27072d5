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


def test_steady_load_keeps_the_first_failures_as_web_explained_them(scripted):
    from tests.support.scripted_http import web_diagnosis

    server = scripted(web_diagnosis("connect", "connection refused by 'numbers-api'"))

    result = SteadyLoad(server.url, rate=200, max_requests=8, max_seconds=10).start().wait()

    assert result.failures_by_kind == {"connect": 8}
    assert len(result.first_failures) == 5
    first = result.first_failures[0]
    assert (first["kind"], first["detail"]) == ("connect", "connection refused by 'numbers-api'")
    assert 0 <= first["at"] < 10


def test_steady_load_counts_an_error_that_is_not_web_s_shape(scripted):
    from tests.support.scripted_http import status

    server = scripted(status(500))

    result = SteadyLoad(server.url, rate=200, max_requests=3, max_seconds=10).start().wait()

    assert result.failures_by_kind == {"http_500": 3}
    assert result.first_failures[0]["detail"] == "broken"
