"""Turn an assessment into the set of named facts a protocol's rules are written over.

This is the one place where app inputs meet protocol names. Everything that is unknown is
reported, never guessed: a red flag without an answer is *missing*, not *no*.
"""

from __future__ import annotations

from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError, json_path
from backtriage.protocol import Protocol, Urgency
from backtriage.protocol._inputs import AGE_INPUT, inputs_of

__all__ = ["derive_facts", "under_age_of"]


def under_age_of(assessment: Assessment, protocol: Protocol) -> Urgency | None:
    """Return the scope's urgency for a person below its minimum age; ``None`` within it.

    An unknown age is not "within the scope": a protocol with a minimum age requires the age
    (check() says so), and the plan waits for it.
    """
    age = assessment.age
    return None if age is None else protocol.scope.band(age)


def derive_facts(assessment: Assessment, protocol: Protocol) -> tuple[list[str], list[str]]:
    """Return ``(facts, missing)``: the facts that hold and the required inputs not given.

    Raises :class:`~backtriage.InvalidAnswerError` for a red-flag key or a finding that the
    protocol does not declare as such: a misspelt key must not pass as "no", and for a yes to
    a follow-up question while its condition is answered no. Below the scope's minimum age
    only the red flags are required: no exercise is given there, whatever the other answers.
    A follow-up question is required only while its condition is answered yes.
    """
    inputs = inputs_of(protocol)
    answered = assessment.red_flags
    if not inputs.red_flags.issuperset(answered):
        # The first in sorted order, so that the same input always reports the same key.
        key = min(answered.keys() - inputs.red_flags)
        raise InvalidAnswerError(
            f"red_flags.{key}",
            key,
            f"a red-flag key of protocol {protocol.name!r} "
            "(see backtriage.questions() for the list)",
            problem="unknown key",
            path=json_path("red_flags", key),
        )
    findings = assessment.findings
    # Every name the app answered, also those answered False or None: a misspelt key must
    # fail on the first assessment, not only for the person who has the finding.
    if not inputs.answerable.issuperset(findings):
        name = min(findings.keys() - inputs.answerable)
        raise InvalidAnswerError(
            "findings",
            name,
            f"a finding or capability of protocol {protocol.name!r}"
            + (" (red flags are answered in red_flags)" if name in inputs.red_flags else ""),
            problem="unknown key",
            path=json_path("findings", name),
        )
    for name, condition in inputs.follow_ups:
        # Missing is not no: a yes before its condition is answered adds risk and is kept; a
        # yes after a no contradicts the answers, and which one is wrong cannot be guessed.
        if findings.get(name) and _answer(assessment, condition) is False:
            raise InvalidAnswerError(
                "findings",
                name,
                f"no (or no answer) while {condition!r} is answered no: this question is "
                f"asked only after a yes to {condition!r}",
                problem="a follow-up question answered yes after a no to its condition",
                path=json_path("findings", name),
            )
    # Most people answer every red flag no: then none needs a look of its own.
    present = [key for key, answer in answered.items() if answer] if any(answered.values()) else []
    present.extend(name for name, answer in findings.items() if answer)
    preference = assessment.preference
    if preference is not None:
        present.extend(name for name, value in inputs.preferences if value == preference)
    if inputs.thresholds:
        # The age, then each questionnaire's rank once (None: not given or not scorable).
        values: list[int | None] = [assessment.age]
        for attribute, rank in inputs.ranked:
            score = getattr(assessment, attribute)
            values.append(None if score is None else rank(score))
        for name, slot, least in inputs.thresholds:
            value = values[slot]
            if value is not None and value >= least:
                present.append(name)

    if len(answered) == len(inputs.red_flags) and None not in answered.values():
        missing = []  # every red flag answered: only the protocol's keys are, checked above
    else:
        missing = [name for name in inputs.required_flags if answered.get(name) is None]
    if under_age_of(assessment, protocol) is not None:
        return present, missing  # outside the scope: only the red flags are asked
    conditional = dict(inputs.follow_ups)
    missing.extend(
        name
        for name in inputs.required_findings
        if findings.get(name) is None
        and (name not in conditional or _answer(assessment, conditional[name]) is True)
    )
    # Unknown is not "below the threshold": a protocol whose rules take exercises away on a
    # questionnaire's level or an age requires it (check() says so), and then it is asked for.
    # Answers that were given but cannot be scored are missing even where the protocol does
    # not require them: they may point to a level that would take exercises away.
    for key, attribute, required in inputs.scored:
        if getattr(assessment, attribute) is None and (
            required or getattr(assessment, key) is not None
        ):
            missing.append(key)
    if protocol.require_age and assessment.age is None:
        missing.append(AGE_INPUT)
    return present, missing


def _answer(assessment: Assessment, name: str) -> bool | None:
    """Return the answer to the red flag or finding ``name`` (``None``: not answered)."""
    if name in assessment.red_flags:
        return assessment.red_flags[name]
    return assessment.findings.get(name)
