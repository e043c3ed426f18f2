"""What every benchmark section shares: settings, statistics, the report, child processes.

Each section of ``run.py`` is a module of ``sections/`` built on these. Importing this module
puts the ``src`` tree beside it first on the path, so that the working tree is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
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
