"""Score a research CSV of ODI answers and compare each participant's visits.

Run from the repository root: ``python examples/research_csv.py``. The same file can be scored
from the command line: ``backtriage score examples/odi_scores.csv``.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import backtriage as bt
from backtriage.batch import RowError, score_odi_many

HERE = Path(__file__).parent


def main() -> None:
    """Score every row, report bad rows, then print the change per participant."""
    with (HERE / "odi_scores.csv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    # One result per row, in order; a bad row gives a RowError and the batch goes on.
    results = list(score_odi_many(rows, start=1))
    errors = [r for r in results if isinstance(r, RowError)]
    for error in errors:
        print(f"row {error.row}: {error.message}")

    scores: dict[tuple[str, str], bt.OdiScore] = {}
    for row, result in zip(rows, results, strict=True):
        if isinstance(result, bt.OdiScore):
            scores[row["participant"], row["visit"]] = result
    print(f"{len(scores)} of {len(rows)} rows scored")
    bands = Counter(score.band.value for (_, visit), score in scores.items() if visit == "baseline")
    print("baseline bands:", ", ".join(f"{band} {n}" for band, n in sorted(bands.items())))

    for participant in sorted({p for p, _ in scores}):
        before = scores.get((participant, "baseline"))
        after = scores.get((participant, "week12"))
        if before is None or after is None:
            continue
        change = bt.odi_change(before, after)
        verdict = "improved" if change.improved_10_points else "no important change"
        print(
            f"{participant}: {before.percent_rounded}% -> {after.percent_rounded}% "
            f"({float(change.points):+.1f} points, {verdict})"
        )

    # Headers that are not section keys are mapped explicitly, never guessed.
    renamed = [
        {f"Q{i}": value for i, value in enumerate(list(row.values())[2:], 1)} for row in rows
    ]
    mapping = {f"Q{i}": section.value for i, section in enumerate(bt.OdiSection, 1)}
    again = list(score_odi_many(renamed, columns=mapping))
    assert again == results, "the same answers under other headers give the same scores"
    print("scores with mapped headers Q1..Q10 agree")


if __name__ == "__main__":
    main()
