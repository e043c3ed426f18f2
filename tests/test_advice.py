"""The advice of a plan never invites exercises the plan does not give."""

from __future__ import annotations

import pytest

import backtriage as bt

QUESTIONS = bt.questions()
RED_FLAGS = {q.key: False for q in QUESTIONS if q.kind is bt.QuestionKind.RED_FLAG}
FINDINGS = {
    q.key: False
    for q in QUESTIONS
    if q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
}
INVITATIONS = ("exercises below", "You can try", "try the exercises")


def _plan(
    *, flags: dict[str, bool | None] | None = None, findings: dict[str, bool] | None = None
) -> bt.Plan:
    return bt.recommend(
        bt.Assessment(
            odi=[1] * 10,
            red_flags=RED_FLAGS | (flags or {}),
            findings=FINDINGS | (findings or {}),
            age=40,
        )
    )


def _assert_no_invitation(plan: bt.Plan) -> None:
    assert not plan.exercises
    for phrase in INVITATIONS:
        assert phrase not in plan.advice, plan.advice


def test_an_unanswered_flag_with_a_routine_flag_does_not_invite_exercises() -> None:
    plan = _plan(flags={"fever": None, "not_improving": True})
    assert plan.urgency is bt.Urgency.ROUTINE
    assert plan.missing == ("fever",)
    _assert_no_invitation(plan)
    assert "routine appointment" in plan.advice


@pytest.mark.parametrize(
    "findings",
    [
        {"recent_spine_surgery": True},
        {"confined_to_bed": True, "cannot_lie_supine": True},
    ],
    ids=["recent spine surgery", "confined to bed, cannot lie on the back"],
)
def test_when_every_exercise_is_withheld_the_advice_does_not_invite_any(
    findings: dict[str, bool],
) -> None:
    plan = _plan(findings=findings)
    assert not plan.missing
    assert plan.urgency < bt.Urgency.SAME_DAY
    assert plan.withheld
    _assert_no_invitation(plan)
    assert "None of the exercises is suitable" in plan.advice


def test_a_plan_with_exercises_keeps_the_protocol_advice() -> None:
    plan = _plan()
    assert plan.exercises
    assert plan.advice == bt.default_protocol().advice.for_urgency(plan.urgency)
