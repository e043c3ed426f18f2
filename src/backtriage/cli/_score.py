"""The ``score`` verb on a CSV file: options, the input and output files, the streaming scorer.

A Parquet or Arrow file goes to :mod:`backtriage.cli._score_columnar`; what both paths share is
in :mod:`backtriage.cli._tables`. The scoring itself is :mod:`backtriage.tables`'.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from backtriage.cli._output import CommandError, decode_message, destination, one_line
from backtriage.cli._tables import LARGE_INPUT, Progress, layout_of, report_failures
from backtriage.tables import no_field_limit, stream_scores

__all__ = ["add_score_verb"]

_ENCODING_HINT = "save it as UTF-8 or pass --encoding"


def add_score_verb(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``score`` to the command's verbs."""
    score = verbs.add_parser(
        "score",
        help="score a wide CSV of ODI answers, one questionnaire per row",
        description=(
            "Score a CSV file with a header row and one column per ODI section (named by "
            "section key: pain_intensity, personal_care, lifting, walking, sitting, standing, "
            "sleeping, sex_life, social_life, travelling; or odi-1 ... odi-10; or mapped with "
            "--column). Cells hold 0 to 5; an empty cell, NA or not_applicable is unanswered. "
            "Each output row has the row number, the copied columns, the score and an error "
            "column; a bad row is reported there and the next row is scored. Exit status 1 "
            "when any row failed."
        ),
    )
    score.add_argument(
        "file",
        metavar="FILE.csv",
        help="the CSV file, or - for standard input; a file named *.parquet, *.arrow or "
        "*.feather is read as Parquet or Arrow IPC",
    )
    score.add_argument(
        "-o", "--output", metavar="FILE", help="write results to FILE (default: standard output)"
    )
    score.add_argument(
        "-f",
        "--format",
        choices=("csv", "jsonl", "parquet", "arrow"),
        help="csv, jsonl for JSON Lines, parquet or arrow (Arrow IPC) (default: by the output's "
        "extension, *.jsonl, *.parquet, *.arrow or *.feather; else csv)",
    )
    score.add_argument(
        "-c",
        "--column",
        action="append",
        default=[],
        metavar="HEADER=SECTION",
        help="read column HEADER as SECTION (e.g. Q10=travelling); repeat for more columns",
    )
    score.add_argument(
        "--keep",
        metavar="COLUMNS",
        help="comma-separated columns to copy to the output (default: every column that is "
        "not an ODI section; '' for none)",
    )
    score.add_argument(
        "--max-missing",
        type=int,
        default=1,
        metavar="N",
        help="how many sections may be unanswered (default: 1)",
    )
    score.add_argument(
        "--scale",
        choices=("0-5", "1-6"),
        help="how the answers are numbered: 0-5 (the published codes, the default) or 1-6 "
        "(shifted down by one before scoring)",
    )
    score.add_argument(
        "--headers",
        choices=("redcap",),
        help="redcap: read the columns odi_1 ... odi_10 of a REDCap export as the ten sections "
        "(needs --scale: such exports are often numbered 1-6)",
    )
    score.add_argument(
        "--delimiter",
        default=",",
        metavar="CHAR",
        help="the field separator of the input: one character, or 'tab' (default: ,)",
    )
    score.add_argument(
        "--encoding", default="utf-8-sig", help="the input's encoding (default: UTF-8)"
    )
    score.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress lines on standard error (auto: when the output is a file and the input "
        "is larger than 16 MB)",
    )
    score.set_defaults(run=_score)


def _locate_decode_error(path: str, name: str, exc: UnicodeDecodeError) -> str:
    """Return a message giving the line and byte of the first undecodable byte of a file.

    The text stream decodes ahead in chunks, so the error it raises says where in a chunk the
    bad byte is, not where in the file; reading the file again finds the place.
    """
    import codecs

    if path == "-":
        # Standard input cannot be read again to find the place; say only what was found.
        byte = exc.object[exc.start : exc.start + 1].hex()
        return f"{name}: not {exc.encoding} text (byte 0x{byte}); {_ENCODING_HINT}"
    decoder = codecs.getincrementaldecoder(exc.encoding)()
    line, offset = 1, 0
    with open(path, "rb") as stream:
        while True:
            chunk = stream.read(1 << 16)
            try:
                decoder.decode(chunk, final=not chunk)  # the end may cut a character short
            except UnicodeDecodeError as found:
                held = len(found.object) - len(chunk)  # bytes copied back from the last chunk
                line += chunk.count(b"\n", 0, max(found.start - held, 0))
                byte = found.object[found.start : found.start + 1].hex()
                return (
                    f"{name}, line {line}: not {exc.encoding} text (byte 0x{byte} at offset "
                    f"{offset - held + found.start}); {_ENCODING_HINT}"
                )
            if not chunk:  # pragma: no cover - the file changed since it was read
                return decode_message(name, exc, hint=_ENCODING_HINT)
            line += chunk.count(b"\n")
            offset += len(chunk)


def _column_mapping(pairs: Sequence[str]) -> dict[str, str]:
    from backtriage.batch import section_for
    from backtriage.instruments.odi import OdiSection

    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, section = pair.partition("=")
        if not sep or not header:
            raise CommandError(f"--column {pair!r}: expected HEADER=SECTION, e.g. Q10=travelling")
        if section_for(section) is None:
            raise CommandError(
                f"--column {pair!r}: {section!r} is not an ODI section; expected one of "
                + ", ".join(OdiSection)
            )
        if header in mapping:
            raise CommandError(f"--column: {header!r} is mapped twice")
        mapping[header] = section.strip()
    return mapping


def _delimiter(text: str) -> str:
    if text.lower() in ("tab", "\\t"):
        return "\t"
    if len(text) != 1:
        raise CommandError(f"--delimiter {text!r}: expected one character, or 'tab'")
    return text


def _check_encoding(encoding: str) -> None:
    """Raise unless ``encoding`` names a text encoding."""
    import io

    try:
        # A text stream refuses both an unknown name and a codec that is not for text (rot13,
        # hex), which codecs.lookup() alone accepts.
        io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    except LookupError:
        raise CommandError(f"--encoding {encoding!r}: not a known text encoding") from None


def _refuse_output_that_is_input(source: str, output: str | None) -> None:
    """Raise when the output names the input file (also through a link or another path)."""
    import os

    if source == "-" or output is None or output == "-":
        return
    try:
        same = os.path.samefile(source, output)
    except OSError:  # one of them does not exist (yet): not the same file
        return
    if same:
        raise CommandError(
            f"-o {output}: is the input {source}; write the results to another file "
            "(nothing was written)"
        )


@contextmanager
def _source(path: str, encoding: str) -> Iterator[tuple[str, IO[str], int]]:
    """Yield ``(name, text stream, size in bytes or 0)`` of the input."""
    import io
    import os
    import stat

    _check_encoding(encoding)
    if path == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding=encoding, newline="")
        try:
            yield "<stdin>", stream, 0
        finally:
            stream.detach()  # standard input belongs to the caller
        return
    with open(path, encoding=encoding, newline="") as stream:
        status = os.fstat(stream.fileno())
        yield path, stream, status.st_size if stat.S_ISREG(status.st_mode) else 0


def _score(args: argparse.Namespace) -> int:
    from backtriage.cli._score_columnar import columnar_format, score_columnar, sniff_binary

    columns = _column_mapping(args.column)
    delimiter = _delimiter(args.delimiter)
    if args.max_missing < 0:
        raise CommandError(f"--max-missing {args.max_missing}: expected 0 or more")
    if args.headers == "redcap":
        if args.scale is None:
            raise CommandError(
                "--headers redcap needs --scale 0-5 or --scale 1-6: REDCap instruments are "
                "often numbered 1 to 6, so the scale of an export is never assumed"
            )
        from backtriage.batch import REDCAP_COLUMNS

        columns = {name: section.value for name, section in REDCAP_COLUMNS.items()} | columns
    scale = args.scale or "0-5"
    output_format = (
        args.format
        or columnar_format(args.output)
        or ("jsonl" if args.output and args.output.endswith((".jsonl", ".ndjson")) else "csv")
    )
    _refuse_output_that_is_input(args.file, args.output)
    if columnar_format(args.file) or output_format in ("parquet", "arrow"):
        return score_columnar(args, columns, scale, output_format)
    _check_encoding(args.encoding)
    sniff_binary(args.file, args.encoding)
    with _source(args.file, args.encoding) as (name, stream, size), no_field_limit():
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                raise CommandError(f"{name}: empty; expected a header row naming the columns")
            layout, keep = layout_of(name, header, columns, args.keep)
            with destination(args.output) as (out, to_file):
                wanted = args.progress == "always" or (
                    args.progress == "auto" and to_file and size > LARGE_INPUT
                )
                progress = Progress(wanted, stream, size)
                copied = [header[i] for i in keep]
                rows, failed = stream_scores(
                    reader,
                    layout,
                    keep,
                    copied,
                    out,
                    output_format,
                    args.max_missing,
                    progress.update,
                    scale,
                )
        except UnicodeDecodeError as exc:
            raise CommandError(_locate_decode_error(args.file, name, exc)) from None
        except UnicodeError as exc:  # e.g. UTF-16 without its byte order mark
            raise CommandError(
                f"{name}: not {args.encoding} text ({one_line(exc)}); {_ENCODING_HINT}"
            ) from None
        except csv.Error as exc:
            raise CommandError(f"{name}, line {reader.line_num}: {exc}") from None
    progress.finish(rows)
    if failed is not None:
        count, first = failed
        return report_failures(count, rows, first.row, first.message)
    return 0
