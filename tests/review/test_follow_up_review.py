"""The review sheet shows the steps and the pain limits; the diff reports a changed one."""

from __future__ import annotations

import attrs

import backtriage as bt
from backtriage.review import ChangeKind, diff, review_sheet

PROTOCOL = bt.default_protocol()
LIMITS = PROTOCOL.follow_up
assert LIMITS is not None


def test_the_sheet_shows_every_step_and_the_pain_limits() -> None:
    sheet = review_sheet(PROTOCOL)
    for exercise in PROTOCOL.exercises:
        for step in exercise.steps:
            assert step in sheet
    assert f"green_max = {LIMITS.green_max}" in sheet
    assert f"amber_max = {LIMITS.amber_max}" in sheet
    assert LIMITS.stop in sheet


def test_a_raised_pain_limit_is_less_safe_and_a_lowered_one_more_cautious() -> None:
    raised = attrs.evolve(PROTOCOL, follow_up=attrs.evolve(LIMITS, amber_max=LIMITS.amber_max + 1))
    change = diff(PROTOCOL, raised)
    assert [(c.kind, c.field) for c in change.less_safe] == [
        (ChangeKind.LOOSENED, "follow_up.amber_max")
    ]
    lowered = diff(raised, PROTOCOL)
    assert [(c.kind, c.field) for c in lowered.more_cautious] == [
        (ChangeKind.TIGHTENED, "follow_up.amber_max")
    ]
    assert not lowered.less_safe


def test_a_changed_step_is_reported_with_the_exercise() -> None:
    exercises = list(PROTOCOL.exercises)
    first = exercises[0]
    exercises[0] = attrs.evolve(first, steps=(*first.steps[:-1], "Twice as many, twice a day."))
    change = diff(PROTOCOL, attrs.evolve(PROTOCOL, exercises=tuple(exercises)))
    (text,) = change.text_changes
    assert text.field == f"exercises.{first.id}.steps"
    assert text.new_text is not None
    assert "Twice as many, twice a day." in text.new_text
    assert not change.less_safe
