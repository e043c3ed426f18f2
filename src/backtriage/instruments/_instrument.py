"""What the layers above need to know about an instrument, as plain data.

An instrument module describes itself with one :class:`Instrument` and registers it in
``instruments/_registry.py``; the documents (JSON and its schema), the FHIR forms and readers,
the FHIR ``Observation`` and the testing kit's strategies read that description and never name
the instrument. The description is data, not hooks, so the layers above keep importing down:
the instruments know no protocol, converter, FHIR or hypothesis.

An instrument of this kind is a rating: one whole number in a closed range, given as itself
(no items to score). ``Assessment`` carries it as an optional field named ``key``; a check-in
asks it again, required, when ``in_check_in``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from backtriage.instruments._form import ItemForm

__all__ = ["Instrument", "ScoredInstrument"]


@attrs.frozen
class Instrument:
    """An instrument's description: its key, its range, its check and its codes.

    - ``key``: the field of ``Assessment`` (and ``CheckIn``) that carries the answer; also its
      key in JSON documents and its ``linkId`` in FHIR forms.
    - ``least``, ``most``: the range of a rating, both included.
    - ``check``: returns a value when it is a rating, else raises
      :class:`~backtriage.InvalidAnswerError` naming the field it is given.
    - ``description``: what the field holds, for the JSON Schema (a phrase, no final stop).
    - ``code``, ``display``: the LOINC code of its FHIR ``Observation`` and that code's display.
    - ``in_check_in``: whether a check-in asks it again (then it is required there).
    - ``question``: the name of the follow-up section's text that asks it at a check-in.
    """

    key: str
    least: int
    most: int
    check: Callable[[object, str], int]
    description: str
    code: str
    display: str
    in_check_in: bool = False
    question: str = ""


@attrs.frozen
class ScoredInstrument:
    """A questionnaire scored from its items into an ordered level the rules use as a threshold.

    The ODI (into a disability band) and STarT Back (into a risk group) are of this kind. A
    protocol's derived fact names the level it needs (``derive = { source = "odi_band",
    at_least = "severe" }``); the layers above read everything else from this description.

    - ``key``: the field of ``Assessment`` (and ``CheckIn``) that carries the answers; also the
      name ``Plan.missing`` gives an absent or unscorable questionnaire, its key in JSON
      documents and the name of the input in the review and the testing kit.
    - ``score_attribute``: the attribute of ``Assessment`` holding the score, or ``None`` when
      no answers are given or they cannot be scored.
    - ``requirement``: the attribute of ``Protocol`` that says whether the protocol requires it.
    - ``derivation``: the ``source`` of the derived facts that read its level.
    - ``levels``: the values of its levels, lowest first (a threshold names one of them).
    - ``rank``: the rank (0-based, in ``levels``) of a score's level.
    - ``answers_at``: answers of least total whose level has a rank (the reasoner's examples).
    - ``title``: its name as a heading of the review sheet; ``input_words``: how the review
      names it as an input ("the ODI").
    - ``level_words``: what a fact of at least the level of a rank means, in the review's words.
    - ``fhir_form``: its FHIR form as data, made on first use: the items and answers of the
      published ``Questionnaire`` and the rules its readers and writer follow.
    """

    key: str
    score_attribute: str
    requirement: str
    derivation: str
    levels: tuple[str, ...]
    rank: Callable[[Any], int]
    answers_at: Callable[[int], Mapping[str, object]]
    title: str
    input_words: str
    level_words: Callable[[int], str]
    fhir_form: Callable[[], ItemForm]
