"""What a follow-up's plan carries from its course: exercises held back, the advice of a review
the trend asks for, and the baseline the next trend is measured against."""

from __future__ import annotations

import backtriage as bt
from answers_support import NO_FLAGS, REQUIRED

PROTOCOL = bt.default_protocol()
LIMITS = PROTOCOL.follow_up
assert LIMITS is not None


def first_plan(*, pain: int = 4) -> bt.Plan:
    return bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=REQUIRED, age=40, pain=pain)
    )


def check_in(plan: bt.Plan, *, pain: int, reported: int, **kwargs: object) -> bt.CheckIn:
    report = bt.ExerciseReport(done=True, pain_during=reported, next_morning="same")
    fields: dict[str, object] = {
        "red_flags": NO_FLAGS,
        "pain": pain,
        "days": 7,
        "exercises": dict.fromkeys((p.exercise.id for p in plan.exercises), report),
    }
    fields.update(kwargs)
    return bt.CheckIn(**fields)  # type: ignore[arg-type]


def test_every_exercise_stopped_at_its_first_step_is_withheld_for_one_check_in() -> None:
    plan = first_plan()
    assert plan.exercises
    given = [p.exercise.id for p in plan.exercises]
    follow = bt.follow_up(plan, check_in(plan, pain=4, reported=LIMITS.amber_max + 1))
    assert {d.kind for d in follow.steps} == {bt.StepKind.STOP}
    assert not set(given) & {p.exercise.id for p in follow.plan.exercises}
    withheld = {w.exercise.id: [r.text for r in w.reasons] for w in follow.plan.withheld}
    for exercise_id in given:
        assert withheld[exercise_id] == [LIMITS.stop]
    order = [e.id for e in PROTOCOL.exercises]
    listed = [w.exercise.id for w in follow.plan.withheld]
    assert listed == sorted(listed, key=order.index)


def test_a_review_the_trend_asks_for_gives_the_advice_of_its_urgency() -> None:
    plan = first_plan(pain=4)
    assert plan.urgency is bt.Urgency.NONE
    follow = bt.follow_up(plan, check_in(plan, pain=6, reported=1))
    assert follow.plan.urgency is bt.Urgency.ROUTINE
    assert follow.plan.exercises
    assert follow.plan.advice == PROTOCOL.advice.for_urgency(bt.Urgency.ROUTINE)
    assert follow.plan.advice != plan.advice


def test_the_course_keeps_the_first_plans_odi_as_its_baseline() -> None:
    plan = first_plan()
    assert plan.odi is not None
    follow = bt.follow_up(plan, check_in(plan, pain=4, reported=1, odi=[3] * 10))
    course = follow.plan.course
    assert course is not None
    assert course.baseline_odi == plan.odi
    assert follow.plan.odi != plan.odi


def test_unanswered_questions_keep_the_steps_of_the_exercises_given_and_start_no_other() -> None:
    findings = {**REQUIRED, "flexion_aggravates": True}
    plan = bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=findings, age=40, pain=4)
    )
    given = [p.exercise.id for p in plan.exercises]
    withheld_by_a_rule = {w.exercise.id for w in plan.withheld} - set(given)
    assert "standing_flexion" in withheld_by_a_rule
    unanswered = {**NO_FLAGS, next(iter(NO_FLAGS)): None}
    follow = bt.follow_up(
        plan,
        check_in(
            plan,
            pain=4,
            reported=1,
            red_flags=unanswered,
            findings={**findings, "flexion_aggravates": False},
        ),
    )
    assert follow.plan.missing
    assert not follow.plan.exercises
    course = follow.plan.course
    assert course is not None
    # Each exercise given moved one step on its safe report; none withheld before has a step.
    assert dict(course.steps) == dict.fromkeys(given, 1)
