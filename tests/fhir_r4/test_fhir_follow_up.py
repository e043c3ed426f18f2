"""Follow-up in FHIR: the check-in form and its reader, the pain Observation, the CarePlan's
steps; every resource validates with fhir.resources (R4B models stand in for R4)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

import backtriage as bt
from answers_support import NO_FLAGS, REQUIRED
from backtriage import fhir

PATIENT = {"reference": "Patient/1"}


@pytest.fixture(scope="module")
def plan() -> bt.Plan:
    return bt.recommend(
        bt.Assessment(odi=[2] * 10, red_flags=NO_FLAGS, findings=REQUIRED, age=40, pain=6)
    )


def _answer(link_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [value]}


def _response(plan: bt.Plan, *, pain: int = 4, during: int = 1) -> dict[str, Any]:
    reports = [
        {
            "linkId": p.exercise.id,
            "item": [
                _answer(f"{p.exercise.id}.done", {"valueBoolean": True}),
                _answer(f"{p.exercise.id}.pain_during", {"valueInteger": during}),
                _answer(
                    f"{p.exercise.id}.next_morning",
                    {"valueCoding": {"system": fhir.NEXT_MORNING_SYSTEM, "code": "same"}},
                ),
            ],
        }
        for p in plan.exercises
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            *(_answer(key, {"valueBoolean": False}) for key in NO_FLAGS),
            _answer("pain", {"valueInteger": pain}),
            _answer("days", {"valueInteger": 7}),
            {"linkId": "exercises", "item": reports},
        ],
    }


def test_the_check_in_form_validates_and_asks_every_red_flag_and_exercise(plan: bt.Plan) -> None:
    form = fhir.check_in_questionnaire(plan)
    Questionnaire.model_validate(form)
    link_ids = {item["linkId"] for item in form["item"]}
    assert set(NO_FLAGS) <= link_ids
    assert {"pain", "days", "exercises"} <= link_ids
    (group,) = (item for item in form["item"] if item["linkId"] == "exercises")
    assert [g["linkId"] for g in group["item"]] == [p.exercise.id for p in plan.exercises]
    assert all(item["required"] for item in form["item"] if item["linkId"] in NO_FLAGS)


def test_a_check_in_response_is_read_into_a_check_in(plan: bt.Plan) -> None:
    response = _response(plan)
    QuestionnaireResponse.model_validate(response)
    check_in = fhir.read_check_in(response, questionnaire=fhir.check_in_questionnaire(plan))
    assert check_in.pain == 4
    assert check_in.days == 7
    assert check_in.red_flags == NO_FLAGS
    assert set(check_in.exercises) == {p.exercise.id for p in plan.exercises}
    follow = bt.follow_up(plan, check_in)
    assert {d.kind for d in follow.steps} == {bt.StepKind.PROGRESS}


def test_an_unanswered_red_flag_in_a_check_in_response_stays_unanswered(plan: bt.Plan) -> None:
    response = _response(plan)
    response["item"] = response["item"][1:]
    check_in = fhir.read_check_in(response)
    assert bt.follow_up(plan, check_in).plan.missing


def test_a_bad_pain_in_a_check_in_response_names_its_item(plan: bt.Plan) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_check_in(_response(plan, pain=11))
    assert "pain" in info.value.path
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_check_in(_response(plan, during=12))
    assert "pain_during" in info.value.path


def test_the_pain_observation_is_coded_loinc_72514_3() -> None:
    observation = fhir.to_pain_observation(7, subject=PATIENT, effective="2026-12-07")
    Observation.model_validate(observation)
    assert observation["code"]["coding"][0]["code"] == "72514-3"
    assert observation["valueInteger"] == 7
    for bad in (11, True, "7"):
        with pytest.raises(bt.InvalidAnswerError):
            fhir.to_pain_observation(bad)  # type: ignore[arg-type]


def test_the_care_plan_shows_each_exercises_step(plan: bt.Plan) -> None:
    check_in = fhir.read_check_in(_response(plan))
    following = bt.follow_up(plan, check_in).plan
    care_plan = fhir.to_care_plan(following, subject=PATIENT)
    CarePlan.model_validate(care_plan)
    steps = {p.exercise.id: p for p in following.exercises}
    shown = 0
    for activity in care_plan["activity"]:
        detail = activity["detail"]
        exercise_id = detail["code"]["coding"][0]["code"]
        if exercise_id in steps and not detail["doNotPerform"]:
            extension = {e["url"]: e["valueInteger"] for e in detail["extension"]}
            assert extension[fhir.STEP_EXTENSION] == steps[exercise_id].step + 1
            assert extension[fhir.STEPS_EXTENSION] == steps[exercise_id].steps
            assert steps[exercise_id].dosage in detail["description"]
            shown += 1
    assert shown == len(steps)
