"""Score many ODI questionnaires: rows of a wide table in, one result per row out.

The public face of the table scorer, which lives in :mod:`backtriage.tables` with the streaming
CSV scorer and the columnar scorer (:mod:`backtriage.frames`). Research data hold one
questionnaire per row and one column per section; :func:`score_odi_many` reads such rows (column
names matched to sections, cells read by :func:`read_cell`) and gives one result per row, a
:class:`RowError` for a bad row, without stopping at it.
"""

from backtriage.tables._rows import (
    ALIASES,
    REDCAP_COLUMNS,
    OdiScale,
    RowError,
    TableLayout,
    read_cell,
    score_odi_many,
    section_for,
)

__all__ = [
    "ALIASES",
    "REDCAP_COLUMNS",
    "OdiScale",
    "RowError",
    "TableLayout",
    "read_cell",
    "score_odi_many",
    "section_for",
]
