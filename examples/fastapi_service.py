"""A small FastAPI service around backtriage: questions, plans, ODI scores and FHIR CarePlans.

Run from the repository root: ``python examples/fastapi_service.py`` calls every route once
through FastAPI's test client and prints what came back; ``uvicorn examples.fastapi_service:app``
serves it (``pip install fastapi uvicorn``). Bodies are read with ``bt.from_json``, never with
``json.loads``: a key sent twice, ``"3"`` for ``3`` or ``true`` for a score is refused with the
path of the answer. Every refusal is an RFC 9457 problem document (``application/problem+json``)
that holds no answer the person gave, so the service may log it as it is. The OpenAPI document
(``/openapi.json``) describes the bodies with backtriage's own schemas
(``bt.openapi_components()``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

import backtriage as bt
from backtriage import fhir

HERE = Path(__file__).parent
PROBLEM = "application/problem+json"

app = FastAPI(title="backtriage example service", version=bt.__version__)


@app.exception_handler(bt.BacktriageError)
async def problem(_: Request, error: bt.BacktriageError) -> JSONResponse:
    """Answer every refusal with its problem document; it carries no answer, so it may be logged."""
    document = error.to_problem(status=422)
    return JSONResponse(document, status_code=422, media_type=PROBLEM)


def _schema(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _schema(name)}},
        }
    }


def _answers(name: str) -> dict[str, Any]:
    return {
        "200": {"description": "Done.", "content": {"application/json": {"schema": _schema(name)}}},
        "422": {
            "description": "Refused.",
            "content": {PROBLEM: {"schema": _schema("ProblemDocument")}},
        },
    }


@app.get("/questions", responses=_answers("QuestionList"))
def questions() -> list[dict[str, object]]:
    """Return what the app must ask, in order, from the shipped protocol."""
    return [_without_version(bt.to_dict(question)) for question in bt.questions()]


@app.post("/plans", openapi_extra=_body("AssessmentDocument"), responses=_answers("PlanDocument"))
async def plan(request: Request) -> dict[str, object]:
    """Return the plan of a POSTed assessment."""
    assessment = bt.from_json(await request.body(), bt.Assessment)
    return bt.to_dict(bt.recommend(assessment))


@app.post(
    "/odi-scores", openapi_extra=_body("OdiAnswersDocument"), responses=_answers("OdiScoreDocument")
)
async def odi_score(request: Request) -> dict[str, object]:
    """Return the score of POSTed ODI answers (at most one section missing)."""
    answers = bt.from_json(await request.body(), bt.OdiAnswers)
    return bt.to_dict(bt.score_odi(answers))


@app.post(
    "/care-plans", openapi_extra=_body("QuestionnaireResponse"), responses=_answers("CarePlan")
)
async def care_plan(request: Request) -> dict[str, object]:
    """Return the CarePlan for a POSTed response to the screening Questionnaire."""
    response = json.loads(await request.body())
    assessment = fhir.read_assessment(response, questionnaire=fhir.screening_questionnaire())
    return fhir.to_care_plan(bt.recommend(assessment), response=response)


def _without_version(document: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in document.items() if key != "schema_version"}


def openapi() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document, its bodies described by backtriage's own schemas."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(bt.openapi_components()["schemas"])  # type: ignore[call-overload]
        schemas["QuestionList"] = {"type": "array", "items": _schema("QuestionDocument")}
        # FHIR resources are described by FHIR's own definitions; here only their kind.
        for kind in ("QuestionnaireResponse", "CarePlan"):
            schemas[kind] = {
                "type": "object",
                "properties": {"resourceType": {"const": kind}},
                "required": ["resourceType"],
            }
        app.openapi_schema = spec
    return app.openapi_schema


app.openapi = openapi  # type: ignore[method-assign]


def main() -> None:
    """Call every route once through the test client and print what it answered."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    print("questions:", len(client.get("/questions").json()))
    answered = client.post("/plans", content=(HERE / "assessment.json").read_bytes())
    print("plan:", answered.status_code, answered.json()["urgency"])
    score = client.post(
        "/odi-scores",
        content='{"pain_intensity": 2, "lifting": 3, '
        '"walking": 1, "sitting": 2, "standing": 2, "sleeping": 1, '
        '"personal_care": 1, "social_life": 2, "travelling": 2}',
    )
    print("odi:", score.status_code, score.json()["percent_rounded"], score.json()["band"])
    twice = client.post("/odi-scores", content='{"lifting": 5, "lifting": 1}')
    print("odi sent twice:", twice.status_code, twice.headers["content-type"])
    # The screening form as an EHR would send it (here without the STarT Back, which a form
    # carries as its nine answers and the example assessment only as a score).
    example = json.loads((HERE / "assessment.json").read_text(encoding="utf-8"))
    example.pop("start_back", None)
    assessment = bt.from_dict(example, bt.Assessment)
    form = fhir.assessment_response(assessment, subject={"reference": "Patient/1"})
    made = client.post("/care-plans", json=form | {"id": "qr1"})
    print("care plan:", made.status_code, made.json()["status"], made.json()["subject"])
    print("paths:", ", ".join(sorted(app.openapi()["paths"])))


if __name__ == "__main__":
    main()
