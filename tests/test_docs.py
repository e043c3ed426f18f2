"""Every Python block of the README and of docs/ runs, so that what a reader copies works.

The blocks of one page run in order in one namespace, in a scratch folder (a block may write
files), with the repository's ``examples/`` beside it as ``examples/``; a block written as a
test module of the reader's own suite finds ``__file__`` in that folder's ``tests/``. A block that is only a
part of something on purpose says so on the line above it::

    <!-- fragment: why it cannot run alone -->

and a block that needs an optional package names it::

    <!-- needs: pyspark -->
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!--\s*(fragment|needs):\s*([^>]*?)\s*-->\s*$")


@attrs.frozen
class Block:
    page: Path
    line: int
    code: str
    fragment: str | None
    needs: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        kind, value = (mark.group(1), mark.group(2)) if mark else (None, "")
        found.append(
            Block(
                page=page,
                line=text.count("\n", 0, match.start()) + 1,
                code=match.group(1),
                fragment=value if kind == "fragment" else None,
                needs=tuple(value.split()) if kind == "needs" else (),
            )
        )
    return found


def test_the_docs_have_python_blocks_to_run() -> None:
    blocks = [block for page in PAGES for block in blocks_of(page)]
    assert len(blocks) >= 20
    assert sum(block.fragment is None for block in blocks) >= len(blocks) // 2


RUNNABLE = [page for page in PAGES if any(b.fragment is None for b in blocks_of(page))]


def test_the_readme_is_among_the_pages_whose_blocks_run() -> None:
    assert ROOT / "README.md" in RUNNABLE


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: p.name)
def test_every_python_block_of_the_page_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runnable = [block for block in blocks_of(page) if block.fragment is None]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {
        "__name__": "__docs__",
        "__file__": str(tmp_path / "tests" / "test_from_the_docs.py"),
    }
    for block in runnable:
        missing = [name for name in block.needs if importlib.util.find_spec(name) is None]
        if missing:
            continue  # an optional package this machine does not have
        try:
            exec(compile(block.code, block.where, "exec"), namespace)
        except Exception as error:
            pytest.fail(f"{block.where}: {type(error).__name__}: {error}")
