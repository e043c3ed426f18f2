"""ODI behaviour that mutation testing showed no other test pinned down.

Each test kills mutants of ``backtriage.instruments.odi`` that survived the rest of the suite
(see ``benchmarks/mutation.md``): the parts of each error (field, value, what is allowed), the
boundaries of the change criteria, and the shared score instances the docstring promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from fractions import Fraction
from types import MappingProxyType

import pytest

from backtriage import IncompleteError, InvalidAnswerError, OdiScore, OdiSection, odi_change
from backtriage import score_odi as score

ALL = [s.value for s in OdiSection]


def invalid(call: object, *args: object, **kwargs: object) -> InvalidAnswerError:
    assert callable(call)
    with pytest.raises(InvalidAnswerError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- every error names its field, its value and what is allowed -------------------------------


@pytest.mark.parametrize("bad", [-1, True, "1", 1.0])
def test_bad_max_missing_is_named_with_its_value(bad: object) -> None:
    error = invalid(score, [0] * 10, max_missing=bad)
    assert (error.field, error.value) == ("max_missing", bad)
    assert error.allowed == "an int of 0 or more (the number of sections)"


def test_max_missing_zero_is_allowed_when_nothing_is_missing() -> None:
    assert score([1] * 10, max_missing=0).percent == 20


def test_max_missing_zero_refuses_one_gap() -> None:
    with pytest.raises(IncompleteError) as caught:
        score([None] + [1] * 9, max_missing=0)
    assert caught.value.missing == ("pain_intensity",)
    assert "at most 0 missing section(s) allowed (max_missing=0)" in caught.value.allowed
    assert "answer more sections or pass a higher max_missing" in caught.value.allowed


def test_nothing_answered_names_every_section() -> None:
    with pytest.raises(IncompleteError) as caught:
        score([None] * 10, max_missing=10)
    assert caught.value.field == "odi"
    assert caught.value.missing == tuple(ALL)
    assert caught.value.allowed == (
        "answer at least one section; nothing answered is never scorable"
    )


def test_wrong_length_names_the_answers_and_their_count() -> None:
    answers = [1] * 9
    error = invalid(score, answers)
    assert error.field == "answers"
    assert error.value is answers
    assert error.errors[0].problem == "not ten answers"
    assert "9" not in json.dumps(error.to_problem())  # how many were given is not passed on


def test_unknown_keys_are_reported_sorted_by_repr_whatever_their_type() -> None:
    answers: dict[object, object] = {**dict.fromkeys(ALL, 1), 3: 1, "traveling": 1}
    error = invalid(score, answers)
    assert error.value == ("traveling", 3)  # repr: "'traveling'" < "3"
    assert "'traveling' or 'odi-3' are only accepted through an explicit adapter" in error.allowed


def test_empty_marks_say_to_use_none() -> None:
    error = invalid(score, {**dict.fromkeys(ALL, 1), "walking": []})
    assert (error.field, error.value) == ("walking", [])
    assert error.allowed == "at least one marked statement; use None when unanswered"


def test_a_bad_mark_is_named_in_the_message() -> None:
    error = invalid(score, {**dict.fromkeys(ALL, 1), "lifting": [2, 7]})
    assert (error.field, error.value) == ("lifting", [2, 7])
    assert error.allowed == "every marked statement an int 0..5"


@pytest.mark.parametrize(
    ("kwargs", "field", "allowed"),
    [
        ({"raw": 0, "answered": 0}, "answered", "an int from 1 to 10"),
        (
            {"raw": 11, "answered": 2, "missing": tuple(OdiSection)[2:]},
            "raw",
            "an int from 0 to 5 * answered",
        ),
        ({"raw": 1, "answered": 9}, "missing", "exactly 10 - answered sections"),
        (
            {"raw": 1, "answered": 10, "missing": [OdiSection.WALKING]},
            "missing",
            "a tuple of distinct OdiSection members in canonical order",
        ),
        (
            {
                "raw": 1,
                "answered": 9,
                "missing": (OdiSection.WALKING,),
                "multiple_marks": (OdiSection.WALKING,),
            },
            "multiple_marks",
            "answered sections only, none missing",
        ),
    ],
)
def test_an_inconsistent_score_names_the_field_its_value_and_the_rule(
    kwargs: dict[str, object], field: str, allowed: str
) -> None:
    error = invalid(OdiScore, **kwargs)
    assert error.field == field
    assert error.value == kwargs.get(field, ())
    assert error.allowed == allowed


def test_an_empty_tuple_of_sections_is_valid_but_an_empty_list_is_not() -> None:
    assert OdiScore(5, 10, missing=()).missing == ()
    error = invalid(OdiScore, 5, 10, missing=[])
    assert (error.field, error.value) == ("missing", [])


@pytest.mark.parametrize(
    ("bad", "allowed"),
    [
        (True, "an int, float or Fraction from 0 to 100"),
        (float("nan"), "a percent from 0 to 100 (not NaN)"),
        (101, "a percent from 0 to 100 (not NaN)"),
    ],
)
def test_a_bad_percent_names_what_is_allowed(bad: object, allowed: str) -> None:
    error = invalid(odi_change, bad, 10)
    assert error.field == "before"
    assert error.allowed == allowed


# -- boundaries of the change criteria -----------------------------------------------------------


def test_worsening_by_exactly_ten_points_counts() -> None:
    # Ostelo 2008 [S12]: 10 points is the minimal important change, bound included.
    assert odi_change(30, 40).worsened_10_points is True
    assert odi_change(30, Fraction(399, 10)).worsened_10_points is False


# -- shared instances, promised by OdiScore's docstring ------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        [0] * 9 + [[3]],  # one mark given as a list: not a multiple mark
        MappingProxyType(dict.fromkeys(ALL, 3)),  # a mapping that is not a dict
        (3,) * 10,
        {OdiSection(k): 3 for k in ALL},
    ],
)
def test_fully_answered_single_marks_share_one_instance_per_raw_sum(answers: object) -> None:
    expected = score([3] * 10) if answers != [0] * 9 + [[3]] else score([0] * 9 + [3])
    assert score(answers) is expected  # type: ignore[arg-type]


def test_first_and_last_statements_score_zero_and_five_on_the_careful_path() -> None:
    answers = MappingProxyType({**dict.fromkeys(ALL, 0), "sex_life": 5})
    result = score(answers)
    assert (result.raw, result.answered, result.multiple_marks) == (5, 10, ())


# -- every error carries the JSON path of the answer it refuses ------------------------------


def first_path(error: InvalidAnswerError) -> str:
    return error.errors[0].path


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        (7, "an int 0..5"),
        ([], "at least one marked statement; use None when unanswered"),
        ([1, 9], "every marked statement an int 0..5"),
    ],
)
def test_a_bad_answer_is_refused_at_its_path_under_odi(answer: object, allowed: str) -> None:
    answers: dict[str, object] = dict.fromkeys(ALL, 1) | {"walking": answer}
    error = invalid(score, answers)
    assert (error.field, error.value) == ("walking", answer)
    assert allowed in error.allowed
    assert first_path(error) == "$.odi.walking"


def test_an_unknown_key_is_refused_at_its_path_with_its_problem() -> None:
    error = invalid(score, dict.fromkeys(ALL, 1) | {"traveling": 1})
    assert (error.field, error.value) == ("answers", "traveling")
    assert "'traveling' or 'odi-3' are only accepted through an explicit adapter" in error.allowed
    assert (first_path(error), error.errors[0].problem) == ("$.odi.traveling", "unknown key")


def test_a_key_that_is_not_a_str_is_refused_at_the_odi_itself() -> None:
    error = invalid(score, {3: 1})
    assert (error.value, first_path(error), error.errors[0].problem) == (3, "$.odi", "unknown key")


class _Repeating(Mapping[object, object]):
    """A mapping that is not a dict and yields its keys as given, a repeated one included."""

    def __init__(self, *pairs: tuple[object, object]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: object) -> object:
        return [value for name, value in self._pairs if name == key][-1]

    def __iter__(self) -> Iterator[object]:
        return iter([name for name, _ in self._pairs])

    def __len__(self) -> int:
        return len(self._pairs)


def test_a_section_answered_twice_by_a_mapping_is_refused_at_its_path() -> None:
    # "walking" and OdiSection.WALKING are one key of a dict, but another mapping can hold both.
    answers = _Repeating(*((name, 1) for name in ALL), (OdiSection.WALKING, 2))
    error = invalid(score, answers)
    assert (error.field, error.value) == (OdiSection.WALKING, 2)
    assert error.allowed == "each section key once (as a str or an OdiSection member)"
    assert (first_path(error), error.errors[0].problem) == (
        "$.odi.walking",
        "section answered twice",
    )


@pytest.mark.parametrize("answers", [[1] * 9, "3211111111"])
def test_answers_that_are_not_ten_in_order_are_refused_at_the_odi(answers: object) -> None:
    error = invalid(score, answers)
    assert (error.field, first_path(error)) == ("answers", "$.odi")
