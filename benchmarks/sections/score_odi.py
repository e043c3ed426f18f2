"""score_odi against a bare reference."""

from __future__ import annotations

import random

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
    typical_odi,
)


def bare_odi(answers: dict[str, int]) -> float:
    """Score an ODI the plainest way: sum ten ints and divide, no validation at all."""
    return sum(answers.values()) * 100 / 50


def section_score_odi(report: Report, settings: Settings) -> None:
    import backtriage as bt

    rng = random.Random(1)
    answers = [typical_odi(rng) for _ in range(64)]
    cases = {
        "score_odi(mapping)": (looped(bt.score_odi, answers), len(answers)),
        "bare reference": (looped(bare_odi, answers), len(answers)),
    }
    samples = interleave(cases, settings)
    measured, reference = samples["score_odi(mapping)"], samples["bare reference"]
    ratio = paired_ratio(measured, reference)
    report.say(
        "## score_odi",
        "",
        "Ten answers in a dict, all answered, 64 different questionnaires cycled. The reference "
        "is `sum(answers.values()) * 100 / 50`: no validation, no result object.",
        "",
    )
    passed = ratio.median <= 4.0
    report.table(
        ["call", "median / call", "IQR", "min – max"],
        [
            ["`bt.score_odi(answers)`", *fmt_stat(Stat.of(measured))],
            ["bare reference", *fmt_stat(Stat.of(reference))],
        ],
    )
    mark = report.goal("score_odi", "score_odi vs bare reference", "≤ 4×", fmt_ratio(ratio), passed)
    report.say(f"Ratio (per round): **{fmt_ratio(ratio)}**, goal ≤ 4×: **{mark}**", "")
    if settings.profile:
        profile_batch("score_odi", cases["score_odi(mapping)"][0], 2000)
