"""What every verb of the command shares: the name, one-line errors, reading and writing files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Final

__all__ = [
    "PROG",
    "CommandError",
    "decode_message",
    "destination",
    "one_line",
    "read_text",
    "silence_stdout",
]

PROG: Final = "backtriage"


class CommandError(Exception):
    """A problem to report as one line, without a traceback."""


def silence_stdout() -> None:  # pragma: no cover - exercised in a subprocess by the tests
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def one_line(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory, not a file"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split()) or type(exc).__name__


def decode_message(name: str, exc: UnicodeDecodeError, *, hint: str = "save it as UTF-8") -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    line = exc.object.count(b"\n", 0, exc.start) + 1
    return (
        f"{name}, line {line}: not {exc.encoding} text (byte 0x{byte} at offset {exc.start}); "
        + hint
    )


def read_text(path: str) -> tuple[str, str]:
    """Return ``(name, text)`` of a UTF-8 file, or of standard input for ``-``."""
    if path == "-":
        name, data = "<stdin>", sys.stdin.buffer.read()
    else:
        from pathlib import Path

        name, data = path, Path(path).read_bytes()
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(decode_message(name, exc)) from None


@contextmanager
def destination(path: str | None) -> Iterator[tuple[IO[str], bool]]:
    """Yield ``(text stream, whether it is a regular file)`` for the output.

    A named regular file is written beside the target and renamed into place when the run
    completes, so that an interrupted run never leaves a truncated result behind.
    """
    import os
    import stat
    from pathlib import Path

    if path is None or path == "-":
        try:
            regular = stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
        except (OSError, ValueError):
            regular = False
        yield sys.stdout, regular
        sys.stdout.flush()
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"{path}: cannot write it, no directory {str(target.parent)!r}")
    if target.exists() and not target.is_file():  # a device such as /dev/null: write to it
        with target.open("w", encoding="utf-8", newline="") as stream:
            yield stream, False
        return
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream, True
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
