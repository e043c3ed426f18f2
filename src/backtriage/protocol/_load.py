"""Read a protocol from TOML or JSON, with errors that name the file, the item and the field."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from backtriage.errors import ErrorDetail, ProtocolError, protocol_path
from backtriage.protocol._model import Protocol
from backtriage.protocol._sign_off import SignOff

__all__ = ["check_signed", "load_protocol", "protocol_from_data"]

_INDEX = re.compile(r"^\$\.(exercises|facts|rules|policies)\[(\d+)\](.*)$")
_ID_KEY = {"exercises": "id", "facts": "name", "rules": "id", "policies": "id"}
_NOUN = {"exercises": "exercise", "facts": "fact", "rules": "rule", "policies": "policy"}


def load_protocol(
    source: str | PathLike[str] | Mapping[str, object] | None = None,
    *,
    text: str | None = None,
    signed: SignOff | Mapping[str, object] | None = None,
) -> Protocol:
    """Load a protocol from a TOML or JSON file, from TOML/JSON text, or from parsed data.

    - ``load_protocol(path)``: ``path`` is a ``str`` or path-like naming a file; a ``.json``
      file is JSON, any other TOML. A string is always a path, never read as a document.
    - ``load_protocol(text=document)``: the document itself, TOML or JSON (JSON when it starts
      with ``{``, which no TOML document can), so ``load_protocol(text=to_json(p)) == p``.
    - ``load_protocol(mapping)``: data as :func:`~backtriage.to_dict` gives it, or as a TOML
      parser returns it.

    Raises :class:`~backtriage.ProtocolError` naming the file, the rule, exercise or fact and the
    field for every malformed input, including a cycle in exercise prerequisites. Static
    problems that do not stop loading (an unknown fact in a rule, say) are kept for
    :meth:`Protocol.check`; :func:`~backtriage.recommend` refuses such a protocol.

    With ``signed`` (a :class:`~backtriage.protocol.SignOff`, or its JSON data as
    :func:`~backtriage.to_dict` writes it), the protocol is also checked
    against the record (:func:`check_signed`): a protocol changed since it was signed, or one
    the record does not approve, raises :class:`~backtriage.ProtocolError`, so that an app can
    refuse to run anything but what a clinician signed off.
    """
    if isinstance(signed, Mapping):
        signed = _record(signed)
    if signed is not None and not isinstance(signed, SignOff):
        raise ProtocolError(
            f"signed must be a SignOff record (or its JSON data), not {type(signed).__name__}",
            field="signed",
        )
    protocol, name = _load(source, text)
    if signed is not None:
        check_signed(protocol, signed, source=name)
    return protocol


def _record(data: Mapping[str, object]) -> SignOff:
    """Read a sign-off record from its JSON data; a bad one is a ProtocolError at ``signed``."""
    from backtriage._convert import converter, invalid, without_schema_version

    try:
        record: SignOff = converter.structure(without_schema_version(data), SignOff)
    except Exception as exc:
        error = invalid(exc, data)
        raise ProtocolError(
            f"not a valid sign-off record: {error}", field="signed", errors=error.errors
        ) from None
    return record


def check_signed(protocol: Protocol, record: SignOff, *, source: str | None = None) -> None:
    """Raise :class:`~backtriage.ProtocolError` unless ``record`` approves ``protocol`` as it is.

    The protocol's content hash must be the one the record names (any change since the
    sign-off, down to one word, changes it), and the decision must approve its use
    (``approved`` or ``approved_with_conditions``; the conditions are the deployer's to keep).
    """
    if not isinstance(record, SignOff):
        raise ProtocolError(
            f"expected a SignOff record, not {type(record).__name__}", field="signed"
        )
    # The hash needs the converter, which loading the shipped protocol does not import.
    from backtriage.protocol._digest import protocol_hash

    digest = protocol_hash(protocol)
    if digest != record.protocol_hash:
        raise ProtocolError(
            f"{protocol.name} {protocol.version} (sha256 {digest}) is not the protocol the "
            f"sign-off record names ({record.protocol_name} {record.protocol_version}, sha256 "
            f"{record.protocol_hash}): it changed since it was signed, or the record is for "
            "another protocol; review and sign off this version before using it",
            source=source,
            field="signed",
        )
    if not record.approves:
        raise ProtocolError(
            f"the sign-off record of {record.protocol_name} {record.protocol_version} "
            f"(by {record.reviewer}, {record.date.isoformat()}) does not approve its use "
            f"(decision {record.decision.value})",
            source=source,
            field="signed",
        )


def _load(
    source: str | PathLike[str] | Mapping[str, object] | None, text: str | None
) -> tuple[Protocol, str]:
    if text is not None:
        if source is not None:
            raise ProtocolError("give a path or a mapping, or text=, not both", field="source")
        if not isinstance(text, str):
            raise ProtocolError(
                f"text must be a str (a TOML or JSON document), not {type(text).__name__}",
                field="text",
            )
        return protocol_from_data(_parse(text, "<text>"), source="<text>"), "<text>"
    if isinstance(source, Mapping):
        return protocol_from_data(source, source="<data>"), "<data>"
    if not isinstance(source, str | PathLike):
        raise ProtocolError(
            f"expected a path (str or path-like), a mapping, or text=..., not "
            f"{type(source).__name__}",
            field="source",
        )
    path = Path(source)
    name = str(path)
    try:
        document = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProtocolError(f"no such file{_text_hint(source)}", source=_short(name)) from None
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not UTF-8 text ({exc.reason})", source=name) from None
    except OSError as exc:
        raise ProtocolError(
            f"cannot read it ({exc.strerror}){_text_hint(source)}", source=_short(name)
        ) from None
    except ValueError as exc:  # a path with a NUL byte in it
        raise ProtocolError(f"cannot read it ({exc})", source=_short(name)) from None
    return protocol_from_data(_parse(document, name), source=name), name


def _text_hint(source: object) -> str:
    # Not a guess: the path is still refused, but a document passed as one gets a pointer.
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return "; to load a document held in a string, use load_protocol(text=...)"
    return ""


def _short(name: str) -> str:
    # A document passed where a path belongs must not come back whole in the message. A long
    # path keeps its end: the file's name is what the reader needs.
    return name if len(name) <= 80 else "..." + name[-77:]


def _parse(text: str, name: str) -> object:
    # Both parsers recurse once per nesting level: a hostile or broken document nested a few
    # hundred levels deep would otherwise escape as a RecursionError.
    if name.endswith(".json") or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", source=name
            ) from None
        except RecursionError:
            raise ProtocolError(_TOO_DEEP, source=name) from None
        except ValueError as exc:
            raise ProtocolError(_unreadable("JSON", exc), source=name) from None
    import tomllib  # only for a TOML document: the shipped protocol usually comes ready-made

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"not valid TOML: {exc}", source=name) from None
    except RecursionError:
        raise ProtocolError(_TOO_DEEP, source=name) from None
    except ValueError as exc:
        raise ProtocolError(_unreadable("TOML", exc), source=name) from None


def _unreadable(kind: str, exc: ValueError) -> str:
    # Python refuses to read integers of more digits than sys.get_int_max_str_digits().
    if "digits" in str(exc):
        limit = sys.get_int_max_str_digits()
        return f"not valid {kind}: a number has more than {limit} digits; no protocol needs one"
    return f"not valid {kind}: {exc}"


_MAX_DEPTH = 64
"""How deeply tables and lists may nest in a protocol document (conditions nest in pairs)."""
_TOO_DEEP = f"nested more than {_MAX_DEPTH} tables and lists deep; flatten the condition"


def _too_deep(data: object) -> str | None:
    """Return the path of the first value nested deeper than ``_MAX_DEPTH``, if there is one."""
    # Iterative, so that the check itself cannot overflow the stack.
    stack: list[tuple[object, str, int]] = [(data, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, Mapping | list | tuple) and depth > _MAX_DEPTH:
            return path
        if isinstance(value, Mapping):
            stack.extend((v, f"{path}.{k}", depth + 1) for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
    return None


def protocol_from_data(data: object, *, source: str = "<data>") -> Protocol:
    """Build a protocol from already parsed data (the shape of the TOML document).

    Raises :class:`~backtriage.ProtocolError` as :func:`load_protocol` does.
    """
    if not isinstance(data, Mapping):
        raise ProtocolError("the document must be a table at the top level", source=source)
    deep = _too_deep(data)
    if deep is not None:
        where, field, message = _locate(data, deep, _TOO_DEEP)
        raise ProtocolError(message, source=source, where=where, field=field)
    # The converter (cattrs and its hooks) is imported when a document is first structured:
    # the shipped protocol usually comes ready-made (default_protocol), without it.
    from backtriage._convert import converter, structure_errors

    try:
        protocol = converter.structure(data, Protocol)
    except Exception as exc:
        lines = [_locate(data, path, message) for path, message in structure_errors(exc)]
        first = lines[0]
        more = (
            ""
            if len(lines) == 1
            else f" (and {len(lines) - 1} more: "
            + "; ".join(f"{w or 'top level'}: {f}: {m}" for w, f, m in lines[1:])
            + ")"
        )
        where, field, message = first
        raise ProtocolError(
            message + more,
            source=source,
            where=where,
            field=field,
            errors=[_detail(w, f, m) for w, f, m in lines],
        ) from None
    problems = protocol.check()
    cycles = [p for p in problems if p.code == "prerequisite-cycle"]
    if cycles:
        # A cycle is often the symptom of another mistake (two exercises with one id): name
        # every problem, so that the real fault is in the message too.
        others = [str(p) for p in problems if p is not cycles[0]]
        also = f" (also: {'; '.join(others)})" if others else ""
        raise ProtocolError(
            f"{cycles[0].message} [prerequisite-cycle]; {cycles[0].fix}{also}",
            source=source,
            where=cycles[0].where,
            field="prerequisites",
        )
    return protocol


def _detail(where: str | None, field: str, message: str) -> ErrorDetail:
    """Return one problem of a document; "<value> is not <allowed>" keeps only what is allowed."""
    value, is_not, allowed = message.partition(" is not ")
    if is_not and not value.startswith(("a ", "an ", "the ")):
        return ErrorDetail(protocol_path(where, field), "value not allowed", allowed)
    return ErrorDetail(protocol_path(where, field), message, "")


def _locate(data: Mapping[str, object], path: str, message: str) -> tuple[str | None, str, str]:
    """Turn ``$.rules[3].actions[0].refer`` into ``("rule 'x'", "actions[0].refer", message)``."""
    match = _INDEX.match(path)
    if match is None:
        return None, path.removeprefix("$.") or "(top level)", message
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    items = data.get(section)
    ident: object = None
    if isinstance(items, list) and index < len(items) and isinstance(items[index], Mapping):
        ident = items[index].get(_ID_KEY[section])
    label = (
        f"{_NOUN[section]} {ident!r}"
        if isinstance(ident, str)
        else f"{_NOUN[section]} #{index + 1}"
    )
    return f"{section}[{index}] ({label})", rest.removeprefix(".") or "(whole entry)", message
