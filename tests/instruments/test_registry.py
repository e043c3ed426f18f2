"""A registered rating has the fields that carry its answer.

Each rating of ``INSTRUMENTS`` has its field in ``Assessment``, and in ``CheckIn`` when a
check-in asks it again. tests/instruments/test_seam.py says which files may name it.
"""

from __future__ import annotations

import pytest

from backtriage.assessment import Assessment, CheckIn
from backtriage.instruments._instrument import Instrument
from backtriage.instruments._registry import INSTRUMENTS, check_in_instruments


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.key)
def test_a_registered_instrument_has_its_field_in_the_assessment(instrument: Instrument) -> None:
    assert instrument.key in {field.name for field in Assessment.__attrs_attrs__}
    assert instrument.least < instrument.most
    assert instrument.check(instrument.most, instrument.key) == instrument.most


@pytest.mark.parametrize("instrument", check_in_instruments(), ids=lambda i: i.key)
def test_a_check_in_instrument_has_its_field_in_the_check_in(instrument: Instrument) -> None:
    assert instrument.key in {field.name for field in CheckIn.__attrs_attrs__}
    assert instrument.question, "a check-in asks it with a text of the follow-up section"
