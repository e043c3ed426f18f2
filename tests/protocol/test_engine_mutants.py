"""Engine behaviour that mutation testing showed no other test pinned down.

Each test kills mutants of ``backtriage.protocol._engine`` that survived the rest of the suite
(see ``benchmarks/mutation.md``): a rule with several exclusions, the source of a caution, the
exact reasons the engine itself gives, undeclared facts in conditions and the error for an
undeclared fact in the input.
"""

from __future__ import annotations

import pytest

import backtriage as bt
from backtriage import InvalidAnswerError, Urgency, load_protocol
from backtriage.protocol._engine import Reason, engine_of
from backtriage.protocol._reasoner import ENGINE_SOURCE

from . import format3

TEXT = """
name = "engine-demo"
version = "1"

[[exercises]]
id = "sway"
title = "Knee sway"
family = "sway"
movement = "rotation"
position = "supine"
level = 1
in_bed = true
dosage = "d"
instructions = "i"

[[exercises]]
id = "lean"
title = "Kneeling lean"
family = "lean"
movement = "extension"
position = "kneeling"
level = 2
in_bed = false
dosage = "d"
instructions = "i"

[[exercises]]
id = "bend"
title = "Forward bend"
family = "bend"
movement = "flexion"
position = "standing"
level = 1
in_bed = false
dosage = "d"
instructions = "i"

[[exercises]]
id = "hug"
title = "Double hug"
family = "hug"
movement = "flexion"
position = "supine"
level = 2
in_bed = true
prerequisites = ["sway_ok", "bend_ok"]
dosage = "d"
instructions = "i"

[[facts]]
name = "a"
kind = "finding"
polarity = "risk"

[[facts]]
name = "b"
kind = "finding"
polarity = "risk"

[[facts]]
name = "sway_ok"
kind = "capability"
polarity = "capability"
unlocked_by = "sway"

[[facts]]
name = "bend_ok"
kind = "capability"
polarity = "capability"

[[rules]]
id = "two_exclusions"
condition = { fact = "a" }
actions = [{ exclude = { ids = ["lean"] } }, { exclude = { ids = ["bend"] } }]
reason = "Both are left out."
source = "S1"

[[rules]]
id = "careful"
condition = { fact = "b" }
reason = "Be careful."
source = "S2"
[[rules.actions]]
caution = { ids = ["sway"] }
text = "Slowly."

[[rules]]
id = "with_ghost_any"
condition = { any = [{ fact = "b" }, { fact = "ghost" }] }
actions = [{ refer = "routine" }]
reason = "r"
source = "s"

[[rules]]
id = "with_ghost_all"
condition = { all = [{ fact = "b" }, { fact = "ghost" }, { fact = "other_ghost" }] }
actions = [{ refer = "emergency" }]
reason = "r"
source = "s"
"""

TEXT = format3(TEXT)
PROTOCOL = load_protocol(text=TEXT)
ENGINE = engine_of(PROTOCOL)


def withheld_reasons(
    facts: list[str], missing: tuple[str, ...] = ()
) -> dict[str, tuple[Reason, ...]]:
    evaluation = ENGINE.evaluate(facts, missing=missing)
    return {w.exercise.id: w.reasons for w in evaluation.withheld()}


def test_every_exclusion_of_a_rule_applies() -> None:
    evaluation = ENGINE.evaluate(["a", "sway_ok", "bend_ok"])
    given = [p.exercise.id for p in evaluation.prescriptions()]
    assert given == ["sway", "hug"]


def test_excluded_mask_keeps_the_exclusions_even_when_everything_is_blocked() -> None:
    evaluation = ENGINE.evaluate(["a"], missing=("q",))
    assert evaluation.given_mask == 0
    assert evaluation.excluded_mask == 0b0110  # lean and bend, by protocol position


def test_a_caution_carries_its_rule_text_and_source() -> None:
    evaluation = ENGINE.evaluate(["b"])
    cautions = {p.exercise.id: p.cautions for p in evaluation.prescriptions()}
    assert cautions["sway"] == (Reason("careful", "Slowly.", "S2"),)


def test_undeclared_facts_in_a_condition_never_hold() -> None:
    fired = [f.rule for f in ENGINE.evaluate(["a", "b", "sway_ok", "bend_ok"]).fired]
    assert fired == ["two_exclusions", "careful", "with_ghost_any"]
    assert ENGINE.evaluate(["b"]).urgency is Urgency.ROUTINE


def test_undeclared_facts_get_bits_of_their_own() -> None:
    bits = [
        ENGINE.fact_bit[name] for name in ("a", "b", "sway_ok", "bend_ok", "ghost", "other_ghost")
    ]
    assert bits == [1, 2, 4, 8, 16, 32]


def test_an_undeclared_input_fact_is_refused_with_field_value_and_protocol() -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        ENGINE.evaluate(["a", "ghost"])
    error = caught.value
    assert (error.field, error.value) == ("facts", "ghost")
    assert error.allowed == "a fact declared by protocol 'engine-demo'"


def test_the_missing_input_reason_is_the_protocols_text() -> None:
    reasons = withheld_reasons([], missing=("fever", "odi"))["sway"]
    assert reasons == (
        Reason("engine.missing_input", PROTOCOL.texts.withheld_unanswered, ENGINE_SOURCE),
    )


def test_the_urgency_reason_says_to_see_a_clinician_first() -> None:
    urgent = load_protocol(
        text=TEXT.replace('actions = [{ refer = "routine" }]', 'actions = [{ refer = "same_day" }]')
    )
    evaluation = engine_of(urgent).evaluate(["b"])
    reasons = {w.exercise.id: w.reasons for w in evaluation.withheld()}
    assert reasons["sway"] == (
        Reason("engine.urgency", urgent.texts.withheld_urgent, ENGINE_SOURCE),
    )


def test_the_prerequisite_reason_names_each_unmet_need() -> None:
    reasons = withheld_reasons([])["hug"]
    assert reasons == (
        Reason(
            "engine.prerequisite",
            f"{PROTOCOL.texts.not_yet} Knee sway; bend_ok.",
            ENGINE_SOURCE,
        ),
    )


def test_a_caution_carries_the_source_of_its_rule() -> None:
    # Every caution is sourced, like every exclusion (mutation: source dropped to None).
    protocol = bt.default_protocol()
    evaluation = engine_of(protocol).evaluate(["suspected_disc"])
    cautions = {
        reason
        for prescription in evaluation.prescriptions()
        for reason in prescription.cautions
        if reason.rule == "suspected_disc_flexion_caution"
    }
    assert cautions
    assert {reason.source for reason in cautions} == {"seed, S63"}


def test_an_unmet_prerequisite_says_which_exercise_comes_first() -> None:
    protocol = bt.default_protocol()
    (withheld,) = [
        w for w in engine_of(protocol).evaluate([]).withheld() if w.exercise.id == "double_knee_hug"
    ]
    assert withheld.reasons == (
        Reason(
            "engine.prerequisite",
            f"{protocol.texts.not_yet} Single knee hug.",
            ENGINE_SOURCE,
        ),
    )


def two_prerequisites() -> bt.Protocol:
    """The mini protocol with ``double_hug`` after both ``hug`` and ``arch``."""
    from . import load, mini

    data = mini()
    data["facts"].append(
        {"name": "arch_ok", "kind": "capability", "polarity": "capability", "unlocked_by": "arch"}
    )
    (double_hug,) = [e for e in data["exercises"] if e["id"] == "double_hug"]
    double_hug["prerequisites"] = ["hug_ok", "arch_ok"]
    return load(data)


@pytest.mark.parametrize("shown", [["hug_ok"], ["arch_ok"]])
def test_an_exercise_waits_for_every_one_of_its_prerequisites(shown: list[str]) -> None:
    engine = engine_of(two_prerequisites())
    evaluation = engine.evaluate(shown, missing=())
    assert "double_hug" in {w.exercise.id for w in evaluation.withheld()}
    both = engine.evaluate(["hug_ok", "arch_ok"], missing=())
    assert "double_hug" in {p.exercise.id for p in both.prescriptions()}
