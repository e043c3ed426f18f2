"""Exact "when" questions about a protocol, answered from its monotone rules.

For an exercise or an urgency, the answer is the tuple of minimal *triggers*: the sets of facts
(and of capabilities that must be absent) under which the outcome happens. The rule language
has no negation, so every outcome is a monotone function of the facts (more risk, or fewer
capabilities, never gives an exercise back); its minimal true sets are exact and finite, and
they are found by expanding each rule's condition into its minimal sets of facts.

The search runs over the atoms of :mod:`backtriage.protocol._reasoner`, which owns the
expansion of a condition into its minimal sets; this module joins the rules' sets into the
sets of an outcome.

Queries range over answered assessments (every required input given): a missing input
withholds every exercise by the engine's own invariant and is not a trigger.

Everything here is worked out once per protocol (and ``limit``) and cached.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import attrs

from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.protocol._engine import engine_of
from backtriage.protocol._model import Caution, Exclude, Protocol, Refer, Urgency, cached
from backtriage.protocol._reasoner import (
    DEFAULT_LIMIT,
    RULE_PREREQUISITE,
    RULE_URGENCY,
    Answers,
    Space,
    each_bit,
    minimise,
    rule_terms,
)
from backtriage.protocol._reasoner import closure as closure_of

__all__ = [
    "DEFAULT_LIMIT",
    "Outcomes",
    "Trigger",
    "answers_for",
    "closure",
    "realisable",
    "search",
    "triggers_cautioned",
    "triggers_of_rule",
    "triggers_urgency",
    "triggers_withheld",
    "urgency_of",
]


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


# -- one protocol's outcomes in a space ---------------------------------------------------------


class Outcomes:
    """The outcomes of one protocol of a :class:`Space` as minimal terms, worked out lazily."""

    def __init__(self, space: Space, position: int, limit: int) -> None:
        self.space = space
        self.protocol = space.protocols[position]
        self.position = position
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
            terms = rule_terms(
                self.space, self.position, rule.condition, self.limit, f"rule {rule.id!r}"
            )
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
                invariants = [RULE_URGENCY] if urgent else []
                needs = (outcomes.atoms.get(n, 0) for n in exercise.prerequisites)
                if any(not atom or atom & absent for atom in needs):
                    invariants.append(RULE_PREREQUISITE)
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
    by_limit: dict[int, _Queries] = cached(protocol, "queries", dict, _no_queries)
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
    present = _names(present)
    read = _atoms_of(protocol, present, ())
    if isinstance(read, str):
        raise InvalidAnswerError("present", sorted(present), read)
    return frozenset(closure_of(protocol, present, answered=True))


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
        free = list(each_bit(releasing & ~present & ~absent))
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
