"""The 3.0.0 review (docs/clinical-basis.md section 3b), one presentation at a time.

A second clinical review ran hard presentations through protocol 2.0.0; each one it would not
sign off is pinned here as the person would answer, by the protocol's own names, together with
the boundaries of every age threshold and each new question alone and in its combinations.
Expected values are written by hand from the clinical basis, not read from ``default.toml``.
"""

from __future__ import annotations

import pytest

import backtriage as bt
from backtriage import Urgency
from backtriage.protocol import FactIs, Refer

from .test_default_protocol import (
    ALL,
    CAPABILITY,
    CES_FLAGS,
    EXTENSION,
    FLEXION,
    PROTOCOL,
    RED_FLAGS,
    SUPINE,
    given,
    plan_for,
)

U = Urgency

# 3b.5: from 65 the standing forward bend and the double knee hug are left out.
FROM_65 = frozenset({"standing_flexion", "double_knee_hug"})
# 3b.9: from 75 kneeling and lying on the front are left out too.
FROM_75 = FROM_65 | EXTENSION


# -- the presentations the review would not sign off ----------------------------------------------


@pytest.mark.parametrize(("age", "urgency"), [(8, U.SAME_DAY), (13, U.SOON)])
def test_a_child_is_outside_the_scope_gets_no_exercise_and_is_sent_to_a_doctor(
    age: int, urgency: Urgency
) -> None:
    # 3b.2: 2.0.0 told an 8-year-old nothing needed a clinician and gave six exercises.
    plan = plan_for(findings={CAPABILITY}, age=age)
    assert plan.urgency is urgency
    assert plan.exercises == ()
    assert PROTOCOL.texts.out_of_scope in plan.advice
    assert plan.safety_net == PROTOCOL.safety_net


def test_below_the_scope_only_the_red_flags_are_required() -> None:
    # 3b.2: not the ODI, not the findings; the red flags still are.
    child = bt.Assessment(red_flags=dict.fromkeys(RED_FLAGS, False), age=8)
    plan = bt.recommend(child)
    assert plan.missing == ()
    assert plan.urgency is U.SAME_DAY
    unanswered = bt.Assessment(red_flags=dict.fromkeys(RED_FLAGS[1:], False), age=8)
    assert bt.recommend(unanswered).missing == (RED_FLAGS[0],)
    # A red flag still reaches its own urgency below the scope.
    assert plan_for("ces_bladder", age=8).urgency is U.EMERGENCY


def test_a_woman_30_weeks_pregnant_gets_nothing_lying_on_her_front_or_back() -> None:
    # 3b.3: 2.0.0 gave her the lying back arch. Routine: a midwife or maternity physio.
    plan = plan_for("pregnant", findings={CAPABILITY}, age=31)
    assert plan.urgency is U.ROUTINE
    assert given(plan) == ALL - SUPINE - {"prone_extension"}
    assert {p.exercise.position for p in plan.exercises}.isdisjoint(
        {bt.Position.PRONE, bt.Position.SUPINE}
    )
    assert "midwife" in plan.advice.lower()
    assert plan.safety_net == PROTOCOL.safety_net


def test_recently_giving_birth_refers_routine_and_keeps_the_exercises() -> None:
    plan = plan_for("recently_gave_birth", findings={CAPABILITY}, age=29)
    assert plan.urgency is U.ROUTINE
    assert given(plan) == ALL


def test_a_man_with_a_known_aortic_aneurysm_and_new_back_pain_is_an_emergency() -> None:
    # 3b.4: 2.0.0 said "nothing urgent".
    plan = plan_for("known_aaa", age=71)
    assert plan.urgency is U.EMERGENCY
    assert plan.exercises == ()
    assert "aortic aneurysm" in plan.advice
    assert "Do not drive yourself" in plan.advice


def test_pain_that_began_with_a_sneeze_at_79_is_same_day() -> None:
    # 3b.5: 2.0.0 gave a routine referral and the standing forward bend.
    plan = plan_for("sudden_onset", findings={CAPABILITY}, age=79)
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()


def test_sudden_severe_pain_on_apixaban_at_76_is_same_day_and_an_emergency_with_weakness() -> None:
    # 3b.4: a spinal bleed shows as sudden severe pain before weakness [S74].
    plan = plan_for("anticoagulated", "sudden_onset", age=76)
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()
    assert "apixaban" in (PROTOCOL.fact("anticoagulated").question or "")
    weaker = plan_for("anticoagulated", "progressive_weakness", age=76)
    assert weaker.urgency is U.EMERGENCY
    assert "blood thinner" in weaker.advice


def test_someone_who_injects_drugs_is_seen_today() -> None:
    # 3b.6: 2.0.0 said within two weeks; most epidural abscesses have no fever at first.
    plan = plan_for("injects_drugs", findings={CAPABILITY})
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()


def test_an_ordinary_lifting_strain_at_30_needs_nothing_urgent() -> None:
    # 3b.5: 2.0.0 sent it to a GP within two weeks (a false alarm).
    plan = plan_for("sudden_onset", findings={CAPABILITY}, age=30)
    assert plan.urgency is U.NONE
    assert given(plan) == ALL
    assert plan.exercises[0].exercise.id == "knee_sways"  # 3b.9: the gentlest first


def test_walking_stiffly_because_it_hurts_is_not_sent_to_999() -> None:
    # 3b.10: the question tells the person to answer no; a person who does is not an emergency.
    question = PROTOCOL.fact("gait_disturbance").question or ""
    assert "Answer no if you only walk stiffly because it hurts." in question
    for words in ("weak", "heavy", "clumsy", "give way"):
        assert words in question
    plan = plan_for(findings={CAPABILITY}, age=58)
    assert plan.urgency < U.EMERGENCY
    assert plan_for("gait_disturbance").urgency is U.EMERGENCY


def test_a_past_basal_cell_skin_cancer_is_not_same_day() -> None:
    # 3b.10: skin cancer other than melanoma does not spread to the spine [S33].
    question = PROTOCOL.fact("cancer_history").question or ""
    assert "Count melanoma, but leave out other skin cancers." in question
    plan = plan_for(findings={CAPABILITY}, age=62)
    assert plan.urgency < U.SAME_DAY
    assert plan_for("cancer_history").urgency is U.SAME_DAY


# -- boundaries, one by one ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "urgency", "exercises"),
    [
        (11, U.SAME_DAY, frozenset()),
        (12, U.SOON, frozenset()),
        (15, U.SOON, frozenset()),
        (16, U.NONE, ALL),
        (49, U.NONE, ALL),
        (50, U.NONE, ALL),
        (64, U.NONE, ALL),
        (65, U.NONE, ALL - FROM_65),
        (74, U.NONE, ALL - FROM_65),
        (75, U.NONE, ALL - FROM_75),
        (99, U.NONE, ALL - FROM_75),
    ],
)
def test_age_alone_at_each_boundary(age: int, urgency: Urgency, exercises: frozenset[str]) -> None:
    # 3b.2 (11/12, 15/16), 3b.5 (64/65), 3b.9 (74/75); 49/50 changes nothing alone.
    plan = plan_for(findings={CAPABILITY}, age=age)
    assert plan.urgency is urgency
    assert given(plan) == exercises


def test_from_65_the_single_knee_hug_stays_unless_osteoporosis_is_known() -> None:
    # 3b.5: lying down, unloaded, one knee; osteoporosis withholds every flexion exercise.
    assert "single_knee_hug" in given(plan_for(findings={CAPABILITY}, age=80))
    with_osteoporosis = plan_for("osteoporosis", findings={CAPABILITY}, age=80)
    assert given(with_osteoporosis).isdisjoint(FLEXION)


@pytest.mark.parametrize(("age", "urgency"), [(49, U.ROUTINE), (50, U.SAME_DAY), (16, U.ROUTINE)])
def test_pain_that_wakes_you_at_night_is_same_day_from_50(age: int, urgency: Urgency) -> None:
    # 3b.10: routine alone, same day with age_50_or_over.
    plan = plan_for("night_waking_pain", findings={CAPABILITY}, age=age)
    assert plan.urgency is urgency
    assert (plan.exercises != ()) is (urgency is U.ROUTINE)


@pytest.mark.parametrize(("age", "urgency"), [(64, U.NONE), (65, U.SAME_DAY), (18, U.NONE)])
def test_a_sudden_start_is_same_day_from_65(age: int, urgency: Urgency) -> None:
    # 3b.5: sudden_onset with age_65_or_over.
    assert plan_for("sudden_onset", age=age).urgency is urgency


# -- each new question alone, and in its combinations -------------------------------------------

# 3b: new fact -> (urgency alone, exercises withheld alone), for a person of 40 who tolerates
# the single knee hug.
NEW_ALONE: dict[str, tuple[Urgency, frozenset[str]]] = {
    "ces_leaking": (U.EMERGENCY, ALL),
    "ces_toilet_sensation": (U.EMERGENCY, ALL),
    "moderate_trauma": (U.SAME_DAY, ALL),
    "known_aaa": (U.EMERGENCY, ALL),
    "recent_spinal_procedure": (U.SOON, ALL),
    "unrelenting_pain": (U.SAME_DAY, ALL),
    "night_waking_pain": (U.ROUTINE, frozenset()),
    "sudden_onset": (U.NONE, frozenset()),
    "anticoagulated": (U.NONE, frozenset()),
    "pregnant": (U.ROUTINE, SUPINE | {"prone_extension"}),
    "recently_gave_birth": (U.ROUTINE, frozenset()),
    "leg_pain_below_knee": (U.ROUTINE, frozenset()),
    "suspected_stenosis": (U.ROUTINE, EXTENSION),
    "poor_balance": (
        U.ROUTINE,
        frozenset({"standing_side_bend", "standing_flexion"}) | EXTENSION,
    ),
}


@pytest.mark.parametrize(("key", "expected"), list(NEW_ALONE.items()))
def test_new_question_alone(key: str, expected: tuple[Urgency, frozenset[str]]) -> None:
    urgency, withheld = expected
    plan = plan_for(key, findings={CAPABILITY})
    assert plan.urgency is urgency
    assert given(plan) == ALL - withheld


@pytest.mark.parametrize(
    "key", [k for k in NEW_ALONE if PROTOCOL.fact(k).kind is bt.FactKind.RED_FLAG]
)
def test_new_red_flag_refers_on_its_own(key: str) -> None:
    # 3b: "new red flags (required, each refers on its own)".
    fact = PROTOCOL.fact(key)
    assert fact.required
    own = [
        a.urgency
        for r in PROTOCOL.rules
        if r.condition == FactIs(key)
        for a in r.actions
        if isinstance(a, Refer)
    ]
    assert own
    assert max(own) > U.NONE


@pytest.mark.parametrize(
    ("facts", "age", "urgency"),
    [
        (("known_aaa", "not_improving"), 40, U.EMERGENCY),
        (("moderate_trauma", "major_trauma"), 40, U.EMERGENCY),
        (("moderate_trauma", "sudden_onset"), 70, U.SAME_DAY),
        (("recent_spinal_procedure", "fever"), 40, U.EMERGENCY),
        (("recent_spinal_procedure", "immunosuppressed"), 40, U.SOON),
        (("long_term_steroids", "fever"), 40, U.EMERGENCY),
        (("long_term_steroids", "sudden_onset"), 40, U.SAME_DAY),
        (("unrelenting_pain", "night_waking_pain"), 30, U.SAME_DAY),
        (("night_waking_pain", "cancer_history"), 30, U.SAME_DAY),
        (("night_waking_pain", "not_improving"), 30, U.ROUTINE),
        (("anticoagulated", "sudden_onset"), 30, U.SAME_DAY),
        (("anticoagulated", "progressive_weakness"), 30, U.EMERGENCY),
        (("anticoagulated", "not_improving"), 30, U.ROUTINE),
        (("pregnant", "recently_gave_birth"), 30, U.ROUTINE),
        (("pregnant", "sudden_onset"), 30, U.ROUTINE),
        (("leg_pain_below_knee", "suspected_stenosis"), 60, U.ROUTINE),
        (("ces_leaking", "ces_sexual_dysfunction"), 40, U.EMERGENCY),
        (("ces_toilet_sensation", "progressive_weakness"), 40, U.EMERGENCY),
        (("recent_spine_surgery", "post_surgery_warning"), 40, U.SAME_DAY),
    ],
    ids=lambda v: "+".join(v) if isinstance(v, tuple) else str(v),
)
def test_new_question_in_combination(facts: tuple[str, ...], age: int, urgency: Urgency) -> None:
    plan = plan_for(*facts, findings={CAPABILITY}, age=age)
    assert plan.urgency is urgency
    if urgency >= U.SOON:
        assert plan.exercises == ()


def test_pregnancy_with_poor_balance_leaves_nothing_and_says_so() -> None:
    # Lying flat, lying on the front, kneeling and standing are all left out.
    plan = plan_for("pregnant", "poor_balance", findings={CAPABILITY}, age=30)
    assert plan.urgency is U.ROUTINE
    assert plan.exercises == ()
    assert plan.safety_net == PROTOCOL.safety_net


def test_post_surgery_warning_is_asked_only_after_recent_spine_surgery() -> None:
    # 3b.8: a follow-up question; required only when the surgery question is yes.
    fact = PROTOCOL.fact("post_surgery_warning")
    assert fact.asked_if == "recent_spine_surgery"
    assert fact.required
    plan = plan_for("recent_spine_surgery", "post_surgery_warning")
    assert plan.urgency is U.SAME_DAY
    assert "surgical team" in plan.advice
    calm = plan_for("recent_spine_surgery")
    assert calm.urgency is U.ROUTINE
    assert calm.exercises == ()
    assert "surgical team" in calm.advice


# -- rule advice (3b.8, 3b.12) --------------------------------------------------------------------

EMERGENCY_RULES = [
    r
    for r in PROTOCOL.rules
    if any(isinstance(a, Refer) and a.urgency is U.EMERGENCY for a in r.actions)
]
CES_RULES = {f"{key}_emergency" for key in (*CES_FLAGS[:4], "bilateral_leg_symptoms")}


@pytest.mark.parametrize("rule", EMERGENCY_RULES, ids=lambda r: r.id)
def test_emergency_rule_says_what_to_tell_the_emergency_department_and_not_to_drive(
    rule: bt.Rule,
) -> None:
    assert rule.advice is not None
    assert '"back pain' in rule.advice
    assert "Do not drive yourself" in rule.advice
    assert ("possible cauda equina syndrome" in rule.advice) is (rule.id in CES_RULES)


@pytest.mark.parametrize("key", [k for k in CES_FLAGS if k != "ces_sexual_dysfunction"])
def test_a_cauda_equina_plan_says_possible_cauda_equina_syndrome(key: str) -> None:
    plan = plan_for(key)
    assert "possible cauda equina syndrome" in plan.advice
    assert "Do not drive yourself" in plan.advice


SOON_RED_FLAG_RULES = [
    r
    for r in PROTOCOL.rules
    if isinstance(r.condition, FactIs)
    and PROTOCOL.fact(r.condition.fact).kind is bt.FactKind.RED_FLAG
    and any(isinstance(a, Refer) and a.urgency is U.SOON for a in r.actions)
]


@pytest.mark.parametrize("rule", SOON_RED_FLAG_RULES, ids=lambda r: r.id)
def test_a_red_flag_at_soon_sends_the_person_to_a_doctor_not_a_physio(rule: bt.Rule) -> None:
    assert rule.advice is not None
    assert "doctor" in rule.advice
    assert "GP" in rule.advice
    assert "physio" not in rule.advice.lower()
    plan = plan_for(rule.condition.fact)  # type: ignore[attr-defined]
    assert rule.advice in plan.advice


def test_the_red_flags_at_soon_are_the_three_infection_risks() -> None:
    fired_on = {r.condition.fact for r in SOON_RED_FLAG_RULES}  # type: ignore[attr-defined]
    assert fired_on == {"immunosuppressed", "recent_infection", "recent_spinal_procedure"}
