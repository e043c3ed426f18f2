"""Failures of the property checks: what the kit reports."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from backtriage.assessment import Assessment
from backtriage.protocol import (
    Protocol,
)


@attrs.frozen
class PropertyFailure:
    """One property of a protocol that does not hold, with the smallest counterexample found.

    ``check`` is the property's name (one of :data:`CHECKS`), ``message`` says in the
    protocol's own terms what went wrong, ``rules`` are the ids of the rules involved (rule ids
    of the protocol, or the engine's own ``engine.prerequisite``, ``engine.urgency`` and
    ``engine.missing_input``), ``assessment`` the smallest assessment found (``None`` when no
    assessment shows it, e.g. a rule that can never fire), ``exercises`` and ``facts`` the
    exercise ids and fact names involved.
    """

    check: str
    message: str
    rules: tuple[str, ...] = ()
    assessment: Assessment | None = attrs.field(default=None, eq=False)
    exercises: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


class InconsistentProtocolError(AssertionError):
    """A protocol failed one or more property checks; ``failures`` holds each one."""

    def __init__(self, protocol: Protocol, failures: Iterable[PropertyFailure]) -> None:
        self.protocol_name = protocol.name
        self.failures = tuple(failures)
        count = len(self.failures)
        head = (
            f"protocol {protocol.name!r} {protocol.version} fails "
            f"{count} propert{'y' if count == 1 else 'ies'}: "
            + ", ".join(f.check for f in self.failures)
        )
        super().__init__("\n\n".join([head, *(f.message for f in self.failures)]))
