"""Protocols built in Python: enum fields accept their string values, nothing else."""

from __future__ import annotations

import pytest

from backtriage import ProtocolError, Urgency
from backtriage.protocol.model import (
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Movement,
    Polarity,
    Position,
    Protocol,
    Refer,
    Rule,
)


def test_string_values_become_enum_members() -> None:
    fact = Fact("fever", "red_flag", "risk", question="Fever?", required=True)
    assert fact.kind is FactKind.RED_FLAG
    assert fact.polarity is Polarity.RISK
    exercise = Exercise("e", "E", "fam", "flexion", "supine", 1, True, "d", "i")
    assert exercise.movement is Movement.FLEXION
    assert exercise.position is Position.SUPINE
    assert Refer("same_day").urgency is Urgency.SAME_DAY


def test_a_protocol_built_from_strings_evaluates_like_one_built_from_enums() -> None:
    protocol = Protocol(
        name="py",
        version="1",
        exercises=(Exercise("e", "E", "fam", "flexion", "supine", 1, True, "d", "i"),),
        facts=(Fact("fever", "red_flag", "risk", question="Fever?", required=True),),
        rules=(Rule("fever_today", FactIs("fever"), (Refer("same_day"),), "Fever.", "S31"),),
    )
    assert protocol.check() == ()
    evaluation = protocol.engine.evaluate(["fever"])
    assert evaluation.urgency is Urgency.SAME_DAY
    assert evaluation.given_mask == 0


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (lambda: Refer("urgent"), "Urgency", "urgent"),
        (lambda: Fact("x", "red flag", "risk"), "FactKind", "red flag"),
        (lambda: Fact("x", "finding", 1), "Polarity", "1"),
        (
            lambda: Exercise("e", "E", "f", "twist", "supine", 1, True, "d", "i"),
            "Movement",
            "twist",
        ),
    ],
)
def test_an_unknown_enum_value_is_refused_naming_field_and_value(
    build: object, field: str, value: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field
    assert value in str(caught.value)
