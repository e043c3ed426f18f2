"""Table scoring: many ODI questionnaires, one per row, scored row by row or column by column.

The feature's machinery, behind its two public modules: :mod:`backtriage.batch` (rows of
Python values, and the table layout every path shares) and :mod:`backtriage.frames` (whole
columns of a pyarrow, pandas or polars frame; an extra). ``_rows`` reads cells and headers and
scores a row; ``_stream`` streams a CSV through the same row path; ``_columns`` is the columnar
scorer and ``_dataframes`` its public entry point. The command's ``score`` verb
(:mod:`backtriage.cli`) calls these and only prints.
"""
