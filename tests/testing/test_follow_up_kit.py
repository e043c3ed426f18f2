"""The kit knows follow-ups: check-in strategies, and properties an app runs on its protocol."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage import _follow_up
from backtriage.testing import (
    InconsistentProtocolError,
    assert_follow_up_consistent,
    check_properties,
)
from backtriage.testing import strategies as bts

FOLLOW_UP_CHECKS = ("follow_up_pain_monotone", "follow_up_one_step", "follow_up_rescreens")
PROTOCOL = bt.default_protocol()


def _first_plan() -> bt.Plan:
    flags = {q.key: False for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG}
    required = {
        q.key: False
        for q in bt.questions()
        if q.required and q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
    }
    return bt.recommend(
        bt.Assessment(odi=[1] * 10, red_flags=flags, findings=required, age=40, pain=4)
    )


PLAN = _first_plan()


def test_the_default_protocol_keeps_every_follow_up_property() -> None:
    assert_follow_up_consistent(PROTOCOL, max_examples=10)


def test_a_protocol_without_follow_up_has_nothing_to_check() -> None:
    bare = attrs.evolve(PROTOCOL, follow_up=None)
    assert check_properties(bare, checks=FOLLOW_UP_CHECKS, max_examples=0) == ()


def test_the_pain_check_fails_when_more_pain_gives_a_higher_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = _follow_up._move

    def inverted(
        report: bt.ExerciseReport | None, step: int, steps: int, rules: bt.protocol.FollowUpRules
    ) -> tuple[str, int]:
        if report is not None and report.pain_during == 10:
            return ("progress", step + 1) if step + 1 < steps else ("hold_last_step", step)
        return moved(report, step, steps, rules)

    monkeypatch.setattr(_follow_up, "_move", inverted)
    (failure,) = check_properties(PROTOCOL, checks=["follow_up_pain_monotone"], max_examples=0)
    assert "more pain gave a higher step" in failure.message


def test_the_step_check_fails_when_a_check_in_jumps_two_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = _follow_up._move

    def jumping(
        report: bt.ExerciseReport | None, step: int, steps: int, rules: bt.protocol.FollowUpRules
    ) -> tuple[str, int]:
        name, to = moved(report, step, steps, rules)
        return (name, min(steps - 1, step + 2)) if name == "progress" else (name, to)

    monkeypatch.setattr(_follow_up, "_move", jumping)
    failures = check_properties(PROTOCOL, checks=["follow_up_one_step"], max_examples=0)
    assert [f.check for f in failures] == ["follow_up_one_step"]


def test_the_rescreen_check_fails_when_a_follow_up_ignores_red_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = _follow_up._answers

    def forgetful(previous: bt.Assessment, check_in: bt.CheckIn) -> bt.Assessment:
        calm = attrs.evolve(check_in, red_flags=dict.fromkeys(check_in.red_flags, False))
        return answers(previous, calm)

    monkeypatch.setattr(_follow_up, "_answers", forgetful)
    with pytest.raises(InconsistentProtocolError, match="follow_up_rescreens"):
        assert_follow_up_consistent(PROTOCOL, max_examples=0)


@settings(max_examples=30)
@given(st.data())
def test_generated_check_ins_are_accepted_by_follow_up(data: st.DataObject) -> None:
    check_in = data.draw(bts.check_ins(PLAN))
    follow = bt.follow_up(PLAN, check_in)
    assert set(check_in.exercises) <= {p.exercise.id for p in PLAN.exercises}
    if any(check_in.red_flags.values()):
        assert follow.plan.urgency > bt.Urgency.NONE or follow.plan.fired


@given(bts.check_ins(PLAN, complete=False))
def test_an_incomplete_check_in_gives_no_exercise(check_in: bt.CheckIn) -> None:
    follow = bt.follow_up(PLAN, check_in)
    assert not follow.plan.exercises
    assert follow.plan.missing


@given(bts.exercise_reports())
def test_generated_reports_are_reports(report: bt.ExerciseReport) -> None:
    assert report.done or (report.pain_during is None and report.next_morning is None)
