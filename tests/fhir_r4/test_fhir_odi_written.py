"""An assessment's ODI as a written screening response: an ODI with nothing answered is written
as such, and one held only as a score is refused, naming what it holds and what is needed."""

from __future__ import annotations

import pytest

import backtriage as bt
from backtriage import fhir

RED_FLAGS = [q.key for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG]
NO_FLAGS = dict.fromkeys(RED_FLAGS, False)


def odi_answers(written: dict[str, object]) -> list[object]:
    items = {item["linkId"]: item for item in written["item"]}  # type: ignore[attr-defined]
    return [item.get("answer") for item in items["odi"]["item"]]


@pytest.mark.parametrize("odi", [{}, [None] * 10], ids=["mapping", "list"])
def test_an_odi_with_nothing_answered_is_written_unanswered_and_read_back(odi: object) -> None:
    assessment = bt.Assessment(odi=odi, red_flags=NO_FLAGS)  # type: ignore[arg-type]
    written = fhir.assessment_response(assessment)
    assert odi_answers(written) == [None] * 10
    read = fhir.read_assessment(written, questionnaire=fhir.screening_questionnaire())
    assert bt.recommend(read) == bt.recommend(assessment)


def test_an_odi_held_only_as_a_score_cannot_be_written() -> None:
    score = bt.score_odi([2] * 10)
    with pytest.raises(bt.InvalidAnswerError) as caught:
        fhir.assessment_response(bt.Assessment(odi=score, red_flags=NO_FLAGS))
    error = caught.value
    assert (error.field, error.value) == ("odi", score)
    assert error.allowed == (
        "the ODI answers: an assessment holding only a score cannot be written"
    )


def odi_response(values: list[int]) -> dict[str, object]:
    items = [
        {"linkId": f"odi-{n}", "answer": [{"valueInteger": value}]}
        for n, value in enumerate(values, start=1)
    ]
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}


def test_an_answer_off_the_0_5_scale_names_the_1_6_scale_as_the_way_to_read_it() -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        fhir.score_questionnaire_response(odi_response([6] + [1] * 9))
    error = caught.value
    assert (error.field, error.value) == ("odi-1", 6)
    assert error.allowed == (
        "a whole number 0 to 5 (the statement, 0 first); a form that numbers its statements "
        "1 to 6 is read with scale='1-6'"
    )


def test_an_answer_off_the_1_6_scale_names_that_scale_alone() -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        fhir.score_questionnaire_response(odi_response([0] + [1] * 9), scale="1-6")
    error = caught.value
    assert (error.field, error.value) == ("odi-1", 0)
    assert error.allowed == "a whole number 1 to 6 (the statement, 1 first)"
