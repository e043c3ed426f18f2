"""The queries are exact: sound, minimal and complete, on the default and on random protocols.

Sound: every trigger, realised with ``example`` in the case most favourable to the person
(every capability not in ``absent`` given), produces the outcome through ``recommend``.
Minimal: removing any one present fact (or giving an absent capability) loses it, where the
smaller set is one an assessment can produce. Complete: every answered assessment, drawn
independently of the triggers, that has the outcome contains some trigger, and every one that
contains a trigger has it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol.model import Protocol
from backtriage.protocol.queries import realisable
from backtriage.review import Trigger, example, when_cautioned, when_urgency, when_withheld
from backtriage.testing import strategies as bts

from .outcomes import CAUTIONED, WITHHELD, capabilities, holds, outcomes

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


def realised(
    protocol: Protocol, kind: str, present: frozenset[str], absent: frozenset[str]
) -> bt.Plan:
    """Return the plan of ``present`` in the case most favourable to the person.

    For withholding and urgency that is every capability not in ``absent`` given; a caution
    is never favourable, so a caution trigger is realised exactly.
    """
    if kind != CAUTIONED:
        present = present | (capabilities(protocol) - absent)
    plan = bt.recommend(example(protocol, present, absent), protocol=protocol)
    assert plan.missing == ()
    return plan


def assert_sound_and_minimal(protocol: Protocol) -> None:
    for kind, key in outcomes(protocol):
        for trigger in triggers(protocol, kind, key):
            assert realisable(protocol, trigger.present, trigger.absent)
            plan = realised(protocol, kind, trigger.present, trigger.absent)
            assert holds(protocol, plan, kind, key), (kind, key, trigger)
            for fact in trigger.present:
                smaller = trigger.present - {fact}
                if realisable(protocol, smaller):
                    plan = realised(protocol, kind, smaller, trigger.absent)
                    assert not holds(protocol, plan, kind, key), (kind, key, trigger, fact)
            for capability in trigger.absent:
                plan = realised(
                    protocol, kind, trigger.present | {capability}, trigger.absent - {capability}
                )
                assert not holds(protocol, plan, kind, key), (kind, key, trigger, capability)


def assert_complete(protocol: Protocol, assessment: bt.Assessment) -> None:
    plan = bt.recommend(assessment, protocol=protocol)
    assert plan.missing == ()
    facts = set(plan.facts)
    for kind, key in outcomes(protocol):
        contained = [
            t for t in triggers(protocol, kind, key) if t.present <= facts and not t.absent & facts
        ]
        assert holds(protocol, plan, kind, key) == bool(contained), (kind, key, sorted(facts))


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
