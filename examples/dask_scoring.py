"""Score a large CSV of ODI answers with Dask, on one machine or a cluster.

Needs ``pip install 'backtriage[frames]' 'dask[dataframe,distributed]'``. Run from the
repository root: ``python examples/dask_scoring.py``.

The recipe, in three steps:

1. read every column as text (``dtype=str``, ``keep_default_na=False``): Dask guesses the
   type of a column from the first rows, and a column of numbers with an ``NA`` further down
   fails at compute time; read as text, each cell is read exactly as the CLI reads it;
2. count the rows of each partition once, so that each partition knows the number of its
   first row and ``row`` is global to the file (counted from 1, as the CLI counts);
3. ``map_partitions`` with :func:`backtriage.frames.score_odi_frame` and a ready ``meta``
   (the scorer applied to the empty frame Dask already holds).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import dask.dataframe as dd

from backtriage.frames import score_odi_frame

HERE = Path(__file__).parent


def read_odi_csv(path: str | Path, **read_options: Any) -> dd.DataFrame:
    """Read a CSV with every column as text, as the CLI reads it."""
    return dd.read_csv(path, dtype=str, keep_default_na=False, **read_options)


def score_partitions(frame: dd.DataFrame, **options: Any) -> dd.DataFrame:
    """Return ``frame`` with the ODI result columns, rows numbered from 1 across partitions.

    ``options`` go to :func:`score_odi_frame` (``columns``, ``max_missing``, ``scale``).
    """
    lengths = frame.map_partitions(len).compute()
    starts = list(itertools.accumulate(lengths, initial=1))[:-1]
    meta = score_odi_frame(frame._meta, **options)

    def score(part: Any, partition_info: dict[str, Any] | None = None) -> Any:
        number = partition_info["number"] if partition_info else 0
        return score_odi_frame(part, start=starts[number], **options)

    return frame.map_partitions(score, meta=meta)


def main() -> None:
    """Score the example CSV in three partitions and print the change of band per visit."""
    frame = read_odi_csv(HERE / "odi_scores.csv", blocksize=200)
    scored = score_partitions(frame).compute()
    print(f"{frame.npartitions} partitions, rows {scored['row'].min()} to {scored['row'].max()}")
    print(scored[["row", "participant", "visit", "odi_percent", "odi_band"]].to_string(index=False))


if __name__ == "__main__":
    main()
