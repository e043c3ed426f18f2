"""The safety diff sees every field of the protocol: each one is judged, and a change of any of
them is reported (a text change at least; a lost caution, safety-net sign or policy as less safe).

The fields are found by reflection, from the type annotations of the model: a field added to
the model fails these tests until ``JUDGED`` says how a change of it is judged.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

import attrs
import pytest

import backtriage as bt
from backtriage.protocol import AllOf, AnyOf, AtLeast, Caution, Policy, Protocol, Selector
from backtriage.review import ChangeKind, ProtocolDiff, diff
from backtriage.review import _fields as fields_module
from backtriage.review._diff import _texts
from backtriage.review._fields import JUDGED, Judge, field_changes, judge_of
from backtriage.testing import assert_not_less_safe

DEFAULT = bt.default_protocol()
U = bt.Urgency


def _with_every_condition(protocol: Protocol) -> Protocol:
    """Return ``protocol`` with an ``all`` condition written as ``at_least``, and another
    with its last part inside an ``any``: the same rules, with every kind of condition."""
    rules = list(protocol.rules)
    first, second = [i for i, r in enumerate(rules) if isinstance(r.condition, AllOf)][:2]
    for index, rewrite in (
        (first, lambda c: AtLeast(len(c.conditions), c.conditions)),
        (second, lambda c: AllOf((*c.conditions[:-1], AnyOf(c.conditions[-1:])))),
    ):
        condition = rules[index].condition
        assert isinstance(condition, AllOf)
        rules[index] = attrs.evolve(rules[index], condition=rewrite(condition))
    return attrs.evolve(protocol, rules=tuple(rules))


BASE = _with_every_condition(DEFAULT)
"""The default protocol with every kind of condition: each field is changed in it."""


def _classes(hint: object) -> Iterator[type]:
    if isinstance(hint, type):
        yield hint
    for arg in typing.get_args(hint):
        yield from _classes(arg)


def reachable_fields() -> set[tuple[type, str]]:
    """Return every (class, field) of the protocol model reachable from Protocol by annotation."""
    found: set[tuple[type, str]] = set()
    seen: set[type] = set()
    stack: list[type] = [Protocol]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            if not field.init or not field.eq:
                continue
            found.add((cls, field.name))
            stack.extend(c for c in _classes(hints[field.name]) if attrs.has(c))
    return found


def test_every_field_reachable_from_protocol_is_judged_explicitly() -> None:
    # A field a branch adds to the model must be given its line in JUDGED.
    reachable = reachable_fields()
    assert len(reachable) > 60
    assert sorted(f"{c.__name__}.{n}" for c, n in reachable if (c, n) not in JUDGED) == []
    assert sorted(f"{c.__name__}.{n}" for c, n in JUDGED if (c, n) not in reachable) == []


# -- changing every field ---------------------------------------------------------------------


Step = str | int


def _locations(
    value: object, path: tuple[Step, ...] = ()
) -> Iterator[tuple[type, str, tuple[Step, ...], object]]:
    """Yield (class, field, path, value) for every field of every attrs value inside ``value``."""
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            if not field.init or not field.eq:
                continue
            inner = getattr(value, field.name)
            yield type(value), field.name, (*path, field.name), inner
            yield from _locations(inner, (*path, field.name))
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _locations(item, (*path, index))


def _replace(value: object, path: tuple[Step, ...], new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        assert isinstance(value, tuple)
        return (*value[:head], _replace(value[head], rest, new), *value[head + 1 :])
    return attrs.evolve(value, **{head: _replace(getattr(value, head), rest, new)})  # type: ignore[misc]


def _sample(hint: object) -> object:
    """Return a value of the type ``hint`` (a scalar one), or None when there is none."""
    for cls in _classes(hint):
        if cls is bool:
            return True
        if cls is int:
            return 7
        if cls is str:
            return "Changed."
        if issubclass(cls, Enum):
            return list(cls)[-1]
    return None


def _changed(cls: type, name: str, value: object) -> object:
    """Return another valid value of field ``name`` of ``cls``, or None when none is made here."""
    hint = typing.get_type_hints(cls)[name]
    if isinstance(value, bool):
        return not value
    if isinstance(value, Enum):
        members = list(type(value))
        return members[(members.index(value) + 1) % len(members)]
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        # A link stays a link (no space in it).
        return value + "-changed" if value.startswith("https://") else value + " Changed."
    if isinstance(value, tuple):
        if value:
            return value[:-1]
        (element,) = [a for a in typing.get_args(hint) if a is not Ellipsis]
        sample = _sample(element)
        return None if sample is None else (sample,)
    if value is None:
        return _sample(hint)
    if attrs.has(type(value)):
        # A value made of fields (a selector, a condition): one of them changed.
        for field in attrs.fields(type(value)):
            inner = _changed(type(value), field.name, getattr(value, field.name))
            if inner is not None:
                try:
                    return attrs.evolve(value, **{field.name: inner})  # type: ignore[misc]
                except bt.ProtocolError:
                    continue
    return None


def _mutations() -> dict[str, tuple[type, str, Protocol]]:
    """Return, for every judged field, the default protocol with that field changed once."""
    found: dict[str, tuple[type, str, Protocol]] = {}
    for cls, name, path, value in _locations(BASE):
        key = f"{cls.__name__}.{name}"
        if key in found:
            continue
        new_value = _changed(cls, name, value)
        if new_value is None:
            continue
        try:
            changed = _replace(BASE, path, new_value)
        except bt.ProtocolError:
            continue
        assert isinstance(changed, Protocol)
        found[key] = (cls, name, changed)
    return found


MUTATIONS = _mutations()


def test_every_judged_field_is_changed_by_the_next_test() -> None:
    missing = {f"{c.__name__}.{n}" for c, n in JUDGED} - set(MUTATIONS)
    assert missing == set()


@pytest.mark.parametrize("key", sorted(MUTATIONS))
def test_a_change_of_any_field_is_reported(key: str) -> None:
    cls, name, changed = MUTATIONS[key]
    # The field walk, or the text diff for the texts it compares with witnesses, names it.
    walked = list(field_changes(BASE, changed))
    if judge_of(cls, name) is Judge.SHOWN:
        assert list(_texts(BASE, changed)) or walked, key
    else:
        assert walked, key
    try:
        result = diff(BASE, changed)
    except bt.ProtocolError:
        return  # the changed version has a problem: check() and the diff refuse it
    assert result != ProtocolDiff((), (), ()), key
    assert result.summary() != "No difference."


def test_an_unjudged_field_is_less_safe_until_reviewed(monkeypatch: pytest.MonkeyPatch) -> None:
    judged = dict(JUDGED)
    del judged[(Protocol, "version")]
    monkeypatch.setattr(fields_module, "JUDGED", judged)
    result = diff(DEFAULT, attrs.evolve(DEFAULT, version="9.9.9"))
    assert [c.kind for c in result.less_safe] == [ChangeKind.UNJUDGED]
    assert result.less_safe[0].field == "version"


# -- the defects of the audit -------------------------------------------------------------------


def test_a_safety_net_without_its_emergency_sign_is_less_safe() -> None:
    net = DEFAULT.safety_net
    sentence = net.emergency[0]
    new = attrs.evolve(DEFAULT, safety_net=attrs.evolve(net, emergency=net.emergency[1:]))
    result = diff(DEFAULT, new)
    assert result.is_less_safe
    (dropped,) = result.less_safe
    assert (dropped.kind, dropped.field, dropped.old_text) == (
        ChangeKind.SIGN_DROPPED,
        "safety_net.emergency",
        sentence,
    )
    (text,) = result.text_changes
    assert text.field == "safety_net.emergency"
    assert text.new_witness is not None  # a plan that shows the safety net
    with pytest.raises(AssertionError, match="sign_dropped"):
        assert_not_less_safe(DEFAULT, new)
    # Only adding a sign is more cautious.
    more = attrs.evolve(
        DEFAULT, safety_net=attrs.evolve(net, today=(*net.today, "You feel feverish."))
    )
    result = diff(DEFAULT, more)
    assert not result.is_less_safe
    assert [c.kind for c in result.more_cautious] == [ChangeKind.SIGN_ADDED]


def _with_actions(protocol: Protocol, rule_id: str, actions: tuple[object, ...]) -> Protocol:
    rules = tuple(
        attrs.evolve(r, actions=actions) if r.id == rule_id else r for r in protocol.rules
    )
    return attrs.evolve(protocol, rules=rules)


def test_dropping_one_of_two_cautions_of_a_rule_is_less_safe() -> None:
    rule = DEFAULT.rules[[r.id for r in DEFAULT.rules].index("suspected_disc_flexion_caution")]
    (caution,) = [a for a in rule.actions if isinstance(a, Caution)]
    second = Caution(caution.select, "Stop if your leg pain spreads.")
    two = _with_actions(DEFAULT, rule.id, (*rule.actions, second))
    result = diff(two, DEFAULT)
    assert result.is_less_safe
    assert {c.kind for c in result.less_safe} == {ChangeKind.CAUTION_DROPPED}
    assert {c.rule for c in result.less_safe} == {rule.id}
    dropped = result.less_safe[0]
    assert dropped.new_witness is not None
    assert dropped.exercise is not None
    plan = bt.recommend(dropped.new_witness)
    (given,) = [p for p in plan.exercises if p.exercise.id == dropped.exercise]
    assert [c.text for c in given.cautions if c.rule == rule.id] == [caution.text]
    assert not diff(DEFAULT, two).is_less_safe


def test_a_deleted_policy_is_less_safe() -> None:
    gone = DEFAULT.policies[-1]
    new = attrs.evolve(DEFAULT, policies=DEFAULT.policies[:-1])
    result = diff(DEFAULT, new)
    assert [(c.kind, c.field) for c in result.less_safe] == [
        (ChangeKind.POLICY_DROPPED, f"policies.{gone.id}")
    ]
    back = diff(new, DEFAULT)
    assert [c.kind for c in back.more_cautious] == [ChangeKind.POLICY_ADDED]
    assert not back.is_less_safe


def _policy(protocol: Protocol, policy_id: str, **changes: object) -> Protocol:
    policies = tuple(
        attrs.evolve(p, **changes) if p.id == policy_id else p for p in protocol.policies
    )
    return attrs.evolve(protocol, policies=policies)


@pytest.mark.parametrize(
    ("policy_id", "weaker"),
    [
        ("fever_alone_same_day", {"reaches": U.SOON}),
        ("fever_alone_same_day", {"when": ("fever", "unrelenting_pain")}),
        (
            "osteoporosis_no_flexion",
            {"withholds": None, "cautions_or_withholds": Selector(movements=("flexion",))},
        ),
        ("odi_crippled_gentlest_only", {"withholds": Selector(min_level=3)}),
        ("red_flags_from_soon_stop_exercise", {"red_flags_withhold_all_from": U.SAME_DAY}),
        ("urgent_findings_required", {"when": ("osteoporosis",)}),
    ],
)
def test_a_weaker_policy_is_less_safe_and_a_stronger_one_more_cautious(
    policy_id: str, weaker: dict[str, object]
) -> None:
    new = _policy(DEFAULT, policy_id, **weaker)
    result = diff(DEFAULT, new)
    assert (ChangeKind.POLICY_WEAKENED, f"policies.{policy_id}") in {
        (c.kind, c.field) for c in result.less_safe
    }
    back = diff(new, DEFAULT)
    assert (ChangeKind.POLICY_STRENGTHENED, f"policies.{policy_id}") in {
        (c.kind, c.field) for c in back.more_cautious
    }
    assert ChangeKind.POLICY_WEAKENED not in {c.kind for c in back.less_safe}


def test_a_policy_reason_is_a_text_change() -> None:
    policy = DEFAULT.policies[0]
    new = _policy(DEFAULT, policy.id, reason="Another reason.")
    result = diff(DEFAULT, new)
    assert (result.less_safe, result.more_cautious) == ((), ())
    assert [c.field for c in result.text_changes] == [f"policies.{policy.id}.reason"]


def test_a_changed_selector_is_listed_as_a_definition_change_with_its_effect() -> None:
    exercise = DEFAULT.exercises[0]
    exercises = (attrs.evolve(exercise, level=exercise.level + 1), *DEFAULT.exercises[1:])
    result = diff(DEFAULT, attrs.evolve(DEFAULT, exercises=exercises))
    assert [c.field for c in result.definition_changes] == [f"exercises.{exercise.id}.level"]
    assert result.to_dict()["definition_changes"]
    assert "Definition changes (1):" in result.summary()


def test_check_against_fails_on_a_safety_net_without_a_sign(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from backtriage.cli import main
    from backtriage.serialize import to_json

    net = DEFAULT.safety_net
    reviewed = tmp_path / "reviewed.json"
    edited = tmp_path / "edited.json"
    reviewed.write_text(to_json(DEFAULT), encoding="utf-8")
    new = attrs.evolve(DEFAULT, safety_net=attrs.evolve(net, emergency=net.emergency[1:]))
    edited.write_text(to_json(new), encoding="utf-8")
    assert isinstance(new.policies[0], Policy)
    code = _run(main, ["protocol", "check", str(edited), "--against", str(reviewed)])
    assert code != 0
    assert "less-safe" in capsys.readouterr().out


def _run(main: typing.Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


_ = types  # kept for annotations of helpers
