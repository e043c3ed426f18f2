"""The streaming table scorer: CSV rows in, one result record per row out, memory flat.

It sits beside :class:`~backtriage.batch.TableLayout`, whose row path it shares with
:func:`~backtriage.batch.score_odi_many` (a row that is not ten plain codes goes through
``TableLayout.score``); the command line gives it a reader, a writer and a progress callback.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from _csv import Reader as _CsvReader
    from _csv import Writer as _CsvWriter

    from backtriage.instruments.odi import OdiScore
    from backtriage.tables._rows import RowError, TableLayout

__all__ = ["RESULT_COLUMNS", "no_field_limit", "span_error", "stream_scores"]

RESULT_COLUMNS: Final = (
    "odi_raw",
    "odi_answered",
    "odi_percent",
    "odi_percent_rounded",
    "odi_band",
    "odi_missing",
    "error",
)
"""The result columns of a scored table, after the row number and the copied columns."""
_BATCH: Final = 8192  # rows written at once
_CACHE_LIMIT: Final = 4096


@contextmanager
def no_field_limit() -> Iterator[None]:
    """Lift the csv module's limit on the size of a field while the input is read.

    The default limit (128 KB) would stop the whole run at one huge cell; without it such a
    cell is read and, being no answer, fails its own row only. The limit is global to the
    process, so it is put back afterwards.
    """
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(sys.maxsize)
    except OverflowError:  # pragma: no cover - where a C long is 32 bits (Windows)
        csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def span_error(number: int, first: int, last: int) -> RowError:
    from backtriage.tables._rows import RowError

    return RowError(
        number,
        "row",
        (first, last),
        f"row {number} spans lines {first} to {last} of the input: an unclosed quote? "
        "A quote opened in a cell joins the following lines into one row; close or remove it",
    )


def stream_scores(
    reader: _CsvReader,
    layout: TableLayout,
    keep: tuple[int, ...],
    copied: list[str],
    out: IO[str],
    output_format: str,
    max_missing: int,
    progress: Callable[[int], None],
    scale: str = "0-5",
) -> tuple[int, tuple[int, RowError] | None]:
    """Score every row, writing results in batches; return ``(rows, (failed, first) | None)``.

    Each result becomes a record ``(row number, *copied cells, *result cells)``; the format
    decides the result cells and how a batch of records is written.
    """
    import operator

    from backtriage.instruments.odi import OdiScore, score_odi

    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", *copied, *RESULT_COLUMNS])
        score_cells, error_cells, flush = _csv_format(writer)
    else:
        score_cells, error_cells, flush = _jsonl_format(out, copied)

    get_answers = operator.itemgetter(*layout.indices)
    first_code = 1 if scale == "1-6" else 0
    code = {str(c + first_code): c for c in range(6)}.get
    width = layout.width
    get_kept: Callable[[Sequence[str]], tuple[str, ...]]
    if len(keep) > 1:
        get_kept = operator.itemgetter(*keep)
    elif keep:
        only = keep[0]
        get_kept = lambda row: (row[only],)  # noqa: E731
    else:
        get_kept = lambda row: ()  # noqa: E731
    # score_odi returns one shared instance per raw sum for complete answers, so the cells of
    # those few instances are cached by identity; the entry keeps its instance alive, so an id
    # is never reused while it is a key, and "is" guards the lookup all the same.
    cache: dict[int, tuple[OdiScore, tuple[str, ...]]] = {}
    pending: list[tuple[object, ...]] = []
    rows = failed = 0
    first: RowError | None = None
    line = reader.line_num  # the last line of the header
    for row in reader:
        first_line, line = line + 1, reader.line_num
        if not row:
            continue  # a blank line, skipped as csv.DictReader and pandas do
        rows += 1
        result: OdiScore | RowError
        if line > first_line:
            # A stray quote swallows the lines after it into this record: those rows would
            # vanish from the output, so the whole record is an error naming its lines.
            kept_cells = tuple(row[i] if i < len(row) else "" for i in keep)
            result = span_error(rows, first_line, line)
        elif len(row) == width:
            kept_cells = get_kept(row)
            # The fast path: ten cells "0" to "5" go straight to score_odi's fast path.
            answers = tuple(map(code, get_answers(row)))
            if None in answers:
                result = layout.score(row, rows, max_missing=max_missing, scale=scale)
            else:
                result = score_odi(answers, max_missing=max_missing)
        else:
            kept_cells = tuple(row[i] if i < len(row) else "" for i in keep)
            result = layout.score(row, rows, max_missing=max_missing, scale=scale)
        if type(result) is OdiScore:
            entry = cache.get(id(result))
            if entry is not None and entry[0] is result:
                cells = entry[1]
            else:
                cells = score_cells(result)
                if not result.missing and len(cache) < _CACHE_LIMIT:
                    cache[id(result)] = (result, cells)
        else:
            error = cast("RowError", result)
            failed += 1
            first = first or error
            cells = error_cells(error)
        pending.append((rows, *kept_cells, *cells))
        if len(pending) >= _BATCH:
            flush(pending)
            pending.clear()
            progress(rows)
    flush(pending)
    return rows, (failed, first) if first is not None else None


_Format = tuple[
    Callable[["OdiScore"], tuple[str, ...]],
    Callable[["RowError"], tuple[str, ...]],
    Callable[[list[tuple[object, ...]]], None],
]


def _csv_format(writer: _CsvWriter) -> _Format:
    def score_cells(score: OdiScore) -> tuple[str, ...]:
        return (
            str(score.raw),
            str(score.answered),
            repr(score.percent),
            str(score.percent_rounded),
            score.band.value,
            ";".join(section.value for section in score.missing),
            "",
        )

    def error_cells(error: RowError) -> tuple[str, ...]:
        return ("", "", "", "", "", "", error.message)

    return score_cells, error_cells, writer.writerows


def _jsonl_format(out: IO[str], copied: Sequence[str]) -> _Format:
    import json

    from backtriage._convert import converter

    keys = [json.dumps(name, ensure_ascii=False) + ": " for name in copied]

    def score_cells(score: OdiScore) -> tuple[str, ...]:
        return (f'"odi": {json.dumps(converter.unstructure(score))}, "error": null',)

    def error_cells(error: RowError) -> tuple[str, ...]:
        # A cell (str), a row's width (int) or the unanswered sections (a tuple of str).
        value = list(error.value) if isinstance(error.value, tuple) else error.value
        detail = {"field": error.field, "value": value, "message": error.message}
        return (f'"odi": null, "error": {json.dumps(detail, ensure_ascii=False)}',)

    def line(record: tuple[object, ...]) -> str:
        # record: (row number, *copied cells, result cells)
        columns = "".join(
            key + json.dumps(value, ensure_ascii=False) + ", "
            for key, value in zip(keys, record[1:-1], strict=True)
        )
        return f'{{"row": {record[0]}, {columns}{record[-1]}}}\n'

    def flush(records: list[tuple[object, ...]]) -> None:
        out.write("".join(map(line, records)))

    return score_cells, error_cells, flush
