"""Every text a plan shows comes from the protocol: advice, scope, follow-up questions.

These tests read the protocol's structure (which rule refers how urgently) rather than its
clinical content, so that they hold for every version of the default protocol.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import backtriage as bt
from backtriage.fhir import screening_questionnaire, to_care_plan
from backtriage.protocol import Fact, FactIs, FactKind, Refer, Rule
from backtriage.protocol._engine import engine_of

PROTOCOL = bt.default_protocol()
U = bt.Urgency
SRC = Path(bt.__file__).parent
FOLLOW_UP = "wound_warning"


def answers(protocol: bt.Protocol = PROTOCOL, **overrides: Any) -> bt.Assessment:
    """A complete assessment of someone within the scope, every question answered no."""
    flags = {q.key: False for q in bt.questions(protocol) if q.kind == "red_flag"}
    findings = {q.key: False for q in bt.questions(protocol) if q.kind == "finding" and q.required}
    base = bt.Assessment(odi=[1] * 10, red_flags=flags, findings=findings, age=40)
    return attrs.evolve(base, **overrides)


def flag_alone(urgency: bt.Urgency) -> str:
    """A red flag that reaches ``urgency`` alone."""
    engine = engine_of(PROTOCOL)
    for question in bt.questions(PROTOCOL):
        if question.kind == "red_flag" and engine.evaluate([question.key]).urgency is urgency:
            return question.key
    raise AssertionError(f"no red flag reaches {urgency} alone")


def with_flag(*keys: str, **overrides: Any) -> bt.Plan:
    base = answers(**overrides)
    return bt.recommend(
        attrs.evolve(base, red_flags={**base.red_flags, **dict.fromkeys(keys, True)})
    )


def with_follow_up(protocol: bt.Protocol = PROTOCOL) -> bt.Protocol:
    """``protocol`` with a follow-up question after ``recent_spine_surgery`` that refers."""
    fact = Fact(
        FOLLOW_UP,
        "finding",
        "risk",
        question="Is the wound red, hot or leaking?",
        required=True,
        asked_if="recent_spine_surgery",
    )
    rule = Rule(
        "wound_warning_same_day",
        FactIs(FOLLOW_UP),
        (Refer("same_day"),),
        "A wound problem after surgery needs the surgical team today.",
        "design",
        advice="Call your surgical team today.",
    )
    changed = attrs.evolve(protocol, facts=(*protocol.facts, fact), rules=(*protocol.rules, rule))
    assert changed.check() == ()
    return changed


# -- advice ---------------------------------------------------------------------------------------


def test_a_rules_own_advice_replaces_the_urgencys_advice() -> None:
    key = flag_alone(U.SOON)
    rule = next(r for r in PROTOCOL.rules if r.condition == FactIs(key))
    advised = attrs.evolve(rule, advice="See a GP about this within two weeks.")
    protocol = attrs.evolve(
        PROTOCOL, rules=tuple(advised if r is rule else r for r in PROTOCOL.rules)
    )
    base = answers()
    plan = bt.recommend(
        attrs.evolve(base, red_flags={**base.red_flags, key: True}), protocol=protocol
    )
    assert plan.urgency is U.SOON
    assert plan.advice.startswith("See a GP about this within two weeks.")
    assert with_flag(key).advice != plan.advice


def test_the_most_urgent_rules_advice_wins_and_ties_go_to_protocol_order() -> None:
    soon, emergency = flag_alone(U.SOON), flag_alone(U.EMERGENCY)
    advice = {soon: "Soon advice.", emergency: "Emergency advice."}
    rules = tuple(
        attrs.evolve(r, advice=advice[r.condition.fact])
        if isinstance(r.condition, FactIs) and r.condition.fact in advice
        else r
        for r in PROTOCOL.rules
    )
    protocol = attrs.evolve(PROTOCOL, rules=rules)
    base = answers()
    both = attrs.evolve(base, red_flags={**base.red_flags, soon: True, emergency: True})
    assert bt.recommend(both, protocol=protocol).advice == "Emergency advice."
    # Two emergency rules with advice: the one written first wins.
    first, second = _two_emergency_rules(protocol)
    rules = tuple(
        attrs.evolve(r, advice=f"Advice of {r.id}.") if r in (first, second) else r
        for r in protocol.rules
    )
    protocol = attrs.evolve(protocol, rules=rules)
    keys = [r.condition.fact for r in (first, second) if isinstance(r.condition, FactIs)]
    both = attrs.evolve(base, red_flags={**base.red_flags, **dict.fromkeys(keys, True)})
    assert bt.recommend(both, protocol=protocol).advice == f"Advice of {first.id}."


def _two_emergency_rules(protocol: bt.Protocol) -> tuple[bt.Rule, bt.Rule]:
    urgencies = engine_of(protocol).rule_urgencies
    found = [
        rule
        for rule, urgency in zip(protocol.rules, urgencies, strict=True)
        if urgency is U.EMERGENCY
        and isinstance(rule.condition, FactIs)
        and protocol.fact(rule.condition.fact).kind is FactKind.RED_FLAG
    ]
    return found[0], found[1]


def test_a_plan_that_gives_no_exercise_never_shows_advice_that_invites_them() -> None:
    base = answers()
    every_withheld = bt.recommend(
        attrs.evolve(base, findings={**base.findings, "recent_spine_surgery": True})
    )
    assert every_withheld.exercises == ()
    urgency = every_withheld.urgency
    assert every_withheld.advice.endswith(PROTOCOL.texts.none_suitable)
    assert PROTOCOL.advice.for_urgency(urgency) not in every_withheld.advice


# -- the "why" ------------------------------------------------------------------------------------


def test_why_lists_only_the_rules_at_the_plans_urgency_and_fired_keeps_all() -> None:
    plan = with_flag(flag_alone(U.EMERGENCY), flag_alone(U.ROUTINE))
    lines = plan.summary().splitlines()
    why = lines.index(PROTOCOL.texts.why_heading)
    listed = []
    for line in lines[why + 1 :]:
        if not line.startswith("- "):
            break
        listed.append(line[2:])
    deciding = {f.reason for f in plan.fired if f.urgency is U.EMERGENCY}
    assert set(listed) == deciding
    assert any(f.urgency is U.ROUTINE for f in plan.fired)


# -- the scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "least"), [(5, U.SAME_DAY), (11, U.SAME_DAY), (12, U.SOON),
                                            (15, U.SOON)])  # fmt: skip
def test_below_the_minimum_age_no_exercise_and_at_least_the_bands_urgency(
    age: int, least: bt.Urgency
) -> None:
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    # Only the red flags are asked: no ODI, no findings.
    plan = bt.recommend(bt.Assessment(red_flags=flags, age=age))
    assert plan.missing == ()
    assert plan.exercises == ()
    assert plan.urgency is least
    assert plan.advice.startswith(PROTOCOL.texts.out_of_scope)
    assert plan.fired[0].rule == "protocol.scope"
    assert plan.safety_net == PROTOCOL.safety_net
    assert bt.from_json(bt.to_json(plan), bt.Plan) == plan


@pytest.mark.parametrize("age", [5, 11, 12, 15])
def test_below_the_minimum_age_the_advice_is_the_bands_and_names_a_doctor(age: int) -> None:
    # A child's back pain is a doctor's to check, not a physiotherapist's.
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    plan = bt.recommend(bt.Assessment(red_flags=flags, age=age))
    band = PROTOCOL.scope.age_band(age)
    assert band is not None
    assert band.urgency is plan.urgency
    assert plan.advice == f"{PROTOCOL.texts.out_of_scope} {band.advice}"
    assert "doctor" in plan.advice
    assert "physio" not in plan.advice


def test_below_the_minimum_age_a_rule_at_the_bands_urgency_keeps_its_own_advice() -> None:
    # After spinal surgery the surgical team, not the age band's doctor, is the one to call.
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    findings = {"recent_spine_surgery": True, "post_surgery_warning": True}
    plan = bt.recommend(bt.Assessment(red_flags=flags, findings=findings, age=8))
    own = next(r.advice for r in PROTOCOL.rules if r.id == "post_surgery_warning_same_day")
    band = PROTOCOL.scope.age_band(8)
    assert band is not None
    assert own
    assert plan.urgency is band.urgency
    assert plan.advice == f"{PROTOCOL.texts.out_of_scope} {own}"


def test_an_age_band_without_advice_gives_the_urgencys_plain_advice() -> None:
    scope = attrs.evolve(
        PROTOCOL.scope,
        under_age=tuple(attrs.evolve(b, advice="") for b in PROTOCOL.scope.under_age),
    )
    protocol = attrs.evolve(PROTOCOL, scope=scope)
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    plan = bt.recommend(bt.Assessment(red_flags=flags, age=13), protocol=protocol)
    plain = PROTOCOL.texts.no_exercise_advice.soon
    assert plan.advice == f"{PROTOCOL.texts.out_of_scope} {plain}"


def test_at_the_minimum_age_the_rules_decide() -> None:
    plan = bt.recommend(answers(age=PROTOCOL.scope.min_age))
    assert plan.exercises
    assert "protocol.scope" not in [f.rule for f in plan.fired]


def test_below_the_minimum_age_a_more_urgent_rule_still_decides() -> None:
    plan = with_flag(flag_alone(U.EMERGENCY), age=8)
    assert plan.urgency is U.EMERGENCY
    assert plan.safety_net is None


def test_below_the_minimum_age_an_unanswered_red_flag_is_still_asked() -> None:
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    first = next(iter(flags))
    del flags[first]
    plan = bt.recommend(bt.Assessment(red_flags=flags, age=13))
    assert plan.missing == (first,)


# -- follow-up questions --------------------------------------------------------------------------


def test_a_follow_up_is_required_only_after_a_yes_to_its_condition() -> None:
    protocol = with_follow_up()
    no = answers(protocol)
    assert FOLLOW_UP not in bt.recommend(no, protocol=protocol).missing
    yes = attrs.evolve(no, findings={**no.findings, "recent_spine_surgery": True})
    yes = attrs.evolve(yes, findings={k: v for k, v in yes.findings.items() if k != FOLLOW_UP})
    assert FOLLOW_UP in bt.recommend(yes, protocol=protocol).missing
    answered = attrs.evolve(yes, findings={**yes.findings, FOLLOW_UP: True})
    plan = bt.recommend(answered, protocol=protocol)
    assert plan.missing == ()
    assert plan.urgency is U.SAME_DAY
    assert plan.advice == "Call your surgical team today."


def test_a_yes_to_a_follow_up_after_a_no_to_its_condition_is_refused_naming_the_path() -> None:
    protocol = with_follow_up()
    base = answers(protocol)
    wrong = attrs.evolve(base, findings={**base.findings, FOLLOW_UP: True})
    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.recommend(wrong, protocol=protocol)
    assert info.value.errors[0].path == f"$.findings.{FOLLOW_UP}"
    assert "recent_spine_surgery" in str(info.value)


def test_a_no_to_a_follow_up_after_a_no_changes_nothing() -> None:
    protocol = with_follow_up()
    base = answers(protocol)
    plan = bt.recommend(base, protocol=protocol)
    with_no = attrs.evolve(base, findings={**base.findings, FOLLOW_UP: False})
    assert bt.recommend(with_no, protocol=protocol) == plan


def test_questions_put_a_follow_up_right_after_its_condition() -> None:
    listed = bt.questions(with_follow_up())
    keys = [q.key for q in listed]
    at = keys.index(FOLLOW_UP)
    condition = keys.index("recent_spine_surgery")
    # The default protocol (3.0.0) has a follow-up of its own on the same question.
    assert condition < at
    assert all(q.asked_if == "recent_spine_surgery" for q in listed[condition + 1 : at + 1])
    assert {q.key for q in listed if q.asked_if} == {FOLLOW_UP, "post_surgery_warning"}


def test_the_screening_form_enables_a_follow_up_when_its_condition_is_yes() -> None:
    form = screening_questionnaire(with_follow_up())
    items = {item["linkId"]: item for item in form["item"]}  # type: ignore[union-attr]
    assert items[FOLLOW_UP]["enableWhen"] == [
        {"question": "recent_spine_surgery", "operator": "=", "answerBoolean": True}
    ]
    assert "enableWhen" not in items["recent_spine_surgery"]


# -- every word from the protocol -----------------------------------------------------------------


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


PLANS = {
    "none": answers(),
    "routine": None,
    "soon": None,
    "same day": None,
    "emergency": None,
    "unanswered": attrs.evolve(answers(), odi=None),
    "under age": bt.Assessment(
        red_flags={q.key: False for q in bt.questions() if q.kind == "red_flag"}, age=10
    ),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_every_word_of_a_summary_and_a_care_plan_comes_from_the_protocol(name: str) -> None:
    urgency = {"routine": U.ROUTINE, "soon": U.SOON, "same day": U.SAME_DAY,
               "emergency": U.EMERGENCY}.get(name)  # fmt: skip
    plan = bt.recommend(PLANS[name]) if urgency is None else with_flag(flag_alone(urgency))
    care_plan = to_care_plan(plan, subject={"reference": "Patient/1"})
    notes = " ".join(note["text"] for note in care_plan["note"])  # type: ignore[union-attr,index]
    shown = "\n".join([plan.summary(), notes, str(care_plan["title"])])
    # Take away every text of the protocol, the scores' band label and the rule ids of the
    # audit note: what is left is punctuation and numbers only.
    known = sorted(
        {
            *_strings(bt.to_dict(PROTOCOL)),
            *(plan.odi.band.label for _ in [0] if plan.odi is not None),
            *(f.rule for f in plan.fired),
        },
        key=len,
        reverse=True,
    )
    for text in known:
        if text:
            shown = shown.replace(text, " ")
    assert not re.search(r"[A-Za-z]{2,}", shown), shown


def test_no_module_writes_a_sentence_a_person_reads() -> None:
    # The texts that were once in Python are not there any more.
    for gone in ("If you are worried", "No urgent concern", "Book a routine appointment",
                 "Before any exercise", "Exercises you may try", "Not for now",
                 "is done comfortably", "need a clinician's attention"):  # fmt: skip
        for path in SRC.rglob("*.py"):
            if path.name == "_default_data.py":
                continue  # default.toml as generated source: protocol data, held equal to it
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    assert gone not in node.value, (path.name, gone)
