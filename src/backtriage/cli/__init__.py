"""The ``backtriage`` command (also ``python -m backtriage``).

Verbs: ``score`` (a wide CSV of ODI answers in, one result per row out), ``recommend`` (an
assessment as JSON in, the plan out), ``questions`` (what to ask), ``protocol check``,
``protocol review`` (the review sheet, HTML), ``protocol diff`` (what a new version changes) and
``protocol sign-off`` (the reviewer's decision as a JSON record).
``backtriage VERB --help`` describes each.

Exit status: 0 on success; 1 when some rows failed (``score``), a protocol has problems
(``protocol check``, ``protocol review``) or a new version is less safe or breaks a declared
policy (``protocol diff``);
2 for a usage or input error, reported as one line on standard error (``backtriage: error:
...``), never a traceback; 2 also for an unexpected failure (a bug),
reported as ``backtriage: error: internal error: ...``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence

from backtriage.cli._output import PROG, CommandError, one_line, silence_stdout
from backtriage.cli._plans import add_plan_verbs
from backtriage.cli._protocol import add_protocol_verbs
from backtriage.cli._score import add_score_verb
from backtriage.errors import BacktriageError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``backtriage`` command with ``argv`` (default: ``sys.argv[1:]``).

    Return the exit status: 0 success, 1 rows failed or problems found, 2 usage or input error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already reported by argparse
        return exc.code if isinstance(exc.code, int) else 0
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except BrokenPipeError:  # pragma: no cover - exercised in a subprocess by the tests
        # The reader went away (``backtriage score big.csv | head``): stop quietly.
        silence_stdout()
        return 1
    except (CommandError, BacktriageError, OSError, UnicodeError, csv.Error) as exc:
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a bug must still not print a traceback
        print(
            f"{PROG}: error: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(please report this as a bug)",
            file=sys.stderr,
        )
        return 2


def _parser() -> argparse.ArgumentParser:
    from backtriage._version import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Screen lower-back pain safely: score Oswestry Disability Index tables, turn an "
            "assessment into a plan, list the screening questions, check a protocol. "
            "A screening aid, not a diagnosis and not a medical device."
        ),
        epilog="Run 'backtriage VERB --help' for the options of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", required=True)

    add_score_verb(verbs)
    add_plan_verbs(verbs)
    add_protocol_verbs(verbs)
    return parser
