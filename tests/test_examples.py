"""Every example runs from the repository root as documented, and says what it shows."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

# What each example must print: the part of its story a reader checks.
EXPECTED = {
    "app_backend.py": [
        "200 urgency: none",
        "400 $.red_flags.fever",
        "urgency: emergency exercises: 0",
    ],
    "custom_protocol.py": ["clinic-walking 0.1.0: 0 problem(s)", "withheld short_walk"],
    "follow_up_episode.py": [
        "first plan: urgency none; knee_sways 1/3, single_knee_hug 1/3",
        "week 1: urgency none; knee_sways 2/3, single_knee_hug 2/3",
        "week 2, a flare-up: urgency routine; knee_sways 1/3, single_knee_hug 1/3",
        "day 14: pain 6 -> 8; improved False, worse True",
        "lying back arch: start",
        "day 28: pain 6 -> 3; improved True, worse False",
    ],
    "fhir_round_trip.py": [
        '"code": "97909-6"',
        "CarePlan: active",
        "round trip: answers and score",
    ],
    "dask_scoring.py": [
        "2 partitions, rows 1 to 10",
        "P003 baseline",
        "Parquet: 3 partitions, 10 rows written, odi_band category",
    ],
    "fastapi_service.py": [
        "plan: 200 none",
        "odi: 200 36 moderate",
        "odi sent twice: 422 application/problem+json",
        "care plan: 200 active {'reference': 'Patient/1'}",
    ],
    "pandas_scoring.py": ["P003 baseline", "crippled", "rows with an error: 0"],
    "spark_scoring.py": [],  # run by tests/tables/test_spark_recipe.py (a Spark session is slow)
    "research_csv.py": ["10 of 10 rows scored", "P001: 52% -> 14%", "scores with mapped headers"],
    "review_a_change.py": [
        "withheld in 41 minimal ways",
        "less safe: True",
        "'prone_extension' is now given, where it was withheld",
        "[policy-withholds] policy 'prone_lying_painful_nothing_prone'",
        "recommend() refuses it",
        "witness, new protocol gives: ['knee_sways', 'kneeling_extension', 'prone_extension'",
    ],
}
NEEDS = {
    "fastapi_service.py": "fastapi",
    "pandas_scoring.py": "pandas",
    "dask_scoring.py": "dask",
    "spark_scoring.py": "pyspark",
}
RUN_ELSEWHERE = {"spark_scoring.py": "tests/tables/test_spark_recipe.py"}


def test_every_example_has_expectations() -> None:
    assert sorted(p.name for p in EXAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_example_runs_and_prints_its_story(script: Path) -> None:
    if script.name in RUN_ELSEWHERE:
        pytest.skip(f"{script.name} runs in {RUN_ELSEWHERE[script.name]}")
    needed = NEEDS.get(script.name)
    if needed is not None and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{script.name} needs {needed}, which is not installed")
    result = subprocess.run(
        [sys.executable, str(script.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for words in EXPECTED[script.name]:
        assert words in result.stdout


def test_the_spark_example_names_an_extra_that_installs_pyspark_and_ci_does_not() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert any(need.startswith("pyspark") for need in extras["spark"])
    assert "backtriage[frames]" in extras["spark"]  # pyarrow, which the recipe uses too
    for kept_light in ("test", "dev"):  # CI installs these: no Spark download
        assert not any("spark" in need for need in extras[kept_light])
    assert "pip install 'backtriage[spark]'" in (ROOT / "examples" / "spark_scoring.py").read_text(
        encoding="utf-8"
    )
    assert "pip install 'backtriage[spark]'" in (ROOT / "docs" / "research.md").read_text(
        encoding="utf-8"
    )
