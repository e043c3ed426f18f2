"""recommend on typical assessments, against the engine alone and a bare reference."""

from __future__ import annotations

import statistics
from typing import Any

from harness import (
    Report,
    Settings,
    Stat,
    fmt_ratio,
    fmt_stat,
    fmt_time,
    interleave,
    looped,
    paired_ratio,
    profile_batch,
    typical_assessments,
)

from sections.score_odi import bare_odi


def section_recommend(report: Report, settings: Settings) -> None:
    import backtriage as bt
    from backtriage.protocol._engine import engine_of

    protocol = bt.default_protocol()
    engine = engine_of(protocol)
    assessments = typical_assessments(32)
    plans = [bt.recommend(a) for a in assessments]
    fact_sets = [plan.facts for plan in plans]

    def make_assessment(a: Any) -> object:
        return bt.Assessment(
            odi=a.odi,
            red_flags=a.red_flags,
            findings=a.findings,
            preference=a.preference,
            age=a.age,
        )

    def evaluate(facts: object) -> object:
        return engine.evaluate(facts, missing=())

    def evaluate_explain(facts: object) -> object:
        evaluation = engine.evaluate(facts, missing=())
        return evaluation.withheld(), evaluation.prescriptions(), evaluation.fired

    odi_inputs = [a.odi for a in assessments]
    n = len(assessments)
    cases = {
        "recommend": (looped(bt.recommend, assessments), n),
        "Assessment": (looped(make_assessment, assessments), n),
        "evaluate": (looped(evaluate, fact_sets), n),
        "evaluate+explain": (looped(evaluate_explain, fact_sets), n),
        "bare": (looped(bare_odi, odi_inputs), n),
    }
    samples = interleave(cases, settings)
    stats = {name: Stat.of(values) for name, values in samples.items()}
    report.say(
        "## recommend",
        "",
        f"`bt.recommend(assessment)` on the default protocol ({len(protocol.rules)} rules, "
        f"{len(protocol.exercises)} exercises), {n} typical complete assessments cycled: every "
        "red flag answered no, a typical ODI, 0-3 findings, sometimes a preference or a "
        f"capability (on average {statistics.mean(len(p.exercises) for p in plans):.1f} "
        f"exercises given, {statistics.mean(len(p.withheld) for p in plans):.1f} withheld, "
        f"{statistics.mean(len(p.fired) for p in plans):.1f} rules fired). The assessment is "
        "built beforehand; building it is timed on its own. The rows below it split the work "
        "of recommend: the engine alone on the same facts, and the engine with the "
        "explanation. The bare ODI reference runs in the same rounds as a yardstick of the "
        "machine's speed.",
        "",
    )
    ratio = paired_ratio(samples["recommend"], samples["bare"])
    report.table(
        ["call", "median / call", "IQR", "min – max", "× bare reference"],
        [
            ["`bt.recommend(assessment)`", *fmt_stat(stats["recommend"]), fmt_ratio(ratio)],
            [
                "`bt.Assessment(...)` (app side, not in the goal)",
                *fmt_stat(stats["Assessment"]),
                fmt_ratio(paired_ratio(samples["Assessment"], samples["bare"])),
            ],
            [
                "`engine.evaluate(facts)`",
                *fmt_stat(stats["evaluate"]),
                fmt_ratio(paired_ratio(samples["evaluate"], samples["bare"])),
            ],
            [
                "`evaluate` + `withheld()` + `prescriptions()` + `fired`",
                *fmt_stat(stats["evaluate+explain"]),
                fmt_ratio(paired_ratio(samples["evaluate+explain"], samples["bare"])),
            ],
            ["bare ODI reference", *fmt_stat(stats["bare"]), "1×"],
        ],
    )
    median = stats["recommend"].median
    mark = report.goal(
        "recommend", "recommend, default protocol", "≤ 25 µs", fmt_time(median), median <= 25e-6
    )
    report.say(f"Median per call: **{fmt_time(median)}**, goal ≤ 25 µs: **{mark}**", "")
    if settings.profile:
        profile_batch("recommend", cases["recommend"][0], 300)
