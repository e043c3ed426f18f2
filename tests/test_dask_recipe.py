"""The Dask recipe of docs/research.md on a two-worker cluster: global rows, no dtype errors."""

from __future__ import annotations

import csv
import importlib.util
import sys
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

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.slow  # a cluster or a Spark session takes seconds to start
SECTIONS = [section.value for section in bt.OdiSection]


def load_recipe() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dask_scoring", ROOT / "examples" / "dask_scoring.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
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
