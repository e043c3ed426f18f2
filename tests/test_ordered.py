"""Severities compare by declaration order, never alphabetically."""

from __future__ import annotations

import operator
from itertools import pairwise

import pytest

from backtriage import DisabilityBand, StartBackRisk, Urgency


@pytest.mark.parametrize("enum", [Urgency, DisabilityBand, StartBackRisk])
def test_ranks_follow_declaration_order(enum: type[Urgency]) -> None:
    members = list(enum)
    assert [m.rank for m in members] == list(range(len(members)))
    assert sorted(members, reverse=True) == members[::-1]
    assert all(a < b and b > a and a <= b and b >= a for a, b in pairwise(members))


def test_urgency_order_is_not_the_alphabet() -> None:
    # Alphabetically "emergency" < "none"; clinically it is the other way round.
    assert Urgency.NONE < Urgency.EMERGENCY
    assert max(Urgency.ROUTINE, Urgency.SAME_DAY, Urgency.SOON) is Urgency.SAME_DAY


@pytest.mark.parametrize("other", ["soon", 2, DisabilityBand.SEVERE])
@pytest.mark.parametrize("compare", [operator.lt, operator.le, operator.gt, operator.ge])
def test_ordering_against_anything_else_is_a_type_error(compare: object, other: object) -> None:
    with pytest.raises(TypeError, match=r"cannot order Urgency|not supported"):
        compare(Urgency.SOON, other)  # type: ignore[operator]


def test_members_still_equal_their_json_strings() -> None:
    assert Urgency.SAME_DAY == "same_day"
    assert {Urgency.SAME_DAY: 1}["same_day"] == 1
