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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from backtriage._batch_stream import no_field_limit, stream_scores
from backtriage._cli_shared import (
    LARGE_INPUT,
    PROG,
    CommandError,
    Progress,
    layout_of,
    report_failures,
)
from backtriage.errors import BacktriageError

if TYPE_CHECKING:
    from backtriage.protocol import Protocol
    from backtriage.protocol._sign_off import SignOff
    from backtriage.testing.properties import PropertyFailure

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
        _silence_stdout()
        return 1
    except (CommandError, BacktriageError, OSError, UnicodeError, csv.Error) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a bug must still not print a traceback
        print(
            f"{PROG}: error: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(please report this as a bug)",
            file=sys.stderr,
        )
        return 2


def _silence_stdout() -> None:  # pragma: no cover - exercised in a subprocess by the tests
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory, not a file"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split()) or type(exc).__name__


_ENCODING_HINT = "save it as UTF-8 or pass --encoding"


def _decode_message(name: str, exc: UnicodeDecodeError, *, hint: str = "save it as UTF-8") -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    line = exc.object.count(b"\n", 0, exc.start) + 1
    return (
        f"{name}, line {line}: not {exc.encoding} text (byte 0x{byte} at offset {exc.start}); "
        + hint
    )


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
                held = len(found.object) - len(chunk)  # bytes kept back from the last chunk
                line += chunk.count(b"\n", 0, max(found.start - held, 0))
                byte = found.object[found.start : found.start + 1].hex()
                return (
                    f"{name}, line {line}: not {exc.encoding} text (byte 0x{byte} at offset "
                    f"{offset - held + found.start}); {_ENCODING_HINT}"
                )
            if not chunk:  # pragma: no cover - the file changed since it was read
                return _decode_message(name, exc, hint=_ENCODING_HINT)
            line += chunk.count(b"\n")
            offset += len(chunk)


# -- parser -------------------------------------------------------------------------------------


def _protocol_option(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--protocol", metavar="FILE", help="use this protocol (TOML or JSON) instead of the default"
    )


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

    score = verbs.add_parser(
        "score",
        help="score a wide CSV of ODI answers, one questionnaire per row",
        description=(
            "Score a CSV file with a header row and one column per ODI section (named by "
            "section key: pain_intensity, personal_care, lifting, walking, sitting, standing, "
            "sleeping, sex_life, social_life, travelling; or odi-1 ... odi-10; or mapped with "
            "--column). Cells hold 0 to 5; an empty cell, NA or not_applicable is unanswered. "
            "Each output row has the row number, the kept columns, the score and an error "
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

    recommend = verbs.add_parser(
        "recommend",
        help="turn an assessment (JSON) into a plan",
        description=(
            "Read an assessment as JSON (see docs/interop.md and examples/assessment.json) and "
            "print the plan: readable text, or JSON with --json."
        ),
    )
    recommend.add_argument("file", metavar="FILE.json", help="the assessment, or - for stdin")
    recommend.add_argument("--json", action="store_true", help="print the plan as JSON")
    _protocol_option(recommend)
    recommend.set_defaults(run=_recommend)

    questions = verbs.add_parser(
        "questions",
        help="list what to ask: red flags, instruments, findings",
        description="List the questions of the protocol an app must (or may) ask.",
    )
    questions.add_argument("--json", action="store_true", help="print the questions as JSON")
    _protocol_option(questions)
    questions.set_defaults(run=_questions)

    protocol = verbs.add_parser(
        "protocol",
        help="work with protocol files",
        description="Work with protocol files.",
    )
    protocol_verbs = protocol.add_subparsers(title="verbs", metavar="VERB", required=True)
    check = protocol_verbs.add_parser(
        "check",
        help="report every problem of a protocol file",
        description=(
            "Load a protocol (TOML or JSON) and print every static problem, with where it is "
            "and how to fix it. With --properties, also run the property checks of "
            "backtriage.testing (needs hypothesis). With --against REVIEWED, also list every "
            "way FILE is less safe than the reviewed protocol, with the answers that show it. "
            "Exit status 0 only when there is none."
        ),
    )
    check.add_argument("file", metavar="FILE", help="the protocol file")
    check.add_argument(
        "--properties", action="store_true", help="also run the property-based checks"
    )
    check.add_argument(
        "--against",
        metavar="REVIEWED",
        help="the protocol file a clinician signed off: fail when FILE is less safe than it",
    )
    check.set_defaults(run=_protocol_check)
    _review_verbs(protocol_verbs)
    return parser


def _review_verbs(protocol_verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = protocol_verbs.add_parser(
        "review",
        help="write the review sheet a clinician signs (HTML)",
        description=(
            "Write the review sheet of a protocol: one self-contained HTML page (no network, "
            "no script; print it to PDF from a browser) with the protocol's name, version and "
            "content hash, the result of check(), every question, the instrument policies, "
            "the catalogue, the exact answers that withhold or caution each exercise and that "
            "reach each urgency, every rule with its sources, and a sign-off block. Exit "
            "status 1 when the protocol has problems (the sheet is written and shows them)."
        ),
    )
    review.add_argument(
        "file", metavar="FILE", nargs="?", help="the protocol file (default: the default protocol)"
    )
    review.add_argument(
        "--default", action="store_true", help="review the default protocol of backtriage"
    )
    review.add_argument(
        "-o", "--output", metavar="FILE", help="write the sheet to FILE (default: standard output)"
    )
    review.add_argument(
        "--since",
        metavar="RECORD_OR_FILE",
        action="append",
        default=[],
        help=(
            "the signed version: its sign-off record (JSON) or its protocol file; the sheet "
            "also lists what FILE changes since, less safe first (give both, once each, to "
            "list the changes and check the record against the file)"
        ),
    )
    _limit_option(review)
    review.set_defaults(run=_protocol_review)

    diff = protocol_verbs.add_parser(
        "diff",
        help="show what a new version of a protocol changes, less safe first",
        description=(
            "Compare two versions of a protocol: the changes that make it less safe (an "
            "exercise given where it was withheld, a lower urgency, fewer cautions, a required "
            "question made optional), those that make it more cautious, and the text changes, "
            "each with an example assessment that shows it. A version that breaks a declared "
            "policy is compared all the same, and named on standard error. Exit status 1 when "
            "anything is less safe or NEW breaks a declared policy."
        ),
    )
    diff.add_argument("old", metavar="OLD", help="the protocol file in use")
    diff.add_argument("new", metavar="NEW", help="the changed protocol file")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    _limit_option(diff)
    diff.set_defaults(run=_protocol_diff)

    sign = protocol_verbs.add_parser(
        "sign-off",
        help="record a reviewer's decision about a protocol (JSON)",
        description=(
            "Write a sign-off record: the protocol's name, version and content hash, this "
            "backtriage's version, the date, the reviewer and role, the decision (approved, "
            "approved_with_conditions with at least one --condition, or not_approved), the "
            "conditions, the residual risks and the hazard-log reference. An app loads the "
            "protocol with load_protocol(path, signed=record) to refuse any other version."
        ),
    )
    sign.add_argument(
        "file", metavar="FILE", nargs="?", help="the protocol file (default: the default protocol)"
    )
    sign.add_argument(
        "--default", action="store_true", help="sign off the default protocol of backtriage"
    )
    sign.add_argument("--reviewer", required=True, help="the reviewer's name")
    sign.add_argument("--role", required=True, help="the reviewer's role and registration")
    sign.add_argument(
        "--decision",
        required=True,
        choices=("approved", "approved_with_conditions", "not_approved"),
    )
    sign.add_argument(
        "--condition",
        dest="conditions",
        action="append",
        default=[],
        metavar="TEXT",
        help="a condition of the approval (repeat for each)",
    )
    sign.add_argument(
        "--residual-risk",
        dest="residual_risks",
        action="append",
        default=[],
        metavar="TEXT",
        help="a risk accepted as it is (repeat for each)",
    )
    sign.add_argument(
        "--hazard-log",
        required=True,
        metavar="REF",
        help="where the protocol's hazards are logged (document, version, entries)",
    )
    sign.add_argument(
        "--date", metavar="YYYY-MM-DD", help="the day of the decision (default: today)"
    )
    sign.add_argument(
        "-o", "--output", metavar="FILE", help="write the record to FILE (default: standard output)"
    )
    sign.set_defaults(run=_protocol_sign_off)


def _limit_option(verb: argparse.ArgumentParser) -> None:
    from backtriage.protocol._queries import DEFAULT_LIMIT

    verb.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many sets of facts the exact search may consider (default: {DEFAULT_LIMIT})",
    )


# -- recommend, questions, protocol check ---------------------------------------------------------


def _read_text(path: str) -> tuple[str, str]:
    """Return ``(name, text)`` of a UTF-8 file, or of standard input for ``-``."""
    if path == "-":
        name, data = "<stdin>", sys.stdin.buffer.read()
    else:
        from pathlib import Path

        name, data = path, Path(path).read_bytes()
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(_decode_message(name, exc)) from None


def _protocol(path: str | None) -> Protocol:
    if path is None:
        from backtriage import default_protocol

        return default_protocol()
    from backtriage.protocol import load_protocol

    protocol = load_protocol(path)
    problems = protocol.check()
    if problems:
        raise CommandError(
            f"{path}: the protocol has {len(problems)} problem(s) and cannot be used; "
            f"see them with: backtriage protocol check {path}"
        )
    return protocol


def _recommend(args: argparse.Namespace) -> int:
    from backtriage import recommend
    from backtriage.assessment import Assessment
    from backtriage.serialize import from_json, to_json

    protocol = _protocol(args.protocol)
    name, text = _read_text(args.file)
    try:
        assessment = from_json(text, Assessment)
    except BacktriageError as exc:
        raise CommandError(f"{name}: {exc}") from None
    try:
        plan = recommend(assessment, protocol=protocol)
    except BacktriageError as exc:
        raise CommandError(f"{name}: {exc}") from None
    print(to_json(plan, indent=2) if args.json else plan.summary())
    return 0


def _questions(args: argparse.Namespace) -> int:
    import json
    import textwrap

    from backtriage import QuestionKind, questions
    from backtriage._convert import converter
    from backtriage.serialize import SCHEMA_VERSION

    protocol = _protocol(args.protocol)
    asked = questions(protocol)
    if args.json:
        document = {
            "schema_version": SCHEMA_VERSION,
            "protocol": {"name": protocol.name, "version": protocol.version},
            "questions": [converter.unstructure(q) for q in asked],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    headings = {
        QuestionKind.RED_FLAG: "Red flags: ask every one, answered yes or no",
        QuestionKind.INSTRUMENT: "Questionnaires",
        QuestionKind.DETAIL: "About the person",
        QuestionKind.FINDING: "Findings: set the ones that apply",
        QuestionKind.CAPABILITY: "Capabilities: set the ones the person can do",
    }
    lines = [f"Questions of protocol {protocol.name} {protocol.version}"]
    kind = None
    for question in asked:
        if question.kind is not kind:
            kind = question.kind
            lines.extend(["", headings[kind] + ":"])
        lines.append(f"  {question.key}" + (" (required)" if question.required else ""))
        lines.append(
            textwrap.fill(question.text, 88, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    print("\n".join(lines))
    return 0


def _protocol_check(args: argparse.Namespace) -> int:
    from backtriage.protocol import load_protocol

    protocol = load_protocol(args.file)
    problems = protocol.check()
    for problem in problems:
        print(problem)
    failures = 0
    if args.properties:
        # Run even when there are static problems: a failing property shows what a problem
        # does to a person's plan.
        for failure in _check_properties(protocol):
            failures += 1
            print(failure.message)  # it starts with the check name
    less_safe = 0
    if args.against is not None:
        from backtriage.review import diff

        reviewed = load_protocol(args.against)
        for change in diff(reviewed, protocol).less_safe:
            less_safe += 1
            print(f"less safe than {args.against}: [{change.kind.value}] {change.description}")
    if problems or failures or less_safe:
        counts = f"{len(problems)} problem(s), {failures} property failure(s)"
        if args.against is not None:
            counts += f", {less_safe} less-safe change(s)"
        print(f"{args.file}: {counts}")
        return 1
    checked = "no problems, and every property holds" if args.properties else "no problems"
    if args.against is not None:
        checked += f", and nothing less safe than {args.against}"
    print(f"{args.file}: {checked}")
    return 0


def _protocol_review(args: argparse.Namespace) -> int:
    from backtriage.protocol import load_protocol
    from backtriage.review import review_sheet

    if args.default and args.file is not None:
        raise CommandError(f"{args.file}: give a protocol file or --default, not both")
    if args.file is None:
        from backtriage import default_protocol

        protocol, name = default_protocol(), "the default protocol"
    else:
        protocol, name = load_protocol(args.file), args.file
    previous, signed = _since(args.since)
    with _limit_hint():  # made in full before anything is written
        sheet = review_sheet(protocol, previous=previous, signed=signed, limit=args.limit)
    with _destination(args.output) as (out, _):
        out.write(sheet)
    problems = protocol.check()
    if problems:
        print(
            f"{PROG}: {name}: {len(problems)} problem(s), shown on the sheet; fix them before "
            f"sign-off (backtriage protocol check {args.file})",
            file=sys.stderr,
        )
        return 1
    return 0


def _since(paths: Sequence[str]) -> tuple[Protocol | None, SignOff | None]:
    """Read ``--since``: a sign-off record, a protocol file, or one of each."""
    from backtriage.protocol._load import check_signed, load_protocol

    previous: Protocol | None = None
    signed: SignOff | None = None
    for path in paths:
        record = _record(path)
        if record is not None:
            if signed is not None:
                raise CommandError(f"--since {path}: give at most one sign-off record")
            signed = record
        elif previous is not None:
            raise CommandError(f"--since {path}: give at most one protocol file")
        else:
            previous = load_protocol(path)
    if previous is not None and signed is not None:
        check_signed(previous, signed, source=paths[-1])
    return previous, signed


def _record(path: str) -> SignOff | None:
    """Return the sign-off record in ``path``, or ``None`` when it holds something else."""
    import json
    from pathlib import Path

    from backtriage.protocol._sign_off import SignOff
    from backtriage.serialize import from_json

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return None  # the protocol loader says what is wrong with it
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or "decision" not in data or "protocol_hash" not in data:
        return None
    try:
        return from_json(text, SignOff)
    except BacktriageError as exc:
        raise CommandError(f"{path}: not a valid sign-off record: {_one_line(exc)}") from None


def _protocol_sign_off(args: argparse.Namespace) -> int:
    import json

    from backtriage.protocol._load import load_protocol
    from backtriage.review import sign_off
    from backtriage.serialize import to_dict

    if args.default and args.file is not None:
        raise CommandError(f"{args.file}: give a protocol file or --default, not both")
    if args.file is None:
        from backtriage._plan import default_protocol

        protocol = default_protocol()
    else:
        protocol = load_protocol(args.file)
    record = sign_off(
        protocol,
        reviewer=args.reviewer,
        role=args.role,
        decision=args.decision,
        conditions=args.conditions,
        residual_risks=args.residual_risks,
        hazard_log=args.hazard_log,
        date=args.date,
    )
    with _destination(args.output) as (out, _):
        out.write(json.dumps(to_dict(record), indent=2, ensure_ascii=False) + "\n")
    return 0


def _protocol_diff(args: argparse.Namespace) -> int:
    import json

    from backtriage.review import diff, diff_document, diff_text
    from backtriage.review._diff import policy_failures

    old, new = _compared_protocol(args.old), _compared_protocol(args.new)
    with _limit_hint():
        changes = diff(old, new, limit=args.limit)
    if args.json:
        print(json.dumps(diff_document(changes, old, new), indent=2, ensure_ascii=False))
    else:
        print(diff_text(changes, old, new))
    new_breaks_a_policy = False
    for path, protocol in ((args.old, old), (args.new, new)):
        failures = policy_failures(protocol)
        if failures:
            new_breaks_a_policy = protocol is new
            print(
                f"{PROG}: {path}: breaks {len(failures)} declared policy(ies), first: "
                f"{failures[0].where}; recommend refuses it (backtriage protocol check {path})",
                file=sys.stderr,
            )
    return 1 if changes.is_less_safe or new_breaks_a_policy else 0


def _compared_protocol(path: str) -> Protocol:
    """Load a protocol to compare: one that only breaks declared policies is compared."""
    from backtriage.protocol import load_protocol
    from backtriage.review._diff import unreliable_problems

    protocol = load_protocol(path)
    problems = unreliable_problems(protocol)
    if problems:
        raise CommandError(
            f"{path}: the protocol has {len(problems)} problem(s) other than declared policies "
            f"that do not hold, and cannot be compared; see them with: backtriage protocol "
            f"check {path}"
        )
    return protocol


@contextmanager
def _limit_hint() -> Iterator[None]:
    """Say how to raise the search limit in the command's own terms."""
    from backtriage.errors import ProtocolError

    try:
        yield
    except ProtocolError as exc:
        if "limit=" not in str(exc):
            raise
        raise CommandError(f"{_one_line(exc)} (here: --limit N)") from None


def _check_properties(protocol: Protocol) -> Sequence[PropertyFailure]:
    try:
        from backtriage.testing.properties import check_properties
    except ModuleNotFoundError as exc:
        raise CommandError(
            f"--properties is not available ({exc}); pip install 'backtriage[testing]'"
        ) from None
    except ImportError as exc:  # the kit explains what to install
        raise CommandError(f"--properties: {exc}") from None
    return check_properties(protocol)


# -- score --------------------------------------------------------------------------------------


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


@contextmanager
def _destination(path: str | None) -> Iterator[tuple[IO[str], bool]]:
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


def _score(args: argparse.Namespace) -> int:
    from backtriage._cli_columnar import columnar_format, score_columnar, sniff_binary

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
            with _destination(args.output) as (out, to_file):
                wanted = args.progress == "always" or (
                    args.progress == "auto" and to_file and size > LARGE_INPUT
                )
                progress = Progress(wanted, stream, size)
                kept = [header[i] for i in keep]
                rows, failed = stream_scores(
                    reader,
                    layout,
                    keep,
                    kept,
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
                f"{name}: not {args.encoding} text ({_one_line(exc)}); {_ENCODING_HINT}"
            ) from None
        except csv.Error as exc:
            raise CommandError(f"{name}, line {reader.line_num}: {exc}") from None
    progress.finish(rows)
    if failed is not None:
        count, first = failed
        return report_failures(count, rows, first.row, first.message)
    return 0
