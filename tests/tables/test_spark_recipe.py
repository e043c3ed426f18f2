"""The Spark recipe of docs/research.md, run where pyspark and Java are installed (not in CI)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import backtriage as bt

pa = pytest.importorskip("pyarrow")
pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

from backtriage.frames import RESULT_COLUMNS, score_odi_frame  # noqa: E402
from backtriage.serialize import to_json  # noqa: E402
from script_support import load_script  # noqa: E402

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow  # a cluster or a Spark session takes seconds to start


def load_recipe() -> ModuleType:
    module = load_script("examples/spark_scoring.py")
    from pyspark import cloudpickle  # Spark's own copy pickles the tasks

    cloudpickle.register_pickle_by_value(module)
    return module


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


# pyspark's Arrow helpers warn that pandas 3 is newer than they know; nothing here uses pandas.
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_map_in_arrow_scores_as_the_columnar_scorer_with_a_broadcast_protocol(
    spark: Any,
) -> None:
    recipe = load_recipe()
    frame = spark.read.csv(str(ROOT / "examples" / "odi_scores.csv"), header=True)
    protocol = spark.sparkContext.broadcast(to_json(bt.default_protocol()))
    scored = recipe.score_with_spark(frame, protocol).toArrow()
    expected = score_odi_frame(frame.toArrow())
    for name in RESULT_COLUMNS[1:]:
        assert scored.column(name).to_pylist() == expected.column(name).to_pylist()
    version = bt.default_protocol().version
    assert set(scored.column("protocol").to_pylist()) == {f"backtriage-default {version}"}
