"""The verbs about a person: ``recommend`` (an assessment in, the plan out) and ``questions``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from backtriage.cli._output import CommandError, read_text
from backtriage.errors import BacktriageError

if TYPE_CHECKING:
    from backtriage.protocol import Protocol

__all__ = ["add_plan_verbs"]


def add_plan_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``recommend`` and ``questions`` to the command's verbs."""
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


def _protocol_option(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--protocol", metavar="FILE", help="use this protocol (TOML or JSON) instead of the default"
    )


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
    name, text = read_text(args.file)
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
