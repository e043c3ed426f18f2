"""Declared policies: check() proves each one exactly, or names it with a counter-example."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

import backtriage as bt
from backtriage.protocol import AllOf, AnyOf, AtLeast, FactIs, Policy, Selector
from backtriage.protocol._engine import engine_of
from backtriage.protocol._reasoner import closure, minimal_sets
from backtriage.serialize import to_json

from . import item, load, mini

Edit = Callable[[dict[str, Any]], object]


def _default() -> dict[str, Any]:
    text = resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")
    return tomllib.loads(text)


def _problems(data: dict[str, Any], code: str) -> list[bt.Problem]:
    return [p for p in load(data).check() if p.code == code]


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return item(data, "rules", rule_id)


def test_every_policy_of_the_default_protocol_holds() -> None:
    protocol = bt.default_protocol()

    assert len(protocol.policies) >= 40
    assert protocol.check() == ()


def test_the_default_protocol_declares_a_policy_for_every_red_flag_alone() -> None:
    protocol = bt.default_protocol()
    flags = {f.name for f in protocol.facts if f.kind is bt.FactKind.RED_FLAG}
    alone = {p.when[0] for p in protocol.policies if p.reaches is not None and len(p.when) == 1}

    assert flags <= alone
    required = {name for p in protocol.policies if p.required for name in p.when}
    assert flags <= required


def _lower(rule_id: str, urgency: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        _rule(data, rule_id)["actions"] = [{"refer": urgency}]

    return edit


def _any_to_all(rule_id: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        condition = _rule(data, rule_id)["condition"]
        inner = condition["all"][1]
        condition["all"][1] = {"all": inner["any"]}

    return edit


def _drop_exclusion(rule_id: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        rule = _rule(data, rule_id)
        rule["actions"] = [a for a in rule["actions"] if "exclude" not in a]

    return edit


def _new_exercise(**changes: object) -> dict[str, Any]:
    exercise: dict[str, Any] = {
        "id": "seated_forward_bend",
        "title": "Seated forward bend",
        "family": "seated",
        "movement": "flexion",
        "position": "sitting",
        "level": 1,
        "in_bed": False,
        "dosage": "5 slow bends.",
        "steps": ["3 slow bends.", "5 slow bends."],
        "instructions": "Sit on a firm chair and bend forward a little.",
    }
    exercise.update(changes)
    return exercise


def _disc_caution_by_ids_and_a_new_flexion_exercise(data: dict[str, Any]) -> None:
    rule = _rule(data, "suspected_disc_flexion_caution")
    rule["actions"][0]["caution"] = {"ids": ["standing_flexion", "single_knee_hug"]}
    rule["actions"][0]["caution"]["ids"].append("double_knee_hug")
    data["exercises"].append(_new_exercise())
    for rule_id in ("flexion_aggravates_no_forward_bending",):
        _rule(data, rule_id)["actions"][0]["exclude"]["ids"].append("seated_forward_bend")


def _osteoporosis_by_family(data: dict[str, Any]) -> None:
    _rule(data, "osteoporosis_no_flexion")["actions"] = [
        {"exclude": {"families": ["flexion", "knee_hugs"]}}
    ]
    data["exercises"].append(_new_exercise())


def _optional_red_flag(data: dict[str, Any]) -> None:
    item(data, "facts", "chest_pain")["required"] = False


# (harmful edit of the default protocol, the policy code that catches it, the policy)
HARMFUL: dict[str, tuple[Edit, str, str]] = {
    "an emergency red flag lowered to routine": (
        _lower("ces_bladder_emergency", "routine"),
        "policy-urgency",
        "ces_bladder_alone_emergency",
    ),
    "a same-day red flag lowered to soon": (
        _lower("spinal_deformity_same_day", "soon"),
        "policy-urgency",
        "spinal_deformity_alone_same_day",
    ),
    "an emergency combination made to need every partner": (
        _any_to_all("infection_risk_with_fever_emergency"),
        "policy-urgency",
        "fever_with_injects_drugs_emergency",
    ),
    "a soon red flag that no longer withholds exercise": (
        _drop_exclusion("recent_spinal_procedure_soon"),
        "policy-red-flags-stop-exercise",
        "red_flags_from_soon_stop_exercise",
    ),
    "a disc caution listing ids, and a new flexion exercise outside it": (
        _disc_caution_by_ids_and_a_new_flexion_exercise,
        "policy-caution",
        "suspected_disc_cautions_flexion",
    ),
    "osteoporosis withholding families, and a new flexion exercise in another": (
        _osteoporosis_by_family,
        "policy-withholds",
        "osteoporosis_no_flexion",
    ),
    "a red flag made optional": (
        _optional_red_flag,
        "policy-required",
        "red_flags_required",
    ),
}


@pytest.mark.parametrize(("edit", "code", "policy"), HARMFUL.values(), ids=HARMFUL.keys())
def test_a_harmful_edit_of_the_default_protocol_breaks_the_policy_it_is_about(
    edit: Edit, code: str, policy: str
) -> None:
    data = _default()
    edit(data)

    problems = {p.where: p for p in _problems(data, code)}

    assert f"policy {policy!r}" in problems
    assert "counter-example: {" in problems[f"policy {policy!r}"].message


def test_the_counter_example_of_a_withheld_policy_gets_the_exercise() -> None:
    data = _default()
    _osteoporosis_by_family(data)
    protocol = load(data)

    (problem,) = [
        p
        for p in _problems(data, "policy-withholds")
        if p.where == "policy 'osteoporosis_no_flexion'"
    ]
    assert "'seated_forward_bend'" in problem.message
    assert problem.message.endswith("counter-example: {'osteoporosis'}")
    # Realised as check() describes it (no threshold of a required input is at its lowest here).
    facts = closure(protocol, ["osteoporosis"])
    given = {p.exercise.id for p in engine_of(protocol).evaluate(facts).prescriptions()}
    assert "seated_forward_bend" in given


def test_a_policy_on_an_unchanged_copy_with_a_correct_new_exercise_holds() -> None:
    # A new flexion exercise that the movement-based rules already cover breaks nothing.
    data = _default()
    data["exercises"].append(_new_exercise(family="knee_hugs"))

    assert load(data).check() == ()


def test_reaching_an_urgency_counts_the_facts_alone_without_other_inputs() -> None:
    # The rule needs an ODI-derived fact as well: while the ODI is unanswered, a yes to the
    # flag alone reaches nothing, so the policy fails.
    data = mini()
    data["facts"].append(
        {
            "name": "odi_any",
            "kind": "derived",
            "polarity": "risk",
            "derive": {"source": "odi_band", "at_least": "minimal"},
        }
    )
    data["rules"].append(
        {
            "id": "numb_with_odi_emergency",
            "condition": {"all": [{"fact": "numb"}, {"fact": "odi_any"}]},
            "actions": [{"refer": "emergency"}],
            "reason": "r",
            "source": "S1",
        }
    )
    data["policies"] = [{"id": "numb_er", "when": ["numb"], "reaches": "emergency"}]

    (problem,) = _problems(data, "policy-urgency")

    assert "the urgency is 'soon', not at least 'emergency'" in problem.message


def test_a_policy_on_a_derived_fact_counts_the_facts_it_implies() -> None:
    data = mini()
    data["facts"].append(
        {
            "name": "odi_crippled",
            "kind": "derived",
            "polarity": "risk",
            "derive": {"source": "odi_band", "at_least": "crippled"},
        }
    )
    # odi_severe (implied by odi_crippled) withholds bend through sore_no_bend.
    data["policies"] = [
        {"id": "crippled_no_bend", "when": ["odi_crippled"], "withholds": {"ids": ["bend"]}}
    ]
    data["rules"].append(
        {
            "id": "crippled_routine",
            "condition": {"fact": "odi_crippled"},
            "actions": [{"refer": "routine"}],
            "reason": "r",
            "source": "S1",
        }
    )

    assert load(data).check() == ()


BAD: dict[str, dict[str, Any]] = {
    "no claim": {"id": "p", "when": ["numb"]},
    "two claims": {"id": "p", "when": ["numb"], "reaches": "soon", "required": True},
    "a claim without when": {"id": "p", "reaches": "soon"},
    "when on the red-flag claim": {
        "id": "p",
        "when": ["numb"],
        "red_flags_withhold_all_from": "soon",
    },
    "an undeclared fact": {"id": "p", "when": ["numbb"], "reaches": "soon"},
}


@pytest.mark.parametrize("policy", BAD.values(), ids=BAD.keys())
def test_a_malformed_policy_is_reported_not_proved(policy: dict[str, Any]) -> None:
    data = mini()
    data["policies"] = [policy]

    assert [p.code for p in load(data).check()] == ["bad-policy"]


def test_a_policy_whose_exercises_were_all_removed_proves_nothing_until_it_is_removed() -> None:
    # "Nothing prone" with no prone exercise left holds of nothing: check() says so, and the
    # clinician removes the policy (or keeps an exercise it is about) knowingly.
    data = _default()
    data["exercises"] = [e for e in data["exercises"] if e["position"] != "prone"]
    data["rules"] = [
        r for r in data["rules"] if r["id"] != "prone_lying_painful_no_prone_extension"
    ]
    data["rules"] = [r for r in data["rules"] if r["id"] != "cannot_lie_prone"]

    problems = load(data).check()
    assert {p.code for p in problems} == {"policy-vacuous"}
    assert {p.where for p in problems} == {
        "policy 'prone_lying_painful_nothing_prone'",
        "policy 'cannot_lie_prone_nothing_prone'",
    }
    data["policies"] = [
        p for p in data["policies"] if p.get("withholds") != {"positions": ["prone"]}
    ]
    assert load(data).check() == ()


def test_a_policy_on_two_preferences_at_once_is_malformed() -> None:
    data = mini()
    for direction in ("flexion", "extension"):
        data["facts"].append(
            {
                "name": f"prefers_{direction}",
                "kind": "derived",
                "polarity": "risk",
                "derive": {"source": "preference", "equals": direction},
            }
        )
    data["policies"] = [
        {"id": "p", "when": ["prefers_flexion", "prefers_extension"], "reaches": "soon"}
    ]

    (problem,) = _problems(data, "bad-policy")

    assert "two preferences" in problem.message


def test_a_failing_policy_shows_its_reason() -> None:
    data = mini()
    data["policies"] = [
        {"id": "p", "when": ["stiff"], "reaches": "routine", "reason": "Stiffness is reviewed."}
    ]

    (problem,) = load(data).check()

    assert problem.message.endswith("(the policy: Stiffness is reviewed.)")


def test_policies_load_from_toml_and_round_trip_through_json() -> None:
    protocol = bt.default_protocol()
    again = load(json.loads(to_json(protocol)))

    assert again.policies == protocol.policies
    disc = next(p for p in protocol.policies if p.id == "suspected_disc_cautions_flexion")
    assert disc == Policy(
        "suspected_disc_cautions_flexion",
        when=("suspected_disc",),
        cautions_or_withholds=Selector(movements=(bt.Movement.FLEXION,)),
    )
    written = {p["id"]: p for p in json.loads(to_json(protocol))["policies"]}
    assert set(written["red_flags_from_soon_stop_exercise"]) == {
        "id",
        "red_flags_withhold_all_from",
        "reason",
    }


def test_a_malformed_policy_document_is_refused_naming_the_policy() -> None:
    data = mini()
    data["policies"] = [{"id": "p", "when": ["numb"], "reaches": "urgent"}]

    with pytest.raises(bt.ProtocolError) as caught:
        load(data)

    assert caught.value.where == "policies[0] (policy 'p')"
    assert caught.value.field == "reaches"


def test_minimal_sets_of_a_condition_are_the_smallest_ways_it_holds() -> None:
    protocol = load(mini())
    condition = AtLeast(
        2, (FactIs("numb"), AnyOf((FactIs("stiff"), FactIs("sore"))), FactIs("fever"))
    )

    sets = minimal_sets(protocol, condition)

    assert sets == [
        frozenset({"fever", "numb"}),
        frozenset({"fever", "sore"}),
        frozenset({"fever", "stiff"}),
        frozenset({"numb", "sore"}),
        frozenset({"numb", "stiff"}),
    ]
    assert minimal_sets(protocol, AllOf((FactIs("numb"), FactIs("numb")))) == [frozenset({"numb"})]
    assert minimal_sets(protocol, AnyOf((FactIs("undeclared"),))) == []


def test_minimal_sets_give_up_past_their_limit() -> None:
    protocol = load(mini())
    wide = AllOf(tuple(AnyOf((FactIs("numb"), FactIs("stiff"), FactIs("sore"))) for _ in range(2)))

    with pytest.raises(bt.ProtocolError, match="more than 2 sets of facts"):
        minimal_sets(protocol, wide, limit=2)


def test_minimal_sets_of_a_wide_at_least_give_up_past_their_limit() -> None:
    protocol = load(mini())
    either = AnyOf((FactIs("numb"), FactIs("stiff"), FactIs("sore")))
    pairs = AnyOf(
        (AllOf((FactIs("numb"), FactIs("fever"))), AllOf((FactIs("stiff"), FactIs("sore"))))
    )

    with pytest.raises(bt.ProtocolError, match="more than 1 sets of facts"):
        minimal_sets(protocol, AtLeast(2, (either, either, either)), limit=1)
    with pytest.raises(bt.ProtocolError, match="more than 1 sets of facts"):
        minimal_sets(protocol, AtLeast(1, (pairs, pairs, pairs)), limit=1)
    assert minimal_sets(protocol, AtLeast(2, (pairs, pairs, pairs)), limit=4) == [
        frozenset({"fever", "numb"}),
        frozenset({"sore", "stiff"}),
    ]


def test_a_red_flag_policy_on_too_many_ways_to_refer_is_reported_not_searched_forever() -> None:
    data = mini()
    flags = [f"flag_{i}" for i in range(22)]
    for name in flags:
        data["facts"].append(
            {
                "name": name,
                "kind": "red_flag",
                "polarity": "risk",
                "required": True,
                "question": f"Warning sign {name}?",
            }
        )
        data["rules"].append(
            {
                "id": f"{name}_routine",
                "condition": {"fact": name},
                "actions": [{"refer": "routine"}],
                "reason": "r",
                "source": "S1",
            }
        )
    data["rules"].append(
        {
            "id": "six_signs_soon",
            "condition": {"at_least": 6, "of": [{"fact": name} for name in flags]},
            "actions": [{"refer": "soon"}, {"exclude": {"all": True}}],
            "reason": "r",
            "source": "S1",
        }
    )
    data["policies"] = [{"id": "stop", "red_flags_withhold_all_from": "soon"}]

    (problem,) = _problems(data, "bad-policy")

    assert problem.where == "policy 'stop'"
    assert "too many to prove it on" in problem.message


@pytest.mark.parametrize(
    "selector",
    [
        {"ids": ["prone_extenson"]},
        {"families": ["prone_extensions"]},
        {"levels": [9]},
        {"ids": ["prone_extenson"], "movements": ["lateral_flexion"]},
    ],
)
def test_a_policy_that_selects_nothing_it_meant_is_a_problem_not_a_proof(
    selector: dict[str, Any],
) -> None:
    # The misspelt policy and the deleted rule together: the lying back arch would reach a
    # person for whom lying on the front hurts, while check() called the policy proven.
    data = _default()
    data["rules"].remove(_rule(data, "prone_lying_painful_no_prone_extension"))
    for policy in data["policies"]:
        if "prone_lying_painful" in policy.get("when", []):
            policy["withholds"] = selector
    codes = {p.code for p in load(data).check()}
    assert "policy-unknown-selector" in codes
    with pytest.raises(bt.ProtocolError):
        bt.recommend(bt.Assessment(odi=[1] * 10), protocol=load(data))
