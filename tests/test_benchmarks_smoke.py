"""The benchmark script runs end to end, so that it cannot rot unnoticed.

Only that it runs and reports every section is checked: its quick mode uses tiny sizes whose
timings mean nothing, so no figure is asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"

QuickRun = tuple[subprocess.CompletedProcess[str], int | None]
"""What the quick run printed, and the mtime of RESULTS.md before it ran."""

SECTIONS = (
    "## Goals",
    "## score_odi",
    "## recommend",
    "## follow_up",
    "## Engine scaling",
    "## CLI score",
    "## Columnar scoring",
    "## Cold start",
    "## First recommend",
    "## Testing kit",
    "## Review queries",
    "## Method",
)
GOALS = (
    "score_odi vs bare reference",
    "recommend, default protocol",
    "evaluate, 1,000 rules × 500 exercises",
    "evaluate + explanation, 1,000 rules × 500 exercises",
    "evaluate, default protocol",
    "evaluate grows with fired rules, not rules × exercises",
    "CLI score throughput",
    "CLI score peak memory",
    "columnar scorer throughput, 1M int rows",
    "columnar scorer vs bare vectorised reference",
    "columnar results identical to score_odi_many",
    "columnar float columns vs int columns",
    "CLI Parquet → Parquet throughput",
    "CLI Parquet → Parquet peak memory",
    "CLI float Parquet vs int Parquet",
    "score_odi_many unchanged",
    "import backtriage vs import cattrs",
    "first plan in a fresh process vs import cattrs",
    "no watched module loaded at import",
    "first plan without loader, converter or checks",
    "first recommend in a fresh process, protocol load included",
    "kit on one protocol, default settings",
    "all queries and the review sheet, default protocol",
)

# Slow: left out of the quick local run (see README), run by CI.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    """Run ``benchmarks/run.py --quick --no-write`` once, with its data in a temporary dir."""
    before = RESULTS.stat().st_mtime_ns if RESULTS.exists() else None
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--no-write",
            "--data-dir",
            str(tmp_path_factory.mktemp("benchmark-data")),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done, before


def test_quick_run_succeeds(quick_run: QuickRun) -> None:
    done, _ = quick_run
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("heading", SECTIONS)
def test_quick_run_reports_every_section(quick_run: QuickRun, heading: str) -> None:
    done, _ = quick_run
    assert f"\n{heading}\n" in done.stdout


@pytest.mark.parametrize("goal", GOALS)
def test_quick_run_gives_every_goal_a_verdict(quick_run: QuickRun, goal: str) -> None:
    done, _ = quick_run
    goals = done.stdout[done.stdout.rindex("\n## Goals\n") :]
    rows = [line for line in goals.splitlines() if f"| {goal} |" in line]
    assert len(rows) == 1, goals
    assert rows[0].endswith(("| **PASS** |", "| **FAIL** |", "| **n/a** |"))


def test_no_write_leaves_the_recorded_results_alone(quick_run: QuickRun) -> None:
    done, before = quick_run
    after = RESULTS.stat().st_mtime_ns if RESULTS.exists() else None
    assert after == before
    assert "Results written to" not in done.stdout
