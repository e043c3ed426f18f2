"""FHIR R4 in and out as plain dicts: no FHIR library is needed.

- :func:`read_questionnaire_response` reads ODI answers from a ``QuestionnaireResponse``
  (linkIds ``odi-1`` ... ``odi-10`` or the section keys; ``valueInteger`` or a ``valueCoding``
  whose code is ``"0"`` ... ``"5"``); :func:`score_questionnaire_response` also scores them.
- :func:`to_questionnaire_response` writes ODI answers as a ``QuestionnaireResponse``.
- :func:`to_observation` writes an :class:`~backtriage.OdiScore` as an ``Observation``
  (LOINC 97909-6, the percent as ``valueQuantity``, the band as ``interpretation``).
- :func:`to_care_plan` writes a :class:`~backtriage.Plan` as a ``CarePlan``; why a CarePlan and
  not a RiskAssessment is explained in ``docs/interop.md``.

Resources are ``dict`` values ready for ``json.dumps``; inputs are any mappings, as
``json.loads`` gives them. The codes backtriage defines itself (bands, urgencies, exercises,
rules) use the provisional ``urn:backtriage:...`` systems below; an app that publishes the
resources may replace them with canonical URLs of its own.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, TypeAlias

from backtriage.batch import ALIASES
from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments.odi import OdiAnswers, OdiScore, OdiSection, score_odi
from backtriage.protocol.model import Urgency
from backtriage.recommend import DISCLAIMER, Plan

__all__ = [
    "EXERCISE_SYSTEM",
    "LOINC_SYSTEM",
    "ODI_BAND_SYSTEM",
    "ODI_QUESTIONNAIRE_CODE",
    "ODI_SCORE_CODE",
    "ODI_STATEMENT_SYSTEM",
    "RULE_SYSTEM",
    "URGENCY_SYSTEM",
    "Resource",
    "read_questionnaire_response",
    "score_questionnaire_response",
    "to_care_plan",
    "to_observation",
    "to_questionnaire_response",
]

Resource: TypeAlias = dict[str, object]
"""A FHIR resource as JSON data."""

LOINC_SYSTEM: Final = "http://loinc.org"
ODI_SCORE_CODE: Final = "97909-6"
"""LOINC code of the ODI score [S17]."""
ODI_QUESTIONNAIRE_CODE: Final = "97908-8"
"""LOINC code of the ODI questionnaire panel [S17]."""
ODI_BAND_SYSTEM: Final = "urn:backtriage:odi-band"
ODI_STATEMENT_SYSTEM: Final = "urn:backtriage:odi-statement"
"""Code system of an ODI answer coded as its statement's position, ``"0"`` (first) to ``"5"``."""
URGENCY_SYSTEM: Final = "urn:backtriage:urgency"
EXERCISE_SYSTEM: Final = "urn:backtriage:exercise"
RULE_SYSTEM: Final = "urn:backtriage:rule"

_UCUM: Final = "http://unitsofmeasure.org"
_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_XHTML: Final = "http://www.w3.org/1999/xhtml"
_SECTIONS: Final = tuple(OdiSection)
_CODES: Final = {str(code): code for code in range(6)}
_LINK_IDS: Final = (
    "linkId odi-1 to odi-10 or a section key (" + ", ".join(_SECTIONS) + "); groups may hold them"
)
# R4 statuses; entered-in-error is refused apart, with its own reason.
_STATUSES: Final = ("completed", "amended", "stopped", "in-progress", "entered-in-error")
_STATUS_LIST: Final = ", ".join(_STATUSES)
_VALUE_ALLOWED: Final = (
    "valueInteger 0 to 5, or a valueCoding whose code is '0' to '5' (the statement's position) "
    f"and whose system is absent or {ODI_STATEMENT_SYSTEM}"
)

_URGENCY_DISPLAY: Final = {
    Urgency.ROUTINE: "Routine review by a GP or physiotherapist",
    Urgency.SOON: "Review by a GP or physiotherapist within about two weeks",
    Urgency.SAME_DAY: "Speak to a clinician today",
    Urgency.EMERGENCY: "Emergency care now",
}


# -- QuestionnaireResponse in --------------------------------------------------------------------


def _check_resource(resource: object, kind: str) -> Mapping[str, object]:
    if not isinstance(resource, Mapping):
        raise InvalidAnswerError("resource", resource, f"a {kind} resource (a JSON object)")
    if resource.get("resourceType") != kind:
        raise InvalidAnswerError("resourceType", resource.get("resourceType"), repr(kind))
    _no_modifiers(resource, "modifierExtension")
    return resource


def _no_modifiers(element: Mapping[str, object], where: str) -> None:
    # FHIR: a modifier extension changes the meaning of its element, and one a reader does
    # not understand must not be ignored. backtriage understands none.
    if element.get("modifierExtension"):
        raise InvalidAnswerError(
            where,
            element["modifierExtension"],
            "no modifierExtension: it may change what the answer means, and it is not understood",
        )


def _odi_items(items: object, where: str) -> Iterator[tuple[str, OdiSection, Mapping[str, object]]]:
    """Yield ``(linkId, section, item)`` for every ODI item, looking inside groups."""
    if items is None:
        return
    if not isinstance(items, list):
        raise InvalidAnswerError(where, items, "a list of items")
    for item in items:
        link_id = item.get("linkId") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not isinstance(link_id, str):
            raise InvalidAnswerError(where, item, "an item with a linkId")
        _no_modifiers(item, link_id)
        # linkIds are case-sensitive in FHIR, so no normalising here (unlike CSV headers).
        section = ALIASES.get(link_id)
        if section is not None:
            yield link_id, section, item
        elif "answer" not in item and item.get("item"):
            yield from _odi_items(item["item"], link_id)  # a group of items
        else:
            raise InvalidAnswerError(link_id, link_id, f"an ODI item: {_LINK_IDS}")


def _answer_code(link_id: str, answer: object) -> int:
    if not isinstance(answer, Mapping):
        raise InvalidAnswerError(link_id, answer, _VALUE_ALLOWED)
    _no_modifiers(answer, link_id)
    if answer.get("item"):
        raise InvalidAnswerError(link_id, answer, "an answer without nested items")
    values = [key for key in answer if not isinstance(key, str) or key.startswith("value")]
    if values == ["valueInteger"]:
        value = answer["valueInteger"]
        # bool is an int in Python; JSON true is never statement 1.
        if type(value) is int and 0 <= value <= 5:
            return value
        raise InvalidAnswerError(link_id, value, _VALUE_ALLOWED)
    if values == ["valueCoding"]:
        coding = answer["valueCoding"]
        if not isinstance(coding, Mapping):
            raise InvalidAnswerError(link_id, coding, _VALUE_ALLOWED)
        system = coding.get("system", ODI_STATEMENT_SYSTEM)
        if system != ODI_STATEMENT_SYSTEM:
            # Another code system's "1" may be the first statement (1-based) or anything else:
            # reading it as a position would silently score the wrong statement.
            raise InvalidAnswerError(
                link_id,
                coding,
                f"{_VALUE_ALLOWED}; the codes of system {system!r} have a meaning backtriage "
                "cannot know: translate them to statement positions first",
            )
        code = coding.get("code")
        if isinstance(code, str) and code in _CODES:
            return _CODES[code]
        raise InvalidAnswerError(link_id, coding, _VALUE_ALLOWED)
    raise InvalidAnswerError(link_id, answer, f"one value: {_VALUE_ALLOWED}")


def read_questionnaire_response(
    resource: Mapping[str, object], *, in_progress: bool = False
) -> dict[str, object]:
    """Return the ODI answers of a FHIR R4 ``QuestionnaireResponse``, keyed by section key.

    Items are found by linkId (``odi-1`` ... ``odi-10``, a section key, or ``traveling``), also
    inside groups. Each answer is a ``valueInteger`` 0..5 or a ``valueCoding`` with code
    ``"0"`` ... ``"5"`` (the statement's position, 0 first) and no system or the system
    :data:`ODI_STATEMENT_SYSTEM`; a coding of any other system is refused, as its codes mean
    what that system says, not a position. An item without an answer, or a
    section without an item, is unanswered (``None``); several answers to one item are
    several marked statements (a list, of which :func:`~backtriage.score_odi` counts the
    highest).

    Raises :class:`~backtriage.InvalidAnswerError` whose ``field`` is the linkId for an unknown
    item, a second item for the same section, or a bad answer; and for a resource that is not
    a ``QuestionnaireResponse``, has no R4 ``status`` (a required element) or is
    ``entered-in-error``. A response still ``in-progress`` is refused too, as its answers may
    change, unless ``in_progress=True`` (to show a form half filled in, never to score it).
    """
    _check_resource(resource, "QuestionnaireResponse")
    status = resource.get("status")
    if status == "entered-in-error":
        raise InvalidAnswerError(
            "status", status, "a response that was not entered in error; it must not be scored"
        )
    if status not in _STATUSES:
        raise InvalidAnswerError(
            "status", status, f"a QuestionnaireResponse status: {_STATUS_LIST}"
        )
    if status == "in-progress" and not in_progress:
        raise InvalidAnswerError(
            "status",
            status,
            "a finished response (completed, amended or stopped); answers in progress may "
            "still change (pass in_progress=True only to show them)",
        )
    answers: dict[OdiSection, object] = {}
    link_ids: dict[OdiSection, str] = {}
    for link_id, section, item in _odi_items(resource.get("item"), "item"):
        if section in link_ids:
            raise InvalidAnswerError(
                link_id,
                link_id,
                f"one item per section; {section.value} is already answered by item "
                f"{link_ids[section]!r}",
            )
        link_ids[section] = link_id
        if item.get("item"):
            raise InvalidAnswerError(link_id, item["item"], "an ODI item without nested items")
        given = item.get("answer", [])
        if not isinstance(given, list):
            raise InvalidAnswerError(link_id, given, f"a list of answers: {_VALUE_ALLOWED}")
        codes = sorted({_answer_code(link_id, answer) for answer in given})
        answers[section] = None if not codes else codes[0] if len(codes) == 1 else codes
    return {section.value: answers.get(section) for section in _SECTIONS}


def score_questionnaire_response(
    resource: Mapping[str, object], *, max_missing: int = 1
) -> OdiScore:
    """Score the ODI answers of a ``QuestionnaireResponse`` (see
    :func:`read_questionnaire_response`) with :func:`~backtriage.score_odi`.

    Raises what both raise: :class:`~backtriage.InvalidAnswerError` for a bad item,
    :class:`~backtriage.IncompleteError` when more than ``max_missing`` sections are
    unanswered. A response ``in-progress`` is refused (field ``"status"``): score it once it
    is ``completed`` (or ``amended``, or ``stopped``, whose unanswered items count as missing
    sections).
    """
    return score_odi(read_questionnaire_response(resource), max_missing=max_missing)


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
    answers: OdiAnswers,
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


def _reference(field: str, value: object) -> Resource:
    """Return a copy of a Reference given by the caller, or refuse what is not one."""
    if not isinstance(value, Mapping) or not (
        isinstance(value.get("reference"), str)
        or isinstance(value.get("identifier"), Mapping)
        or isinstance(value.get("display"), str)
    ):
        raise InvalidAnswerError(
            field,
            value,
            'a FHIR Reference with a reference, identifier or display, e.g. {"reference": '
            '"Patient/123"}',
        )
    return dict(value)


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
    score: OdiScore,
    *,
    response: Mapping[str, object] | None = None,
    subject: Mapping[str, object] | None = None,
    effective: str | None = None,
) -> Resource:
    """Return an ODI score as a FHIR R4 ``Observation``.

    The code is LOINC 97909-6; ``valueQuantity`` holds the unrounded percent in UCUM ``%``;
    ``interpretation`` holds the band (system :data:`ODI_BAND_SYSTEM`, code the band key such
    as ``"moderate"``, display its label). With the ``QuestionnaireResponse`` the score came
    from, ``derivedFrom`` refers to it (by id, else by identifier) and its ``subject`` and
    ``authored`` are used unless ``subject`` and ``effective`` are given. Unanswered and
    multiply marked sections are listed in a ``note``.

    Raises :class:`~backtriage.InvalidAnswerError` when ``score`` is not an ``OdiScore``, when
    ``response`` is not a ``QuestionnaireResponse``, or when its ``id`` is not a non-empty
    string or its ``identifier`` not an object (the reference to it would be lost).
    """
    if not isinstance(score, OdiScore):
        raise InvalidAnswerError("score", score, "an OdiScore, as score_odi returns")
    if response is not None:
        _check_resource(response, "QuestionnaireResponse")
        if subject is None and isinstance(response.get("subject"), Mapping):
            subject = response["subject"]  # type: ignore[assignment]
        if effective is None and isinstance(response.get("authored"), str):
            effective = response["authored"]  # type: ignore[assignment]
    band = score.band
    observation: Resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": _CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [{"system": LOINC_SYSTEM, "code": ODI_SCORE_CODE}],
            "text": "Oswestry Disability Index score",
        },
    }
    if subject is not None:
        observation["subject"] = _reference("subject", subject)
    if effective is not None:
        observation["effectiveDateTime"] = effective
    observation["valueQuantity"] = {
        "value": score.percent,
        "unit": "%",
        "system": _UCUM,
        "code": "%",
    }
    observation["interpretation"] = [
        {
            "coding": [{"system": ODI_BAND_SYSTEM, "code": band.value, "display": band.label}],
            "text": band.label,
        }
    ]
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
        observation["note"] = [{"text": text} for text in notes]
    reference = _reference_to(response) if response is not None else None
    if reference is not None:
        observation["derivedFrom"] = [reference]
    return observation


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
    subject: Mapping[str, object],
    created: str | None = None,
    supporting_info: Sequence[Mapping[str, object]] = (),
) -> Resource:
    """Return a plan as a FHIR R4 ``CarePlan`` with intent ``proposal``.

    ``subject`` (a Reference to the patient) is required by FHIR. The activities are, in
    order: a referral (``kind`` ``ServiceRequest``, code the urgency in
    :data:`URGENCY_SYSTEM`) when the urgency is above ``none``; each exercise that may be done
    (code in :data:`EXERCISE_SYSTEM`, instructions, dosage and cautions in ``description``); and
    each withheld exercise with ``doNotPerform`` true and every reason in ``reasonCode`` (code
    the rule id in :data:`RULE_SYSTEM`). The status is ``draft`` while ``plan.missing`` names
    questions to ask (listed in a ``note``), else ``active``. A plan that gives exercises
    carries its safety net (when to get help at once) as the first ``note``.
    ``supporting_info`` holds References, for example to the ``QuestionnaireResponse`` and
    ``Observation``.
    """
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
    for prescription in plan.exercises:
        exercise = prescription.exercise
        text = " ".join(
            [
                exercise.instructions,
                exercise.dosage,
                *(f"Caution: {caution.text}" for caution in prescription.cautions),
            ]
        )
        activities.append(
            {
                "detail": {
                    "code": _codeable(EXERCISE_SYSTEM, exercise.id, exercise.title),
                    "status": "not-started",
                    "doNotPerform": False,
                    "description": text,
                }
            }
        )
    for withheld in plan.withheld:
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
    notes = []
    if plan.safety_net:
        notes.append(plan.safety_net)
    if plan.missing:
        notes.append(
            "Before any exercise can be suggested, ask: " + " ".join(plan.missing_questions)
        )
    notes.append(
        f"Made by protocol {plan.protocol_name} {plan.protocol_version}; rules fired: "
        + (", ".join(rule.rule for rule in plan.fired) or "none")
        + "."
    )
    notes.append(DISCLAIMER)
    care_plan: Resource = {
        "resourceType": "CarePlan",
        "text": _narrative(plan),
        "status": "draft" if plan.missing else "active",
        "intent": "proposal",
        "title": "Lower back pain: exercises and when to see a clinician",
        "description": plan.advice,
        "subject": _reference("subject", subject),
    }
    if created is not None:
        care_plan["created"] = created
    if supporting_info:
        care_plan["supportingInfo"] = [dict(reference) for reference in supporting_info]
    care_plan["activity"] = activities
    care_plan["note"] = [{"text": text} for text in notes]
    return care_plan
