"""A questionnaire's FHIR form as plain data: its items, their answers, and how a reader reads them.

A scored instrument describes its form with one :class:`ItemForm` (made on first use, through
``ScoredInstrument.fhir_form``); the FHIR layer builds the ``Questionnaire``, writes a
``QuestionnaireResponse`` and reads one from it, and never names the instrument. What is the
instrument's own (a numbering of its answers the sender declares, an answer only some items
take, the form's own score) is a plain function here, raising the library's own errors with
the linkId as the field; what every reader does (finding items, matching options, weights) is
the FHIR layer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

__all__ = ["Choice", "DeclaredOption", "FormQuestion", "ItemForm"]

DeclaredOption = tuple[str | None, str | None, float | None]
"""An answer option of a caller's Questionnaire: its system, its code and its declared weight."""


@attrs.frozen
class Choice:
    """One answer a published item offers: its code, its display and its weight (item score)."""

    code: str
    display: str
    weight: int


@attrs.frozen
class FormQuestion:
    """One item of the form.

    - ``key``: the item's key in the answers (a section or item key).
    - ``link_id``: its linkId in the published form.
    - ``text``: the item's text when the app passes none (no licensed wording).
    - ``system``: the code system of its answers; ``choices`` its answers, in order.
    - ``agrees``: whether a ``valueBoolean`` answers it (true agrees: item score 1), where the
      form reads booleans at all (``ItemForm.booleans``).
    """

    key: str
    link_id: str
    text: str
    system: str
    choices: tuple[Choice, ...]
    agrees: bool = False


@attrs.frozen
class ItemForm:
    """A scored instrument's FHIR form, and the words and rules its reader needs.

    The published form:

    - ``name``: the last part of its canonical URL; ``resource_name`` and ``title`` its
      ``name`` and ``title`` (the title also heads its group in the screening form).
    - ``code``: the LOINC code and display of the questionnaire, or ``None``.
    - ``required``: whether each item is required; ``items`` its items in order.
    - ``in_check_in``: whether a check-in asks it again (a group in the check-in form).

    What its reader takes:

    - ``aliases``: the linkIds read as items without a mapping (linkId -> key).
    - ``scales``: the numberings a caller may declare (name -> the number of the first answer),
      ``scale_allowed`` says them in words; empty where the form has one numbering.
    - ``reading(first)``: how a declared number or weight becomes the item score, for a form
      numbered from ``first``, and what a number may be, in words; it raises naming the linkId.
    - ``numbers_are_scores``: given a Questionnaire item's integer options, its bounds and its
      number of options, whether a number answering it is read as ``reading`` reads it (else
      only an integer option's own weight gives its meaning); ``None``: always.
    - ``check_declared(link_id, options, numbers, bounds, first)``: refuse a Questionnaire item
      whose options, integer options or bounds declare another numbering than the reader's.
    - ``item_noun``, ``key_noun``, ``a_key``, ``one_per``, ``example``: the words of the
      reader's errors ("an ODI item", "section key", "a section key", one item per "section",
      an example of ``link_ids=``).
    - ``one_answer``: what is allowed where an item has more than one answer, or ``None`` when
      several answers are several marked answers (the highest counts).
    - ``booleans``: what is allowed where a ``valueBoolean`` answers an item that does not take
      one, or ``None`` when no item takes one.
    - ``score_code``: the LOINC code of the form's own score, or ``None`` (then the three
      that follow are empty or ``None``); ``score_allowed`` what its answer may be;
      ``score_link_id_allowed`` what ``score_link_id=`` may be; ``check_score(link_id,
      percent, answers, score)`` refuses answers whose score is not the form's (``score``
      ``None``: score them).
    - ``carried``: what an assessment carries of the answers read (the answers, or a score).

    What a response writes:

    - ``codes_of(held, given)``: the codes of each item's answers (in order), from what an
      assessment holds and the answers given beside it; it raises where they cannot be written.
    - ``writes_words``: whether a written item repeats its text and the answers' displays.
    """

    name: str
    resource_name: str
    title: str
    code: tuple[str, str] | None
    required: bool
    items: tuple[FormQuestion, ...]
    in_check_in: bool
    aliases: Mapping[str, str]
    scales: Mapping[str, int]
    scale_allowed: str
    reading: Callable[[int], tuple[Callable[[str, float], int], str]]
    numbers_are_scores: (
        Callable[[tuple[int, ...], tuple[float | None, float | None], int], bool] | None
    )
    check_declared: Callable[
        [str, tuple[DeclaredOption, ...], tuple[int, ...], tuple[float | None, float | None], int],
        None,
    ]
    item_noun: str
    key_noun: str
    a_key: str
    one_per: str
    example: str
    one_answer: str | None
    booleans: str | None
    score_code: str | None
    score_allowed: str
    score_link_id_allowed: str
    check_score: Callable[[str, float, Mapping[str, object], object | None], None] | None
    carried: Callable[[dict[str, object]], object]
    codes_of: Callable[[object, object], tuple[tuple[str, ...], ...]]
    writes_words: bool

    def __attrs_post_init__(self) -> None:
        # A form's own score is checked against the answers, or the form has none: a stated
        # score no one checks would be taken on trust.
        if (self.score_code is None) != (self.check_score is None):
            raise ValueError("an ItemForm with a score_code needs check_score, and only then")

    @property
    def keys(self) -> tuple[str, ...]:
        """Return the keys of its items, in order."""
        return tuple(item.key for item in self.items)
