"""Measure backtriage's hot paths against plain-Python references, all in one run.

Usage (from anywhere; the ``src`` tree beside this file is what gets measured)::

    python benchmarks/run.py [--quick] [--no-write] [--profile] [--strict] [--data-dir DIR]
                             [--only SECTION ...]

Every figure is printed beside the reference it is judged against, measured in the same run:
the measured function and its reference run in alternating rounds, so that machine drift hits
both. Each row gives the median and the spread (interquartile range and min..max) over the
rounds, and each goal of issues 3 and 7 is marked PASS or FAIL. Timings are CPU time (of this
process, or of each child from ``os.wait4``) so that other work on a shared machine does not
count; wall times are shown beside them for the fresh processes. The tables are printed and,
unless ``--no-write``, written to ``benchmarks/RESULTS.md``.

Run it with a Python that has backtriage's dependencies (attrs, cattrs) installed.

``--quick`` runs every section with tiny sizes, only to prove the script works (its figures
mean nothing); ``--profile`` adds cProfile tables of each warm hot path and of a first
``recommend`` in a fresh process; ``--strict`` exits with status 1 when a goal fails.
Only the standard library is used, except by the columnar section, which needs the
``frames`` extra (pyarrow, NumPy) and reports itself as not available without it; it also runs
the Dask recipe when Dask is installed and a Spark job when pyspark is.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable, Sequence

from harness import HERE, Report, Settings, fmt_time, machine, verdict
from sections.cli_score import section_cli
from sections.cold_start import section_cold_start
from sections.first_recommend import section_first_recommend
from sections.follow_up import section_follow_up
from sections.frames import section_frames
from sections.kit import section_kit
from sections.recommend import section_recommend
from sections.review import section_review
from sections.scaling import section_scaling
from sections.score_odi import section_score_odi

SECTIONS: tuple[tuple[str, Callable[[Report, Settings], None]], ...] = (
    ("score_odi", section_score_odi),
    ("recommend", section_recommend),
    ("follow_up", section_follow_up),
    ("Engine scaling", section_scaling),
    ("CLI score", section_cli),
    ("Columnar scoring", section_frames),
    ("Cold start", section_cold_start),
    ("First recommend", section_first_recommend),
    ("Testing kit", section_kit),
    ("Review queries", section_review),
)


def summary(report: Report) -> list[str]:
    lines = ["## Goals", ""]
    rows = [
        f"| {g.section} | {g.what} | {g.target} | {g.figure} | **{verdict(g.passed)}** |"
        for g in report.goals
    ]
    lines += ["| section | goal | target | measured (median) | result |", "|---|---|---|---|---|"]
    return [*lines, *rows, ""]


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that it runs")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--profile", action="store_true", help="print cProfile tables too")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument(
        "--only",
        action="append",
        choices=[name for name, _ in SECTIONS],
        metavar="SECTION",
        help="run only this section (repeatable; implies --no-write), e.g. --only 'Cold start'",
    )
    parser.add_argument(
        "--data-dir", help="where generated data and bytecode go (default: benchmarks/_data)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    settings = Settings.make(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/run.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    started = time.perf_counter()
    report = Report()
    report.say("# backtriage benchmarks", "")
    if settings.quick:
        report.say("**Quick mode: sizes are tiny and the figures mean nothing.**", "")
    report.table(["", ""], [*machine(), ("command", f"`{command}`")])
    for name, section in SECTIONS:
        if args.only and name not in args.only:
            continue
        gc.collect()
        section(report, settings)
    report.say(
        "## Method",
        "",
        "In-process rows: each case runs in batches calibrated to about "
        f"{fmt_time(settings.batch_seconds)}, {settings.rounds} rounds, the cases of a section "
        "in rotating order within each round; a figure is the CPU time of this process per "
        "call (`time.process_time`), median over the rounds, with the interquartile range "
        "(IQR) and min – max as its spread. CPU time rather than wall time, because this is a "
        "shared machine: time the scheduler gives to other processes is not the library's. A "
        "ratio is taken round by round (measured / reference of the same round) unless it says "
        "it is a ratio of medians. The garbage collector stays on, as in an application. "
        "Fresh-process rows spawn `sys.executable` with this `src/` first on `PYTHONPATH` and "
        "take the child's own CPU time and peak RSS from `os.wait4`, with wall time beside.",
        "",
        f"Total run time: {time.perf_counter() - started:.0f} s; load average at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + ".",
        "",
    )
    goals = summary(report)
    for line in goals:
        print(line)
    if not args.no_write and not args.only:  # RESULTS.md holds every section or none
        body = report.lines
        # The goals first in the file: that is what a reader looks for.
        at = next(i for i, line in enumerate(body) if line.startswith("## "))
        text = "\n".join([*body[:at], *goals, *body[at:]]).rstrip() + "\n"
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
        print(f"Results written to {HERE / 'RESULTS.md'}")
    failed = any(goal.passed is False for goal in report.goals)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
