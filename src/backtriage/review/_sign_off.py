"""Make a sign-off record of a protocol, for its content hash."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from backtriage._version import __version__
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.protocol import Decision, Protocol, SignOff
from backtriage.protocol._digest import protocol_hash

__all__ = ["sign_off"]


def sign_off(
    protocol: Protocol,
    *,
    reviewer: str,
    role: str,
    decision: Decision | str,
    conditions: Iterable[str] = (),
    residual_risks: Iterable[str] = (),
    hazard_log: str = "",
    date: datetime.date | str | None = None,
) -> SignOff:
    """Return the record of ``reviewer``'s ``decision`` about ``protocol`` as it is now.

    The record names the protocol's name, version and :func:`protocol_hash`, and this
    backtriage's version; ``date`` is the day of the decision (a ``datetime.date`` or
    ``"YYYY-MM-DD"``; today when ``None``). ``decision`` is ``"approved"``,
    ``"approved_with_conditions"`` (with at least one condition) or ``"not_approved"``. Keep
    it with :func:`~backtriage.to_json`, and load the protocol with
    ``load_protocol(path, signed=record)`` to refuse any other version.

    Raises :class:`~backtriage.InvalidAnswerError` naming the argument that is not allowed, and
    :class:`~backtriage.ProtocolError` for an approval of a protocol that ``check()`` finds
    problems in (record ``not_approved`` instead, or fix them first).

    >>> record = sign_off(protocol, reviewer="A. Smith", role="CSO", decision="approved")  # doctest: +SKIP
    """
    if not isinstance(protocol, Protocol):
        raise InvalidAnswerError("protocol", protocol, "a Protocol")
    record = SignOff(
        protocol_name=protocol.name,
        protocol_version=protocol.version,
        protocol_hash=protocol_hash(protocol),
        library_version=__version__,
        date=_day(date),
        reviewer=reviewer,
        role=role,
        decision=decision,  # the converter takes its value too
        conditions=_lines("conditions", conditions),
        residual_risks=_lines("residual_risks", residual_risks),
        hazard_log=hazard_log,
    )
    problems = protocol.check()
    if record.approves and problems:
        raise ProtocolError(
            f"{protocol.name} {protocol.version} has {len(problems)} problem(s), first: "
            f"{problems[0]}; it cannot be approved until they are fixed (a not_approved "
            "decision may be recorded)",
            field="decision",
        )
    return record


def _day(date: datetime.date | str | None) -> datetime.date:
    if date is None:
        return datetime.date.today()
    if type(date) is datetime.date:
        return date
    if type(date) is str:
        try:
            if len(date) == 10:
                return datetime.date.fromisoformat(date)
        except ValueError:
            pass
    raise InvalidAnswerError("date", date, "a datetime.date or a date as YYYY-MM-DD, or None")


def _lines(name: str, lines: Iterable[str]) -> tuple[str, ...]:
    # A string is iterable, but "keep the GP informed" is not a list of its letters.
    if isinstance(lines, str) or not isinstance(lines, Iterable):
        raise InvalidAnswerError(name, lines, "a list of strings (one per line)")
    return tuple(lines)
