"""From an assessment to a safe, explained plan: the main job of backtriage."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import attrs

from backtriage._course import Course, Trend
from backtriage._facts import derive_facts
from backtriage.assessment import Assessment, Preference, canonical
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.instruments.odi import OdiScore
from backtriage.instruments.start_back import StartBackScore
from backtriage.protocol._digest import protocol_hash
from backtriage.protocol._engine import (
    RULE_MISSING_INPUT,
    Engine,
    Evaluation,
    FiredRule,
    Prescription,
    Reason,
    Withheld,
    engine_of,
)
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
    "History",
    "Plan",
    "Question",
    "QuestionKind",
    "build_plan",
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
    protocol_hash: str = ""
    """The SHA-256 of the protocol that made the plan (:func:`backtriage.review.protocol_hash`)."""
    trend: Trend | None = None
    """How the ODI and the pain have changed since the first plan; ``None`` in a first plan."""
    trend_lines: tuple[str, ...] = ()
    """The trend as ``summary()`` shows it, one criterion a line, in the protocol's words."""
    course: Course | None = None
    """What a follow-up of this plan needs: the answers that carry over, the baseline, the days
    so far and each exercise's step. ``None`` only in a plan stored before follow-ups."""

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
        lines.extend(self.trend_lines)
        if self.exercises:
            lines.append("")
            lines.append("Exercises you may try:")
            for prescription in self.exercises:
                exercise = prescription.exercise
                where = f" ({prescription.step + 1}/{prescription.steps})" if exercise.steps else ""
                lines.append(
                    f"- {exercise.title}{where}: {exercise.instructions} {prescription.dosage}"
                )
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
    refuses. The plan starts a course: every exercise it gives is at its first step.
    """
    return build_plan(assessment, protocol, None)


@attrs.frozen
class History:
    """What a course adds to a triage: :func:`build_plan`'s input from a follow-up.

    ``steps`` is the step each exercise takes if the plan gives it (absent: its first);
    ``tolerated`` the capabilities the course has shown; ``held_back`` exercises withheld for
    one plan, each with its reason; ``referrals`` reviews the course asks for (its trend),
    never above routine. The other fields go into the plan's course as they are.
    """

    baseline_odi: OdiScore | None
    baseline_pain: int | None
    days: int
    check_ins: int
    steps: Mapping[str, int]
    tolerated: tuple[str, ...] = ()
    held_back: Mapping[str, Reason] = attrs.field(factory=dict)
    referrals: tuple[FiredRule, ...] = ()
    trend: Trend | None = None
    trend_lines: tuple[str, ...] = ()


def build_plan(assessment: Assessment, protocol: Protocol, history: History | None) -> Plan:
    """Return the plan of ``assessment`` under ``protocol``, within a course when ``history``.

    The engine decides as for a first plan; the history can only add: capabilities the course
    has shown (and only where the answers alone give some exercise, so that history never gives
    exercises a fresh triage withholds in full), exercises held back for one plan, and a
    routine review. Every invariant of :func:`recommend` therefore holds.
    """
    present, missing = derive_facts(assessment, protocol)
    engine = engine_of(protocol)
    evaluation = engine.evaluate(present, missing=missing)
    if history is None:
        return _plan(assessment, protocol, engine, evaluation, present, missing, None)
    if history.tolerated and evaluation.given_mask:
        present = [*present, *(n for n in history.tolerated if n not in present)]
        evaluation = engine.evaluate(present, missing=missing)
    return _plan(assessment, protocol, engine, evaluation, present, missing, history)


def _plan(
    assessment: Assessment,
    protocol: Protocol,
    engine: Engine,
    evaluation: Evaluation,
    present: list[str],
    missing: list[str],
    history: History | None,
) -> Plan:
    preference = assessment.preference
    preferred = None if preference is None else _PREFERRED_MOVEMENT[preference]
    given = evaluation.prescriptions()
    withheld = evaluation.withheld()
    held_back = history.held_back if history is not None else None
    if held_back and any(p.exercise.id in held_back for p in given):
        order = {e.id: i for i, e in enumerate(protocol.exercises)}
        withheld = tuple(
            sorted(
                (
                    *withheld,
                    *(
                        Withheld(p.exercise, (held_back[p.exercise.id],))
                        for p in given
                        if p.exercise.id in held_back
                    ),
                ),
                key=lambda w: order[w.exercise.id],
            )
        )
        given = tuple(p for p in given if p.exercise.id not in held_back)
    steps = history.steps if history is not None else None
    if steps:
        given = tuple(
            attrs.evolve(p, step=min(steps[p.exercise.id], p.steps - 1))
            if steps.get(p.exercise.id)
            else p
            for p in given
        )
    # Gentlest first, then the preferred movement; the sort is stable, so protocol order
    # decides the rest.
    ranked = sorted(
        given,
        key=lambda p: (p.exercise.level, p.exercise.movement is not preferred),
    )
    fired = evaluation.fired
    urgency = evaluation.urgency
    if history is not None and history.referrals:
        fired = (*fired, *history.referrals)
        urgency = max(urgency, *(f.urgency or Urgency.NONE for f in history.referrals))
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
    # The course keeps the step of every exercise given, and of every exercise withheld only
    # while questions are unanswered; an exercise a rule withholds loses its step.
    kept = {p.exercise.id: p.step for p in ranked}
    if missing and steps:
        for w in withheld:
            if w.exercise.id in steps and all(r.rule == RULE_MISSING_INPUT for r in w.reasons):
                kept[w.exercise.id] = steps[w.exercise.id]
    answers = canonical(assessment)
    if history is None:
        course = Course(answers, assessment.odi_score, assessment.pain, steps=kept)
    else:
        course = Course(
            answers,
            history.baseline_odi,
            history.baseline_pain,
            history.days,
            history.check_ins,
            kept,
            history.tolerated,
        )
    return Plan(
        urgency=urgency,
        exercises=tuple(ranked),
        withheld=withheld,
        missing=tuple(missing),
        missing_questions=tuple(_question_text(protocol, name) for name in missing),
        fired=fired,
        facts=tuple(sorted(set(present), key=engine.fact_bit.__getitem__)),
        advice=advice,
        odi=assessment.odi_score,
        start_back=assessment.start_back,
        protocol_name=protocol.name,
        protocol_version=protocol.version,
        # A plan without exercises already says what to do now, in its advice.
        safety_net=protocol.safety_net if urgency < Urgency.EMERGENCY else None,
        protocol_hash=protocol_hash(protocol),
        trend=history.trend if history is not None else None,
        trend_lines=history.trend_lines if history is not None else (),
        course=course,
    )


def default_protocol() -> Protocol:
    """Return the protocol shipped with backtriage, loaded once on first use."""
    if not _DEFAULT:
        # Imported on first use: the loader is not needed by an app that only scores.
        from backtriage.protocol._load import default_protocol as load_default

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
