"""The shared repr, equality and hash of value classes answer what attrs' own would.

Every class that takes its methods from ``backtriage._values`` is compared with the same class
made by attrs with its own generated methods: the same fields, the same flags. On every value
of such a class found in plans, follow-ups, check-ins, errors and the shipped protocol, the
repr text is the same, equality agrees pair by pair, and equal values hash equal.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage._values import value_eq, value_hash, value_repr
from backtriage.testing import strategies as bts

MODULES = (
    "backtriage.errors",
    "backtriage.assessment",
    "backtriage._course",
    "backtriage.protocol._problem",
    "backtriage.protocol._model",
    "backtriage.protocol._engine",
    "backtriage._plan",
    "backtriage._follow_up",
)


def value_classes() -> list[type]:
    found = []
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == name:
                found.append(value)
    return found


CLASSES = value_classes()
_MADE_BY_ATTRS: dict[type, type] = {}


def made_by_attrs(cls: type) -> type:
    """Return ``cls`` made again by attrs with its own repr, eq and hash (no validators)."""
    if cls not in _MADE_BY_ATTRS:
        fields = {
            f.name: attrs.field(repr=f.repr, eq=f.eq, hash=f.hash, init=f.init)
            for f in attrs.fields(cls)
        }
        made = attrs.make_class(cls.__name__, fields, frozen=True, slots=True)
        made.__qualname__ = cls.__qualname__
        _MADE_BY_ATTRS[cls] = made
    return _MADE_BY_ATTRS[cls]


def as_made_by_attrs(value: Any) -> Any:
    made = made_by_attrs(type(value))
    copy = object.__new__(made)
    for field in attrs.fields(type(value)):
        object.__setattr__(copy, field.name, getattr(value, field.name))
    return copy


def values_in(value: object, seen: set[int] | None = None) -> Iterator[object]:
    """Yield ``value`` and every attrs value inside it (fields, tuples, mappings)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from values_in(getattr(value, field.name), seen)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from values_in(item, seen)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from values_in(item, seen)


def hashes(value: object) -> int | None:
    try:
        return hash(value)
    except TypeError:
        return None


def assert_as_attrs_would(values: list[object]) -> None:
    shared = [v for v in values if type(v) in CLASSES]
    for value in shared:
        made = as_made_by_attrs(value)
        assert repr(value) == repr(made)
        assert value == value
        assert (hashes(value) is None) is (hashes(made) is None)
        assert value.__eq__(object()) is NotImplemented
    for one, other in itertools.combinations(shared, 2):
        if type(one) is not type(other):
            assert one != other
            continue
        assert (one == other) is (as_made_by_attrs(one) == as_made_by_attrs(other))
        assert (one != other) is (as_made_by_attrs(one) != as_made_by_attrs(other))
        if one == other and hashes(one) is not None:
            assert hash(one) == hash(other)


def test_every_class_of_the_modules_takes_the_shared_methods() -> None:
    assert len(CLASSES) > 30
    for cls in CLASSES:
        assert cls.__repr__ is value_repr, cls
        assert cls.__eq__ is value_eq, cls
        assert cls.__hash__ is value_hash, cls


def test_the_shipped_protocol_reads_as_attrs_would_write_it() -> None:
    protocol = bt.default_protocol()
    found = list(values_in(protocol))
    assert {type(v) for v in found} >= {bt.Protocol, bt.Exercise, bt.Fact, bt.Rule}
    # Pairs within each class only: the protocol holds hundreds of values.
    by_class: dict[type, list[object]] = {}
    for value in found:
        by_class.setdefault(type(value), []).append(value)
    for members in by_class.values():
        assert_as_attrs_would(members[:25])


@settings(max_examples=30)
@given(bts.assessments(complete=None), st.data())
def test_plans_and_follow_ups_read_as_attrs_would_write_them(
    assessment: bt.Assessment, data: st.DataObject
) -> None:
    plan = bt.recommend(assessment)
    again = bt.recommend(assessment)
    found = [assessment, *values_in(plan), *values_in(again)]
    if plan.exercises or plan.withheld:
        check_in = data.draw(bts.check_ins(plan))
        found.extend([check_in, *values_in(bt.follow_up(plan, check_in))])
    assert_as_attrs_would(found)


def test_an_error_detail_and_a_problem_read_as_attrs_would_write_them() -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.Assessment(age=-1)
    details = list(caught.value.errors)
    problem = bt.Problem("where", "message", "code", "fix")
    assert_as_attrs_would([*details, *details, problem, bt.Problem("w", "m", "c", "f")])


def test_a_value_inside_itself_shows_as_attrs_shows_it() -> None:
    shown = []
    for cls in (bt.Reason, made_by_attrs(bt.Reason)):
        holder: list[object] = []
        reason = object.__new__(cls)
        for name, value in (("rule", "rule"), ("text", "text"), ("source", holder)):
            object.__setattr__(reason, name, value)
        holder.append(reason)
        shown.append(repr(reason))
    assert shown[0] == shown[1] == "Reason(rule='rule', text='text', source=[...])"
