"""The ``protocol`` verbs: ``check``, ``review`` (the sheet), ``diff`` and ``sign-off``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from backtriage.cli._output import PROG, CommandError, destination, one_line
from backtriage.errors import BacktriageError

if TYPE_CHECKING:
    from backtriage.protocol import Protocol, SignOff
    from backtriage.testing.properties import PropertyFailure

__all__ = ["add_protocol_verbs"]


def add_protocol_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``protocol check``, ``review``, ``diff`` and ``sign-off`` to the command's verbs."""
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
    from backtriage.review import DEFAULT_LIMIT

    verb.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many sets of facts the exact search may consider (default: {DEFAULT_LIMIT})",
    )


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
    with destination(args.output) as (out, _):
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
    from backtriage.protocol import check_signed, load_protocol

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

    from backtriage.protocol import SignOff
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
        raise CommandError(f"{path}: not a valid sign-off record: {one_line(exc)}") from None


def _protocol_sign_off(args: argparse.Namespace) -> int:
    import json

    from backtriage.protocol import load_protocol
    from backtriage.review import sign_off
    from backtriage.serialize import to_dict

    if args.default and args.file is not None:
        raise CommandError(f"{args.file}: give a protocol file or --default, not both")
    if args.file is None:
        from backtriage import default_protocol

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
    with destination(args.output) as (out, _):
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
        raise CommandError(f"{one_line(exc)} (here: --limit N)") from None


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
