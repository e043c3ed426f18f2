"""The engine moves a prescription to any step of its exercise, whatever it moved before."""

from __future__ import annotations

import backtriage as bt
from answers_support import NO_FLAGS, REQUIRED
from backtriage.protocol._engine import engine_of


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
