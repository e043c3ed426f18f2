"""The queries are exact: sound, minimal and complete, on the default and on random protocols.

Sound: every trigger, realised with ``example`` in the case most favourable to the person
(every capability not in ``absent`` given), produces the outcome through ``recommend``.
Minimal: removing any one present fact (or giving an absent capability) loses it, realised the
same way, where the smaller set is one an assessment can produce. Complete: every answered
assessment, drawn independently of the triggers, that has the outcome contains some trigger;
and one that contains a trigger has the outcome (for a caution, when it gives every
capability: a caution rule may ask for one, and a trigger never lists capabilities as present).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import Protocol
from backtriage.protocol._queries import realisable
from backtriage.review import Trigger, example, when_cautioned, when_urgency, when_withheld
from backtriage.testing import strategies as bts

from .outcomes import CAUTIONED, URGENCY, WITHHELD, capabilities, holds, outcomes

DEFAULT = bt.default_protocol()


def triggers(protocol: Protocol, kind: str, key: object) -> tuple[Trigger, ...]:
    if kind == WITHHELD:
        assert isinstance(key, str)
        return when_withheld(protocol, key)
    if kind == CAUTIONED:
        assert isinstance(key, str)
        return when_cautioned(protocol, key)
    assert isinstance(key, bt.Urgency)
    return when_urgency(protocol, key)


def realised(protocol: Protocol, present: frozenset[str], absent: frozenset[str]) -> bt.Plan:
    """Return the plan of ``present`` in the case most favourable to the person: every
    capability not in ``absent`` given."""
    present = present | (capabilities(protocol) - absent)
    plan = bt.recommend(example(protocol, present, absent), protocol=protocol)
    assert plan.missing == ()
    return plan


def assert_rules_shown(plan: bt.Plan, kind: str, key: object, trigger: Trigger) -> None:
    """The rules a trigger names are in the plan: fired, or reasons of the withheld exercise."""
    assert trigger.rules or (kind == URGENCY and key is bt.Urgency.NONE)
    fired = {f.rule: f.urgency for f in plan.fired}
    reasons = {r.rule for w in plan.withheld if w.exercise.id == key for r in w.reasons}
    for rule in trigger.rules:
        if kind == URGENCY:
            assert fired[rule] is not None, (rule, trigger)
            assert fired[rule] >= key, (rule, trigger)
        elif kind == WITHHELD:
            assert rule in reasons or rule in fired, (rule, trigger)
        else:
            assert rule in fired, (rule, trigger)


def assert_sound_and_minimal(protocol: Protocol) -> None:
    for kind, key in outcomes(protocol):
        for trigger in triggers(protocol, kind, key):
            assert realisable(protocol, trigger.present, trigger.absent)
            plan = realised(protocol, trigger.present, trigger.absent)
            assert holds(protocol, plan, kind, key), (kind, key, trigger)
            assert_rules_shown(plan, kind, key, trigger)
            for fact in trigger.present:
                smaller = trigger.present - {fact}
                if realisable(protocol, smaller):
                    plan = realised(protocol, smaller, trigger.absent)
                    assert not holds(protocol, plan, kind, key), (kind, key, trigger, fact)
            for capability in trigger.absent:
                plan = realised(
                    protocol, trigger.present | {capability}, trigger.absent - {capability}
                )
                assert not holds(protocol, plan, kind, key), (kind, key, trigger, capability)


def assert_complete(protocol: Protocol, assessment: bt.Assessment) -> None:
    # The triggers describe the people within the scope: below its minimum age no exercise is
    # given and the urgency is raised outside the rule language.
    if assessment.age is not None and protocol.scope.band(assessment.age) is not None:
        return
    plan = bt.recommend(assessment, protocol=protocol)
    assert plan.missing == ()
    facts = set(plan.facts)
    for kind, key in outcomes(protocol):
        contained = [
            t for t in triggers(protocol, kind, key) if t.present <= facts and not t.absent & facts
        ]
        if holds(protocol, plan, kind, key):
            assert contained, (kind, key, sorted(facts))
        elif kind != CAUTIONED or capabilities(protocol) <= facts:
            # A trigger holds in the favourable case: a caution may need a capability given.
            assert not contained, (kind, key, sorted(facts), contained)


def test_every_trigger_of_the_default_protocol_is_sound_and_minimal() -> None:
    assert_sound_and_minimal(DEFAULT)


@given(bts.assessments(DEFAULT, complete=True))
def test_an_answered_assessment_has_an_outcome_exactly_when_it_contains_a_trigger(
    assessment: bt.Assessment,
) -> None:
    assert_complete(DEFAULT, assessment)


@settings(max_examples=40)
@given(bts.protocols())
def test_every_trigger_of_a_random_protocol_is_sound_and_minimal(protocol: Protocol) -> None:
    assert_sound_and_minimal(protocol)


@given(st.data())
def test_random_protocols_have_an_outcome_exactly_when_a_trigger_is_contained(
    data: st.DataObject,
) -> None:
    protocol = data.draw(bts.protocols(), label="protocol")
    for _ in range(3):
        assessment = data.draw(bts.assessments(protocol, complete=True), label="assessment")
        assert_complete(protocol, assessment)


@given(st.data())
def test_the_facts_of_an_answered_assessment_are_realised_exactly_by_example(
    data: st.DataObject,
) -> None:
    protocol = data.draw(st.sampled_from([DEFAULT]) | bts.protocols(), label="protocol")
    assessment = data.draw(bts.assessments(protocol, complete=True), label="assessment")
    facts = frozenset(bt.recommend(assessment, protocol=protocol).facts)
    assert realisable(protocol, facts)
    plan = bt.recommend(example(protocol, facts), protocol=protocol)
    assert plan.missing == ()
    assert frozenset(plan.facts) == facts
