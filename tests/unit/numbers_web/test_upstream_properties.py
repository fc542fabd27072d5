"""Property-based checks of how web reads numbers-api's answer (upstream.py's parse_number)."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from numbers_web.upstream import MAX_BODY_BYTES, UpstreamError, parse_number
from urllib3 import HTTPResponse
from urllib3.exceptions import NameResolutionError


def _response(body: bytes, status: int = 200, content_type: str = "application/json"):
    headers = {"Content-Type": content_type, "X-Served-By": "pod-a"}
    return HTTPResponse(
        body=io.BytesIO(body), headers=headers, status=status, preload_content=False
    )


@given(number=st.integers(min_value=-1_000_000_000, max_value=1_000_000_000))
def test_any_integer_the_api_may_send_is_read_back_exactly(number):
    assert parse_number(_response(f"{number}\n".encode())).value == number


@given(body=st.binary(max_size=MAX_BODY_BYTES * 2))
def test_any_body_is_either_an_integer_or_a_bad_response(body):
    try:
        number = parse_number(_response(body))
    except UpstreamError as error:
        assert error.kind == "bad_response"
    else:
        assert str(number.value).encode() in body


@given(status=st.integers(min_value=100, max_value=599).filter(lambda s: not 200 <= s < 300))
def test_any_non_2xx_status_is_upstream_status(status):
    with pytest.raises(UpstreamError) as raised:
        parse_number(_response(b"42", status=status))

    assert raised.value.kind == "upstream_status"


@pytest.mark.parametrize(
    ("errno_value", "lookup_failed"),
    [(-2, False), (-3, True)],  # EAI_NONAME: no such name; EAI_AGAIN: the nameserver failed
)
def test_dns_errors_say_whether_the_lookup_itself_failed(errno_value, lookup_failed):
    import socket

    from numbers_web.upstream import classify

    # As urllib3 raises it: the resolver's error is the cause, not an argument.
    wrapped = NameResolutionError("numbers-api", None, "resolver words")
    wrapped.__cause__ = socket.gaierror(errno_value, "resolver words")
    error = classify(wrapped, "numbers-api")

    assert (error.kind, error.lookup_failed) == ("dns", lookup_failed)
    assert "resolver words" in error.detail
