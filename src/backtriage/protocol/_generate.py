"""Write ``_default_data.py``: the shipped protocol as Python source, generated from default.toml.

``default.toml`` is the document clinicians review. Parsing and structuring it was most of the
first plan of a fresh process, so the package also ships the same protocol as reviewable
Python: one constructor call per exercise, fact, rule and policy, with the SHA-256 of the TOML
text it was made from. :func:`backtriage.default_protocol` uses it only while that hash matches
the TOML read then; a test holds the two equal. After editing ``default.toml`` (or the model),
regenerate it with the command below and review the diff like any other::

    python -m backtriage.protocol._generate          # rewrite _default_data.py
    python -m backtriage.protocol._generate --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import enum
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from backtriage.protocol._default import DEFAULT_TOML
from backtriage.protocol._load import load_protocol
from backtriage.protocol._model import Protocol

__all__ = ["COMMAND", "DEFAULT_DATA", "generate", "render", "toml_sha256"]

COMMAND: Final = "python -m backtriage.protocol._generate"
"""The one command that regenerates ``_default_data.py`` from ``default.toml``."""

DEFAULT_DATA: Final = str(Path(DEFAULT_TOML).with_name("_default_data.py"))

_WIDTH = 100  # the project's line length: a call that fits stays on one line
_INDENT = "    "

_HEADER = '''\
"""The shipped protocol, ready-made: ``default.toml`` as Python source.

Generated from default.toml by `{command}`;
do not edit by hand. A test holds it equal to the TOML document and proves it clean with
``check()``; ``default_protocol()`` uses it only while ``TOML_SHA256`` is the SHA-256 of the
default.toml text read at first use, and loads and checks the TOML itself otherwise.
"""

from __future__ import annotations

{imports}

TOML_SHA256: Final = "{digest}"
"""The SHA-256 of the default.toml text this module was generated from."""
PROTOCOL_SHA256: Final = "{content}"
"""The protocol's content hash (``backtriage.review.protocol_hash``), which every plan records."""


def protocol() -> Protocol:
    """Return the shipped protocol, built anew from the constructors of the model."""
    return {body}
'''


def toml_sha256(text: str) -> str:
    """Return the SHA-256 of a protocol document's text (UTF-8), as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render(protocol: Protocol, text: str) -> str:
    """Return the source of ``_default_data.py`` for ``protocol``, loaded from ``text``."""
    names: dict[str, set[str]] = {Protocol.__module__: {Protocol.__name__}}
    body = _layout(protocol, 1, len("return "), 0, names)
    standard = ["from typing import Final"]
    if "types" in names:
        standard.append(_import_line("types", sorted(names.pop("types"))))
    first_party = [_import_line(module, sorted(found)) for module, found in sorted(names.items())]
    imports = "\n".join(sorted(standard)) + "\n\n" + "\n".join(first_party)
    from backtriage.protocol._digest import compute_hash

    return _HEADER.format(
        command=COMMAND,
        imports=imports,
        digest=toml_sha256(text),
        # A stand-in for a protocol (the generator's own tests) has no content hash.
        content=compute_hash(protocol) if isinstance(protocol, Protocol) else "",
        body=body,
    )


def _import_line(module: str, names: Sequence[str]) -> str:
    one = f"from {module} import {', '.join(names)}"
    if len(one) <= _WIDTH:
        return one
    inner = "".join(f"{_INDENT}{name},\n" for name in names)
    return f"from {module} import ({'' if not inner else chr(10)}{inner})"


def _parts(value: object, names: dict[str, set[str]]) -> tuple[str, list[tuple[str, object]], str]:
    """Split a composite value into its opening, its ``(prefix, item)`` parts and its closing."""
    if type(value) is tuple:
        return "(", [("", item) for item in value], ")"
    if isinstance(value, dict | MappingProxyType):
        opening = "{"
        if type(value) is MappingProxyType:
            names.setdefault("types", set()).add("MappingProxyType")
            opening = "MappingProxyType({"
        parts = [(f"{_flat(k, names)}: ", v) for k, v in value.items()]
        return opening, parts, "})" if opening != "{" else "}"
    if attrs.has(type(value)):
        kind: Any = type(value)
        names.setdefault(kind.__module__, set()).add(kind.__name__)
        parts = [
            (f"{field.alias}=", getattr(value, field.name))
            for field in attrs.fields(kind)
            if field.init and not _is_default(field, getattr(value, field.name))
        ]
        return f"{kind.__name__}(", parts, ")"
    raise TypeError(
        f"cannot write a {type(value).__name__} as Python source: teach "
        "backtriage.protocol._generate._parts how"
    )


def _flat(value: object, names: dict[str, set[str]]) -> str:
    """Return ``value`` as a Python expression on one line."""
    if value is None or type(value) in (bool, int):
        return repr(value)
    if isinstance(value, enum.Enum):
        names.setdefault(type(value).__module__, set()).add(type(value).__name__)
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, str):
        return _string(value)
    opening, parts, closing = _parts(value, names)
    items = [prefix + _flat(item, names) for prefix, item in parts]
    if type(value) is tuple and len(items) == 1:
        return f"({items[0]},)"
    return opening + ", ".join(items) + closing


def _layout(value: object, depth: int, lead: int, trail: int, names: dict[str, set[str]]) -> str:
    """Return ``value`` laid out as the project's formatter does, starting ``lead`` characters
    into a line indented ``depth`` levels and followed by ``trail`` characters.

    On one line when it fits, else one part a line, each with a trailing comma.
    """
    flat = _flat(value, names)
    indent = len(_INDENT) * depth
    if indent + lead + len(flat) + trail <= _WIDTH or not _is_composite(value):
        return flat
    opening, parts, closing = _parts(value, names)
    inner = _INDENT * (depth + 1)
    lines = "".join(
        f"{inner}{prefix}{_layout(item, depth + 1, len(prefix), 1, names)},\n"
        for prefix, item in parts
    )
    return f"{opening}\n{lines}{_INDENT * depth}{closing}"


def _is_composite(value: object) -> bool:
    return (
        type(value) is tuple or isinstance(value, dict | MappingProxyType) or attrs.has(type(value))
    )


def _is_default(field: attrs.Attribute[Any], value: object) -> bool:
    default: Any = field.default
    if default is attrs.NOTHING:
        return False
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        # A factory that takes the instance cannot be called here: the value is written.
        return not default.takes_self and _same(value, default.factory())
    return _same(value, default)


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and bool(value == default)


def _string(text: str) -> str:
    """Return ``text`` as a literal, quoted as the project's formatter quotes it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_char(c, quote) for c in text) + quote


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _char(c: str, quote: str) -> str:
    if c == quote:
        return "\\" + c
    if c in _ESCAPES:
        return _ESCAPES[c]
    if c.isprintable():
        return c
    return repr(c)[1:-1]  # \x85, \u2028...: the escape Python itself writes


def generate() -> str:
    """Return the source of ``_default_data.py`` for the ``default.toml`` shipped now.

    Refuses a document with static problems: the module is trusted unchecked at first use.
    """
    with open(DEFAULT_TOML, encoding="utf-8") as file:
        text = file.read()
    protocol = load_protocol(text=text)
    problems = protocol.check()
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise SystemExit(f"default.toml has {len(problems)} problem(s); fix them first:\n{listed}")
    return render(protocol, text)


def main(argv: Sequence[str]) -> int:
    source = generate()
    target = Path(DEFAULT_DATA)
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if "--check" in argv:
        if current != source:
            print(f"{target} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    if current != source:
        target.write_text(source, encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":  # pragma: no cover - the maintainer's command
    raise SystemExit(main(sys.argv[1:]))
