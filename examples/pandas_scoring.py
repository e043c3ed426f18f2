"""Score ODI answers held in a pandas or polars DataFrame, a whole column at a time.

Needs ``pip install 'backtriage[frames]' pandas`` (polars is used when installed). Run from
the repository root: ``python examples/pandas_scoring.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtriage.frames import score_odi_frame

HERE = Path(__file__).parent


def main() -> None:
    """Score the example CSV with pandas, then with polars when it is installed."""
    # Every column as text: each cell is then read exactly as the CLI reads it ("NA", blanks).
    frame = pd.read_csv(HERE / "odi_scores.csv", dtype=str, keep_default_na=False)
    scored = score_odi_frame(frame, start=1)  # one vectorised pass; rows numbered from 1
    columns = ["participant", "visit", "odi_percent_rounded", "odi_band", "odi_missing", "error"]
    print(scored[columns].to_string(index=False))
    print("rows with an error:", int(scored["error"].notna().sum()))
    try:
        import polars as pl
    except ImportError:
        print("polars is not installed; with it: score_odi_frame(pl.read_csv(path))")
        return
    table = pl.read_csv(HERE / "odi_scores.csv", infer_schema=False)  # every column as text
    by_polars = score_odi_frame(table, start=1)
    same = by_polars["odi_percent"].to_list() == scored["odi_percent"].tolist()
    print("polars gives the same scores:", same)


if __name__ == "__main__":
    main()
