"""Running the ``backtriage`` command inside the test process, for the CLI tests."""

from __future__ import annotations

import csv
import io


class Run:
    """The outcome of one command: exit status, standard output and standard error."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.out)))


def one_line_error(result: Run) -> str:
    """Assert the run failed with exit status 2 and one error line; return the line."""
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("backtriage: error: ")
    assert "Traceback" not in result.err
    return lines[0]
