"""A scored questionnaire's description holds to the fields and the format the rules read.

The facts, the protocol and the review read a scored questionnaire (``SCORED``) from its
description: its key and score attribute are fields of ``Assessment``, its requirement a field
of ``Protocol``, its derivation a ``DerivedFrom`` source, its levels those of its review table.
tests/instruments/test_seam.py says which files may name it.
"""

from __future__ import annotations

import attrs
import pytest

from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED
from backtriage.instruments.odi import describe_odi, score_odi
from backtriage.protocol import DerivedFrom, Protocol


@pytest.mark.parametrize("instrument", SCORED, ids=lambda i: i.key)
def test_a_scored_questionnaire_has_its_fields_and_its_derivation(
    instrument: ScoredInstrument,
) -> None:
    fields = {field.name for field in attrs.fields(Assessment)}
    assert {instrument.key, instrument.score_attribute} <= fields
    assert instrument.requirement in {field.name for field in attrs.fields(Protocol)}
    assert DerivedFrom(instrument.derivation).value == instrument.derivation
    assert not instrument.level_rows or len(instrument.level_rows) == len(instrument.levels)


def test_every_level_source_of_the_format_is_a_registered_questionnaire() -> None:
    # The thresholds' parser reads the levels of the questionnaire whose derivation is the
    # source: a source without one would be read as an age.
    registered = {instrument.derivation for instrument in SCORED}
    assert {source.value for source in DerivedFrom} - registered == {"age", "preference"}


def test_the_review_says_the_default_number_of_odi_sections_that_may_be_missing() -> None:
    allowed = attrs.fields(Assessment).odi_max_missing.default
    assert score_odi.__kwdefaults__ == {"max_missing": allowed}
    (note,) = describe_odi().review_notes
    assert f"up to {allowed} of the ten sections" in note
