"""Where a plan's reasons come from: the protocol's scope for a person below its minimum age,
and a rule's caution kept on an exercise as a course moves it along its steps."""

from __future__ import annotations

import backtriage as bt
from answers_support import NO_FLAGS, REQUIRED

PROTOCOL = bt.default_protocol()


def test_a_person_below_the_minimum_age_is_told_the_scopes_reason_and_source() -> None:
    scope = PROTOCOL.scope
    assert scope.min_age is not None
    assert scope.source
    plan = bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=REQUIRED, age=scope.min_age - 1)
    )
    assert not plan.exercises
    assert plan.withheld
    for withheld in plan.withheld:
        first = withheld.reasons[0]
        assert (first.text, first.source) == (PROTOCOL.texts.under_age_reason, scope.source)
    fired = [f for f in plan.fired if f.reason == PROTOCOL.texts.under_age_reason]
    assert [f.source for f in fired] == [scope.source]


def test_a_cautioned_exercise_keeps_its_caution_at_its_next_step() -> None:
    findings = {**REQUIRED, "muscle_spasm": True}
    plan = bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=findings, age=40, pain=4)
    )
    first = {p.exercise.id: p for p in plan.exercises}["standing_flexion"]
    rule_cautions = [c for c in first.cautions if c.rule == "muscle_spasm_forward_bend_caution"]
    assert len(rule_cautions) == 1
    report = bt.ExerciseReport(done=True, pain_during=1, next_morning="same")
    check_in = bt.CheckIn(
        red_flags=NO_FLAGS,
        findings=findings,
        pain=4,
        days=7,
        exercises=dict.fromkeys((p.exercise.id for p in plan.exercises), report),
    )
    moved = {p.exercise.id: p for p in bt.follow_up(plan, check_in).plan.exercises}
    after = moved["standing_flexion"]
    assert after.exercise == first.exercise
    assert after.step == 1
    assert after.cautions == first.cautions
    assert f"(2/{after.steps})" in bt.follow_up(plan, check_in).plan.summary()
