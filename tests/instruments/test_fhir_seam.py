"""A scored questionnaire's FHIR form asks its answers.

``_fhir/`` builds the forms, writes the responses and reads them from each scored
instrument's FHIR form (``ScoredInstrument.fhir_form``): its items are the keys of its answers,
each read by its linkId and its key. tests/instruments/test_seam.py says which files may name it.
"""

from __future__ import annotations

import pytest

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
