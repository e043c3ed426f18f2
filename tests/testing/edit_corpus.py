"""A corpus of edits an app team makes to a copy of the default protocol: harmful and correct.

Each edit changes the parsed ``default.toml`` in place, as a team editing the file would. The
harmful ones cover every class of mistake the kit must catch; the correct ones are unusual but
safe changes that the loader, ``check()`` and the property checks must let through.
``run_kit`` says which layer, if any, catches an edit: the loader, ``check()``, the properties,
or the reviewed-version gate (``assert_not_less_safe`` against the unchanged protocol).
"""

from __future__ import annotations

import copy
import functools
import tomllib
from collections.abc import Callable
from importlib import resources
from typing import Any

import backtriage as bt
from backtriage.protocol import protocol_from_data
from backtriage.review import diff
from backtriage.testing import check_properties

Data = dict[str, Any]
Edit = Callable[[Data], object]

PROPERTY_EXAMPLES = 10
"""Random assessments per property check: the seeds built from the rules do most of the work."""


@functools.cache
def _default_text() -> str:
    return resources.files("backtriage.protocol").joinpath("default.toml").read_text("utf-8")


def default_data() -> Data:
    """Return a fresh parsed copy of the default protocol."""
    return tomllib.loads(_default_text())


def _find(data: Data, section: str, ident: str) -> dict[str, Any]:
    key = "name" if section == "facts" else "id"
    (found,) = [entry for entry in data[section] if entry[key] == ident]
    result: dict[str, Any] = found
    return result


def rule(data: Data, rule_id: str) -> dict[str, Any]:
    return _find(data, "rules", rule_id)


def fact(data: Data, name: str) -> dict[str, Any]:
    return _find(data, "facts", name)


def exercise(data: Data, exercise_id: str) -> dict[str, Any]:
    return _find(data, "exercises", exercise_id)


# -- building blocks ------------------------------------------------------------------------------


def refer(rule_id: str, *actions: dict[str, Any]) -> Edit:
    def edit(data: Data) -> None:
        rule(data, rule_id)["actions"] = list(actions)

    return edit


def any_to_all(rule_id: str) -> Edit:
    def edit(data: Data) -> None:
        partners = rule(data, rule_id)["condition"]["all"][1]
        partners["all"] = partners.pop("any")

    return edit


def drop_exclusion(rule_id: str) -> Edit:
    def edit(data: Data) -> None:
        found = rule(data, rule_id)
        found["actions"] = [a for a in found["actions"] if "exclude" not in a]

    return edit


def drop_refer(rule_id: str) -> Edit:
    def edit(data: Data) -> None:
        found = rule(data, rule_id)
        found["actions"] = [a for a in found["actions"] if "refer" not in a]

    return edit


def set_key(section: str, ident: str, key: str, value: object) -> Edit:
    def edit(data: Data) -> None:
        _find(data, section, ident)[key] = value

    return edit


def derive(name: str, **values: str) -> Edit:
    def edit(data: Data) -> None:
        fact(data, name)["derive"].update(values)

    return edit


def both(*edits: Edit) -> Edit:
    def edit(data: Data) -> None:
        for one in edits:
            one(data)

    return edit


def advice(urgency: str, like: str) -> Edit:
    def edit(data: Data) -> None:
        data["advice"][urgency] = data["advice"][like]

    return edit


def same_question(name: str, like: str) -> Edit:
    def edit(data: Data) -> None:
        fact(data, name)["question"] = fact(data, like)["question"]

    return edit


def new_exercise(exercise_id: str, **fields: object) -> Edit:
    def edit(data: Data) -> None:
        entry: dict[str, Any] = {
            "id": exercise_id,
            "title": exercise_id.replace("_", " ").capitalize(),
            "family": exercise_id,
            "movement": "flexion",
            "position": "sitting",
            "level": 1,
            "in_bed": False,
            "dosage": "5 slow repetitions, twice a day.",
            "steps": ["3 slow repetitions, once a day.", "5 slow repetitions, twice a day."],
            "instructions": "Move slowly and only as far as is comfortable.",
        }
        entry.update(fields)
        data["exercises"].append(entry)

    return edit


def add_ids(rule_id: str, action: int, key: str, *ids: str) -> Edit:
    """Add exercise ids to the selector of one action of a rule (``exclude`` or ``caution``)."""

    def edit(data: Data) -> None:
        selector = rule(data, rule_id)["actions"][action][key]
        selector["ids"] = [*selector.get("ids", []), *ids]

    return edit


def select(rule_id: str, action: int, key: str, selector: dict[str, Any]) -> Edit:
    def edit(data: Data) -> None:
        rule(data, rule_id)["actions"][action][key] = selector

    return edit


def new_fact(**entry: object) -> Edit:
    def edit(data: Data) -> None:
        data["facts"].append(dict(entry))

    return edit


def new_rule(rule_id: str, condition: object, actions: list[object], source: str = "S43") -> Edit:
    def edit(data: Data) -> None:
        data["rules"].append(
            {
                "id": rule_id,
                "condition": condition,
                "actions": actions,
                "reason": f"Reason for {rule_id.replace('_', ' ')}.",
                "source": source,
            }
        )

    return edit


def remove_rule(rule_id: str) -> Edit:
    def edit(data: Data) -> None:
        data["rules"] = [r for r in data["rules"] if r["id"] != rule_id]

    return edit


def _flexion_ids(data: Data) -> list[str]:
    return [e["id"] for e in data["exercises"] if e["movement"] == "flexion"]


def disc_caution_by_ids(data: Data) -> None:
    # The team lists today's flexion exercises instead of the movement, then adds one more.
    found = rule(data, "suspected_disc_flexion_caution")
    found["actions"][0]["caution"] = {"ids": _flexion_ids(data)}


def osteoporosis_by_ids(data: Data) -> None:
    rule(data, "osteoporosis_no_flexion")["actions"] = [{"exclude": {"ids": _flexion_ids(data)}}]


def leg_flexion_by_ids(data: Data) -> None:
    rule(data, "leg_symptoms_spread_on_flexion")["actions"][0] = {
        "exclude": {"ids": _flexion_ids(data)}
    }


def stenosis_exclusion_by_ids(data: Data) -> None:
    extension = [e["id"] for e in data["exercises"] if e["movement"] == "extension"]
    rule(data, "suspected_stenosis_no_extension")["actions"][0]["exclude"] = {"ids": extension}


# A new flexion exercise that the rules naming flexion exercises by id or family also name,
# so that only the rule of each edit leaves it out.
SEATED = "seated_forward_bend"
_SEATED_COVERED = both(
    new_exercise(SEATED),
    add_ids("flexion_aggravates_no_forward_bending", 0, "exclude", SEATED),
)


# -- the harmful edits ---------------------------------------------------------------------------

HARMFUL: dict[str, Edit] = {
    # A red flag's referral lowered.
    "cauda equina bladder sign lowered from emergency to routine": refer(
        "ces_bladder_emergency", {"refer": "routine"}
    ),
    "unsteady walking lowered from emergency to same day": refer(
        "gait_disturbance_emergency", {"refer": "same_day"}
    ),
    "cancer history lowered from same day to soon": refer(
        "cancer_history_same_day", {"refer": "soon"}, {"exclude": {"all": True}}
    ),
    "aortic aneurysm signs lowered to soon": refer(
        "aaa_symptoms_emergency", {"refer": "soon"}, {"exclude": {"all": True}}
    ),
    "fever lowered from same day to routine": refer("fever_same_day", {"refer": "routine"}),
    "constant pain lowered from same day to routine": refer(
        "unrelenting_pain_same_day", {"refer": "routine"}
    ),
    "chest pain rule deleted": remove_rule("chest_pain_emergency"),
    "saddle numbness rule pointing at a misspelt fact": set_key(
        "rules", "ces_saddle_numbness_emergency", "condition", {"fact": "ces_sadle_numbness"}
    ),
    # An emergency combination made unreachable.
    "fever with an infection risk made to need every risk": any_to_all(
        "infection_risk_with_fever_emergency"
    ),
    "weakening leg with cancer made to need every partner": any_to_all(
        "progressive_weakness_combined_emergency"
    ),
    "sudden start with a bone risk made to need every bone risk": any_to_all(
        "sudden_onset_with_bone_risk_same_day"
    ),
    # A soon red flag that no longer withholds exercise.
    "weak defences against germs, soon, no longer withholds exercise": drop_exclusion(
        "immunosuppressed_soon"
    ),
    "a needle in the back, soon, no longer withholds exercise": drop_exclusion(
        "recent_spinal_procedure_soon"
    ),
    "recent infection, soon, withholds only the harder exercises": refer(
        "recent_infection_soon", {"refer": "soon"}, {"exclude": {"min_level": 2}}
    ),
    # A new exercise outside a caution or exclusion the team meant to cover it.
    "disc caution listing ids, then a new flexion exercise": both(
        disc_caution_by_ids, _SEATED_COVERED
    ),
    "osteoporosis exclusion listing ids, then a new flexion exercise": both(
        osteoporosis_by_ids, _SEATED_COVERED
    ),
    "leg symptoms on flexion listing ids, then a new flexion exercise": both(
        leg_flexion_by_ids, _SEATED_COVERED
    ),
    "stenosis exclusion listing ids, then a new extension exercise": both(
        stenosis_exclusion_by_ids,
        new_exercise("standing_back_bend", movement="extension", position="standing", level=2),
        add_ids("prone_lying_painful_no_prone_extension", 0, "exclude"),
    ),
    "a new prone exercise the painful-prone rule does not name": new_exercise(
        "prone_press_up", movement="extension", position="prone", family="extension", level=2
    ),
    "a new flexion exercise the forward-bending rule does not name": new_exercise(SEATED),
    # A fact that alone means same day or emergency, declared as an optional finding.
    "chest pain moved to the optional findings": both(
        set_key("facts", "chest_pain", "kind", "finding"),
        set_key("facts", "chest_pain", "required", False),
    ),
    "sepsis signs no longer required": set_key("facts", "sepsis_signs", "required", False),
    # Two derived facts with the same derivation.
    "very severe ODI threshold moved onto the bed-bound band": derive(
        "odi_crippled_or_worse", at_least="bed_bound"
    ),
    "very severe ODI threshold moved onto the severe band": derive(
        "odi_crippled_or_worse", at_least="severe"
    ),
    "flexion preference copied from extension": derive("preference_flexion", equals="extension"),
    "high STarT Back risk copied from medium": derive("start_back_high", at_least="medium"),
    # A standing or kneeling exercise marked in_bed.
    "standing forward bend marked in_bed": set_key("exercises", "standing_flexion", "in_bed", True),
    "kneeling lean back marked in_bed": set_key("exercises", "kneeling_extension", "in_bed", True),
    "standing side bend marked in_bed": set_key("exercises", "standing_side_bend", "in_bed", True),
    # Advice for one urgency copied from another.
    "emergency advice copied from no urgency": advice("emergency", "none"),
    "same-day advice copied from routine": advice("same_day", "routine"),
    "soon advice copied from no urgency": advice("soon", "none"),
    # Two questions with the same text.
    "cannot-lie-prone asked with the painful-prone question": same_question(
        "cannot_lie_prone", "prone_lying_painful"
    ),
    "leaking asked with the bladder question": same_question("ces_leaking", "ces_bladder"),
    # A capability that no prerequisite names.
    "double knee hug no longer needs the single one": set_key(
        "exercises", "double_knee_hug", "prerequisites", []
    ),
    "a new capability no exercise needs": new_fact(
        name="standing_flexion_tolerated",
        kind="capability",
        polarity="capability",
        unlocked_by="standing_flexion",
        question="Can you do the standing forward bend comfortably?",
    ),
    # A rule that withholds every exercise without referring.
    "recent spine surgery withholds everything without a referral": drop_refer(
        "recent_spine_surgery_no_exercise"
    ),
    "a new finding that withholds everything without a referral": both(
        new_fact(
            name="recent_hip_surgery",
            kind="finding",
            polarity="risk",
            question="Have you had a hip operation in the last 3 months?",
        ),
        new_rule(
            "recent_hip_surgery_no_exercise",
            {"fact": "recent_hip_surgery"},
            [{"exclude": {"all": True}}],
        ),
    ),
    # A condition that lists the same entry twice.
    "two soft signs counted from one": new_rule(
        "two_soft_signs_routine",
        {
            "at_least": 2,
            "of": [
                {"fact": "not_improving"},
                {"fact": "not_improving"},
                {"fact": "inflammatory_features"},
            ],
        },
        [{"refer": "routine"}],
    ),
    "fracture partner listed twice": set_key(
        "rules",
        "sudden_onset_with_bone_risk_same_day",
        "condition",
        {
            "all": [
                {"fact": "sudden_onset"},
                {"any": [{"fact": "osteoporosis"}, {"fact": "osteoporosis"}]},
            ]
        },
    ),
    # A source tag the [sources] table does not define.
    "a rule citing an undefined tag": set_key("rules", "fever_same_day", "source", "S31, S99"),
    "a rule citing a tag written without a space": set_key(
        "rules", "sepsis_signs_emergency", "source", "S43,NICE-NG51"
    ),
    "the safety advice citing an undefined tag": lambda data: data.update(safety_source="seed2"),
    # More urgent findings made quieter.
    "confined to bed no longer referred soon": refer(
        "confined_to_bed_in_bed_only_soon", {"exclude": {"all_except_in_bed": True}}
    ),
}


# -- the correct edits ---------------------------------------------------------------------------


def _translate(data: Data) -> None:
    data["advice"] = {
        "none": "Rien d'urgent. Essayez doucement les exercices ci-dessous.",
        "routine": "Prenez un rendez-vous de routine avec votre médecin.",
        "soon": "Consultez votre médecin dans les deux semaines.",
        "same_day": "Parlez à un médecin aujourd'hui. Ne commencez pas les exercices.",
        "emergency": "Allez aux urgences maintenant. Ne faites pas d'exercice.",
    }
    rule(data, "fever_same_day")["reason"] = "La fièvre avec un mal de dos doit être vue ce jour."


def _reorder(data: Data) -> None:
    data["rules"].reverse()
    data["exercises"].reverse()


def _rename_rule(data: Data) -> None:
    rule(data, "fever_same_day")["id"] = "fever_today"


def _no_prone_exercise(data: Data) -> None:
    data["exercises"] = [e for e in data["exercises"] if e["position"] != "prone"]
    gone = {"prone_lying_painful_no_prone_extension", "cannot_lie_prone"}
    data["rules"] = [r for r in data["rules"] if r["id"] not in gone]
    # A policy about prone exercises would hold of nothing: check() asks for it to go too.
    prone = {"positions": ["prone"]}
    data["policies"] = [p for p in data["policies"] if p.get("withholds") != prone]


CORRECT: dict[str, Edit] = {
    "the only prone exercise removed, with the rules and policies about it": _no_prone_exercise,
    "texts translated": _translate,
    "rules and exercises reordered": _reorder,
    "a rule renamed": _rename_rule,
    "upper back pain raised from same day to emergency": refer(
        "thoracic_pain_same_day", {"refer": "emergency"}
    ),
    "a new source defined and cited": both(
        lambda data: data["sources"].update(S99="Local spinal pathway, 2025"),
        set_key("rules", "fever_same_day", "source", "S31, S41, S44, S99"),
    ),
    "a citation and a link as sources": set_key(
        "rules",
        "chest_pain_emergency",
        "source",
        "S43, NHS inform (2024), https://www.nhsinform.scot/illnesses-and-conditions/",
    ),
    "a new required red flag that refers to the emergency department": both(
        new_fact(
            name="new_foot_drop",
            kind="red_flag",
            polarity="risk",
            required=True,
            question="Has one of your feet suddenly started to slap or drag today?",
        ),
        new_rule("new_foot_drop_emergency", {"fact": "new_foot_drop"}, [{"refer": "emergency"}]),
    ),
    "a new exercise that every rule about its movement and position covers": both(
        new_exercise(
            "pelvic_tilt",
            family="pelvic_tilt",
            position="supine",
            in_bed=True,
            movement="flexion",
        ),
        add_ids("flexion_aggravates_no_forward_bending", 0, "exclude", "pelvic_tilt"),
    ),
    "a caution added for a finding": new_rule(
        "muscle_spasm_knee_hug_caution",
        {"fact": "muscle_spasm"},
        [{"caution": {"families": ["knee_hugs"]}, "text": "Spasm: hug the knee gently."}],
        source="seed",
    ),
    "a new optional finding that only cautions": both(
        new_fact(
            name="hip_replacement",
            kind="finding",
            polarity="risk",
            question="Have you had a hip replaced?",
        ),
        new_rule(
            "hip_replacement_caution",
            {"fact": "hip_replacement"},
            [{"caution": {"families": ["knee_hugs"]}, "text": "New hip: keep the knee low."}],
            source="seed",
        ),
    ),
    "gentlest exercises only from a severe ODI on": set_key(
        "rules", "odi_crippled_gentle_only", "condition", {"fact": "odi_severe_or_worse"}
    ),
    "STarT Back required": lambda data: data.update(require_start_back=True),
    "an age-based caution on standing exercises": both(
        new_fact(
            name="age_80_or_over",
            kind="derived",
            polarity="risk",
            derive={"source": "age", "at_least": "80"},
        ),
        new_rule(
            "age_80_standing_caution",
            {"fact": "age_80_or_over"},
            [{"caution": {"positions": ["standing"]}, "text": "Stand near a wall or a chair."}],
            source="S54",
        ),
    ),
    "the safety text reworded": lambda data: data.update(
        safety="Go slowly and stop if the pain gets worse or travels down a leg."
    ),
}


# -- running the kit -----------------------------------------------------------------------------


def edited(edit: Edit) -> Data:
    """Return a fresh copy of the default protocol with ``edit`` applied."""
    data = copy.deepcopy(default_data())
    edit(data)
    return data


def run_kit(data: Data, *, gate: bool = True) -> str | None:
    """Return the first layer that flags ``data`` (``loader``, ``check``, ``properties``,
    ``gate``), or ``None`` when none does."""
    try:
        protocol = protocol_from_data(data, source="edited.toml")
    except bt.ProtocolError:
        return "loader"
    if protocol.check():
        return "check"
    if check_properties(protocol, max_examples=PROPERTY_EXAMPLES):
        return "properties"
    if gate and diff(bt.default_protocol(), protocol).is_less_safe:
        return "gate"
    return None
