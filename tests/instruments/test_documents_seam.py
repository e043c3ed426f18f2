"""The documents layer reads the scored instruments from their descriptions.

The converter's document hooks, the JSON Schema and ``serialize`` iterate ``SCORED``: each
description's documents hold to the classes they describe, and a toy questionnaire the layer
has never seen is written and read from its description alone. tests/instruments/test_seam.py
says which files may name an instrument.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Mapping

import attrs
import pytest
from cattrs.errors import BaseValidationError

from backtriage import _schema
from backtriage._convert import MISSING, _documents, structure_errors
from backtriage.assessment import Assessment, CheckIn
from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments._form import ItemForm
from backtriage.instruments._instrument import Documents, DocumentSchemas, ScoredInstrument
from backtriage.instruments._registry import SCORED, Answers, Score


def test_the_document_types_are_the_registered_ones() -> None:
    # serialize.Serializable is typed with these: they must list what SCORED registers.
    assert typing.get_args(Score) == tuple(i.documents.score_class for i in SCORED)
    assert typing.get_args(Answers) == tuple(i.documents.answers_class for i in SCORED)


def _init_fields(cls: type) -> list[attrs.Attribute[object]]:
    return [field for field in attrs.fields(cls) if field.init]


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_documents_describe_the_classes_they_name(instrument: ScoredInstrument) -> None:
    documents = instrument.documents
    answers = [field.name for field in _init_fields(documents.answers_class)]
    assert list(documents.answer_keys) == answers
    score = _init_fields(documents.score_class)
    required = [field.name for field in score if field.default is attrs.NOTHING]
    assert [key for key, _ in documents.given] == required
    assert [key for key, _ in (*documents.given, *documents.optional)] == [f.name for f in score]
    fields = {field.name for field in attrs.fields(Assessment)}
    assert instrument.key in fields
    assert instrument.score_attribute in fields
    assert {key for key, _ in documents.options} <= fields
    # The derived keys are what a score says of itself: the levels the rules read among them.
    example = documents.score(instrument.answers_at(len(instrument.levels) - 1))
    for key, _ in documents.derived:
        assert hasattr(example, key)
    assert documents.is_score({key: None for key, _ in documents.given})
    assert not documents.is_score(dict.fromkeys(documents.answer_keys))


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_schemas_name_their_documents_and_are_made_afresh(
    instrument: ScoredInstrument,
) -> None:
    documents = instrument.documents
    schemas = documents.schemas()
    assert documents.score_class.__name__ in schemas.definitions
    assert documents.answers_class.__name__ in schemas.definitions
    assert set(schemas.options) == {key for key, _ in documents.options}
    owners = {"Assessment": Assessment, "CheckIn": CheckIn}
    for owner in set(schemas.fields) & set(owners):
        assert instrument.key in {field.name for field in attrs.fields(owners[owner])}
    # A schema built from them may be changed by its caller: the next one is untouched.
    typing.cast(dict[str, object], schemas.answers)["title"] = "changed"
    assert documents.schemas().answers["title"] != "changed"


# -- a questionnaire the documents layer has never seen -----------------------------------------


class ToyLevel(enum.StrEnum):
    """The level of the toy questionnaire."""

    LOW = "low"
    HIGH = "high"


def _check_toy_answer(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
    if value is not None and type(value) is not bool:
        raise InvalidAnswerError(attribute.name, value, "true or false")


@attrs.frozen
class ToyAnswers:
    first: bool | None = attrs.field(default=None, validator=_check_toy_answer)
    second: bool | None = attrs.field(default=None, validator=_check_toy_answer)


@attrs.frozen
class ToyScore:
    total: int

    def __attrs_post_init__(self) -> None:
        if type(self.total) is not int or not 0 <= self.total <= 2:
            raise InvalidAnswerError("total", self.total, "an int from 0 to 2")

    @property
    def level(self) -> ToyLevel:
        return ToyLevel.HIGH if self.total == 2 else ToyLevel.LOW


def _score_toy(answers: Mapping[str, object]) -> ToyScore:
    document = ToyAnswers(**answers)  # type: ignore[arg-type]
    missing = [key for key in ("first", "second") if getattr(document, key) is None]
    if missing:
        raise IncompleteError("toy", missing, "answer both")
    return ToyScore(int(document.first is True) + int(document.second is True))


def _toy_schemas() -> DocumentSchemas:
    answer: dict[str, object] = {"type": ["boolean", "null"]}
    return DocumentSchemas(
        definitions={
            "ToyScore": {
                "description": "A toy score.",
                "type": "object",
                "properties": {"total": {"type": "integer"}, "level": {"$ref": "#/$defs/ToyLevel"}},
                "required": ["total"],
                "additionalProperties": False,
            },
            "ToyAnswers": {"type": "object", "properties": {"first": answer, "second": answer}},
        },
        enums=(ToyLevel,),
        fields={"Assessment": {"anyOf": [{"$ref": "#/$defs/ToyAnswers"}, {"type": "null"}]}},
        options={},
        answers={
            "title": "backtriage toy answers",
            "description": "Two answers.",
            "type": "object",
            "properties": {"first": answer, "second": answer},
            "additionalProperties": False,
        },
    )


def _no_fhir_form() -> ItemForm:
    raise AssertionError("the documents layer never reads the FHIR form")


TOY = ScoredInstrument(
    key="toy",
    score_attribute="toy",
    requirement="require_toy",
    derivation="toy_level",
    levels=("low", "high"),
    rank=lambda score: int(score.level is ToyLevel.HIGH),
    answers_at=lambda rank: {"first": True, "second": rank == 1},
    title="Toy",
    input_words="the toy",
    level_words=lambda rank: "toy",
    strategies="",  # no strategies: the testing kit never sees it
    relisted=lambda answers: answers,
    state_words=lambda score, answers: None,
    documents=Documents(
        score_class=ToyScore,
        answers_class=ToyAnswers,
        answer_keys=("first", "second"),
        answers_in_order=False,
        score=_score_toy,
        is_score=lambda document: "total" in document,
        given=(("total", int),),
        optional=(),
        derived=(("level", ToyLevel),),
        options=(),
        score_words="a toy score",
        answers_words="toy answers",
        shapes_words="toy answers, a toy score or null",
        complete_words="both answered",
        schema_aliases=(),
        schemas=_toy_schemas,
    ),
    review_required="",
    review_optional="",
    review_notes=(),
    level_heading="",
    level_rows=(),
    always_asked=False,
    fhir_form=_no_fhir_form,
)


def _errors(
    read: Callable[[object, type], object], document: object, cls: type
) -> list[tuple[str, str]]:
    """Return the problems ``read`` finds in ``document``, as paths and messages."""
    try:
        read(document, cls)
    except (ValueError, BaseValidationError) as exc:
        return structure_errors(exc)
    raise AssertionError(f"{document!r} was read")


def test_a_new_score_document_is_written_and_read_from_its_description_alone() -> None:
    write = _documents._score_writer(TOY.documents)
    read = _documents._score_reader(TOY.documents)
    assert write(ToyScore(2)) == {"total": 2, "level": "high"}
    assert read({"total": 2, "level": "high"}, ToyScore) == ToyScore(2)
    assert read({"total": 1}, ToyScore) == ToyScore(1)
    wrong = [
        (
            {"total": 1, "level": "high"},
            [("$.level", "'high' is not the level derived from total")],
        ),
        ({"total": 1, "odd": 0}, [("$.odd", "unknown key 'odd'")]),
        ({"total": 3}, [("$.total", "3 is not an int from 0 to 2")]),
        ({"total": "1"}, [("$.total", "'1' is not a whole number")]),
        ([], [("$", "[] is not a table (a toy score)")]),
    ]
    for document, errors in wrong:
        assert _errors(read, document, ToyScore) == errors


def test_new_answers_are_written_and_read_from_their_description_alone() -> None:
    write = _documents._answers_writer(TOY.documents)
    read = _documents._answers_reader(TOY.documents)
    assert write(ToyAnswers(first=True)) == {"first": True, "second": None}
    assert read({"second": False}, ToyAnswers) == ToyAnswers(second=False)
    assert _errors(read, {"first": 1, "third": True}, ToyAnswers) == [
        ("$.third", "unknown key 'third'")
    ]
    assert _errors(read, {"first": 1, "second": "yes"}, ToyAnswers) == [
        ("$.first", "1 is not true or false"),
        ("$.second", "'yes' is not true or false"),
    ]


def test_a_new_instrument_field_is_scored_as_it_is_read_and_names_each_bad_answer() -> None:
    _documents._register(TOY.documents)  # its score is read by the one converter
    read = _documents._field_reader(TOY)
    errors: list[Exception] = []
    assert read({"toy": {"first": True, "second": True}}, errors) == ToyScore(2)
    assert read({"toy": None}, errors) is None
    assert errors == []
    assert read({"toy": [True]}, errors) is MISSING
    assert read({"toy": {"first": 2}}, errors) is MISSING
    assert read({"toy": {"first": True}}, errors) is MISSING
    assert read({"toy": {"total": 3}}, errors) is MISSING
    assert [structure_errors(error) for error in errors] == [
        [("$.toy", "[True] is not toy answers, a toy score or null")],
        [("$.toy.first", "2 is not true or false")],
        [("$.toy", "{'first': True} is not both answered; missing: second")],
        [("$.toy.total", "3 is not an int from 0 to 2")],
    ]


def test_the_schemas_of_a_new_instrument_come_from_its_description_alone() -> None:
    answers = _schema.answers_schema(TOY)
    assert answers["title"] == "backtriage toy answers"
    assert str(answers["$id"]).endswith(":toy-answers.schema.json")
    properties = typing.cast(dict[str, object], answers["properties"])
    assert next(iter(properties)) == "schema_version"
    assert "$defs" not in answers  # one object of its own: nothing to refer to
    score = _schema.score_schema(TOY)
    assert score["title"] == "backtriage ToyScore"
    assert score["description"] == "A toy score."
    assert list(typing.cast(dict[str, object], score["$defs"])) == ["ToyLevel"]
    level = typing.cast(dict[str, dict[str, object]], score["$defs"])["ToyLevel"]
    assert level["enum"] == ["low", "high"]
