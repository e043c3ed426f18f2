"""FHIR R4 as plain dicts: ODI answers from a QuestionnaireResponse, a score as an Observation,
a plan as a CarePlan."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import fhir

SECTIONS = [section.value for section in bt.OdiSection]
NO_FLAGS = {q.key: False for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG}
# Everything else the default protocol requires (from 2.0.0): the age and the findings asked of
# everyone, answered no.
REQUIRED: dict[str, Any] = {
    "age": 40,
    "findings": {q.key: False for q in bt.questions() if q.kind == "finding" and q.required},
}


def response(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": list(items),
    } | fields


def item(link_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(answers)} if answers else {"linkId": link_id}


def integer(code: object) -> dict[str, Any]:
    return {"valueInteger": code}


def coding(code: object, system: object = fhir.ODI_STATEMENT_SYSTEM) -> dict[str, Any]:
    return {"valueCoding": {"system": system, "code": code}}


ALL_TWOS = response(*(item(f"odi-{i}", integer(2)) for i in range(1, 11)))

# -- QuestionnaireResponse in -------------------------------------------------------------------


def test_answers_are_read_by_odi_link_id_in_section_order() -> None:
    answers = fhir.read_questionnaire_response(
        response(*(item(f"odi-{i}", integer(i % 6)) for i in range(1, 11)))
    )
    assert list(answers) == SECTIONS
    assert list(answers.values()) == [1, 2, 3, 4, 5, 0, 1, 2, 3, 4]


def test_section_keys_and_codings_are_read_too() -> None:
    answers = fhir.read_questionnaire_response(
        response(item("walking", coding("3")), item("traveling", coding("0")))
    )
    assert answers["walking"] == 3
    assert answers["travelling"] == 0


def test_a_bare_code_without_a_system_is_refused_not_read_as_a_position() -> None:
    # A vendor's 1-based "1" read as a position would turn a true 36 % into 56 %.
    bare = {"valueCoding": {"code": "4", "display": "..."}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(item("odi-1", bare)))
    assert info.value.field == "odi-1"
    assert "Questionnaire" in str(info.value)
    assert "ordinalValue" in str(info.value)


def test_a_coding_of_another_system_is_refused_saying_to_translate_it() -> None:
    # A vendor's "1" may well mean the first statement: read as a position it would add a
    # point to every section.
    foreign = coding("1", "http://example.org/odi-1-based")
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(item("odi-2", foreign)))
    assert info.value.field == "odi-2"
    assert info.value.value == foreign["valueCoding"]
    message = str(info.value)
    assert "http://example.org/odi-1-based" in message
    assert fhir.ODI_STATEMENT_SYSTEM in message
    assert "translate" in message


def test_items_inside_groups_are_found() -> None:
    group = {"linkId": "odi", "text": "ODI", "item": [item("odi-4", integer(5))]}
    assert fhir.read_questionnaire_response(response(group))["walking"] == 5


def test_an_item_without_an_answer_or_no_item_at_all_is_unanswered() -> None:
    answers = fhir.read_questionnaire_response(response(item("odi-8"), item("odi-1", integer(1))))
    assert answers["sex_life"] is None
    assert answers["walking"] is None
    assert fhir.read_questionnaire_response(response()) == dict.fromkeys(SECTIONS)


def test_several_answers_are_several_marked_statements() -> None:
    # ODI: with more than one statement marked, the highest counts [S2].
    items = [item(f"odi-{i}", integer(1)) for i in range(1, 10)]
    items.append(item("odi-10", integer(2), integer(4)))
    score = fhir.score_questionnaire_response(response(*items))
    assert score.raw == 13
    assert score.multiple_marks == (bt.OdiSection.TRAVELLING,)


def test_a_response_scores_like_the_same_answers_given_directly() -> None:
    assert fhir.score_questionnaire_response(ALL_TWOS) == bt.score_odi([2] * 10)


def test_too_many_unanswered_items_cannot_be_scored() -> None:
    with pytest.raises(bt.IncompleteError):
        fhir.score_questionnaire_response(response(item("odi-1", integer(2))))
    score = fhir.score_questionnaire_response(response(item("odi-1", integer(2))), max_missing=9)
    assert score.answered == 1


BAD_ITEMS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown linkId": (item("odi-11", integer(1)), "odi-11"),
    "unknown answered group": (item("pain", integer(1)), "pain"),
    "code out of range": (item("odi-3", integer(6)), "odi-3"),
    "negative code": (item("odi-3", integer(-1)), "odi-3"),
    "true is not 1": (item("odi-3", integer(True)), "odi-3"),
    "code as a string": (item("odi-3", integer("3")), "odi-3"),
    "coding code out of range": (item("odi-3", coding("6")), "odi-3"),
    "coding code as a number": (item("odi-3", coding(3)), "odi-3"),
    "coding without a code": (item("odi-3", {"valueCoding": {"display": "3"}}), "odi-3"),
    "coding not an object": (item("odi-3", {"valueCoding": "3"}), "odi-3"),
    "coding of another system": (item("odi-3", coding("3", "http://example.org/odi")), "odi-3"),
    "coding of LOINC": (item("odi-3", coding("LA6568-5", fhir.LOINC_SYSTEM)), "odi-3"),
    "coding with a null system": (item("odi-3", coding("3", None)), "odi-3"),
    "a decimal with a fraction": (item("odi-3", {"valueDecimal": 3.5}), "odi-3"),
    "a decimal that is true": (item("odi-3", {"valueDecimal": True}), "odi-3"),
    "a bare code": (item("odi-3", {"valueCoding": {"code": "3"}}), "odi-3"),
    "a string without a questionnaire": (item("odi-3", {"valueString": "3"}), "odi-3"),
    "a boolean": (item("odi-3", {"valueBoolean": True}), "odi-3"),
    "two values in one answer": (item("odi-3", {"valueInteger": 3, "valueString": "3"}), "odi-3"),
    "answer not an object": (item("odi-3", 3), "odi-3"),  # type: ignore[arg-type]
    "answer with a key that is not a string": (item("odi-3", {1: 3}), "odi-3"),  # type: ignore[dict-item]
    "answers not a list": ({"linkId": "odi-3", "answer": {"valueInteger": 3}}, "odi-3"),
    "nested answer items": (
        item("odi-3", {"valueInteger": 3, "item": [item("x", integer(1))]}),
        "odi-3",
    ),
    "nested items": ({"linkId": "odi-3", "item": [item("odi-4", integer(1))]}, "odi-3"),
}


@pytest.mark.parametrize(("bad", "link_id"), BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_a_bad_item_is_refused_naming_its_link_id(bad: dict[str, Any], link_id: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(item("odi-1", integer(1)), bad))
    assert info.value.field == link_id


@pytest.mark.parametrize(
    "duplicate", [item("odi-3", integer(2)), item("lifting", integer(2))], ids=["same", "alias"]
)
def test_two_items_for_one_section_are_refused_naming_the_second(duplicate: Any) -> None:
    with pytest.raises(bt.InvalidAnswerError, match="already answered by item 'odi-3'") as info:
        fhir.read_questionnaire_response(response(item("odi-3", integer(1)), duplicate))
    assert info.value.field == duplicate["linkId"]


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ({"resourceType": "Observation"}, "resourceType"),
        ([], "resource"),
        (response(status="entered-in-error"), "status"),
        ({"resourceType": "QuestionnaireResponse", "item": []}, "status"),
        (response(status="Completed"), "status"),
        (response(status=None), "status"),
        (response() | {"item": {"linkId": "odi-1"}}, "item"),
        (response({"answer": [integer(1)]}), "item"),
    ],
    ids=[
        "other resource",
        "not an object",
        "entered in error",
        "no status",
        "not an R4 status",
        "null status",
        "items not a list",
        "no linkId",
    ],
)
def test_a_resource_that_is_not_a_usable_response_is_refused(resource: Any, field: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(resource)
    assert info.value.field == field


# -- QuestionnaireResponse out, and back --------------------------------------------------------

answer = st.one_of(
    st.integers(0, 5),
    st.none(),
    st.just("not_applicable"),
    st.lists(st.integers(0, 5), min_size=1, max_size=3),
)


@given(st.lists(answer, min_size=10, max_size=10))
def test_answers_written_as_a_response_read_back_to_the_same_score(answers: list[object]) -> None:
    written = fhir.to_questionnaire_response(answers)
    assert json.loads(json.dumps(written)) == written
    read = fhir.read_questionnaire_response(written)
    try:
        expected = bt.score_odi(answers, max_missing=10)
    except bt.IncompleteError:
        assert all(value is None for value in read.values())
    else:
        assert bt.score_odi(read, max_missing=10) == expected


def test_a_written_response_has_one_item_per_section_with_odi_link_ids() -> None:
    written = fhir.to_questionnaire_response(
        {"walking": 3, "sex_life": None, "lifting": [1, 4]},
        questionnaire="http://example.org/Questionnaire/odi",
        subject={"reference": "Patient/1"},
        authored="2024-01-02",
    )
    assert written["questionnaire"] == "http://example.org/Questionnaire/odi"
    assert written["subject"] == {"reference": "Patient/1"}
    assert written["authored"] == "2024-01-02"
    items = written["item"]
    assert [i["linkId"] for i in items] == [f"odi-{n}" for n in range(1, 11)]  # type: ignore[union-attr]
    assert items[3] == {"linkId": "odi-4", "text": "Walking", "answer": [{"valueInteger": 3}]}  # type: ignore[index]
    assert items[2]["answer"] == [{"valueInteger": 1}, {"valueInteger": 4}]  # type: ignore[index]
    assert "answer" not in items[7]  # type: ignore[operator]


class _Level(enum.IntEnum):
    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3
    WORSE = 4
    WORST = 5


def test_int_subclass_answers_are_written_as_plain_integers_and_score_the_same() -> None:
    answers = [_Level.WORST, [_Level.MILD, _Level.WORSE], *[_Level.MILD] * 8]
    written = fhir.to_questionnaire_response(answers)
    items = written["item"]
    assert items[0]["answer"] == [{"valueInteger": 5}]  # type: ignore[index]
    assert items[1]["answer"] == [{"valueInteger": 1}, {"valueInteger": 4}]  # type: ignore[index]
    value = items[0]["answer"][0]["valueInteger"]  # type: ignore[index]
    assert type(value) is int
    assert fhir.score_questionnaire_response(written) == bt.score_odi(answers)


class _Five(int):
    """An int subclass whose own conversion says 5, whatever its value."""

    def __int__(self) -> int:
        return 5


def test_an_answer_is_written_as_the_value_it_is_scored_by() -> None:
    answers = [_Five(0), [_Five(1), 2], *[0] * 8]
    written = fhir.to_questionnaire_response(answers)
    assert written["item"][0]["answer"] == [{"valueInteger": 0}]  # type: ignore[index]
    assert written["item"][1]["answer"] == [{"valueInteger": 1}, {"valueInteger": 2}]  # type: ignore[index]
    assert fhir.score_questionnaire_response(written) == bt.score_odi(answers)


def test_bad_answers_are_not_written() -> None:
    with pytest.raises(bt.InvalidAnswerError):
        fhir.to_questionnaire_response({"walking": 6})


# -- Observation out ----------------------------------------------------------------------------


def test_an_observation_holds_the_loinc_code_the_percent_and_the_band() -> None:
    score = bt.score_odi([2, 1, 2, 2, 2, 2, 1, None, 2, 2])  # 16 / 45 [S5]
    observation = fhir.to_observation(score)
    assert observation["resourceType"] == "Observation"
    assert observation["status"] == "final"
    assert observation["code"]["coding"] == [  # type: ignore[index]
        {
            "system": "http://loinc.org",
            "code": "97909-6",
            "display": "Oswestry disability index score ODI",
        }
    ]
    assert observation["valueQuantity"] == {
        "value": score.percent,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    (interpretation,) = observation["interpretation"]  # type: ignore[misc]
    assert interpretation["coding"] == [
        {"system": fhir.ODI_BAND_SYSTEM, "code": "moderate", "display": "Moderate disability"}
    ]
    assert "sex_life" in observation["note"][0]["text"]  # type: ignore[index]
    assert "derivedFrom" not in observation
    assert "subject" not in observation


def test_an_observation_is_derived_from_its_response_and_takes_its_subject_and_date() -> None:
    source = ALL_TWOS | {
        "id": "qr1",
        "subject": {"reference": "Patient/7"},
        "authored": "2024-05-06T07:08:09Z",
    }
    observation = fhir.to_observation(fhir.score_questionnaire_response(source), response=source)
    assert observation["derivedFrom"] == [{"reference": "QuestionnaireResponse/qr1"}]
    assert observation["subject"] == {"reference": "Patient/7"}
    assert observation["effectiveDateTime"] == "2024-05-06T07:08:09Z"
    assert "note" not in observation


def test_given_subject_and_date_win_and_a_response_without_id_is_referred_to_by_identifier() -> (
    None
):
    source = ALL_TWOS | {
        "identifier": {"system": "urn:x", "value": "9"},
        "subject": {"reference": "Patient/1"},
    }
    observation = fhir.to_observation(
        bt.score_odi([2] * 10),
        response=source,
        subject={"reference": "Patient/2"},
        effective="2024",
    )
    assert observation["derivedFrom"] == [
        {"type": "QuestionnaireResponse", "identifier": {"system": "urn:x", "value": "9"}}
    ]
    assert observation["subject"] == {"reference": "Patient/2"}
    assert observation["effectiveDateTime"] == "2024"


def test_multiple_marks_are_noted_on_the_observation() -> None:
    observation = fhir.to_observation(bt.score_odi([[1, 3]] + [1] * 9))
    assert "pain_intensity" in observation["note"][0]["text"]  # type: ignore[index]


def test_an_observation_needs_a_questionnaire_response_as_its_source() -> None:
    with pytest.raises(bt.InvalidAnswerError):
        fhir.to_observation(bt.score_odi([2] * 10), response={"resourceType": "Patient"})


# -- CarePlan out -------------------------------------------------------------------------------

PATIENT = {"reference": "Patient/1"}


def _care_plan(**changes: Any) -> tuple[bt.Plan, dict[str, Any]]:
    findings = REQUIRED["findings"] | dict.fromkeys(changes.pop("findings", ()), True)
    assessment = bt.Assessment(
        odi=[1] * 10,
        red_flags=NO_FLAGS | changes.pop("flags", {}),
        findings=findings,
        **({"age": REQUIRED["age"]} | changes),
    )
    plan = bt.recommend(assessment)
    return plan, fhir.to_care_plan(plan, subject=PATIENT, created="2024-01-01")


def _details(care_plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [activity["detail"] for activity in care_plan["activity"]]


def test_a_care_plan_is_a_proposal_for_the_subject() -> None:
    _, care_plan = _care_plan()
    assert care_plan["resourceType"] == "CarePlan"
    assert care_plan["intent"] == "proposal"
    assert care_plan["status"] == "active"
    assert care_plan["subject"] == PATIENT
    assert care_plan["created"] == "2024-01-01"
    assert json.loads(json.dumps(care_plan)) == care_plan


def test_every_exercise_is_an_activity_given_or_withheld_with_its_reasons() -> None:
    plan, care_plan = _care_plan(findings={"prone_lying_painful"})
    details = _details(care_plan)
    given_ids = [d["code"]["coding"][0]["code"] for d in details if d["doNotPerform"] is False]
    withheld = {d["code"]["coding"][0]["code"]: d for d in details if d["doNotPerform"] is True}
    assert given_ids == [p.exercise.id for p in plan.exercises]
    assert set(withheld) == {w.exercise.id for w in plan.withheld}
    reasons = withheld["prone_extension"]["reasonCode"]
    assert reasons[0]["coding"][0] == {
        "system": fhir.RULE_SYSTEM,
        "code": "prone_lying_painful_no_prone_extension",
        "display": next(w for w in plan.withheld if w.exercise.id == "prone_extension")
        .reasons[0]
        .text,
    }


def test_an_exercise_activity_describes_instructions_dosage_and_cautions() -> None:
    plan, care_plan = _care_plan(findings={"muscle_spasm"})
    prescription = next(p for p in plan.exercises if p.exercise.id == "standing_flexion")
    detail = next(
        d for d in _details(care_plan) if d["code"]["text"] == prescription.exercise.title
    )
    assert prescription.exercise.instructions in detail["description"]
    assert prescription.dosage in detail["description"]  # the dosage of its current step
    for caution in prescription.cautions:
        assert caution.text in detail["description"]


def test_no_referral_activity_when_nothing_is_urgent() -> None:
    _, care_plan = _care_plan()
    assert all(d.get("kind") != "ServiceRequest" for d in _details(care_plan))


@pytest.mark.parametrize(
    ("flags", "urgency"),
    [
        ({"ces_saddle_numbness": True}, "emergency"),
        ({"fever": True}, "same_day"),
    ],
    ids=["emergency", "same day"],
)
def test_an_urgent_plan_refers_and_lists_no_exercise_activity_at_all(
    flags: dict[str, bool], urgency: str
) -> None:
    # As the summary names none: "go now" must not come with a list of exercises, not even
    # as withheld ones.
    plan, care_plan = _care_plan(flags=flags)
    assert plan.urgency.value == urgency
    (referral,) = _details(care_plan)
    assert referral["kind"] == "ServiceRequest"
    assert referral["code"]["coding"][0]["code"] == urgency
    assert referral["description"] == plan.advice


def test_a_plan_with_unanswered_questions_is_a_draft_that_lists_them() -> None:
    plan, care_plan = _care_plan(flags={"fever": None})
    assert care_plan["status"] == "draft"
    # After the three notes of the safety net.
    assert plan.missing_questions[0] in care_plan["note"][3]["text"]


def test_the_care_plan_notes_the_protocol_rules_and_disclaimer() -> None:
    _, care_plan = _care_plan(findings={"muscle_spasm"})
    notes = " ".join(note["text"] for note in care_plan["note"])
    assert "backtriage-default" in notes
    assert "muscle_spasm_forward_bend_caution" in notes
    assert "not a diagnosis" in notes


def test_the_narrative_is_escaped_xhtml() -> None:
    plan, care_plan = _care_plan()
    div = care_plan["text"]["div"]
    assert div.startswith('<div xmlns="http://www.w3.org/1999/xhtml"><p>')
    assert "'Single knee hug'" not in div  # quotes and ampersands are escaped
    assert plan.advice in div


def test_supporting_information_is_referenced() -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))
    reference = {"reference": "QuestionnaireResponse/qr1"}
    care_plan = fhir.to_care_plan(plan, subject=PATIENT, supporting_info=[reference])
    assert care_plan["supportingInfo"] == [reference]
    assert "created" not in care_plan


def test_a_care_plan_takes_the_subject_of_the_response_it_came_from_and_refers_to_it() -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))
    source = {"resourceType": "QuestionnaireResponse", "id": "qr7", "status": "completed"}

    care_plan = fhir.to_care_plan(plan, response=source | {"subject": {"reference": "Patient/7"}})

    assert care_plan["subject"] == {"reference": "Patient/7"}
    assert care_plan["supportingInfo"] == [{"reference": "QuestionnaireResponse/qr7"}]


def test_a_given_subject_wins_over_the_response_and_the_link_is_not_repeated() -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))
    source = {
        "resourceType": "QuestionnaireResponse",
        "id": "qr7",
        "status": "completed",
        "subject": {"reference": "Patient/7"},
    }
    link = {"reference": "QuestionnaireResponse/qr7"}

    care_plan = fhir.to_care_plan(plan, subject=PATIENT, response=source, supporting_info=[link])

    assert care_plan["subject"] == PATIENT
    assert care_plan["supportingInfo"] == [link]


@pytest.mark.parametrize(
    "source",
    [None, {"resourceType": "QuestionnaireResponse", "status": "completed"}],
    ids=["no response", "a response without subject"],
)
def test_a_care_plan_without_any_known_subject_is_refused(source: dict[str, Any] | None) -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))

    with pytest.raises(bt.InvalidAnswerError) as caught:
        fhir.to_care_plan(plan, response=source)

    assert caught.value.field == "subject"
    assert "FHIR requires it" in str(caught.value)


def test_a_care_plan_is_not_made_from_a_resource_that_is_not_a_response() -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))

    with pytest.raises(bt.InvalidAnswerError):
        fhir.to_care_plan(plan, response={"resourceType": "Patient", "id": "p1"})


def test_a_response_in_progress_is_refused_unless_asked_for_to_show_it() -> None:
    in_progress = ALL_TWOS | {"status": "in-progress"}
    for read in (fhir.read_questionnaire_response, fhir.score_questionnaire_response):
        with pytest.raises(bt.InvalidAnswerError) as info:
            read(in_progress)
        assert info.value.field == "status"
        assert "completed" in str(info.value)
    shown = fhir.read_questionnaire_response(in_progress, in_progress=True)
    assert shown == dict.fromkeys(SECTIONS, 2)


@pytest.mark.parametrize("status", ["completed", "amended", "stopped"])
def test_a_finished_response_is_scored(status: str) -> None:
    score = fhir.score_questionnaire_response(ALL_TWOS | {"status": status})
    assert score == bt.score_odi([2] * 10)


def test_a_response_without_items_has_every_section_unanswered() -> None:
    bare = {"resourceType": "QuestionnaireResponse", "status": "completed"}
    assert fhir.read_questionnaire_response(bare) == dict.fromkeys(SECTIONS)


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"id": 5}, "id"), ({"id": ""}, "id"), ({"identifier": [{"value": "x"}]}, "identifier")],
    ids=["int id", "empty id", "identifier list"],
)
def test_a_response_with_a_malformed_id_is_refused_not_left_unreferenced(
    fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.to_observation(bt.score_odi([2] * 10), response=ALL_TWOS | fields)
    assert info.value.field == field


def test_an_observation_needs_an_odi_score() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.to_observation({"raw": 3})  # type: ignore[arg-type]
    assert info.value.field == "score"


def test_a_response_that_cannot_be_referred_to_gives_no_derived_from() -> None:
    observation = fhir.to_observation(bt.score_odi([2] * 10), response=ALL_TWOS)
    assert "derivedFrom" not in observation


MODIFIER = [{"url": "http://example.org/answer-is-negated", "valueBoolean": True}]


@pytest.mark.parametrize("level", ["resource", "item", "answer"])
def test_a_modifier_extension_is_refused_at_any_level(level: str) -> None:
    # FHIR: an unknown modifier extension must not be ignored; it may reverse the answer.
    items = [item(f"odi-{n}", integer(1)) for n in range(1, 11)]
    resource = response(*items)
    target = {"resource": resource, "item": items[2], "answer": items[2]["answer"][0]}[level]
    target["modifierExtension"] = MODIFIER
    with pytest.raises(bt.InvalidAnswerError) as caught:
        fhir.read_questionnaire_response(resource)
    assert "modifierExtension" in str(caught.value)
    if level != "resource":
        assert caught.value.field == "odi-3"


@pytest.mark.parametrize("subject", ["Patient/1", ["Patient/1"], {}, {"reference": 3}], ids=repr)
def test_a_subject_that_is_not_a_reference_is_refused_naming_it(subject: object) -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))
    calls = [
        lambda: fhir.to_care_plan(plan, subject=subject),  # type: ignore[arg-type]
        lambda: fhir.to_observation(bt.score_odi([1] * 10), subject=subject or 3),  # type: ignore[arg-type]
        lambda: fhir.to_questionnaire_response([1] * 10, subject=subject or 3),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(bt.InvalidAnswerError) as caught:
            call()
        assert caught.value.field == "subject"
        assert "Reference" in str(caught.value)
