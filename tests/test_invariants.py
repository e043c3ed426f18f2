"""Engine invariants that no protocol can switch off, tried on protocols that try."""

from __future__ import annotations

import attrs
import pytest

import backtriage as bt
from backtriage._facts import derive_facts
from backtriage.protocol._engine import engine_of

FLAGS = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
# Everything else the default protocol requires (from 2.0.0): the age and the findings asked of
# everyone, answered no.
REQUIRED = {
    "age": 40,
    "findings": {q.key: False for q in bt.questions() if q.kind == "finding" and q.required},
}


def test_a_given_odi_that_cannot_be_scored_is_missing_even_where_not_required() -> None:
    # Eight sections at the worst answer point to the bed-bound band: dropping the ODI
    # silently would give level-2 exercises to someone who may be bed-bound.
    # recommend() refuses this protocol (its ODI band rules take exercises away on an ODI it
    # does not require); the engine's own reading must still hold for whoever uses it.
    lenient = attrs.evolve(bt.default_protocol(), require_odi=False)
    assert {p.code for p in lenient.check()} == {"optional-input-takes-away"}
    assessment = bt.Assessment(odi=[5] * 8 + [None, None], red_flags=FLAGS, **REQUIRED)
    present, missing = derive_facts(assessment, lenient)
    assert missing == ["odi"]
    assert not [name for name in present if name.startswith("odi_")]
    assert engine_of(lenient).evaluate(present, missing=missing).prescriptions() == ()


def test_no_odi_at_all_is_fine_where_the_protocol_does_not_require_one() -> None:
    lenient = attrs.evolve(bt.default_protocol(), require_odi=False)
    _, missing = derive_facts(bt.Assessment(red_flags=FLAGS, **REQUIRED), lenient)
    assert missing == []


def test_a_protocol_that_takes_exercises_away_on_an_optional_odi_is_refused() -> None:
    # Without an ODI its crippled-band exclusions would silently not apply.
    lenient = attrs.evolve(bt.default_protocol(), require_odi=False)
    with pytest.raises(bt.ProtocolError, match="optional-input-takes-away"):
        bt.recommend(bt.Assessment(red_flags=FLAGS), protocol=lenient)


def test_a_red_flag_marked_not_required_is_still_asked_before_exercises() -> None:
    default = bt.default_protocol()
    facts = tuple(
        attrs.evolve(f, required=False) if f.name == "fever" else f for f in default.facts
    )
    relaxed = attrs.evolve(default, facts=facts)
    # Reported twice: as a red flag, and against the policy that every red flag is required.
    assert [p.code for p in relaxed.check()] == ["red-flag-not-required", "policy-required"]
    flags = {k: v for k, v in FLAGS.items() if k != "fever"}
    _, missing = derive_facts(bt.Assessment(odi=[1] * 10, red_flags=flags, **REQUIRED), relaxed)
    assert missing == ["fever"]
    evaluation = engine_of(relaxed).evaluate([], missing=missing)
    assert evaluation.given_mask == 0
