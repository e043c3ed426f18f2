"""Specification of ODI scoring, bands and change (docs/clinical-basis.md section 1)."""

from __future__ import annotations

import math
from collections import OrderedDict
from decimal import Decimal
from enum import IntEnum
from fractions import Fraction
from random import Random
from types import MappingProxyType

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backtriage.errors import BacktriageError, IncompleteError, InvalidAnswerError
from backtriage.instruments.odi import (
    DisabilityBand,
    OdiChange,
    OdiScore,
    OdiSection,
    odi_change,
    score_odi,
)

SECTIONS = tuple(OdiSection)
KEYS = tuple(section.value for section in SECTIONS)


def answers_with(raw: int, answered: int = 10) -> dict[str, int | None]:
    """Return answers summing to ``raw`` over the first ``answered`` sections, rest missing."""
    assert 0 <= raw <= 5 * answered
    answers: dict[str, int | None] = {}
    for i, key in enumerate(KEYS):
        if i < answered:
            answers[key] = min(5, raw)
            raw -= answers[key]  # type: ignore[operator]
        else:
            answers[key] = None
    return answers


def full(code: int = 1, **overrides: object) -> dict[str, object]:
    """Return all ten sections answered with ``code``, some replaced by ``overrides``."""
    return {**dict.fromkeys(KEYS, code), **overrides}


def assert_names(error: BacktriageError, *parts: object) -> None:
    message = str(error)
    for part in parts:
        assert (part if isinstance(part, str) else repr(part)) in message, (part, message)


# -- Sections -------------------------------------------------------------------------------


def test_sections_are_in_canonical_order_with_snake_case_keys() -> None:
    assert KEYS == (
        "pain_intensity",
        "personal_care",
        "lifting",
        "walking",
        "sitting",
        "standing",
        "sleeping",
        "sex_life",
        "social_life",
        "travelling",
    )


def test_section_titles_are_short_headings_not_statement_text() -> None:
    assert OdiSection.PAIN_INTENSITY.heading == "Pain intensity"
    assert OdiSection.SEX_LIFE.heading == "Sex life"
    assert all(len(section.heading) <= 15 for section in OdiSection)


# -- Published worked examples [S5] ---------------------------------------------------------


def test_all_ten_answered_16_points_is_32_percent() -> None:
    # [S5]: 16 points with every section answered -> 16 / 50 = 32 %.
    score = score_odi([3, 2, 2, 1, 2, 1, 2, 1, 1, 1])
    assert (score.raw, score.answered, score.max_raw) == (16, 10, 50)
    assert score.percent_exact == 32
    assert score.percent == 32.0
    assert score.percent_rounded == 32
    assert score.band is DisabilityBand.MODERATE
    assert score.missing == ()
    assert score.multiple_marks == ()


def test_one_section_missing_16_points_is_16_of_45() -> None:
    # [S5]: one section missing, 16 points -> 16 / 45 = 35.6 %.
    answers = [3, 2, 2, 1, 2, 1, 2, None, 2, 1]
    score = score_odi(answers)
    assert (score.raw, score.answered, score.max_raw) == (16, 9, 45)
    assert score.percent_exact == Fraction(320, 9)
    assert score.percent == pytest.approx(35.5555555555)
    assert score.percent == float(Fraction(320, 9))
    assert score.percent_rounded == 36
    assert score.band is DisabilityBand.MODERATE
    assert score.missing == (OdiSection.SEX_LIFE,)


# -- Bands [S10] ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "answered", "band"),
    [
        (0, 10, DisabilityBand.MINIMAL),
        (10, 10, DisabilityBand.MINIMAL),  # 20 %: upper bound inclusive
        (11, 10, DisabilityBand.MODERATE),  # 22 %
        (20, 10, DisabilityBand.MODERATE),  # 40 %
        (21, 10, DisabilityBand.SEVERE),  # 42 %
        (30, 10, DisabilityBand.SEVERE),  # 60 %
        (31, 10, DisabilityBand.CRIPPLED),  # 62 %
        (40, 10, DisabilityBand.CRIPPLED),  # 80 %
        (41, 10, DisabilityBand.BED_BOUND),  # 82 %
        (50, 10, DisabilityBand.BED_BOUND),  # 100 %
        (9, 9, DisabilityBand.MINIMAL),  # 20 %
        (10, 9, DisabilityBand.MODERATE),  # 22.2 %
        (18, 9, DisabilityBand.MODERATE),  # 40 %
        (19, 9, DisabilityBand.SEVERE),  # 42.2 %
        (27, 9, DisabilityBand.SEVERE),  # 60 %
        (28, 9, DisabilityBand.CRIPPLED),  # 62.2 %
        (36, 9, DisabilityBand.CRIPPLED),  # 80 %
        (37, 9, DisabilityBand.BED_BOUND),  # 82.2 %
        (45, 9, DisabilityBand.BED_BOUND),  # 100 %
    ],
)
def test_band_boundaries_are_inclusive_upper_bounds(
    raw: int, answered: int, band: DisabilityBand
) -> None:
    score = score_odi(answers_with(raw, answered))
    assert score.band is band
    assert DisabilityBand.of(score.percent_exact) is band


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0, DisabilityBand.MINIMAL),
        (20, DisabilityBand.MINIMAL),
        (20.0, DisabilityBand.MINIMAL),
        (Fraction(2001, 100), DisabilityBand.MODERATE),
        (20.000000000000004, DisabilityBand.MODERATE),  # the float just above 20
        (40, DisabilityBand.MODERATE),
        (40.5, DisabilityBand.SEVERE),
        (60, DisabilityBand.SEVERE),
        (Fraction(181, 3), DisabilityBand.CRIPPLED),
        (80, DisabilityBand.CRIPPLED),
        (80.1, DisabilityBand.BED_BOUND),
        (100, DisabilityBand.BED_BOUND),
    ],
)
def test_band_of_a_percent_compares_exactly(percent: float, band: DisabilityBand) -> None:
    assert DisabilityBand.of(percent) is band


@pytest.mark.parametrize("percent", [True, False, math.nan, -1, -0.001, 100.001, 101, math.inf])
def test_band_of_rejects_bool_nan_and_out_of_range(percent: float) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        DisabilityBand.of(percent)
    assert caught.value.field == "percent"
    assert_names(caught.value, "percent", percent)


@pytest.mark.parametrize("percent", ["50", None, [50]])
def test_band_of_rejects_non_numbers(percent: object) -> None:
    with pytest.raises(InvalidAnswerError, match="percent"):
        DisabilityBand.of(percent)  # type: ignore[arg-type]


def test_bands_are_ordered_with_upper_bounds_labels_and_descriptions() -> None:
    bands = list(DisabilityBand)
    assert [band.value for band in bands] == [
        "minimal",
        "moderate",
        "severe",
        "crippled",
        "bed_bound",
    ]
    assert [band.upper_bound for band in bands] == [20, 40, 60, 80, 100]
    assert DisabilityBand.MINIMAL < DisabilityBand.MODERATE < DisabilityBand.BED_BOUND
    assert sorted(bands[i] for i in (4, 2, 0, 3, 1)) == bands
    assert all(band.label and band.description for band in bands)
    assert "crippled" not in DisabilityBand.CRIPPLED.label.lower()
    assert "require a detailed investigation" in DisabilityBand.SEVERE.description
    assert "positive intervention is required" in DisabilityBand.CRIPPLED.description
    assert "either bed-bound or exaggerating their symptoms" in (
        DisabilityBand.BED_BOUND.description
    )


# -- Rounding for display -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        # Eight answered: percent = 2.5 * raw, the only way to land on a half.
        (1, 3),  # 2.5 -> 3; round() gives 2
        (3, 8),  # 7.5 -> 8
        (5, 13),  # 12.5 -> 13; round() gives 12
        (7, 18),  # 17.5 -> 18
        (9, 23),  # 22.5 -> 23; round() gives 22
        (13, 33),  # 32.5 -> 33; round() gives 32
    ],
)
def test_rounding_is_half_up(raw: int, rounded: int) -> None:
    score = score_odi(answers_with(raw, 8), max_missing=2)
    assert score.percent_exact == Fraction(5 * raw, 2)
    assert score.percent_rounded == rounded


def test_rounding_differs_from_python_round_at_22_5() -> None:
    score = score_odi(answers_with(9, 8), max_missing=2)
    assert score.percent == 22.5
    assert round(score.percent) == 22
    assert score.percent_rounded == 23
    # 22.5 % is moderate whichever way it is shown.
    assert score.band is DisabilityBand.MODERATE


def test_rounding_below_half_goes_down() -> None:
    assert score_odi(answers_with(16, 9)).percent_rounded == 36  # 35.56
    assert score_odi(answers_with(1, 9)).percent_rounded == 2  # 2.22


# -- Answer forms ---------------------------------------------------------------------------


def test_multiple_marks_count_the_highest_and_are_recorded() -> None:
    # [S2]: more than one statement marked -> the highest counts.
    score = score_odi(full(1, walking=[1, 3], sitting=(0, 2), standing={4}))
    assert score.raw == 7 + 3 + 2 + 4
    assert score.multiple_marks == (OdiSection.WALKING, OdiSection.SITTING)


def test_multiple_marks_are_recorded_in_canonical_order_whatever_the_input_order() -> None:
    others = {key: 1 for key in KEYS if key not in ("travelling", "pain_intensity")}
    answers = {"travelling": frozenset({1, 2}), **others, "pain_intensity": [0, 5]}
    score = score_odi(answers)
    assert score.multiple_marks == (OdiSection.PAIN_INTENSITY, OdiSection.TRAVELLING)


def test_the_same_statement_marked_twice_is_not_a_multiple_mark() -> None:
    score = score_odi(full(1, lifting=[2, 2]))
    assert score.raw == 11
    assert score.multiple_marks == ()


def test_not_applicable_none_and_absent_are_missing() -> None:
    for answers in (
        full(2, sex_life="not_applicable"),
        full(2, sex_life=None),
        {key: 2 for key in KEYS if key != "sex_life"},
    ):
        score = score_odi(answers)
        assert (score.raw, score.answered) == (18, 9)
        assert score.missing == (OdiSection.SEX_LIFE,)


def test_sequence_is_read_in_canonical_order() -> None:
    score = score_odi((5, 0, 0, 0, 0, 0, 0, "not_applicable", 0, 0))
    assert score.raw == 5
    assert score.missing == (OdiSection.SEX_LIFE,)
    assert score_odi([0, 0, 0, 0, 0, 0, 0, 0, 0, [1, 4]]).multiple_marks == (OdiSection.TRAVELLING,)


def test_keys_may_be_sections_or_strings_mixed() -> None:
    answers: dict[str, object] = dict.fromkeys(SECTIONS[:5], 2)
    answers.update(dict.fromkeys(KEYS[5:], 1))
    assert score_odi(answers).raw == 15
    assert score_odi(answers) == score_odi([2] * 5 + [1] * 5)


def test_any_mapping_type_is_accepted() -> None:
    expected = score_odi(full(3))
    assert score_odi(MappingProxyType(full(3))) == expected
    assert score_odi(OrderedDict(full(3))) == expected


def test_int_subclasses_other_than_bool_are_read_as_their_value() -> None:
    class Code(IntEnum):
        MILD = 1
        SEVERE = 4

    score = score_odi(full(Code.MILD, walking=[Code.MILD, Code.SEVERE]))
    assert score.raw == 13
    assert type(score.raw) is int
    assert score.multiple_marks == (OdiSection.WALKING,)


class _Liar(int):
    """An int subclass whose comparisons and conversions all lie."""

    def __ge__(self, other: object) -> bool:
        return True

    def __le__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __int__(self) -> int:
        return 0


@pytest.mark.parametrize("value", [_Liar(7), _Liar(-1), _Liar(99)], ids=int.__repr__)
def test_an_int_subclass_is_judged_by_its_plain_value_not_its_own_comparisons(
    value: int,
) -> None:
    for answers in ([value, *[0] * 9], [[1, value], *[0] * 9]):
        with pytest.raises(InvalidAnswerError) as caught:
            score_odi(answers)
        assert caught.value.field == "pain_intensity"
    assert score_odi([_Liar(3), [_Liar(4), 1], *[0] * 8]).raw == 7


def test_fully_answered_scores_are_shared_immutable_values() -> None:
    first = score_odi(full(2))
    assert first is score_odi([2] * 10)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.raw = 3  # type: ignore[misc]


# -- Missing sections -----------------------------------------------------------------------


def test_max_missing_zero_requires_every_section() -> None:
    assert score_odi(full(1), max_missing=0).answered == 10
    with pytest.raises(IncompleteError) as caught:
        score_odi(full(1, walking=None), max_missing=0)
    assert caught.value.field == "odi"
    assert caught.value.missing == ("walking",)
    assert_names(caught.value, "odi", "walking", "at most 0")


def test_by_default_one_section_may_be_missing() -> None:
    assert score_odi(full(1, sex_life=None)).answered == 9
    with pytest.raises(IncompleteError) as caught:
        score_odi(full(1, sex_life=None, travelling="not_applicable"))
    assert caught.value.missing == ("sex_life", "travelling")
    assert_names(caught.value, "sex_life", "travelling", "at most 1", "max_missing")


def test_max_missing_nine_scores_a_single_answered_section() -> None:
    score = score_odi({"walking": 3}, max_missing=9)
    assert (score.raw, score.answered) == (3, 1)
    assert score.percent_exact == 60
    assert score.missing == tuple(s for s in SECTIONS if s is not OdiSection.WALKING)


@pytest.mark.parametrize("max_missing", [0, 1, 9, 10, 100])
def test_nothing_answered_is_never_scorable(max_missing: int) -> None:
    with pytest.raises(IncompleteError) as caught:
        score_odi({}, max_missing=max_missing)
    assert caught.value.missing == KEYS
    with pytest.raises(IncompleteError):
        score_odi([None] * 10, max_missing=max_missing)


@pytest.mark.parametrize("max_missing", [True, False, -1, 1.0, "1", None])
def test_max_missing_must_be_a_count(max_missing: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(full(1), max_missing=max_missing)  # type: ignore[arg-type]
    assert caught.value.field == "max_missing"
    assert_names(caught.value, "max_missing", max_missing)


# -- Bad answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        6,
        -1,
        2.5,
        True,  # bool is an int, but a yes/no is not a statement code
        False,
        "3",
        math.nan,
        5.0,
        "Not_applicable",
        b"3",
        {"a": 1},
        Fraction(3),
    ],
)
def test_bad_answers_are_rejected_naming_section_and_value(value: object) -> None:
    for answers in (full(1, walking=value), [1, 1, 1, value, 1, 1, 1, 1, 1, 1]):
        with pytest.raises(InvalidAnswerError) as caught:
            score_odi(answers)
        assert caught.value.field == "walking"
        assert caught.value.value is value
        assert_names(caught.value, "walking", value, "int 0..5")


@pytest.mark.parametrize("position", range(10))
@pytest.mark.parametrize(
    "value",
    # Each equals (and hashes like) a valid code; only its type tells it apart.
    [True, False, 2.0, Fraction(2), Decimal(2), complex(2, 0), 6, -1],
    ids=repr,
)
def test_a_look_alike_answer_is_refused_in_every_section(position: int, value: object) -> None:
    # The fast path checks each of the ten answers on its own line: one forgotten section
    # would score True as statement 1 there and nowhere else.
    answers: list[object] = [2] * 10
    answers[position] = value
    key = KEYS[position]
    for form in (dict(zip(KEYS, answers, strict=True)), answers, tuple(answers)):
        with pytest.raises(InvalidAnswerError) as caught:
            score_odi(form)  # type: ignore[arg-type]
        assert caught.value.field == key
        assert caught.value.value is value


@pytest.mark.parametrize("marks", [[], (), set(), frozenset()])
def test_empty_marks_are_rejected(marks: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(full(1, sitting=marks))
    assert_names(caught.value, "sitting", marks, "at least one")


@pytest.mark.parametrize("marks", [[1, 7], (True, 2), [2, "3"], [None], [2.0, 1], [[1]]])
def test_marks_must_each_be_a_statement_code(marks: list[object]) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(full(1, sitting=marks))
    assert caught.value.field == "sitting"
    assert_names(caught.value, "sitting", marks)


def test_the_first_bad_section_in_canonical_order_is_reported() -> None:
    others = {key: 1 for key in KEYS if key not in ("travelling", "lifting")}
    answers = {"travelling": 9, **others, "lifting": 8}
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(answers)
    assert caught.value.field == "lifting"


@pytest.mark.parametrize("key", ["traveling", "odi-3", "Walking", ""])
def test_unknown_and_alias_keys_are_rejected(key: str) -> None:
    answers = {**full(1), key: 1}
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(answers)
    assert caught.value.field == "answers"
    assert caught.value.value == key
    assert_names(caught.value, key, "pain_intensity", "travelling", "explicit adapter")


def test_an_unknown_key_replacing_a_section_is_rejected() -> None:
    answers = full(1)
    del answers["travelling"]
    answers["traveling"] = 1
    with pytest.raises(InvalidAnswerError, match="traveling"):
        score_odi(answers)


def test_every_unknown_key_is_reported_in_a_stable_order() -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi({"zzz": 1, "odi-1": 2, **full(1)})
    assert caught.value.value == ("odi-1", "zzz")


@pytest.mark.parametrize("key", [1, None, (1,), b"walking"])
def test_non_str_keys_are_rejected(key: object) -> None:
    answers: dict[object, object] = {}
    answers.update(full(1))
    answers[key] = 1
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(answers)  # type: ignore[arg-type]
    assert caught.value.field == "answers"
    assert_names(caught.value, key, "str or OdiSection")


@pytest.mark.parametrize("length", [0, 9, 11])
def test_a_sequence_must_hold_exactly_ten_answers(length: int) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi([1] * length)
    assert caught.value.field == "answers"
    assert_names(caught.value, "answers", "not ten answers", "exactly 10")


@pytest.mark.parametrize("answers", ["1111111111", b"1111111111", 5, None, {1, 2}, iter([1] * 10)])
def test_answers_must_be_a_mapping_or_a_list_or_tuple(answers: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        score_odi(answers)  # type: ignore[arg-type]
    assert caught.value.field == "answers"
    assert_names(caught.value, "answers", answers, "mapping")


def test_every_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="walking"):
        score_odi(full(1, walking=6))


# -- OdiScore constructed directly ----------------------------------------------------------


def test_a_score_can_be_built_directly_for_deserialisation() -> None:
    score = OdiScore(16, 9, (OdiSection.SEX_LIFE,), (OdiSection.WALKING,))
    assert score.percent_exact == Fraction(320, 9)
    assert OdiScore(16, 10) == score_odi(answers_with(16))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"raw": 1, "answered": 0}, "answered"),
        ({"raw": 1, "answered": 11}, "answered"),
        ({"raw": 1, "answered": True}, "answered"),
        ({"raw": 1, "answered": 10.0}, "answered"),
        ({"raw": 51, "answered": 10}, "raw"),
        ({"raw": -1, "answered": 10}, "raw"),
        ({"raw": True, "answered": 10}, "raw"),
        ({"raw": 1.0, "answered": 10}, "raw"),
        ({"raw": 1, "answered": 9}, "missing"),
        ({"raw": 1, "answered": 9, "missing": ["walking"]}, "missing"),
        ({"raw": 1, "answered": 9, "missing": ("walking",)}, "missing"),
        ({"raw": 1, "answered": 10, "missing": (OdiSection.WALKING,)}, "missing"),
        (
            {"raw": 1, "answered": 8, "missing": (OdiSection.WALKING, OdiSection.LIFTING)},
            "missing",
        ),
        (
            {"raw": 1, "answered": 8, "missing": (OdiSection.WALKING, OdiSection.WALKING)},
            "missing",
        ),
        ({"raw": 1, "answered": 10, "multiple_marks": ("walking",)}, "multiple_marks"),
        (
            {
                "raw": 1,
                "answered": 9,
                "missing": (OdiSection.WALKING,),
                "multiple_marks": (OdiSection.WALKING,),
            },
            "multiple_marks",
        ),
    ],
)
def test_direct_construction_checks_the_invariants(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        OdiScore(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


# -- Change over time -----------------------------------------------------------------------


def test_ten_points_from_forty_meets_the_point_criterion_only() -> None:
    # Ostelo 2008 [S12]: 10 points or 30 %; reported separately.
    change = odi_change(40, 30)
    assert change.points == -10
    assert change.relative == Fraction(-1, 4)
    assert change.improved_10_points
    assert not change.improved_30_percent
    assert change.beyond_measurement_error
    assert not change.worsened_10_points


def test_forty_to_twenty_eight_meets_both_criteria() -> None:
    change = odi_change(40, 28)
    assert change.improved_10_points
    assert change.improved_30_percent  # exactly 30 %: 12 of 40


def test_ten_to_six_meets_thirty_percent_not_ten_points() -> None:
    change = odi_change(10, 6)
    assert not change.improved_10_points
    assert change.improved_30_percent
    # Mannion 2006 [S15]: 4 points is within measurement error.
    assert not change.beyond_measurement_error


def test_thirty_percent_is_exact_not_float() -> None:
    # 0.3 * 10 is 3.0000000000000004 in floats; the criterion compares exactly.
    assert odi_change(10, 7).improved_30_percent
    assert not odi_change(10, Fraction(701, 100)).improved_30_percent


def test_zero_baseline_has_no_relative_change() -> None:
    change = odi_change(0, 12)
    assert change.relative is None
    assert not change.improved_30_percent
    assert change.worsened_10_points
    assert change.points == 12


def test_measurement_error_threshold_is_nine_points_either_way() -> None:
    assert odi_change(30, 39).beyond_measurement_error
    assert odi_change(39, 30).beyond_measurement_error
    assert not odi_change(30, Fraction(389, 10)).beyond_measurement_error


def test_change_takes_scores_at_their_exact_value() -> None:
    before = score_odi(answers_with(16, 9))  # 35.55...
    after = score_odi(answers_with(6))  # 12
    change = odi_change(before, after)
    assert change.before == Fraction(320, 9)
    assert change.after == 12
    assert change.points == 12 - Fraction(320, 9)
    assert change == OdiChange(before, after)


def test_change_takes_float_percents_exactly() -> None:
    change = odi_change(35.5, 20.25)
    assert change.points == Fraction(-61, 4)


@pytest.mark.parametrize("bad", [True, math.nan, -1, 101, "40", None])
def test_change_rejects_bad_percents_naming_before_or_after(bad: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        odi_change(bad, 30)  # type: ignore[arg-type]
    assert caught.value.field == "before"
    with pytest.raises(InvalidAnswerError) as caught:
        odi_change(30, bad)  # type: ignore[arg-type]
    assert caught.value.field == "after"


def test_change_fields_are_derived_and_cannot_be_passed() -> None:
    with pytest.raises(TypeError):
        OdiChange(40, 30, points=5)  # type: ignore[call-arg]


# -- Properties -----------------------------------------------------------------------------

codes = st.integers(min_value=0, max_value=5)


@st.composite
def answer_lists(draw: st.DrawFn, max_missing: int = 9) -> list[int | None]:
    """Draw ten answers in canonical order with between 0 and ``max_missing`` missing."""
    values: list[int | None] = draw(st.lists(codes, min_size=10, max_size=10))
    gone = draw(st.sets(st.integers(0, 9), max_size=max_missing))
    for i in gone:
        values[i] = None
    return values


def as_mapping(values: list[int | None]) -> dict[str, int]:
    return {key: value for key, value in zip(KEYS, values, strict=True) if value is not None}


@given(answer_lists())
def test_percent_lies_between_0_and_100(values: list[int | None]) -> None:
    score = score_odi(values, max_missing=9)
    assert 0 <= score.percent_exact <= 100
    assert 0 <= score.percent <= 100
    assert 0 <= score.percent_rounded <= 100
    assert score.percent == float(score.percent_exact)
    assert score.percent_rounded == math.floor(score.percent_exact + Fraction(1, 2))
    assert score.max_raw == 5 * score.answered
    assert len(score.missing) == 10 - score.answered


@given(answer_lists(), st.integers(0, 9), st.integers(1, 5))
def test_raising_one_answered_section_never_lowers_the_percent(
    values: list[int | None], index: int, step: int
) -> None:
    current = values[index]
    assume(current is not None and current < 5)
    raised = list(values)
    raised[index] = min(5, current + step)  # type: ignore[operator]
    before, after = score_odi(values, max_missing=9), score_odi(raised, max_missing=9)
    assert after.percent_exact > before.percent_exact
    assert after.band >= before.band


@given(codes, st.sets(st.sampled_from(SECTIONS), max_size=9))
def test_all_answered_sections_equal_k_give_20_k_percent(k: int, missing: set[OdiSection]) -> None:
    answers = {section: k for section in SECTIONS if section not in missing}
    assert score_odi(answers, max_missing=9).percent_exact == 20 * k


@given(answer_lists(), st.integers(0, 9), st.data())
def test_an_extra_lower_mark_changes_nothing_but_the_record(
    values: list[int | None], index: int, data: st.DataObject
) -> None:
    current = values[index]
    assume(current is not None and current > 0)
    lower = data.draw(st.integers(0, current - 1))  # type: ignore[operator]
    marked: list[object] = list(values)
    marked[index] = [lower, current]
    plain, multiple = score_odi(values, max_missing=9), score_odi(marked, max_missing=9)
    assert (multiple.raw, multiple.answered, multiple.missing) == (
        plain.raw,
        plain.answered,
        plain.missing,
    )
    assert multiple.multiple_marks == (SECTIONS[index],)


@given(answer_lists())
def test_band_of_exact_value_equals_band_of_rounded_value(values: list[int | None]) -> None:
    # No achievable score lies strictly between 20 and 22, 40 and 42, ... so rounding for
    # display never moves a band (docs/clinical-basis.md section 1).
    score = score_odi(values, max_missing=9)
    assert score.band is DisabilityBand.of(score.percent_rounded)
    assert score.band is DisabilityBand.of(score.percent_exact)
    assert score.band is DisabilityBand.of(score.percent)


@given(answer_lists(), st.randoms())
def test_mapping_and_sequence_forms_agree_in_any_order(
    values: list[int | None], random: Random
) -> None:
    items = list(as_mapping(values).items())
    random.shuffle(items)
    from_mapping = score_odi(dict(items), max_missing=9)
    assert from_mapping == score_odi(values, max_missing=9)
    assert from_mapping == score_odi(tuple(values), max_missing=9)
    assert from_mapping == score_odi(MappingProxyType(dict(items)), max_missing=9)


@given(answer_lists())
def test_keys_as_sections_or_strings_agree(values: list[int | None]) -> None:
    by_key = as_mapping(values)
    by_section = {OdiSection(key): value for key, value in by_key.items()}
    assert score_odi(by_key, max_missing=9) == score_odi(by_section, max_missing=9)


@given(answer_lists())
def test_scoring_is_deterministic(values: list[int | None]) -> None:
    first = score_odi(values, max_missing=9)
    assert first == score_odi(list(values), max_missing=9)
    assert hash(first) == hash(score_odi(list(values), max_missing=9))


@given(answer_lists(max_missing=1))
def test_default_max_missing_accepts_what_it_should(values: list[int | None]) -> None:
    assert score_odi(values) == score_odi(values, max_missing=9)


@given(
    st.one_of(st.integers(0, 100), st.fractions(0, 100), st.floats(0, 100)),
    st.one_of(st.integers(0, 100), st.fractions(0, 100), st.floats(0, 100)),
)
def test_change_criteria_follow_their_definitions(before: float, after: float) -> None:
    change = odi_change(before, after)
    exact_before, exact_after = Fraction(before), Fraction(after)
    assert change.points == exact_after - exact_before
    assert change.improved_10_points == (exact_before - exact_after >= 10)
    assert change.worsened_10_points == (exact_after - exact_before >= 10)
    assert change.improved_30_percent == (
        exact_before > 0 and exact_before - exact_after >= Fraction(3, 10) * exact_before
    )
    assert change.beyond_measurement_error == (abs(exact_after - exact_before) >= 9)
    if exact_before:
        assert change.relative == change.points / exact_before
    else:
        assert change.relative is None
