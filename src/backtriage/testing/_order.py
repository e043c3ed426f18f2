"""Determinism: the same answers give the same plan, whatever their order or the protocol's."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

import attrs
from hypothesis import strategies as st

from backtriage.assessment import Assessment
from backtriage.instruments._registry import SCORED
from backtriage.protocol import (
    Protocol,
)
from backtriage.protocol._reasoner import facts_of
from backtriage.testing import strategies as bts
from backtriage.testing._harness import _failure, _plan_line, _quote, _search, _Subject
from backtriage.testing._report import PropertyFailure
from backtriage.testing._single import _seed_assessments, _seed_unanswered

# -- determinism and order independence -----------------------------------------------------------


@attrs.frozen
class _Ordering:
    """An assessment and an order to list the protocol's facts, rules and exercises in."""

    assessment: Assessment = attrs.field(eq=False)
    facts: tuple[int, ...]
    rules: tuple[int, ...]
    exercises: tuple[int, ...]


def _relisted(assessment: Assessment) -> Assessment:
    """Return the same answers listed in another order and form."""
    return attrs.evolve(
        assessment,
        red_flags=dict(reversed(list(assessment.red_flags.items()))),
        findings=dict(reversed(list(assessment.findings.items()))),
        **{s.key: s.relisted(getattr(assessment, s.key)) for s in SCORED},
    )


def _reordered(protocol: Protocol, ordering: _Ordering) -> Protocol:
    return attrs.evolve(
        protocol,
        facts=tuple(protocol.facts[i] for i in ordering.facts),
        rules=tuple(protocol.rules[i] for i in ordering.rules),
        exercises=tuple(protocol.exercises[i] for i in ordering.exercises),
    )


def _deterministic(
    subject: _Subject, ordering: _Ordering, reorder: Callable[[_Ordering], Protocol]
) -> PropertyFailure | None:
    assessment = ordering.assessment
    first = subject.run(assessment)
    lines: list[str] = []
    rules: list[str] = []
    why: list[str] = []
    again = subject.run(assessment)
    if again != first:
        lines.append(f"the same assessment twice gave: {_plan_line(first)} / {_plan_line(again)}")
        rules.extend(sorted(set(first.fired) ^ set(again.fired)))
    relisted = subject.run(_relisted(assessment))
    if relisted != first:
        lines.append(
            "the same answers listed in another order gave a different plan: "
            f"{_plan_line(first)} / {_plan_line(relisted)}"
        )
        rules.extend(sorted(set(first.fired) ^ set(relisted.fired)))
    moved = subject.run(assessment, reorder(ordering))
    if moved.decisions() != first.decisions():
        lines.append(
            "the same protocol with its facts, rules and exercises listed in another order "
            f"decided differently: {_plan_line(first)} / {_plan_line(moved)}"
        )
        rules.extend(sorted(set(first.fired) ^ set(moved.fired)))
        reasons = {(i, r.rule) for i, rs in first.withheld for r in rs}
        reasons ^= {(i, r.rule) for i, rs in moved.withheld for r in rs}
        rules.extend(rule for _, rule in sorted(reasons))
        why.extend(_duplicates(subject, rules))
    if not lines:
        return None
    return _failure(
        "deterministic",
        subject,
        "the same assessment did not always give the same plan",
        assessment=assessment,
        outcome=first,
        lines=[*(f"what went wrong: {line}" for line in lines), *why],
        rules=rules,
    )


def _duplicates(subject: _Subject, rules: list[str]) -> list[str]:
    """Explain order dependence by duplicate declarations; add the rules that use them."""
    protocol = subject.protocol
    why = []
    names = Counter(f.name for f in protocol.facts)
    for name, count in names.items():
        if count > 1:
            kinds = ", ".join(f.kind.value for f in protocol.facts if f.name == name)
            users = [r.id for r in protocol.rules if name in set(facts_of(r.condition))]
            rules.extend(users)
            why.append(
                f"why: fact {name!r} is declared {count} times ({kinds}) and the first "
                f"declaration wins, so the order of the facts decides what rules "
                f"{_quote(users)} see; declare it once"
            )
    ids = Counter(e.id for e in protocol.exercises)
    for exercise_id, count in ids.items():
        if count > 1:
            why.append(f"why: exercise {exercise_id!r} is declared {count} times; declare it once")
    rule_ids = Counter(r.id for r in protocol.rules)
    for rule_id, count in rule_ids.items():
        if count > 1:
            rules.append(rule_id)
            why.append(f"why: rule id {rule_id!r} is used {count} times; give each rule its own id")
    return why


def _orderings(subject: _Subject) -> st.SearchStrategy[_Ordering]:
    protocol = subject.protocol
    return st.builds(
        _Ordering,
        bts.assessments(protocol, complete=None),
        st.permutations(range(len(protocol.facts))).map(tuple),
        st.permutations(range(len(protocol.rules))).map(tuple),
        st.permutations(range(len(protocol.exercises))).map(tuple),
    )


def _check_deterministic(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    protocol = subject.protocol
    # Two exercises or rules with one id: a plan names them by id, so which one it means
    # depends on declaration order, and no reordering of the plan can show it.
    twice = [
        (kind, ident)
        for kind, ids in (
            ("exercise", [e.id for e in protocol.exercises]),
            ("rule", [r.id for r in protocol.rules]),
        )
        for ident, count in Counter(ids).items()
        if count > 1
    ]
    if twice:
        return _failure(
            "deterministic",
            subject,
            "a plan cannot say which of two declarations with one id it means",
            assessment=None,
            outcome=None,
            lines=[
                f"what went wrong: {kind} id {ident!r} is declared more than once; "
                "give each its own id"
                for kind, ident in twice
            ],
            rules=[ident for kind, ident in twice if kind == "rule"],
            exercises=[ident for kind, ident in twice if kind == "exercise"],
        )
    reverse = tuple(
        tuple(reversed(range(len(items))))
        for items in (protocol.facts, protocol.rules, protocol.exercises)
    )
    # Reordering builds and compiles a protocol; keep the ones that seeds and shrinking reuse.
    built: dict[tuple[tuple[int, ...], ...], Protocol] = {}

    def reorder(ordering: _Ordering) -> Protocol:
        key = (ordering.facts, ordering.rules, ordering.exercises)
        if key not in built:
            built[key] = _reordered(protocol, ordering)
        return built[key]

    seeds = (
        _Ordering(a, *reverse)
        for a in itertools.chain(_seed_assessments(subject), _seed_unanswered(subject))
    )
    return _search(
        seeds,
        lambda: _orderings(subject),
        lambda o: _deterministic(subject, o, reorder),
        max_examples,
    )
