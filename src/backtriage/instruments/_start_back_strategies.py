"""Hypothesis strategies for STarT Back answers, and what the testing kit draws of them.

Only the testing kit imports this module (``import backtriage`` never loads hypothesis); the
public strategies are re-exported from :mod:`backtriage.testing.strategies`. Items 1 to 8 are
``True``/``False`` or ``1``/``0``; item 9 is a ``Bothersomeness`` member, its string value or
its item score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from hypothesis import strategies as st

from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)

__all__ = [
    "StartBackAnswerSet",
    "incomplete_start_back_answers",
    "invalid_start_back_answers",
    "start_back_answers",
]

StartBackAnswerSet: TypeAlias = dict[str, object] | dict[StartBackItem, object]
"""One STarT Back questionnaire as an app passes it to ``score_start_back``."""

_ITEMS: tuple[StartBackItem, ...] = tuple(StartBackItem)
_PSYCHOSOCIAL = frozenset(_ITEMS[4:])
_NONE = st.none()


def _item_answer(item: StartBackItem, score: int) -> st.SearchStrategy[object]:
    if item is StartBackItem.BOTHERSOMENESS:
        words = (
            [Bothersomeness.VERY_MUCH, Bothersomeness.EXTREMELY]
            if score
            else [Bothersomeness.NOT_AT_ALL, Bothersomeness.SLIGHTLY, Bothersomeness.MODERATELY]
        )
        return st.sampled_from([*words, *(w.value for w in words), bool(score), score])
    return st.sampled_from([bool(score), score])


def _risk_of(scores: Mapping[StartBackItem, int]) -> StartBackRisk:
    total = sum(scores.values())
    psychosocial = sum(v for k, v in scores.items() if k in _PSYCHOSOCIAL)
    if total <= 3:
        return StartBackRisk.LOW
    return StartBackRisk.MEDIUM if psychosocial <= 3 else StartBackRisk.HIGH


@st.composite
def _start_back(draw: st.DrawFn, risk: StartBackRisk | None) -> StartBackAnswerSet:
    scores = draw(
        st.fixed_dictionaries({item: st.integers(0, 1) for item in _ITEMS}).filter(
            lambda s: risk is None or _risk_of(s) is risk
        )
    )
    answers = {item: draw(_item_answer(item, scores[item])) for item in _ITEMS}
    if draw(st.booleans()):
        return {item.value: value for item, value in answers.items()}
    return answers


def start_back_answers(
    *, risk: StartBackRisk | None = None
) -> st.SearchStrategy[StartBackAnswerSet]:
    """Generate complete STarT Back questionnaires, optionally all in one ``risk`` group.

    Items 1 to 8 are ``True``/``False`` or ``1``/``0``; item 9 is a ``Bothersomeness`` member,
    its string value or its item score.
    """
    return _start_back(risk)


@st.composite
def _invalid_start_back(draw: st.DrawFn) -> object:
    valid: dict[object, object] = {item.value: draw(st.booleans()) for item in _ITEMS}
    if draw(st.booleans()):
        valid[draw(st.sampled_from(["leg-pain", "item1", "", 1]))] = True
        return valid
    item = draw(st.sampled_from(_ITEMS))
    valid[item.value] = draw(st.sampled_from(["1", 1.0, 2, -1, "agree", "yes", [1], "a_lot"]))
    return valid


def invalid_start_back_answers() -> st.SearchStrategy[object]:
    """Generate questionnaires ``score_start_back`` refuses with ``InvalidAnswerError``."""
    return _invalid_start_back()


@st.composite
def _incomplete_start_back(draw: st.DrawFn) -> StartBackAnswerSet:
    answers = draw(_start_back(None))
    left_out = draw(st.sets(st.sampled_from(_ITEMS), min_size=1))
    incomplete: dict[str, object] = {}
    for key, value in answers.items():
        item = StartBackItem(key)
        if item not in left_out:
            incomplete[item.value] = value
        elif draw(st.booleans()):
            incomplete[item.value] = None  # left out as unanswered, not as absent
    return incomplete


def incomplete_start_back_answers() -> st.SearchStrategy[StartBackAnswerSet]:
    """Generate questionnaires with an item absent or ``None`` (``IncompleteError``)."""
    return _incomplete_start_back()


# -- what the testing kit draws -------------------------------------------------------------------

_ANY = start_back_answers()
_GIVEN = _ANY.map(lambda answers: {"start_back": answers})
_MAYBE_GIVEN = st.one_of(_NONE, _ANY).map(lambda answers: {"start_back": answers})
_NOT_GIVEN = _NONE.map(lambda answers: {"start_back": answers})
_NOTHING: st.SearchStrategy[Mapping[str, object]] = st.just({})


def assessment_fields(
    *, required: bool, unanswered: bool
) -> st.SearchStrategy[Mapping[str, object]]:
    """Draw the STarT Back field of an ``Assessment``: ``None`` when ``unanswered``, else
    complete answers, always when ``required``, else now and then none."""
    if unanswered:
        return _NOT_GIVEN
    return _GIVEN if required else _MAYBE_GIVEN


def check_in_fields(previous: Any) -> st.SearchStrategy[Mapping[str, object]]:
    """Draw nothing: a check-in does not ask STarT Back again (the last answers carry)."""
    return _NOTHING


def more_risk(
    assessment: Any, *, required: bool
) -> st.SearchStrategy[tuple[Mapping[str, object], str]] | None:
    """Draw STarT Back answers with one item more agreed than ``assessment``'s (any answers
    where none were given), with what changed in words; ``None`` when every item is agreed."""
    score: StartBackScore | None = assessment.start_back
    if score is not None and score.total >= 9:
        return None
    return _more(score).map(lambda worse: ({"start_back": worse}, _MORE))


_MORE = "answering more STarT Back items 'agree'"


def _more(score: StartBackScore | None) -> st.SearchStrategy[StartBackScore]:
    if score is None:
        return _SCORED
    total, psychosocial = score.total, score.psychosocial
    options = []
    if total + 1 <= psychosocial + 4:
        options.append(StartBackScore(total + 1, psychosocial))
    if psychosocial < 5:
        options.append(StartBackScore(total + 1, psychosocial + 1))
    return st.sampled_from(options)


_SCORED = _ANY.map(score_start_back)
