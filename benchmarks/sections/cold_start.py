"""Cold start: import backtriage, and a first plan, in fresh processes."""

from __future__ import annotations

import statistics

import import_gate
from harness import Child, Report, Settings, child_env, fmt_time, run_python, spread


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
