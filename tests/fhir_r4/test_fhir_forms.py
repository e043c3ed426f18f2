"""The forms backtriage publishes, whole assessments read from the screening form, and the
STarT Back in FHIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import fhir
from backtriage.testing import strategies as bts

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
RED_FLAGS = [q.key for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG]
NO_FLAGS = dict.fromkeys(RED_FLAGS, False)
ITEMS = [item.value for item in bt.StartBackItem]
SCREENING_CANONICAL = "urn:backtriage:questionnaire:screening:backtriage-default|3.0.0"


def weights(item: dict[str, Any]) -> list[object]:
    return [
        next(e["valueDecimal"] for e in option["extension"] if e["url"] == ORDINAL_VALUE)
        for option in item["answerOption"]
    ]


def link_ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["linkId"] for item in items]


# -- the ODI and STarT Back forms ---------------------------------------------------------------


def test_the_odi_form_has_ten_coded_choice_items_weighted_0_to_5() -> None:
    form = fhir.odi_questionnaire()
    assert form["resourceType"] == "Questionnaire"
    assert form["code"][0]["code"] == fhir.ODI_QUESTIONNAIRE_CODE  # type: ignore[index]
    items: list[dict[str, Any]] = form["item"]  # type: ignore[assignment]
    assert link_ids(items) == [f"odi-{n}" for n in range(1, 11)]
    for item in items:
        assert item["type"] == "choice"
        assert weights(item) == [0, 1, 2, 3, 4, 5]
        codings = [option["valueCoding"] for option in item["answerOption"]]
        assert [c["code"] for c in codings] == ["0", "1", "2", "3", "4", "5"]
        assert {c["system"] for c in codings} == {fhir.ODI_STATEMENT_SYSTEM}
    assert items[0]["text"] == "Pain intensity"


def test_the_odi_form_ships_placeholders_unless_the_app_passes_its_licensed_texts() -> None:
    plain = fhir.odi_questionnaire()
    option = plain["item"][0]["answerOption"][2]["valueCoding"]  # type: ignore[index]
    assert "licensed wording supplied by the app" in option["display"]
    texts = {"odi-1": "Section 1: pain", "odi-1/2": "The app's licensed statement"}
    licensed = fhir.odi_questionnaire(texts=texts)
    item = licensed["item"][0]  # type: ignore[index]
    assert item["text"] == "Section 1: pain"
    assert item["answerOption"][2]["valueCoding"]["display"] == "The app's licensed statement"
    assert (
        item["answerOption"][3]["valueCoding"]["display"]
        == (
            plain["item"][0]["answerOption"][3]["valueCoding"]["display"]  # type: ignore[index]
        )
    )


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        ({"odi-11": "x"}, "texts"),
        ({"odi-1/6": "x"}, "texts"),
        ({"odi-1": ""}, "texts.odi-1"),
        ({"odi-1": 3}, "texts.odi-1"),
        (["odi-1"], "texts"),
    ],
    ids=["unknown item", "unknown option", "empty", "not a string", "not a mapping"],
)
def test_texts_for_items_the_form_does_not_have_are_refused(texts: object, field: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.odi_questionnaire(texts=texts)  # type: ignore[arg-type]
    assert info.value.field == field


def test_answers_given_as_the_published_forms_options_read_back_through_it() -> None:
    form = fhir.odi_questionnaire(
        texts={f"odi-{n}/{p}": f"S{n}.{p}" for n in range(1, 11) for p in range(6)}
    )
    positions = [3, 0, 5, 1, 2, 4, 0, 1, 2, 3]
    items = [
        {"linkId": f"odi-{n}", "answer": [{"valueString": f"S{n}.{p}"}]}
        for n, p in enumerate(positions, start=1)
    ]
    source = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": form["url"],
        "status": "completed",
        "item": items,
    }
    assert fhir.score_questionnaire_response(source, questionnaire=form) == bt.score_odi(positions)


def test_the_start_back_form_has_nine_items_with_item_nine_scoring_only_the_top_two() -> None:
    form = fhir.start_back_questionnaire()
    items: list[dict[str, Any]] = form["item"]  # type: ignore[assignment]
    assert link_ids(items) == [f"sbst-{n}" for n in range(1, 10)]
    for item in items[:8]:
        assert weights(item) == [0, 1]
        assert [o["valueCoding"]["code"] for o in item["answerOption"]] == ["disagree", "agree"]
    assert weights(items[8]) == [0, 0, 0, 1, 1]
    codes = [o["valueCoding"]["code"] for o in items[8]["answerOption"]]
    assert codes == [b.value for b in bt.instruments.start_back.Bothersomeness]
    assert "licensed wording supplied by the app" in items[0]["text"]
    assert "code" not in form  # no LOINC code for the tool was found
    named = fhir.start_back_questionnaire(texts={"sbst-9": "Overall, how bothersome?"})
    assert named["item"][8]["text"] == "Overall, how bothersome?"  # type: ignore[index]


# -- the screening form -------------------------------------------------------------------------


def test_the_screening_form_follows_the_questions_of_the_protocol() -> None:
    form = fhir.screening_questionnaire()
    items: list[dict[str, Any]] = form["item"]  # type: ignore[assignment]
    assert link_ids(items) == [q.key for q in bt.questions()]
    by_id = {item["linkId"]: item for item in items}
    for key in RED_FLAGS:
        assert by_id[key]["type"] == "boolean"
        assert by_id[key]["required"] is True
    assert by_id["osteoporosis"]["type"] == "boolean"
    assert by_id["single_knee_hug_tolerated"]["type"] == "boolean"
    assert by_id["odi"]["type"] == "group"
    assert link_ids(by_id["odi"]["item"]) == [f"odi-{n}" for n in range(1, 11)]
    assert link_ids(by_id["start_back"]["item"]) == [f"sbst-{n}" for n in range(1, 10)]
    assert [o["valueCoding"]["code"] for o in by_id["preference"]["answerOption"]] == [
        "extension",
        "flexion",
        "lateral",
    ]
    # Protocol 3.0.0 requires the age (a sudden start at 65 or over, and more) and eight
    # findings asked of everyone.
    assert (by_id["age"]["type"], by_id["age"]["required"]) == ("integer", True)
    assert by_id["osteoporosis"]["required"] is True


@pytest.fixture(scope="module")
def aged() -> bt.Protocol:
    """A protocol that requires the age: the default one, from 2.0.0 on."""
    protocol = bt.default_protocol()
    assert protocol.require_age
    return protocol


def test_a_protocol_that_uses_the_age_asks_it_as_an_integer_item(aged: bt.Protocol) -> None:
    items: list[dict[str, Any]] = fhir.screening_questionnaire(aged)["item"]  # type: ignore[assignment]
    (age,) = [item for item in items if item["linkId"] == "age"]
    assert age["type"] == "integer"
    assert age["required"] is True


def canonical(form: dict[str, Any]) -> str:
    return f"{form['url']}|{form['version']}"


def screening(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": SCREENING_CANONICAL,
        "status": "completed",
        "item": list(items),
    }


def flag_items(**changes: bool | None) -> list[dict[str, Any]]:
    items = []
    for key in RED_FLAGS:
        value = changes.get(key, False)
        item: dict[str, Any] = {"linkId": key}
        if value is not None:
            item["answer"] = [{"valueBoolean": value}]
        items.append(item)
    return items


ODI_GROUP = {
    "linkId": "odi",
    "item": [{"linkId": f"odi-{n}", "answer": [{"valueInteger": 1}]} for n in range(1, 11)],
}


def test_an_unanswered_red_flag_stays_unanswered_and_withholds_every_exercise() -> None:
    read = fhir.read_assessment(screening(*flag_items(fever=None), ODI_GROUP))
    assert "fever" not in read.red_flags or read.red_flags["fever"] is None
    plan = bt.recommend(read)
    assert "fever" in plan.missing
    assert plan.exercises == ()


def test_findings_preference_and_odi_are_read_from_the_screening_form() -> None:
    form = fhir.screening_questionnaire()
    source = screening(
        *flag_items(),
        ODI_GROUP,
        {"linkId": "osteoporosis", "answer": [{"valueBoolean": True}]},
        {"linkId": "poor_balance", "answer": [{"valueBoolean": False}]},
        {"linkId": "muscle_spasm"},
        {
            "linkId": "preference",
            "answer": [{"valueCoding": {"system": fhir.PREFERENCE_SYSTEM, "code": "flexion"}}],
        },
    )
    read = fhir.read_assessment(source, questionnaire=form)
    expected = bt.Assessment(
        odi=[1] * 10,
        red_flags=NO_FLAGS,
        findings={"osteoporosis": True, "poor_balance": False},
        preference="flexion",
    )
    assert bt.recommend(read) == bt.recommend(expected)
    assert read.preference is bt.Preference.FLEXION
    assert read.odi_score == bt.score_odi([1] * 10)
    assert read.start_back is None


def test_the_age_is_read_where_the_protocol_asks_it(aged: bt.Protocol) -> None:
    source = screening(
        *flag_items(), ODI_GROUP, {"linkId": "age", "answer": [{"valueInteger": 70}]}
    )
    assert fhir.read_assessment(source, protocol=aged).age == 70
    custom = bt.load_protocol(Path(__file__).parents[2] / "examples" / "custom_protocol.toml")
    flags = [
        {"linkId": q.key, "answer": [{"valueBoolean": False}]}
        for q in bt.questions(custom)
        if q.kind == "red_flag"
    ]
    unasked = screening(*flags, {"linkId": "age", "answer": [{"valueInteger": 70}]})
    unasked["questionnaire"] = canonical(fhir.screening_questionnaire(custom))
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(unasked, protocol=custom)  # this protocol does not ask it
    assert info.value.field == "age"


def test_a_start_back_answered_in_part_is_incomplete_not_guessed() -> None:
    group = {
        "linkId": "start_back",
        "item": [{"linkId": "sbst-1", "answer": [{"valueBoolean": True}]}],
    }
    with pytest.raises(bt.IncompleteError) as info:
        fhir.read_assessment(screening(*flag_items(), ODI_GROUP, group))
    assert "bothersomeness" in info.value.missing


SCREENING_BAD = {
    "unknown item": ({"linkId": "fevr", "answer": [{"valueBoolean": True}]}, "fevr"),
    "flag as a string": ({"linkId": "fever", "answer": [{"valueString": "yes"}]}, "fever"),
    "flag as an integer": ({"linkId": "fever", "answer": [{"valueInteger": 1}]}, "fever"),
    "two answers": (
        {"linkId": "fever", "answer": [{"valueBoolean": True}, {"valueBoolean": False}]},
        "fever",
    ),
    "age as a decimal": ({"linkId": "age", "answer": [{"valueDecimal": 40.0}]}, "age"),
    "foreign preference": (
        {"linkId": "preference", "answer": [{"valueCoding": {"code": "flexion"}}]},
        "preference",
    ),
    "group with an answer": (
        {"linkId": "odi", "answer": [{"valueInteger": 1}], "item": []},
        "odi",
    ),
    "nested under a flag": (
        {"linkId": "fever", "answer": [{"valueBoolean": True}], "item": [{"linkId": "x"}]},
        "fever",
    ),
}


@pytest.mark.parametrize(("bad", "field"), SCREENING_BAD.values(), ids=SCREENING_BAD.keys())
def test_a_bad_screening_item_is_refused_naming_its_link_id(
    bad: dict[str, Any], field: str
) -> None:
    items = [item for item in flag_items() if item["linkId"] != bad["linkId"]]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(screening(*items, bad))
    assert info.value.field == field


def test_an_item_given_twice_is_refused() -> None:
    with pytest.raises(bt.InvalidAnswerError, match="once") as info:
        fhir.read_assessment(screening(*flag_items(), *flag_items()[:1]))
    assert info.value.field == RED_FLAGS[0]


def test_a_screening_response_in_progress_is_refused() -> None:
    source = screening(*flag_items()) | {"status": "in-progress"}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(source)
    assert info.value.field == "status"


# -- writing an assessment as a response, and the round trip ------------------------------------

BOTHER = [b.value for b in bt.instruments.start_back.Bothersomeness]


@st.composite
def start_back_words(draw: st.DrawFn) -> dict[str, object]:
    answers: dict[str, object] = {key: draw(st.booleans()) for key in ITEMS[:8]}
    answers["bothersomeness"] = draw(st.sampled_from(BOTHER))
    return answers


@given(bts.assessments(complete=None), st.one_of(st.none(), start_back_words()))
def test_a_response_written_for_the_screening_form_gives_the_same_plan(
    assessment: bt.Assessment, start_back: dict[str, object] | None
) -> None:
    assessment = attrs.evolve(assessment, start_back=start_back)
    written = fhir.assessment_response(assessment, start_back=start_back)
    read = fhir.read_assessment(
        written,
        questionnaire=fhir.screening_questionnaire(),
        odi_max_missing=assessment.odi_max_missing,
    )
    assert bt.recommend(read) == bt.recommend(assessment)


def test_a_written_response_answers_the_screening_form_item_by_item() -> None:
    assessment = bt.Assessment(
        odi={"walking": [1, 3], "lifting": 2},
        red_flags=NO_FLAGS | {"fever": None},
        findings={"osteoporosis"},
        preference="extension",
    )
    written = fhir.assessment_response(
        assessment, subject={"reference": "Patient/1"}, authored="2024-01-02"
    )
    form = fhir.screening_questionnaire()
    assert written["questionnaire"] == f"{form['url']}|{form['version']}" == SCREENING_CANONICAL
    items = {item["linkId"]: item for item in written["item"]}  # type: ignore[attr-defined]
    assert "answer" not in items["fever"]
    assert items["ces_bladder"]["answer"] == [{"valueBoolean": False}]
    assert items["osteoporosis"]["answer"] == [{"valueBoolean": True}]
    assert "answer" not in items["poor_balance"]  # not known to be answered
    walking = items["odi"]["item"][3]
    assert [a["valueCoding"]["code"] for a in walking["answer"]] == ["1", "3"]
    assert "answer" not in items["odi"]["item"][0]
    assert all("answer" not in item for item in items["start_back"]["item"])
    assert written["subject"] == {"reference": "Patient/1"}
    assert written["authored"] == "2024-01-02"


@pytest.mark.parametrize(
    ("assessment", "options", "field"),
    [
        (bt.Assessment(odi=bt.score_odi([1] * 10)), {}, "odi"),
        (bt.Assessment(red_flags={"fevr": True}), {}, "red_flags.fevr"),
        (bt.Assessment(findings={"osteoprosis"}), {}, "findings.osteoprosis"),
        (bt.Assessment(start_back=dict.fromkeys(ITEMS, 0)), {}, "start_back"),
        (
            bt.Assessment(start_back=dict.fromkeys(ITEMS, 0)),
            {"start_back": dict.fromkeys(ITEMS, 1)},
            "start_back",
        ),
        (
            bt.Assessment(start_back=dict.fromkeys(ITEMS, 0)),
            {"start_back": dict.fromkeys(ITEMS, 0)},
            "bothersomeness",
        ),
        (bt.Assessment(), {"subject": "Patient/1"}, "subject"),
        ("not an assessment", {}, "assessment"),
    ],
    ids=[
        "odi as a score",
        "unknown red flag",
        "unknown finding",
        "start back without answers",
        "start back answers of another score",
        "bothersomeness as a score",
        "subject not a reference",
        "not an assessment",
    ],
)
def test_what_cannot_be_written_faithfully_is_refused(
    assessment: Any, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.assessment_response(assessment, **options)
    assert info.value.field == field


# -- STarT Back ---------------------------------------------------------------------------------


def start_back_response(*items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items)}


def agree(link_id: str, value: bool) -> dict[str, Any]:
    code = "agree" if value else "disagree"
    return {
        "linkId": link_id,
        "answer": [{"valueCoding": {"system": fhir.START_BACK_ANSWER_SYSTEM, "code": code}}],
    }


def bother(code: str) -> dict[str, Any]:
    return {
        "linkId": "sbst-9",
        "answer": [
            {"valueCoding": {"system": fhir.START_BACK_BOTHERSOMENESS_SYSTEM, "code": code}}
        ],
    }


@given(st.lists(st.booleans(), min_size=8, max_size=8), st.sampled_from(BOTHER))
def test_a_start_back_response_scores_like_its_answers(
    agreed: list[bool], bothersomeness: str
) -> None:
    items = [agree(f"sbst-{n}", value) for n, value in enumerate(agreed, start=1)]
    score = fhir.score_start_back_response(start_back_response(*items, bother(bothersomeness)))
    answers: dict[str, object] = dict(zip(ITEMS, agreed, strict=False))
    answers["bothersomeness"] = bothersomeness
    assert score == bt.score_start_back(answers)


def test_start_back_answers_in_other_shapes_are_read_by_what_they_declare() -> None:
    # Booleans for items 1-8, the item score as an integer, a vendor coding through its form.
    vendor = "http://vendor.example.org/sbst"
    form = {
        "resourceType": "Questionnaire",
        "status": "active",
        "item": [
            {
                "linkId": "q9",
                "answerOption": [
                    {
                        "valueCoding": {"system": vendor, "code": str(n)},
                        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": int(n >= 4)}],
                    }
                    for n in range(1, 6)
                ],
            },
            *({"linkId": f"sbst-{n}"} for n in range(1, 9)),
        ],
    }
    items = [{"linkId": f"sbst-{n}", "answer": [{"valueBoolean": n > 4}]} for n in range(1, 8)]
    items.append({"linkId": "sbst-8", "answer": [{"valueInteger": 1}]})
    items.append({"linkId": "q9", "answer": [{"valueCoding": {"system": vendor, "code": "5"}}]})
    score = fhir.score_start_back_response(
        start_back_response(*items), questionnaire=form, link_ids={"q9": "bothersomeness"}
    )
    assert (score.total, score.psychosocial) == (5, 5)
    assert score.risk is bt.StartBackRisk.HIGH
    read = fhir.read_start_back_response(start_back_response(*items[:8]))
    assert read == dict.fromkeys(ITEMS[:4], 0) | dict.fromkeys(ITEMS[4:8], 1) | {
        "bothersomeness": None
    }


START_BACK_BAD = {
    "boolean for item 9": ({"linkId": "sbst-9", "answer": [{"valueBoolean": True}]}, "sbst-9"),
    "integer 2": ({"linkId": "sbst-1", "answer": [{"valueInteger": 2}]}, "sbst-1"),
    "bare code": ({"linkId": "sbst-1", "answer": [{"valueCoding": {"code": "1"}}]}, "sbst-1"),
    "agree for item 9": (
        {
            "linkId": "sbst-9",
            "answer": [{"valueCoding": {"system": fhir.START_BACK_ANSWER_SYSTEM, "code": "agree"}}],
        },
        "sbst-9",
    ),
    "two answers": (
        {"linkId": "sbst-1", "answer": [{"valueBoolean": True}, {"valueBoolean": False}]},
        "sbst-1",
    ),
    "unknown item": ({"linkId": "sbst-10", "answer": [{"valueBoolean": True}]}, "sbst-10"),
    "item twice": ({"linkId": "leg_pain", "answer": [{"valueBoolean": True}]}, "leg_pain"),
    "nested items": ({"linkId": "sbst-2", "item": [{"linkId": "x"}]}, "sbst-2"),
    "unknown item in a group": (
        {"linkId": "page", "item": [{"linkId": "q", "answer": [{"valueBoolean": True}]}]},
        "q",
    ),
}


@pytest.mark.parametrize(("bad", "field"), START_BACK_BAD.values(), ids=START_BACK_BAD.keys())
def test_a_bad_start_back_item_is_refused_naming_its_link_id(
    bad: dict[str, Any], field: str
) -> None:
    first = {"linkId": "sbst-1", "answer": [{"valueBoolean": False}]}
    items = [bad] if bad["linkId"] == "sbst-1" else [first, bad]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_start_back_response(start_back_response(*items))
    assert info.value.field == field


def test_other_items_and_bad_link_ids_in_a_start_back_response() -> None:
    source = start_back_response({"linkId": "note", "answer": [{"valueString": "x"}]})
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_start_back_response(source)
    assert info.value.field == "note"
    assert fhir.read_start_back_response(source, other_items="ignore") == dict.fromkeys(ITEMS)
    for bad, field in (({"q": "legs"}, "link_ids.q"), ({"q": 1}, "link_ids"), ("q", "link_ids")):
        with pytest.raises(bt.InvalidAnswerError) as info:
            fhir.read_start_back_response(source, link_ids=bad)  # type: ignore[arg-type]
        assert info.value.field == field


def test_a_start_back_score_is_written_as_an_observation_with_its_risk() -> None:
    score = bt.score_start_back(dict.fromkeys(ITEMS, 1))
    source = start_back_response() | {"id": "sb1", "subject": {"reference": "Patient/3"}}
    observation = fhir.to_observation(score, response=source)
    coding = observation["code"]["coding"][0]  # type: ignore[index]
    assert coding["system"] == fhir.START_BACK_SCORE_SYSTEM
    assert coding["code"] == "total"
    assert coding["display"]
    assert observation["valueInteger"] == 9
    assert observation["component"][0]["valueInteger"] == 5  # type: ignore[index]
    assert observation["interpretation"][0]["coding"][0]["code"] == "high"  # type: ignore[index]
    assert observation["derivedFrom"] == [{"reference": "QuestionnaireResponse/sb1"}]
    assert observation["subject"] == {"reference": "Patient/3"}


def test_instrument_items_outside_their_groups_and_other_groups_are_read_too() -> None:
    odi_items = [{"linkId": f"odi-{n}", "answer": [{"valueInteger": 2}]} for n in range(1, 11)]
    start_back_items = [agree(f"sbst-{n}", True) for n in range(1, 9)]
    section = {"linkId": "safety", "item": flag_items()}
    source = screening(section, *odi_items, *start_back_items, bother("extremely"))
    read = fhir.read_assessment(source)
    assert read.odi_score == bt.score_odi([2] * 10)
    assert read.start_back == bt.score_start_back(
        dict.fromkeys(ITEMS[:8], True) | {"bothersomeness": "extremely"}
    )
    assert read.red_flags == NO_FLAGS


def test_an_unanswered_preference_or_age_is_not_known(aged: bt.Protocol) -> None:
    source = screening(*flag_items(), ODI_GROUP, {"linkId": "preference"}, {"linkId": "age"})
    read = fhir.read_assessment(source, protocol=aged)
    assert read.preference is None
    assert read.age is None
    assert "age" in bt.recommend(read, protocol=aged).missing


def test_the_age_is_written_where_the_protocol_asks_it(aged: bt.Protocol) -> None:
    assessment = bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, age=67)
    written = fhir.assessment_response(assessment, protocol=aged)
    (age,) = [item for item in written["item"] if item["linkId"] == "age"]  # type: ignore[attr-defined]
    assert age["answer"] == [{"valueInteger": 67}]
    assert fhir.read_assessment(written, protocol=aged).age == 67


def test_findings_are_written_as_answered_and_unknown_ones_left_unanswered() -> None:
    assessment = bt.Assessment(
        odi=[1] * 10,
        red_flags=NO_FLAGS,
        findings={"osteoporosis": True, "poor_balance": False, "muscle_spasm": None},
    )
    items = {item["linkId"]: item for item in fhir.assessment_response(assessment)["item"]}  # type: ignore[attr-defined]
    assert items["osteoporosis"]["answer"] == [{"valueBoolean": True}]
    assert items["poor_balance"]["answer"] == [{"valueBoolean": False}]
    assert "answer" not in items["muscle_spasm"]
    assert "answer" not in items["cannot_kneel"]
    read = fhir.read_assessment(fhir.assessment_response(assessment))
    assert bt.recommend(read) == bt.recommend(assessment)


@pytest.mark.parametrize(
    "age", [{"valueDecimal": 40.0}, {"valueInteger": 131}, {"valueInteger": True}]
)
def test_an_age_that_is_not_whole_years_is_refused(aged: bt.Protocol, age: dict[str, Any]) -> None:
    source = screening(*flag_items(), ODI_GROUP, {"linkId": "age", "answer": [age]})
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(source, protocol=aged)
    assert info.value.field == "age"


def test_an_odi_group_with_nothing_answered_is_an_odi_not_asked() -> None:
    empty = {"linkId": "odi", "item": [{"linkId": f"odi-{n}"} for n in range(1, 11)]}
    read = fhir.read_assessment(screening(*flag_items(), empty))
    assert read.odi is None
    assert "odi" in bt.recommend(read).missing


def words_for(score: bt.StartBackScore) -> dict[str, object]:
    """Answers that give ``score``: the first items of each subscale agreed."""
    bothersome = score.psychosocial >= 1
    psychosocial = score.psychosocial - bothersome
    physical = score.total - score.psychosocial
    answers: dict[str, object] = {key: n < physical for n, key in enumerate(ITEMS[:4])}
    answers |= {key: n < psychosocial for n, key in enumerate(ITEMS[4:8])}
    answers["bothersomeness"] = "extremely" if bothersome else "slightly"
    assert bt.score_start_back(answers) == score
    return answers


@given(st.data())
def test_the_round_trip_holds_for_any_protocol(data: st.DataObject) -> None:
    # Generated protocols have required findings, ages, STarT Back and preference rules.
    protocol = data.draw(bts.protocols())
    assessment = data.draw(bts.assessments(protocol, complete=None))
    asked = {question.key for question in bt.questions(protocol)}
    # Refused where the form does not ask them (see the test below).
    if "start_back" not in asked:
        assessment = attrs.evolve(assessment, start_back=None)
    if "preference" not in asked:
        assessment = attrs.evolve(assessment, preference=None)
    start_back = None
    if assessment.start_back is not None:
        start_back = words_for(assessment.start_back)
    written = fhir.assessment_response(assessment, protocol=protocol, start_back=start_back)
    read = fhir.read_assessment(
        written,
        questionnaire=fhir.screening_questionnaire(protocol),
        protocol=protocol,
        odi_max_missing=assessment.odi_max_missing,
    )
    assert bt.recommend(read, protocol=protocol) == bt.recommend(assessment, protocol=protocol)


def test_a_start_back_or_preference_the_form_does_not_ask_is_refused_and_an_age_not_written() -> (
    None
):
    # The plan reports a STarT Back given to it, so a response without it would change the
    # plan; an age the protocol does not use changes nothing.
    root = Path(__file__).parents[2]
    protocol = bt.load_protocol(root / "examples" / "custom_protocol.toml")
    flags = {"saddle_numbness": False, "fever": False, "not_improving": False}
    answers = dict.fromkeys(ITEMS[:8], False) | {"bothersomeness": "slightly"}
    assessment = bt.Assessment(odi=[1] * 10, red_flags=flags, start_back=answers, age=50)
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.assessment_response(assessment, protocol=protocol, start_back=answers)
    assert info.value.field == "start_back"
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.assessment_response(
            attrs.evolve(assessment, start_back=None, preference="flexion"), protocol=protocol
        )
    assert info.value.field == "preference"
    written = fhir.assessment_response(attrs.evolve(assessment, start_back=None), protocol=protocol)
    assert [item["linkId"] for item in written["item"]] == [  # type: ignore[attr-defined]
        "saddle_numbness",
        "fever",
        "not_improving",
        "odi",
        "poor_balance",
        "short_walk_tolerated",
    ]
    read = fhir.read_assessment(written, protocol=protocol)
    assert bt.recommend(read, protocol=protocol) == bt.recommend(
        attrs.evolve(assessment, start_back=None), protocol=protocol
    )
