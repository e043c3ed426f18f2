"""Property checks for a protocol: search assessments for a plan that breaks a promise.

Each check states one promise of backtriage (listed in docs/testing-your-protocol.md) as a
property of :func:`backtriage._plan` over assessments, and looks for a counterexample in two
steps, as hypothesis' own ``@example`` and ``@given`` do:

1. the assessments the protocol itself points at, smallest first: the plainest assessment
   (every red flag answered no, nothing else), then, for every rule, the fewest facts that make
   it fire, one at a time with and without each of them, and each exercise's prerequisites;
2. random assessments from :mod:`backtriage.testing.strategies`, searched with
   :func:`hypothesis.find`, which shrinks whatever it finds to the smallest failing assessment.

A failure is reported in the protocol's own terms: the assessment (red flags answered yes,
findings, scores, and the facts they gave), the change that was made to it, the rule ids
involved and what went wrong.

``recommend`` refuses a protocol with static problems; the checks still run on one, through
the same fact derivation and engine that ``recommend`` uses, because showing *why* such a
protocol is wrong is the point.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from random import Random
from typing import TypeVar

import attrs
from hypothesis import HealthCheck, Phase, assume, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from backtriage._plan import make_plan, recommend
from backtriage.assessment import Assessment, Preference
from backtriage.instruments.odi import DisabilityBand, OdiScore
from backtriage.instruments.start_back import StartBackRisk, StartBackScore, score_start_back
from backtriage.protocol._engine import (
    ENGINE_RULES,
    RULE_MISSING_INPUT,
    RULE_PREREQUISITE,
    RULE_SAFETY,
    RULE_URGENCY,
    Reason,
    engine_of,
    facts_of,
)
from backtriage.protocol._inputs import (
    AGE_INPUT,
    INPUT_SOURCES,
    ODI_INPUT,
    START_BACK_INPUT,
    required_inputs,
    threshold_of,
)
from backtriage.protocol._model import (
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    DerivedFrom,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Policy,
    Protocol,
    Refer,
    Rule,
    Urgency,
)
from backtriage.testing import strategies as bts

__all__ = [
    "CHECKS",
    "InconsistentProtocolError",
    "PropertyFailure",
    "assert_capability_monotone",
    "assert_consistent",
    "assert_deterministic",
    "assert_policies_hold",
    "assert_risk_monotone",
    "assert_rules_reachable",
    "assert_unanswered_gives_no_exercises",
    "assert_urgent_gives_no_exercises",
    "assert_withheld_explained",
    "check_properties",
]

T = TypeVar("T")

CHECKS: tuple[str, ...] = (
    "risk_monotone",
    "capability_monotone",
    "urgent_gives_no_exercises",
    "unanswered_gives_no_exercises",
    "deterministic",
    "withheld_explained",
    "rules_reachable",
    "policies_hold",
)
"""The names of the property checks, in the order :func:`check_properties` runs them."""

# The reasons the engine itself gives.
_MISSING = RULE_MISSING_INPUT
_URGENT = RULE_URGENCY
_PREREQUISITE = RULE_PREREQUISITE
_SAFETY = RULE_SAFETY
_ENGINE_RULES = ENGINE_RULES

# Per rule, at most this many smallest fact sets are tried: enough for every rule written by
# hand, and bounded for an "at_least 5 of 20".
_MINTERM_LIMIT = 12


@attrs.frozen
class PropertyFailure:
    """One property of a protocol that does not hold, with the smallest counterexample found.

    ``check`` is the property's name (one of :data:`CHECKS`), ``message`` says in the
    protocol's own terms what went wrong, ``rules`` are the ids of the rules involved (rule ids
    of the protocol, or the engine's own ``engine.prerequisite``, ``engine.urgency`` and
    ``engine.missing_input``), ``assessment`` the smallest assessment found (``None`` when no
    assessment shows it, e.g. a rule that can never fire), ``exercises`` and ``facts`` the
    exercise ids and fact names involved.
    """

    check: str
    message: str
    rules: tuple[str, ...] = ()
    assessment: Assessment | None = attrs.field(default=None, eq=False)
    exercises: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


class InconsistentProtocolError(AssertionError):
    """A protocol failed one or more property checks; ``failures`` holds each one."""

    def __init__(self, protocol: Protocol, failures: Iterable[PropertyFailure]) -> None:
        self.protocol_name = protocol.name
        self.failures = tuple(failures)
        count = len(self.failures)
        head = (
            f"protocol {protocol.name!r} {protocol.version} fails "
            f"{count} propert{'y' if count == 1 else 'ies'}: "
            + ", ".join(f.check for f in self.failures)
        )
        super().__init__("\n\n".join([head, *(f.message for f in self.failures)]))


# -- evaluating an assessment ---------------------------------------------------------------------


@attrs.frozen
class _Outcome:
    """What a plan decided, reduced to what the properties compare."""

    urgency: Urgency = Urgency.NONE
    given: tuple[str, ...] = ()
    """Exercise ids given, in plan order."""
    withheld: tuple[tuple[str, tuple[Reason, ...]], ...] = ()
    cautions: tuple[tuple[str, tuple[Reason, ...]], ...] = ()
    fired: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    error: str | None = None

    def reasons(self, exercise_id: str) -> tuple[Reason, ...]:
        for withheld_id, reasons in self.withheld:
            if withheld_id == exercise_id:
                return reasons
        return ()

    def decisions(self) -> tuple[object, ...]:
        """The plan with every order taken out: what must not depend on how inputs are listed."""
        return (
            self.error is None,
            self.urgency,
            tuple(sorted(self.given)),
            tuple(sorted((i, tuple(sorted({r.rule for r in rs}))) for i, rs in self.withheld)),
            tuple(sorted(set(self.fired))),
            tuple(sorted(self.missing)),
            tuple(sorted(self.facts)),
        )


class _Subject:
    """A protocol under test, with what the checks look up about it computed once."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.clean = not protocol.check()
        engine = engine_of(protocol)
        self.declared: Mapping[str, Fact] = engine.fact_by_name
        self.rules: dict[str, Rule] = {}
        for rule in protocol.rules:
            self.rules.setdefault(rule.id, rule)
        self.settable = tuple(name for name in self.declared if self._settable(name))
        self.capabilities = frozenset(n for n in self.settable if self.is_capability(n))
        self.red_flags = tuple(
            f.name for f in self.declared.values() if f.kind is FactKind.RED_FLAG
        )
        self.required = tuple(
            f.name for f in self.declared.values() if f.required and f.kind is not FactKind.DERIVED
        ) + required_inputs(protocol)

    # -- what a fact is

    def is_risk(self, name: str) -> bool:
        """Tell whether more of the fact must never give exercises (declared or by its kind)."""
        fact = self.declared.get(name)
        return fact is not None and (
            fact.polarity is Polarity.RISK or fact.kind is not FactKind.CAPABILITY
        )

    def is_capability(self, name: str) -> bool:
        """Tell whether more of the fact must never take exercises away."""
        fact = self.declared.get(name)
        return fact is not None and (
            fact.polarity is Polarity.CAPABILITY or fact.kind is FactKind.CAPABILITY
        )

    def _settable(self, name: str) -> bool:
        return _value_of(self.declared[name]) is not None

    def describe_fact(self, name: str) -> str:
        fact = self.declared[name]
        if fact.kind is FactKind.RED_FLAG:
            return f"red flag {name!r} answered yes"
        return f"{fact.kind.value} {name!r}"

    # -- running

    def run(self, assessment: Assessment, protocol: Protocol | None = None) -> _Outcome:
        """Evaluate ``assessment``: through ``recommend`` when the protocol is clean."""
        protocol = protocol or self.protocol
        clean = self.clean if protocol is self.protocol else not protocol.check()
        try:
            # One path to a plan: recommend() for a clean protocol, the same function without
            # its refusal for one with problems, so that the kit can say what it would do.
            plan = (
                recommend(assessment, protocol=protocol)
                if clean
                else make_plan(assessment, protocol)
            )
            return _Outcome(
                urgency=plan.urgency,
                given=tuple(p.exercise.id for p in plan.exercises),
                withheld=tuple((w.exercise.id, w.reasons) for w in plan.withheld),
                cautions=tuple((p.exercise.id, p.cautions) for p in plan.exercises),
                fired=tuple(f.rule for f in plan.fired),
                missing=plan.missing,
                facts=plan.facts,
            )
        except ValueError as exc:  # BacktriageError, or a broken derivation of a bad protocol
            return _Outcome(error=f"{type(exc).__name__}: {exc}")

    # -- building assessments from facts

    def realize(
        self, present: Iterable[str], *, unanswered: Iterable[str] = ()
    ) -> Assessment | None:
        """Return the plainest assessment that holds ``present``, or ``None`` if none can.

        Required questions in ``unanswered`` are left without an answer. Derived facts are set
        through their inputs (an ODI in the band, a STarT Back risk, an age, a preference), so
        the assessment may hold more facts than asked: the ones those inputs imply.
        """
        wanted = set(present)
        left = set(unanswered)
        odi_band: DisabilityBand | None = None
        risk: StartBackRisk | None = None
        age: int | None = None
        preferences: set[Preference] = set()
        for name in wanted:
            fact = self.declared.get(name)
            if fact is None:
                return None
            value = _value_of(fact)
            if value is None:
                return None
            if isinstance(value, bool):
                continue  # answered directly, in red_flags or findings
            if isinstance(value, DisabilityBand):
                odi_band = value if odi_band is None else max(odi_band, value)
            elif isinstance(value, StartBackRisk):
                risk = value if risk is None else max(risk, value)
            elif isinstance(value, Preference):
                preferences.add(value)
            elif isinstance(value, int):
                age = value if age is None else max(age, value)
        if len(preferences) > 1:
            return None  # one person has one directional preference
        red_flags: dict[str, bool | None] = {
            name: None if name in left else name in wanted for name in self.red_flags
        }
        findings: dict[str, bool | None] = {
            n: True
            for n in wanted
            if self.declared[n].kind in (FactKind.FINDING, FactKind.CAPABILITY)
        }
        for name in self.required:
            fact = self.declared.get(name)
            if fact is not None and fact.kind in (FactKind.FINDING, FactKind.CAPABILITY):
                findings[name] = None if name in left else name in wanted
        odi: object = None
        if ODI_INPUT not in left and (odi_band is not None or self.protocol.require_odi):
            odi = _ODI_IN_BAND[odi_band or DisabilityBand.MINIMAL]
        # A required input is given at its lowest (low risk, age 0) unless it is left out.
        if START_BACK_INPUT not in left and risk is None and self.protocol.require_start_back:
            risk = StartBackRisk.LOW
        if AGE_INPUT not in left and age is None and self.protocol.require_age:
            age = 0
        return Assessment(
            odi=odi,
            red_flags=red_flags,
            findings=findings,
            preference=next(iter(preferences), None),
            start_back=None if risk is None else _START_BACK_AT[risk],
            age=age,
        )


# The lowest ODI of each band (11/50 = 22 % moderate, ...): a band reached by the fewest points.
_ODI_IN_BAND: dict[DisabilityBand, tuple[int, ...]] = {
    band: tuple(min(5, max(0, raw - 5 * i)) for i in range(10))
    for band, raw in zip(DisabilityBand, (0, 11, 21, 31, 41), strict=True)
}
_START_BACK_AT: dict[StartBackRisk, StartBackScore] = {
    StartBackRisk.LOW: StartBackScore(0, 0),
    StartBackRisk.MEDIUM: StartBackScore(4, 0),
    StartBackRisk.HIGH: StartBackScore(4, 4),
}


def _value_of(fact: Fact) -> object:
    """Return how an assessment sets ``fact`` (``True`` for an answer), or ``None`` if it can't."""
    if fact.kind in (FactKind.RED_FLAG, FactKind.FINDING, FactKind.CAPABILITY):
        return True
    derive = fact.derive
    if derive is None:
        return None
    if derive.source is DerivedFrom.PREFERENCE:
        if derive.equals is None or derive.at_least is not None:
            return None
        try:
            return Preference(derive.equals)
        except ValueError:
            return None
    # The one parser of thresholds, the one the fact derivation uses.
    least = threshold_of(derive) if derive.equals is None else None
    if least is None:
        return None
    if derive.source is DerivedFrom.ODI_BAND:
        return list(DisabilityBand)[least]
    if derive.source is DerivedFrom.START_BACK_RISK:
        return list(StartBackRisk)[least]
    return least


def _minterms(condition: Condition) -> list[frozenset[str]]:
    """Return small fact sets that make ``condition`` true (at most ``_MINTERM_LIMIT``)."""
    if isinstance(condition, FactIs):
        return [frozenset({condition.fact})]
    children = [_minterms(c) for c in condition.conditions]
    if isinstance(condition, AnyOf):
        return list(dict.fromkeys(itertools.chain.from_iterable(children)))[:_MINTERM_LIMIT]
    if isinstance(condition, AllOf):
        return _products(children) if children else []
    n = condition.n
    if n <= 0:
        return [frozenset()]
    result: list[frozenset[str]] = []
    for chosen in itertools.combinations(children, n):
        result.extend(_products(list(chosen)))
        if len(result) >= _MINTERM_LIMIT:
            break
    return list(dict.fromkeys(result))[:_MINTERM_LIMIT]


def _products(children: list[list[frozenset[str]]]) -> list[frozenset[str]]:
    combined = [frozenset[str]()]
    for options in children:
        combined = list(dict.fromkeys(a | b for a in combined for b in options))
        combined = sorted(combined, key=len)[:_MINTERM_LIMIT]
    return combined


def _rule_minterms(rule: Rule) -> list[frozenset[str]]:
    """Fact sets that make ``rule`` fire; a rule is only looked at when a fact it names holds."""
    names = list(dict.fromkeys(facts_of(rule.condition)))
    result: list[frozenset[str]] = []
    for term in _minterms(rule.condition):
        result.extend([frozenset({n}) for n in names] if not term else [term])
    return list(dict.fromkeys(result))


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


def _search(
    seeds: Iterable[T],
    strategy: Callable[[], st.SearchStrategy[T]],
    fails: Callable[[T], PropertyFailure | None],
    max_examples: int,
) -> PropertyFailure | None:
    """Try the seeds in order, then let hypothesis search and shrink; return the failure."""
    for case in seeds:
        failure = fails(case)
        if failure is not None:
            return failure
    if max_examples <= 0:
        return None
    try:
        # A fixed seed: the same protocol always gives the same verdict and the same example.
        case = find(
            strategy(),
            lambda c: fails(c) is not None,
            settings=_settings(max_examples),
            random=Random(0),
        )
    except NoSuchExample:
        return None
    return fails(case)


# -- describing -----------------------------------------------------------------------------------


def _describe(subject: _Subject, assessment: Assessment, outcome: _Outcome) -> str:
    yes = [k for k, v in assessment.red_flags.items() if v]
    parts = ["red flags answered yes: " + (", ".join(yes) or "none")]
    unanswered = [k for k in subject.red_flags if assessment.red_flags.get(k) is None]
    if unanswered:
        parts.append("not answered: " + ", ".join(unanswered))
    holding = sorted(n for n, v in assessment.findings.items() if v)
    parts.append("findings: " + (", ".join(holding) or "none"))
    score = assessment.odi_score
    if score is not None:
        parts.append(f"ODI {score.percent_rounded}% ({score.band.value})")
    else:
        parts.append("ODI not given" if assessment.odi is None else "ODI not scorable")
    if assessment.start_back is not None:
        parts.append(f"STarT Back risk {assessment.start_back.risk.value}")
    if assessment.age is not None:
        parts.append(f"age {assessment.age}")
    if assessment.preference is not None:
        parts.append(f"preference {assessment.preference.value}")
    held = ", ".join(outcome.facts) or "none"
    return "; ".join(parts) + f"\n    facts that held: {held}"


def _plan_line(outcome: _Outcome) -> str:
    if outcome.error is not None:
        return f"refused: {outcome.error}"
    given = ", ".join(outcome.given) or "no exercise"
    fired = ", ".join(outcome.fired) or "none"
    return f"urgency {outcome.urgency.value}; gives {given}; rules fired: {fired}"


def _quote(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def _failure(
    check: str,
    subject: _Subject,
    headline: str,
    *,
    assessment: Assessment | None,
    outcome: _Outcome | None,
    lines: Iterable[str],
    rules: Iterable[str],
    exercises: Iterable[str] = (),
    facts: Iterable[str] = (),
) -> PropertyFailure:
    protocol = subject.protocol
    rule_ids = tuple(dict.fromkeys(rules))
    text = [f"{check}: {headline} (protocol {protocol.name!r} {protocol.version})"]
    if assessment is not None and outcome is not None:
        text.append(f"  smallest assessment found: {_describe(subject, assessment, outcome)}")
    text.extend(f"  {line}" for line in lines)
    text.append(f"  rules involved: {_quote(rule_ids)}")
    return PropertyFailure(
        check=check,
        message="\n".join(text),
        rules=rule_ids,
        assessment=assessment,
        exercises=tuple(dict.fromkeys(exercises)),
        facts=tuple(dict.fromkeys(facts)),
    )


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
        for term in _rule_minterms(rule):
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
    score = before.odi_score
    if score is not None and score.raw < score.max_raw:
        options.append(("odi", ""))
    if before.odi is None and not subject.protocol.require_odi:
        options.append(("odi", "new"))
    if before.start_back is None or before.start_back.total < 9:
        options.append(("start_back", ""))
    if before.age is None or before.age < 130:
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
    elif kind == "odi" and score is not None:
        raw = draw(st.integers(score.raw + 1, score.max_raw))
        worse = OdiScore(raw, score.answered, score.missing, score.multiple_marks)
        after = attrs.evolve(before, odi=worse)
        change = f"raising the ODI from {score.percent_rounded}% to {worse.percent_rounded}%"
    elif kind == "odi":
        after = attrs.evolve(before, odi=draw(bts.odi_answers()))
        change = "answering the ODI"
    elif kind == "start_back":
        after = attrs.evolve(before, start_back=draw(_more_start_back(before.start_back)))
        change = "answering more STarT Back items 'agree'"
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


def _more_start_back(score: StartBackScore | None) -> st.SearchStrategy[StartBackScore]:
    if score is None:
        return bts.start_back_answers().map(score_start_back)
    total, psychosocial = score.total, score.psychosocial
    options = []
    if total + 1 <= psychosocial + 4:
        options.append(StartBackScore(total + 1, psychosocial))
    if psychosocial < 5:
        options.append(StartBackScore(total + 1, psychosocial + 1))
    return st.sampled_from(options)


def _monotone(subject: _Subject, step: _Step, *, risk: bool) -> PropertyFailure | None:
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
        if reason.rule == _URGENT:
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


# -- single-plan properties -----------------------------------------------------------------------


def _seed_assessments(subject: _Subject) -> Iterator[Assessment]:
    """The plainest assessment, then each rule's trigger, then the best case, all answered."""
    terms: list[frozenset[str]] = [frozenset()]
    for rule in subject.protocol.rules:
        terms.extend(_rule_minterms(rule))
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
    names = [
        n
        for n in subject.required
        if n not in INPUT_SOURCES
        and assessment.red_flags.get(n) is None  # absent or None
        and assessment.findings.get(n) is None
    ]
    given = {
        ODI_INPUT: assessment.odi_score,
        START_BACK_INPUT: assessment.start_back,
        AGE_INPUT: assessment.age,
    }
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
        rules=[_MISSING],
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
            bases.extend(t - {flag} for t in _rule_minterms(rule) if flag in t)
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
    if rule_id == _SAFETY and not withheld:
        return None
    if rule_id in _ENGINE_RULES and withheld:
        true = {
            _MISSING: bool(outcome.missing),
            _URGENT: outcome.urgency >= Urgency.SAME_DAY,
            _PREREQUISITE: exercise is not None and not set(exercise.prerequisites) <= facts,
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
    odi = assessment.odi
    if isinstance(odi, Mapping):
        from backtriage.instruments.odi import OdiSection

        odi = [odi.get(s.value, odi.get(s)) for s in OdiSection]
    elif isinstance(odi, tuple):
        from backtriage.instruments.odi import OdiSection

        odi = {s.value: v for s, v in reversed(list(zip(OdiSection, odi, strict=True)))}
    return Assessment(
        odi=odi,
        red_flags=dict(reversed(list(assessment.red_flags.items()))),
        findings=dict(reversed(list(assessment.findings.items()))),
        preference=assessment.preference,
        start_back=assessment.start_back,
        age=assessment.age,
        odi_max_missing=assessment.odi_max_missing,
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
    if not why:
        terms = _rule_minterms(rule)
        preferences = [
            t for t in terms if len({_value_of(subject.declared[n]) for n in t} & _PREFS) > 1
        ]
        if terms and len(preferences) == len(terms):
            why.append("it needs two different directional preferences at once")
    return why or ["no assessment tried made its condition true"]


_PREFS = frozenset(Preference)


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
        if best_outcome is not None and any(r.rule == _URGENT for r in reasons):
            # The engine's urgency block stands for the rules that referred that high.
            rules.extend(
                rule.id
                for rule in protocol.rules
                if rule.id in best_outcome.fired and _refers(rule) >= Urgency.SAME_DAY
            )
        lines.append(
            f"what went wrong: exercise {exercise.id!r} is never given; with no risk at all and "
            f"every capability it is withheld by {_quote(r.rule for r in reasons)}"
            + "".join(f" ({r.text})" for r in reasons if r.rule in _ENGINE_RULES)
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


# -- public entry points ----------------------------------------------------------------------------

# -- declared policies ----------------------------------------------------------------------------


def _holds(condition: Condition, present: frozenset[str]) -> bool:
    if isinstance(condition, FactIs):
        return condition.fact in present
    held = sum(_holds(child, present) for child in condition.conditions)
    if isinstance(condition, AllOf):
        return bool(condition.conditions) and held == len(condition.conditions)
    if isinstance(condition, AnyOf):
        return held > 0
    assert isinstance(condition, AtLeast)
    return held >= condition.n


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
            if any(r.rule != _SAFETY for r in reasons)
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
                and not _holds(rule.condition, facts - flags)
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


_CHECKERS: dict[str, Callable[[_Subject, int], PropertyFailure | None]] = {
    "risk_monotone": _check_risk_monotone,
    "capability_monotone": _check_capability_monotone,
    "urgent_gives_no_exercises": _check_urgent,
    "unanswered_gives_no_exercises": _check_unanswered,
    "deterministic": _check_deterministic,
    "withheld_explained": _check_explained,
    "rules_reachable": _check_reachable,
    "policies_hold": _check_policies,
}


def check_properties(
    protocol: Protocol, *, max_examples: int = 100, checks: Iterable[str] = CHECKS
) -> tuple[PropertyFailure, ...]:
    """Run the property checks on ``protocol`` and return each failure (empty when all hold).

    ``max_examples`` bounds the random assessments hypothesis tries per check, after the
    assessments built from the protocol's own rules (0 runs only those). ``checks`` picks some
    of :data:`CHECKS`. The search is seeded, so the same protocol always gives the same result.
    Raises ``ValueError`` for an unknown check name.
    """
    subject = _Subject(protocol)
    failures = []
    for name in checks:
        checker = _CHECKERS.get(name)
        if checker is None:
            raise ValueError(f"checks: {name!r} is not a property check; expected one of {CHECKS}")
        failure = checker(subject, max_examples)
        if failure is not None:
            failures.append(failure)
    return tuple(failures)


def _assert(protocol: Protocol, names: Iterable[str], max_examples: int) -> None:
    __tracebackhide__ = True  # pytest shows the test's line and the message, not this frame
    failures = check_properties(protocol, max_examples=max_examples, checks=names)
    if failures:
        raise InconsistentProtocolError(protocol, failures)


def assert_consistent(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that ``protocol`` has every property; raise :class:`InconsistentProtocolError`.

    Runs every check of :data:`CHECKS` and reports all failures at once, each with the
    smallest assessment found and the rule ids involved.

    >>> assert_consistent(backtriage.default_protocol())  # doctest: +SKIP
    """
    __tracebackhide__ = True
    _assert(protocol, CHECKS, max_examples)


def assert_risk_monotone(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that more risk never gives an exercise back nor lowers the urgency.

    A risk is a red flag answered yes, a finding, a worse score, an older age or a preference,
    and any fact declared with polarity ``risk``.
    """
    __tracebackhide__ = True
    _assert(protocol, ["risk_monotone"], max_examples)


def assert_capability_monotone(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that more capability never takes an exercise away nor raises the urgency."""
    __tracebackhide__ = True
    _assert(protocol, ["capability_monotone"], max_examples)


def assert_urgent_gives_no_exercises(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that a plan of urgency ``same_day`` or ``emergency`` gives no exercise."""
    __tracebackhide__ = True
    _assert(protocol, ["urgent_gives_no_exercises"], max_examples)


def assert_unanswered_gives_no_exercises(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that an unanswered required question gives no exercise and is named as missing."""
    __tracebackhide__ = True
    _assert(protocol, ["unanswered_gives_no_exercises"], max_examples)


def assert_deterministic(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that a plan depends only on the answers, never on the order anything is listed in.

    The same assessment evaluated twice, its answers listed in another order or form, and the
    protocol's facts, rules and exercises listed in another order must all decide the same.
    """
    __tracebackhide__ = True
    _assert(protocol, ["deterministic"], max_examples)


def assert_withheld_explained(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that every withheld or cautioned exercise has true reasons with rule and source."""
    __tracebackhide__ = True
    _assert(protocol, ["withheld_explained"], max_examples)


def assert_rules_reachable(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that every rule fires for some assessment and every exercise is given to someone."""
    __tracebackhide__ = True
    _assert(protocol, ["rules_reachable"], max_examples)


def assert_policies_hold(protocol: Protocol, *, max_examples: int = 100) -> None:
    """Assert that plans keep every policy the protocol declares, on real assessments.

    ``check()`` proves the policies from the rules; this runs ``recommend`` on the facts of each
    policy and on random complete assessments and checks each plan against every policy, so
    that it also covers how answers become facts (scores, ages, preferences).
    """
    __tracebackhide__ = True
    _assert(protocol, ["policies_hold"], max_examples)
