"""Generate the JSON Schema documents shipped in ``backtriage/schemas/`` from the code.

The schemas describe what :mod:`backtriage.serialize` writes and reads, so that clients that do
not run Python can validate an assessment before they send it and a plan when they receive it.
They are built from the classes and enums themselves; after changing a serialised class, run::

    python -m backtriage._schema

A test fails while the shipped files differ from what this module generates.

JSON Schema cannot say everything :func:`backtriage.serialize.from_dict` checks: it accepts
``30.0`` where an integer is required (the JSON data model does not tell them apart), and it
does not check that derived fields (an assessment's score, a score's level) agree with the
fields they are derived from.

The instruments' documents and their parts are read from their descriptions (``SCORED``,
``INSTRUMENTS``): no instrument is named here.
"""

from __future__ import annotations

import collections.abc
import copy
import datetime
import enum
import functools
import json
import types
import typing
from pathlib import Path
from typing import Final, TypeAlias
from urllib.parse import quote

import attrs

from backtriage._follow_up import FollowUp
from backtriage._plan import Plan, Question
from backtriage.assessment import Assessment, CheckIn, NextMorning, Preference
from backtriage.instruments._registry import INSTRUMENTS, SCORED, check_in_instruments
from backtriage.protocol import SignOff

if typing.TYPE_CHECKING:
    from backtriage.instruments._instrument import DocumentSchemas, Instrument, ScoredInstrument
    from backtriage.protocol import Protocol

__all__ = [
    "BASE",
    "answers_schema",
    "assessment_schema",
    "check_in_schema",
    "follow_up_schema",
    "instrument_file",
    "plan_schema",
    "problem_schema",
    "question_schema",
    "render",
    "score_schema",
    "sign_off_schema",
    "write",
]

JSON: TypeAlias = dict[str, object]

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
BASE: Final = "urn:backtriage:schemas:"
"""The start of every shipped schema's ``$id``; the file name follows (``...:plan.schema.json``).

Every ``$ref`` of a schema is relative (``#/$defs/Urgency``) and so resolves against the
schema's own ``$id``: a schema placed as it is under an OpenAPI 3.1 document's
``components/schemas`` keeps working there, as JSON Schema 2020-12 makes a subschema with an
``$id`` a resource of its own."""
SCHEMA_VERSION: Final = 3  # kept equal to serialize.SCHEMA_VERSION by a test
PLAN_SCHEMA_VERSION: Final = 3
"""The oldest plan document read: older plans lack the texts and the structured safety net."""
_NULL: Final[JSON] = {"type": "null"}

# Descriptions of fields, keyed by (class name, field name); what a client developer needs to
# know that the name does not say.
# Lists that are never empty in any plan recommend() makes (from_dict refuses an empty one).
_NON_EMPTY: Final = frozenset({("Withheld", "reasons")})

_DESCRIPTIONS: Final[dict[tuple[str, str], str]] = {
    ("Plan", "urgency"): "How soon to see a clinician; same_day and emergency give no exercises.",
    ("Plan", "exercises"): "Exercises that may be done now, level 1 first, in catalogue order.",
    ("Plan", "withheld"): "Exercises that must not be done now, each with every reason.",
    ("Plan", "missing"): (
        "Inputs to ask before any exercise can be given (red-flag keys, "
        + "".join(f"{instrument.key!r}, " for instrument in SCORED)
        + "'age')."
    ),
    ("Plan", "missing_questions"): "The question to ask for each name in missing, same order.",
    ("Plan", "fired"): "The rules that fired, in protocol order: the audit trail.",
    ("Plan", "facts"): "The facts that held, in protocol order.",
    ("Plan", "advice"): "What the person should do now, in plain words.",
    ("Plan", "protocol_name"): "Name of the protocol that made the plan.",
    ("Plan", "protocol_version"): "Version of the protocol that made the plan.",
    ("Plan", "safety_net"): (
        "When to get help: signs for an emergency department now, signs for a doctor today, "
        "and when to book a review; in every plan but an emergency (null there)."
    ),
    ("Plan", "texts"): "The protocol's fixed texts the plan is shown with (headings, disclaimer).",
    ("Plan", "protocol_hash"): "SHA-256 of the protocol that made the plan.",
    ("Plan", "trend"): "The ODI and pain since the first plan, each criterion; null at first.",
    ("Plan", "trend_lines"): "The trend as the summary shows it, in the protocol's words.",
    ("Plan", "course"): "What a follow-up of this plan needs; null in a plan from before 0.3.",
    ("Prescription", "step"): "The dosage step the person does now (0-based, gentlest first).",
    ("Exercise", "steps"): "The dosage steps, gentlest first.",
    ("Prescription", "exercise"): "The exercise, with its instructions and dosage.",
    ("Prescription", "cautions"): "Cautions to show with the exercise.",
    ("Withheld", "exercise"): "The exercise that is withheld.",
    ("Withheld", "reasons"): "Every reason it is withheld (never empty).",
    ("Reason", "rule"): "Id of the rule (or engine invariant) that gives the reason.",
    ("Reason", "text"): "The reason in plain words.",
    ("Reason", "source"): "The source the rule cites.",
    ("FiredRule", "rule"): "Id of the rule.",
    ("FiredRule", "reason"): "Why the rule exists, in plain words.",
    ("FiredRule", "source"): "The source the rule cites.",
    ("FiredRule", "urgency"): "The urgency the rule refers to, or null when it does not refer.",
    ("Exercise", "id"): "Stable id of the exercise.",
    ("Exercise", "title"): "Short title to show.",
    ("Exercise", "family"): "Family of related exercises.",
    ("Exercise", "level"): "1 gentle, 2 more demanding.",
    ("Exercise", "in_bed"): "Whether it can be done in bed.",
    ("Exercise", "prerequisites"): "Capabilities that must hold before it is given.",
    ("SignOff", "protocol_name"): "Name of the protocol signed off.",
    ("SignOff", "protocol_version"): "Version of the protocol signed off.",
    ("SignOff", "protocol_hash"): "SHA-256 of the protocol's canonical JSON: what is signed.",
    ("SignOff", "library_version"): "The backtriage version the protocol was reviewed with.",
    ("SignOff", "date"): "The day of the decision.",
    ("SignOff", "reviewer"): "Who decided, by name.",
    ("SignOff", "role"): "The reviewer's role and registration.",
    ("SignOff", "decision"): (
        "approved_with_conditions needs at least one condition; approved takes none; a loader "
        "refuses the protocol under not_approved."
    ),
    ("SignOff", "conditions"): "What must hold for the approval to stand, one per item.",
    ("SignOff", "residual_risks"): "The risks accepted as they are, one per item.",
    ("SignOff", "hazard_log"): "Where the protocol's hazards are logged (document and entries).",
}
_PATTERNS: Final[dict[tuple[str, str], str]] = {("SignOff", "protocol_hash"): "^[0-9a-f]{64}$"}


def _enum_schema(cls: type[enum.Enum]) -> JSON:
    doc = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
    return {"description": doc, "type": "string", "enum": [m.value for m in cls]}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/$defs/{name}"}


_DEFS: Final = "#/$defs/"


def _references(value: object) -> typing.Iterator[str]:
    """Yield the name of every definition ``value`` (a schema) refers to."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(_DEFS):
                yield item.removeprefix(_DEFS)
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


class _Builder:
    """Collect ``$defs`` while schemas for types are built."""

    def __init__(self) -> None:
        self.defs: dict[str, JSON] = {}
        self._schemas: dict[str, DocumentSchemas] = {}

    def define(self, name: str, schema: JSON) -> JSON:
        self.defs.setdefault(name, schema)
        return _ref(name)

    def enum(self, cls: type[enum.Enum]) -> JSON:
        return self.define(cls.__name__, _enum_schema(cls))

    def schemas(self, instrument: ScoredInstrument) -> DocumentSchemas:
        """Return the schemas of ``instrument``'s documents, made once for this builder."""
        if instrument.key not in self._schemas:
            self._schemas[instrument.key] = instrument.documents.schemas()
        return self._schemas[instrument.key]

    def definition(self, name: str) -> collections.abc.Mapping[str, object]:
        """Return the definition ``name`` of an instrument (or of one of its enums)."""
        for instrument in SCORED:
            self.schemas(instrument)
        # The instruments this builder was given first, then the registered ones.
        for schemas in self._schemas.values():
            if name in schemas.definitions:
                return schemas.definitions[name]
            for cls in schemas.enums:
                if cls.__name__ == name:
                    return _enum_schema(cls)
        raise KeyError(f"no definition {name!r} in the instruments' schemas")

    def fragment(self, schema: collections.abc.Mapping[str, object]) -> JSON:
        """Return a copy of an instrument's ``schema``, defining every definition it refers to."""
        result = copy.deepcopy(dict(schema))
        for name in _references(result):
            if name not in self.defs:
                self.defs[name] = {}  # reserved first: definitions may refer to each other
                self.defs[name] = self.fragment(self.definition(name))
        return result

    def use(self, name: str) -> JSON:
        """Define an instrument's definition ``name`` (and what it refers to); refer to it."""
        return self.fragment(_ref(name))

    def type_schema(self, t: object) -> JSON:
        """Return the schema of the JSON form of ``t``, as the converter writes it."""
        if t is str:
            return {"type": "string"}
        if t is bool:
            return {"type": "boolean"}
        if t is int:
            return {"type": "integer"}
        if t is float:
            return {"type": "number"}
        if t is datetime.date:
            return {"type": "string", "format": "date"}
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return self.enum(t)
        args = typing.get_args(t)
        origin = typing.get_origin(t)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": self.type_schema(args[0])}
        if origin is collections.abc.Mapping and len(args) == 2 and args[0] is str:
            return {"type": "object", "additionalProperties": self.type_schema(args[1])}
        if origin is typing.Union or origin is types.UnionType:
            options = [self.type_schema(a) for a in args if a is not type(None)]
            if type(None) in args:
                options.append(_NULL)
            return {"anyOf": options}
        for instrument in SCORED:
            if t is instrument.documents.score_class:
                return self.use(t.__name__)
        if t is Assessment:
            if "Assessment" not in self.defs:
                self.defs["Assessment"] = {}  # reserved first, as for attrs classes
                body = _assessment_body(self)
                self.defs["Assessment"] = {
                    "description": "The answers a plan was made from (an assessment document).",
                    **body,
                }
            return _ref("Assessment")
        if isinstance(t, type) and attrs.has(t):
            if t.__name__ not in self.defs:
                self.defs[t.__name__] = {}  # reserved first: classes may nest
                self.defs[t.__name__] = self.attrs_class(t)
            return _ref(t.__name__)
        raise TypeError(f"no JSON Schema for {t!r}")

    def attrs_class(self, cls: type) -> JSON:
        hints = typing.get_type_hints(cls)
        properties: JSON = {}
        required: list[str] = []
        for field in attrs.fields(cls):
            if not field.init:
                continue
            schema = dict(self.type_schema(hints[field.name]))
            if (cls.__name__, field.name) in _NON_EMPTY:
                schema["minItems"] = 1
            pattern = _PATTERNS.get((cls.__name__, field.name))
            if pattern:
                schema["pattern"] = pattern
            description = _DESCRIPTIONS.get((cls.__name__, field.name)) or self._described(
                cls.__name__, field.name
            )
            if description:
                schema = {"description": description, **schema}
            properties[field.name] = schema
            if field.default is attrs.NOTHING:
                required.append(field.name)
        doc = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
        return {
            "description": doc,
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    def _described(self, owner: str, name: str) -> str | None:
        """Return the description an instrument gives the field ``name`` of ``owner``."""
        for instrument in SCORED:
            if instrument.key == name:
                field = self.schemas(instrument).fields.get(owner, {})
                return typing.cast("str | None", field.get("description"))
        return None


def _version_property(oldest: int = 1) -> JSON:
    older = list(range(oldest, SCHEMA_VERSION))
    still = (
        f"{' and '.join(map(str, older))} {'is' if len(older) == 1 else 'are'} still read; "
        if older
        else ""
    )
    return {
        "description": (
            f"Version of the document format: {SCHEMA_VERSION} is written; "
            f"{still}may be left out on input."
        ),
        "enum": [*older, SCHEMA_VERSION],
    }


def _document(
    title: str,
    description: str,
    builder: _Builder,
    body: JSON,
    file: str,
    *,
    versioned: bool = True,
    oldest: int = 1,
) -> JSON:
    if versioned:
        properties = typing.cast(JSON, body["properties"])
        body["properties"] = {"schema_version": _version_property(oldest), **properties}
    document: JSON = {
        "$schema": DRAFT,
        "$id": BASE + file,
        "title": title,
        "description": description,
        **body,
    }
    if builder.defs:
        document["$defs"] = dict(sorted(builder.defs.items()))
    return document


def plan_schema() -> JSON:
    """Return the JSON Schema of a ``Plan`` document."""
    builder = _Builder()
    body = builder.attrs_class(Plan)
    body.pop("description")
    return _document(
        "backtriage Plan",
        "What to do now and why: urgency, exercises with cautions, withheld exercises with "
        "reasons, missing inputs and the rules that fired. Written by backtriage.",
        builder,
        body,
        "plan.schema.json",
        oldest=PLAN_SCHEMA_VERSION,
    )


def _rating(instrument: Instrument, description: str, kind: object) -> JSON:
    """Return the schema of a rating's field."""
    return {
        "description": description,
        "type": kind,
        "minimum": instrument.least,
        "maximum": instrument.most,
    }


def _fields(
    builder: _Builder, owner: type, generic: dict[str, JSON], ratings: dict[str, JSON]
) -> JSON:
    """Return the schemas of the fields of ``owner`` (``Assessment``, ``CheckIn``), in order.

    ``generic`` and ``ratings`` give some by name; the scored instruments give the others: the
    field that carries one, its options, and its score where the owner derives it.
    """
    properties: JSON = {}
    for field in attrs.fields(owner):
        name = field.name
        if name in generic:
            properties[name] = generic[name]
        elif name in ratings:
            properties[name] = ratings[name]
        else:
            properties[name] = _instrument_field(builder, owner.__name__, name)
    return properties


def _instrument_field(builder: _Builder, owner: str, name: str) -> JSON:
    """Return the schema of the field ``name`` of ``owner`` that a scored instrument gives."""
    for instrument in SCORED:
        schemas = builder.schemas(instrument)
        if name == instrument.key:
            return builder.fragment(schemas.fields[owner])
        if name in schemas.options:
            return builder.fragment(schemas.options[name])
        if name == instrument.score_attribute:
            return {
                "description": (
                    f"Derived from {instrument.key} and written on output; may be left out."
                ),
                "anyOf": [builder.use(instrument.documents.score_class.__name__), _NULL],
            }
    raise TypeError(f"no JSON Schema for the field {name!r} of {owner}")


def _assessment_body(builder: _Builder) -> JSON:
    """Return the schema of an assessment's fields, its definitions added to ``builder``."""
    generic: dict[str, JSON] = {
        "red_flags": {
            "description": (
                "Every red-flag key of the protocol answered true or false; an absent key "
                "or null is not answered, never 'no'."
            ),
            "type": "object",
            "additionalProperties": {"type": ["boolean", "null"]},
        },
        "findings": {
            "description": (
                "Findings and capabilities answered true or false; an absent key or null "
                "is not known (and, for a required finding, not answered). A list of "
                "names (schema version 1) means these hold."
            ),
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": ["boolean", "null"]}},
                {"type": "array", "items": {"type": "string"}},
            ],
        },
        "preference": {
            "description": "Directional preference, or null when not known.",
            "anyOf": [builder.enum(Preference), _NULL],
        },
        "age": {
            "description": "Whole years, or null.",
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 130,
        },
    }
    ratings = {
        instrument.key: _rating(
            instrument, f"{instrument.description}, or null.", ["integer", "null"]
        )
        for instrument in INSTRUMENTS
    }
    return {
        "type": "object",
        "properties": _fields(builder, Assessment, generic, ratings),
        "additionalProperties": False,
    }


def assessment_schema(protocol: Protocol | None = None) -> JSON:
    """Return the JSON Schema of an ``Assessment`` document.

    With a ``protocol``, the schema of that protocol's assessments: its red-flag keys and its
    findings and capabilities are listed and no other is allowed, so that a schema validator
    refuses a misspelt key as :func:`~backtriage.recommend` does.
    """
    builder = _Builder()
    body = _assessment_body(builder)
    if protocol is None:
        return _document(
            "backtriage Assessment",
            "What an app knows about a person: raw answers, read by backtriage to make a Plan.",
            builder,
            body,
            "assessment.schema.json",
        )
    _restrict_to(protocol, typing.cast(JSON, body["properties"]))
    document = _document(
        f"backtriage Assessment for protocol {protocol.name} {protocol.version}",
        "What an app knows about a person, with the keys of one protocol.",
        builder,
        body,
        "assessment.schema.json",
    )
    document["$id"] = (
        f"{BASE}assessment:{quote(protocol.name, safe='')}:{quote(protocol.version, safe='')}"
    )
    return document


def _restrict_to(protocol: Protocol, properties: JSON) -> None:
    """List the red-flag keys and the findings of ``protocol``, and allow no others."""
    from backtriage.protocol import FactKind

    answer: JSON = {"type": ["boolean", "null"]}
    flags = [f for f in protocol.facts if f.kind is FactKind.RED_FLAG]
    findings = [f for f in protocol.facts if f.kind in (FactKind.FINDING, FactKind.CAPABILITY)]
    red_flags = typing.cast(JSON, properties["red_flags"])
    red_flags["properties"] = {
        f.name: {"description": f.question or f.name, **answer} for f in flags
    }
    red_flags["additionalProperties"] = False
    listed = typing.cast(JSON, properties["findings"])
    shapes = typing.cast(list[JSON], listed.get("anyOf", [listed]))
    for shape in shapes:
        if shape.get("type") == "object":  # {name: true | false | null}
            shape["properties"] = {
                f.name: {"description": f.question or f.name, **answer} for f in findings
            }
            shape["additionalProperties"] = False
        else:  # a list of the names that hold (schema version 1)
            shape["items"] = {"enum": [f.name for f in findings]}


def check_in_schema() -> JSON:
    """Return the JSON Schema of a ``CheckIn`` document."""
    builder = _Builder()
    # The pain-monitoring model rates the pain during an exercise from 0 to 10, as the NRS.
    rating: JSON = {"type": "integer", "minimum": 0, "maximum": 10}
    report = builder.define(
        "ExerciseReport",
        {
            "description": "How one exercise of the plan went since the plan.",
            "type": "object",
            "properties": {
                "done": {"description": "Whether it was done at all.", "type": "boolean"},
                "pain_during": {
                    "description": "Pain while doing it, 0-10; null: not reported (or not done).",
                    "anyOf": [rating, _NULL],
                },
                "next_morning": {
                    "description": "The next morning compared with before; null: not reported.",
                    "anyOf": [builder.enum(NextMorning), _NULL],
                },
            },
            "required": ["done"],
            "additionalProperties": False,
        },
    )
    answer: JSON = {"type": ["boolean", "null"]}
    generic: dict[str, JSON] = {
        "red_flags": {
            "description": (
                "Every red flag asked again, answered true or false; an absent key or null "
                "is not answered, never 'no'."
            ),
            "type": "object",
            "additionalProperties": answer,
        },
        "days": {
            "description": "Whole days since the plan this check-in follows.",
            "type": "integer",
            "minimum": 0,
        },
        "findings": {
            "description": "The findings that changed; the plan's others carry over.",
            "type": "object",
            "additionalProperties": answer,
        },
        "exercises": {
            "description": "A report for exercises the plan gave, by exercise id.",
            "type": "object",
            "additionalProperties": report,
        },
        "age": {
            "description": "The age when it has changed, or null: it carries over.",
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 130,
        },
    }
    ratings = {
        instrument.key: _rating(instrument, f"{instrument.description}.", "integer")
        for instrument in check_in_instruments()
    }
    body: JSON = {
        "type": "object",
        "properties": _fields(builder, CheckIn, generic, ratings),
        "required": [
            field.name for field in attrs.fields(CheckIn) if field.default is attrs.NOTHING
        ],
        "additionalProperties": False,
    }
    return _document(
        "backtriage CheckIn",
        "What a person reports at a follow-up: red flags again, changed findings, pain now, "
        "how each exercise of the plan went, and the days since the plan.",
        builder,
        body,
        "check-in.schema.json",
    )


def follow_up_schema() -> JSON:
    """Return the JSON Schema of a ``FollowUp`` document."""
    builder = _Builder()
    body = builder.attrs_class(FollowUp)
    body.pop("description")
    return _document(
        "backtriage FollowUp",
        "The result of a follow-up: the next plan and one decision per exercise.",
        builder,
        body,
        "follow-up.schema.json",
    )


def instrument_file(instrument: ScoredInstrument, document: str) -> str:
    """Return the file of an instrument's ``document`` (``"answers"`` or ``"score"``)."""
    return f"{instrument.key.replace('_', '-')}-{document}.schema.json"


def answers_schema(instrument: ScoredInstrument) -> JSON:
    """Return the JSON Schema of an instrument's answers document, as its scorer takes them."""
    builder = _Builder()
    body = builder.fragment(builder.schemas(instrument).answers)
    title = typing.cast(str, body.pop("title"))
    description = typing.cast(str, body.pop("description"))
    # schema_version may be given in each object shape of the document.
    for shape in typing.cast(list[JSON], body.get("anyOf", [body])):
        if shape.get("type") == "object":
            properties = typing.cast(JSON, shape["properties"])
            shape["properties"] = {"schema_version": _version_property(), **properties}
    if "properties" not in body:
        # A choice of shapes: the answers by key are defined too, for an API to name them.
        builder.use(instrument.documents.answers_class.__name__)
    return _document(
        title,
        description,
        builder,
        body,
        instrument_file(instrument, "answers"),
        versioned=False,
    )


def _value_document(title: str, file: str, body_of: typing.Callable[[_Builder], JSON]) -> JSON:
    """Return the document schema of one value class, described by its own description."""
    builder = _Builder()
    body = body_of(builder)
    return _document(title, typing.cast(str, body.pop("description")), builder, body, file)


def score_schema(instrument: ScoredInstrument) -> JSON:
    """Return the JSON Schema of an instrument's score document."""
    name = instrument.documents.score_class.__name__
    return _value_document(
        f"backtriage {name}",
        instrument_file(instrument, "score"),
        lambda builder: builder.fragment(builder.schemas(instrument).definitions[name]),
    )


def question_schema() -> JSON:
    """Return the JSON Schema of a ``Question`` document (one item of ``questions()``)."""
    return _value_document(
        "backtriage Question", "question.schema.json", lambda b: b.attrs_class(Question)
    )


def sign_off_schema() -> JSON:
    """Return the JSON Schema of a ``SignOff`` record (``backtriage protocol sign-off``)."""
    schema = _value_document(
        "backtriage SignOff", "sign-off.schema.json", lambda b: b.attrs_class(SignOff)
    )
    # What the schema can say of the record's own rule: a conditional approval lists a condition.
    schema["allOf"] = [
        {
            "if": {"properties": {"decision": {"const": "approved_with_conditions"}}},
            "then": {"properties": {"conditions": {"minItems": 1}}, "required": ["conditions"]},
        },
        {
            "if": {"properties": {"decision": {"const": "approved"}}},
            "then": {"properties": {"conditions": {"maxItems": 0}}},
        },
    ]
    return schema


def problem_schema() -> JSON:
    """Return the JSON Schema of the problem document of ``BacktriageError.to_problem()``."""
    text: JSON = {"type": "string"}
    body: JSON = {
        "type": "object",
        "properties": {
            "type": {
                "description": "A URI naming the kind of problem, one per error class.",
                "type": "string",
                "format": "uri-reference",
            },
            "title": {"description": "A short summary of the kind of problem.", **text},
            "status": {
                "description": "The HTTP status proposed for the response.",
                "type": "integer",
                "minimum": 100,
                "maximum": 599,
            },
            "detail": {"description": "The first problem in words, and how many more.", **text},
            "errors": {
                "description": "Every problem (at most 20): where, what is wrong, what is allowed.",
                "type": "array",
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"description": "JSON path of the bad value.", **text},
                        "problem": {"description": "What is wrong.", **text},
                        "allowed": {"description": "What would be accepted.", **text},
                    },
                    "required": ["path", "problem", "allowed"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["type", "title", "status", "detail", "errors"],
    }
    return _document(
        "backtriage problem document",
        "An RFC 9457 problem document (application/problem+json) for a backtriage error. It "
        "holds no value the person gave. Further members (such as instance) may be added.",
        _Builder(),
        body,
        "problem.schema.json",
        versioned=False,
    )


_BUILDERS: Final[dict[str, typing.Callable[[], JSON]]] = {
    "assessment.schema.json": assessment_schema,
    "plan.schema.json": plan_schema,
    **{
        instrument_file(instrument, document): functools.partial(build, instrument)
        for instrument in SCORED
        for document, build in (("answers", answers_schema), ("score", score_schema))
    },
    "question.schema.json": question_schema,
    "problem.schema.json": problem_schema,
    "sign-off.schema.json": sign_off_schema,
    "check-in.schema.json": check_in_schema,
    "follow-up.schema.json": follow_up_schema,
}


def _component_name(file: str) -> str:
    """Return a shipped document's name under ``components/schemas``: ``plan.schema.json`` is
    ``PlanDocument``, ``sign-off.schema.json`` ``SignOffDocument``."""
    words = file.removesuffix(".schema.json").split("-")
    return "".join(word.capitalize() for word in words) + "Document"


_COMPONENTS: Final = "#/components/schemas/"


def _pointing_at_components(value: object) -> object:
    """Return ``value`` with every ``#/$defs/X`` reference turned into a component reference."""
    if isinstance(value, dict):
        return {
            key: (
                _COMPONENTS + item.removeprefix("#/$defs/")
                if key == "$ref" and isinstance(item, str)
                else _pointing_at_components(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_pointing_at_components(item) for item in value]
    return value


def openapi_components() -> JSON:
    """Return every shipped schema as one consistent set for an OpenAPI 3.1 ``components``.

    Each document is named after its file (``PlanDocument``, ``SignOffDocument``...), each shared
    definition by its own name (``Urgency``, ``Exercise``...), defined once: the files define a
    name the same way wherever it appears (a test keeps them so). References point at
    ``#/components/schemas/``; no ``$id`` or ``$schema`` is kept, so that every reference
    resolves against the OpenAPI document itself.
    """
    schemas: JSON = {}
    for file, build in _BUILDERS.items():
        document = build()
        definitions = typing.cast(JSON, document.pop("$defs", {}))
        for key in ("$schema", "$id"):
            document.pop(key, None)
        for name, definition in definitions.items():
            if schemas.setdefault(name, definition) != definition:
                raise AssertionError(f"{name} is defined differently in {file}")  # pragma: no cover
        schemas[_component_name(file)] = document
    return {"schemas": typing.cast(JSON, _pointing_at_components(dict(sorted(schemas.items()))))}


def render() -> dict[str, str]:
    """Return the text of every schema file, keyed by file name."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in _BUILDERS.items()
    }


def write(directory: Path | None = None) -> list[Path]:
    """Write every schema file into ``directory`` (default: the package's ``schemas/``)."""
    target = directory or Path(__file__).parent / "schemas"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for path in write():
        print(path)
