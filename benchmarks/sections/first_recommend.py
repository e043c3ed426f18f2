"""A first recommend in a fresh process, protocol load included."""

from __future__ import annotations

import statistics

from harness import ODI_KEYS, Child, Report, Settings, child_env, fmt_time, run_python, spread

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
