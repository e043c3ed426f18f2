"""Read outcomes from plans, independently of the query code: the oracle of the review tests."""

from __future__ import annotations

from collections.abc import Iterator

import backtriage as bt
from backtriage.protocol import Caution, Exercise, FactKind, Protocol

WITHHELD = "withheld"
CAUTIONED = "cautioned"
URGENCY = "urgency"


def held(assessment: bt.Assessment) -> set[str]:
    """Return the findings and capabilities an assessment says hold."""
    return {name for name, answer in assessment.findings.items() if answer is True}


def capabilities(protocol: Protocol) -> frozenset[str]:
    return frozenset(f.name for f in protocol.facts if f.kind is FactKind.CAPABILITY)


def exercise(protocol: Protocol, exercise_id: str) -> Exercise:
    return next(e for e in protocol.exercises if e.id == exercise_id)


def cautioned_by(protocol: Protocol, plan: bt.Plan, exercise_id: str) -> set[str]:
    """Return the fired rules that caution ``exercise_id``, given or not."""
    target = exercise(protocol, exercise_id)
    rules = {r.id: r for r in protocol.rules}
    return {
        fired.rule
        for fired in plan.fired
        if any(
            isinstance(a, Caution) and a.select.matches(target) for a in rules[fired.rule].actions
        )
    }


def holds(protocol: Protocol, plan: bt.Plan, kind: str, key: object) -> bool:
    """Tell whether ``plan`` shows the outcome ``kind`` (withheld, cautioned, urgency) of ``key``."""
    if kind == WITHHELD:
        return key in {w.exercise.id for w in plan.withheld}
    if kind == CAUTIONED:
        assert isinstance(key, str)
        return bool(cautioned_by(protocol, plan, key))
    assert isinstance(key, bt.Urgency)
    return plan.urgency >= key


def outcomes(protocol: Protocol) -> Iterator[tuple[str, object]]:
    """Yield every query of ``protocol``: each exercise withheld and cautioned, each urgency."""
    for exercise_id in dict.fromkeys(e.id for e in protocol.exercises):
        yield WITHHELD, exercise_id
        yield CAUTIONED, exercise_id
    for level in bt.Urgency:
        yield URGENCY, level
