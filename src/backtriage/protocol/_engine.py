"""Compile a protocol once, then evaluate sets of facts against it.

Exercises and facts become bit positions. Each rule becomes a compiled condition over a fact
bitmask, the urgency it sets and the exercise masks it excludes or cautions. A rule is only
looked at when one of the facts it mentions is present: conditions are monotone and never true
on no facts, so a rule that none of the present facts mentions cannot fire. The cost of an
evaluation therefore grows with the rules the present facts touch, not with rules × exercises.

The explanation (which rule withheld which exercise) is built from the compact result only when
it is asked for: :class:`Evaluation` keeps masks and the fired rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from backtriage._values import value_eq, value_hash, value_repr
from backtriage.errors import InvalidAnswerError
from backtriage.protocol._model import (
    Caution,
    Exclude,
    Exercise,
    Fact,
    Refer,
    Selector,
    Urgency,
    cached,
)
from backtriage.protocol._reasoner import (
    ENGINE_SOURCE,
    RULE_MISSING_INPUT,
    RULE_PREREQUISITE,
    RULE_SAFETY,
    RULE_SCOPE,
    RULE_URGENCY,
    Test,
    compile_condition,
    facts_of,
)

if TYPE_CHECKING:
    from backtriage.protocol._model import Protocol

__all__ = [
    "Engine",
    "Evaluation",
    "FiredRule",
    "Prescription",
    "Reason",
    "Withheld",
    "engine_of",
]


@attrs.frozen
class Reason:
    """Why an exercise is withheld or cautioned: the rule, its text and its source."""

    rule: str
    text: str
    source: str

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class FiredRule:
    """A rule that fired: the audit trail of a plan."""

    rule: str
    reason: str
    source: str
    urgency: Urgency | None = None
    """The urgency the rule refers to, when it refers."""

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Prescription:
    """An exercise that may be done, with every caution that applies to it, at its step.

    ``step`` is the dosage step (0-based, the gentlest first) the person does now; a first
    plan starts every exercise at 0 and :func:`~backtriage.follow_up` moves it.
    """

    exercise: Exercise
    cautions: tuple[Reason, ...] = ()
    step: int = 0

    @property
    def steps(self) -> int:
        """How many dosage steps the exercise has (1 if it has none: ``check()`` reports that)."""
        return len(self.exercise.steps) or 1

    @property
    def dosage(self) -> str:
        """The dosage of the current step (the exercise's dosage if it has no steps)."""
        steps = self.exercise.steps
        return steps[self.step] if steps else self.exercise.dosage

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Withheld:
    """An exercise that must not be done now, with every reason (never none)."""

    exercise: Exercise
    reasons: tuple[Reason, ...]

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


_BY_RANK = tuple(Urgency)
"""Each urgency at the index of its rank."""
_ACT_NOW = tuple(u for u in Urgency if u >= Urgency.SAME_DAY)
"""The urgencies at which no exercise is given: ``urgency in _ACT_NOW`` is
``urgency >= Urgency.SAME_DAY`` without a call."""
_POSITIONS_KEPT = 1024
"""How many masks an engine keeps the bit positions of: those of the plans it has made (each
of at most 64 positions, so that a large catalogue never holds much)."""


def _bits(mask: int) -> Iterable[int]:
    """Yield the positions of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Engine:
    """The compiled form of a :class:`Protocol`; build it once, evaluate many times.

    The engine tolerates a protocol with problems (unknown names compile to facts that are
    never present, selectors to empty masks) so that such a protocol can still be inspected;
    :func:`backtriage.recommend` refuses to use it.
    """

    __slots__ = (
        "_at_step",
        "_caution_masks",
        "_conditions",
        "_declared",
        "_excludes",
        "_fired",
        "_plain",
        "_positions",
        "_prerequisite_reasons",
        "_prerequisites",
        "_protocol",
        "_ranks",
        "_rule_reasons",
        "_safety",
        "_triggers",
        "_unanswered",
        "_urgencies",
        "_urgent",
        "all_mask",
        "exercise_by_id",
        "fact_bit",
        "fact_by_name",
    )

    def __init__(self, protocol: Protocol) -> None:
        self._protocol = protocol
        exercises = protocol.exercises
        self.exercise_by_id: dict[str, Exercise] = {}
        for exercise in exercises:
            self.exercise_by_id.setdefault(exercise.id, exercise)
        self.fact_by_name: dict[str, Fact] = {}
        for fact in protocol.facts:
            self.fact_by_name.setdefault(fact.name, fact)
        self._declared = frozenset(self.fact_by_name)
        self.all_mask = (1 << len(exercises)) - 1

        self.fact_bit: dict[str, int] = {}
        for name in self.fact_by_name:
            self.fact_bit[name] = 1 << len(self.fact_bit)

        self._prerequisites: tuple[tuple[int, int], ...] = tuple(
            (i, self._fact_mask(e.prerequisites))
            for i, e in enumerate(exercises)
            if e.prerequisites
        )

        conditions: list[Test] = []
        urgencies: list[Urgency | None] = []
        excludes: list[int] = []
        caution_masks: list[tuple[tuple[int, Reason], ...]] = []
        fired: list[FiredRule] = []
        rule_reasons: list[Reason] = []
        triggers: dict[int, list[int]] = {}
        for index, rule in enumerate(protocol.rules):
            conditions.append(compile_condition(rule.condition, self._bit_for))
            for name in facts_of(rule.condition):
                triggers.setdefault(self._bit_for(name), []).append(index)
            refer = [a.urgency for a in rule.actions if isinstance(a, Refer)]
            urgencies.append(max(refer) if refer else None)
            exclude = 0
            cautions: list[tuple[int, Reason]] = []
            for action in rule.actions:
                if isinstance(action, Exclude):
                    exclude |= self.select(action.select)
                elif isinstance(action, Caution):
                    cautions.append(
                        (self.select(action.select), Reason(rule.id, action.text, rule.source))
                    )
            excludes.append(exclude)
            caution_masks.append(tuple(cautions))
            fired.append(FiredRule(rule.id, rule.reason, rule.source, urgencies[-1]))
            rule_reasons.append(Reason(rule.id, rule.reason, rule.source))
        self._conditions = tuple(conditions)
        self._urgencies = tuple(urgencies)
        self._ranks = tuple(0 if u is None else u.rank for u in urgencies)
        self._excludes = tuple(excludes)
        self._caution_masks = tuple(caution_masks)
        self._fired = tuple(fired)
        self._rule_reasons = tuple(rule_reasons)
        self._prerequisite_reasons = {
            i: self._prerequisite_reason(e) for i, e in enumerate(exercises) if e.prerequisites
        }
        # Keyed by fact bit; a rule appears once per fact it mentions, in rule order.
        self._triggers = {bit: tuple(dict.fromkeys(rules)) for bit, rules in triggers.items()}
        self._safety = (
            (Reason(RULE_SAFETY, protocol.safety, protocol.safety_source or protocol.name),)
            if protocol.safety
            else ()
        )
        # Each exercise as most plans give it: with the safety advice and no rule's caution.
        # A value, so every such plan can share it.
        self._plain = tuple(Prescription(e, self._safety) for e in exercises)
        self._positions: dict[int, tuple[int, ...]] = {}
        self._at_step: dict[tuple[str, int], Prescription] = {}
        texts = protocol.texts
        self._unanswered = Reason(RULE_MISSING_INPUT, texts.withheld_unanswered, ENGINE_SOURCE)
        self._urgent = Reason(RULE_URGENCY, texts.withheld_urgent, ENGINE_SOURCE)

    @property
    def rule_urgencies(self) -> tuple[Urgency | None, ...]:
        """The urgency each rule refers to, in protocol order (``None``: it does not refer)."""
        return self._urgencies

    # -- compilation -------------------------------------------------------------------

    def _bit_for(self, name: str) -> int:
        """Give an undeclared fact a bit of its own; it is never present in an input."""
        bit = self.fact_bit.get(name)
        if bit is None:
            bit = 1 << len(self.fact_bit)
            self.fact_bit[name] = bit
        return bit

    def _fact_mask(self, names: Iterable[str]) -> int:
        mask = 0
        for name in names:
            mask |= self._bit_for(name)
        return mask

    def select(self, selector: Selector) -> int:
        """Return the bitmask of the exercises that ``selector`` matches."""
        if selector.all:
            return self.all_mask
        mask = 0
        for i, exercise in enumerate(self._protocol.exercises):
            if selector.matches(exercise):
                mask |= 1 << i
        return mask

    # -- evaluation --------------------------------------------------------------------

    def evaluate(
        self,
        facts: Iterable[str],
        *,
        missing: Iterable[str] = (),
        under_age: Urgency | None = None,
    ) -> Evaluation:
        """Evaluate the present ``facts``; ``missing`` names required inputs not yet given.

        ``under_age`` is the urgency of the scope's band for a person below its minimum age
        (``Scope.band``): every exercise is withheld and the urgency is at least that, outside
        the rules (the ``protocol.scope`` rule of the audit trail).

        Raises :class:`~backtriage.InvalidAnswerError` for a fact the protocol does not
        declare: a misspelt risk fact silently ignored would be a wrong "go ahead".
        """
        fact_bit = self.fact_bit
        declared = self._declared
        present = 0
        candidates: set[int] = set()
        triggers = self._triggers
        for name in facts:
            if name not in declared:
                raise InvalidAnswerError(
                    "facts", name, f"a fact declared by protocol {self._protocol.name!r}"
                )
            bit = fact_bit[name]
            present |= bit
            rules = triggers.get(bit)
            if rules:
                candidates.update(rules)
        conditions = self._conditions
        fired = [r for r in sorted(candidates) if conditions[r](present)]
        # The most urgent referral by rank (an int compares faster than an ordered enum).
        rank = 0  # Urgency.NONE
        excluded = 0
        ranks = self._ranks
        excludes = self._excludes
        for r in fired:
            if ranks[r] > rank:
                rank = ranks[r]
            excluded |= excludes[r]
        urgency = _BY_RANK[rank]
        unmet = 0
        for i, needed in self._prerequisites:
            if present & needed != needed:
                unmet |= 1 << i
        if under_age is not None and under_age > urgency:
            urgency = under_age
        missing = tuple(missing)
        blocked = bool(missing) or urgency in _ACT_NOW or under_age is not None
        given = 0 if blocked else self.all_mask & ~(excluded | unmet)
        # In field order: urgency, fired_indices, given, excluded, unmet, missing, engine,
        # under_age (positional: every plan makes one).
        return Evaluation(urgency, tuple(fired), given, excluded, unmet, missing, self, under_age)

    # -- explanation -------------------------------------------------------------------

    def _fired_rules(self, evaluation: Evaluation) -> tuple[FiredRule, ...]:
        fired = self._fired
        rules = tuple([fired[r] for r in evaluation.fired_indices])
        if evaluation.under_age is None:
            return rules
        return (self._scope_rule(evaluation.under_age), *rules)

    def _scope_rule(self, urgency: Urgency) -> FiredRule:
        protocol = self._protocol
        return FiredRule(
            RULE_SCOPE,
            protocol.texts.under_age_reason,
            protocol.scope.source or protocol.name,
            urgency,
        )

    def _prescriptions(self, evaluation: Evaluation) -> tuple[Prescription, ...]:
        exercises = self._protocol.exercises
        # Only the fired rules that caution something can change an exercise's cautions.
        cautioning = [self._caution_masks[r] for r in evaluation.fired_indices]
        cautioning = [masks for masks in cautioning if masks]
        if not cautioning:
            plain = self._plain
            return tuple([plain[i] for i in self._positions_of(evaluation.given_mask)])
        result = []
        for i in self._positions_of(evaluation.given_mask):
            bit = 1 << i
            cautions = list(self._safety)
            for masks in cautioning:
                for mask, reason in masks:
                    if mask & bit:
                        cautions.append(reason)
            result.append(
                Prescription(exercises[i], tuple(cautions))
                if len(cautions) > len(self._safety)
                else self._plain[i]
            )
        return tuple(result)

    def at_step(self, prescription: Prescription, step: int) -> Prescription:
        """Return ``prescription`` at ``step`` of its exercise (a course moves it along them).

        One with no rule's caution is made once per exercise and step, and shared as the
        first steps are.
        """
        if prescription.cautions is not self._safety:
            return Prescription(prescription.exercise, prescription.cautions, step)
        key = (prescription.exercise.id, step)
        found = self._at_step.get(key)
        if found is None or found.exercise is not prescription.exercise:
            found = Prescription(prescription.exercise, self._safety, step)
            self._at_step[key] = found
        return found

    def _withheld(self, evaluation: Evaluation) -> tuple[Withheld, ...]:
        exercises = self._protocol.exercises
        withheld_mask = self.all_mask & ~evaluation.given_mask
        if not withheld_mask:
            return ()
        general: list[Reason] = []
        if evaluation.under_age is not None:
            scope = self._scope_rule(evaluation.under_age)
            general.append(Reason(scope.rule, scope.reason, scope.source))
        if evaluation.missing:
            general.append(self._unanswered)
        if evaluation.urgency in _ACT_NOW:
            general.append(self._urgent)
        # Walk each fired rule's own mask: the work follows what the rules exclude, not
        # withheld exercises x fired rules.
        positions = self._positions_of
        reasons: dict[int, list[Reason]] = {i: list(general) for i in positions(withheld_mask)}
        for r in evaluation.fired_indices:
            excluded = self._excludes[r] & withheld_mask
            if excluded:
                reason = self._rule_reasons[r]
                for i in positions(excluded):
                    reasons[i].append(reason)
        unmet = evaluation.unmet_mask & withheld_mask
        if unmet:
            for i in positions(unmet):
                reasons[i].append(self._prerequisite_reasons[i])
        return tuple([Withheld(exercises[i], tuple(found)) for i, found in reasons.items()])

    def _positions_of(self, mask: int) -> tuple[int, ...]:
        """Return the positions of the set bits of ``mask``, lowest first; kept per mask."""
        found = self._positions.get(mask)
        if found is None:
            found = tuple(_bits(mask))
            if len(found) <= 64 and len(self._positions) < _POSITIONS_KEPT:
                self._positions[mask] = found
        return found

    def _prerequisite_reason(self, exercise: Exercise) -> Reason:
        needs = []
        for name in exercise.prerequisites:
            fact = self.fact_by_name.get(name)
            unlocked_by = (
                self.exercise_by_id.get(fact.unlocked_by) if fact and fact.unlocked_by else None
            )
            needs.append(unlocked_by.title if unlocked_by else name)
        return Reason(
            RULE_PREREQUISITE,
            f"{self._protocol.texts.not_yet} {'; '.join(needs)}.",
            ENGINE_SOURCE,
        )


@attrs.frozen
class Evaluation:
    """The compact result of evaluating facts: urgency, fired rules and exercise masks.

    ``prescriptions()`` and ``withheld()`` build the explained lists from it.
    """

    urgency: Urgency
    fired_indices: tuple[int, ...]
    given_mask: int
    excluded_mask: int
    unmet_mask: int
    missing: tuple[str, ...]
    engine: Engine = attrs.field(repr=False, eq=False)
    under_age: Urgency | None = None
    """The scope's urgency for a person below its minimum age; ``None`` within the scope."""

    @property
    def fired(self) -> tuple[FiredRule, ...]:
        """The rules that fired, in protocol order (the scope first, when it applies)."""
        return self.engine._fired_rules(self)

    def prescriptions(self) -> tuple[Prescription, ...]:
        """The exercises that may be done, in protocol order, each with its cautions."""
        return self.engine._prescriptions(self)

    def withheld(self) -> tuple[Withheld, ...]:
        """The exercises withheld, in protocol order, each with every reason."""
        return self.engine._withheld(self)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def engine_of(protocol: Protocol) -> Engine:
    """Return the compiled engine of ``protocol``, built on first use and kept with it."""
    found = protocol._cache.get("engine")
    if type(found) is Engine:  # the hot path of every plan: no call
        return found
    return cached(protocol, "engine", Engine, Engine)
