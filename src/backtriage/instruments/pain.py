"""The pain numeric rating scale (NRS): pain now, a whole number from 0 to 10 [S80].

0 is no pain and 10 the worst pain imaginable. The scale is free to use; the question wording
is the app's. Its LOINC code, verified against published FHIR material, is 72514-3, "Pain
severity - 0-10 verbal numeric rating [Score] - Reported".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from backtriage.errors import InvalidAnswerError

if TYPE_CHECKING:
    from backtriage.instruments._instrument import Instrument

__all__ = ["PAIN_LOINC", "PAIN_LOINC_DISPLAY", "PAIN_MAX", "check_pain", "describe_pain"]

PAIN_MAX: Final = 10
"""The highest rating: the worst pain imaginable."""
PAIN_LOINC: Final = "72514-3"
"""LOINC code of a pain rating on the 0-10 numeric scale, reported by the person."""
PAIN_LOINC_DISPLAY: Final = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"


def check_pain(value: object, field: str = "pain") -> int:
    """Return ``value`` when it is a pain rating, a whole number from 0 to 10.

    Raises :class:`~backtriage.InvalidAnswerError` naming ``field`` otherwise: ``True`` is not
    1, ``"3"`` is not 3 and ``2.5`` is not a rating.
    """
    # bool is an int in Python, but True is not a pain rating.
    if type(value) is not int or not 0 <= value <= PAIN_MAX:
        raise InvalidAnswerError(field, value, f"a whole number from 0 to {PAIN_MAX}")
    return value


def describe_pain() -> Instrument:
    """Return the pain NRS as the documents, FHIR and the testing kit read it."""
    # Made on first use: only the layers above read it, and none loads at import backtriage.
    from backtriage.instruments._instrument import Instrument

    return Instrument(
        key="pain",
        least=0,
        most=PAIN_MAX,
        check=check_pain,
        description=f"Pain now on the 0-{PAIN_MAX} numeric rating scale",
        code=PAIN_LOINC,
        display=PAIN_LOINC_DISPLAY,
        in_check_in=True,
        question="pain_question",
    )
