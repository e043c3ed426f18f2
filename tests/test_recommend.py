"""``recommend()`` on the default protocol: every rule, the seed's scenarios and the fail-safes.

The rule table below is written by hand from docs/clinical-basis.md (sections 3, 3a, 3b and 4): for
each rule of the default protocol, inputs that fire it, inputs just short of it, and what it
must do. Only the rule ids come from the protocol; what each rule does comes from the clinical
text, so the table is an independent specification of ``default.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import IntEnum, StrEnum
from typing import NamedTuple

import attrs
import pytest

import backtriage as bt
from backtriage import InvalidAnswerError, Urgency
from protocol import format3

PROTOCOL = bt.default_protocol()
U = Urgency

RED_FLAGS = (
    "ces_bladder", "ces_leaking", "ces_toilet_sensation", "ces_saddle_numbness",
    "ces_sexual_dysfunction", "bilateral_leg_symptoms", "progressive_weakness",
    "gait_disturbance", "major_trauma", "moderate_trauma", "long_term_steroids",
    "spinal_deformity", "cancer_history", "unexplained_weight_loss", "unrelenting_pain",
    "night_waking_pain", "thoracic_pain", "fever", "injects_drugs", "immunosuppressed",
    "recent_infection", "recent_spinal_procedure", "sepsis_signs", "known_aaa", "aaa_symptoms",
    "chest_pain", "not_improving", "inflammatory_features",
)  # fmt: skip
INFECTION_RISKS = (
    "injects_drugs", "immunosuppressed", "recent_infection", "recent_spinal_procedure",
    "long_term_steroids",
)  # fmt: skip
EMERGENCY_FLAGS = (
    "ces_bladder", "ces_leaking", "ces_toilet_sensation", "ces_saddle_numbness",
    "bilateral_leg_symptoms", "gait_disturbance", "major_trauma", "sepsis_signs", "known_aaa",
    "aaa_symptoms", "chest_pain",
)  # fmt: skip
SAME_DAY_FLAGS = (
    "ces_sexual_dysfunction", "progressive_weakness", "moderate_trauma", "spinal_deformity",
    "cancer_history", "unexplained_weight_loss", "unrelenting_pain", "thoracic_pain", "fever",
    "injects_drugs",
)  # fmt: skip
FINDINGS = (
    "prone_lying_painful", "extension_aggravates", "flexion_aggravates", "suspected_disc",
    "muscle_spasm", "leg_symptoms_spread_on_extension", "leg_symptoms_spread_on_flexion",
    "leg_pain_below_knee", "osteoporosis", "sudden_onset", "anticoagulated", "pregnant",
    "recently_gave_birth", "suspected_stenosis", "recent_spine_surgery", "post_surgery_warning",
    "cannot_lie_prone", "cannot_lie_supine", "cannot_kneel", "poor_balance", "confined_to_bed",
)  # fmt: skip
# Asked of everyone from 2.0.0 (3.0.0 adds five): an unanswered one is missing, never "no".
# post_surgery_warning is asked only once recent_spine_surgery is yes.
REQUIRED_FINDINGS = (
    "osteoporosis", "sudden_onset", "anticoagulated", "pregnant", "recently_gave_birth",
    "recent_spine_surgery", "post_surgery_warning", "poor_balance", "confined_to_bed",
)  # fmt: skip
# The follow-up question, asked (and required) only once recent_spine_surgery is yes.
FOLLOW_UP, ITS_CONDITION = "post_surgery_warning", "recent_spine_surgery"
ASKED_OF_EVERYONE = tuple(name for name in REQUIRED_FINDINGS if name != FOLLOW_UP)
TOLERATED = "single_knee_hug_tolerated"
AGE = 40
NO_FINDINGS: dict[str, bool | None] = dict.fromkeys(REQUIRED_FINDINGS, False)
# What the default protocol requires besides the red flags and the ODI, answered (no).
OTHERS: dict[str, object] = {"age": AGE, "findings": NO_FINDINGS}

PRONE_EXT, KNEEL_EXT = "prone_extension", "kneeling_extension"
FLEX, SINGLE, DOUBLE = "standing_flexion", "single_knee_hug", "double_knee_hug"
SIDE, SWAYS = "standing_side_bend", "knee_sways"
ALL = frozenset({PRONE_EXT, KNEEL_EXT, FLEX, SINGLE, DOUBLE, SIDE, SWAYS})
EXTENSION = frozenset({PRONE_EXT, KNEEL_EXT})
FLEXION = frozenset({FLEX, SINGLE, DOUBLE})
IN_BED = frozenset({SINGLE, DOUBLE, SWAYS})
LEVEL_2 = frozenset({PRONE_EXT, KNEEL_EXT, DOUBLE})
SUPINE = frozenset({SINGLE, DOUBLE, SWAYS})
# The catalogue's order (section 3b, change 9): gentlest and most supported first.
CATALOGUE = (SWAYS, SINGLE, DOUBLE, SIDE, FLEX, KNEEL_EXT, PRONE_EXT)
NONE_: frozenset[str] = frozenset()

# STarT Back [S20]: high is total >= 4 with psychosocial (items 5-9) >= 4; medium is total >= 4
# with psychosocial <= 3.
START_BACK_HIGH = {
    "leg_pain": 0, "shoulder_neck_pain": 0, "walked_short_distances": 0, "dressed_slowly": 0,
    "fear_not_safe_active": 1, "worrying_thoughts": 1, "catastrophising": 1, "low_mood": 1,
    "bothersomeness": "not_at_all",
}  # fmt: skip
START_BACK_MEDIUM = START_BACK_HIGH | {"low_mood": 0, "leg_pain": 1, "dressed_slowly": 1}
START_BACK_LOW = START_BACK_HIGH | {"low_mood": 0}

# ODI raw sums (of 50; percent = 2 * raw). Bands [S10]: <=40 % moderate, <=60 % severe, <=80 %
# crippled, above bed-bound. Each pair is the first raw sum in the band and the last one below.
ODI_SEVERE, ODI_BELOW_SEVERE = 21, 20
ODI_CRIPPLED, ODI_BELOW_CRIPPLED = 31, 30
ODI_BED_BOUND, ODI_BELOW_BED_BOUND = 41, 40


class Given(NamedTuple):
    """What a person answered: red flags answered yes (the rest no) and everything else."""

    yes: frozenset[str] = frozenset()
    findings: frozenset[str] = frozenset({TOLERATED})
    preference: str | None = None
    odi_raw: int = 0
    start_back: dict[str, object] | None = None
    age: int = 40


def given(
    *yes: str,
    findings: Iterable[str] = (),
    preference: str | None = None,
    odi_raw: int = 0,
    start_back: dict[str, object] | None = None,
    age: int = 40,
) -> Given:
    """Return a low-risk person who tolerates the single knee hug, with what is given added."""
    return Given(
        frozenset(yes), frozenset({TOLERATED, *findings}), preference, odi_raw, start_back, age
    )


def everything_but(*names: str, preference: str | None = "lateral") -> Given:
    """Return a person with every red flag, finding and score risk except those ``names`` make.

    Used for "just short": a rule must not fire from any other fact.
    """
    odi_raw = 50
    for name, below in (
        ("odi_severe_or_worse", ODI_BELOW_SEVERE),
        ("odi_crippled_or_worse", ODI_BELOW_CRIPPLED),
        ("odi_bed_bound", ODI_BELOW_BED_BOUND),
    ):
        if name in names:
            odi_raw = min(odi_raw, below)
    # A follow-up answered yes needs its condition yes too.
    gone = {*names, FOLLOW_UP} if ITS_CONDITION in names else set(names)
    return Given(
        yes=frozenset(RED_FLAGS) - gone,
        findings=frozenset({*FINDINGS, TOLERATED}) - gone,
        preference=preference,
        odi_raw=odi_raw,
        start_back=START_BACK_LOW
        if "start_back_medium_or_worse" in names
        else START_BACK_MEDIUM
        if "start_back_high" in names
        else START_BACK_HIGH,
        age=49
        if "age_50_or_over" in names
        else 64
        if "age_65_or_over" in names
        else 74
        if "age_75_or_over" in names
        else 90,
    )


def odi_with_raw(raw: int) -> list[int]:
    """Return ten ODI answers (0..5) that add up to ``raw``."""
    return [min(5, max(0, raw - 5 * i)) for i in range(10)]


def assess(person: Given) -> bt.Assessment:
    return bt.Assessment(
        odi=odi_with_raw(person.odi_raw),
        red_flags={key: key in person.yes for key in RED_FLAGS},
        # A finding may be given among the yes answers too (the combinations name both kinds).
        findings=dict.fromkeys(REQUIRED_FINDINGS, False)
        | dict.fromkeys(person.findings, True)
        | dict.fromkeys((key for key in person.yes if key not in RED_FLAGS), True),
        preference=person.preference,
        start_back=person.start_back,
        age=person.age,
    )


def plan_of(person: Given) -> bt.Plan:
    return bt.recommend(assess(person))


def ids(items: Iterable[bt.Prescription | bt.Withheld]) -> frozenset[str]:
    return frozenset(item.exercise.id for item in items)


class RuleCase(NamedTuple):
    """A rule of the clinical basis: inputs that fire it, inputs just short, and what it does."""

    fires: tuple[Given, ...]
    short: tuple[Given, ...]
    refer: Urgency | None = None
    excludes: frozenset[str] = frozenset()
    cautions: frozenset[str] = frozenset()


def flag(key: str, refer: Urgency, excludes: frozenset[str] = NONE_) -> RuleCase:
    """A rule on one red flag: yes fires it; every other flag and finding does not."""
    return RuleCase((given(key),), (everything_but(key),), refer, excludes)


def combination(key: str, partners: tuple[str, ...], refer: Urgency) -> RuleCase:
    """``key`` with any one of ``partners``; short: ``key`` without them, or them without it."""
    return RuleCase(
        tuple(given(key, partner) for partner in partners),
        (everything_but(*partners), everything_but(key)),
        refer,
    )


def finding(
    key: str,
    excludes: frozenset[str] = NONE_,
    cautions: frozenset[str] = NONE_,
    refer: Urgency | None = None,
) -> RuleCase:
    return RuleCase((given(findings=[key]),), (everything_but(key),), refer, excludes, cautions)


def preference(
    value: str, excludes: frozenset[str] = NONE_, cautions: frozenset[str] = NONE_
) -> RuleCase:
    others = [p for p in ("extension", "flexion", "lateral", None) if p != value]
    short = tuple(everything_but(preference=p) for p in others)
    return RuleCase((given(preference=value),), short, None, excludes, cautions)


def odi(name: str, first: int, refer: Urgency, excludes: frozenset[str] = NONE_) -> RuleCase:
    """A score rule: from the band's first point to 100 %; short: the point below, all else."""
    fires = (given(odi_raw=first), given(odi_raw=50))
    return RuleCase(fires, (everything_but(name),), refer, excludes)


# The bladder, bowel, saddle and both-legs flags are emergencies alone: only these partners
# can raise a weakening leg from same day (section 3a, change 12).
WEAKNESS_PARTNERS = ("ces_sexual_dysfunction", "cancer_history")
SUDDEN = "sudden_onset"

# Clinical basis sections 3, 3a, 3b and 4, one entry per rule of the default protocol.
RULES: dict[str, RuleCase] = {
    # Section 3: red flags. "soon" from a red flag withholds every exercise (by the rule).
    "ces_bladder_emergency": flag("ces_bladder", U.EMERGENCY),
    "ces_leaking_emergency": flag("ces_leaking", U.EMERGENCY),
    "ces_toilet_sensation_emergency": flag("ces_toilet_sensation", U.EMERGENCY),
    "ces_saddle_numbness_emergency": flag("ces_saddle_numbness", U.EMERGENCY),
    "ces_sexual_dysfunction_same_day": flag("ces_sexual_dysfunction", U.SAME_DAY),
    "bilateral_leg_symptoms_emergency": flag("bilateral_leg_symptoms", U.EMERGENCY),
    "progressive_weakness_same_day": flag("progressive_weakness", U.SAME_DAY),
    "progressive_weakness_combined_emergency": combination(
        "progressive_weakness", WEAKNESS_PARTNERS, U.EMERGENCY
    ),
    "anticoagulated_weakness_emergency": combination(
        "anticoagulated", ("progressive_weakness",), U.EMERGENCY
    ),
    "gait_disturbance_emergency": flag("gait_disturbance", U.EMERGENCY),
    "major_trauma_emergency": flag("major_trauma", U.EMERGENCY),
    "moderate_trauma_same_day": flag("moderate_trauma", U.SAME_DAY),
    "sudden_onset_with_bone_risk_same_day": RuleCase(
        (
            given(SUDDEN, "long_term_steroids"),
            given(SUDDEN, findings=["osteoporosis"]),
            given(SUDDEN, age=65),
        ),
        (
            everything_but("long_term_steroids", "osteoporosis", "age_65_or_over"),
            everything_but(SUDDEN),
        ),
        U.SAME_DAY,
    ),
    "sudden_onset_anticoagulated_same_day": combination(SUDDEN, ("anticoagulated",), U.SAME_DAY),
    "long_term_steroids_routine": flag("long_term_steroids", U.ROUTINE),
    "spinal_deformity_same_day": flag("spinal_deformity", U.SAME_DAY),
    "cancer_history_same_day": flag("cancer_history", U.SAME_DAY),
    "unexplained_weight_loss_same_day": flag("unexplained_weight_loss", U.SAME_DAY),
    "unrelenting_pain_same_day": flag("unrelenting_pain", U.SAME_DAY),
    "night_waking_pain_routine": flag("night_waking_pain", U.ROUTINE),
    "night_waking_pain_from_50_same_day": RuleCase(
        (given("night_waking_pain", age=50), given("night_waking_pain", age=90)),
        (everything_but("age_50_or_over"), everything_but("night_waking_pain")),
        U.SAME_DAY,
    ),
    "thoracic_pain_same_day": flag("thoracic_pain", U.SAME_DAY),
    "fever_same_day": flag("fever", U.SAME_DAY),
    "injects_drugs_same_day": flag("injects_drugs", U.SAME_DAY),
    "immunosuppressed_soon": flag("immunosuppressed", U.SOON, ALL),
    "recent_infection_soon": flag("recent_infection", U.SOON, ALL),
    "recent_spinal_procedure_soon": flag("recent_spinal_procedure", U.SOON, ALL),
    "infection_risk_with_fever_emergency": combination("fever", INFECTION_RISKS, U.EMERGENCY),
    "sepsis_signs_emergency": flag("sepsis_signs", U.EMERGENCY),
    "known_aaa_emergency": flag("known_aaa", U.EMERGENCY),
    "aaa_symptoms_emergency": flag("aaa_symptoms", U.EMERGENCY),
    "chest_pain_emergency": flag("chest_pain", U.EMERGENCY),
    "not_improving_routine": flag("not_improving", U.ROUTINE),
    "inflammatory_features_routine": flag("inflammatory_features", U.ROUTINE),
    # Section 4: findings.
    "prone_lying_painful_no_prone_extension": finding(
        "prone_lying_painful", excludes=frozenset({PRONE_EXT})
    ),
    "extension_aggravates_no_extension": finding("extension_aggravates", excludes=EXTENSION),
    "flexion_aggravates_no_forward_bending": finding("flexion_aggravates", excludes=FLEXION),
    "suspected_disc_flexion_caution": finding("suspected_disc", cautions=FLEXION),
    "muscle_spasm_forward_bend_caution": finding("muscle_spasm", cautions=frozenset({FLEX})),
    "leg_symptoms_spread_on_extension": finding(
        "leg_symptoms_spread_on_extension", excludes=EXTENSION, refer=U.ROUTINE
    ),
    "leg_symptoms_spread_on_flexion": finding(
        "leg_symptoms_spread_on_flexion", excludes=FLEXION, refer=U.ROUTINE
    ),
    "leg_pain_below_knee_routine": finding("leg_pain_below_knee", refer=U.ROUTINE),
    "osteoporosis_no_flexion": finding("osteoporosis", excludes=FLEXION),
    # Section 3b: from 65 and from 75, whatever else is known.
    "age_65_no_deep_forward_bending": RuleCase(
        (given(age=65), given(age=90)),
        (everything_but("age_65_or_over"),),
        None,
        frozenset({FLEX, DOUBLE}),
    ),
    "age_75_no_kneeling_or_lying_on_the_front": RuleCase(
        (given(age=75), given(age=90)), (everything_but("age_75_or_over"),), None, EXTENSION
    ),
    "suspected_stenosis_no_extension": finding(
        "suspected_stenosis", excludes=EXTENSION, refer=U.ROUTINE
    ),
    "recent_spine_surgery_no_exercise": finding(
        "recent_spine_surgery", excludes=ALL, refer=U.ROUTINE
    ),
    "post_surgery_warning_same_day": RuleCase(
        (given(findings=["recent_spine_surgery", "post_surgery_warning"]),),
        (everything_but("post_surgery_warning"),),
        U.SAME_DAY,
    ),
    "pregnant_routine_no_lying_flat": finding(
        "pregnant", excludes=SUPINE | {PRONE_EXT}, refer=U.ROUTINE
    ),
    "recently_gave_birth_routine": finding("recently_gave_birth", refer=U.ROUTINE),
    "cannot_lie_prone": finding("cannot_lie_prone", excludes=frozenset({PRONE_EXT})),
    "cannot_lie_supine": finding("cannot_lie_supine", excludes=frozenset({SINGLE, DOUBLE, SWAYS})),
    "cannot_kneel": finding("cannot_kneel", excludes=frozenset({KNEEL_EXT})),
    "poor_balance_falls_safe": finding(
        "poor_balance", excludes=frozenset({FLEX, SIDE, KNEEL_EXT, PRONE_EXT}), refer=U.ROUTINE
    ),
    "confined_to_bed_in_bed_only_soon": finding(
        "confined_to_bed", excludes=ALL - IN_BED, refer=U.SOON
    ),
    # Section 4: directional preference (McKenzie).
    "preference_extension_no_flexion": preference("extension", excludes=FLEXION),
    "preference_flexion_no_extension": preference("flexion", excludes=EXTENSION),
    "preference_lateral_side_caution": preference("lateral", cautions=frozenset({SIDE})),
    # Section 4: from scores.
    "odi_severe_routine": odi("odi_severe_or_worse", ODI_SEVERE, U.ROUTINE),
    "odi_crippled_gentle_only": odi("odi_crippled_or_worse", ODI_CRIPPLED, U.SOON, LEVEL_2),
    "odi_bed_bound_in_bed_only": odi("odi_bed_bound", ODI_BED_BOUND, U.SOON, ALL - IN_BED),
    "start_back_medium_routine": RuleCase(
        (given(start_back=START_BACK_MEDIUM), given(start_back=START_BACK_HIGH)),
        (everything_but("start_back_medium_or_worse"),),
        U.ROUTINE,
    ),
    "start_back_high_routine": RuleCase(
        (given(start_back=START_BACK_HIGH),), (everything_but("start_back_high"),), U.ROUTINE
    ),
}

FIRING = [
    pytest.param(rule_id, person, id=f"{rule_id}-{i}")
    for rule_id, case in RULES.items()
    for i, person in enumerate(case.fires)
]
SHORT = [
    pytest.param(rule_id, person, id=f"{rule_id}-{i}")
    for rule_id, case in RULES.items()
    for i, person in enumerate(case.short)
]


def fired_ids(plan: bt.Plan) -> list[str]:
    return [rule.rule for rule in plan.fired]


# -- every rule: fires, and just short of it does not ------------------------------------------


def test_rule_table_covers_every_rule_of_the_default_protocol() -> None:
    assert sorted(RULES) == sorted(rule.id for rule in PROTOCOL.rules)


@pytest.mark.parametrize(("rule_id", "person"), FIRING)
def test_rule_fires_and_acts_as_the_clinical_text_says(rule_id: str, person: Given) -> None:
    case = RULES[rule_id]
    rule = next(r for r in PROTOCOL.rules if r.id == rule_id)
    plan = plan_of(person)
    [fired] = [f for f in plan.fired if f.rule == rule_id]
    assert (fired.reason, fired.source) == (rule.reason, rule.source)
    assert fired.urgency is case.refer
    if case.refer is not None:
        assert plan.urgency >= case.refer
    withheld_here = {
        w.exercise.id for w in plan.withheld if any(r.rule == rule_id for r in w.reasons)
    }
    assert withheld_here == case.excludes
    for w in plan.withheld:
        for reason in w.reasons:
            if reason.rule == rule_id:
                assert (reason.text, reason.source) == (rule.reason, rule.source)
    cautioned_here = {
        p.exercise.id for p in plan.exercises if any(c.rule == rule_id for c in p.cautions)
    }
    assert cautioned_here == case.cautions


@pytest.mark.parametrize(("rule_id", "person"), SHORT)
def test_rule_does_not_fire_just_short_of_its_condition(rule_id: str, person: Given) -> None:
    assert rule_id not in fired_ids(plan_of(person))


def test_fired_rules_are_listed_in_protocol_order() -> None:
    plan = plan_of(everything_but())
    order = [r.id for r in PROTOCOL.rules]
    positions = [order.index(rule_id) for rule_id in fired_ids(plan)]
    assert positions == sorted(positions)
    assert len(positions) == len(set(positions))


# -- the seed page's scenarios ------------------------------------------------------------------


def test_lying_on_the_front_hurts_withholds_prone_extension_but_offers_kneeling_extension() -> None:
    plan = plan_of(given(findings=["prone_lying_painful"]))
    assert PRONE_EXT in ids(plan.withheld)
    assert KNEEL_EXT in ids(plan.exercises)


def test_flexion_aggravates_withholds_forward_bending_and_knee_hugs() -> None:
    plan = plan_of(given(findings=["flexion_aggravates"]))
    assert ids(plan.withheld) == FLEXION
    assert ids(plan.exercises) == ALL - FLEXION


def test_suspected_disc_keeps_flexion_with_a_caution() -> None:
    plan = plan_of(given(findings=["suspected_disc"]))
    assert ids(plan.exercises) >= FLEXION
    for prescription in plan.exercises:
        disc = [c for c in prescription.cautions if c.rule == "suspected_disc_flexion_caution"]
        assert bool(disc) == (prescription.exercise.id in FLEXION)


def test_muscle_spasm_keeps_the_forward_bend_with_a_caution() -> None:
    plan = plan_of(given(findings=["muscle_spasm"]))
    [bend] = [p for p in plan.exercises if p.exercise.id == FLEX]
    assert any(c.rule == "muscle_spasm_forward_bend_caution" for c in bend.cautions)


def test_in_bed_gives_only_exercises_that_can_be_done_in_bed() -> None:
    plan = plan_of(given(findings=["confined_to_bed"]))
    assert ids(plan.exercises) == IN_BED
    assert all(p.exercise.in_bed for p in plan.exercises)


def test_in_bed_without_the_single_knee_hug_tolerated_gives_single_hug_and_sways() -> None:
    person = Given(findings=frozenset({"confined_to_bed"}))
    assert ids(plan_of(person).exercises) == {SINGLE, SWAYS}


def test_double_knee_hug_waits_until_the_single_is_tolerated() -> None:
    before = plan_of(Given(findings=frozenset()))
    [double] = [w for w in before.withheld if w.exercise.id == DOUBLE]
    assert double.reasons
    assert any("Single knee hug" in r.text for r in double.reasons)
    after = plan_of(Given(findings=frozenset({TOLERATED})))
    assert DOUBLE in ids(after.exercises)


def test_double_knee_hug_is_not_given_when_the_single_is_withheld() -> None:
    plan = plan_of(given(findings=["cannot_lie_supine"]))
    assert {SINGLE, DOUBLE} <= ids(plan.withheld)


def test_with_nothing_wrong_every_exercise_is_offered() -> None:
    # "none known changes nothing (the seed offers all exercises to everyone)".
    plan = plan_of(given())
    assert ids(plan.exercises) == ALL
    assert plan.withheld == ()
    assert plan.urgency is U.NONE


def test_the_odi_is_asked_before_any_exercise_as_the_seed_says() -> None:
    assessment = bt.Assessment(red_flags=dict.fromkeys(RED_FLAGS, False), **OTHERS)
    plan = bt.recommend(assessment)
    assert plan.missing == ("odi",)
    assert plan.exercises == ()


# -- emergencies and same-day flags --------------------------------------------------------------


@pytest.mark.parametrize("key", EMERGENCY_FLAGS)
def test_emergency_flag_sends_to_the_emergency_department_with_no_exercise(key: str) -> None:
    plan = plan_of(given(key))
    assert plan.urgency is U.EMERGENCY
    assert plan.exercises == ()
    assert ids(plan.withheld) == ALL
    assert "emergency" in plan.advice.lower()


@pytest.mark.parametrize("key", SAME_DAY_FLAGS)
def test_same_day_flag_says_see_a_doctor_today_with_no_exercise(key: str) -> None:
    plan = plan_of(given(key))
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()
    assert "today" in plan.advice.lower()


@pytest.mark.parametrize("key", EMERGENCY_FLAGS[:2] + SAME_DAY_FLAGS[:2])
def test_urgent_plan_withholds_even_exercises_no_rule_excludes(key: str) -> None:
    plan = plan_of(given(key))
    for withheld in plan.withheld:
        assert withheld.reasons
        assert all(r.source.strip() for r in withheld.reasons)


# -- unanswered red flags ------------------------------------------------------------------------


@pytest.mark.parametrize("key", RED_FLAGS)
def test_an_absent_red_flag_is_missing_and_withholds_every_exercise(key: str) -> None:
    answers = {k: False for k in RED_FLAGS if k != key}
    findings = NO_FINDINGS | {TOLERATED: True}
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=answers, findings=findings, age=AGE))
    assert plan.missing == (key,)
    assert plan.exercises == ()
    assert ids(plan.withheld) == ALL
    assert plan.missing_questions == (PROTOCOL.fact(key).question,)


@pytest.mark.parametrize("key", RED_FLAGS)
def test_a_red_flag_answered_none_is_missing_never_no(key: str) -> None:
    answers = dict.fromkeys(RED_FLAGS, False) | {key: None}
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=answers, **OTHERS))
    assert plan.missing == (key,)
    assert plan.exercises == ()


def test_nothing_answered_lists_every_red_flag_and_required_finding_then_odi_and_age() -> None:
    plan = bt.recommend(bt.Assessment())
    assert plan.missing == (*RED_FLAGS, *ASKED_OF_EVERYONE, "odi", "age")
    assert len(plan.missing_questions) == len(plan.missing)
    assert plan.exercises == ()
    assert plan.urgency is U.NONE


def test_red_flags_and_findings_given_as_none_mean_nothing_answered_and_nothing_found() -> None:
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=None, findings=None))
    assert plan.missing == (*RED_FLAGS, *ASKED_OF_EVERYONE, "age")
    assert plan.exercises == ()


def test_unanswered_questions_are_said_in_the_advice_even_when_nothing_else_is_wrong() -> None:
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags={"fever": False}))
    assert "not answered" in plan.advice


def test_a_yes_to_an_emergency_flag_counts_before_the_rest_is_answered() -> None:
    plan = bt.recommend(bt.Assessment(red_flags={"ces_saddle_numbness": True}))
    assert plan.urgency is U.EMERGENCY
    assert "ces_saddle_numbness" not in plan.missing
    assert plan.exercises == ()


def test_an_odi_with_two_sections_missing_is_not_scorable_and_listed_as_missing() -> None:
    answers = [0] * 8 + [None, None]
    plan = bt.recommend(
        bt.Assessment(odi=answers, red_flags=dict.fromkeys(RED_FLAGS, False), **OTHERS)
    )
    assert plan.missing == ("odi",)
    assert plan.odi is None
    assert plan.exercises == ()


def test_an_odi_with_one_section_missing_is_scored_on_the_rest() -> None:
    # [S5]: 16 of 45 is 35.6 %.
    answers = [2, 1, 2, 2, 2, 2, 1, None, 2, 2]
    plan = bt.recommend(
        bt.Assessment(odi=answers, red_flags=dict.fromkeys(RED_FLAGS, False), **OTHERS)
    )
    assert plan.missing == ()
    assert plan.odi is not None
    assert plan.odi.percent == pytest.approx(35.5556, abs=1e-3)
    assert plan.odi.band is bt.DisabilityBand.MODERATE


def test_a_higher_odi_missing_limit_makes_a_gappy_odi_scorable() -> None:
    answers = [0] * 8 + [None, None]
    assessment = bt.Assessment(
        odi=answers, red_flags=dict.fromkeys(RED_FLAGS, False), odi_max_missing=2, **OTHERS
    )
    assert bt.recommend(assessment).missing == ()


@pytest.mark.parametrize("max_missing", [0, 1, 2])
def test_a_score_made_elsewhere_answers_to_the_assessments_missing_limit(max_missing: int) -> None:
    # A score with nine gaps, made with max_missing=9, must not pass where one gap is allowed.
    sections = list(bt.OdiSection)
    for gaps in range(10):
        score = bt.OdiScore(0, 10 - gaps, tuple(sections[:gaps]))
        assessment = bt.Assessment(
            odi=score,
            red_flags=dict.fromkeys(RED_FLAGS, False),
            odi_max_missing=max_missing,
            **OTHERS,
        )
        plan = bt.recommend(assessment)
        if gaps <= max_missing:
            assert (plan.missing, plan.odi) == ((), score)
            assert plan.exercises
        else:
            assert (plan.missing, plan.odi, plan.exercises) == (("odi",), None, ())


def test_a_stored_score_with_too_many_gaps_is_missing_after_a_json_round_trip() -> None:
    score = bt.score_odi({"walking": 0}, max_missing=9)
    text = bt.to_json(bt.Assessment(odi=score, red_flags=dict.fromkeys(RED_FLAGS, False), **OTHERS))
    plan = bt.recommend(bt.from_json(text, bt.Assessment))
    assert (plan.missing, plan.exercises) == (("odi",), ())


# -- fail-safe errors ----------------------------------------------------------------------------


class _Pairs(Mapping[str, object]):
    """A mapping backed by a list of pairs, which may hold one key twice (no dict can)."""

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> object:
        return next(value for k, value in self._pairs if k == key)

    def __iter__(self) -> Iterator[str]:
        return iter([key for key, _ in self._pairs])

    def __len__(self) -> int:
        return len(self._pairs)


def test_a_red_flag_given_twice_is_refused_whatever_the_two_answers() -> None:
    others = [(key, False) for key in RED_FLAGS if key != "fever"]
    fever = "fever"
    for first, second in [(False, None), (None, False), (False, True), (False, False)]:
        pairs: list[tuple[str, object]] = [*others, (fever, first), (_Fever.FEVER, second)]
        with pytest.raises(InvalidAnswerError, match=r"red_flags\.fever.*once"):
            bt.Assessment(red_flags=_Pairs(pairs))


class _Fever(StrEnum):
    FEVER = "fever"


def test_marks_given_as_int_enum_members_are_kept_frozen() -> None:
    class Code(IntEnum):
        ONE = 1
        TWO = 2

    marks = [Code.TWO, Code.ONE]
    assessment = bt.Assessment(odi=[marks, *[0] * 9], red_flags=dict.fromkeys(RED_FLAGS, False))
    marks.append(Code.TWO + 3)  # the app's list changes later; the assessment must not
    assert assessment.odi[0] == (1, 2)  # type: ignore[index]
    assert bt.from_json(bt.to_json(assessment), bt.Assessment) == assessment


@pytest.mark.parametrize("answer", ["yes", "no", 1, 0, 1.0, "True", [True]], ids=repr)
def test_a_red_flag_answer_that_is_not_a_bool_is_refused_naming_the_flag(answer: object) -> None:
    with pytest.raises(InvalidAnswerError, match=r"red_flags\.fever") as caught:
        bt.recommend(bt.Assessment(odi=[0] * 10, red_flags={"fever": answer}))
    assert caught.value.value == answer


@pytest.mark.parametrize("answer", [True, False, None])
def test_an_unknown_red_flag_key_is_refused_naming_it(answer: bool | None) -> None:
    answers = dict.fromkeys(RED_FLAGS, False) | {"feverish": answer}
    with pytest.raises(InvalidAnswerError, match="feverish"):
        bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=answers))


def test_a_finding_answered_as_a_red_flag_is_refused() -> None:
    answers = dict.fromkeys(RED_FLAGS, False) | {"osteoporosis": True}
    with pytest.raises(InvalidAnswerError, match="osteoporosis"):
        bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=answers))


@pytest.mark.parametrize("name", ["osteoprosis", "ces_bladder", "odi_bed_bound", "extension"])
def test_an_unknown_or_misplaced_finding_is_refused_naming_it(name: str) -> None:
    assessment = bt.Assessment(
        odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False), findings={name}
    )
    with pytest.raises(InvalidAnswerError, match=name):
        bt.recommend(assessment)


@pytest.mark.parametrize("value", ["Extension", "backward", "none", 1, True], ids=repr)
def test_an_unknown_preference_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidAnswerError, match="preference"):
        bt.Assessment(preference=value)


@pytest.mark.parametrize("answer", [6, -1, "3", 2.5, True], ids=repr)
def test_a_bad_odi_answer_is_refused_naming_the_section(answer: object) -> None:
    with pytest.raises(InvalidAnswerError, match="walking"):
        bt.Assessment(odi={"walking": answer})


def test_an_unknown_odi_section_is_refused() -> None:
    with pytest.raises(InvalidAnswerError, match="traveling"):
        bt.Assessment(odi={"traveling": 1})


@pytest.mark.parametrize("answer", [False, None, True])
def test_a_misspelt_finding_is_refused_whatever_it_is_answered(answer: bool | None) -> None:
    # Answered False it changes nothing today, but the app's form is wired to a wrong key:
    # say so on the first assessment, not only for the person who has the finding.
    assessment = bt.Assessment(
        odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False), findings={"osteoporsis": answer}
    )
    with pytest.raises(InvalidAnswerError, match="osteoporsis"):
        bt.recommend(assessment)


def test_findings_keep_every_answer_and_only_yes_holds() -> None:
    findings = {"osteoporosis": False, "muscle_spasm": True, "poor_balance": None}
    assessment = bt.Assessment(
        odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False), findings=findings
    )
    assert assessment.findings == findings
    assert list(assessment.findings) == sorted(findings)
    facts = bt.recommend(assessment).facts
    assert "muscle_spasm" in facts
    assert "osteoporosis" not in facts
    assert "poor_balance" not in facts


def test_a_set_of_findings_means_these_hold() -> None:
    as_set = bt.Assessment(findings={"muscle_spasm"})
    assert as_set.findings == {"muscle_spasm": True}
    assert as_set == bt.Assessment(findings={"muscle_spasm": True})


def test_assessments_that_differ_in_a_no_are_not_equal() -> None:
    # Equality means the same plan: a misspelt key answered no is refused by recommend(),
    # so it must not compare equal to the assessment without it.
    assert bt.Assessment(findings={"osteoporsis": False}) != bt.Assessment()


def test_a_finding_given_twice_is_refused() -> None:
    class Name(StrEnum):
        SPASM = "muscle_spasm"

    class Pairs(Mapping[str, bool]):
        def __getitem__(self, key: str) -> bool:
            return True

        def __iter__(self) -> Iterator[str]:
            return iter(["muscle_spasm", Name.SPASM])

        def __len__(self) -> int:
            return 2

    with pytest.raises(InvalidAnswerError, match="once"):
        bt.Assessment(findings=Pairs())


@pytest.mark.parametrize("assessment", [None, {"red_flags": {}}, "assessment.json"], ids=repr)
def test_recommend_needs_an_assessment(assessment: object) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        bt.recommend(assessment)  # type: ignore[arg-type]
    assert caught.value.field == "assessment"
    assert "an Assessment" in str(caught.value)


@pytest.mark.parametrize("protocol", ["protocol.toml", {"name": "p"}], ids=repr)
def test_a_protocol_that_is_not_one_is_refused_naming_it(protocol: object) -> None:
    assessment = bt.Assessment(odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False))
    for call in (
        lambda: bt.recommend(assessment, protocol=protocol),  # type: ignore[arg-type]
        lambda: bt.questions(protocol),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidAnswerError) as caught:
            call()
        assert caught.value.field == "protocol"
        assert "load_protocol" in str(caught.value)


def test_a_misspelt_finding_is_still_refused_after_evolve() -> None:
    assessment = bt.Assessment(
        odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False), findings={"osteoporsis": False}
    )
    with pytest.raises(InvalidAnswerError, match="osteoporsis"):
        bt.recommend(attrs.evolve(assessment, age=40))


def test_a_same_day_plan_with_questions_unanswered_says_they_may_mean_emergency() -> None:
    flags: dict[str, bool | None] = dict.fromkeys(RED_FLAGS, None)
    flags["progressive_weakness"] = True
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=flags, **OTHERS))
    assert plan.urgency is Urgency.SAME_DAY
    assert plan.advice.endswith("may mean you need emergency care.")
    answered = {**dict.fromkeys(RED_FLAGS, False), "progressive_weakness": True}
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags=answered, **OTHERS))
    assert "emergency" not in plan.advice


def test_findings_given_as_a_single_string_are_refused() -> None:
    with pytest.raises(InvalidAnswerError, match="findings"):
        bt.Assessment(findings="osteoporosis")


def test_findings_given_as_a_mapping_hold_only_when_true() -> None:
    # {"single_knee_hug_tolerated": False} must never unlock the double knee hug.
    answers = dict.fromkeys(RED_FLAGS, False)
    no = bt.Assessment(
        odi=[0] * 10, red_flags=answers, findings=NO_FINDINGS | {TOLERATED: False}, age=AGE
    )
    yes = bt.Assessment(
        odi=[0] * 10, red_flags=answers, findings=NO_FINDINGS | {TOLERATED: True}, age=AGE
    )
    assert DOUBLE in ids(bt.recommend(no).withheld)
    assert DOUBLE in ids(bt.recommend(yes).exercises)
    with pytest.raises(InvalidAnswerError, match=TOLERATED):
        bt.Assessment(findings={TOLERATED: "yes"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("odi", "0123401234"),
        ("odi", 17),
        ("red_flags", ["fever"]),
        ("red_flags", {1: True}),
        ("findings", [1]),
        ("findings", 3),
        ("start_back", [1] * 9),
        ("age", -1),
        ("age", True),
        ("age", "40"),
        ("odi_max_missing", -1),
        ("odi_max_missing", True),
    ],
    ids=repr,
)
def test_an_assessment_field_of_the_wrong_shape_is_refused_naming_it(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidAnswerError, match=field):
        bt.Assessment(**{field: value})


def test_every_error_is_a_backtriage_error_and_a_value_error() -> None:
    with pytest.raises(bt.BacktriageError):
        bt.Assessment(red_flags={"fever": "yes"})
    assert issubclass(bt.BacktriageError, ValueError)


# -- the plan: ordering, scores, determinism ----------------------------------------------------


def test_exercises_come_gentlest_first() -> None:
    levels = [p.exercise.level for p in plan_of(given()).exercises]
    assert levels == sorted(levels)
    assert levels[0] == 1


@pytest.mark.parametrize("value", ["extension", "flexion", "lateral", None])
def test_a_preference_withholds_but_never_reorders(value: str | None) -> None:
    # Section 3b, change 9: level 1 before level 2, the catalogue's order within a level, so
    # a plan starts with the gentlest exercise it gives, whatever the preference.
    shown = [p.exercise.id for p in plan_of(given(preference=value)).exercises]
    expected = sorted(shown, key=lambda i: (PROTOCOL.exercise(i).level, CATALOGUE.index(i)))
    assert shown == expected
    assert shown[0] == SWAYS


def test_without_preference_exercises_of_a_level_keep_catalogue_order() -> None:
    catalogue = [e.id for e in PROTOCOL.exercises]
    for level in (1, 2):
        shown = [p.exercise.id for p in plan_of(given()).exercises if p.exercise.level == level]
        assert shown == [i for i in catalogue if i in shown]


def test_withheld_exercises_are_in_catalogue_order() -> None:
    catalogue = [e.id for e in PROTOCOL.exercises]
    withheld = [w.exercise.id for w in plan_of(everything_but()).withheld]
    assert withheld == catalogue


def test_plan_carries_the_scores_and_the_protocol_name_and_version() -> None:
    plan = plan_of(given(odi_raw=16, start_back=START_BACK_HIGH))
    assert plan.odi is not None
    assert plan.odi.percent == 32.0  # [S5]: 16 points of 50
    assert plan.start_back is not None
    assert (plan.start_back.total, plan.start_back.psychosocial) == (4, 4)
    assert plan.start_back.risk is bt.StartBackRisk.HIGH
    assert (plan.protocol_name, plan.protocol_version) == (PROTOCOL.name, PROTOCOL.version)


def test_an_absent_start_back_is_optional_and_scores_none() -> None:
    plan = plan_of(given())
    assert plan.start_back is None
    assert "start_back" not in plan.missing


def test_the_same_answers_in_another_order_give_an_equal_plan() -> None:
    flags = {k: k in {"not_improving", "long_term_steroids"} for k in RED_FLAGS}
    found = NO_FINDINGS | dict.fromkeys(["osteoporosis", "suspected_stenosis", TOLERATED], True)
    first = bt.Assessment(
        odi=[1] * 10, red_flags=flags, findings=found, preference="lateral", age=AGE
    )
    second = bt.Assessment(
        odi=dict(zip([s.value for s in bt.OdiSection], [1] * 10, strict=True)),
        red_flags=dict(reversed(list(flags.items()))),
        findings=dict(reversed(list(found.items()))),
        preference=bt.Preference.LATERAL,
        age=AGE,
    )
    assert bt.recommend(first) == bt.recommend(second)


def test_passing_the_default_protocol_explicitly_changes_nothing() -> None:
    assessment = assess(given("long_term_steroids", findings=["muscle_spasm"]))
    assert bt.recommend(assessment, protocol=PROTOCOL) == bt.recommend(assessment)


# -- summary -------------------------------------------------------------------------------------

TITLES = [e.title for e in PROTOCOL.exercises]


def test_summary_gives_advice_exercises_cautions_and_the_disclaimer() -> None:
    plan = plan_of(given(findings=["suspected_disc"]))
    text = plan.summary()
    assert plan.advice in text
    assert "not a diagnosis" in text
    for title in TITLES:
        assert title in text
    assert PROTOCOL.safety in text
    assert "disc" in text.lower()
    assert PROTOCOL.version in text


def test_summary_reports_the_odi_and_the_start_back_risk() -> None:
    text = plan_of(given(odi_raw=16, start_back=START_BACK_HIGH)).summary()
    assert "32%" in text
    assert "high" in text


def test_summary_explains_each_withheld_exercise() -> None:
    plan = plan_of(given(findings=["prone_lying_painful"]))
    rule = next(r for r in PROTOCOL.rules if r.id == "prone_lying_painful_no_prone_extension")
    assert rule.reason in plan.summary()


@pytest.mark.parametrize("key", EMERGENCY_FLAGS + SAME_DAY_FLAGS)
def test_summary_of_an_urgent_plan_names_no_exercise_and_says_what_to_do(key: str) -> None:
    plan = plan_of(given(key))
    text = plan.summary()
    assert plan.advice in text
    assert "not a diagnosis" in text
    for title in TITLES:
        assert title not in text
    assert "Exercises you may try" not in text


def test_summary_of_an_urgent_plan_asks_no_further_question() -> None:
    plan = bt.recommend(bt.Assessment(red_flags={"chest_pain": True}))
    assert plan.missing
    text = plan.summary()
    for question in plan.missing_questions:
        assert question not in text
    for title in TITLES:
        assert title not in text


def test_summary_of_an_unanswered_plan_asks_each_question() -> None:
    plan = bt.recommend(bt.Assessment(odi=[0] * 10, red_flags={"fever": False}))
    text = plan.summary()
    for question in plan.missing_questions:
        assert question in text
    assert "Exercises you may try" not in text


# -- questions() ---------------------------------------------------------------------------------


def test_questions_start_with_every_red_flag_all_required_in_clinical_order() -> None:
    asked = bt.questions()
    red = [q for q in asked if q.kind is bt.QuestionKind.RED_FLAG]
    assert [q.key for q in red] == list(RED_FLAGS)
    assert asked[: len(RED_FLAGS)] == tuple(red)
    assert all(q.required for q in red)
    assert all(q.text == PROTOCOL.fact(q.key).question for q in red)


def test_questions_ask_for_the_odi_as_required_and_start_back_as_optional() -> None:
    by_key = {q.key: q for q in bt.questions()}
    assert by_key["odi"].kind is bt.QuestionKind.INSTRUMENT
    assert by_key["odi"].required is True
    assert by_key["start_back"].kind is bt.QuestionKind.INSTRUMENT
    assert by_key["start_back"].required is False


def test_questions_list_every_finding_and_the_capability_optional_but_the_required_ones() -> None:
    by_key = {q.key: q for q in bt.questions()}
    for name in FINDINGS:
        assert by_key[name].kind is bt.QuestionKind.FINDING
        assert by_key[name].required is (name in REQUIRED_FINDINGS)
        assert by_key[name].text.endswith("?")
    assert by_key[TOLERATED].kind is bt.QuestionKind.CAPABILITY


def test_questions_never_ask_for_a_derived_fact_but_for_the_inputs_they_come_from() -> None:
    keys = {q.key for q in bt.questions()}
    assert keys == {*RED_FLAGS, "odi", "start_back", "age", "preference", *FINDINGS, TOLERATED}


def test_the_directional_preference_is_asked_as_a_detail_never_required() -> None:
    (preference,) = [q for q in bt.questions() if q.key == "preference"]
    assert (preference.kind, preference.required) == (bt.QuestionKind.DETAIL, False)
    for value in ("extension", "flexion", "lateral"):
        assert repr(value) in preference.text


def test_answering_every_required_question_no_leaves_nothing_missing() -> None:
    by_kind: dict[bt.QuestionKind, list[str]] = {}
    for q in bt.questions():
        if q.required:
            by_kind.setdefault(q.kind, []).append(q.key)
    assert by_kind.pop(bt.QuestionKind.INSTRUMENT) == ["odi"]
    assert by_kind.pop(bt.QuestionKind.DETAIL) == ["age"]
    red_flags = dict.fromkeys(by_kind.pop(bt.QuestionKind.RED_FLAG), False)
    findings = dict.fromkeys(by_kind.pop(bt.QuestionKind.FINDING), False)
    assert by_kind == {}
    assessment = bt.Assessment(odi=[0] * 10, red_flags=red_flags, findings=findings, age=AGE)
    plan = bt.recommend(assessment)
    assert plan.missing == ()
    assert plan.exercises


# -- another protocol ---------------------------------------------------------------------------

SMALL_PROTOCOL = """
name = "small"
version = "0.1.0"

[sources]
demo = "a test protocol"

[[exercises]]
id = "walk"
title = "Walk"
family = "walking"
movement = "flexion"
position = "standing"
level = 1
in_bed = false
dosage = "10 minutes"
steps = ["Gently: 10 minutes", "10 minutes"]
instructions = "Walk gently on level ground."

[[facts]]
name = "dizzy"
kind = "red_flag"
polarity = "risk"
required = true
question = "Do you feel dizzy?"

[[rules]]
id = "dizzy_same_day"
condition = { fact = "RULE_FACT" }
reason = "Dizziness with back pain should be checked today."
source = "demo"
actions = [{ refer = "same_day" }]

[[facts]]
name = "aged_65_or_more"
kind = "derived"
polarity = "risk"
derive = { source = "age", at_least = "65" }

[[rules]]
id = "older_routine"
condition = { fact = "aged_65_or_more" }
reason = "At 65 or older, a routine review is worth booking."
source = "demo"
actions = [{ refer = "routine" }]
"""
SMALL_PROTOCOL = format3(SMALL_PROTOCOL)


def test_questions_follow_the_protocol_given() -> None:
    small = bt.load_protocol(text=SMALL_PROTOCOL.replace("RULE_FACT", "dizzy"))
    asked = bt.questions(small)
    # The protocol derives a fact from the age, so the age is asked too, but not required.
    assert [(q.key, q.required) for q in asked] == [("dizzy", True), ("odi", False), ("age", False)]
    assert asked[-1].kind is bt.QuestionKind.DETAIL


def test_a_protocol_that_does_not_require_the_odi_gives_exercises_without_it() -> None:
    small = bt.load_protocol(text=SMALL_PROTOCOL.replace("RULE_FACT", "dizzy"))
    plan = bt.recommend(bt.Assessment(red_flags={"dizzy": False}), protocol=small)
    assert plan.missing == ()
    assert [p.exercise.id for p in plan.exercises] == ["walk"]
    assert (plan.protocol_name, plan.protocol_version) == ("small", "0.1.0")


def test_a_protocol_with_problems_is_refused() -> None:
    broken = bt.load_protocol(text=SMALL_PROTOCOL.replace("RULE_FACT", "dizy"))
    assert broken.check()
    with pytest.raises(bt.ProtocolError, match="small"):
        bt.recommend(bt.Assessment(red_flags={"dizzy": False}), protocol=broken)


@pytest.mark.parametrize(("age", "urgency"), [(None, U.NONE), (64, U.NONE), (65, U.ROUTINE)])
def test_an_age_threshold_holds_from_that_age_on(age: int | None, urgency: Urgency) -> None:
    small = bt.load_protocol(text=SMALL_PROTOCOL.replace("RULE_FACT", "dizzy"))
    plan = bt.recommend(bt.Assessment(red_flags={"dizzy": False}, age=age), protocol=small)
    assert plan.urgency is urgency


def test_summary_says_why_with_only_the_rules_that_set_the_urgency() -> None:
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    flags.update(ces_bladder=True, not_improving=True)
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=flags, **OTHERS))
    text = plan.summary()
    reason = next(r.reason for r in PROTOCOL.rules if r.id == "ces_bladder_emergency")
    assert text.index("Why:") < text.index(reason)
    assert "without getting better" not in text  # a routine reason in an emergency plan
    # The audit trail keeps every rule that fired.
    assert {f.urgency for f in plan.fired} >= {bt.Urgency.EMERGENCY, bt.Urgency.ROUTINE}
