"""Read a scored instrument's answers from a QuestionnaireResponse, as its form describes them.

The reader knows no instrument: the items, their linkIds, their answers' codes and weights, the
numberings a sender may declare and the words of its errors are the instrument's FHIR form
(``ScoredInstrument.fhir_form``). Items are found wherever R4 lets them nest; each answer is
read by what its sender declares (:mod:`backtriage._fhir._answers`), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import attrs

from backtriage._fhir._answers import Form, FormItem, Scoring, answer_value, item_score, read_form
from backtriage._fhir._common import (
    LOINC_SYSTEM,
    OtherItems,
    check_response,
    is_number,
    no_modifiers,
    weight_of,
)
from backtriage.errors import InvalidAnswerError, json_path
from backtriage.instruments._form import FormQuestion, ItemForm


def check_options(other_items: object, scale: object, form: ItemForm) -> tuple[OtherItems, int]:
    """Return ``other_items`` and the number of the first answer on the ``scale`` the caller
    declares (0 where the form has one numbering), or refuse either."""
    if other_items not in ("error", "ignore"):
        raise InvalidAnswerError("other_items", other_items, "'error' or 'ignore'")
    if not form.scales:
        return other_items, 0
    if not isinstance(scale, str) or scale not in form.scales:
        raise InvalidAnswerError("scale", scale, form.scale_allowed)
    return other_items, form.scales[scale]


def key_map(link_ids: object, form: ItemForm) -> Mapping[str, str]:
    """Return the form's aliases and the linkIds a caller maps to its keys (``link_ids=``)."""
    if link_ids is None:
        return form.aliases
    noun = form.key_noun
    if not isinstance(link_ids, Mapping):
        raise InvalidAnswerError(
            "link_ids", link_ids, f"a mapping of linkId to {noun}, e.g. {form.example}"
        )
    keys = {key: key for key in form.keys}
    mapped = dict(form.aliases)
    for link_id, key in link_ids.items():
        if not isinstance(link_id, str) or not isinstance(key, str):
            raise InvalidAnswerError("link_ids", link_id, f"linkIds and {noun}s as strings")
        if key not in keys:
            raise InvalidAnswerError(
                f"link_ids.{link_id}",
                key,
                f"{form.a_key}: " + ", ".join(keys),
                path=json_path("link_ids", link_id),
            )
        mapped[link_id] = keys[key]
    return mapped


def check_declared(
    form: ItemForm, questionnaire: Form | None, keys: Mapping[str, str], first: int
) -> None:
    """Refuse a Questionnaire whose items of the instrument declare another numbering of their
    answers than the reader's (``first``), as the instrument's ``check_declared`` says."""
    if questionnaire is None:
        return
    for link_id, form_item in questionnaire.items.items():
        if link_id not in keys:
            continue
        options = tuple((o.system, o.code, o.weight) for o in form_item.options)
        form.check_declared(link_id, options, form_item.numbers, form_item.bounds, first)


def _scoring(
    form: ItemForm, question: FormQuestion, reading: tuple[Callable[[str, float], int], str]
) -> Scoring:
    """Return how an answer to ``question`` becomes its item score."""
    from_weight, allowed = reading
    own = {question.system: {choice.code: choice.weight for choice in question.choices}}
    numbers = form.numbers_are_scores
    if numbers is None:
        return Scoring(own, from_weight, allowed)

    def numbers_are_scores(form_item: FormItem | None) -> bool:
        if form_item is None:
            return True
        return numbers(form_item.numbers, form_item.bounds, len(form_item.options))

    return Scoring(own, from_weight, allowed, numbers_are_scores)


_SCORINGS: dict[
    tuple[int, int], tuple[ItemForm, Mapping[str, FormQuestion], Mapping[str, Scoring]]
] = {}
"""The items of a form and their scorings for a numbering, kept with the form they were made
for."""


def _scorings(
    form: ItemForm, first: int
) -> tuple[Mapping[str, FormQuestion], Mapping[str, Scoring]]:
    """Return the form's items and how each is scored for a form numbered from ``first``."""
    cached = _SCORINGS.get((id(form), first))
    if cached is not None and cached[0] is form:
        return cached[1], cached[2]
    questions = {question.key: question for question in form.items}
    reading = form.reading(first)
    scorings = {key: _scoring(form, question, reading) for key, question in questions.items()}
    _SCORINGS[id(form), first] = (form, questions, scorings)
    return questions, scorings


@attrs.frozen
class Stated:
    """The form's own score: the item that holds it and its percent."""

    link_id: str
    percent: float


def _stated_score(form: ItemForm, link_id: str, item: Mapping[str, object]) -> Stated | None:
    given = item.get("answer")
    if not given:
        return None
    allowed = form.score_allowed
    if not isinstance(given, list) or len(given) != 1:
        raise InvalidAnswerError(link_id, given, allowed)
    key, value = answer_value(link_id, given[0])
    number: object = value
    if key == "valueCoding" and isinstance(value, Mapping):
        number = weight_of(value, link_id)
    elif key not in ("valueDecimal", "valueInteger"):
        number = None
    if not is_number(number) or not 0 <= number <= 100:  # type: ignore[operator]
        raise InvalidAnswerError(link_id, value, allowed + ", 0 to 100")
    return Stated(link_id, float(number))  # type: ignore[arg-type]


def _is_score(
    form: ItemForm,
    link_id: str,
    item: Mapping[str, object],
    form_item: FormItem | None,
    score_link_id: str | None,
) -> bool:
    code = form.score_code
    if code is None:
        return False
    if link_id == score_link_id or (form_item is not None and code in form_item.loinc):
        return True
    answers = item.get("answer")
    return isinstance(answers, list) and any(
        isinstance(answer, Mapping)
        and isinstance(answer.get("valueCoding"), Mapping)
        and answer["valueCoding"].get("system") == LOINC_SYSTEM
        and answer["valueCoding"].get("code") == code
        for answer in answers
    )


def items_of(items: object, where: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Yield ``(linkId, item)`` for every response item, checking each has a linkId."""
    if items is None:
        return
    if not isinstance(items, list):
        raise InvalidAnswerError(where, items, "a list of items")
    for item in items:
        link_id = item.get("linkId") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not isinstance(link_id, str):
            raise InvalidAnswerError(where, item, "an item with a linkId")
        no_modifiers(item, link_id)
        yield link_id, item


def nested_items(
    link_id: str, item: Mapping[str, object]
) -> list[tuple[str, Mapping[str, object]]]:
    """Return the items nested in ``item``, wherever R4 lets them nest: in ``item.item`` and
    in ``item.answer[].item``, in that order."""
    found = list(items_of(item.get("item"), link_id))
    answers = item.get("answer")
    if answers is not None and not isinstance(answers, list):
        raise InvalidAnswerError(link_id, answers, "a list of answers")
    for answer in answers or ():
        # Even an item skipped must show what it holds: an item hidden in a malformed answer
        # would be an instrument item read as unanswered.
        if not isinstance(answer, Mapping):
            raise InvalidAnswerError(link_id, answer, "an answer (a JSON object)")
        found.extend(items_of(answer.get("item"), link_id))
    return found


def form_item_of(form: Form | None, link_id: str) -> FormItem | None:
    """Return the Questionnaire item of a response item; refuse one the form does not have."""
    if form is None:
        return None
    form_item = form.items.get(link_id)
    if form_item is None:
        raise InvalidAnswerError(
            link_id, link_id, "an item of the given Questionnaire (is it the form answered?)"
        )
    return form_item


def declared_form(response: Mapping[str, object]) -> str | None:
    """Return the canonical of the form a response says it answers, or ``None``."""
    declared = response.get("questionnaire")
    if declared is not None and (not isinstance(declared, str) or not declared):
        raise InvalidAnswerError(
            "questionnaire", declared, "the canonical URL of the form answered (a string)"
        )
    return declared


def check_form_matches(response: Mapping[str, object], form: Form | None) -> None:
    """Refuse a Questionnaire that is not the one the response says it answers: another url,
    another version (where both name one), or no url at all to tell."""
    declared = declared_form(response)
    if form is None or declared is None:
        return
    url, bar, version = declared.partition("|")
    if form.url is None:
        raise InvalidAnswerError(
            "questionnaire",
            declared,
            "a Questionnaire with the url of the form the response answers; this one has none, "
            "so nothing shows it is that form",
        )
    if url != form.url or (bar and form.version is not None and version != form.version):
        raise InvalidAnswerError(
            "questionnaire",
            form.canonical,
            f"the Questionnaire the response answers ({declared}), of the same version where "
            "both name one",
        )


@attrs.frozen
class Reading:
    """What a response says about an instrument: the answers, and the form's own score."""

    answers: dict[str, object]
    stated: Stated | None


def _link_ids(form: ItemForm) -> str:
    return (
        f"linkId {form.items[0].link_id} to {form.items[-1].link_id} or {form.a_key} ("
        + ", ".join(form.keys)
        + "), or one mapped by link_ids=; groups may hold them"
    )


def read_items(
    form: ItemForm,
    items: Sequence[tuple[str, Mapping[str, object]]],
    *,
    questionnaire: Form | None,
    keys: Mapping[str, str],
    other_items: OtherItems,
    score_link_id: str | None,
    first: int,
) -> Reading:
    """Read the instrument's items among ``items`` (groups are searched); refuse others unless
    ignored."""
    questions, scorings = _scorings(form, first)
    answers: dict[str, object] = {}
    link_of: dict[str, str] = {}
    stated: list[Stated] = []
    pending = list(items)
    while pending:
        link_id, item = pending.pop(0)
        form_item = form_item_of(questionnaire, link_id)
        key = keys.get(link_id)
        # linkIds are case-sensitive in FHIR, so no normalising here (unlike CSV headers).
        if _is_score(form, link_id, item, form_item, score_link_id):
            score = _stated_score(form, link_id, item)
            if stated and score is not None:
                raise InvalidAnswerError(
                    link_id, link_id, f"one score item; {stated[0].link_id!r} is one already"
                )
            stated.extend([score] if score is not None else [])
            pending[:0] = list(items_of(item.get("item"), link_id))
        elif key is not None:
            if key in link_of:
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"one item per {form.one_per}; {key} is already answered by item "
                    f"{link_of[key]!r}",
                )
            link_of[key] = link_id
            answers[key] = _read_item(form, link_id, item, questions[key], form_item, scorings[key])
        else:
            if other_items == "error" and (item.get("answer") or not item.get("item")):
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"{form.item_noun}: {_link_ids(form)} (other_items='ignore' skips the items "
                    "of a larger form)",
                )
            # A group, or an item skipped: what is nested in it is read, in order, wherever
            # it nests (under the item or under one of its answers).
            pending[:0] = nested_items(link_id, item)
    return Reading({key: answers.get(key) for key in form.keys}, stated[0] if stated else None)


def _read_item(
    form: ItemForm,
    link_id: str,
    item: Mapping[str, object],
    question: FormQuestion,
    form_item: FormItem | None,
    scoring: Scoring,
) -> object:
    if item.get("item"):
        raise InvalidAnswerError(link_id, item["item"], f"{form.item_noun} without nested items")
    given = item.get("answer", [])
    if not isinstance(given, list) or (form.one_answer is not None and len(given) > 1):
        allowed = "a list of answers" if form.one_answer is None else form.one_answer
        raise InvalidAnswerError(link_id, given, allowed)
    scores: list[int] = []
    for answer in given:
        key, value = answer_value(link_id, answer)
        if key == "valueBoolean" and form.booleans is not None:
            # A boolean is an item score only for the items that take one.
            if not question.agrees or not isinstance(value, bool):
                raise InvalidAnswerError(link_id, value, form.booleans)
            scores.append(int(value))
        else:
            scores.append(item_score(link_id, key, value, form_item, scoring))
    # Several answers to one item are several marked answers, of which the highest counts.
    marked = sorted(set(scores))
    return None if not marked else marked[0] if len(marked) == 1 else marked


def check_stated(form: ItemForm, reading: Reading, score: object | None) -> None:
    """Refuse answers whose score is not the form's own score (where it gives one); ``score``
    ``None``: the instrument scores the answers itself."""
    stated = reading.stated
    if stated is None or form.check_score is None:
        return
    form.check_score(stated.link_id, stated.percent, reading.answers, score)


def read_response(
    form: ItemForm,
    resource: Mapping[str, object],
    *,
    in_progress: bool,
    questionnaire: Mapping[str, object] | None,
    link_ids: Mapping[str, str] | None,
    other_items: OtherItems,
    score_link_id: str | None,
    scale: object,
) -> Reading:
    """Check a response and read the instrument's items in it (see
    ``fhir.read_questionnaire_response``)."""
    response = check_response(resource, in_progress=in_progress)
    other, first = check_options(other_items, scale, form)
    keys = key_map(link_ids, form)
    if score_link_id is not None and (not isinstance(score_link_id, str) or score_link_id in keys):
        raise InvalidAnswerError("score_link_id", score_link_id, form.score_link_id_allowed)
    read = read_form(questionnaire)
    check_form_matches(response, read)
    check_declared(form, read, keys, first)
    return read_items(
        form,
        list(items_of(response.get("item"), "item")),
        questionnaire=read,
        keys=keys,
        other_items=other,
        score_link_id=score_link_id,
        first=first,
    )


def read_carried(
    form: ItemForm, items: Sequence[tuple[str, Mapping[str, object]]], questionnaire: Form | None
) -> object:
    """Return what an assessment carries of the instrument's items among ``items`` (linkIds of
    the published form), or ``None`` when nothing is answered (it was not asked)."""
    reading = read_items(
        form,
        items,
        questionnaire=questionnaire,
        keys=form.aliases,
        other_items="error",
        score_link_id=None,
        first=0,
    )
    check_stated(form, reading, None)
    if all(answer is None for answer in reading.answers.values()):
        return None  # not asked
    return form.carried(reading.answers)
