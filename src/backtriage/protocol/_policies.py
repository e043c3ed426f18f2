"""Prove a protocol's declared policies: the clinical intent its rules must meet.

Conditions are monotone, so each claim has an exact answer from a few evaluations, with no
sampling: the least a set of facts reaches is what it reaches with every other answer no;
an exercise is withheld whenever some facts hold iff it is withheld in the case most favourable
to the person (those facts, the capabilities it needs, and what every complete assessment
holds); and the sets of facts under which a red-flag rule refers are the minimal sets of its
condition. A policy that does not hold is reported with such a set: its counter-example.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from backtriage.errors import ProtocolError
from backtriage.protocol._engine import Evaluation, engine_of
from backtriage.protocol._model import (
    DerivedFrom,
    FactKind,
    Policy,
    Selector,
    Urgency,
)
from backtriage.protocol._problem import Problem
from backtriage.protocol._queries import triggers_urgency
from backtriage.protocol._reasoner import RULE_SAFETY, closure

if TYPE_CHECKING:
    from backtriage.protocol._model import Protocol

__all__ = ["policy_problems"]

_WHEN_CLAIMS = ("reaches", "withholds", "cautions_or_withholds", "required")


def _problem(code: str, policy: Policy, message: str, fix: str) -> Problem:
    why = f" (the policy: {policy.reason.strip()})" if policy.reason.strip() else ""
    return Problem(code, f"policy {policy.id!r}", message + why, fix)


def _shown(facts: Sequence[str] | frozenset[str]) -> str:
    return "{" + ", ".join(repr(f) for f in sorted(facts)) + "}"


def policy_problems(protocol: Protocol, always: Sequence[str]) -> Iterator[Problem]:
    """Yield a problem for every declared policy that is malformed or does not hold.

    ``always`` names the facts every assessment that can get exercises holds.
    """
    for policy in protocol.policies:
        malformed = _malformed(protocol, policy)
        if malformed is not None:
            yield _problem(
                "bad-policy",
                policy,
                malformed,
                "state exactly one claim, with the facts of `when` (declared, at most one "
                "preference) for every claim but red_flags_withhold_all_from",
            )
            continue
        vacuous = _vacuous(protocol, policy)
        if vacuous is not None:
            yield vacuous
        if policy.reaches is not None:
            yield from _reaches(protocol, policy, policy.reaches)
        elif policy.withholds is not None:
            yield from _withholds(protocol, policy, policy.withholds, always, cautioned=False)
        elif policy.cautions_or_withholds is not None:
            yield from _withholds(
                protocol, policy, policy.cautions_or_withholds, always, cautioned=True
            )
        elif policy.required:
            yield from _required(protocol, policy)
        elif policy.red_flags_withhold_all_from is not None:
            yield from _red_flags_stop(protocol, policy, policy.red_flags_withhold_all_from)


def _malformed(protocol: Protocol, policy: Policy) -> str | None:
    claims = policy.claims()
    if len(claims) != 1:
        made = ", ".join(claims) or "none"
        return f"a policy makes exactly one claim; this one makes {len(claims)} ({made})"
    facts = engine_of(protocol).fact_by_name
    if claims[0] in _WHEN_CLAIMS and not policy.when:
        return f"{claims[0]} needs the facts it is about in `when`"
    if claims[0] not in _WHEN_CLAIMS and policy.when:
        return f"{claims[0]} is about every red flag, so `when` must stay empty"
    unknown = [name for name in policy.when if name not in facts]
    if unknown:
        return f"`when` names {_shown(unknown)}, which the protocol does not declare"
    preferences = {
        fact.derive.equals
        for name in policy.when
        if (fact := facts[name]).derive is not None and fact.derive.source is DerivedFrom.PREFERENCE
    }
    if len(preferences) > 1:
        return "`when` names two preferences, which no assessment has at once"
    return None


def _vacuous(protocol: Protocol, policy: Policy) -> Problem | None:
    """Return the problem of a well-formed policy whose claim proves nothing, if it has one.

    A claim that holds of nothing is not a proof: a misspelt exercise id keeps "nothing prone
    for whoever cannot lie prone" true while the exercise it meant is given.
    """
    selector = policy.withholds or policy.cautions_or_withholds
    if selector is not None:
        unknown = _unknown_names(protocol, selector)
        if unknown:
            return _problem(
                "policy-unknown-selector",
                policy,
                f"the selector names {'; '.join(unknown)}, which no exercise of the "
                "protocol has, so the policy proves nothing about the exercise it meant",
                "name exercise ids, families and levels of this protocol (or select by "
                "movement or position, so new exercises are covered)",
            )
        if not any(selector.matches(e) for e in protocol.exercises):
            return _problem(
                "policy-vacuous",
                policy,
                "the selector matches no exercise, so the policy proves nothing",
                "select the exercises the policy is about, or remove the policy",
            )
    if policy.reaches is Urgency.NONE:
        return _problem(
            "policy-vacuous",
            policy,
            "reaches = 'none' holds whatever the rules do, so the policy proves nothing",
            "state the urgency the facts of `when` must reach (routine or above)",
        )
    return None


def _unknown_names(protocol: Protocol, selector: Selector) -> list[str]:
    """Return, in words, what ``selector`` names that no exercise of ``protocol`` has."""
    exercises = protocol.exercises
    found: list[tuple[str, list[str] | list[int]]] = [
        ("exercise", [i for i in selector.ids if all(e.id != i for e in exercises)]),
        ("family", [f for f in selector.families if all(e.family != f for e in exercises)]),
        ("level", [n for n in selector.levels if all(e.level != n for e in exercises)]),
    ]
    return [f"{what} {', '.join(repr(n) for n in names)}" for what, names in found if names]


def _reaches(protocol: Protocol, policy: Policy, least: Urgency) -> Iterator[Problem]:
    # Alone: every other answer no, and no other input given yet, so nothing else helps.
    facts = closure(protocol, policy.when)
    urgency = engine_of(protocol).evaluate(facts).urgency
    if urgency < least:
        yield _problem(
            "policy-urgency",
            policy,
            f"with just {_shown(policy.when)} (every other answer no) the urgency is "
            f"{urgency.value!r}, not at least {least.value!r}; counter-example: "
            f"{_shown(facts)}",
            f"add or restore a rule on these facts that refers {least.value!r}, or change the "
            "policy if the clinical intent changed",
        )


def _withholds(
    protocol: Protocol,
    policy: Policy,
    selector: Selector,
    always: Sequence[str],
    *,
    cautioned: bool,
) -> Iterator[Problem]:
    engine = engine_of(protocol)
    wanted = "withheld or cautioned" if cautioned else "withheld"
    # Exercises that need the same capabilities share one evaluation (most need none).
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, exercise in enumerate(protocol.exercises):
        if selector.matches(exercise):
            needs = tuple(p for p in exercise.prerequisites if p in engine.fact_by_name)
            groups.setdefault(needs, []).append(index)
    found: list[tuple[int, list[str]]] = []
    for needs, indices in groups.items():
        # Most favourable to the person: just these facts, the capabilities the exercise
        # needs, and what every complete assessment holds. More risk only withholds more.
        needed = [*policy.when, *needs]
        evaluation = engine.evaluate(closure(protocol, [*always, *needed]))
        given = [i for i in indices if evaluation.given_mask >> i & 1]
        if given and cautioned:
            bare = _uncautioned(evaluation, {protocol.exercises[i].id for i in given})
            given = [i for i in given if protocol.exercises[i].id in bare]
        found.extend((i, needed) for i in given)
    if found:
        found.sort(key=lambda f: f[0])
        ids = ", ".join(repr(protocol.exercises[i].id) for i, _ in found)
        smallest = min((needed for _, needed in found), key=len)
        message = (
            f"{ids} match the selector but are given, not {wanted}, while "
            f"{_shown(policy.when)} hold; counter-example: {_shown(smallest)}"
        )
        fix = (
            f"make the rule on {_shown(policy.when)} select them (by movement, family or "
            "position rather than by id, so new exercises are covered), or change the policy "
            "if the clinical intent changed"
        )
        if cautioned:
            yield _problem("policy-caution", policy, message, fix)
        else:
            yield _problem("policy-withholds", policy, message, fix)


def _uncautioned(evaluation: Evaluation, ids: set[str]) -> set[str]:
    """Return the exercises of ``ids`` that are given with no caution from a rule."""
    return {
        p.exercise.id
        for p in evaluation.prescriptions()
        if p.exercise.id in ids and not any(c.rule != RULE_SAFETY for c in p.cautions)
    }


def _required(protocol: Protocol, policy: Policy) -> Iterator[Problem]:
    for name in policy.when:
        fact = engine_of(protocol).fact_by_name[name]
        if not fact.required:
            yield _problem(
                "policy-required",
                policy,
                f"fact {name!r} is not required: an assessment that leaves it unanswered reads "
                f"it as no; counter-example: {_shown([])} with {name!r} unanswered",
                f"set required = true on {name!r} (and give it a question)",
            )


def _red_flags_stop(protocol: Protocol, policy: Policy, least: Urgency) -> Iterator[Problem]:

    engine = engine_of(protocol)
    facts = engine.fact_by_name
    capabilities = [name for name, f in facts.items() if f.kind is FactKind.CAPABILITY]
    try:
        triggers = triggers_urgency(protocol, least)
    except ProtocolError as exc:
        yield _problem(
            "bad-policy",
            policy,
            f"the sets of facts that reach {least.value!r} are too many to prove it on ({exc})",
            "split wide at_least rules into smaller ones",
        )
        return
    failing = []
    flagged = False
    for trigger in triggers:
        flags = sorted(n for n in trigger.present if facts[n].kind is FactKind.RED_FLAG)
        if not flags:
            continue
        flagged = True
        # Most favourable to the person: every capability, nothing else.
        evaluation = engine.evaluate([*trigger.present, *capabilities])
        if evaluation.given_mask:
            failing.append((trigger, evaluation))
    if not flagged:
        yield _problem(
            "policy-vacuous",
            policy,
            f"no red flag refers {least.value!r} or more urgently, so the policy proves nothing",
            "name an urgency that a rule on a red flag refers, or remove the policy",
        )
    if failing:
        trigger, evaluation = failing[0]
        given = ", ".join(repr(p.exercise.id) for p in evaluation.prescriptions())
        rules = ", ".join(repr(r) for r in trigger.rules)
        more = f" (and {len(failing) - 1} more such sets)" if len(failing) > 1 else ""
        yield _problem(
            "policy-red-flags-stop-exercise",
            policy,
            f"a red flag reaches {evaluation.urgency.value!r} through {rules}, yet {given} "
            f"is still given; counter-example: {_shown(trigger.present)}{more}",
            "add { exclude = { all = true } } to the rule that refers, or refer same_day or "
            "more urgently (which withholds every exercise)",
        )
