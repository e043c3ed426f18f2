"""The one cattrs converter of backtriage, its strict hooks and its errors.

Structuring is strict: a string is never turned into a number, a number never into a string,
a string never into a list of its characters, and unknown keys are errors. A structuring
failure is turned into readable ``(path, message)`` pairs or one
:class:`~backtriage.InvalidAnswerError` at the first bad field. This module knows no document
of its own: the protocol and assessment documents register their hooks in
:mod:`backtriage._convert._protocol` and :mod:`backtriage._convert._documents`, and
:mod:`backtriage.serialize` registers the plan's. It imports none of its users.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import typing
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

from backtriage.errors import (
    ErrorDetail,
    InvalidAnswerError,
    ProtocolError,
    shorten,
)

T = TypeVar("T")

SCHEMA_VERSION: Final = 3
"""The schema version :func:`to_dict` writes (3: a plan's structured safety net and texts)."""
READABLE_SCHEMA_VERSIONS: Final = (1, 2, 3)
"""The schema versions :func:`from_dict` reads (1: findings as a list of the names that hold;
a plan only from 3, as older plans lack the texts and the structured safety net)."""
"""The version of the JSON documents written here; see ``docs/interop.md`` for the policy."""


converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
"""The converter; use :func:`structure_errors` to turn its errors into readable lines."""

Part: TypeAlias = str | int
MISSING: Final = object()


def _describe(value: object) -> str:
    return shorten(value)  # safe for any value, a 5000-digit int too


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
        where: tuple[Part, ...] = (),
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
# A StrEnum is a str, which cattrs passes on as it is: plain data holds the plain value.
converter.register_unstructure_hook(enum.StrEnum, lambda member: member.value)


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


def structure_field(data: Mapping[str, object], key: str, t: Any, owner: type) -> Any:
    """Structure ``data[key]`` as ``t``, recording ``key`` in the error path."""
    try:
        return converter.structure(data[key], t)
    except Exception as exc:
        exc.__notes__ = [
            *getattr(exc, "__notes__", []),
            AttributeValidationNote(f"Structuring key {key}", key, t),
        ]
        raise ClassValidationError(f"While structuring {owner.__name__}", [exc], owner) from None


def as_table(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise StructureValueError(value, f"a table ({what})")
    return value


def _structure_attrs_factory(cls: type[Any]) -> Callable[[object, type], object]:
    # cattrs' generated function fails on a string or a list with "'str' object has no
    # attribute 'keys'"; say instead that a table was expected.
    generated = converter.gen_structure_attrs_fromdict(cls)

    def structure(value: object, t: type) -> object:
        return generated(as_table(value, "of key = value pairs"), t)

    return structure


converter.register_structure_hook_factory(attrs.has, _structure_attrs_factory)


def check_keys(data: Mapping[str, object], allowed: tuple[str, ...], owner: type) -> None:
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


def raise_if(errors: list[Exception], owner: type) -> None:
    if errors:
        raise ClassValidationError(f"While structuring {owner.__name__}", errors, owner)


def attempt(
    errors: list[Exception], data: Mapping[str, object], key: str, t: Any, owner: type
) -> Any:
    """Structure ``data[key]`` like :func:`structure_field`, but record a failure and return ``MISSING``."""
    try:
        return structure_field(data, key, t, owner)
    except Exception as exc:
        errors.append(exc)
        return MISSING


def check_schema_version(data: Mapping[str, object]) -> None:
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version not in READABLE_SCHEMA_VERSIONS:
        raise StructureValueError(
            version,
            f"{' or '.join(map(str, READABLE_SCHEMA_VERSIONS))} (the schema versions this "
            "backtriage reads)",
            where=("schema_version",),
        )


def without_schema_version(data: Mapping[str, object]) -> Mapping[str, object]:
    if "schema_version" not in data:
        return data
    check_schema_version(data)
    return {key: value for key, value in data.items() if key != "schema_version"}


# -- errors -------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _format_path(parts: tuple[Part, ...], root: str = "$") -> str:
    """Return a JSONPath such as ``$.rules[3].actions[0]`` or ``$.findings['left leg']``."""
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
    exc: BaseException, where: tuple[Part, ...] = ()
) -> Iterator[tuple[tuple[Part, ...], BaseException]]:
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


def _value_at(data: object, parts: tuple[Part, ...]) -> object:
    for part in parts:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return data


def _expected(leaf: BaseException, parts: tuple[Part, ...]) -> str:
    if isinstance(leaf, StructureValueError):
        return leaf.expected
    if isinstance(leaf, KeyError):
        return f"a value for the required key {parts[-1]!r} (it is missing)"
    if isinstance(leaf, ForbiddenExtraKeysError):
        allowed = typing.cast("tuple[Any, ...]", getattr(leaf.cl, "__attrs_attrs__", ()))
        names = ", ".join(a.alias or a.name for a in allowed if a.init)
        return f"a known key; allowed: {names}"
    if isinstance(leaf, ProtocolError) and " is not " in leaf.problem:
        # The model's checks say "<value> is not <allowed>": only what is allowed is kept.
        return leaf.problem.split(" is not ", 1)[1]
    # Other messages may quote the value: they are not passed on.
    return "a value of the documented type"


def invalid(exc: BaseException, data: object) -> InvalidAnswerError:
    """Turn a structuring error into one ``InvalidAnswerError`` at the first bad field."""
    leaves = list(_leaves(exc))
    parts, leaf = leaves[0]
    value = leaf.value if isinstance(leaf, StructureValueError) else _value_at(data, parts)
    if isinstance(leaf, ForbiddenExtraKeysError | KeyError) or value is MISSING:
        value = parts[-1] if parts and isinstance(leaf, ForbiddenExtraKeysError) else None
    details = [ErrorDetail(_format_path(p), _problem(e), _expected(e, p)) for p, e in leaves]
    first = details[0]
    problem = first.problem if first.problem != _NOT_ALLOWED else None
    return InvalidAnswerError(first.path, value, first.allowed, problem=problem, errors=details)


_NOT_ALLOWED: Final = "value not allowed"


def _problem(leaf: BaseException) -> str:
    """Say what is wrong, without the value: the words of a problem document."""
    if isinstance(leaf, ForbiddenExtraKeysError):
        return "unknown key"
    if isinstance(leaf, KeyError):
        return "required key missing"
    if isinstance(leaf, StructureValueError) and str(leaf).startswith("unknown key"):
        return "unknown key"
    return _NOT_ALLOWED
