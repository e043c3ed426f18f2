"""A one-line safety gate for an app's CI: a new protocol version must not be less safe."""

from __future__ import annotations

from backtriage.protocol import Protocol
from backtriage.review import diff

__all__ = ["assert_not_less_safe"]


def assert_not_less_safe(old: Protocol, new: Protocol) -> None:
    """Fail when ``new`` is less safe than ``old`` for some answered assessment.

    Raises ``AssertionError`` listing every less-safe change (an exercise given where it was
    withheld, a lower urgency, a caution fewer, a question no longer required, a new exercise,
    a safety-net sign lost, a declared policy dropped or weakened, a field the diff cannot
    judge), with the answers that show it where a plan shows it; the change's ``old_witness`` and ``new_witness`` are on the
    exception's ``changes``. More cautious changes and text changes pass. A version that only
    breaks its declared policies is compared all the same (``recommend`` refuses it, and
    ``backtriage.make_plan`` replays its witnesses); any other static problem raises
    :class:`~backtriage.ProtocolError`.

    >>> assert_not_less_safe(load_protocol("v1.toml"), load_protocol("v2.toml"))  # doctest: +SKIP
    """
    result = diff(old, new)
    if result.is_less_safe:
        lines = [
            f"protocol {new.name!r} {new.version} is less safe than {old.name!r} {old.version} "
            f"in {len(result.less_safe)} way(s); each needs a clinician's review:"
        ]
        lines.extend(f"- [{c.kind.value}] {c.description}" for c in result.less_safe)
        error = AssertionError("\n".join(lines))
        error.changes = result.less_safe  # type: ignore[attr-defined]
        raise error
