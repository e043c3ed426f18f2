"""Properties of ``recommend()`` on the default protocol, over random people.

A person is drawn as raw answers (red flags yes, no or unanswered; findings; a preference; ODI and
STarT Back answers), complete or not. The properties are the promises of the library: more risk
never gives more exercises or a lower urgency, a capability never takes one away, urgent and
incomplete plans hold no exercise, every exercise is accounted for with its reasons, and the
same answers give the same plan whatever their order.
"""

from __future__ import annotations

import itertools
from random import Random
from typing import NamedTuple

from hypothesis import assume, given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import Urgency

PROTOCOL = bt.default_protocol()
RULES = {rule.id: rule for rule in PROTOCOL.rules}
EXERCISE_IDS = frozenset(e.id for e in PROTOCOL.exercises)
SECTIONS = [section.value for section in bt.OdiSection]
START_BACK_ITEMS = [item.value for item in bt.StartBackItem]
U = Urgency

# docs/clinical-basis.md section 3 (protocol 3.0.0): the urgency of each red flag alone.
FLAG_URGENCY: dict[str, Urgency] = {
    "ces_bladder": U.EMERGENCY, "ces_leaking": U.EMERGENCY,
    "ces_toilet_sensation": U.EMERGENCY, "ces_saddle_numbness": U.EMERGENCY,
    "ces_sexual_dysfunction": U.SAME_DAY, "bilateral_leg_symptoms": U.EMERGENCY,
    "progressive_weakness": U.SAME_DAY, "gait_disturbance": U.EMERGENCY,
    "major_trauma": U.EMERGENCY, "moderate_trauma": U.SAME_DAY,
    "long_term_steroids": U.ROUTINE, "spinal_deformity": U.SAME_DAY,
    "cancer_history": U.SAME_DAY, "unexplained_weight_loss": U.SAME_DAY,
    "unrelenting_pain": U.SAME_DAY, "night_waking_pain": U.ROUTINE,
    "thoracic_pain": U.SAME_DAY, "fever": U.SAME_DAY, "injects_drugs": U.SAME_DAY,
    "immunosuppressed": U.SOON, "recent_infection": U.SOON,
    "recent_spinal_procedure": U.SOON, "sepsis_signs": U.EMERGENCY, "known_aaa": U.EMERGENCY,
    "aaa_symptoms": U.EMERGENCY, "chest_pain": U.EMERGENCY, "not_improving": U.ROUTINE,
    "inflammatory_features": U.ROUTINE,
}  # fmt: skip
RED_FLAGS = tuple(FLAG_URGENCY)
RISK_FINDINGS = (
    "prone_lying_painful", "extension_aggravates", "flexion_aggravates", "suspected_disc",
    "muscle_spasm", "leg_symptoms_spread_on_extension", "leg_symptoms_spread_on_flexion",
    "leg_pain_below_knee", "osteoporosis", "sudden_onset", "anticoagulated", "pregnant",
    "recently_gave_birth", "suspected_stenosis", "recent_spine_surgery", "cannot_lie_prone",
    "cannot_lie_supine", "cannot_kneel", "poor_balance", "confined_to_bed",
)  # fmt: skip
# The follow-up question asked only after recent spine surgery (a yes is refused otherwise).
FOLLOW_UP, ITS_CONDITION = "post_surgery_warning", "recent_spine_surgery"
# Asked of everyone: answered here (yes if drawn, else no), so never missing.
REQUIRED_FINDINGS = (
    "osteoporosis", "sudden_onset", "anticoagulated", "pregnant", "recently_gave_birth",
    "recent_spine_surgery", "poor_balance", "confined_to_bed", FOLLOW_UP,
)  # fmt: skip
TOLERATED = "single_knee_hug_tolerated"
PREFERENCES = (None, "extension", "flexion", "lateral")


class Person(NamedTuple):
    """Raw answers; a red flag absent from ``red_flags`` is unanswered."""

    red_flags: dict[str, bool | None]
    findings: frozenset[str]
    preference: str | None
    odi: tuple[int | None, ...] | None
    start_back: dict[str, bool] | None
    age: int | None

    def assessment(self) -> bt.Assessment:
        return bt.Assessment(
            odi=None if self.odi is None else list(self.odi),
            red_flags=self.red_flags,
            findings=dict.fromkeys(REQUIRED_FINDINGS, False) | dict.fromkeys(self.findings, True),
            preference=self.preference,
            start_back=self.start_back,
            age=self.age,
        )

    def plan(self) -> bt.Plan:
        return bt.recommend(self.assessment())

    def unanswered(self) -> set[str]:
        return {k for k in RED_FLAGS if self.red_flags.get(k) is None}


ANSWER = st.integers(0, 5)


@st.composite
def people(draw: st.DrawFn, *, complete: bool | None = None) -> Person:
    """Draw a person; ``complete`` people answered every red flag, a scorable ODI and the
    age."""
    if complete is None:
        complete = draw(st.booleans())
    # Most people have no red flag; without this bias most draws would be emergencies and
    # the exercise rules would rarely be exercised.
    yes = draw(st.just(set[str]()) | st.sets(st.sampled_from(RED_FLAGS), max_size=3))
    unanswered = set() if complete else draw(st.sets(st.sampled_from(RED_FLAGS), max_size=4))
    red_flags: dict[str, bool | None] = {}
    for key in RED_FLAGS:
        if key in unanswered - yes:
            if draw(st.booleans()):  # None and an absent key both mean "not answered"
                red_flags[key] = None
        else:
            red_flags[key] = key in yes
    findings = draw(st.frozensets(st.sampled_from(RISK_FINDINGS), max_size=3))
    if ITS_CONDITION in findings and draw(st.booleans()):
        findings |= {FOLLOW_UP}
    if draw(st.booleans()):  # drawn apart, or it would come once in sixteen draws
        findings |= {TOLERATED}
    if complete:
        odi: tuple[int | None, ...] | None = tuple(draw(st.lists(ANSWER, min_size=10, max_size=10)))
    else:
        odi = draw(st.none() | st.lists(st.none() | ANSWER, min_size=10, max_size=10).map(tuple))
    start_back = draw(
        st.none() | st.fixed_dictionaries({item: st.booleans() for item in START_BACK_ITEMS})
    )
    return Person(
        red_flags=red_flags,
        findings=findings,
        preference=draw(st.sampled_from(PREFERENCES)),
        odi=odi,
        start_back=start_back,
        age=draw(st.integers(16, 100) if complete else st.none() | st.integers(16, 100)),
    )


def exercise_ids(plan: bt.Plan) -> set[str]:
    return {p.exercise.id for p in plan.exercises}


# -- every exercise accounted for, every reason explained ---------------------------------------


@given(people())
def test_every_exercise_is_either_prescribed_or_withheld_exactly_once(person: Person) -> None:
    plan = person.plan()
    given_ids = [p.exercise.id for p in plan.exercises]
    withheld_ids = [w.exercise.id for w in plan.withheld]
    assert sorted(given_ids + withheld_ids) == sorted(EXERCISE_IDS)


@given(people())
def test_every_withheld_exercise_has_a_reason_naming_a_rule_and_a_source(person: Person) -> None:
    for withheld in person.plan().withheld:
        assert withheld.reasons, withheld.exercise.id
        for reason in withheld.reasons:
            assert reason.rule.strip()
            assert reason.source.strip()
            assert reason.text.strip()
            rule = RULES.get(reason.rule)
            if rule is not None:
                assert (reason.text, reason.source) == (rule.reason, rule.source)


@given(people())
def test_every_caution_names_a_rule_and_a_source(person: Person) -> None:
    for prescription in person.plan().exercises:
        for caution in prescription.cautions:
            assert caution.rule.strip()
            assert caution.source.strip()
            assert caution.text.strip()
            rule = RULES.get(caution.rule)
            if rule is not None:
                assert caution.source == rule.source


@given(people())
def test_every_prescription_carries_the_safety_advice(person: Person) -> None:
    for prescription in person.plan().exercises:
        assert PROTOCOL.safety in [c.text for c in prescription.cautions]


@given(people())
def test_the_safety_net_comes_with_every_plan_but_an_emergency(person: Person) -> None:
    # Section 3b, change 1: waiting, referred and exercising people alike; an emergency plan
    # already says to go now.
    plan = person.plan()
    emergency = plan.urgency is U.EMERGENCY
    assert plan.safety_net == (None if emergency else PROTOCOL.safety_net)
    summary = plan.summary()
    for sign in (*PROTOCOL.safety_net.emergency, *PROTOCOL.safety_net.today):
        assert (sign in summary) is not emergency
    lines = summary.splitlines()
    assert (PROTOCOL.safety_net.review in lines) is not emergency
    if not emergency:
        # Right under the advice, before anything else.
        assert lines[2] == PROTOCOL.texts.emergency_heading


@given(people())
def test_fired_rules_are_protocol_rules_and_set_the_urgency(person: Person) -> None:
    plan = person.plan()
    assert all(f.rule in RULES for f in plan.fired)
    referred = [f.urgency for f in plan.fired if f.urgency is not None]
    assert plan.urgency is max(referred, default=U.NONE)


# -- urgency and the fail-safes ----------------------------------------------------------------


@given(people())
def test_urgency_is_at_least_that_of_every_red_flag_answered_yes(person: Person) -> None:
    plan = person.plan()
    for key, answer in person.red_flags.items():
        if answer:
            assert plan.urgency >= FLAG_URGENCY[key], key


@given(people())
def test_same_day_or_emergency_plans_hold_no_exercise(person: Person) -> None:
    plan = person.plan()
    if plan.urgency >= U.SAME_DAY:
        assert plan.exercises == ()


@given(people(complete=True), st.sampled_from([k for k, u in FLAG_URGENCY.items() if u >= U.SOON]))
def test_a_red_flag_meaning_soon_or_more_withholds_every_exercise(person: Person, key: str) -> None:
    # Clinical basis section 3: same_day and emergency always, and soon from a red flag too.
    plan = person._replace(red_flags=person.red_flags | {key: True}).plan()
    assert plan.urgency >= FLAG_URGENCY[key]
    assert plan.exercises == ()


@given(people())
def test_missing_names_every_unanswered_red_flag_an_unscorable_odi_and_no_age(
    person: Person,
) -> None:
    plan = person.plan()
    expected = person.unanswered()
    answered_odi = 0 if person.odi is None else sum(a is not None for a in person.odi)
    if answered_odi < 9:  # the default allows one missing section [S8, S9]
        expected.add("odi")
    if person.age is None:  # required from protocol 2.0.0 (the fracture combinations)
        expected.add("age")
    assert set(plan.missing) == expected
    assert len(plan.missing) == len(expected)
    assert (plan.odi is None) == ("odi" in expected)


@given(people())
def test_a_plan_with_anything_missing_holds_no_exercise(person: Person) -> None:
    plan = person.plan()
    if plan.missing:
        assert plan.exercises == ()


@given(people(complete=True))
def test_a_complete_assessment_misses_nothing(person: Person) -> None:
    assert person.plan().missing == ()


# -- monotonicity: more risk never helps, a capability never hurts --------------------------------


def assert_no_better(before: bt.Plan, after: bt.Plan) -> None:
    """``after`` (more risk) gives no exercise ``before`` withheld, and no lower urgency."""
    assert exercise_ids(after) <= exercise_ids(before)
    assert after.urgency >= before.urgency


@given(people(), st.data())
def test_one_more_red_flag_answered_yes_never_gives_more(
    person: Person, data: st.DataObject
) -> None:
    noes = sorted(k for k, answer in person.red_flags.items() if answer is False)
    assume(noes)
    key = data.draw(st.sampled_from(noes))
    worse = person._replace(red_flags=person.red_flags | {key: True})
    assert_no_better(person.plan(), worse.plan())


@given(people(), st.sampled_from(RISK_FINDINGS))
def test_one_more_risk_finding_never_gives_more(person: Person, finding: str) -> None:
    worse = person._replace(findings=person.findings | {finding})
    assert_no_better(person.plan(), worse.plan())


@given(people(), st.sampled_from(PREFERENCES[1:]))
def test_a_preference_where_none_was_known_never_gives_more(person: Person, value: str) -> None:
    before = person._replace(preference=None)
    after = person._replace(preference=value)
    assert_no_better(before.plan(), after.plan())
    assert after.plan().urgency is before.plan().urgency


@given(people(), st.data())
def test_a_worse_odi_section_never_gives_more(person: Person, data: st.DataObject) -> None:
    assume(person.odi is not None)
    assert person.odi is not None
    raisable = [i for i, answer in enumerate(person.odi) if answer is not None and answer < 5]
    assume(raisable)
    i = data.draw(st.sampled_from(raisable))
    answer = person.odi[i]
    assert answer is not None
    worse = person._replace(odi=(*person.odi[:i], answer + 1, *person.odi[i + 1 :]))
    assert_no_better(person.plan(), worse.plan())


@given(people(complete=True))
def test_each_point_worse_along_the_whole_odi_scale_never_gives_more(person: Person) -> None:
    # Every raw sum from 0 to 50, so that each band boundary [S10] is crossed on every draw.
    plans = [
        person._replace(odi=tuple(min(5, max(0, raw - 5 * i)) for i in range(10))).plan()
        for raw in range(51)
    ]
    for before, after in itertools.pairwise(plans):
        assert_no_better(before, after)


@given(people(), st.integers(1, 40))
def test_an_older_age_never_gives_more(person: Person, years: int) -> None:
    # From 2.0.0 an age of 65 or over makes a sudden start same day; from 3.0.0 ages of 50, 65
    # and 75 raise night waking pain or withhold exercises.
    assume(person.age is not None)
    assert person.age is not None
    worse = person._replace(age=min(person.age + years, 130))
    assert_no_better(person.plan(), worse.plan())


@given(people(), st.sampled_from(START_BACK_ITEMS))
def test_one_more_start_back_item_agreed_never_gives_more(person: Person, item: str) -> None:
    assume(person.start_back is not None)
    assert person.start_back is not None
    worse = person._replace(start_back=person.start_back | {item: True})
    assert_no_better(person.plan(), worse.plan())


@given(people())
def test_a_capability_never_takes_an_exercise_away(person: Person) -> None:
    before = person._replace(findings=person.findings - {TOLERATED})
    after = person._replace(findings=person.findings | {TOLERATED})
    assert exercise_ids(before.plan()) <= exercise_ids(after.plan())
    assert after.plan().urgency is before.plan().urgency


@given(people())
def test_the_double_knee_hug_only_comes_with_the_single_tolerated_and_given(person: Person) -> None:
    given_ids = exercise_ids(person.plan())
    if "double_knee_hug" in given_ids:
        assert TOLERATED in person.findings
        assert "single_knee_hug" in given_ids


# -- order and determinism ---------------------------------------------------------------------


@given(people())
def test_exercises_are_ordered_gentlest_first(person: Person) -> None:
    levels = [p.exercise.level for p in person.plan().exercises]
    assert levels == sorted(levels)


@given(people(), st.randoms(use_true_random=False))
def test_the_plan_is_the_same_whatever_the_order_of_the_answers(
    person: Person, random: Random
) -> None:
    flags = list(person.red_flags.items())
    random.shuffle(flags)
    findings = list(person.assessment().findings.items())
    random.shuffle(findings)
    odi = (
        None
        if person.odi is None
        else {s: a for s, a in zip(SECTIONS, person.odi, strict=True) if a is not None}
    )
    start_back = None
    if person.start_back is not None:
        items = list(person.start_back.items())
        random.shuffle(items)
        start_back = dict(items)
    reordered = bt.Assessment(
        odi=odi,
        red_flags=dict(flags),
        findings=dict(findings),
        preference=person.preference,
        start_back=start_back,
        age=person.age,
    )
    assert bt.recommend(reordered) == person.plan()
    assert person.plan() == person.plan()
