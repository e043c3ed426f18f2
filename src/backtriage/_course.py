"""What a plan carries for its follow-up: the course so far, and the trend against its start.

A plan from :func:`~backtriage.recommend` starts a course; each plan from
:func:`~backtriage.follow_up` continues it. The course is plain data in the plan, so that a
plan stored as JSON can be followed up later, in another process.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from backtriage._values import value_eq, value_hash, value_repr
from backtriage.assessment import Assessment
from backtriage.instruments.odi import OdiScore

__all__ = ["Course", "Trend"]


def _frozen_steps(value: Mapping[str, int]) -> Mapping[str, int]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class Course:
    """What a follow-up of a plan needs, carried by every plan.

    - ``answers``: the assessment the plan was made from (not compared: equal plans may come
      from the same answers in other forms). A follow-up carries its findings,
      ODI, STarT Back, preference, age and pain over, changed by what the check-in says; the
      red flags are asked again at every check-in and never carried over.
    - ``baseline_odi``, ``baseline_pain``: the first plan's ODI and pain (the pain of the first
      check-in where the first plan had none): what the trend is measured against.
    - ``days``: days since the first plan, the sum of the check-ins' days.
    - ``check_ins``: how many check-ins the course has had.
    - ``steps``: the step (0-based) each exercise has reached, by exercise id: the exercises
      the plan gives, and those it pauses only while questions are unanswered.
    - ``tolerated``: capabilities the course has shown (an exercise done at its last step
      with a safe report), which unlock the exercises that need them.
    """

    # The answers a follow-up carries over: not compared, as two equal plans may come from
    # the same answers given in other forms (an age the protocol never asks, say).
    answers: Assessment = attrs.field(eq=False)
    baseline_odi: OdiScore | None = None
    baseline_pain: int | None = None
    days: int = 0
    check_ins: int = 0
    steps: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_steps, hash=False)
    tolerated: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type[Course], tuple[object, ...]]:
        # A read-only mapping does not pickle: made again from a plain copy (process pools).
        return (
            type(self),
            (
                self.answers,
                self.baseline_odi,
                self.baseline_pain,
                self.days,
                self.check_ins,
                dict(self.steps),
                self.tolerated,
            ),
        )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Trend:
    """How the ODI and the pain have changed since the start, each criterion on its own.

    ODI values are percents; ``odi_points`` and ``pain_points`` are now minus the baseline
    (negative is better). A criterion is ``None`` when it cannot be judged (no ODI measured,
    or a baseline of 0 for a relative change). Improved: the ODI down by 10 points or 30 %, or
    the pain down by 2 points or 30 %. Worse: the ODI up by 10 points or the pain up by 2
    (absolute rises: a relative rise on a small baseline is within measurement error).
    """

    days: int
    baseline_odi: float | None
    odi: float | None
    odi_points: float | None
    odi_down_10_points: bool | None
    odi_down_30_percent: bool | None
    odi_up_10_points: bool | None
    baseline_pain: int | None
    pain: int | None
    pain_points: int | None
    pain_down_2_points: bool | None
    pain_down_30_percent: bool | None
    pain_up_2_points: bool | None
    improved: bool
    worse: bool

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash
