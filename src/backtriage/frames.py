"""Score ODI tables column by column: pyarrow, pandas and polars frames, millions of rows a second.

The public face of the columnar scorer in :mod:`backtriage.tables`: :func:`score_odi_frame`
gives, row by row, the results of :func:`~backtriage.batch.score_odi_many` on the same rows.
Needs pyarrow: ``pip install 'backtriage[frames]'``.
"""

from backtriage.tables._dataframes import RESULT_COLUMNS, score_odi_frame

__all__ = ["RESULT_COLUMNS", "score_odi_frame"]
