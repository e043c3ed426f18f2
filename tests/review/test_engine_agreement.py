"""On a protocol with problems the queries still follow the engine, set of facts by set of facts.

``recommend`` refuses such a protocol, but a review sheet shows it: every subset of its yes/no
facts is evaluated by the engine and compared with the triggers.
"""

from __future__ import annotations

from itertools import chain, combinations

import attrs
import pytest

import backtriage as bt
from backtriage.protocol import (
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Derivation,
    DerivedFrom,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Protocol,
    Refer,
    Rule,
    Selector,
)
from backtriage.protocol._engine import engine_of
from backtriage.protocol._queries import closure, realisable, search
from backtriage.review import Trigger, example, when_cautioned, when_urgency, when_withheld

NAMES = ("a", "b", "c", "ok")


def _exercise(i: int, prerequisites: tuple[str, ...] = ()) -> Exercise:
    return Exercise(
        f"e{i}",
        f"E{i}",
        "f",
        "flexion",
        "supine",
        1,
        True,
        "5",
        "Do it.",
        prerequisites,
        steps=("3", "5"),
    )


def _rule(rule_id: str, condition: object, *actions: object) -> Rule:
    return Rule(rule_id, condition, actions, "Why.", "t")  # type: ignore[arg-type]


def _select(*ids: str) -> Selector:
    return Selector(ids=ids)


BROKEN = Protocol(
    name="broken",
    version="0",
    exercises=(_exercise(0), _exercise(1, ("ok",)), _exercise(2, ("missing_capability",))),
    facts=(
        Fact("a", FactKind.FINDING, Polarity.RISK),
        Fact("b", FactKind.FINDING, Polarity.RISK),
        Fact("c", FactKind.FINDING, Polarity.RISK),
        Fact("ok", FactKind.CAPABILITY, Polarity.CAPABILITY),
        Fact(
            "bad_band",
            FactKind.DERIVED,
            Polarity.RISK,
            derive=Derivation(DerivedFrom.ODI_BAND, at_least="awful"),
        ),
    ),
    rules=(
        _rule("empty_all", AnyOf((AllOf(()), FactIs("a"))), Exclude(_select("e0"))),
        _rule("empty_any", AllOf((AnyOf(()), FactIs("b"))), Refer("emergency")),
        _rule("none_needed", AtLeast(0, (FactIs("b"),)), Refer("routine")),
        _rule("too_many", AtLeast(3, (FactIs("a"), FactIs("b"))), Refer("emergency")),
        _rule("undeclared", AllOf((FactIs("c"), FactIs("ghost"))), Refer("emergency")),
        _rule("never_band", FactIs("bad_band"), Refer("emergency")),
        _rule("all_three", AllOf((FactIs("a"), FactIs("b"), FactIs("c"))), Refer("same_day")),
        _rule("ok_caution", AnyOf((FactIs("ok"), FactIs("c"))), Caution(_select("e1"), "Care.")),
    ),
)


def subsets() -> list[frozenset[str]]:
    return [frozenset(s) for s in chain.from_iterable(combinations(NAMES, k) for k in range(5))]


def contains(trigger: Trigger, facts: frozenset[str]) -> bool:
    return trigger.present <= facts and not trigger.absent & facts


def test_the_broken_protocol_has_problems() -> None:
    assert BROKEN.check() != ()


@pytest.mark.parametrize("facts", subsets(), ids=lambda s: "+".join(sorted(s)) or "none")
def test_the_queries_agree_with_the_engine_on_every_set_of_facts(facts: frozenset[str]) -> None:
    evaluation = engine_of(BROKEN).evaluate(facts)
    for level in bt.Urgency:
        reached = any(contains(t, facts) for t in when_urgency(BROKEN, level))
        assert reached == (evaluation.urgency >= level), level
    given = {p.exercise.id for p in evaluation.prescriptions()}
    cautioned = {p.exercise.id for p in evaluation.prescriptions() if len(p.cautions)}
    fired = {f.rule for f in evaluation.fired}
    for exercise in BROKEN.exercises:
        withheld = any(contains(t, facts) for t in when_withheld(BROKEN, exercise.id))
        assert withheld == (exercise.id not in given), exercise.id
        if exercise.id in given:
            assert (exercise.id in cautioned) == (exercise.id == "e1" and "ok_caution" in fired)
        # A caution trigger holds with every capability given.
        able = {f.rule for f in engine_of(BROKEN).evaluate(facts | {"ok"}).fired}
        caution = any(contains(t, facts) for t in when_cautioned(BROKEN, exercise.id))
        assert caution == (exercise.id == "e1" and "ok_caution" in able)


def test_a_fact_no_assessment_can_set_is_refused() -> None:
    assert not realisable(BROKEN, {"bad_band"})
    with pytest.raises(bt.InvalidAnswerError, match="no assessment can set 'bad_band'"):
        closure(BROKEN, {"bad_band"})
    with pytest.raises(bt.InvalidAnswerError, match="bad_band"):
        example(BROKEN, "bad_band")


def test_a_prerequisite_nobody_can_have_withholds_always() -> None:
    assert when_withheld(BROKEN, "e2")[0] == Trigger((), (), ("engine.prerequisite",))


def test_a_union_too_large_for_the_limit_is_refused() -> None:
    rules = tuple(
        _rule(f"r{i}", AllOf((FactIs(x), FactIs(y))), Exclude(_select("e0")))
        for i, (x, y) in enumerate(combinations(("a", "b", "c"), 2))
    )
    protocol = attrs.evolve(BROKEN, rules=rules)
    with pytest.raises(bt.ProtocolError, match="withholding 'e0' has more than 2"):
        when_withheld(protocol, "e0", limit=2)


def test_a_witness_search_over_too_many_capabilities_is_refused() -> None:
    from backtriage.protocol._reasoner import Space

    capabilities = tuple(
        Fact(f"can_{i}", FactKind.CAPABILITY, Polarity.CAPABILITY) for i in range(4)
    )
    protocol = attrs.evolve(
        BROKEN,
        facts=capabilities,
        rules=(),
        exercises=(_exercise(0, tuple(f.name for f in capabilities)),),
    )
    space = Space((protocol,))
    avoided = [space.term(0, bit) for bit in (1, 2, 4, 8)]
    with pytest.raises(bt.ProtocolError, match="4 capabilities"):
        search(space, [0], avoided, limit=8)
    assert search(space, [0], avoided) == 15
