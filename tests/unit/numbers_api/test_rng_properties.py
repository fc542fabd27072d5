"""Property-based checks of /rng's bound parsing: what it accepts is exactly the contract."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from numbers_api.rng import LIMIT, BadBounds, parse_bounds

bounds = st.integers(min_value=-LIMIT, max_value=LIMIT)
ASCII_INTEGER = re.compile(r"-?[0-9]+")


@given(low=bounds, high=bounds)
def test_any_pair_in_range_is_accepted_in_order_and_rejected_out_of_order(low, high):
    args = {"min": [str(low)], "max": [str(high)]}
    if low <= high:
        assert parse_bounds(args) == (low, high)
    else:
        with pytest.raises(BadBounds, match="'min'"):
            parse_bounds(args)


@given(value=st.integers().filter(lambda n: abs(n) > LIMIT))
def test_any_integer_beyond_a_billion_is_rejected(value):
    with pytest.raises(BadBounds, match="'min'"):
        parse_bounds({"min": [str(value)], "max": [str(LIMIT)]})


@given(text=st.text(max_size=30).filter(lambda s: not ASCII_INTEGER.fullmatch(s)))
def test_any_text_that_is_not_a_plain_ascii_integer_is_rejected(text):
    with pytest.raises(BadBounds, match="'max'"):
        parse_bounds({"max": [text]})


@given(values=st.lists(bounds.map(str), min_size=2, max_size=5))
def test_a_repeated_parameter_is_rejected_whatever_its_values(values):
    with pytest.raises(BadBounds, match="given"):
        parse_bounds({"min": values})
