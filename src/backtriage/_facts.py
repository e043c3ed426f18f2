"""Turn an assessment into the set of named facts a protocol's rules are written over.

This is the one place where app inputs meet protocol names. Everything that is unknown is
reported, never guessed: a red flag without an answer is *missing*, not *no*.
"""

from __future__ import annotations

from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError, json_path
from backtriage.protocol import DerivedFrom, Protocol
from backtriage.protocol._inputs import AGE_INPUT, ODI_INPUT, START_BACK_INPUT, inputs_of

__all__ = ["derive_facts"]


def derive_facts(assessment: Assessment, protocol: Protocol) -> tuple[list[str], list[str]]:
    """Return ``(facts, missing)``: the facts that hold and the required inputs not given.

    Raises :class:`~backtriage.InvalidAnswerError` for a red-flag key or a finding that the
    protocol does not declare as such: a misspelt key must not pass as "no".
    """
    inputs = inputs_of(protocol)
    answered = assessment.red_flags
    unknown_flags = answered.keys() - inputs.red_flags
    if unknown_flags:
        # The first in sorted order, so that the same input always reports the same key.
        key = min(unknown_flags)
        raise InvalidAnswerError(
            f"red_flags.{key}",
            key,
            f"a red-flag key of protocol {protocol.name!r} "
            "(see backtriage.questions() for the list)",
            problem="unknown key",
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
            problem="unknown key",
            path=json_path("findings", name),
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
