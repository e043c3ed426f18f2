"""The one error hierarchy of backtriage.

Every error is a ``ValueError`` so that code which already guards against bad input keeps
working. Each subclass keeps what went wrong as attributes and builds its message from them, so
that a caller can both show the message and act on the parts.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BacktriageError",
    "IncompleteError",
    "InvalidAnswerError",
    "ProtocolError",
]


class BacktriageError(ValueError):
    """Base class of every error that backtriage raises on bad input."""


class InvalidAnswerError(BacktriageError):
    """An answer is not one of the values allowed for its field.

    ``field`` names the question (for example ``"walking"`` or ``"$.red_flags.fever"``),
    ``value`` is what was given and ``allowed`` says in words what would have been accepted.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value!r} is not allowed; expected {allowed}")


class IncompleteError(BacktriageError):
    """Too much is missing for a result to be computed.

    ``field`` names the instrument or input, ``missing`` the items without an answer and
    ``allowed`` what the caller may do about it.
    """

    def __init__(self, field: str, missing: Iterable[str], allowed: str) -> None:
        self.field = field
        self.missing = tuple(missing)
        self.allowed = allowed
        listed = ", ".join(self.missing) if self.missing else "nothing answered"
        super().__init__(f"{field}: cannot be scored, missing {listed}; {allowed}")


class ProtocolError(BacktriageError):
    """A protocol document cannot be loaded, or a protocol with problems was used.

    ``source`` names the file (or ``"<text>"``), ``where`` the rule, exercise or fact (for
    example ``"rule 'fever_same_day'"``), ``field`` the key inside it and ``problem`` what is
    wrong and how to fix it. Parts that do not apply are ``None``.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        where: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.where = where
        self.field = field
        parts = [p for p in (source, where, field) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)
