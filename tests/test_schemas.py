"""The shipped JSON Schemas: generated from the code, and true of what backtriage writes."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given

import backtriage as bt
from backtriage import _schema, serialize
from backtriage.serialize import json_schema, to_dict
from test_serialize import NO_FLAGS, assessments, plans

EXAMPLES = Path(__file__).parent.parent / "examples"


def _validator(cls: type | str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema(cls))


ASSESSMENT = _validator(bt.Assessment)
PLAN = _validator(bt.Plan)


def test_regenerating_the_schemas_gives_the_shipped_files() -> None:
    # Fails after a serialised class changed: run `python -m backtriage._schema`.
    shipped = resources.files("backtriage").joinpath("schemas")
    for name, text in _schema.render().items():
        assert shipped.joinpath(name).read_text(encoding="utf-8") == text, name


def test_the_schemas_write_into_a_directory(tmp_path: Path) -> None:
    written = _schema.write(tmp_path)
    assert sorted(p.name for p in written) == [
        "assessment.schema.json",
        "check-in.schema.json",
        "follow-up.schema.json",
        "odi-answers.schema.json",
        "odi-score.schema.json",
        "plan.schema.json",
        "problem.schema.json",
        "question.schema.json",
        "sign-off.schema.json",
        "start-back-answers.schema.json",
        "start-back-score.schema.json",
    ]
    assert json.loads(written[0].read_text(encoding="utf-8")) == _schema.assessment_schema()


@pytest.mark.parametrize("cls", [bt.Assessment, bt.Plan])
def test_each_schema_is_a_valid_draft_2020_12_schema(cls: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(cls))


def test_the_schemas_carry_the_schema_version_of_the_converter() -> None:
    for cls in (bt.Assessment, bt.Plan):
        properties = json_schema(cls)["properties"]
        version = properties["schema_version"]  # type: ignore[index]
        oldest = serialize.OLDEST_PLAN if cls is bt.Plan else 1
        assert version["enum"] == [v for v in serialize.READABLE_SCHEMA_VERSIONS if v >= oldest]
        assert max(version["enum"]) == serialize.SCHEMA_VERSION
    assert serialize.OLDEST_PLAN == _schema.PLAN_SCHEMA_VERSION


def test_the_plan_schema_requires_the_safety_net_and_the_texts() -> None:
    schema = json_schema(bt.Plan)
    assert {"safety_net", "texts"} <= set(schema["required"])  # type: ignore[arg-type]
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS)))
    del data["safety_net"]
    assert not PLAN.is_valid(data)


def test_the_example_assessment_is_valid() -> None:
    document = json.loads((EXAMPLES / "assessment.json").read_text(encoding="utf-8"))
    ASSESSMENT.validate(document)


def test_the_plan_of_the_example_assessment_is_valid() -> None:
    text = (EXAMPLES / "assessment.json").read_text(encoding="utf-8")
    plan = bt.recommend(serialize.from_json(text, bt.Assessment))
    PLAN.validate(to_dict(plan))


@given(assessments())
def test_every_assessment_backtriage_writes_is_valid(assessment: bt.Assessment) -> None:
    ASSESSMENT.validate(to_dict(assessment))


@given(plans())
def test_every_plan_backtriage_writes_is_valid(plan: bt.Plan) -> None:
    PLAN.validate(to_dict(plan))


INVALID_ASSESSMENTS = {
    "red flag 'no'": {"red_flags": {"fever": "no"}},
    "odi answer 7": {"odi": {"walking": 7}},
    "odi answer '3'": {"odi": {"walking": "3"}},
    "odi alias": {"odi": {"traveling": 1}},
    "nine answers": {"odi": [1] * 9},
    "incomplete start back": {"start_back": {"leg_pain": True}},
    "unknown preference": {"preference": "up"},
    "unknown key": {"answers": {}},
    "schema version 4": {"schema_version": 4},
    "finding answered 1": {"findings": {"osteoporosis": 1}},
}


@pytest.mark.parametrize("document", INVALID_ASSESSMENTS.values(), ids=INVALID_ASSESSMENTS.keys())
def test_the_schema_refuses_what_backtriage_refuses(document: dict[str, object]) -> None:
    assert not ASSESSMENT.is_valid(document)
    with pytest.raises(bt.InvalidAnswerError):
        serialize.from_dict(document, bt.Assessment)


def test_a_plan_with_an_unknown_urgency_is_invalid() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS)))
    assert PLAN.is_valid(data)
    data["urgency"] = "later"
    assert not PLAN.is_valid(data)


# -- $id, OpenAPI components, the other documents, a protocol's own schema ----------------------

SHIPPED: dict[str, Any] = {
    "assessment": bt.Assessment,
    "plan": bt.Plan,
    "odi score": bt.OdiScore,
    "start back score": bt.StartBackScore,
    "question": bt.Question,
    "problem document": bt.BacktriageError,
    "odi answers": "odi-answers",
    "start back answers": bt.StartBackAnswers,
}


@pytest.mark.parametrize("kind", SHIPPED.values(), ids=SHIPPED.keys())
def test_every_shipped_schema_is_valid_and_has_its_own_id(kind: Any) -> None:
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].startswith(_schema.BASE)  # type: ignore[attr-defined]


def test_the_ids_of_the_shipped_schemas_differ() -> None:
    ids = [json_schema(kind)["$id"] for kind in SHIPPED.values()]
    assert len(set(ids)) == len(ids)


def test_the_schemas_work_under_the_components_of_an_openapi_document() -> None:
    # OpenAPI 3.1 keeps schemas under components/schemas, where a tool reads them as schemas
    # (here: under $defs of another document). Their relative $refs must resolve against
    # their own $id, not against the document that holds them, which has no such $defs.
    components = {name: json_schema(kind) for name, kind in SHIPPED.items()}
    root = {"$defs": components, "$ref": "#/$defs/assessment"}
    validator = jsonschema.Draft202012Validator(root)
    assert validator.is_valid({"odi": {"walking": 2}, "red_flags": NO_FLAGS})
    assert not validator.is_valid({"odi": {"walking": 7}})
    assert not validator.is_valid({"odi": {"raw": 3}})  # the OdiScore $ref is followed


@given(assessments())
def test_every_question_odi_score_and_start_back_score_written_is_valid(
    assessment: bt.Assessment,
) -> None:
    if assessment.odi_score is not None:
        _validator(bt.OdiScore).validate(to_dict(assessment.odi_score))
    if assessment.start_back is not None:
        _validator(bt.StartBackScore).validate(to_dict(assessment.start_back))


def test_every_question_is_valid_and_reads_back() -> None:
    validator = _validator(bt.Question)
    for question in bt.questions():
        validator.validate(to_dict(question))
        assert serialize.from_dict(to_dict(question), bt.Question) == question


def test_the_odi_answers_schema_takes_both_forms() -> None:
    validator = _validator("odi-answers")
    assert validator.is_valid([1, 2, None, "not_applicable", [1, 2], 0, 0, 0, 0, 5])
    assert validator.is_valid({"walking": 2})
    assert not validator.is_valid({"traveling": 2})
    assert not validator.is_valid([1] * 9)


@pytest.mark.parametrize(
    "document",
    [{"red_flags": {"fever": "no"}, "age": 300}, {"odi": {"walking": 7}}, {"colour": "red"}],
)
def test_every_problem_document_is_valid(document: dict[str, object]) -> None:
    with pytest.raises(bt.BacktriageError) as info:
        serialize.from_dict(document, bt.Assessment)
    _validator(bt.BacktriageError).validate(info.value.to_problem())


PROTOCOL_SCHEMA = jsonschema.Draft202012Validator(
    json_schema(bt.Assessment, protocol=bt.default_protocol())
)


def test_the_schema_of_a_protocol_lists_its_red_flags_and_findings() -> None:
    schema = json_schema(bt.Assessment, protocol=bt.default_protocol())
    jsonschema.Draft202012Validator.check_schema(schema)
    properties: Any = schema["properties"]
    asked = bt.questions()
    assert list(properties["red_flags"]["properties"]) == [
        q.key for q in asked if q.kind is bt.QuestionKind.RED_FLAG
    ]
    listed = str(properties["findings"])
    for q in asked:
        if q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY):
            assert repr(q.key) in listed


@pytest.mark.parametrize(
    "document",
    [{"red_flags": {"fevr": False}}, {"findings": ["osteoporsis"]}],
    ids=["misspelt red flag", "misspelt finding"],
)
def test_the_schema_of_a_protocol_refuses_a_misspelt_key_as_recommend_does(
    document: dict[str, object],
) -> None:
    assert ASSESSMENT.is_valid(document)  # the general schema cannot know the keys
    assert not PROTOCOL_SCHEMA.is_valid(document)
    with pytest.raises(bt.InvalidAnswerError):
        bt.recommend(serialize.from_dict(document, bt.Assessment))


def test_the_example_assessment_is_valid_for_the_default_protocol() -> None:
    document = json.loads((EXAMPLES / "assessment.json").read_text(encoding="utf-8"))
    PROTOCOL_SCHEMA.validate(document)


def test_a_schema_for_something_else_than_a_protocol_is_refused() -> None:
    with pytest.raises(bt.InvalidAnswerError):
        json_schema(bt.Assessment, protocol="default")  # type: ignore[arg-type]


def test_the_schema_of_a_protocol_lists_findings_given_as_an_object_too() -> None:
    properties: dict[str, Any] = {"red_flags": {}, "findings": {"type": "object"}}
    _schema._restrict_to(bt.default_protocol(), properties)
    findings = properties["findings"]
    assert findings["additionalProperties"] is False
    assert "osteoporosis" in findings["properties"]
    assert findings["properties"]["osteoporosis"]["type"] == ["boolean", "null"]


def test_a_type_without_a_schema_is_told_every_type_that_has_one() -> None:
    with pytest.raises(TypeError) as caught:
        bt.json_schema(int)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.count("use ") == 1  # one sentence, not two run together
    for name in ("Assessment", "CheckIn", "Plan", "FollowUp", "Question", "SignOff"):
        assert name in message
    for kind in (bt.OdiScore, bt.StartBackScore, bt.OdiAnswers, bt.StartBackAnswers):
        assert kind.__name__ in message
        bt.json_schema(kind)  # every type it names has one
    with pytest.raises(TypeError, match=r"for a protocol; use Assessment$"):
        bt.json_schema(bt.Plan, protocol=bt.default_protocol())
