"""All queries and the review sheet of the default protocol."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from harness import Batch, Report, Settings, Stat, fmt_stat, fmt_time, interleave

# Review: the exact queries of issue 12


def _all_queries(protocol: Any) -> int:
    """Answer every query of ``protocol``; return how many triggers.

    Answers are kept with the protocol: pass a fresh copy (``attrs.evolve``) for a cold run.
    """
    from backtriage import Urgency
    from backtriage.review import when_cautioned, when_urgency, when_withheld

    count = 0
    for exercise in protocol.exercises:
        count += len(when_withheld(protocol, exercise.id))
        count += len(when_cautioned(protocol, exercise.id))
    for level in Urgency:
        count += len(when_urgency(protocol, level))
    return count


def _sheet_function() -> Callable[[Any], object] | None:
    """Return the review sheet's HTML function once the sheet exists (issue 12, part B)."""
    from backtriage import review

    names = [n for n in getattr(review, "__all__", ()) if "sheet" in n or "html" in n]
    return getattr(review, names[0]) if names else None


def section_review(report: Report, settings: Settings) -> None:
    import attrs

    import backtriage as bt
    from backtriage.review import diff

    protocol = bt.default_protocol()
    # A less safe version: the first exclusion rule dropped (a red flag's rule could not be).
    dropped = next(
        r for r in protocol.rules if not r.id.endswith(("emergency", "same_day", "soon", "routine"))
    )
    changed = attrs.evolve(
        protocol, rules=tuple(r for r in protocol.rules if r is not dropped), version="next"
    )
    sheet = _sheet_function()
    cases: dict[str, tuple[Batch, int]] = {
        # Each round on an equal copy, whose cache starts empty: cold queries.
        "queries": (lambda n: [_all_queries(attrs.evolve(protocol)) for _ in range(n)], 1),
        "diff": (lambda n: [diff(protocol, changed) for _ in range(n)], 1),
    }
    if sheet is not None:
        cases["sheet"] = (
            lambda n: [
                (_all_queries(copy), sheet(copy))
                for copy in (attrs.evolve(protocol) for _ in range(n))
            ],
            1,
        )
    times = interleave(cases, settings)
    triggers = _all_queries(protocol)
    rows = [
        [
            f"every query of the default protocol, cold ({triggers} triggers)",
            *fmt_stat(Stat.of(times["queries"])),
        ],
        [
            "`diff` of the default protocol and it without its first exclusion rule",
            *fmt_stat(Stat.of(times["diff"])),
        ],
    ]
    if sheet is not None:
        rows.append(["every query and the review sheet, cold", *fmt_stat(Stat.of(times["sheet"]))])
    report.say(
        "## Review queries",
        "",
        "`when_withheld` and `when_cautioned` of every exercise and `when_urgency` of every "
        "level of the default protocol, with the per-protocol cache cleared before each call "
        "(the cost a review sheet pays once), and a `diff` between two versions. The review "
        "sheet is measured with the queries once it exists.",
        "",
    )
    report.table(["case", "median", "IQR", "min – max"], rows)
    worst = statistics.median(times["sheet" if sheet is not None else "queries"])
    figure = fmt_time(worst) + ("" if sheet is not None else " (queries only: no sheet yet)")
    mark = report.goal(
        "review", "all queries and the review sheet, default protocol", "< 2 s", figure, worst < 2
    )
    report.say(f"All queries and the review sheet: **{figure}**, goal < 2 s: **{mark}**", "")
