"""Hypothesis strategies for ODI answers, and what the testing kit draws of the ODI.

Only the testing kit imports this module (``import backtriage`` never loads hypothesis); the
public strategies are re-exported from :mod:`backtriage.testing.strategies`. Answers come in
every form ``score_odi`` accepts: mappings keyed by ``str`` or ``OdiSection``, ten-item lists,
``None``, ``"not_applicable"`` or an absent key for a missing section, several marks as a list,
tuple or set. Every strategy shrinks towards every section answered 0.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeAlias

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from backtriage.instruments.odi import OdiScore, OdiSection

__all__ = [
    "OdiAnswerSet",
    "incomplete_odi_answers",
    "invalid_odi_answers",
    "odi_answers",
]

OdiAnswerSet: TypeAlias = dict[str, object] | dict[OdiSection, object] | list[object]
"""One ODI questionnaire as an app passes it to ``score_odi``: a mapping or ten answers."""

_SECTIONS: tuple[OdiSection, ...] = tuple(OdiSection)

# Strategies are built once and reused: hypothesis validates each new strategy object when it is
# first drawn from, which would otherwise cost more than the draws themselves.
_CODE = st.integers(0, 5)
_GAP = st.sampled_from([None, "not_applicable"])
_FORM = st.sampled_from(["list", "str_keys", "enum_keys", "absent_keys"])
_MAX_MISSING = st.sampled_from([1, 1, 0, 2])
_NONE = st.none()


def _several_marks(code: int) -> st.SearchStrategy[object]:
    """Marks in one section whose highest is ``code``: at least two distinct codes."""
    lower = st.sets(st.integers(0, code - 1), min_size=1, max_size=code)
    return lower.flatmap(
        lambda marks: st.sampled_from(
            [sorted({*marks, code}), tuple(sorted({*marks, code})), {*marks, code}]
        )
    )


@functools.cache
def _missing_sections(min_size: int, max_size: int) -> st.SearchStrategy[set[OdiSection]]:
    return st.sets(st.sampled_from(_SECTIONS), min_size=min_size, max_size=max_size)


@st.composite
def _odi(
    draw: st.DrawFn,
    *,
    min_missing: int,
    max_missing: int,
    multiple_marks: bool,
) -> OdiAnswerSet:
    missing = draw(_missing_sections(min_missing, max_missing))
    answered = [s for s in _SECTIONS if s not in missing]
    codes = {s: draw(_CODE) for s in answered}
    marked: set[OdiSection] = set()
    if multiple_marks:
        # At least one section needs a code above 0 for two distinct marks to exist.
        first = draw(st.sampled_from(answered))
        codes[first] = max(codes[first], 1)
        marked = {first} | draw(st.sets(st.sampled_from(answered), max_size=3))
    values: dict[OdiSection, object] = {}
    for section in _SECTIONS:
        if section in missing:
            values[section] = draw(_GAP)
        elif section in marked and codes[section] > 0:
            values[section] = draw(_several_marks(codes[section]))
        else:
            values[section] = codes[section]
    form = draw(_FORM)
    if form == "list":
        return [values[s] for s in _SECTIONS]
    if form == "enum_keys":
        return dict(values)
    if form == "absent_keys":
        # A section left out of the mapping is missing, like None.
        return {s.value: v for s, v in values.items() if s not in missing}
    return {s.value: v for s, v in values.items()}


def odi_answers(
    *, max_missing: int = 0, min_missing: int = 0, multiple_marks: bool = False
) -> st.SearchStrategy[OdiAnswerSet]:
    """Generate ODI questionnaires that ``score_odi(answers, max_missing=max_missing)`` scores.

    Between ``min_missing`` and ``max_missing`` sections are missing (``None``,
    ``"not_applicable"`` or, in a mapping, an absent key). With ``multiple_marks=True`` at least
    one section has several statements marked, given as a list, tuple or set of codes.

    >>> from backtriage import score_odi
    >>> score_odi(odi_answers(max_missing=1).example(), max_missing=1)  # doctest: +SKIP
    """
    if not 0 <= min_missing <= max_missing <= 9:
        raise InvalidArgument(
            f"need 0 <= min_missing <= max_missing <= 9, got {min_missing} and {max_missing}: "
            "at least one section must be answered"
        )
    return _odi_strategy(min_missing, max_missing, multiple_marks)


@functools.cache
def _odi_strategy(
    min_missing: int, max_missing: int, multiple_marks: bool
) -> st.SearchStrategy[OdiAnswerSet]:
    return _odi(min_missing=min_missing, max_missing=max_missing, multiple_marks=multiple_marks)


@functools.cache
def _given_odi(max_missing: int) -> st.SearchStrategy[OdiAnswerSet]:
    return odi_answers(max_missing=max_missing, multiple_marks=False) | odi_answers(
        max_missing=max_missing, multiple_marks=True
    )


@functools.cache
def _maybe_given(max_missing: int) -> st.SearchStrategy[OdiAnswerSet | None]:
    return st.one_of(_NONE, _given_odi(max_missing))


def incomplete_odi_answers(*, max_missing: int = 1) -> st.SearchStrategy[OdiAnswerSet]:
    """Generate ODI questionnaires with more than ``max_missing`` sections missing.

    ``score_odi(answers, max_missing=max_missing)`` raises ``IncompleteError`` for each, and an
    :class:`~backtriage.Assessment` with ``odi_max_missing=max_missing`` keeps no ODI score.
    """
    if not 0 <= max_missing <= 9:
        raise InvalidArgument(f"need 0 <= max_missing <= 9, got {max_missing}")
    # Nothing answered is never scorable, whatever max_missing allows.
    every_none: dict[str, object] = {s.value: None for s in _SECTIONS}
    nothing: list[OdiAnswerSet] = [[None] * 10, ["not_applicable"] * 10, {}, every_none]
    nothing_answered = st.sampled_from(range(len(nothing))).map(lambda i: _copy(nothing[i]))
    if max_missing == 9:
        return nothing_answered
    answered_some = _odi(min_missing=max_missing + 1, max_missing=9, multiple_marks=False)
    return st.one_of(answered_some, nothing_answered)


def _copy(answers: OdiAnswerSet) -> OdiAnswerSet:
    # A fresh value each time, so that a test mutating its input cannot change the next one.
    return list(answers) if isinstance(answers, list) else dict(answers)


# Each is refused by score_odi with InvalidAnswerError, whatever the other sections hold.
_BAD_ODI_ANSWERS: tuple[object, ...] = (
    True,
    False,
    "3",
    "",
    2.5,
    5.0,
    6,
    -1,
    float("nan"),
    [],
    (),
    frozenset(),
    [1, "2"],
    [6],
    {2, True},
    b"1",
    {"code": 1},
)
_BAD_ODI_KEYS: tuple[object, ...] = ("traveling", "odi-3", "Pain_Intensity", "", 3, None)


@st.composite
def _invalid_odi(draw: st.DrawFn) -> object:
    valid = {s.value: draw(st.integers(0, 5)) for s in _SECTIONS}
    kind = draw(st.sampled_from(["answer", "key", "length", "type"]))
    if kind == "answer":
        section = draw(st.sampled_from(_SECTIONS))
        bad = draw(st.sampled_from(_BAD_ODI_ANSWERS))
        if draw(st.booleans()):
            return [bad if s is section else valid[s.value] for s in _SECTIONS]
        return valid | {section.value: bad}
    if kind == "key":
        extra: dict[object, object] = {}
        extra.update(valid)
        extra[draw(st.sampled_from(_BAD_ODI_KEYS))] = draw(st.integers(0, 5))
        return extra
    if kind == "length":
        size = draw(st.integers(0, 15).filter(lambda n: n != 10))
        return draw(st.lists(st.integers(0, 5), min_size=size, max_size=size))
    return draw(st.sampled_from(["0123401234", 42, None, 3.0, b"0000000000"]))


def invalid_odi_answers() -> st.SearchStrategy[object]:
    """Generate inputs that ``score_odi`` must refuse with ``InvalidAnswerError``.

    A bad answer in one section (``True``, ``"3"``, ``2.5``, ``5.0``, ``6``, NaN, an empty or
    out-of-range set of marks ...), an alias or non-``str`` key, a sequence that is not ten long,
    or something that is no questionnaire at all.
    """
    return _invalid_odi()


# -- what the testing kit draws -------------------------------------------------------------------


@st.composite
def _fields(draw: st.DrawFn, required: bool, unanswered: bool) -> Mapping[str, object]:
    max_missing = draw(_MAX_MISSING)
    odi: object
    if unanswered:
        odi = draw(st.one_of(_NONE, incomplete_odi_answers(max_missing=max_missing)))
    else:
        odi = draw(_given_odi(max_missing) if required else _maybe_given(max_missing))
    return {"odi": odi, "odi_max_missing": max_missing}


@functools.cache
def assessment_fields(
    *, required: bool, unanswered: bool
) -> st.SearchStrategy[Mapping[str, object]]:
    """Draw the ODI fields of an ``Assessment``: answers (with gaps within ``odi_max_missing``
    and multiple marks) and ``odi_max_missing``.

    ``unanswered``: no answers or too many gaps to score. Else scorable answers, always when
    ``required``, else now and then none.
    """
    return _fields(required, unanswered)


def check_in_fields(previous: Any) -> st.SearchStrategy[Mapping[str, object]]:
    """Draw the ODI fields of a ``CheckIn`` after the assessment ``previous`` (or ``None``):
    the ODI again, within its ``odi_max_missing``, or not."""
    max_missing = previous.odi_max_missing if previous is not None else 1
    return _check_in_fields(max_missing)


@functools.cache
def _check_in_fields(max_missing: int) -> st.SearchStrategy[Mapping[str, object]]:
    return _maybe_given(max_missing).map(lambda odi: {"odi": odi})


def more_risk(
    assessment: Any, *, required: bool
) -> st.SearchStrategy[tuple[Mapping[str, object], str]] | None:
    """Draw a worse ODI than ``assessment``'s, with what changed in words, or ``None``.

    A higher raw score over the same sections; an ODI answered where none was given and the
    protocol does not require it; ``None`` when the score is the highest or not scorable.
    """
    score: OdiScore | None = assessment.odi_score
    if score is not None and score.raw < score.max_raw:
        return st.integers(score.raw + 1, score.max_raw).map(lambda raw: _raised(score, raw))
    if assessment.odi is None and not required:
        return _ANSWERED
    return None


def _raised(score: OdiScore, raw: int) -> tuple[Mapping[str, object], str]:
    worse = OdiScore(raw, score.answered, score.missing, score.multiple_marks)
    change = f"raising the ODI from {score.percent_rounded}% to {worse.percent_rounded}%"
    return {"odi": worse}, change


_ANSWERED = odi_answers().map(lambda odi: ({"odi": odi}, "answering the ODI"))
