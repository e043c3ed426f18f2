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

import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from backtriage.instruments._form import ItemForm

__all__ = ["DocumentSchemas", "Documents", "Instrument", "ScoredInstrument"]


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
    - ``documents``: how its answers and its score are written as JSON and described by JSON
      Schema (:class:`Documents`).
    - ``review_required``, ``review_optional``: what the review sheet says of it after
      "Required:" or "Optional:" ("": the sheet's own words); ``review_notes``: further lines of
      its list there (plain text; a name between backticks is shown as code).
    - ``level_heading``, ``level_rows``: the review sheet's table of its levels, the heading of
      their column and, per level lowest first, its label, its scores and its meaning; no rows:
      no table, and the sheet lists the facts that read it instead.
    - ``always_asked``: whether ``questions()`` lists it for every protocol, required or not
      (its text is then one every protocol writes); otherwise only where the protocol requires
      it or a fact reads its level. Its text is the protocol's ``Texts`` field
      ``<key>_question``.
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
    strategies: str
    """The dotted name of the module of its hypothesis strategies, which only the testing kit
    imports (:mod:`backtriage.testing.strategies` says what such a module offers)."""
    relisted: Callable[[object], object]
    """The answers of its ``key`` field, as ``Assessment`` holds them, listed in another order
    or form that means the same (the kit's order-independence check)."""
    state_words: Callable[[Any, object], str | None]
    """What the kit's reports say of a score (or ``None``) and the answers of its ``key`` field,
    e.g. "ODI 42% (severe)"; ``None`` when there is nothing to say."""
    documents: Documents
    """Its JSON documents and their schemas, as the converter and the schema read them."""
    review_required: str
    """What the review sheet says after "Required:" ("": every exercise waits for it)."""
    review_optional: str
    """What the review sheet says after "Optional:" ("": no fact that reads it holds)."""
    review_notes: tuple[str, ...]
    """Further lines the review sheet lists about it, plain text (`name` shown as code)."""
    level_heading: str
    """The heading of the levels' column of the review sheet's table ("": no table)."""
    level_rows: tuple[tuple[str, str, str], ...]
    """Per level, lowest first: its label, its scores and its meaning, for that table."""
    always_asked: bool
    """Whether every protocol's questions list it (else only where required or read)."""
    fhir_form: Callable[[], ItemForm]
    """Its FHIR form as data, made on first use (:class:`~backtriage.instruments._form.ItemForm`)."""


@attrs.frozen
class DocumentSchemas:
    """The JSON Schema of an instrument's documents, as plain dicts made afresh on each call.

    A ``$ref`` names a definition as ``#/$defs/<name>``: one of ``definitions`` or an enum of
    ``enums``, whose schema the schema module makes. A document defines what it refers to.

    - ``definitions``: the named definitions; the score's is named after its class (its
      document), the answers by key after theirs.
    - ``enums``: the enums the definitions refer to.
    - ``fields``: the schema of the field that carries it, by the class of the document
      (``Assessment``, ``CheckIn``); for a class whose schema is made from its attributes
      (``Plan``) only the field's description is read.
    - ``options``: the schema of each of ``Documents.options``, by name.
    - ``answers``: the answers document, with its ``title`` and ``description``; the schema
      module puts ``schema_version`` first in each of its object shapes. A document offering a
      choice of shapes (no ``properties`` of its own) defines the answers by key too.
    """

    definitions: Mapping[str, Mapping[str, object]]
    enums: tuple[type[enum.Enum], ...]
    fields: Mapping[str, Mapping[str, object]]
    options: Mapping[str, Mapping[str, object]]
    answers: Mapping[str, object]


@attrs.frozen
class Documents:
    """How an instrument's answers and score are read and written as JSON documents.

    - ``score_class``, ``answers_class``: the classes of its score and of its answers document;
      the converter registers its hooks by them.
    - ``answer_keys``: the keys of its answers (the answers class's fields), in order.
    - ``answers_in_order``: whether its answers may also be a list in the order of
      ``answer_keys``.
    - ``score``: scores answers (a mapping of answer key to answer), raising
      :class:`~backtriage.InvalidAnswerError` (``field`` an answer key, or the unknown key as
      ``value``) or :class:`~backtriage.IncompleteError` naming the missing keys. Used where
      the field that carries it holds the score (``key`` is ``score_attribute``), which is
      then scored as it is read.
    - ``is_score``: tells a score document from answers, in a field that takes either.
    - ``given``, ``optional``, ``derived``: the keys of a score document with their types, in
      the order written: those the score class takes by name (required, then optional), and
      those derived from them (written always; checked, never trusted, when given).
    - ``options``: the fields of ``Assessment`` that tune its scoring, with their types.
    - ``score_words``, ``answers_words``: what a score and answers are, after "a table".
    - ``shapes_words``: what its field takes, for a value of another shape.
    - ``complete_words``: what a complete questionnaire is, where it is scored as it is read.
    - ``schema_aliases``: other names ``json_schema`` knows its answers document by.
    - ``schemas``: the JSON Schema of its documents (:class:`DocumentSchemas`).
    """

    score_class: type
    answers_class: type
    answer_keys: tuple[str, ...]
    answers_in_order: bool
    score: Callable[[Any], object]
    is_score: Callable[[Mapping[str, object]], bool]
    given: tuple[tuple[str, Any], ...]
    optional: tuple[tuple[str, Any], ...]
    derived: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, Any], ...]
    score_words: str
    answers_words: str
    shapes_words: str
    complete_words: str
    schema_aliases: tuple[str, ...]
    schemas: Callable[[], DocumentSchemas]
