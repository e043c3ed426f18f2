"""A problem that a static check finds in a protocol."""

from __future__ import annotations

import attrs

from backtriage._values import value_eq, value_hash, value_repr

__all__ = ["Problem"]


@attrs.frozen
class Problem:
    """One problem found in a protocol.

    ``code`` is stable (for tests and tooling), ``where`` names the rule, exercise or fact,
    ``message`` says what is wrong and ``fix`` how to put it right.
    """

    code: str
    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}] Fix: {self.fix}"

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash
