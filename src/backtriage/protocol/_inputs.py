"""What a protocol asks of an assessment: its inputs, indexed once per protocol.

Which red flags and findings an assessment answers, which of them are required, the
thresholds of the facts derived from scores and age (one parser of thresholds), and the
names ``Plan.missing`` uses for the score and age inputs. :mod:`backtriage._facts` reads an
assessment against them. The scored questionnaires are read from their descriptions
(``instruments/_registry.py``): nothing here names one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED
from backtriage.protocol._model import Derivation, DerivedFrom, Fact, FactKind, Protocol, cached

__all__ = [
    "AGE_INPUT",
    "ASKED_INPUTS",
    "INPUT_REQUIREMENTS",
    "INPUT_SOURCES",
    "PREFERENCE_INPUT",
    "SCORED_BY_SOURCE",
    "FactInputs",
    "asked_inputs",
    "compile_inputs",
    "inputs_of",
    "required_inputs",
    "threshold_of",
]

AGE_INPUT = "age"
"""The name ``Plan.missing`` uses for an age a protocol requires."""
PREFERENCE_INPUT = "preference"
"""The name ``questions()`` gives the directional preference (never required)."""
SCORED_BY_SOURCE: dict[DerivedFrom, ScoredInstrument] = {
    DerivedFrom(instrument.derivation): instrument for instrument in SCORED
}
"""The scored questionnaire whose level each derivation source reads."""
INPUT_SOURCES: dict[str, DerivedFrom] = {
    **{instrument.key: source for source, instrument in SCORED_BY_SOURCE.items()},
    AGE_INPUT: DerivedFrom.AGE,
}
"""The assessment input each score or age derivation reads, by its name in ``Plan.missing``
(a scored questionnaire's key)."""
INPUT_REQUIREMENTS: dict[str, str] = {
    **{instrument.key: instrument.requirement for instrument in SCORED_BY_SOURCE.values()},
    AGE_INPUT: "require_age",
}
"""The field of ``Protocol`` that requires each score or age input, by the input's name."""
ASKED_INPUTS: frozenset[str] = frozenset({*INPUT_SOURCES, PREFERENCE_INPUT})
"""The names of the inputs an assessment gives besides facts, as ``questions()`` and
``Plan.missing`` name them: no fact may take one of them."""
_RANKS: dict[DerivedFrom, dict[str, int]] = {
    source: {value: rank for rank, value in enumerate(instrument.levels)}
    for source, instrument in SCORED_BY_SOURCE.items()
}
# The slot of the age among the values derive_facts reads for the thresholds; the scored
# questionnaires' ranks follow it.
_AGE_SLOT = 0

_ANSWERED_IN_FINDINGS = (FactKind.FINDING, FactKind.CAPABILITY)


@attrs.frozen
class FactInputs:
    """What :func:`derive_facts` needs of a protocol, worked out once when it is made."""

    red_flags: frozenset[str]
    answerable: frozenset[str]
    """Findings and capabilities: the names an assessment may answer in ``findings``."""
    required_flags: tuple[str, ...]
    """Every red flag: an unanswered one is missing, whatever the protocol says."""
    required_findings: tuple[str, ...]
    """Findings and capabilities declared ``required``: missing while unanswered."""
    preferences: tuple[tuple[str, str], ...]
    """``(fact, preference value)`` for facts derived from the directional preference."""
    thresholds: tuple[tuple[str, int, int], ...]
    """``(fact, slot, least rank or age)`` for facts derived from scores and age, in protocol
    order. ``slot`` picks the value read: 0 the age, ``1 + i`` the rank of ``ranked[i]``."""
    ranked: tuple[tuple[str, Callable[[Any], int]], ...]
    """``(score attribute, rank)`` of each scored questionnaire a threshold reads."""
    scored: tuple[tuple[str, str, bool], ...]
    """``(key, score attribute, required)`` of every scored questionnaire, in registry order:
    what ``Plan.missing`` lists when it is absent or cannot be scored."""
    follow_ups: tuple[tuple[str, str], ...] = ()
    """``(fact, condition)`` for follow-up questions: asked only after a yes to the condition."""


def compile_inputs(protocol: Protocol) -> FactInputs:
    """Index ``protocol``'s facts by how an assessment sets them.

    A derivation with an invalid threshold is left out (it never holds); ``check()`` reports
    it and :func:`~backtriage.recommend` refuses such a protocol.
    """
    # The first declaration of a name wins, as in the engine; check() reports the duplicate.
    first: dict[str, Fact] = {}
    for fact in protocol.facts:
        first.setdefault(fact.name, fact)
    facts = first.values()
    preferences: list[tuple[str, str]] = []
    thresholds: list[tuple[str, int, int]] = []
    slots: dict[DerivedFrom, int] = {DerivedFrom.AGE: _AGE_SLOT}
    ranked: list[tuple[str, Callable[[Any], int]]] = []
    for fact in facts:
        derive = fact.derive
        if derive is None:
            continue
        if derive.source is DerivedFrom.PREFERENCE:
            if derive.equals is not None:
                preferences.append((fact.name, derive.equals))
            continue
        least = threshold_of(derive)
        if least is None:
            continue
        slot = slots.get(derive.source)
        if slot is None:  # the first threshold on this questionnaire: its rank is read
            instrument = SCORED_BY_SOURCE[derive.source]
            slot = slots[derive.source] = 1 + len(ranked)
            ranked.append((instrument.score_attribute, instrument.rank))
        thresholds.append((fact.name, slot, least))
    return FactInputs(
        red_flags=frozenset(f.name for f in facts if f.kind is FactKind.RED_FLAG),
        answerable=frozenset(f.name for f in facts if f.kind in _ANSWERED_IN_FINDINGS),
        # Every red flag is required, whatever the protocol says: an unanswered red flag is
        # never "no", and no protocol can switch that off (check() reports the attempt).
        required_flags=tuple(f.name for f in facts if f.kind is FactKind.RED_FLAG),
        required_findings=tuple(
            f.name for f in facts if f.required and f.kind in _ANSWERED_IN_FINDINGS
        ),
        preferences=tuple(preferences),
        thresholds=tuple(thresholds),
        follow_ups=tuple((f.name, f.asked_if) for f in facts if f.asked_if is not None),
        ranked=tuple(ranked),
        scored=tuple(
            (instrument.key, instrument.score_attribute, getattr(protocol, instrument.requirement))
            for instrument in SCORED
        ),
    )


def required_inputs(protocol: Protocol) -> tuple[str, ...]:
    """Return the inputs besides red flags that ``protocol`` requires, by their missing names."""
    names = [instrument.key for instrument in SCORED if getattr(protocol, instrument.requirement)]
    if protocol.require_age:
        names.append(AGE_INPUT)
    return tuple(names)


def threshold_of(derive: Derivation) -> int | None:
    """Return a score or age derivation's threshold as a number, or ``None`` if invalid.

    The rank of the least level of a scored questionnaire (its place in the levels of the
    instrument whose derivation is the source), or whole years from 0 to 130. The one parser of
    thresholds: ``check()`` reports a derivation this cannot read.
    """
    value = derive.at_least
    if value is None or derive.source is DerivedFrom.PREFERENCE:
        return None
    ranks = _RANKS.get(derive.source)
    if ranks is not None:
        return ranks.get(value)
    # isdigit() alone lets "²" through, which int() refuses.
    if value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= 130:
        return int(value)
    return None


def inputs_of(protocol: Protocol) -> FactInputs:
    """Return what :func:`compile_inputs` finds, worked out on first use and kept."""
    found = protocol._cache.get("inputs")
    if type(found) is FactInputs:  # the hot path of every plan: no call
        return found
    return cached(protocol, "inputs", FactInputs, compile_inputs)


def asked_inputs(protocol: Protocol) -> tuple[tuple[str, bool, bool], ...]:
    """Return the inputs besides facts that ``questions()`` lists for ``protocol``, in order.

    Each is ``(name, whether it is a questionnaire, whether it is required)``: the scored
    questionnaires in their registered order (one a protocol always asks, then one it requires
    or a fact of it reads), the age where it is required or read, and the directional
    preference where it is read (never required: "none known" is an answer, and it changes
    nothing).
    """
    derived_from = {f.derive.source for f in protocol.facts if f.derive is not None}
    listed: list[tuple[str, bool, bool]] = []
    for source, instrument in SCORED_BY_SOURCE.items():
        required = bool(getattr(protocol, instrument.requirement))
        if instrument.always_asked or required or source in derived_from:
            listed.append((instrument.key, True, required))
    if protocol.require_age or DerivedFrom.AGE in derived_from:
        listed.append((AGE_INPUT, False, protocol.require_age))
    if DerivedFrom.PREFERENCE in derived_from:
        listed.append((PREFERENCE_INPUT, False, False))
    return tuple(listed)
