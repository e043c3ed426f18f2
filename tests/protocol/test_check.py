"""The static checker: every fault is reported with its code, where it is and how to fix it."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import backtriage as bt
from backtriage.protocol import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Protocol,
    Refer,
)
from backtriage.protocol import _check as check_module
from backtriage.protocol import _format as format_module
from backtriage.protocol import _hygiene as hygiene_module
from backtriage.protocol import _policies as policies_module
from backtriage.protocol._engine import engine_of
from strategies import protocols

from . import codes, item, load, mini

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol-format.md"

Mutation = Callable[[dict[str, Any]], object]


def _set(section: str, ident: str, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        item(data, section, ident)[key] = value

    return mutate


def _delete(section: str, ident: str, key: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del item(data, section, ident)[key]

    return mutate


def _copy(section: str, ident: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[section].append(copy.deepcopy(item(data, section, ident)))

    return mutate


def _append(section: str, entry: dict[str, Any]) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data.setdefault(section, []).append(entry)

    return mutate


def _action(rule: str, index: int, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        item(data, "rules", rule)["actions"][index][key] = value

    return mutate


def _all(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def _require_odi(data: dict[str, Any]) -> None:
    data["require_odi"] = True


def _rule(rule_id: str, condition: object, actions: list[object]) -> dict[str, Any]:
    return {
        "id": rule_id,
        "condition": condition,
        "actions": actions,
        "reason": "r",
        "source": "S1",
    }


_CHILLS = {
    "name": "chills",
    "kind": "red_flag",
    "polarity": "risk",
    "required": True,
    "question": "Chills?",
}


def _derived(name: str, source: str, at_least: str) -> dict[str, Any]:
    derive = {"source": source, "at_least": at_least}
    return {"name": name, "kind": "derived", "polarity": "risk", "derive": derive}


def _preference(name: str, direction: str) -> dict[str, Any]:
    derive = {"source": "preference", "equals": direction}
    return {"name": name, "kind": "derived", "polarity": "risk", "derive": derive}


# (code, mutation of the mini protocol, where the problem must be reported)
FAULTS: dict[str, tuple[str, Mutation, str]] = {
    "an exercise with one dosage step": (
        "bad-steps",
        lambda data: data["exercises"][0].update(steps=["Only one step."]),
        "exercise 'bend'",
    ),
    "an exercise without dosage steps": (
        "bad-steps",
        lambda data: data["exercises"][1].pop("steps"),
        "exercise 'hug'",
    ),
    "an exercise with an empty list of steps": (
        "bad-steps",
        lambda data: data["exercises"][2].update(steps=[]),
        "exercise 'double_hug'",
    ),
    "an exercise with five dosage steps": (
        "bad-steps",
        lambda data: data["exercises"][3].update(steps=["1", "2", "3", "4", "5"]),
        "exercise 'arch'",
    ),
    "pain limits out of order": (
        "bad-pain-limits",
        lambda data: data.update(follow_up={"green_max": 5, "amber_max": 5}),
        "follow_up",
    ),
    "a safety net without its emergency signs": (
        "missing-safety-net",
        lambda data: data["safety_net"].pop("emergency"),
        "safety_net.emergency",
    ),
    "a safety net line of blanks": (
        "missing-safety-net",
        lambda data: data["safety_net"].update(today=[" "]),
        "safety_net.today[0]",
    ),
    "a safety net without a review point": (
        "missing-safety-net",
        lambda data: data["safety_net"].update(review=" "),
        "safety_net.review",
    ),
    "a document without a format version": (
        "old-format",
        lambda data: data.pop("format"),
        "protocol 'mini'",
    ),
    "a document of a newer format": (
        "newer-format",
        lambda data: data.update(format=4),
        "protocol 'mini'",
    ),
    "a scope without its intended use": (
        "missing-scope",
        lambda data: data["scope"].pop("intended_use"),
        "scope.intended_use",
    ),
    "a scope without its population": (
        "missing-scope",
        lambda data: data["scope"].update(population=""),
        "scope.population",
    ),
    "a minimum age the protocol does not ask for": (
        "bad-scope",
        lambda data: data["scope"].update(min_age=16, under_age=[{"below": 16, "urgency": "soon"}]),
        "scope.min_age",
    ),
    "age bands that stop short of the minimum age": (
        "bad-scope",
        _all(
            lambda data: data.update(require_age=True),
            lambda data: data["scope"].update(
                min_age=16, under_age=[{"below": 12, "urgency": "soon"}]
            ),
        ),
        "scope.under_age",
    ),
    "no disclaimer": (
        "missing-text",
        lambda data: data["texts"].pop("disclaimer"),
        "texts.disclaimer",
    ),
    "no self-management advice in a protocol that gives exercises": (
        "missing-text",
        lambda data: data["texts"].update(self_management=[]),
        "texts.self_management",
    ),
    "no plain advice for an urgency": (
        "missing-text",
        lambda data: data["texts"]["no_exercise_advice"].pop("same_day"),
        "texts.no_exercise_advice.same_day",
    ),
    "no advice for an urgency": (
        "missing-text",
        lambda data: data["advice"].pop("soon"),
        "advice.soon",
    ),
    "a rule with empty advice": (
        "missing-text",
        _set("rules", "numb_soon", "advice", " "),
        "rule 'numb_soon'",
    ),
    "a red flag made conditional": (
        "bad-condition",
        _set("facts", "fever", "asked_if", "numb"),
        "fact 'fever'",
    ),
    "a follow-up of an unknown fact": (
        "bad-condition",
        _set("facts", "sore", "asked_if", "nope"),
        "fact 'sore'",
    ),
    "a follow-up of a capability (optional)": (
        "bad-condition",
        _set("facts", "sore", "asked_if", "hug_ok"),
        "fact 'sore'",
    ),
    "a follow-up of a derived fact": (
        "bad-condition",
        _set("facts", "sore", "asked_if", "odi_severe"),
        "fact 'sore'",
    ),
    "a follow-up of a follow-up": (
        "bad-condition",
        _all(
            _set("facts", "stiff", "asked_if", "fever"),
            _set("facts", "sore", "asked_if", "stiff"),
        ),
        "fact 'sore'",
    ),
    "two exercises with one id": (
        "duplicate-exercise",
        _copy("exercises", "arch"),
        "exercise 'arch'",
    ),
    "two facts with one name": ("duplicate-fact", _copy("facts", "stiff"), "fact 'stiff'"),
    "two rules with one id": ("duplicate-rule", _copy("rules", "numb_soon"), "rule 'numb_soon'"),
    "a finding with capability polarity": (
        "kind-polarity",
        _set("facts", "stiff", "polarity", "capability"),
        "fact 'stiff'",
    ),
    "a capability with risk polarity": (
        "kind-polarity",
        _set("facts", "hug_ok", "polarity", "risk"),
        "fact 'hug_ok'",
    ),
    "a red flag without a question": (
        "missing-question",
        _delete("facts", "fever", "question"),
        "fact 'fever'",
    ),
    "a red flag with a blank question": (
        "missing-question",
        _set("facts", "fever", "question", "  "),
        "fact 'fever'",
    ),
    "a red flag not marked required": (
        "red-flag-not-required",
        _set("facts", "fever", "required", False),
        "fact 'fever'",
    ),
    "a red flag whose only rule excludes but never refers": (
        "red-flag-never-refers",
        _all(
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule("chills_no_arch", {"fact": "chills"}, [{"exclude": {"ids": ["arch"]}}]),
            ),
        ),
        "fact 'chills'",
    ),
    "a red flag that refers only together with a finding": (
        "red-flag-never-refers",
        _all(
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule(
                    "chills_and_stiff",
                    {"all": [{"fact": "chills"}, {"fact": "stiff"}]},
                    [{"refer": "emergency"}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "a red flag that refers only with two others of at least two": (
        "red-flag-never-refers",
        _all(
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule(
                    "two_of_three",
                    {
                        "at_least": 2,
                        "of": [{"fact": "chills"}, {"fact": "fever"}, {"fact": "numb"}],
                    },
                    [{"refer": "same_day"}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "an exclusion on an age the protocol does not require": (
        "optional-input-takes-away",
        _all(
            _append("facts", _derived("older", "age", "65")),
            _append(
                "rules", _rule("older_no_bend", {"fact": "older"}, [{"exclude": {"ids": ["bend"]}}])
            ),
        ),
        "rule 'older_no_bend'",
    ),
    "a soon referral on a STarT Back risk the protocol does not require": (
        "optional-input-takes-away",
        _all(
            _append("facts", _derived("sb_high", "start_back_risk", "high")),
            _append("rules", _rule("sb_soon", {"fact": "sb_high"}, [{"refer": "soon"}])),
        ),
        "rule 'sb_soon'",
    ),
    "an exclusion on an ODI band the protocol does not require": (
        "optional-input-takes-away",
        lambda data: data.update(require_odi=False),
        "rule 'sore_no_bend'",
    ),
    "a fact named like an assessment input": (
        "reserved-name",
        _set("facts", "stiff", "name", "odi"),
        "fact 'odi'",
    ),
    "a red flag whose only rule cautions, while everyone is referred anyway": (
        "red-flag-never-refers",
        _all(
            _append("facts", _derived("odi_any", "odi_band", "minimal")),
            _append(
                "rules", _rule("everyone_routine", {"fact": "odi_any"}, [{"refer": "routine"}])
            ),
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule(
                    "chills_gently",
                    {"fact": "chills"},
                    [{"caution": {"ids": ["bend"]}, "text": "Gently."}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "a red flag that refers only with a fact of a required input": (
        "red-flag-never-refers",
        _all(
            _append("facts", _derived("odi_any", "odi_band", "minimal")),
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule(
                    "chills_er",
                    {"all": [{"fact": "chills"}, {"fact": "odi_any"}]},
                    [{"refer": "emergency"}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "a red flag that adds nothing while one of two required inputs is missing": (
        "red-flag-never-refers",
        _all(
            lambda data: data.update(require_age=True),
            _append("facts", _derived("odi_any", "odi_band", "minimal")),
            _append("facts", _derived("age_any", "age", "0")),
            _append("facts", _CHILLS),
            _append("rules", _rule("odi_routine", {"fact": "odi_any"}, [{"refer": "routine"}])),
            _append("rules", _rule("chills_routine", {"fact": "chills"}, [{"refer": "routine"}])),
            _append(
                "rules",
                _rule(
                    "chills_old_er",
                    {"all": [{"fact": "chills"}, {"fact": "age_any"}]},
                    [{"refer": "emergency"}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "a red flag whose referral everyone gets anyway": (
        "red-flag-never-refers",
        _all(
            _append("facts", _derived("odi_any", "odi_band", "minimal")),
            _append(
                "facts",
                _CHILLS,
            ),
            _append(
                "rules",
                _rule(
                    "anyone_routine",
                    {"any": [{"fact": "chills"}, {"fact": "odi_any"}]},
                    [{"refer": "routine"}],
                ),
            ),
        ),
        "fact 'chills'",
    ),
    "a rule id the engine uses for its own reasons": (
        "reserved-name",
        _set("rules", "hug_ok_caution", "id", "protocol.safety"),
        "rule 'protocol.safety'",
    ),
    "a rule that withholds the gentler exercise but not the one it unlocks": (
        "unlocker-withheld-alone",
        _append("rules", _rule("no_hug", {"fact": "sore"}, [{"exclude": {"ids": ["hug"]}}])),
        "rule 'no_hug'",
    ),
    "a red flag no rule uses": (
        "unused-red-flag",
        _append(
            "facts",
            {"name": "chills", "kind": "red_flag", "polarity": "risk", "question": "Chills?"},
        ),
        "fact 'chills'",
    ),
    "a required derived fact": (
        "required-derived",
        _set("facts", "odi_severe", "required", True),
        "fact 'odi_severe'",
    ),
    "a finding that can mean soon (with another), not required": (
        "urgent-finding-not-required",
        _set("facts", "stiff", "required", False),
        "rule 'numb_soon'",
    ),
    "unlocked_by on a finding": (
        "unlocked-by-not-capability",
        _set("facts", "stiff", "unlocked_by", "bend"),
        "fact 'stiff'",
    ),
    "unlocked_by an unknown exercise": (
        "unknown-exercise",
        _set("facts", "hug_ok", "unlocked_by", "hugg"),
        "fact 'hug_ok'",
    ),
    "a selector naming an unknown exercise": (
        "unknown-exercise",
        _action("sore_no_bend", 0, "exclude", {"ids": ["bnd", "hug"]}),
        "rule 'sore_no_bend'",
    ),
    "an unknown ODI band": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "odi_band", "at_least": "awful"}),
        "fact 'odi_severe'",
    ),
    "an exact band instead of a threshold": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "odi_band", "equals": "severe"}),
        "fact 'odi_severe'",
    ),
    "an unknown STarT Back risk": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "start_back_risk", "at_least": "very"}),
        "fact 'odi_severe'",
    ),
    "a preference with a threshold": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "preference", "at_least": "flexion"}),
        "fact 'odi_severe'",
    ),
    "an age that is not a number": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "age", "at_least": "old"}),
        "fact 'odi_severe'",
    ),
    "an age in superscript digits": (
        # "²".isdigit() is True but int("²") fails: it must be a problem, not a crash.
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "age", "at_least": "²"}),
        "fact 'odi_severe'",
    ),
    "an age beyond 130": (
        "derivation",
        _set("facts", "odi_severe", "derive", {"source": "age", "at_least": "200"}),
        "fact 'odi_severe'",
    ),
    "a derived fact without derive": (
        "derivation",
        _delete("facts", "odi_severe", "derive"),
        "fact 'odi_severe'",
    ),
    "derive on a finding": (
        "derivation",
        _set("facts", "stiff", "derive", {"source": "odi_band", "at_least": "severe"}),
        "fact 'stiff'",
    ),
    "a level below 1": ("bad-level", _set("exercises", "bend", "level", 0), "exercise 'bend'"),
    "a condition on an unknown fact": (
        "unknown-fact",
        _set("rules", "fever_same_day", "condition", {"fact": "fevr"}),
        "rule 'fever_same_day'",
    ),
    "a prerequisite that is not a fact": (
        "unknown-fact",
        _set("exercises", "double_hug", "prerequisites", ["hug_okay"]),
        "exercise 'double_hug'",
    ),
    "a risk fact as a prerequisite": (
        "risk-prerequisite",
        _set("exercises", "double_hug", "prerequisites", ["stiff"]),
        "exercise 'double_hug'",
    ),
    "a family no exercise belongs to": (
        "unknown-family",
        _action("numb_soon", 1, "exclude", {"families": ["archin", "hugs"]}),
        "rule 'numb_soon'",
    ),
    "a selector matching nothing": (
        "empty-selector",
        _action("numb_soon", 1, "exclude", {"positions": ["kneeling"]}),
        "rule 'numb_soon'",
    ),
    "an empty selector": (
        "empty-selector",
        _action("numb_soon", 1, "exclude", {}),
        "rule 'numb_soon'",
    ),
    "a caution selecting nothing": (
        "empty-selector",
        _action("sore_no_bend", 1, "caution", {"levels": [3]}),
        "rule 'sore_no_bend'",
    ),
    "a rule with an empty reason": (
        "missing-reason",
        _set("rules", "numb_soon", "reason", ""),
        "rule 'numb_soon'",
    ),
    "a rule with a blank reason": (
        "missing-reason",
        _set("rules", "numb_soon", "reason", " \n"),
        "rule 'numb_soon'",
    ),
    "a rule with an empty source": (
        "missing-source",
        _set("rules", "numb_soon", "source", ""),
        "rule 'numb_soon'",
    ),
    "a rule without actions": (
        "no-actions",
        _set("rules", "numb_soon", "actions", []),
        "rule 'numb_soon'",
    ),
    "a rule needing a fact that is not declared": (
        "never-fires",
        _set(
            "rules",
            "numb_soon",
            "condition",
            {"all": [{"fact": "numb"}, {"fact": "numbness"}]},
        ),
        "rule 'numb_soon'",
    ),
    "a rule needing two preferences at once": (
        "never-fires",
        _all(
            _append("facts", _preference("prefers_flexion", "flexion")),
            _append("facts", _preference("prefers_extension", "extension")),
            _set(
                "rules",
                "numb_soon",
                "condition",
                {
                    "any": [
                        {"fact": "numb"},
                        {"all": [{"fact": "prefers_flexion"}, {"fact": "prefers_extension"}]},
                    ]
                },
            ),
            _append(
                "rules",
                _rule(
                    "both_preferences",
                    {"all": [{"fact": "prefers_flexion"}, {"fact": "prefers_extension"}]},
                    [{"refer": "routine"}],
                ),
            ),
        ),
        "rule 'both_preferences'",
    ),
    "a caution without text": (
        "missing-caution-text",
        _action("sore_no_bend", 1, "text", ""),
        "rule 'sore_no_bend'",
    ),
    "a capability in an exclude rule": (
        "capability-takes-away",
        _set(
            "rules",
            "sore_no_bend",
            "condition",
            {"at_least": 1, "of": [{"fact": "sore"}, {"fact": "hug_ok"}]},
        ),
        "rule 'sore_no_bend'",
    ),
    "a capability in a refer rule": (
        "capability-takes-away",
        _append(
            "rules",
            _rule(
                "hug_ok_refers",
                {"all": [{"fact": "hug_ok"}, {"fact": "stiff"}]},
                [{"refer": "routine"}],
            ),
        ),
        "rule 'hug_ok_refers'",
    ),
    # Every assessment that can get exercises has an ODI, so "at least minimal" always holds.
    "an exercise excluded for every ODI while the ODI is required": (
        "unreachable-exercise",
        _all(
            _require_odi,
            _append(
                "facts",
                {
                    "name": "odi_any",
                    "kind": "derived",
                    "polarity": "risk",
                    "derive": {"source": "odi_band", "at_least": "minimal"},
                },
            ),
            _append(
                "rules",
                _rule("odi_any_no_arch", {"fact": "odi_any"}, [{"exclude": {"ids": ["arch"]}}]),
            ),
        ),
        "exercise 'arch'",
    ),
    "an ODI threshold copied onto a second fact": (
        "duplicate-derivation",
        _append("facts", _derived("odi_crippled", "odi_band", "severe")),
        "fact 'odi_crippled'",
    ),
    "a preference fact copied to the other direction without changing it": (
        "duplicate-derivation",
        _all(
            _append("facts", _preference("prefers_flexion", "flexion")),
            _append("facts", _preference("prefers_extension", "flexion")),
        ),
        "fact 'prefers_extension'",
    ),
    "a standing exercise marked in_bed": (
        "in-bed-position",
        _set("exercises", "bend", "in_bed", True),
        "exercise 'bend'",
    ),
    "a kneeling exercise marked in_bed": (
        "in-bed-position",
        _all(
            _set("exercises", "arch", "position", "kneeling"),
            _set("exercises", "arch", "in_bed", True),
        ),
        "exercise 'arch'",
    ),
    "the emergency advice copied from the advice for no urgency": (
        "duplicate-advice",
        lambda data: data["advice"].update(emergency="All fine."),
        "advice 'emergency'",
    ),
    "two advice texts that differ only in spaces and case": (
        "duplicate-advice",
        lambda data: data["advice"].update(routine="go  NOW."),
        "advice 'emergency'",
    ),
    "two facts asking the same question": (
        "duplicate-question",
        _set("facts", "numb", "question", "Do you have a fever?"),
        "fact 'numb'",
    ),
    "a capability no prerequisite names": (
        "unused-capability",
        _set("exercises", "double_hug", "prerequisites", []),
        "fact 'hug_ok'",
    ),
    "a rule that withholds every exercise without referring": (
        "dead-end",
        _append("rules", _rule("sore_nothing", {"fact": "sore"}, [{"exclude": {"all": True}}])),
        "rule 'sore_nothing'",
    ),
    "a rule whose two exclusions together withhold every exercise, without referring": (
        "dead-end",
        _append(
            "rules",
            _rule(
                "stiff_nothing",
                {"fact": "stiff"},
                [{"exclude": {"all_except_in_bed": True}}, {"exclude": {"families": ["hugs"]}}],
            ),
        ),
        "rule 'stiff_nothing'",
    ),
    "an at_least that lists one fact twice": (
        "duplicate-condition",
        _set(
            "rules",
            "sore_no_bend",
            "condition",
            {"at_least": 2, "of": [{"fact": "sore"}, {"fact": "sore"}, {"fact": "odi_severe"}]},
        ),
        "rule 'sore_no_bend'",
    ),
    "an any that lists the same nested condition twice": (
        "duplicate-condition",
        _set(
            "rules",
            "numb_soon",
            "condition",
            {
                "any": [
                    {"fact": "numb"},
                    {"all": [{"fact": "stiff"}, {"fact": "sore"}]},
                    {"all": [{"fact": "stiff"}, {"fact": "sore"}]},
                ]
            },
        ),
        "rule 'numb_soon'",
    ),
    "a rule citing a tag that [sources] does not define": (
        "unknown-source",
        _set("rules", "numb_soon", "source", "S1, S2"),
        "rule 'numb_soon'",
    ),
    "a safety source that [sources] does not define": (
        "unknown-source",
        lambda data: data.update(safety_source="S9"),
        "safety_source",
    ),
    "a policy whose urgency the rules do not reach": (
        "policy-urgency",
        _append("policies", {"id": "numb_same_day", "when": ["numb"], "reaches": "same_day"}),
        "policy 'numb_same_day'",
    ),
    "a policy that an exercise the rules give breaks": (
        "policy-withholds",
        _append(
            "policies",
            {"id": "sore_no_flexion", "when": ["sore"], "withholds": {"movements": ["flexion"]}},
        ),
        "policy 'sore_no_flexion'",
    ),
    "a caution policy on an exercise given without a caution": (
        "policy-caution",
        _append(
            "policies",
            {"id": "stiff_careful", "when": ["stiff"], "cautions_or_withholds": {"ids": ["bend"]}},
        ),
        "policy 'stiff_careful'",
    ),
    "a policy that a fact left optional is required": (
        "policy-required",
        _all(
            _set("facts", "fever", "required", False),
            _append("policies", {"id": "fever_asked", "when": ["fever"], "required": True}),
        ),
        "policy 'fever_asked'",
    ),
    "a red flag that refers soon but leaves exercises given": (
        "policy-red-flags-stop-exercise",
        _append("policies", {"id": "flags_stop", "red_flags_withhold_all_from": "soon"}),
        "policy 'flags_stop'",
    ),
    "a policy whose selector names an exercise that does not exist": (
        "policy-unknown-selector",
        _append("policies", {"id": "p", "when": ["stiff"], "withholds": {"ids": ["arhc"]}}),
        "policy 'p'",
    ),
    "a policy whose selector names a family no exercise belongs to": (
        "policy-unknown-selector",
        _append(
            "policies",
            {"id": "p", "when": ["stiff"], "cautions_or_withholds": {"families": ["arcing"]}},
        ),
        "policy 'p'",
    ),
    "a policy whose selector names a level no exercise has": (
        "policy-unknown-selector",
        _append(
            "policies",
            {"id": "p", "when": ["stiff"], "withholds": {"ids": ["arch"], "levels": [9]}},
        ),
        "policy 'p'",
    ),
    "a policy whose selector matches no exercise": (
        "policy-vacuous",
        _append("policies", {"id": "p", "when": ["stiff"], "withholds": {"min_level": 5}}),
        "policy 'p'",
    ),
    "a policy whose selector is empty": (
        "policy-vacuous",
        _append("policies", {"id": "p", "when": ["stiff"], "withholds": {}}),
        "policy 'p'",
    ),
    "a policy that reaches no urgency": (
        "policy-vacuous",
        _append("policies", {"id": "p", "when": ["stiff"], "reaches": "none"}),
        "policy 'p'",
    ),
    "a red-flag policy from an urgency no red flag refers": (
        "policy-vacuous",
        _append("policies", {"id": "p", "red_flags_withhold_all_from": "emergency"}),
        "policy 'p'",
    ),
    "a policy about a fact the protocol does not declare": (
        "bad-policy",
        _append("policies", {"id": "p", "when": ["stif"], "withholds": {"all": True}}),
        "policy 'p'",
    ),
    "a policy that makes no claim": (
        "bad-policy",
        _append("policies", {"id": "empty", "when": ["numb"]}),
        "policy 'empty'",
    ),
    "two policies with one id": (
        "duplicate-policy",
        _all(
            _append("policies", {"id": "p", "when": ["fever"], "reaches": "same_day"}),
            _append("policies", {"id": "p", "when": ["numb"], "reaches": "soon"}),
        ),
        "policy 'p'",
    ),
    # Reachable (whoever is stiff gets it), so not unreachable: the fault is the risk fact.
    "an exercise whose prerequisite is a risk fact": (
        "risk-prerequisite",
        _set("exercises", "double_hug", "prerequisites", ["stiff"]),
        "exercise 'double_hug'",
    ),
}


def test_an_optional_input_problem_names_the_input_and_the_key_that_requires_it() -> None:
    for source, input_name in (("age", "age"), ("start_back_risk", "start_back")):
        data = mini()
        data["facts"].append(_derived("derived", source, "1" if source == "age" else "high"))
        data["rules"].append(_rule("on_it", {"fact": "derived"}, [{"exclude": {"all": True}}]))
        (problem,) = [p for p in load(data).check() if p.code == "optional-input-takes-away"]
        assert f"derived from {input_name}," in problem.message
        assert f"require_{input_name} = true" in problem.fix


def test_the_unlocker_check_reads_every_exclusion_of_the_rule() -> None:
    # The first exclusion withholds hug, the second something else: double_hug is still given.
    data = mini()
    actions = [{"exclude": {"ids": ["hug"]}}, {"exclude": {"ids": ["arch"]}}]
    data["rules"].append(_rule("two_excludes", {"fact": "sore"}, actions))
    (problem,) = [p for p in load(data).check() if p.code == "unlocker-withheld-alone"]
    assert problem.where == "rule 'two_excludes'"
    assert "'hug'" in problem.message
    assert "'double_hug'" in problem.message
    assert problem.fix == "withhold 'double_hug' in this rule too"


@pytest.mark.parametrize(("code", "mutate", "where"), FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_is_reported_with_its_code_where_it_is_and_a_fix(
    code: str, mutate: Mutation, where: str
) -> None:
    data = mini()
    mutate(data)

    problems = [p for p in load(data).check() if p.code == code]

    assert [p.where for p in problems] == [where]
    problem = problems[0]
    assert problem.message.strip()
    assert problem.fix.strip()
    assert str(problem) == f"{where}: {problem.message} [{code}] Fix: {problem.fix}"


# The loader refuses these conditions (tests/protocol/test_load.py); a protocol built in Python
# can still hold one, and check() reports it.
BUILT_IN_PYTHON: dict[str, tuple[str, Condition]] = {
    "an empty any": ("empty-condition", AnyOf(())),
    "an empty all nested": ("empty-condition", AnyOf((FactIs("numb"), AllOf(())))),
    "an empty of": ("empty-condition", AtLeast(1, ())),
    "at_least 0": ("bad-at-least", AtLeast(0, (FactIs("numb"),))),
    "at_least more than its list": ("bad-at-least", AtLeast(3, (FactIs("numb"), FactIs("stiff")))),
}


@pytest.mark.parametrize(
    ("code", "condition"), BUILT_IN_PYTHON.values(), ids=BUILT_IN_PYTHON.keys()
)
def test_a_condition_the_loader_refuses_is_reported_when_built_in_python(
    code: str, condition: Condition
) -> None:
    protocol = load(mini())
    rules = tuple(
        attrs.evolve(r, condition=condition) if r.id == "numb_soon" else r for r in protocol.rules
    )

    problems = [p for p in attrs.evolve(protocol, rules=rules).check() if p.code == code]

    assert [p.where for p in problems] == ["rule 'numb_soon'"]
    assert problems[0].fix.strip()


def _codes_in_check_source() -> set[str]:
    source = "".join(
        Path(module.__file__).read_text(encoding="utf-8")
        for module in (check_module, format_module, hygiene_module, policies_module)
    )
    found = set(re.findall(r'(?:Problem|_problem)\(\s*f?"([a-z{}-]+)"', source))
    expanded = {
        c.replace("{kind}", kind) for c in found for kind in ("exercise", "fact", "rule", "policy")
    }
    return {c for c in expanded if "{" not in c}


def test_every_check_code_has_a_fault_test_and_a_line_in_the_format_doc() -> None:
    in_source = _codes_in_check_source()
    tested = {code for code, _, _ in FAULTS.values()} | {"prerequisite-cycle"}
    tested |= {code for code, _ in BUILT_IN_PYTHON.values()}
    doc = DOC.read_text(encoding="utf-8")

    assert in_source, "the codes could not be read from check.py"
    assert in_source == tested
    assert [code for code in sorted(in_source) if f"| `{code}` |" not in doc] == []


def test_citations_links_and_defined_tags_are_allowed_as_sources() -> None:
    data = mini()
    item(data, "rules", "numb_soon")["source"] = (
        "Hill JC et al., Lancet 2011, https://doi.org/10.1016/S0140-6736(11)60937-9, "
        "doi:10.1136/bmj.f7095, S1"
    )
    data["safety_source"] = ""

    assert codes(load(data)) == []


def test_the_unknown_source_problem_names_every_undefined_tag() -> None:
    data = mini()
    item(data, "rules", "numb_soon")["source"] = "S2, S1,S3"

    (problem,) = load(data).check()

    assert problem.code == "unknown-source"
    assert "'S2', 'S3'" in problem.message


def test_a_rule_that_withholds_everything_is_no_dead_end_when_another_rule_refers_on_it() -> None:
    data = mini()
    data["rules"].append(_rule("sore_nothing", {"fact": "sore"}, [{"exclude": {"all": True}}]))
    data["rules"].append(_rule("sore_routine", {"fact": "sore"}, [{"refer": "routine"}]))

    assert codes(load(data)) == []


def test_a_dead_end_is_reported_for_the_way_in_that_nothing_refers_on() -> None:
    # Whoever is stiff and sore is referred soon by numb_soon; whoever is sore with a severe
    # ODI is not referred at all.
    data = mini()
    condition = {"any": [{"all": [{"fact": "stiff"}, {"fact": "sore"}]}, {"fact": "odi_severe"}]}
    data["rules"].append(_rule("nothing", condition, [{"exclude": {"all": True}}]))

    (problem,) = load(data).check()

    assert problem.code == "dead-end"
    assert "'odi_severe'" in problem.message


def test_two_equal_texts_are_only_compared_when_written() -> None:
    # Empty advice is missing, not a copy of another empty advice.
    data = mini()
    data["advice"] = {"none": "", "routine": "", "soon": "", "emergency": "Go now."}

    assert set(codes(load(data))) == {"missing-text"}


def test_a_prerequisite_cycle_in_a_protocol_built_in_python_is_reported() -> None:
    # The loader refuses a cycle; a protocol built directly still gets it from check().
    protocol = load(mini())
    hug, double_hug = protocol.exercise("hug"), protocol.exercise("double_hug")
    exercises = tuple(
        attrs.evolve(e, prerequisites=("double_hug_ok",)) if e is hug else e
        for e in protocol.exercises
    )
    unlocked = Fact(
        "double_hug_ok", FactKind.CAPABILITY, Polarity.CAPABILITY, unlocked_by=double_hug.id
    )

    cyclic = attrs.evolve(protocol, exercises=exercises, facts=(*protocol.facts, unlocked))

    problems = [p for p in cyclic.check() if p.code == "prerequisite-cycle"]
    assert len(problems) == 1
    assert "hug -> double_hug -> hug" in problems[0].message or (
        "double_hug -> hug -> double_hug" in problems[0].message
    )


def test_a_three_exercise_cycle_is_reported_once_from_its_first_exercise() -> None:
    # bend needs hug done, hug needs arch done, arch needs bend done: walked from bend.
    protocol = load(mini())
    needs = {"bend": "did_hug", "hug": "did_arch", "arch": "did_bend"}
    exercises = tuple(
        attrs.evolve(e, prerequisites=(needs[e.id],)) if e.id in needs else e
        for e in protocol.exercises
    )
    done = tuple(
        Fact(f"did_{name}", FactKind.CAPABILITY, Polarity.CAPABILITY, unlocked_by=name)
        for name in ("bend", "hug", "arch")
    )
    cyclic = attrs.evolve(protocol, exercises=exercises, facts=(*protocol.facts, *done))

    problems = [p for p in cyclic.check() if p.code == "prerequisite-cycle"]

    assert [p.where for p in problems] == ["exercise 'bend'"]
    assert problems[0].message.endswith("bend -> hug -> arch -> bend")


def test_exercises_that_share_a_prerequisite_are_no_cycle() -> None:
    # double_hug and arch both need hug done: a shared node, visited once, is not a cycle.
    protocol = load(mini())
    exercises = tuple(
        attrs.evolve(e, prerequisites=("hug_ok",)) if e.id == "arch" else e
        for e in protocol.exercises
    )
    assert attrs.evolve(protocol, exercises=exercises).check() == ()


def test_every_unreachable_exercise_is_reported_not_only_the_first() -> None:
    data = mini()
    item(data, "exercises", "bend")["prerequisites"] = ["ghost"]
    item(data, "exercises", "arch")["prerequisites"] = ["ghost"]

    unreachable = [p.where for p in load(data).check() if p.code == "unreachable-exercise"]

    assert unreachable == ["exercise 'bend'", "exercise 'arch'"]


def test_a_capability_unlocked_by_an_unreachable_exercise_cannot_be_had() -> None:
    # Nobody can be given "hug", so nobody can have done it: "double_hug" needs "hug_ok".
    data = mini()
    item(data, "exercises", "hug")["prerequisites"] = ["ghost"]

    problems = load(data).check()

    unreachable = [p.where for p in problems if p.code == "unreachable-exercise"]
    assert unreachable == ["exercise 'hug'", "exercise 'double_hug'"]


def test_an_odi_band_of_at_least_minimal_counts_as_always_present_when_the_odi_is_required() -> (
    None
):
    # Every plan with exercises has a scorable ODI, so "band at least minimal" always holds:
    # a rule that excludes on it takes the exercise from everyone.
    data = mini()
    data["require_odi"] = True
    item(data, "facts", "odi_severe")["derive"]["at_least"] = "minimal"

    problems = load(data).check()

    assert [p.where for p in problems if p.code == "unreachable-exercise"] == ["exercise 'bend'"]


def test_an_odi_band_of_at_least_minimal_is_avoidable_when_the_odi_is_optional() -> None:
    data = mini()
    data["require_odi"] = False
    item(data, "facts", "odi_severe")["derive"]["at_least"] = "minimal"

    # Without an ODI the band is unknown, so bend stays reachable; what is wrong is only that
    # the exclusion then silently does not apply.
    assert codes(load(data)) == ["optional-input-takes-away"]


def test_a_capability_that_stops_all_exercise_makes_what_it_unlocks_unreachable() -> None:
    # With hug_ok the urgency is same_day, so nothing is given; without it double_hug is not
    # unlocked: no assessment ever receives double_hug, while the others need no hug_ok.
    data = mini()
    data["rules"].append(_rule("hug_ok_same_day", {"fact": "hug_ok"}, [{"refer": "same_day"}]))

    problems = load(data).check()

    assert [p.where for p in problems if p.code == "unreachable-exercise"] == [
        "exercise 'double_hug'"
    ]
    assert "capability-takes-away" in [p.code for p in problems]


def test_a_rule_over_two_preferences_that_may_hold_alone_can_fire() -> None:
    data = mini()
    data["facts"] += [
        _preference("prefers_flexion", "flexion"),
        _preference("prefers_extension", "extension"),
    ]
    data["rules"].append(
        _rule(
            "either_preference",
            {"any": [{"fact": "prefers_flexion"}, {"fact": "prefers_extension"}]},
            [{"refer": "routine"}],
        )
    )

    assert codes(load(data)) == []


def test_a_caution_only_rule_may_use_a_capability() -> None:
    protocol = load(mini())

    assert protocol.rules[-1].id == "hug_ok_caution"
    assert codes(protocol) == []


def test_the_default_protocol_has_no_problems() -> None:
    assert bt.default_protocol().check() == ()


def test_check_reports_every_problem_at_once_in_a_stable_order() -> None:
    data = mini()
    for mutation in (
        _copy("rules", "numb_soon"),
        _set("exercises", "bend", "level", 0),
        _delete("facts", "fever", "question"),
        _set("rules", "sore_no_bend", "source", ""),
        _action("sore_no_bend", 1, "text", " "),
    ):
        mutation(data)

    protocol = load(data)

    assert set(codes(protocol)) == {
        "duplicate-rule",
        "bad-level",
        "missing-question",
        "missing-source",
        "missing-caution-text",
    }
    assert load(data).check() == protocol.check()


def test_a_protocol_with_problems_can_be_inspected() -> None:
    data = mini()
    item(data, "rules", "fever_same_day")["condition"] = {"fact": "fevr"}

    protocol = load(data)

    assert protocol.exercise("bend").title == "Forward bend"
    assert protocol.fact("fever").kind is bt.FactKind.RED_FLAG
    assert engine_of(protocol).evaluate(["fever"]).urgency is bt.Urgency.NONE


def test_recommend_refuses_a_protocol_with_problems_naming_the_first() -> None:
    data = mini()
    item(data, "rules", "numb_soon")["reason"] = ""
    protocol = load(data)
    assessment = bt.Assessment(red_flags={"fever": False, "numb": False})

    with pytest.raises(bt.ProtocolError, match=r"\[missing-reason\]") as info:
        bt.recommend(assessment, protocol=protocol)

    assert "rule 'numb_soon'" in str(info.value)
    assert "protocol 'mini'" in str(info.value)


@pytest.mark.parametrize(
    ("source", "at_least", "actions", "required"),
    [
        ("age", "65", [{"exclude": {"ids": ["bend"]}}], "require_age"),
        ("start_back_risk", "high", [{"refer": "soon"}], "require_start_back"),
        ("start_back_risk", "high", [{"refer": "routine"}], None),
        ("age", "65", [{"caution": {"ids": ["bend"]}, "text": "Gently."}], None),
    ],
)
def test_an_input_that_takes_exercises_away_is_fine_once_required(
    source: str, at_least: str, actions: list[object], required: str | None
) -> None:
    # A routine referral or a caution on an optional input needs nothing: it changes nothing
    # a person may do now.
    data = mini()
    data["facts"].append(_derived("derived", source, at_least))
    data["rules"].append(_rule("on_derived", {"fact": "derived"}, actions))
    if required is not None:
        assert codes(load(data)) == ["optional-input-takes-away"]
        data[required] = True
    assert codes(load(data)) == []


def test_a_required_age_or_start_back_is_missing_until_given() -> None:
    data = mini()
    data["facts"].append(_derived("older", "age", "65"))
    data["rules"].append(
        _rule("older_no_bend", {"fact": "older"}, [{"exclude": {"ids": ["bend"]}}])
    )
    data["require_age"] = data["require_start_back"] = True
    protocol = load(data)
    flags = {"fever": False, "numb": False}
    answered = {"stiff": False, "sore": False}
    plan = bt.recommend(
        bt.Assessment(odi=[0] * 10, red_flags=flags, findings=answered), protocol=protocol
    )
    assert (plan.missing, plan.exercises) == (("start_back", "age"), ())
    assert plan.missing_questions[1] == protocol.texts.age_question
    start_back = bt.StartBackScore(0, 0)
    old = bt.Assessment(
        odi=[0] * 10, red_flags=flags, findings=answered, start_back=start_back, age=70
    )
    plan = bt.recommend(old, protocol=protocol)
    assert plan.missing == ()
    assert "bend" not in [p.exercise.id for p in plan.exercises]
    asked = {q.key: q.required for q in bt.questions(protocol)}
    assert (asked["start_back"], asked["age"]) == (True, True)


def test_recommend_accepts_the_clean_mini_protocol() -> None:
    assessment = bt.Assessment(
        odi=[0] * 10,
        red_flags={"fever": False, "numb": False},
        findings={"stiff": False, "sore": False},
    )

    plan = bt.recommend(assessment, protocol=load(mini()))

    assert [p.exercise.id for p in plan.exercises] == ["bend", "hug", "arch"]


def test_an_unanswered_required_finding_is_missing_and_gives_no_exercise() -> None:
    # The finding can raise the urgency to soon with another: unanswered, it is never "no".
    protocol = load(mini())
    flags = {"fever": False, "numb": False}
    for findings in ({"sore": False}, {"sore": False, "stiff": None}):
        plan = bt.recommend(
            bt.Assessment(odi=[0] * 10, red_flags=flags, findings=findings), protocol=protocol
        )
        assert plan.missing == ("stiff",)
        assert plan.missing_questions == ("Is your back stiff?",)
        assert plan.exercises == ()
    asked = {q.key: q.required for q in bt.questions(protocol)}
    assert asked["stiff"] is asked["sore"] is True


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_a_random_protocol_built_within_the_rules_has_no_problems(protocol: Protocol) -> None:
    assert protocol.check() == ()


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(protocols(monotone=False))
def test_every_capability_in_a_rule_that_takes_away_is_reported(protocol: Protocol) -> None:
    capabilities = {f.name for f in protocol.facts if f.polarity is Polarity.CAPABILITY}
    reported = {p.where for p in protocol.check() if p.code == "capability-takes-away"}

    offending = {
        f"rule {rule.id!r}"
        for rule in protocol.rules
        if any(isinstance(a, Refer | Exclude) for a in rule.actions)
        and _names(rule.condition) & capabilities
    }

    assert reported == offending


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(protocols(monotone=False))
def test_every_risk_prerequisite_is_reported(protocol: Protocol) -> None:
    risks = {f.name for f in protocol.facts if f.polarity is Polarity.RISK}
    reported = [p.where for p in protocol.check() if p.code == "risk-prerequisite"]

    expected = [
        f"exercise {e.id!r}"
        for e in protocol.exercises
        for name in e.prerequisites
        if name in risks
    ]

    assert reported == expected


def _names(condition: Condition) -> set[str]:
    if isinstance(condition, FactIs):
        return {condition.fact}
    return set().union(*(_names(c) for c in condition.conditions))


def test_an_exercise_built_with_a_level_below_one_is_reported_whatever_its_other_fields() -> None:
    protocol = load(mini())
    low = Exercise(
        "low",
        "Low",
        "hugs",
        bt.Movement.FLEXION,
        bt.Position.SUPINE,
        -1,
        True,
        "d",
        "i",
        steps=("Gently.", "Fully."),
    )

    problems = attrs.evolve(protocol, exercises=(*protocol.exercises, low)).check()

    assert [p.where for p in problems if p.code == "bad-level"] == ["exercise 'low'"]


def test_an_exercise_a_capability_takes_away_is_still_reachable_without_it() -> None:
    # Reported as capability-takes-away; the exercise is not unreachable: whoever lacks the
    # capability still gets it.
    data = mini()
    data["rules"].append(
        _rule("hug_ok_no_arch", {"fact": "hug_ok"}, [{"exclude": {"ids": ["arch"]}}])
    )
    found = codes(load(data))
    assert "capability-takes-away" in found
    assert "unreachable-exercise" not in found


def test_a_protocol_without_exercises_still_needs_a_safety_net() -> None:
    # A person who is told to wait (soon, same day) needs to know when to get help meanwhile.
    data = mini()
    data.pop("safety_net")
    protocol = load(data)
    bare = attrs.evolve(protocol, exercises=(), rules=(), facts=())
    assert "missing-safety-net" in codes(bare)
    assert "missing-safety-net" in codes(protocol)


def test_a_protocol_without_exercises_needs_no_self_management_texts() -> None:
    data = mini()
    data["texts"].pop("self_management")
    protocol = load(data)
    bare = attrs.evolve(protocol, exercises=(), rules=(), facts=())
    assert "missing-text" not in codes(bare)
    assert "missing-text" in codes(protocol)
