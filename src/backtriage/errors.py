"""The one error hierarchy of backtriage.

Every error is a ``ValueError`` so that code which already guards against bad input keeps
working. Each error carries all its problems as structured data in ``errors``: a tuple of
:class:`ErrorDetail`, each with a JSON path (``$.red_flags.fever``), what is wrong and what is
allowed. The first problem is also kept as ``field``, ``value`` and ``allowed``.

Two ways to show an error, for two readers:

- ``str(err)`` is for the developer at the keyboard: it names the path and may show the value
  given, shortened (never longer than 500 characters, whatever the input);
- ``err.to_problem()`` is what an app returns to its client and writes to its logs: an RFC 9457
  problem document with the paths and what is allowed, never a value the person gave.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from typing import ClassVar, Final

import attrs

from backtriage._values import value_eq, value_hash, value_repr

__all__ = [
    "BacktriageError",
    "ErrorDetail",
    "IncompleteError",
    "InvalidAnswerError",
    "ProtocolError",
]

MAX_MESSAGE: Final = 499
"""``str(err)``, ``repr(err)`` and each of ``err.args`` stay at most this long."""

_MAX_KEY: Final = 40  # characters of one key shown in a path
_MAX_PATH: Final = 200
_MAX_TEXT: Final = 400  # characters of a problem or allowed text
_MAX_LISTED: Final = 20  # problems listed in a problem document
_IDENTIFIER: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_DIGITS_PER_BIT: Final = 0.30103
_NOT_ALLOWED: Final = "value not allowed"
_CONTROL: Final = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"


# -- shortening ----------------------------------------------------------------------------------


class _Repr(reprlib.Repr):
    """``reprlib`` with room for a few items, and safe for integers of any size."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxstring = 40
        self.maxother = 40
        self.maxlong = 40
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 4

    def repr_int(self, x: int, level: int) -> str:
        # Python refuses to write an int of more than 4300 digits as text (ValueError).
        if x.bit_length() > 8192:  # about 2500 digits
            return f"<int of about {int(x.bit_length() * _DIGITS_PER_BIT) + 1} digits>"
        return super().repr_int(x, level)


_REPR: Final = _Repr()


def shorten(value: object) -> str:
    """Return a short ``repr`` of ``value`` (at most about 60 characters), never raising."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a broken __repr__ of the caller's object must not hide the error
        return f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key(part: str) -> str:
    part = _clip(part, _MAX_KEY)
    if re.fullmatch(_IDENTIFIER, part):
        return f".{part}"
    escaped = part.replace("\\", "\\\\").replace("'", "\\'")
    # A path is one line, whatever the key holds.
    escaped = re.sub(_CONTROL, lambda m: repr(m.group())[1:-1], escaped)
    return f"['{escaped}']"


def json_path(*parts: str | int) -> str:
    """Return the JSON path of ``parts``: ``json_path("rows", 12, "lifting")`` is
    ``$.rows[12].lifting``; keys that are not plain names are quoted (``$.findings['two words']``)."""
    return _clip(
        "$" + "".join(f"[{p}]" if isinstance(p, int) else _key(p) for p in parts), _MAX_PATH
    )


def _path_of(field: str) -> str:
    """Return the JSON path of ``field`` when its raiser passed none: a JSON path as it is,
    any other name one key at the top (``walking`` is ``$.walking``). A value below the top
    (``$.red_flags.fever``, ``$.exercises.knee_sways``) is named by its raiser, with ``path=``."""
    if not isinstance(field, str) or not field:
        return "$"
    if field.startswith("$"):
        return _clip(field, _MAX_PATH)
    return json_path(field)


_ENTRY: Final = r"([A-Za-z_]+)\[(\d+)\]"


def protocol_path(where: str | None, field: str | None) -> str:
    """Return the JSON path in a protocol document of ``field`` in the entry ``where``:
    ``("exercises[0] (exercise 'a')", "level")`` gives ``$.exercises[0].level``."""
    if field and field.startswith("$"):
        return _clip(field, _MAX_PATH)
    path = "$"
    entry = re.match(_ENTRY, where or "")
    if entry is not None:
        path += f".{entry[1]}[{entry[2]}]"
    if field and not field.startswith("("):  # not "(whole entry)" or "(top level)"
        path += field if field.startswith("[") else f".{field}"
    return _clip(path, _MAX_PATH)


# JSON words for the Python words of the ``allowed`` texts, for clients in any language. The
# patterns here are compiled on first use (re caches them), not at ``import backtriage``.
_JSON_WORDS: Final = (
    (r"\bTrue\b", "true"),
    (r"\bFalse\b", "false"),
    (r"\bNone\b", "null"),
    (r"\ba (?:list or tuple|list, tuple or set|list or a tuple)\b", "an array"),
    (r"\b(?:list, tuple or set|list or tuple)\b", "array"),
    (r"\ba (?:list|tuple|sequence)\b", "an array"),
    (r"\b(?:lists|tuples|sequences)\b", "arrays"),
    (r"\ba table(?: \(of key = value pairs\))?", "an object"),
    (r"\ba (?:mapping|dict)\b", "an object"),
    (r"\b(?:mapping|dict)\b", "object"),
    (r"\ban int, float or Fraction\b", "a number"),
    (r"\ban int\b", "an integer"),
    (r"\bints\b", "integers"),
    (r"\bint\b", "integer"),
    (r"\ba str\b", "a string"),
    (r"\bstrs?\b", "string"),
    (r"\bbool\b", "boolean"),
    (r"\bfloat\b", "number"),
)


def _json_words(text: str) -> str:
    for pattern, word in _JSON_WORDS:
        text = re.sub(pattern, word, text)
    return text


# -- the structured problems ---------------------------------------------------------------------


@attrs.frozen
class ErrorDetail:
    """One problem of an error: where (a JSON path), what is wrong, and what is allowed.

    None of the three holds a value the person gave (a key in a path aside), so a detail may
    be logged and returned as it is; :meth:`to_dict` writes it with JSON words.
    """

    path: str
    """The JSON path of the bad value: ``$.red_flags.fever``, ``$.rows[12].lifting``, or
    ``$.item[?@.linkId=='fever']`` in a FHIR resource."""
    problem: str
    """What is wrong, e.g. ``"value not allowed"``, ``"unknown key"``, ``"missing"``."""
    allowed: str
    """What would have been accepted, in words (empty when nothing can be said)."""

    def to_dict(self) -> dict[str, str]:
        """Return ``{"path", "problem", "allowed"}`` with JSON words (``null``, ``true``)."""
        return {
            "path": self.path,
            "problem": _json_words(_clip(self.problem)),
            "allowed": _json_words(_clip(self.allowed)),
        }

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def _rebuild(
    cls: type[BacktriageError], args: tuple[object, ...], state: dict[str, object]
) -> BacktriageError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class BacktriageError(ValueError):
    """Base class of every error that backtriage raises on bad input.

    ``errors`` holds every problem as an :class:`ErrorDetail`; :meth:`to_problem` gives the
    RFC 9457 problem document to return to a client or to log.
    """

    title: ClassVar[str] = "Invalid input"
    """The ``title`` of the problem document: the same for every error of the class."""
    problem_type: ClassVar[str] = "urn:backtriage:problem:invalid-input"
    """The ``type`` of the problem document, one per class."""
    status: ClassVar[int] = 422
    """The HTTP status the problem document proposes (422: the request cannot be processed)."""
    errors: tuple[ErrorDetail, ...]

    def __init__(self, *args: object) -> None:
        message = " ".join(str(a) for a in args) if args else self.title
        super().__init__(_clip(message, MAX_MESSAGE))
        # The message may quote a value: the problem document says only that input is bad.
        self.errors = (ErrorDetail("$", self.title.lower(), ""),)

    @property
    def path(self) -> str:
        """Return the JSON path of the first problem."""
        return self.errors[0].path if self.errors else "$"

    def __str__(self) -> str:
        return _clip(super().__str__(), MAX_MESSAGE)

    def __repr__(self) -> str:
        name = type(self).__name__
        text = repr(str(self))
        room = MAX_MESSAGE - len(name) - 2
        return f"{name}({text if len(text) <= room else text[: room - 3] + '...'})"

    def __reduce__(
        self,
    ) -> tuple[object, tuple[type[BacktriageError], tuple[object, ...], dict[str, object]]]:
        # Rebuilt without calling __init__ (whose arguments differ by class). A value given by
        # the caller that cannot be pickled travels as its short repr.
        import pickle  # only when an error is pickled: not at ``import backtriage``

        state = dict(self.__dict__)
        if "value" in state:
            try:
                pickle.dumps(state["value"])
            except Exception:
                state["value"] = shorten(state["value"])
        return (_rebuild, (type(self), self.args, state))

    def to_problem(self, *, status: int | None = None) -> dict[str, object]:
        """Return an RFC 9457 problem document (``application/problem+json``) for this error.

        The document holds ``type``, ``title``, ``status``, ``detail`` and an ``errors`` list of
        ``{"path", "problem", "allowed"}`` (at most 20; ``detail`` gives the count), in JSON
        words. It never holds a value the person gave, so it is safe to return to a client and
        to write to a log. ``status`` replaces the proposed HTTP status (:attr:`status`).
        """
        details = self.errors or (ErrorDetail("$", self.title, ""),)
        first = details[0]
        detail = f"{first.path}: {first.problem}"
        if first.allowed:
            detail += f"; expected {first.allowed}"
        if len(details) > 1:
            detail += f" (and {len(details) - 1} more problem(s))"
        return {
            "type": self.problem_type,
            "title": self.title,
            "status": self.status if status is None else status,
            "detail": _json_words(_clip(detail)),
            "errors": [d.to_dict() for d in details[:_MAX_LISTED]],
        }


class InvalidAnswerError(BacktriageError):
    """An answer is not one of the values allowed for its field.

    ``field`` names the question as the raising function knows it (``"walking"``,
    ``"red_flags.fever"`` or a JSON path such as ``"$.red_flags.fever"``), ``value`` is what
    was given and ``allowed`` says in words what would have been accepted. ``path`` is the JSON
    path of the first problem; ``errors`` holds every problem.
    """

    title: ClassVar[str] = "Invalid answer"
    problem_type: ClassVar[str] = "urn:backtriage:problem:invalid-answer"

    def __init__(
        self,
        field: str,
        value: object,
        allowed: str,
        *,
        problem: str | None = None,
        path: str | None = None,
        errors: Iterable[ErrorDetail] = (),
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        first = ErrorDetail(
            _path_of(field) if path is None else _clip(path, _MAX_PATH),
            _clip(problem or _NOT_ALLOWED),
            _clip(allowed),
        )
        more = tuple(errors)
        self.errors = (first, *more[1:]) if more else (first,)
        shown = (
            f"{first.problem}: {shorten(value)}" if problem else f"{shorten(value)} is not allowed"
        )
        message = f"{first.path}: {shown}; expected {allowed}"
        if len(self.errors) > 1:
            others = ", ".join(d.path for d in self.errors[1:6])
            etc = ", ..." if len(self.errors) > 6 else ""
            message += f" (and {len(self.errors) - 1} more: {others}{etc})"
        ValueError.__init__(self, _clip(message, MAX_MESSAGE))

    def at(self, path: str) -> InvalidAnswerError:
        """Return this error with its first problem at ``path`` (a JSON path)."""
        first = self.errors[0]
        return InvalidAnswerError(
            self.field,
            self.value,
            self.allowed,
            problem=None if first.problem == _NOT_ALLOWED else first.problem,
            path=path,
            errors=self.errors,
        )


class IncompleteError(BacktriageError):
    """Too much is missing for a result to be computed.

    ``field`` names the instrument or input, ``missing`` the items without an answer and
    ``allowed`` what the caller may do about it.
    """

    title: ClassVar[str] = "Incomplete answers"
    problem_type: ClassVar[str] = "urn:backtriage:problem:incomplete"

    def __init__(self, field: str, missing: Iterable[str], allowed: str) -> None:
        self.field = field
        self.missing = tuple(missing)
        self.allowed = allowed
        listed = ", ".join(self.missing) if self.missing else "nothing answered"
        problem = f"cannot be scored, missing {listed}"
        self.errors = (ErrorDetail(_path_of(field), _clip(problem), _clip(allowed)),)
        ValueError.__init__(
            self, _clip(f"{self.errors[0].path}: {problem}; {allowed}", MAX_MESSAGE)
        )


class ProtocolError(BacktriageError):
    """A protocol document cannot be loaded, or a protocol with problems was used.

    ``source`` names the file (or ``"<text>"``), ``where`` the rule, exercise or fact (for
    example ``"rule 'fever_same_day'"``), ``field`` the key inside it and ``problem`` what is
    wrong and how to fix it. Parts that do not apply are ``None``.
    """

    title: ClassVar[str] = "Invalid protocol"
    problem_type: ClassVar[str] = "urn:backtriage:problem:invalid-protocol"
    status: ClassVar[int] = 500
    """500: the protocol is the server's, not the client's; pass ``status`` for an upload."""

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        where: str | None = None,
        field: str | None = None,
        errors: Iterable[ErrorDetail] = (),
    ) -> None:
        self.problem = problem
        self.source = source
        self.where = where
        self.field = field
        what = f"{where}: {problem}" if where else problem
        # Given, ``errors`` lists every problem of a document; else this one is the only one.
        self.errors = tuple(errors) or (ErrorDetail(protocol_path(where, field), _clip(what), ""),)
        parts = [p for p in (source, where, field) if p]
        prefix = ": ".join(parts)
        message = f"{prefix}: {problem}" if prefix else problem
        ValueError.__init__(self, _clip(message, MAX_MESSAGE))
