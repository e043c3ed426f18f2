"""TEMPORARY stand-in for the queries of branch wip-review; deleted before the final commit.

Rough on purpose (no minimisation across rules): only the sheet is developed against it.
"""

from __future__ import annotations

import itertools

import attrs

from backtriage.protocol.model import (
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Exclude,
    FactIs,
    Protocol,
    Refer,
    Urgency,
)


@attrs.frozen
class Trigger:
    present: frozenset[str]
    absent: frozenset[str]
    rules: tuple[str, ...]


@attrs.frozen
class Change:
    kind: str
    subject: str
    description: str


@attrs.frozen
class ProtocolDiff:
    less_safe: tuple[Change, ...]
    more_cautious: tuple[Change, ...]
    text_changes: tuple[Change, ...]

    @property
    def is_less_safe(self) -> bool:
        return bool(self.less_safe)


def _dnf(condition: Condition) -> list[frozenset[str]]:
    if isinstance(condition, FactIs):
        return [frozenset({condition.fact})]
    parts = [_dnf(c) for c in condition.conditions]
    if isinstance(condition, AnyOf):
        return [s for p in parts for s in p]
    if isinstance(condition, AllOf):
        return [frozenset().union(*combo) for combo in itertools.product(*parts)]
    assert isinstance(condition, AtLeast)
    out: list[frozenset[str]] = []
    for chosen in itertools.combinations(parts, condition.n):
        out.extend(frozenset().union(*combo) for combo in itertools.product(*chosen))
    return out


def _triggers(pairs: list[tuple[frozenset[str], str]]) -> tuple[Trigger, ...]:
    merged: dict[frozenset[str], list[str]] = {}
    for present, rule in pairs:
        merged.setdefault(present, []).append(rule)
    return tuple(
        Trigger(present, frozenset(), tuple(dict.fromkeys(rules)))
        for present, rules in sorted(merged.items(), key=lambda i: (len(i[0]), sorted(i[0])))
    )


def when_urgency(protocol: Protocol, level: Urgency) -> tuple[Trigger, ...]:
    pairs: list[tuple[frozenset[str], str]] = []
    for rule in protocol.rules:
        if any(isinstance(a, Refer) and a.urgency >= level for a in rule.actions):
            pairs.extend((s, rule.id) for s in _dnf(rule.condition))
    return _triggers(pairs)


def when_withheld(protocol: Protocol, exercise_id: str) -> tuple[Trigger, ...]:
    exercise = protocol.exercise(exercise_id)
    pairs: list[tuple[frozenset[str], str]] = []
    for rule in protocol.rules:
        if any(isinstance(a, Exclude) and a.select.matches(exercise) for a in rule.actions):
            pairs.extend((s, rule.id) for s in _dnf(rule.condition))
    pairs.extend((t.present, "engine.urgency") for t in when_urgency(protocol, Urgency.SAME_DAY))
    found = _triggers(pairs)
    needs = tuple(
        Trigger(frozenset(), frozenset({p}), ("engine.prerequisite",))
        for p in exercise.prerequisites
    )
    return needs + found


def when_cautioned(protocol: Protocol, exercise_id: str) -> tuple[Trigger, ...]:
    exercise = protocol.exercise(exercise_id)
    pairs: list[tuple[frozenset[str], str]] = []
    for rule in protocol.rules:
        if any(isinstance(a, Caution) and a.select.matches(exercise) for a in rule.actions):
            pairs.extend((s, rule.id) for s in _dnf(rule.condition))
    return _triggers(pairs)


def diff(old: Protocol, new: Protocol) -> ProtocolDiff:
    less = tuple(
        Change("rule_removed", r.id, f"rule {r.id} removed")
        for r in old.rules
        if r.id not in {n.id for n in new.rules}
    )
    more = tuple(
        Change("rule_added", r.id, f"rule {r.id} added")
        for r in new.rules
        if r.id not in {o.id for o in old.rules}
    )
    return ProtocolDiff(less, more, ())
