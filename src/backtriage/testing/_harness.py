"""The harness of the property checks: a protocol under test, plans, seeds and the search."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from random import Random
from typing import TypeVar

import attrs
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from backtriage._plan import make_plan, recommend
from backtriage.assessment import Assessment, Preference
from backtriage.instruments.odi import DisabilityBand
from backtriage.instruments.start_back import StartBackRisk, StartBackScore
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
    ODI_INPUT,
    START_BACK_INPUT,
    required_inputs,
    threshold_of,
)
from backtriage.protocol._model import (
    AllOf,
    AnyOf,
    Condition,
    DerivedFrom,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Protocol,
    Rule,
    Urgency,
)
from backtriage.testing._report import PropertyFailure

T = TypeVar("T")

# The reasons the engine itself gives.
_MISSING = RULE_MISSING_INPUT
_URGENT = RULE_URGENCY
_PREREQUISITE = RULE_PREREQUISITE
_SAFETY = RULE_SAFETY
_ENGINE_RULES = ENGINE_RULES

# Per rule, at most this many smallest fact sets are tried: enough for every rule written by
# hand, and bounded for an "at_least 5 of 20".
_MINTERM_LIMIT = 12


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
        # A follow-up question is answered yes only after a yes to the question it follows.
        for name in list(wanted):
            fact = self.declared.get(name)
            if fact is not None and fact.asked_if is not None:
                wanted.add(fact.asked_if)
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
        # A required input is given at its lowest (low risk, the youngest age within the
        # scope) unless it is left out.
        if START_BACK_INPUT not in left and risk is None and self.protocol.require_start_back:
            risk = StartBackRisk.LOW
        youngest = self.protocol.scope.min_age or 0
        if AGE_INPUT not in left and age is None and self.protocol.require_age:
            age = youngest
        elif age is not None:
            age = max(age, youngest)
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
