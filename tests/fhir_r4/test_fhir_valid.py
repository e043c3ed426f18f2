"""Every resource backtriage writes validates with a maintained FHIR library.

``fhir.resources`` 8 models FHIR R5 by default and R4B (4.3.0) in ``fhir.resources.R4B``; plain
R4 (4.0.1) was last modelled by fhir.resources 6.1.0 (pydantic 1, no longer maintained). The
resources written here (Questionnaire, QuestionnaireResponse, Observation, CarePlan) have the
same elements in R4 and R4B, so the R4B models stand in for R4. A test dependency only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import fhir
from backtriage.testing import strategies as bts

PATIENT = {"reference": "Patient/1"}
BOTHER = [b.value for b in bt.instruments.start_back.Bothersomeness]


def codings(resource: object) -> Iterator[dict[str, Any]]:
    """Yield every Coding in a resource (every member of a ``coding`` list)."""
    if isinstance(resource, dict):
        for key, value in resource.items():
            if key == "coding":
                yield from value
            else:
                yield from codings(value)
    elif isinstance(resource, list):
        for value in resource:
            yield from codings(value)


def test_the_validator_refuses_what_r4_does_not_allow() -> None:
    # The check below is only worth something if the models are strict.
    observation = fhir.to_observation(bt.score_odi([1] * 10))
    with pytest.raises(ValueError, match="extra"):
        Observation.model_validate(observation | {"valueScore": 3})
    with pytest.raises(ValueError, match="code"):
        Observation.model_validate({k: v for k, v in observation.items() if k != "code"})


# -- Questionnaire ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def aged() -> bt.Protocol:
    """A protocol that requires the age: the default one, from 2.0.0."""
    protocol = bt.default_protocol()
    assert protocol.require_age
    return protocol


def test_the_published_forms_are_valid_questionnaires(aged: bt.Protocol) -> None:
    licensed = {"odi-1": "Pain", "odi-1/0": "Statement"}
    for form in (
        fhir.odi_questionnaire(),
        fhir.odi_questionnaire(texts=licensed),
        fhir.start_back_questionnaire(),
        fhir.start_back_questionnaire(texts={"sbst-1/1": "Agree"}),
        fhir.screening_questionnaire(),
        fhir.screening_questionnaire(aged),
    ):
        Questionnaire.model_validate(form)
        assert all(coding.get("display") for coding in codings(form))


# -- QuestionnaireResponse ----------------------------------------------------------------------

odi_answer = st.one_of(
    st.integers(0, 5), st.none(), st.lists(st.integers(0, 5), min_size=1, max_size=3)
)


@given(st.lists(odi_answer, min_size=10, max_size=10))
def test_written_odi_responses_are_valid(answers: list[object]) -> None:
    written = fhir.to_questionnaire_response(answers, subject=PATIENT, authored="2024-01-02")
    QuestionnaireResponse.model_validate(written)


@st.composite
def start_back_words(draw: st.DrawFn) -> dict[str, object]:
    answers: dict[str, object] = {
        item.value: draw(st.booleans()) for item in list(bt.StartBackItem)[:8]
    }
    answers["bothersomeness"] = draw(st.sampled_from(BOTHER))
    return answers


@given(bts.assessments(complete=None), st.one_of(st.none(), start_back_words()))
def test_written_screening_responses_are_valid(
    assessment: bt.Assessment, start_back: dict[str, object] | None
) -> None:
    assessment = attrs.evolve(assessment, start_back=start_back)
    written = fhir.assessment_response(
        assessment, start_back=start_back, subject=PATIENT, authored="2024-01-02T10:00:00Z"
    )
    QuestionnaireResponse.model_validate(written)


# -- Observation --------------------------------------------------------------------------------


@given(bts.odi_answers(max_missing=2, multiple_marks=True))
def test_odi_observations_are_valid_and_every_coding_has_a_display(answers: Any) -> None:
    score = bt.score_odi(answers, max_missing=2)
    source = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "id": "qr1",
        "subject": PATIENT,
        "authored": "2024-01-02",
    }
    observation = fhir.to_observation(score, response=source)
    Observation.model_validate(observation)
    assert all(coding.get("display") for coding in codings(observation))


@given(bts.start_back_answers())
def test_start_back_observations_are_valid_and_every_coding_has_a_display(answers: Any) -> None:
    observation = fhir.to_observation(bt.score_start_back(answers), subject=PATIENT)
    Observation.model_validate(observation)
    assert all(coding.get("display") for coding in codings(observation))


# -- CarePlan -----------------------------------------------------------------------------------


@given(bts.assessments(complete=None))
def test_care_plans_are_valid_and_urgent_ones_list_no_exercise(assessment: bt.Assessment) -> None:
    plan = bt.recommend(assessment)
    care_plan = fhir.to_care_plan(
        plan,
        subject=PATIENT,
        created="2024-01-02",
        supporting_info=[{"reference": "QuestionnaireResponse/qr1"}],
    )
    CarePlan.model_validate(care_plan)
    assert all(coding.get("display") for coding in codings(care_plan))
    exercise_activities = [
        activity
        for activity in care_plan["activity"]  # type: ignore[attr-defined]
        if activity["detail"].get("kind") != "ServiceRequest"
    ]
    if plan.urgency >= bt.Urgency.SAME_DAY:
        assert exercise_activities == []
    else:
        assert len(exercise_activities) == len(plan.exercises) + len(plan.withheld)


def test_an_emergency_care_plan_is_valid_and_lists_only_the_referral() -> None:
    flags = {q.key: False for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG}
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=flags | {"ces_bladder": True}))
    care_plan = fhir.to_care_plan(plan, subject=PATIENT)
    CarePlan.model_validate(care_plan)
    assert [a["detail"]["kind"] for a in care_plan["activity"]] == ["ServiceRequest"]  # type: ignore[attr-defined]
