"""A scored questionnaire's FHIR form asks its answers.

``_fhir/`` builds the forms, writes the responses and reads them from each scored
instrument's FHIR form (``ScoredInstrument.fhir_form``): its items are the keys of its answers,
each read by its linkId and its key. tests/instruments/test_seam.py says which files may name it.
"""

from __future__ import annotations

import attrs
import pytest

import backtriage as bt
from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_scored_instruments_form_asks_its_answers(instrument: ScoredInstrument) -> None:
    form = instrument.fhir_form()
    # Its items are the keys of its answers, its group the field that carries them.
    assert set(form.keys) == set(instrument.answers_at(0))
    assert instrument.key in {field.name for field in Assessment.__attrs_attrs__}
    link_ids = [item.link_id for item in form.items]
    assert len(set(link_ids)) == len(link_ids)
    for item in form.items:
        # An item is read without a mapping by its linkId and by its key.
        assert form.aliases[item.link_id] == item.key
        assert form.aliases[item.key] == item.key
        assert len({choice.code for choice in item.choices}) == len(item.choices)
    assert set(form.aliases.values()) <= set(form.keys)


def test_a_form_with_its_own_score_must_check_it() -> None:
    form = SCORED[0].fhir_form()
    assert form.score_code is not None
    with pytest.raises(ValueError, match="check_score"):
        attrs.evolve(form, check_score=None)
    bare = next(i.fhir_form() for i in SCORED if i.fhir_form().score_code is None)
    with pytest.raises(ValueError, match="check_score"):
        attrs.evolve(bare, check_score=lambda *_: None)


def test_a_link_id_two_forms_claim_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from backtriage._fhir import _screening

    form = SCORED[0].fhir_form()
    monkeypatch.setattr(_screening, "_FORMS", {"first": form, "second": form})
    with pytest.raises(ValueError, match="belongs to both 'first' and 'second'"):
        _screening._owners()


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_link_id_mapped_to_no_item_names_its_path(instrument: ScoredInstrument) -> None:
    from backtriage._fhir._items import key_map

    form = instrument.fhir_form()
    with pytest.raises(bt.InvalidAnswerError) as caught:
        key_map({"x": "nope"}, form)
    assert caught.value.path == "$.link_ids.x"
    assert f"expected {form.a_key}: " in str(caught.value)
