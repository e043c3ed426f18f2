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

import pytest

import backtriage as bt
from backtriage.review import review_sheet, when_withheld

from .sheet_text import Page
from .test_sheet import fragments

pytestmark = pytest.mark.slow  # about ten seconds: left out of the quick local run

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
    seen = page.items_in("exercise-prone_extension", "withheld-for-everyone")
    triggers = when_withheld(protocol, "prone_extension")
    assert triggers
    for trigger in triggers:
        wanted = fragments(protocol, trigger)
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
    # The whole sheet on A4 pages, not one cut-off screen.
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) >= 4
