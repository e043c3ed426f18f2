"""Properties of follow-ups: the pain response moves a step by one at most, and monotonely;
a red flag at a check-in is screened as ``recommend`` screens it.

The pain model is checked exhaustively, not sampled: every exercise the best-placed person is
given, at every step it can reach, with every pain during it (0 to 10) and every next morning.
The re-screen is checked for each red flag alone, then for random sets of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import attrs
from hypothesis import strategies as st

from backtriage._follow_up import follow_up
from backtriage._plan import Plan, recommend
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning
from backtriage.instruments._registry import check_in_instruments
from backtriage.protocol import Protocol
from backtriage.testing._harness import _failure, _search, _Subject
from backtriage.testing._report import PropertyFailure

_PAINS: Final = range(11)
_SAFE: Final = ExerciseReport(done=True, pain_during=0, next_morning=NextMorning.SAME)


def _course(subject: _Subject) -> list[Plan]:
    """Return the plans of a course from the best-placed assessment, every step reached.

    Empty when the protocol cannot be followed up (no ``[follow_up]``, or problems that
    ``check()`` reports on its own).
    """
    protocol = subject.protocol
    if protocol.follow_up is None or not subject.clean:
        return []
    assessment = subject.realize(subject.capabilities)
    if assessment is None:
        return []
    least = protocol.scope.min_age
    if least is not None and (assessment.age is None or assessment.age < least):
        assessment = attrs.evolve(assessment, age=least)  # a person within the scope
    plan = recommend(assessment, protocol=protocol)
    plans = [plan]
    longest = max((len(e.steps) for e in protocol.exercises), default=1)
    for _ in range(longest):
        reports = {p.exercise.id: _SAFE for p in plan.exercises}
        plan = follow_up(plan, _check_in(plan, reports), protocol=protocol).plan
        plans.append(plan)
    return plans


def _check_in(
    plan: Plan, reports: dict[str, ExerciseReport], red_flags: dict[str, bool] | None = None
) -> CheckIn:
    course = plan.course
    answers = course.answers if course is not None else Assessment()
    flags = red_flags if red_flags is not None else dict.fromkeys(answers.red_flags, False)
    # Each rating a check-in asks again: as it was, or its least where the plan had none.
    ratings: dict[str, int] = {}
    for instrument in check_in_instruments():
        value = getattr(answers, instrument.key)
        ratings[instrument.key] = instrument.least if value is None else value
    return CheckIn(red_flags=flags, days=7, exercises=reports, **ratings)


def _responses(plan: Plan, protocol: Protocol) -> Iterator[tuple[str, int, NextMorning, int]]:
    """Yield ``(exercise id, pain, next morning, step after)`` for every pain response."""
    for prescription in plan.exercises:
        exercise_id = prescription.exercise.id
        for morning in NextMorning:
            for pain in _PAINS:
                report = ExerciseReport(done=True, pain_during=pain, next_morning=morning)
                following = follow_up(
                    plan, _check_in(plan, {exercise_id: report}), protocol=protocol
                ).plan
                steps = {p.exercise.id: p.step for p in following.exercises}
                yield exercise_id, pain, morning, steps.get(exercise_id, -1)


def _check_pain_monotone(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    for plan in _course(subject):
        before = {p.exercise.id: p.step for p in plan.exercises}
        last: dict[tuple[str, NextMorning], tuple[int, int]] = {}
        for exercise_id, pain, morning, step in _responses(plan, subject.protocol):
            previous = last.get((exercise_id, morning))
            if previous is not None and step > previous[1]:
                return _failure(
                    "follow_up_pain_monotone",
                    subject,
                    f"more pain gave a higher step: {exercise_id!r} at step "
                    f"{before[exercise_id]} goes to step {step} with pain {pain} but to step "
                    f"{previous[1]} with pain {previous[0]} (next morning {morning.value})",
                    assessment=None,
                    outcome=None,
                    lines=(),
                    rules=(),
                    exercises=(exercise_id,),
                )
            last[(exercise_id, morning)] = (pain, step)
    return None


def _check_one_step(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    for plan in _course(subject):
        before = {p.exercise.id: p.step for p in plan.exercises}
        for exercise_id, pain, morning, step in _responses(plan, subject.protocol):
            if step >= 0 and abs(step - before[exercise_id]) > 1:
                return _failure(
                    "follow_up_one_step",
                    subject,
                    f"one check-in moved {exercise_id!r} from step {before[exercise_id]} to "
                    f"step {step} (pain {pain}, next morning {morning.value})",
                    assessment=None,
                    outcome=None,
                    lines=(),
                    rules=(),
                    exercises=(exercise_id,),
                )
    return None


def _check_rescreens(subject: _Subject, max_examples: int) -> PropertyFailure | None:
    plans = _course(subject)
    if not plans:
        return None
    plan = plans[1]  # one check-in in: exercises under way
    course = plan.course
    assert course is not None
    base = course.answers

    def fails(yes: frozenset[str]) -> PropertyFailure | None:
        flags = {name: name in yes for name in subject.red_flags}
        reports = {p.exercise.id: _SAFE for p in plan.exercises}
        following = follow_up(plan, _check_in(plan, reports, flags), protocol=subject.protocol).plan
        # The course's answers with these red flags: every other answer as the plan holds it.
        fresh = recommend(attrs.evolve(base, red_flags=flags), protocol=subject.protocol)
        lower = following.urgency < fresh.urgency
        more = bool(following.exercises) and not fresh.exercises
        if not lower and not more:
            return None
        what = (
            f"urgency {following.urgency.value} where recommend gives {fresh.urgency.value}"
            if lower
            else "exercises where recommend gives none"
        )
        return _failure(
            "follow_up_rescreens",
            subject,
            f"a check-in with red flags {sorted(yes)} answered yes gives {what}",
            assessment=None,
            outcome=None,
            lines=(),
            rules=[f.rule for f in fresh.fired],
            facts=sorted(yes),
        )

    seeds = [frozenset({name}) for name in subject.red_flags]
    flags = tuple(subject.red_flags)
    if not flags:
        return None
    return _search(
        seeds, lambda: st.frozensets(st.sampled_from(flags), min_size=1), fails, max_examples
    )
