"""The safety diff as text a reviewer reads and as a JSON document a tool keeps."""

from __future__ import annotations

from backtriage.protocol import Protocol
from backtriage.review._diff import ProtocolDiff
from backtriage.review._sheet import protocol_hash
from backtriage.serialize import SCHEMA_VERSION

__all__ = ["diff_document", "diff_text"]


def diff_text(changes: ProtocolDiff, old: Protocol, new: Protocol) -> str:
    """Return ``changes`` (``diff(old, new)``) as text: both versions by hash, the changes less
    safe first, then a verdict line."""
    lines = [
        f"Protocol diff: {old.name} {old.version} -> {new.name} {new.version}",
        f"  old sha256 {protocol_hash(old)}",
        f"  new sha256 {protocol_hash(new)}",
        "",
        changes.summary(),
        "",
    ]
    if changes.is_less_safe:
        lines.append(
            f"LESS SAFE: {len(changes.less_safe)} change(s) give exercises, lower an urgency, "
            "drop a caution, a safety-net sign or a policy, or make a question optional; "
            "a clinician must sign them off."
        )
    else:
        lines.append("Nothing is less safe.")
    return "\n".join(lines)


def diff_document(changes: ProtocolDiff, old: Protocol, new: Protocol) -> dict[str, object]:
    """Return ``changes`` (``diff(old, new)``) as plain JSON data naming both versions by hash."""
    return {
        "schema_version": SCHEMA_VERSION,
        "old": _identity(old),
        "new": _identity(new),
        **changes.to_dict(),
    }


def _identity(protocol: Protocol) -> dict[str, object]:
    return {"name": protocol.name, "version": protocol.version, "sha256": protocol_hash(protocol)}
