"""Turn an assessment into the set of named facts a protocol's rules are written over.

This is the one place where app inputs meet protocol names. Everything that is unknown is
reported, never guessed: a red flag without an answer is *missing*, not *no*.
"""

from __future__ import annotations

import attrs

from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError
from backtriage.instruments.odi import DisabilityBand
from backtriage.instruments.start_back import StartBackRisk
from backtriage.protocol.model import Derivation, DerivedFrom, Fact, FactKind, Protocol

__all__ = [
    "AGE_INPUT",
    "INPUT_SOURCES",
    "ODI_INPUT",
    "START_BACK_INPUT",
    "FactInputs",
    "compile_inputs",
    "derive_facts",
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


def derive_facts(assessment: Assessment, protocol: Protocol) -> tuple[list[str], list[str]]:
    """Return ``(facts, missing)``: the facts that hold and the required inputs not given.

    Raises :class:`~backtriage.InvalidAnswerError` for a red-flag key or a finding that the
    protocol does not declare as such: a misspelt key must not pass as "no".
    """
    inputs = protocol.inputs
    answered = assessment.red_flags
    unknown_flags = answered.keys() - inputs.red_flags
    if unknown_flags:
        # The first in sorted order, so that the same input always reports the same key.
        key = min(unknown_flags)
        raise InvalidAnswerError(
            f"red_flags.{key}",
            answered[key],
            f"a red-flag key of protocol {protocol.name!r} "
            "(see backtriage.questions() for the list)",
        )
    findings = assessment.findings
    # Every name the app answered, also those answered False or None: a misspelt key must
    # fail on the first assessment, not only for the person who has the finding.
    unknown_findings = findings.keys() - inputs.answerable
    if unknown_findings:
        name = min(unknown_findings)
        raise InvalidAnswerError(
            "findings",
            name,
            f"a finding or capability of protocol {protocol.name!r}"
            + (" (red flags are answered in red_flags)" if name in inputs.red_flags else ""),
        )
    present = [key for key, answer in answered.items() if answer]
    present.extend(name for name, answer in findings.items() if answer)
    preference = assessment.preference
    if preference is not None:
        present.extend(name for name, value in inputs.preferences if value == preference)
    if inputs.thresholds:
        ranks = {
            DerivedFrom.ODI_BAND: assessment.odi_score.band.rank
            if assessment.odi_score is not None
            else None,
            DerivedFrom.START_BACK_RISK: assessment.start_back.risk.rank
            if assessment.start_back is not None
            else None,
            DerivedFrom.AGE: assessment.age,
        }
        for name, source, least in inputs.thresholds:
            value = ranks[source]
            if value is not None and value >= least:
                present.append(name)

    missing = [name for name in inputs.required_flags if answered.get(name) is None]
    missing.extend(name for name in inputs.required_findings if findings.get(name) is None)
    # An ODI that was given but cannot be scored is missing even where the protocol does not
    # require one: its answers may point to a band that would take exercises away.
    if assessment.odi_score is None and (protocol.require_odi or assessment.odi is not None):
        missing.append(ODI_INPUT)
    # Unknown is not "below the threshold": a protocol whose rules take exercises away on an
    # age or a STarT Back risk requires it (check() says so), and then it is asked for.
    if protocol.require_start_back and assessment.start_back is None:
        missing.append(START_BACK_INPUT)
    if protocol.require_age and assessment.age is None:
        missing.append(AGE_INPUT)
    return present, missing
