"""The chapter's steps (steps.py) that need no backend: how an uneven spread is named."""

import pytest

from scenario.steps import spreading_problem


@pytest.mark.parametrize(
    ("pods", "problem"),
    [
        (["a"] * 10 + ["b"] * 10, None),
        (["a"] * 17 + ["b"] * 3, None),  # 85 % is still spread
        (["a"] * 18 + ["b"] * 2, "a served 18 of 20, more than 85%"),
        (["a"] * 20, "all 20 answers came from a"),
        (["a"] * 10 + ["b"] * 9 + ["no number"], "1 of 20 gave no number"),
        ([], "no answers"),
    ],
)
def test_spreading_problem_names_what_is_wrong(pods, problem):
    assert spreading_problem(pods) == problem
