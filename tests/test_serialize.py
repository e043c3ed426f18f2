"""JSON in and out for every public value: lossless round trips, strict input, paths in errors."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.assessment import Preference
from backtriage.instruments.start_back import StartBackItem
from backtriage.serialize import (
    SCHEMA_VERSION,
    converter,
    from_dict,
    from_json,
    json_schema,
    to_dict,
    to_json,
)
from backtriage.testing import strategies as bts

SECTIONS = [section.value for section in bt.OdiSection]
ITEMS = [item.value for item in StartBackItem]
DEFAULT = bt.default_protocol()
RED_FLAGS = [q.key for q in bt.questions(DEFAULT) if q.kind is bt.QuestionKind.RED_FLAG]
FINDINGS = [
    q.key
    for q in bt.questions(DEFAULT)
    if q.kind in (bt.QuestionKind.FINDING, bt.QuestionKind.CAPABILITY)
]
NO_FLAGS = dict.fromkeys(RED_FLAGS, False)
# Everything else the default protocol requires (from 2.0.0): the age and the findings asked of
# everyone, answered no.
REQUIRED = {
    "age": 40,
    "findings": {q.key: False for q in bt.questions() if q.kind == "finding" and q.required},
}

# -- strategies (also used by test_schemas) ---------------------------------------------------

odi_answer = st.one_of(
    st.integers(0, 5),
    st.none(),
    st.just("not_applicable"),
    st.lists(st.integers(0, 5), min_size=1, max_size=3),
)
ten_answers = st.lists(odi_answer, min_size=10, max_size=10)


@st.composite
def odi_scores(draw: st.DrawFn) -> bt.OdiScore:
    answers = draw(ten_answers)
    assume(any(a is not None and a != "not_applicable" for a in answers))
    return bt.score_odi(answers, max_missing=9)


start_back_answers = st.fixed_dictionaries(
    {item: st.booleans() for item in ITEMS[:-1]}
    | {ITEMS[-1]: st.sampled_from(["not_at_all", "slightly", "moderately", "very_much", True])}
)
start_back_scores = start_back_answers.map(bt.score_start_back)

odi_inputs = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(SECTIONS), odi_answer),
    ten_answers,
    odi_scores(),
)


@st.composite
def assessments(draw: st.DrawFn) -> bt.Assessment:
    """Any valid assessment, not tied to a protocol: keys are arbitrary text."""
    return bt.Assessment(
        odi=draw(odi_inputs),
        red_flags=draw(
            st.dictionaries(st.text(min_size=1, max_size=12), st.one_of(st.booleans(), st.none()))
        ),
        findings=draw(st.frozensets(st.text(max_size=12), max_size=4)),
        preference=draw(st.sampled_from([None, *Preference])),
        start_back=draw(st.one_of(st.none(), start_back_answers, start_back_scores)),
        age=draw(st.one_of(st.none(), st.integers(0, 130))),
        odi_max_missing=draw(st.integers(0, 10)),
    )


@st.composite
def plans(draw: st.DrawFn) -> bt.Plan:
    """A plan of the default protocol for a random assessment of its own questions."""
    flag = st.sampled_from([False, False, False, True, None])
    assessment = bt.Assessment(
        odi=draw(st.one_of(st.none(), ten_answers)),
        red_flags={key: draw(flag) for key in RED_FLAGS},
        findings=draw(st.frozensets(st.sampled_from(FINDINGS), max_size=4)),
        preference=draw(st.sampled_from([None, *Preference])),
        start_back=draw(st.one_of(st.none(), start_back_scores)),
        age=draw(st.one_of(st.none(), st.integers(0, 130))),
    )
    return bt.recommend(assessment)


def _round_trip(value: Any) -> Any:
    return from_json(to_json(value), type(value))


# -- round trips --------------------------------------------------------------------------------


@given(assessments())
def test_an_assessment_survives_a_json_round_trip(assessment: bt.Assessment) -> None:
    assert _round_trip(assessment) == assessment


@given(plans())
def test_a_plan_survives_a_json_round_trip(plan: bt.Plan) -> None:
    assert _round_trip(plan) == plan


@given(odi_scores())
def test_an_odi_score_survives_a_json_round_trip(score: bt.OdiScore) -> None:
    assert _round_trip(score) == score


@given(start_back_scores)
def test_a_start_back_score_survives_a_json_round_trip(score: bt.StartBackScore) -> None:
    assert _round_trip(score) == score


def test_the_default_protocol_survives_a_json_round_trip() -> None:
    assert _round_trip(DEFAULT) == DEFAULT


def test_an_exported_protocol_loads_again_with_load_protocol(tmp_path: Any) -> None:
    path = tmp_path / "exported.json"
    path.write_text(to_json(DEFAULT, indent=2), encoding="utf-8")
    assert bt.load_protocol(path) == DEFAULT


@given(st.one_of(assessments(), plans(), odi_scores(), start_back_scores))
def test_to_dict_is_exactly_what_the_json_text_holds(value: Any) -> None:
    assert to_dict(value) == json.loads(to_json(value))


@given(st.one_of(assessments(), plans(), odi_scores(), start_back_scores))
def test_every_document_starts_with_the_schema_version(value: Any) -> None:
    data = to_dict(value)
    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION == 3


def test_the_schema_version_may_be_left_out_on_input() -> None:
    assert from_dict({"raw": 16, "answered": 9, "missing": ["sex_life"]}, bt.OdiScore) == (
        bt.score_odi(dict.fromkeys(SECTIONS[:7], 2) | {"social_life": 1, "travelling": 1})
    )


# -- what is written ----------------------------------------------------------------------------


def test_an_odi_score_is_written_with_its_derived_values() -> None:
    # 16 points over nine sections: 16 / 45 = 35.6 % [S5]
    score = bt.score_odi([2, 1, 2, 2, 2, 2, 1, None, 2, 2])
    assert to_dict(score) == {
        "schema_version": 3,
        "raw": 16,
        "answered": 9,
        "missing": ["sex_life"],
        "multiple_marks": [],
        "max_raw": 45,
        "percent": 16 / 45 * 100,
        "percent_rounded": 36,
        "band": "moderate",
    }


def test_a_start_back_score_is_written_with_its_risk() -> None:
    assert to_dict(bt.StartBackScore(total=5, psychosocial=4)) == {
        "schema_version": 3,
        "total": 5,
        "psychosocial": 4,
        "risk": "high",
    }


def test_an_assessment_is_written_with_every_field_in_json_terms() -> None:
    assessment = bt.Assessment(
        odi={"walking": (3, 2), "sex_life": None, "pain_intensity": 1},
        red_flags={"fever": False, "chest_pain": None},
        findings={"osteoporosis", "muscle_spasm"},
        preference="flexion",
        odi_max_missing=8,
        pain=4,
    )
    assert to_dict(assessment) == {
        "schema_version": 3,
        # canonical section order, marks as a sorted list
        "odi": {"pain_intensity": 1, "walking": [2, 3], "sex_life": None},
        "red_flags": {"chest_pain": None, "fever": False},
        "findings": {"muscle_spasm": True, "osteoporosis": True},
        "preference": "flexion",
        "start_back": None,
        "age": None,
        "odi_max_missing": 8,
        "pain": 4,
        "odi_score": {
            "raw": 4,
            "answered": 2,
            "missing": [s for s in SECTIONS if s not in ("pain_intensity", "walking")],
            "multiple_marks": ["walking"],
            "max_raw": 10,
            "percent": 40.0,
            "percent_rounded": 40,
            "band": "moderate",
        },
    }


def test_a_plan_is_written_with_enum_values_and_whole_exercises() -> None:
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED))
    data = to_dict(plan)
    assert data["urgency"] == "none"
    first = data["exercises"][0]  # type: ignore[index]
    assert set(first) == {"exercise", "cautions", "step"}
    assert first["step"] == 0
    assert first["exercise"]["movement"] in {m.value for m in bt.Movement}
    assert first["exercise"]["id"] == plan.exercises[0].exercise.id
    assert data["odi"]["band"] == "minimal"  # type: ignore[index]


def test_to_dict_refuses_a_value_that_is_not_serialised() -> None:
    with pytest.raises(TypeError, match="not serialised"):
        to_dict(bt.default_protocol().exercises[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not serialised"):
        from_dict({}, dict)


# -- what is read: strict, with the JSON path of the bad field -----------------------------------

BAD_ASSESSMENTS: dict[str, tuple[object, str]] = {
    "red flag answered 1": ({"red_flags": {"fever": 1}}, "$.red_flags.fever"),
    "red flag answered 'no'": ({"red_flags": {"fever": "no"}}, "$.red_flags.fever"),
    "red flags not an object": ({"red_flags": ["fever"]}, "$.red_flags"),
    "odi answer out of range": ({"odi": {"walking": 7}}, "$.odi.walking"),
    "odi answer as a string": ({"odi": {"walking": "3"}}, "$.odi.walking"),
    "odi answer true": ({"odi": {"walking": True}}, "$.odi.walking"),
    "odi answer 2.5": ({"odi": {"walking": 2.5}}, "$.odi.walking"),
    "odi list answer": ({"odi": [1, 1, 1, "x", 1, 1, 1, 1, 1, 1]}, "$.odi[3]"),
    "odi list too short": ({"odi": [1, 1, 1]}, "$.odi"),
    "odi alias key": ({"odi": {"traveling": 1}}, "$.odi.traveling"),
    "odi a string": ({"odi": "1111111111"}, "$.odi"),
    "odi score out of range": ({"odi": {"raw": 60, "answered": 10}}, "$.odi.raw"),
    "finding not a string": ({"findings": ["osteoporosis", 3]}, "$.findings[1]"),
    "finding answered 1": ({"findings": {"osteoporosis": 1}}, "$.findings.osteoporosis"),
    "findings a string": ({"findings": "osteoporosis"}, "$.findings"),
    "unknown preference": ({"preference": "up"}, "$.preference"),
    "age a float": ({"age": 30.0}, "$.age"),
    "age true": ({"age": True}, "$.age"),
    "age out of range": ({"age": 300}, "$.age"),
    "max missing a string": ({"odi_max_missing": "1"}, "$.odi_max_missing"),
    "start back item": (
        {"start_back": dict.fromkeys(ITEMS, 0) | {"leg_pain": 2}},
        "$.start_back.leg_pain",
    ),
    "start back incomplete": ({"start_back": {"leg_pain": True}}, "$.start_back"),
    "start back unknown item": ({"start_back": {"legs": True}}, "$.start_back.legs"),
    "start back score": ({"start_back": {"total": 9, "psychosocial": 2}}, "$.start_back.total"),
    "start back a list": ({"start_back": [True] * 9}, "$.start_back"),
    "start back unknown items": ({"start_back": {"legs": True, "arms": True}}, "$.start_back"),
    "unknown key": ({"odi_answers": {}}, "$.odi_answers"),
    "odd key": ({"red-flags": {}}, "$['red-flags']"),
    "wrong schema version": ({"schema_version": 4}, "$.schema_version"),
    "schema version a string": ({"schema_version": "1"}, "$.schema_version"),
    "odi_score not derived": (
        {"odi": [1] * 10, "odi_score": {"raw": 9, "answered": 10}},
        "$.odi_score",
    ),
    "not an object": ([], "$"),
}


@pytest.mark.parametrize(("data", "path"), BAD_ASSESSMENTS.values(), ids=BAD_ASSESSMENTS.keys())
def test_a_bad_assessment_is_refused_naming_the_json_path(data: object, path: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Assessment)
    assert info.value.field == path
    assert str(info.value).startswith(f"{path}: ")


def test_every_bad_field_is_listed_in_one_error() -> None:
    data = {"red_flags": {"fever": 1, "chest_pain": "no"}, "findings": [3], "age": "old"}
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Assessment)
    message = str(info.value)
    for path in ("$.red_flags.chest_pain", "$.findings[0]", "$.age"):
        assert path in message
    assert "and 3 more" in message


def test_the_error_keeps_the_bad_value() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict({"red_flags": {"fever": "no"}}, bt.Assessment)
    assert info.value.value == "no"
    assert "true, false or null" in info.value.allowed


def test_a_null_red_flag_is_kept_as_unanswered_never_as_no() -> None:
    assessment = from_dict({"red_flags": dict(NO_FLAGS, fever=None)}, bt.Assessment)
    assert assessment.red_flags["fever"] is None
    plan = bt.recommend(assessment)
    assert "fever" in plan.missing
    assert plan.exercises == ()


def test_the_derived_odi_score_may_be_left_out_or_given_when_it_agrees() -> None:
    without = from_dict({"odi": [2] * 10}, bt.Assessment)
    data = to_dict(without)
    assert data["odi_score"] is not None
    assert from_dict(data, bt.Assessment) == without


BAD_SCORES: dict[str, tuple[object, str]] = {
    "percent disagrees": ({"raw": 20, "answered": 10, "percent": 41}, "$.percent"),
    "band disagrees": ({"raw": 20, "answered": 10, "band": "severe"}, "$.band"),
    "rounded disagrees": (
        {"raw": 16, "answered": 9, "missing": ["sex_life"], "percent_rounded": 35},
        "$.percent_rounded",
    ),
    "max_raw disagrees": ({"raw": 20, "answered": 10, "max_raw": 45}, "$.max_raw"),
    "raw missing": ({"answered": 10}, "$.raw"),
    "raw a bool": ({"raw": True, "answered": 10}, "$.raw"),
    "missing count": ({"raw": 20, "answered": 9}, "$.missing"),
    "unknown section": ({"raw": 20, "answered": 9, "missing": ["sex"]}, "$.missing[0]"),
    "unknown key": ({"raw": 20, "answered": 10, "score": 40}, "$.score"),
    "percent not finite": ({"raw": 20, "answered": 10, "percent": float("nan")}, "$.percent"),
    "percent a string": ({"raw": 20, "answered": 10, "percent": "40"}, "$.percent"),
    "band a number": ({"raw": 20, "answered": 10, "band": 2}, "$.band"),
}


@pytest.mark.parametrize(("data", "path"), BAD_SCORES.values(), ids=BAD_SCORES.keys())
def test_a_bad_odi_score_is_refused_naming_the_json_path(data: object, path: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.OdiScore)
    assert info.value.field == path


def test_a_percent_computed_another_way_is_accepted() -> None:
    # 100 * 16 / 45 and 20 * 16 / 9 may differ in the last bit; both are the same score.
    data = {"raw": 16, "answered": 9, "missing": ["sex_life"], "percent": 100 * 16 / 45}
    assert from_dict(data, bt.OdiScore).raw == 16


def test_a_start_back_risk_that_disagrees_is_refused() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict({"total": 5, "psychosocial": 4, "risk": "low"}, bt.StartBackScore)
    assert info.value.field == "$.risk"


def test_a_plan_with_a_bad_urgency_is_refused_naming_the_path() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    data["urgency"] = "later"
    data["exercises"][0]["exercise"]["level"] = "1"  # type: ignore[index]
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.urgency"
    assert "$.exercises[0].exercise.level" in str(info.value)


def test_a_plan_with_an_unknown_key_is_refused() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    data["extra"] = 1
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.extra"


def test_a_plan_missing_a_required_key_is_refused() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    del data["advice"]
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.advice"


def test_a_bad_protocol_document_raises_a_protocol_error_naming_the_rule() -> None:
    data = to_dict(DEFAULT)
    data["rules"][0]["actions"] = [{"refer": "later"}]  # type: ignore[index]
    with pytest.raises(bt.ProtocolError) as info:
        from_dict(data, bt.Protocol)
    assert info.value.where is not None
    assert "ces_bladder_emergency" in info.value.where


def test_a_protocol_with_an_unknown_schema_version_is_refused() -> None:
    with pytest.raises(bt.ProtocolError) as info:
        from_dict(to_dict(DEFAULT) | {"schema_version": 4}, bt.Protocol)
    assert info.value.field == "schema_version"


def test_optional_protocol_strings_are_strict_too() -> None:
    # Fact.question is ``str | None``: 3 must not become "3".
    data = to_dict(DEFAULT)
    data["facts"][0]["question"] = 3  # type: ignore[index]
    with pytest.raises(bt.ProtocolError, match="3 is not a string"):
        from_dict(data, bt.Protocol)


# -- JSON text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"red_flags": {"fever": false, "fever": true}}', "repeated"),
        ('{"age": NaN}', "NaN"),
        ('{"age": Infinity}', "Infinity"),
        ('{"odi": [1, 2', "JSON"),
        ("", "JSON"),
        (b'{"age": "\xff"}', "UTF-8"),
        ('{"odi": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
        ('{"red_flags": ' + '{"a": ' * 3000 + "true" + "}" * 3000 + "}", "nested"),
        ('{"age": ' + "9" * 5000 + "}", "digits"),
    ],
    ids=[
        "duplicate key",
        "NaN",
        "Infinity",
        "truncated",
        "empty",
        "not UTF-8",
        "nested too deep",
        "objects nested too deep",
        "a 5000-digit number",
    ],
)
def test_text_that_is_not_plain_json_is_refused_at_the_root(text: str | bytes, words: str) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_json(text, bt.Assessment)
    assert info.value.field == "$"
    assert words in str(info.value)


def test_json_bytes_are_read_like_text() -> None:
    text = to_json(bt.Assessment(odi=[1] * 10, red_flags={"fever": True}))
    assert from_json(text.encode(), bt.Assessment) == from_json(text, bt.Assessment)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 300),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
        st.sampled_from(SECTIONS + ITEMS + ["raw", "answered", "total", "not_applicable"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=11),
        st.dictionaries(
            st.sampled_from(
                [
                    "odi",
                    "red_flags",
                    "findings",
                    "preference",
                    "start_back",
                    "age",
                    "odi_score",
                    "raw",
                    "answered",
                    "percent",
                    "band",
                    *SECTIONS[:3],
                    *ITEMS[:2],
                    "x",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_json_document_gives_a_value_or_an_invalid_answer_error(data: object) -> None:
    for cls in (bt.Assessment, bt.OdiScore, bt.StartBackScore, bt.Plan):
        try:
            value: object = from_dict(data, cls)
        except bt.InvalidAnswerError as error:
            value = error
        if isinstance(value, bt.InvalidAnswerError):
            assert value.field.startswith("$")
        else:
            assert isinstance(value, cls)


@given(json_values)
def test_a_value_read_from_any_document_writes_back_to_an_equal_value(data: object) -> None:
    try:
        assessment = from_dict(data, bt.Assessment)
    except bt.InvalidAnswerError:
        return
    assert from_dict(to_dict(assessment), bt.Assessment) == assessment


def test_the_converter_is_the_one_the_protocol_loader_uses() -> None:
    from backtriage.protocol import _load as load

    assert load.protocol_from_data(converter.unstructure(DEFAULT)) == DEFAULT


def test_the_shipped_schemas_are_found_for_assessment_and_plan() -> None:
    assert json_schema(bt.Assessment)["title"] == "backtriage Assessment"
    assert json_schema(bt.Plan)["title"] == "backtriage Plan"
    with pytest.raises(TypeError):
        json_schema(bt.Exercise)
    with pytest.raises(TypeError):
        json_schema(bt.Plan, protocol=bt.default_protocol())


def test_a_start_back_risk_that_is_not_a_risk_is_refused() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict({"total": 5, "psychosocial": 4, "risk": 3}, bt.StartBackScore)
    assert info.value.field == "$.risk"


def test_a_plan_whose_parts_are_not_objects_is_refused_naming_the_part() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    data["exercises"] = [3]
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.exercises[0]"


def test_source_tags_must_be_strings() -> None:
    with pytest.raises(bt.ProtocolError, match="source tag"):
        from_dict(to_dict(DEFAULT) | {"sources": {1: "a citation"}}, bt.Protocol)


def _plan_document(**changes: object) -> dict[str, object]:
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    plan = bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=flags, **REQUIRED))
    return {**bt.to_dict(plan), **changes}


def test_a_stored_plan_round_trips() -> None:
    document = _plan_document()
    assert bt.to_dict(bt.from_dict(document, bt.Plan)) == document


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"missing": ["fever"], "missing_questions": ["Fever?"]}, "$.exercises"),
        ({"urgency": "same_day"}, "$.exercises"),
        ({"missing_questions": ["Fever?"]}, "$.missing_questions"),
    ],
)
def test_a_plan_document_that_breaks_a_plan_invariant_is_refused(
    changes: dict[str, object], field: str
) -> None:
    # A stored plan edited to show exercises recommend() would never give must not load.
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(_plan_document(**changes), bt.Plan)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("fired_urgency", "urgency"),
    [("emergency", "none"), ("soon", "routine"), (None, "soon"), ("routine", "none")],
)
def test_a_plan_document_whose_urgency_is_not_that_of_its_fired_rules_is_refused(
    fired_urgency: str | None, urgency: str
) -> None:
    # An edited urgency would hide (or invent) a referral that the fired rules set.
    rule: dict[str, object] = {"rule": "r", "reason": "t", "source": "s"}
    if fired_urgency is not None:
        rule["urgency"] = fired_urgency
    document = _plan_document(urgency=urgency)
    document["fired"] = [rule]
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.urgency"
    assert repr(fired_urgency or "none") in str(caught.value)


@pytest.mark.parametrize("safety_net", [None, "", "  \n "])
def test_a_plan_document_that_gives_exercises_without_a_safety_net_is_refused(
    safety_net: str | None,
) -> None:
    # Its summary and CarePlan would show exercises with no "get help at once".
    document = _plan_document()
    assert document["exercises"]
    if safety_net is None:
        del document["safety_net"]
    else:
        document["safety_net"] = safety_net
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.safety_net"
    with pytest.raises(bt.InvalidAnswerError):
        bt.from_json(json.dumps(document), bt.Plan)


def test_an_emergency_plan_document_needs_no_safety_net() -> None:
    document = _plan_document()
    document.update(exercises=[], urgency="emergency", safety_net=None)
    document["fired"] = [{"rule": "r", "reason": "t", "source": "s", "urgency": "emergency"}]
    withheld = document["withheld"]
    assert isinstance(withheld, list)
    withheld.clear()
    assert bt.from_dict(document, bt.Plan).safety_net is None


def test_a_plan_document_that_gives_and_withholds_one_exercise_is_refused() -> None:
    document = _plan_document()
    exercises, withheld = document["exercises"], document["withheld"]
    assert isinstance(exercises, list)
    assert isinstance(withheld, list)
    withheld.append(
        {
            "exercise": exercises[0]["exercise"],
            "reasons": [{"rule": "r", "text": "t", "source": "s"}],
        }
    )
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.exercises"


@pytest.mark.parametrize("text", ["", "   "])
def test_a_plan_document_whose_withheld_reason_says_nothing_is_refused(text: str) -> None:
    document = _plan_document()
    withheld = document["withheld"]
    assert isinstance(withheld, list)
    assert withheld
    withheld[0]["reasons"][0]["text"] = text
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.withheld[0].reasons[0].text"


@pytest.mark.parametrize("urgency", ["same_day", "emergency"])
def test_a_plan_document_that_gives_exercises_at_same_day_or_above_is_refused(
    urgency: str,
) -> None:
    document = _plan_document(urgency=urgency)
    document["fired"] = [{"rule": "r", "reason": "t", "source": "s", "urgency": urgency}]
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.exercises"


def test_a_plan_document_with_an_unexplained_withheld_exercise_is_refused() -> None:
    document = _plan_document()
    withheld = document["withheld"]
    assert isinstance(withheld, list)
    assert withheld
    withheld[0]["reasons"] = []
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.withheld[0].reasons"


def test_a_plan_document_listing_an_exercise_twice_is_refused() -> None:
    document = _plan_document()
    exercises, withheld = document["exercises"], document["withheld"]
    assert isinstance(exercises, list)
    assert isinstance(withheld, list)
    document["withheld"] = [
        *withheld,
        {
            "exercise": exercises[0]["exercise"],
            "reasons": [{"rule": "r", "text": "t", "source": "s"}],
        },
    ]
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.from_dict(document, bt.Plan)
    assert caught.value.field == "$.exercises"


# -- pickle and copy (multiprocessing pools send assessments and plans between processes) ------


@given(bts.assessments(complete=None))
def test_assessments_and_their_plans_survive_pickle_and_copy(assessment: bt.Assessment) -> None:
    for again in (pickle.loads(pickle.dumps(assessment)), copy.deepcopy(assessment)):
        assert again == assessment
        assert again.odi_score == assessment.odi_score
        assert bt.recommend(again) == bt.recommend(assessment)
    plan = bt.recommend(assessment)
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_a_pickled_assessment_still_refuses_a_misspelt_finding_answered_no() -> None:
    flags = {q.key: False for q in bt.questions() if q.kind == "red_flag"}
    assessment = bt.Assessment(odi=[0] * 10, red_flags=flags, findings={"osteoporsis": False})
    with pytest.raises(bt.InvalidAnswerError, match="osteoporsis"):
        bt.recommend(pickle.loads(pickle.dumps(assessment)))


def test_a_version_1_document_with_findings_as_a_list_still_reads() -> None:
    document = {"schema_version": 1, "findings": ["osteoporosis"], "red_flags": {}}
    assessment = from_dict(document, bt.Assessment)
    assert assessment.findings == {"osteoporosis": True}


def test_a_json_round_trip_keeps_a_finding_answered_no() -> None:
    # A misspelt key answered no is refused by recommend(); the round trip must keep it so.
    assessment = bt.Assessment(
        odi=[0] * 10, red_flags=dict.fromkeys(RED_FLAGS, False), findings={"osteoporsis": False}
    )
    again = from_json(to_json(assessment), bt.Assessment)
    assert again == assessment
    assert again.findings == {"osteoporsis": False}
    with pytest.raises(bt.InvalidAnswerError, match="osteoporsis"):
        bt.recommend(again)


def test_a_plan_of_schema_version_2_is_refused_with_a_way_forward() -> None:
    # Version 2 plans carry the safety net as one text and no protocol texts: summary() could
    # not show them, and nothing may be guessed.
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    data["schema_version"] = 2
    data["safety_net"] = "Get help at once if something new happens."
    del data["texts"]
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.schema_version"
    assert "recommend()" in str(info.value)


def test_a_plan_below_emergency_without_its_safety_net_is_refused() -> None:
    data = to_dict(bt.recommend(bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS, **REQUIRED)))
    data["safety_net"] = None
    with pytest.raises(bt.InvalidAnswerError) as info:
        from_dict(data, bt.Plan)
    assert info.value.field == "$.safety_net"


def test_an_assessment_of_schema_version_2_is_still_read() -> None:
    assessment = bt.Assessment(odi=[1] * 10, red_flags=NO_FLAGS)
    data = to_dict(assessment) | {"schema_version": 2}
    assert from_dict(data, bt.Assessment) == assessment


def test_an_odi_score_in_a_check_in_names_its_path_below_odi() -> None:
    # A wrong band inside a check-in's ODI score is reported where it is, as in an
    # assessment: $.odi.band, not $.band (which names no member of a check-in).
    score = bt.to_dict(bt.score_odi([1] * 10))
    score.pop("schema_version", None)
    score["band"] = "severe"
    document = {"schema_version": 3, "red_flags": {}, "pain": 3, "days": 7, "odi": score}
    for cls in (bt.CheckIn, bt.Assessment):
        data = {k: v for k, v in document.items() if cls is bt.CheckIn or k not in ("days",)}
        with pytest.raises(bt.InvalidAnswerError) as caught:
            from_dict(data, cls)
        assert caught.value.path == "$.odi.band"
