"""Every test reads its data from the repository, so that no check is skipped in CI."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_reads_a_file_outside_the_repository() -> None:
    # A path that climbs out of the checkout (a parent folder, a sibling folder of data)
    # finds nothing in CI: such a test could only skip there.
    outward = re.compile(r"[\"'/]\.\.[\"'/]|[\"']shared[\"'/]")
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if outward.search(line)
    ]
    assert offenders == []


def test_the_fixtures_the_tests_name_are_in_the_repository() -> None:
    assert sorted(p.name for p in (TESTS / "fixtures" / "fhir").glob("*.json")) == [
        "access_ig_odi_qr_ordinalValue_74423b_redacted.json",
        "access_ig_odi_qr_valueDecimal_f63227.json",
    ]
    assert (TESTS / "fixtures" / "seed" / "lower-back-exercises.txt").is_file()
