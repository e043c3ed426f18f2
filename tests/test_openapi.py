"""The schemas in an OpenAPI 3.1 document, and the FastAPI example service that uses them."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from openapi_spec_validator import validate

import backtriage as bt
from backtriage import _schema, fhir
from backtriage.serialize import json_schema, to_dict
from script_support import load_script
from test_serialize import plans

ROOT = Path(__file__).parent.parent
EXAMPLE = json.loads((ROOT / "examples" / "assessment.json").read_text(encoding="utf-8"))


def _document(**paths: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "an app", "version": "1"},
        "paths": paths,
        "components": bt.openapi_components(),
    }


def _operation(request: str, response: str) -> dict[str, Any]:
    def content(name: str) -> dict[str, Any]:
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}

    return {
        "post": {
            "requestBody": {"content": content(request)},
            "responses": {"200": {"description": "ok", "content": content(response)}},
        }
    }


def _validator(name: str) -> jsonschema.Draft202012Validator:
    # The components resolve against the document that holds them, as in an OpenAPI document.
    root = {"$ref": f"#/components/schemas/{name}", "components": bt.openapi_components()}
    return jsonschema.Draft202012Validator(root)


def test_the_components_pass_the_openapi_validator_in_a_real_document() -> None:
    validate(  # raises on the first problem
        _document(
            **{
                "/plans": _operation("AssessmentDocument", "PlanDocument"),
                "/odi": _operation("OdiAnswersDocument", "OdiScoreDocument"),
                "/start-back": _operation("StartBackAnswersDocument", "StartBackScoreDocument"),
                "/problem": _operation("QuestionDocument", "ProblemDocument"),
            }
        )
    )


def test_every_shared_definition_is_the_same_in_every_shipped_schema() -> None:
    seen: dict[str, tuple[str, object]] = {}
    for file, build in _schema._BUILDERS.items():
        for name, definition in build().get("$defs", {}).items():  # type: ignore[union-attr]
            first = seen.setdefault(name, (file, definition))
            assert first[1] == definition, f"{name}: {first[0]} and {file} differ"


def test_no_reference_of_the_components_points_outside_them() -> None:
    text = json.dumps(bt.openapi_components())
    names = set(bt.openapi_components()["schemas"])  # type: ignore[call-overload]
    assert "$defs" not in text
    assert '"$id"' not in text
    for reference in text.split('"$ref": "')[1:]:
        target = reference.split('"', 1)[0]
        assert target.removeprefix("#/components/schemas/") in names, target


def test_each_document_component_is_its_shipped_schema() -> None:
    components = bt.openapi_components()["schemas"]  # type: ignore[call-overload]
    plan = json_schema(bt.Plan)
    assert set(components["PlanDocument"]["properties"]) == set(plan["properties"])  # type: ignore[call-overload]


@given(plans())
def test_every_plan_backtriage_writes_is_valid_against_the_component(plan: bt.Plan) -> None:
    _validator("PlanDocument").validate(to_dict(plan))


def test_the_example_assessment_and_answers_are_valid_against_the_components() -> None:
    _validator("AssessmentDocument").validate(EXAMPLE)
    _validator("OdiAnswersDocument").validate({"lifting": 2, "sex_life": None})
    _validator("OdiAnswersDocument").validate([1, 2, 1, 2, 1, 2, 1, 2, 1, [2, 3]])
    assert not _validator("OdiAnswersDocument").is_valid({"lifting": 7})
    assert not _validator("AssessmentDocument").is_valid({"odi": {"raw": 3}})


# -- the FastAPI example service ----------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> ModuleType:
    pytest.importorskip("fastapi")
    return load_script("examples/fastapi_service.py")


@pytest.fixture(scope="module")
def client(service: ModuleType) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(service.app)


def test_the_service_openapi_document_is_valid(service: ModuleType) -> None:
    spec = service.app.openapi()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert "PlanDocument" in spec["components"]["schemas"]


def test_the_service_lists_the_questions(client: Any) -> None:
    answered = client.get("/questions")

    assert answered.status_code == 200
    assert [q["key"] for q in answered.json()] == [q.key for q in bt.questions()]


def test_the_service_makes_a_valid_plan(client: Any) -> None:
    answered = client.post("/plans", content=json.dumps(EXAMPLE))

    assert answered.status_code == 200
    _validator("PlanDocument").validate(answered.json())
    plan = bt.recommend(bt.from_dict(EXAMPLE, bt.Assessment))
    assert answered.json() == to_dict(plan)


@pytest.mark.parametrize(
    "body",
    [
        '{"lifting": 5, "lifting": 1}',  # a repeated key: never the last one silently
        '{"lifting": true}',
        '{"lifting": "3"}',
        "not json",
    ],
)
def test_the_service_refuses_bad_odi_answers_with_a_problem_document(
    client: Any, body: str
) -> None:
    answered = client.post("/odi-scores", content=body)

    assert answered.status_code == 422
    assert answered.headers["content-type"] == "application/problem+json"
    _validator("ProblemDocument").validate(answered.json())
    assert 'lifting": 5' not in answered.text


def test_the_service_problem_document_holds_no_answer(client: Any) -> None:
    broken = EXAMPLE | {"red_flags": EXAMPLE["red_flags"] | {"fever": "feverish-417"}}

    answered = client.post("/plans", content=json.dumps(broken))

    assert answered.status_code == 422
    assert answered.json()["errors"][0]["path"] == "$.red_flags.fever"
    assert "feverish-417" not in answered.text


def test_the_service_scores_odi_answers(client: Any) -> None:
    answered = client.post("/odi-scores", content=json.dumps([1] * 10))

    assert answered.status_code == 200
    assert answered.json()["percent_rounded"] == 20
    _validator("OdiScoreDocument").validate(answered.json())


def test_the_service_makes_a_care_plan_for_the_patient_of_the_response(client: Any) -> None:
    example = {key: value for key, value in EXAMPLE.items() if key != "start_back"}
    response = fhir.assessment_response(
        bt.from_dict(example, bt.Assessment), subject={"reference": "Patient/9"}
    )

    answered = client.post("/care-plans", json=response | {"id": "qr9"})

    assert answered.status_code == 200
    assert answered.json()["subject"] == {"reference": "Patient/9"}
    assert answered.json()["supportingInfo"] == [{"reference": "QuestionnaireResponse/qr9"}]
