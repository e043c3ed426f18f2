"""Properties of the engine on random protocols and random sets of facts.

The protocols come from ``strategies.protocols``: random exercises, risk and capability facts,
and rules with random nested conditions and actions, kept within the monotone design
(capabilities only in caution-only rules and as prerequisites).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import (
    AllOf,
    AnyOf,
    Caution,
    Condition,
    Exclude,
    FactIs,
    Polarity,
    Protocol,
    Refer,
)
from backtriage.protocol._engine import Evaluation, engine_of
from strategies import fact_sets, protocols

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])
ENGINE_RULES = {"engine.urgency", "engine.missing_input", "engine.prerequisite"}


def given_ids(evaluation: Evaluation) -> set[str]:
    return {p.exercise.id for p in evaluation.prescriptions()}


def names(protocol: Protocol, polarity: Polarity) -> list[str]:
    return sorted({f.name for f in protocol.facts if f.polarity is polarity})


@st.composite
def protocol_and_facts(
    draw: st.DrawFn, *, monotone: bool = True
) -> tuple[Protocol, frozenset[str]]:
    protocol = draw(protocols(monotone=monotone))
    return protocol, draw(fact_sets(protocol))


@st.composite
def protocol_facts_and_one_more(
    draw: st.DrawFn, polarity: Polarity, *, monotone: bool = True
) -> tuple[Protocol, frozenset[str], str]:
    protocol = draw(protocols(monotone=monotone).filter(lambda p: bool(names(p, polarity))))
    facts = draw(fact_sets(protocol))
    return protocol, facts, draw(st.sampled_from(names(protocol, polarity)))


# -- monotonicity --------------------------------------------------------------------------


@SETTINGS
@given(protocol_facts_and_one_more(Polarity.RISK))
def test_adding_a_risk_fact_never_gives_an_exercise_nor_lowers_urgency(
    case: tuple[Protocol, frozenset[str], str],
) -> None:
    protocol, facts, risk = case
    before = engine_of(protocol).evaluate(facts)
    after = engine_of(protocol).evaluate(facts | {risk})

    assert given_ids(after) <= given_ids(before)
    assert after.urgency >= before.urgency
    assert set(before.fired_indices) <= set(after.fired_indices)


@SETTINGS
@given(protocol_facts_and_one_more(Polarity.CAPABILITY))
def test_adding_a_capability_never_takes_an_exercise_away_nor_changes_urgency(
    case: tuple[Protocol, frozenset[str], str],
) -> None:
    protocol, facts, capability = case
    before = engine_of(protocol).evaluate(facts)
    after = engine_of(protocol).evaluate(facts | {capability})

    assert given_ids(after) >= given_ids(before)
    assert after.urgency == before.urgency


@SETTINGS
@given(st.data())
def test_more_risk_and_fewer_capabilities_never_give_more(data: st.DataObject) -> None:
    protocol = data.draw(protocols())
    better = data.draw(fact_sets(protocol))
    added_risks = data.draw(fact_sets(protocol, Polarity.RISK))
    dropped_capabilities = data.draw(fact_sets(protocol, Polarity.CAPABILITY))
    # Every risk of "better" and more, and only some of its capabilities.
    worse = (better - dropped_capabilities) | added_risks

    better_result = engine_of(protocol).evaluate(better)
    worse_result = engine_of(protocol).evaluate(worse)

    assert given_ids(worse_result) <= given_ids(better_result)
    assert worse_result.urgency >= better_result.urgency


@SETTINGS
@given(protocol_and_facts(monotone=False))
def test_a_protocol_without_monotonicity_problems_is_monotone(
    case: tuple[Protocol, frozenset[str]],
) -> None:
    # The checker's promise: without these problems, monotonicity holds for every fact set.
    protocol, facts = case
    flagged = {p.code for p in protocol.check()}
    if flagged & {"capability-takes-away", "risk-prerequisite"}:
        return
    engine = engine_of(protocol)
    before = engine.evaluate(facts)
    for name in names(protocol, Polarity.RISK):
        after = engine.evaluate(facts | {name})
        assert given_ids(after) <= given_ids(before)
        assert after.urgency >= before.urgency
    for name in names(protocol, Polarity.CAPABILITY):
        after = engine.evaluate(facts | {name})
        assert given_ids(after) >= given_ids(before)
        assert after.urgency == before.urgency


# -- determinism, explanations, invariants ---------------------------------------------------


@SETTINGS
@given(st.data())
def test_evaluation_is_deterministic_and_independent_of_order_and_repeats(
    data: st.DataObject,
) -> None:
    protocol, facts = data.draw(protocol_and_facts())
    shuffled = data.draw(st.permutations(sorted(facts)))
    engine = engine_of(protocol)

    first = engine.evaluate(sorted(facts))
    again = engine.evaluate(shuffled + shuffled[:2])

    assert again == first
    assert again.fired == first.fired
    assert again.prescriptions() == first.prescriptions()
    assert again.withheld() == first.withheld()


@SETTINGS
@given(protocol_and_facts())
def test_every_withheld_exercise_has_reasons_that_name_a_rule_and_a_source(
    case: tuple[Protocol, frozenset[str]],
) -> None:
    protocol, facts = case
    rule_ids = {r.id for r in protocol.rules}

    for withheld in engine_of(protocol).evaluate(facts).withheld():
        assert withheld.reasons
        for reason in withheld.reasons:
            assert reason.rule in rule_ids | ENGINE_RULES
            assert reason.text.strip()
            assert reason.source.strip()


@SETTINGS
@given(protocol_and_facts())
def test_no_exercise_is_both_given_and_withheld_and_none_is_lost(
    case: tuple[Protocol, frozenset[str]],
) -> None:
    protocol, facts = case
    evaluation = engine_of(protocol).evaluate(facts)
    given = [p.exercise.id for p in evaluation.prescriptions()]
    withheld = [w.exercise.id for w in evaluation.withheld()]

    assert not set(given) & set(withheld)
    assert sorted(given + withheld) == sorted(e.id for e in protocol.exercises)


@SETTINGS
@given(protocol_and_facts())
def test_same_day_or_emergency_leaves_no_exercise(case: tuple[Protocol, frozenset[str]]) -> None:
    protocol, facts = case
    evaluation = engine_of(protocol).evaluate(facts)

    if evaluation.urgency >= bt.Urgency.SAME_DAY:
        assert evaluation.prescriptions() == ()


@SETTINGS
@given(protocol_and_facts())
def test_any_missing_input_leaves_no_exercise(case: tuple[Protocol, frozenset[str]]) -> None:
    protocol, facts = case

    evaluation = engine_of(protocol).evaluate(facts, missing=["odi"])

    assert evaluation.prescriptions() == ()
    assert all(w.reasons[0].rule == "engine.missing_input" for w in evaluation.withheld())


# -- the compiled engine agrees with a plain reading of the protocol -------------------------


def holds(condition: Condition, facts: frozenset[str]) -> bool:
    """Evaluate ``condition`` the slow, obvious way."""
    if isinstance(condition, FactIs):
        return condition.fact in facts
    results = [holds(c, facts) for c in condition.conditions]
    if isinstance(condition, AllOf):
        return bool(results) and all(results)
    if isinstance(condition, AnyOf):
        return any(results)
    return sum(results) >= condition.n


@SETTINGS
@given(protocol_and_facts())
def test_the_engine_agrees_with_a_plain_reading_of_the_rules(
    case: tuple[Protocol, frozenset[str]],
) -> None:
    protocol, facts = case
    evaluation = engine_of(protocol).evaluate(facts)

    fired = [rule for rule in protocol.rules if holds(rule.condition, facts)]
    urgency = max(
        (a.urgency for rule in fired for a in rule.actions if isinstance(a, Refer)),
        default=bt.Urgency.NONE,
    )
    excluded = {
        e.id
        for rule in fired
        for a in rule.actions
        if isinstance(a, Exclude)
        for e in protocol.exercises
        if a.select.matches(e)
    }
    unmet = {e.id for e in protocol.exercises if not set(e.prerequisites) <= facts}
    blocked = urgency >= bt.Urgency.SAME_DAY
    given = set() if blocked else {e.id for e in protocol.exercises} - excluded - unmet
    cautions = {
        exercise_id: [
            (rule.id, a.text)
            for rule in fired
            for a in rule.actions
            if isinstance(a, Caution) and a.select.matches(protocol.exercise(exercise_id))
        ]
        for exercise_id in given
    }

    assert [f.rule for f in evaluation.fired] == [rule.id for rule in fired]
    assert evaluation.urgency is urgency
    assert given_ids(evaluation) == given
    assert {
        p.exercise.id: [(c.rule, c.text) for c in p.cautions if c.rule != "protocol.safety"]
        for p in evaluation.prescriptions()
    } == cautions
