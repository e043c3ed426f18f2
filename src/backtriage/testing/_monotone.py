"""Monotonicity: more risk never gives more, more capability never takes away."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs
from hypothesis import assume
from hypothesis import strategies as st

from backtriage.assessment import Assessment, Preference
from backtriage.protocol import (
    FactKind,
    Refer,
    Rule,
    Urgency,
)
from backtriage.protocol._engine import Reason
from backtriage.protocol._reasoner import RULE_URGENCY, facts_of
from backtriage.testing import strategies as bts
from backtriage.testing._harness import (
    _failure,
    _Outcome,
    _plan_line,
    _quote,
    _search,
    _Subject,
)
from backtriage.testing._report import PropertyFailure

# -- monotonicity ---------------------------------------------------------------------------------


@attrs.frozen
class _Step:
    """An assessment and the same assessment with one thing more: ``change`` says what."""

    before: Assessment = attrs.field(eq=False)
    after: Assessment = attrs.field(eq=False)
    change: str
    more_risk: bool = False
    """The change is a risk in itself (a red flag yes, a worse score, an older age ...)."""


def _seed_steps(subject: _Subject) -> Iterator[_Step]:
    """One fact added to the plainest assessment, to each rule's trigger and to prerequisites."""
    pairs: list[tuple[frozenset[str], str]] = []
    empty = frozenset[str]()
    pairs.extend((empty, name) for name in subject.settable)
    for rule in subject.protocol.rules:
        for term in subject.rule_sets(rule):
            pairs.extend((term - {name}, name) for name in sorted(term))
    for exercise in subject.protocol.exercises:
        needs = frozenset(exercise.prerequisites)
        pairs.extend((needs - {name}, name) for name in exercise.prerequisites)
    capabilities = subject.capabilities
    pairs.extend(
        (capabilities - {name}, name) for name in subject.settable if name not in capabilities
    )
    pairs.extend((capabilities - {name}, name) for name in sorted(capabilities))
    for base, name in sorted(dict.fromkeys(pairs), key=lambda p: len(p[0])):
        before = subject.realize(base)
        after = subject.realize(base | {name})
        if before is not None and after is not None:
            change = f"adding {subject.describe_fact(name)}"
            yield _Step(before, after, change, more_risk=subject.is_risk(name))


@st.composite
def _random_step(draw: st.DrawFn, subject: _Subject) -> _Step:
    before = draw(bts.assessments(subject.protocol, complete=True))
    options: list[tuple[str, str]] = []
    options.extend(("red_flag", k) for k, v in before.red_flags.items() if v is False)
    options.extend(
        ("finding", n)
        for n in subject.settable
        if subject.declared[n].kind in (FactKind.FINDING, FactKind.CAPABILITY)
        and before.findings.get(n) is not True
    )
    # A worse score of each questionnaire, as its strategies draw one.
    worse: dict[str, st.SearchStrategy[tuple[Mapping[str, object], str]]] = {}
    for instrument, strategies in bts._scored_strategies():
        required = getattr(subject.protocol, instrument.requirement)
        step = strategies.more_risk(before, required=required)
        if step is not None:
            worse[instrument.key] = step
            options.append(("scored", instrument.key))
    # An older age never gives exercises back within the scope; crossing its minimum age
    # into it may (below it no exercise is given, whatever the answers).
    youngest = subject.protocol.scope.min_age
    if before.age is None or (before.age < 130 and (youngest is None or before.age >= youngest)):
        options.append(("age", ""))
    if before.preference is None:
        options.append(("preference", ""))
    assume(options)
    kind, name = draw(st.sampled_from(options))
    after: Assessment
    if kind == "red_flag":
        after = attrs.evolve(before, red_flags={**before.red_flags, name: True})
        change = f"answering red flag {name!r} yes"
    elif kind == "finding":
        after = attrs.evolve(before, findings={**before.findings, name: True})
        change = f"adding {subject.describe_fact(name)}"
    elif kind == "scored":
        fields, change = draw(worse[name])
        after = attrs.evolve(before, **fields)
    elif kind == "age":
        age = draw(st.integers((before.age or 0) + (before.age is not None), 130))
        after = attrs.evolve(before, age=age)
        change = f"setting the age to {age}"
    else:
        preference = draw(st.sampled_from(list(Preference)))
        after = attrs.evolve(before, preference=preference)
        change = f"setting the preference to {preference.value}"
    more_risk = kind != "finding" or subject.is_risk(name)
    return _Step(before, after, change, more_risk=more_risk)


def _monotone(subject: _Subject, step: _Step, *, risk: bool) -> PropertyFailure | None:
    scope = subject.protocol.scope
    before_age, after_age = step.before.age, step.after.age
    if (
        before_age is not None
        and after_age is not None
        and scope.band(before_age) is not None
        and scope.band(after_age) is None
    ):
        return None  # into the scope from below it: no longer outside the rule language
    before, after = subject.run(step.before), subject.run(step.after)
    if before.error is not None or after.error is not None or before.missing != after.missing:
        return None
    added = [f for f in after.facts if f not in before.facts]
    relevant = [f for f in added if (subject.is_risk(f) if risk else subject.is_capability(f))]
    if not relevant and not (risk and step.more_risk):
        return None
    check = "risk_monotone" if risk else "capability_monotone"
    kind = "risk" if risk else "capability"
    change = f"change: {step.change}; new {kind} fact(s): {_quote(relevant)}"
    worse = after if risk else before
    better = before if risk else after
    gained = [e for e in worse.given if e not in better.given]
    urgency_wrong = after.urgency < before.urgency if risk else after.urgency > before.urgency
    if not gained and not urgency_wrong:
        return None
    lines = [change, f"before: {_plan_line(before)}", f"after:  {_plan_line(after)}"]
    rules: list[str] = []
    if gained and risk:
        for exercise_id in gained:
            reasons = before.reasons(exercise_id)
            rules.extend(r.rule for r in reasons)
            lines.append(
                f"what went wrong: more risk gave exercise {exercise_id!r}, which was withheld "
                f"before by {_quote(r.rule for r in reasons)}"
            )
            exercise = subject.protocol.exercise(exercise_id)
            used = [p for p in exercise.prerequisites if p in relevant]
            if used:
                lines.append(
                    f"why: exercise {exercise_id!r} lists {_quote(used)} as a prerequisite, and "
                    "a prerequisite unlocks the exercise when it holds; only capability facts "
                    "may be prerequisites (use a rule that excludes on a risk fact instead)"
                )
    elif gained:
        for exercise_id in gained:
            new = [r for r in after.reasons(exercise_id) if r not in before.reasons(exercise_id)]
            rules.extend(_blamed(subject, new, before, after))
            lines.append(
                f"what went wrong: more capability took exercise {exercise_id!r} away: it is "
                f"now withheld by {_quote(r.rule for r in new)}"
            )
    if urgency_wrong:
        newly = [r for r in after.fired if r not in before.fired]
        gone = [r for r in before.fired if r not in after.fired]
        blamed = newly if not risk else gone
        rules.extend(blamed)
        lines.append(
            f"what went wrong: the urgency went from {before.urgency.value} to "
            f"{after.urgency.value} (rules {_quote(blamed)})"
        )
    for rule_id in dict.fromkeys(rules):
        rule = subject.rules.get(rule_id)
        if rule is not None:
            named = [f for f in dict.fromkeys(facts_of(rule.condition)) if f in relevant]
            if named:
                lines.append(
                    f"why: rule {rule_id!r} takes exercises away or refers, and its condition "
                    f"names {kind} fact(s) {_quote(named)}"
                    + ("; a capability may only appear in caution rules" if not risk else "")
                )
    headline = (
        "more risk gave more exercises or a lower urgency"
        if risk
        else "more capability took exercises away or raised the urgency"
    )
    return _failure(
        check,
        subject,
        headline,
        assessment=step.before,
        outcome=before,
        lines=lines,
        rules=rules,
        exercises=gained,
        facts=relevant,
    )


def _blamed(
    subject: _Subject, new: Iterable[Reason], before: _Outcome, after: _Outcome
) -> list[str]:
    """The rule ids behind new reasons; for the engine's urgency block, the rules that refer."""
    blamed: list[str] = []
    for reason in new:
        if reason.rule == RULE_URGENCY:
            blamed.extend(
                r
                for r in after.fired
                if r not in before.fired and _refers(subject.rules.get(r)) >= Urgency.SAME_DAY
            )
        blamed.append(reason.rule)
    return blamed


def _refers(rule: Rule | None) -> Urgency:
    if rule is None:
        return Urgency.NONE
    return max((a.urgency for a in rule.actions if isinstance(a, Refer)), default=Urgency.NONE)


def _check_risk_monotone(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    return _search(
        _seed_steps(subject),
        lambda: _random_step(subject),
        lambda step: _monotone(subject, step, risk=True),
        max_examples,
    )


def _check_capability_monotone(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    return _search(
        _seed_steps(subject),
        lambda: _random_step(subject),
        lambda step: _monotone(subject, step, risk=False),
        max_examples,
    )
