"""Whatever bad input reaches a public entry point, only a short BacktriageError comes out, and
its problem document holds none of the values given.

The values given are "markers" that cannot be mistaken for anything backtriage writes itself:
strings starting ``Zq``, numbers of eight digits or more, and integers too long to print. Keys
are drawn from the real keys and from plain lower-case names: a key may appear in a path.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.cli import main
from backtriage.fhir import read_questionnaire_response, score_questionnaire_response
from backtriage.serialize import from_dict, from_json

HUGE = 10**5000
SECTIONS = [s.value for s in bt.OdiSection]
ITEMS = [i.value for i in bt.StartBackItem]
QUESTIONS = bt.questions()
RED_FLAGS = [q.key for q in QUESTIONS if q.kind is bt.QuestionKind.RED_FLAG]
FINDINGS = [q.key for q in QUESTIONS if q.kind in (bt.QuestionKind.FINDING, "capability")]


def _huge(negative: bool) -> int:
    """Return an integer too long for Python to print (a strategy holding it could not either)."""
    return -HUGE if negative else HUGE


def _long(text: str) -> str:
    """Return a marker of about 100 000 characters."""
    return "Zq" + text * (100_000 // len(text))


markers = st.one_of(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=6, max_size=40).map("Zq".__add__),
    st.integers(min_value=10**7, max_value=10**15),
    st.integers(max_value=-(10**7), min_value=-(10**15)),
    st.floats(min_value=1e7, max_value=1e12),
    st.booleans().map(_huge),
    st.text(alphabet="XYZ", min_size=6, max_size=10).map(_long),
)
ordinary = st.one_of(st.booleans(), st.none(), st.integers(-2, 8))
keys = st.one_of(
    st.sampled_from([*SECTIONS, *ITEMS, *RED_FLAGS, *FINDINGS]),
    st.text(alphabet="abcdefghij_", min_size=1, max_size=10),
)
values = st.recursive(
    st.one_of(markers, ordinary),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=8,
)
odi = st.one_of(
    values,
    st.dictionaries(keys, values, max_size=11),
    st.lists(st.one_of(values, st.integers(0, 5)), min_size=10, max_size=10),
)
red_flags = st.one_of(values, st.dictionaries(keys, values, max_size=6))
# A list of findings holds names, which are keys: a misspelt one is named in its path.
findings = st.one_of(
    markers, ordinary, st.lists(keys, max_size=4), st.dictionaries(keys, values, max_size=4)
)
assessment_fields = st.fixed_dictionaries(
    {},
    optional={
        "odi": odi,
        "red_flags": red_flags,
        "findings": findings,
        "preference": values,
        "start_back": st.one_of(values, st.dictionaries(st.sampled_from(ITEMS), values)),
        "age": values,
        "odi_max_missing": values,
    },
)
documents = st.one_of(assessment_fields, st.dictionaries(keys, values, max_size=5), values)


def _markers(value: object) -> Iterator[str]:
    """Yield the text of every marker inside ``value``, as it could appear in a document."""
    if isinstance(value, str) and value.startswith("Zq"):
        yield value[:30]  # any part of it would do; the start is the likely one
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int) and abs(value) >= 10**7:
        if value.bit_length() < 8000:
            yield str(value)
    elif isinstance(value, float) and abs(value) >= 1e7:
        yield repr(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _markers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _markers(item)


def _check(call: Callable[[], object], given_value: object) -> None:
    """Call ``call``: it returns, or raises a short BacktriageError that shows no marker."""
    try:
        call()
    except bt.BacktriageError as error:
        for text in (str(error), repr(error), *map(str, error.args)):
            assert len(text) < 500, text[:600]
        problem = error.to_problem()
        document = json.dumps(problem)
        assert len(document) < 20_000
        for marker in _markers(given_value):
            assert marker not in document, (marker, document[:600])
        assert set(problem) == {"type", "title", "status", "detail", "errors"}


def _assessment(fields: dict[str, Any]) -> None:
    assessment = bt.Assessment(**fields)
    bt.recommend(assessment)


@given(assessment_fields)
def test_building_an_assessment_and_recommending_gives_only_safe_errors(
    fields: dict[str, Any],
) -> None:
    _check(lambda: _assessment(fields), fields)


@given(odi, st.one_of(st.integers(0, 10), markers))
def test_scoring_the_odi_gives_only_safe_errors(answers: object, max_missing: object) -> None:
    _check(lambda: bt.score_odi(answers, max_missing=max_missing), [answers, max_missing])  # type: ignore[arg-type]


@given(st.one_of(values, st.dictionaries(st.sampled_from(ITEMS), values)))
def test_scoring_start_back_gives_only_safe_errors(answers: object) -> None:
    _check(lambda: bt.score_start_back(answers), answers)  # type: ignore[arg-type]


@given(documents, st.sampled_from([bt.Assessment, bt.Plan, bt.OdiScore, bt.StartBackScore]))
def test_reading_a_document_gives_only_safe_errors(document: object, cls: type) -> None:
    _check(lambda: from_dict(document, cls), document)


@given(documents)
def test_reading_json_text_gives_only_safe_errors(document: object) -> None:
    try:
        text = json.dumps(document)
    except ValueError:  # an integer too long for JSON text
        text = '{"age": ' + "9" * 5000 + "}"
    _check(lambda: from_json(text, bt.Assessment), document)


@given(
    st.lists(
        st.fixed_dictionaries(
            {"linkId": st.one_of(st.sampled_from(["odi-1", "odi-2", "walking"]), keys)},
            optional={
                "answer": st.one_of(
                    values,
                    st.lists(
                        st.one_of(
                            st.fixed_dictionaries({"valueInteger": values}),
                            st.fixed_dictionaries({"valueCoding": values}),
                            st.fixed_dictionaries({"valueString": values}),
                            values,
                        ),
                        max_size=3,
                    ),
                ),
            },
        ),
        max_size=4,
    ),
    st.sampled_from(["completed", "in-progress", "entered-in-error", "unknown"]),
)
def test_reading_a_fhir_response_gives_only_safe_errors(items: list[object], status: str) -> None:
    resource = {"resourceType": "QuestionnaireResponse", "status": status, "item": items}
    _check(lambda: read_questionnaire_response(resource), items)
    _check(lambda: score_questionnaire_response(resource), items)


@given(documents)
def test_the_command_line_gives_one_line_and_status_2(document: object) -> None:
    try:
        data = json.dumps(document).encode()
    except ValueError:
        data = b'{"age": ' + b"9" * 5000 + b"}"
    stdin = mock.Mock(buffer=io.BytesIO(data))
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.object(sys, "stdin", stdin),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        status = main(["recommend", "-"])
    if status == 0:
        return
    assert status == 2
    message = err.getvalue()
    assert message.count("\n") == 1, message
    assert message.startswith("backtriage: error: <stdin>: ")
    assert len(message) < 600


protocol_keys = st.sampled_from(["name", "version", "exercises", "facts", "rules", "advice"])


@given(
    st.dictionaries(
        protocol_keys,
        st.one_of(values, st.lists(st.dictionaries(keys, values, max_size=4), max_size=2)),
        max_size=6,
    )
)
def test_loading_a_protocol_gives_only_short_protocol_errors(document: dict[str, object]) -> None:
    # A protocol is the app's own document, not a person's answers: its errors may quote it,
    # but they are ProtocolErrors and short, whatever it holds.
    try:
        bt.load_protocol(document)
    except bt.ProtocolError as error:
        _assert_short(error)


def _assert_short(error: bt.BacktriageError) -> None:
    for text in (str(error), repr(error), *map(str, error.args)):
        assert len(text) < 500
    assert len(json.dumps(error.to_problem())) < 20_000
