"""The instruments the documents, the FHIR forms and the testing kit know: one line each."""

from __future__ import annotations

from typing import Final

from backtriage.instruments._instrument import Instrument
from backtriage.instruments.pain import describe_pain

__all__ = ["INSTRUMENTS", "check_in_instruments"]

INSTRUMENTS: Final[tuple[Instrument, ...]] = (describe_pain(),)
"""Every registered instrument, in the order their fields appear in documents."""


def check_in_instruments() -> tuple[Instrument, ...]:
    """Return the registered instruments a check-in asks again."""
    return tuple(instrument for instrument in INSTRUMENTS if instrument.in_check_in)
