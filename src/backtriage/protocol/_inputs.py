"""What a protocol asks of an assessment: its inputs, indexed once per protocol.

Which red flags and findings an assessment answers, which of them are required, the
thresholds of the facts derived from scores and age (one parser of thresholds), and the
names ``Plan.missing`` uses for the score and age inputs. :mod:`backtriage._facts` reads an
assessment against them.
"""

from __future__ import annotations

import attrs

from backtriage.instruments.odi import DisabilityBand
from backtriage.instruments.start_back import StartBackRisk
from backtriage.protocol._model import Derivation, DerivedFrom, Fact, FactKind, Protocol, cached

__all__ = [
    "AGE_INPUT",
    "INPUT_SOURCES",
    "ODI_INPUT",
    "START_BACK_INPUT",
    "FactInputs",
    "compile_inputs",
    "inputs_of",
    "required_inputs",
    "threshold_of",
]

ODI_INPUT = "odi"
"""The name ``Plan.missing`` uses for an ODI that is absent or has too many gaps."""
START_BACK_INPUT = "start_back"
"""The name ``Plan.missing`` uses for STarT Back answers a protocol requires."""
AGE_INPUT = "age"
"""The name ``Plan.missing`` uses for an age a protocol requires."""
INPUT_SOURCES: dict[str, DerivedFrom] = {
    ODI_INPUT: DerivedFrom.ODI_BAND,
    START_BACK_INPUT: DerivedFrom.START_BACK_RISK,
    AGE_INPUT: DerivedFrom.AGE,
}
"""The assessment input each score or age derivation reads, by its name in ``Plan.missing``."""

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
    thresholds: tuple[tuple[str, DerivedFrom, int], ...]
    """``(fact, source, least rank or age)`` for facts derived from scores and age."""
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
    thresholds: list[tuple[str, DerivedFrom, int]] = []
    for fact in facts:
        derive = fact.derive
        if derive is None:
            continue
        if derive.source is DerivedFrom.PREFERENCE:
            if derive.equals is not None:
                preferences.append((fact.name, derive.equals))
            continue
        least = threshold_of(derive)
        if least is not None:
            thresholds.append((fact.name, derive.source, least))
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
    )


def required_inputs(protocol: Protocol) -> tuple[str, ...]:
    """Return the inputs besides red flags that ``protocol`` requires, by their missing names."""
    wanted = (protocol.require_odi, protocol.require_start_back, protocol.require_age)
    return tuple(name for name, on in zip(INPUT_SOURCES, wanted, strict=True) if on)


def threshold_of(derive: Derivation) -> int | None:
    """Return a score or age derivation's threshold as a number, or ``None`` if invalid.

    The rank of the least band or risk, or whole years from 0 to 130. The one parser of
    thresholds: ``check()`` reports a derivation this cannot read.
    """
    value = derive.at_least
    if value is None or derive.source is DerivedFrom.PREFERENCE:
        return None
    try:
        if derive.source is DerivedFrom.ODI_BAND:
            return DisabilityBand(value).rank
        if derive.source is DerivedFrom.START_BACK_RISK:
            return StartBackRisk(value).rank
    except ValueError:
        return None
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
