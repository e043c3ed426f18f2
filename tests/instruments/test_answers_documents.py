"""Answers as documents: ODI and STarT Back answers read strictly from JSON, then scored."""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsonschema
import pytest
from hypothesis import given

import backtriage as bt
from backtriage.instruments.start_back import Bothersomeness
from backtriage.testing import strategies as bts


def _as_document(answers: object) -> bt.OdiAnswers:
    if isinstance(answers, Mapping):
        return bt.OdiAnswers(**{str(key): value for key, value in answers.items()})
    return bt.from_dict(list(answers), bt.OdiAnswers)  # type: ignore[call-overload]


@given(bts.odi_answers(max_missing=2, multiple_marks=True))
def test_a_document_scores_as_the_answers_it_was_made_from(answers: object) -> None:
    document = _as_document(answers)

    assert bt.score_odi(document, max_missing=2) == bt.score_odi(answers, max_missing=2)  # type: ignore[arg-type]


@given(bts.odi_answers(max_missing=2, multiple_marks=True))
def test_an_odi_answers_document_round_trips_through_json(answers: object) -> None:
    document = _as_document(answers)
    text = bt.to_json(document)

    assert bt.from_json(text, bt.OdiAnswers) == document
    jsonschema.validate(json.loads(text), bt.json_schema(bt.OdiAnswers))


def test_a_repeated_section_in_an_odi_answers_document_is_refused() -> None:
    # json.loads would keep the last value: a 1 read where the person first said 5.
    text = '{"pain_intensity": 5, "lifting": 2, "pain_intensity": 1}'

    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.from_json(text, bt.OdiAnswers)

    assert info.value.field == "$"
    assert "repeated" in str(info.value)


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"lifting": True}, "$.lifting"),
        ({"lifting": "3"}, "$.lifting"),
        ({"lifting": 2.0}, "$.lifting"),
        ({"lifting": 6}, "$.lifting"),
        ({"lifting": []}, "$.lifting"),
        ({"lifting": [1, 7]}, "$.lifting"),
        ({"traveling": 2}, "$.traveling"),
    ],
    ids=repr,
)
def test_a_bad_odi_answer_in_a_document_is_refused_with_its_path(
    document: dict[str, object], path: str
) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.from_json(json.dumps(document), bt.OdiAnswers)

    assert info.value.field == path


def test_the_ten_answers_in_order_are_read_as_a_document_too() -> None:
    document = bt.from_json("[1, 2, 1, 2, 1, 2, 1, null, 1, [2, 3]]", bt.OdiAnswers)

    assert document.sex_life is None
    assert document.travelling == (2, 3)
    assert bt.score_odi(document).multiple_marks == (bt.OdiSection.TRAVELLING,)


def test_not_applicable_is_kept_as_unanswered() -> None:
    document = bt.from_json('{"sex_life": "not_applicable", "lifting": 3}', bt.OdiAnswers)

    assert document.sex_life is None
    assert bt.to_dict(document)["sex_life"] is None


def test_an_odi_document_with_too_few_answers_is_read_but_not_scored() -> None:
    document = bt.from_json('{"lifting": 3}', bt.OdiAnswers)

    with pytest.raises(bt.IncompleteError):
        bt.score_odi(document)


def test_a_list_of_the_wrong_length_is_not_an_odi_answers_document() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.from_json("[1, 2, 3]", bt.OdiAnswers)

    assert info.value.field == "$"


def test_a_fhir_response_is_written_from_a_document() -> None:
    from backtriage import fhir

    document = bt.OdiAnswers(lifting=(1, 2), walking=3)

    response = fhir.to_questionnaire_response(document)

    answers = {item["linkId"]: item.get("answer") for item in response["item"]}  # type: ignore[union-attr]
    assert answers["odi-3"] == [{"valueInteger": 1}, {"valueInteger": 2}]
    assert answers["odi-4"] == [{"valueInteger": 3}]
    assert answers["odi-1"] is None


ALL_DISAGREE = dict.fromkeys((item.value for item in bt.StartBackItem), False)


@given(bts.start_back_answers())
def test_a_start_back_document_scores_as_its_answers_and_round_trips(
    answers: Mapping[object, object],
) -> None:
    document = bt.StartBackAnswers(**{str(key): value for key, value in answers.items()})
    text = bt.to_json(document)

    assert bt.score_start_back(document) == bt.score_start_back(answers)  # type: ignore[arg-type]
    assert bt.from_json(text, bt.StartBackAnswers) == document
    jsonschema.validate(json.loads(text), bt.json_schema(bt.StartBackAnswers))


def test_a_repeated_item_in_a_start_back_document_is_refused() -> None:
    text = json.dumps(ALL_DISAGREE)[:-1] + ', "leg_pain": true}'

    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.from_json(text, bt.StartBackAnswers)

    assert "repeated" in str(info.value)


@pytest.mark.parametrize(
    ("item", "answer"),
    [("leg_pain", 2), ("leg_pain", "agree"), ("leg_pain", 1.0), ("bothersomeness", 4)],
    ids=repr,
)
def test_a_bad_start_back_answer_is_refused_with_its_path(item: str, answer: object) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        bt.from_json(json.dumps(ALL_DISAGREE | {item: answer}), bt.StartBackAnswers)

    assert info.value.field == f"$.{item}"


def test_bothersomeness_is_read_by_its_answer_and_slightly_does_not_score() -> None:
    document = bt.from_json(
        json.dumps(ALL_DISAGREE | {"bothersomeness": "slightly"}), bt.StartBackAnswers
    )

    assert document.bothersomeness is Bothersomeness.SLIGHTLY
    assert bt.score_start_back(document).total == 0


def test_an_unanswered_start_back_item_is_read_but_not_scored() -> None:
    document = bt.from_json(json.dumps(ALL_DISAGREE | {"low_mood": None}), bt.StartBackAnswers)

    with pytest.raises(bt.IncompleteError) as info:
        bt.score_start_back(document)

    assert "low_mood" in str(info.value)
