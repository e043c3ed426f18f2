"""Follow a plan up: re-screen, move each exercise along its steps, and measure the trend.

A check-in is a full triage: the answers of the plan carry over, changed by the check-in, and
go through the one path every plan takes (:func:`backtriage._plan.build_plan`). The course
adds only what history knows: the step each exercise has reached, moved by the
pain-monitoring model; exercises stopped by their pain response, held back for one plan;
capabilities the course has shown; and a routine review when the trend asks for one.

The pain-monitoring model, per exercise the plan gave (``green_max`` and ``amber_max`` from
the protocol's ``[follow_up]``):

- pain during it 0..green_max and the next morning not worse: one step up (never past the
  last: there it keeps its step);
- pain during it up to amber_max and the next morning not worse: the same step;
- pain above amber_max, or the next morning worse: one step down; at the first step it stops
  (withheld for the next plan, with the pain response as its reason; offered again from its
  first step after that, if nothing else withholds it);
- not done, or not reported: the same step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction

import attrs

from backtriage._course import Trend
from backtriage._plan import History, Plan, _protocol_or_default, build_plan, check_steps
from backtriage._values import value_eq, value_hash, value_repr
from backtriage.assessment import (
    Assessment,
    CheckIn,
    ExerciseReport,
    NextMorning,
    carried_over,
)
from backtriage.errors import InvalidAnswerError, ProtocolError, json_path
from backtriage.instruments.odi import OdiScore, odi_change
from backtriage.protocol import FactKind, FollowUpRules, Protocol, Urgency
from backtriage.protocol._digest import protocol_hash
from backtriage.protocol._engine import FiredRule, Reason
from backtriage.protocol._reasoner import (
    RULE_NOT_IMPROVING,
    RULE_STOPPED,
    RULE_TREND_WORSE,
    STEP_RULES,
)

__all__ = ["FollowUp", "StepDecision", "StepKind", "follow_up", "trend_of"]

NOT_IMPROVING_DAYS = 42
"""Days after the first plan from which a course with neither measure improved is reviewed."""
ODI_POINTS = 10
"""The ODI change in points that counts, either way [S12]."""
PAIN_POINTS = 2
"""The pain change in points that counts, either way [S81]."""
RELATIVE = Fraction(3, 10)
"""The relative improvement that counts, for the ODI and the pain [S12, S81]."""


class StepKind(StrEnum):
    """What a follow-up does with one exercise."""

    START = "start"
    """Given now and not before: at its first step."""
    PROGRESS = "progress"
    """One step up."""
    HOLD = "hold"
    """The same step."""
    REGRESS = "regress"
    """One step down."""
    STOP = "stop"
    """Not given now: stopped by its pain response, or withheld by a rule."""


@attrs.frozen
class StepDecision:
    """The decision for one exercise: its kind, why, and the steps before and after.

    ``step`` is the step in the next plan (``None`` when the exercise is not given) and
    ``previous`` the step in the plan followed up (``None`` when it did not give it). ``rule``
    names what decided: a ``follow_up.*`` decision of the pain response, or the rule (or engine
    invariant) that withholds the exercise.
    """

    exercise_id: str
    kind: StepKind
    reason: str
    rule: str
    step: int | None
    previous: int | None
    title: str = ""
    """The exercise's title, as the protocol gives it."""

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class FollowUp:
    """The result of :func:`follow_up`: the next plan and one decision per exercise.

    ``steps`` holds a decision for every exercise the previous plan gave or the next plan gives,
    in protocol order.
    """

    plan: Plan
    steps: tuple[StepDecision, ...]
    heading: str = ""
    """The heading of the decisions in :meth:`summary`, from the protocol."""

    def decision(self, exercise_id: str) -> StepDecision:
        """Return the decision for ``exercise_id`` (``KeyError`` when there is none)."""
        for decision in self.steps:
            if decision.exercise_id == exercise_id:
                return decision
        raise KeyError(exercise_id)

    def summary(self) -> str:
        """Return the decisions, one line per exercise, then the next plan's summary."""
        if not self.steps:
            return self.plan.summary()
        lines = [self.heading]
        lines.extend(f"- {d.title or d.exercise_id}: {d.reason}" for d in self.steps)
        return "\n".join([*lines, "", self.plan.summary()])

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def follow_up(
    plan: Plan,
    check_in: CheckIn,
    *,
    protocol: Protocol | None = None,
    allow_new_version: bool = False,
) -> FollowUp:
    """Follow ``plan`` up with ``check_in``: the next plan, and a decision per exercise.

    ``protocol`` is the protocol to use (the default protocol when ``None``); it must be the
    one that made ``plan`` (same name, version and content hash) unless ``allow_new_version``
    is true, in which case every exercise starts again at its first step.

    Raises :class:`~backtriage.InvalidAnswerError` (with the path of the bad value) for a report
    of an exercise the plan did not give, a red-flag key or finding the protocol does not know,
    or a plan without the course a follow-up needs; :class:`~backtriage.ProtocolError` for a
    protocol with problems, without ``[follow_up]``, or not the plan's. Nothing is half done:
    an error means no result.
    """
    if not isinstance(plan, Plan):
        raise InvalidAnswerError("plan", plan, "a Plan made by recommend or follow_up")
    if not isinstance(check_in, CheckIn):
        raise InvalidAnswerError("check_in", check_in, "a CheckIn (build one from the answers)")
    protocol = _protocol_or_default(protocol)
    rules = _rules_of(protocol)
    course = plan.course
    if course is None:
        raise InvalidAnswerError(
            "$.plan.course",
            None,
            "a plan made by recommend or follow_up of this version, which records its course",
            problem="the plan has no course to follow up",
        )
    check_steps(plan, "plan")
    restart = _same_protocol(plan, protocol, allow_new_version)
    given = {p.exercise.id: p for p in plan.exercises}
    for exercise_id in check_in.exercises:
        if exercise_id not in given:
            raise InvalidAnswerError(
                json_path("exercises", exercise_id),
                exercise_id,
                "a report only for an exercise the plan gave: "
                + (", ".join(sorted(given)) or "the plan gave none"),
                problem="not an exercise of the plan",
            )

    answers = _answers(course.answers, check_in)
    baseline_pain = course.baseline_pain if course.baseline_pain is not None else check_in.pain
    days = course.days + check_in.days
    trend = trend_of(course.baseline_odi, answers.odi_score, baseline_pain, check_in.pain, days)
    referrals = []
    if trend.worse:
        referrals.append(
            FiredRule(RULE_TREND_WORSE, rules.trend_worse, rules.source, Urgency.ROUTINE)
        )
    elif days >= NOT_IMPROVING_DAYS > course.days and not trend.improved:
        referrals.append(
            FiredRule(RULE_NOT_IMPROVING, rules.trend_not_improving, rules.source, Urgency.ROUTINE)
        )

    # The pain response of every exercise the plan gave: its next step, or a stop (held back
    # for one plan). On a restart no exercise keeps its step.
    moves: dict[str, tuple[str, int]] = {}
    held_back: dict[str, Reason] = {}
    steps: dict[str, int] = {} if restart else dict(course.steps)
    reports = check_in.exercises
    for exercise_id, prescription in given.items():
        text, step = moves[exercise_id] = _move(
            reports.get(exercise_id), prescription.step, prescription.steps, rules
        )
        if text == "stop":
            held_back[exercise_id] = Reason(RULE_STOPPED, rules.stop, rules.source)
        elif not restart:
            steps[exercise_id] = step
    tolerated = dict.fromkeys(course.tolerated)
    if any(text in _TOLERANCE_MOVES for text, _ in moves.values()):
        unlocks = _unlocks(protocol)
        for exercise_id, (text, _) in moves.items():
            for capability in unlocks.get(exercise_id, ()):
                if text == "hold_last_step":
                    tolerated[capability] = None
                elif text in ("regress", "stop"):
                    tolerated.pop(capability, None)
    history = History(
        baseline_odi=course.baseline_odi,
        baseline_pain=baseline_pain,
        days=days,
        check_ins=course.check_ins + 1,
        steps=steps,
        tolerated=tuple(tolerated),
        held_back=held_back,
        referrals=tuple(referrals),
        trend=trend,
        trend_lines=_trend_lines(trend, rules),
    )
    following = build_plan(answers, protocol, history)
    decisions = _decisions(plan, following, moves, rules, protocol, restart)
    return FollowUp(following, decisions, rules.step_heading)


def _rules_of(protocol: Protocol) -> FollowUpRules:
    problems = protocol.check()
    if problems:
        raise ProtocolError(
            f"has {len(problems)} problem(s), first: {problems[0]}; run protocol.check()",
            where=f"protocol {protocol.name!r}",
        )
    rules = protocol.follow_up
    if rules is None:
        raise ProtocolError(
            "has no [follow_up] section: a follow-up needs its pain limits and texts",
            where=f"protocol {protocol.name!r}",
        )
    return rules


def _same_protocol(plan: Plan, protocol: Protocol, allow_new_version: bool) -> bool:
    """Return whether every exercise restarts: the plan came from another protocol version."""
    same = (
        plan.protocol_name == protocol.name
        and plan.protocol_version == protocol.version
        and plan.protocol_hash == protocol_hash(protocol)
    )
    if same:
        return False
    if allow_new_version and plan.protocol_name == protocol.name:
        return True
    raise ProtocolError(
        f"the plan was made by {plan.protocol_name} {plan.protocol_version} "
        f"(sha256 {plan.protocol_hash[:12] or 'not recorded'}), not by this one "
        f"({protocol.version}, sha256 {protocol_hash(protocol)[:12]}); pass "
        "allow_new_version=True to follow it up with this version (every exercise restarts)"
        if plan.protocol_name == protocol.name
        else f"the plan was made by protocol {plan.protocol_name!r}, not this one",
        where=f"protocol {protocol.name!r}",
    )


def _answers(previous: Assessment, check_in: CheckIn) -> Assessment:
    """Return the answers of the check-in, the plan's answers carried over where unchanged."""
    return carried_over(previous, check_in)


def _move(
    report: ExerciseReport | None, step: int, steps: int, rules: FollowUpRules
) -> tuple[str, int]:
    """Return the decision (a text name of ``[follow_up]``) and the step it leads to."""
    if report is None:
        return "not_reported", step
    if not report.done:
        return "not_done", step
    pain = report.pain_during
    worse = report.next_morning is NextMorning.WORSE
    if worse or (pain is not None and pain > rules.amber_max):
        return ("regress", step - 1) if step > 0 else ("stop", 0)
    if pain is None or report.next_morning is None:
        return "not_reported", step
    if pain <= rules.green_max:
        return ("progress", step + 1) if step + 1 < steps else ("hold_last_step", step)
    return "hold", step


# The moves that show or lose the tolerance of an exercise (and the capabilities it unlocks).
_TOLERANCE_MOVES = frozenset({"hold_last_step", "regress", "stop"})


def _unlocks(protocol: Protocol) -> dict[str, tuple[str, ...]]:
    """Return, per exercise, the capabilities its tolerance records (``unlocked_by``)."""
    if _LAST_UNLOCKS and _LAST_UNLOCKS[0][0] is protocol:
        return _LAST_UNLOCKS[0][1]
    found: dict[str, list[str]] = {}
    for fact in protocol.facts:
        if fact.kind is FactKind.CAPABILITY and fact.unlocked_by is not None:
            found.setdefault(fact.unlocked_by, []).append(fact.name)
    unlocks = {k: tuple(v) for k, v in found.items()}
    _LAST_UNLOCKS[:] = [(protocol, unlocks)]
    return unlocks


# The unlocks of the protocol used last: most apps follow up under one protocol.
_LAST_UNLOCKS: list[tuple[Protocol, dict[str, tuple[str, ...]]]] = []


_KIND_OF_MOVE = {
    "progress": StepKind.PROGRESS,
    "hold": StepKind.HOLD,
    "hold_last_step": StepKind.HOLD,
    "not_done": StepKind.HOLD,
    "not_reported": StepKind.HOLD,
    "regress": StepKind.REGRESS,
    "stop": StepKind.STOP,
}


def _decisions(
    plan: Plan,
    following: Plan,
    moves: Mapping[str, tuple[str, int]],
    rules: FollowUpRules,
    protocol: Protocol,
    restart: bool,
) -> tuple[StepDecision, ...]:
    before = {p.exercise.id: p.step for p in plan.exercises}
    after = {p.exercise.id: p.step for p in following.exercises}
    course = plan.course
    withheld = {w.exercise.id: w for w in following.withheld}
    decisions = []
    for exercise in protocol.exercises:
        exercise_id = exercise.id
        previous = before.get(exercise_id)
        step = after.get(exercise_id)
        if previous is None and step is None:
            continue
        if step is None:
            held = withheld[exercise_id]
            reason = held.reasons[0]
            text = " ".join(dict.fromkeys(r.text for r in held.reasons))
            decisions.append(
                StepDecision(
                    exercise_id, StepKind.STOP, text, reason.rule, None, previous, exercise.title
                )
            )
            continue
        if restart:
            name, kind = "restart", StepKind.START
        elif previous is None:
            held_step = course.steps.get(exercise_id) if course is not None else None
            name, kind = ("resume", StepKind.HOLD) if held_step else ("start", StepKind.START)
        else:
            name = moves[exercise_id][0]
            kind = _KIND_OF_MOVE[name]
        decisions.append(
            StepDecision(
                exercise_id,
                kind,
                getattr(rules, name),
                STEP_RULES[name],
                step,
                previous,
                exercise.title,
            )
        )
    return tuple(decisions)


def trend_of(
    baseline_odi: OdiScore | None,
    odi: OdiScore | None,
    baseline_pain: int | None,
    pain: int | None,
    days: int,
) -> Trend:
    """Return the trend of the ODI and the pain against their baseline, criterion by criterion.

    Improved: the ODI down by 10 points or by 30 % of the baseline [S12, S15], or the pain down
    by 2 points or by 30 % [S81]. Worse: the ODI up by 10 points or more, or the pain up by 2
    points or more (absolute rises only).
    """
    odi_down_10 = odi_down_30 = odi_up_10 = None
    odi_points: float | None = None
    if baseline_odi is not None and odi is not None and _same(baseline_odi, odi):
        # Unchanged (the ODI not measured again): no criterion is met, and no relative
        # change needs working out.
        odi_points = 0.0
        odi_down_10 = odi_up_10 = False
        odi_down_30 = False if baseline_odi.raw else None
    elif baseline_odi is not None and odi is not None:
        change = odi_change(baseline_odi, odi)
        odi_points = float(change.points)
        odi_down_10 = change.improved_10_points
        odi_down_30 = change.improved_30_percent if change.before > 0 else None
        odi_up_10 = change.worsened_10_points
    pain_down_2 = pain_down_30 = pain_up_2 = None
    pain_points: int | None = None
    if baseline_pain is not None and pain is not None:
        pain_points = pain - baseline_pain
        pain_down_2 = -pain_points >= PAIN_POINTS
        # -points >= RELATIVE * baseline, in whole numbers (exact, and no Fraction arithmetic).
        pain_down_30 = (
            -pain_points * RELATIVE.denominator >= RELATIVE.numerator * baseline_pain
            if baseline_pain > 0
            else None
        )
        pain_up_2 = pain_points >= PAIN_POINTS
    return Trend(
        days=days,
        baseline_odi=None if baseline_odi is None else baseline_odi.percent,
        odi=None if odi is None else odi.percent,
        odi_points=odi_points,
        odi_down_10_points=odi_down_10,
        odi_down_30_percent=odi_down_30,
        odi_up_10_points=odi_up_10,
        baseline_pain=baseline_pain,
        pain=pain,
        pain_points=pain_points,
        pain_down_2_points=pain_down_2,
        pain_down_30_percent=pain_down_30,
        pain_up_2_points=pain_up_2,
        improved=bool(odi_down_10 or odi_down_30 or pain_down_2 or pain_down_30),
        worse=bool(odi_up_10 or pain_up_2),
    )


def _same(before: OdiScore, after: OdiScore) -> bool:
    return before is after or (before.raw, before.answered) == (after.raw, after.answered)


def _trend_lines(trend: Trend, rules: FollowUpRules) -> tuple[str, ...]:
    """Return the trend as a summary shows it: the values, then each criterion on its line."""

    def word(met: bool | None) -> str:
        return rules.met if met else rules.not_met

    lines = ["", rules.trend_heading]
    if trend.baseline_odi is not None and trend.odi is not None:
        lines.append(f"- {rules.odi_label}: {_number(trend.baseline_odi)} -> {_number(trend.odi)}")
        lines.append(f"  {rules.odi_down_10_points}: {word(trend.odi_down_10_points)}")
        if trend.odi_down_30_percent is not None:
            lines.append(f"  {rules.odi_down_30_percent}: {word(trend.odi_down_30_percent)}")
        lines.append(f"  {rules.odi_up_10_points}: {word(trend.odi_up_10_points)}")
    if trend.baseline_pain is not None and trend.pain is not None:
        lines.append(f"- {rules.pain_label}: {trend.baseline_pain} -> {trend.pain}")
        lines.append(f"  {rules.pain_down_2_points}: {word(trend.pain_down_2_points)}")
        if trend.pain_down_30_percent is not None:
            lines.append(f"  {rules.pain_down_30_percent}: {word(trend.pain_down_30_percent)}")
        lines.append(f"  {rules.pain_up_2_points}: {word(trend.pain_up_2_points)}")
    return tuple(lines)


def _number(percent: float) -> str:
    # Rounded half up, as the ODI is shown everywhere else (an ODI percent is a multiple of
    # 20/answered: its halves, such as 22.5, are exact in binary).
    return str(math.floor(percent + 0.5))
