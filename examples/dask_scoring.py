"""Score a large CSV or Parquet file of ODI answers with Dask, on one machine or a cluster.

Needs ``pip install 'backtriage[frames]' 'dask[dataframe,distributed]'``. Run from the
repository root: ``python examples/dask_scoring.py``.

The CSV recipe, in three steps:

1. read every column as text (``dtype=str``, ``keep_default_na=False``): Dask guesses the
   type of a column from the first rows, and a column of numbers with an ``NA`` further down
   fails at compute time; read as text, each cell is read exactly as the CLI reads it;
2. count the rows of each partition once, so that each partition knows the number of its
   first row and ``row`` is global to the file (counted from 1, as the CLI counts);
3. ``map_partitions`` with :func:`backtriage.frames.score_odi_frame` and a ready ``meta``
   (the scorer applied to the empty frame Dask already holds).

The Parquet recipe: :func:`read_odi_parquet` reads one partition per row group (by default
Dask reads a file of a few row groups as one partition, so one worker scores it all), the same
:func:`score_partitions` scores it, and :func:`write_scores` writes it with ``odi_band`` as a
categorical of the five bands. A column made categorical by ``astype("category")`` has no
categories Dask knows ahead of the data, and writing it to Parquet fails; the bands are known.
Columns are read with the types the file holds: float columns (pandas' integers with gaps) are
read in bulk, as integers are.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd

from backtriage import DisabilityBand
from backtriage.frames import score_odi_frame

HERE = Path(__file__).parent

BANDS = pd.CategoricalDtype([band.value for band in DisabilityBand], ordered=True)
"""The five bands, mildest first: ``odi_band`` as a categorical Dask can write."""


def read_odi_csv(path: str | Path, **read_options: Any) -> dd.DataFrame:
    """Read a CSV with every column as text, as the CLI reads it."""
    return dd.read_csv(path, dtype=str, keep_default_na=False, **read_options)


def read_odi_parquet(path: str | Path, **read_options: Any) -> dd.DataFrame:
    """Read a Parquet file (or a folder of them) with one partition per row group."""
    return dd.read_parquet(path, split_row_groups=True, **read_options)


def write_scores(scored: dd.DataFrame, path: str | Path, **write_options: Any) -> None:
    """Write scored partitions as Parquet, ``odi_band`` as the categorical :data:`BANDS`.

    The index is left out (``row`` numbers the rows).
    """
    banded = scored.assign(odi_band=scored["odi_band"].astype(BANDS))
    banded.to_parquet(path, **{"write_index": False, **write_options})


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
    """Score the example CSV in partitions and print the change of band per visit; then the
    same rows as a Parquet file of row groups, written back with the band as a categorical."""
    import tempfile

    frame = read_odi_csv(HERE / "odi_scores.csv", blocksize=200)
    scored = score_partitions(frame).compute()
    print(f"{frame.npartitions} partitions, rows {scored['row'].min()} to {scored['row'].max()}")
    print(scored[["row", "participant", "visit", "odi_percent", "odi_band"]].to_string(index=False))

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "registry.parquet"
        # As pandas reads it: numbers, NaN where a section is unanswered (float columns).
        pd.read_csv(HERE / "odi_scores.csv").to_parquet(source, row_group_size=4)
        parts = read_odi_parquet(source)
        write_scores(score_partitions(parts), Path(folder) / "scored")
        written = pd.read_parquet(Path(folder) / "scored")
        print(
            f"Parquet: {parts.npartitions} partitions, {len(written)} rows written, "
            f"odi_band {written['odi_band'].dtype}"
        )


if __name__ == "__main__":
    main()
