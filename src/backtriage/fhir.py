"""FHIR R4 in and out as plain dicts: no FHIR library is needed.

- :func:`read_questionnaire_response` reads ODI answers from a ``QuestionnaireResponse`` the way
  real forms send them (``valueInteger``, a whole ``valueDecimal``, a ``valueCoding`` resolved
  by its ``ordinalValue`` or the form's ``Questionnaire``, a ``valueString`` matched to the
  Questionnaire's options), checking the form's own score item;
  :func:`score_questionnaire_response` also scores them. Nothing is guessed: an answer whose
  meaning the sender does not declare is refused.
- :func:`read_start_back_response` and :func:`score_start_back_response` do the same for the
  STarT Back Screening Tool.
- :func:`odi_questionnaire`, :func:`start_back_questionnaire` and
  :func:`screening_questionnaire` publish the forms (``Questionnaire`` resources, licensed
  wording only when the app passes it); :func:`read_assessment` reads a whole
  :class:`~backtriage.Assessment` from a response to the screening form, and
  :func:`assessment_response` writes one.
- :func:`to_questionnaire_response` writes ODI answers as a ``QuestionnaireResponse``.
- :func:`to_observation` writes an :class:`~backtriage.OdiScore` (LOINC 97909-6, the percent as
  ``valueQuantity``, the band as ``interpretation``) or a
  :class:`~backtriage.StartBackScore` as an ``Observation``.
- :func:`to_pain_observation` writes a pain rating (0-10) as an ``Observation`` (LOINC 72514-3).
- :func:`check_in_questionnaire` publishes the form of a check-in that follows a plan up, and
  :func:`read_check_in` reads a :class:`~backtriage.CheckIn` from a response to it.
- :func:`to_care_plan` writes a :class:`~backtriage.Plan` as a ``CarePlan`` (each exercise at
  its step); why a CarePlan and not a RiskAssessment is explained in ``docs/interop.md``.

Resources are ``dict`` values ready for ``json.dumps``; inputs are any mappings, as
``json.loads`` gives them. The codes backtriage defines itself (bands, urgencies, exercises,
rules) use the provisional ``urn:backtriage:...`` systems below; an app that publishes the
resources may replace them with canonical URLs of its own.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Mapping, Sequence
from typing import Final, Literal, TypeAlias

from backtriage._fhir import _forms, _screening
from backtriage._fhir._common import (
    EXERCISE_SYSTEM,
    LOINC_SYSTEM,
    NEXT_MORNING_SYSTEM,
    PREFERENCE_SYSTEM,
    RULE_SYSTEM,
    URGENCY_SYSTEM,
    OtherItems,
    Resource,
    at_fhir_paths,
    check_resource,
)
from backtriage._fhir._common import reference as _reference
from backtriage._fhir._forms import questionnaire
from backtriage._fhir._items import check_stated, read_response
from backtriage._fhir._screening import assessment_response as _assessment_response
from backtriage._plan import Plan
from backtriage.assessment import Assessment, CheckIn
from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments._instrument import Instrument
from backtriage.instruments.odi import (
    PANEL_LOINC,
    SCORE_LOINC,
    STATEMENT_SYSTEM,
    OdiAnswerInput,
    OdiAnswers,
    OdiScore,
    OdiSection,
    describe_odi,
    score_odi,
)
from backtriage.instruments.pain import describe_pain
from backtriage.instruments.start_back import (
    ANSWER_SYSTEM,
    BOTHERSOMENESS_SYSTEM,
    StartBackScore,
    describe_start_back,
    score_start_back,
)
from backtriage.protocol import Protocol, Urgency

__all__ = [
    "EXERCISE_SYSTEM",
    "LOINC_SYSTEM",
    "NEXT_MORNING_SYSTEM",
    "ODI_BAND_SYSTEM",
    "ODI_QUESTIONNAIRE_CODE",
    "ODI_SCORE_CODE",
    "ODI_STATEMENT_SYSTEM",
    "PREFERENCE_SYSTEM",
    "RULE_SYSTEM",
    "START_BACK_ANSWER_SYSTEM",
    "START_BACK_BOTHERSOMENESS_SYSTEM",
    "START_BACK_RISK_SYSTEM",
    "START_BACK_SCORE_SYSTEM",
    "STEPS_EXTENSION",
    "STEP_EXTENSION",
    "URGENCY_SYSTEM",
    "OtherItems",
    "Resource",
    "Scale",
    "assessment_response",
    "check_in_questionnaire",
    "odi_questionnaire",
    "read_assessment",
    "read_check_in",
    "read_questionnaire_response",
    "read_start_back_response",
    "score_questionnaire_response",
    "score_start_back_response",
    "screening_questionnaire",
    "start_back_questionnaire",
    "to_care_plan",
    "to_observation",
    "to_pain_observation",
    "to_questionnaire_response",
]

Scale: TypeAlias = Literal["0-5", "1-6"]
"""How a form numbers the ODI statements: ``"0-5"`` (0 first) or ``"1-6"`` (1 first)."""

ODI_SCORE_CODE: Final = SCORE_LOINC
"""LOINC code of the ODI score [S17]."""
ODI_SCORE_DISPLAY: Final = "Oswestry disability index score ODI"
ODI_QUESTIONNAIRE_CODE: Final = PANEL_LOINC
"""LOINC code of the ODI questionnaire panel [S17]."""
ODI_BAND_SYSTEM: Final = "urn:backtriage:odi-band"
ODI_STATEMENT_SYSTEM: Final = STATEMENT_SYSTEM
"""Code system of an ODI answer coded as its statement's position, ``"0"`` (first) to ``"5"``."""
START_BACK_ANSWER_SYSTEM: Final = ANSWER_SYSTEM
"""Code system of the answers to STarT Back items 1 to 8: ``"disagree"`` (0), ``"agree"`` (1)."""
START_BACK_BOTHERSOMENESS_SYSTEM: Final = BOTHERSOMENESS_SYSTEM
"""Code system of the answers to STarT Back item 9: ``"not_at_all"`` ... ``"extremely"``."""
START_BACK_SCORE_SYSTEM: Final = "urn:backtriage:start-back-score"
"""Code system of the STarT Back scores (``"total"``, ``"psychosocial"``): no LOINC code found."""
START_BACK_RISK_SYSTEM: Final = "urn:backtriage:start-back-risk"

_UCUM: Final = "http://unitsofmeasure.org"
STEP_EXTENSION: Final = "urn:backtriage:fhir:exercise-step"
"""Extension on a CarePlan exercise activity: its dosage step now (``valueInteger``, from 1)."""
STEPS_EXTENSION: Final = "urn:backtriage:fhir:exercise-steps"
"""Extension on a CarePlan exercise activity: how many dosage steps it has (``valueInteger``)."""
_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_XHTML: Final = "http://www.w3.org/1999/xhtml"
_SECTIONS: Final = tuple(OdiSection)

_ODI: Final = describe_odi()
_START_BACK: Final = describe_start_back()

_URGENCY_DISPLAY: Final = {
    Urgency.ROUTINE: "Routine review by a GP or physiotherapist",
    Urgency.SOON: "Review by a GP or physiotherapist within about two weeks",
    Urgency.SAME_DAY: "Speak to a clinician today",
    Urgency.EMERGENCY: "Emergency care now",
}


# -- The forms ----------------------------------------------------------------------------------


def odi_questionnaire(*, texts: Mapping[str, str] | None = None) -> Resource:
    """Return the ODI as an R4 ``Questionnaire``: items ``odi-1`` ... ``odi-10``.

    Each item is a choice of six options coded ``"0"`` ... ``"5"`` in
    :data:`~backtriage.fhir.ODI_STATEMENT_SYSTEM`, each with its ``ordinalValue`` weight (the
    statement's position). The statement wording is licensed, so item texts are the short
    section titles and option texts placeholders, unless ``texts`` maps a linkId to the item's
    text and ``"odi-1/0"`` (linkId/position, 0 first) to an option's text.

    Raises :class:`~backtriage.InvalidAnswerError` (field ``"texts"``) for a key that is no
    linkId or option of the form, or an empty text.
    """
    return questionnaire(_ODI, texts)


def start_back_questionnaire(*, texts: Mapping[str, str] | None = None) -> Resource:
    """Return the Keele STarT Back Screening Tool as an R4 ``Questionnaire``: items ``sbst-1``
    ... ``sbst-9``.

    Items 1 to 8 offer ``disagree`` (weight 0) and ``agree`` (weight 1) in
    :data:`~backtriage.fhir.START_BACK_ANSWER_SYSTEM`; item 9 the five answers of
    :data:`~backtriage.fhir.START_BACK_BOTHERSOMENESS_SYSTEM` (weight 1 for very much and
    extremely). Item wording is licensed: placeholders unless ``texts`` maps a linkId to the
    item's text and ``"sbst-1/0"`` (linkId/position, 0 first) to an option's text.
    """
    return questionnaire(_START_BACK, texts)


def screening_questionnaire(protocol: Protocol | None = None) -> Resource:
    """Return one R4 ``Questionnaire`` for a whole assessment under ``protocol`` (the default
    protocol when ``None``), built from :func:`~backtriage.questions`.

    Items, in the order of ``questions()``: every red flag (a required boolean item, linkId its
    key); the ODI as a group ``odi`` holding ``odi-1`` ... ``odi-10``; the STarT Back as a group
    ``start_back`` holding ``sbst-1`` ... ``sbst-9`` where the protocol uses it; ``age`` (an
    integer, 0 to 130) and ``preference`` (a choice in
    :data:`~backtriage.fhir.PREFERENCE_SYSTEM`) where the protocol uses them; then each finding
    and capability (a boolean item, linkId its key). :func:`read_assessment` reads a response
    to it.

    Its ``url`` names the protocol (``urn:backtriage:questionnaire:screening:backtriage-default``)
    and its ``version`` is the protocol's version: a response names the form it answers by the
    canonical ``url|version``, as the meaning of a question may change between versions.
    """
    return _forms.screening_questionnaire(protocol)


def check_in_questionnaire(plan: Plan, protocol: Protocol | None = None) -> Resource:
    """Return the R4 ``Questionnaire`` of a check-in that follows ``plan`` up.

    Items: every red flag (a required boolean, linkId its key); ``pain`` (integer 0 to 10,
    required) and ``days`` (integer, 0 or more, required); a group ``exercises`` holding, for
    each exercise the plan gives, a group (linkId the exercise id) of ``<id>.done`` (boolean),
    ``<id>.pain_during`` (integer 0 to 10) and ``<id>.next_morning`` (a choice in
    :data:`~backtriage.fhir.NEXT_MORNING_SYSTEM`), the last two enabled when it was done; the
    ODI again (group ``odi``, optional); ``age`` where the protocol uses it (optional: it carries
    over); then each finding and capability (optional: what changed). Every text is the
    protocol's. :func:`~backtriage.fhir.read_check_in` reads a response to it.
    """
    return _forms.check_in_questionnaire(plan, protocol)


# -- QuestionnaireResponse in --------------------------------------------------------------------


@at_fhir_paths
def read_questionnaire_response(
    resource: Mapping[str, object],
    *,
    in_progress: bool = False,
    questionnaire: Mapping[str, object] | None = None,
    link_ids: Mapping[str, str] | None = None,
    other_items: OtherItems = "error",
    score_link_id: str | None = None,
    scale: Scale = "0-5",
) -> dict[str, object]:
    """Return the ODI answers of a FHIR R4 ``QuestionnaireResponse``, keyed by section key.

    Items are found by linkId (``odi-1`` ... ``odi-10``, a section key, ``traveling``, or a
    linkId that ``link_ids`` maps to a section key, e.g. ``{"/odi/q3": "lifting"}``), wherever
    R4 lets them nest: inside groups, under other items and under their answers (also under an
    item that ``other_items="ignore"`` skips). Each answer is read by what its sender declares, never guessed:

    - ``valueInteger``, or a ``valueDecimal`` with a whole value (``2.0``): the statement,
      ``0`` first (``1`` first with ``scale="1-6"``);
    - ``valueCoding``: by its own weight extension (``ordinalValue``, ``itemWeight`` or
      ``iso21090-CO-value``), by its code in :data:`ODI_STATEMENT_SYSTEM`, or by the weight of
      the matching option of ``questionnaire`` (an R4 ``Questionnaire`` as a dict; matched by
      system and code, or by display where its options carry no code). Where several of these
      are given they must agree;
    - ``valueString``: exactly the text of one option of ``questionnaire``.

    An item without an answer, or a section without an item, is unanswered (``None``); several
    answers to one item are several marked statements (a list, of which
    :func:`~backtriage.score_odi` counts the highest).

    The form's own calculated score (an item coded LOINC 97909-6 in ``questionnaire``, an answer
    coded 97909-6 with the percent in its weight extension, or the item ``score_link_id``) is
    a percent checked against backtriage's: more than 0.5 percentage points apart is an error
    naming both. Other items are refused unless ``other_items="ignore"``.

    Raises :class:`~backtriage.InvalidAnswerError` whose ``field`` is the linkId for an unknown
    item, a second item for the same section, or an answer whose meaning is not declared (a
    code without a system or of an unknown system that no Questionnaire or weight resolves, a
    string no option has, a decimal with a fraction, an integer that is none of the
    Questionnaire's integer options); for a Questionnaire whose ODI items declare another scale
    than ``scale`` by their options' weights, their integer options or their ``minValue`` and
    ``maxValue`` (a 1-6 form needs ``scale="1-6"``; it is never shifted silently), or that is
    not the one the response names (another url, another version, or no url); and for a resource that is not a
    ``QuestionnaireResponse``, has no R4 ``status`` or is ``entered-in-error``. A response
    still ``in-progress`` is refused too, as its answers may change, unless
    ``in_progress=True`` (to show a form half filled in, never to score it).
    """
    reading = read_response(
        _ODI.fhir_form(),
        resource,
        in_progress=in_progress,
        questionnaire=questionnaire,
        link_ids=link_ids,
        other_items=other_items,
        score_link_id=score_link_id,
        scale=scale,
    )
    check_stated(_ODI.fhir_form(), reading, None)
    return reading.answers


@at_fhir_paths
def score_questionnaire_response(
    resource: Mapping[str, object],
    *,
    max_missing: int = 1,
    questionnaire: Mapping[str, object] | None = None,
    link_ids: Mapping[str, str] | None = None,
    other_items: OtherItems = "error",
    score_link_id: str | None = None,
    scale: Scale = "0-5",
) -> OdiScore:
    """Score the ODI answers of a ``QuestionnaireResponse`` (read as
    :func:`read_questionnaire_response` reads them) with :func:`~backtriage.score_odi`.

    Raises what both raise: :class:`~backtriage.InvalidAnswerError` for a bad item or a form
    score that disagrees, :class:`~backtriage.IncompleteError` when more than ``max_missing``
    sections are unanswered. A response ``in-progress`` is refused (field ``"status"``): score
    it once it is ``completed`` (or ``amended``, or ``stopped``, whose unanswered items count
    as missing sections).
    """
    reading = read_response(
        _ODI.fhir_form(),
        resource,
        in_progress=False,
        questionnaire=questionnaire,
        link_ids=link_ids,
        other_items=other_items,
        score_link_id=score_link_id,
        scale=scale,
    )
    score = score_odi(reading.answers, max_missing=max_missing)
    check_stated(_ODI.fhir_form(), reading, score)
    return score


@at_fhir_paths
def read_start_back_response(
    resource: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    link_ids: Mapping[str, str] | None = None,
    other_items: OtherItems = "error",
    in_progress: bool = False,
) -> dict[str, int | None]:
    """Return the STarT Back item scores (0 or 1; ``None`` unanswered) of a
    ``QuestionnaireResponse``, keyed by item key.

    Items are found by linkId (``sbst-1`` ... ``sbst-9``, an item key, or a linkId that
    ``link_ids`` maps to an item key), also inside groups. An answer is a ``valueBoolean`` (items
    1 to 8: agree is true), the item score as ``valueInteger`` or a whole ``valueDecimal``, a
    ``valueCoding`` of :data:`START_BACK_ANSWER_SYSTEM` (``agree``/``disagree``) or
    :data:`START_BACK_BOTHERSOMENESS_SYSTEM` (item 9), or one resolved by its weight extension
    or by the weight of the matching option of ``questionnaire``, or a ``valueString`` matched
    exactly to an option text of ``questionnaire``. Other items are refused unless
    ``other_items="ignore"``.

    Raises :class:`~backtriage.InvalidAnswerError` naming the linkId for an unknown item, a
    second item for one STarT Back item, more than one answer, or an answer whose meaning is not
    declared; and for a response that cannot be read, as
    :func:`read_questionnaire_response` does.
    """
    reading = read_response(
        _START_BACK.fhir_form(),
        resource,
        in_progress=in_progress,
        questionnaire=questionnaire,
        link_ids=link_ids,
        other_items=other_items,
        score_link_id=None,
        scale=None,
    )
    return reading.answers  # type: ignore[return-value]


@at_fhir_paths
def score_start_back_response(
    resource: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    link_ids: Mapping[str, str] | None = None,
    other_items: OtherItems = "error",
) -> StartBackScore:
    """Score the STarT Back answers of a ``QuestionnaireResponse`` (see
    :func:`read_start_back_response`) with :func:`~backtriage.score_start_back`.

    Raises :class:`~backtriage.IncompleteError` naming every unanswered item (the tool has no
    rule for missing items) and :class:`~backtriage.InvalidAnswerError` for a bad item.
    """
    return score_start_back(
        read_start_back_response(
            resource, questionnaire=questionnaire, link_ids=link_ids, other_items=other_items
        )
    )


def read_assessment(
    response: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    protocol: Protocol | None = None,
    odi_max_missing: int = 1,
    read_as: Mapping[str | None, str] | None = None,
) -> Assessment:
    """Return the :class:`~backtriage.Assessment` a response to
    :func:`screening_questionnaire` holds.

    Red flags, findings and capabilities are boolean items named by their keys; an item without
    an answer stays unanswered (a red flag is then missing from the plan, never "no"). The ODI
    items (group ``odi``) and the STarT Back items (group ``start_back``) are read as
    :func:`read_questionnaire_response` and :func:`read_start_back_response` read them, through
    ``questionnaire`` when given; an ODI or STarT Back with nothing answered is not asked
    (``None``). ``age`` is a ``valueInteger``; ``preference`` a coding of
    :data:`PREFERENCE_SYSTEM`. ``odi_max_missing`` is the app's own setting, passed to the
    assessment.

    The response must name the screening form of ``protocol`` in ``questionnaire``, by its
    canonical ``url|version`` (as :func:`assessment_response` writes it), and ``questionnaire``,
    when given, must be that form: a form of another protocol or version may ask a question
    with another meaning. ``read_as`` maps another form's canonical (or ``None``, for a
    response naming no form) to this form's canonical, where the caller has checked that its
    questions mean the same; each mapping must name this protocol's form, so that one made for
    an older protocol does not carry over to a newer one.

    Raises :class:`~backtriage.InvalidAnswerError` naming the linkId for an item the protocol
    does not ask, an answer of the wrong type, or anything the instrument readers refuse;
    :class:`~backtriage.IncompleteError` for a STarT Back answered in part (the tool has no
    rule for missing items); and refuses a response that cannot be read (a status other than
    completed, amended or stopped, a modifier extension).
    """
    return _screening.read_assessment(
        response,
        questionnaire=questionnaire,
        protocol=protocol,
        read_as=read_as,
        settings={"odi_max_missing": odi_max_missing},
    )


def read_check_in(
    response: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    protocol: Protocol | None = None,
) -> CheckIn:
    """Return the :class:`~backtriage.CheckIn` a response to :func:`check_in_questionnaire`
    holds.

    Red flags, findings and capabilities are boolean items named by their keys (a red flag
    without an answer is not answered, never "no"; a finding without one has not changed);
    ``pain`` and ``days`` are ``valueInteger``; each exercise's report is the group named by
    its id in the group ``exercises`` (``<id>.done`` a ``valueBoolean``, ``<id>.pain_during`` a
    ``valueInteger``, ``<id>.next_morning`` a coding of :data:`NEXT_MORNING_SYSTEM`); the ODI
    (group ``odi``) is read as :func:`read_assessment` reads it; ``age`` a ``valueInteger``.

    Raises :class:`~backtriage.InvalidAnswerError` naming the linkId for an item the form does
    not ask, an answer of the wrong type, or a value the check-in refuses (pain 11, days -1).
    """
    return _screening.read_check_in(response, questionnaire=questionnaire, protocol=protocol)


def assessment_response(
    assessment: Assessment,
    *,
    protocol: Protocol | None = None,
    start_back: Mapping[str, object] | None = None,
    subject: Mapping[str, object] | None = None,
    authored: str | None = None,
) -> Resource:
    """Return an assessment as a ``QuestionnaireResponse`` to :func:`screening_questionnaire`.

    The response names the form it answers by its canonical, ``url|version`` of
    :func:`screening_questionnaire` for ``protocol``. Every question of the protocol gets its
    item, in the form's order: red flags, findings and
    capabilities as ``valueBoolean`` (no answer when not answered, and for a finding not known
    to be answered); the ODI answers as codings of :data:`ODI_STATEMENT_SYSTEM` in the group
    ``odi``; ``age`` and ``preference``. An assessment holds the STarT Back only as a score, so
    its nine answers are passed as ``start_back`` (as :func:`~backtriage.score_start_back`
    takes them, item 9 as one of its five answers) and must give the assessment's score.
    :func:`read_assessment` reads the response back to an assessment with the same plan
    (given the same ``odi_max_missing``). An age the protocol does not use has no item and is
    not written (it changes no plan).

    Raises :class:`~backtriage.InvalidAnswerError` for a key the protocol does not ask; a STarT
    Back or a preference the form does not ask (the plan reports the one and is ordered by the
    other, so neither is dropped); an ODI held only as a score (its answers are not known);
    STarT Back answers missing or giving another score; and a ``subject`` that is not a
    Reference.
    """
    return _assessment_response(
        assessment,
        protocol=protocol,
        answers={_START_BACK.key: start_back},
        subject=subject,
        authored=authored,
    )


# -- out -----------------------------------------------------------------------------------------


def _answer_list(answer: object) -> list[int]:
    """Return the codes of one answer that ``score_odi`` has already accepted."""
    # score_odi accepts int subclasses such as IntEnum members (never bool) and reads them by
    # their plain value: each is written as that plain int, whatever its own __int__ says.
    if isinstance(answer, int) and not isinstance(answer, bool):
        return [int.__index__(answer)]
    if isinstance(answer, list | tuple | set | frozenset):
        return sorted({int.__index__(mark) for mark in answer})
    return []  # None or "not_applicable"


def to_questionnaire_response(
    answers: OdiAnswerInput,
    *,
    questionnaire: str | None = None,
    subject: Mapping[str, object] | None = None,
    authored: str | None = None,
    status: str = "completed",
) -> Resource:
    """Return ODI answers as a FHIR R4 ``QuestionnaireResponse``.

    ``answers`` is what :func:`~backtriage.score_odi` accepts; it is checked the same way and a
    bad answer raises :class:`~backtriage.InvalidAnswerError`. Items have linkIds ``odi-1`` ...
    ``odi-10`` and the short section headings; an unanswered section has no answer and several
    marked statements give several answers. ``questionnaire`` (a canonical URL), ``subject`` (a
    Reference), ``authored`` (a dateTime) and ``status`` are copied in as given.
    """
    # Checks every answer; a response with nothing answered is still a valid, empty response.
    with contextlib.suppress(IncompleteError):
        score_odi(answers, max_missing=len(_SECTIONS))
    if isinstance(answers, OdiAnswers):
        answers = answers.by_section()
    if isinstance(answers, Mapping):
        values = [answers.get(section) for section in _SECTIONS]
    else:
        values = list(answers)
    items: list[Resource] = []
    for number, (section, answer) in enumerate(zip(_SECTIONS, values, strict=True), start=1):
        item: Resource = {"linkId": f"odi-{number}", "text": section.heading}
        codes = _answer_list(answer)
        if codes:
            item["answer"] = [{"valueInteger": code} for code in codes]
        items.append(item)
    resource: Resource = {"resourceType": "QuestionnaireResponse"}
    if questionnaire is not None:
        resource["questionnaire"] = questionnaire
    resource["status"] = status
    if subject is not None:
        resource["subject"] = _reference("subject", subject)
    if authored is not None:
        resource["authored"] = authored
    resource["item"] = items
    return resource


def _reference_to(resource: Mapping[str, object]) -> Resource | None:
    """Return a Reference to ``resource`` by id, else by identifier, else ``None``."""
    kind = resource.get("resourceType")
    # A present but malformed id or identifier must not silently drop the provenance link.
    if "id" in resource:
        if not isinstance(resource["id"], str) or not resource["id"]:
            raise InvalidAnswerError("id", resource["id"], "a resource id (a non-empty string)")
        return {"reference": f"{kind}/{resource['id']}"}
    identifier = resource.get("identifier")
    if isinstance(identifier, Mapping):
        return {"type": kind, "identifier": dict(identifier)}
    if identifier is not None:
        raise InvalidAnswerError("identifier", identifier, "an Identifier (a JSON object)")
    return None


def to_observation(
    score: OdiScore | StartBackScore,
    *,
    response: Mapping[str, object] | None = None,
    subject: Mapping[str, object] | None = None,
    effective: str | None = None,
) -> Resource:
    """Return an ODI or STarT Back score as a FHIR R4 ``Observation``.

    For an :class:`~backtriage.OdiScore` the code is LOINC 97909-6; ``valueQuantity`` holds the
    unrounded percent in UCUM ``%``; ``interpretation`` holds the band (system
    :data:`ODI_BAND_SYSTEM`, code the band key such as ``"moderate"``, display its label).
    Unanswered and multiply marked sections are listed in a ``note``. For a
    :class:`~backtriage.StartBackScore` the code is ``total`` in :data:`START_BACK_SCORE_SYSTEM`
    (no LOINC code for the STarT Back score was found; see ``docs/interop.md``), the total is
    ``valueInteger``, a ``component`` holds the psychosocial subscale, and ``interpretation``
    the risk group (system :data:`START_BACK_RISK_SYSTEM`).

    With the ``QuestionnaireResponse`` the score came from, ``derivedFrom`` refers to it (by
    id, else by identifier) and its ``subject`` and ``authored`` are used unless ``subject``
    and ``effective`` are given.

    Raises :class:`~backtriage.InvalidAnswerError` when ``score`` is neither score, when
    ``response`` is not a ``QuestionnaireResponse``, or when its ``id`` is not a non-empty
    string or its ``identifier`` not an object (the reference to it would be lost).
    """
    if not isinstance(score, OdiScore | StartBackScore):
        raise InvalidAnswerError(
            "score",
            score,
            "an OdiScore or a StartBackScore, as score_odi and score_start_back return",
        )
    if response is not None:
        check_resource(response, "QuestionnaireResponse")
        if subject is None and isinstance(response.get("subject"), Mapping):
            subject = response["subject"]  # type: ignore[assignment]
        if effective is None and isinstance(response.get("authored"), str):
            effective = response["authored"]  # type: ignore[assignment]
    if isinstance(score, StartBackScore):
        code = _codeable(START_BACK_SCORE_SYSTEM, "total", "STarT Back Screening Tool total score")
    else:
        code = {
            "coding": [
                {"system": LOINC_SYSTEM, "code": ODI_SCORE_CODE, "display": ODI_SCORE_DISPLAY}
            ],
            "text": "Oswestry Disability Index score",
        }
    observation = _survey_observation(code, subject, effective)
    if isinstance(score, StartBackScore):
        observation |= _start_back_values(score)
    else:
        observation |= _odi_values(score)
    reference = _reference_to(response) if response is not None else None
    if reference is not None:
        observation["derivedFrom"] = [reference]
    return observation


@at_fhir_paths
def to_pain_observation(
    pain: int,
    *,
    subject: Mapping[str, object] | None = None,
    effective: str | None = None,
) -> Resource:
    """Return a pain rating on the 0-10 numeric rating scale as a FHIR R4 ``Observation``.

    The code is LOINC 72514-3 ("Pain severity - 0-10 verbal numeric rating [Score] -
    Reported"); ``valueInteger`` holds the rating. Raises
    :class:`~backtriage.InvalidAnswerError` for anything but a whole number from 0 to 10.
    """
    return _rating_observation(describe_pain(), pain, subject=subject, effective=effective)


def _rating_observation(
    instrument: Instrument,
    value: object,
    *,
    subject: Mapping[str, object] | None,
    effective: str | None,
) -> Resource:
    """Return a registered instrument's rating as an ``Observation`` coded by its LOINC code."""
    rating = instrument.check(value, instrument.key)
    coding = {"system": LOINC_SYSTEM, "code": instrument.code, "display": instrument.display}
    code: Resource = {"coding": [coding], "text": instrument.display}
    observation = _survey_observation(code, subject, effective)
    observation["valueInteger"] = rating
    return observation


def _survey_observation(
    code: Resource, subject: Mapping[str, object] | None, effective: str | None
) -> Resource:
    """Return a final survey ``Observation`` of ``code``, about ``subject``, at ``effective``."""
    observation: Resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": _CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}
        ],
        "code": code,
    }
    if subject is not None:
        observation["subject"] = _reference("subject", subject)
    if effective is not None:
        observation["effectiveDateTime"] = effective
    return observation


def _odi_values(score: OdiScore) -> Resource:
    band = score.band
    values: Resource = {
        "valueQuantity": {"value": score.percent, "unit": "%", "system": _UCUM, "code": "%"},
        "interpretation": [_codeable(ODI_BAND_SYSTEM, band.value, band.label)],
    }
    notes = []
    if score.missing:
        notes.append(
            f"Scored on {score.answered} of 10 sections; unanswered: "
            + ", ".join(section.value for section in score.missing)
            + "."
        )
    if score.multiple_marks:
        notes.append(
            "Several statements marked (the highest counted): "
            + ", ".join(section.value for section in score.multiple_marks)
            + "."
        )
    if notes:
        values["note"] = [{"text": text} for text in notes]
    return values


def _start_back_values(score: StartBackScore) -> Resource:
    risk = score.risk
    return {
        "valueInteger": score.total,
        "interpretation": [
            _codeable(START_BACK_RISK_SYSTEM, risk.value, f"{risk.value.capitalize()} risk")
        ],
        "component": [
            {
                "code": _codeable(
                    START_BACK_SCORE_SYSTEM, "psychosocial", "STarT Back psychosocial subscale"
                ),
                "valueInteger": score.psychosocial,
            }
        ],
    }


def _codeable(system: str, code: str, display: str) -> Resource:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _narrative(plan: Plan) -> Resource:
    paragraphs = "".join(
        f"<p>{html.escape(line)}</p>" for line in plan.summary().splitlines() if line
    )
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{paragraphs}</div>'}


def to_care_plan(
    plan: Plan,
    *,
    subject: Mapping[str, object] | None = None,
    response: Mapping[str, object] | None = None,
    created: str | None = None,
    supporting_info: Sequence[Mapping[str, object]] = (),
) -> Resource:
    """Return a plan as a FHIR R4 ``CarePlan`` with intent ``proposal``.

    FHIR requires a ``subject`` (a Reference to the patient): give it, or give the
    ``QuestionnaireResponse`` the plan was read from (:func:`read_assessment`), whose
    ``subject`` is then used and which ``supportingInfo`` refers to (by id, else identifier).
    Raises :class:`~backtriage.InvalidAnswerError` (field ``subject``) when neither names one.
    The activities are, in
    order: a referral (``kind`` ``ServiceRequest``, code the urgency in
    :data:`URGENCY_SYSTEM`) when the urgency is above ``none``; each exercise that may be done
    (code in :data:`EXERCISE_SYSTEM`, instructions, dosage and cautions in ``description``); and
    each withheld exercise with ``doNotPerform`` true and every reason in ``reasonCode`` (code
    the rule id in :data:`RULE_SYSTEM`). A same-day or emergency plan lists no exercise
    activity at all, as its summary names none. The status is ``draft`` while ``plan.missing``
    names questions to ask (listed in a ``note``), else ``active``. Every plan but an
    emergency carries its safety net as the first three ``note`` entries (the signs for an
    emergency department now under their heading, those for a doctor today, the review
    point); every text comes from the protocol (``plan.texts``).
    ``supporting_info`` holds References, for example to the ``QuestionnaireResponse`` and
    ``Observation``.
    """
    supporting = [dict(reference) for reference in supporting_info]
    if response is not None:
        check_resource(response, "QuestionnaireResponse")
        if subject is None and isinstance(response.get("subject"), Mapping):
            subject = response["subject"]  # type: ignore[assignment]
        link = _reference_to(response)
        if link is not None and link not in supporting:
            supporting.append(link)
    if subject is None:
        raise InvalidAnswerError(
            "subject",
            None,
            "a Reference to the patient (FHIR requires it): pass subject=, or response= "
            "with a subject",
        )
    activities: list[Resource] = []
    if plan.urgency > Urgency.NONE:
        activities.append(
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": _codeable(
                        URGENCY_SYSTEM, plan.urgency.value, _URGENCY_DISPLAY[plan.urgency]
                    ),
                    "status": "not-started",
                    "doNotPerform": False,
                    "description": plan.advice,
                }
            }
        )
    # At same_day or emergency no exercise is named, not even as withheld, as in summary().
    act_now = plan.urgency >= Urgency.SAME_DAY
    for prescription in () if act_now else plan.exercises:
        exercise = prescription.exercise
        text = " ".join(
            [
                exercise.instructions,
                prescription.dosage,
                *(
                    f"{plan.texts.caution_label}: {caution.text}"
                    for caution in prescription.cautions
                ),
            ]
        )
        activities.append(
            {
                "detail": {
                    # The step from 1, as a person counts, and how many there are.
                    "extension": [
                        {"url": STEP_EXTENSION, "valueInteger": prescription.step + 1},
                        {"url": STEPS_EXTENSION, "valueInteger": prescription.steps},
                    ],
                    "code": _codeable(EXERCISE_SYSTEM, exercise.id, exercise.title),
                    "status": "not-started",
                    "doNotPerform": False,
                    "description": text,
                }
            }
        )
    for withheld in () if act_now else plan.withheld:
        exercise = withheld.exercise
        activities.append(
            {
                "detail": {
                    "code": _codeable(EXERCISE_SYSTEM, exercise.id, exercise.title),
                    "reasonCode": [
                        _codeable(RULE_SYSTEM, reason.rule, reason.text)
                        for reason in withheld.reasons
                    ],
                    "status": "not-started",
                    "doNotPerform": True,
                }
            }
        )
    texts = plan.texts
    notes = []
    net = plan.safety_net
    if net is not None:
        # Each list whole in one note, under its heading: the net is never cut to fit.
        notes.append(" ".join([texts.emergency_heading, *net.emergency]))
        notes.append(" ".join([texts.today_heading, *net.today]))
        notes.append(net.review)
    if plan.missing:
        notes.append(" ".join([texts.answer_first_heading, *plan.missing_questions]))
    if texts.self_management and plan.exercises and not act_now:
        notes.append(" ".join([texts.self_management_heading, *texts.self_management]))
    # The audit trail, for the record: the protocol and the ids of the rules that fired.
    fired = ", ".join(rule.rule for rule in plan.fired)
    notes.append(
        f"{texts.protocol_label} {plan.protocol_name} {plan.protocol_version}"
        + (f": {fired}" if fired else "")
    )
    notes.append(texts.disclaimer)
    care_plan: Resource = {
        "resourceType": "CarePlan",
        "text": _narrative(plan),
        "status": "draft" if plan.missing else "active",
        "intent": "proposal",
        "title": texts.care_plan_title,
        "description": plan.advice,
        "subject": _reference("subject", subject),
    }
    if created is not None:
        care_plan["created"] = created
    if supporting:
        care_plan["supportingInfo"] = supporting
    care_plan["activity"] = activities
    care_plan["note"] = [{"text": text} for text in notes]
    return care_plan
