"""The safety diff as text a reviewer reads and as a JSON document a tool keeps."""

from __future__ import annotations

import enum
import typing

import attrs

from backtriage.assessment import Assessment
from backtriage.protocol.model import Protocol
from backtriage.review._diff import Change, ProtocolDiff
from backtriage.review._sheet import protocol_hash
from backtriage.serialize import SCHEMA_VERSION, to_dict

__all__ = ["diff_document", "diff_text"]

_GROUPS = (
    ("less_safe", "Less safe: review each before sign-off"),
    ("more_cautious", "More cautious"),
    ("text_changes", "Text changes"),
)


def diff_text(changes: ProtocolDiff, old: Protocol, new: Protocol) -> str:
    """Return ``changes`` (``diff(old, new)``) as text: less safe first, then a verdict line."""
    lines = [
        f"Protocol diff: {old.name} {old.version} -> {new.name} {new.version}",
        f"  old sha256 {protocol_hash(old)}",
        f"  new sha256 {protocol_hash(new)}",
    ]
    for group, heading in _GROUPS:
        found: tuple[Change, ...] = getattr(changes, group)
        lines.append("")
        lines.append(f"{heading} ({len(found)}):" if found else f"{heading}: none")
        lines.extend(f"  - {change.description}" for change in found)
    lines.append("")
    if changes.is_less_safe:
        lines.append(
            f"LESS SAFE: {len(changes.less_safe)} change(s) give exercises, lower an urgency, "
            "drop a caution or make a question optional; a clinician must sign them off."
        )
    else:
        lines.append("Nothing is less safe.")
    return "\n".join(lines)


def diff_document(changes: ProtocolDiff, old: Protocol, new: Protocol) -> dict[str, object]:
    """Return ``changes`` (``diff(old, new)``) as plain JSON data, witnesses as assessments."""
    return {
        "schema_version": SCHEMA_VERSION,
        "old": _identity(old),
        "new": _identity(new),
        "is_less_safe": changes.is_less_safe,
        **{group: [_plain(c) for c in getattr(changes, group)] for group, _ in _GROUPS},
    }


def _identity(protocol: Protocol) -> dict[str, object]:
    return {"name": protocol.name, "version": protocol.version, "sha256": protocol_hash(protocol)}


def _plain(value: object) -> object:
    """Return a change, or one of its fields, as JSON data: a witness as its document."""
    if isinstance(value, Assessment):
        data = to_dict(value)
        data.pop("schema_version", None)
        return data
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        fields = attrs.fields(typing.cast("type[attrs.AttrsInstance]", type(value)))
        return {f.name: _plain(getattr(value, f.name)) for f in fields}
    return value  # text, a number or None
