"""A scored questionnaire offers the testing kit what it reads: its strategies and its words.

Each one's strategies module (``ScoredInstrument.strategies``) has public strategies the kit
re-exports and the hooks the kit draws with; its ``relisted`` answers score the same and its
``state_words`` say the score. tests/instruments/test_seam.py says which files may name it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtriage.assessment import Assessment
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED
from backtriage.testing import strategies as bts


def _strategies(instrument: ScoredInstrument) -> ModuleType:
    return importlib.import_module(instrument.strategies)


@pytest.mark.parametrize("instrument", SCORED, ids=lambda s: s.key)
def test_a_scored_instrument_offers_the_kit_its_strategies(instrument: ScoredInstrument) -> None:
    strategies = _strategies(instrument)
    assert strategies.__all__, "its public strategies, re-exported by the kit"
    for name in strategies.__all__:
        assert getattr(bts, name) is getattr(strategies, name)
        assert name in bts.__all__
    for hook in ("assessment_fields", "check_in_fields", "more_risk"):
        assert callable(getattr(strategies, hook)), hook


_FIELDS = st.sampled_from(SCORED).flatmap(
    lambda s: st.tuples(
        st.just(s),
        importlib.import_module(s.strategies).assessment_fields(required=True, unanswered=False),
    )
)


@given(_FIELDS)
def test_relisted_answers_score_the_same(case: tuple[ScoredInstrument, dict[str, Any]]) -> None:
    instrument, fields = case
    assessment = Assessment(**fields)
    score = getattr(assessment, instrument.score_attribute)
    assert score is not None, "required and answered: scorable"
    relisted = instrument.relisted(getattr(assessment, instrument.key))
    again = Assessment(**{**fields, instrument.key: relisted})
    assert getattr(again, instrument.score_attribute) == score
    assert instrument.state_words(score, getattr(assessment, instrument.key)), "says the score"
