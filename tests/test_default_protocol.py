"""The shipped protocol says exactly what CLINICAL.md says.

Every expected value below is written by hand from /work/shared/CLINICAL.md (sections 3 and 4),
not read from ``default.toml``, so that this file is an independent specification of it.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

import backtriage as bt
from backtriage import Movement, Polarity, Position, Urgency

PROTOCOL = bt.default_protocol()

U = Urgency

# CLINICAL.md section 3, the "default" column: the urgency of each red flag answered yes alone.
SINGLE_FLAG_URGENCY: dict[str, Urgency] = {
    "ces_bladder": U.EMERGENCY,
    "ces_incontinence": U.EMERGENCY,
    "ces_saddle_numbness": U.EMERGENCY,
    "ces_sexual_dysfunction": U.SAME_DAY,
    "bilateral_leg_symptoms": U.EMERGENCY,
    "progressive_weakness": U.SAME_DAY,
    "gait_disturbance": U.EMERGENCY,
    "major_trauma": U.EMERGENCY,
    "fragility_fracture_risk": U.SOON,
    "long_term_steroids": U.ROUTINE,
    "spinal_deformity": U.SAME_DAY,
    "cancer_history": U.SAME_DAY,
    "unexplained_weight_loss": U.SAME_DAY,
    "night_pain": U.SOON,
    "thoracic_pain": U.SOON,
    "fever": U.SAME_DAY,
    "infection_risk": U.ROUTINE,
    "aaa_symptoms": U.EMERGENCY,
    "chest_pain": U.EMERGENCY,
    "not_improving": U.ROUTINE,
    "inflammatory_features": U.ROUTINE,
}
RED_FLAGS = tuple(SINGLE_FLAG_URGENCY)
CES_FLAGS = ("ces_bladder", "ces_incontinence", "ces_saddle_numbness", "ces_sexual_dysfunction")

# CLINICAL.md section 3, the "combinations" column: flags answered yes together -> urgency.
COMBINATIONS: list[tuple[frozenset[str], Urgency]] = [
    *(
        (frozenset({"ces_sexual_dysfunction", other}), U.EMERGENCY)
        for other in ("ces_bladder", "ces_incontinence", "ces_saddle_numbness")
    ),
    (frozenset({"ces_sexual_dysfunction", "bilateral_leg_symptoms"}), U.EMERGENCY),
    *((frozenset({"progressive_weakness", ces}), U.EMERGENCY) for ces in CES_FLAGS),
    (frozenset({"progressive_weakness", "cancer_history"}), U.EMERGENCY),
    (frozenset({"fragility_fracture_risk", "long_term_steroids"}), U.SAME_DAY),
    (frozenset({"night_pain", "cancer_history"}), U.SAME_DAY),
    (frozenset({"night_pain", "unexplained_weight_loss"}), U.SAME_DAY),
    (frozenset({"infection_risk", "fever"}), U.SAME_DAY),
]

# CLINICAL.md section 4, the exercise table.
EXERCISES: dict[str, tuple[str, Movement, Position, int, bool]] = {
    "prone_extension": ("extension", Movement.EXTENSION, Position.PRONE, 2, False),
    "kneeling_extension": ("extension", Movement.EXTENSION, Position.KNEELING, 2, False),
    "standing_flexion": ("flexion", Movement.FLEXION, Position.STANDING, 1, False),
    "single_knee_hug": ("knee_hugs", Movement.FLEXION, Position.SUPINE, 1, True),
    "double_knee_hug": ("knee_hugs", Movement.FLEXION, Position.SUPINE, 2, True),
    "standing_side_bend": ("side_bending", Movement.LATERAL_FLEXION, Position.STANDING, 1, False),
    "knee_sways": ("knee_sways", Movement.ROTATION, Position.SUPINE, 1, True),
}
ALL = frozenset(EXERCISES)
EXTENSION = frozenset({"prone_extension", "kneeling_extension"})
FLEXION = frozenset({"standing_flexion", "single_knee_hug", "double_knee_hug"})
IN_BED = frozenset({"single_knee_hug", "double_knee_hug", "knee_sways"})
LEVEL_1 = frozenset({"standing_flexion", "single_knee_hug", "standing_side_bend", "knee_sways"})
NOTHING: frozenset[str] = frozenset()

# CLINICAL.md section 4, findings: key -> (withheld, cautioned, urgency), for a person who
# already tolerates the single knee hug (so that every exercise would otherwise be given).
FINDINGS: dict[str, tuple[frozenset[str], frozenset[str], Urgency]] = {
    "prone_lying_painful": (frozenset({"prone_extension"}), NOTHING, U.NONE),
    "extension_aggravates": (EXTENSION, NOTHING, U.NONE),
    "flexion_aggravates": (FLEXION, NOTHING, U.NONE),
    "suspected_disc": (NOTHING, FLEXION, U.NONE),
    "muscle_spasm": (NOTHING, frozenset({"standing_flexion"}), U.NONE),
    "leg_symptoms_spread_on_extension": (EXTENSION, NOTHING, U.ROUTINE),
    "leg_symptoms_spread_on_flexion": (FLEXION, NOTHING, U.ROUTINE),
    "osteoporosis": (FLEXION, NOTHING, U.NONE),
    "suspected_stenosis": (NOTHING, EXTENSION, U.NONE),
    "recent_spine_surgery": (ALL, NOTHING, U.ROUTINE),
    "cannot_lie_prone": (frozenset({"prone_extension"}), NOTHING, U.NONE),
    "cannot_lie_supine": (
        frozenset({"single_knee_hug", "double_knee_hug", "knee_sways"}),
        NOTHING,
        U.NONE,
    ),
    "cannot_kneel": (frozenset({"kneeling_extension"}), NOTHING, U.NONE),
    "poor_balance": (frozenset({"standing_flexion", "standing_side_bend"}), NOTHING, U.NONE),
    "confined_to_bed": (ALL - IN_BED, NOTHING, U.NONE),
}
CAPABILITY = "single_knee_hug_tolerated"

# CLINICAL.md section 4, directional preference: preference -> (withheld, cautioned).
PREFERENCES: dict[str | None, tuple[frozenset[str], frozenset[str]]] = {
    "extension": (FLEXION, NOTHING),
    "flexion": (EXTENSION, NOTHING),
    "lateral": (NOTHING, frozenset({"standing_side_bend"})),
    None: (NOTHING, NOTHING),
}

# CLINICAL.md section 4, "from scores": ODI raw sum (of 50, so percent = 2 * raw) -> (urgency,
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

# shared/ lies beside the repository, in development and in CI alike.
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "lower-back-exercises.txt"


def odi_with_raw(raw: int) -> list[int]:
    """Return ten ODI answers (0..5) that add up to ``raw``."""
    answers = [min(5, max(0, raw - 5 * i)) for i in range(10)]
    assert sum(answers) == raw
    return answers


def plan_for(
    *yes: str,
    findings: frozenset[str] | set[str] = frozenset(),
    preference: str | None = None,
    odi_raw: int = 0,
    start_back: dict[str, object] | None = None,
) -> bt.Plan:
    """Recommend for someone with every red flag answered, ``yes`` ones True, the rest False."""
    red_flags = {key: key in yes for key in RED_FLAGS}
    assessment = bt.Assessment(
        odi=odi_with_raw(odi_raw),
        red_flags=red_flags,
        findings=findings,
        preference=preference,
        start_back=start_back,
    )
    return bt.recommend(assessment)


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


def test_default_protocol_is_named_versioned_and_requires_the_odi() -> None:
    # The seed asks for the Oswestry scale before any exercise.
    assert PROTOCOL.name.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", PROTOCOL.version)
    assert PROTOCOL.require_odi is True


# -- exercises -----------------------------------------------------------------------------------


def test_catalogue_holds_exactly_the_seven_seed_exercises() -> None:
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


# -- red flags -------------------------------------------------------------------------------------


def test_red_flags_are_exactly_those_of_the_clinical_table_in_its_order() -> None:
    declared = [f.name for f in PROTOCOL.facts if f.kind is bt.FactKind.RED_FLAG]
    assert declared == list(RED_FLAGS)


@pytest.mark.parametrize("key", RED_FLAGS)
def test_red_flag_is_a_required_risk_with_a_plain_yes_no_question(key: str) -> None:
    fact = PROTOCOL.fact(key)
    assert fact.required is True
    assert fact.polarity is Polarity.RISK
    assert fact.question is not None
    question = fact.question.strip()
    assert question.endswith("?")
    # Asked of a person, so in words, never a key; and answerable with yes or no.
    assert "_" not in question
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
    ("flags", "urgency"), COMBINATIONS, ids=["+".join(sorted(f)) for f, _ in COMBINATIONS]
)
def test_red_flag_combination_escalates_as_the_table_says(
    flags: frozenset[str], urgency: Urgency
) -> None:
    assert plan_for(*sorted(flags)).urgency is urgency


def test_sexual_dysfunction_with_non_ces_flags_stays_same_day() -> None:
    # Only another CES flag or bilateral leg symptoms make it an emergency.
    assert plan_for("ces_sexual_dysfunction", "fever", "spinal_deformity").urgency is U.SAME_DAY


def test_fracture_risk_and_steroids_alone_do_not_reach_same_day() -> None:
    assert plan_for("fragility_fracture_risk", "infection_risk").urgency is U.SOON
    assert plan_for("long_term_steroids", "night_pain").urgency is U.SOON


# -- findings, capability, preference, scores --------------------------------------------------------


def test_findings_are_exactly_those_of_the_clinical_table() -> None:
    declared = {f.name for f in PROTOCOL.facts if f.kind is bt.FactKind.FINDING}
    assert declared == set(FINDINGS)


@pytest.mark.parametrize("key", list(FINDINGS))
def test_finding_is_an_optional_risk_with_a_question(key: str) -> None:
    fact = PROTOCOL.fact(key)
    assert fact.polarity is Polarity.RISK
    assert fact.required is False
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
    assert "start_back_high" in derived
    for name in derived:
        fact = PROTOCOL.fact(name)
        assert fact.polarity is Polarity.RISK
        assert fact.derive is not None
        assert fact.question is None, "derived facts are computed, never asked"


@pytest.mark.parametrize(("raw", "urgency", "exercises"), ODI_BANDS, ids=lambda v: str(v))
def test_odi_band_sets_urgency_and_narrows_the_exercises(
    raw: int, urgency: Urgency, exercises: frozenset[str]
) -> None:
    plan = plan_for(findings={CAPABILITY}, odi_raw=raw)
    assert plan.urgency is urgency
    assert given(plan) == exercises


def test_start_back_high_risk_gives_a_routine_review() -> None:
    # [S20]: total >= 4 and psychosocial subscale (items 5-9) >= 4 is high risk.
    high = {"leg_pain": 0, "shoulder_neck_pain": 0, "walked_short_distances": 0,
            "dressed_slowly": 0, "fear_not_safe_active": 1, "worrying_thoughts": 1,
            "catastrophising": 1, "low_mood": 1, "bothersomeness": "not_at_all"}  # fmt: skip
    medium = high | {"low_mood": 0, "leg_pain": 1}
    assert plan_for(start_back=high).urgency is U.ROUTINE
    assert plan_for(start_back=medium).urgency is U.NONE


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
    if not SEED.is_file():
        pytest.skip(f"the seed page is not at {SEED}")
    seed = SEED.read_text(encoding="utf-8")
    toml = resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")
    toml = re.sub(r"(?ms)^\[sources\]$.*?(?=^\[)", "", toml)
    assert "[sources]" not in toml
    copied = _runs(_words(toml), 8) & _runs(_words(seed), 8)
    assert copied == set(), sorted(" ".join(run) for run in copied)
