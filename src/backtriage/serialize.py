"""The one cattrs converter of backtriage: every public value to and from plain data and JSON.

Public functions:

- :func:`to_dict` / :func:`to_json` turn an :class:`~backtriage.Assessment`,
  :class:`~backtriage.Plan`, :class:`~backtriage.OdiScore`, :class:`~backtriage.StartBackScore`
  or :class:`~backtriage.Protocol` into plain data (``dict``, ``list``, ``str``, ``int``,
  ``float``, ``bool``, ``None``) or JSON text, with ``"schema_version"`` as the first key;
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

import enum
import functools
import json
import math
import re
import sys
import typing
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeAlias, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from backtriage.assessment import Assessment, Preference
from backtriage.errors import BacktriageError, IncompleteError, InvalidAnswerError
from backtriage.instruments.odi import DisabilityBand, OdiScore, OdiSection
from backtriage.instruments.start_back import (
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)
from backtriage.protocol.model import (
    Action,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Exclude,
    FactIs,
    Protocol,
    Refer,
    Selector,
    Source,
    Urgency,
)
from backtriage.recommend import Plan

__all__ = [
    "READABLE_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "Serializable",
    "converter",
    "from_dict",
    "from_json",
    "json_schema",
    "structure_errors",
    "to_dict",
    "to_json",
]

T = TypeVar("T")

SCHEMA_VERSION: Final = 2
"""The schema version :func:`to_dict` writes (2: ``Assessment.findings`` is an object)."""
READABLE_SCHEMA_VERSIONS: Final = (1, 2)
"""The schema versions :func:`from_dict` reads (1: findings as a list of the names that hold)."""
"""The version of the JSON documents written here; see ``docs/interop.md`` for the policy."""

Serializable: TypeAlias = Assessment | Plan | OdiScore | StartBackScore | Protocol
"""The values :func:`to_dict` and :func:`to_json` write and :func:`from_dict` reads."""

_TOP_LEVEL: Final = (Assessment, Plan, OdiScore, StartBackScore, Protocol)
_TOP_LEVEL_NAMES: Final = ", ".join(cls.__name__ for cls in _TOP_LEVEL)

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The converter; use :func:`structure_errors` to turn its errors into readable lines."""

_Part: TypeAlias = str | int
_MISSING: Final = object()


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class StructureValueError(ValueError):
    """A value has the wrong shape.

    ``value`` is what was found, ``expected`` says what is allowed and ``where`` is the path
    from the value being structured down to the bad one (empty when it is that value).
    """

    def __init__(
        self,
        value: object,
        expected: str,
        *,
        where: tuple[_Part, ...] = (),
        message: str | None = None,
    ) -> None:
        self.value = value
        self.expected = expected
        self.where = where
        super().__init__(message or f"{_describe(value)} is not {expected}")


# -- primitives -------------------------------------------------------------------------------


def _is_enum(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum)


@functools.cache
def _enum_allowed(t: type[enum.Enum]) -> str:
    return "one of: " + ", ".join(str(m.value) for m in t)


def _structure_enum(value: object, t: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, str):
        try:
            return t(value)
        except ValueError:
            pass
    raise StructureValueError(value, _enum_allowed(t))


def _strict(kind: type[T], label: str) -> Callable[[object, type], T]:
    def structure(value: object, t: type) -> T:
        if t is not kind:
            # A StrEnum reaches the str hook through its base class; enums take their values.
            return typing.cast(T, _structure_enum(value, t))
        # bool is an int in Python, but True is not a level or a count.
        if type(value) is not kind:
            raise StructureValueError(value, label)
        return value

    return structure


# Registered by class, because cattrs looks class hooks up before predicate hooks: a predicate
# hook for int would never be reached. The hooks pass enums (subclasses of str) on.
for _kind, _label in ((str, "a string"), (int, "a whole number"), (bool, "true or false")):
    converter.register_structure_hook(_kind, _strict(_kind, _label))


def _structure_float(value: object, _: type) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):  # type: ignore[arg-type]
        raise StructureValueError(value, "a finite number")
    return float(value)  # type: ignore[arg-type]


converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook_func(_is_enum, _structure_enum)


def _is_homogeneous_tuple(t: object) -> bool:
    args = typing.get_args(t)
    return typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_tuple_factory(t: Any) -> Callable[[object, type], tuple[object, ...]]:
    element = typing.get_args(t)[0]

    def structure(value: object, _: type) -> tuple[object, ...]:
        # A string is iterable, but "abc" is not the list ["a", "b", "c"].
        if not isinstance(value, list | tuple):
            raise StructureValueError(value, "a list")
        hook = converter.get_structure_hook(element)
        result = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                result.append(hook(item, element))
            except Exception as exc:
                exc.__notes__ = [
                    *getattr(exc, "__notes__", []),
                    IterableValidationNote(f"Structuring @ index {index}", index, element),
                ]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t!r}", errors, t)
        return tuple(result)

    return structure


def _unstructure_tuple_factory(t: Any) -> Callable[[tuple[object, ...]], list[object]]:
    hook = converter.get_unstructure_hook(typing.get_args(t)[0])

    def unstructure(value: tuple[object, ...]) -> list[object]:
        return [hook(item) for item in value]

    return unstructure


converter.register_structure_hook_factory(_is_homogeneous_tuple, _structure_tuple_factory)
converter.register_unstructure_hook_factory(_is_homogeneous_tuple, _unstructure_tuple_factory)


def _field(data: Mapping[str, object], key: str, t: Any, owner: type) -> Any:
    """Structure ``data[key]`` as ``t``, recording ``key`` in the error path."""
    try:
        return converter.structure(data[key], t)
    except Exception as exc:
        exc.__notes__ = [
            *getattr(exc, "__notes__", []),
            AttributeValidationNote(f"Structuring key {key}", key, t),
        ]
        raise ClassValidationError(f"While structuring {owner.__name__}", [exc], owner) from None


def _table(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise StructureValueError(value, f"a table ({what})")
    return value


def _structure_attrs_factory(cls: type[Any]) -> Callable[[object, type], object]:
    # cattrs' generated function fails on a string or a list with "'str' object has no
    # attribute 'keys'"; say instead that a table was expected.
    generated = converter.gen_structure_attrs_fromdict(cls)

    def structure(value: object, t: type) -> object:
        return generated(_table(value, "of key = value pairs"), t)

    return structure


converter.register_structure_hook_factory(attrs.has, _structure_attrs_factory)


def _check_keys(data: Mapping[str, object], allowed: tuple[str, ...], owner: type) -> None:
    """Raise for every key of ``data`` that is not in ``allowed``, naming the allowed ones."""
    unknown = [key for key in data if key not in allowed]
    if unknown:
        expected = "a known key; allowed: " + ", ".join(allowed)
        raise ClassValidationError(
            f"While structuring {owner.__name__}",
            [
                StructureValueError(key, expected, where=(key,), message=f"unknown key {key!r}")
                for key in unknown
            ],
            owner,
        )


def _raise_if(errors: list[Exception], owner: type) -> None:
    if errors:
        raise ClassValidationError(f"While structuring {owner.__name__}", errors, owner)


def _attempt(
    errors: list[Exception], data: Mapping[str, object], key: str, t: Any, owner: type
) -> Any:
    """Structure ``data[key]`` like :func:`_field`, but record a failure and return ``_MISSING``."""
    try:
        return _field(data, key, t, owner)
    except Exception as exc:
        errors.append(exc)
        return _MISSING


# -- protocol shapes: conditions, actions, selectors, sources ----------------------------------


def _shape_error(
    value: object, keys: set[object], shapes: tuple[frozenset[str], ...], allowed: str, what: str
) -> StructureValueError:
    """Say why a table is none of the allowed shapes: unknown, missing or mixed keys."""
    known: set[str] = set().union(*shapes)
    unknown = sorted(str(k) for k in keys if k not in known)
    touched = [shape for shape in shapes if shape & keys]
    if unknown:
        detail = f"unknown key(s) {', '.join(unknown)}"
    elif len(touched) > 1:
        detail = "more than one shape in one table"
    elif touched:
        detail = f"missing key(s) {', '.join(sorted(touched[0] - keys))}"
    else:
        detail = "it is empty"
    listed = sorted(str(k) for k in keys)
    return StructureValueError(
        value,
        f"one of {allowed}",
        message=f"{what} with keys {listed}: {detail}; expected one of {allowed}",
    )


_CONDITION_KEYS = (
    frozenset({"fact"}),
    frozenset({"all"}),
    frozenset({"any"}),
    frozenset({"at_least", "of"}),
)
_CONDITION_SHAPES = (
    "{ fact = ... }, { all = [...] }, { any = [...] } or { at_least = N, of = [...] }"
)


def _structure_condition(value: object, _: type) -> Condition:
    data = _table(value, "a condition")
    keys: set[object] = set(data)
    if keys == {"fact"}:
        return FactIs(_field(data, "fact", str, FactIs))
    if keys == {"all"}:
        return AllOf(_field(data, "all", tuple[Condition, ...], AllOf))
    if keys == {"any"}:
        return AnyOf(_field(data, "any", tuple[Condition, ...], AnyOf))
    if keys == {"at_least", "of"}:
        return AtLeast(
            _field(data, "at_least", int, AtLeast),
            _field(data, "of", tuple[Condition, ...], AtLeast),
        )
    raise _shape_error(value, keys, _CONDITION_KEYS, _CONDITION_SHAPES, "a condition")


def _unstructure_condition(condition: Condition) -> dict[str, object]:
    if isinstance(condition, FactIs):
        return {"fact": condition.fact}
    children = [_unstructure_condition(c) for c in condition.conditions]
    if isinstance(condition, AllOf):
        return {"all": children}
    if isinstance(condition, AnyOf):
        return {"any": children}
    return {"at_least": condition.n, "of": children}


converter.register_structure_hook(Condition, _structure_condition)
converter.register_unstructure_hook(Condition, _unstructure_condition)
for _condition in (FactIs, AllOf, AnyOf, AtLeast):
    converter.register_unstructure_hook(_condition, _unstructure_condition)

_ACTION_SHAPES = "{ refer = URGENCY }, { exclude = SELECTOR } or { caution = SELECTOR, text = ... }"
_ACTION_KEYS = (frozenset({"refer"}), frozenset({"exclude"}), frozenset({"caution", "text"}))


def _structure_action(value: object, _: type) -> Action:
    data = _table(value, "an action")
    keys: set[object] = set(data)
    if keys == {"refer"}:
        return Refer(_field(data, "refer", Urgency, Refer))
    if keys == {"exclude"}:
        return Exclude(_field(data, "exclude", Selector, Exclude))
    if keys == {"caution", "text"}:
        return Caution(
            _field(data, "caution", Selector, Caution), _field(data, "text", str, Caution)
        )
    raise _shape_error(value, keys, _ACTION_KEYS, _ACTION_SHAPES, "an action")


def _unstructure_action(action: Action) -> dict[str, object]:
    if isinstance(action, Refer):
        return {"refer": action.urgency.value}
    if isinstance(action, Exclude):
        return {"exclude": converter.unstructure(action.select)}
    return {"caution": converter.unstructure(action.select), "text": action.text}


converter.register_structure_hook(Action, _structure_action)
converter.register_unstructure_hook(Action, _unstructure_action)
for _action in (Refer, Exclude, Caution):
    converter.register_unstructure_hook(_action, _unstructure_action)


def _unstructure_selector(selector: Selector) -> dict[str, object]:
    # Only what is set: a selector reads like the table a person wrote.
    data: dict[str, object] = {}
    for name in ("ids", "families", "movements", "positions", "levels"):
        values = getattr(selector, name)
        if values:
            data[name] = [v.value if isinstance(v, enum.Enum) else v for v in values]
    if selector.min_level is not None:
        data["min_level"] = selector.min_level
    if selector.all:
        data["all"] = True
    if selector.all_except_in_bed:
        data["all_except_in_bed"] = True
    return data


converter.register_unstructure_hook(Selector, _unstructure_selector)


def _structure_sources(value: object, _: type) -> tuple[Source, ...]:
    data = _table(value, "tag = citation")
    for tag in data:
        if not isinstance(tag, str):
            raise StructureValueError(tag, "a string (a source tag)")
    return tuple(Source(tag, _field(data, tag, str, Source)) for tag in data)


def _unstructure_sources(sources: tuple[Source, ...]) -> dict[str, str]:
    return {s.tag: s.citation for s in sources}


def _is_sources(t: object) -> bool:
    return t == tuple[Source, ...]


converter.register_structure_hook_func(_is_sources, _structure_sources)
converter.register_unstructure_hook_func(_is_sources, _unstructure_sources)


def _check_schema_version(data: Mapping[str, object]) -> None:
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version not in READABLE_SCHEMA_VERSIONS:
        raise StructureValueError(
            version,
            f"{' or '.join(map(str, READABLE_SCHEMA_VERSIONS))} (the schema versions this "
            "backtriage reads)",
            where=("schema_version",),
        )


def _without_schema_version(data: Mapping[str, object]) -> Mapping[str, object]:
    if "schema_version" not in data:
        return data
    _check_schema_version(data)
    return {key: value for key, value in data.items() if key != "schema_version"}


_structure_protocol_fields = make_dict_structure_fn(Protocol, converter)


def _structure_protocol(value: object, t: type) -> Protocol:
    # A protocol is always a whole document, so it may carry the schema version that
    # to_json writes: an exported protocol loads again with load_protocol.
    data = _without_schema_version(_table(value, "a protocol"))
    return _structure_protocol_fields(data, t)


converter.register_structure_hook(Protocol, _structure_protocol)


# -- scores -------------------------------------------------------------------------------------

_ODI_SCORE_KEYS: Final = (
    "raw",
    "answered",
    "missing",
    "multiple_marks",
    "max_raw",
    "percent",
    "percent_rounded",
    "band",
)


def _unstructure_odi_score(score: OdiScore) -> dict[str, object]:
    return {
        "raw": score.raw,
        "answered": score.answered,
        "missing": [section.value for section in score.missing],
        "multiple_marks": [section.value for section in score.multiple_marks],
        "max_raw": score.max_raw,
        "percent": score.percent,
        "percent_rounded": score.percent_rounded,
        "band": score.band.value,
    }


def _same_percent(given: float, derived: float) -> bool:
    # A client may compute 100 * raw / max_raw instead of 20 * raw / answered; both are
    # within an ulp or two of the exact value, which no band boundary is near.
    return math.isclose(given, derived, rel_tol=1e-9, abs_tol=1e-9)


def _structure_odi_score(value: object, _: type) -> OdiScore:
    data = _table(value, "an ODI score")
    _check_keys(data, _ODI_SCORE_KEYS, OdiScore)
    errors: list[Exception] = []
    raw = _attempt(errors, data, "raw", int, OdiScore)
    answered = _attempt(errors, data, "answered", int, OdiScore)
    sections = tuple[OdiSection, ...]
    missing = _attempt(errors, data, "missing", sections, OdiScore) if "missing" in data else ()
    marks = (
        _attempt(errors, data, "multiple_marks", sections, OdiScore)
        if "multiple_marks" in data
        else ()
    )
    _raise_if(errors, OdiScore)
    try:
        score = OdiScore(raw, answered, missing, marks)
    except InvalidAnswerError as exc:
        raise StructureValueError(exc.value, exc.allowed, where=(exc.field,)) from None
    # The derived values are written for readers; on input they are checked, never trusted.
    derived: tuple[tuple[str, Any, object], ...] = (
        ("max_raw", int, score.max_raw),
        ("percent", float, score.percent),
        ("percent_rounded", int, score.percent_rounded),
        ("band", DisabilityBand, score.band),
    )
    for key, kind, expected in derived:
        if key not in data:
            continue
        given = _attempt(errors, data, key, kind, OdiScore)
        if given is _MISSING:
            continue
        same = _same_percent(given, score.percent) if key == "percent" else given == expected
        if not same:
            shown = expected.value if isinstance(expected, enum.Enum) else expected
            errors.append(
                StructureValueError(
                    data[key], f"{shown!r}, derived from raw and answered", where=(key,)
                )
            )
    _raise_if(errors, OdiScore)
    return score


converter.register_unstructure_hook(OdiScore, _unstructure_odi_score)
converter.register_structure_hook(OdiScore, _structure_odi_score)

_START_BACK_SCORE_KEYS: Final = ("total", "psychosocial", "risk")


def _unstructure_start_back_score(score: StartBackScore) -> dict[str, object]:
    return {"total": score.total, "psychosocial": score.psychosocial, "risk": score.risk.value}


def _structure_start_back_score(value: object, _: type) -> StartBackScore:
    data = _table(value, "a STarT Back score")
    _check_keys(data, _START_BACK_SCORE_KEYS, StartBackScore)
    errors: list[Exception] = []
    total = _attempt(errors, data, "total", int, StartBackScore)
    psychosocial = _attempt(errors, data, "psychosocial", int, StartBackScore)
    _raise_if(errors, StartBackScore)
    try:
        score = StartBackScore(total, psychosocial)
    except InvalidAnswerError as exc:
        raise StructureValueError(exc.value, exc.allowed, where=(exc.field,)) from None
    if "risk" in data:
        risk = _field(data, "risk", StartBackRisk, StartBackScore)
        if risk is not score.risk:
            raise StructureValueError(
                data["risk"],
                f"{score.risk.value!r}, derived from total and psychosocial",
                where=("risk",),
            )
    return score


converter.register_unstructure_hook(StartBackScore, _unstructure_start_back_score)
converter.register_structure_hook(StartBackScore, _structure_start_back_score)


# -- assessment ---------------------------------------------------------------------------------

_ASSESSMENT_KEYS: Final = (
    "odi",
    "red_flags",
    "findings",
    "preference",
    "start_back",
    "age",
    "odi_max_missing",
    "odi_score",
)
_SECTION_INDEX: Final = {section.value: i for i, section in enumerate(OdiSection)}
_ITEM_KEYS: Final = frozenset(item.value for item in StartBackItem)


def _json_answer(answer: object) -> object:
    """Return one ODI answer as JSON data: marks become a list, everything else is kept."""
    if isinstance(answer, tuple):
        return list(answer)
    return answer


def _unstructure_odi_input(odi: object) -> object:
    if odi is None:
        return None
    if isinstance(odi, OdiScore):
        return _unstructure_odi_score(odi)
    if isinstance(odi, Mapping):
        # Assessment has checked every key; canonical order makes the output stable.
        answers = {str(key): _json_answer(value) for key, value in odi.items()}
        return {key: answers[key] for key in sorted(answers, key=_SECTION_INDEX.__getitem__)}
    return [_json_answer(value) for value in typing.cast(tuple[object, ...], odi)]


def _unstructure_assessment(assessment: Assessment) -> dict[str, object]:
    return {
        "odi": _unstructure_odi_input(assessment.odi),
        "red_flags": dict(assessment.red_flags),
        "findings": dict(assessment.findings),
        "preference": assessment.preference.value if assessment.preference else None,
        "start_back": (
            _unstructure_start_back_score(assessment.start_back)
            if assessment.start_back is not None
            else None
        ),
        "age": assessment.age,
        "odi_max_missing": assessment.odi_max_missing,
        "odi_score": (
            _unstructure_odi_score(assessment.odi_score)
            if assessment.odi_score is not None
            else None
        ),
    }


_ODI_SHAPES = (
    "an object of section key to answer, a list of ten answers, an ODI score object, or null"
)


def _odi_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    odi = data["odi"]
    if odi is None or isinstance(odi, list):
        return odi
    if isinstance(odi, Mapping):
        if "raw" in odi or "answered" in odi:  # a score, not answers: no section has those keys
            return _attempt(errors, data, "odi", OdiScore, Assessment)
        return dict(odi)
    errors.append(StructureValueError(odi, _ODI_SHAPES, where=("odi",)))
    return _MISSING


def _red_flags_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    flags = data["red_flags"]
    if not isinstance(flags, Mapping):
        errors.append(
            StructureValueError(
                flags, "an object of red-flag key to true, false or null", where=("red_flags",)
            )
        )
        return _MISSING
    # Checked here as well as by Assessment so that every bad answer is reported at once, in
    # JSON words: a red flag is answered true or false, and null is "not answered", never "no".
    for key, answer in flags.items():
        if answer is not None and type(answer) is not bool:
            errors.append(
                StructureValueError(
                    answer, "true, false or null (not answered)", where=("red_flags", key)
                )
            )
    return flags


def _findings_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    findings = data["findings"]
    if isinstance(findings, Mapping):
        # Like red flags: every answer is kept, so that a misspelt key answered false is
        # still refused by recommend() after a round trip.
        for key, answer in findings.items():
            if answer is not None and type(answer) is not bool:
                errors.append(
                    StructureValueError(
                        answer, "true, false or null (not known)", where=("findings", key)
                    )
                )
        return findings
    if not isinstance(findings, list):
        errors.append(
            StructureValueError(
                findings,
                "an object of finding and capability name to true, false or null, "
                "or a list of the names that hold",
                where=("findings",),
            )
        )
        return _MISSING
    # Schema version 1 wrote the names that hold as a list; they still mean "these hold".
    for index, name in enumerate(findings):
        if type(name) is not str:
            errors.append(StructureValueError(name, "a string", where=("findings", index)))
    return findings


def _start_back_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    value = data["start_back"]
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.append(
            StructureValueError(
                value,
                "an object of the nine item answers, a STarT Back score object, or null",
                where=("start_back",),
            )
        )
        return _MISSING
    if not _ITEM_KEYS.intersection(value) and set(value) & set(_START_BACK_SCORE_KEYS):
        return _attempt(errors, data, "start_back", StartBackScore, Assessment)
    try:
        return score_start_back(value)
    except IncompleteError as exc:
        errors.append(
            StructureValueError(
                value,
                "all nine items answered; missing: " + ", ".join(exc.missing),
                where=("start_back",),
            )
        )
    except InvalidAnswerError as exc:
        where: tuple[_Part, ...] = ("start_back",)
        if exc.field in _ITEM_KEYS:
            where = ("start_back", exc.field)
        elif isinstance(exc.value, str):  # one unknown item key
            where = ("start_back", exc.value)
        errors.append(StructureValueError(exc.value, exc.allowed, where=where))
    return _MISSING


def _assessment_error_path(field: str, odi: object) -> tuple[_Part, ...]:
    """Return the JSON path, below the assessment, of a field named by ``Assessment``."""
    if field in _SECTION_INDEX:  # an answer, named by score_odi
        return ("odi", _SECTION_INDEX[field] if isinstance(odi, list) else field)
    if field in _ASSESSMENT_KEYS:
        return (field,)
    return ("odi",)  # score_odi's "answers": the ODI as a whole is malformed


_ASSESSMENT_INPUTS: Final[
    tuple[tuple[str, Callable[[Mapping[str, object], list[Exception]], object]], ...]
] = (
    ("odi", _odi_input),
    ("red_flags", _red_flags_input),
    ("findings", _findings_input),
    ("start_back", _start_back_input),
)
_ASSESSMENT_TYPES: Final[tuple[tuple[str, Any], ...]] = (
    ("preference", Preference | None),
    ("age", int | None),
    ("odi_max_missing", int),
)


def _structure_assessment(value: object, _: type) -> Assessment:
    data = _table(value, "an assessment")
    _check_keys(data, _ASSESSMENT_KEYS, Assessment)
    errors: list[Exception] = []
    kwargs: dict[str, object] = {}
    for key, read in _ASSESSMENT_INPUTS:
        if key in data:
            kwargs[key] = read(data, errors)
    for key, kind in _ASSESSMENT_TYPES:
        if key in data:
            kwargs[key] = _attempt(errors, data, key, kind, Assessment)
    given_score = (
        _attempt(errors, data, "odi_score", OdiScore | None, Assessment)
        if "odi_score" in data
        else _MISSING
    )
    _raise_if(errors, Assessment)
    try:
        assessment = Assessment(**kwargs)
    except InvalidAnswerError as exc:
        where = _assessment_error_path(exc.field, data.get("odi"))
        if where == ("odi",) and isinstance(exc.value, str):
            where = ("odi", exc.value)  # one unknown section key
        raise StructureValueError(exc.value, exc.allowed, where=where) from None
    if given_score is not _MISSING and given_score != assessment.odi_score:
        derived = assessment.odi_score
        raise StructureValueError(
            data["odi_score"],
            "null, as the ODI given cannot be scored"
            if derived is None
            else f"the score of the ODI given (raw {derived.raw}, answered {derived.answered}); "
            "odi_score is derived and may be left out",
            where=("odi_score",),
        )
    return assessment


converter.register_unstructure_hook(Assessment, _unstructure_assessment)
converter.register_structure_hook(Assessment, _structure_assessment)


# -- errors -------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _format_path(parts: tuple[_Part, ...], root: str = "$") -> str:
    """Return a JSONPath such as ``$.rules[3].actions[0]`` or ``$.odi['odi-3']``."""
    text = [root]
    for part in parts:
        if isinstance(part, int):
            text.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            text.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            text.append(f"['{escaped}']")
    return "".join(text)


def _leaves(
    exc: BaseException, where: tuple[_Part, ...] = ()
) -> Iterator[tuple[tuple[_Part, ...], BaseException]]:
    """Yield ``(path parts, error)`` for every single error inside a structuring error."""
    if isinstance(exc, IterableValidationError):
        indexed, plain = exc.group_exceptions()
        for sub, index_note in indexed:
            yield from _leaves(sub, (*where, index_note.index))
        for sub in plain:
            yield from _leaves(sub, where)
    elif isinstance(exc, ClassValidationError):
        named, plain = exc.group_exceptions()
        for sub, name_note in named:
            yield from _leaves(sub, (*where, name_note.name))
        for sub in plain:
            yield from _leaves(sub, where)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*where, key), exc
    elif isinstance(exc, StructureValueError):
        yield (*where, *exc.where), exc
    else:
        yield where, exc


def _message(exc: BaseException) -> str:
    if isinstance(exc, StructureValueError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return "unknown key"
    return cattrs.v.format_exception(exc, None)


def structure_errors(exc: BaseException, path: str = "$") -> list[tuple[str, str]]:
    """Return ``(path, message)`` for every error inside a cattrs structuring exception."""
    return [(_format_path(parts, path), _message(leaf)) for parts, leaf in _leaves(exc)]


def _value_at(data: object, parts: tuple[_Part, ...]) -> object:
    for part in parts:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


def _expected(leaf: BaseException, parts: tuple[_Part, ...]) -> str:
    if isinstance(leaf, StructureValueError):
        return leaf.expected
    if isinstance(leaf, KeyError):
        return f"a value for the required key {parts[-1]!r} (it is missing)"
    if isinstance(leaf, ForbiddenExtraKeysError):
        allowed = typing.cast("tuple[Any, ...]", getattr(leaf.cl, "__attrs_attrs__", ()))
        names = ", ".join(a.alias or a.name for a in allowed if a.init)
        return f"a known key; allowed: {names}"
    return _message(leaf)


def _invalid(exc: BaseException, data: object) -> InvalidAnswerError:
    """Turn a structuring error into one ``InvalidAnswerError`` at the first bad field."""
    leaves = list(_leaves(exc))
    parts, leaf = leaves[0]
    value = leaf.value if isinstance(leaf, StructureValueError) else _value_at(data, parts)
    if isinstance(leaf, ForbiddenExtraKeysError | KeyError) or value is _MISSING:
        value = parts[-1] if parts and isinstance(leaf, ForbiddenExtraKeysError) else None
    allowed = _expected(leaf, parts)
    if len(leaves) > 1:
        others = "; ".join(f"{_format_path(p)}: {_message(e)}" for p, e in leaves[1:])
        allowed += f" (and {len(leaves) - 1} more: {others})"
    return InvalidAnswerError(_format_path(parts), value, allowed)


# -- public functions ---------------------------------------------------------------------------


def _check_class(cls: type) -> None:
    if cls not in _TOP_LEVEL:
        raise TypeError(f"{cls!r} is not serialised by backtriage; use one of {_TOP_LEVEL_NAMES}")


def to_dict(value: Serializable) -> dict[str, object]:
    """Return ``value`` as plain JSON data, ``"schema_version"`` first.

    ``value`` is an :class:`~backtriage.Assessment`, :class:`~backtriage.Plan`,
    :class:`~backtriage.OdiScore`, :class:`~backtriage.StartBackScore` or
    :class:`~backtriage.Protocol`; anything else raises ``TypeError``. Enums become their
    string values, tuples and sets lists; an ``OdiScore`` also carries its derived ``max_raw``,
    ``percent``, ``percent_rounded`` and ``band``, a ``StartBackScore`` its ``risk``.

    >>> to_dict(score_odi([1] * 10))["band"]  # doctest: +SKIP
    'minimal'
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
    when given it must be one of :data:`READABLE_SCHEMA_VERSIONS`. Derived fields (``odi_score``, an
    ``OdiScore``'s ``percent``, ``band``, ...) may be left out too; when given they must agree
    with the fields they are derived from.

    Raises :class:`~backtriage.InvalidAnswerError` whose ``field`` is the JSON path of the first
    bad field (``$.red_flags.fever``) and whose message lists every other one;
    :class:`~backtriage.ProtocolError` for a protocol, as :func:`~backtriage.load_protocol`
    does; ``TypeError`` for a ``cls`` that is not serialised.
    """
    _check_class(cls)
    if cls is Protocol:
        from backtriage.protocol.load import protocol_from_data

        return typing.cast(T, protocol_from_data(data, source="<data>"))
    try:
        if isinstance(data, Mapping):
            data = _without_schema_version(data)
        value = converter.structure(data, cls)
    except Exception as exc:  # every structuring failure becomes one readable error
        raise _invalid(exc, data) from None
    if isinstance(value, Plan):
        _check_plan(value)
    return value


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
    # The urgency is the highest any fired rule sets: a lowered one would hide a referral.
    highest = max((f.urgency for f in plan.fired if f.urgency is not None), default=Urgency.NONE)
    if plan.urgency is not highest:
        raise InvalidAnswerError(
            "$.urgency",
            plan.urgency.value,
            f"the highest urgency of the fired rules: {highest.value!r}",
        )
    for index, withheld in enumerate(plan.withheld):
        if not withheld.reasons:
            raise InvalidAnswerError(
                f"$.withheld[{index}].reasons",
                [],
                "at least one reason for every withheld exercise",
            )
    if len(plan.missing_questions) != len(plan.missing):
        raise InvalidAnswerError(
            "$.missing_questions",
            list(plan.missing_questions),
            f"one question for each of the {len(plan.missing)} missing inputs",
        )
    listed = Counter(
        [*(p.exercise.id for p in plan.exercises), *(w.exercise.id for w in plan.withheld)]
    )
    twice = sorted(exercise_id for exercise_id, count in listed.items() if count > 1)
    if twice:
        raise InvalidAnswerError(
            "$.exercises", twice, "each exercise either given or withheld, once"
        )


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


_SCHEMA_FILES: Final = {Assessment: "assessment.schema.json", Plan: "plan.schema.json"}


def json_schema(cls: type[Assessment] | type[Plan]) -> dict[str, object]:
    """Return the JSON Schema (draft 2020-12) shipped for ``Assessment`` or ``Plan`` documents.

    The same files are in the package as ``backtriage/schemas/*.schema.json`` for clients that
    do not run Python. Raises ``TypeError`` for any other class.
    """
    name = _SCHEMA_FILES.get(cls)
    if name is None:
        raise TypeError(f"{cls!r} has no JSON Schema; use Assessment or Plan")
    from importlib import resources

    text = resources.files("backtriage").joinpath("schemas").joinpath(name).read_text("utf-8")
    return typing.cast(dict[str, object], json.loads(text))
