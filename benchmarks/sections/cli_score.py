"""backtriage score on a CSV file, against a bare csv-module reference."""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
import statistics
import subprocess
import sys
from pathlib import Path

from harness import ODI_KEYS, ROOT, Child, Report, Settings, child_env, fmt_time, spawn, typical_odi

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
