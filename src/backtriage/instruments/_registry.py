"""The instruments the documents, the FHIR forms and the testing kit know: one line each."""

from __future__ import annotations

from typing import Final

from backtriage.instruments._instrument import Instrument, ScoredInstrument
from backtriage.instruments.odi import describe_odi
from backtriage.instruments.pain import describe_pain
from backtriage.instruments.start_back import describe_start_back

__all__ = ["INSTRUMENTS", "SCORED", "check_in_instruments"]

INSTRUMENTS: Final[tuple[Instrument, ...]] = (describe_pain(),)
"""Every registered rating, in the order their fields appear in documents."""

SCORED: Final[tuple[ScoredInstrument, ...]] = (describe_odi(), describe_start_back())
"""Every registered questionnaire scored into levels, in the order of their fields."""


def check_in_instruments() -> tuple[Instrument, ...]:
    """Return the registered instruments a check-in asks again."""
    return tuple(instrument for instrument in INSTRUMENTS if instrument.in_check_in)
