"""The review sheet of the default protocol, opened in a real browser (headless Chromium).

Chromium is Debian's ``chromium`` package; ``.ci/run`` installs it. Without it this test skips,
except under ``CI=true``, where a missing browser is a failure: CI must open the sheet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import attrs
import pytest

import backtriage as bt
from backtriage.review import review_sheet, when_withheld

from .sheet_text import Page
from .test_sheet import fragments

pytestmark = pytest.mark.slow  # about ten seconds: left out of the quick local run

MAX_PAGES = 20
"""The most pages the shipped protocol's sheet may print on, so that a reviewer reads it all."""
URGENCIES = tuple(f"urgency-{u.value}" for u in bt.Urgency if u is not bt.Urgency.NONE)

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1200,1600",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing; CI must open the review sheet in a browser")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def sheet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sheet") / "review.html"
    path.write_text(review_sheet(bt.default_protocol()), encoding="utf-8")
    return path


def browse(chromium: str, profile: Path, *action: str, page: Path) -> str:
    """Run Chromium once on ``page`` and return what it printed on standard output."""
    done = subprocess.run(
        [chromium, *_FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_browser_shows_every_exercise_red_flag_and_trigger_a_reviewer_needs(
    chromium: str, sheet_file: Path, tmp_path: Path
) -> None:
    protocol = bt.default_protocol()
    page = Page(browse(chromium, tmp_path / "profile", "--dump-dom", page=sheet_file))
    for exercise in protocol.exercises:
        assert exercise.title in page.text, exercise.id
    for question in bt.questions(protocol):
        if question.kind is bt.QuestionKind.RED_FLAG:
            assert question.text in page.part("questions"), question.key
    # Under the exercise, once for every exercise, or (stopping every exercise) under the
    # urgency it reaches, where the rules that refer are named.
    seen = page.items_in("exercise-prone_extension", "withheld-for-everyone", *URGENCIES)
    triggers = when_withheld(protocol, "prone_extension")
    assert triggers
    for trigger in triggers:
        plain = attrs.evolve(trigger, rules=tuple(r for r in trigger.rules if "." not in r))
        wanted = fragments(protocol, plain)
        assert any(all(w in item for w in wanted) for item in seen), trigger


def test_the_browser_saves_a_screenshot_and_prints_a_pdf(
    chromium: str, sheet_file: Path, tmp_path: Path
) -> None:
    shot, pdf = tmp_path / "review.png", tmp_path / "review.pdf"
    browse(chromium, tmp_path / "profile", f"--screenshot={shot}", page=sheet_file)
    browse(
        chromium,
        tmp_path / "profile",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        page=sheet_file,
    )
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # The whole sheet on A4 pages, not one cut-off screen, and short enough to be read.
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert 4 <= pages <= MAX_PAGES
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.\d* 841\.\d*", data)  # A4 in points


def test_the_shipped_protocols_sheet_prints_in_at_most_twenty_pages_by_default(
    chromium: str, sheet_file: Path, tmp_path: Path
) -> None:
    # The browser's default print to PDF: its own header and footer, nothing set but A4.
    pdf = tmp_path / "default.pdf"
    browse(chromium, tmp_path / "profile", f"--print-to-pdf={pdf}", page=sheet_file)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
    assert pages <= MAX_PAGES, pages
