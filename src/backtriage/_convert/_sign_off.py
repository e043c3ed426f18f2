"""The sign-off record as a JSON document: the date as ``YYYY-MM-DD``, the decision by value."""

from __future__ import annotations

import datetime
import re
from typing import Final

from backtriage._convert._core import (
    MISSING,
    StructureValueError,
    as_table,
    attempt,
    check_keys,
    converter,
    raise_if,
)
from backtriage.errors import InvalidAnswerError
from backtriage.protocol._sign_off import Decision, SignOff

_KEYS: Final = (
    "protocol_name",
    "protocol_version",
    "protocol_hash",
    "library_version",
    "date",
    "reviewer",
    "role",
    "decision",
    "conditions",
    "residual_risks",
    "hazard_log",
)
_REQUIRED: Final = _KEYS[:8]
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def _structure_date(value: object, _: type) -> datetime.date:
    if type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise StructureValueError(value, "a date as YYYY-MM-DD")


converter.register_structure_hook(datetime.date, _structure_date)
converter.register_unstructure_hook(datetime.date, lambda day: day.isoformat())


def _unstructure_sign_off(record: SignOff) -> dict[str, object]:
    return {
        "protocol_name": record.protocol_name,
        "protocol_version": record.protocol_version,
        "protocol_hash": record.protocol_hash,
        "library_version": record.library_version,
        "date": record.date.isoformat(),
        "reviewer": record.reviewer,
        "role": record.role,
        "decision": record.decision.value,
        "conditions": list(record.conditions),
        "residual_risks": list(record.residual_risks),
        "hazard_log": record.hazard_log,
    }


_TYPES: Final[dict[str, object]] = {
    "date": datetime.date,
    "decision": Decision,
    "conditions": tuple[str, ...],
    "residual_risks": tuple[str, ...],
}


def _structure_sign_off(value: object, _: type) -> SignOff:
    data = as_table(value, "a sign-off record")
    check_keys(data, _KEYS, SignOff)
    errors: list[Exception] = []
    for key in _REQUIRED:
        if key not in data:
            errors.append(
                StructureValueError(
                    None, f"a value for the required key {key!r} (it is missing)", where=(key,)
                )
            )
    fields = {
        key: attempt(errors, data, key, _TYPES.get(key, str), SignOff)
        for key in _KEYS
        if key in data
    }
    raise_if(errors, SignOff)
    try:
        return SignOff(**{k: v for k, v in fields.items() if v is not MISSING})
    except InvalidAnswerError as exc:
        # The record's own rules (a hash of 64 digits, a condition when approved with
        # conditions): at the key they name.
        key = exc.field.split("[", 1)[0]
        index = exc.field[len(key) :].strip("[]")
        where = (key, int(index)) if index.isdigit() else (key,)
        raise StructureValueError(exc.value, exc.allowed, where=where) from None


converter.register_unstructure_hook(SignOff, _unstructure_sign_off)
converter.register_structure_hook(SignOff, _structure_sign_off)
