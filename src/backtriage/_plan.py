"""From an assessment to a safe, explained plan: the main job of backtriage."""

from __future__ import annotations

from enum import StrEnum

import attrs

from backtriage._facts import derive_facts
from backtriage.assessment import Assessment, Preference
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.instruments.odi import OdiScore
from backtriage.instruments.start_back import StartBackScore
from backtriage.protocol._engine import FiredRule, Prescription, Withheld, engine_of
from backtriage.protocol._inputs import AGE_INPUT, START_BACK_INPUT
from backtriage.protocol._model import (
    DerivedFrom,
    FactKind,
    Movement,
    Protocol,
    SafetyNet,
    Urgency,
)

__all__ = [
    "Plan",
    "Question",
    "QuestionKind",
    "default_protocol",
    "make_plan",
    "questions",
    "recommend",
]

DISCLAIMER = (
    "backtriage is a screening aid, not a diagnosis and not a medical device. "
    "If you are worried, or your symptoms change, contact a clinician."
)

_PREFERRED_MOVEMENT = {
    Preference.EXTENSION: Movement.EXTENSION,
    Preference.FLEXION: Movement.FLEXION,
    Preference.LATERAL: Movement.LATERAL_FLEXION,
}


@attrs.frozen
class Plan:
    """The outcome of :func:`recommend`: what to do now, and why.

    Every exercise of the protocol is in exactly one of ``exercises`` (may be done, gentlest and
    preference-matched first, each with its cautions) and ``withheld`` (each with every reason).
    ``missing`` names what to ask before exercises can be given; ``fired`` is the audit trail.
    """

    urgency: Urgency
    exercises: tuple[Prescription, ...]
    withheld: tuple[Withheld, ...]
    missing: tuple[str, ...]
    missing_questions: tuple[str, ...]
    """The question to ask for each name in ``missing``, in the same order."""
    fired: tuple[FiredRule, ...]
    facts: tuple[str, ...]
    """The facts that held, in protocol order."""
    advice: str
    """What the person should do now, in plain words."""
    odi: OdiScore | None
    start_back: StartBackScore | None
    protocol_name: str
    protocol_version: str
    safety_net: SafetyNet | None = None
    """When to get help, from the protocol: in every plan but an emergency (there ``None``)."""

    def summary(self) -> str:
        """Return the plan as text a person can read.

        The advice comes first and the disclaimer last; the safety net (when to get help at
        once) follows the exercises. A same-day or emergency plan names no exercise, not even as
        withheld; a plan with unanswered questions lists the questions.
        """
        lines = [self.advice]
        # Why the urgency: the reasons of the rules that referred, most urgent first.
        referring = sorted(
            (f for f in self.fired if f.urgency is not None and f.urgency > Urgency.NONE),
            key=lambda f: f.urgency.rank if f.urgency is not None else 0,
            reverse=True,
        )
        if referring:
            lines.append("Why:")
            lines.extend(f"- {text}" for text in dict.fromkeys(f.reason for f in referring))
        # At same_day or emergency no exercise is named, not even as withheld. Unanswered
        # questions are still asked below emergency: a "yes" could make it one.
        act_now = self.urgency >= Urgency.SAME_DAY
        if self.missing and self.urgency < Urgency.EMERGENCY:
            lines.append(
                "Please also answer these; a yes may mean you need emergency care:"
                if act_now
                else "Before any exercise can be suggested, please answer:"
            )
            lines.extend(f"- {text}" for text in self.missing_questions)
        if self.odi is not None:
            lines.append(
                f"Oswestry Disability Index: {self.odi.percent_rounded}% ({self.odi.band.label})."
            )
        if self.start_back is not None:
            lines.append(f"STarT Back risk: {self.start_back.risk.value}.")
        if self.exercises:
            lines.append("")
            lines.append("Exercises you may try:")
            for prescription in self.exercises:
                exercise = prescription.exercise
                lines.append(f"- {exercise.title}: {exercise.instructions} {exercise.dosage}")
                lines.extend(f"    Caution: {c.text}" for c in prescription.cautions)
            if self.safety_net is not None:
                lines.append("")
                lines.extend(self.safety_net.emergency)
        # While questions are unanswered every exercise is withheld for that one reason, which
        # the list of questions above already says.
        if self.withheld and not act_now and not self.missing:
            lines.append("")
            lines.append("Not for now:")
            for withheld in self.withheld:
                why = " ".join(dict.fromkeys(r.text for r in withheld.reasons))
                lines.append(f"- {withheld.exercise.title}: {why}")
        lines.append("")
        lines.append(DISCLAIMER)
        lines.append(f"(Protocol {self.protocol_name} {self.protocol_version}.)")
        return "\n".join(lines)


def recommend(assessment: Assessment, *, protocol: Protocol | None = None) -> Plan:
    """Decide which exercises a person may do now, and how urgently to see a clinician.

    Uses the default protocol unless ``protocol`` is given. Raises
    :class:`~backtriage.ProtocolError` when the protocol has static problems, and
    :class:`~backtriage.InvalidAnswerError` for a red-flag key or finding the protocol does not
    know. An unanswered red flag, a missing ODI, STarT Back or age where the protocol requires
    it, or an ODI that was given but cannot be scored gives a plan with no exercises whose
    ``missing`` names what to ask.

    >>> plan = recommend(Assessment(odi=[1] * 10, red_flags={...}))  # doctest: +SKIP
    """
    if not isinstance(assessment, Assessment):
        raise InvalidAnswerError(
            "assessment", assessment, "an Assessment (build one from the app's answers)"
        )
    protocol = _protocol_or_default(protocol)
    problems = protocol.check()
    if problems:
        raise ProtocolError(
            f"has {len(problems)} problem(s), first: {problems[0]}; run protocol.check()",
            where=f"protocol {protocol.name!r}",
        )
    return make_plan(assessment, protocol)


def make_plan(assessment: Assessment, protocol: Protocol) -> Plan:
    """Return the plan of ``assessment`` under ``protocol``, problems or not.

    The one path from answers to a plan: :func:`recommend` calls it once the protocol is
    clean, and the property kit calls it to show what a protocol with problems would do. Replay
    a diff's witness with it on an edit that breaks a declared policy, which ``recommend``
    refuses.
    """
    present, missing = derive_facts(assessment, protocol)
    engine = engine_of(protocol)
    evaluation = engine.evaluate(present, missing=missing)
    preference = assessment.preference
    preferred = None if preference is None else _PREFERRED_MOVEMENT[preference]
    # Gentlest first, then the preferred movement; the sort is stable, so protocol order
    # decides the rest.
    ranked = sorted(
        evaluation.prescriptions(),
        key=lambda p: (p.exercise.level, p.exercise.movement is not preferred),
    )
    urgency = evaluation.urgency
    advice = protocol.advice.for_urgency(urgency) or _FALLBACK_ADVICE[urgency]
    if missing and urgency < Urgency.SAME_DAY:
        # "Nothing needs a clinician" would be a guess while safety questions are unanswered.
        # The protocol's text may invite exercises, which this plan does not give: the plain
        # text of the urgency is used instead.
        advice = _UNANSWERED_ADVICE + (
            f" {_FALLBACK_ADVICE[urgency]}" if urgency > Urgency.NONE else ""
        )
    elif missing and urgency is Urgency.SAME_DAY:
        advice = f"{advice} {_UNANSWERED_SAME_DAY}"
    elif not ranked and urgency < Urgency.SAME_DAY:
        # Every exercise is withheld (recent spine surgery, say): advice that invites
        # "the exercises below" would contradict the plan.
        advice = f"{_FALLBACK_ADVICE[urgency]} {_NONE_SUITABLE}"
    return Plan(
        urgency=evaluation.urgency,
        exercises=tuple(ranked),
        withheld=evaluation.withheld(),
        missing=tuple(missing),
        missing_questions=tuple(_question_text(protocol, name) for name in missing),
        fired=evaluation.fired,
        facts=tuple(sorted(set(present), key=engine.fact_bit.__getitem__)),
        advice=advice,
        odi=assessment.odi_score,
        start_back=assessment.start_back,
        protocol_name=protocol.name,
        protocol_version=protocol.version,
        # A plan without exercises already says what to do now, in its advice.
        safety_net=protocol.safety_net if urgency < Urgency.EMERGENCY else None,
    )


def default_protocol() -> Protocol:
    """Return the protocol shipped with backtriage, loaded once on first use."""
    if not _DEFAULT:
        # Imported on first use: the loader is not needed by an app that only scores.
        from backtriage.protocol._default import default_protocol as load_default

        _DEFAULT.append(load_default())
    return _DEFAULT[0]


_DEFAULT: list[Protocol] = []  # the shipped protocol, once loaded (the loader caches it too)


def _protocol_or_default(protocol: object) -> Protocol:
    if protocol is None:
        return default_protocol()
    if not isinstance(protocol, Protocol):
        raise InvalidAnswerError(
            "protocol", protocol, "a Protocol (load a file with load_protocol), or None"
        )
    return protocol


_UNANSWERED_SAME_DAY = (
    "Some safety questions are not answered yet: answer them now, as one of them may mean "
    "you need emergency care."
)
_NONE_SUITABLE = "None of the exercises is suitable for you for now; the reasons are listed."
_UNANSWERED_ADVICE = (
    "Some safety questions are not answered yet, so no exercise can be suggested for now, "
    "and the advice may become more urgent once they are."
)


def _question_text(protocol: Protocol, name: str) -> str:
    fact = engine_of(protocol).fact_by_name.get(name)
    if fact is not None:
        return fact.question or name
    return _INSTRUMENT_TEXT.get(name, name)


_FALLBACK_ADVICE = {
    Urgency.NONE: "No urgent concern was found in your answers.",
    Urgency.ROUTINE: "Book a routine appointment with your GP or physiotherapist.",
    Urgency.SOON: "See your GP or physiotherapist within about two weeks.",
    Urgency.SAME_DAY: "Speak to a doctor today. Do not start exercises until you have been checked.",
    Urgency.EMERGENCY: "Go to an emergency department now, or call your emergency number.",
}


class QuestionKind(StrEnum):
    """What kind of input a question asks for."""

    RED_FLAG = "red_flag"
    FINDING = "finding"
    CAPABILITY = "capability"
    INSTRUMENT = "instrument"
    DETAIL = "detail"
    """A value about the person that is not a yes or no: the age, a directional preference."""


@attrs.frozen
class Question:
    """One thing an app must (or may) ask, taken from the protocol."""

    key: str
    kind: QuestionKind
    text: str
    required: bool


_INSTRUMENT_TEXT = {
    "odi": "Oswestry Disability Index: ten sections, each answered 0 to 5. "
    "The licensed questionnaire wording is supplied by the app.",
    "start_back": "Keele STarT Back Screening Tool: nine items. "
    "The licensed wording is supplied by the app.",
    "age": "Age in whole years.",
    "preference": "Directional preference, set by a clinician from a movement assessment, "
    "never asked of the person: the movement that eases the symptoms "
    "('extension', 'flexion' or 'lateral'), if a clinician has found one.",
}


def questions(protocol: Protocol | None = None) -> tuple[Question, ...]:
    """Return what an app must ask, in order: red flags, the instruments, the age and the
    directional preference (where the protocol uses them), then findings.

    Build the screening form from this instead of copying keys: a changed protocol then
    changes the form. Derived facts are computed, never asked, and are not listed.
    """
    protocol = _protocol_or_default(protocol)
    asked = [f for f in protocol.facts if f.kind is not FactKind.DERIVED]
    red_flags = [f for f in asked if f.kind is FactKind.RED_FLAG]
    others = [f for f in asked if f.kind is not FactKind.RED_FLAG]
    result = [
        Question(f.name, QuestionKind(f.kind.value), f.question or f.name, f.required)
        for f in red_flags
    ]
    result.append(
        Question("odi", QuestionKind.INSTRUMENT, _INSTRUMENT_TEXT["odi"], protocol.require_odi)
    )
    derived_from = {f.derive.source for f in protocol.facts if f.derive is not None}
    for key, source, kind, required in (
        (
            START_BACK_INPUT,
            DerivedFrom.START_BACK_RISK,
            QuestionKind.INSTRUMENT,
            protocol.require_start_back,
        ),
        (AGE_INPUT, DerivedFrom.AGE, QuestionKind.DETAIL, protocol.require_age),
        # Never required: "none known" is an answer, and it changes nothing (see section 4 of
        # docs/clinical-basis.md).
        ("preference", DerivedFrom.PREFERENCE, QuestionKind.DETAIL, False),
    ):
        if required or source in derived_from:
            result.append(Question(key, kind, _INSTRUMENT_TEXT[key], required))
    result.extend(
        Question(f.name, QuestionKind(f.kind.value), f.question or f.name, f.required)
        for f in others
    )
    return tuple(result)
