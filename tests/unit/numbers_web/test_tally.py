import pytest
from numbers_web.tally import ServedByTally, Share


def test_shares_are_counted_most_first_with_ties_by_name():
    tally = ServedByTally()
    for pod in ["b", "a", "b", "c", "a", "b"]:
        tally.record(pod)

    assert tally.shares() == [Share("b", 3, 6), Share("a", 2, 6), Share("c", 1, 6)]


def test_only_the_last_answers_count():
    tally = ServedByTally(size=4)
    for pod in ["old", "old", "old", "new", "new", "new", "new"]:
        tally.record(pod)

    assert tally.shares() == [Share("new", 4, 4)]


def test_no_answers_no_shares():
    assert ServedByTally().shares() == []


@pytest.mark.parametrize(("answers", "of", "percent"), [(1, 3, 33), (2, 3, 67), (20, 20, 100)])
def test_share_percent_is_rounded(answers, of, percent):
    assert Share("pod", answers, of).percent == percent
