"""Build the assessment that sets exactly a given set of facts."""

from __future__ import annotations

from collections.abc import Iterable

from backtriage.assessment import Assessment
from backtriage.protocol import Protocol
from backtriage.protocol._queries import answers_for
from backtriage.protocol._reasoner import assessment_for

__all__ = ["example"]


def example(protocol: Protocol, present: Iterable[str], absent: Iterable[str] = ()) -> Assessment:
    """Return an answered assessment in which exactly the facts ``present`` hold.

    Every red flag is answered (yes for those in ``present``, no for the others), every finding
    and capability too (the capabilities in ``absent`` are among the noes), the directional
    preference is the one ``present`` names, and answers to each scored questionnaire and an
    age are chosen to produce exactly the derived facts of ``present``; a required one is
    always given, an optional one only when ``present`` needs it.

    Raises :class:`~backtriage.InvalidAnswerError` for a name the protocol does not declare and
    for a set no assessment can produce (a fact without the facts it implies, such as a
    threshold on a score without the lower thresholds on it, or two preferences).
    """
    return assessment_for(protocol, answers_for(protocol, present, absent))
