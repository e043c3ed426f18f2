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
import contextlib
import cProfile
import csv
import gc
import io
import itertools
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
if (SRC / "backtriage").is_dir():
    # Measure the working tree, not whatever copy may be installed.
    sys.path.insert(0, str(SRC))
import import_gate  # noqa: E402  (beside this script, which is on the path when run)

ODI_KEYS = (
    "pain_intensity",
    "personal_care",
    "lifting",
    "walking",
    "sitting",
    "standing",
    "sleeping",
    "sex_life",
    "social_life",
    "travelling",
)

# ---------------------------------------------------------------------------------------------
# Settings, statistics and formatting
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How much work each section does."""

    quick: bool
    rounds: int  # rounds of in-process micro-benchmarks
    batch_seconds: float  # target duration of one timed batch
    spawn_rounds: int  # rounds of fresh-process measurements
    cli_rows: int
    cli_rounds: int
    data_dir: Path
    profile: bool

    @classmethod
    def make(cls, args: argparse.Namespace) -> Settings:
        data_dir = Path(args.data_dir) if args.data_dir else HERE / "_data"
        if args.quick:
            return cls(True, 3, 0.0005, 2, 2_000, 1, data_dir, args.profile)
        return cls(False, 31, 0.01, 41, 1_000_000, 3, data_dir, args.profile)


@dataclass(frozen=True)
class Stat:
    """Median and spread of one measurement over its rounds."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stat:
        data = sorted(samples)
        if len(data) >= 2:
            q1, median, q3 = statistics.quantiles(data, n=4, method="inclusive")
        else:
            q1 = median = q3 = data[0]
        return cls(median, q1, q3, data[0], data[-1], len(data))


@dataclass
class Goal:
    """One goal of the issues, with the figure measured for it."""

    section: str
    what: str
    target: str
    figure: str
    passed: bool | None  # None: could not be measured


@dataclass
class Report:
    """Everything measured, in the order it is printed."""

    lines: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.say(
            "| " + " | ".join(headers) + " |",
            "|" + "|".join("---" for _ in headers) + "|",
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        )

    def goal(self, section: str, what: str, target: str, figure: str, passed: bool | None) -> str:
        self.goals.append(Goal(section, what, target, figure, passed))
        return verdict(passed)


def verdict(passed: bool | None) -> str:
    return "n/a" if passed is None else "PASS" if passed else "FAIL"


def fmt_time(seconds: float) -> str:
    """Format a duration with a unit that keeps three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_stat(stat: Stat) -> tuple[str, str, str]:
    """Return the median, the IQR and the min..max of a timing."""
    return (
        fmt_time(stat.median),
        f"{fmt_time(stat.q1)} – {fmt_time(stat.q3)}",
        f"{fmt_time(stat.low)} – {fmt_time(stat.high)}",
    )


def fmt_ratio(stat: Stat) -> str:
    return f"{stat.median:.2f}× (IQR {stat.q1:.2f}–{stat.q3:.2f})"


# ---------------------------------------------------------------------------------------------
# In-process timing: alternating rounds
# ---------------------------------------------------------------------------------------------

Batch = Callable[[int], object]
"""Run the measured work ``n`` times."""


def _timed(run: Batch, loops: int) -> float:
    # CPU time of this process: time the scheduler gives to other processes is not counted.
    start = time.process_time()
    run(loops)
    return time.process_time() - start


def interleave(cases: dict[str, tuple[Batch, int]], settings: Settings) -> dict[str, list[float]]:
    """Time every case in alternating rounds; return seconds per call for each round.

    Each case is ``(run, calls)``: ``run(n)`` does ``n`` batches of ``calls`` calls. A batch
    count is calibrated per case so that one timed batch lasts about ``batch_seconds``; the
    order of the cases rotates from round to round so that no case always runs first.
    """
    loops: dict[str, int] = {}
    for name, (run, _calls) in cases.items():
        run(1)  # warm up: first-use costs are measured elsewhere
        n = 1
        elapsed = _timed(run, n)
        while elapsed < settings.batch_seconds / 8 and n < 1 << 24:
            n *= 4
            elapsed = _timed(run, n)
        loops[name] = max(1, round(n * settings.batch_seconds / max(elapsed, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    gc.collect()
    for r in range(settings.rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            run, calls = cases[name]
            samples[name].append(_timed(run, loops[name]) / (loops[name] * calls))
    return samples


def paired_ratio(measured: Sequence[float], reference: Sequence[float]) -> Stat:
    """Return the ratio measured/reference round by round (both ran in the same round)."""
    return Stat.of([m / r for m, r in zip(measured, reference, strict=True)])


def looped(function: Callable[[object], object], inputs: Sequence[object]) -> Batch:
    """Return a batch runner calling ``function`` once on each input, ``n`` times over."""

    def run(n: int) -> None:
        for _ in range(n):
            for item in inputs:
                function(item)

    return run


def profile_batch(title: str, run: Batch, loops: int) -> None:
    """Print the functions that dominate ``run`` under cProfile (tottime, then cumulative)."""
    profiler = cProfile.Profile()
    profiler.enable()
    run(loops)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(14)
    stats.sort_stats("cumulative").print_stats(14)
    print(f"\n#### Profile: {title}\n```")
    print(out.getvalue().strip())
    print("```")


# ---------------------------------------------------------------------------------------------
# Inputs: typical assessments on the default protocol
# ---------------------------------------------------------------------------------------------


def typical_odi(rng: random.Random) -> dict[str, int]:
    """Return ten ODI answers as most people fill them in (minimal to severe disability)."""
    level = rng.choice((0, 1, 1, 2, 2, 3))
    return {key: max(0, min(5, level + rng.choice((-1, 0, 0, 1)))) for key in ODI_KEYS}


def typical_assessments(count: int) -> list[Any]:
    """Return ``count`` complete, typical assessments for the default protocol.

    Every red flag answered no (most people), a typical ODI, up to three findings, sometimes a
    directional preference or a capability: a plan with exercises, withheld ones and cautions.
    """
    import backtriage as bt

    protocol = bt.default_protocol()
    red_flags = [f.name for f in protocol.facts if f.kind is bt.FactKind.RED_FLAG]
    findings = [f.name for f in protocol.facts if f.kind is bt.FactKind.FINDING]
    required = [f.name for f in protocol.facts if f.kind is bt.FactKind.FINDING and f.required]
    capabilities = [f.name for f in protocol.facts if f.kind is bt.FactKind.CAPABILITY]
    rng = random.Random(3)
    result = []
    for _ in range(count):
        held = set(rng.sample(findings, rng.choice((0, 1, 1, 2, 3))))
        if capabilities and rng.random() < 0.3:
            held.add(rng.choice(capabilities))
        result.append(
            bt.Assessment(
                odi=typical_odi(rng),
                red_flags=dict.fromkeys(red_flags, False),
                # Findings a protocol requires are answered, no unless drawn.
                findings=dict.fromkeys(required, False) | dict.fromkeys(held, True),
                preference=rng.choice((None, None, "extension", "flexion")),
                age=rng.randrange(18, 80),
            )
        )
    return result


# ---------------------------------------------------------------------------------------------
# Section: score_odi
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Section: recommend
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Section: follow_up
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Section: engine scaling (issue 3)
# ---------------------------------------------------------------------------------------------


def synthetic_protocol(n_rules: int, n_exercises: int) -> tuple[Any, list[tuple[str, ...]]]:
    """Build a protocol of ``n_rules`` rules over ``n_exercises`` exercises, and typical inputs.

    Shapes follow the default protocol: about one risk fact per two rules, a fifth of them red
    flags that refer, the rest findings that exclude or caution by id, family, movement,
    position or level; most conditions a single fact, a quarter two facts together, a few
    ``any``/``at_least``; one exercise in twenty needs a capability. A typical input answers
    every red flag no and sets four findings and sometimes a capability.
    """
    import attrs

    from backtriage.protocol import _model as m

    rng = random.Random(n_rules * 1000 + n_exercises)
    movements, positions = list(m.Movement), list(m.Position)
    families = [f"family_{k}" for k in range(max(2, n_exercises // 5))]
    capabilities = [f"can_{k}" for k in range(max(1, n_exercises // 50))]
    exercises = [
        m.Exercise(
            id=f"ex_{i}",
            title=f"Exercise {i}",
            family=families[i % len(families)],
            movement=movements[i % len(movements)],
            position=positions[(i // 4) % len(positions)],
            level=1 + (i % 3 == 2),
            in_bed=i % 3 == 0,
            dosage="10 times",
            instructions="Slowly.",
            prerequisites=(capabilities[(i // 20) % len(capabilities)],) if i % 20 == 19 else (),
        )
        for i in range(n_exercises)
    ]
    n_risk = max(10, n_rules // 2)
    red_flags = [f"flag_{k}" for k in range(max(2, n_risk // 5))]
    findings = [f"finding_{k}" for k in range(n_risk - len(red_flags))]
    facts = [
        *(
            m.Fact(name, m.FactKind.RED_FLAG, m.Polarity.RISK, question="Is it so?", required=True)
            for name in red_flags
        ),
        *(m.Fact(name, m.FactKind.FINDING, m.Polarity.RISK) for name in findings),
        *(
            m.Fact(
                name,
                m.FactKind.CAPABILITY,
                m.Polarity.CAPABILITY,
                unlocked_by=exercises[(20 * k) % n_exercises].id,
            )
            for k, name in enumerate(capabilities)
        ),
    ]
    risk = red_flags + findings
    used_positions = [p for p in positions if any(e.position is p for e in exercises)]
    urgencies = [m.Urgency.ROUTINE, m.Urgency.SOON, m.Urgency.SAME_DAY, m.Urgency.EMERGENCY]

    def selector() -> m.Selector:
        kind = rng.choices(("ids", "families", "movements", "positions", "levels"), (8, 5, 3, 3, 1))
        if kind[0] == "ids":
            return m.Selector(ids=tuple(e.id for e in rng.sample(exercises, rng.randint(1, 3))))
        if kind[0] == "families":
            return m.Selector(families=(rng.choice(families),))
        if kind[0] == "movements":
            return m.Selector(movements=(rng.choice(movements),))
        if kind[0] == "positions":
            return m.Selector(positions=(rng.choice(used_positions),))
        return m.Selector(levels=(2,))

    rules = []
    for i in range(n_rules):
        first = risk[i % len(risk)]
        others = [m.FactIs(name) for name in rng.sample(findings, 2) if name != first]
        shape = rng.random()
        condition: m.Condition
        if shape < 0.6 or not others:
            condition = m.FactIs(first)
        elif shape < 0.85:
            condition = m.AllOf((m.FactIs(first), others[0]))
        elif shape < 0.95:
            condition = m.AnyOf((m.FactIs(first), *others))
        else:
            condition = m.AtLeast(2, (m.FactIs(first), *others))
        actions: list[m.Action]
        if first in red_flags:
            actions = [m.Refer(rng.choice(urgencies))]
        elif rng.random() < 0.2:
            actions = [m.Caution(selector(), "Go gently.")]
        else:
            actions = [m.Exclude(selector())]
            if rng.random() < 0.1:
                actions.append(m.Refer(m.Urgency.ROUTINE))
        rules.append(m.Rule(f"rule_{i}", condition, tuple(actions), "Because.", "S1"))
    protocol = m.Protocol(
        name=f"synthetic-{n_rules}x{n_exercises}",
        version="1",
        exercises=tuple(exercises),
        facts=tuple(facts),
        rules=tuple(rules),
        sources=(m.Source("S1", "synthetic"),),
        # The fixed texts format 3 needs: placeholders, one of each.
        safety_net=m.SafetyNet(emergency=("Sign.",), today=("Sign today.",), review="Review."),
        advice=m.UrgencyAdvice(**{u.value: f"Advice {u.value}." for u in m.Urgency}),
        format=3,
        scope=m.Scope(intended_use="Benchmarks.", population="Synthetic people."),
        texts=m.Texts(
            **{
                f.name: f"Text {f.name}."
                for f in attrs.fields(m.Texts)
                if isinstance(f.default, str)
            },
            self_management=("Keep active.",),
            no_exercise_advice=m.UrgencyAdvice(**{u.value: f"Plain {u.value}." for u in m.Urgency}),
        ),
    )
    inputs = []
    for _ in range(32):
        present = rng.sample(findings, min(4, len(findings)))
        if rng.random() < 0.3:
            present.append(rng.choice(capabilities))
        inputs.append(tuple(present))
    return protocol, inputs


SCALING_RULES = (10, 100, 1000)
SCALING_EXERCISES = (10, 100, 500)


def section_scaling(report: Report, settings: Settings) -> None:
    import backtriage as bt
    from backtriage.protocol._engine import engine_of

    cells: dict[str, tuple[Any, list[tuple[str, ...]]]] = {}
    default = bt.default_protocol()
    default_inputs = [bt.recommend(a).facts for a in typical_assessments(32)]
    cells[f"default ({len(default.rules)} × {len(default.exercises)})"] = (default, default_inputs)
    build: dict[str, float] = {}
    problems: dict[str, int] = {}
    for n_rules in SCALING_RULES:
        for n_exercises in SCALING_EXERCISES:
            start = time.process_time()
            protocol, inputs = synthetic_protocol(n_rules, n_exercises)
            engine_of(protocol)  # compiled on first use: part of what building costs
            name = f"{n_rules} × {n_exercises}"
            build[name] = time.process_time() - start
            problems[name] = len(protocol.check())
            cells[name] = (protocol, inputs)

    cases: dict[str, tuple[Batch, int]] = {}
    shape: dict[str, tuple[float, float, float]] = {}
    for name, (protocol, inputs) in cells.items():
        engine = engine_of(protocol)

        def evaluate(facts: object, engine: Any = engine) -> object:
            return engine.evaluate(facts, missing=())

        def explain(facts: object, engine: Any = engine) -> object:
            evaluation = engine.evaluate(facts, missing=())
            return evaluation.withheld(), evaluation.prescriptions(), evaluation.fired

        cases[f"{name}/evaluate"] = (looped(evaluate, inputs), len(inputs))
        cases[f"{name}/explain"] = (looped(explain, inputs), len(inputs))
        evaluations = [engine.evaluate(facts, missing=()) for facts in inputs]
        shape[name] = (
            statistics.mean(len(facts) for facts in inputs),
            statistics.mean(len(e.fired) for e in evaluations),
            statistics.mean(len(e.withheld()) for e in evaluations),
        )
    samples = interleave(cases, settings)
    stats = {name: Stat.of(values) for name, values in samples.items()}

    report.say(
        "## Engine scaling",
        "",
        "Synthetic protocols built in code with `backtriage.protocol` (see "
        "`synthetic_protocol` in this script for their shape), and the default protocol on "
        "the facts of typical assessments. *evaluate* is `engine_of(protocol).evaluate(facts, "
        "missing=())`; *+ explanation* adds `withheld()`, `prescriptions()` and `fired`, which "
        "build one object per exercise and so grow with the exercises by nature. All cells run "
        "in the same alternating rounds.",
        "",
    )
    rows = []
    for name in cells:
        evaluate, explain = stats[f"{name}/evaluate"], stats[f"{name}/explain"]
        facts, fired, withheld = shape[name]
        rows.append(
            [
                name,
                f"{facts:.1f}",
                f"{fired:.1f}",
                f"{withheld:.1f}",
                fmt_time(evaluate.median),
                f"{fmt_time(evaluate.q1)} – {fmt_time(evaluate.q3)}",
                fmt_time(explain.median),
                f"{fmt_time(explain.q1)} – {fmt_time(explain.q3)}",
                f"{fmt_time(build[name])}, {problems[name]} problems" if name in build else "-",
            ]
        )
    report.table(
        [
            "rules × exercises",
            "facts set",
            "rules fired",
            "withheld",
            "evaluate (median)",
            "IQR",
            "+ explanation (median)",
            "IQR",
            "build + check",
        ],
        rows,
    )

    def median(name: str, kind: str) -> float:
        return stats[f"{name}/{kind}"].median

    growth_rules = median("1000 × 500", "evaluate") / median("10 × 500", "evaluate")
    growth_exercises = median("1000 × 500", "evaluate") / median("1000 × 10", "evaluate")
    growth_all = median("1000 × 500", "evaluate") / median("10 × 10", "evaluate")
    report.say(
        f"Growth of *evaluate*: ×{growth_rules:.2f} from 10 to 1,000 rules (500 exercises), "
        f"×{growth_exercises:.2f} from 10 to 500 exercises (1,000 rules), ×{growth_all:.2f} "
        'from 10 × 10 to 1,000 × 500, where rules × exercises grows ×5,000. The goal "cost '
        'follows the rules that fire" is taken as met when the last figure is ≤ 10×.',
        "",
    )
    big, default_name = "1000 × 500", next(iter(cells))
    marks = [
        report.goal(
            "scaling",
            "evaluate, 1,000 rules × 500 exercises",
            "< 1 ms",
            fmt_time(median(big, "evaluate")),
            median(big, "evaluate") < 1e-3,
        ),
        report.goal(
            "scaling",
            "evaluate + explanation, 1,000 rules × 500 exercises",
            "< 1 ms",
            fmt_time(median(big, "explain")),
            median(big, "explain") < 1e-3,
        ),
        report.goal(
            "scaling",
            "evaluate, default protocol",
            "< 20 µs",
            fmt_time(median(default_name, "evaluate")),
            median(default_name, "evaluate") < 20e-6,
        ),
        report.goal(
            "scaling",
            "evaluate grows with fired rules, not rules × exercises",
            "10×10 → 1,000×500 ≤ 10×",
            f"×{growth_all:.2f}",
            growth_all <= 10,
        ),
    ]
    report.say(
        f"1,000 × 500 evaluate < 1 ms: **{marks[0]}**; with explanation < 1 ms: **{marks[1]}**; "
        f"default protocol evaluate < 20 µs: **{marks[2]}**; growth ≤ 10×: **{marks[3]}**",
        "",
    )
    if settings.profile:
        run = cases[f"{big}/evaluate"][0]
        profile_batch("evaluate, 1,000 × 500", run, 200)
        profile_batch("evaluate + explanation, 1,000 × 500", cases[f"{big}/explain"][0], 20)


# ---------------------------------------------------------------------------------------------
# Fresh processes
# ---------------------------------------------------------------------------------------------


def child_env(settings: Settings, *, bytecode: bool = True) -> dict[str, str]:
    """Return the environment of every child: this ``src`` first, bytecode cached.

    With ``bytecode`` the children read and write compiled modules under the data directory,
    as an installed package (compiled by pip) and cattrs in site-packages are both read:
    ``PYTHONDONTWRITEBYTECODE`` would otherwise make every child compile backtriage's sources
    again while cattrs loads its compiled files.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(settings.data_dir / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


@dataclass(frozen=True)
class Child:
    """What one finished child process cost and printed."""

    wall: float  # seconds from spawn to exit
    cpu: float  # user + system seconds of the child itself: other load does not inflate it
    rss_mb: float | None  # the child's own peak resident set size
    status: int
    stdout: str
    stderr: str


# A child's peak RSS (ru_maxrss) also counts the memory of the process it was forked from, up to
# its exec: spawned straight from this process, every child would report at least this
# benchmark's own RSS. So each child is started by this small launcher, which is measured
# by nothing, waits for the child and writes the child's own usage to a file.
_LAUNCHER = """\
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    out.write(f"{os.waitstatus_to_exitcode(status)} {wall} {cpu} {usage.ru_maxrss}")
"""
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def spawn(args: Sequence[str], env: dict[str, str], *, stdout_to: Path | None = None) -> Child:
    """Run a child to its end and return what it cost: its own CPU time and peak RSS."""
    with contextlib.ExitStack() as stack:
        if stdout_to is None:
            out = stack.enter_context(tempfile.TemporaryFile())
        else:
            out = stack.enter_context(stdout_to.open("wb"))
        err = stack.enter_context(tempfile.TemporaryFile())
        if hasattr(os, "wait4") and hasattr(os, "posix_spawn"):
            report = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "usage"
            launcher = [sys.executable, "-c", _LAUNCHER, str(report), *args]
            subprocess.run(launcher, env=env, stdout=out, stderr=err, check=True)
            status, wall, cpu, rss = report.read_text().split()
            usage = (int(status), float(wall), float(cpu), int(rss) * _RSS_UNIT / 1e6)
        else:  # no per-child usage here: wall time stands in for CPU time
            start = time.perf_counter()
            done = subprocess.run(args, env=env, stdout=out, stderr=err, check=False)
            wall = time.perf_counter() - start
            usage = (done.returncode, wall, wall, None)
        printed = b""
        if stdout_to is None:
            out.seek(0)
            printed = out.read()
        err.seek(0)
        status_code, wall_time, cpu_time, peak = usage
        return Child(
            wall_time,
            cpu_time,
            peak,
            status_code,
            printed.decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def run_python(code: str, env: dict[str, str], *args: str) -> Child:
    """Run ``python -c code args`` to its end; raise if it fails."""
    child = spawn([sys.executable, "-c", code, *args], env)
    if child.status != 0:
        raise RuntimeError(f"child failed ({child.status}): {child.stderr.strip()[-2000:]}")
    return child


def spread(values: Sequence[float]) -> tuple[str, str, str]:
    return fmt_stat(Stat.of(values))


# ---------------------------------------------------------------------------------------------
# Section: cold start (import, and a first plan, in fresh processes)
# ---------------------------------------------------------------------------------------------


def importtime_offenders(env: dict[str, str], runs: int) -> list[tuple[float, float, str]]:
    """Return (self ms, cumulative ms, module) medians from ``-X importtime``, largest first."""
    selfs: dict[str, list[int]] = {}
    cumulative: dict[str, list[int]] = {}
    for _ in range(runs):
        done = run_python("import backtriage", {**env, "PYTHONPROFILEIMPORTTIME": "1"})
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, total, name = line.removeprefix("import time:").split("|")
            selfs.setdefault(name.strip(), []).append(int(own))
            cumulative.setdefault(name.strip(), []).append(int(total))
    rows = [
        (statistics.median(v) / 1000, statistics.median(cumulative[k]) / 1000, k)
        for k, v in selfs.items()
    ]
    return sorted(rows, reverse=True)


def loaded_modules(code: str, env: dict[str, str]) -> set[str]:
    """Return ``sys.modules`` of a fresh process once it has run ``code``."""
    listing = run_python(f"{code}\nimport sys\nprint('\\n'.join(sys.modules))", env).stdout
    return set(listing.split())


def section_cold_start(report: Report, settings: Settings) -> None:
    env = child_env(settings)
    commands = {
        "cattrs": "import cattrs",
        "import": "import backtriage",
        "first plan": import_gate.FIRST_PLAN,
        "bare": "pass",
    }
    shown = {
        "cattrs": '`-c "import cattrs"`',
        "import": '`-c "import backtriage"`',
        "first plan": "import backtriage, `questions()`, first `recommend()`",
        "bare": '`-c "pass"`',
    }
    for code in commands.values():  # warm the bytecode cache, and the OS file cache
        run_python(code, env)
    runs: dict[str, list[Child]] = {name: [] for name in commands}
    names = list(commands)
    rounds = max(settings.spawn_rounds, 3)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(run_python(commands[name], env))
    cold_env = child_env(settings, bytecode=False)
    cold: dict[str, list[float]] = {"import": [], "cattrs": []}
    for _ in range(max(3, rounds // 4)):
        for name in cold:
            cold[name].append(run_python(commands[name], cold_env).cpu)

    def median(name: str, kind: str = "cpu") -> float:
        return statistics.median(getattr(child, kind) for child in runs[name])

    def ratio(name: str, kind: str = "cpu") -> float:
        return median(name, kind) / median("cattrs", kind)

    at_import = import_gate.offenders(loaded_modules("import backtriage", env))
    at_first_plan = import_gate.offenders(
        loaded_modules(import_gate.FIRST_PLAN, env), import_gate.AT_FIRST_PLAN
    )

    report.say(
        "## Cold start",
        "",
        "Whole fresh processes, side by side: `import cattrs` (the reference), "
        "`import backtriage`, a first plan (import backtriage, ask `questions()` of the shipped "
        "protocol, answer every question no, `recommend()`: the code is "
        "`benchmarks/import_gate.py`'s `FIRST_PLAN`) and `pass`, "
        f"{rounds} rounds in rotating order. *CPU* is the child's own user + system time "
        "(`os.wait4`), which other load on the machine does not inflate; *wall* is spawn to "
        "exit as seen from here. The goals are judged on the ratio of CPU medians. Children "
        "read compiled bytecode (cached under the data directory with `PYTHONPYCACHEPREFIX`, "
        "warmed once), as an installed package is.",
        "",
    )
    bare_cpu = median("bare")
    report.table(
        ["process", "CPU median", "CPU IQR", "CPU min – max", "wall median", "CPU minus `pass`"],
        [
            [
                shown[name],
                *spread([c.cpu for c in runs[name]]),
                fmt_time(median(name, "wall")),
                fmt_time(median(name) - bare_cpu),
            ]
            for name in names
        ],
    )
    mark = report.goal(
        "cold start",
        "import backtriage vs import cattrs",
        "≤ 1.1×",
        f"{ratio('import'):.2f}× CPU ({ratio('import', 'wall'):.2f}× wall)",
        ratio("import") <= 1.1,
    )
    first = report.goal(
        "cold start",
        "first plan in a fresh process vs import cattrs",
        "≤ 1.5×",
        f"{ratio('first plan'):.2f}× CPU ({ratio('first plan', 'wall'):.2f}× wall)",
        ratio("first plan") <= 1.5,
    )
    lazy = report.goal(
        "cold start",
        "no watched module loaded at import",
        "none loaded",
        ", ".join(at_import) or "none loaded",
        not at_import,
    )
    lazy_plan = report.goal(
        "cold start",
        "first plan without loader, converter or checks",
        "none loaded",
        ", ".join(at_first_plan) or "none loaded",
        not at_first_plan,
    )
    report.say(
        f"`import backtriage`: **{ratio('import'):.2f}×** `import cattrs` (CPU), goal ≤ 1.1×: "
        f"**{mark}**. First plan: **{ratio('first plan'):.2f}×** `import cattrs` (CPU), goal "
        f"≤ 1.5×: **{first}**.",
        "",
        f"Watched modules (`benchmarks/import_gate.py`: every backtriage module but the "
        f"{len(import_gate.AT_IMPORT)} allowed, and {len(import_gate.NEVER)} libraries and "
        "standard modules such as tomllib, cattrs, json, hashlib, pyarrow, pandas, hypothesis) "
        f"loaded by `import backtriage`: **{', '.join(at_import) or 'none'}**: **{lazy}**; by "
        "the first plan, which may also load the model, the engine, the plan and the "
        f"ready-made protocol: **{', '.join(at_first_plan) or 'none'}**: **{lazy_plan}**.",
        "",
        f"Without a bytecode cache (each child compiles backtriage from source, as with "
        f"`PYTHONDONTWRITEBYTECODE=1` in a source checkout; cattrs still has its compiled "
        f"files in site-packages): backtriage {fmt_time(statistics.median(cold['import']))} "
        f"CPU, cattrs {fmt_time(statistics.median(cold['cattrs']))}, ratio "
        f"{statistics.median(cold['import']) / statistics.median(cold['cattrs']):.2f}× "
        "(not the goal: an installed package is compiled).",
        "",
        f"Top modules by own import time (`-X importtime`, median of {max(3, rounds // 8)} runs):",
        "",
    )
    offenders = importtime_offenders(env, max(3, rounds // 8))
    report.table(
        ["module", "self", "cumulative"],
        [[f"`{name}`", f"{own:.2f} ms", f"{total:.2f} ms"] for own, total, name in offenders[:15]],
    )
    own = sum(o for o, _, name in offenders if name.split(".")[0] == "backtriage")
    report.say(f"backtriage's own modules, self time summed: {own:.1f} ms.", "")


# ---------------------------------------------------------------------------------------------
# Section: first recommend in a fresh process
# ---------------------------------------------------------------------------------------------

# Both children print CPU seconds (time.process_time) of each phase, then wall seconds.
_FIRST_RECOMMEND = """\
import time
c0, w0 = time.process_time(), time.perf_counter()
import backtriage
c1, w1 = time.process_time(), time.perf_counter()
import sys
flags = dict.fromkeys(sys.argv[1].split(","), False)
found = dict.fromkeys(filter(None, sys.argv[4].split(",")), False) | {sys.argv[3]: True}
odi = dict(zip(sys.argv[2].split(","), (1, 2, 1, 2, 1, 1, 2, 0, 1, 2), strict=True))
assessment = backtriage.Assessment(odi=odi, red_flags=flags, findings=found, age=50)
c2, w2 = time.process_time(), time.perf_counter()
plan = backtriage.recommend(assessment)
c3, w3 = time.process_time(), time.perf_counter()
backtriage.recommend(assessment)
c4, w4 = time.process_time(), time.perf_counter()
assert plan.exercises and not plan.missing, plan.summary()
print(c1 - c0, c2 - c1, c3 - c2, c4 - c3, w3 - w2)
"""

_FIRST_RECOMMEND_SPLIT = """\
import time
import backtriage
c0 = time.process_time()
import backtriage._plan
c1 = time.process_time()
backtriage.default_protocol()
c2 = time.process_time()
import sys
flags = dict.fromkeys(sys.argv[1].split(","), False)
found = dict.fromkeys(filter(None, sys.argv[4].split(",")), False) | {sys.argv[3]: True}
odi = dict(zip(sys.argv[2].split(","), (1, 2, 1, 2, 1, 1, 2, 0, 1, 2), strict=True))
assessment = backtriage.Assessment(odi=odi, red_flags=flags, findings=found, age=50)
c3 = time.process_time()
backtriage.recommend(assessment)
c4 = time.process_time()
print(c1 - c0, c2 - c1, c4 - c3)
"""

_FIRST_RECOMMEND_PROFILE = """\
import cProfile, pstats, sys
profiler = cProfile.Profile()
profiler.enable()
import backtriage
flags = dict.fromkeys(sys.argv[1].split(","), False)
found = dict.fromkeys(filter(None, sys.argv[4].split(",")), False) | {sys.argv[3]: True}
odi = dict(zip(sys.argv[2].split(","), (1, 2, 1, 2, 1, 1, 2, 0, 1, 2), strict=True))
backtriage.recommend(backtriage.Assessment(odi=odi, red_flags=flags, findings=found, age=50))
profiler.disable()
stats = pstats.Stats(profiler)
stats.sort_stats("cumulative").print_stats(30)
stats.sort_stats("tottime").print_stats(15)
"""


def first_recommend_args() -> tuple[str, str, str, str]:
    import backtriage as bt

    protocol = bt.default_protocol()
    flags = ",".join(f.name for f in protocol.facts if f.kind is bt.FactKind.RED_FLAG)
    findings = [f for f in protocol.facts if f.kind is bt.FactKind.FINDING]
    finding = next(f.name for f in findings if not f.required)
    required = ",".join(f.name for f in findings if f.required and f.name != finding)
    return flags, ",".join(ODI_KEYS), finding, required


def section_first_recommend(report: Report, settings: Settings) -> None:
    env = child_env(settings)
    args = first_recommend_args()
    for code in (_FIRST_RECOMMEND, _FIRST_RECOMMEND_SPLIT, "pass"):  # warm the bytecode cache
        run_python(code, env, *args)
    phases: list[list[float]] = [[], [], [], [], []]
    split: list[list[float]] = [[], [], []]
    whole: list[Child] = []
    bare: list[Child] = []
    rounds = max(settings.spawn_rounds // 2, 3)
    kinds = ["first", "bare", "split"]
    for r in range(rounds):
        shift = r % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            if kind == "bare":
                bare.append(run_python("pass", env))
            elif kind == "split":
                out = run_python(_FIRST_RECOMMEND_SPLIT, env, *args).stdout
                for part, value in zip(split, out.split(), strict=True):
                    part.append(float(value))
            else:
                child = run_python(_FIRST_RECOMMEND, env, *args)
                whole.append(child)
                for phase, value in zip(phases, child.stdout.split(), strict=True):
                    phase.append(float(value))
    imports, assessment, first, warm, first_wall = phases
    inside = [a + b + c for a, b, c in zip(imports, assessment, first, strict=True)]
    report.say(
        "## First recommend",
        "",
        f"A fresh process ({rounds} rounds, in rotating order with `-c 'pass'` and the "
        "split below) imports backtriage, builds a complete assessment (every red flag "
        "answered no, ten ODI answers, one finding) and calls `recommend`, which loads the "
        "default protocol on first use. Phases are timed inside the process with "
        "`time.process_time()` (CPU); the goal applies to the first `recommend` call, "
        "protocol load included (the import has its own goal above).",
        "",
    )
    report.table(
        ["phase", "median", "IQR", "min – max"],
        [
            ["`import backtriage` (in process)", *spread(imports)],
            ["build the assessment", *spread(assessment)],
            ["**first `recommend`, protocol load included**", *spread(first)],
            ["the same, wall time (`perf_counter`)", *spread(first_wall)],
            ["second `recommend` (warm)", *spread(warm)],
            ["before import → after first recommend", *spread(inside)],
            ["whole process, CPU", *spread([c.cpu for c in whole])],
            ["whole process, wall (spawn to exit)", *spread([c.wall for c in whole])],
            ['reference: whole `-c "pass"` process, CPU', *spread([c.cpu for c in bare])],
        ],
    )
    median = statistics.median(first)
    mark = report.goal(
        "first recommend",
        "first recommend in a fresh process, protocol load included",
        "≤ 30 ms",
        f"{fmt_time(median)} CPU ({fmt_time(statistics.median(first_wall))} wall)",
        median <= 30e-3,
    )
    report.say(
        f"First recommend: **{fmt_time(median)}**, goal ≤ 30 ms: **{mark}**",
        "",
        "The same first call split, in another fresh process (CPU time; the parts add up to "
        "about the first call above):",
        "",
    )
    report.table(
        ["part of the first call", "median", "IQR", "min – max"],
        [
            ["`import backtriage._plan` (the model, the engine, the plan)", *spread(split[0])],
            [
                "`default_protocol()`: read default.toml, its SHA-256, the ready-made protocol",
                *spread(split[1]),
            ],
            ["first `recommend` once the protocol is loaded", *spread(split[2])],
        ],
    )
    if settings.profile:
        out = run_python(_FIRST_RECOMMEND_PROFILE, env, *args).stdout
        print("\n#### Profile: import + first recommend (fresh process)\n```")
        print(out.strip())
        print("```")


# ---------------------------------------------------------------------------------------------
# Section: CLI score
# ---------------------------------------------------------------------------------------------

_REFERENCE_SCORER = """\
import csv, sys
with open(sys.argv[1], newline="") as source, open(sys.argv[2], "w", newline="") as target:
    rows = csv.reader(source)
    out = csv.writer(target)
    out.writerow([*next(rows), "raw", "answered", "percent"])
    for row in rows:
        answers = [int(v) for v in row if v]
        raw = sum(answers)
        out.writerow([*row, raw, len(answers), raw * 20 / len(answers)])
"""


def odi_csv(settings: Settings) -> Path:
    """Return a CSV of ``cli_rows`` generated ODI rows, made once and kept in the data dir."""
    path = settings.data_dir / f"odi_{settings.cli_rows}_v1.csv"
    if path.exists():
        return path
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="") as target:
        out = csv.writer(target)
        out.writerow(ODI_KEYS)
        for _ in range(settings.cli_rows):
            row: list[object] = list(typical_odi(rng).values())
            if rng.random() < 0.1:
                row[7] = ""  # sex_life is the section people most often leave blank
            out.writerow(row)
    partial.replace(path)
    return path


def cli_command(env: dict[str, str], source: Path, target: Path) -> list[str] | None:
    """Return the command that scores ``source`` into ``target``, or None without a CLI."""
    probe = subprocess.run(
        [sys.executable, "-m", "backtriage", "score", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return None
    base = [sys.executable, "-m", "backtriage", "score", str(source)]
    for option in ("--output", "--out", "-o"):
        if re.search(rf"(^|[\s,\[]){re.escape(option)}\b", probe.stdout, re.MULTILINE):
            return [*base, option, str(target)]
    return base  # no output option: stdout is sent to the target file


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def section_cli(report: Report, settings: Settings) -> None:
    env = child_env(settings)
    source = odi_csv(settings)
    rows = settings.cli_rows
    out_dir = settings.data_dir / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    cli_out, ref_out = out_dir / "cli.csv", out_dir / "reference.csv"
    command = cli_command(env, source, cli_out)
    warm_up = settings.data_dir / "warm_up.csv"
    with source.open() as full, warm_up.open("w") as small:
        small.writelines(itertools.islice(full, 101))
    reference = [sys.executable, "-c", _REFERENCE_SCORER, str(source), str(ref_out)]
    report.say(
        "## CLI score",
        "",
        f"`backtriage score` on {rows:,} generated rows (a wide CSV, header = the ten ODI "
        "section keys, one row in ten with `sex_life` blank), against a plain-Python "
        "reference in the same rounds: `csv.reader`, `sum`, `csv.writer` over the same file "
        "(`_REFERENCE_SCORER` in this script). Both are whole processes; CPU time and peak "
        "RSS are the child's own (`os.wait4`). Throughput is judged on CPU time, so that "
        "other load on the machine does not count against it; wall time is beside it.",
        "",
    )
    if command is None:
        report.say("**not available**: `python -m backtriage score --help` fails (no CLI yet).", "")
        report.goal("cli", "CLI score throughput", "≥ 100,000 rows/s", "not available", None)
        report.goal("cli", "CLI score peak memory", "< 100 MB", "not available", None)
        return
    uses_stdout = command[-1] != str(cli_out)
    shown = " ".join(
        "python" if part == sys.executable else os.path.relpath(part, ROOT) if "/" in part else part
        for part in command
    )
    report.say(f"Command: `{shown}`" + (" > OUT" if uses_stdout else ""), "")
    # Compile and cache the bytecode of the CLI's modules before anything is timed.
    warm_command = [str(warm_up) if part == str(source) else part for part in command]
    spawn(warm_command, env, stdout_to=cli_out if uses_stdout else None)
    runs: dict[str, list[Child]] = {"cli": [], "reference": []}
    for r in range(settings.cli_rounds):
        for what in ("cli", "reference") if r % 2 == 0 else ("reference", "cli"):
            if what == "reference":
                child = spawn(reference, env)
            else:
                child = spawn(command, env, stdout_to=cli_out if uses_stdout else None)
            if child.status != 0:
                failure = f"{what} exited with {child.status}: {child.stderr.strip()[-500:]}"
                report.say(f"**failed**: {failure}", "")
                report.goal("cli", "CLI score throughput", "≥ 100,000 rows/s", "failed", False)
                report.goal("cli", "CLI score peak memory", "< 100 MB", "failed", False)
                return
            runs[what].append(child)
    out_lines = count_lines(cli_out)
    for written in (cli_out, ref_out):
        written.unlink(missing_ok=True)  # tens of MB each; the input is kept for the next run
    table = []
    for what, label in (("cli", "`backtriage score`"), ("reference", "plain csv reference")):
        cpu = statistics.median(c.cpu for c in runs[what])
        wall = statistics.median(c.wall for c in runs[what])
        peaks = [c.rss_mb for c in runs[what] if c.rss_mb is not None]
        table.append(
            [
                label,
                fmt_time(cpu),
                f"{rows / cpu:,.0f}",
                fmt_time(wall),
                f"{rows / wall:,.0f}",
                f"{max(peaks):.1f} MB" if peaks else "n/a",
            ]
        )
    report.table(
        ["process", "CPU median", "rows/s (CPU)", "wall median", "rows/s (wall)", "peak RSS"],
        table,
    )
    cli_cpu = statistics.median(c.cpu for c in runs["cli"])
    ref_cpu = statistics.median(c.cpu for c in runs["reference"])
    cli_wall = statistics.median(c.wall for c in runs["cli"])
    peaks = [c.rss_mb for c in runs["cli"] if c.rss_mb is not None]
    peak = max(peaks) if peaks else None
    throughput = rows / cli_cpu
    t_mark = report.goal(
        "cli",
        "CLI score throughput",
        "≥ 100,000 rows/s",
        f"{throughput:,.0f} rows/s CPU ({rows / cli_wall:,.0f} wall; "
        f"{cli_cpu / ref_cpu:.2f}× the reference's time)",
        throughput >= 100_000,
    )
    m_mark = report.goal(
        "cli",
        "CLI score peak memory",
        "< 100 MB",
        f"{peak:.1f} MB" if peak is not None else "n/a",
        None if peak is None else peak < 100,
    )
    report.say(
        f"Throughput **{throughput:,.0f} rows/s** (goal ≥ 100,000: **{t_mark}**), peak RSS "
        f"**{f'{peak:.1f} MB' if peak is not None else 'n/a'}** (goal < 100 MB: **{m_mark}**); "
        f"the CLI wrote {out_lines:,} lines for {rows:,} rows.",
        "",
    )


# ---------------------------------------------------------------------------------------------
# Section: columnar scoring (backtriage.frames), Parquet through the CLI, Dask, Spark
# ---------------------------------------------------------------------------------------------


def frame_table(rows: int, *, text: bool = False) -> Any:
    """Return a pyarrow table of ten ODI columns: 2 % nulls, 0.5 % cells out of range (7)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(11)
    columns = {}
    for key in ODI_KEYS:
        values = rng.integers(0, 6, rows)
        values[rng.random(rows) < 0.005] = 7
        array = pa.array(values, mask=rng.random(rows) < 0.02)
        columns[key] = array.cast(pa.string()) if text else array
    return pa.table(columns)


def float_frame(table: Any) -> Any:
    """Return ``table`` with float64 columns, nulls kept: an integer column with gaps as
    pandas, polars and most Parquet writers of pandas hold it."""
    import pyarrow as pa

    return pa.table({name: table.column(name).cast(pa.float64()) for name in table.column_names})


def bare_frame_reference(table: Any) -> Any:
    """The bare vectorised ODI: sum and divide over the ten columns, nulls skipped, no checks."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = count = None
    for key in ODI_KEYS:
        column = table.column(key)
        answered = pc.cast(pc.is_valid(column), pa.int64())
        filled = pc.fill_null(column, 0)
        total = filled if total is None else pc.add(total, filled)
        count = answered if count is None else pc.add(count, answered)
    return pc.divide(pc.multiply(pc.cast(total, pa.float64()), 20.0), count)


_DASK_SCORER = """\
import sys, itertools
import dask.dataframe as dd
from dask.distributed import Client, LocalCluster
from backtriage.frames import score_odi_frame
source, workers = sys.argv[1], int(sys.argv[2])
if workers:
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    frame = dd.read_csv(source, dtype=str, keep_default_na=False, blocksize=8_000_000)
    lengths = frame.map_partitions(len).compute()
    starts = list(itertools.accumulate(lengths, initial=1))[:-1]
    meta = score_odi_frame(frame._meta)
    def score(part, partition_info=None):
        return score_odi_frame(part, start=starts[partition_info["number"]])
    scored = frame.map_partitions(score, meta=meta)
    failed = int(scored["error"].count().compute())
    rows = int(scored["row"].max().compute())
    client.close(); cluster.close()
else:
    import pandas as pd
    scored = score_odi_frame(pd.read_csv(source, dtype=str, keep_default_na=False), start=1)
    failed, rows = int(scored["error"].count()), int(scored["row"].max())
print(rows, failed)
"""

_SPARK_SCORER = """\
import sys
from pyspark.sql import SparkSession
from backtriage.frames import score_odi_frame
import pyarrow as pa
source = sys.argv[1]
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
frame = spark.read.parquet(source)
scored_schema = spark.createDataFrame(
    score_odi_frame(spark.read.parquet(source).limit(0).toArrow())).schema
def score(batches):
    for batch in batches:
        yield from score_odi_frame(pa.Table.from_batches([batch])).to_batches()
result = frame.mapInArrow(score, scored_schema)
print(result.count(), result.filter("error is not null").count())
spark.stop()
"""


def section_frames(report: Report, settings: Settings) -> None:
    try:
        import numpy  # noqa: F401
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from backtriage.batch import RowError, score_odi_many
        from backtriage.frames import score_odi_frame
    except ImportError as exc:
        report.say("## Columnar scoring", "", f"**not available**: {exc}", "")
        for goal, target in _FRAME_GOALS:
            report.goal("frames", goal, target, "not available", None)
        return
    rows = 20_000 if settings.quick else 1_000_000
    table = frame_table(rows)
    text = frame_table(rows, text=True)
    floats = float_frame(table)
    pandas_ints = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    pandas_floats = floats.to_pandas()  # float64, NaN where empty: pandas' default
    report.say(
        "## Columnar scoring",
        "",
        f"`backtriage.frames.score_odi_frame` on an in-memory pyarrow table of {rows:,} rows, "
        "ten int64 columns (2 % nulls, 0.5 % of cells out of range: every check, messages "
        "included), against the bare vectorised reference in the same rounds: sum and divide "
        "over the same columns, nulls skipped, nothing checked (`bare_frame_reference`). The "
        "same table with text columns, with float64 columns (nulls kept), and as pandas frames "
        "(nullable `Int64`, and `float64` with NaN, what `read_csv` gives a column with gaps) "
        "is reported beside them.",
        "",
    )
    cases: dict[str, tuple[Batch, int]] = {
        "frame": (lambda n: [score_odi_frame(table) for _ in range(n)], rows),
        "bare": (lambda n: [bare_frame_reference(table) for _ in range(n)], rows),
        "text": (lambda n: [score_odi_frame(text) for _ in range(n)], rows),
        "float": (lambda n: [score_odi_frame(floats) for _ in range(n)], rows),
        "pandas_int": (lambda n: [score_odi_frame(pandas_ints) for _ in range(n)], rows),
        "pandas_float": (lambda n: [score_odi_frame(pandas_floats) for _ in range(n)], rows),
    }
    quick = Settings(**{**settings.__dict__, "rounds": min(settings.rounds, 11)})
    samples = interleave(cases, quick)
    stats = {name: Stat.of(values) for name, values in samples.items()}
    ratio = paired_ratio(samples["frame"], samples["bare"])
    float_ratio = paired_ratio(samples["float"], samples["frame"])
    pandas_ratio = paired_ratio(samples["pandas_float"], samples["pandas_int"])
    per_second = 1 / stats["frame"].median
    report.table(
        ["case", "per row (median)", "IQR", "min – max", "rows/s"],
        [
            [label, *fmt_stat(stats[name]), f"{1 / stats[name].median:,.0f}"]
            for name, label in (
                ("frame", "score_odi_frame, int columns"),
                ("bare", "bare reference, int columns"),
                ("text", "score_odi_frame, text columns"),
                ("float", "score_odi_frame, float columns"),
                ("pandas_int", "score_odi_frame, pandas Int64 columns"),
                ("pandas_float", "score_odi_frame, pandas float64 columns with NaN"),
            )
        ],
    )
    floats_within = report.goal(
        "frames",
        "columnar float columns vs int columns",
        "≤ 3×",
        f"{fmt_ratio(float_ratio)} (pandas float64 with NaN vs Int64: {fmt_ratio(pandas_ratio)})",
        float_ratio.median <= 3 and pandas_ratio.median <= 3,
    )
    report.say(
        f"Float columns take **{fmt_ratio(float_ratio)}** the time of the same integers "
        f"(pyarrow), pandas float64 with NaN **{fmt_ratio(pandas_ratio)}** that of pandas "
        f"Int64 (goal ≤ 3×: **{floats_within}**).",
        "",
    )
    speed = report.goal(
        "frames",
        "columnar scorer throughput, 1M int rows",
        "≥ 10,000,000 rows/s",
        f"{per_second:,.0f} rows/s",
        per_second >= 10_000_000,
    )
    within = report.goal(
        "frames",
        "columnar scorer vs bare vectorised reference",
        "≤ 3×",
        fmt_ratio(ratio),
        ratio.median <= 3,
    )
    report.say(
        f"Throughput **{per_second:,.0f} rows/s** (goal ≥ 10 M: **{speed}**), "
        f"**{fmt_ratio(ratio)}** the bare reference's time (goal ≤ 3×: **{within}**); text "
        f"columns **{1 / stats['text'].median:,.0f} rows/s**.",
        "",
    )

    # The same rows through score_odi_many: identical results, and its own speed.
    records = table.select(list(ODI_KEYS)).to_pylist()
    started = time.process_time()
    expected = list(score_odi_many(records))
    many_seconds = time.process_time() - started
    scored = score_odi_frame(table)
    got = zip(
        *(scored.column(name).to_pylist() for name in ("odi_raw", "odi_percent", "error")),
        strict=True,
    )
    same = all(
        (None, None, result.message) == cells
        if isinstance(result, RowError)
        else (result.raw, result.percent, None) == cells
        for result, cells in zip(expected, got, strict=True)
    )
    identical = report.goal(
        "frames",
        "columnar results identical to score_odi_many",
        f"all {rows:,} rows",
        "identical" if same else "DIFFERENT",
        same,
    )
    report.say(
        f"`score_odi_many` over the same {rows:,} rows as dicts: "
        f"{rows / many_seconds:,.0f} rows/s (CPU); results identical row by row, error "
        f"messages included: **{identical}**.",
        "",
    )

    section_many_unchanged(report, settings, records)

    # Parquet -> Parquet through the CLI, a whole process.
    env = child_env(settings)
    source = settings.data_dir / f"odi_{rows}_v1.parquet"
    if not source.exists():
        pq.write_table(table, source)
    float_source = settings.data_dir / f"odi_{rows}_float_v1.parquet"
    if not float_source.exists():
        pq.write_table(floats, float_source)
    target = settings.data_dir / "out" / "scored.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "backtriage", "score", str(source), "-o", str(target)]
    float_command = [*command[:4], str(float_source), *command[5:]]
    spawn(command, env)  # compile and cache the bytecode first
    children, float_children = [], []
    for _ in range(settings.cli_rounds):  # alternated, so that both see the same machine
        children.append(spawn(command, env))
        float_children.append(spawn(float_command, env))
    failed_runs = [c for c in children + float_children if c.status not in (0, 1)]
    if failed_runs:
        report.say(f"**CLI failed**: {failed_runs[0].stderr.strip()[-500:]}", "")
        report.goal(
            "frames", "CLI Parquet → Parquet throughput", "≥ 1,000,000 rows/s", "failed", False
        )
        report.goal("frames", "CLI Parquet → Parquet peak memory", "< 400 MB", "failed", False)
        report.goal("frames", "CLI float Parquet vs int Parquet", "≤ 2×", "failed", False)
    else:
        cpu = statistics.median(c.cpu for c in children)
        wall = statistics.median(c.wall for c in children)
        peak = max(c.rss_mb or 0.0 for c in children)
        written = pq.read_metadata(target).num_rows
        cli_speed = report.goal(
            "frames",
            "CLI Parquet → Parquet throughput",
            "≥ 1,000,000 rows/s",
            f"{rows / cpu:,.0f} rows/s CPU ({rows / wall:,.0f} wall)",
            rows / cpu >= 1_000_000,
        )
        cli_memory = report.goal(
            "frames", "CLI Parquet → Parquet peak memory", "< 400 MB", f"{peak:.1f} MB", peak < 400
        )
        report.say(
            f"`backtriage score {source.name} -o scored.parquet`, {rows:,} rows, end to end "
            f"(process start and imports included), {settings.cli_rounds} runs: CPU "
            f"{fmt_time(cpu)}, **{rows / cpu:,.0f} rows/s** ({cli_speed}), wall {fmt_time(wall)}; "
            f"peak RSS **{peak:.1f} MB** ({cli_memory}); {written:,} rows written.",
            "",
        )
        float_cpu = statistics.median(c.cpu for c in float_children)
        cli_ratio = float_cpu / cpu
        cli_floats = report.goal(
            "frames",
            "CLI float Parquet vs int Parquet",
            "≤ 2×",
            f"{cli_ratio:.2f}× (ratio of medians)",
            cli_ratio <= 2,
        )
        report.say(
            f"The same rows as float64 columns (`{float_source.name}`): CPU "
            f"{fmt_time(float_cpu)}, {rows / float_cpu:,.0f} rows/s, **{cli_ratio:.2f}×** the "
            f"integer file's CPU time (goal ≤ 2×: **{cli_floats}**).",
            "",
        )
    target.unlink(missing_ok=True)

    # The Dask recipe on two local workers against one process, on the CLI's CSV.
    csv_source = odi_csv(settings)
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        report.say("Dask: not installed.", "")
    else:
        if settings.quick:
            report.say(
                "Dask and Spark: not run in quick mode (a cluster takes seconds to start).", ""
            )
            return
        one = spawn([sys.executable, "-c", _DASK_SCORER, str(csv_source), "0"], env)
        two = spawn([sys.executable, "-c", _DASK_SCORER, str(csv_source), "2"], env)
        report.table(
            ["run", "wall", "rows/s (wall)", "printed (rows, failed)"],
            [
                [
                    label,
                    fmt_time(c.wall),
                    f"{settings.cli_rows / c.wall:,.0f}",
                    c.stdout.strip() or c.stderr.strip()[-200:],
                ]
                for label, c in (("one process, pandas", one), ("Dask, 2 workers", two))
            ],
        )
        report.say(
            "Both read the CSV as text and score it with `score_odi_frame` (the Dask run as "
            "in docs/research.md: `map_partitions`, a ready `meta`, global row numbers); wall "
            "times, cluster start-up included, on a machine of "
            f"{os.cpu_count()} cores shared with other work.",
            "",
        )

    # Spark, where pyspark and Java are installed.
    try:
        import pyspark  # noqa: F401
    except ImportError:
        report.say("Spark: pyspark is not installed here; not run.", "")
    else:
        spark_env = env | {"PYSPARK_PYTHON": sys.executable}  # workers need pyarrow too
        spark = spawn([sys.executable, "-c", _SPARK_SCORER, str(source)], spark_env)
        outcome = spark.stdout.strip() if spark.status == 0 else spark.stderr.strip()[-300:]
        report.say(
            f"Spark (`mapInArrow`, local[2]) on the {rows:,}-row Parquet file: wall "
            f"{fmt_time(spark.wall)}, exit {spark.status}; printed (rows, failed): {outcome}.",
            "",
        )


def section_many_unchanged(
    report: Report, settings: Settings, records: list[dict[str, Any]]
) -> None:
    """Time score_odi_many against the version in git's ``main``, side by side."""
    import importlib.util

    # main's batch.py where this branch forked from it (or last merged it): it runs against
    # this tree's other modules, which a newer main's may not.
    base = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    done = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{base}:src/backtriage/batch.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    old_path = settings.data_dir / "batch_main.py"
    old_path.write_text(done.stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("batch_main", old_path)
    try:
        if not base or done.returncode != 0 or spec is None or spec.loader is None:
            raise ImportError("no git main here")
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
    except Exception as exc:  # a main that no longer fits this tree: say so, measure nothing
        report.say(f"`score_odi_many` against `main`: not measured ({exc}).", "")
        report.goal("frames", "score_odi_many unchanged", "≤ 1.15× main's", "not available", None)
        return
    from backtriage.batch import score_odi_many

    sample = [{k: "" if v is None else str(v) for k, v in row.items()} for row in records[:2_000]]
    cases: dict[str, tuple[Batch, int]] = {
        "new": (lambda n: [list(score_odi_many(sample)) for _ in range(n)], len(sample)),
        "main": (lambda n: [list(old.score_odi_many(sample)) for _ in range(n)], len(sample)),
    }
    samples = interleave(cases, settings)
    ratio = paired_ratio(samples["new"], samples["main"])
    mark = report.goal(
        "frames",
        "score_odi_many unchanged",
        "≤ 1.15× main's",
        fmt_ratio(ratio),
        ratio.median <= 1.15,
    )
    report.say(
        f"`score_odi_many` on {len(sample):,} CSV-like rows (text cells, the same table), "
        f"against the version in `main` in the same rounds: **{fmt_ratio(ratio)}** its time "
        f"({1 / Stat.of(samples['new']).median:,.0f} rows/s; goal ≤ 1.15×: **{mark}**).",
        "",
    )


_FRAME_GOALS = (
    ("columnar scorer throughput, 1M int rows", "≥ 10,000,000 rows/s"),
    ("columnar scorer vs bare vectorised reference", "≤ 3×"),
    ("columnar results identical to score_odi_many", "all rows"),
    ("columnar float columns vs int columns", "≤ 3×"),
    ("CLI Parquet → Parquet throughput", "≥ 1,000,000 rows/s"),
    ("CLI Parquet → Parquet peak memory", "< 400 MB"),
    ("CLI float Parquet vs int Parquet", "≤ 2×"),
    ("score_odi_many unchanged", "≤ 1.15× main's"),
)


# ---------------------------------------------------------------------------------------------
# Header, summary and main
# ---------------------------------------------------------------------------------------------


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    revision = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        revision = head + (" + uncommitted changes in src/" if dirty else "")
    import attrs

    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{platform.machine()}, {os.cpu_count()} CPUs (`nproc`), {cpu}, {memory}"),
        ("system", platform.platform()),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("attrs", attrs.__version__),
        ("revision", revision),
        ("load average at start", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


def section_kit(report: Report, settings: Settings) -> None:
    """The testing kit on the default protocol: check() with its policies, and every property."""
    from importlib import resources

    from backtriage.protocol import protocol_from_data
    from backtriage.testing import CHECKS, check_properties

    text = resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")
    data = tomllib.loads(text)
    rounds = 1 if settings.quick else 3
    examples = 0 if settings.quick else 100  # the kit's default setting
    build: list[float] = []
    kit: list[float] = []
    for _ in range(rounds):
        start = time.process_time()
        protocol = protocol_from_data(data)  # compiles the engine and runs check()
        problems = protocol.check()
        build.append(time.process_time() - start)
        start = time.process_time()
        failures = check_properties(protocol, max_examples=examples)
        kit.append(time.process_time() - start)
    if problems or failures:
        raise SystemExit("the default protocol must pass the kit")
    total = statistics.median(b + k for b, k in zip(build, kit, strict=True))
    passed = None if settings.quick else total <= 10.0
    report.say(
        "## Testing kit",
        "",
        f"`check()` (static checks and the {len(protocol.policies)} declared policies) and "
        f"every property check ({len(CHECKS)}, `max_examples={examples}`) on the default "
        f"protocol, CPU time, median of {rounds} round(s).",
        "",
    )
    report.table(
        ["step", "median"],
        [
            ["load + `check()`", fmt_time(statistics.median(build))],
            ["`check_properties`", fmt_time(statistics.median(kit))],
        ],
    )
    mark = report.goal(
        "Testing kit", "kit on one protocol, default settings", "≤ 10 s", fmt_time(total), passed
    )
    report.say(f"Total: **{fmt_time(total)}**, goal ≤ 10 s: **{mark}**", "")


# ---------------------------------------------------------------------------------------------
# Review: the exact queries of issue 12
# ---------------------------------------------------------------------------------------------


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
