"""A whole assessment in FHIR: read it from a response to the screening form, or write one."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Final

from backtriage._fhir._answers import Form, answer_value, read_form
from backtriage._fhir._common import (
    NEXT_MORNING_SYSTEM,
    PREFERENCE_SYSTEM,
    Resource,
    at_fhir_paths,
    check_response,
    reference,
)
from backtriage._fhir._forms import (
    AGE,
    CHECK_IN_URL,
    DAYS,
    EXERCISES_GROUP,
    PREFERENCE,
    REPORT_PARTS,
    scored_forms,
    screening_canonical,
)
from backtriage._fhir._items import (
    check_declared,
    check_form_matches,
    declared_form,
    form_item_of,
    items_of,
    read_carried,
)
from backtriage._plan import Question, QuestionKind, questions
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning, Preference
from backtriage.errors import InvalidAnswerError, json_path
from backtriage.instruments._form import ItemForm
from backtriage.instruments._registry import check_in_instruments
from backtriage.protocol import Protocol

_YES_NO: Final = frozenset({QuestionKind.RED_FLAG, QuestionKind.FINDING, QuestionKind.CAPABILITY})


_FORMS: Final = scored_forms()
"""The FHIR form of each scored instrument, by its key: its group's linkId."""


def _owners() -> dict[str, str]:
    """Return the instrument each linkId read without a group belongs to.

    A linkId two instruments claim cannot be read without a group: which one it answers would
    be a guess, so a registry of forms that share one is refused when this module loads.
    """
    owners: dict[str, str] = {}
    for key, form in _FORMS.items():
        for link_id in form.aliases:
            other = owners.setdefault(link_id, key)
            if other != key:
                raise ValueError(f"linkId {link_id!r} belongs to both {other!r} and {key!r}")
    return owners


_OWNERS: Final = _owners()
"""The instrument each linkId read without a group belongs to."""
_CHECK_IN_FORMS: Final = {key: form for key, form in _FORMS.items() if form.in_check_in}
_RATINGS: Final = tuple(instrument.key for instrument in check_in_instruments())
_NUMBERS: Final = (*_RATINGS, DAYS)
"""The check-in form's whole-number items besides the age: its ratings, then the days."""


@at_fhir_paths
def read_assessment(
    response: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    protocol: Protocol | None,
    read_as: Mapping[str | None, str] | None,
    settings: Mapping[str, object],
) -> Assessment:
    """Return the :class:`~backtriage.Assessment` a response to the screening form of
    ``protocol`` holds (see ``fhir.read_assessment``); ``settings`` are the app's own settings,
    passed to the assessment."""
    checked = check_response(response, in_progress=False)
    form = read_form(questionnaire)
    _check_screening_form(checked, form, protocol, read_as)
    asked = {question.key: question for question in questions(protocol)}
    for scored in _FORMS.values():
        check_declared(scored, form, scored.aliases, 0)
    answers: dict[str, bool] = {}
    kinds: dict[str, QuestionKind] = {}
    scored_items: dict[str, list[tuple[str, Mapping[str, object]]]] = {key: [] for key in _FORMS}
    age: object = None
    preference: Preference | None = None
    seen: set[str] = set()
    pending = list(items_of(checked.get("item"), "item"))
    while pending:
        link_id, item = pending.pop(0)
        question = asked.get(link_id)
        if question is not None and question.kind in _YES_NO:
            form_item_of(form, link_id)
            _once(link_id, seen)
            answer = _boolean(link_id, item)
            kinds[link_id] = question.kind
            if answer is not None:
                answers[link_id] = answer
        elif link_id in _FORMS and link_id in asked:
            form_item_of(form, link_id)
            _once(link_id, seen)
            scored_items[link_id].extend(items_of(_group_items(link_id, item), link_id))
        elif link_id in _OWNERS and _OWNERS[link_id] in asked:
            scored_items[_OWNERS[link_id]].append((link_id, item))
        elif link_id == AGE and AGE in asked:
            form_item_of(form, link_id)
            _once(link_id, seen)
            age = _age(link_id, item)
        elif link_id == PREFERENCE and PREFERENCE in asked:
            form_item_of(form, link_id)
            _once(link_id, seen)
            preference = _preference(link_id, item)
        elif "answer" not in item and item.get("item"):
            form_item_of(form, link_id)
            pending[:0] = list(items_of(item["item"], link_id))
        else:
            raise InvalidAnswerError(
                link_id,
                link_id,
                "an item of the screening form of this protocol: a red flag, finding or "
                f"capability key, the groups {' and '.join(_FORMS)}, age or preference",
            )
    carried = {key: read_carried(scored, scored_items[key], form) for key, scored in _FORMS.items()}
    return Assessment(
        red_flags={k: v for k, v in answers.items() if kinds[k] is QuestionKind.RED_FLAG},
        findings={k: v for k, v in answers.items() if kinds[k] is not QuestionKind.RED_FLAG},
        preference=preference,
        age=age,
        **carried,
        **settings,
    )


def _check_screening_form(
    response: Mapping[str, object],
    form: Form | None,
    protocol: Protocol | None,
    read_as: object,
) -> None:
    """Refuse a response, or a Questionnaire, that is not the screening form of ``protocol``
    (by canonical, version included) unless ``read_as`` maps it to that form."""
    expected = screening_canonical(protocol)
    if read_as is None:
        read_as = {}
    if not isinstance(read_as, Mapping):
        raise InvalidAnswerError(
            "read_as", read_as, f"a mapping of a form's canonical (or None) to {expected}"
        )
    for other, target in read_as.items():
        if (other is not None and not isinstance(other, str)) or target != expected:
            raise InvalidAnswerError(
                "read_as",
                {other: target},
                f"a mapping of a form's canonical (or None) to the canonical of this "
                f"protocol's screening form, {expected}: a mapping made for another protocol "
                "or version does not carry over",
            )
    why = (
        "; another protocol's or version's form may ask a question with another meaning: "
        "pass read_as={canonical: this form's canonical} once its questions are checked to "
        "mean the same"
    )
    declared = declared_form(response)
    if declared != expected and declared not in read_as:
        raise InvalidAnswerError(
            "questionnaire",
            declared,
            f"a response to the screening form of this protocol, {expected}" + why,
        )
    if form is not None:
        if form.canonical != expected and form.canonical not in read_as:
            raise InvalidAnswerError(
                "questionnaire",
                form.canonical,
                f"the screening form of this protocol, url and version {expected}" + why,
            )
        check_form_matches(response, form)


def _once(link_id: str, seen: set[str]) -> None:
    if link_id in seen:
        raise InvalidAnswerError(link_id, link_id, "each item of the form once")
    seen.add(link_id)


def _group_items(link_id: str, item: Mapping[str, object]) -> object:
    if "answer" in item:
        raise InvalidAnswerError(link_id, item["answer"], "a group: items, no answer")
    return item.get("item")


def _single(link_id: str, item: Mapping[str, object], allowed: str) -> tuple[str, object] | None:
    if item.get("item"):
        raise InvalidAnswerError(link_id, item["item"], "an item without nested items")
    given = item.get("answer", [])
    if not isinstance(given, list) or len(given) > 1:
        raise InvalidAnswerError(link_id, given, f"one answer: {allowed}")
    return answer_value(link_id, given[0]) if given else None


def _boolean(link_id: str, item: Mapping[str, object]) -> bool | None:
    allowed = "valueBoolean true or false (no answer: not answered)"
    found = _single(link_id, item, allowed)
    if found is None:
        return None
    key, value = found
    if key != "valueBoolean" or not isinstance(value, bool):
        raise InvalidAnswerError(link_id, {key: value}, allowed)
    return value


def _age(link_id: str, item: Mapping[str, object]) -> object:
    allowed = "valueInteger: whole years from 0 to 130"
    found = _single(link_id, item, allowed)
    if found is None:
        return None
    key, value = found
    if key != "valueInteger" or type(value) is not int or not 0 <= value <= 130:
        raise InvalidAnswerError(link_id, {key: value}, allowed)
    return value


def _preference(link_id: str, item: Mapping[str, object]) -> Preference | None:
    allowed = f"a valueCoding of {PREFERENCE_SYSTEM}: " + ", ".join(Preference)
    found = _single(link_id, item, allowed)
    if found is None:
        return None
    key, value = found
    if (
        key != "valueCoding"
        or not isinstance(value, Mapping)
        or value.get("system") != PREFERENCE_SYSTEM
        or value.get("code") not in tuple(Preference)
    ):
        raise InvalidAnswerError(link_id, {key: value}, allowed)
    return Preference(value["code"])


# -- out -----------------------------------------------------------------------------------------


def assessment_response(
    assessment: Assessment,
    *,
    protocol: Protocol | None,
    answers: Mapping[str, object],
    subject: Mapping[str, object] | None,
    authored: str | None,
) -> Resource:
    """Return an assessment as a ``QuestionnaireResponse`` to the screening form (see
    ``fhir.assessment_response``); ``answers`` holds, by instrument key, the answers of a
    scored instrument the assessment holds only as a score."""
    if not isinstance(assessment, Assessment):
        raise InvalidAnswerError("assessment", assessment, "an Assessment")
    asked = questions(protocol)
    keys = {q.key for q in asked if q.kind in _YES_NO}
    forms = scored_forms()
    # What the plan shows or is ordered by is never dropped: refused where the form has no item.
    given: tuple[tuple[str, object], ...] = (
        *((key, getattr(assessment, key)) for key in forms),
        (PREFERENCE, assessment.preference),
    )
    for field, held in given:
        if held is not None and all(q.key != field for q in asked):
            raise InvalidAnswerError(
                field, held, f"no {field}: the screening form of this protocol does not ask it"
            )
    findings = {name: v for name, v in assessment.findings.items() if v is not None}
    for field, names in (("red_flags", assessment.red_flags), ("findings", findings)):
        for name in names:
            if name not in keys:
                raise InvalidAnswerError(
                    f"{field}.{name}",
                    name,
                    "a question of the protocol",
                    path=json_path(field, name),
                )
    yes_no: dict[str, bool | None] = {**assessment.red_flags, **findings}
    items: list[Resource] = []
    for question in asked:
        if question.kind in _YES_NO:
            value = yes_no.get(question.key)
            items.append(_item(question, None if value is None else {"valueBoolean": value}))
        elif question.key in forms:
            held = getattr(assessment, question.key)
            form_items = _answer_items(forms[question.key], held, answers.get(question.key))
            items.append(_group(question, form_items))
        elif question.key == AGE:
            age = assessment.age
            items.append(_item(question, None if age is None else {"valueInteger": age}))
        elif question.key == PREFERENCE:
            preference = assessment.preference
            coding = {"system": PREFERENCE_SYSTEM, "code": preference.value} if preference else None
            items.append(_item(question, None if coding is None else {"valueCoding": coding}))
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": screening_canonical(protocol),
        "status": "completed",
    }
    if subject is not None:
        resource["subject"] = reference("subject", subject)
    if authored is not None:
        resource["authored"] = authored
    resource["item"] = items
    return resource


def _item(question: Question, answer: Resource | None) -> Resource:
    item: Resource = {"linkId": question.key, "text": question.text}
    if answer is not None:
        item["answer"] = [answer]
    return item


def _group(question: Question, items: list[Resource]) -> Resource:
    return {"linkId": question.key, "item": items}


def _answer_items(form: ItemForm, held: object, given: object) -> list[Resource]:
    """Return the items of a scored instrument's group: what the assessment holds, as codes."""
    items: list[Resource] = []
    for item, codes in zip(form.items, form.codes_of(held, given), strict=True):
        written: Resource = {"linkId": item.link_id}
        if form.writes_words:
            written["text"] = item.text
        if codes:
            displays = {choice.code: choice.display for choice in item.choices}
            written["answer"] = [
                {"valueCoding": _coding(item.system, code, displays, words=form.writes_words)}
                for code in codes
            ]
        items.append(written)
    return items


def _coding(system: str, code: str, displays: Mapping[str, str], *, words: bool) -> Resource:
    coding: Resource = {"system": system, "code": code}
    if words:
        coding["display"] = displays[code]
    return coding


@at_fhir_paths
def read_check_in(
    response: Mapping[str, object],
    *,
    questionnaire: Mapping[str, object] | None = None,
    protocol: Protocol | None = None,
) -> CheckIn:
    """Return the :class:`~backtriage.CheckIn` a response to the check-in form holds (see
    ``fhir.read_check_in``)."""
    checked = check_response(response, in_progress=False)
    form = read_form(questionnaire)
    check_form_matches(checked, form)
    url = checked.get("questionnaire")
    if isinstance(url, str) and url.split("|")[0] not in ("", CHECK_IN_URL):
        raise InvalidAnswerError("questionnaire", url, f"a response to {CHECK_IN_URL}")
    asked = {question.key: question for question in questions(protocol)}
    answers: dict[str, bool] = {}
    kinds: dict[str, QuestionKind] = {}
    numbers: dict[str, object] = {}
    reports: dict[str, dict[str, object]] = {}
    scored_items: dict[str, list[tuple[str, Mapping[str, object]]]] = {
        key: [] for key in _CHECK_IN_FORMS
    }
    seen: set[str] = set()
    pending = list(items_of(checked.get("item"), "item"))
    while pending:
        link_id, item = pending.pop(0)
        question = asked.get(link_id)
        exercise_id, _, part = link_id.rpartition(".")
        if question is not None and question.kind in _YES_NO:
            _once(link_id, seen)
            answer = _boolean(link_id, item)
            kinds[link_id] = question.kind
            if answer is not None:
                answers[link_id] = answer
        elif link_id in _NUMBERS or (link_id == AGE and AGE in asked):
            _once(link_id, seen)
            numbers[link_id] = _whole_number(link_id, item)
        elif link_id in _CHECK_IN_FORMS and link_id in asked:
            _once(link_id, seen)
            scored_items[link_id].extend(items_of(_group_items(link_id, item), link_id))
        elif exercise_id and part in REPORT_PARTS:
            _once(link_id, seen)
            report = reports.setdefault(exercise_id, {})
            if part == "done":
                report[part] = _boolean(link_id, item)
            elif part == "pain_during":
                report[part] = _whole_number(link_id, item)
            else:
                report[part] = _next_morning(link_id, item)
        elif "answer" not in item and (link_id == EXERCISES_GROUP or item.get("item")):
            pending[:0] = list(items_of(item.get("item"), link_id))
        else:
            raise InvalidAnswerError(
                link_id,
                link_id,
                "an item of the check-in form: a red flag, finding or capability key, "
                f"{', '.join(_NUMBERS)}, age, the group {' and '.join(_CHECK_IN_FORMS)}, or "
                "an exercise's done, "
                "pain_during, next_morning",
            )
    for exercise_id, report in reports.items():
        if report.get("done") is None and any(report.get(p) is not None for p in REPORT_PARTS):
            raise InvalidAnswerError(
                f"{exercise_id}.done", None, "valueBoolean true or false", problem="missing"
            )
    try:
        return CheckIn(
            red_flags={k: v for k, v in answers.items() if kinds[k] is QuestionKind.RED_FLAG},
            findings={k: v for k, v in answers.items() if kinds[k] is not QuestionKind.RED_FLAG},
            days=numbers.get(DAYS),
            exercises={
                exercise_id: ExerciseReport(**report)
                for exercise_id, report in reports.items()
                if report.get("done") is not None
            },
            **{
                key: read_carried(scored, scored_items[key], form)
                for key, scored in _CHECK_IN_FORMS.items()
            },
            age=numbers.get(AGE),
            **{key: numbers.get(key) for key in _RATINGS},
        )
    except InvalidAnswerError as exc:
        # The check-in names its own field; the response's item is what the sender can find.
        raise InvalidAnswerError(
            _link_id_of(exc.field), exc.value, exc.allowed, problem=exc.errors[0].problem
        ) from None


def _link_id_of(field: str) -> str:
    return field.removeprefix("$.").replace("exercises.", "", 1)


def _whole_number(link_id: str, item: Mapping[str, object]) -> object:
    allowed = "valueInteger: a whole number"
    found = _single(link_id, item, allowed)
    if found is None:
        return None
    key, value = found
    if key != "valueInteger" or type(value) is not int:
        raise InvalidAnswerError(link_id, {key: value}, allowed)
    return value


def _next_morning(link_id: str, item: Mapping[str, object]) -> NextMorning | None:
    allowed = f"valueCoding of {NEXT_MORNING_SYSTEM}: better, same or worse"
    found = _single(link_id, item, allowed)
    if found is None:
        return None
    key, value = found
    if key == "valueCoding" and isinstance(value, Mapping):
        code = value.get("code")
        if value.get("system") == NEXT_MORNING_SYSTEM and isinstance(code, str):
            with contextlib.suppress(ValueError):
                return NextMorning(code)
    raise InvalidAnswerError(link_id, {key: value}, allowed)
