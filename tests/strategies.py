"""Hypothesis strategies for the test suite: random protocols, fact sets and documents.

- :func:`protocols` builds random protocols. With ``monotone=True`` (the default) they keep the
  monotone design that ``check()`` enforces (capabilities only in caution-only rules and as
  prerequisites, prerequisites only capabilities, no prerequisite cycles), and they are
  check-clean: every name exists, every selector matches, every rule can fire. With
  ``monotone=False`` any fact may appear in any rule or as a prerequisite, so ``check()`` may
  report ``capability-takes-away`` or ``risk-prerequisite``.
- :func:`fact_sets` draws a set of facts that a protocol declares.
- :func:`conditions` and :func:`selectors` draw the parts of a rule, for reuse on their own.
- :func:`json_values` and :func:`mutated_documents` draw malformed input for the loader.

Names are generated from indices (``ex0``, ``risk1``, ``cap0``) so that they are unique and
shrink well; the structure, not the spelling, is what is random.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import attrs
from hypothesis import strategies as st

from backtriage.protocol import (
    Action,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Movement,
    Polarity,
    Position,
    Protocol,
    Refer,
    Rule,
    Selector,
    Source,
    Urgency,
    UrgencyAdvice,
)
from backtriage.protocol._reasoner import holds
from backtriage.serialize import converter
from backtriage.testing import strategies as kit
from backtriage.testing.strategies import (
    _close_exclusions,
    _distinct,
    _needed_inputs,
    _refer_dead_ends,
    _urgent_facts,
)

__all__ = [
    "conditions",
    "fact_sets",
    "json_values",
    "mutated_documents",
    "protocol_documents",
    "protocols",
    "selectors",
]

FAMILIES = ("fam_a", "fam_b", "fam_c", "fam_d")
SOURCE_TAG = "S1"

_BANDS = ("minimal", "moderate", "severe", "crippled", "bed_bound")
_RISKS = ("low", "medium", "high")


# Strategies are built once and cached: building one per draw costs more than the draw.


@functools.cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def _subsets(names: tuple[str, ...], max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names), max_size=max_size, unique=True)


_BOOLEANS = st.booleans()
_FAMILY = st.sampled_from(FAMILIES)
_MOVEMENT = st.sampled_from(Movement)
_POSITION = st.sampled_from(Position)
_STEPS = ("2 times", "3 times", "4 times", "5 times")
_URGENCY = st.sampled_from(Urgency)
_RISK_KIND = st.sampled_from([FactKind.RED_FLAG, FactKind.FINDING, FactKind.DERIVED])
# Thresholds only: preference facts exclude each other, which would make a rule over two of
# them unable to fire (a check problem, tested on its own).
# Not the lowest threshold (minimal, low, age 0): where the input is required, every complete
# assessment would hold that fact, and an exercise it excludes would be unreachable.
_DERIVATION = st.one_of(
    st.sampled_from(_BANDS[1:]).map(lambda b: Derivation(DerivedFrom.ODI_BAND, b)),
    st.sampled_from(_RISKS[1:]).map(lambda r: Derivation(DerivedFrom.START_BACK_RISK, r)),
    st.integers(1, 130).map(lambda a: Derivation(DerivedFrom.AGE, str(a))),
)
_SAFETY = st.sampled_from(["", "Stop if it hurts."])


def conditions(names: Sequence[str], *, max_leaves: int = 6) -> st.SearchStrategy[Condition]:
    """Draw a valid condition over ``names``: non-empty lists, ``1 <= at_least <= len(of)``.

    A name may appear more than once in one condition: ``at_least 2 of [a, a]`` is legal.
    """
    return _conditions(tuple(names), max_leaves)


@functools.cache
def _conditions(names: tuple[str, ...], max_leaves: int) -> st.SearchStrategy[Condition]:
    leaf: st.SearchStrategy[Condition] = st.sampled_from(names).map(FactIs)

    def extend(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        lists = st.lists(children, min_size=1, max_size=3).map(tuple)
        at_least = lists.flatmap(lambda cs: _ints(1, len(cs)).map(lambda n: AtLeast(n, cs)))
        return st.one_of(lists.map(AllOf), lists.map(AnyOf), at_least)

    return st.recursive(leaf, extend, max_leaves=max_leaves)


_SELECTOR_KEYS = {
    "ids": "id",
    "families": "family",
    "movements": "movement",
    "positions": "position",
    "levels": "level",
}
_SELECTOR_KIND = st.sampled_from([*_SELECTOR_KEYS, "all", "all_except_in_bed"])


@functools.cache
def _picks(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, n - 1), min_size=1, max_size=3)


def _draw_selector(draw: st.DrawFn, exercises: Sequence[Exercise]) -> Selector:
    key = draw(_SELECTOR_KIND)
    if key == "all":
        return Selector(all=True)
    if key == "all_except_in_bed" and not all(e.in_bed for e in exercises):
        return Selector(all_except_in_bed=True)
    chosen = [exercises[i] for i in draw(_picks(len(exercises)))]
    values: dict[str, tuple[object, ...]] = {}
    for name, attribute in _SELECTOR_KEYS.items():
        # The drawn key (ids when all_except_in_bed would select nothing) is always filled,
        # so the selector matches; the others sometimes add more.
        if name == key or (name == "ids" and key == "all_except_in_bed") or not draw(_ints(0, 3)):
            values[name] = tuple(dict.fromkeys(getattr(e, attribute) for e in chosen))
    return Selector(**values)  # type: ignore[arg-type]


@st.composite
def selectors(draw: st.DrawFn, exercises: Sequence[Exercise]) -> Selector:
    """Draw a selector that matches at least one of ``exercises`` and names only what exists."""
    return _draw_selector(draw, exercises)


def _risk_fact(draw: st.DrawFn, name: str) -> Fact:
    kind = draw(_RISK_KIND)
    if kind is FactKind.RED_FLAG:
        question = f"Do you have {name}?"
        return Fact(name, kind, Polarity.RISK, question=question, required=True)
    if kind is FactKind.DERIVED:
        return Fact(name, kind, Polarity.RISK, derive=draw(_DERIVATION))
    return Fact(name, kind, Polarity.RISK, question=f"{name}?" if draw(_BOOLEANS) else None)


def _draw_actions(
    draw: st.DrawFn, rule: int, takes_away: bool, exercises: list[Exercise]
) -> list[Action]:
    actions: list[Action] = []
    if takes_away:
        for _ in range(draw(_ints(1, 2))):
            if draw(_BOOLEANS):
                actions.append(Refer(draw(_URGENCY)))
            else:
                actions.append(Exclude(_draw_selector(draw, exercises)))
    for c in range(draw(_ints(0 if takes_away else 1, 2))):
        actions.append(Caution(_draw_selector(draw, exercises), f"caution {rule}.{c}"))
    return actions


@st.composite
def protocols(
    draw: st.DrawFn,
    *,
    max_exercises: int = 6,
    max_risks: int = 6,
    max_capabilities: int = 3,
    max_rules: int = 8,
    monotone: bool = True,
) -> Protocol:
    """Draw a random protocol; see the module docstring for what ``monotone`` guarantees."""
    n_exercises = draw(_ints(1, max_exercises))
    exercise_ids = [f"ex{i}" for i in range(n_exercises)]
    capability_names = [f"cap{j}" for j in range(draw(_ints(0, max_capabilities)))]
    risk_names = [f"risk{j}" for j in range(draw(_ints(1, max_risks)))]
    # A capability records tolerance of one exercise; only later exercises may need it, so
    # "needs a capability unlocked by" always points backwards and can never form a cycle.
    unlocked_by: dict[str, int | None] = {
        name: draw(_ints(0, n_exercises - 1)) if draw(_BOOLEANS) else None
        for name in capability_names
    }

    exercises = []
    for i, exercise_id in enumerate(exercise_ids):
        unlockable = [c for c in capability_names if (u := unlocked_by[c]) is None or u < i]
        candidates = unlockable if monotone else unlockable + risk_names
        prerequisites = draw(_subsets(tuple(candidates), 2)) if candidates else []
        position = draw(_POSITION)
        exercises.append(
            Exercise(
                id=exercise_id,
                title=f"Exercise {i}",
                family=draw(_FAMILY),
                movement=draw(_MOVEMENT),
                position=position,
                level=draw(_ints(1, 3)),
                # Nobody stands or kneels in bed (check() reports "in-bed-position").
                in_bed=position not in (Position.STANDING, Position.KNEELING) and draw(_BOOLEANS),
                dosage="5 times",
                instructions="Slowly.",
                steps=_STEPS[: draw(_ints(2, 4))],
                prerequisites=tuple(prerequisites),
            )
        )

    risks = _distinct_derivations([_risk_fact(draw, name) for name in risk_names])
    # A capability no exercise needs unlocks nothing ("unused-capability"): leave it out.
    named = {name for exercise in exercises for name in exercise.prerequisites}
    capability_names = [name for name in capability_names if name in named]
    capabilities = [
        Fact(
            name,
            FactKind.CAPABILITY,
            Polarity.CAPABILITY,
            unlocked_by=None if (u := unlocked_by[name]) is None else exercise_ids[u],
        )
        for name in capability_names
    ]

    rules = []
    everything = risk_names + capability_names
    for r in range(draw(_ints(0, max_rules))):
        takes_away = draw(_BOOLEANS)
        names = risk_names if takes_away and monotone else everything
        condition = _distinct(draw(conditions(names)))
        actions = _draw_actions(draw, r, takes_away, exercises)
        rules.append(Rule(f"rule{r}", condition, tuple(actions), f"reason {r}", SOURCE_TAG))

    # A rule that withholds an exercise withholds the harder ones it unlocks too.
    rules = _refer_dead_ends(_close_exclusions(rules, exercises, risks + capabilities), exercises)
    # A red flag that no rule refers on by itself is a check problem ("unused-red-flag",
    # "red-flag-never-refers"): ask it as a plain finding instead.
    referring = {
        name
        for rule in rules
        if any(isinstance(a, Refer) and a.urgency > Urgency.NONE for a in rule.actions)
        for name in _names(rule.condition)
        if holds(rule.condition, {name})
    }
    risks = [
        Fact(f.name, FactKind.FINDING, Polarity.RISK)
        if f.kind is FactKind.RED_FLAG and f.name not in referring
        else f
        for f in risks
    ]
    # A finding that can refer soon or more must be required (with a question to ask).
    urgent = _urgent_facts(rules)
    risks = [
        Fact(f.name, f.kind, f.polarity, question=f"{f.name}?", required=True)
        if f.kind is FactKind.FINDING and f.name in urgent
        else f
        for f in risks
    ]
    # An input that a rule withholds or refers soon on must be required.
    needed = _needed_inputs(rules, risks)
    # Facts in a random order: the engine gives them bits in declaration order.
    facts = draw(st.permutations(risks + capabilities))
    return Protocol(
        name="random",
        version="1",
        exercises=tuple(exercises),
        facts=tuple(facts),
        rules=tuple(rules),
        require_odi=DerivedFrom.ODI_BAND in needed,
        require_start_back=DerivedFrom.START_BACK_RISK in needed,
        require_age=DerivedFrom.AGE in needed,
        sources=(Source(SOURCE_TAG, "A test source"),),
        safety=draw(_SAFETY),
        safety_source=SOURCE_TAG,
        # The fixed texts format 3 needs, as the public kit writes them.
        safety_net=kit._SAFETY_NET,
        advice=kit._ADVICE,
        format=3,
        scope=kit._SCOPE,
        texts=kit._TEXTS,
    )


def _distinct_derivations(facts: list[Fact]) -> list[Fact]:
    """Return ``facts`` where a fact derived like an earlier one is a finding instead
    (``check()`` reports two alike as ``duplicate-derivation``)."""
    seen: list[Derivation] = []
    result = []
    for fact in facts:
        if fact.derive is not None and fact.derive in seen:
            fact = Fact(fact.name, FactKind.FINDING, Polarity.RISK)
        elif fact.derive is not None:
            seen.append(fact.derive)
        result.append(fact)
    return result


def _names(condition: Condition) -> list[str]:
    if isinstance(condition, FactIs):
        return [condition.fact]
    return [name for child in condition.conditions for name in _names(child)]


def fact_sets(
    protocol: Protocol, polarity: Polarity | None = None
) -> st.SearchStrategy[frozenset[str]]:
    """Draw a set of facts declared by ``protocol`` (only of ``polarity``, when given)."""
    names = sorted({f.name for f in protocol.facts if polarity is None or f.polarity is polarity})
    if not names:
        return st.just(frozenset())
    return st.frozensets(st.sampled_from(names))


def protocol_documents(**kwargs: object) -> st.SearchStrategy[dict[str, object]]:
    """Draw a random protocol as a JSON document: plain dicts, lists, strings and numbers."""
    # Through JSON text, so that the document holds no enum or tuple, as a parsed file would.
    return protocols(**kwargs).map(  # type: ignore[arg-type]
        lambda p: json.loads(json.dumps(converter.unstructure(p)))
    )


# The keys a document may hold, so that random data gets past the top-level checks.
_KEYS = sorted(
    {
        field.name
        for cls in (Protocol, Exercise, Fact, Derivation, Rule, Selector, UrgencyAdvice)
        for field in attrs.fields(cls)
        if field.init
    }
    | {"fact", "all", "any", "at_least", "of", "refer", "exclude", "caution", "text"}
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "2", "yes", "flexion", "emergency", "risk", "red_flag", "ex0"]),
    st.text(max_size=5),
)


def json_values(*, max_leaves: int = 25) -> st.SearchStrategy[object]:
    """Draw JSON-like data whose keys are mostly the protocol's own, to get past the top."""
    keys = st.one_of(st.sampled_from(_KEYS), st.text(max_size=4))
    return st.recursive(
        _scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(keys, children, max_size=6),
        ),
        max_leaves=max_leaves,
    )


def _slots(document: object) -> list[tuple[object, object]]:
    """Return every ``(container, key or index)`` inside ``document``, parents first."""
    result: list[tuple[object, object]] = []
    stack = [document]
    while stack:
        node = stack.pop()
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, value in items:
            result.append((node, key))
            stack.append(value)
    return result


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, object]:
    """Draw a valid protocol document with one to three random faults in it.

    A fault replaces a value by random JSON-like data, deletes a key or an item, or adds an
    unknown key: most such documents are malformed, some are still valid.
    """
    document = draw(protocol_documents(max_exercises=3, max_rules=4))
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(document)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        operation = draw(st.sampled_from(["replace", "delete", "add"]))
        if operation == "replace":
            container[key] = draw(json_values(max_leaves=5))  # type: ignore[index]
        elif operation == "delete":
            del container[key]  # type: ignore[attr-defined]
        elif isinstance(container, dict):
            container[draw(st.sampled_from([*_KEYS, "colour"]))] = draw(_scalars)
        else:
            container.append(draw(json_values(max_leaves=5)))  # type: ignore[attr-defined]
    return document
