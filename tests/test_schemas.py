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


def _validator(cls: type[bt.Assessment] | type[bt.Plan]) -> jsonschema.Draft202012Validator:
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
    assert sorted(p.name for p in written) == ["assessment.schema.json", "plan.schema.json"]
    assert json.loads(written[0].read_text(encoding="utf-8")) == _schema.assessment_schema()


@pytest.mark.parametrize("cls", [bt.Assessment, bt.Plan])
def test_each_schema_is_a_valid_draft_2020_12_schema(cls: Any) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(cls))


def test_the_schemas_carry_the_schema_version_of_the_converter() -> None:
    for cls in (bt.Assessment, bt.Plan):
        properties = json_schema(cls)["properties"]
        version = properties["schema_version"]  # type: ignore[index]
        assert version["enum"] == [*serialize.READABLE_SCHEMA_VERSIONS]
        assert max(version["enum"]) == serialize.SCHEMA_VERSION


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
    "schema version 3": {"schema_version": 3},
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
