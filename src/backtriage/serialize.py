"""The one cattrs converter of backtriage: every public value to and from plain data and JSON.

Public functions:

- :func:`to_dict` / :func:`to_json` turn an :class:`~backtriage.Assessment`,
  :class:`~backtriage.Plan`, an instrument's score, :class:`~backtriage.Question`,
  :class:`~backtriage.Protocol`, a :class:`~backtriage.protocol.SignOff` record, or an
  instrument's answers document (the questionnaires of :mod:`backtriage.instruments`) into plain
  data (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``) or JSON text, with
  ``"schema_version"`` as the first key;
- :func:`from_dict` / :func:`from_json` read them back. The round trip is lossless.

Structuring is strict: a string is never turned into a number, a number never into a string,
a string never into a list of its characters, and unknown keys are errors. A bad document
raises :class:`~backtriage.InvalidAnswerError` whose ``field`` is the JSON path of the first bad
field (``$.red_flags.fever``) and whose message lists the others, never a raw cattrs exception
group; a protocol document raises :class:`~backtriage.ProtocolError`, as
:func:`~backtriage.load_protocol` does. Field names, enum values and the schema version policy
are documented in ``docs/interop.md``.
"""

from __future__ import annotations

import functools
import json
import sys
import typing
from collections import Counter
from collections.abc import Mapping
from typing import Final, TypeAlias, TypeVar

from backtriage._convert import (
    READABLE_SCHEMA_VERSIONS,
    SCHEMA_VERSION,
    converter,
    invalid,
    structure_errors,
    without_schema_version,
)
from backtriage._follow_up import FollowUp
from backtriage._plan import Plan, Question, check_steps
from backtriage.assessment import Assessment, CheckIn
from backtriage.errors import (
    BacktriageError,
    InvalidAnswerError,
)
from backtriage.instruments._registry import SCORED, Answers, Score
from backtriage.protocol import (
    Protocol,
    SignOff,
    Urgency,
    protocol_from_data,
)

__all__ = [
    "READABLE_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "Serializable",
    "converter",
    "from_dict",
    "from_json",
    "json_schema",
    "openapi_components",
    "structure_errors",
    "to_dict",
    "to_json",
]

T = TypeVar("T")

Serializable: TypeAlias = (
    Assessment | Plan | Score | Question | Protocol | CheckIn | FollowUp | SignOff | Answers
)
"""The values :func:`to_dict` and :func:`to_json` write and :func:`from_dict` reads."""

_SCORES: Final = tuple(instrument.documents.score_class for instrument in SCORED)
_ANSWERS: Final = tuple(instrument.documents.answers_class for instrument in SCORED)
_TOP_LEVEL: Final = (
    Assessment,
    Plan,
    *_SCORES,
    Question,
    Protocol,
    CheckIn,
    FollowUp,
    SignOff,
    *_ANSWERS,
)
_TOP_LEVEL_NAMES: Final = ", ".join(cls.__name__ for cls in _TOP_LEVEL)


# -- public functions ---------------------------------------------------------------------------


def _check_class(cls: type) -> None:
    if cls not in _TOP_LEVEL:
        raise TypeError(f"{cls!r} is not serialised by backtriage; use one of {_TOP_LEVEL_NAMES}")


def to_dict(value: Serializable) -> dict[str, object]:
    """Return ``value`` as plain JSON data, ``"schema_version"`` first.

    ``value`` is an :class:`~backtriage.Assessment`, :class:`~backtriage.Plan`, an
    instrument's score or answers document, :class:`~backtriage.Question`,
    :class:`~backtriage.Protocol`, a :class:`~backtriage.CheckIn`, a
    :class:`~backtriage.FollowUp` or a :class:`~backtriage.protocol.SignOff`; anything else
    raises ``TypeError``. Enums become their string values, tuples and sets lists; a score also
    carries the values derived from it (its percent, its level...).
    """
    _check_class(type(value))
    data = converter.unstructure(value, type(value))
    return {"schema_version": SCHEMA_VERSION, **data}


def to_json(value: Serializable, *, indent: int | None = None) -> str:
    """Return ``value`` as JSON text (see :func:`to_dict`); ``indent`` pretty-prints it."""
    return json.dumps(to_dict(value), ensure_ascii=False, allow_nan=False, indent=indent)


def from_dict(data: object, cls: type[T]) -> T:
    """Build a ``cls`` from plain data, checking every field.

    ``cls`` is one of the classes :func:`to_dict` writes. ``"schema_version"`` may be left out;
    when given it must be one of :data:`READABLE_SCHEMA_VERSIONS`. Derived fields (an
    assessment's score, a score's percent or level...) may be left out too; when given they
    must agree with the fields they are derived from.

    Raises :class:`~backtriage.InvalidAnswerError` whose ``field`` is the JSON path of the first
    bad field (``$.red_flags.fever``) and whose message lists every other one;
    :class:`~backtriage.ProtocolError` for a protocol, as :func:`~backtriage.load_protocol`
    does; ``TypeError`` for a ``cls`` that is not serialised.
    """
    _check_class(cls)
    if cls is Protocol:
        return typing.cast(T, protocol_from_data(data, source="<data>"))
    if cls is Plan and isinstance(data, Mapping):
        _check_plan_version(data)
    try:
        if isinstance(data, Mapping):
            data = without_schema_version(data)
        value = converter.structure(data, cls)
    except BacktriageError:
        raise  # a check-in names the path of its bad value itself
    except Exception as exc:  # every structuring failure becomes one readable error
        raise invalid(exc, data) from None
    if isinstance(value, Plan):
        _check_plan(value)
    elif isinstance(value, FollowUp):
        _check_plan(value.plan)
    return value


OLDEST_PLAN: Final = 3
"""The oldest schema version of a plan document that :func:`from_dict` reads."""


def _check_plan_version(data: Mapping[str, object]) -> None:
    version = data.get("schema_version")
    if type(version) is int and version in READABLE_SCHEMA_VERSIONS and version < OLDEST_PLAN:
        raise InvalidAnswerError(
            "$.schema_version",
            version,
            f"{OLDEST_PLAN} for a plan: a plan of schema version {version} has its safety net "
            "as one text and not the protocol's texts it is shown with; make the plan again "
            "with recommend() from its assessment (assessments of that version are still read)",
            problem="plan from an older schema version",
        )


def _check_plan(plan: Plan) -> None:
    """Refuse a plan document that breaks what every plan from ``recommend`` keeps.

    A stored plan that was edited, or written by something else, must not show exercises that
    ``recommend`` would never have given.
    """
    if plan.exercises and (plan.missing or plan.urgency >= Urgency.SAME_DAY):
        raise InvalidAnswerError(
            "$.exercises",
            [p.exercise.id for p in plan.exercises],
            "no exercises while anything is missing or the urgency is same_day or emergency",
        )
    # The safety net is in every plan but an emergency: a plan that drops it is not shown.
    if plan.safety_net is None and plan.urgency is not Urgency.EMERGENCY:
        raise InvalidAnswerError(
            "$.safety_net",
            None,
            "the protocol's safety net in every plan below emergency (null only at emergency)",
        )
    # The urgency is the highest any fired rule sets: a lowered one would hide a referral.
    highest = max((f.urgency for f in plan.fired if f.urgency is not None), default=Urgency.NONE)
    if plan.urgency is not highest:
        # Both urgencies derive from the person's answers: shown by str(), never in the
        # problem document.
        raise InvalidAnswerError(
            "$.urgency",
            {"urgency": plan.urgency.value, "highest fired": highest.value},
            "the highest urgency of the fired rules",
        )
    if plan.exercises and not _gives_help_at_once(plan.safety_net):
        # recommend() sends the protocol's safety net with every plan that gives exercises:
        # without it the person is never told which new symptoms mean "get help at once".
        raise InvalidAnswerError(
            "$.safety_net",
            plan.safety_net,
            "the safety net (when to get help at once) with every plan that gives exercises",
        )
    for index, withheld in enumerate(plan.withheld):
        if not withheld.reasons:
            raise InvalidAnswerError(
                f"$.withheld[{index}].reasons",
                [],
                "at least one reason for every withheld exercise",
            )
        for number, reason in enumerate(withheld.reasons):
            if not reason.text.strip():
                raise InvalidAnswerError(
                    f"$.withheld[{index}].reasons[{number}].text",
                    reason.text,
                    "the text of the reason the exercise is withheld",
                )
    if len(plan.missing_questions) != len(plan.missing):
        raise InvalidAnswerError(
            "$.missing_questions",
            list(plan.missing_questions),
            "one question for each missing input, in the same order",
        )
    listed = Counter(
        [*(p.exercise.id for p in plan.exercises), *(w.exercise.id for w in plan.withheld)]
    )
    twice = sorted(exercise_id for exercise_id, count in listed.items() if count > 1)
    if twice:
        raise InvalidAnswerError(
            "$.exercises", twice, "each exercise either given or withheld, once"
        )
    check_steps(plan)


def _gives_help_at_once(safety_net: object) -> bool:
    """Tell whether a plan's safety net names at least one sign to get help at once.

    A text safety net must not be blank; a structured one must name an emergency sign.
    """
    if isinstance(safety_net, str):
        return bool(safety_net.strip())
    signs = getattr(safety_net, "emergency", None)
    return isinstance(signs, tuple) and any(isinstance(s, str) and s.strip() for s in signs)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # JSON allows "fever": false, "fever": true; Python would silently keep the last answer.
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> object:
    raise InvalidAnswerError("$", name, "standard JSON numbers (NaN and Infinity are not JSON)")


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Build a ``cls`` from JSON text; see :func:`from_dict` for what is checked.

    Also raises :class:`~backtriage.InvalidAnswerError` (field ``"$"``) for text that is not
    JSON, for ``NaN`` or ``Infinity``, and for a key repeated in one object.
    """
    _check_class(cls)
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        excerpt = exc.doc[exc.pos : exc.pos + 20] or "(end of text)"
        raise InvalidAnswerError(
            "$", excerpt, f"JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidAnswerError("$", exc.object[exc.start : exc.end], "UTF-8 text") from None
    except _DuplicateKeyError as exc:
        raise InvalidAnswerError(
            "$", exc.key, "each key at most once in a JSON object (the key is repeated)"
        ) from None
    except BacktriageError:
        raise  # NaN or Infinity, refused by _reject_constant
    except RecursionError:
        # The parser recurses once per level: hostile or broken text must not escape as a crash.
        raise InvalidAnswerError(
            "$", "(nested too deeply)", "JSON nested no deeper than an assessment is"
        ) from None
    except ValueError:
        # Python refuses to read integers of more digits than sys.get_int_max_str_digits().
        raise InvalidAnswerError(
            "$",
            "(a number too long to read)",
            f"JSON numbers of at most {sys.get_int_max_str_digits()} digits",
        ) from None
    return from_dict(data, cls)


_SCHEMA_FILES: Final[dict[object, str]] = {
    Assessment: "assessment.schema.json",
    Plan: "plan.schema.json",
    Question: "question.schema.json",
    SignOff: "sign-off.schema.json",
    BacktriageError: "problem.schema.json",
    CheckIn: "check-in.schema.json",
    FollowUp: "follow-up.schema.json",
}
"""The shipped schemas by what :func:`json_schema` is given; the instruments' are added below."""
_ALIASES: Final = tuple(alias for i in SCORED for alias in i.documents.schema_aliases)


@functools.cache
def _schema_files() -> dict[object, str]:
    """Return every shipped schema by what :func:`json_schema` is given, the instruments' too."""
    from backtriage._schema import instrument_file

    files = dict(_SCHEMA_FILES)
    for instrument in SCORED:
        documents = instrument.documents
        files[documents.score_class] = instrument_file(instrument, "score")
        for name in (documents.answers_class, *documents.schema_aliases):
            files[name] = instrument_file(instrument, "answers")
    return files


def _no_schema(cls: object, protocol: Protocol | None) -> TypeError:
    scores = ", ".join(kind.__name__ for kind in _SCORES)
    answers = ", ".join(kind.__name__ for kind in _ANSWERS)
    aliases = " or ".join(repr(alias) for alias in _ALIASES)
    if protocol is not None:
        return TypeError(f"{cls!r} has no JSON Schema for a protocol; use Assessment")
    return TypeError(
        f"{cls!r} has no JSON Schema; use Assessment, CheckIn, Plan, FollowUp, Question, "
        f"SignOff, {scores}, {answers}, BacktriageError or {aliases}"
    )


def json_schema(cls: type | str, *, protocol: Protocol | None = None) -> dict[str, object]:
    """Return a JSON Schema (draft 2020-12) shipped with backtriage.

    ``cls`` is ``Assessment``, ``Plan``, ``Question``, ``SignOff``, ``CheckIn``, ``FollowUp``,
    or an instrument's score or answers class for the documents :func:`to_dict` writes,
    ``BacktriageError`` for the problem document of
    :meth:`~backtriage.BacktriageError.to_problem`, or another name an instrument gives its
    answers document (its file's name without ``.schema.json``). Each has an ``$id``
    (``urn:backtriage:schemas:`` and the file name) against which its relative ``$ref`` s
    resolve, so it may be placed as it is under an OpenAPI 3.1 document's
    ``components/schemas``.

    With ``protocol`` (for ``Assessment`` only), the schema is generated for that protocol: its
    red-flag keys and findings are listed and no other key is allowed, so that a validator
    refuses a misspelt one as :func:`~backtriage.recommend` does.

    The same files are in the package as ``backtriage/schemas/*.schema.json`` for clients that
    do not run Python. Raises ``TypeError`` for anything else.
    """
    name = _schema_files().get(cls)
    if name is None or (protocol is not None and cls is not Assessment):
        raise _no_schema(cls, protocol)
    if protocol is not None:
        if not isinstance(protocol, Protocol):
            raise InvalidAnswerError("protocol", protocol, "a Protocol, or None")
        from backtriage._schema import assessment_schema

        return assessment_schema(protocol)
    from importlib import resources

    text = resources.files("backtriage").joinpath("schemas").joinpath(name).read_text("utf-8")
    return typing.cast(dict[str, object], json.loads(text))


def openapi_components() -> dict[str, object]:
    """Return every shipped JSON Schema as one set for an OpenAPI 3.1 document's ``components``.

    ``{"schemas": {...}}``: each document under a name ending in ``Document``
    (``AssessmentDocument``, ``PlanDocument``, ``ProblemDocument``...) and each definition
    they share (``Urgency``, ``Exercise``...) once, every ``$ref`` pointing
    at ``#/components/schemas/``. Merge it into an API's own components::

        spec["components"] = {**spec.get("components", {}), **bt.openapi_components()}

    and refer to ``#/components/schemas/PlanDocument`` from a response. The schemas are the
    same as :func:`json_schema`'s, without their ``$id``.
    """
    from backtriage._schema import openapi_components as build

    return build()
