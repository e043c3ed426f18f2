"""Columnar scoring (backtriage.frames), Parquet through the CLI, Dask, Spark."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

from harness import (
    ODI_KEYS,
    ROOT,
    Batch,
    Report,
    Settings,
    Stat,
    child_env,
    fmt_ratio,
    fmt_stat,
    fmt_time,
    interleave,
    paired_ratio,
    spawn,
)

from sections.cli_score import odi_csv


def frame_table(rows: int, *, text: bool = False) -> Any:
    """Return a pyarrow table of ten ODI columns: 2 % nulls, 0.5 % cells out of range (7)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(11)
    columns = {}
    for key in ODI_KEYS:
        values = rng.integers(0, 6, rows)
        values[rng.random(rows) < 0.005] = 7
        array = pa.array(values, mask=rng.random(rows) < 0.02)
        columns[key] = array.cast(pa.string()) if text else array
    return pa.table(columns)


def float_frame(table: Any) -> Any:
    """Return ``table`` with float64 columns, nulls kept: an integer column with gaps as
    pandas, polars and most Parquet writers of pandas hold it."""
    import pyarrow as pa

    return pa.table({name: table.column(name).cast(pa.float64()) for name in table.column_names})


def bare_frame_reference(table: Any) -> Any:
    """The bare vectorised ODI: sum and divide over the ten columns, nulls skipped, no checks."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = count = None
    for key in ODI_KEYS:
        column = table.column(key)
        answered = pc.cast(pc.is_valid(column), pa.int64())
        filled = pc.fill_null(column, 0)
        total = filled if total is None else pc.add(total, filled)
        count = answered if count is None else pc.add(count, answered)
    return pc.divide(pc.multiply(pc.cast(total, pa.float64()), 20.0), count)


_DASK_SCORER = """\
import sys, itertools
import dask.dataframe as dd
from dask.distributed import Client, LocalCluster
from backtriage.frames import score_odi_frame
source, workers = sys.argv[1], int(sys.argv[2])
if workers:
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    frame = dd.read_csv(source, dtype=str, keep_default_na=False, blocksize=8_000_000)
    lengths = frame.map_partitions(len).compute()
    starts = list(itertools.accumulate(lengths, initial=1))[:-1]
    meta = score_odi_frame(frame._meta)
    def score(part, partition_info=None):
        return score_odi_frame(part, start=starts[partition_info["number"]])
    scored = frame.map_partitions(score, meta=meta)
    failed = int(scored["error"].count().compute())
    rows = int(scored["row"].max().compute())
    client.close(); cluster.close()
else:
    import pandas as pd
    scored = score_odi_frame(pd.read_csv(source, dtype=str, keep_default_na=False), start=1)
    failed, rows = int(scored["error"].count()), int(scored["row"].max())
print(rows, failed)
"""

_SPARK_SCORER = """\
import sys
from pyspark.sql import SparkSession
from backtriage.frames import score_odi_frame
import pyarrow as pa
source = sys.argv[1]
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
frame = spark.read.parquet(source)
scored_schema = spark.createDataFrame(
    score_odi_frame(spark.read.parquet(source).limit(0).toArrow())).schema
def score(batches):
    for batch in batches:
        yield from score_odi_frame(pa.Table.from_batches([batch])).to_batches()
result = frame.mapInArrow(score, scored_schema)
print(result.count(), result.filter("error is not null").count())
spark.stop()
"""


def section_frames(report: Report, settings: Settings) -> None:
    try:
        import numpy  # noqa: F401
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from backtriage.batch import RowError, score_odi_many
        from backtriage.frames import score_odi_frame
    except ImportError as exc:
        report.say("## Columnar scoring", "", f"**not available**: {exc}", "")
        for goal, target in _FRAME_GOALS:
            report.goal("frames", goal, target, "not available", None)
        return
    rows = 20_000 if settings.quick else 1_000_000
    table = frame_table(rows)
    text = frame_table(rows, text=True)
    floats = float_frame(table)
    pandas_ints = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    pandas_floats = floats.to_pandas()  # float64, NaN where empty: pandas' default
    report.say(
        "## Columnar scoring",
        "",
        f"`backtriage.frames.score_odi_frame` on an in-memory pyarrow table of {rows:,} rows, "
        "ten int64 columns (2 % nulls, 0.5 % of cells out of range: every check, messages "
        "included), against the bare vectorised reference in the same rounds: sum and divide "
        "over the same columns, nulls skipped, nothing checked (`bare_frame_reference`). The "
        "same table with text columns, with float64 columns (nulls kept), and as pandas frames "
        "(nullable `Int64`, and `float64` with NaN, what `read_csv` gives a column with gaps) "
        "is reported beside them.",
        "",
    )
    cases: dict[str, tuple[Batch, int]] = {
        "frame": (lambda n: [score_odi_frame(table) for _ in range(n)], rows),
        "bare": (lambda n: [bare_frame_reference(table) for _ in range(n)], rows),
        "text": (lambda n: [score_odi_frame(text) for _ in range(n)], rows),
        "float": (lambda n: [score_odi_frame(floats) for _ in range(n)], rows),
        "pandas_int": (lambda n: [score_odi_frame(pandas_ints) for _ in range(n)], rows),
        "pandas_float": (lambda n: [score_odi_frame(pandas_floats) for _ in range(n)], rows),
    }
    quick = Settings(**{**settings.__dict__, "rounds": min(settings.rounds, 11)})
    samples = interleave(cases, quick)
    stats = {name: Stat.of(values) for name, values in samples.items()}
    ratio = paired_ratio(samples["frame"], samples["bare"])
    float_ratio = paired_ratio(samples["float"], samples["frame"])
    pandas_ratio = paired_ratio(samples["pandas_float"], samples["pandas_int"])
    per_second = 1 / stats["frame"].median
    report.table(
        ["case", "per row (median)", "IQR", "min – max", "rows/s"],
        [
            [label, *fmt_stat(stats[name]), f"{1 / stats[name].median:,.0f}"]
            for name, label in (
                ("frame", "score_odi_frame, int columns"),
                ("bare", "bare reference, int columns"),
                ("text", "score_odi_frame, text columns"),
                ("float", "score_odi_frame, float columns"),
                ("pandas_int", "score_odi_frame, pandas Int64 columns"),
                ("pandas_float", "score_odi_frame, pandas float64 columns with NaN"),
            )
        ],
    )
    floats_within = report.goal(
        "frames",
        "columnar float columns vs int columns",
        "≤ 3×",
        f"{fmt_ratio(float_ratio)} (pandas float64 with NaN vs Int64: {fmt_ratio(pandas_ratio)})",
        float_ratio.median <= 3 and pandas_ratio.median <= 3,
    )
    report.say(
        f"Float columns take **{fmt_ratio(float_ratio)}** the time of the same integers "
        f"(pyarrow), pandas float64 with NaN **{fmt_ratio(pandas_ratio)}** that of pandas "
        f"Int64 (goal ≤ 3×: **{floats_within}**).",
        "",
    )
    speed = report.goal(
        "frames",
        "columnar scorer throughput, 1M int rows",
        "≥ 10,000,000 rows/s",
        f"{per_second:,.0f} rows/s",
        per_second >= 10_000_000,
    )
    within = report.goal(
        "frames",
        "columnar scorer vs bare vectorised reference",
        "≤ 3×",
        fmt_ratio(ratio),
        ratio.median <= 3,
    )
    report.say(
        f"Throughput **{per_second:,.0f} rows/s** (goal ≥ 10 M: **{speed}**), "
        f"**{fmt_ratio(ratio)}** the bare reference's time (goal ≤ 3×: **{within}**); text "
        f"columns **{1 / stats['text'].median:,.0f} rows/s**.",
        "",
    )

    # The same rows through score_odi_many: identical results, and its own speed.
    records = table.select(list(ODI_KEYS)).to_pylist()
    started = time.process_time()
    expected = list(score_odi_many(records))
    many_seconds = time.process_time() - started
    scored = score_odi_frame(table)
    got = zip(
        *(scored.column(name).to_pylist() for name in ("odi_raw", "odi_percent", "error")),
        strict=True,
    )
    same = all(
        (None, None, result.message) == cells
        if isinstance(result, RowError)
        else (result.raw, result.percent, None) == cells
        for result, cells in zip(expected, got, strict=True)
    )
    identical = report.goal(
        "frames",
        "columnar results identical to score_odi_many",
        f"all {rows:,} rows",
        "identical" if same else "DIFFERENT",
        same,
    )
    report.say(
        f"`score_odi_many` over the same {rows:,} rows as dicts: "
        f"{rows / many_seconds:,.0f} rows/s (CPU); results identical row by row, error "
        f"messages included: **{identical}**.",
        "",
    )

    section_many_unchanged(report, settings, records)

    # Parquet -> Parquet through the CLI, a whole process.
    env = child_env(settings)
    source = settings.data_dir / f"odi_{rows}_v1.parquet"
    if not source.exists():
        pq.write_table(table, source)
    float_source = settings.data_dir / f"odi_{rows}_float_v1.parquet"
    if not float_source.exists():
        pq.write_table(floats, float_source)
    target = settings.data_dir / "out" / "scored.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "backtriage", "score", str(source), "-o", str(target)]
    float_command = [*command[:4], str(float_source), *command[5:]]
    spawn(command, env)  # compile and cache the bytecode first
    children, float_children = [], []
    for _ in range(settings.cli_rounds):  # alternated, so that both see the same machine
        children.append(spawn(command, env))
        float_children.append(spawn(float_command, env))
    failed_runs = [c for c in children + float_children if c.status not in (0, 1)]
    if failed_runs:
        report.say(f"**CLI failed**: {failed_runs[0].stderr.strip()[-500:]}", "")
        report.goal(
            "frames", "CLI Parquet → Parquet throughput", "≥ 1,000,000 rows/s", "failed", False
        )
        report.goal("frames", "CLI Parquet → Parquet peak memory", "< 400 MB", "failed", False)
        report.goal("frames", "CLI float Parquet vs int Parquet", "≤ 2×", "failed", False)
    else:
        cpu = statistics.median(c.cpu for c in children)
        wall = statistics.median(c.wall for c in children)
        peak = max(c.rss_mb or 0.0 for c in children)
        written = pq.read_metadata(target).num_rows
        cli_speed = report.goal(
            "frames",
            "CLI Parquet → Parquet throughput",
            "≥ 1,000,000 rows/s",
            f"{rows / cpu:,.0f} rows/s CPU ({rows / wall:,.0f} wall)",
            rows / cpu >= 1_000_000,
        )
        cli_memory = report.goal(
            "frames", "CLI Parquet → Parquet peak memory", "< 400 MB", f"{peak:.1f} MB", peak < 400
        )
        report.say(
            f"`backtriage score {source.name} -o scored.parquet`, {rows:,} rows, end to end "
            f"(process start and imports included), {settings.cli_rounds} runs: CPU "
            f"{fmt_time(cpu)}, **{rows / cpu:,.0f} rows/s** ({cli_speed}), wall {fmt_time(wall)}; "
            f"peak RSS **{peak:.1f} MB** ({cli_memory}); {written:,} rows written.",
            "",
        )
        float_cpu = statistics.median(c.cpu for c in float_children)
        cli_ratio = float_cpu / cpu
        cli_floats = report.goal(
            "frames",
            "CLI float Parquet vs int Parquet",
            "≤ 2×",
            f"{cli_ratio:.2f}× (ratio of medians)",
            cli_ratio <= 2,
        )
        report.say(
            f"The same rows as float64 columns (`{float_source.name}`): CPU "
            f"{fmt_time(float_cpu)}, {rows / float_cpu:,.0f} rows/s, **{cli_ratio:.2f}×** the "
            f"integer file's CPU time (goal ≤ 2×: **{cli_floats}**).",
            "",
        )
    target.unlink(missing_ok=True)

    # The Dask recipe on two local workers against one process, on the CLI's CSV.
    csv_source = odi_csv(settings)
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        report.say("Dask: not installed.", "")
    else:
        if settings.quick:
            report.say(
                "Dask and Spark: not run in quick mode (a cluster takes seconds to start).", ""
            )
            return
        one = spawn([sys.executable, "-c", _DASK_SCORER, str(csv_source), "0"], env)
        two = spawn([sys.executable, "-c", _DASK_SCORER, str(csv_source), "2"], env)
        report.table(
            ["run", "wall", "rows/s (wall)", "printed (rows, failed)"],
            [
                [
                    label,
                    fmt_time(c.wall),
                    f"{settings.cli_rows / c.wall:,.0f}",
                    c.stdout.strip() or c.stderr.strip()[-200:],
                ]
                for label, c in (("one process, pandas", one), ("Dask, 2 workers", two))
            ],
        )
        report.say(
            "Both read the CSV as text and score it with `score_odi_frame` (the Dask run as "
            "in docs/research.md: `map_partitions`, a ready `meta`, global row numbers); wall "
            "times, cluster start-up included, on a machine of "
            f"{os.cpu_count()} cores shared with other work.",
            "",
        )

    # Spark, where pyspark and Java are installed.
    try:
        import pyspark  # noqa: F401
    except ImportError:
        report.say("Spark: pyspark is not installed here; not run.", "")
    else:
        spark_env = env | {"PYSPARK_PYTHON": sys.executable}  # workers need pyarrow too
        spark = spawn([sys.executable, "-c", _SPARK_SCORER, str(source)], spark_env)
        outcome = spark.stdout.strip() if spark.status == 0 else spark.stderr.strip()[-300:]
        report.say(
            f"Spark (`mapInArrow`, local[2]) on the {rows:,}-row Parquet file: wall "
            f"{fmt_time(spark.wall)}, exit {spark.status}; printed (rows, failed): {outcome}.",
            "",
        )


def section_many_unchanged(
    report: Report, settings: Settings, records: list[dict[str, Any]]
) -> None:
    """Time score_odi_many against the version in git's ``main``, side by side."""
    import importlib.util

    # main's batch.py where this branch forked from it (or last merged it): it runs against
    # this tree's other modules, which a newer main's may not.
    base = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    done = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{base}:src/backtriage/batch.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    old_path = settings.data_dir / "batch_main.py"
    old_path.write_text(done.stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("batch_main", old_path)
    try:
        if not base or done.returncode != 0 or spec is None or spec.loader is None:
            raise ImportError("no git main here")
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
    except Exception as exc:  # a main that no longer fits this tree: say so, measure nothing
        report.say(f"`score_odi_many` against `main`: not measured ({exc}).", "")
        report.goal("frames", "score_odi_many unchanged", "≤ 1.15× main's", "not available", None)
        return
    from backtriage.batch import score_odi_many

    sample = [{k: "" if v is None else str(v) for k, v in row.items()} for row in records[:2_000]]
    cases: dict[str, tuple[Batch, int]] = {
        "new": (lambda n: [list(score_odi_many(sample)) for _ in range(n)], len(sample)),
        "main": (lambda n: [list(old.score_odi_many(sample)) for _ in range(n)], len(sample)),
    }
    samples = interleave(cases, settings)
    ratio = paired_ratio(samples["new"], samples["main"])
    mark = report.goal(
        "frames",
        "score_odi_many unchanged",
        "≤ 1.15× main's",
        fmt_ratio(ratio),
        ratio.median <= 1.15,
    )
    report.say(
        f"`score_odi_many` on {len(sample):,} CSV-like rows (text cells, the same table), "
        f"against the version in `main` in the same rounds: **{fmt_ratio(ratio)}** its time "
        f"({1 / Stat.of(samples['new']).median:,.0f} rows/s; goal ≤ 1.15×: **{mark}**).",
        "",
    )


_FRAME_GOALS = (
    ("columnar scorer throughput, 1M int rows", "≥ 10,000,000 rows/s"),
    ("columnar scorer vs bare vectorised reference", "≤ 3×"),
    ("columnar results identical to score_odi_many", "all rows"),
    ("columnar float columns vs int columns", "≤ 3×"),
    ("CLI Parquet → Parquet throughput", "≥ 1,000,000 rows/s"),
    ("CLI Parquet → Parquet peak memory", "< 400 MB"),
    ("CLI float Parquet vs int Parquet", "≤ 2×"),
    ("score_odi_many unchanged", "≤ 1.15× main's"),
)
