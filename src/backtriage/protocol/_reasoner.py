"""The one reasoner over the rule language: atoms, closure, minimal fact sets, assessments.

Everything that reasons about what a condition means lives here, and the engine, the static
checks, the queries, the review and the testing kit call it:

- the rule ids of the engine's own reasons (spelled here only);
- the facts a condition names, and a condition compiled to a test on a bitmask of facts (the
  engine's form) or evaluated on a set of fact names;
- *atoms*, the answers an assessment can give: one per yes/no question, one per directional
  preference, one per threshold of a scored questionnaire's level or of the age. Facts are
  read onto atoms, so that two facts with one meaning share an atom, a higher threshold implies
  every lower one (the closure), only one preference holds at a time, and the lowest threshold
  of a required input holds for every answered assessment (the always-present facts);
- the minimal sets of atoms under which a condition holds, exact because the rule language has
  no negation: every condition is a monotone function of the facts;
- the assessment that gives a set of atoms, for examples, seeds and witnesses.

A set of atoms is an ``int`` bitmask. A *term* joins the atoms that must hold (low bits) and
the capabilities that must be absent (the same bits shifted up by the number of atoms), so that
"this term is implied by that one" is one mask test.

The loader refuses the conditions whose meaning would be a matter of taste (an empty list,
``at_least`` 0 or above the length of its list). A protocol built in Python may still hold one;
:meth:`Protocol.check` reports it, and the meaning given here is the engine's: an empty list is
false, ``at_least`` 0 is true, and a rule is only looked at once a fact it names holds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TypeAlias

import attrs

from backtriage.assessment import Assessment, Preference
from backtriage.errors import ProtocolError
from backtriage.protocol._inputs import (
    AGE_INPUT,
    INPUT_SOURCES,
    SCORED_BY_SOURCE,
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
    Protocol,
    cached,
)

__all__ = [
    "DEFAULT_LIMIT",
    "ENGINE_RULES",
    "ENGINE_SOURCE",
    "RESERVED_RULE_PREFIXES",
    "RULE_MISSING_INPUT",
    "RULE_NOT_IMPROVING",
    "RULE_PREREQUISITE",
    "RULE_SAFETY",
    "RULE_SCOPE",
    "RULE_STOPPED",
    "RULE_TREND_WORSE",
    "RULE_URGENCY",
    "STEP_RULES",
    "Answers",
    "Expander",
    "Space",
    "Test",
    "always_present",
    "assessment_for",
    "closure",
    "compile_condition",
    "declared_facts",
    "each_bit",
    "facts_of",
    "fires",
    "holds",
    "minimal_sets",
    "minimise",
    "rule_terms",
    "space_of",
]

# -- the engine's own rule ids ------------------------------------------------------------------

ENGINE_SOURCE = "backtriage engine invariant"
"""The source of every reason the engine itself gives."""
RULE_MISSING_INPUT = "engine.missing_input"
"""The rule id of the reason for withholding everything while a required input is missing."""
RULE_URGENCY = "engine.urgency"
"""The rule id of the reason for withholding everything at same_day or emergency."""
RULE_PREREQUISITE = "engine.prerequisite"
"""The rule id of the reason for withholding an exercise whose prerequisite is not met."""
RULE_SAFETY = "protocol.safety"
"""The rule id of the protocol's safety advice, a caution on every prescription."""
RULE_SCOPE = "protocol.scope"
"""The rule id of the scope: below its minimum age, no exercise and at least the band's urgency."""
ENGINE_RULES = frozenset({RULE_MISSING_INPUT, RULE_URGENCY, RULE_PREREQUISITE})
"""The rule ids of the engine's invariants (every one withholds)."""
RULE_STOPPED = "follow_up.stopped"
"""The rule id of the reason for withholding an exercise a follow-up stopped by its pain."""
STEP_RULES: Mapping[str, str] = MappingProxyType(
    {
        "start": "follow_up.start",
        "progress": "follow_up.progress",
        "hold": "follow_up.hold",
        "hold_last_step": "follow_up.hold_last_step",
        "not_done": "follow_up.not_done",
        "not_reported": "follow_up.not_reported",
        "regress": "follow_up.regress",
        "stop": RULE_STOPPED,
        "resume": "follow_up.resume",
        "restart": "follow_up.restart",
    }
)
"""The rule ids of a follow-up's step decisions, by the name of the follow-up text that gives
their reason: stable names an app can switch on."""
RULE_TREND_WORSE = "follow_up.trend_worse"
"""The rule id of the routine review when a score the follow-up compares is worse than at
the start."""
RULE_NOT_IMPROVING = "follow_up.not_improving"
"""The rule id of the routine review when, six weeks on, neither has improved."""
RESERVED_RULE_PREFIXES = ("engine.", "protocol.", "follow_up.")
"""Rule ids starting so are the engine's own: a protocol's rule may not use them."""

DEFAULT_LIMIT = 10_000
"""How many sets of facts a search may consider for one rule or one outcome before it stops."""

# -- conditions on facts ------------------------------------------------------------------------

Test: TypeAlias = Callable[[int], bool]
"""A compiled condition: true or false on a bitmask of the facts present."""


def facts_of(condition: Condition) -> Iterator[str]:
    """Yield every fact name that ``condition`` mentions, in order (repeats included)."""
    if isinstance(condition, FactIs):
        yield condition.fact
    else:
        for child in condition.conditions:
            yield from facts_of(child)


def compile_condition(condition: Condition, bit_of: Callable[[str], int]) -> Test:
    """Return ``condition`` as a test on a bitmask of facts; ``bit_of`` gives a fact's bit."""
    if isinstance(condition, FactIs):
        bit = bit_of(condition.fact)
        return lambda present: bool(present & bit)
    children = condition.conditions
    names = [c.fact for c in children if isinstance(c, FactIs)]
    if len(names) == len(children):
        # The common case, flattened to one mask operation.
        mask = 0
        for name in names:
            mask |= bit_of(name)
        if isinstance(condition, AllOf):
            return lambda present: bool(children) and present & mask == mask
        if isinstance(condition, AnyOf):
            return lambda present: bool(present & mask)
        # A fact listed twice counts twice, as it does when nested: only distinct facts
        # may be counted as bits.
        if len(set(names)) == len(names):
            n = condition.n
            return lambda present: (present & mask).bit_count() >= n
    tests = tuple(compile_condition(c, bit_of) for c in children)
    if isinstance(condition, AllOf):
        return lambda present: bool(tests) and all(t(present) for t in tests)
    if isinstance(condition, AnyOf):
        return lambda present: any(t(present) for t in tests)
    n = condition.n
    return lambda present: sum(1 for t in tests if t(present)) >= n


def holds(condition: Condition, facts: Collection[str]) -> bool:
    """Tell whether ``condition`` is true when exactly ``facts`` hold."""
    bits: dict[str, int] = {}
    test = compile_condition(condition, lambda name: bits.setdefault(name, 1 << len(bits)))
    present = 0
    for name in facts:
        present |= bits.get(name, 0)
    return test(present)


def fires(condition: Condition, facts: Collection[str]) -> bool:
    """Tell whether a rule on ``condition`` fires when exactly ``facts`` hold.

    As in the engine: the condition holds, and a fact it names is present (the engine looks at
    a rule only then).
    """
    return any(name in facts for name in facts_of(condition)) and holds(condition, facts)


# -- the atoms of one or more protocols ---------------------------------------------------------

_PREFERENCES = frozenset(p.value for p in Preference)
_SCORED_SOURCES = tuple((source, instrument.key) for source, instrument in SCORED_BY_SOURCE.items())
_SCORED_BY_KEY = {instrument.key: instrument for instrument in SCORED_BY_SOURCE.values()}
_ANSWERED = (FactKind.RED_FLAG, FactKind.FINDING, FactKind.CAPABILITY)
_Key = tuple[str, str | int]


def declared_facts(protocol: Protocol) -> dict[str, Fact]:
    """Return the facts of ``protocol`` by name; the first declaration of a name counts."""
    first: dict[str, Fact] = {}
    for fact in protocol.facts:
        first.setdefault(fact.name, fact)
    return first


def each_bit(mask: int) -> Iterator[int]:
    """Yield each set bit of ``mask`` as a mask of its own, lowest first."""
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


def _frozen_ranks(value: Mapping[str, int]) -> Mapping[str, int]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class Answers:
    """One assessment's answers in the terms of atoms: what :func:`assessment_for` builds from.

    ``yes``: the yes/no questions (red flags, findings, capabilities) answered yes, by name;
    ``preference``: the directional preference or ``None``; ``ranks``: the rank of the level
    to produce of each scored questionnaire given, by its key (absent: not given); ``age``:
    whole years or ``None``.
    """

    yes: frozenset[str]
    preference: str | None = None
    ranks: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_ranks, hash=False)
    age: int | None = None


class Space:
    """The atoms that the answers to one or more protocols set, and how they imply each other.

    With several protocols (a diff), an assessment answers every question of each, and one
    answer to each scored questionnaire and one age serve all of them. ``fact_atoms[i]`` maps each fact of the i-th
    protocol to its atom (0 for a fact no assessment can set).
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
            for fact in declared_facts(protocol).values():
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
            for fact in declared_facts(protocol).values():
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
                    for other in each_bit(reach):
                        wider |= table[other]
                    if wider != reach:
                        table[bit] = wider
                        changed = True

    def implies(self, atoms: int) -> int:
        """Return ``atoms`` with every atom they imply (a lower threshold of the same score)."""
        closed = atoms
        for bit in each_bit(atoms):
            closed |= self.implied[bit]
        return closed

    def close(self, atoms: int) -> int:
        """Return ``atoms`` with every atom they imply, and the atoms that always hold."""
        return self.implies(atoms | self.always)

    def strongest(self, atoms: int) -> int:
        """Return the atoms of ``atoms`` that no other of them implies (the highest threshold
        of each score)."""
        top = atoms
        for bit in each_bit(atoms):
            top &= ~(self.implied[bit] & ~bit)
        return top

    def generators(self, atoms: int) -> int:
        """Return the atoms of the closed ``atoms`` that neither another of them implies nor
        every answered assessment holds: the fewest that close to ``atoms`` again."""
        return self.strongest(atoms) & ~self.always

    def close_absent(self, atoms: int) -> int:
        """Return ``atoms`` (that must not hold) with every atom that implies one of them."""
        closed = atoms
        for bit in each_bit(atoms):
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

    def atoms_of(self, facts: Iterable[str], position: int = 0) -> int | None:
        """Return the atoms that the facts of the protocol at ``position`` set, or ``None``
        when one of them is not declared or no assessment can set it."""
        atoms = self.fact_atoms[position]
        on = 0
        for name in facts:
            bit = atoms.get(name, 0)
            if not bit:
                return None
            on |= bit
        return on

    def facts(self, atoms: int, position: int = 0) -> frozenset[str]:
        """Return the names of the facts of the protocol at ``position`` that the atoms set."""
        return frozenset(n for n, bit in self.fact_atoms[position].items() if bit & atoms)

    def answers(self, present: int) -> Answers:
        """Return the answers that set exactly the closed atoms ``present``."""
        present = self.close(present)  # a follow-up's yes comes with its condition's
        yes: set[str] = set()
        preference: str | None = None
        levels: dict[str, int] = {}
        for bit in each_bit(present):
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

        ranks = {
            key: rank for source, key in _SCORED_SOURCES if (rank := level(source)) is not None
        }
        return Answers(
            yes=frozenset(yes),
            preference=preference,
            ranks=ranks,
            age=level(DerivedFrom.AGE),
        )


def space_of(protocol: Protocol) -> Space:
    """Return the atoms of ``protocol`` alone, worked out on first use and kept with it."""
    return cached(protocol, "space", Space, _space_alone)


def _space_alone(protocol: Protocol) -> Space:
    return Space((protocol,))


# -- closure and the always-present facts -------------------------------------------------------


def always_present(protocol: Protocol) -> tuple[str, ...]:
    """Return the lowest threshold of each required input, in protocol order.

    Every answered assessment gives each required input, so a threshold at its lowest value
    (a questionnaire's lowest level, age 0) always holds. (:meth:`Space.close` also adds the
    age thresholds up to the youngest age within the scope; the static checks read the
    protocol without its scope.)
    """
    space = space_of(protocol)
    lowest = 0
    for i, (_, value) in enumerate(space.keys):
        if value == 0:
            lowest |= 1 << i
    always = space.always & lowest
    return tuple(name for name, bit in space.fact_atoms[0].items() if bit & always)


def closure(protocol: Protocol, facts: Iterable[str], *, answered: bool = False) -> tuple[str, ...]:
    """Return ``facts`` with every fact they imply, in protocol order.

    A threshold fact implies every declared fact of the same source with a lower or equal
    threshold (a level of at least "high" is also at least "medium"), a preference
    every fact of that preference. With ``answered``, the facts every answered assessment
    holds (:func:`always_present`) are added too. An undeclared name is left out; a declared
    fact no assessment can set is kept as it is.
    """
    space = space_of(protocol)
    atoms = space.fact_atoms[0]  # in protocol order
    named = {name for name in facts if name in atoms}
    on = 0
    for name in named:
        on |= atoms[name]
    closed = space.close(on) if answered else space.implies(on)
    return tuple(name for name, bit in atoms.items() if bit & closed or name in named)


# -- minimal sets: expansion of conditions ------------------------------------------------------


def minimise(terms: Iterable[int]) -> list[int]:
    """Return the terms of which no other is a subset, smallest first (then by value)."""
    ordered = sorted(set(terms), key=lambda t: (t.bit_count(), t))
    minimal: list[int] = []
    seen: set[int] = set()
    for term in ordered:
        size = term.bit_count()
        if size and 1 << size <= 4 * len(minimal):
            # Few atoms: look up each proper subset instead of scanning every minimal term.
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
            covered = any(k & term == k for k in minimal)
        if not covered:
            minimal.append(term)
            seen.add(term)
    return minimal


class Expander:
    """Expand conditions into their minimal closed sets of atoms, stopping at ``limit``.

    Raises :class:`~backtriage.ProtocolError` (``where``) when more than ``limit`` sets would
    have to be considered at one step.
    """

    def __init__(self, space: Space, atoms: dict[str, int], limit: int, where: str) -> None:
        self.space = space
        self.atoms = atoms
        self.limit = limit
        self.where = where

    def check(self, count: int) -> None:
        if count > self.limit:
            raise ProtocolError(
                f"its condition has more than {self.limit} sets of facts to consider ({count}); "
                f"an exact answer needs limit={count} or more: pass limit= to raise the bound",
                where=self.where,
            )

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

    def rule(self, condition: Condition) -> list[int]:
        """Return the minimal closed atom sets under which a rule on ``condition`` fires."""
        terms = self.expand(condition)
        mentioned = [self.atoms.get(name, 0) for name in facts_of(condition)]
        mask = 0
        for bit in mentioned:
            mask |= bit
        if any(not t & mask for t in terms):
            # The engine looks at a rule only once one of its facts holds: a condition true on
            # no facts (at_least 0, which only a protocol built in Python can hold) needs one.
            singles = [self.space.close(bit) for bit in mentioned if bit]
            terms = self.product(terms, singles)
        return terms


def rule_terms(
    space: Space, position: int, condition: Condition, limit: int, where: str
) -> list[int]:
    """Return the minimal closed atom sets under which a rule on ``condition`` fires.

    ``position`` picks the protocol of ``space`` the condition belongs to.
    """
    return Expander(space, space.fact_atoms[position], limit, where).rule(condition)


def minimal_sets(
    protocol: Protocol, condition: Condition, *, limit: int = DEFAULT_LIMIT
) -> list[frozenset[str]]:
    """Return the minimal sets of facts under which a rule on ``condition`` fires.

    Over answered assessments: a set leaves out what its facts imply and the facts every
    answered assessment holds (:func:`closure` with ``answered`` adds them back). Sets no
    assessment can have (two preferences at once, a fact nobody can set) are left out.
    Smallest first. Raises :class:`~backtriage.ProtocolError` when more than ``limit`` sets
    would have to be considered at one step.
    """
    space = space_of(protocol)
    terms = rule_terms(space, 0, condition, limit, "the condition")
    found = [space.facts(space.generators(term)) for term in terms]
    return sorted(found, key=lambda s: (len(s), sorted(s)))


# -- from atoms to an assessment ----------------------------------------------------------------


def assessment_for(
    protocol: Protocol,
    answers: Answers,
    *,
    unanswered: Collection[str] = (),
    plainest: bool = False,
) -> Assessment:
    """Return the assessment that gives ``answers`` to ``protocol``'s questions.

    Every red flag, finding and capability is answered (yes when in ``answers.yes``), except
    the names in ``unanswered``, left without an answer; an input name there (a scored
    questionnaire's key, ``age``) leaves that input out. With ``plainest``, a finding or
    capability is answered only when it is yes or required. A scored questionnaire's answers
    are chosen with the fewest points that reach the level asked for.
    """
    facts = declared_facts(protocol).values()
    red_flags = {
        f.name: None if f.name in unanswered else f.name in answers.yes
        for f in facts
        if f.kind is FactKind.RED_FLAG
    }
    findings = {
        f.name: None if f.name in unanswered else f.name in answers.yes
        for f in facts
        if f.kind in (FactKind.FINDING, FactKind.CAPABILITY)
        and (not plainest or f.required or f.name in answers.yes)
    }
    scored = {
        key: dict(_answers_at(key, rank))
        for key, rank in answers.ranks.items()
        if key not in unanswered
    }
    return Assessment(
        red_flags=red_flags,
        findings=findings,
        preference=answers.preference,
        age=None if AGE_INPUT in unanswered else answers.age,
        **scored,
    )


@functools.cache
def _answers_at(key: str, rank: int) -> Mapping[str, object]:
    """Return the answers of least total to the questionnaire ``key`` whose level has ``rank``."""
    return _SCORED_BY_KEY[key].answers_at(rank)
