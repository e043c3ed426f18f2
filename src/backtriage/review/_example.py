"""Build the assessment that sets exactly a given set of facts."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from backtriage.assessment import Assessment
from backtriage.instruments.odi import DisabilityBand, OdiSection, score_odi
from backtriage.instruments.start_back import StartBackItem, StartBackRisk, score_start_back
from backtriage.protocol._engine import engine_of
from backtriage.protocol._model import FactKind, Protocol
from backtriage.protocol._queries import Answers, answers_for

__all__ = ["assessment_for", "example"]


def example(protocol: Protocol, present: Iterable[str], absent: Iterable[str] = ()) -> Assessment:
    """Return an answered assessment in which exactly the facts ``present`` hold.

    Every red flag is answered (yes for those in ``present``, no for the others), every finding
    and capability too (the capabilities in ``absent`` are among the noes), the directional
    preference is the one ``present`` names, and an ODI, STarT Back answers and an age are
    chosen to produce exactly the derived facts of ``present``; a required one is always given,
    an optional one only when ``present`` needs it.

    Raises :class:`~backtriage.InvalidAnswerError` for a name the protocol does not declare and
    for a set no assessment can produce (a fact without the facts it implies, such as
    ``odi_crippled_or_worse`` without ``odi_severe_or_worse``, or two preferences).
    """
    return assessment_for(protocol, answers_for(protocol, present, absent))


def assessment_for(protocol: Protocol, answers: Answers) -> Assessment:
    """Return the assessment that gives ``answers`` to ``protocol``'s questions."""
    facts = engine_of(protocol).fact_by_name.values()
    red_flags = {f.name: f.name in answers.yes for f in facts if f.kind is FactKind.RED_FLAG}
    findings = {
        f.name: f.name in answers.yes
        for f in facts
        if f.kind in (FactKind.FINDING, FactKind.CAPABILITY)
    }
    return Assessment(
        odi=None if answers.odi_band is None else dict(_odi_answers(answers.odi_band)),
        red_flags=red_flags,
        findings=findings,
        preference=answers.preference,
        start_back=(
            None
            if answers.start_back_risk is None
            else dict(_start_back_answers(answers.start_back_risk))
        ),
        age=answers.age,
    )


@functools.cache
def _odi_answers(rank: int) -> dict[str, int]:
    """Return the ODI answers of least total whose band has ``rank``."""
    band = list(DisabilityBand)[rank]
    sections = list(OdiSection)
    for total in range(5 * len(sections) + 1):
        codes = [min(5, max(0, total - 5 * i)) for i in range(len(sections))]
        answers = {s.value: c for s, c in zip(sections, codes, strict=True)}
        if score_odi(answers).band is band:
            return answers
    raise AssertionError(f"no ODI answers give band {band.value}")  # pragma: no cover


@functools.cache
def _start_back_answers(rank: int) -> dict[str, bool]:
    """Return the STarT Back answers with fewest items agreed whose risk has ``rank``."""
    risk = list(StartBackRisk)[rank]
    items = list(StartBackItem)
    for agreed in range(len(items) + 1):
        answers = {item.value: i < agreed for i, item in enumerate(items)}
        if score_start_back(answers).risk is risk:
            return answers
    raise AssertionError(f"no STarT Back answers give risk {risk.value}")  # pragma: no cover
