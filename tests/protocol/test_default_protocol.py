"""The shipped protocol (3.0.0) says exactly what docs/clinical-basis.md says.

Every expected value below is written by hand from the clinical basis (sections 3, 3a, 3b and
4), not read from ``default.toml``, so that this file is an independent specification of it.
The changes of the 2.0.0 review (section 3a) are pinned one scenario at a time further down;
those of the 3.0.0 review (section 3b), one presentation at a time, in
``tests/protocol/test_default_protocol_3.py``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import attrs
import pytest

import backtriage as bt
from backtriage import Movement, Polarity, Position, Urgency
from backtriage.fhir import to_care_plan
from backtriage.protocol import AllOf, AnyOf, FactIs, Refer
from backtriage.protocol._engine import engine_of

PROTOCOL = bt.default_protocol()

U = Urgency

# Section 3 (as changed by 3a and 3b): the urgency of each red flag answered yes alone, in the
# protocol's order.
SINGLE_FLAG_URGENCY: dict[str, Urgency] = {
    "ces_bladder": U.EMERGENCY,
    "ces_leaking": U.EMERGENCY,  # 3b.7: split from ces_incontinence
    "ces_toilet_sensation": U.EMERGENCY,  # 3b.7: split from ces_incontinence
    "ces_saddle_numbness": U.EMERGENCY,
    "ces_sexual_dysfunction": U.SAME_DAY,
    "bilateral_leg_symptoms": U.EMERGENCY,
    "progressive_weakness": U.SAME_DAY,
    "gait_disturbance": U.EMERGENCY,
    "major_trauma": U.EMERGENCY,
    "moderate_trauma": U.SAME_DAY,  # 3b.5
    "long_term_steroids": U.ROUTINE,
    "spinal_deformity": U.SAME_DAY,
    "cancer_history": U.SAME_DAY,
    "unexplained_weight_loss": U.SAME_DAY,
    "unrelenting_pain": U.SAME_DAY,  # 3b.10: split from night_pain
    "night_waking_pain": U.ROUTINE,  # 3b.10: split from night_pain
    "thoracic_pain": U.SAME_DAY,  # 3a.4: was soon
    "fever": U.SAME_DAY,
    "injects_drugs": U.SAME_DAY,  # 3b.6: was soon
    "immunosuppressed": U.SOON,
    "recent_infection": U.SOON,
    "recent_spinal_procedure": U.SOON,  # 3b.6
    "sepsis_signs": U.EMERGENCY,  # 3a.6
    "known_aaa": U.EMERGENCY,  # 3b.4
    "aaa_symptoms": U.EMERGENCY,
    "chest_pain": U.EMERGENCY,
    "not_improving": U.ROUTINE,
    "inflammatory_features": U.ROUTINE,
}
RED_FLAGS = tuple(SINGLE_FLAG_URGENCY)
CES_FLAGS = (
    "ces_bladder",
    "ces_leaking",
    "ces_toilet_sensation",
    "ces_saddle_numbness",
    "ces_sexual_dysfunction",
)
INFECTION_RISKS = (
    "injects_drugs",
    "immunosuppressed",
    "recent_infection",
    "recent_spinal_procedure",  # 3b.6
    "long_term_steroids",  # 3b.6: counts as an infection risk with a fever
)
GONE = ("fragility_fracture_risk", "night_pain", "ces_incontinence", "infection_risk")

# Section 3, the "combinations" column (3a, 3b): facts answered yes together -> urgency, with
# the age in years where an age fact takes part.
COMBINATIONS: list[tuple[frozenset[str], int, Urgency]] = [
    *(
        (frozenset({"ces_sexual_dysfunction", other}), 40, U.EMERGENCY)
        for other in (*CES_FLAGS[:4], "bilateral_leg_symptoms")
    ),
    *((frozenset({"progressive_weakness", ces}), 40, U.EMERGENCY) for ces in CES_FLAGS),
    (frozenset({"progressive_weakness", "cancer_history"}), 40, U.EMERGENCY),
    (frozenset({"progressive_weakness", "anticoagulated"}), 40, U.EMERGENCY),  # 3b.4
    (frozenset({"sudden_onset", "anticoagulated"}), 40, U.SAME_DAY),  # 3b.4
    (frozenset({"sudden_onset", "osteoporosis"}), 40, U.SAME_DAY),  # 3b.5
    (frozenset({"sudden_onset", "long_term_steroids"}), 40, U.SAME_DAY),  # 3b.5
    (frozenset({"sudden_onset"}), 65, U.SAME_DAY),  # 3b.5: with age_65_or_over
    (frozenset({"night_waking_pain"}), 50, U.SAME_DAY),  # 3b.10: with age_50_or_over
    (frozenset({"night_waking_pain", "cancer_history"}), 40, U.SAME_DAY),
    (frozenset({"night_waking_pain", "unexplained_weight_loss"}), 40, U.SAME_DAY),
    *((frozenset({risk, "fever"}), 40, U.EMERGENCY) for risk in INFECTION_RISKS),
    (frozenset({"recent_spine_surgery", "post_surgery_warning"}), 40, U.SAME_DAY),  # 3b.8
]

# Section 4, the exercise table, in the catalogue's order (3b.9: gentlest, most supported
# first).
EXERCISES: dict[str, tuple[str, Movement, Position, int, bool]] = {
    "knee_sways": ("knee_sways", Movement.ROTATION, Position.SUPINE, 1, True),
    "single_knee_hug": ("knee_hugs", Movement.FLEXION, Position.SUPINE, 1, True),
    "double_knee_hug": ("knee_hugs", Movement.FLEXION, Position.SUPINE, 2, True),
    "standing_side_bend": ("side_bending", Movement.LATERAL_FLEXION, Position.STANDING, 1, False),
    "standing_flexion": ("flexion", Movement.FLEXION, Position.STANDING, 1, False),
    "kneeling_extension": ("extension", Movement.EXTENSION, Position.KNEELING, 2, False),
    "prone_extension": ("extension", Movement.EXTENSION, Position.PRONE, 2, False),
}
ALL = frozenset(EXERCISES)
EXTENSION = frozenset({"prone_extension", "kneeling_extension"})
FLEXION = frozenset({"standing_flexion", "single_knee_hug", "double_knee_hug"})
SUPINE = frozenset({"single_knee_hug", "double_knee_hug", "knee_sways"})
STANDING = frozenset({"standing_flexion", "standing_side_bend"})
IN_BED = frozenset({"single_knee_hug", "double_knee_hug", "knee_sways"})
LEVEL_1 = frozenset({"standing_flexion", "single_knee_hug", "standing_side_bend", "knee_sways"})
NOTHING: frozenset[str] = frozenset()

# Section 4, findings: key -> (withheld, cautioned, urgency), for a person of 40 who already
# tolerates the single knee hug (so that every exercise would otherwise be given).
FINDINGS: dict[str, tuple[frozenset[str], frozenset[str], Urgency]] = {
    "prone_lying_painful": (frozenset({"prone_extension"}), NOTHING, U.NONE),
    "extension_aggravates": (EXTENSION, NOTHING, U.NONE),
    "flexion_aggravates": (FLEXION, NOTHING, U.NONE),
    "suspected_disc": (NOTHING, FLEXION, U.NONE),
    "muscle_spasm": (NOTHING, frozenset({"standing_flexion"}), U.NONE),
    "leg_symptoms_spread_on_extension": (EXTENSION, NOTHING, U.ROUTINE),
    "leg_symptoms_spread_on_flexion": (FLEXION, NOTHING, U.ROUTINE),
    "leg_pain_below_knee": (NOTHING, NOTHING, U.ROUTINE),  # 3b.10
    "osteoporosis": (FLEXION, NOTHING, U.NONE),
    "sudden_onset": (NOTHING, NOTHING, U.NONE),  # 3b.5: alone it flags nothing
    "anticoagulated": (NOTHING, NOTHING, U.NONE),  # 3b.4: only in combination
    "pregnant": (SUPINE | {"prone_extension"}, NOTHING, U.ROUTINE),  # 3b.3
    "recently_gave_birth": (NOTHING, NOTHING, U.ROUTINE),  # 3b.3
    "suspected_stenosis": (EXTENSION, NOTHING, U.ROUTINE),  # 3b.10: was a caution
    "recent_spine_surgery": (ALL, NOTHING, U.ROUTINE),
    "cannot_lie_prone": (frozenset({"prone_extension"}), NOTHING, U.NONE),
    "cannot_lie_supine": (SUPINE, NOTHING, U.NONE),
    "cannot_kneel": (frozenset({"kneeling_extension"}), NOTHING, U.NONE),
    # 3b.9: kneeling and lying on the front too, and a routine referral
    "poor_balance": (STANDING | EXTENSION, NOTHING, U.ROUTINE),
    "confined_to_bed": (ALL - IN_BED, NOTHING, U.SOON),  # 3a.8: refers soon too
}
# A follow-up question, asked only after recent spine surgery (3b.8): not a finding alone.
FOLLOW_UPS = {"post_surgery_warning": "recent_spine_surgery"}
# Section 4 and 3b: the findings asked of everyone (their harm is not felt in time, or they
# refer); the follow-up is required once its question is asked.
REQUIRED_FINDINGS = frozenset(
    {
        "osteoporosis",
        "sudden_onset",
        "anticoagulated",
        "pregnant",
        "recently_gave_birth",
        "recent_spine_surgery",
        "post_surgery_warning",
        "poor_balance",
        "confined_to_bed",
    }
)
CAPABILITY = "single_knee_hug_tolerated"

# Section 4, directional preference: preference -> (withheld, cautioned).
PREFERENCES: dict[str | None, tuple[frozenset[str], frozenset[str]]] = {
    "extension": (FLEXION, NOTHING),
    "flexion": (EXTENSION, NOTHING),
    "lateral": (NOTHING, frozenset({"standing_side_bend"})),
    None: (NOTHING, NOTHING),
}

# Section 4, "from scores": ODI raw sum (of 50, so percent = 2 * raw) -> (urgency,
# exercises given). Band bounds [S10]: <=20 minimal, <=40 moderate, <=60 severe, <=80 crippled.
ODI_BANDS: list[tuple[int, Urgency, frozenset[str]]] = [
    (10, U.NONE, ALL),  # 20 %, minimal
    (20, U.NONE, ALL),  # 40 %, moderate
    (21, U.ROUTINE, ALL),  # 42 %, severe: "detailed investigation"
    (30, U.ROUTINE, ALL),  # 60 %, severe
    (31, U.SOON, LEVEL_1),  # 62 %, crippled: only level-1 exercises
    (40, U.SOON, LEVEL_1),  # 80 %, crippled
    (41, U.SOON, LEVEL_1 & IN_BED),  # 82 %, bed-bound: only in-bed (and still level 1)
    (50, U.SOON, LEVEL_1 & IN_BED),  # 100 %
]

# STarT Back [S20]: total <= 3 low; else psychosocial (items 5-9) <= 3 medium, >= 4 high.
START_BACK_HIGH: dict[str, object] = {
    "leg_pain": 0, "shoulder_neck_pain": 0, "walked_short_distances": 0,
    "dressed_slowly": 0, "fear_not_safe_active": 1, "worrying_thoughts": 1,
    "catastrophising": 1, "low_mood": 1, "bothersomeness": "not_at_all",
}  # fmt: skip
START_BACK_MEDIUM = START_BACK_HIGH | {"low_mood": 0, "leg_pain": 1}
START_BACK_LOW = START_BACK_HIGH | {"low_mood": 0}

# The text of the public page the exercises were written from, kept as test data.
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "lower-back-exercises.txt"


def odi_with_raw(raw: int) -> list[int]:
    """Return ten ODI answers (0..5) that add up to ``raw``."""
    answers = [min(5, max(0, raw - 5 * i)) for i in range(10)]
    assert sum(answers) == raw
    return answers


def assessment_for(
    *yes: str,
    findings: frozenset[str] | set[str] = frozenset(),
    preference: str | None = None,
    odi_raw: int = 0,
    start_back: dict[str, object] | None = None,
    age: int | None = 40,
) -> bt.Assessment:
    """Return an assessment with every red flag and required finding answered: the ``yes``
    ones (red flags or findings) and ``findings`` True, the rest False."""
    flags = {key: key in yes for key in RED_FLAGS}
    found = {*findings, *(key for key in yes if key not in flags)}
    answers = {name: name in found for name in REQUIRED_FINDINGS}
    answers.update(dict.fromkeys(found, True))
    return bt.Assessment(
        odi=odi_with_raw(odi_raw),
        red_flags=flags,
        findings=answers,
        preference=preference,
        start_back=start_back,
        age=age,
    )


def plan_for(
    *yes: str,
    findings: frozenset[str] | set[str] = frozenset(),
    preference: str | None = None,
    odi_raw: int = 0,
    start_back: dict[str, object] | None = None,
    age: int | None = 40,
) -> bt.Plan:
    """Recommend for someone with every required question answered (see assessment_for)."""
    return bt.recommend(
        assessment_for(
            *yes,
            findings=findings,
            preference=preference,
            odi_raw=odi_raw,
            start_back=start_back,
            age=age,
        )
    )


def _asked(text: str) -> str:
    """Return the question of ``text``: its first sentence, without the one short sentence
    after it that may say when to answer yes or no."""
    return text[: text.index("?") + 1] if "?" in text else text


def given(plan: bt.Plan) -> frozenset[str]:
    return frozenset(p.exercise.id for p in plan.exercises)


def cautioned_by_rules(plan: bt.Plan) -> frozenset[str]:
    """Return the exercises carrying a caution from a protocol rule (not the safety advice)."""
    rule_ids = {rule.id for rule in PROTOCOL.rules}
    return frozenset(
        p.exercise.id for p in plan.exercises if any(c.rule in rule_ids for c in p.cautions)
    )


# -- the protocol as a whole -------------------------------------------------------------------


def test_default_protocol_has_no_static_problem() -> None:
    assert PROTOCOL.check() == ()


def test_default_protocol_is_version_3_and_requires_the_odi_and_the_age() -> None:
    # The seed asks for the Oswestry scale before any exercise; the fracture combinations of
    # sections 3a (change 7) and 3b (change 5) need the age.
    assert PROTOCOL.name.strip()
    assert PROTOCOL.version == "3.0.0"
    assert PROTOCOL.require_odi is True
    assert PROTOCOL.require_age is True
    assert PROTOCOL.require_start_back is False  # 3a.9: not a stand-alone online screen


# -- exercises -----------------------------------------------------------------------------------


def test_catalogue_holds_the_seven_seed_exercises_gentlest_and_most_supported_first() -> None:
    # 3b.9: knee sways, single knee hug, double knee hug, standing side bend, standing forward
    # bend, kneeling lean back, lying back arch.
    assert [e.id for e in PROTOCOL.exercises] == list(EXERCISES)


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_exercise_attributes_match_the_clinical_table(exercise_id: str) -> None:
    exercise = PROTOCOL.exercise(exercise_id)
    family, movement, position, level, in_bed = EXERCISES[exercise_id]
    assert (exercise.family, exercise.movement, exercise.position) == (family, movement, position)
    assert (exercise.level, exercise.in_bed) == (level, in_bed)


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_every_exercise_has_a_title_instructions_and_a_dosage(exercise_id: str) -> None:
    exercise = PROTOCOL.exercise(exercise_id)
    assert exercise.title.strip()
    assert len(exercise.instructions.split()) >= 10
    assert re.search(r"\d", exercise.dosage), "a dosage says how many or how long"


def test_only_the_double_knee_hug_has_a_prerequisite_the_single_knee_hug_tolerated() -> None:
    prerequisites = {e.id: e.prerequisites for e in PROTOCOL.exercises if e.prerequisites}
    assert prerequisites == {"double_knee_hug": (CAPABILITY,)}
    capability = PROTOCOL.fact(CAPABILITY)
    assert capability.kind is bt.FactKind.CAPABILITY
    assert capability.polarity is Polarity.CAPABILITY
    assert capability.unlocked_by == "single_knee_hug"


def test_safety_advice_of_the_seed_is_written_in_own_words() -> None:
    # Seed: move slowly and within comfort, never push into pain, build range gradually, stop
    # if pain increases or spreads down the leg.
    safety = PROTOCOL.safety.lower()
    for idea in ("slow", "comfort", "pain", "little", "stop", "spread", "leg"):
        assert idea in safety, idea
    assert PROTOCOL.safety_source


def test_every_prescription_carries_the_safety_advice() -> None:
    plan = plan_for(findings={CAPABILITY})
    assert given(plan) == ALL
    for prescription in plan.exercises:
        texts = [c.text for c in prescription.cautions]
        assert PROTOCOL.safety in texts, prescription.exercise.id


@pytest.mark.parametrize(
    ("answers", "first"),
    [
        ({CAPABILITY}, "knee_sways"),
        ({CAPABILITY, "cannot_lie_supine"}, "standing_side_bend"),
        ({CAPABILITY, "cannot_lie_supine", "poor_balance"}, None),
        ({CAPABILITY, "pregnant"}, "standing_side_bend"),
        ({CAPABILITY, "pregnant", "flexion_aggravates"}, "standing_side_bend"),
        ({CAPABILITY, "cannot_lie_supine", "extension_aggravates"}, "standing_side_bend"),
    ],
)
def test_a_plan_lists_level_1_before_level_2_in_catalogue_order(
    answers: set[str], first: str | None
) -> None:
    # 3b.9: the plan starts with the gentlest exercise it gives; a directional preference
    # withholds, it does not reorder.
    for preference in (None, "extension", "flexion", "lateral"):
        plan = plan_for(findings=answers, preference=preference)
        ids = [p.exercise.id for p in plan.exercises]
        expected = sorted(ids, key=lambda i: (EXERCISES[i][3], list(EXERCISES).index(i)))
        assert ids == expected
        if preference is None:
            assert (ids[0] if ids else None) == first


# -- red flags -------------------------------------------------------------------------------------


def test_red_flags_are_exactly_those_of_the_clinical_table_in_its_order() -> None:
    declared = [f.name for f in PROTOCOL.facts if f.kind is bt.FactKind.RED_FLAG]
    assert declared == list(RED_FLAGS)


@pytest.mark.parametrize("key", GONE)
def test_the_replaced_questions_are_gone(key: str) -> None:
    # 3a.5 and 3b: split or replaced; apps answer by the new names.
    assert key not in {f.name for f in PROTOCOL.facts}


@pytest.mark.parametrize("key", RED_FLAGS)
def test_red_flag_is_a_required_risk_with_a_plain_yes_no_question(key: str) -> None:
    fact = PROTOCOL.fact(key)
    assert fact.required is True
    assert fact.asked_if is None, "a red flag is asked of everyone"
    assert fact.polarity is Polarity.RISK
    assert fact.question is not None
    question = _asked(fact.question.strip())
    assert question.endswith("?")
    # Asked of a person, so in words, never a key; and answerable with yes or no.
    assert "_" not in fact.question
    assert re.match(r"([^,?]+, )?(do|does|did|is|are|has|have)\b", question, re.I), question


@pytest.mark.parametrize(("key", "urgency"), list(SINGLE_FLAG_URGENCY.items()))
def test_single_red_flag_sets_the_default_urgency_of_the_table(key: str, urgency: Urgency) -> None:
    assert plan_for(key).urgency is urgency


@pytest.mark.parametrize("key", [k for k, u in SINGLE_FLAG_URGENCY.items() if u >= U.SOON], ids=str)
def test_red_flag_of_soon_or_more_withholds_every_exercise(key: str) -> None:
    # "same_day and emergency always withhold every exercise; soon from a red flag too".
    plan = plan_for(key, findings={CAPABILITY})
    assert plan.exercises == ()
    assert {w.exercise.id for w in plan.withheld} == ALL


@pytest.mark.parametrize(
    "key", [k for k, u in SINGLE_FLAG_URGENCY.items() if u is U.ROUTINE], ids=str
)
def test_routine_red_flag_alone_still_gives_the_exercises(key: str) -> None:
    assert given(plan_for(key, findings={CAPABILITY})) == ALL


@pytest.mark.parametrize(
    ("facts", "age", "urgency"),
    COMBINATIONS,
    ids=["+".join(sorted(f)) + f"@{age}" for f, age, _ in COMBINATIONS],
)
def test_combination_escalates_as_the_table_says(
    facts: frozenset[str], age: int, urgency: Urgency
) -> None:
    assert plan_for(*sorted(facts), age=age).urgency is urgency


def test_sexual_dysfunction_with_non_ces_flags_stays_same_day() -> None:
    # Only another CES flag or bilateral leg symptoms make it an emergency.
    assert plan_for("ces_sexual_dysfunction", "fever", "spinal_deformity").urgency is U.SAME_DAY


def test_sudden_onset_and_steroids_without_each_other_do_not_reach_same_day() -> None:
    assert plan_for("sudden_onset", "not_improving").urgency is U.ROUTINE
    assert plan_for("long_term_steroids", "recent_infection").urgency is U.SOON


# -- findings, capability, preference, scores --------------------------------------------------------


def test_findings_are_exactly_those_of_the_clinical_table() -> None:
    declared = {f.name for f in PROTOCOL.facts if f.kind is bt.FactKind.FINDING}
    assert declared == set(FINDINGS) | set(FOLLOW_UPS)


@pytest.mark.parametrize("key", list(FINDINGS))
def test_finding_is_a_risk_with_a_question_required_only_where_section_4_says(key: str) -> None:
    fact = PROTOCOL.fact(key)
    assert fact.polarity is Polarity.RISK
    assert fact.required is (key in REQUIRED_FINDINGS)
    assert fact.asked_if is None
    assert fact.question is not None
    assert fact.question.strip().endswith("?")


@pytest.mark.parametrize("key", list(FINDINGS))
def test_finding_takes_away_and_cautions_what_the_table_says(key: str) -> None:
    withheld, cautioned, urgency = FINDINGS[key]
    plan = plan_for(findings={key, CAPABILITY})
    assert given(plan) == ALL - withheld
    assert cautioned_by_rules(plan) == cautioned
    assert plan.urgency is urgency


@pytest.mark.parametrize("preference", list(PREFERENCES), ids=str)
def test_directional_preference_acts_as_the_table_says(preference: str | None) -> None:
    withheld, cautioned = PREFERENCES[preference]
    plan = plan_for(findings={CAPABILITY}, preference=preference)
    assert given(plan) == ALL - withheld
    assert cautioned_by_rules(plan) == cautioned
    assert plan.urgency is U.NONE


def test_derived_facts_are_thresholds_named_as_in_the_clinical_text() -> None:
    derived = {f.name for f in PROTOCOL.facts if f.kind is bt.FactKind.DERIVED}
    assert {"odi_severe_or_worse", "odi_crippled_or_worse", "odi_bed_bound"} <= derived
    assert {"preference_extension", "preference_flexion", "preference_lateral"} <= derived
    assert {"start_back_medium_or_worse", "start_back_high"} <= derived
    assert {"age_50_or_over", "age_65_or_over", "age_75_or_over"} <= derived  # 3b
    for name in derived:
        fact = PROTOCOL.fact(name)
        assert fact.polarity is Polarity.RISK
        assert fact.derive is not None
        assert fact.question is None, "derived facts are computed, never asked"


@pytest.mark.parametrize(("raw", "urgency", "exercises"), ODI_BANDS)
def test_odi_band_sets_urgency_and_narrows_the_exercises(
    raw: int, urgency: Urgency, exercises: frozenset[str]
) -> None:
    plan = plan_for(findings={CAPABILITY}, odi_raw=raw)
    assert plan.urgency is urgency
    assert given(plan) == exercises


@pytest.mark.parametrize(
    ("answers", "risk", "urgency"),
    [
        (START_BACK_LOW, "low", U.NONE),
        (START_BACK_MEDIUM, "medium", U.ROUTINE),  # 3a.9: was none in 1.0.0
        (START_BACK_HIGH, "high", U.ROUTINE),
        (None, None, U.NONE),  # optional: not given is not asked for
    ],
    ids=["low", "medium", "high", "not given"],
)
def test_start_back_medium_or_high_risk_gives_a_routine_review_and_keeps_the_exercises(
    answers: dict[str, object] | None, risk: str | None, urgency: Urgency
) -> None:
    plan = plan_for(findings={CAPABILITY}, start_back=answers)
    assert (plan.start_back.risk.value if plan.start_back else None) == risk
    assert plan.urgency is urgency
    assert plan.missing == ()
    assert given(plan) == ALL


# -- rules: explained and sourced ----------------------------------------------------------------


@pytest.mark.parametrize("rule", PROTOCOL.rules, ids=lambda r: r.id)
def test_every_rule_has_a_patient_readable_reason_and_a_declared_source(rule: bt.Rule) -> None:
    assert len(rule.reason.split()) >= 6
    assert "_" not in rule.reason, "a reason is read by the person, not a key"
    tags = [tag.strip() for tag in rule.source.split(",")]
    declared = {source.tag for source in PROTOCOL.sources}
    assert tags
    assert set(tags) <= declared, rule.source


def test_every_declared_source_has_a_citation() -> None:
    for source in PROTOCOL.sources:
        assert source.citation.strip(), source.tag


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_eight_word_run_of_the_seed_page_is_copied_into_the_protocol() -> None:
    # The seed is the page's text; the protocol must paraphrase it. The [sources] table is left
    # out: a citation names the page by its title, which is what a citation is for.
    seed = SEED.read_text(encoding="utf-8")
    toml = resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")
    toml = re.sub(r"(?ms)^\[sources\]$.*?(?=^\[)", "", toml)
    assert "[sources]" not in toml
    copied = _runs(_words(toml), 8) & _runs(_words(seed), 8)
    assert copied == set(), sorted(" ".join(run) for run in copied)


# -- the 2.0.0 review (section 3a) and the wording of 3.0.0 (3b.7), one change at a time ------

ASKED = [f for f in PROTOCOL.facts if f.question is not None and f.kind is not bt.FactKind.DERIVED]
# Words a person in pain may not know, or may misread (3a.10); allowed only in brackets, after
# the everyday words ("a bulge (an aortic aneurysm)"), for whoever was told the medical name.
JARGON = (
    "immune", "incontinence", "bilateral", "thoracic", "saddle", "perineal", "urinary",
    "retention", "malignan", "sepsis", "aneurysm", "abdominal", "lumbar", "prone", "supine",
    "flexion", "extension", "neurolog", "urine", "stool", "bowel", "bladder", "genital",
)  # fmt: skip
# The questions that end with one sentence saying when to answer yes or no (3b.7, 3b.10).
ANSWER_HINTS = {
    "ces_saddle_numbness": "Answer yes if it feels different when you wipe.",
    "ces_sexual_dysfunction": "If you have not had sex since the pain started, answer no.",
    "gait_disturbance": "Answer no if you only walk stiffly because it hurts.",
    "cancer_history": "Count melanoma, but leave out other skin cancers.",
    "recent_spinal_procedure": (
        "Count an injection for pain, an epidural or spinal anaesthetic, and a spinal tap "
        "(lumbar puncture)."
    ),
}


@pytest.mark.parametrize("fact", ASKED, ids=lambda f: f.name)
def test_question_is_one_yes_no_question_with_no_negative(fact: bt.Fact) -> None:
    # 3a.10 and 3b.7: no "not got any better" or "unable to", no two questions in one; a hint
    # on when to answer yes or no may follow the question, as its own short sentence.
    text = fact.question or ""
    question = _asked(text)
    assert text[len(question) :].strip() == ANSWER_HINTS.get(fact.name, "")
    assert question.count("?") == 1
    assert text.count("?") == 1
    opening = re.match(r"([^,?]+, )?(do|does|did|is|are|has|have|can)\b", question, re.I)
    assert opening, question
    negative = r"\b(not|no|never|unable|cannot|can't|don't|isn't|haven't|none)\b"
    assert re.findall(negative, question, re.I) == [], question
    # One question: no second question word after the opening ("..., and is it ...").
    second = r"(,|\band\b|\bor\b)\s+(do|does|did|is|are|has|have)\s+(you|it|the|your)\b"
    assert not re.search(second, question[opening.end() :], re.I), question


@pytest.mark.parametrize("fact", ASKED, ids=lambda f: f.name)
def test_question_uses_plain_words(fact: bt.Fact) -> None:
    plain = re.sub(r"\([^)]*\)", "", fact.question or "").lower()
    assert [word for word in JARGON if word in plain] == []


# 3a.2: long-standing, unchanged leg symptoms of stenosis are not an emergency. Each nerve
# question says the symptom is new or worse in its own words.
NEW_OR_WORSE = {
    "ces_bladder": "new or worse",
    "ces_leaking": "started",
    "ces_toilet_sensation": "changed",
    "ces_saddle_numbness": "new or worse",
    "ces_sexual_dysfunction": "new or worse",
    "bilateral_leg_symptoms": "new or worse",
    "progressive_weakness": "new or worse",
    "gait_disturbance": "newly",
}


@pytest.mark.parametrize(("key", "words"), list(NEW_OR_WORSE.items()))
def test_nerve_questions_ask_about_new_or_worse_symptoms(key: str, words: str) -> None:
    assert words in (PROTOCOL.fact(key).question or "").lower()


def test_cauda_equina_questions_ask_one_sign_each_in_everyday_words() -> None:
    # 3b.7: pee and poo; leaking, the feeling of needing to go and the saddle area each asked
    # alone; the wiping cue; the sex question for both sexes with "answer no" if no sex.
    text = {key: (PROTOCOL.fact(key).question or "").lower() for key in CES_FLAGS}
    assert "peeing" in text["ces_bladder"]
    assert "leak pee or poo" in text["ces_leaking"]
    assert "feeling" in text["ces_toilet_sensation"]
    assert "pee or poo" in text["ces_toilet_sensation"]
    saddle = text["ces_saddle_numbness"]
    for words in ("numbness", "tingling", "between your legs", "bottom", "wipe"):
        assert words in saddle, words
    sexual = text["ces_sexual_dysfunction"]
    for words in ("erection", "ejaculat", "feeling during sex", "answer no"):
        assert words in sexual, words
    assert "genital" not in sexual
    assert plan_for("ces_saddle_numbness").urgency is U.EMERGENCY
    assert plan_for("ces_sexual_dysfunction").urgency is U.SAME_DAY


@pytest.mark.parametrize("key", ["unrelenting_pain", "thoracic_pain"])
def test_unrelenting_and_upper_back_pain_mean_a_doctor_today(key: str) -> None:
    # 3a.4 and 3b.10: the patient pages ask for an urgent appointment [S43].
    plan = plan_for(key, findings={CAPABILITY})
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()
    assert "today" in plan.advice.lower()


def test_night_pain_is_split_into_pain_nothing_eases_and_pain_that_wakes_you() -> None:
    # 3b.10: "there all the time and nothing eases it" and "wakes you and does not settle".
    unrelenting = (PROTOCOL.fact("unrelenting_pain").question or "").lower()
    for words in ("all the time", "rest", "lie down", "change position"):
        assert words in unrelenting, words
    waking = (PROTOCOL.fact("night_waking_pain").question or "").lower()
    for words in ("wake", "night", "move"):
        assert words in waking, words


def test_infection_questions_ask_one_plain_risk_each() -> None:
    # 3a.5 and 3b.6
    assert "inject" in (PROTOCOL.fact("injects_drugs").question or "")
    immuno = (PROTOCOL.fact("immunosuppressed").question or "").lower()
    for cause in ("hiv", "cancer drugs", "medicines", "germs"):
        assert cause in immuno
    for gone in ("diabetes", "steroid"):  # 3b.6: steroids are asked once, on their own
        assert gone not in immuno
    recent = (PROTOCOL.fact("recent_infection").question or "").lower()
    for cause in ("6 weeks", "operation", "serious infection"):
        assert cause in recent
    assert "wound" not in recent
    procedure = (PROTOCOL.fact("recent_spinal_procedure").question or "").lower()
    for cause in ("3 months", "needle", "injection", "epidural", "spinal tap", "lumbar puncture"):
        assert cause in procedure


SOON_FLAGS = ("immunosuppressed", "recent_infection", "recent_spinal_procedure")


@pytest.mark.parametrize("key", [*SOON_FLAGS, "injects_drugs", "sepsis_signs"])
def test_infection_red_flag_alone_refers_and_gives_no_exercise(key: str) -> None:
    # 3a.5, 3b.6: each infection risk alone is soon (exercises withheld by the rule), injecting
    # drugs same day; 3a.6: sepsis is an emergency.
    plan = plan_for(key, findings={CAPABILITY})
    assert plan.urgency is SINGLE_FLAG_URGENCY[key]
    assert plan.exercises == ()
    assert {w.exercise.id for w in plan.withheld} == ALL
    assert plan.safety_net == (None if plan.urgency is U.EMERGENCY else PROTOCOL.safety_net)


@pytest.mark.parametrize("key", [*INFECTION_RISKS, "sepsis_signs"])
def test_infection_risk_with_fever_is_an_emergency(key: str) -> None:
    # 3a.5: most spinal abscesses present without fever but with a risk factor [S44, S45]:
    # a risk factor with a fever is an emergency. Sepsis is one alone.
    plan = plan_for(key, "fever")
    assert plan.urgency is U.EMERGENCY
    assert "emergency" in plan.advice.lower()


def test_fever_alone_stays_same_day() -> None:
    assert plan_for("fever").urgency is U.SAME_DAY


def test_sudden_onset_asks_only_about_how_the_pain_started() -> None:
    # 3b.5: the combinations are in the rules, not hidden in the question.
    question = (PROTOCOL.fact("sudden_onset").question or "").lower()
    for words in ("suddenly", "cough", "sneeze", "bend", "lift", "trip"):
        assert words in question, words
    assert "osteoporosis" not in question
    assert "65" not in question


@pytest.mark.parametrize("partner", ["osteoporosis", "long_term_steroids", "anticoagulated"])
def test_sudden_onset_with_thin_bones_steroids_or_a_blood_thinner_is_same_day(
    partner: str,
) -> None:
    plan = plan_for("sudden_onset", partner)
    assert plan.urgency is U.SAME_DAY
    assert plan.exercises == ()


def test_steroid_question_gives_a_duration() -> None:
    question = PROTOCOL.fact("long_term_steroids").question or ""
    assert re.search(r"\d+ months", question)


def test_without_an_age_the_plan_asks_for_it_and_gives_nothing() -> None:
    plan = plan_for(findings={CAPABILITY}, age=None)
    assert plan.missing == ("age",)
    assert plan.exercises == ()
    assert plan.safety_net == PROTOCOL.safety_net  # 3b.1: waiting plans carry it too


def test_confined_to_bed_refers_soon_and_gives_only_exercises_done_in_bed() -> None:
    # 3a.8: as the bed-bound ODI band does.
    plan = plan_for(findings={"confined_to_bed", CAPABILITY})
    assert plan.urgency is U.SOON
    assert given(plan) == IN_BED
    assert plan.safety_net == PROTOCOL.safety_net
    without_capability = plan_for(findings={"confined_to_bed"})
    assert given(without_capability) == {"single_knee_hug", "knee_sways"}


@pytest.mark.parametrize("key", sorted(REQUIRED_FINDINGS - set(FOLLOW_UPS)))
def test_required_finding_left_unanswered_is_missing_and_gives_no_exercise(key: str) -> None:
    # Section 4: missing is never "no" for a finding whose harm is not felt in time.
    answers = dict.fromkeys(REQUIRED_FINDINGS - {key}, False)
    assessment = attrs.evolve(assessment_for(), findings={**answers, CAPABILITY: True})
    plan = bt.recommend(assessment)
    assert key in plan.missing
    assert plan.exercises == ()
    assert plan.safety_net == PROTOCOL.safety_net


def test_the_abdominal_aneurysm_question_counts_any_one_sign() -> None:
    # 3a.10: "or", so that pain in the tummy alone with feeling faint counts.
    question = (PROTOCOL.fact("aaa_symptoms").question or "").lower()
    assert "back or tummy" in question
    assert "faint, sweaty or clammy" in question


def test_spinal_deformity_no_longer_asks_about_a_bruise() -> None:
    assert "bruise" not in (PROTOCOL.fact("spinal_deformity").question or "").lower()


def test_not_improving_asks_about_four_weeks_without_getting_better() -> None:
    question = (PROTOCOL.fact("not_improving").question or "").lower()
    assert "4 weeks" in question
    assert "better" in question


def test_directional_preference_is_listed_as_set_by_a_clinician() -> None:
    # 3a.11: an app passes it only from a clinician's assessment [S50].
    [preference] = [q for q in bt.questions() if q.key == "preference"]
    assert preference.kind is bt.QuestionKind.DETAIL
    assert preference.required is False
    assert "clinician" in preference.text.lower()
    assert "never asked of the person" in preference.text.lower()


def test_questions_list_the_age_and_the_required_findings_as_required() -> None:
    required = {q.key for q in bt.questions() if q.required}
    assert required == {*RED_FLAGS, "odi", "age", *REQUIRED_FINDINGS}


def _combination_rules() -> list[bt.Rule]:
    return [r for r in PROTOCOL.rules if not isinstance(r.condition, FactIs)]


@pytest.mark.parametrize("rule", _combination_rules(), ids=lambda r: r.id)
def test_every_combination_can_change_a_plan(rule: bt.Rule) -> None:
    # 3a.12: a combination whose parts reach its urgency alone changes nothing: each pair the
    # rule fires on must be less urgent without the rule.
    assert isinstance(rule.condition, AllOf)
    first, partners = rule.condition.conditions
    assert isinstance(first, FactIs)
    assert isinstance(partners, AnyOf)
    [refer] = [a.urgency for a in rule.actions if isinstance(a, Refer)]
    without = attrs.evolve(PROTOCOL, rules=tuple(r for r in PROTOCOL.rules if r is not rule))
    for partner in partners.conditions:
        assert isinstance(partner, FactIs)
        pair = [first.fact, partner.fact]
        assert engine_of(PROTOCOL).evaluate(pair).urgency is refer
        assert engine_of(without).evaluate(pair).urgency < refer, pair


# -- the safety net (3a.1, 3b.1) ------------------------------------------------------------------


def test_safety_net_names_the_emergency_and_same_day_signs_in_plain_words() -> None:
    net = PROTOCOL.safety_net
    emergency = " ".join(net.emergency).lower()
    for sign in ("between your legs", "bottom", "wipe", "peeing", "pee or poo", "both legs",
                 "give way", "fever", "confused", "blotchy", "chest", "tummy", "faint"):  # fmt: skip
        assert sign in emergency, sign
    today = " ".join(net.today).lower()
    for sign in ("fever", "one leg", "drags", "erections", "during sex", "not stop", "pharmacy"):
        assert sign in today, sign
    assert "4 to 6 weeks" in net.review
    assert net.source


def test_safety_net_gives_one_sign_a_line() -> None:
    # 3b.1: one sign per line; "or" only joins ways of telling the same sign.
    assert len(PROTOCOL.safety_net.emergency) == 7
    assert len(PROTOCOL.safety_net.today) == 4
    for line in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
        assert line.strip() == line
        assert "\n" not in line


def test_safety_net_has_both_lists_and_a_review_point() -> None:
    net = PROTOCOL.safety_net
    assert len(net.emergency) >= 5
    assert len(net.today) >= 3
    assert net.review
    # One sign a line: short lines, no list of signs run together in one.
    for line in (*net.emergency, *net.today):
        assert len(line.split()) <= 25, line


SCENARIOS: dict[str, bt.Assessment] = {
    "nothing wrong": assessment_for(findings={CAPABILITY}),
    "a routine red flag": assessment_for("not_improving"),
    "a routine finding": assessment_for(findings={"leg_symptoms_spread_on_flexion"}),
    "confined to bed (soon, in-bed exercises)": assessment_for(findings={"confined_to_bed"}),
    "ODI crippled (soon, gentle exercises)": assessment_for(odi_raw=35),
    "STarT Back medium": assessment_for(start_back=START_BACK_MEDIUM),
    "a soon red flag": assessment_for("recent_spinal_procedure"),
    "an infection risk": assessment_for("immunosuppressed"),
    "a same-day red flag": assessment_for("unrelenting_pain"),
    "an emergency red flag": assessment_for("ces_bladder"),
    "sepsis": assessment_for("sepsis_signs"),
    "recent spine surgery": assessment_for(findings={"recent_spine_surgery"}),
    "an unanswered red flag": attrs.evolve(
        assessment_for(), red_flags=dict.fromkeys(RED_FLAGS[1:], False)
    ),
    "no ODI": attrs.evolve(assessment_for(), odi=None),
    "no age": assessment_for(age=None),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_plan_but_an_emergency_carries_the_safety_net(name: str) -> None:
    # 3b.1: soon, same day, routine with nothing given and plans with unanswered questions
    # included; an emergency plan already says to go now.
    plan = bt.recommend(SCENARIOS[name])
    if plan.urgency is U.EMERGENCY:
        assert plan.safety_net is None
        lines = plan.summary().splitlines()
        for sign in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
            assert f"- {sign}" not in lines
    else:
        assert plan.safety_net == PROTOCOL.safety_net
        for sign in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
            assert f"- {sign}" in plan.summary().splitlines()


def test_the_scenarios_cover_plans_with_and_without_exercises() -> None:
    with_exercises = [n for n, a in SCENARIOS.items() if bt.recommend(a).exercises]
    assert len(with_exercises) == 6
    assert len(SCENARIOS) - len(with_exercises) == 9


def test_summary_shows_the_safety_net_under_the_advice_and_above_the_exercises() -> None:
    # 3b.1: right under the advice line, before any exercise.
    plan = plan_for(findings={"prone_lying_painful", CAPABILITY})
    lines = plan.summary().splitlines()
    assert lines[0] == plan.advice
    exercises = lines.index(PROTOCOL.texts.exercises_heading)
    for sign in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
        [at] = [i for i, line in enumerate(lines) if line.endswith(sign)]
        assert 0 < at < exercises, sign


def test_care_plan_carries_the_safety_net() -> None:
    subject = {"reference": "Patient/1"}
    care_plan = str(to_care_plan(plan_for(findings={CAPABILITY}), subject=subject))
    for sign in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
        assert sign in care_plan, sign
    waiting = str(to_care_plan(plan_for("recent_spinal_procedure"), subject=subject))
    assert PROTOCOL.safety_net.emergency[0] in waiting


def test_summary_shows_the_safety_net_right_under_the_advice_before_any_exercise() -> None:
    plan = plan_for(findings={"prone_lying_painful", CAPABILITY})
    lines = plan.summary().splitlines()
    net = PROTOCOL.safety_net
    texts = PROTOCOL.texts
    assert lines[0] == plan.advice
    assert lines[1] == ""
    assert lines[2] == texts.emergency_heading
    at = 3 + len(net.emergency)
    assert lines[3:at] == [f"- {sign}" for sign in net.emergency]
    assert lines[at] == texts.today_heading
    assert lines[at + 1 : at + 1 + len(net.today)] == [f"- {sign}" for sign in net.today]
    assert lines[at + 1 + len(net.today)] == net.review
    assert lines.index(texts.exercises_heading) > at + 1 + len(net.today)


def test_care_plan_carries_the_safety_net_in_every_plan_but_an_emergency() -> None:
    subject = {"reference": "Patient/1"}
    care_plan = to_care_plan(plan_for(findings={CAPABILITY}), subject=subject)
    notes = [note["text"] for note in care_plan["note"]]  # type: ignore[union-attr,index]
    net = PROTOCOL.safety_net
    assert notes[:3] == [
        " ".join([PROTOCOL.texts.emergency_heading, *net.emergency]),
        " ".join([PROTOCOL.texts.today_heading, *net.today]),
        net.review,
    ]
    assert net.review in str(care_plan["text"])
    urgent = to_care_plan(plan_for("ces_bladder"), subject=subject)
    assert net.review not in str(urgent)


def test_plan_json_round_trips_the_safety_net() -> None:
    plan = plan_for(findings={CAPABILITY})
    data = bt.to_dict(plan)
    net = PROTOCOL.safety_net
    assert data["safety_net"] == {
        "emergency": list(net.emergency),
        "today": list(net.today),
        "review": net.review,
        "source": net.source,
    }
    assert bt.from_dict(data, bt.Plan) == plan
