"""The public strategies generate what their docstrings promise, and nothing else."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import backtriage as bt
from backtriage import IncompleteError, InvalidAnswerError, StartBackRisk
from backtriage.testing import strategies as bts

DEFAULT = bt.default_protocol()
REQUIRED_FLAGS = {f.name for f in DEFAULT.facts if f.required and f.kind == "red_flag"}


@given(bts.odi_answers())
def test_odi_answers_score_with_every_section_answered(answers: bts.OdiAnswerSet) -> None:
    score = bt.score_odi(answers, max_missing=0)
    assert score.answered == 10
    assert score.multiple_marks == ()


@given(st.integers(0, 9).flatmap(lambda n: st.tuples(st.just(n), bts.odi_answers(max_missing=n))))
def test_odi_answers_miss_at_most_max_missing_sections(
    case: tuple[int, bts.OdiAnswerSet],
) -> None:
    max_missing, answers = case
    assert len(bt.score_odi(answers, max_missing=max_missing).missing) <= max_missing


@given(bts.odi_answers(min_missing=2, max_missing=2))
def test_odi_answers_miss_at_least_min_missing_sections(answers: bts.OdiAnswerSet) -> None:
    assert len(bt.score_odi(answers, max_missing=2).missing) == 2


@given(bts.odi_answers(max_missing=1, multiple_marks=True))
def test_odi_answers_with_multiple_marks_are_recorded(answers: bts.OdiAnswerSet) -> None:
    assert bt.score_odi(answers, max_missing=1).multiple_marks != ()


@given(
    st.integers(0, 9).flatmap(
        lambda n: st.tuples(st.just(n), bts.incomplete_odi_answers(max_missing=n))
    )
)
def test_incomplete_odi_answers_are_not_scorable(case: tuple[int, bts.OdiAnswerSet]) -> None:
    max_missing, answers = case
    with pytest.raises(IncompleteError):
        bt.score_odi(answers, max_missing=max_missing)


@given(bts.invalid_odi_answers())
def test_invalid_odi_answers_are_refused(answers: object) -> None:
    with pytest.raises(InvalidAnswerError):
        bt.score_odi(answers, max_missing=10)  # type: ignore[arg-type]


@pytest.mark.parametrize(("low", "high"), [(-1, 0), (3, 2), (0, 10)])
def test_odi_answers_refuse_impossible_bounds(low: int, high: int) -> None:
    with pytest.raises(InvalidArgument):
        bts.odi_answers(min_missing=low, max_missing=high)


@given(bts.start_back_answers())
def test_start_back_answers_score(answers: bts.StartBackAnswerSet) -> None:
    assert 0 <= bt.score_start_back(answers).total <= 9


@pytest.mark.parametrize("risk", list(StartBackRisk))
@given(data=st.data())
def test_start_back_answers_can_target_a_risk_group(
    risk: StartBackRisk, data: st.DataObject
) -> None:
    answers = data.draw(bts.start_back_answers(risk=risk))
    assert bt.score_start_back(answers).risk is risk


@given(bts.invalid_start_back_answers())
def test_invalid_start_back_answers_are_refused(answers: object) -> None:
    with pytest.raises(InvalidAnswerError):
        bt.score_start_back(answers)  # type: ignore[arg-type]


@given(bts.incomplete_start_back_answers())
def test_incomplete_start_back_answers_are_not_scorable(answers: bts.StartBackAnswerSet) -> None:
    with pytest.raises(IncompleteError):
        bt.score_start_back(answers)


@given(bts.red_flag_answers())
def test_complete_red_flag_answers_answer_every_required_flag(
    answers: dict[str, bool | None],
) -> None:
    assert set(answers) <= {f.name for f in DEFAULT.facts if f.kind == "red_flag"}
    assert all(type(answers[name]) is bool for name in REQUIRED_FLAGS)


@given(bts.red_flag_answers(complete=False))
def test_incomplete_red_flag_answers_leave_a_required_flag_open(
    answers: dict[str, bool | None],
) -> None:
    assert any(answers.get(name) is None for name in REQUIRED_FLAGS)


@given(bts.assessments())
def test_complete_assessments_leave_nothing_missing(assessment: bt.Assessment) -> None:
    assert bt.recommend(assessment).missing == ()


@given(bts.assessments(complete=False))
def test_incomplete_assessments_give_no_exercise(assessment: bt.Assessment) -> None:
    plan = bt.recommend(assessment)
    assert plan.missing != ()
    assert plan.exercises == ()


@given(bts.assessments(complete=None))
def test_any_assessment_is_accepted_by_recommend(assessment: bt.Assessment) -> None:
    plan = bt.recommend(assessment)
    listed = [p.exercise.id for p in plan.exercises] + [w.exercise.id for w in plan.withheld]
    assert sorted(listed) == sorted(e.id for e in DEFAULT.exercises)


def test_incomplete_assessments_need_a_required_question() -> None:
    nothing_required = attrs.evolve(
        DEFAULT, facts=(), rules=(), require_odi=False, require_age=False
    )
    with pytest.raises(InvalidArgument):
        bts.assessments(nothing_required, complete=False)
    with pytest.raises(InvalidArgument):
        bts.red_flag_answers(nothing_required, complete=False)


@given(bts.protocols())
def test_generated_protocols_have_no_static_problem(protocol: bt.Protocol) -> None:
    assert protocol.check() == ()


@given(bts.protocols(max_exercises=2).flatmap(lambda p: st.tuples(st.just(p), bts.assessments(p))))
def test_assessments_fit_generated_protocols(case: tuple[bt.Protocol, bt.Assessment]) -> None:
    protocol, assessment = case
    assert bt.recommend(assessment, protocol=protocol).missing == ()


def test_protocols_need_an_exercise() -> None:
    with pytest.raises(InvalidArgument):
        bts.protocols(max_exercises=0)
