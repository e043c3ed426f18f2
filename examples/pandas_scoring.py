"""Score ODI answers held in a pandas DataFrame, one partition at a time, as Dask or Spark do.

Needs pandas (``pip install pandas``; for the Dask part, ``pip install "dask[dataframe]"``).
Run from the repository root: ``python examples/pandas_scoring.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtriage.batch import RowError, score_odi_many

HERE = Path(__file__).parent


def score_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame's id columns with the ODI result of each row.

    The function only sees plain rows, so it runs unchanged as
    ``dask_frame.map_partitions(score_partition)`` or inside a Spark ``mapInPandas``.
    pandas reads an empty cell as NaN and an integer column with gaps as floats; both are
    understood, while a value such as 2.5 or "seven" gives a row error.
    """
    results = list(score_odi_many(frame.to_dict("records")))
    scored = frame[["participant", "visit"]].copy()
    scored["odi_percent"] = [None if isinstance(r, RowError) else float(r.percent) for r in results]
    scored["odi_band"] = [None if isinstance(r, RowError) else r.band.value for r in results]
    scored["error"] = [r.message if isinstance(r, RowError) else None for r in results]
    return scored


def main() -> None:
    """Score the example CSV with pandas, then with Dask when it is installed."""
    frame = pd.read_csv(HERE / "odi_scores.csv")
    print(score_partition(frame).to_string(index=False))
    try:
        import dask.dataframe as dd
    except ImportError:
        print(
            "Dask is not installed; with it: dd.from_pandas(frame).map_partitions(score_partition)"
        )
        return
    partitions = dd.from_pandas(frame, npartitions=2)
    result = partitions.map_partitions(score_partition, meta=score_partition(frame.head(0)))
    print(result.compute().to_string(index=False))


if __name__ == "__main__":
    main()
