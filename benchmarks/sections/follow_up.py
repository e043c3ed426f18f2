"""follow_up on typical check-ins."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from harness import (
    Report,
    Settings,
    Stat,
    fmt_ratio,
    fmt_stat,
    interleave,
    looped,
    paired_ratio,
    profile_batch,
    typical_assessments,
)


def typical_check_ins(plans: Sequence[Any]) -> list[Any]:
    """Return one typical check-in per plan: red flags no, each exercise reported, a week on."""
    import backtriage as bt

    rng = random.Random(5)
    result = []
    for plan in plans:
        flags = dict.fromkeys(plan.course.answers.red_flags, False)
        reports = {
            p.exercise.id: bt.ExerciseReport(
                done=True,
                pain_during=rng.choice((0, 1, 2, 3, 4, 6)),
                next_morning=rng.choice(("better", "same", "same", "worse")),
            )
            for p in plan.exercises
        }
        result.append(
            bt.CheckIn(red_flags=flags, pain=rng.randrange(0, 8), days=7, exercises=reports)
        )
    return result


def section_follow_up(report: Report, settings: Settings) -> None:
    import backtriage as bt

    assessments = typical_assessments(32)
    plans = [bt.recommend(a) for a in assessments]
    pairs = list(zip(plans, typical_check_ins(plans), strict=True))

    def follow(pair: Any) -> object:
        return bt.follow_up(*pair)

    n = len(pairs)
    cases = {
        "follow_up": (looped(follow, pairs), n),
        "recommend": (looped(bt.recommend, assessments), n),
    }
    samples = interleave(cases, settings)
    stats = {name: Stat.of(values) for name, values in samples.items()}
    ratio = paired_ratio(samples["follow_up"], samples["recommend"])
    report.say(
        "## follow_up",
        "",
        f"`bt.follow_up(plan, check_in)` on {n} typical first plans, each with a typical "
        "check-in a week on (every red flag answered no again, every exercise reported with "
        "its pain and next morning), beside `bt.recommend` on the assessments the plans came "
        "from, in the same rounds. A follow-up is a full triage plus the course: the "
        "check-in's answers merged with the plan's, the pain response of each exercise, the "
        "trend, and the decisions.",
        "",
    )
    report.table(
        ["call", "median / call", "IQR", "min – max", "× recommend"],
        [
            ["`bt.follow_up(plan, check_in)`", *fmt_stat(stats["follow_up"]), fmt_ratio(ratio)],
            ["`bt.recommend(assessment)`", *fmt_stat(stats["recommend"]), "1×"],
        ],
    )
    passed = ratio.median <= 3.0
    mark = report.goal("follow_up", "follow_up vs recommend", "≤ 3×", fmt_ratio(ratio), passed)
    report.say(f"Ratio (per round): **{fmt_ratio(ratio)}**, goal ≤ 3×: **{mark}**", "")
    if settings.profile:
        profile_batch("follow_up", cases["follow_up"][0], 300)
