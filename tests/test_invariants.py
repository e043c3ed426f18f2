"""Engine invariants that no protocol can switch off, tried on protocols that try."""

from __future__ import annotations

import attrs

import backtriage as bt
from backtriage.facts import derive_facts

FLAGS = {q.key: False for q in bt.questions() if q.kind == "red_flag"}


def test_a_given_odi_that_cannot_be_scored_is_missing_even_where_not_required() -> None:
    # Eight sections at the worst answer point to the bed-bound band: dropping the ODI
    # silently would give level-2 exercises to someone who may be bed-bound.
    lenient = attrs.evolve(bt.default_protocol(), require_odi=False)
    assert lenient.check() == ()
    plan = bt.recommend(
        bt.Assessment(odi=[5] * 8 + [None, None], red_flags=FLAGS), protocol=lenient
    )
    assert plan.missing == ("odi",)
    assert plan.exercises == ()
    assert plan.odi is None


def test_no_odi_at_all_is_fine_where_the_protocol_does_not_require_one() -> None:
    lenient = attrs.evolve(bt.default_protocol(), require_odi=False)
    plan = bt.recommend(bt.Assessment(red_flags=FLAGS), protocol=lenient)
    assert plan.missing == ()
    assert plan.exercises


def test_a_red_flag_marked_not_required_is_still_asked_before_exercises() -> None:
    default = bt.default_protocol()
    facts = tuple(
        attrs.evolve(f, required=False) if f.name == "fever" else f for f in default.facts
    )
    relaxed = attrs.evolve(default, facts=facts)
    assert [p.code for p in relaxed.check()] == ["red-flag-not-required"]
    flags = {k: v for k, v in FLAGS.items() if k != "fever"}
    _, missing = derive_facts(bt.Assessment(odi=[1] * 10, red_flags=flags), relaxed)
    assert missing == ["fever"]
    evaluation = relaxed.engine.evaluate([], missing=missing)
    assert evaluation.given_mask == 0
