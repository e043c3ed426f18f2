"""The one cattrs converter of backtriage: every public value to and from plain data.

Structuring is strict: a string is never turned into a number, a number never into a string,
a string never into a list of its characters, and unknown keys are errors. Structuring errors
are reported as :class:`~backtriage.BacktriageError` subclasses whose message gives the path
of the bad field (``$.rules[3].actions[0].refer``), never as a raw cattrs exception group.
"""

from __future__ import annotations

import enum
import math
import typing
from collections.abc import Callable, Mapping
from typing import Any

import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
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
    Refer,
    Selector,
    Source,
    Urgency,
)

__all__ = ["converter", "structure_errors"]

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The converter; use :func:`structure_errors` to turn its errors into readable lines."""


class StructureValueError(ValueError):
    """A value has the wrong shape; the message says what is allowed."""


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_SCALARS: dict[type, str] = {str: "a string", int: "a whole number", bool: "true or false"}


def _structure_enum(value: object, t: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, str):
        try:
            return t(value)
        except ValueError:
            pass
    allowed = ", ".join(str(m.value) for m in t)
    raise StructureValueError(f"{_describe(value)} is not one of: {allowed}")


def _structure_scalar(value: object, t: type) -> object:
    # cattrs dispatches on the class first (functools.singledispatch), so a hook registered by
    # predicate never sees str, int or bool, and cattrs' own hook calls int("2") or
    # bool("no") (which is True). The str hook also receives every StrEnum, whose MRO has str
    # before Enum: those are structured as enums.
    if issubclass(t, enum.Enum):
        return _structure_enum(value, t)
    kind = bool if issubclass(t, bool) else int if issubclass(t, int) else str
    # bool is an int in Python, but True is not a level or a count.
    if type(value) is not kind:
        raise StructureValueError(f"{_describe(value)} is not {_SCALARS[kind]}")
    return value


for _kind in _SCALARS:
    converter.register_structure_hook(_kind, _structure_scalar)


def _structure_float(value: object, _: type) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):  # type: ignore[arg-type]
        raise StructureValueError(f"{_describe(value)} is not a finite number")
    return float(value)  # type: ignore[arg-type]


converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(enum.Enum, _structure_enum)


def _is_homogeneous_tuple(t: object) -> bool:
    args = typing.get_args(t)
    return typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_tuple_factory(t: Any) -> Callable[[object, type], tuple[object, ...]]:
    element = typing.get_args(t)[0]

    def structure(value: object, _: type) -> tuple[object, ...]:
        # A string is iterable, but "abc" is not the list ["a", "b", "c"].
        if not isinstance(value, list | tuple):
            raise StructureValueError(f"{_describe(value)} is not a list")
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


converter.register_structure_hook_factory(_is_homogeneous_tuple, _structure_tuple_factory)


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
        raise StructureValueError(f"{_describe(value)} is not a table ({what})")
    return value


def _shape_error(
    what: str, keys: set[object], shapes: tuple[frozenset[str], ...], allowed: str
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
    return StructureValueError(f"{what} with keys {listed}: {detail}; expected {allowed}")


_CONDITION_SHAPES = (
    "{ fact = ... }, { all = [...] }, { any = [...] } or { at_least = N, of = [...] }"
)
_CONDITION_KEYS = (
    frozenset({"fact"}),
    frozenset({"all"}),
    frozenset({"any"}),
    frozenset({"at_least", "of"}),
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
    raise _shape_error("a condition", keys, _CONDITION_KEYS, _CONDITION_SHAPES)


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
for _cls in (FactIs, AllOf, AnyOf, AtLeast):
    converter.register_unstructure_hook(_cls, _unstructure_condition)

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
    raise _shape_error("an action", keys, _ACTION_KEYS, _ACTION_SHAPES)


def _unstructure_action(action: Action) -> dict[str, object]:
    if isinstance(action, Refer):
        return {"refer": action.urgency.value}
    if isinstance(action, Exclude):
        return {"exclude": converter.unstructure(action.select)}
    return {"caution": converter.unstructure(action.select), "text": action.text}


converter.register_structure_hook(Action, _structure_action)
converter.register_unstructure_hook(Action, _unstructure_action)
for _action_cls in (Refer, Exclude, Caution):
    converter.register_unstructure_hook(_action_cls, _unstructure_action)


def _unstructure_selector(selector: Selector) -> dict[str, object]:
    # Only what is set: a selector reads like the table a person wrote.
    data: dict[str, object] = {}
    for name in ("ids", "families", "movements", "positions", "levels"):
        values = getattr(selector, name)
        if values:
            data[name] = [v.value if isinstance(v, enum.Enum) else v for v in values]
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
            raise StructureValueError(f"the source tag {_describe(tag)} is not a string")
    return tuple(Source(tag, _field(data, tag, str, Source)) for tag in data)


def _unstructure_sources(sources: tuple[Source, ...]) -> dict[str, str]:
    return {s.tag: s.citation for s in sources}


def _is_sources(t: object) -> bool:
    return t == tuple[Source, ...]


converter.register_structure_hook_func(_is_sources, _structure_sources)
converter.register_unstructure_hook_func(_is_sources, _unstructure_sources)


def structure_errors(exc: BaseException, path: str = "$") -> list[tuple[str, str]]:
    """Return ``(path, message)`` for every error inside a cattrs structuring exception."""
    lines = cattrs.transform_error(exc, path=path, format_exception=_format_exception)
    result = []
    for line in lines:
        message, _, where = line.rpartition(" @ ")
        result.append((where, message))
    return result


def _format_exception(exc: BaseException, t: type | None) -> str:
    if isinstance(exc, StructureValueError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required key missing"
    return cattrs.v.format_exception(exc, t)
