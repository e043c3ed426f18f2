"""Errors: every problem as data, one path style, short messages and a problem document that
never holds a value the person gave."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import backtriage as bt
from backtriage.errors import ErrorDetail, json_path, shorten
from backtriage.serialize import from_dict, from_json

HUGE = 10**5000
SECRET = "SECRET-ANSWER-" + "x" * 1_000_000
RED_FLAGS = tuple(q.key for q in bt.questions() if q.kind is bt.QuestionKind.RED_FLAG)


class Pairs(Mapping[object, object]):
    """A mapping that is not a dict: it may hold "walking" and OdiSection.WALKING both."""

    def __init__(self, *pairs: tuple[object, object]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: object) -> object:
        for k, v in reversed(self._pairs):
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[object]:
        return iter(k for k, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


def _caught(call: object, *args: object, **kwargs: object) -> bt.BacktriageError:
    with pytest.raises(bt.BacktriageError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


def _assert_safe(error: bt.BacktriageError, *given: str) -> None:
    """The message is short and the problem document holds none of the ``given`` texts."""
    for text in (str(error), repr(error), *map(str, error.args)):
        assert len(text) < 500, text
    document = json.dumps(error.to_problem())
    for value in given:
        assert value not in document, (value, document)


# -- defect 1.3: one ODI section answered twice --------------------------------------------------


def test_an_odi_section_answered_twice_through_a_mapping_is_refused_by_score_odi() -> None:
    answers = Pairs(*((s.value, 1) for s in bt.OdiSection), (bt.OdiSection.WALKING, 5))
    error = _caught(bt.score_odi, answers)
    assert isinstance(error, bt.InvalidAnswerError)
    assert error.errors[0] == ErrorDetail(
        "$.odi.walking",
        "section answered twice",
        "each section key once (as a str or an OdiSection member)",
    )


def test_an_odi_section_answered_twice_is_refused_by_the_assessment() -> None:
    answers = Pairs(*((s.value, 1) for s in bt.OdiSection), (bt.OdiSection.LIFTING, 0))
    error = _caught(bt.Assessment, odi=answers)
    assert error.path == "$.odi.lifting"
    assert error.errors[0].problem == "section answered twice"


def test_a_start_back_item_answered_twice_is_refused() -> None:
    pairs = [(item.value, False) for item in bt.StartBackItem]
    answers = Pairs(*pairs, (bt.StartBackItem.LEG_PAIN, True))
    error = _caught(bt.score_start_back, answers)
    assert error.path == "$.start_back.leg_pain"


# -- defect 1.4: a huge integer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "kwargs", "path"),
    [
        (bt.score_odi, {"answers": {"walking": HUGE}}, "$.odi.walking"),
        (bt.score_odi, {"answers": [HUGE] * 10}, "$.odi.pain_intensity"),
        (bt.Assessment, {"age": HUGE}, "$.age"),
        (bt.Assessment, {"odi": {"sitting": -HUGE}}, "$.odi.sitting"),
        (bt.Assessment, {"odi_max_missing": -HUGE}, "$.odi_max_missing"),
        (bt.score_odi, {"answers": {HUGE: 1}}, "$.odi"),
        (bt.score_start_back, {"answers": {"leg_pain": HUGE}}, "$.start_back.leg_pain"),
    ],
)
def test_a_huge_integer_gives_a_backtriage_error_with_a_short_message(
    call: object, kwargs: dict[str, object], path: str
) -> None:
    error = _caught(call, **kwargs)
    assert error.path == path
    assert "digits" in str(error)
    _assert_safe(error)


def test_a_huge_integer_in_a_document_gives_a_backtriage_error() -> None:
    error = _caught(from_dict, {"age": HUGE, "red_flags": {"fever": HUGE}}, bt.Assessment)
    assert [d.path for d in error.errors] == ["$.red_flags.fever", "$.age"]
    _assert_safe(error)


def test_the_short_repr_of_a_huge_integer_says_its_size() -> None:
    assert shorten(HUGE) == "<int of about 5001 digits>"
    assert shorten(-(10**60)) == "-10000000000000000...0000000000000000000"


def test_the_short_repr_of_an_object_whose_repr_fails_names_its_type() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError

    assert shorten(Broken()).startswith("<Broken")


# -- one error model -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "path"),
    [
        # No field name is read as nested (no registry of names): whoever raises a value
        # below the top passes its path, and a dotted name is one key.
        ("red_flags.fever", "$['red_flags.fever']"),
        ("findings.osteoporosis", "$['findings.osteoporosis']"),
        ("walking", "$.walking"),
        ("answers", "$.answers"),
        ("age", "$.age"),
        ("$.rules[3].actions", "$.rules[3].actions"),
        ("red_flags.two words", "$['red_flags.two words']"),
    ],
)
def test_a_field_named_the_old_way_gets_its_json_path(field: str, path: str) -> None:
    error = bt.InvalidAnswerError(field, 1, "something")
    assert error.field == field  # as before, for callers that read it
    assert error.path == path
    assert error.errors == (ErrorDetail(path, "value not allowed", "something"),)


@pytest.mark.parametrize(
    ("score", "answers", "path"),
    [
        (bt.score_odi, {"walking": 6}, "$.odi.walking"),
        (bt.score_odi, {"walking": []}, "$.odi.walking"),
        (bt.score_odi, [1, 2, 3], "$.odi"),
        (bt.score_odi, "3211", "$.odi"),
        (
            bt.score_start_back,
            {**dict.fromkeys(bt.StartBackItem, False), "leg_pain": 2},
            "$.start_back.leg_pain",
        ),
    ],
)
def test_an_instrument_names_the_path_of_the_answer_it_refuses(
    score: Callable[[Any], object], answers: object, path: str
) -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        score(answers)
    assert caught.value.path == path


def test_json_paths_number_rows_and_quote_odd_keys() -> None:
    assert json_path("rows", 12, "lifting") == "$.rows[12].lifting"
    assert json_path("odi", "it's") == "$.odi['it\\'s']"
    assert len(json_path("red_flags", "k" * 10_000)) < 60


def test_a_document_with_several_problems_carries_each_as_data() -> None:
    document = {"red_flags": {"fever": "no"}, "odi": {"walking": 7}, "age": "forty"}
    error = _caught(from_dict, document, bt.Assessment)
    assert isinstance(error, bt.InvalidAnswerError)
    assert {d.path for d in error.errors} == {"$.red_flags.fever", "$.odi.walking", "$.age"}
    assert (error.field, error.value) == (error.errors[0].path, "no")
    assert error.allowed == error.errors[0].allowed
    assert "and 2 more" in str(error)


def test_an_unknown_red_flag_says_unknown_key_not_that_its_answer_is_not_allowed() -> None:
    flags = dict.fromkeys(RED_FLAGS, False) | {"fevr": False}
    error = _caught(bt.recommend, bt.Assessment(red_flags=flags))
    assert error.path == "$.red_flags.fevr"
    assert error.errors[0].problem == "unknown key"
    assert "False is not allowed" not in str(error)


def test_an_unknown_finding_is_named_by_its_path() -> None:
    flags = dict.fromkeys(RED_FLAGS, False)
    error = _caught(bt.recommend, bt.Assessment(red_flags=flags, findings={"osteoporsis": False}))
    assert error.path == "$.findings.osteoporsis"
    assert error.errors[0].problem == "unknown key"


def test_an_unknown_key_of_a_document_says_unknown_key() -> None:
    error = _caught(from_json, '{"odi": null, "colour": "red"}', bt.Assessment)
    assert error.path == "$.colour"
    assert error.errors[0].problem == "unknown key"
    assert "unknown key" in error.to_problem()["detail"]  # type: ignore[operator]


def test_an_unknown_odi_section_is_named_by_its_path() -> None:
    error = _caught(bt.score_odi, {"walkin": 1})
    assert error.path == "$.odi.walkin"
    assert error.errors[0].problem == "unknown key"


def test_a_fhir_error_names_the_item_by_its_link_id() -> None:
    from backtriage.fhir import read_questionnaire_response

    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "odi-3", "answer": [{"valueInteger": 9}]}],
    }
    error = _caught(read_questionnaire_response, response)
    assert error.path == "$..item[?@.linkId=='odi-3']"
    assert error.field == "odi-3"
    _assert_safe(error)


def test_a_fhir_error_in_the_resource_names_its_element() -> None:
    from backtriage.fhir import read_questionnaire_response

    error = _caught(read_questionnaire_response, {"resourceType": "QuestionnaireResponse"})
    assert error.path == "$.status"


def test_a_row_error_has_the_path_of_its_cell() -> None:
    row = dict.fromkeys((s.value for s in bt.OdiSection), "1") | {"lifting": "seven"}
    (result,) = bt.score_odi_many([row], start=12)
    assert isinstance(result, bt.RowError)
    assert result.path == "$.rows[12].lifting"


def test_an_incomplete_odi_has_the_path_of_the_odi() -> None:
    error = _caught(bt.score_odi, [None] * 10)
    assert isinstance(error, bt.IncompleteError)
    assert error.errors[0].path == "$.odi"
    assert error.to_problem()["title"] == "Incomplete answers"


def test_a_protocol_error_carries_its_problem_as_data() -> None:
    error = _caught(bt.load_protocol, "/no/such/protocol.toml")
    assert isinstance(error, bt.ProtocolError)
    assert error.errors == (ErrorDetail("$", "no such file", ""),)
    assert error.to_problem()["status"] == 500
    assert error.to_problem(status=422)["status"] == 422


# -- the problem document ------------------------------------------------------------------------


def test_the_problem_document_has_the_rfc_9457_members_and_the_errors() -> None:
    error = _caught(bt.Assessment, red_flags={"fever": "no"})
    assert error.to_problem() == {
        "type": "urn:backtriage:problem:invalid-answer",
        "title": "Invalid answer",
        "status": 422,
        "detail": "$.red_flags.fever: value not allowed; expected true, false or null "
        "(not answered)",
        "errors": [
            {
                "path": "$.red_flags.fever",
                "problem": "value not allowed",
                "allowed": "true, false or null (not answered)",
            }
        ],
    }


def test_the_problem_document_uses_json_words() -> None:
    problem = json.dumps(_caught(bt.score_odi, "1234567890").to_problem())
    for python_word in ("None", "True", "False", "tuple", "list", "mapping", " int "):
        assert python_word not in problem
    assert "an array of exactly 10 answers" in problem


def test_the_problem_document_lists_at_most_twenty_problems() -> None:
    document = {"red_flags": {f"flag_{i}": "no" for i in range(50)}}
    error = _caught(from_dict, document, bt.Assessment)
    assert len(error.errors) == 50, error.errors
    problem = error.to_problem()
    assert len(problem["errors"]) == 20  # type: ignore[arg-type]
    assert "and 49 more" in problem["detail"]  # type: ignore[operator]
    assert len(str(error)) < 500


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (bt.Assessment, {"red_flags": {"fever": SECRET}}),
        (bt.Assessment, {"odi": {"walking": SECRET}}),
        (bt.Assessment, {"preference": SECRET}),
        (bt.Assessment, {"odi": [SECRET] * 10}),
        (bt.Assessment, {"findings": {"osteoporosis": SECRET}}),
        (bt.score_odi, {"answers": {"walking": [1, SECRET]}}),
        (bt.score_start_back, {"answers": {"bothersomeness": SECRET}}),
    ],
)
def test_a_huge_value_gives_a_short_message_and_stays_out_of_the_problem_document(
    call: object, args: dict[str, object]
) -> None:
    error = _caught(call, **args)
    assert "SECRET" in str(error)  # shortened, for the developer at the keyboard
    _assert_safe(error, "SECRET")


def test_a_value_in_json_text_stays_out_of_the_problem_document() -> None:
    text = json.dumps({"odi": {"walking": "SECRET-7"}, "age": 4242424242})
    error = _caught(from_json, text, bt.Assessment)
    _assert_safe(error, "SECRET-7", "4242424242")


# -- pickling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        bt.InvalidAnswerError("walking", 7, "an int 0..5"),
        bt.InvalidAnswerError("x", 1, "y", problem="unknown key", path="$.x"),
        bt.IncompleteError("odi", ["walking", "sitting"], "answer more"),
        bt.ProtocolError("bad", source="p.toml", where="rule 'r'", field="actions"),
        bt.BacktriageError("plain"),
    ],
    ids=repr,
)
def test_an_error_pickles_with_its_problems(error: bt.BacktriageError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.errors, copy.to_problem()) == (
        str(error),
        error.errors,
        error.to_problem(),
    )
    assert vars(copy) == vars(error)


def test_an_error_whose_value_cannot_be_pickled_pickles_with_its_short_repr() -> None:
    error = _caught(bt.Assessment, odi=lambda: None)
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, bt.InvalidAnswerError)
    assert copy.value == shorten(error.value)
    assert copy.errors == error.errors


def test_a_path_stays_one_line_whatever_the_key_holds() -> None:
    assert json_path("red_flags", "a\nb\u2028") == "$.red_flags['a\\nb\\u2028']"
    error = _caught(bt.recommend, bt.Assessment(red_flags={"fe\nver": False}))
    assert "\n" not in str(error)
    assert "\n" not in json.dumps(error.to_problem()).replace("\\n", "")


def test_the_repr_of_an_error_stays_short_when_the_message_is_all_escapes() -> None:
    error = bt.InvalidAnswerError("x", "\\" * 10, "y" * 1000)
    assert len(repr(error)) < 500
    assert repr(error).startswith('InvalidAnswerError("$.x: ')
    assert len(str(bt.InvalidAnswerError("x", "\\" * 1000, "y"))) < 500


def test_a_plain_backtriage_error_keeps_its_message_out_of_the_problem_document() -> None:
    error = bt.BacktriageError("walking: 7 is bad")
    assert str(error) == "walking: 7 is bad"
    assert error.errors == (ErrorDetail("$", "invalid input", ""),)
    assert "7" not in json.dumps(error.to_problem()).replace("422", "")


def test_a_protocol_document_error_lists_every_problem_at_its_path() -> None:
    text = 'name = "x"\nversion = "1"\n[[exercises]]\nid = "a"\nlevel = "high"\n'
    error = _caught(bt.load_protocol, text=text)
    assert isinstance(error, bt.ProtocolError)
    paths = [d.path for d in error.errors]
    assert "$.exercises[0].title" in paths
    level = next(d for d in error.errors if d.path == "$.exercises[0].level")
    assert (level.problem, level.allowed) == ("value not allowed", "a whole number")
    assert "high" not in json.dumps(error.to_problem())
    assert len(str(error)) < 500


@pytest.mark.parametrize(
    ("where", "field", "path"),
    [
        ("exercises[0] (exercise 'a')", "level", "$.exercises[0].level"),
        ("rules[3] (rule 'r')", "actions[0].refer", "$.rules[3].actions[0].refer"),
        ("rules[3] (rule 'r')", "(whole entry)", "$.rules[3]"),
        (None, "advice", "$.advice"),
        (None, None, "$"),
    ],
)
def test_a_protocol_error_has_the_path_of_its_entry_and_key(
    where: str | None, field: str | None, path: str
) -> None:
    assert bt.ProtocolError("bad", where=where, field=field).path == path
