"""What a response and its form declare, read whole: which form and version was answered,
items wherever they nest, the scale a form numbers its answers on, and problem documents that
carry nothing the person answered."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage import fhir

SCREENING_URL = "urn:backtriage:questionnaire:screening:backtriage-default"
CURRENT = f"{SCREENING_URL}|3.0.0"
OLDER = f"{SCREENING_URL}|1.0.0"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
RED_FLAGS = [q.key for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG]
# 4,3,2,2,3,2,2,5,1,2 = 26 of 50: 52 % severe. Without the 5 of sex_life: 21 of 45, 46.7 %.
POSITIONS = [4, 3, 2, 2, 3, 2, 2, 5, 1, 2]


def response(*items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", **fields} | {
        "item": list(items)
    }


def integer(link_id: str, value: int) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [{"valueInteger": value}]}


def odi_items(positions: list[int] = POSITIONS, first: int = 0) -> list[dict[str, Any]]:
    return [integer(f"odi-{n}", p + first) for n, p in enumerate(positions, start=1)]


def screening_items(odi: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    flags = [{"linkId": key, "answer": [{"valueBoolean": False}]} for key in RED_FLAGS]
    return [*flags, {"linkId": "odi", "item": odi_items() if odi is None else odi}]


# -- 1. the form answered, by url and version ---------------------------------------------------


def test_the_screening_form_names_its_protocol_and_version_in_its_canonical() -> None:
    form = fhir.screening_questionnaire()
    assert (form["url"], form["version"]) == (SCREENING_URL, "3.0.0")
    assessment = bt.Assessment(odi=POSITIONS, red_flags=dict.fromkeys(RED_FLAGS, False))
    assert fhir.assessment_response(assessment)["questionnaire"] == CURRENT


def older(protocol: bt.Protocol | None = None) -> bt.Protocol:
    """The protocol as version 1.0.0: the same keys, whose questions meant something else."""
    return attrs.evolve(protocol or bt.default_protocol(), version="1.0.0")


@pytest.mark.parametrize(
    "declared",
    [OLDER, None, "urn:backtriage:questionnaire:screening", SCREENING_URL, f"{CURRENT} "],
    ids=["older version", "no form", "the 0.2.0 url", "no version", "not exact"],
)
def test_a_response_to_another_version_or_to_no_form_is_refused(declared: str | None) -> None:
    fields = {} if declared is None else {"questionnaire": declared}
    source = response(*screening_items(), **fields)
    with pytest.raises(bt.InvalidAnswerError, match="read_as") as info:
        fhir.read_assessment(source)
    assert info.value.path == "$.questionnaire"


def test_a_response_written_under_an_older_protocol_is_refused_by_the_newer() -> None:
    assessment = bt.Assessment(odi=POSITIONS, red_flags=dict.fromkeys(RED_FLAGS, False), age=40)
    written = fhir.assessment_response(assessment, protocol=older())
    assert written["questionnaire"] == OLDER
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(written)
    assert info.value.field == "questionnaire"
    assert fhir.read_assessment(written, protocol=older()).odi_score == bt.score_odi(POSITIONS)


def test_a_response_read_through_a_questionnaire_of_another_version_is_refused() -> None:
    older_form = fhir.screening_questionnaire(older())
    for declared in (CURRENT, OLDER):
        source = response(*screening_items(), questionnaire=declared)
        with pytest.raises(bt.InvalidAnswerError) as info:
            fhir.read_assessment(source, questionnaire=older_form)
        assert info.value.field == "questionnaire"
    # The current form, and a response to it, are read.
    current = response(*screening_items(), questionnaire=CURRENT)
    form = fhir.screening_questionnaire()
    assert fhir.read_assessment(current, questionnaire=form).odi == dict(
        zip([s.value for s in bt.OdiSection], POSITIONS, strict=True)
    )
    # A response to 1.0.0 read through the 3.0.0 form is another form too.
    with pytest.raises(bt.InvalidAnswerError):
        fhir.read_assessment(
            response(*screening_items(), questionnaire=OLDER),
            questionnaire=form,
            read_as={OLDER: CURRENT},
        )


def test_a_caller_reads_another_form_only_by_mapping_it_to_this_one() -> None:
    expected = bt.score_odi(POSITIONS)
    old = response(*screening_items(), questionnaire=OLDER)
    assert fhir.read_assessment(old, read_as={OLDER: CURRENT}).odi_score == expected
    older_form = fhir.screening_questionnaire(older())
    read = fhir.read_assessment(old, questionnaire=older_form, read_as={OLDER: CURRENT})
    assert read.odi_score == expected
    unnamed = response(*screening_items())
    assert fhir.read_assessment(unnamed, read_as={None: CURRENT}).odi_score == expected
    # The mapping names the form it reads as: one made for another version does not carry over.
    for stale in ({OLDER: OLDER}, {OLDER: SCREENING_URL}, {None: f"{SCREENING_URL}|4.0.0"}):
        with pytest.raises(bt.InvalidAnswerError) as info:
            fhir.read_assessment(old, read_as=stale)
        assert info.value.field == "read_as"
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(old, read_as=[OLDER])  # type: ignore[arg-type]
    assert info.value.field == "read_as"


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
def test_any_protocol_reads_the_responses_to_its_own_form_and_refuses_other_versions(
    name: str, version: str
) -> None:
    protocol = attrs.evolve(bt.default_protocol(), name=name, version=version)
    form = fhir.screening_questionnaire(protocol)
    for part in (form["url"], form["version"]):
        assert isinstance(part, str)
        assert "|" not in part
        assert " " not in part
    assessment = bt.Assessment(odi=POSITIONS, red_flags=dict.fromkeys(RED_FLAGS, False), age=40)
    written = fhir.assessment_response(assessment, protocol=protocol)
    assert written["questionnaire"] == f"{form['url']}|{form['version']}"
    read = fhir.read_assessment(written, questionnaire=form, protocol=protocol)
    assert read.odi_score == bt.score_odi(POSITIONS)
    other = attrs.evolve(protocol, version=version + ".1")
    with pytest.raises(bt.InvalidAnswerError):
        fhir.read_assessment(written, protocol=other)


# -- 10. a form without a url, another form's version --------------------------------------------


def odi_form(**fields: Any) -> dict[str, Any]:
    return fhir.odi_questionnaire() | fields


NAMED = {"questionnaire": "http://vendor.example/Questionnaire/odi|3"}


@pytest.mark.parametrize(
    "form",
    [
        {k: v for k, v in fhir.odi_questionnaire().items() if k != "url"},
        odi_form(url="http://vendor.example/Questionnaire/odi", version="2"),
    ],
    ids=["no url", "another version"],
)
def test_a_response_naming_another_form_is_refused_through_a_form_that_cannot_be_it(
    form: dict[str, Any],
) -> None:
    codings = [
        {
            "linkId": f"odi-{n}",
            "answer": [{"valueCoding": {"system": fhir.ODI_STATEMENT_SYSTEM, "code": str(p)}}],
        }
        for n, p in enumerate(POSITIONS, start=1)
    ]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(response(*codings, **NAMED), questionnaire=form)
    assert info.value.field == "questionnaire"
    sbst = [integer(f"sbst-{n}", 0) for n in range(1, 10)]
    start_back = {k: v for k, v in fhir.start_back_questionnaire().items() if k != "url"}
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_start_back_response(response(*sbst, **NAMED), questionnaire=start_back)
    assert info.value.field == "questionnaire"
    # The same form named by its url, or a response naming no form, is read.
    same = response(*codings, questionnaire="http://vendor.example/Questionnaire/odi|2")
    vendor = odi_form(url="http://vendor.example/Questionnaire/odi", version="2")
    assert fhir.score_questionnaire_response(same, questionnaire=vendor).raw == sum(POSITIONS)


def test_a_screening_response_naming_a_form_is_refused_through_a_form_without_url() -> None:
    form = {k: v for k, v in fhir.screening_questionnaire().items() if k not in ("url", "version")}
    source = response(*screening_items(), questionnaire=CURRENT)
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(source, questionnaire=form)
    assert info.value.field == "questionnaire"


def integer_options(values: list[int], weights: list[int] | None = None) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [{"valueInteger": v} for v in values]
    for option, weight in zip(options, weights or [], strict=False):
        option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": weight}]
    return options


def integer_form(
    options: list[dict[str, Any]] | None = None, extensions: object = None
) -> dict[str, Any]:
    items = []
    for n in range(1, 11):
        item: dict[str, Any] = {"linkId": f"odi-{n}", "type": "integer"}
        if options is not None:
            item |= {"type": "choice", "answerOption": copy.deepcopy(options)}
        if extensions is not None:
            item["extension"] = copy.deepcopy(extensions)
        items.append(item)
    return {"resourceType": "Questionnaire", "status": "active", "item": items}


def test_an_integer_answer_that_is_none_of_the_forms_integer_options_is_refused() -> None:
    form = integer_form(integer_options([0, 1, 2, 4, 5]))  # no option 3
    with pytest.raises(bt.InvalidAnswerError, match="integer answer options") as info:
        fhir.score_questionnaire_response(response(*odi_items()), questionnaire=form)
    assert info.value.field == "odi-2"
    # A coded form with a stray integer option: an integer answer must be that option.
    coded = fhir.odi_questionnaire()
    coded["item"][0]["answerOption"].append({"valueInteger": 9})  # type: ignore[index]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(response(*odi_items()), questionnaire=coded)
    assert info.value.field == "odi-1"


# -- 3. the scale a form declares ----------------------------------------------------------------

ONE_TO_SIX = {
    "integer options": integer_form(integer_options([1, 2, 3, 4, 5, 6])),
    "integer options weighted": integer_form(
        integer_options([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])
    ),
    "minValue and maxValue": integer_form(
        extensions=[{"url": MIN_VALUE, "valueInteger": 1}, {"url": MAX_VALUE, "valueInteger": 6}]
    ),
    "maxValue": integer_form(extensions=[{"url": MAX_VALUE, "valueInteger": 6}]),
    "minValue": integer_form(extensions=[{"url": MIN_VALUE, "valueInteger": 1}]),
    "decimal bounds": integer_form(
        extensions=[{"url": MIN_VALUE, "valueDecimal": 1}, {"url": MAX_VALUE, "valueDecimal": 6}]
    ),
}
ZERO_TO_FIVE = {
    "integer options": integer_form(integer_options([0, 1, 2, 3, 4, 5])),
    "minValue and maxValue": integer_form(
        extensions=[{"url": MIN_VALUE, "valueInteger": 0}, {"url": MAX_VALUE, "valueInteger": 5}]
    ),
    "maxValue": integer_form(extensions=[{"url": MAX_VALUE, "valueInteger": 5}]),
    "minValue": integer_form(extensions=[{"url": MIN_VALUE, "valueInteger": 0}]),
}


@pytest.mark.parametrize("form", ONE_TO_SIX.values(), ids=ONE_TO_SIX.keys())
def test_a_form_declaring_1_to_6_is_refused_under_0_5_and_read_under_1_6(
    form: dict[str, Any],
) -> None:
    # 5,4,4,3,5,3,4,4,5,3 answered on a 1-6 form: 30 of 50, 60 % severe, read as 80 % crippled
    # on 1-6 when shifted, or 40 of 50 when the numbers are read as positions.
    numbers = [5, 4, 4, 3, 5, 3, 4, 4, 5, 3]
    source = response(*(integer(f"odi-{n}", v) for n, v in enumerate(numbers, start=1)))
    with pytest.raises(bt.InvalidAnswerError, match="scale='1-6'") as info:
        fhir.score_questionnaire_response(source, questionnaire=form)
    assert info.value.field == "odi-1"
    score = fhir.score_questionnaire_response(source, questionnaire=form, scale="1-6")
    assert score.raw == sum(numbers) - 10


@pytest.mark.parametrize("form", ZERO_TO_FIVE.values(), ids=ZERO_TO_FIVE.keys())
def test_a_form_declaring_0_to_5_is_refused_under_1_6_and_read_under_0_5(
    form: dict[str, Any],
) -> None:
    source = response(*odi_items())
    with pytest.raises(bt.InvalidAnswerError, match="scale='0-5'") as info:
        fhir.score_questionnaire_response(source, questionnaire=form, scale="1-6")
    assert info.value.field == "odi-1"
    assert fhir.score_questionnaire_response(source, questionnaire=form).raw == sum(POSITIONS)


def test_a_screening_form_whose_odi_items_declare_1_to_6_is_refused() -> None:
    form = fhir.screening_questionnaire()
    (group,) = [item for item in form["item"] if item["linkId"] == "odi"]  # type: ignore[attr-defined]
    for item in group["item"]:
        item["extension"] = [
            {"url": MIN_VALUE, "valueInteger": 1},
            {"url": MAX_VALUE, "valueInteger": 6},
        ]
    source = response(*screening_items(), questionnaire=CURRENT)
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(source, questionnaire=form)
    assert info.value.field == "odi-1"


def value_set_form(weights: range, *, expanded: bool) -> dict[str, Any]:
    """A vendor's ODI form whose items take their options from a contained ValueSet."""
    vendor = "http://vendor.example/odi"
    concepts = [
        {
            "code": f"A{p}",
            "display": f"Statement {p}",
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": w}],
        }
        for p, w in enumerate(weights)
    ]
    value_set: dict[str, Any] = {
        "resourceType": "ValueSet",
        "id": "odi-answers",
        "status": "active",
    }
    if expanded:
        value_set["expansion"] = {
            "timestamp": "2024-01-01",
            "contains": [{"system": vendor, **c} for c in concepts],
        }
    else:
        value_set["compose"] = {"include": [{"system": vendor, "concept": concepts}]}
    items = [
        {"linkId": f"odi-{n}", "type": "choice", "answerValueSet": "#odi-answers"}
        for n in range(1, 11)
    ]
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "contained": [value_set],
        "item": items,
    }


@pytest.mark.parametrize("expanded", [True, False], ids=["expansion", "compose"])
def test_a_form_declaring_its_scale_in_a_contained_value_set_is_read_by_it(
    expanded: bool,
) -> None:
    codings = [
        {
            "linkId": f"odi-{n}",
            "answer": [{"valueCoding": {"system": "http://vendor.example/odi", "code": f"A{p}"}}],
        }
        for n, p in enumerate(POSITIONS, start=1)
    ]
    one_to_six = value_set_form(range(1, 7), expanded=expanded)
    with pytest.raises(bt.InvalidAnswerError, match="scale='1-6'"):
        fhir.score_questionnaire_response(response(*codings), questionnaire=one_to_six)
    read = fhir.score_questionnaire_response(
        response(*codings), questionnaire=one_to_six, scale="1-6"
    )
    assert read.raw == sum(POSITIONS)
    zero_to_five = value_set_form(range(6), expanded=expanded)
    read = fhir.score_questionnaire_response(response(*codings), questionnaire=zero_to_five)
    assert read.raw == sum(POSITIONS)
    with pytest.raises(bt.InvalidAnswerError, match="scale='0-5'"):
        fhir.score_questionnaire_response(
            response(*odi_items()), questionnaire=zero_to_five, scale="1-6"
        )


def test_a_form_coded_by_statement_position_declares_0_to_5() -> None:
    form = fhir.odi_questionnaire()
    for item in form["item"]:  # type: ignore[attr-defined]
        for option in item["answerOption"]:
            del option["extension"]  # the codes "0" ... "5" alone
    numbers = [p + 1 for p in POSITIONS]
    source = response(*(integer(f"odi-{n}", v) for n, v in enumerate(numbers, start=1)))
    with pytest.raises(bt.InvalidAnswerError, match="scale='0-5'"):
        fhir.score_questionnaire_response(source, questionnaire=form, scale="1-6")


def test_bounds_that_are_no_numbers_or_no_odi_scale_are_refused() -> None:
    for extensions in (
        [{"url": MIN_VALUE, "valueDate": "2020-01-01"}],
        [{"url": MAX_VALUE, "valueInteger": 10}],
        [{"url": MAX_VALUE, "valueInteger": 5}, {"url": MAX_VALUE, "valueInteger": 6}],
        {"url": MAX_VALUE, "valueInteger": 6},  # not a list: it could hide a bound
        ["not an extension"],
    ):
        with pytest.raises(bt.InvalidAnswerError):
            fhir.score_questionnaire_response(
                response(*odi_items()), questionnaire=integer_form(extensions=extensions)
            )


# -- 9. STarT Back item 9 read by its five options -----------------------------------------------

SBST_1_TO_8 = [integer(f"sbst-{n}", 0) for n in range(1, 9)]


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4])
def test_item_9_sent_as_a_number_through_its_five_option_form_is_refused(value: int) -> None:
    source = response(*SBST_1_TO_8, integer("sbst-9", value))
    form = fhir.start_back_questionnaire()
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_start_back_response(source, questionnaire=form)
    assert info.value.field == "sbst-9"
    group = {"linkId": "start_back", "item": [*SBST_1_TO_8, integer("sbst-9", value)]}
    screening = response(*screening_items(), group, questionnaire=CURRENT)
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(screening, questionnaire=fhir.screening_questionnaire())
    assert info.value.field == "sbst-9"


def start_back_form(options: list[dict[str, Any]]) -> dict[str, Any]:
    form = fhir.start_back_questionnaire()
    form["item"][8]["answerOption"] = options  # type: ignore[index]
    return form


def test_item_9_as_integer_options_is_read_by_their_weights_or_refused() -> None:
    weighted = start_back_form(integer_options([0, 1, 2, 3, 4], [0, 0, 0, 1, 1]))
    for value, score in [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]:
        source = response(*SBST_1_TO_8, integer("sbst-9", value))
        assert (
            fhir.read_start_back_response(source, questionnaire=weighted)["bothersomeness"] == score
        )
    unweighted = start_back_form(integer_options([0, 1, 2, 3, 4]))
    bounded = fhir.start_back_questionnaire()
    bounded["item"][8] = {  # type: ignore[index]
        "linkId": "sbst-9",
        "type": "integer",
        "extension": [{"url": MIN_VALUE, "valueInteger": 0}, {"url": MAX_VALUE, "valueInteger": 4}],
    }
    for form in (unweighted, bounded):
        with pytest.raises(bt.InvalidAnswerError) as info:
            fhir.read_start_back_response(
                response(*SBST_1_TO_8, integer("sbst-9", 1)), questionnaire=form
            )
        assert info.value.field == "sbst-9"


def test_a_form_weighting_item_9_by_the_order_of_its_answers_is_refused() -> None:
    # 0 to 4 is the answers' order, not the item score: "slightly" (1) would score.
    vendor = "http://vendor.example/sbst"
    options = [
        {
            "valueCoding": {"system": vendor, "code": word},
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": order}],
        }
        for order, word in enumerate(["none", "slight", "moderate", "very", "extreme"])
    ]
    form = start_back_form(options)
    slightly = {
        "linkId": "sbst-9",
        "answer": [{"valueCoding": {"system": vendor, "code": "slight"}}],
    }
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_start_back_response(response(*SBST_1_TO_8, slightly), questionnaire=form)
    assert info.value.field == "sbst-9"
    screening_form = fhir.screening_questionnaire()
    (group,) = [i for i in screening_form["item"] if i["linkId"] == "start_back"]  # type: ignore[attr-defined]
    group["item"][8]["answerOption"] = options
    source = response(
        *screening_items(),
        {"linkId": "start_back", "item": [*SBST_1_TO_8, slightly]},
        questionnaire=CURRENT,
    )
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.read_assessment(source, questionnaire=screening_form)
    assert info.value.field == "sbst-9"


def test_items_of_two_options_still_take_their_item_score_as_a_number() -> None:
    source = response(*(integer(f"sbst-{n}", 1) for n in range(1, 9)), integer("sbst-9", 1))
    assert fhir.score_start_back_response(source).total == 9  # no form: the item scores
    nine = {"valueCoding": {"system": fhir.START_BACK_BOTHERSOMENESS_SYSTEM, "code": "slightly"}}
    through = response(
        *(integer(f"sbst-{n}", 1) for n in range(1, 9)), {"linkId": "sbst-9", "answer": [nine]}
    )
    form = fhir.start_back_questionnaire()
    assert fhir.score_start_back_response(through, questionnaire=form).total == 8


# -- 2. items wherever R4 lets them nest ---------------------------------------------------------


def other(link_id: str, *, answered: bool = True) -> dict[str, Any]:
    return (
        {"linkId": link_id, "answer": [{"valueString": "x"}]} if answered else {"linkId": link_id}
    )


def nest(item: dict[str, Any], where: str, depth: int) -> dict[str, Any]:
    """Put ``item`` ``depth`` levels down, under answered items that belong to no instrument."""
    for level in range(depth):
        holder = other(f"other-{level}-{item['linkId']}")
        if where == "answer":
            holder["answer"][0]["item"] = [item]
        elif where == "item":
            holder["item"] = [item]
        else:  # a group
            holder = {"linkId": holder["linkId"], "item": [item]}
        item = holder
    return item


PLACES = st.lists(
    st.tuples(st.sampled_from(["answer", "item", "group"]), st.integers(0, 3)),
    min_size=10,
    max_size=10,
)


@given(PLACES)
def test_odi_items_are_read_wherever_they_nest_under_items_skipped(
    places: list[tuple[str, int]],
) -> None:
    items = [nest(item, *place) for item, place in zip(odi_items(), places, strict=True)]
    score = fhir.score_questionnaire_response(response(*items), other_items="ignore")
    assert score == bt.score_odi(POSITIONS)


@given(PLACES.map(lambda places: places[:9]))
def test_start_back_items_are_read_wherever_they_nest_under_items_skipped(
    places: list[tuple[str, int]],
) -> None:
    plain = [integer(f"sbst-{n}", n % 2) for n in range(1, 10)]
    items = [nest(item, *place) for item, place in zip(plain, places, strict=True)]
    read = fhir.read_start_back_response(response(*items), other_items="ignore")
    assert read == fhir.read_start_back_response(response(*plain))


def test_the_audits_nested_odi_item_is_counted_not_read_as_unanswered() -> None:
    # sex_life (5) under an answered item of a larger form: 52 % severe, never 46.7 %.
    items = odi_items()
    holder = other("consent")
    holder["answer"][0]["item"] = [items.pop(7)]
    score = fhir.score_questionnaire_response(response(*items, holder), other_items="ignore")
    assert (score.raw, score.answered, score.band) == (26, 10, bt.DisabilityBand.SEVERE)
    child = other("larger-form-question")
    child["item"] = [holder]
    score = fhir.score_questionnaire_response(response(*items, child), other_items="ignore")
    assert score.raw == 26
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(response(*items, holder))
    assert info.value.field == "consent"


@pytest.mark.parametrize(
    "holder",
    [
        {"linkId": "consent", "answer": {"item": [integer("odi-8", 5)]}},
        {"linkId": "consent", "answer": [["not an answer"]]},
        {"linkId": "consent", "answer": [{"valueString": "x", "item": {"linkId": "odi-8"}}]},
    ],
    ids=["answer not a list", "answer not an object", "nested items not a list"],
)
def test_an_item_skipped_that_could_hide_an_instrument_item_is_refused(
    holder: dict[str, Any],
) -> None:
    items = odi_items()
    del items[7]
    with pytest.raises(bt.InvalidAnswerError) as info:
        fhir.score_questionnaire_response(response(*items, holder), other_items="ignore")
    assert info.value.field == "consent"


def test_items_nested_under_an_instrument_item_are_refused_not_dropped() -> None:
    for where in ("answer", "item"):
        items = odi_items()
        if where == "answer":
            items[0]["answer"][0]["item"] = [other("note")]
        else:
            items[0]["item"] = [other("note")]
        with pytest.raises(bt.InvalidAnswerError) as info:
            fhir.score_questionnaire_response(response(*items), other_items="ignore")
        assert info.value.field == "odi-1"


# -- 8. problem documents carry nothing the person answered --------------------------------------


def stated_score(percent: float) -> Callable[[], object]:
    source = response(*odi_items(), {"linkId": "total", "answer": [{"valueDecimal": percent}]})
    return lambda: fhir.score_questionnaire_response(source, score_link_id="total")


def disagreeing_weights(weight: int, code: int) -> Callable[[], object]:
    coding = {
        "system": fhir.ODI_STATEMENT_SYSTEM,
        "code": str(code),
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": weight}],
    }
    items = odi_items()
    items[2] = {"linkId": "odi-3", "answer": [{"valueCoding": coding}]}
    return lambda: fhir.read_questionnaire_response(response(*items))


def off_scale(value: int) -> Callable[[], object]:
    items = odi_items()
    items[4] = integer("odi-5", value)
    return lambda: fhir.read_questionnaire_response(response(*items))


def stated_in_screening(percent: float) -> Callable[[], object]:
    odi = [
        *odi_items(),
        {
            "linkId": "odi-score",
            "answer": [
                {
                    "valueCoding": {
                        "system": "http://loinc.org",
                        "code": "97909-6",
                        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": percent}],
                    }
                }
            ],
        },
    ]
    source = response(*screening_items(odi), questionnaire=CURRENT)
    return lambda: fhir.read_assessment(source)


def not_an_option(value: int) -> Callable[[], object]:
    form = integer_form(integer_options([0, 5]))
    items = odi_items([0, 5, 0, 5, 0, 5, 0, 5, 0, 5])
    items[6] = integer("odi-7", value)
    return lambda: fhir.read_questionnaire_response(response(*items), questionnaire=form)


def item_9_number(value: int) -> Callable[[], object]:
    source = response(*SBST_1_TO_8, integer("sbst-9", value))
    return lambda: fhir.score_start_back_response(
        source, questionnaire=fhir.start_back_questionnaire()
    )


def two_weights(first: int, second: int) -> Callable[[], object]:
    coding = {
        "system": "http://vendor.example/odi",
        "code": "x",
        "extension": [
            {"url": ORDINAL_VALUE, "valueDecimal": first},
            {"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": second},
        ],
    }
    items = odi_items()
    items[3] = {"linkId": "odi-4", "answer": [{"valueCoding": coding}]}
    return lambda: fhir.read_questionnaire_response(response(*items))


def start_back_off_scale(value: int) -> Callable[[], object]:
    source = response(*SBST_1_TO_8, integer("sbst-9", value))
    return lambda: fhir.read_start_back_response(source)


FAR = st.floats(0, 100).filter(lambda p: abs(p - 52) > 0.5)
LEAKS = {
    "a form score that disagrees": (stated_score, st.tuples(FAR)),
    "a form score inside the screening form": (stated_in_screening, st.tuples(FAR)),
    "a coding's weight and code disagree": (
        disagreeing_weights,
        st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda wc: wc[0] != wc[1]),
    ),
    "a number off the scale": (off_scale, st.tuples(st.integers(6, 10**6))),
    "two weight extensions disagree": (
        two_weights,
        st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda ws: ws[0] != ws[1]),
    ),
    "a STarT Back number off the item scores": (
        start_back_off_scale,
        st.tuples(st.integers(2, 10**6)),
    ),
    "a number none of the integer options": (not_an_option, st.tuples(st.integers(1, 4))),
    "item 9 as a number through its five options": (item_9_number, st.tuples(st.integers(0, 4))),
}


def problem_of(call: Callable[[], object]) -> dict[str, object]:
    with pytest.raises(bt.InvalidAnswerError) as info:
        call()
    return info.value.to_problem()


@pytest.mark.parametrize(("make", "values"), LEAKS.values(), ids=LEAKS.keys())
@given(data=st.data())
def test_a_fhir_problem_document_is_the_same_whatever_the_person_answered(
    make: Callable[..., Callable[[], object]],
    values: st.SearchStrategy[tuple[Any, ...]],
    data: st.DataObject,
) -> None:
    first, second = data.draw(values), data.draw(values)
    one, two = problem_of(make(*first)), problem_of(make(*second))
    # The same document whatever the answers: it carries no value the person gave, nor one
    # derived from them (a percent, a weight, a hint given only for some answers).
    assert one == two
    assert one["title"] == "Invalid answer"
