"""From an assessment to a safe, explained plan: the main job of backtriage."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from enum import StrEnum

import attrs

from backtriage._course import Course, Trend
from backtriage._facts import derive_facts, under_age_of
from backtriage._values import value_eq, value_hash, value_repr
from backtriage.assessment import Assessment, canonical
from backtriage.errors import InvalidAnswerError, ProtocolError, json_path
from backtriage.instruments.odi import OdiScore
from backtriage.instruments.start_back import StartBackScore
from backtriage.protocol import Fact, FactKind, Protocol, SafetyNet, Texts, Urgency
from backtriage.protocol._digest import protocol_hash
from backtriage.protocol._engine import (
    Engine,
    Evaluation,
    FiredRule,
    Prescription,
    Reason,
    Withheld,
    engine_of,
)
from backtriage.protocol._inputs import ASKED_INPUTS, asked_inputs
from backtriage.protocol._reasoner import RULE_MISSING_INPUT

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


@attrs.frozen
class Plan:
    """The outcome of :func:`recommend`: what to do now, and why.

    Every exercise of the protocol is in exactly one of ``exercises`` (may be done, level 1
    before level 2 and in catalogue order within a level, each with its cautions) and
    ``withheld`` (each with every reason).
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
    safety_net: SafetyNet | None
    """When to get help, from the protocol: in every plan but an emergency (there ``None``)."""
    texts: Texts
    """The protocol's fixed texts that :meth:`summary` arranges (headings, the disclaimer)."""
    protocol_hash: str = ""
    """The SHA-256 of the protocol that made the plan (:func:`backtriage.review.protocol_hash`)."""
    trend: Trend | None = None
    """How the ODI and the pain have changed since the first plan; ``None`` in a first plan."""
    trend_lines: tuple[str, ...] = ()
    """The trend as ``summary()`` shows it, one criterion a line, in the protocol's words."""
    # No validator or converter: until it is first read the slot holds what the course is
    # made of (see _CourseSlot), which only the slot's descriptor may see.
    course: Course | None = None
    """What a follow-up of this plan needs: the answers that carry over, the baseline, the days
    so far and each exercise's step. ``None`` only in a plan stored before follow-ups. Made
    when it is first read (most plans are never followed up); the plan is the same value."""

    def summary(self) -> str:
        """Return the plan as text a person can read; every word of it comes from the protocol.

        The advice comes first, the safety net (when to get help) right under it, in every plan
        but an emergency; then why (the reasons of the rules that set the plan's urgency), any
        unanswered questions, the scores, the exercises with the self-management advice, and
        the disclaimer last. A same-day or emergency plan names no exercise, not even as
        withheld.
        """
        texts = self.texts
        lines = [self.advice]
        net = self.safety_net
        if net is not None:
            lines.append("")
            for heading, signs in (
                (texts.emergency_heading, net.emergency),
                (texts.today_heading, net.today),
            ):
                lines.append(heading)
                lines.extend(f"- {sign}" for sign in signs)
            lines.append(net.review)
        # Why this urgency: only the rules that set it (Plan.fired keeps every rule).
        deciding = [f for f in self.fired if f.urgency is self.urgency]
        if deciding and self.urgency > Urgency.NONE:
            lines.append("")
            lines.append(texts.why_heading)
            lines.extend(f"- {text}" for text in dict.fromkeys(f.reason for f in deciding))
        # At same_day or emergency no exercise is named, not even as withheld. Unanswered
        # questions are still asked below emergency: a "yes" could make it one.
        act_now = self.urgency >= Urgency.SAME_DAY
        if self.missing and self.urgency < Urgency.EMERGENCY:
            lines.append("")
            lines.append(texts.answer_now_heading if act_now else texts.answer_first_heading)
            lines.extend(f"- {text}" for text in self.missing_questions)
        scores = []
        if self.odi is not None:
            scores.append(
                f"{texts.odi_label}: {self.odi.percent_rounded}% ({self.odi.band.label})."
            )
        if self.start_back is not None:
            scores.append(f"{texts.start_back_label}: {self.start_back.risk.value}.")
        if scores:
            lines.append("")
            lines.extend(scores)
        lines.extend(self.trend_lines)
        if self.exercises:
            lines.append("")
            lines.append(texts.exercises_heading)
            for prescription in self.exercises:
                exercise = prescription.exercise
                where = f" ({prescription.step + 1}/{prescription.steps})"
                lines.append(
                    f"- {exercise.title}{where}: {exercise.instructions} {prescription.dosage}"
                )
                lines.extend(f"    {texts.caution_label}: {c.text}" for c in prescription.cautions)
            lines.append("")
            lines.append(texts.self_management_heading)
            lines.extend(f"- {line}" for line in texts.self_management)
        # While questions are unanswered every exercise is withheld for that one reason, which
        # the list of questions above already says.
        if self.withheld and not act_now and not self.missing:
            lines.append("")
            lines.append(texts.not_for_now_heading)
            for withheld in self.withheld:
                why = " ".join(dict.fromkeys(r.text for r in withheld.reasons))
                lines.append(f"- {withheld.exercise.title}: {why}")
        lines.append("")
        lines.append(texts.disclaimer)
        lines.append(f"({texts.protocol_label} {self.protocol_name} {self.protocol_version}.)")
        return "\n".join(lines)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


class _CourseToCome:
    """What a plan's course is made of, until the course is first read: the answers as they
    were given (``canonical`` makes them the course's) and, for a plan of a follow-up, its
    history. The rest is in the plan itself."""

    __slots__ = ("answers", "history")

    def __init__(self, answers: Assessment, history: History | None) -> None:
        self.answers = answers
        self.history = history

    def course(self, plan: Plan) -> Course:
        answers = self.answers
        history = self.history
        steps = {p.exercise.id: p.step for p in plan.exercises}
        if history is None:
            return Course(canonical(answers), answers.odi_score, answers.pain, steps=steps)
        # The course keeps the step of every exercise given, and of every exercise withheld
        # only while questions are unanswered; an exercise a rule withholds loses its step.
        previous_steps = history.steps
        if plan.missing and previous_steps:
            for w in plan.withheld:
                waits = all(r.rule == RULE_MISSING_INPUT for r in w.reasons)
                if w.exercise.id in previous_steps and waits:
                    steps[w.exercise.id] = previous_steps[w.exercise.id]
        return Course(
            canonical(answers),
            history.baseline_odi,
            history.baseline_pain,
            history.days,
            history.check_ins,
            steps,
            history.tolerated,
        )


class _CourseSlot:
    """``Plan.course``: the course is made the first time it is read, then kept in its slot.

    Every read goes through here (the attribute, ``==``, ``hash``, ``repr``, pickle,
    ``attrs.evolve``, the converter), so no one sees a course that is not made yet. Two threads
    reading it first at once each make an equal course, and one of them is kept.
    """

    __slots__ = ("slot",)

    def __init__(self, slot: typing.Any) -> None:
        self.slot = slot  # the member descriptor of the slot attrs made

    def __get__(self, plan: Plan | None, owner: type | None = None) -> typing.Any:
        if plan is None:
            return self
        value = self.slot.__get__(plan, owner)
        if type(value) is _CourseToCome:
            value = value.course(plan)
            self.slot.__set__(plan, value)
        return value

    def __set__(self, plan: Plan, value: object) -> None:
        self.slot.__set__(plan, value)

    def __delete__(self, plan: Plan) -> None:
        self.slot.__delete__(plan)


Plan.course = _CourseSlot(Plan.__dict__["course"])  # type: ignore[assignment]


def check_steps(plan: Plan, *at: str) -> None:
    """Refuse a plan whose exercises or course name a step their exercise does not have.

    A step outside the exercise's steps would show another dosage (a step of -1 the hardest),
    and a follow-up moves each exercise on from the step its plan gave. ``at`` is where the
    plan is (nothing for a plan document, ``"plan"`` for an argument); the error names the
    path of the step below it.
    """
    for index, prescription in enumerate(plan.exercises):
        if not 0 <= prescription.step < prescription.steps:
            raise InvalidAnswerError(
                json_path(*at, "exercises", index, "step"),
                prescription.step,
                f"a step of the exercise, from 0 to {prescription.steps - 1}",
            )
    course = plan.course
    if course is None:
        return
    lasts = {p.exercise.id: p.steps - 1 for p in plan.exercises}
    lasts.update((w.exercise.id, max(len(w.exercise.steps), 1) - 1) for w in plan.withheld)
    for exercise_id, step in course.steps.items():
        last = lasts.get(exercise_id, 0)
        if type(step) is not int or not 0 <= step <= last:
            raise InvalidAnswerError(
                json_path(*at, "course", "steps", exercise_id),
                step,
                f"a step of the exercise, from 0 to {last}",
            )


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

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def build_plan(assessment: Assessment, protocol: Protocol, history: History | None) -> Plan:
    """Return the plan of ``assessment`` under ``protocol``, within a course when ``history``.

    The engine decides as for a first plan; the history can only add: capabilities the course
    has shown (and only where the answers alone give some exercise, so that history never gives
    exercises a fresh triage withholds in full), exercises held back for one plan, and a
    routine review. Every invariant of :func:`recommend` therefore holds.
    """
    present, missing = derive_facts(assessment, protocol)
    under_age = under_age_of(assessment, protocol)
    engine = engine_of(protocol)
    evaluation = engine.evaluate(present, missing=missing, under_age=under_age)
    if history is None:
        return _plan(assessment, protocol, engine, evaluation, present, missing, None)
    if history.tolerated and evaluation.given_mask:
        present = [*present, *(n for n in history.tolerated if n not in present)]
        evaluation = engine.evaluate(present, missing=missing, under_age=under_age)
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
            [
                engine.at_step(p, min(steps[p.exercise.id], p.steps - 1))
                if steps.get(p.exercise.id)
                else p
                for p in given
            ]
        )
    # Level 1 before level 2; the sort is stable, so within a level the catalogue's order
    # (gentlest and most supported first) decides, and a plan starts with the gentlest it gives.
    ranked = sorted(given, key=lambda p: p.exercise.level)
    fired = evaluation.fired
    urgency = evaluation.urgency
    if history is not None and history.referrals:
        fired = (*fired, *history.referrals)
        raised = max(urgency, *(f.urgency or Urgency.NONE for f in history.referrals))
        if raised is not urgency:
            # The course asks for a review: the advice is the raised urgency's.
            urgency = raised
            evaluation = attrs.evolve(evaluation, urgency=urgency)
    return Plan(
        urgency=urgency,
        exercises=tuple(ranked),
        withheld=withheld,
        missing=tuple(missing),
        missing_questions=tuple([_question_text(protocol, name) for name in missing])
        if missing
        else (),
        fired=fired,
        facts=tuple(sorted(set(present), key=engine.fact_bit.__getitem__)),
        advice=_advice(protocol, evaluation, given=bool(ranked), age=assessment.age),
        odi=assessment.odi_score,
        start_back=assessment.start_back,
        protocol_name=protocol.name,
        protocol_version=protocol.version,
        # An emergency plan's advice says what to do now; every other plan says when to get
        # help, also while it waits for answers or gives no exercise.
        safety_net=protocol.safety_net if urgency is not Urgency.EMERGENCY else None,
        texts=protocol.texts,
        protocol_hash=protocol_hash(protocol),
        trend=history.trend if history is not None else None,
        trend_lines=history.trend_lines if history is not None else (),
        # Made when it is first read (a follow-up, to_json, ==): most plans are shown and never
        # followed up. What it is made of is kept as it is.
        course=typing.cast("Course", _CourseToCome(assessment, history)),
    )


def _advice(protocol: Protocol, evaluation: Evaluation, *, given: bool, age: int | None) -> str:
    """Return the advice of a plan, from the protocol's texts alone.

    A fired rule that sets the plan's urgency may carry its own advice (the first in protocol
    order wins); otherwise the protocol's advice for the urgency. A plan without exercises
    (questions unanswered, every exercise withheld, below the minimum age) uses the text for
    the urgency that invites no exercise, after the reason there is none.
    """
    texts = protocol.texts
    urgency = evaluation.urgency
    own = None
    if evaluation.fired_indices:
        urgencies = evaluation.engine.rule_urgencies
        own = next(
            (
                protocol.rules[i].advice
                for i in evaluation.fired_indices
                if protocol.rules[i].advice and (urgencies[i] or Urgency.NONE) is urgency
            ),
            None,
        )
    if urgency is Urgency.EMERGENCY:
        return own or protocol.advice.emergency
    plain = own or texts.no_exercise_advice.for_urgency(urgency)
    missing = evaluation.missing
    if evaluation.under_age is not None:
        # The age band's own advice, while no rule refers more urgently.
        band = None if age is None else protocol.scope.age_band(age)
        if own is None and band is not None and band.advice and band.urgency is urgency:
            plain = band.advice
        extra = (texts.unanswered_same_day,) if missing else ()
        return " ".join((texts.out_of_scope, plain, *extra))
    if missing and urgency < Urgency.SAME_DAY:
        # "Nothing needs a clinician" would be a guess while safety questions are unanswered;
        # the urgency's usual advice may invite exercises, which this plan does not give.
        return texts.unanswered if urgency is Urgency.NONE else f"{texts.unanswered} {plain}"
    if missing:
        return f"{own or protocol.advice.same_day} {texts.unanswered_same_day}"
    if not given and urgency < Urgency.SAME_DAY:
        # Every exercise is withheld (recent spine surgery, say): advice that invites "the
        # exercises below" would contradict the plan.
        return f"{plain} {texts.none_suitable}"
    return own or protocol.advice.for_urgency(urgency)


def default_protocol() -> Protocol:
    """Return the protocol shipped with backtriage, loaded once on first use."""
    if not _DEFAULT:
        # Imported on first use: the loader is not needed by an app that only scores.
        from backtriage.protocol import default_protocol as load_default

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


def _question_text(protocol: Protocol, name: str) -> str:
    fact = engine_of(protocol).fact_by_name.get(name)
    if fact is not None:
        return fact.question or name
    return protocol.texts.question(name) if name in ASKED_INPUTS else name


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
    """Whether it must be answered; for a follow-up question, only once ``asked_if`` is yes."""
    asked_if: str | None = None
    """A follow-up question: ask it only when this question is answered yes (otherwise its
    answer is no, or none; a yes is refused)."""

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def questions(protocol: Protocol | None = None) -> tuple[Question, ...]:
    """Return what an app must ask, in order: red flags, the instruments, the age and the
    directional preference (where the protocol uses them), then findings.

    Build the screening form from this instead of copying keys: a changed protocol then
    changes the form. Derived facts are computed, never asked, and are not listed. A follow-up
    question (``asked_if`` set) comes right after the question it follows: ask it only after a
    yes to that one.
    """
    protocol = _protocol_or_default(protocol)
    asked = [f for f in protocol.facts if f.kind is not FactKind.DERIVED]
    red_flags = [f for f in asked if f.kind is FactKind.RED_FLAG]
    others = [f for f in asked if f.kind is not FactKind.RED_FLAG]
    result = [_fact_question(f) for f in red_flags]
    for key, questionnaire, required in asked_inputs(protocol):
        kind = QuestionKind.INSTRUMENT if questionnaire else QuestionKind.DETAIL
        result.append(Question(key, kind, protocol.texts.question(key), required))
    result.extend(_fact_question(f) for f in others)
    return _follow_ups_after_conditions(result)


def _follow_ups_after_conditions(listed: list[Question]) -> tuple[Question, ...]:
    keys = {q.key for q in listed}
    follow_ups: dict[str, list[Question]] = {}
    for question in listed:
        if question.asked_if is not None and question.asked_if in keys:
            follow_ups.setdefault(question.asked_if, []).append(question)
    ordered: list[Question] = []
    for question in listed:
        if question.asked_if is not None and question.asked_if in keys:
            continue
        ordered.append(question)
        ordered.extend(follow_ups.get(question.key, ()))
    return tuple(ordered)


def _fact_question(fact: Fact) -> Question:
    return Question(
        fact.name,
        QuestionKind(fact.kind.value),
        fact.question or fact.name,
        fact.required,
        fact.asked_if,
    )
