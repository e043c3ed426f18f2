"""A whole assessment in FHIR: read it from a response to the screening form, or write one."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Final

from backtriage._fhir._answers import Form, answer_value, read_form
from backtriage._fhir._common import (
    NEXT_MORNING_SYSTEM,
    ODI_STATEMENT_SYSTEM,
    PREFERENCE_SYSTEM,
    START_BACK_ANSWER_SYSTEM,
    START_BACK_BOTHERSOMENESS_SYSTEM,
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
    screening_canonical,
)
from backtriage._fhir._odi import (
    check_form_matches,
    check_form_scale,
    check_stated,
    declared_form,
    form_item_of,
    items_of,
    read_odi_items,
)
from backtriage._fhir._start_back import ALIASES as START_BACK_ALIASES
from backtriage._fhir._start_back import check_start_back_form, read_start_back_items
from backtriage._plan import Question, QuestionKind, questions
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning, Preference
from backtriage.batch import ALIASES as ODI_ALIASES
from backtriage.errors import IncompleteError, InvalidAnswerError, json_path
from backtriage.instruments._registry import check_in_instruments
from backtriage.instruments.odi import OdiScore, OdiSection, score_odi
from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackItem,
    StartBackScore,
    score_start_back,
)
from backtriage.protocol import Protocol

ODI_GROUP: Final = "odi"
START_BACK_GROUP: Final = "start_back"


def odi_link_id(number: int) -> str:
    return f"odi-{number}"


def start_back_link_id(number: int) -> str:
    return f"sbst-{number}"


def odi_statement_display(position: int) -> str:
    return f"[Statement {position}: licensed wording supplied by the app]"


_YES_NO: Final = frozenset({QuestionKind.RED_FLAG, QuestionKind.FINDING, QuestionKind.CAPABILITY})
_SECTIONS: Final = tuple(OdiSection)
_ITEMS: Final = tuple(StartBackItem)
_RATINGS: Final = tuple(instrument.key for instrument in check_in_instruments())
_NUMBERS: Final = (*_RATINGS, DAYS)
"""The check-in form's whole-number items besides the age: its ratings, then the days."""


@at_fhir_paths
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
    checked = check_response(response, in_progress=False)
    form = read_form(questionnaire)
    _check_screening_form(checked, form, protocol, read_as)
    asked = {question.key: question for question in questions(protocol)}
    if form is not None:
        check_form_scale(form, ODI_ALIASES, 0)
        check_start_back_form(form, START_BACK_ALIASES)
    answers: dict[str, bool] = {}
    kinds: dict[str, QuestionKind] = {}
    odi_items: list[tuple[str, Mapping[str, object]]] = []
    start_back_items: list[tuple[str, Mapping[str, object]]] = []
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
        elif link_id == ODI_GROUP and ODI_GROUP in asked:
            form_item_of(form, link_id)
            _once(link_id, seen)
            odi_items.extend(items_of(_group_items(link_id, item), link_id))
        elif link_id == START_BACK_GROUP and START_BACK_GROUP in asked:
            form_item_of(form, link_id)
            _once(link_id, seen)
            start_back_items.extend(items_of(_group_items(link_id, item), link_id))
        elif link_id in ODI_ALIASES and ODI_GROUP in asked:
            odi_items.append((link_id, item))
        elif link_id in START_BACK_ALIASES and START_BACK_GROUP in asked:
            start_back_items.append((link_id, item))
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
                "capability key, the groups odi and start_back, age or preference",
            )
    odi = _odi(odi_items, form)
    start_back = _start_back(start_back_items, form)
    return Assessment(
        odi=odi,
        red_flags={k: v for k, v in answers.items() if kinds[k] is QuestionKind.RED_FLAG},
        findings={k: v for k, v in answers.items() if kinds[k] is not QuestionKind.RED_FLAG},
        preference=preference,
        start_back=start_back,
        age=age,
        odi_max_missing=odi_max_missing,
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


def _odi(
    items: list[tuple[str, Mapping[str, object]]], form: Form | None
) -> dict[str, object] | None:
    reading = read_odi_items(
        items,
        form=form,
        sections=ODI_ALIASES,
        other_items="error",
        score_link_id=None,
        first=0,
    )
    check_stated(reading, None)
    if all(answer is None for answer in reading.answers.values()):
        return None  # not asked
    return reading.answers


def _start_back(
    items: list[tuple[str, Mapping[str, object]]], form: Form | None
) -> StartBackScore | None:
    scores = read_start_back_items(
        items,
        form=form,
        keys=START_BACK_ALIASES,
        other_items="error",
    )
    if all(score is None for score in scores.values()):
        return None  # not asked
    return score_start_back(scores)


# -- out -----------------------------------------------------------------------------------------


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
    if not isinstance(assessment, Assessment):
        raise InvalidAnswerError("assessment", assessment, "an Assessment")
    asked = questions(protocol)
    keys = {q.key for q in asked if q.kind in _YES_NO}
    # What the plan shows or is ordered by is never dropped: refused where the form has no item.
    given: tuple[tuple[str, object], ...] = (
        (START_BACK_GROUP, assessment.start_back),
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
                raise InvalidAnswerError(f"{field}.{name}", name, "a question of the protocol")
    yes_no: dict[str, bool | None] = {**assessment.red_flags, **findings}
    items: list[Resource] = []
    for question in asked:
        if question.kind in _YES_NO:
            value = yes_no.get(question.key)
            items.append(_item(question, None if value is None else {"valueBoolean": value}))
        elif question.key == ODI_GROUP:
            items.append(_group(question, _odi_answer_items(assessment.odi)))
        elif question.key == START_BACK_GROUP:
            items.append(
                _group(question, _start_back_answer_items(assessment.start_back, start_back))
            )
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


def _odi_answer_items(odi: object) -> list[Resource]:
    if isinstance(odi, OdiScore):
        raise InvalidAnswerError(
            "odi", odi, "the ODI answers: an assessment holding only a score cannot be written"
        )
    values: list[object]
    if odi is None:
        values = [None] * len(_SECTIONS)
    else:
        # Checks every answer; a response with nothing answered is still a valid response.
        with contextlib.suppress(IncompleteError):
            score_odi(odi, max_missing=len(_SECTIONS))  # type: ignore[arg-type]
        if isinstance(odi, Mapping):
            values = [odi.get(section) for section in _SECTIONS]
        else:
            values = list(odi)  # type: ignore[call-overload]
    items: list[Resource] = []
    for number, (section, value) in enumerate(zip(_SECTIONS, values, strict=True), start=1):
        item: Resource = {"linkId": odi_link_id(number), "text": section.heading}
        marks = _marks(value)
        if marks:
            item["answer"] = [
                {
                    "valueCoding": {
                        "system": ODI_STATEMENT_SYSTEM,
                        "code": str(mark),
                        "display": odi_statement_display(mark),
                    }
                }
                for mark in marks
            ]
        items.append(item)
    return items


def _marks(answer: object) -> list[int]:
    if isinstance(answer, int) and not isinstance(answer, bool):
        return [int.__index__(answer)]
    if isinstance(answer, list | tuple | set | frozenset):
        return sorted({int.__index__(mark) for mark in answer})
    return []  # None or "not_applicable"


def _start_back_answer_items(
    score: StartBackScore | None, answers: Mapping[str, object] | None
) -> list[Resource]:
    if score is None and answers is None:
        return [{"linkId": start_back_link_id(n)} for n in range(1, len(_ITEMS) + 1)]
    if answers is None or score is None or score_start_back(answers) != score:
        raise InvalidAnswerError(
            "start_back",
            answers,
            "the nine STarT Back answers that give the assessment's score (an assessment "
            "holds only the score), or none when the assessment has no STarT Back",
        )
    items: list[Resource] = []
    for number, key in enumerate(_ITEMS, start=1):
        value = answers.get(key)
        if key is StartBackItem.BOTHERSOMENESS:
            if not isinstance(value, str) or value not in tuple(Bothersomeness):
                raise InvalidAnswerError(
                    key.value,
                    value,
                    "one of the five answers: " + ", ".join(Bothersomeness),
                    path=json_path("start_back", key.value),
                )
            coding = {"system": START_BACK_BOTHERSOMENESS_SYSTEM, "code": str(value)}
        else:
            code = "agree" if value else "disagree"  # checked by score_start_back above
            coding = {"system": START_BACK_ANSWER_SYSTEM, "code": code}
        items.append({"linkId": start_back_link_id(number), "answer": [{"valueCoding": coding}]})
    return items


@at_fhir_paths
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
    odi_items: list[tuple[str, Mapping[str, object]]] = []
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
        elif link_id == ODI_GROUP and ODI_GROUP in asked:
            _once(link_id, seen)
            odi_items.extend(items_of(_group_items(link_id, item), link_id))
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
                f"{', '.join(_NUMBERS)}, age, the group odi, or an exercise's done, "
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
            odi=_odi(odi_items, form),
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
