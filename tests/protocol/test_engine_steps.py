"""The engine moves a prescription to any step of its exercise, whatever it moved before."""

from __future__ import annotations

import backtriage as bt
from backtriage.protocol._engine import engine_of

QUESTIONS = bt.questions()
NO_FLAGS = {q.key: False for q in QUESTIONS if q.kind is bt.QuestionKind.RED_FLAG}
REQUIRED = {
    q.key: False
    for q in QUESTIONS
    if q.required and q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
}


def test_one_exercise_moved_to_each_of_its_steps_in_turn_is_at_that_step() -> None:
    protocol = bt.default_protocol()
    engine = engine_of(protocol)
    plan = bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=REQUIRED, age=40),
        protocol=protocol,
    )
    for prescription in plan.exercises:
        # The same exercise, one step after another and back: never a step moved before.
        for step in [*range(prescription.steps), 0]:
            moved = engine.at_step(prescription, step)
            assert (moved.exercise, moved.step) == (prescription.exercise, step)
            assert moved.cautions == prescription.cautions
