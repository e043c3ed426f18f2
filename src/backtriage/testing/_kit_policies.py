"""Declared policies: random and seeded plans checked against every policy of the protocol."""

from __future__ import annotations

from collections.abc import Iterator

from backtriage.assessment import Assessment
from backtriage.protocol import Policy
from backtriage.protocol._reasoner import RULE_SAFETY, facts_of, fires
from backtriage.testing import strategies as bts
from backtriage.testing._harness import (
    _failure,
    _Outcome,
    _plan_line,
    _quote,
    _search,
    _Subject,
)
from backtriage.testing._monotone import _refers
from backtriage.testing._report import PropertyFailure
from backtriage.testing._single import _seed_assessments

# -- declared policies ----------------------------------------------------------------------------


def _policy_broken(subject: _Subject, policy: Policy, outcome: _Outcome) -> str | None:
    """Say how ``outcome`` breaks ``policy``, or return ``None`` when it keeps it."""
    facts = frozenset(outcome.facts)
    if not set(policy.when) <= facts:
        return None
    if policy.reaches is not None and outcome.urgency < policy.reaches:
        return (
            f"{_quote(policy.when)} held, yet the urgency is {outcome.urgency.value}, not at "
            f"least {policy.reaches.value}"
        )
    selector = policy.withholds or policy.cautions_or_withholds
    if selector is not None:
        cautioned = {
            exercise_id
            for exercise_id, reasons in outcome.cautions
            if any(r.rule != RULE_SAFETY for r in reasons)
        }
        wrong = [
            exercise_id
            for exercise_id in outcome.given
            if selector.matches(subject.protocol.exercise(exercise_id))
            and (policy.withholds is not None or exercise_id not in cautioned)
        ]
        if wrong:
            how = "withheld" if policy.withholds is not None else "withheld or cautioned"
            return f"{_quote(policy.when)} held, yet {_quote(wrong)} were given, not {how}"
    least = policy.red_flags_withhold_all_from
    if least is not None and outcome.given:
        flags = frozenset(n for n in facts if n in subject.red_flags)
        for rule_id in outcome.fired:
            rule = subject.rules.get(rule_id)
            # The rule must need a red flag to fire here: without them it would not.
            if (
                rule is not None
                and _refers(rule) >= least
                and flags
                and not fires(rule.condition, facts - flags)
            ):
                return (
                    f"rule {rule_id!r} refers {_refers(rule).value} on red flag(s) "
                    f"{_quote(sorted(flags & set(facts_of(rule.condition))))}, yet "
                    f"{_quote(outcome.given)} were given"
                )
    return None


def _seed_policies(subject: _Subject) -> Iterator[Assessment]:
    """The facts of each policy alone, with each exercise's prerequisites, then every rule's."""
    terms: list[frozenset[str]] = []
    for policy in subject.protocol.policies:
        when = frozenset(policy.when)
        terms.append(when)
        terms.extend(when | frozenset(e.prerequisites) for e in subject.protocol.exercises)
    yield from (a for t in dict.fromkeys(terms) if (a := subject.realize(t)) is not None)
    yield from _seed_assessments(subject)


def _policies(subject: _Subject, assessment: Assessment) -> PropertyFailure | None:
    outcome = subject.run(assessment)
    if outcome.error is not None or outcome.missing:
        return None
    for policy in subject.protocol.policies:
        broken = _policy_broken(subject, policy, outcome)
        if broken is not None:
            return _failure(
                "policies_hold",
                subject,
                f"policy {policy.id!r} does not hold",
                assessment=assessment,
                outcome=outcome,
                lines=[
                    f"plan: {_plan_line(outcome)}",
                    f"what went wrong: {broken}",
                    *([f"the policy: {policy.reason}"] if policy.reason else []),
                ],
                rules=outcome.fired,
                exercises=outcome.given,
                facts=policy.when,
            )
    return None


def _required_policies(subject: _Subject) -> PropertyFailure | None:
    """Every fact a policy says is required, left unanswered, is missing and gives nothing."""
    for policy in subject.protocol.policies:
        if not policy.required:
            continue
        for name in policy.when:
            fact = subject.declared.get(name)
            if fact is None:
                continue
            assessment = subject.realize(subject.capabilities, unanswered={name})
            if assessment is None:
                continue
            outcome = subject.run(assessment)
            if outcome.error is None and (name not in outcome.missing or outcome.given):
                return _failure(
                    "policies_hold",
                    subject,
                    f"policy {policy.id!r} does not hold",
                    assessment=assessment,
                    outcome=outcome,
                    lines=[
                        f"plan: {_plan_line(outcome)}",
                        f"what went wrong: {name!r} was left unanswered, yet the plan does "
                        "not name it as missing and withhold every exercise",
                    ],
                    rules=outcome.fired,
                    exercises=outcome.given,
                    facts=(name,),
                )
    return None


def _check_policies(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    if not subject.protocol.policies:
        return None
    failure = _required_policies(subject)
    if failure is not None:
        return failure
    return _search(
        _seed_policies(subject),
        lambda: bts.assessments(subject.protocol, complete=True),
        lambda a: _policies(subject, a),
        max_examples,
    )
