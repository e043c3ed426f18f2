"""The Dask recipe of docs/research.md on a two-worker cluster: global rows, no dtype errors."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import backtriage as bt

pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from backtriage.frames import RESULT_COLUMNS, score_odi_frame  # noqa: E402
from script_support import load_script  # noqa: E402

pytestmark = pytest.mark.slow  # a cluster or a Spark session takes seconds to start
SECTIONS = [section.value for section in bt.OdiSection]


def load_recipe() -> ModuleType:
    module = load_script("examples/dask_scoring.py")
    # The workers cannot import the examples folder: send the recipe's functions by value.
    cloudpickle.register_pickle_by_value(module)
    return module


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV whose ODI columns hold numbers for pages, then NA, blanks and bad cells."""
    path = tmp_path_factory.mktemp("dask") / "registry.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["participant", *SECTIONS])
        for i in range(1500):
            cells = [str((i + j) % 6) for j in range(10)]
            if i > 1200:  # what makes Dask's guessed integer dtypes fail at compute time
                cells[i % 10] = ["NA", "", "7", " 3", "seven"][i % 5]
            writer.writerow([f"P{i:05}", *cells])
    return path


def test_the_recipe_scores_every_partition_with_rows_numbered_across_the_file(
    client: Any, registry: Path
) -> None:
    recipe = load_recipe()
    frame = recipe.read_odi_csv(registry, blocksize=12_000)
    assert frame.npartitions >= 3
    scored = recipe.score_partitions(frame).compute()
    assert scored["row"].tolist() == list(range(1, 1501))
    whole = pd.read_csv(registry, dtype=str, keep_default_na=False)
    expected = score_odi_frame(whole, start=1)
    results = list(RESULT_COLUMNS)
    pd.testing.assert_frame_equal(
        scored[results].reset_index(drop=True), expected[results].reset_index(drop=True)
    )
    assert scored["participant"].tolist() == whole["participant"].tolist()
    bad = sum(1 for i in range(1201, 1500) if i % 5 in (2, 4))  # the "7" and "seven" cells
    assert scored["error"].notna().sum() == bad
    assert scored.loc[scored["participant"] == "P01205", "odi_missing"].item() == "standing"


def test_integer_columns_read_by_dask_score_the_same_as_text(client: Any, registry: Path) -> None:
    recipe = load_recipe()
    clean = registry.with_name("clean.csv")
    whole = pd.read_csv(registry, dtype=str, keep_default_na=False).head(1200)
    whole.to_csv(clean, index=False)
    import dask.dataframe as dd

    as_int = dd.read_csv(clean, dtype=dict.fromkeys(SECTIONS, "Int64"), blocksize=8_000)
    as_text = recipe.read_odi_csv(clean, blocksize=8_000)
    by_int = recipe.score_partitions(as_int).compute()
    by_text = recipe.score_partitions(as_text).compute()
    result_columns = ["row", "odi_raw", "odi_percent", "odi_band", "error"]
    pd.testing.assert_frame_equal(
        by_int[result_columns].reset_index(drop=True),
        by_text[result_columns].reset_index(drop=True),
    )


@pytest.fixture(scope="module")
def registry_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five row groups of float answers (NaN where unanswered, a few bad) and a category."""
    import math

    path = tmp_path_factory.mktemp("dask-parquet") / "registry.parquet"
    rows = []
    for i in range(1500):
        cells: list[float] = [float((i + j) % 6) for j in range(10)]
        if i % 7 == 0:
            cells[i % 10] = math.nan
        if i % 101 == 0:
            cells[3] = [7.0, 2.5, -1.0][i % 3]
        rows.append([f"P{i:05}", "north" if i % 2 else "south", *cells])
    frame = pd.DataFrame(rows, columns=["participant", "site", *SECTIONS])
    frame["site"] = frame["site"].astype("category")
    frame.to_parquet(path, row_group_size=300, index=False)
    return path


def test_the_parquet_recipe_reads_a_partition_per_row_group_and_writes_the_band_category(
    client: Any, registry_parquet: Path, tmp_path: Path
) -> None:
    recipe = load_recipe()
    frame = recipe.read_odi_parquet(registry_parquet)
    assert frame.npartitions == 5  # one per row group, not one for the file
    scored = recipe.score_partitions(frame)
    recipe.write_scores(scored, tmp_path / "scored")

    written = pd.read_parquet(tmp_path / "scored").sort_values("row").reset_index(drop=True)
    assert written["row"].tolist() == list(range(1, 1501))
    bands = [band.value for band in bt.DisabilityBand]
    assert isinstance(written["odi_band"].dtype, pd.CategoricalDtype)
    assert list(written["odi_band"].cat.categories) == bands
    assert written["odi_band"].cat.ordered

    whole = pd.read_parquet(registry_parquet)
    expected = score_odi_frame(whole, start=1)
    assert written["participant"].tolist() == whole["participant"].tolist()
    assert written["site"].astype(str).tolist() == whole["site"].astype(str).tolist()
    for column in ("odi_raw", "odi_percent", "odi_missing", "error"):
        pd.testing.assert_series_equal(written[column], expected[column], check_dtype=False)

    def texts(column: Any) -> list[object]:
        return [None if pd.isna(value) else str(value) for value in column]

    assert texts(written["odi_band"]) == texts(expected["odi_band"])
    assert written["error"].notna().sum() == sum(1 for i in range(1500) if i % 101 == 0)
