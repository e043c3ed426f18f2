"""Properties of one plan: urgency stops exercise, unanswered is never no, every withholding explained."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

import attrs
from hypothesis import strategies as st

from backtriage.assessment import Assessment
from backtriage.instruments._registry import SCORED
from backtriage.protocol import (
    Caution,
    Exclude,
    Exercise,
    Urgency,
)
from backtriage.protocol._engine import (
    Reason,
    engine_of,
)
from backtriage.protocol._inputs import AGE_INPUT, required_inputs
from backtriage.protocol._reasoner import (
    ENGINE_RULES,
    RULE_MISSING_INPUT,
    RULE_PREREQUISITE,
    RULE_SAFETY,
    RULE_SCOPE,
    RULE_URGENCY,
)
from backtriage.testing import strategies as bts
from backtriage.testing._harness import (
    _failure,
    _Outcome,
    _plan_line,
    _quote,
    _search,
    _Subject,
)
from backtriage.testing._monotone import _blamed, _refers, _Step
from backtriage.testing._report import PropertyFailure

# -- single-plan properties -----------------------------------------------------------------------


def _seed_assessments(subject: _Subject) -> Iterator[Assessment]:
    """The plainest assessment, then each rule's trigger, then the best case, all answered."""
    terms: list[frozenset[str]] = [frozenset()]
    for rule in subject.protocol.rules:
        terms.extend(subject.rule_sets(rule))
    terms.append(subject.capabilities)
    # Each exercise's prerequisites, so that an exercise needing a derived fact is tried too.
    terms.extend(frozenset(e.prerequisites) for e in subject.protocol.exercises)
    terms.extend(t | subject.capabilities for t in list(terms))
    for term in dict.fromkeys(terms):
        assessment = subject.realize(term)
        if assessment is not None:
            yield assessment


def _seed_unanswered(subject: _Subject) -> Iterator[Assessment]:
    for question in subject.required:
        for base in (subject.capabilities, frozenset()):
            assessment = subject.realize(base, unanswered={question})
            if assessment is not None:
                yield assessment


def _urgent(subject: _Subject, assessment: Assessment) -> PropertyFailure | None:
    outcome = subject.run(assessment)
    if outcome.error is not None or outcome.urgency < Urgency.SAME_DAY or not outcome.given:
        return None
    referring = [r for r in outcome.fired if _refers(subject.rules.get(r)) >= Urgency.SAME_DAY]
    return _failure(
        "urgent_gives_no_exercises",
        subject,
        f"urgency {outcome.urgency.value} still gave exercises",
        assessment=assessment,
        outcome=outcome,
        lines=[
            f"plan: {_plan_line(outcome)}",
            f"what went wrong: rule(s) {_quote(referring)} refer {outcome.urgency.value}, "
            f"which must withhold every exercise, yet {_quote(outcome.given)} were given",
        ],
        rules=referring,
        exercises=outcome.given,
    )


def _check_urgent(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    return _search(
        _seed_assessments(subject),
        lambda: bts.assessments(subject.protocol, complete=True),
        lambda a: _urgent(subject, a),
        max_examples,
    )


def _unanswered_in(subject: _Subject, assessment: Assessment) -> list[str]:
    below = subject.protocol.scope.band(assessment.age) if assessment.age is not None else None
    if below is not None:
        # Below the scope's minimum age only the red flags are asked.
        return [n for n in subject.red_flags if assessment.red_flags.get(n) is None]
    follow_ups = {f.name: f.asked_if for f in subject.declared.values() if f.asked_if}
    names = [
        n
        for n in subject.required
        if n not in bts._INPUT_NAMES
        and assessment.red_flags.get(n) is None  # absent or None
        and assessment.findings.get(n) is None
        # A follow-up question is required only after a yes to the one it follows.
        and (
            n not in follow_ups
            or assessment.red_flags.get(follow_ups[n], assessment.findings.get(follow_ups[n]))
            is True
        )
    ]
    given = {s.key: getattr(assessment, s.score_attribute) for s in SCORED}
    given[AGE_INPUT] = assessment.age
    names.extend(n for n in required_inputs(subject.protocol) if given[n] is None)
    return names


def _unanswered(subject: _Subject, assessment: Assessment) -> PropertyFailure | None:
    unanswered = _unanswered_in(subject, assessment)
    if not unanswered:
        return None
    outcome = subject.run(assessment)
    if outcome.error is not None:
        return None
    not_listed = [n for n in unanswered if n not in outcome.missing]
    if not outcome.given and not not_listed:
        return None
    lines = [f"plan: {_plan_line(outcome)}; missing: {_quote(outcome.missing)}"]
    if outcome.given:
        lines.append(
            f"what went wrong: required question(s) {_quote(unanswered)} are not answered, "
            f"yet {_quote(outcome.given)} were given"
        )
    if not_listed:
        lines.append(
            f"what went wrong: plan.missing does not name {_quote(not_listed)}, so the app "
            "cannot know what to ask"
        )
    return _failure(
        "unanswered_gives_no_exercises",
        subject,
        "an unanswered required question still gave exercises"
        if outcome.given
        else "an unanswered required question is not named in plan.missing",
        assessment=assessment,
        outcome=outcome,
        lines=lines,
        rules=[RULE_MISSING_INPUT],
        exercises=outcome.given,
        facts=unanswered,
    )


def _optional_unanswered(subject: _Subject, step: _Step) -> PropertyFailure | None:
    """An optional red flag left unanswered must not give what answering it yes withholds."""
    unanswered, yes = subject.run(step.before), subject.run(step.after)
    if unanswered.error is not None or yes.error is not None:
        return None
    given = [e for e in unanswered.given if e not in yes.given]
    if not given:
        return None
    flag = step.change
    rules: list[str] = []
    for exercise_id in given:
        rules.extend(_blamed(subject, yes.reasons(exercise_id), unanswered, yes))
    return _failure(
        "unanswered_gives_no_exercises",
        subject,
        f"red flag {flag!r} left unanswered is read as 'no'",
        assessment=step.before,
        outcome=unanswered,
        lines=[
            f"unanswered: {_plan_line(unanswered)}",
            f"answered yes: {_plan_line(yes)}",
            f"what went wrong: red flag {flag!r} is not required, so leaving it unanswered "
            f"gives {_quote(given)}, which answering it yes withholds (by "
            f"{_quote(dict.fromkeys(rules))}); an unanswered red flag is never a 'no': "
            "set required = true",
        ],
        rules=rules,
        exercises=given,
        facts=[flag],
    )


def _optional_flags(subject: _Subject) -> list[str]:
    return [n for n in subject.red_flags if n not in subject.required]


def _seed_optional(subject: _Subject) -> Iterator[_Step]:
    """Each optional red flag left unanswered, then answered yes, alone and with its rules."""
    for flag in _optional_flags(subject):
        bases: list[frozenset[str]] = [frozenset(), subject.capabilities]
        for rule in subject.protocol.rules:
            bases.extend(t - {flag} for t in subject.rule_sets(rule) if flag in t)
        for base in dict.fromkeys(bases):
            before = subject.realize(base, unanswered={flag})
            after = subject.realize(base | {flag})
            if before is not None and after is not None:
                yield _Step(before, after, flag)


@st.composite
def _random_optional(draw: st.DrawFn, subject: _Subject) -> _Step:
    answered = draw(bts.assessments(subject.protocol, complete=True))
    flag = draw(st.sampled_from(_optional_flags(subject)))
    flags = {k: v for k, v in answered.red_flags.items() if k != flag}
    before = attrs.evolve(answered, red_flags=flags)
    after = attrs.evolve(answered, red_flags={**flags, flag: True})
    return _Step(before, after, flag)


def _check_unanswered(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    failure = None
    if subject.required:
        failure = _search(
            _seed_unanswered(subject),
            lambda: bts.assessments(subject.protocol, complete=False),
            lambda a: _unanswered(subject, a),
            max_examples,
        )
    if failure is None and _optional_flags(subject):
        failure = _search(
            _seed_optional(subject),
            lambda: _random_optional(subject),
            lambda step: _optional_unanswered(subject, step),
            max_examples,
        )
    return failure


def _explained(subject: _Subject, assessment: Assessment) -> PropertyFailure | None:
    outcome = subject.run(assessment)
    if outcome.error is not None:
        return None
    protocol = subject.protocol
    problems: list[str] = []
    rules: list[str] = []
    exercises: list[str] = []
    listed = Counter([*outcome.given, *(i for i, _ in outcome.withheld)])
    expected = Counter(e.id for e in protocol.exercises)
    if listed != expected:
        odd = sorted((listed - expected) + (expected - listed))
        exercises.extend(odd)
        problems.append(
            f"exercise(s) {_quote(odd)} are not in exactly one of the given and withheld lists"
        )
    facts = set(outcome.facts)
    for exercise_id, reasons in outcome.withheld:
        if not reasons:
            exercises.append(exercise_id)
            problems.append(f"exercise {exercise_id!r} is withheld with no reason at all")
        exercise = engine_of(protocol).exercise_by_id.get(exercise_id)
        for reason in reasons:
            wrong = _reason_problem(subject, reason, exercise, outcome, facts, withheld=True)
            if wrong:
                exercises.append(exercise_id)
                rules.append(reason.rule)
                problems.append(f"exercise {exercise_id!r} is withheld with a reason {wrong}")
    # The audit trail too: a rule that only refers still tells the person why.
    for rule_id in outcome.fired:
        fired_rule = subject.rules.get(rule_id)
        if fired_rule is None:
            continue
        missing = [
            what
            for what, text in (("reason", fired_rule.reason), ("source", fired_rule.source))
            if not text.strip()
        ]
        if missing:
            rules.append(rule_id)
            problems.append(
                f"rule {rule_id!r} fired with no {' and no '.join(missing)}, so the plan "
                f"cannot say why (set the rule's {' and '.join(missing)})"
            )
    for exercise_id, reasons in outcome.cautions:
        exercise = engine_of(protocol).exercise_by_id.get(exercise_id)
        for reason in reasons:
            wrong = _reason_problem(subject, reason, exercise, outcome, facts, withheld=False)
            if wrong:
                exercises.append(exercise_id)
                rules.append(reason.rule)
                problems.append(f"exercise {exercise_id!r} has a caution {wrong}")
    if not problems:
        return None
    return _failure(
        "withheld_explained",
        subject,
        "a plan withholds or cautions an exercise without a true, complete reason",
        assessment=assessment,
        outcome=outcome,
        lines=[f"plan: {_plan_line(outcome)}", *(f"what went wrong: {p}" for p in problems)],
        rules=rules,
        exercises=exercises,
    )


def _reason_problem(
    subject: _Subject,
    reason: Reason,
    exercise: Exercise | None,
    outcome: _Outcome,
    facts: set[str],
    *,
    withheld: bool,
) -> str | None:
    """Say what is wrong with one reason, or return ``None`` when it is complete and true."""
    rule_id = reason.rule
    label = f"from rule {rule_id!r}" if rule_id.strip() else "that names no rule"
    if not rule_id.strip():
        return label
    if not reason.text.strip():
        return f"{label} that has no text (write the rule's {'reason' if withheld else 'caution text'})"
    if not reason.source.strip():
        return f"{label} that cites no source (set the rule's source)"
    if rule_id == RULE_SAFETY and not withheld:
        return None
    if rule_id == RULE_SCOPE and withheld:
        # The scope withholds everything below its minimum age, and fires when it does.
        return None if rule_id in outcome.fired else f"{label}, which did not fire"
    if rule_id in ENGINE_RULES and withheld:
        true = {
            RULE_MISSING_INPUT: bool(outcome.missing),
            RULE_URGENCY: outcome.urgency >= Urgency.SAME_DAY,
            RULE_PREREQUISITE: exercise is not None and not set(exercise.prerequisites) <= facts,
        }[rule_id]
        return None if true else f"{label} that does not hold for this assessment"
    if rule_id not in outcome.fired:
        return f"{label}, which did not fire"
    rule = subject.rules.get(rule_id)
    if rule is None or exercise is None:
        return f"{label}, which the protocol does not have"
    kind = Exclude if withheld else Caution
    selects = any(isinstance(a, kind) and a.select.matches(exercise) for a in rule.actions)
    return None if selects else f"{label}, which does not select this exercise"


def _check_explained(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    seeds = itertools.chain(_seed_assessments(subject), _seed_unanswered(subject))
    return _search(
        seeds,
        lambda: bts.assessments(subject.protocol, complete=None),
        lambda a: _explained(subject, a),
        max_examples,
    )
