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

from collections.abc import Callable

import attrs

__all__ = ["Instrument"]


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
