"""Exact "when" questions about a protocol, answered from its monotone rules.

For an exercise or an urgency, the answer is the tuple of minimal *triggers*: the sets of facts
(and of capabilities that must be absent) under which the outcome happens. The rule language
has no negation, so every outcome is a monotone function of the facts (more risk, or fewer
capabilities, never gives an exercise back); its minimal true sets are exact and finite, and
they are found by expanding each rule's condition into its minimal sets of facts.

The search runs over *atoms*, the answers an assessment can give: one per yes/no question, one
per directional preference, one per threshold of the ODI band, the STarT Back risk or the age.
Facts are read onto atoms, so that two facts with one meaning share an atom, a higher threshold
implies every lower one, and only one preference holds at a time. A set of atoms is kept as
an ``int`` bitmask; a term joins the atoms that must hold (low bits) and the capabilities that
must be absent (the same bits shifted up by the number of atoms), so that "this term is
implied by that one" is one mask test.

Queries range over answered assessments (every required input given): a missing input
withholds every exercise by the engine's own invariant and is not a trigger.

Everything here is worked out once per protocol (and ``limit``) and cached.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

import attrs

from backtriage.assessment import Preference
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import INPUT_SOURCES, required_inputs, threshold_of
from backtriage.protocol._model import (
    AllOf,
    AnyOf,
    Caution,
    Condition,
    DerivedFrom,
    Exclude,
    FactIs,
    FactKind,
    Protocol,
    Refer,
    Urgency,
    kept,
)

__all__ = [
    "DEFAULT_LIMIT",
    "PREREQUISITE_INVARIANT",
    "URGENCY_INVARIANT",
    "Answers",
    "Outcomes",
    "Space",
    "Trigger",
    "answers_for",
    "closure",
    "minimise",
    "realisable",
    "search",
    "triggers_cautioned",
    "triggers_of_rule",
    "triggers_urgency",
    "triggers_withheld",
    "urgency_of",
]

DEFAULT_LIMIT = 10_000
"""How many sets of facts a query may consider for one rule or one outcome before it stops."""

URGENCY_INVARIANT = "engine.urgency"
"""The rule id of the engine's invariant that a same-day or emergency urgency withholds all."""
PREREQUISITE_INVARIANT = "engine.prerequisite"
"""The rule id of the engine's invariant that an unmet prerequisite withholds its exercise."""

_PREFERENCES = frozenset(p.value for p in Preference)
_ANSWERED = (FactKind.RED_FLAG, FactKind.FINDING, FactKind.CAPABILITY)


def _names(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Trigger:
    """A minimal set of facts under which an outcome happens.

    ``present``: the facts that hold (derived facts included, and every fact they imply);
    ``absent``: the capabilities that must not hold; ``rules``: the rules, or engine
    invariants (``engine.urgency``, ``engine.prerequisite``), that produce the outcome.

    A trigger describes the case most favourable to the person: every capability not in
    ``absent`` is given, so no capability is ever listed in ``present``.
    """

    present: frozenset[str] = attrs.field(converter=_names)
    absent: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    rules: tuple[str, ...] = attrs.field(default=(), converter=_ids)


@attrs.frozen
class Answers:
    """One assessment's answers in the terms of a search: what :func:`example` builds from.

    ``yes``: the yes/no questions (red flags, findings, capabilities) answered yes, by name;
    ``preference``: the directional preference or ``None``; ``odi_band``,
    ``start_back_risk``: the rank of the band or risk to produce, or ``None`` for not given;
    ``age``: whole years or ``None``.
    """

    yes: frozenset[str]
    preference: str | None = None
    odi_band: int | None = None
    start_back_risk: int | None = None
    age: int | None = None


# -- the atoms of one or more protocols ---------------------------------------------------------

_Key = tuple[str, str | int]


def _bits(mask: int) -> Iterator[int]:
    """Yield each set bit of ``mask`` as a mask of its own, lowest first."""
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


class Space:
    """The atoms that the answers to one or more protocols set, and how they imply each other.

    With several protocols (a diff), an assessment answers every question of each, and one
    ODI, STarT Back and age serve all of them.
    """

    __slots__ = (
        "always",
        "answer_atoms",
        "capabilities",
        "fact_atoms",
        "implied",
        "implying",
        "keys",
        "preference_mask",
        "protocols",
        "required",
        "width",
        "youngest",
    )

    def __init__(self, protocols: Sequence[Protocol]) -> None:
        self.protocols = tuple(protocols)
        self.keys: list[_Key] = []
        index: dict[_Key, int] = {}
        self.fact_atoms: list[dict[str, int]] = []
        self.required: set[DerivedFrom] = set()
        self.capabilities = 0
        self.answer_atoms = 0
        self.preference_mask = 0

        def atom(key: _Key) -> int:
            if key not in index:
                index[key] = len(self.keys)
                self.keys.append(key)
            return 1 << index[key]

        for protocol in self.protocols:
            self.required.update(INPUT_SOURCES[name] for name in required_inputs(protocol))
            atoms: dict[str, int] = {}
            # The first declaration of a name counts, as in the engine.
            for fact in engine_of(protocol).fact_by_name.values():
                bit = 0
                if fact.kind in _ANSWERED:
                    bit = atom(("answer", fact.name))
                    self.answer_atoms |= bit
                    if fact.kind is FactKind.CAPABILITY:
                        self.capabilities |= bit
                elif fact.derive is not None:
                    derive = fact.derive
                    if derive.source is DerivedFrom.PREFERENCE:
                        if derive.equals in _PREFERENCES and derive.at_least is None:
                            bit = atom(("preference", derive.equals))
                            self.preference_mask |= bit
                    else:
                        least = threshold_of(derive)
                        if least is not None and derive.equals is None:
                            bit = atom((derive.source.value, least))
                atoms[fact.name] = bit  # 0: a fact no assessment can set
            self.fact_atoms.append(atoms)
        self.width = len(self.keys)
        self.implied: dict[int, int] = {}
        self.implying: dict[int, int] = {}
        self.always = 0
        # The questions are about the people within the scope: below a protocol's minimum age
        # no exercise is given whatever the answers, outside the rule language.
        self.youngest = max((p.scope.min_age or 0 for p in self.protocols), default=0)
        required = {source.value for source in self.required}
        for i, (kind, value) in enumerate(self.keys):
            bit = 1 << i
            implied = implying = bit
            if kind not in ("answer", "preference"):
                assert isinstance(value, int)
                for j, (other_kind, other) in enumerate(self.keys):
                    if other_kind == kind:
                        assert isinstance(other, int)
                        if other <= value:
                            implied |= 1 << j
                        if other >= value:
                            implying |= 1 << j
                # Every answered assessment gives a required input: its lowest threshold holds
                # (for the age, every threshold up to the youngest age within the scope).
                lowest = self.youngest if kind == DerivedFrom.AGE.value else 0
                if kind in required and value <= lowest:
                    self.always |= bit
            self.implied[bit] = implied
            self.implying[bit] = implying
        # A follow-up question is answered yes only after a yes to the question it follows.
        for protocol, atoms in zip(self.protocols, self.fact_atoms, strict=True):
            for fact in engine_of(protocol).fact_by_name.values():
                follow_up = atoms.get(fact.name, 0)
                condition = atoms.get(fact.asked_if or "", 0)
                if follow_up and condition and fact.kind in _ANSWERED:
                    self.implied[follow_up] |= condition
                    self.implying[condition] |= follow_up
        # Two protocols may chain follow-ups (one's condition is the other's follow-up): close
        # the implications, so that one step of close() reaches every condition.
        for table in (self.implied, self.implying):
            changed = True
            while changed:
                changed = False
                for bit, reach in table.items():
                    wider = reach
                    for other in _bits(reach):
                        wider |= table[other]
                    if wider != reach:
                        table[bit] = wider
                        changed = True

    def close(self, atoms: int) -> int:
        """Return ``atoms`` with every atom they imply, and the atoms that always hold."""
        closed = atoms | self.always
        for bit in _bits(atoms):
            closed |= self.implied[bit]
        return closed

    def close_absent(self, atoms: int) -> int:
        """Return ``atoms`` (that must not hold) with every atom that implies one of them."""
        closed = atoms
        for bit in _bits(atoms):
            closed |= self.implying[bit]
        return closed

    def feasible(self, present: int, absent: int = 0) -> bool:
        """Tell whether some assessment sets every atom of ``present`` and none of ``absent``.

        Both must be closed (:meth:`close`, :meth:`close_absent`).
        """
        return not present & absent and (present & self.preference_mask).bit_count() <= 1

    def term(self, present: int, absent: int = 0) -> int:
        """Return the term that joins ``present`` and ``absent`` (both closed)."""
        return present | absent << self.width

    def split(self, term: int) -> tuple[int, int]:
        """Return ``(present, absent)`` of ``term``."""
        return term & ((1 << self.width) - 1), term >> self.width

    def answers(self, present: int) -> Answers:
        """Return the answers that set exactly the closed atoms ``present``."""
        present = self.close(present)  # a follow-up's yes comes with its condition's
        yes: set[str] = set()
        preference: str | None = None
        levels: dict[str, int] = {}
        for bit in _bits(present):
            kind, value = self.keys[bit.bit_length() - 1]
            if kind == "answer":
                assert isinstance(value, str)
                yes.add(value)
            elif kind == "preference":
                assert isinstance(value, str)
                preference = value
            else:
                assert isinstance(value, int)
                levels[kind] = max(levels.get(kind, 0), value)

        def level(source: DerivedFrom) -> int | None:
            lowest = self.youngest if source is DerivedFrom.AGE else 0
            if source.value in levels:
                return max(levels[source.value], lowest)
            return lowest if source in self.required else None

        return Answers(
            yes=frozenset(yes),
            preference=preference,
            odi_band=level(DerivedFrom.ODI_BAND),
            start_back_risk=level(DerivedFrom.START_BACK_RISK),
            age=level(DerivedFrom.AGE),
        )


# -- minimal sets: expansion of conditions ------------------------------------------------------


def minimise(terms: Iterable[int]) -> list[int]:
    """Return the terms of which no other is a subset, smallest first (then by value)."""
    ordered = sorted(set(terms), key=lambda t: (t.bit_count(), t))
    kept: list[int] = []
    seen: set[int] = set()
    for term in ordered:
        size = term.bit_count()
        if size and 1 << size <= 4 * len(kept):
            # Few atoms: look up each proper subset instead of scanning every kept term.
            sub = (term - 1) & term
            covered = False
            while True:
                if sub in seen:
                    covered = True
                    break
                if not sub:
                    break
                sub = (sub - 1) & term
        else:
            covered = any(k & term == k for k in kept)
        if not covered:
            kept.append(term)
            seen.add(term)
    return kept


class _Expander:
    """Expand conditions into their minimal sets of atoms, stopping at ``limit``."""

    def __init__(self, space: Space, atoms: dict[str, int], limit: int, where: str) -> None:
        self.space = space
        self.atoms = atoms
        self.limit = limit
        self.where = where

    def too_many(self, count: int) -> ProtocolError:
        return ProtocolError(
            f"its condition has more than {self.limit} sets of facts to consider ({count}); "
            f"an exact answer needs limit={count} or more: pass limit= to raise the bound",
            where=self.where,
        )

    def check(self, count: int) -> None:
        if count > self.limit:
            raise self.too_many(count)

    def product(self, left: list[int], right: list[int]) -> list[int]:
        self.check(len(left) * len(right))
        feasible = self.space.feasible
        # The union of two closed sets is closed: no need to close again.
        return minimise(a | b for a in left for b in right if feasible(a | b))

    def expand(self, condition: Condition) -> list[int]:
        """Return the minimal closed atom sets under which ``condition`` holds."""
        if isinstance(condition, FactIs):
            bit = self.atoms.get(condition.fact, 0)
            return [self.space.close(bit)] if bit else []
        children = condition.conditions
        if isinstance(condition, AnyOf):
            terms = [t for c in children for t in self.expand(c)]
            self.check(len(terms))
            return minimise(terms)
        if isinstance(condition, AllOf):
            if not children:
                return []  # the engine reads an empty "all" as false
            result = [self.space.always]
            for child in children:
                result = self.product(result, self.expand(child))
                if not result:
                    break
            return result
        n = condition.n
        if n <= 0:
            return [self.space.always]
        k = len(children)
        if n > k:
            return []
        parts = [self.expand(c) for c in children]
        # ways[m]: the minimal sets that satisfy m of the children seen so far; only the counts
        # that the remaining children can still bring up to n are kept.
        ways: dict[int, list[int]] = {0: [self.space.always]}
        for j, part in enumerate(parts, start=1):
            low = max(0, n - (k - j))
            following: dict[int, list[int]] = {}
            for m in range(low, min(j, n) + 1):
                terms = list(ways.get(m, ()))
                if m >= 1 and m - 1 in ways:
                    terms.extend(self.product(ways[m - 1], part))
                self.check(len(terms))
                if terms:
                    following[m] = minimise(terms)
            ways = following
        return ways.get(n, [])


# -- one protocol's outcomes in a space ---------------------------------------------------------


class Outcomes:
    """The outcomes of one protocol of a :class:`Space` as minimal terms, worked out lazily."""

    def __init__(self, space: Space, position: int, limit: int) -> None:
        self.space = space
        self.protocol = space.protocols[position]
        self.atoms = space.fact_atoms[position]
        self.limit = limit
        self._rules: dict[int, list[int]] = {}
        self._withheld: dict[int, list[int]] = {}
        self._cautioned: dict[int, list[int]] = {}
        self._urgency: dict[Urgency, list[int]] = {}
        self.positions: dict[str, int] = {}
        for i, exercise in enumerate(self.protocol.exercises):
            self.positions.setdefault(exercise.id, i)
        self.refers: list[Urgency | None] = []
        self.excludes: list[int] = []
        self.cautions: list[int] = []
        engine = engine_of(self.protocol)
        for rule in self.protocol.rules:
            urgencies = [a.urgency for a in rule.actions if isinstance(a, Refer)]
            self.refers.append(max(urgencies) if urgencies else None)
            excluded = cautioned = 0
            for action in rule.actions:
                if isinstance(action, Exclude):
                    excluded |= engine.select(action.select)
                elif isinstance(action, Caution):
                    cautioned |= engine.select(action.select)
            self.excludes.append(excluded)
            self.cautions.append(cautioned)

    def rule(self, index: int) -> list[int]:
        """Return the minimal terms under which the rule at ``index`` fires."""
        terms = self._rules.get(index)
        if terms is None:
            rule = self.protocol.rules[index]
            expander = _Expander(self.space, self.atoms, self.limit, f"rule {rule.id!r}")
            terms = expander.expand(rule.condition)
            mentioned = [self.atoms.get(name, 0) for name in _facts_of(rule.condition)]
            mask = 0
            for bit in mentioned:
                mask |= bit
            if any(not t & mask for t in terms):
                # The engine looks at a rule only once one of its facts holds: a condition
                # true on no facts (at_least 0) needs one of them.
                singles = [self.space.close(bit) for bit in mentioned if bit]
                terms = expander.product(terms, singles)
            self._rules[index] = terms
        return terms

    def _union(self, indices: Iterable[int], extra: Iterable[int], what: str) -> list[int]:
        terms = list(extra)
        for index in indices:
            terms.extend(self.rule(index))
            if len(terms) > self.limit:
                raise ProtocolError(
                    f"{what} has more than {self.limit} sets of facts to consider; pass a "
                    "larger limit= to compute it anyway",
                    where=f"protocol {self.protocol.name!r}",
                )
        return minimise(terms)

    def exercise_position(self, exercise_id: str) -> int:
        position = self.positions.get(exercise_id)
        if position is None:
            ids = ", ".join(self.positions) or "(none)"
            raise InvalidAnswerError(
                "exercise_id", exercise_id, f"an exercise id of {self.protocol.name!r}: {ids}"
            )
        return position

    def withheld(self, position: int) -> list[int]:
        """Return the minimal terms under which the exercise at ``position`` is withheld."""
        terms = self._withheld.get(position)
        if terms is None:
            bit = 1 << position
            indices = [
                i
                for i in range(len(self.refers))
                if self.excludes[i] & bit or _blocks(self.refers[i])
            ]
            exercise = self.protocol.exercises[position]
            unmet = []
            for name in exercise.prerequisites:
                atom = self.atoms.get(name, 0)
                # A prerequisite no assessment can set is never met: withheld always.
                absent = self.space.close_absent(atom) if atom else 0
                if self.space.feasible(self.space.always, absent):
                    unmet.append(self.space.term(self.space.always, absent))
            terms = self._union(indices, unmet, f"withholding {exercise.id!r}")
            self._withheld[position] = terms
        return terms

    def cautioned(self, position: int) -> list[int]:
        """Return the minimal terms under which a caution applies to the exercise."""
        terms = self._cautioned.get(position)
        if terms is None:
            bit = 1 << position
            indices = [i for i in range(len(self.cautions)) if self.cautions[i] & bit]
            what = f"cautioning {self.protocol.exercises[position].id!r}"
            terms = self._union(indices, (), what)
            self._cautioned[position] = terms
        return terms

    def urgency(self, level: Urgency) -> list[int]:
        """Return the minimal terms under which the urgency is at least ``level``."""
        terms = self._urgency.get(level)
        if terms is None:
            if level is Urgency.NONE:
                terms = [self.space.always]
            else:
                indices = [i for i, u in enumerate(self.refers) if u is not None and u >= level]
                terms = self._union(indices, (), f"urgency {level.value}")
            self._urgency[level] = terms
        return terms

    def fires(self, index: int, present: int) -> bool:
        """Tell whether the rule at ``index`` fires when exactly ``present`` holds."""
        return any(t & present == t for t in self.rule(index))

    def facts(self, atoms: int) -> frozenset[str]:
        """Return the names of this protocol's facts that the atoms set."""
        return frozenset(name for name, bit in self.atoms.items() if bit and bit & atoms)

    def trigger(
        self, term: int, rules: Iterable[int], invariants: Sequence[str], *, given: int = 0
    ) -> Trigger:
        """Return the trigger of ``term``, naming the rules that fire on it (with ``given``)."""
        present, absent = self.split(term)
        held = present | (given & ~absent)
        ids = [self.protocol.rules[i].id for i in rules if self.fires(i, held)]
        return Trigger(self.facts(present), self.facts(absent), (*ids, *invariants))

    def split(self, term: int) -> tuple[int, int]:
        return self.space.split(term)


def _blocks(urgency: Urgency | None) -> bool:
    return urgency is not None and urgency >= Urgency.SAME_DAY


def _facts_of(condition: Condition) -> Iterator[str]:
    if isinstance(condition, FactIs):
        yield condition.fact
    else:
        for child in condition.conditions:
            yield from _facts_of(child)


# -- the queries --------------------------------------------------------------------------------


class _Queries:
    """The queries of one protocol, each answered once."""

    def __init__(self, protocol: Protocol, limit: int) -> None:
        self.outcomes = Outcomes(Space((protocol,)), 0, limit)
        self._answers: dict[tuple[str, object], tuple[Trigger, ...]] = {}

    def _sorted(self, triggers: Iterable[Trigger]) -> tuple[Trigger, ...]:
        order = {name: i for i, name in enumerate(self.outcomes.atoms)}

        def key(t: Trigger) -> tuple[int, list[int], list[int]]:
            return (
                len(t.present) + len(t.absent),
                sorted(order.get(n, len(order)) for n in t.present),
                sorted(order.get(n, len(order)) for n in t.absent),
            )

        return tuple(sorted(triggers, key=key))

    def withheld(self, exercise_id: str) -> tuple[Trigger, ...]:
        key = ("withheld", exercise_id)
        if key not in self._answers:
            outcomes = self.outcomes
            position = outcomes.exercise_position(exercise_id)
            bit = 1 << position
            exercise = outcomes.protocol.exercises[position]
            excluding = [i for i, m in enumerate(outcomes.excludes) if m & bit]
            blocking = [i for i, u in enumerate(outcomes.refers) if _blocks(u)]
            triggers = []
            for term in outcomes.withheld(position):
                present, absent = outcomes.split(term)
                urgent = any(outcomes.fires(i, present) for i in blocking)
                invariants = [URGENCY_INVARIANT] if urgent else []
                needs = (outcomes.atoms.get(n, 0) for n in exercise.prerequisites)
                if any(not atom or atom & absent for atom in needs):
                    invariants.append(PREREQUISITE_INVARIANT)
                rules = sorted({*excluding, *(blocking if urgent else ())})
                triggers.append(outcomes.trigger(term, rules, invariants))
            self._answers[key] = self._sorted(triggers)
        return self._answers[key]

    def cautioned(self, exercise_id: str) -> tuple[Trigger, ...]:
        key = ("cautioned", exercise_id)
        if key not in self._answers:
            outcomes = self.outcomes
            position = outcomes.exercise_position(exercise_id)
            bit = 1 << position
            cautioning = [i for i, m in enumerate(outcomes.cautions) if m & bit]
            # A trigger describes the case most favourable to the person, in which every
            # capability not in ``absent`` is given: a caution on a capability needs none.
            capabilities = outcomes.space.capabilities
            terms = minimise(t & ~capabilities for t in outcomes.cautioned(position))
            favourable = capabilities & ~outcomes.space.always
            self._answers[key] = self._sorted(
                outcomes.trigger(term, cautioning, (), given=favourable) for term in terms
            )
        return self._answers[key]

    def urgency(self, level: Urgency) -> tuple[Trigger, ...]:
        key = ("urgency", level)
        if key not in self._answers:
            outcomes = self.outcomes
            referring = [i for i, u in enumerate(outcomes.refers) if u is not None and u >= level]
            self._answers[key] = self._sorted(
                outcomes.trigger(term, referring, ()) for term in outcomes.urgency(level)
            )
        return self._answers[key]

    def rule(self, rule_id: str) -> tuple[Trigger, ...]:
        key = ("rule", rule_id)
        if key not in self._answers:
            outcomes = self.outcomes
            ids = [r.id for r in outcomes.protocol.rules]
            if rule_id not in ids:
                raise InvalidAnswerError(
                    "rule_id", rule_id, f"a rule id of {outcomes.protocol.name!r}"
                )
            index = ids.index(rule_id)
            self._answers[key] = self._sorted(
                outcomes.trigger(term, [index], ()) for term in outcomes.rule(index)
            )
        return self._answers[key]


def _queries(protocol: Protocol, limit: int) -> _Queries:
    # Kept with the protocol (its cache, one entry per limit): a lookup, where hashing the
    # whole protocol on every query cost more than answering most of them.
    by_limit: dict[int, _Queries] = kept(protocol, "queries", dict, _no_queries)
    found = by_limit.get(limit)
    if found is None:
        found = by_limit.setdefault(limit, _Queries(protocol, limit))
    return found


def _no_queries(protocol: Protocol) -> dict[int, _Queries]:
    return {}


def _for(protocol: object, limit: object) -> _Queries:
    if not isinstance(protocol, Protocol):
        raise InvalidAnswerError("protocol", protocol, "a Protocol")
    if type(limit) is not int or limit < 1:
        raise InvalidAnswerError("limit", limit, "a whole number of 1 or more")
    return _queries(protocol, limit)


def _level(level: object) -> Urgency:
    if isinstance(level, Urgency):
        return level
    if type(level) is str and level in Urgency._value2member_map_:
        return Urgency(level)
    allowed = ", ".join(u.value for u in Urgency)
    raise InvalidAnswerError("level", level, f"an Urgency: {allowed}")


def triggers_withheld(
    protocol: Protocol, exercise_id: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which ``exercise_id`` is withheld, smallest first.

    Counts the rules that exclude it, every rule that refers same day or emergency (the engine
    then withholds everything) and its unmet prerequisites (``absent``). Raises
    :class:`~backtriage.ProtocolError` when more than ``limit`` sets of facts would have to be
    considered for one rule or for the outcome.
    """
    return _for(protocol, limit).withheld(exercise_id)


def triggers_cautioned(
    protocol: Protocol, exercise_id: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which a caution applies to ``exercise_id``.

    A caution applies when its rule fires, whether or not the exercise is also withheld.
    """
    return _for(protocol, limit).cautioned(exercise_id)


def triggers_urgency(
    protocol: Protocol, level: Urgency, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal triggers under which the urgency is at least ``level``.

    For ``Urgency.NONE`` that is every assessment: one trigger of the facts that always hold.
    """
    return _for(protocol, limit).urgency(_level(level))


def triggers_of_rule(
    protocol: Protocol, rule_id: str, *, limit: int = DEFAULT_LIMIT
) -> tuple[Trigger, ...]:
    """Return the minimal sets of facts under which the rule ``rule_id`` fires."""
    return _for(protocol, limit).rule(rule_id)


def _atoms_of(
    protocol: Protocol, present: Iterable[str], absent: Iterable[str]
) -> tuple[Outcomes, int, int, frozenset[str], frozenset[str]] | str:
    """Read ``present`` and ``absent`` onto atoms; return why not when no assessment can."""
    outcomes = _for(protocol, DEFAULT_LIMIT).outcomes
    present = _names(present)
    absent = _names(absent)
    atoms = outcomes.atoms
    for name in sorted(present | absent):
        if name not in atoms:
            raise InvalidAnswerError(
                "present" if name in present else "absent",
                name,
                f"a fact declared by protocol {protocol.name!r}",
            )
    on = 0
    for name in present:
        if not atoms[name]:
            return f"no assessment can set {name!r}"
        on |= atoms[name]
    off = 0
    for name in absent:
        if not atoms[name] or not atoms[name] & outcomes.space.answer_atoms:
            return f"{name!r} is not a question answered yes or no, so it cannot be left absent"
        off |= atoms[name]
    return outcomes, on, off, present, absent


def realisable(protocol: Protocol, present: Iterable[str], absent: Iterable[str] = ()) -> bool:
    """Tell whether some answered assessment sets exactly the facts ``present``.

    Every fact that ``present`` implies (a lower threshold of the same score, the other facts
    of the same preference, a lowest threshold of a required input) must be listed too, and no
    two preferences; ``absent`` names yes/no questions (capabilities) outside ``present``.
    Raises :class:`~backtriage.InvalidAnswerError` for a name the protocol does not declare.
    """
    read = _atoms_of(protocol, present, absent)
    if isinstance(read, str):
        return False
    return _why_not(read) is None


def _why_not(read: tuple[Outcomes, int, int, frozenset[str], frozenset[str]]) -> str | None:
    outcomes, on, _, present, absent = read
    space = outcomes.space
    closed = space.close(on)
    if present & absent:
        return f"{sorted(present & absent)[0]!r} cannot be both present and absent"
    if not space.feasible(closed):
        return "only one directional preference holds at a time"
    implied = outcomes.facts(closed) - present
    if implied:
        return f"{sorted(implied)[0]!r} holds whenever these facts do, so it must be listed too"
    return None


def answers_for(protocol: Protocol, present: Iterable[str], absent: Iterable[str] = ()) -> Answers:
    """Return the answers that set exactly the facts ``present`` (see :func:`realisable`).

    Raises :class:`~backtriage.InvalidAnswerError` (field ``present``) when none can.
    """
    read = _atoms_of(protocol, present, absent)
    why = read if isinstance(read, str) else _why_not(read)
    if why is not None:
        listed = sorted(_names(present))
        raise InvalidAnswerError(
            "present", listed, f"a set of facts some assessment can produce ({why})"
        )
    assert not isinstance(read, str)
    outcomes, on, _, _, _ = read
    return outcomes.space.answers(outcomes.space.close(on))


def closure(protocol: Protocol, present: Iterable[str]) -> frozenset[str]:
    """Return the facts that hold whenever every fact of ``present`` holds (``present`` too).

    A lower threshold of the same score, the facts of the same preference, and the lowest
    threshold of a required input are added.
    """
    read = _atoms_of(protocol, present, ())
    if isinstance(read, str):
        raise InvalidAnswerError("present", sorted(_names(present)), read)
    outcomes, on, _, _, _ = read
    return outcomes.facts(outcomes.space.close(on)) | _names(present)


def urgency_of(protocol: Protocol, present: Iterable[str]) -> Urgency:
    """Return the urgency that the facts ``present`` (and what they imply) reach on their own."""
    facts = closure(protocol, present)
    queries = _for(protocol, DEFAULT_LIMIT)
    outcomes = queries.outcomes
    atoms = 0
    for name in facts:
        atoms |= outcomes.atoms[name]
    reached = [
        u for i, u in enumerate(outcomes.refers) if u is not None and outcomes.fires(i, atoms)
    ]
    return max(reached, default=Urgency.NONE)


def search(
    space: Space,
    wanted: Sequence[int],
    avoided: Sequence[int],
    *,
    limit: int = DEFAULT_LIMIT,
) -> int | None:
    """Return the smallest closed atom set that meets a term of ``wanted`` and none of
    ``avoided``, or ``None`` when there is none.

    A term of ``avoided`` holds when its atoms do and its absent atoms do not; only adding one
    of its absent atoms (a capability) can make it false. So the witness keeps the atoms of the
    wanted term, adds no other atom except such capabilities, and tries them fewest first.
    """
    releasing = 0
    for term in avoided:
        releasing |= space.split(term)[1]
    for term in sorted(wanted, key=lambda t: (t.bit_count(), t)):
        present, absent = space.split(term)
        free = list(_bits(releasing & ~present & ~absent))
        if 1 << len(free) > limit:
            raise ProtocolError(
                f"{len(free)} capabilities would have to be tried together; pass a larger "
                "limit= to search them anyway",
                where="the search for a witness",
            )
        for size in range(len(free) + 1):
            for chosen in itertools.combinations(free, size):
                atoms = present | sum(chosen)
                if not any(_meets(space, t, atoms) for t in avoided):
                    return atoms
    return None


def _meets(space: Space, term: int, atoms: int) -> bool:
    present, absent = space.split(term)
    return present & atoms == present and not absent & atoms
