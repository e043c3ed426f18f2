"""Turn an assessment into the set of named facts a protocol's rules are written over.

This is the one place where app inputs meet protocol names. Everything that is unknown is
reported, never guessed: a red flag without an answer is *missing*, not *no*.
"""

from __future__ import annotations

from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError
from backtriage.instruments.odi import DisabilityBand
from backtriage.instruments.start_back import StartBackRisk
from backtriage.protocol.model import Derivation, DerivedFrom, FactKind, Protocol

__all__ = ["ODI_INPUT", "derive_facts"]

ODI_INPUT = "odi"
"""The name ``Plan.missing`` uses for an ODI that is absent or has too many gaps."""

_ANSWERED_IN_FINDINGS = (FactKind.FINDING, FactKind.CAPABILITY)


def derive_facts(assessment: Assessment, protocol: Protocol) -> tuple[list[str], list[str]]:
    """Return ``(facts, missing)``: the facts that hold and the required inputs not given.

    Raises :class:`~backtriage.InvalidAnswerError` for a red-flag key or a finding that the
    protocol does not declare as such: a misspelt key must not pass as "no".
    """
    engine = protocol.engine
    facts_by_name = engine.fact_by_name
    present: list[str] = []
    for key, answer in assessment.red_flags.items():
        fact = facts_by_name.get(key)
        if fact is None or fact.kind is not FactKind.RED_FLAG:
            raise InvalidAnswerError(
                f"red_flags.{key}",
                answer,
                f"a red-flag key of protocol {protocol.name!r} "
                "(see backtriage.questions() for the list)",
            )
        if answer:
            present.append(key)
    # Sorted so that, of several unknown names, the same one is reported whatever the order.
    for name in sorted(assessment.findings):
        fact = facts_by_name.get(name)
        if fact is None or fact.kind not in _ANSWERED_IN_FINDINGS:
            raise InvalidAnswerError(
                "findings",
                name,
                f"a finding or capability of protocol {protocol.name!r}"
                + (" (red flags are answered in red_flags)" if fact is not None else ""),
            )
        present.append(name)
    for fact in protocol.facts:
        if fact.derive is not None and _holds(fact.derive, assessment):
            present.append(fact.name)

    answered = assessment.red_flags
    missing = [
        fact.name for fact in protocol.facts if fact.required and answered.get(fact.name) is None
    ]
    if protocol.require_odi and assessment.odi_score is None:
        missing.append(ODI_INPUT)
    return present, missing


def _holds(derive: Derivation, assessment: Assessment) -> bool:
    source = derive.source
    if source is DerivedFrom.PREFERENCE:
        return assessment.preference is not None and assessment.preference == derive.equals
    if derive.at_least is None:
        return False
    if source is DerivedFrom.ODI_BAND:
        score = assessment.odi_score
        return score is not None and score.band >= DisabilityBand(derive.at_least)
    if source is DerivedFrom.START_BACK_RISK:
        start_back = assessment.start_back
        return start_back is not None and start_back.risk >= StartBackRisk(derive.at_least)
    age = assessment.age
    return age is not None and age >= int(derive.at_least)
