"""``backtriage score`` for Parquet and Arrow IPC files, through the columnar scorer.

A Parquet input is read one row group batch at a time and each batch is scored and written
before the next is read, so memory stays flat whatever the size of the file. The output has the
columns the CSV output has: ``row`` (counted from 1), the copied columns, then the result columns.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from backtriage.cli._output import CommandError
from backtriage.cli._tables import LARGE_INPUT, Progress, layout_of, report_failures

_EXTENSIONS: Final = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}
_BATCH_ROWS: Final = 65_536
_MAGIC: Final = (
    (b"PAR1", "a Parquet file; name it *.parquet to score it"),
    (b"ARROW1", "an Arrow IPC file; name it *.arrow to score it"),
    (b"\xff\xff\xff\xff", "an Arrow IPC stream; write it as an Arrow IPC file (*.arrow)"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?); export the sheet as CSV"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook; export the sheet as CSV"),
)


def columnar_format(path: str | None) -> str | None:
    """Return ``"parquet"`` or ``"arrow"`` for a file named so, else ``None``."""
    if not path or path == "-":
        return None
    return _EXTENSIONS.get(Path(path).suffix.lower())


def sniff_binary(path: str, encoding: str) -> None:
    """Raise naming the format when a file read as CSV is a known binary format.

    The file's start is first decoded with the declared ``encoding``: text in that encoding
    (UTF-16 holds NUL bytes) is never refused as binary. ``encoding`` must be a known text
    encoding (the caller checks it first).
    """
    import codecs

    if path == "-":
        return
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096)
    except OSError:
        return  # the CSV path reports it
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeError:
        pass  # not text in that encoding: binary, or the CSV path says where it is not
    else:
        if "\x00" not in text:
            return
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CommandError(
            f"{path}: not {encoding} text but UTF-16 (it starts with a UTF-16 byte order "
            "mark); pass --encoding utf-16"
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise CommandError(f"{path}: not CSV text but {what}")
    if b"\x00" in head:
        raise CommandError(
            f"{path}: not CSV text but a binary file (it holds NUL bytes); "
            "score a CSV, Parquet (*.parquet) or Arrow IPC (*.arrow) file"
        )


def _modules() -> tuple[Any, Any, Any, Any]:
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.ipc
        import pyarrow.parquet
    except ModuleNotFoundError as exc:
        raise CommandError(
            f"Parquet and Arrow files need pyarrow ({exc}); "
            "install it with: pip install 'backtriage[frames]'"
        ) from None
    return pyarrow, pyarrow.compute, pyarrow.parquet, pyarrow.ipc


@contextmanager
def _batches(path: str, kind: str | None) -> Iterator[tuple[Any, int, int, Iterator[Any]]]:
    """Yield ``(schema, rows or 0, size in bytes, record batches)`` of the input."""
    pa, _, pq, ipc = _modules()
    if kind is None:
        raise CommandError(
            f"{path}: Parquet or Arrow output needs a Parquet (*.parquet) or Arrow IPC "
            "(*.arrow) input; score a CSV file to CSV or JSON Lines"
        )
    size = os.stat(path).st_size
    try:
        if kind == "parquet":
            with pq.ParquetFile(path) as source:
                rows = source.metadata.num_rows
                yield source.schema_arrow, rows, size, source.iter_batches(_BATCH_ROWS)
            return
        with pa.memory_map(path) as mapped:
            reader = ipc.open_file(mapped)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            yield reader.schema, 0, size, batches
    except (pa.ArrowInvalid, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        what = "Parquet" if kind == "parquet" else "Arrow IPC"
        raise CommandError(f"{path}: not a readable {what} file ({exc})") from None


@contextmanager
def _binary_destination(path: str | None) -> Iterator[Any]:
    """Yield a binary stream for the output, renamed into place when the run completes."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"{path}: cannot write it, no directory {str(target.parent)!r}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as stream:
            yield stream
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def score_columnar(
    args: argparse.Namespace, columns: dict[str, str], scale: str, output_format: str
) -> int:
    """Score a Parquet or Arrow IPC input; write Parquet, Arrow IPC or CSV."""
    from backtriage.tables import (
        COLUMNAR_RESULT_COLUMNS,
        as_numpy,
        check_scale,
        read_array,
        score_columns,
    )

    if output_format == "jsonl":
        raise CommandError(
            "JSON Lines output from a Parquet or Arrow input is not supported; "
            "write *.parquet, *.arrow or *.csv"
        )
    pa, pc, pq, ipc = _modules()
    first = check_scale(scale).first
    name = args.file
    with _batches(name, columnar_format(name)) as (schema, total, size, batches):
        header = list(schema.names)
        layout, keep = layout_of(name, header, columns, args.keep)
        copied = [header[i] for i in keep]
        fields = [schema.field(i) for i in keep]
        wanted = args.progress == "always" or (
            args.progress == "auto" and args.output not in (None, "-") and size > LARGE_INPUT
        )
        progress = Progress(wanted, None, size, total)
        rows = failed = 0
        first_error: tuple[int, str] | None = None
        with _binary_destination(args.output) as out:
            writer: Any = None
            for batch in batches:
                sections = [read_array(batch.column(i), first) for i in layout.indices]
                results = score_columns(
                    sections, layout.names, batch.num_rows, first, args.max_missing, rows + 1
                )
                arrays = [results["row"], *(batch.column(i) for i in keep)]
                arrays += [results[column] for column in COLUMNAR_RESULT_COLUMNS[1:]]
                scored = pa.RecordBatch.from_arrays(
                    arrays, names=["row", *copied, *COLUMNAR_RESULT_COLUMNS[1:]]
                )
                if writer is None:
                    writer = _writer(output_format, out, scored.schema, pq, ipc)
                writer.write(scored)
                errors = results["error"]
                bad = len(errors) - errors.null_count
                if bad and first_error is None:
                    at = int(as_numpy(pc.indices_nonzero(pc.is_valid(errors)))[0])
                    first_error = (rows + 1 + at, errors[at].as_py())
                failed += bad
                rows += batch.num_rows
                progress.update(rows)
            if writer is None:  # no batch at all: write the header (schema) still
                empty = pa.schema(
                    [pa.field("row", pa.int64()), *fields]
                    + [
                        pa.field(column, kind)
                        for column, kind in zip(
                            COLUMNAR_RESULT_COLUMNS[1:], _RESULT_TYPES(pa), strict=True
                        )
                    ]
                )
                writer = _writer(output_format, out, empty, pq, ipc)
            writer.close()
    progress.finish(rows)
    if first_error is not None:
        return report_failures(failed, rows, *first_error)
    return 0


def _RESULT_TYPES(pa: Any) -> tuple[Any, ...]:  # noqa: N802 - a constant that needs pyarrow
    return (
        pa.int64(),
        pa.int64(),
        pa.float64(),
        pa.int64(),
        pa.string(),
        pa.string(),
        pa.string(),
    )


class _CsvWriter:
    """Write scored batches as the CSV output of the CSV path writes them."""

    def __init__(self, out: Any, names: list[str]) -> None:
        import csv
        import io

        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text, lineterminator="\n")
        self.csv.writerow(names)

    def write(self, batch: Any) -> None:
        columns = [column.to_pylist() for column in batch.columns]
        self.csv.writerows(
            ["" if cell is None else repr(cell) if type(cell) is float else cell for cell in row]
            for row in zip(*columns, strict=True)
        )

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


def _writer(output_format: str, out: Any, schema: Any, pq: Any, ipc: Any) -> Any:
    if output_format == "parquet":
        return pq.ParquetWriter(out, schema)
    if output_format == "arrow":
        return ipc.new_file(out, schema)
    return _CsvWriter(out, list(schema.names))
