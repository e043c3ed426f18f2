"""The forms backtriage publishes: R4 ``Questionnaire`` resources an SDC form filler renders.

The ODI statements and the STarT Back items are licensed texts: the forms carry placeholders
unless the app passes its licensed ``texts``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Final

from backtriage._fhir._common import (
    LOINC_SYSTEM,
    NEXT_MORNING_SYSTEM,
    ODI_QUESTIONNAIRE_CODE,
    ODI_STATEMENT_SYSTEM,
    ORDINAL_VALUE,
    PREFERENCE_SYSTEM,
    QUESTIONNAIRE_URL,
    START_BACK_ANSWER_SYSTEM,
    START_BACK_BOTHERSOMENESS_SYSTEM,
    Resource,
    check_texts,
)
from backtriage._plan import Plan, QuestionKind, default_protocol, questions
from backtriage.assessment import NextMorning, Preference
from backtriage.instruments._registry import check_in_instruments
from backtriage.instruments.odi import OdiSection
from backtriage.instruments.start_back import Bothersomeness, StartBackItem
from backtriage.protocol import Protocol

ODI_URL: Final = f"{QUESTIONNAIRE_URL}:odi"
START_BACK_URL: Final = f"{QUESTIONNAIRE_URL}:start-back"
SCREENING_URL: Final = f"{QUESTIONNAIRE_URL}:screening"
ODI_GROUP: Final = "odi"
START_BACK_GROUP: Final = "start_back"
AGE: Final = "age"
PREFERENCE: Final = "preference"
CHECK_IN_URL: Final = f"{QUESTIONNAIRE_URL}:check-in"
DAYS: Final = "days"
EXERCISES_GROUP: Final = "exercises"
REPORT_PARTS: Final = ("done", "pain_during", "next_morning")
"""The items of one exercise's report: linkId ``<exercise id>.<part>``."""

_SECTIONS: Final = tuple(OdiSection)
_ITEMS: Final = tuple(StartBackItem)
_MIN_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE: Final = "http://hl7.org/fhir/StructureDefinition/maxValue"
_AGREE: Final = (("disagree", "Disagree", 0), ("agree", "Agree", 1))
_BOTHER_DISPLAY: Final = {
    Bothersomeness.NOT_AT_ALL: "Not at all",
    Bothersomeness.SLIGHTLY: "Slightly",
    Bothersomeness.MODERATELY: "Moderately",
    Bothersomeness.VERY_MUCH: "Very much",
    Bothersomeness.EXTREMELY: "Extremely",
}
_BOTHER: Final = tuple(
    (b.value, _BOTHER_DISPLAY[b], int(b in (Bothersomeness.VERY_MUCH, Bothersomeness.EXTREMELY)))
    for b in Bothersomeness
)
_PREFERENCE_DISPLAY: Final = {
    Preference.EXTENSION: "Extension (bending backwards) eases the symptoms",
    Preference.FLEXION: "Flexion (bending forwards) eases the symptoms",
    Preference.LATERAL: "Moving sideways eases the symptoms",
}


def odi_link_id(number: int) -> str:
    """Return the linkId of ODI section ``number`` (1 to 10)."""
    return f"odi-{number}"


def start_back_link_id(number: int) -> str:
    """Return the linkId of STarT Back item ``number`` (1 to 9)."""
    return f"sbst-{number}"


def odi_statement_display(position: int) -> str:
    """Return the placeholder shown for ODI statement ``position`` (0 first)."""
    return f"[Statement {position}: licensed wording supplied by the app]"


def _option(system: str, code: str, display: str, weight: int) -> Resource:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": weight}],
        "valueCoding": {"system": system, "code": code, "display": display},
    }


def _odi_items(texts: Mapping[str, str]) -> list[Resource]:
    items: list[Resource] = []
    for number, section in enumerate(_SECTIONS, start=1):
        link_id = odi_link_id(number)
        items.append(
            {
                "linkId": link_id,
                "text": texts.get(link_id, section.heading),
                "type": "choice",
                "required": False,  # ODI sections may be left unanswered (sex life, often)
                "answerOption": [
                    _option(
                        ODI_STATEMENT_SYSTEM,
                        str(position),
                        texts.get(f"{link_id}/{position}", odi_statement_display(position)),
                        position,
                    )
                    for position in range(6)
                ],
            }
        )
    return items


def _start_back_items(texts: Mapping[str, str]) -> list[Resource]:
    items: list[Resource] = []
    for number, key in enumerate(_ITEMS, start=1):
        link_id = start_back_link_id(number)
        if key is StartBackItem.BOTHERSOMENESS:
            system, answers = START_BACK_BOTHERSOMENESS_SYSTEM, _BOTHER
        else:
            system, answers = START_BACK_ANSWER_SYSTEM, _AGREE
        items.append(
            {
                "linkId": link_id,
                "text": texts.get(
                    link_id,
                    f"STarT Back item {number} ({key.value}): licensed wording supplied by the app",
                ),
                "type": "choice",
                "required": True,  # the tool has no rule for missing items
                "answerOption": [
                    _option(system, code, texts.get(f"{link_id}/{position}", display), weight)
                    for position, (code, display, weight) in enumerate(answers)
                ],
            }
        )
    return items


def _odi_text_keys() -> dict[str, None]:
    keys: dict[str, None] = {}
    for number in range(1, 11):
        keys[odi_link_id(number)] = None
        keys.update(dict.fromkeys(f"{odi_link_id(number)}/{p}" for p in range(6)))
    return keys


def _start_back_text_keys() -> dict[str, None]:
    keys: dict[str, None] = {}
    for number, key in enumerate(_ITEMS, start=1):
        keys[start_back_link_id(number)] = None
        count = len(_BOTHER) if key is StartBackItem.BOTHERSOMENESS else len(_AGREE)
        keys.update(dict.fromkeys(f"{start_back_link_id(number)}/{p}" for p in range(count)))
    return keys


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
    given = check_texts(texts, _odi_text_keys())
    return {
        "resourceType": "Questionnaire",
        "url": ODI_URL,
        "name": "OswestryDisabilityIndex",
        "title": "Oswestry Disability Index",
        "status": "active",
        "subjectType": ["Patient"],
        "code": [
            {
                "system": LOINC_SYSTEM,
                "code": ODI_QUESTIONNAIRE_CODE,
                "display": "Oswestry disability index panel",
            }
        ],
        "item": _odi_items(given),
    }


def start_back_questionnaire(*, texts: Mapping[str, str] | None = None) -> Resource:
    """Return the Keele STarT Back Screening Tool as an R4 ``Questionnaire``: items ``sbst-1``
    ... ``sbst-9``.

    Items 1 to 8 offer ``disagree`` (weight 0) and ``agree`` (weight 1) in
    :data:`~backtriage.fhir.START_BACK_ANSWER_SYSTEM`; item 9 the five answers of
    :data:`~backtriage.fhir.START_BACK_BOTHERSOMENESS_SYSTEM` (weight 1 for very much and
    extremely). Item wording is licensed: placeholders unless ``texts`` maps a linkId to the
    item's text and ``"sbst-1/0"`` (linkId/position, 0 first) to an option's text.
    """
    given = check_texts(texts, _start_back_text_keys())
    return {
        "resourceType": "Questionnaire",
        "url": START_BACK_URL,
        "name": "KeeleStartBackScreeningTool",
        "title": "Keele STarT Back Screening Tool",
        "status": "active",
        "subjectType": ["Patient"],
        "item": _start_back_items(given),
    }


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
    items: list[Resource] = []
    for question in questions(protocol):
        item: Resource
        if question.key == ODI_GROUP and question.kind is QuestionKind.INSTRUMENT:
            item = _group(ODI_GROUP, "Oswestry Disability Index", _odi_items({}))
        elif question.key == START_BACK_GROUP and question.kind is QuestionKind.INSTRUMENT:
            item = _group(
                START_BACK_GROUP, "Keele STarT Back Screening Tool", _start_back_items({})
            )
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
    for question in asked:
        if question.kind is QuestionKind.RED_FLAG:
            continue
        if question.key == ODI_GROUP and question.kind is QuestionKind.INSTRUMENT:
            items.append(_group(ODI_GROUP, question.text, _odi_items({})))
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
