"""Table scoring: many ODI questionnaires, one per row, scored row by row or column by column.

The feature's machinery, behind its two public modules: :mod:`backtriage.batch` (rows of
Python values, and the table layout every path shares) and :mod:`backtriage.frames` (whole
columns of a pyarrow, pandas or polars frame; an extra). ``_rows`` reads cells and headers and
scores a row; ``_stream`` streams a CSV through the same row path; ``_columns`` is the columnar
scorer and ``_dataframes`` its public entry point. The command's ``score`` verb
(:mod:`backtriage.cli`) calls these and only prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backtriage._lazy import lazy_getattr

if TYPE_CHECKING:
    from backtriage.tables._columns import RESULT_COLUMNS as COLUMNAR_RESULT_COLUMNS
    from backtriage.tables._columns import as_numpy, read_array, score_columns
    from backtriage.tables._rows import TableLayout, check_scale
    from backtriage.tables._stream import RESULT_COLUMNS, no_field_limit, stream_scores

__all__ = [
    "COLUMNAR_RESULT_COLUMNS",
    "RESULT_COLUMNS",
    "TableLayout",
    "as_numpy",
    "check_scale",
    "no_field_limit",
    "read_array",
    "score_columns",
    "stream_scores",
]

# What the command's score verb calls, each imported with its module on first use: the
# columnar scorer needs numpy, and the stream the CSV reader.
__getattr__ = lazy_getattr(
    __name__,
    {
        "COLUMNAR_RESULT_COLUMNS": f"{__name__}._columns:RESULT_COLUMNS",
        "RESULT_COLUMNS": f"{__name__}._stream",
        "TableLayout": f"{__name__}._rows",
        "as_numpy": f"{__name__}._columns",
        "check_scale": f"{__name__}._rows",
        "no_field_limit": f"{__name__}._stream",
        "read_array": f"{__name__}._columns",
        "score_columns": f"{__name__}._columns",
        "stream_scores": f"{__name__}._stream",
    },
)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
