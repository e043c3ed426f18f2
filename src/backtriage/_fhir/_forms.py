"""The forms backtriage publishes: R4 ``Questionnaire`` resources an SDC form filler renders.

A scored instrument's form is read from its description (``ScoredInstrument.fhir_form``); its
wording is licensed, so the forms carry placeholders unless the app passes its licensed
``texts``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Final

from backtriage._fhir._common import (
    LOINC_SYSTEM,
    NEXT_MORNING_SYSTEM,
    ORDINAL_VALUE,
    PREFERENCE_SYSTEM,
    QUESTIONNAIRE_URL,
    Resource,
    check_texts,
)
from backtriage._plan import Plan, QuestionKind, default_protocol, questions
from backtriage.assessment import NextMorning, Preference
from backtriage.instruments._form import ItemForm
from backtriage.instruments._instrument import ScoredInstrument
from backtriage.instruments._registry import SCORED, check_in_instruments
from backtriage.protocol import Protocol

SCREENING_URL: Final = f"{QUESTIONNAIRE_URL}:screening"
AGE: Final = "age"
PREFERENCE: Final = "preference"
CHECK_IN_URL: Final = f"{QUESTIONNAIRE_URL}:check-in"
DAYS: Final = "days"
EXERCISES_GROUP: Final = "exercises"
REPORT_PARTS: Final = ("done", "pain_during", "next_morning")
"""The items of one exercise's report: linkId ``<exercise id>.<part>``."""

_MIN_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
_PREFERENCE_DISPLAY: Final = {
    Preference.EXTENSION: "Extension (bending backwards) eases the symptoms",
    Preference.FLEXION: "Flexion (bending forwards) eases the symptoms",
    Preference.LATERAL: "Moving sideways eases the symptoms",
}


def scored_forms() -> dict[str, ItemForm]:
    """Return the FHIR form of each registered scored instrument, by its key (its group)."""
    return {instrument.key: instrument.fhir_form() for instrument in SCORED}


def _option(system: str, code: str, display: str, weight: int) -> Resource:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": weight}],
        "valueCoding": {"system": system, "code": code, "display": display},
    }


def choice_items(form: ItemForm, texts: Mapping[str, str]) -> list[Resource]:
    """Return the items of an instrument's form, with the texts given by linkId (and
    ``linkId/position`` for an option), else its placeholders."""
    return [
        {
            "linkId": item.link_id,
            "text": texts.get(item.link_id, item.text),
            "type": "choice",
            "required": form.required,
            "answerOption": [
                _option(
                    item.system,
                    choice.code,
                    texts.get(f"{item.link_id}/{position}", choice.display),
                    choice.weight,
                )
                for position, choice in enumerate(item.choices)
            ],
        }
        for item in form.items
    ]


def _text_keys(form: ItemForm) -> dict[str, None]:
    keys: dict[str, None] = {}
    for item in form.items:
        keys[item.link_id] = None
        keys.update(dict.fromkeys(f"{item.link_id}/{p}" for p in range(len(item.choices))))
    return keys


def questionnaire(instrument: ScoredInstrument, texts: Mapping[str, str] | None) -> Resource:
    """Return the form of a scored instrument as an R4 ``Questionnaire``: its items, each a
    choice of its answers with their weights, with the licensed ``texts`` the app passes.

    Raises :class:`~backtriage.InvalidAnswerError` (field ``"texts"``) for a key that is no
    linkId or option of the form, or an empty text.
    """
    form = instrument.fhir_form()
    given = check_texts(texts, _text_keys(form))
    resource: Resource = {
        "resourceType": "Questionnaire",
        "url": f"{QUESTIONNAIRE_URL}:{form.name}",
        "name": form.resource_name,
        "title": form.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    if form.code is not None:
        code, display = form.code
        resource["code"] = [{"system": LOINC_SYSTEM, "code": code, "display": display}]
    resource["item"] = choice_items(form, given)
    return resource


def screening_questionnaire(protocol: Protocol | None = None) -> Resource:
    """Return the screening form of ``protocol`` (see ``fhir.screening_questionnaire``): its
    questions in order, each scored instrument as a group of its items."""
    forms = scored_forms()
    items: list[Resource] = []
    for question in questions(protocol):
        item: Resource
        form = forms.get(question.key)
        if form is not None and question.kind is QuestionKind.INSTRUMENT:
            item = _group(question.key, form.title, choice_items(form, {}))
        elif question.key == AGE and question.kind is QuestionKind.DETAIL:
            item = {
                "extension": [
                    {"url": _MIN_VALUE, "valueInteger": 0},
                    {"url": _MAX_VALUE, "valueInteger": 130},
                ],
                "linkId": AGE,
                "text": question.text,
                "type": "integer",
            }
        elif question.key == PREFERENCE and question.kind is QuestionKind.DETAIL:
            item = {
                "linkId": PREFERENCE,
                "text": question.text,
                "type": "choice",
                "answerOption": [
                    {
                        "valueCoding": {
                            "system": PREFERENCE_SYSTEM,
                            "code": preference.value,
                            "display": _PREFERENCE_DISPLAY[preference],
                        }
                    }
                    for preference in Preference
                ],
            }
        else:
            item = {"linkId": question.key, "text": question.text, "type": "boolean"}
        # Every red flag must be answered: an unanswered one is never read as no.
        item["required"] = question.required or question.kind is QuestionKind.RED_FLAG
        if question.asked_if is not None:
            # A follow-up question: shown, and required, only after a yes to its condition.
            item["enableWhen"] = [
                {"question": question.asked_if, "operator": "=", "answerBoolean": True}
            ]
        items.append(item)
    url, version = screening_form_id(protocol)
    return {
        "resourceType": "Questionnaire",
        "url": url,
        "version": version,
        "name": "BacktriageScreening",
        "title": "Lower back pain: safety questions and questionnaires",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def screening_form_id(protocol: Protocol | None) -> tuple[str, str]:
    """Return the ``url`` and ``version`` of the screening form of ``protocol``.

    The url names the protocol and the version is the protocol's, so that a response names the
    very form (and the meaning of its questions) it answers: its canonical is ``url|version``.
    """
    chosen = default_protocol() if protocol is None else protocol
    # A canonical is a URI: characters other than these are percent-encoded.
    name = urllib.parse.quote(chosen.name, safe="-._~")
    return f"{SCREENING_URL}:{name}", urllib.parse.quote(chosen.version, safe="-._~+")


def screening_canonical(protocol: Protocol | None) -> str:
    """Return the canonical (``url|version``) of the screening form of ``protocol``."""
    url, version = screening_form_id(protocol)
    return f"{url}|{version}"


def _group(link_id: str, text: str, items: list[Resource]) -> Resource:
    return {"linkId": link_id, "text": text, "type": "group", "item": items}


def check_in_questionnaire(plan: Plan, protocol: Protocol | None = None) -> Resource:
    """Return the check-in form that follows ``plan`` up (see
    ``fhir.check_in_questionnaire``)."""
    chosen = default_protocol() if protocol is None else protocol
    rules = chosen.follow_up
    if rules is None:
        from backtriage.errors import ProtocolError

        raise ProtocolError(
            "has no [follow_up] section: a check-in needs its questions",
            where=f"protocol {chosen.name!r}",
        )
    asked = questions(chosen)
    items: list[Resource] = [
        {"linkId": q.key, "text": q.text, "type": "boolean", "required": True}
        for q in asked
        if q.kind is QuestionKind.RED_FLAG
    ]
    for instrument in check_in_instruments():
        text = getattr(rules, instrument.question)
        items.append(_whole(instrument.key, text, instrument.least, instrument.most, required=True))
    items.append(_whole(DAYS, rules.days_question, 0, None, required=True))
    reports = []
    for prescription in plan.exercises:
        exercise = prescription.exercise
        done = f"{exercise.id}.done"
        when_done = [{"question": done, "operator": "=", "answerBoolean": True}]
        morning: Resource = {
            "linkId": f"{exercise.id}.next_morning",
            "text": rules.next_morning_question,
            "type": "choice",
            "enableWhen": when_done,
            "answerOption": [
                {
                    "valueCoding": {
                        "system": NEXT_MORNING_SYSTEM,
                        "code": choice.value,
                        "display": getattr(rules, choice.value),
                    }
                }
                for choice in NextMorning
            ],
        }
        pain_during = _whole(f"{exercise.id}.pain_during", rules.pain_during_question, 0, 10)
        pain_during["enableWhen"] = when_done
        reports.append(
            _group(
                exercise.id,
                exercise.title,
                [
                    {"linkId": done, "text": rules.done_question, "type": "boolean"},
                    pain_during,
                    morning,
                ],
            )
        )
    if reports:
        items.append(_group(EXERCISES_GROUP, rules.step_heading, reports))
    forms = scored_forms()
    for question in asked:
        if question.kind is QuestionKind.RED_FLAG:
            continue
        form = forms.get(question.key)
        if form is not None and question.kind is QuestionKind.INSTRUMENT:
            if form.in_check_in:
                items.append(_group(question.key, question.text, choice_items(form, {})))
        elif question.key == AGE and question.kind is QuestionKind.DETAIL:
            items.append(_whole(AGE, question.text, 0, 130))
        elif question.kind in (QuestionKind.FINDING, QuestionKind.CAPABILITY):
            items.append({"linkId": question.key, "text": question.text, "type": "boolean"})
    return {
        "resourceType": "Questionnaire",
        "url": CHECK_IN_URL,
        "version": f"{chosen.name} {chosen.version}",
        "name": "BacktriageCheckIn",
        "title": rules.trend_heading,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def _whole(
    link_id: str, text: str, least: int, most: int | None, *, required: bool = False
) -> Resource:
    limits = [{"url": _MIN_VALUE, "valueInteger": least}]
    if most is not None:
        limits.append({"url": _MAX_VALUE, "valueInteger": most})
    item: Resource = {"extension": limits, "linkId": link_id, "text": text, "type": "integer"}
    if required:
        item["required"] = True
    return item
