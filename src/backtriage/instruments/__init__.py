"""Score the questionnaires backtriage uses: the ODI, the Keele STarT Back tool, the pain NRS.

Only keys, short titles and numeric codes live here; the licensed question wording is supplied
by the app (see the README).
"""

from backtriage.instruments.odi import (
    DisabilityBand,
    OdiAnswerInput,
    OdiAnswers,
    OdiChange,
    OdiScore,
    OdiSection,
    Percent,
    odi_change,
    score_odi,
)
from backtriage.instruments.pain import PAIN_LOINC, PAIN_MAX, check_pain
from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackAnswerInput,
    StartBackAnswers,
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)

__all__ = [
    "PAIN_LOINC",
    "PAIN_MAX",
    "Bothersomeness",
    "DisabilityBand",
    "OdiAnswerInput",
    "OdiAnswers",
    "OdiChange",
    "OdiScore",
    "OdiSection",
    "Percent",
    "StartBackAnswerInput",
    "StartBackAnswers",
    "StartBackItem",
    "StartBackRisk",
    "StartBackScore",
    "check_pain",
    "odi_change",
    "score_odi",
    "score_start_back",
]
