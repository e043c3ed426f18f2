"""The harness of the property checks: a protocol under test, plans, seeds and the search."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from random import Random
from typing import TypeVar

import attrs
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from backtriage._plan import make_plan, recommend
from backtriage.assessment import Assessment
from backtriage.errors import ProtocolError
from backtriage.instruments._registry import SCORED
from backtriage.protocol import (
    Fact,
    FactKind,
    Polarity,
    Protocol,
    Rule,
    Urgency,
)
from backtriage.protocol._engine import Reason, engine_of
from backtriage.protocol._inputs import required_inputs
from backtriage.protocol._reasoner import assessment_for, rule_terms, space_of
from backtriage.testing._report import PropertyFailure

T = TypeVar("T")

# Per rule, at most this many smallest fact sets are tried: enough for every rule written by
# hand. A rule with more ways in than the search may consider (an "at_least 5 of 20") gives no
# seeds; the random search still tries it.
_SEEDS_PER_RULE = 12
_SEARCH_LIMIT = 1_000


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
        self.space = space_of(protocol)
        atoms = self.space.fact_atoms[0]
        self.settable = tuple(name for name in self.declared if atoms[name])
        """The facts some assessment can set (a yes/no answer, a preference, a threshold)."""
        self._rule_sets: dict[Rule, list[frozenset[str]]] = {}
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

        Required questions and inputs in ``unanswered`` are left without an answer. Derived
        facts are set through their inputs (answers to a questionnaire whose score is at the
        level, an age, a preference), so the assessment may hold more facts than asked: the
        ones those inputs imply.
        """
        space = self.space
        atoms = space.atoms_of(present)
        if atoms is None:
            return None
        closed = space.close(atoms)
        if not space.feasible(closed):
            return None  # one person has one directional preference
        return assessment_for(
            self.protocol,
            space.answers(closed),
            unanswered=frozenset(unanswered),
            plainest=True,
        )

    def rule_sets(self, rule: Rule) -> list[frozenset[str]]:
        """Return the smallest sets of facts that make ``rule`` fire (a few at most)."""
        found = self._rule_sets.get(rule)
        if found is None:
            space = self.space
            try:
                terms = rule_terms(space, 0, rule.condition, _SEARCH_LIMIT, f"rule {rule.id!r}")
            except ProtocolError:
                terms = []
            found = [space.facts(space.generators(t)) for t in terms[:_SEEDS_PER_RULE]]
            self._rule_sets[rule] = found
        return found


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
    for instrument in SCORED:
        score = getattr(assessment, instrument.score_attribute)
        words = instrument.state_words(score, getattr(assessment, instrument.key))
        if words is not None:
            parts.append(words)
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
