"""The one reasoner, and everything built on it, give the engine's answer on every condition.

A random condition over a small set of facts (four yes/no findings, two thresholds of the ODI
band, so that a fact can imply another, and two directional preferences, which never hold
together) is put into a protocol through the loader, and on
every set of facts an assessment can hold the engine, the reasoner, the queries, the static
checks and the testing kit's harness must agree on whether the rule fires.
"""

from __future__ import annotations

from itertools import chain, combinations
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.protocol import AllOf, AnyOf, AtLeast, Condition, FactIs, Protocol
from backtriage.protocol import protocol_from_data as load
from backtriage.protocol._engine import engine_of
from backtriage.protocol._queries import triggers_of_rule
from backtriage.protocol._reasoner import (
    Space,
    always_present,
    assessment_for,
    closure,
    facts_of,
    fires,
    holds,
    minimal_sets,
)
from backtriage.serialize import converter
from backtriage.testing._harness import _Subject

FINDINGS = ("a", "b", "c", "d")
THRESHOLDS = {"severe": "severe", "crippled": "crippled"}  # crippled implies severe
PREFERENCES = {"flexes": "flexion", "extends": "extension"}  # one at a time
NAMES = (*FINDINGS, *THRESHOLDS, *PREFERENCES)


def _subsets() -> list[frozenset[str]]:
    """Every set of facts some assessment holds: a higher threshold brings the lower one, and
    a person has one directional preference at most."""
    every = chain.from_iterable(combinations(NAMES, k) for k in range(len(NAMES) + 1))
    return [
        s
        for s in map(frozenset, every)
        if ("crippled" not in s or "severe" in s) and not set(PREFERENCES) <= s
    ]


SUBSETS = _subsets()


def conditions(*, valid: bool = True) -> st.SearchStrategy[Condition]:
    """Draw conditions over ``NAMES``; with ``valid`` False, also ones the loader refuses."""
    least = 1 if valid else 0

    def extend(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        lists = st.lists(children, min_size=least, max_size=3).map(tuple)
        return st.one_of(
            lists.map(AllOf),
            lists.map(AnyOf),
            lists.flatmap(
                lambda cs: st.integers(least, len(cs) + (0 if valid else 1)).map(
                    lambda n: AtLeast(n, cs)
                )
            ),
        )

    return st.recursive(st.sampled_from(NAMES).map(FactIs), extend, max_leaves=6)


def _meaningful(condition: Condition) -> bool:
    if isinstance(condition, FactIs):
        return True
    children = condition.conditions
    if not children or (isinstance(condition, AtLeast) and not 1 <= condition.n <= len(children)):
        return False
    return all(_meaningful(c) for c in children)


def _document(condition: Condition) -> dict[str, Any]:
    """A protocol with one rule on ``condition`` that withholds everything and refers nobody."""
    facts: list[dict[str, Any]] = [
        {"name": name, "kind": "finding", "polarity": "risk"} for name in FINDINGS
    ]
    facts.extend(
        {
            "name": name,
            "kind": "derived",
            "polarity": "risk",
            "derive": {"source": "odi_band", "at_least": band},
        }
        for name, band in THRESHOLDS.items()
    )
    facts.extend(
        {
            "name": name,
            "kind": "derived",
            "polarity": "risk",
            "derive": {"source": "preference", "equals": direction},
        }
        for name, direction in PREFERENCES.items()
    )
    rule = {
        "id": "r",
        "condition": converter.unstructure(condition, Condition),
        "actions": [{"exclude": {"all": True}}],
        "reason": "Why.",
        "source": "t",
    }
    return {
        "name": "agreement",
        "version": "1",
        "exercises": [
            {
                "id": "e0",
                "title": "E0",
                "family": "f",
                "movement": "flexion",
                "position": "supine",
                "level": 1,
                "in_bed": True,
                "dosage": "5 times",
                "instructions": "Gently.",
            }
        ],
        "facts": facts,
        "rules": [rule],
    }


def _engine_fires(protocol: Protocol, facts: frozenset[str]) -> bool:
    return bool(engine_of(protocol).evaluate(facts).fired_indices)


@given(conditions(valid=False))
def test_the_loader_accepts_exactly_the_conditions_with_a_meaning(condition: Condition) -> None:
    document = _document(condition)
    if _meaningful(condition):
        assert load(document).rules[0].condition == condition
    else:
        with pytest.raises(bt.ProtocolError, match=r"rules\[0\] \(rule 'r'\): condition"):
            load(document)


@given(conditions())
@example(AllOf((FactIs("flexes"), FactIs("extends"))))  # two preferences: never together
@example(AtLeast(2, (FactIs("flexes"), FactIs("extends"), FactIs("a"))))
@example(AnyOf((FactIs("crippled"), AllOf((FactIs("severe"), FactIs("b"))))))
def test_engine_reasoner_queries_checks_and_kit_agree_on_every_set_of_facts(
    condition: Condition,
) -> None:
    protocol = load(_document(condition))
    sets = minimal_sets(protocol, condition)
    triggers = triggers_of_rule(protocol, "r")
    subject = _Subject(protocol)
    for facts in SUBSETS:
        expected = _engine_fires(protocol, facts)
        assert fires(condition, facts) == expected, facts
        # Loaded conditions are never true on no facts, so the engine's "only once a fact it
        # names holds" changes nothing: holding is firing.
        assert holds(condition, facts) == expected, facts
        assert any(s <= facts for s in sets) == expected, facts
        assert any(t.present <= facts for t in triggers) == expected, facts
        assessment = subject.realize(facts)
        assert assessment is not None, facts
        outcome = subject.run(assessment)
        assert set(outcome.facts) == facts
        assert ("r" in outcome.fired) == expected, facts
    # Each minimal set fires the rule, and no smaller set does.
    for found in sets:
        assert _engine_fires(protocol, frozenset(closure(protocol, found)))
        for name in found:
            assert not _engine_fires(protocol, frozenset(closure(protocol, found - {name})))
    # The kit seeds the rule with sets that fire it.
    for found in subject.rule_sets(protocol.rules[0]):
        assessment = subject.realize(found)
        assert assessment is not None
        assert "r" in subject.run(assessment).fired
    # The dead-end check (the rule withholds everything and refers nobody) speaks exactly
    # when some assessment fires the rule.
    dead_end = [p for p in protocol.check() if p.code == "dead-end"]
    assert bool(dead_end) == any(_engine_fires(protocol, facts) for facts in SUBSETS)


def test_a_threshold_implies_every_lower_one_in_the_closure() -> None:
    protocol = load(_document(FactIs("crippled")))

    assert closure(protocol, ["crippled"]) == ("severe", "crippled")
    assert closure(protocol, ["severe", "undeclared"]) == ("severe",)
    assert minimal_sets(protocol, FactIs("crippled")) == [frozenset({"crippled"})]


def test_a_threshold_that_must_not_hold_takes_every_higher_one_with_it() -> None:
    protocol = load(_document(FactIs("a")))
    space = Space((protocol,))
    severe, crippled = (space.fact_atoms[0][name] for name in ("severe", "crippled"))

    assert space.close_absent(severe) == severe | crippled
    assert space.close_absent(crippled) == crippled
    assert space.implies(crippled) == severe | crippled
    assert space.strongest(severe | crippled) == crippled


def test_the_lowest_threshold_of_a_required_input_is_always_present() -> None:
    document = _document(FactIs("a"))
    document["require_odi"] = True
    document["facts"].append(
        {
            "name": "any_odi",
            "kind": "derived",
            "polarity": "risk",
            "derive": {"source": "odi_band", "at_least": "minimal"},
        }
    )
    protocol = load(document)

    assert always_present(protocol) == ("any_odi",)
    assert closure(protocol, ["a"]) == ("a",)
    assert closure(protocol, ["a"], answered=True) == ("a", "any_odi")
    # A minimal set leaves out what every answered assessment holds.
    assert minimal_sets(protocol, AllOf((FactIs("a"), FactIs("any_odi")))) == [frozenset({"a"})]


def test_a_rule_true_on_no_facts_fires_once_a_fact_it_names_holds() -> None:
    # Only a protocol built in Python can hold at_least 0; the engine looks at a rule only once
    # a fact it names holds, and the reasoner says the same.
    condition = AtLeast(0, (FactIs("a"), FactIs("b")))
    protocol = load(_document(FactIs("a")))
    built = attrs.evolve(protocol, rules=(attrs.evolve(protocol.rules[0], condition=condition),))

    assert holds(condition, frozenset())
    assert not fires(condition, frozenset())
    for facts in SUBSETS:
        assert fires(condition, facts) == _engine_fires(built, facts), facts
    assert minimal_sets(built, condition) == [frozenset({"a"}), frozenset({"b"})]
    assert list(facts_of(condition)) == ["a", "b"]


def _with_inputs() -> Protocol:
    """The agreement protocol with a red flag, a required finding, an optional one, the ODI,
    STarT Back and age required, and the higher ODI threshold declared first."""
    document = _document(FactIs("a"))
    document["require_odi"] = document["require_start_back"] = document["require_age"] = True
    document["facts"] = [
        {"name": "flag", "kind": "red_flag", "polarity": "risk", "question": "Fever?"},
        {"name": "must", "kind": "finding", "polarity": "risk", "required": True},
        *document["facts"][::-1],
    ]
    return load(document)


def test_a_set_of_atoms_becomes_the_assessment_that_gives_it() -> None:
    protocol = _with_inputs()
    space = Space((protocol,))
    answers = space.answers(space.close(space.atoms_of(["crippled", "a"]) or 0))

    assert answers.ranks["odi"] == 3  # the highest threshold, whichever is declared first
    assert answers.ranks["start_back"] == 0  # required: given at its lowest
    assert answers.age == 0
    every = assessment_for(protocol, answers)
    assert every.red_flags == {"flag": False}
    assert every.findings["a"] is True
    assert every.findings["b"] is False  # every finding answered
    assert every.odi_score is not None
    assert every.odi_score.band is bt.DisabilityBand.CRIPPLED
    assert every.start_back is not None
    assert every.age == 0


def test_the_plainest_assessment_answers_only_what_is_yes_or_required() -> None:
    protocol = _with_inputs()
    space = Space((protocol,))
    answers = space.answers(space.close(space.atoms_of(["a"]) or 0))

    plainest = assessment_for(protocol, answers, plainest=True)

    assert dict(plainest.findings) == {"a": True, "must": False}
    assert plainest.red_flags == {"flag": False}


@pytest.mark.parametrize("name", ["flag", "must", "a", "odi", "start_back", "age"])
def test_a_question_or_input_left_unanswered_has_no_answer(name: str) -> None:
    protocol = _with_inputs()
    space = Space((protocol,))
    answers = space.answers(space.close(space.atoms_of(["a"]) or 0))

    assessment = assessment_for(protocol, answers, unanswered={name})

    given = {
        "flag": assessment.red_flags.get("flag"),
        "must": assessment.findings.get("must"),
        "a": assessment.findings.get("a"),
        "odi": assessment.odi,
        "start_back": assessment.start_back,
        "age": assessment.age,
    }
    assert [n for n, value in given.items() if value is None] == [name]


def test_the_closure_and_its_converse_take_every_fact_given() -> None:
    protocol = load(_document(FactIs("a")))
    space = Space((protocol,))
    atoms = space.fact_atoms[0]

    assert set(closure(protocol, ["a", "b", "crippled", "c", "d", "flexes"])) == set(NAMES) - {
        "extends"
    }
    absent = space.close_absent(atoms["a"] | atoms["severe"])
    assert absent == atoms["a"] | atoms["severe"] | atoms["crippled"]
