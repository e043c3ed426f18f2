"""An episode of back pain followed up: a first plan, three check-ins, a flare-up, recovery.

Run from the repository root: ``python examples/follow_up_episode.py``. Each plan is stored as
JSON between check-ins, as an app would keep it, and followed up from the stored copy.
"""

from __future__ import annotations

import backtriage as bt
from backtriage.serialize import from_json, to_json

QUESTIONS = bt.questions()
NO_RED_FLAGS = {q.key: False for q in QUESTIONS if q.kind is bt.QuestionKind.RED_FLAG}
# Required findings answered no; lying on the front hurts for now.
FINDINGS: dict[str, bool | None] = {
    q.key: False
    for q in QUESTIONS
    if q.required and q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
}
FINDINGS["prone_lying_painful"] = True


def reports(plan: bt.Plan, pain: int, morning: str) -> dict[str, bt.ExerciseReport]:
    """The same report for every exercise of the plan: how the week went."""
    return {
        p.exercise.id: bt.ExerciseReport(done=True, pain_during=pain, next_morning=morning)
        for p in plan.exercises
    }


def show(title: str, plan: bt.Plan, follow: bt.FollowUp | None = None) -> None:
    steps = ", ".join(f"{p.exercise.id} {p.step + 1}/{p.steps}" for p in plan.exercises)
    print(f"{title}: urgency {plan.urgency.value}; {steps or 'no exercise'}")
    if follow is not None:
        moved = {d.kind.value for d in follow.steps}
        print(f"  decisions: {', '.join(sorted(moved))}")
    if plan.trend is not None:
        trend = plan.trend
        print(
            f"  day {trend.days}: pain {trend.baseline_pain} -> {trend.pain}; "
            f"improved {trend.improved}, worse {trend.worse}"
        )


def main() -> None:
    first = bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_RED_FLAGS, findings=FINDINGS, age=44, pain=6)
    )
    show("first plan", first)
    stored = to_json(first)

    # Week 1: everything went well.
    plan = from_json(stored, bt.Plan)
    week1 = bt.follow_up(
        plan,
        bt.CheckIn(red_flags=NO_RED_FLAGS, pain=5, days=7, exercises=reports(plan, 1, "same")),
    )
    show("week 1", week1.plan, week1)
    stored = to_json(week1.plan)

    # Week 2: a flare-up after lifting a suitcase: the exercises hurt, mornings worse.
    plan = from_json(stored, bt.Plan)
    week2 = bt.follow_up(
        plan,
        bt.CheckIn(red_flags=NO_RED_FLAGS, pain=8, days=7, exercises=reports(plan, 7, "worse")),
    )
    show("week 2, a flare-up", week2.plan, week2)
    print(f"  why: {week2.plan.fired[-1].reason}")
    stored = to_json(week2.plan)

    # Week 4: settling; lying on the front no longer hurts, so the lying back arch comes in.
    plan = from_json(stored, bt.Plan)
    week4 = bt.follow_up(
        plan,
        bt.CheckIn(
            red_flags=NO_RED_FLAGS,
            findings={"prone_lying_painful": False},
            pain=3,
            days=14,
            exercises=reports(plan, 1, "better"),
        ),
    )
    show("week 4, recovering", week4.plan, week4)
    print(f"  lying back arch: {week4.decision('prone_extension').kind.value}")
    print()
    print(week4.summary())


if __name__ == "__main__":
    main()
