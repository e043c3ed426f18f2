"""The documents layer reads the scored instruments from their descriptions and names none.

The converter's document hooks, the JSON Schema and ``serialize`` iterate ``SCORED``: no file
of theirs names a scored instrument's key, score attribute, module or public names. A second
test plants names to show the check can fail; the others hold each description's documents to
the classes they describe.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest

import backtriage
from backtriage.assessment import Assessment, CheckIn
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED, Answers, Score

PACKAGE = Path(backtriage.__file__).parent

DOCUMENT_LAYER = (
    "_convert/_core.py",
    "_convert/_documents.py",
    "_schema.py",
    "serialize.py",
)
"""The files of the documents layer, which read the scored instruments without naming them."""


def _module_of(instrument: ScoredInstrument) -> str:
    return instrument.documents.score_class.__module__


def _pattern(instrument: ScoredInstrument) -> re.Pattern[str]:
    dotted = _module_of(instrument)
    short = dotted.rpartition(".")[2]
    names = [re.escape(name) for name in getattr(sys.modules[dotted], "__all__", ())]
    quoted = {instrument.key, instrument.score_attribute}
    parts = [
        *(rf"[\"']{re.escape(word)}[\"']" for word in sorted(quoted)),  # a document key
        rf"\b{re.escape(dotted)}\b",
        rf"\binstruments import [^\n]*\b{re.escape(short)}\b",
    ]
    if names:
        parts.append(rf"(?<![\w.])(?:{'|'.join(names)})\b")
    return re.compile("|".join(parts))


def _naming(instrument: ScoredInstrument, sources: Mapping[str, str]) -> frozenset[str]:
    """Return the files of ``sources`` (path → text) that name ``instrument``."""
    pattern = _pattern(instrument)
    return frozenset(path for path, text in sources.items() if pattern.search(text))


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_documents_layer_names_no_scored_instrument(instrument: ScoredInstrument) -> None:
    sources = {path: (PACKAGE / path).read_text(encoding="utf-8") for path in DOCUMENT_LAYER}
    naming = _naming(instrument, sources)
    assert not naming, (
        f"{sorted(naming)} name the instrument {instrument.key!r}: read it from its "
        "description (ScoredInstrument.documents, iterating SCORED)"
    )


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_the_check_sees_a_document_module_that_names_a_scored_instrument(
    instrument: ScoredInstrument,
) -> None:
    module = _module_of(instrument)
    sources = {
        "plain.py": "x = 1\n",
        "by_key.py": f"document[{instrument.key!r}] = 3\n",
        "by_score.py": f'document["{instrument.score_attribute}"] = None\n',
        "by_module.py": f"from {module} import something\n",
        "by_import.py": f"from backtriage.instruments import {module.rpartition('.')[2]}\n",
    }
    for name in getattr(sys.modules[module], "__all__", ()):
        sources[f"by_{name}.py"] = f"value = {name}(1)\n"
        sources[f"not_by_{name}.py"] = f"value = _{name}_other(1)\n"
    assert _naming(instrument, sources) == {
        path for path in sources if path != "plain.py" and not path.startswith("not_")
    }


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
