"""Ordered string enums: members compare by the order they are declared in."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class OrderedStrEnum(StrEnum):
    """A ``StrEnum`` whose members are ordered by declaration, not alphabetically.

    ``str`` comparison would put ``"emergency" < "none"``; severities must compare by rank.
    Comparing with anything that is not a member of the same enum is a ``TypeError``.
    """

    @property
    def rank(self) -> int:
        """Return the position of this member in declaration order (0 first)."""
        return type(self)._ranks()[self]

    @classmethod
    def _ranks(cls) -> dict[str, int]:
        ranks: dict[str, int] | None = cls.__dict__.get("_rank_table")
        if ranks is None:
            ranks = {member.value: i for i, member in enumerate(cls)}
            type.__setattr__(cls, "_rank_table", ranks)
        return ranks

    def _other_rank(self, other: object) -> int:
        if type(other) is not type(self):
            raise TypeError(f"cannot order {type(self).__name__} against {type(other).__name__}")
        return type(self)._ranks()[other]

    def __lt__(self, other: Self) -> bool:  # type: ignore[override]
        return self.rank < self._other_rank(other)

    def __le__(self, other: Self) -> bool:  # type: ignore[override]
        return self.rank <= self._other_rank(other)

    def __gt__(self, other: Self) -> bool:  # type: ignore[override]
        return self.rank > self._other_rank(other)

    def __ge__(self, other: Self) -> bool:  # type: ignore[override]
        return self.rank >= self._other_rank(other)
