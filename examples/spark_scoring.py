"""Score ODI answers with Spark: ``mapInArrow`` with the columnar scorer, a protocol broadcast.

Needs ``pip install 'backtriage[spark]'`` (pyspark, pyarrow) and Java 17. Run from the repository root:
``python examples/spark_scoring.py``.

The recipe:

1. read every column as text (Spark's CSV reader does so unless told to infer a schema), so
   each cell is read exactly as the CLI reads it;
2. ``mapInArrow`` hands each worker Arrow record batches: score each with
   :func:`backtriage.frames.score_odi_frame` and hand the batches back; the output schema is the
   scorer's result on an empty table;
3. a custom protocol goes to the workers as its JSON text in a broadcast variable (a
   ``Protocol`` object holds compiled rules, which do not pickle) and is read once per worker.

``row`` counts the rows of each batch from 0: keep an identifying column (``participant``,
``visit``) to tell the rows apart.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema

import backtriage as bt
from backtriage.frames import score_odi_frame
from backtriage.serialize import from_json, to_json

HERE = Path(__file__).parent


_PROTOCOLS: dict[str, bt.Protocol] = {}


def protocol_from(text: str) -> bt.Protocol:
    """Read a protocol broadcast as JSON text, once per worker process."""
    if text not in _PROTOCOLS:
        _PROTOCOLS[text] = from_json(text, bt.Protocol)
    return _PROTOCOLS[text]


def score_with_spark(frame: DataFrame, protocol_text: Any = None, **options: Any) -> DataFrame:
    """Return ``frame`` with the ODI result columns (and the protocol used, when one is sent).

    ``protocol_text`` is a broadcast variable holding a protocol's JSON text, or ``None``.
    ``options`` go to :func:`score_odi_frame` (``columns``, ``max_missing``, ``scale``).
    """
    empty = pa.Table.from_batches([], schema=_arrow_schema(frame))
    scored = score_odi_frame(empty, **options)
    if protocol_text is not None:
        scored = scored.append_column("protocol", pa.array([], pa.string()))
    schema = from_arrow_schema(scored.schema)

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        label = None
        if protocol_text is not None:
            protocol = protocol_from(protocol_text.value)
            label = f"{protocol.name} {protocol.version}"
        for batch in batches:
            table = score_odi_frame(pa.Table.from_batches([batch]), **options)
            if label is not None:
                table = table.append_column("protocol", pa.array([label] * len(table)))
            yield from table.to_batches()

    return frame.mapInArrow(score, schema)


def _arrow_schema(frame: DataFrame) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema)


def main() -> None:
    """Score the example CSV on a local Spark, sending the default protocol by broadcast."""
    # The workers run this Python, which has backtriage installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("backtriage")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        frame = spark.read.csv(str(HERE / "odi_scores.csv"), header=True)
        protocol = spark.sparkContext.broadcast(to_json(bt.default_protocol()))
        scored = score_with_spark(frame, protocol).toArrow()
        for row in scored.select(["participant", "visit", "odi_band", "protocol"]).to_pylist():
            print(" ".join(row.values()))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
