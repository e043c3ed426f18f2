"""The repr, equality and hash of a value class, written once for all of them.

attrs writes these three methods as source code for each class it makes and compiles that code
when the class is made. A first plan makes some forty value classes, and compiling their
``__repr__``, ``__eq__`` and ``__hash__`` was about a fifth of its cost. The functions here do
the same work from the class's fields, read once per class on first use. A class takes them by
naming them in its body::

    @attrs.frozen
    class Reason:
        rule: str

        __repr__ = value_repr
        __eq__ = value_eq
        __hash__ = value_hash

attrs sees methods the class defines itself and leaves them alone (``auto_detect``). They
answer what attrs' own would (attrs 24.1 and later, which pyproject.toml requires: before it,
attrs compared fields as tuples, so a field holding the same NaN was equal to itself): the
same repr text, equality over the compared fields in order
(``NotImplemented`` against another class), a hash over the hashed fields that agrees with
equality. ``tests/test_values.py`` holds every class that uses them to the same class made by
attrs with its own methods.
"""

from __future__ import annotations

import threading

import attrs

__all__ = ["value_eq", "value_hash", "value_repr"]


class _Shape:
    """What the three methods read of one class's fields, worked out on first use."""

    __slots__ = ("compared", "hashed", "salt", "shown")

    def __init__(self, cls: type) -> None:
        fields = attrs.fields(cls)
        for field in fields:
            if field.eq_key is not None:
                raise TypeError(f"{cls.__qualname__}.{field.name}: eq by a key is not supported")
        # (name, whether __init__ sets it): a field __init__ leaves unset shows as NOTHING.
        self.shown = tuple((f.name, f.init) for f in fields if f.repr)
        self.compared = tuple(f.name for f in fields if f.eq)
        self.hashed = tuple(f.name for f in fields if (f.eq if f.hash is None else f.hash))
        self.salt = hash((cls.__module__, cls.__qualname__))


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _Shape(cls)  # two threads racing here store equal shapes
    return shape


_REPRING = threading.local()
"""The ids of the values whose repr is being written, per thread: a value within itself is
``...``, as attrs writes it."""


def value_repr(self: object) -> str:
    """Return ``Name(field=value, ...)`` over the fields shown, as attrs writes it."""
    try:
        repring: set[int] = _REPRING.ids
    except AttributeError:
        repring = _REPRING.ids = set()
    if id(self) in repring:
        return "..."
    repring.add(id(self))
    try:
        parts = ", ".join(
            f"{name}={getattr(self, name) if init else getattr(self, name, attrs.NOTHING)!r}"
            for name, init in _shape(type(self)).shown
        )
        return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({parts})"
    finally:
        repring.remove(id(self))


def value_eq(self: object, other: object) -> bool:
    """Return whether ``other`` is of the same class and every compared field is equal."""
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # typeshed: Any
    return all(getattr(self, name) == getattr(other, name) for name in _shape(type(self)).compared)


def value_hash(self: object) -> int:
    """Return the hash of the class and the hashed fields, in order."""
    shape = _shape(type(self))
    return hash((shape.salt, *[getattr(self, name) for name in shape.hashed]))
