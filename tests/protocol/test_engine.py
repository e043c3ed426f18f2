"""The engine: conditions, actions, selectors and the invariants no protocol can switch off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import backtriage as bt
from backtriage.protocol import Protocol, Selector
from backtriage.protocol._engine import Evaluation, engine_of
from backtriage.protocol._reasoner import ENGINE_SOURCE

from . import codes, item, load, mini


def given_ids(evaluation: Evaluation) -> list[str]:
    return [p.exercise.id for p in evaluation.prescriptions()]


def withheld_reasons(evaluation: Evaluation) -> dict[str, list[str]]:
    return {w.exercise.id: [r.rule for r in w.reasons] for w in evaluation.withheld()}


def fired_ids(evaluation: Evaluation) -> list[str]:
    return [f.rule for f in evaluation.fired]


def with_rule(condition: object, actions: Sequence[object], **changes: Any) -> Protocol:
    """Return the mini protocol with one more rule, ``probe``, and ``changes`` at the top."""
    data = mini()
    data["rules"].append(
        {
            "id": "probe",
            "condition": condition,
            "actions": list(actions),
            "reason": "Probe reason.",
            "source": "S1",
        }
    )
    data.update(changes)
    return load(data)


PROBE_CAUTION = [{"caution": {"all": True}, "text": "probe"}]


# -- conditions ----------------------------------------------------------------------------

F = {"fact": "stiff"}
G = {"fact": "sore"}
H = {"fact": "numb"}
CONDITIONS: dict[str, tuple[object, list[str], bool]] = {
    "fact present": (F, ["stiff"], True),
    "fact absent": (F, ["sore"], False),
    "all with every one": ({"all": [F, G]}, ["stiff", "sore"], True),
    "all with one missing": ({"all": [F, G]}, ["stiff"], False),
    "any with one": ({"any": [F, G]}, ["sore"], True),
    "any with none": ({"any": [F, G]}, ["numb"], False),
    "at_least 2 of 3 with 2": ({"at_least": 2, "of": [F, G, H]}, ["stiff", "numb"], True),
    "at_least 2 of 3 with 1": ({"at_least": 2, "of": [F, G, H]}, ["numb"], False),
    "at_least 3 of 3 with 3": ({"at_least": 3, "of": [F, G, H]}, ["stiff", "sore", "numb"], True),
    "at_least 1 of 1": ({"at_least": 1, "of": [F]}, ["stiff"], True),
    # A condition listed twice counts twice, whether it is a plain fact or nested.
    "a fact listed twice counts twice": ({"at_least": 2, "of": [F, F, G]}, ["stiff"], True),
    "a nested copy counts twice": ({"at_least": 2, "of": [F, {"any": [F]}, G]}, ["stiff"], True),
    "a fact listed twice is still one fact": ({"at_least": 3, "of": [F, F, G]}, ["stiff"], False),
    "all of any": ({"all": [{"any": [F, G]}, H]}, ["sore", "numb"], True),
    "all of any without the any": ({"all": [{"any": [F, G]}, H]}, ["numb"], False),
    "any of all": ({"any": [{"all": [F, G]}, H]}, ["stiff", "sore"], True),
    "any of all with half of it": ({"any": [{"all": [F, G]}, H]}, ["stiff"], False),
    "at_least of nested": (
        {"at_least": 2, "of": [{"all": [F, G]}, {"any": [H]}, {"fact": "fever"}]},
        ["stiff", "sore", "fever"],
        True,
    ),
    "at_least of nested short by one": (
        {"at_least": 2, "of": [{"all": [F, G]}, {"any": [H]}, {"fact": "fever"}]},
        ["stiff", "fever"],
        False,
    ),
    "a capability in a caution rule": ({"fact": "hug_ok"}, ["hug_ok"], True),
}


@pytest.mark.parametrize(
    ("condition", "facts", "fires"), CONDITIONS.values(), ids=CONDITIONS.keys()
)
def test_a_condition_fires_exactly_when_it_holds(
    condition: object, facts: list[str], fires: bool
) -> None:
    protocol = with_rule(condition, PROBE_CAUTION)

    # The engine counts a repeated entry as written; check() reports the repetition.
    repeated = condition != _distinct_entries(condition)
    assert codes(protocol) == (["duplicate-condition"] if repeated else [])
    assert ("probe" in fired_ids(engine_of(protocol).evaluate(facts))) is fires


def _distinct_entries(condition: object) -> object:
    """Return a condition document with each list's repeated entries dropped."""
    if isinstance(condition, dict):
        return {
            key: [_distinct_entries(c) for i, c in enumerate(value) if c not in value[:i]]
            if isinstance(value, list)
            else value
            for key, value in condition.items()
        }
    return condition


def test_no_rule_fires_on_no_facts() -> None:
    evaluation = engine_of(load(mini())).evaluate([])

    assert evaluation.fired == ()
    assert evaluation.urgency is bt.Urgency.NONE


# -- actions ---------------------------------------------------------------------------------


def test_refer_sets_the_urgency_of_the_plan() -> None:
    evaluation = engine_of(load(mini())).evaluate(["numb"])

    assert evaluation.urgency is bt.Urgency.SOON


def test_the_highest_urgency_of_all_fired_rules_wins() -> None:
    protocol = with_rule(F, [{"refer": "routine"}])

    assert engine_of(protocol).evaluate(["stiff"]).urgency is bt.Urgency.ROUTINE
    assert engine_of(protocol).evaluate(["stiff", "numb"]).urgency is bt.Urgency.SOON
    assert engine_of(protocol).evaluate(["stiff", "numb", "fever"]).urgency is bt.Urgency.SAME_DAY


def test_the_highest_refer_of_one_rule_wins_and_is_in_the_audit_trail() -> None:
    protocol = with_rule(F, [{"refer": "soon"}, {"refer": "routine"}])

    evaluation = engine_of(protocol).evaluate(["stiff"])

    assert evaluation.urgency is bt.Urgency.SOON
    assert evaluation.fired[-1].urgency is bt.Urgency.SOON


def test_exclude_withholds_the_exercise_with_the_rule_its_reason_and_source() -> None:
    evaluation = engine_of(load(mini())).evaluate(["sore"])

    withheld = {w.exercise.id: w.reasons for w in evaluation.withheld()}
    assert withheld["bend"] == (bt.Reason("sore_no_bend", "Soreness: no bending.", "S1"),)
    assert "bend" not in given_ids(evaluation)


def test_an_exercise_excluded_by_two_rules_has_both_reasons_in_protocol_order() -> None:
    protocol = with_rule(F, [{"exclude": {"ids": ["bend"]}}])

    evaluation = engine_of(protocol).evaluate(["stiff", "sore"])

    assert withheld_reasons(evaluation)["bend"] == ["sore_no_bend", "probe"]


def test_caution_is_attached_to_the_given_exercises_it_selects_after_the_safety_advice() -> None:
    evaluation = engine_of(load(mini())).evaluate(["sore", "hug_ok"])

    cautions = {
        p.exercise.id: [(c.rule, c.text) for c in p.cautions] for p in evaluation.prescriptions()
    }
    safety = ("protocol.safety", "Stop if it hurts.")
    assert cautions == {
        "hug": [safety, ("sore_no_bend", "Go gently.")],
        "double_hug": [
            safety,
            ("sore_no_bend", "Go gently."),
            ("hug_ok_caution", "Both knees: slowly."),
        ],
        "arch": [safety],
    }


def test_a_caution_on_a_withheld_exercise_is_not_shown() -> None:
    protocol = with_rule(G, [{"caution": {"ids": ["bend"]}, "text": "Careful."}])

    evaluation = engine_of(protocol).evaluate(["sore"])

    assert "bend" not in given_ids(evaluation)
    assert all(c.rule != "probe" for p in evaluation.prescriptions() for c in p.cautions)


def test_the_safety_advice_cites_its_source() -> None:
    evaluation = engine_of(load(mini())).evaluate([])

    assert all(
        p.cautions[0] == bt.Reason("protocol.safety", "Stop if it hurts.", "S1")
        for p in evaluation.prescriptions()
    )


def test_a_protocol_without_safety_advice_adds_no_caution() -> None:
    data = mini()
    data["safety"] = ""

    evaluation = engine_of(load(data)).evaluate([])

    assert all(p.cautions == () for p in evaluation.prescriptions())


# -- selectors -------------------------------------------------------------------------------

SELECTORS: dict[str, tuple[dict[str, object], set[str]]] = {
    "ids": ({"ids": ["bend", "arch"]}, {"bend", "arch"}),
    "families": ({"families": ["hugs"]}, {"hug", "double_hug"}),
    "movements": ({"movements": ["extension"]}, {"arch"}),
    "positions": ({"positions": ["supine"]}, {"hug", "double_hug"}),
    "levels": ({"levels": [2]}, {"double_hug", "arch"}),
    "all": ({"all": True}, {"bend", "hug", "double_hug", "arch"}),
    "all_except_in_bed": ({"all_except_in_bed": True}, {"bend", "arch"}),
    "the union of several keys": ({"ids": ["bend"], "levels": [2]}, {"bend", "double_hug", "arch"}),
    "all = false adds nothing": ({"all": False, "ids": ["hug"]}, {"hug"}),
}


@pytest.mark.parametrize(("selector", "selected"), SELECTORS.values(), ids=SELECTORS.keys())
def test_an_exclude_selector_withholds_exactly_what_it_selects(
    selector: dict[str, object], selected: set[str]
) -> None:
    protocol = with_rule(F, [{"exclude": selector}])

    evaluation = engine_of(protocol).evaluate(["stiff", "hug_ok"])

    assert set(withheld_reasons(evaluation)) == selected
    assert all(reasons == ["probe"] for reasons in withheld_reasons(evaluation).values())


@pytest.mark.parametrize(("selector", "selected"), SELECTORS.values(), ids=SELECTORS.keys())
def test_a_caution_selector_cautions_exactly_what_it_selects(
    selector: dict[str, object], selected: set[str]
) -> None:
    protocol = with_rule(F, [{"caution": selector, "text": "probe"}])

    evaluation = engine_of(protocol).evaluate(["stiff", "hug_ok"])

    cautioned = {
        p.exercise.id
        for p in evaluation.prescriptions()
        if any(c.rule == "probe" for c in p.cautions)
    }
    assert cautioned == selected


def test_an_empty_selector_selects_nothing() -> None:
    engine = engine_of(load(mini()))

    assert engine.select(Selector()) == 0
    assert engine.select(Selector(all=True)) == engine.all_mask


# -- engine invariants -----------------------------------------------------------------------


@pytest.mark.parametrize("urgency", ["same_day", "emergency"])
def test_a_same_day_or_emergency_urgency_withholds_every_exercise(urgency: str) -> None:
    protocol = with_rule(F, [{"refer": urgency}])

    evaluation = engine_of(protocol).evaluate(["stiff", "hug_ok"])

    assert evaluation.prescriptions() == ()
    reasons = {w.exercise.id: w.reasons for w in evaluation.withheld()}
    assert set(reasons) == {"bend", "hug", "double_hug", "arch"}
    for exercise_reasons in reasons.values():
        assert exercise_reasons[0].rule == "engine.urgency"
        assert exercise_reasons[0].source == ENGINE_SOURCE


@pytest.mark.parametrize("urgency", ["none", "routine", "soon"])
def test_a_lower_urgency_alone_withholds_nothing(urgency: str) -> None:
    protocol = with_rule(F, [{"refer": urgency}])

    evaluation = engine_of(protocol).evaluate(["stiff", "hug_ok"])

    assert given_ids(evaluation) == ["bend", "hug", "double_hug", "arch"]


def test_a_missing_required_input_withholds_every_exercise_and_names_it() -> None:
    evaluation = engine_of(load(mini())).evaluate(["hug_ok"], missing=["fever", "odi"])

    assert evaluation.prescriptions() == ()
    for withheld in evaluation.withheld():
        first = withheld.reasons[0]
        assert first.rule == "engine.missing_input"
        assert first.text == "Answer the questions first."  # the protocol's text


def test_an_unmet_prerequisite_withholds_the_exercise_naming_what_unlocks_it() -> None:
    evaluation = engine_of(load(mini())).evaluate([])

    (withheld,) = evaluation.withheld()
    assert withheld.exercise.id == "double_hug"
    (reason,) = withheld.reasons
    assert reason.rule == "engine.prerequisite"
    assert reason.text == "Not yet, first: Knee hug."  # the protocol's text, the title
    assert reason.source == ENGINE_SOURCE


def test_a_met_prerequisite_gives_the_exercise() -> None:
    evaluation = engine_of(load(mini())).evaluate(["hug_ok"])

    assert "double_hug" in given_ids(evaluation)


def test_a_prerequisite_without_unlocked_by_is_named_by_its_fact() -> None:
    data = mini()
    del item(data, "facts", "hug_ok")["unlocked_by"]

    evaluation = engine_of(load(data)).evaluate([])

    assert "hug_ok" in evaluation.withheld()[0].reasons[0].text


def test_every_exercise_is_either_given_or_withheld_never_both() -> None:
    protocol = load(mini())

    for facts in ([], ["sore"], ["stiff", "sore"], ["fever"], ["hug_ok", "odi_severe"]):
        evaluation = engine_of(protocol).evaluate(facts)
        given = given_ids(evaluation)
        withheld = list(withheld_reasons(evaluation))
        assert sorted(given + withheld) == sorted(e.id for e in protocol.exercises)
        assert not set(given) & set(withheld)
        assert all(withheld_reasons(evaluation).values()), "every withheld exercise has a reason"


def test_fired_rules_are_listed_in_protocol_order_whatever_the_order_of_the_facts() -> None:
    engine = engine_of(load(mini()))

    forward = engine.evaluate(["fever", "numb", "sore", "hug_ok"])
    backward = engine.evaluate(["hug_ok", "sore", "numb", "fever"])

    assert fired_ids(forward) == ["fever_same_day", "numb_soon", "sore_no_bend", "hug_ok_caution"]
    assert forward == backward
    assert forward.fired == backward.fired
    assert forward.withheld() == backward.withheld()


def test_the_audit_trail_keeps_each_rules_reason_source_and_urgency() -> None:
    evaluation = engine_of(load(mini())).evaluate(["numb", "sore"])

    assert evaluation.fired == (
        bt.FiredRule("numb_soon", "Numbness needs a check soon.", "S1", bt.Urgency.SOON),
        bt.FiredRule("sore_no_bend", "Soreness: no bending.", "S1", None),
    )


def test_a_fact_given_twice_counts_once() -> None:
    engine = engine_of(load(mini()))

    assert engine.evaluate(["sore", "sore"]) == engine.evaluate(["sore"])


def test_an_undeclared_fact_is_refused_not_ignored() -> None:
    # A misspelt risk fact silently ignored would be a wrong "go ahead".
    with pytest.raises(bt.InvalidAnswerError, match="'sorre'"):
        engine_of(load(mini())).evaluate(["sore", "sorre"])


def test_a_rule_over_an_undeclared_fact_never_fires() -> None:
    protocol = with_rule(
        {"any": [{"fact": "ghost"}, {"at_least": 1, "of": [{"fact": "ghost"}]}]},
        [{"refer": "emergency"}],
    )

    evaluation = engine_of(protocol).evaluate([f.name for f in protocol.facts])

    assert "probe" not in fired_ids(evaluation)


def test_the_engine_is_compiled_once_per_protocol() -> None:
    protocol = load(mini())

    assert engine_of(protocol) is engine_of(protocol)
