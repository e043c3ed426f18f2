"""The loader: every malformed document is refused with a ProtocolError that names the fault."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import backtriage as bt
from backtriage.protocol import Protocol, load_protocol, protocol_from_data
from backtriage.protocol._engine import engine_of
from backtriage.serialize import converter
from strategies import json_values, mutated_documents, protocols

from . import MINI_SOURCE, MINI_TOML, codes, item, load, mini

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol-format.md"

Mutation = Callable[[dict[str, Any]], object]


def refused(tmp_path: Path, data: object) -> bt.ProtocolError:
    """Write ``data`` as a JSON file, load it, and return the error the loader raises."""
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(bt.ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(f"{path}: "), "the message must start with the file"
    return info.value


def doc_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example-protocol[^>]*-->\s*```toml\n(.*?)```", text, re.DOTALL)
    assert match is not None, "docs/protocol-format.md lost its marked example protocol"
    return match.group(1)


# -- the documented example and the happy paths --------------------------------------------


def test_the_complete_example_in_the_format_doc_loads_and_has_no_problems() -> None:
    protocol = load_protocol(text=doc_example())

    assert protocol.check() == ()


def test_the_complete_example_in_the_format_doc_gives_a_plan() -> None:
    protocol = load_protocol(text=doc_example())
    red_flags = {q.key: False for q in bt.questions(protocol) if q.kind == "red_flag"}

    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=red_flags, age=40), protocol=protocol)

    assert plan.urgency is bt.Urgency.NONE
    assert plan.exercises, "a person with no risk at all must get exercises from the example"
    assert plan.safety_net == protocol.safety_net


def test_the_complete_example_refers_a_young_person_and_gives_no_exercise() -> None:
    protocol = load_protocol(text=doc_example())
    red_flags = {q.key: False for q in bt.questions(protocol) if q.kind == "red_flag"}

    plan = bt.recommend(bt.Assessment(red_flags=red_flags, age=15), protocol=protocol)

    assert (plan.urgency, plan.exercises, plan.missing) == (bt.Urgency.SOON, (), ())
    assert plan.advice.startswith(protocol.texts.out_of_scope)


def test_a_toml_file_loads_from_a_str_path_and_a_path_object(tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text(MINI_TOML, encoding="utf-8")

    assert load_protocol(str(path)) == load_protocol(path) == load(mini())


def test_text_is_loaded_only_when_given_as_text() -> None:
    assert load_protocol(text=MINI_TOML) == load(mini())
    # A string is a path, whatever it holds: nothing is guessed from its content.
    with pytest.raises(bt.ProtocolError, match=r"use load_protocol\(text=") as info:
        load_protocol(MINI_TOML)
    assert len(str(info.value)) < 200


def test_a_protocol_round_trips_through_json_text_and_data() -> None:
    protocol = load(mini())
    assert load_protocol(text=bt.to_json(protocol)) == protocol
    assert load_protocol(bt.to_dict(protocol)) == protocol


@pytest.mark.parametrize("source", [3, b"mini.toml", None], ids=repr)
def test_load_protocol_refuses_what_is_neither_a_path_a_mapping_nor_text(source: object) -> None:
    with pytest.raises(bt.ProtocolError, match="source"):
        load_protocol(source)  # type: ignore[arg-type]


def test_load_protocol_takes_a_path_or_text_not_both(tmp_path: Path) -> None:
    with pytest.raises(bt.ProtocolError, match="not both"):
        load_protocol(tmp_path / "mini.toml", text=MINI_TOML)


def test_a_json_file_and_json_text_load_the_same_protocol_as_toml(tmp_path: Path) -> None:
    text = json.dumps(mini(), indent=1)
    path = tmp_path / "mini.json"
    path.write_text(text, encoding="utf-8")

    assert load_protocol(path) == load_protocol(text=text) == load(mini())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_a_protocol_written_out_as_json_loads_back_equal(protocol: Protocol) -> None:
    document = json.loads(json.dumps(converter.unstructure(protocol)))

    loaded = protocol_from_data(document)

    assert loaded == protocol
    assert loaded.check() == protocol.check()


def test_the_default_protocol_loads_from_its_own_text() -> None:
    protocol = bt.default_protocol()

    assert protocol.check() == ()
    assert protocol.name == "backtriage-default"


# -- files that cannot be read ---------------------------------------------------------------


def test_a_missing_file_is_refused_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short relative path: a long one is shortened in the error, as every value is.
    monkeypatch.chdir(tmp_path)
    path = Path("nowhere.toml")

    with pytest.raises(bt.ProtocolError, match="no such file") as info:
        load_protocol(path)

    assert info.value.source == str(path)


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Étirement"\n'.encode("latin-1"))

    with pytest.raises(bt.ProtocolError, match="not UTF-8") as info:
        load_protocol(path)

    assert str(info.value).startswith(str(path))


def test_a_directory_is_refused_as_unreadable(tmp_path: Path) -> None:
    with pytest.raises(bt.ProtocolError, match="cannot read it"):
        load_protocol(tmp_path)


def test_a_path_with_a_nul_byte_is_refused_as_unreadable() -> None:
    with pytest.raises(bt.ProtocolError, match="cannot read it"):
        load_protocol("protocol\0.toml")


def test_invalid_toml_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(MINI_TOML.replace('version = "1.0"', "version = "), encoding="utf-8")

    with pytest.raises(bt.ProtocolError, match=r"not valid TOML: .*line 3") as info:
        load_protocol(path)

    assert info.value.source == str(path)


def test_invalid_json_is_refused_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x",\n "version": }', encoding="utf-8")

    with pytest.raises(bt.ProtocolError, match=r"not valid JSON: .*line 2, column 13"):
        load_protocol(path)


def test_a_json_document_that_is_a_list_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, [mini()])

    assert "must be a table at the top level" in error.problem


@pytest.mark.parametrize("opening", ["[", "{"])
def test_a_document_nested_thousands_deep_is_refused_not_a_recursion_error(
    opening: str,
) -> None:
    # json.loads and tomllib both recurse per level; their RecursionError must not escape.
    closing = "]" if opening == "[" else "}"
    text = '{"name": ' + (opening if opening == "[" else '{"a": ') * 5000
    text += "1" + (closing * 5000) + "}\n"

    with pytest.raises(bt.ProtocolError, match="nested"):
        load_protocol(text=text)


def test_toml_nested_hundreds_deep_is_refused_not_a_recursion_error() -> None:
    text = MINI_TOML.replace(
        'condition = { fact = "fever" }',
        "condition = " + "{ any = [" * 400 + '{ fact = "fever" }' + "] }" * 400,
    )

    with pytest.raises(bt.ProtocolError, match="nested"):
        load_protocol(text=text)


def test_a_condition_nested_too_deep_is_refused_naming_the_rule_and_field() -> None:
    data = mini()
    condition: dict[str, Any] = {"fact": "fever"}
    for _ in range(40):
        condition = {"any": [condition]}
    item(data, "rules", "fever_same_day")["condition"] = condition

    with pytest.raises(bt.ProtocolError, match="nested more than 64") as info:
        load(data)

    assert info.value.where == "rules[0] (rule 'fever_same_day')"
    assert info.value.field is not None
    assert info.value.field.startswith("condition.any[0].any[0]")


# -- wrong types, unknown values, unknown keys: refused, naming item and field ---------------


def _set(section: str, ident: str, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        item(data, section, ident)[key] = value

    return mutate


def _set_top(key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[key] = value

    return mutate


def _set_action(rule: str, index: int, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        item(data, "rules", rule)["actions"][index][key] = value

    return mutate


def _set_selector(rule: str, index: int, key: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        action = item(data, "rules", rule)["actions"][index]
        selector_key = "exclude" if "exclude" in action else "caution"
        action[selector_key][key] = value

    return mutate


def _set_condition(rule: str, condition: object) -> Mutation:
    return _set("rules", rule, "condition", condition)


BEND = "exercises[0] (exercise 'bend')"
DOUBLE_HUG = "exercises[2] (exercise 'double_hug')"
FEVER = "facts[0] (fact 'fever')"
ODI_SEVERE = "facts[5] (fact 'odi_severe')"
FEVER_RULE = "rules[0] (rule 'fever_same_day')"
NUMB_RULE = "rules[1] (rule 'numb_soon')"
SORE_RULE = "rules[2] (rule 'sore_no_bend')"

# (mutation, where, field, words the problem must contain)
WRONG_VALUES: dict[str, tuple[Mutation, str | None, str, str]] = {
    "level as a string": (
        _set("exercises", "bend", "level", "2"),
        BEND,
        "level",
        "'2' is not a whole number",
    ),
    "level as a bool": (
        _set("exercises", "bend", "level", True),
        BEND,
        "level",
        "True is not a whole number",
    ),
    "level as a float": (
        _set("exercises", "bend", "level", 1.0),
        BEND,
        "level",
        "1.0 is not a whole number",
    ),
    "in_bed as yes": (
        _set("exercises", "bend", "in_bed", "yes"),
        BEND,
        "in_bed",
        "'yes' is not true or false",
    ),
    "in_bed as 0": (
        _set("exercises", "bend", "in_bed", 0),
        BEND,
        "in_bed",
        "0 is not true or false",
    ),
    "in_bed as false string": (
        _set("exercises", "bend", "in_bed", "false"),
        BEND,
        "in_bed",
        "'false' is not true or false",
    ),
    "prerequisites as a string": (
        _set("exercises", "double_hug", "prerequisites", "hug_ok"),
        DOUBLE_HUG,
        "prerequisites",
        "'hug_ok' is not a list",
    ),
    "prerequisite as a number": (
        _set("exercises", "double_hug", "prerequisites", [1]),
        DOUBLE_HUG,
        "prerequisites[0]",
        "1 is not a string",
    ),
    "unknown movement": (
        _set("exercises", "bend", "movement", "twist"),
        BEND,
        "movement",
        "'twist' is not one of: extension, flexion",
    ),
    "unknown position": (
        _set("exercises", "bend", "position", "lying"),
        BEND,
        "position",
        "'lying' is not one of: prone",
    ),
    "title as a number": (
        _set("exercises", "bend", "title", 7),
        BEND,
        "title",
        "7 is not a string",
    ),
    "unknown fact kind": (
        _set("facts", "fever", "kind", "symptom"),
        FEVER,
        "kind",
        "'symptom' is not one of: red_flag, finding, capability, derived",
    ),
    "unknown polarity": (
        _set("facts", "fever", "polarity", "bad"),
        FEVER,
        "polarity",
        "'bad' is not one of: risk, capability",
    ),
    "required as a string": (
        _set("facts", "fever", "required", "true"),
        FEVER,
        "required",
        "'true' is not true or false",
    ),
    "question as a list": (
        _set("facts", "fever", "question", ["?"]),
        FEVER,
        "question",
        "is not a string",
    ),
    "unknown derivation source": (
        _set("facts", "odi_severe", "derive", {"source": "score", "at_least": "severe"}),
        ODI_SEVERE,
        "derive.source",
        "'score' is not one of: odi_band",
    ),
    "derive as a string": (
        _set("facts", "odi_severe", "derive", "severe"),
        ODI_SEVERE,
        "derive",
        "'severe' is not a table",
    ),
    "threshold as a number": (
        _set("facts", "odi_severe", "derive", {"source": "age", "at_least": 70}),
        ODI_SEVERE,
        "derive.at_least",
        "70 is not a string",
    ),
    "unknown urgency": (
        _set_action("fever_same_day", 0, "refer", "urgent"),
        FEVER_RULE,
        "actions[0].refer",
        "'urgent' is not one of: none, routine, soon, same_day, emergency",
    ),
    "empty urgency": (
        _set_action("fever_same_day", 0, "refer", ""),
        FEVER_RULE,
        "actions[0].refer",
        "'' is not one of: none",
    ),
    "urgency as a number": (
        _set_action("fever_same_day", 0, "refer", 3),
        FEVER_RULE,
        "actions[0].refer",
        "3 is not one of: none",
    ),
    "reason as a number": (
        _set("rules", "fever_same_day", "reason", 3),
        FEVER_RULE,
        "reason",
        "3 is not a string",
    ),
    "source as a list": (
        _set("rules", "fever_same_day", "source", ["S1"]),
        FEVER_RULE,
        "source",
        "is not a string",
    ),
    "actions as a table": (
        _set("rules", "fever_same_day", "actions", {"refer": "soon"}),
        FEVER_RULE,
        "actions",
        "is not a list",
    ),
    "action as a string": (
        _set("rules", "fever_same_day", "actions", ["soon"]),
        FEVER_RULE,
        "actions[0]",
        "'soon' is not a table (an action)",
    ),
    "condition as a string": (
        _set_condition("fever_same_day", "fever"),
        FEVER_RULE,
        "condition",
        "'fever' is not a table (a condition)",
    ),
    "fact name as a number": (
        _set_condition("fever_same_day", {"fact": 3}),
        FEVER_RULE,
        "condition.fact",
        "3 is not a string",
    ),
    "at_least as a string": (
        _set_condition("fever_same_day", {"at_least": "1", "of": [{"fact": "fever"}]}),
        FEVER_RULE,
        "condition.at_least",
        "'1' is not a whole number",
    ),
    "of as a string": (
        _set_condition("fever_same_day", {"at_least": 1, "of": "fever"}),
        FEVER_RULE,
        "condition.of",
        "'fever' is not a list",
    ),
    "all as a table": (
        _set_condition("fever_same_day", {"all": {"fact": "fever"}}),
        FEVER_RULE,
        "condition.all",
        "is not a list",
    ),
    "nested bad child": (
        _set_condition("numb_soon", {"any": [{"fact": "numb"}, {"all": [{"fact": 1}]}]}),
        NUMB_RULE,
        "condition.any[1].all[0].fact",
        "1 is not a string",
    ),
    "selector ids as a string": (
        _set_selector("sore_no_bend", 0, "ids", "bend"),
        SORE_RULE,
        "actions[0].exclude.ids",
        "'bend' is not a list",
    ),
    "selector level as a string": (
        _set_selector("sore_no_bend", 0, "levels", ["2"]),
        SORE_RULE,
        "actions[0].exclude.levels[0]",
        "'2' is not a whole number",
    ),
    "selector all as yes": (
        _set_selector("sore_no_bend", 0, "all", "yes"),
        SORE_RULE,
        "actions[0].exclude.all",
        "'yes' is not true or false",
    ),
    "selector movement unknown": (
        _set_selector("sore_no_bend", 1, "movements", ["twist"]),
        SORE_RULE,
        "actions[1].caution.movements[0]",
        "'twist' is not one of",
    ),
    "selector as a list": (
        _set_action("sore_no_bend", 0, "exclude", ["bend"]),
        SORE_RULE,
        "actions[0].exclude",
        "is not a table",
    ),
    "caution text as a number": (
        _set_action("sore_no_bend", 1, "text", 5),
        SORE_RULE,
        "actions[1].text",
        "5 is not a string",
    ),
    "name as a number": (_set_top("name", 1), None, "name", "1 is not a string"),
    "version as a float": (_set_top("version", 1.0), None, "version", "1.0 is not a string"),
    "require_odi as yes": (
        _set_top("require_odi", "yes"),
        None,
        "require_odi",
        "'yes' is not true or false",
    ),
    "exercises as a table": (
        _set_top("exercises", {"bend": {}}),
        None,
        "exercises",
        "is not a list",
    ),
    "sources as a list": (_set_top("sources", ["S1"]), None, "sources", "is not a table"),
    "source citation as a number": (
        _set_top("sources", {"S1": 3}),
        None,
        "sources.S1",
        "3 is not a citation, or a table",
    ),
    "advice as a string": (_set_top("advice", "call"), None, "advice", "'call' is not a table"),
    "advice text as a number": (
        _set_top("advice", {"none": 3}),
        None,
        "advice.none",
        "3 is not a string",
    ),
}


@pytest.mark.parametrize(
    ("mutate", "where", "field", "words"), WRONG_VALUES.values(), ids=WRONG_VALUES.keys()
)
def test_a_wrong_value_is_refused_naming_file_item_field_and_value(
    tmp_path: Path, mutate: Mutation, where: str | None, field: str, words: str
) -> None:
    data = mini()
    mutate(data)

    error = refused(tmp_path, data)

    assert (error.where, error.field) == (where, field)
    assert words in error.problem


TOML_FAULTS: dict[str, tuple[str, str, str, str]] = {
    "unknown urgency": ('refer = "same_day"', 'refer = "urgent"', FEVER_RULE, "actions[0].refer"),
    "level as a string": ("level = 1", 'level = "2"', BEND, "level"),
    "in_bed as yes": ("in_bed = false", 'in_bed = "yes"', BEND, "in_bed"),
    "prerequisites as a string": (
        'prerequisites = ["hug_ok"]',
        'prerequisites = "hug_ok"',
        DOUBLE_HUG,
        "prerequisites",
    ),
    "an unknown exercise key": (
        'instructions = "Bend a little."',
        'instructions = "Bend a little."\ncolour = "red"',
        BEND,
        "colour",
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "where", "field"), TOML_FAULTS.values(), ids=TOML_FAULTS.keys()
)
def test_a_fault_in_a_toml_file_is_reported_as_file_item_field_problem(
    tmp_path: Path, old: str, new: str, where: str, field: str
) -> None:
    path = tmp_path / "faulty.toml"
    path.write_text(MINI_TOML.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(bt.ProtocolError) as info:
        load_protocol(path)

    assert str(info.value).startswith(f"{path}: {where}: {field}: ")


def _delete(section: str, ident: str, key: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del item(data, section, ident)[key]

    return mutate


MISSING_KEYS: dict[str, tuple[Mutation, str | None, str]] = {
    "protocol name": (lambda d: d.pop("name"), None, "name"),
    "protocol rules": (lambda d: d.pop("rules"), None, "rules"),
    "exercise level": (_delete("exercises", "bend", "level"), BEND, "level"),
    "exercise in_bed": (_delete("exercises", "bend", "in_bed"), BEND, "in_bed"),
    "fact kind": (_delete("facts", "fever", "kind"), FEVER, "kind"),
    "fact polarity": (_delete("facts", "fever", "polarity"), FEVER, "polarity"),
    "rule reason": (_delete("rules", "fever_same_day", "reason"), FEVER_RULE, "reason"),
    "rule source": (_delete("rules", "fever_same_day", "source"), FEVER_RULE, "source"),
    "rule condition": (_delete("rules", "fever_same_day", "condition"), FEVER_RULE, "condition"),
    "derivation source": (
        lambda d: item(d, "facts", "odi_severe")["derive"].pop("source"),
        ODI_SEVERE,
        "derive.source",
    ),
}


@pytest.mark.parametrize(
    ("mutate", "where", "field"), MISSING_KEYS.values(), ids=MISSING_KEYS.keys()
)
def test_a_missing_required_key_is_refused_naming_it(
    tmp_path: Path, mutate: Mutation, where: str | None, field: str
) -> None:
    data = mini()
    mutate(data)

    error = refused(tmp_path, data)

    assert (error.where, error.field, error.problem) == (where, field, "required key missing")


def test_an_exercise_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    data = mini()
    del data["exercises"][1]["id"]

    error = refused(tmp_path, data)

    assert (error.where, error.field) == ("exercises[1] (exercise #2)", "id")


def _add(section: str, ident: str, key: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        item(data, section, ident)[key] = "x"

    return mutate


UNKNOWN_KEYS: dict[str, tuple[Mutation, str | None, str]] = {
    "top level": (_set_top("colour", "red"), None, "colour"),
    "exercise": (_add("exercises", "bend", "weight"), BEND, "weight"),
    "fact": (_add("facts", "fever", "hint"), FEVER, "hint"),
    "rule": (_add("rules", "fever_same_day", "note"), FEVER_RULE, "note"),
    "derivation": (
        lambda d: item(d, "facts", "odi_severe")["derive"].update(below="x"),
        ODI_SEVERE,
        "derive.below",
    ),
    "advice": (lambda d: d["advice"].update(urgent="x"), None, "advice.urgent"),
    "selector": (
        _set_selector("sore_no_bend", 0, "id", ["bend"]),
        SORE_RULE,
        "actions[0].exclude.id",
    ),
}


@pytest.mark.parametrize(
    ("mutate", "where", "field"), UNKNOWN_KEYS.values(), ids=UNKNOWN_KEYS.keys()
)
def test_an_unknown_key_is_refused_at_every_level_naming_the_key(
    tmp_path: Path, mutate: Mutation, where: str | None, field: str
) -> None:
    data = mini()
    mutate(data)

    error = refused(tmp_path, data)

    assert (error.where, error.field) == (where, field)
    assert "unknown key" in error.problem


# -- conditions and actions that are none of the allowed shapes ------------------------------

SHAPES: dict[str, tuple[object, str, str]] = {
    "two condition shapes at once": (
        {"fact": "fever", "any": [{"fact": "numb"}]},
        "condition",
        "more than one shape in one table",
    ),
    "at_least without of": ({"at_least": 1}, "condition", "missing key(s) of"),
    "of without at_least": ({"of": [{"fact": "fever"}]}, "condition", "missing key(s) at_least"),
    "an empty condition table": ({}, "condition", "it is empty"),
    "an unknown condition key": ({"not": {"fact": "fever"}}, "condition", "unknown key(s) not"),
    "a misspelt key beside a shape": (
        {"fact": "fever", "fakt": "x"},
        "condition",
        "unknown key(s) fakt",
    ),
    "a bad shape nested": (
        {"all": [{"fact": "fever"}, {"any": [{"facts": "numb"}]}]},
        "condition.all[1].any[0]",
        "unknown key(s) facts",
    ),
}


@pytest.mark.parametrize(("condition", "field", "words"), SHAPES.values(), ids=SHAPES.keys())
def test_a_condition_of_no_allowed_shape_is_refused_saying_why(
    tmp_path: Path, condition: object, field: str, words: str
) -> None:
    data = mini()
    item(data, "rules", "fever_same_day")["condition"] = condition

    error = refused(tmp_path, data)

    assert (error.where, error.field) == (FEVER_RULE, field)
    assert words in error.problem
    assert "{ at_least = N, of = [...] }" in error.problem, "the allowed shapes are listed"


ACTION_SHAPES: dict[str, tuple[object, str]] = {
    "caution without text": ({"caution": {"ids": ["bend"]}}, "missing key(s) text"),
    "text without caution": ({"text": "careful"}, "missing key(s) caution"),
    "refer and exclude in one table": (
        {"refer": "soon", "exclude": {"all": True}},
        "more than one shape in one table",
    ),
    "an empty action": ({}, "it is empty"),
    "an unknown action": ({"warn": "x"}, "unknown key(s) warn"),
}


@pytest.mark.parametrize(("action", "words"), ACTION_SHAPES.values(), ids=ACTION_SHAPES.keys())
def test_an_action_of_no_allowed_shape_is_refused_saying_why(
    tmp_path: Path, action: object, words: str
) -> None:
    data = mini()
    item(data, "rules", "fever_same_day")["actions"] = [{"refer": "same_day"}, action]

    error = refused(tmp_path, data)

    assert (error.where, error.field) == (FEVER_RULE, "actions[1]")
    assert words in error.problem


def test_every_structural_error_of_a_document_is_in_the_message(tmp_path: Path) -> None:
    data = mini()
    item(data, "exercises", "bend")["level"] = "2"
    item(data, "rules", "numb_soon")["actions"][0]["refer"] = "urgent"

    error = refused(tmp_path, data)

    assert (error.where, error.field) == (BEND, "level")
    assert "(and 1 more: " in str(error)
    assert "rules[1] (rule 'numb_soon'): actions[0].refer: 'urgent'" in str(error)


# -- prerequisite cycles ---------------------------------------------------------------------


def _capability(name: str, unlocked_by: str) -> dict[str, object]:
    return {
        "name": name,
        "kind": "capability",
        "polarity": "capability",
        "unlocked_by": unlocked_by,
    }


def test_a_cycle_of_prerequisites_through_unlocked_by_is_refused_naming_the_exercises(
    tmp_path: Path,
) -> None:
    # hug needs double_hug_ok (unlocked by double_hug), double_hug needs hug_ok (by hug).
    data = mini()
    data["facts"].append(_capability("double_hug_ok", "double_hug"))
    item(data, "exercises", "hug")["prerequisites"] = ["double_hug_ok"]

    error = refused(tmp_path, data)

    assert error.field == "prerequisites"
    assert error.where in {"exercise 'hug'", "exercise 'double_hug'"}
    assert "[prerequisite-cycle]" in error.problem
    assert re.search(r"(hug -> double_hug -> hug|double_hug -> hug -> double_hug)", error.problem)


def test_an_exercise_needing_a_capability_unlocked_by_itself_is_refused(tmp_path: Path) -> None:
    data = mini()
    item(data, "facts", "hug_ok")["unlocked_by"] = "double_hug"

    error = refused(tmp_path, data)

    assert "double_hug -> double_hug" in error.problem


def test_a_cycle_caused_by_a_duplicate_id_names_the_duplicate_too(tmp_path: Path) -> None:
    # Renaming double_hug to hug makes "hug needs hug_ok, unlocked by hug": the real fault is
    # the duplicate id, so the message must say so.
    data = mini()
    item(data, "exercises", "double_hug")["id"] = "hug"

    error = refused(tmp_path, data)

    assert "[prerequisite-cycle]" in error.problem
    assert "[duplicate-exercise]" in error.problem


def test_a_problem_that_is_not_structural_does_not_stop_loading() -> None:
    data = mini()
    item(data, "rules", "fever_same_day")["condition"] = {"fact": "fevr"}

    protocol = load(data)

    assert "unknown-fact" in codes(protocol)


# -- nothing but a Protocol or a ProtocolError comes out of the loader -----------------------


def outcome(data: object, source: str) -> Protocol | bt.ProtocolError:
    """Return what the loader makes of ``data``; any other exception fails the test."""
    try:
        return protocol_from_data(data, source=source)
    except bt.ProtocolError as error:
        return error


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(json_values())
def test_random_json_like_data_gives_a_protocol_or_a_protocol_error(data: object) -> None:
    result = outcome(data, "random.json")

    if isinstance(result, bt.ProtocolError):
        assert str(result).startswith("random.json")
    else:
        assert isinstance(result, Protocol)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_documents())
def test_a_document_with_random_faults_gives_a_protocol_or_a_protocol_error(
    data: dict[str, object],
) -> None:
    result = outcome(data, MINI_SOURCE)

    if isinstance(result, bt.ProtocolError):
        assert str(result).startswith(f"{MINI_SOURCE}: ")
        assert "unknown error" not in str(result), "every error must say what is wrong"
    else:
        # Whatever loads can be inspected: check() and the engine work on it.
        assert all(isinstance(p, bt.Problem) for p in result.check())
        names = list(dict.fromkeys(f.name for f in result.facts))
        assert engine_of(result).evaluate(names).urgency in bt.Urgency


def test_a_long_missing_path_is_shortened_keeping_the_file_name(tmp_path: Path) -> None:
    path = tmp_path.joinpath(*["a-long-folder-name"] * 6, "nowhere.toml")

    with pytest.raises(bt.ProtocolError) as info:
        load_protocol(path)

    source = info.value.source
    assert source is not None
    assert len(source) <= 80
    assert source.startswith("...")
    assert source.endswith("a-long-folder-name/nowhere.toml")


# -- conditions without an agreed meaning ----------------------------------------------------

MEANINGLESS_CONDITIONS = {
    "an empty any": ({"any": []}, "$.rules[1].condition.any", "at least one condition"),
    "an empty all nested": (
        {"any": [{"fact": "numb"}, {"all": []}]},
        "$.rules[1].condition.any[1].all",
        "at least one condition",
    ),
    "an empty of": (
        {"at_least": 1, "of": []},
        "$.rules[1].condition.of",
        "at least one condition",
    ),
    "at_least 0": (
        {"at_least": 0, "of": [{"fact": "numb"}]},
        "$.rules[1].condition.at_least",
        "from 1 to 1",
    ),
    "at_least above the length of its list": (
        {"at_least": 3, "of": [{"fact": "numb"}, {"fact": "stiff"}]},
        "$.rules[1].condition.at_least",
        "from 1 to 2",
    ),
    "at_least 0 nested": (
        {"all": [{"fact": "numb"}, {"at_least": 0, "of": [{"fact": "stiff"}]}]},
        "$.rules[1].condition.all[1].at_least",
        "from 1 to 1",
    ),
}


@pytest.mark.parametrize(
    ("condition", "path", "allowed"),
    MEANINGLESS_CONDITIONS.values(),
    ids=MEANINGLESS_CONDITIONS.keys(),
)
def test_a_condition_without_an_agreed_meaning_is_refused_naming_its_path(
    condition: dict[str, Any], path: str, allowed: str
) -> None:
    # The engine, the checks and the kit once each read such a condition their own way.
    data = mini()
    item(data, "rules", "numb_soon")["condition"] = condition

    with pytest.raises(bt.ProtocolError) as caught:
        load(data)

    assert caught.value.path == path
    assert "rule 'numb_soon'" in str(caught.value)
    assert allowed in str(caught.value)
