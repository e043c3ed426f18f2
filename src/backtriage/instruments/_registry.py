"""The instruments the documents, the FHIR forms and the testing kit know: one line each."""

from __future__ import annotations

from typing import Final, TypeAlias

from backtriage.instruments._instrument import Instrument, ScoredInstrument
from backtriage.instruments.odi import OdiAnswers, OdiScore, describe_odi
from backtriage.instruments.pain import describe_pain
from backtriage.instruments.start_back import StartBackAnswers, StartBackScore, describe_start_back

__all__ = ["INSTRUMENTS", "SCORED", "Answers", "Score", "check_in_instruments"]

INSTRUMENTS: Final[tuple[Instrument, ...]] = (describe_pain(),)
"""Every registered rating, in the order their fields appear in documents."""

SCORED: Final[tuple[ScoredInstrument, ...]] = (describe_odi(), describe_start_back())
"""Every registered questionnaire scored into levels, in the order of their fields."""

Score: TypeAlias = OdiScore | StartBackScore
"""The score of a registered questionnaire, for the types of the documents (``SCORED`` order)."""
Answers: TypeAlias = OdiAnswers | StartBackAnswers
"""The answers document of a registered questionnaire (``SCORED`` order)."""


def check_in_instruments() -> tuple[Instrument, ...]:
    """Return the registered instruments a check-in asks again."""
    return tuple(instrument for instrument in INSTRUMENTS if instrument.in_check_in)
