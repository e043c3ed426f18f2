"""Worked examples of the exact queries, on the default protocol and on a protocol built to hold
every case the search must get right: a wide ``at_least``, a fact listed twice, thresholds that
imply each other, a lowest threshold that always holds, two facts of one preference, an age.
"""

from __future__ import annotations

import tomllib
from itertools import combinations

import attrs
import pytest

import backtriage as bt
from backtriage.protocol import (
    AtLeast,
    Exclude,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Rule,
    Selector,
    protocol_from_data,
)
from backtriage.protocol._queries import (
    closure,
    realisable,
    triggers_of_rule,
    urgency_of,
)
from backtriage.review import Trigger, example, replay, when_cautioned, when_urgency, when_withheld
from protocol import format3

from .outcomes import held

DEFAULT = bt.default_protocol()
U = bt.Urgency

EDGE_TOML = """
name = "edge"
version = "1"
require_odi = true
require_age = true

[sources]
t = "A test source"

[[exercises]]
id = "one"
title = "One"
family = "a"
movement = "flexion"
position = "supine"
level = 1
in_bed = true
dosage = "5"
steps = ["Gently: 5", "5"]
instructions = "Do one."

[[exercises]]
id = "two"
title = "Two"
family = "a"
movement = "extension"
position = "prone"
level = 2
in_bed = false
prerequisites = ["one_ok"]
dosage = "5"
steps = ["Gently: 5", "5"]
instructions = "Do two."

[[exercises]]
id = "three"
title = "Three"
family = "b"
movement = "rotation"
position = "standing"
level = 1
in_bed = false
dosage = "5"
steps = ["Gently: 5", "5"]
instructions = "Do three."

[[facts]]
name = "flag_a"
kind = "red_flag"
polarity = "risk"
required = true
question = "A?"

[[facts]]
name = "flag_b"
kind = "red_flag"
polarity = "risk"
required = true
question = "B?"

[[facts]]
name = "flag_c"
kind = "red_flag"
polarity = "risk"
required = true
question = "C?"

[[facts]]
name = "finding_x"
kind = "finding"
polarity = "risk"

[[facts]]
name = "finding_y"
kind = "finding"
polarity = "risk"

[[facts]]
name = "one_ok"
kind = "capability"
polarity = "capability"
unlocked_by = "one"

[[facts]]
name = "odi_any"
kind = "derived"
polarity = "risk"
derive = { source = "odi_band", at_least = "minimal" }

[[facts]]
name = "odi_severe"
kind = "derived"
polarity = "risk"
derive = { source = "odi_band", at_least = "severe" }

[[facts]]
name = "odi_crippled"
kind = "derived"
polarity = "risk"
derive = { source = "odi_band", at_least = "crippled" }

[[facts]]
name = "ext_1"
kind = "derived"
polarity = "risk"
derive = { source = "preference", equals = "extension" }

[[facts]]
name = "ext_2"
kind = "derived"
polarity = "risk"
derive = { source = "preference", equals = "extension" }

[[facts]]
name = "flex"
kind = "derived"
polarity = "risk"
derive = { source = "preference", equals = "flexion" }

[[facts]]
name = "age_65"
kind = "derived"
polarity = "risk"
derive = { source = "age", at_least = "65" }

[[facts]]
name = "age_80"
kind = "derived"
polarity = "risk"
derive = { source = "age", at_least = "80" }

[[rules]]
id = "a_routine"
condition = { fact = "flag_a" }
actions = [{ refer = "routine" }]
reason = "A."
source = "t"

[[rules]]
id = "b_routine"
condition = { fact = "flag_b" }
actions = [{ refer = "routine" }]
reason = "B."
source = "t"

[[rules]]
id = "c_routine"
condition = { fact = "flag_c" }
actions = [{ refer = "routine" }]
reason = "C."
source = "t"

[[rules]]
id = "two_flags_same_day"
condition = { at_least = 2, of = [{ fact = "flag_a" }, { fact = "flag_b" }, { fact = "flag_c" }] }
actions = [{ refer = "same_day" }]
reason = "Two."
source = "t"

[[rules]]
id = "x_twice"
condition = { at_least = 2, of = [{ fact = "finding_x" }, { fact = "finding_x" }] }
actions = [{ exclude = { family = "a" } }]
reason = "X."
source = "t"

[[rules]]
id = "not_extension_preferred"
condition = { any = [{ fact = "ext_2" }, { fact = "flex" }] }
actions = [{ exclude = { ids = ["two"] } }]
reason = "P."
source = "t"

[[rules]]
id = "old_age"
condition = { any = [{ fact = "age_80" }, { all = [{ fact = "age_65" }, { fact = "finding_y" }] }] }
actions = [{ exclude = { ids = ["three"] } }]
reason = "Age."
source = "t"

[[rules]]
id = "crippled"
condition = { fact = "odi_crippled" }
actions = [{ refer = "soon" }, { exclude = { min_level = 2 } }]
reason = "ODI."
source = "t"

[[rules]]
id = "everyone_caution"
condition = { fact = "odi_any" }
actions = [{ caution = { ids = ["one"] }, text = "Gently." }]
reason = "All."
source = "t"

[[rules]]
id = "able_caution"
condition = { fact = "one_ok" }
actions = [{ caution = { ids = ["two"] }, text = "Step up." }]
reason = "Able."
source = "t"
""".replace('family = "a" }', 'families = ["a"] }')

EDGE = protocol_from_data(tomllib.loads(format3(EDGE_TOML)), source="edge.toml")


def presents(triggers: tuple[Trigger, ...]) -> list[set[str]]:
    return [set(t.present) for t in triggers]


# The edges it is made of on purpose: two facts of one preference, a fact counted twice.
DELIBERATE = ["duplicate-derivation", "duplicate-condition"]


def test_the_edge_protocol_is_consistent_but_for_its_deliberate_edges() -> None:
    assert [p.code for p in EDGE.check()] == DELIBERATE


# -- the default protocol -----------------------------------------------------------------------


def test_prone_extension_is_withheld_when_lying_prone_is_painful_by_its_rule() -> None:
    assert Trigger(
        {"prone_lying_painful"}, (), ("prone_lying_painful_no_prone_extension",)
    ) in when_withheld(DEFAULT, "prone_extension")


def test_a_crippled_odi_withholds_level_two_and_the_trigger_lists_the_implied_band() -> None:
    triggers = presents(when_withheld(DEFAULT, "prone_extension"))
    assert {"odi_crippled_or_worse", "odi_severe_or_worse"} in triggers
    assert {"odi_crippled_or_worse"} not in triggers
    assert {"odi_severe_or_worse"} not in triggers  # severe alone only refers routinely


def test_the_double_knee_hug_waits_for_the_single_one_by_the_engine_invariant() -> None:
    first = when_withheld(DEFAULT, "double_knee_hug")[0]
    assert first == Trigger((), {"single_knee_hug_tolerated"}, ("engine.prerequisite",))


def test_a_same_day_red_flag_withholds_every_exercise_by_the_engine_invariant() -> None:
    for exercise in DEFAULT.exercises:
        assert Trigger({"fever"}, (), ("fever_same_day", "engine.urgency")) in when_withheld(
            DEFAULT, exercise.id
        )


def test_a_soon_red_flag_withholds_by_its_own_exclusion_not_the_invariant() -> None:
    assert urgency_of(DEFAULT, {"recent_spinal_procedure"}) is U.SOON
    trigger = Trigger({"recent_spinal_procedure"}, (), ("recent_spinal_procedure_soon",))
    assert trigger in when_withheld(DEFAULT, "knee_sways")


def test_emergency_needs_two_signs_where_each_alone_is_same_day() -> None:
    triggers = presents(when_urgency(DEFAULT, U.EMERGENCY))
    assert {"ces_sexual_dysfunction", "progressive_weakness"} in triggers
    assert {"cancer_history", "progressive_weakness"} in triggers
    assert {"ces_sexual_dysfunction"} not in triggers
    assert {"ces_sexual_dysfunction", "ces_bladder"} not in triggers  # not minimal


def test_every_assessment_reaches_urgency_none() -> None:
    assert when_urgency(DEFAULT, U.NONE) == (Trigger(()),)
    assert when_urgency(DEFAULT, "none") == (Trigger(()),)


def test_the_standing_bend_is_cautioned_for_a_disc_or_spasm() -> None:
    assert when_cautioned(DEFAULT, "standing_flexion") == (
        Trigger({"suspected_disc"}, (), ("suspected_disc_flexion_caution",)),
        Trigger({"muscle_spasm"}, (), ("muscle_spasm_forward_bend_caution",)),
    )
    assert when_cautioned(DEFAULT, "knee_sways") == ()


def test_triggers_come_smallest_first() -> None:
    for exercise in DEFAULT.exercises:
        sizes = [len(t.present) + len(t.absent) for t in when_withheld(DEFAULT, exercise.id)]
        assert sizes == sorted(sizes)


def test_answers_are_kept_with_the_protocol_and_equal_protocols_give_equal_answers() -> None:
    assert when_withheld(DEFAULT, "knee_sways") is when_withheld(DEFAULT, "knee_sways")
    copy = attrs.evolve(DEFAULT)
    assert copy is not DEFAULT
    assert when_withheld(copy, "knee_sways") == when_withheld(DEFAULT, "knee_sways")


# -- the edge protocol --------------------------------------------------------------------------


def test_at_least_two_of_three_gives_each_pair_with_the_facts_that_always_hold() -> None:
    pairs = [{a, b, "odi_any"} for a, b in combinations(("flag_a", "flag_b", "flag_c"), 2)]
    assert presents(when_urgency(EDGE, U.SAME_DAY)) == pairs


def test_a_lowest_threshold_of_a_required_input_is_in_every_trigger() -> None:
    assert when_urgency(EDGE, U.NONE) == (Trigger({"odi_any"}),)
    assert all("odi_any" in t.present for t in when_withheld(EDGE, "three"))
    assert when_cautioned(EDGE, "one") == (Trigger({"odi_any"}, (), ("everyone_caution",)),)


def test_a_fact_listed_twice_in_at_least_counts_twice() -> None:
    assert {"finding_x", "odi_any"} in presents(when_withheld(EDGE, "one"))


def test_facts_of_one_preference_are_listed_together() -> None:
    triggers = presents(when_withheld(EDGE, "two"))
    assert {"ext_1", "ext_2", "odi_any"} in triggers
    assert {"flex", "odi_any"} in triggers


def test_age_thresholds_imply_the_lower_ones() -> None:
    assert presents(when_withheld(EDGE, "three"))[-2:] == [
        {"age_65", "finding_y", "odi_any"},
        {"age_65", "age_80", "odi_any"},
    ]


def test_a_caution_on_a_capability_needs_no_further_fact_as_capabilities_are_given() -> None:
    assert when_cautioned(EDGE, "two") == (Trigger({"odi_any"}, (), ("able_caution",)),)


def test_closure_and_urgency_of_a_set_of_facts() -> None:
    assert closure(EDGE, {"odi_crippled"}) == {"odi_crippled", "odi_severe", "odi_any"}
    assert closure(EDGE, {"ext_2"}) == {"ext_1", "ext_2", "odi_any"}
    assert urgency_of(EDGE, {"flag_a"}) is U.ROUTINE
    assert urgency_of(EDGE, {"flag_a", "flag_c"}) is U.SAME_DAY
    assert urgency_of(EDGE, {"odi_crippled"}) is U.SOON


def test_the_minimal_sets_of_one_rule() -> None:
    assert presents(triggers_of_rule(EDGE, "old_age")) == [
        {"age_65", "finding_y", "odi_any"},
        {"age_65", "age_80", "odi_any"},
    ]
    with pytest.raises(bt.InvalidAnswerError, match="rule_id"):
        triggers_of_rule(EDGE, "no_such_rule")


def test_example_gives_the_least_answers_that_produce_exactly_the_facts() -> None:
    assessment = example(EDGE, {"odi_any", "odi_severe", "age_65", "ext_1", "ext_2", "flag_b"})
    assert assessment.odi_score is not None
    assert assessment.odi_score.band is bt.DisabilityBand.SEVERE
    assert assessment.age == 65
    assert assessment.preference is bt.Preference.EXTENSION
    assert dict(assessment.red_flags) == {"flag_a": False, "flag_b": True, "flag_c": False}
    # recommend refuses the edge protocol for its deliberate edges; the plan comes the same way.
    plan = replay(assessment, EDGE)
    assert set(plan.facts) == {"odi_any", "odi_severe", "age_65", "ext_1", "ext_2", "flag_b"}
    plain = example(EDGE, {"odi_any"})
    assert (plain.age, plain.odi_score and plain.odi_score.band) == (0, bt.DisabilityBand.MINIMAL)


def test_example_leaves_an_optional_input_out_unless_a_fact_needs_it() -> None:
    assessment = example(DEFAULT, ())
    # The default protocol requires the age (given at its least within the scope) and leaves
    # the rest optional.
    youngest = DEFAULT.scope.min_age
    assert (assessment.start_back, assessment.age, assessment.preference) == (None, youngest, None)
    no_age = attrs.evolve(
        DEFAULT, require_age=False, scope=attrs.evolve(DEFAULT.scope, min_age=None, under_age=())
    )
    assert example(no_age, ()).age is None
    assert example(no_age, {"age_50_or_over", "age_65_or_over"}).age == 65
    high = example(DEFAULT, {"start_back_medium_or_worse", "start_back_high"})
    assert high.start_back is not None
    assert high.start_back.risk is bt.StartBackRisk.HIGH
    assert held(example(DEFAULT, (), {"single_knee_hug_tolerated"})) == set()


@pytest.mark.parametrize(
    ("present", "absent", "why"),
    [
        ({"flag_a"}, (), "'odi_any' holds whenever"),
        ({"odi_any", "odi_crippled"}, (), "'odi_severe' holds whenever"),
        ({"odi_any", "ext_1"}, (), "'ext_2' holds whenever"),
        ({"odi_any", "ext_1", "ext_2", "flex"}, (), "one directional preference"),
        ({"odi_any", "one_ok"}, {"one_ok"}, "both present and absent"),
        ({"odi_any"}, {"age_65"}, "cannot be left absent"),
    ],
)
def test_example_refuses_a_set_no_assessment_can_produce(
    present: set[str], absent: set[str], why: str
) -> None:
    assert not realisable(EDGE, present, absent)
    with pytest.raises(bt.InvalidAnswerError, match=why) as raised:
        example(EDGE, present, absent)
    assert raised.value.field == "present"


def test_unknown_names_and_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(bt.InvalidAnswerError, match="present: 'nope'"):
        example(EDGE, {"nope"})
    with pytest.raises(bt.InvalidAnswerError, match="absent: 'nope'"):
        realisable(EDGE, (), {"nope"})
    with pytest.raises(bt.InvalidAnswerError, match="exercise_id: 'swim'"):
        when_withheld(EDGE, "swim")
    with pytest.raises(bt.InvalidAnswerError, match="level"):
        when_urgency(EDGE, "urgent")  # type: ignore[arg-type]
    with pytest.raises(bt.InvalidAnswerError, match="limit"):
        when_cautioned(EDGE, "one", limit=0)
    with pytest.raises(bt.InvalidAnswerError, match="protocol"):
        when_withheld("edge", "one")  # type: ignore[arg-type]


def test_a_wide_at_least_stops_at_the_limit_with_how_to_raise_it() -> None:
    findings = tuple(
        Fact(f"f{i}", FactKind.FINDING, Polarity.RISK, question=f"F{i}?") for i in range(16)
    )
    wide = Rule(
        "four_of_sixteen",
        AtLeast(4, tuple(FactIs(f.name) for f in findings)),
        (Exclude(Selector(ids=("three",))),),
        "Many.",
        "t",
    )
    protocol = attrs.evolve(EDGE, facts=(*EDGE.facts, *findings), rules=(*EDGE.rules, wide))
    assert [p.code for p in protocol.check()] == DELIBERATE
    with pytest.raises(bt.ProtocolError, match=r"rule 'four_of_sixteen'.*limit=") as raised:
        when_withheld(protocol, "three", limit=1000)
    assert "limit" in raised.value.problem
    triggers = when_withheld(protocol, "three")  # 1820 sets of four, within the default limit
    assert sum(1 for t in triggers if "four_of_sixteen" in t.rules) == 1820
