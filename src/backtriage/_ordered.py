"""Ordered string enums: members compare by the order they are declared in."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class OrderedStrEnum(StrEnum):
    """A ``StrEnum`` whose members are ordered by declaration, not alphabetically.

    ``str`` comparison would put ``"emergency" < "none"``; severities must compare by rank.
    Comparing with anything that is not a member of the same enum is a ``TypeError``.
    """

    _rank: int

    def __init__(self, *args: object) -> None:
        # Members are created in declaration order, each before it joins the member map, so
        # the map's size is this member's rank. Kept on the member: comparisons are hot.
        self._rank = len(type(self)._member_map_)

    @property
    def rank(self) -> int:
        """Return the position of this member in declaration order (0 first)."""
        return self._rank

    def _refuse(self, other: object) -> TypeError:
        return TypeError(f"cannot order {type(self).__name__} against {type(other).__name__}")

    # Written out four times rather than through a helper: these run on every urgency and
    # band comparison, and a call per comparison doubled their cost.
    def __lt__(self, other: Self) -> bool:  # type: ignore[override]
        if type(other) is not type(self):
            raise self._refuse(other)
        return self._rank < other._rank

    def __le__(self, other: Self) -> bool:  # type: ignore[override]
        if type(other) is not type(self):
            raise self._refuse(other)
        return self._rank <= other._rank

    def __gt__(self, other: Self) -> bool:  # type: ignore[override]
        if type(other) is not type(self):
            raise self._refuse(other)
        return self._rank > other._rank

    def __ge__(self, other: Self) -> bool:  # type: ignore[override]
        if type(other) is not type(self):
            raise self._refuse(other)
        return self._rank >= other._rank
