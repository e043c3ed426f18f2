"""A plan's course is made when it is first read: the plan is the same value as before.

``recommend`` keeps what the course is made of and makes it on first read (a follow-up,
``to_json``, equality, pickle). These tests hold the course so made to the one a plan made
at once would carry, in every way a plan is used: its fields, equality, hash, the JSON
document and pickle.
"""

from __future__ import annotations

import copy
import pickle

import attrs
from hypothesis import given

import backtriage as bt
from backtriage._plan import Plan
from backtriage.assessment import canonical
from backtriage.testing import strategies as bts


def course_made_at_once(plan: bt.Plan, assessment: bt.Assessment) -> bt.Course:
    """The course of a first plan, written out as recommend made it before it waited."""
    return bt.Course(
        canonical(assessment),
        assessment.odi_score,
        assessment.pain,
        steps={p.exercise.id: p.step for p in plan.exercises},
    )


def plan_made_at_once(plan: bt.Plan, course: bt.Course) -> bt.Plan:
    fields = {f.alias: plan.__getattribute__(f.name) for f in attrs.fields(Plan) if f.init}
    return Plan(**{**fields, "course": course})


def not_read_yet(plan: bt.Plan) -> bool:
    slot = Plan.__dict__["course"].slot
    return type(slot.__get__(plan, Plan)).__name__ == "_CourseToCome"


@given(bts.assessments(complete=None))
def test_the_course_made_on_first_read_is_the_one_made_at_once(
    assessment: bt.Assessment,
) -> None:
    plan = bt.recommend(assessment)
    assert not_read_yet(plan)
    course = plan.course
    assert course is not None
    expected = course_made_at_once(plan, assessment)
    assert course == expected
    # Not compared by ==: the answers a follow-up carries over, in their one form.
    assert course.answers == expected.answers
    assert course.steps == expected.steps
    assert list(course.steps) == list(expected.steps)
    assert plan.course is course  # made once, then kept


@given(bts.assessments(complete=None))
def test_a_plan_whose_course_is_not_read_yet_is_the_same_value(
    assessment: bt.Assessment,
) -> None:
    at_once = plan_made_at_once(bt.recommend(assessment), bt.recommend(assessment).course)
    for use in (
        lambda plan: plan == at_once and at_once == plan,
        lambda plan: hash(plan) == hash(at_once),
        lambda plan: repr(plan) == repr(at_once),
        lambda plan: bt.to_json(plan) == bt.to_json(at_once),
        lambda plan: bt.to_dict(plan) == bt.to_dict(at_once),
        lambda plan: pickle.loads(pickle.dumps(plan)) == at_once,
        lambda plan: pickle.dumps(plan) == pickle.dumps(at_once),
        lambda plan: copy.deepcopy(plan) == at_once,
        lambda plan: attrs.evolve(plan) == at_once,
        lambda plan: attrs.asdict(plan, recurse=False) == attrs.asdict(at_once, recurse=False),
    ):
        plan = bt.recommend(assessment)  # a fresh plan each time: its course not read
        assert not_read_yet(plan)
        assert use(plan)


@given(bts.assessments(complete=None))
def test_a_plan_read_back_from_json_or_pickle_carries_the_course(
    assessment: bt.Assessment,
) -> None:
    plan = bt.recommend(assessment)
    for again in (
        bt.from_json(bt.to_json(bt.recommend(assessment)), bt.Plan),
        pickle.loads(pickle.dumps(bt.recommend(assessment))),
    ):
        assert again.course == plan.course
        assert again.course is not None
        assert plan.course is not None
        assert again.course.answers == plan.course.answers


def test_a_follow_up_of_a_plan_whose_course_is_not_read_yet_reads_it() -> None:
    flags = {q.key: False for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG}
    findings = {q.key: False for q in bt.questions() if q.kind == "finding" and q.required}
    assessment = bt.Assessment(odi=[1] * 10, red_flags=flags, findings=findings, age=40)
    plan = bt.recommend(assessment)
    assert not_read_yet(plan)
    check_in = bt.CheckIn(red_flags=flags, pain=3, days=7)
    result = bt.follow_up(plan, check_in)
    assert plan.course == course_made_at_once(plan, assessment)
    again = bt.follow_up(plan_made_at_once(plan, course_made_at_once(plan, assessment)), check_in)
    assert result == again
    assert result.plan.course == again.plan.course
    assert result.plan.course is not None
    assert again.plan.course is not None
    assert result.plan.course.answers == again.plan.course.answers


def test_a_course_given_to_the_plan_is_the_one_it_carries() -> None:
    plan = bt.recommend(bt.Assessment())
    assert plan_made_at_once(plan, None).course is None  # type: ignore[arg-type]
    course = bt.Course(bt.Assessment(), days=3)
    assert plan_made_at_once(plan, course).course is course


def test_nothing_but_the_course_slot_sees_a_course_not_made_yet() -> None:
    # The slot holds what the course is made of until it is read: a validator or converter
    # on the field would be handed that instead of a Course.
    field = attrs.fields(bt.Plan).course
    assert field.validator is None
    assert field.converter is None
