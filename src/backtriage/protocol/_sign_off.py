"""A sign-off record: who approved which protocol, when, on what conditions.

A clinical safety officer signs a protocol off for its content hash, not for its name: the
record names the protocol's name, version and SHA-256, and :func:`~backtriage.load_protocol`
(``signed=record``) refuses a protocol whose hash differs or that the record does not approve.
This module is the plain data; the loader checks a record against a protocol, the converter
reads and writes its JSON, and :func:`backtriage.review.sign_off` makes one.
"""

from __future__ import annotations

import datetime
import re
import typing
from enum import StrEnum

import attrs

from backtriage.errors import InvalidAnswerError

__all__ = ["Decision", "SignOff"]

_HASH = re.compile(r"[0-9a-f]{64}")


class Decision(StrEnum):
    """What the reviewer decided about the protocol."""

    APPROVED = "approved"
    """Approved for use as it is."""
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    """Approved for use on the conditions the record lists (at least one)."""
    NOT_APPROVED = "not_approved"
    """Not to be used: a loader refuses the protocol under this record."""


def _decision(value: object) -> Decision:
    if isinstance(value, Decision):
        return value
    if type(value) is str:
        try:
            return Decision(value)
        except ValueError:
            pass
    raise InvalidAnswerError("decision", value, "one of: " + ", ".join(Decision))


def _text(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if type(value) is not str or not value.strip():
        raise InvalidAnswerError(attribute.name, value, "a non-empty string")


def _maybe_text(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if type(value) is not str:
        raise InvalidAnswerError(attribute.name, value, "a string (empty when there is none)")


def _lines(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if type(value) is not tuple:
        raise InvalidAnswerError(attribute.name, value, "a tuple of non-empty strings")
    for index, line in enumerate(value):
        if type(line) is not str or not line.strip():
            raise InvalidAnswerError(f"{attribute.name}[{index}]", line, "a non-empty string")


def _hash(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if type(value) is not str or _HASH.fullmatch(value) is None:
        raise InvalidAnswerError(
            attribute.name, value, "a SHA-256 as 64 lower-case hexadecimal digits"
        )


def _date(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    # A datetime is a date too, but a record holds the day of the decision, nothing finer.
    if type(value) is not datetime.date:
        raise InvalidAnswerError(attribute.name, value, "a datetime.date (the day of the decision)")


@attrs.frozen
class SignOff:
    """A reviewer's decision about one protocol, named by its content hash.

    ``approved_with_conditions`` needs at least one condition and ``approved`` takes none (it
    would be a conditional approval); ``not_approved`` may list what must change. Raises
    :class:`~backtriage.InvalidAnswerError` naming the field for anything else.
    """

    protocol_name: str = attrs.field(validator=_text)
    protocol_version: str = attrs.field(validator=_text)
    protocol_hash: str = attrs.field(validator=_hash)
    """The SHA-256 of the protocol's canonical JSON (:func:`backtriage.review.protocol_hash`)."""
    library_version: str = attrs.field(validator=_text)
    """The backtriage version the protocol was reviewed with."""
    date: datetime.date = attrs.field(validator=_date)
    reviewer: str = attrs.field(validator=_text)
    role: str = attrs.field(validator=_text)
    """The reviewer's role, e.g. "Clinical safety officer (DCB0129)", with registration."""
    decision: Decision = attrs.field(converter=_decision)
    conditions: tuple[str, ...] = attrs.field(default=(), validator=_lines)
    """What must hold for the approval to stand, one per line."""
    residual_risks: tuple[str, ...] = attrs.field(default=(), validator=_lines)
    """The risks accepted as they are, one per line (each with its hazard-log entry)."""
    hazard_log: str = attrs.field(default="", validator=_maybe_text)
    """Where the hazards of this protocol are logged (a document, version and entries)."""

    def __attrs_post_init__(self) -> None:
        if self.decision is Decision.APPROVED_WITH_CONDITIONS and not self.conditions:
            raise InvalidAnswerError(
                "conditions",
                [],
                "at least one condition when the decision is approved_with_conditions",
            )
        if self.decision is Decision.APPROVED and self.conditions:
            raise InvalidAnswerError(
                "conditions",
                list(self.conditions),
                "no condition when the decision is approved (with conditions, the decision is "
                "approved_with_conditions)",
            )

    @property
    def approves(self) -> bool:
        """Whether the record lets the protocol be used (approved, with conditions or not)."""
        return self.decision is not Decision.NOT_APPROVED
