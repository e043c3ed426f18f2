"""Score ODI tables column by column: pyarrow, pandas and polars frames, millions of rows a second.

:func:`score_odi_frame` applies the rules of :func:`~backtriage.score_odi` to whole columns at
once with ``pyarrow.compute``. Its results are identical, row by row, to those of
:func:`~backtriage.batch.score_odi_many` on the same rows: every value, every error row and the
text of every error. Cells are read as :func:`~backtriage.batch.read_cell` reads them; the
common cells (integers, integral floats, the texts ``"0"`` to ``"5"``, empty and ``NA``) in
bulk, every other cell (``" 3"``, ``"seven"``, a list of marks) one row at a time through the
same code as ``score_odi_many``.

Needs pyarrow: ``pip install 'backtriage[frames]'``. pandas and polars are used only when a
frame of theirs is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeVar

from backtriage.tables._columns import RESULT_COLUMNS, score_table
from backtriage.tables._rows import UNSTATED_SCALE

__all__ = ["RESULT_COLUMNS", "score_odi_frame"]

Frame = TypeVar("Frame")
"""A ``pyarrow.Table``, a pandas or polars ``DataFrame``, or an Arrow stream object."""

_KINDS: Final = (
    "a pyarrow.Table, a pandas or polars DataFrame, or an object with the Arrow PyCapsule "
    "stream interface (__arrow_c_stream__)"
)


def score_odi_frame(
    data: Frame,
    *,
    columns: Mapping[str, str] | Literal["redcap"] | None = None,
    max_missing: int = 1,
    scale: str = UNSTATED_SCALE,
    start: int = 0,
) -> Frame:
    """Score the ODI of every row of a table; return the table with the result columns added.

    ``data`` is a ``pyarrow.Table``, a pandas or a polars ``DataFrame`` (the same kind comes
    back; a pandas frame keeps its index), or any object with the Arrow PyCapsule stream
    interface (a ``pyarrow.Table`` comes back). ``columns``, ``max_missing`` and ``scale``
    mean what they mean for :func:`~backtriage.batch.score_odi_many`: section columns are found
    by name or through ``columns`` (``"redcap"`` for ``odi_1`` ... ``odi_10``, which needs an
    explicit ``scale``), answers are numbered ``"0-5"`` (default) or ``"1-6"``.

    The result holds the input's columns, then :data:`RESULT_COLUMNS`: ``row`` (the row's
    number, counted from ``start``), ``odi_raw``, ``odi_answered`` and ``odi_percent_rounded``
    (nullable integers), ``odi_percent`` (float), ``odi_band`` (text), ``odi_missing`` (the
    unanswered sections joined by ``;``, empty when none) and ``error`` (the message of the
    row's :class:`~backtriage.batch.RowError`, null when the row scored). A row that cannot be
    scored has nulls for its score and its message in ``error``; no row stops the batch. A
    table whose header lacks a section (or holds one twice) gives that error on every row,
    as ``score_odi_many`` does.

    Cells may be integer columns (null: unanswered), float columns (NaN or null: unanswered;
    an integral value is read as that integer, any other value is a row error), text columns
    (read as ``read_cell`` reads text, ``str.strip`` included), or mixed columns (pandas
    ``object``, read cell by cell).

    Raises :class:`~backtriage.InvalidAnswerError` for a bad ``columns``, ``max_missing``,
    ``scale`` or ``start``, for ``data`` of another kind, or when the table already has a
    column named like a result column; ``ModuleNotFoundError`` when pyarrow is not installed.
    """
    return score_table(
        data, columns=columns, max_missing=max_missing, scale=scale, start=start, kinds=_KINDS
    )
