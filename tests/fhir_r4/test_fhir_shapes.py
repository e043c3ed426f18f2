"""ODI answers the way real forms send them: every shape gives the published score or a clear
InvalidAnswerError, never another number."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import fhir

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fhir"
ORDINAL = "access_ig_odi_qr_ordinalValue_74423b_redacted.json"
DECIMAL = "access_ig_odi_qr_valueDecimal_f63227.json"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
CO_VALUE = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
VENDOR = "http://vendor.example.org/odi-answers"
# The CMS ACCESS Model IG example answers: 2,1,2,1,2,2,1,2,3,2 = 18 of 50, 36 %.
IG_POSITIONS = [2, 1, 2, 1, 2, 2, 1, 2, 3, 2]


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def response(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": list(items),
    } | fields


def answered(link_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(answers)}


def odi_response(values: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A response whose item odi-N holds the Nth answer value."""
    return response(*(answered(f"odi-{n}", v) for n, v in enumerate(values, start=1)), **fields)


def ordinal(weight: float, url: str = ORDINAL_VALUE) -> list[dict[str, Any]]:
    return [{"url": url, "valueDecimal": weight}]


def vendor_questionnaire(
    weights: range = range(6), *, coded: bool = True, url: str | None = None
) -> dict[str, Any]:
    """A vendor's ODI form: codes A0..A5 of its own system (or display texts only), weighted."""

    def option(position: int, weight: int) -> dict[str, Any]:
        coding: dict[str, Any] = {"display": f"Statement text {position}"}
        if coded:
            coding |= {"system": VENDOR, "code": f"A{position}"}
        return {"valueCoding": coding, "extension": ordinal(weight)}

    items = [
        {
            "linkId": f"odi-{n}",
            "type": "choice",
            "answerOption": [option(p, w) for p, w in enumerate(weights)],
        }
        for n in range(1, 11)
    ]
    questionnaire: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "status": "active",
        "item": items,
    }
    if url is not None:
        questionnaire["url"] = url
    return questionnaire


def vendor_coding(position: int) -> dict[str, Any]:
    return {"valueCoding": {"system": VENDOR, "code": f"A{position}"}}


# -- the published examples ---------------------------------------------------------------------


def test_the_ordinal_example_reads_as_38_percent_with_its_own_score_item() -> None:
    # Its ordinal values (2,1,3,1,2,2,1,2,3,2 = 19 of 50) and its score item (38) agree; its
    # narrative's 36 is the IG's own slip.
    example = fixture(ORDINAL)
    score = fhir.score_questionnaire_response(example, score_link_id="score")
    assert score.raw == 19
    assert score.percent == 38.0
    assert fhir.score_questionnaire_response(example, other_items="ignore") == score


def test_the_ordinal_example_is_refused_while_its_score_item_is_unknown() -> None:
    # Nothing in the response says what "score" is: refusing it is the safe default.
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(fixture(ORDINAL))
    assert info.value.field == "score"
    assert "other_items='ignore'" in str(info.value)


def test_the_decimal_example_reads_as_36_percent_checked_by_its_loinc_coded_score() -> None:
    example = fixture(DECIMAL)
    score = fhir.score_questionnaire_response(example)
    assert score == bt.score_odi(IG_POSITIONS)
    assert score.percent == 36.0


def test_a_form_score_more_than_half_a_point_off_is_refused_naming_both_values() -> None:
    example = fixture(DECIMAL)
    example["item"][-1]["answer"][0]["valueCoding"]["extension"][0]["valueDecimal"] = 56
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(example)
    assert info.value.field == "score"
    assert "56 %" in str(info.value)
    assert "36.0 %" in str(info.value)
    with pytest.raises(bt.InvalidAnswerError):
        fhir.read_questionnaire_response(example)


@pytest.mark.parametrize(("stated", "agrees"), [(36.5, True), (35.5, True), (36.51, False)])
def test_a_form_score_within_half_a_point_is_accepted(stated: float, agrees: bool) -> None:
    values = [{"valueDecimal": p} for p in IG_POSITIONS]
    source = odi_response(values)
    source["item"].append(answered("total", {"valueDecimal": stated}))
    if agrees:
        score = fhir.score_questionnaire_response(source, score_link_id="total")
        assert score.percent == 36.0
    else:
        with pytest.raises(bt.InvalidAnswerError, match=r"36\.51 %"):
            fhir.score_questionnaire_response(source, score_link_id="total")


def test_the_ordinal_example_read_by_its_own_ordinal_values_ignores_the_redacted_display() -> None:
    answers = fhir.read_questionnaire_response(fixture(ORDINAL), score_link_id="score")
    assert answers["lifting"] == 3


# -- numbers ------------------------------------------------------------------------------------


def test_whole_decimals_are_read_like_integers() -> None:
    values = [{"valueDecimal": float(p)} for p in IG_POSITIONS]
    assert fhir.score_questionnaire_response(odi_response(values)) == bt.score_odi(IG_POSITIONS)


@pytest.mark.parametrize("bad", [2.5, float("nan"), float("inf"), True, "2", None, 6.0, -1.0])
def test_a_decimal_that_is_no_statement_is_refused(bad: object) -> None:
    values = [{"valueDecimal": p} for p in IG_POSITIONS]
    values[4] = {"valueDecimal": bad}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(odi_response(values))
    assert info.value.field == "odi-5"


def test_a_six_in_a_zero_based_form_hints_at_the_one_based_scale() -> None:
    values = [{"valueInteger": p + 1} for p in IG_POSITIONS]
    values[0] = {"valueInteger": 6}
    with pytest.raises(bt.InvalidAnswerError, match="scale='1-6'"):
        fhir.score_questionnaire_response(odi_response(values))


def test_integers_of_a_one_based_form_are_read_with_scale_1_6() -> None:
    values = [{"valueInteger": p + 1} for p in IG_POSITIONS]
    score = fhir.score_questionnaire_response(odi_response(values), scale="1-6")
    assert score.percent == 36.0
    values[0] = {"valueInteger": 0}
    with pytest.raises(bt.InvalidAnswerError, match="1 to 6"):
        fhir.score_questionnaire_response(odi_response(values), scale="1-6")


# -- codings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE])
def test_a_coding_is_read_by_its_own_weight_extension(url: str) -> None:
    values = [
        {"valueCoding": {"display": "[redacted]", "extension": ordinal(p, url)}}
        for p in IG_POSITIONS
    ]
    assert fhir.score_questionnaire_response(odi_response(values)).percent == 36.0


def test_one_based_bare_codes_are_refused_never_read_as_positions() -> None:
    # The case: a vendor's 1-based codes without a system. Read as positions, a true
    # 36 % (moderate) came out as 56 % (severe).
    values = [{"valueCoding": {"code": str(p + 1)}} for p in IG_POSITIONS]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(odi_response(values))
    assert info.value.field == "odi-1"
    assert "without a system" in str(info.value)


def test_vendor_codes_are_read_through_their_questionnaire_and_refused_without_it() -> None:
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    score = fhir.score_questionnaire_response(source, questionnaire=vendor_questionnaire())
    assert score.percent == 36.0
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source)
    assert info.value.field == "odi-1"
    assert VENDOR in str(info.value)


def test_a_code_the_questionnaire_does_not_offer_is_refused() -> None:
    values = [vendor_coding(p) for p in IG_POSITIONS]
    values[2] = {"valueCoding": {"system": VENDOR, "code": "A9"}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(
            odi_response(values), questionnaire=vendor_questionnaire()
        )
    assert info.value.field == "odi-3"
    assert "system and code" in str(info.value)


def test_a_code_of_the_right_value_but_another_system_does_not_match() -> None:
    values = [vendor_coding(p) for p in IG_POSITIONS]
    values[0] = {"valueCoding": {"system": "http://other.example.org", "code": "A2"}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(
            odi_response(values), questionnaire=vendor_questionnaire()
        )
    assert info.value.field == "odi-1"


def test_a_one_to_six_questionnaire_is_refused_unless_scale_1_6_is_passed() -> None:
    form = vendor_questionnaire(range(1, 7))
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "odi-1"
    assert "scale='1-6'" in str(info.value)
    assert "never shifted silently" in str(info.value)
    score = fhir.score_questionnaire_response(source, questionnaire=form, scale="1-6")
    assert score.percent == 36.0


def test_a_zero_to_five_questionnaire_is_refused_under_scale_1_6() -> None:
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    with pytest.raises(bt.InvalidAnswerError, match="weighted 1 to 6"):
        fhir.score_questionnaire_response(source, questionnaire=vendor_questionnaire(), scale="1-6")


@pytest.mark.parametrize(
    "weights",
    [[0, 1, 2, 3, 4, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6], [0, 2, 4, 6, 8, 10]],
    ids=["repeated", "five", "seven", "doubled"],
)
def test_a_questionnaire_whose_weights_do_not_run_0_to_5_is_refused(weights: list[int]) -> None:
    form = vendor_questionnaire(weights)  # type: ignore[arg-type]
    source = odi_response([{"valueInteger": p} for p in IG_POSITIONS])
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "odi-1"


def test_codings_are_matched_by_display_where_the_options_carry_no_code() -> None:
    form = vendor_questionnaire(coded=False)
    values = [{"valueCoding": {"display": f"Statement text {p}"}} for p in IG_POSITIONS]
    score = fhir.score_questionnaire_response(odi_response(values), questionnaire=form)
    assert score.percent == 36.0


def test_an_ordinal_value_and_the_questionnaire_must_agree() -> None:
    form = vendor_questionnaire(coded=False)
    values = [
        {"valueCoding": {"display": f"Statement text {p}", "extension": ordinal(p)}}
        for p in IG_POSITIONS
    ]
    assert fhir.score_questionnaire_response(odi_response(values), questionnaire=form).raw == 18
    values[1] = {"valueCoding": {"display": "Statement text 1", "extension": ordinal(2)}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)
    assert info.value.field == "odi-2"
    assert "agree" in str(info.value)


def test_our_own_code_system_is_read_as_the_position_and_checked_against_an_ordinal() -> None:
    values = [
        {"valueCoding": {"system": fhir.ODI_STATEMENT_SYSTEM, "code": str(p)}} for p in IG_POSITIONS
    ]
    assert fhir.score_questionnaire_response(odi_response(values)).percent == 36.0
    values[0]["valueCoding"]["extension"] = ordinal(3)
    with pytest.raises(bt.InvalidAnswerError, match="agree"):
        fhir.score_questionnaire_response(odi_response(values))


def test_two_weight_extensions_that_disagree_are_refused() -> None:
    values = [{"valueInteger": p} for p in IG_POSITIONS]
    values[0] = {
        "valueCoding": {"extension": [*ordinal(2), *ordinal(3, ITEM_WEIGHT)], "display": "x"}
    }
    with pytest.raises(bt.InvalidAnswerError, match="disagree"):
        fhir.score_questionnaire_response(odi_response(values))


@pytest.mark.parametrize(
    "extension",
    [
        {"url": ORDINAL_VALUE, "valueString": "2"},
        {"url": ORDINAL_VALUE, "valueDecimal": True},
        {"url": ORDINAL_VALUE},
        "ordinal",
    ],
    ids=["string", "true", "no value", "not an object"],
)
def test_a_malformed_weight_extension_is_refused(extension: object) -> None:
    values = [{"valueInteger": p} for p in IG_POSITIONS]
    values[0] = {"valueCoding": {"extension": [extension], "display": "x"}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(odi_response(values))
    assert info.value.field == "odi-1"


# -- strings ------------------------------------------------------------------------------------


def string_questionnaire() -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "item": [
            {
                "linkId": f"odi-{n}",
                "type": "choice",
                "answerOption": [
                    {"valueString": f"Statement {p} of section {n}", "extension": ordinal(p)}
                    for p in range(6)
                ],
            }
            for n in range(1, 11)
        ],
    }


def test_statement_strings_are_read_through_the_questionnaire_option_texts() -> None:
    values = [
        {"valueString": f"Statement {p} of section {n}"}
        for n, p in enumerate(IG_POSITIONS, start=1)
    ]
    score = fhir.score_questionnaire_response(
        odi_response(values), questionnaire=string_questionnaire()
    )
    assert score.percent == 36.0


@pytest.mark.parametrize(
    "text", ["statement 2 of section 1", "Statement 2 of section 1 ", "Statement 2"]
)
def test_a_string_is_matched_exactly_or_refused(text: str) -> None:
    values = [
        {"valueString": f"Statement {p} of section {n}"}
        for n, p in enumerate(IG_POSITIONS, start=1)
    ]
    values[0] = {"valueString": text}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(
            odi_response(values), questionnaire=string_questionnaire()
        )
    assert info.value.field == "odi-1"


def test_a_string_matching_two_options_is_ambiguous_and_refused() -> None:
    form = string_questionnaire()
    form["item"][0]["answerOption"][1]["valueString"] = "Statement 0 of section 1"
    values = [{"valueInteger": p} for p in IG_POSITIONS]
    values[0] = {"valueString": "Statement 0 of section 1"}
    with pytest.raises(bt.InvalidAnswerError, match="one option"):
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)


def test_a_string_matching_an_option_without_weight_is_refused() -> None:
    form = string_questionnaire()
    for option in form["item"][0]["answerOption"]:
        del option["extension"]
    values = [{"valueInteger": p} for p in IG_POSITIONS]
    values[0] = {"valueString": "Statement 2 of section 1"}
    with pytest.raises(bt.InvalidAnswerError, match="ordinalValue"):
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)


# -- linkIds, other items, the questionnaire ---------------------------------------------------


def test_link_ids_map_a_forms_own_link_ids_to_sections_in_nested_groups() -> None:
    group = {
        "linkId": "/odi",
        "item": [answered(f"/odi/q{n}", {"valueInteger": p}) for n, p in enumerate(IG_POSITIONS)],
    }
    mapping = {f"/odi/q{n}": section.value for n, section in enumerate(bt.OdiSection)}
    score = fhir.score_questionnaire_response(response(group), link_ids=mapping)
    assert score == bt.score_odi(IG_POSITIONS)


@pytest.mark.parametrize(
    ("link_ids", "field"),
    [({"q1": "lifts"}, "link_ids.q1"), ({"q1": 3}, "link_ids"), ([("q1", "lifting")], "link_ids")],
    ids=["unknown section", "not a key", "not a mapping"],
)
def test_a_bad_link_id_mapping_is_refused(link_ids: object, field: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(), link_ids=link_ids)  # type: ignore[arg-type]
    assert info.value.field == field


def test_other_items_are_refused_by_default_and_skipped_when_ignored() -> None:
    source = odi_response([{"valueInteger": p} for p in IG_POSITIONS])
    source["item"].append(answered("severity-category", {"valueString": "Moderate"}))
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source)
    assert info.value.field == "severity-category"
    assert fhir.score_questionnaire_response(source, other_items="ignore").percent == 36.0


def test_a_score_item_is_known_by_its_loinc_code_in_the_questionnaire() -> None:
    form = vendor_questionnaire()
    form["item"].append(
        {
            "linkId": "calc",
            "type": "decimal",
            "code": [{"system": "http://loinc.org", "code": "97909-6"}],
        }
    )
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    source["item"].append(answered("calc", {"valueDecimal": 36}))
    assert fhir.score_questionnaire_response(source, questionnaire=form).percent == 36.0
    source["item"][-1] = answered("calc", {"valueDecimal": 56})
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "calc"


@pytest.mark.parametrize(
    "answer",
    [
        {"valueString": "36"},
        {"valueCoding": {"system": "http://loinc.org", "code": "97909-6"}},
        {"valueDecimal": 136},
        {"valueBoolean": True},
    ],
    ids=["string", "coding without weight", "over 100", "boolean"],
)
def test_a_score_item_that_holds_no_percent_is_refused(answer: dict[str, Any]) -> None:
    source = odi_response([{"valueInteger": p} for p in IG_POSITIONS])
    source["item"].append(answered("score", answer))
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, score_link_id="score")
    assert info.value.field == "score"


def test_two_score_items_are_refused_and_an_empty_one_is_silent() -> None:
    source = odi_response([{"valueInteger": p} for p in IG_POSITIONS])
    source["item"].append({"linkId": "score"})
    assert fhir.score_questionnaire_response(source, score_link_id="score").percent == 36.0
    source["item"][-1] = answered("score", {"valueDecimal": 36})
    source["item"].append(answered("score2", {"valueDecimal": 36}))
    form_coded = {"valueCoding": {"system": "http://loinc.org", "code": "97909-6"}}
    form_coded["valueCoding"]["extension"] = [{"url": ITEM_WEIGHT, "valueDecimal": 36}]
    source["item"][-1] = answered("score2", form_coded)
    with pytest.raises(bt.InvalidAnswerError, match="one score item"):
        fhir.score_questionnaire_response(source, score_link_id="score")


def test_a_form_score_with_nothing_answered_is_refused() -> None:
    source = response(answered("score", {"valueDecimal": 0}))
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(source, score_link_id="score")
    assert info.value.field == "score"


@pytest.mark.parametrize("score_link_id", ["odi-3", "walking", 3])
def test_a_score_link_id_that_is_a_section_is_refused(score_link_id: object) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(), score_link_id=score_link_id)  # type: ignore[arg-type]
    assert info.value.field == "score_link_id"


@pytest.mark.parametrize(
    ("options", "field"),
    [({"other_items": "skip"}, "other_items"), ({"scale": "1-5"}, "scale")],
    ids=["other_items", "scale"],
)
def test_unknown_options_are_refused(options: dict[str, Any], field: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_questionnaire_response(response(), **options)
    assert info.value.field == field


def test_a_questionnaire_that_is_not_the_one_answered_is_refused() -> None:
    form = vendor_questionnaire(url="http://vendor.example.org/Questionnaire/odi")
    source = odi_response(
        [vendor_coding(p) for p in IG_POSITIONS],
        questionnaire="http://vendor.example.org/Questionnaire/odi|2.0",
    )
    assert fhir.score_questionnaire_response(source, questionnaire=form).percent == 36.0
    source["questionnaire"] = "http://vendor.example.org/Questionnaire/other"
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "questionnaire"


def test_an_item_the_questionnaire_does_not_have_is_refused() -> None:
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    form = vendor_questionnaire()
    del form["item"][9]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "odi-10"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda q: q.update(resourceType="QuestionnaireResponse"), "resourceType"),
        (lambda q: q.update(url=3), "questionnaire.url"),
        (lambda q: q.update(item={"linkId": "x"}), "questionnaire.item"),
        (lambda q: q["item"].append({"text": "no linkId"}), "questionnaire.item"),
        (lambda q: q["item"].append(copy.deepcopy(q["item"][0])), "questionnaire"),
        (lambda q: q["item"][0].update(answerOption={}), "questionnaire odi-1"),
        (lambda q: q["item"][0]["answerOption"].append(3), "questionnaire odi-1"),
        (
            lambda q: q["item"][0]["answerOption"][0]["valueCoding"].update(code=0),
            "questionnaire odi-1",
        ),
        (
            lambda q: q["item"][0]["answerOption"][0]["valueCoding"].update(extension=ordinal(3)),
            "questionnaire odi-1",
        ),
        (
            lambda q: q["item"][0]["answerOption"][0].update(extension={"url": ORDINAL_VALUE}),
            "questionnaire odi-1",
        ),
    ],
    ids=[
        "not a questionnaire",
        "url not a string",
        "items not a list",
        "item without linkId",
        "linkId twice",
        "options not a list",
        "option not an object",
        "code not a string",
        "option and coding weights disagree",
        "extensions not a list",
    ],
)
def test_a_malformed_questionnaire_is_refused(change: Any, field: str) -> None:
    form = vendor_questionnaire()
    change(form)
    source = odi_response([vendor_coding(p) for p in IG_POSITIONS])
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == field


def test_options_without_weights_leave_codings_to_their_own_weight() -> None:
    form = vendor_questionnaire()
    for item in form["item"]:
        for option in item["answerOption"]:
            del option["extension"]
    values = [vendor_coding(p) for p in IG_POSITIONS]
    with pytest.raises(bt.InvalidAnswerError, match="weight is declared"):
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)
    for value, p in zip(values, IG_POSITIONS, strict=True):
        value["valueCoding"]["extension"] = ordinal(p)
    assert fhir.score_questionnaire_response(odi_response(values), questionnaire=form).raw == 18


# -- properties ---------------------------------------------------------------------------------

SHAPES = ["integer", "decimal", "ordinal", "our code", "vendor code", "display", "string"]


def _encode(shape: str, n: int, position: int) -> dict[str, Any]:
    if shape == "integer":
        return {"valueInteger": position}
    if shape == "decimal":
        return {"valueDecimal": float(position)}
    if shape == "ordinal":
        # With a Questionnaire, a coding must still be one of its options.
        coding = _encode("vendor code" if n % 2 else "display", n, position)["valueCoding"]
        return {"valueCoding": coding | {"extension": ordinal(position)}}
    if shape == "our code":
        return {"valueCoding": {"system": fhir.ODI_STATEMENT_SYSTEM, "code": str(position)}}
    if shape == "vendor code":
        return {"valueCoding": {"system": VENDOR, "code": f"A{position}"}}
    if shape == "display":
        return {"valueCoding": {"display": f"Shown {n}.{position}"}}
    return {"valueString": f"Shown {n}.{position}"}


def _mixed_questionnaire() -> dict[str, Any]:
    """Options that carry a vendor code in odd sections and only a text in even ones."""

    def option(n: int, position: int) -> dict[str, Any]:
        if n % 2:
            value: dict[str, Any] = {"valueCoding": {"system": VENDOR, "code": f"A{position}"}}
        else:
            value = {"valueCoding": {"display": f"Shown {n}.{position}"}}
        return value | {"extension": ordinal(position)}

    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "item": [
            {"linkId": f"odi-{n}", "answerOption": [option(n, p) for p in range(6)]}
            for n in range(1, 11)
        ],
    }


@st.composite
def _encoded(draw: st.DrawFn) -> tuple[list[int], list[dict[str, Any]]]:
    positions = draw(st.lists(st.integers(0, 5), min_size=10, max_size=10))
    values = []
    for n, position in enumerate(positions, start=1):
        coded = ["integer", "decimal", "ordinal", "vendor code"]
        shape = draw(st.sampled_from(coded if n % 2 else [*coded[:3], "display", "string"]))
        values.append(_encode(shape, n, position))
    return positions, values


@given(_encoded())
def test_every_shape_scores_like_the_positions_it_encodes(
    case: tuple[list[int], list[dict[str, Any]]],
) -> None:
    positions, values = case
    score = fhir.score_questionnaire_response(
        odi_response(values), questionnaire=_mixed_questionnaire()
    )
    assert score == bt.score_odi(positions)


@given(st.lists(st.integers(0, 5), min_size=10, max_size=10))
def test_one_based_bare_codes_are_never_scored(positions: list[int]) -> None:
    values = [{"valueCoding": {"code": str(p + 1)}} for p in positions]
    with pytest.raises(bt.InvalidAnswerError):
        fhir.score_questionnaire_response(odi_response(values))


@given(st.lists(st.integers(0, 5), min_size=10, max_size=10), st.floats(0, 100))
def test_a_form_score_is_accepted_only_within_half_a_point(
    positions: list[int], stated: float
) -> None:
    source = odi_response([{"valueInteger": p} for p in positions])
    source["item"].append(answered("score", {"valueDecimal": stated}))
    expected = bt.score_odi(positions)
    if abs(expected.percent - stated) <= 0.5:
        assert fhir.score_questionnaire_response(source, score_link_id="score") == expected
    else:
        with pytest.raises(bt.InvalidAnswerError):
            fhir.score_questionnaire_response(source, score_link_id="score")


def test_a_coding_with_its_own_ordinal_must_still_be_an_option_of_the_given_questionnaire() -> None:
    # A coding the form does not offer suggests the wrong form: its weight is not trusted.
    values = [vendor_coding(p) for p in IG_POSITIONS]
    values[0] = {"valueCoding": {"display": "[redacted]", "extension": ordinal(2)}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(
            odi_response(values), questionnaire=vendor_questionnaire()
        )
    assert info.value.field == "odi-1"


def test_an_unweighted_not_applicable_option_may_stand_beside_the_six_but_is_not_read() -> None:
    form = vendor_questionnaire()
    form["item"][7]["answerOption"].append(
        {"valueCoding": {"system": VENDOR, "code": "NA", "display": "Not applicable"}}
    )
    values = [vendor_coding(p) for p in IG_POSITIONS]
    assert fhir.score_questionnaire_response(odi_response(values), questionnaire=form).raw == 18
    values[7] = {"valueCoding": {"system": VENDOR, "code": "NA"}}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)
    assert info.value.field == "odi-8"


def test_an_option_coded_in_our_system_must_agree_with_its_weight() -> None:
    form = fhir.odi_questionnaire()
    form["item"][0]["answerOption"][2]["extension"] = ordinal(3)  # type: ignore[index]
    form["item"][0]["answerOption"][3]["extension"] = ordinal(2)  # type: ignore[index]
    values = [
        {"valueCoding": {"system": fhir.ODI_STATEMENT_SYSTEM, "code": str(p)}} for p in IG_POSITIONS
    ]
    with pytest.raises(bt.InvalidAnswerError, match="agrees with its code") as info:
        fhir.score_questionnaire_response(odi_response(values), questionnaire=form)
    assert info.value.field == "odi-1"


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ({"valueString": 2}, "a string"),
        ({"valueCoding": {"system": 3, "code": "A2"}}, "URI"),
        ({"valueCoding": "A2"}, "a Coding"),
    ],
    ids=["string not a string", "system not a string", "coding not an object"],
)
def test_a_malformed_value_is_refused(value: dict[str, Any], allowed: str) -> None:
    values = [{"valueInteger": p} for p in IG_POSITIONS]
    values[0] = value
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(
            odi_response(values), questionnaire=string_questionnaire()
        )
    assert info.value.field == "odi-1"
    assert allowed in info.value.allowed


def test_other_extensions_and_integer_options_are_left_alone() -> None:
    form = vendor_questionnaire()
    form["item"][0]["answerOption"].append({"valueInteger": 9})
    values = [vendor_coding(p) for p in IG_POSITIONS]
    values[1]["valueCoding"]["extension"] = [{"url": "http://example.org/x", "valueString": "y"}]
    assert fhir.score_questionnaire_response(odi_response(values), questionnaire=form).raw == 18


def test_a_score_item_with_two_answers_is_refused() -> None:
    source = odi_response([{"valueInteger": p} for p in IG_POSITIONS])
    source["item"].append(answered("score", {"valueDecimal": 36}, {"valueDecimal": 36}))
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(source, score_link_id="score")
    assert info.value.field == "score"
