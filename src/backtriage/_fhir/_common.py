"""What every FHIR reader and writer shares: code systems, resource checks, weight extensions."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Final, Literal, ParamSpec, TypeAlias, TypeVar

from backtriage.errors import InvalidAnswerError

Resource: TypeAlias = dict[str, object]
"""A FHIR resource as JSON data."""

OtherItems: TypeAlias = Literal["error", "ignore"]
"""What to do with an item that belongs to no instrument: refuse it, or skip it."""

LOINC_SYSTEM: Final = "http://loinc.org"
URGENCY_SYSTEM: Final = "urn:backtriage:urgency"
EXERCISE_SYSTEM: Final = "urn:backtriage:exercise"
RULE_SYSTEM: Final = "urn:backtriage:rule"
PREFERENCE_SYSTEM: Final = "urn:backtriage:preference"
NEXT_MORNING_SYSTEM: Final = "urn:backtriage:next-morning"
"""Codes of how the back was the morning after an exercise: better, same, worse."""
QUESTIONNAIRE_URL: Final = "urn:backtriage:questionnaire"
"""The canonical URL prefix of the forms backtriage publishes (``...:screening`` and so on)."""

ORDINAL_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT: Final = "http://hl7.org/fhir/StructureDefinition/itemWeight"
CO_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
WEIGHT_URLS: Final = (ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE)

# R4 statuses; entered-in-error is refused apart, with its own reason.
_STATUSES: Final = ("completed", "amended", "stopped", "in-progress", "entered-in-error")


def check_resource(resource: object, kind: str) -> Mapping[str, object]:
    """Return ``resource`` if it is a resource of ``kind``, or raise naming what is wrong."""
    if not isinstance(resource, Mapping):
        raise InvalidAnswerError("resource", resource, f"a {kind} resource (a JSON object)")
    if resource.get("resourceType") != kind:
        raise InvalidAnswerError("resourceType", resource.get("resourceType"), repr(kind))
    no_modifiers(resource, "modifierExtension")
    return resource


def no_modifiers(element: Mapping[str, object], where: str) -> None:
    """Refuse an element that carries a modifier extension."""
    # FHIR: a modifier extension changes the meaning of its element, and one a reader does
    # not understand must not be ignored. backtriage understands none.
    if element.get("modifierExtension"):
        raise InvalidAnswerError(
            where,
            element["modifierExtension"],
            "no modifierExtension: it may change what the answer means, and it is not understood",
        )


def check_response(resource: object, *, in_progress: bool) -> Mapping[str, object]:
    """Return a ``QuestionnaireResponse`` whose status allows reading it, or raise."""
    response = check_resource(resource, "QuestionnaireResponse")
    status = response.get("status")
    if status == "entered-in-error":
        raise InvalidAnswerError(
            "status", status, "a response that was not entered in error; it must not be scored"
        )
    if status not in _STATUSES:
        raise InvalidAnswerError(
            "status", status, "a QuestionnaireResponse status: " + ", ".join(_STATUSES)
        )
    if status == "in-progress" and not in_progress:
        raise InvalidAnswerError(
            "status",
            status,
            "a finished response (completed, amended or stopped); answers in progress may "
            "still change (pass in_progress=True only to show them)",
        )
    return response


def is_number(value: object) -> bool:
    """Tell whether ``value`` is a finite JSON number (``true`` is not ``1``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def weight_of(element: Mapping[str, object], where: str) -> float | None:
    """Return the weight an element declares by an ``ordinalValue``, ``itemWeight`` or
    ``iso21090-CO-value`` extension, or ``None`` when it declares none.

    Raises :class:`~backtriage.InvalidAnswerError` (field ``where``) for a weight extension
    without a finite number, and for two weight extensions that disagree.
    """
    extensions = element.get("extension")
    if extensions is None:
        return None
    if not isinstance(extensions, list):
        raise InvalidAnswerError(where, extensions, "a list of extensions")
    weights: list[float] = []
    for extension in extensions:
        if not isinstance(extension, Mapping):
            raise InvalidAnswerError(where, extension, "an extension (a JSON object)")
        if extension.get("url") not in WEIGHT_URLS:
            continue
        values = [key for key in extension if isinstance(key, str) and key.startswith("value")]
        value = extension[values[0]] if len(values) == 1 else None
        if values not in (["valueDecimal"], ["valueInteger"]) or not is_number(value):
            raise InvalidAnswerError(
                where, extension, "a weight extension with one finite valueDecimal"
            )
        weights.append(float(value))  # type: ignore[arg-type]
    if len(set(weights)) > 1:
        raise InvalidAnswerError(
            where, weights, "one weight: the weight extensions of one element disagree"
        )
    return weights[0] if weights else None


def reference(field: str, value: object) -> Resource:
    """Return a copy of a Reference given by the caller, or refuse what is not one."""
    if not isinstance(value, Mapping) or not (
        isinstance(value.get("reference"), str)
        or isinstance(value.get("identifier"), Mapping)
        or isinstance(value.get("display"), str)
    ):
        raise InvalidAnswerError(
            field,
            value,
            'a FHIR Reference with a reference, identifier or display, e.g. {"reference": '
            '"Patient/123"}',
        )
    return dict(value)


def check_texts(texts: object, known: Mapping[str, object]) -> Mapping[str, str]:
    """Return the licensed texts an app passes for a form, each key one of ``known``."""
    if texts is None:
        return {}
    if not isinstance(texts, Mapping):
        raise InvalidAnswerError(
            "texts", texts, 'a mapping of linkId or "linkId/position" to text, or None'
        )
    for key, text in texts.items():
        if not isinstance(key, str) or key not in known:
            raise InvalidAnswerError(
                "texts",
                key,
                'a linkId of the form or "linkId/position" of one of its options, e.g. '
                + ", ".join(repr(k) for k in list(known)[:3]),
            )
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswerError(f"texts.{key}", text, "a text that is not empty")
    return texts


# Elements of a resource; the arguments of the readers keep their own names as paths.
_ELEMENTS: Final = frozenset({"resourceType", "status", "item", "modifierExtension"})
_ARGUMENTS: Final = (
    "scale",
    "link_ids",
    "other_items",
    "questionnaire",
    "score_link_id",
    "read_as",
)

_R = TypeVar("_R")
_P = ParamSpec("_P")


def fhir_path(field: str) -> str | None:
    """Return the JSON path of a field a reader names: an item by its linkId.

    ``None`` for a reader's argument (``scale``, ``link_ids.x``, ...), whose name is its path.
    """
    if field == "resource":
        return "$"
    if field in _ELEMENTS:
        return f"$.{field}"
    if field.split(".", 1)[0] in _ARGUMENTS:
        return None
    link_id = field.replace("\\", "\\\\").replace("'", "\\'")
    return f"$..item[?@.linkId=='{link_id}']"


def at_fhir_paths(read: Callable[_P, _R]) -> Callable[_P, _R]:
    """Make ``read`` name the items of its errors by their linkId, as JSON paths."""

    @functools.wraps(read)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return read(*args, **kwargs)
        except InvalidAnswerError as exc:
            path = fhir_path(exc.field)
            if path is None:
                raise
            raise exc.at(path) from None

    return wrapper
