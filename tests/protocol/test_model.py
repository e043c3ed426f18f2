"""Protocols built in Python: enum fields accept their string values, nothing else."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import backtriage as bt
from backtriage import DisabilityBand, ProtocolError, Urgency, default_protocol
from backtriage.protocol import (
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Derivation,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Movement,
    Polarity,
    Position,
    Protocol,
    Refer,
    Rule,
    SafetyNet,
    Selector,
    Source,
    UrgencyAdvice,
)
from backtriage.protocol._engine import engine_of
from backtriage.testing import strategies as kit
from backtriage.testing.strategies import protocols

STEPS = ("Gently.", "Fully.")
"""Two dosage steps: every exercise of a checked protocol needs 2 to 4."""


def test_string_values_become_enum_members() -> None:
    fact = Fact("fever", "red_flag", "risk", question="Fever?", required=True)
    assert fact.kind is FactKind.RED_FLAG
    assert fact.polarity is Polarity.RISK
    exercise = Exercise("e", "E", "fam", "flexion", "supine", 1, True, "d", "i", steps=STEPS)
    assert exercise.movement is Movement.FLEXION
    assert exercise.position is Position.SUPINE
    assert Refer("same_day").urgency is Urgency.SAME_DAY


def test_a_protocol_built_from_strings_evaluates_like_one_built_from_enums() -> None:
    protocol = Protocol(
        name="py",
        version="1",
        exercises=(Exercise("e", "E", "fam", "flexion", "supine", 1, True, "d", "i", steps=STEPS),),
        facts=(Fact("fever", "red_flag", "risk", question="Fever?", required=True),),
        rules=(Rule("fever_today", FactIs("fever"), (Refer("same_day"),), "Fever.", "S31"),),
        sources=(Source("S31", "NHS Gloucestershire, red flags"),),
        safety_net=SafetyNet(emergency=("New numbness.",), today=("A fever.",), review="6 weeks."),
        advice=kit._ADVICE,
        format=3,
        scope=kit._SCOPE,
        texts=kit._TEXTS,
    )
    assert protocol.check() == ()
    evaluation = engine_of(protocol).evaluate(["fever"])
    assert evaluation.urgency is Urgency.SAME_DAY
    assert evaluation.given_mask == 0


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (lambda: Refer("urgent"), "Refer.urgency", "urgent"),
        (lambda: Fact("x", "red flag", "risk"), "Fact.kind", "red flag"),
        (lambda: Fact("x", "finding", 1), "Fact.polarity", "1"),
        (
            lambda: Exercise("e", "E", "f", "twist", "supine", 1, True, "d", "i"),
            "Exercise.movement",
            "twist",
        ),
    ],
)
def test_an_unknown_enum_value_is_refused_naming_field_and_value(
    build: object, field: str, value: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field
    assert value in str(caught.value)


EXERCISE = {
    "id": "e",
    "title": "E",
    "family": "f",
    "movement": "flexion",
    "position": "supine",
    "level": 1,
    "in_bed": True,
    "dosage": "d",
    "instructions": "i",
}


@pytest.mark.parametrize(
    ("build", "field"),
    [
        # A list would stay mutable inside a frozen protocol.
        (lambda: Selector(ids=["a"]), "Selector.ids"),
        (lambda: Selector(families="knee_hugs"), "Selector.families"),
        (lambda: Selector(movements="flexion"), "Selector"),
        (lambda: Selector(positions=("prone", "sideways")), "Selector.positions"),
        (lambda: Selector(movements=("flexon",)), "Selector.movements"),
        (lambda: Selector(levels=(True,)), "Selector.levels"),
        (lambda: Selector(min_level=2.0), "Selector.min_level"),
        (lambda: Selector(all="yes"), "Selector.all"),
        (lambda: Exercise(**{**EXERCISE, "in_bed": "no"}), "Exercise.in_bed"),
        (lambda: Exercise(**{**EXERCISE, "level": True}), "Exercise.level"),
        (lambda: Exercise(**{**EXERCISE, "prerequisites": "x"}), "Exercise.prerequisites"),
        (lambda: Fact("x", "red_flag", "risk", required=1), "Fact.required"),
        (lambda: AtLeast(True, (FactIs("a"),)), "AtLeast.n"),
        (lambda: AnyOf([FactIs("a")]), "AnyOf.conditions"),
        (lambda: AllOf(("a",)), "AllOf.conditions"),
        (lambda: Rule("r", "a", (), "why", "S1"), "Rule.condition"),
        (lambda: Rule("r", FactIs("a"), [Refer("soon")], "why", "S1"), "Rule.actions"),
        # Text fields: an int threshold or a None reason used to fail deep in check().
        (lambda: Rule("r", FactIs("a"), (), None, "S1"), "Rule.reason"),
        (lambda: Rule(7, FactIs("a"), (), "why", "S1"), "Rule.id"),
        (lambda: Derivation("age", at_least=65), "Derivation.at_least"),
        (lambda: Derivation("odi_band", equals=2), "Derivation.equals"),
        (lambda: Fact("x", "finding", "risk", question=5), "Fact.question"),
        (lambda: Fact("x", "derived", "risk", derive="odi"), "Fact.derive"),
        (lambda: Fact(None, "finding", "risk"), "Fact.name"),
        (lambda: FactIs(3), "FactIs.fact"),
        (lambda: Exercise(**{**EXERCISE, "id": ["a"]}), "Exercise.id"),
        (lambda: Exclude(("ids", "a")), "Exclude.select"),
        (lambda: Caution(Selector(all=True), None), "Caution.text"),
        (lambda: Source("S1", 3), "Source.citation"),
        (lambda: UrgencyAdvice(emergency=None), "UrgencyAdvice.emergency"),
        (lambda: Protocol("p", "1", (), (), (), advice=None), "Protocol.advice"),
    ],
)
def test_protocols_built_in_python_are_checked_as_strictly_as_loaded_ones(
    build: object, field: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_a_str_enum_member_is_text() -> None:
    # The natural spelling of a band threshold in Python.
    derive = Derivation("odi_band", at_least=DisabilityBand.SEVERE)
    assert derive.at_least == "severe"


def test_min_level_selects_every_level_at_or_above_it() -> None:
    selector = Selector(min_level=2)
    levels = [
        selector.matches(Exercise(**{**EXERCISE, "level": level}))  # type: ignore[arg-type]
        for level in (1, 2, 3, 7)
    ]
    assert levels == [False, True, True, True]


def test_a_protocol_is_plain_data_until_it_is_used() -> None:
    made = attrs.evolve(default_protocol(), version="9")
    # Nothing is built when a protocol is made ...
    assert made._cache == {}
    assert made.check() == ()
    # ... and what is built is built once, on first use, and kept in its one cache.
    assert made.check() is made.check()
    assert engine_of(made) is engine_of(made)
    assert made == attrs.evolve(default_protocol(), version="9")  # the cache is not compared
    assert hash(made) == hash(attrs.evolve(default_protocol(), version="9"))
    assert "_cache" not in repr(made)


def test_each_protocol_has_one_cache_of_its_own() -> None:
    # The only slot a protocol has beyond its fields is the one cache; a copy starts empty.
    extra = [f.name for f in attrs.fields(Protocol) if not f.init]
    assert extra == ["_cache"]
    first = attrs.evolve(default_protocol())
    engine_of(first)
    second = attrs.evolve(first)
    assert second._cache == {}
    assert engine_of(second) is not engine_of(first)


def test_queries_are_kept_with_the_protocol_not_looked_up_by_its_value() -> None:
    from backtriage.protocol import triggers_withheld

    protocol = attrs.evolve(default_protocol())
    exercise = protocol.exercises[0].id
    assert triggers_withheld(protocol, exercise) is triggers_withheld(protocol, exercise)
    assert set(protocol._cache) >= {"queries"}
    # An equal protocol has equal answers, worked out for it (no lookup hashes the protocol).
    again = attrs.evolve(protocol)
    assert triggers_withheld(again, exercise) == triggers_withheld(protocol, exercise)
    assert triggers_withheld(again, exercise) is not triggers_withheld(protocol, exercise)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_every_protocol_pickles_to_an_equal_protocol_that_plans_alike(protocol: Protocol) -> None:
    protocol.check()  # compiled first: the compiled form must not travel with it
    copied = pickle.loads(pickle.dumps(protocol))
    assert copied == protocol
    assert copied.check() == protocol.check()
    assert copy.deepcopy(protocol) == protocol


def test_the_default_protocol_pickles_and_plans_alike() -> None:
    protocol = default_protocol()
    copied = pickle.loads(pickle.dumps(protocol))
    assessment = bt.Assessment(
        odi=[1] * 10, red_flags={q.key: False for q in bt.questions() if q.kind == "red_flag"}
    )
    assert bt.recommend(assessment, protocol=copied) == bt.recommend(assessment)
