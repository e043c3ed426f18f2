"""Checks that can fail: test data in the repository, a mutation config on real modules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def test_no_test_reads_a_file_outside_the_repository() -> None:
    # A path that climbs out of the checkout (a parent folder, a sibling folder of data)
    # finds nothing in CI: such a test could only skip there.
    outward = re.compile(r"[\"'/]\.\.[\"'/]|[\"']shared[\"'/]")
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        # Paths built from the test file's own place, or naming the sibling folder outright.
        if outward.search(line) and ("__file__" in line or "FIXTURES" in line or "shared" in line)
    ]
    assert offenders == []


def test_the_fixtures_the_tests_name_are_in_the_repository() -> None:
    assert sorted(p.name for p in (TESTS / "fixtures" / "fhir").glob("*.json")) == [
        "access_ig_odi_qr_ordinalValue_74423b_redacted.json",
        "access_ig_odi_qr_valueDecimal_f63227.json",
    ]
    assert (TESTS / "fixtures" / "seed" / "lower-back-exercises.txt").is_file()


def test_the_mutation_config_names_modules_that_exist() -> None:
    # A config naming a module that was moved mutates nothing and reports nothing.
    with (ROOT / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)["tool"]["mutmut"]
    named = config["only_mutate"]
    assert [path for path in named if not (ROOT / path).is_file()] == []
    assert "src/backtriage/protocol/_reasoner.py" in named
