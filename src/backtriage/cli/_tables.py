"""What the ``score`` verb's two table paths share: progress, the header, the failures line.

The CSV path (:mod:`backtriage.cli._score`) and the Parquet/Arrow path
(:mod:`backtriage.cli._score_columnar`) both import these; neither imports the other.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Final

from backtriage.cli._output import PROG, CommandError
from backtriage.tables import RESULT_COLUMNS

if TYPE_CHECKING:
    from backtriage.tables import TableLayout

__all__ = ["LARGE_INPUT", "Progress", "layout_of", "report_failures"]

LARGE_INPUT: Final = 16 * 1024 * 1024  # bytes; above this a progress line is worth showing


class Progress:
    """Progress lines on standard error, at most one a second."""

    def __init__(self, enabled: bool, stream: IO[str] | None, size: int, total: int = 0) -> None:
        import time

        self.total = total  # rows to score, when known (a Parquet file says): shares by rows
        self.enabled = enabled
        self.stream = stream
        self.size = size
        self.clock = time.monotonic
        self.started = self.last = self.clock()
        self.end = "\r" if sys.stderr.isatty() else "\n"

    def update(self, rows: int) -> None:
        now = self.clock()
        if not self.enabled or now - self.last < 1.0:
            return
        self.last = now
        share = ""
        if self.total:
            share = f" ({100 * rows // self.total}%)"
        elif self.size:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                share = f" ({100 * self.stream.buffer.tell() // self.size}%)"  # type: ignore[union-attr]
        print(f"{PROG}: scored {rows:,} rows{share}", end=self.end, file=sys.stderr, flush=True)

    def finish(self, rows: int) -> None:
        if self.enabled:
            seconds = self.clock() - self.started
            print(f"{PROG}: scored {rows:,} rows in {seconds:.1f} s", file=sys.stderr)


def report_failures(count: int, rows: int, row: int, text: str) -> int:
    """Say how many rows failed and why the first did; return the exit status 1."""
    where = f"row {row}"
    # Width and span errors already start with their row; others name only the column.
    message = text if text.startswith(where + " ") else f"{where}: {text}"
    print(f"{PROG}: {count:,} of {rows:,} rows failed; first: {message}", file=sys.stderr)
    return 1


def layout_of(
    name: str, header: Sequence[str], columns: dict[str, str], keep: str | None
) -> tuple[TableLayout, tuple[int, ...]]:
    """Return where the sections are and the positions of the columns to copy out."""
    from backtriage.errors import InvalidAnswerError
    from backtriage.tables import TableLayout

    try:
        layout = TableLayout.from_header(header, columns)
    except InvalidAnswerError as exc:
        raise CommandError(f"{name}: bad header: expected {exc.allowed}") from None
    if keep is None:
        used = set(layout.indices)
        positions = tuple(i for i in range(len(header)) if i not in used)
    else:
        wanted = [column.strip() for column in keep.split(",") if column.strip()]
        unknown = [column for column in wanted if column not in header]
        if unknown:
            raise CommandError(
                f"--keep: no column {unknown[0]!r} in {name}; columns: {', '.join(header)}"
            )
        positions = tuple(header.index(column) for column in wanted)
    copied = [header[i] for i in positions]
    repeated = sorted({column for column in copied if copied.count(column) > 1})
    if repeated:
        # Each copied column is a key of a JSON Lines record and a CSV header: names must differ.
        raise CommandError(
            f"{name}: bad header: column {repeated[0]!r} appears more than once among the "
            "columns to copy; rename one, or choose the columns with --keep"
        )
    clashes = [header[i] for i in positions if header[i] in ("row", "odi", *RESULT_COLUMNS)]
    if clashes:
        raise CommandError(
            f"{name}: column {clashes[0]!r} has the name of an output column; "
            "choose the columns to copy with --keep"
        )
    return layout, positions
