"""Reachability: every rule can fire and every exercise can be given."""

from __future__ import annotations

import functools

from backtriage.assessment import Assessment
from backtriage.errors import ProtocolError
from backtriage.protocol import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    FactIs,
    Rule,
    Urgency,
)
from backtriage.protocol._reasoner import ENGINE_RULES, RULE_URGENCY, facts_of, minimal_sets
from backtriage.testing import strategies as bts
from backtriage.testing._harness import (
    _failure,
    _quote,
    _search,
    _Subject,
)
from backtriage.testing._monotone import _refers
from backtriage.testing._report import PropertyFailure
from backtriage.testing._single import _seed_assessments

# -- reachability ---------------------------------------------------------------------------------


def _why_never(subject: _Subject, rule: Rule) -> list[str]:
    why: list[str] = []
    for name in dict.fromkeys(facts_of(rule.condition)):
        fact = subject.declared.get(name)
        if fact is None:
            why.append(f"{name!r} is not a declared fact, so it never holds")
        elif name not in subject.settable:
            why.append(
                f"{name!r} is a {fact.kind.value} fact that no assessment can set "
                "(check its derivation)"
            )
    why.extend(_impossible(rule.condition))
    if not why and _no_way_in(subject, rule):
        # Every fact can be set and the lists can be met: only the one directional preference
        # an assessment has stands in the way (the reasoner leaves out sets that need two).
        why.append("it needs two different directional preferences at once")
    return why or ["no assessment tried made its condition true"]


def _no_way_in(subject: _Subject, rule: Rule) -> bool:
    try:
        return not minimal_sets(subject.protocol, rule.condition)
    except ProtocolError:
        return False  # too many ways in to list: none of them is known to be impossible


def _impossible(condition: Condition) -> list[str]:
    if isinstance(condition, FactIs):
        return []
    children = condition.conditions
    why = [w for c in children for w in _impossible(c)]
    word = {AllOf: "all", AnyOf: "any", AtLeast: "at_least"}[type(condition)]
    if not children:
        why.append(f"an empty {word!r} list is never true")
    if isinstance(condition, AtLeast) and condition.n > len(children):
        why.append(f"at_least {condition.n} of {len(children)} conditions can never be met")
    return why


def _check_reachable(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    protocol = subject.protocol
    seeds = list(_seed_assessments(subject))
    outcomes = [(a, subject.run(a)) for a in seeds]
    fired = {r for _, o in outcomes for r in o.fired}
    given = {e for _, o in outcomes for e in o.given}
    lines: list[str] = []
    rules: list[str] = []
    exercises: list[str] = []
    facts: list[str] = []
    for rule in protocol.rules:
        if rule.id in fired or rule.id in rules:
            continue
        found = _search(
            (),
            lambda: bts.assessments(protocol, complete=None),
            functools.partial(_fires, subject, rule_id=rule.id),
            max_examples,
        )
        if found is not None:
            continue
        rules.append(rule.id)
        facts.extend(n for n in facts_of(rule.condition) if n not in subject.settable)
        lines.append(
            f"what went wrong: rule {rule.id!r} never fires: "
            + "; ".join(_why_never(subject, rule))
        )
    best = subject.realize(subject.capabilities)
    best_outcome = subject.run(best) if best is not None else None
    for exercise in protocol.exercises:
        if exercise.id in given or exercise.id in exercises:
            continue
        found = _search(
            (),
            lambda: bts.assessments(protocol, complete=True),
            functools.partial(_gives, subject, exercise_id=exercise.id),
            max_examples,
        )
        if found is not None:
            continue
        exercises.append(exercise.id)
        reasons = best_outcome.reasons(exercise.id) if best_outcome is not None else ()
        rules.extend(r.rule for r in reasons)
        if best_outcome is not None and any(r.rule == RULE_URGENCY for r in reasons):
            # The engine's urgency block stands for the rules that referred that high.
            rules.extend(
                rule.id
                for rule in protocol.rules
                if rule.id in best_outcome.fired and _refers(rule) >= Urgency.SAME_DAY
            )
        lines.append(
            f"what went wrong: exercise {exercise.id!r} is never given; with no risk at all and "
            f"every capability it is withheld by {_quote(r.rule for r in reasons)}"
            + "".join(f" ({r.text})" for r in reasons if r.rule in ENGINE_RULES)
        )
    if not lines:
        return None
    headline = "some rules never fire or some exercises are never given"
    return _failure(
        "rules_reachable",
        subject,
        headline,
        assessment=None,
        outcome=None,
        lines=[
            *lines,
            f"searched: {len(seeds)} assessments built from the rules, and "
            f"{max_examples} random ones for each",
        ],
        rules=rules,
        exercises=exercises,
        facts=facts,
    )


def _fires(subject: _Subject, assessment: Assessment, rule_id: str) -> PropertyFailure | None:
    # Inverted: the search looks for a "failure", here an assessment that fires the rule.
    if rule_id in subject.run(assessment).fired:
        return PropertyFailure("found", "", assessment=assessment)
    return None


def _gives(subject: _Subject, assessment: Assessment, exercise_id: str) -> PropertyFailure | None:
    if exercise_id in subject.run(assessment).given:
        return PropertyFailure("found", "", assessment=assessment)
    return None
