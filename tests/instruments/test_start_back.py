"""Specification of STarT Back scoring (docs/clinical-basis.md section 2, Keele [S20])."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)

ITEMS = tuple(StartBackItem)
KEYS = tuple(item.value for item in ITEMS)
PHYSICAL = KEYS[:4]
PSYCHOSOCIAL = KEYS[4:]


def answers_with(physical: int, psychosocial: int) -> dict[str, object]:
    """Return answers agreeing with the first ``physical`` items 1-4 and ``psychosocial`` 5-9."""
    answers: dict[str, object] = {}
    for i, key in enumerate(PHYSICAL):
        answers[key] = i < physical
    for i, key in enumerate(PSYCHOSOCIAL):
        answers[key] = i < psychosocial
    return answers


def test_items_are_the_nine_keys_in_questionnaire_order() -> None:
    assert KEYS == (
        "leg_pain",
        "shoulder_neck_pain",
        "walked_short_distances",
        "dressed_slowly",
        "fear_not_safe_active",
        "worrying_thoughts",
        "catastrophising",
        "low_mood",
        "bothersomeness",
    )


def test_risks_are_ordered_low_to_high() -> None:
    assert StartBackRisk.LOW < StartBackRisk.MEDIUM < StartBackRisk.HIGH
    assert [risk.value for risk in StartBackRisk] == ["low", "medium", "high"]


# -- Risk groups [S20] ----------------------------------------------------------------------


def test_total_of_three_is_low_even_with_psychosocial_three() -> None:
    score = score_start_back(answers_with(0, 3))
    assert (score.total, score.psychosocial) == (3, 3)
    assert score.risk is StartBackRisk.LOW


def test_total_of_four_with_psychosocial_three_is_medium() -> None:
    score = score_start_back(answers_with(1, 3))
    assert (score.total, score.psychosocial) == (4, 3)
    assert score.risk is StartBackRisk.MEDIUM


def test_psychosocial_four_with_total_above_three_is_high() -> None:
    score = score_start_back(answers_with(0, 4))
    assert (score.total, score.psychosocial) == (4, 4)
    assert score.risk is StartBackRisk.HIGH


def test_all_physical_items_alone_are_medium() -> None:
    assert score_start_back(answers_with(4, 0)).risk is StartBackRisk.MEDIUM


def test_nothing_agreed_is_low_and_everything_agreed_is_high() -> None:
    assert score_start_back(answers_with(0, 0)) == StartBackScore(0, 0)
    everything = score_start_back(answers_with(4, 5))
    assert everything == StartBackScore(9, 5)
    assert everything.risk is StartBackRisk.HIGH


# -- Answer forms ---------------------------------------------------------------------------


def test_agree_may_be_bool_or_zero_one() -> None:
    as_bools = answers_with(2, 2)
    as_ints = {key: int(value) for key, value in as_bools.items()}  # type: ignore[call-overload]
    assert score_start_back(as_ints) == score_start_back(as_bools) == StartBackScore(4, 2)


@pytest.mark.parametrize(
    ("answer", "scores"),
    [
        (Bothersomeness.NOT_AT_ALL, 0),
        (Bothersomeness.SLIGHTLY, 0),
        (Bothersomeness.MODERATELY, 0),
        (Bothersomeness.VERY_MUCH, 1),
        (Bothersomeness.EXTREMELY, 1),
        ("moderately", 0),
        ("very_much", 1),
        ("extremely", 1),
        (True, 1),
        (False, 0),
        (1, 1),
        (0, 0),
    ],
)
def test_bothersomeness_scores_one_only_for_very_much_or_extremely(
    answer: object, scores: int
) -> None:
    score = score_start_back({**answers_with(0, 0), "bothersomeness": answer})
    assert score.total == score.psychosocial == scores


def test_keys_may_be_items_or_strings_in_any_mapping() -> None:
    by_key = answers_with(3, 2)
    by_item = {StartBackItem(key): value for key, value in by_key.items()}
    expected = score_start_back(by_key)
    assert score_start_back(by_item) == expected
    assert score_start_back(MappingProxyType(by_key)) == expected
    assert score_start_back(dict(reversed(list(by_key.items())))) == expected


# -- Missing and bad answers ----------------------------------------------------------------


def test_every_missing_item_is_named() -> None:
    answers = answers_with(2, 2)
    del answers["leg_pain"]
    answers["low_mood"] = None
    with pytest.raises(IncompleteError) as caught:
        score_start_back(answers)
    assert caught.value.field == "start_back"
    assert caught.value.missing == ("leg_pain", "low_mood")
    assert "leg_pain" in str(caught.value)
    assert "low_mood" in str(caught.value)


def test_nothing_answered_names_all_nine_items() -> None:
    with pytest.raises(IncompleteError) as caught:
        score_start_back({})
    assert caught.value.missing == KEYS


@pytest.mark.parametrize("value", [2, -1, "1", "agree", 1.0, 0.5, [1], "very_much"])
def test_bad_agree_answers_are_rejected(value: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_start_back({**answers_with(0, 0), "catastrophising": value})
    assert caught.value.field == "catastrophising"
    assert caught.value.value == value
    assert repr(value) in str(caught.value)
    assert "True or 1" in str(caught.value)


@pytest.mark.parametrize("value", [2, "Very much", "very much", "a_lot", 1.0, "1"])
def test_bad_bothersomeness_answers_are_rejected(value: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_start_back({**answers_with(0, 0), "bothersomeness": value})
    assert caught.value.field == "bothersomeness"
    assert repr(value) in str(caught.value)
    assert "very_much" in str(caught.value)


@pytest.mark.parametrize("key", ["mood", "item_9", 9, None])
def test_unknown_keys_are_rejected(key: object) -> None:
    answers: dict[object, object] = {}
    answers.update(answers_with(0, 0))
    answers[key] = True
    with pytest.raises(InvalidAnswerError) as caught:
        score_start_back(answers)  # type: ignore[arg-type]
    assert caught.value.field == "answers"
    assert caught.value.value == key
    assert repr(key) in str(caught.value)
    assert "leg_pain" in str(caught.value)


def test_several_unknown_keys_are_reported_together_in_a_stable_order() -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_start_back({"zz": 1, "aa": 1, **answers_with(0, 0)})
    assert caught.value.value == ("aa", "zz")


@pytest.mark.parametrize("answers", [[True] * 9, "leg_pain", None])
def test_answers_must_be_a_mapping(answers: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_start_back(answers)  # type: ignore[arg-type]
    assert caught.value.field == "answers"


# -- StartBackScore constructed directly ----------------------------------------------------


@pytest.mark.parametrize(
    ("total", "psychosocial", "field"),
    [
        (0, -1, "psychosocial"),
        (9, 6, "psychosocial"),
        (3, True, "psychosocial"),
        (3, 1.0, "psychosocial"),
        (True, 1, "total"),
        (3.0, 1, "total"),
        (2, 3, "total"),  # the subscale is part of the total
        (8, 3, "total"),  # items 1-4 add at most 4
    ],
)
def test_direct_construction_checks_the_invariants(
    total: int, psychosocial: int, field: str
) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        StartBackScore(total, psychosocial)
    assert caught.value.field == field


# -- Properties -----------------------------------------------------------------------------


@given(st.lists(st.booleans(), min_size=9, max_size=9))
def test_total_and_subscale_count_the_agreed_items(agreed: list[bool]) -> None:
    score = score_start_back(dict(zip(KEYS, agreed, strict=True)))
    assert score.total == sum(agreed)
    assert score.psychosocial == sum(agreed[4:])
    expected = (
        StartBackRisk.LOW
        if score.total <= 3
        else StartBackRisk.MEDIUM
        if score.psychosocial <= 3
        else StartBackRisk.HIGH
    )
    assert score.risk is expected


@given(st.lists(st.booleans(), min_size=9, max_size=9), st.integers(0, 8))
def test_agreeing_with_one_more_item_never_lowers_the_risk(agreed: list[bool], index: int) -> None:
    more = list(agreed)
    more[index] = True
    before = score_start_back(dict(zip(KEYS, agreed, strict=True)))
    after = score_start_back(dict(zip(KEYS, more, strict=True)))
    assert after.risk >= before.risk
