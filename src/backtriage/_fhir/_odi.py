"""Read and score the ODI answers of a QuestionnaireResponse as real forms send them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final

import attrs

from backtriage._fhir._answers import (
    Form,
    FormItem,
    Option,
    Scoring,
    answer_value,
    item_score,
    read_form,
)
from backtriage._fhir._common import (
    LOINC_SYSTEM,
    ODI_SCORE_CODE,
    ODI_STATEMENT_SYSTEM,
    OtherItems,
    Scale,
    check_response,
    is_number,
    link_map,
    no_modifiers,
    weight_of,
)
from backtriage.batch import ALIASES
from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments.odi import OdiScore, OdiSection, score_odi

_SECTIONS: Final = tuple(OdiSection)
_SCALES: Final = {"0-5": 0, "1-6": 1}
_CODES: Final = {ODI_STATEMENT_SYSTEM: {str(code): code for code in range(6)}}
_TOLERANCE: Final = 0.5
"""How far, in percentage points, a form's own score may be from backtriage's."""
_LINK_IDS: Final = (
    "linkId odi-1 to odi-10 or a section key ("
    + ", ".join(_SECTIONS)
    + "), or one mapped by link_ids=; groups may hold them"
)


def check_options(other_items: object, scale: object) -> tuple[OtherItems, int]:
    """Return ``other_items`` and the first statement's number, or refuse either."""
    if other_items not in ("error", "ignore"):
        raise InvalidAnswerError("other_items", other_items, "'error' or 'ignore'")
    if not isinstance(scale, str) or scale not in _SCALES:
        raise InvalidAnswerError(
            "scale", scale, "'0-5' (statements numbered from 0) or '1-6' (from 1)"
        )
    return other_items, _SCALES[scale]


def odi_scoring(first: int) -> Scoring:
    """Return how an ODI answer becomes a statement position, for a form numbered from ``first``."""
    last = first + 5
    allowed = f"a whole number {first} to {last} (the statement, {first} first)"
    # Said whatever the answer was: a hint given only for some answers would tell them apart.
    hint = (
        "; a form that numbers its statements 1 to 6 is read with scale='1-6'" if first == 0 else ""
    )

    def from_weight(link_id: str, weight: float) -> int:
        if not weight.is_integer() or not first <= weight <= last:
            raise InvalidAnswerError(link_id, _plain(weight), allowed + hint)
        return int(weight) - first

    return Scoring(_CODES, from_weight, allowed)


def _plain(number: float) -> float | int:
    return int(number) if number.is_integer() else number


def _section_map(link_ids: object) -> Mapping[str, OdiSection]:
    return link_map(link_ids, ALIASES, OdiSection, "section key", '{"q3": "lifting"}')


def check_form_scale(form: Form, sections: Mapping[str, OdiSection], first: int) -> None:
    """Refuse a Questionnaire whose ODI items declare a scale other than ``first`` ...
    ``first + 5``, in any of the ways a form declares one: its options' weights (one each of
    the six), its integer options (any of them outside the scale while others are inside), or
    its ``minValue`` and ``maxValue`` (each, where given, the scale's own bound).

    Options without a weight (a "not applicable", say) may stand beside the six; choosing one
    is refused when it is read, as its meaning is not declared. Integer options all outside the
    scale are left alone here: an integer answer must be one of them and on the scale.
    """
    scale = [float(number) for number in range(first, first + 6)]
    for link_id, form_item in form.items.items():
        if link_id not in sections:
            continue
        # An option coded in backtriage's own system declares its position (0 to 5) too.
        weights = sorted(w for w in map(_declared_weight, form_item.options) if w is not None)
        if weights and weights != scale:
            _refuse_scale(link_id, f"options weighted {_span(weights)}", weights, first)
        numbers = sorted(float(n) for n in form_item.numbers)
        if set(numbers) & set(scale) and not set(numbers) <= set(scale):
            _refuse_scale(link_id, f"integer options {_span(numbers)}", numbers, first)
        low, high = form_item.bounds
        if (low is not None and low != first) or (high is not None and high != first + 5):
            # The scale the bounds declare, when they declare one of the two.
            told = {
                bound for bound in (low, None if high is None else high - 5) if bound is not None
            }
            start = int(told.pop()) if len(told) == 1 and told <= {0.0, 1.0} else None
            _refuse_scale(
                link_id,
                f"minValue {_bound(low)} and maxValue {_bound(high)}",
                [] if start is None else [float(n) for n in range(start, start + 6)],
                first,
            )


def _declared_weight(option: Option) -> float | None:
    if option.weight is not None:
        return option.weight
    position = _CODES[ODI_STATEMENT_SYSTEM].get(option.code or "")
    if option.system == ODI_STATEMENT_SYSTEM and position is not None:
        return float(position)
    return None


def _bound(bound: float | None) -> str:
    if bound is None:
        return "none"
    return str(_plain(bound)) if bound == bound else "not a number"  # NaN: a date, say


def _span(values: list[float]) -> str:
    return ", ".join(str(_plain(v)) for v in values)


def _refuse_scale(link_id: str, declared: str, numbers: list[float], first: int) -> None:
    """Refuse a form whose ODI item declares ``numbers``; name the other scale if they fit it."""
    hint = ""
    given = {float(n) for n in range(first, first + 6)}
    other = 1 - first
    if set(numbers) - given and set(numbers) <= {float(n) for n in range(other, other + 6)}:
        hint = (
            f"; a form that numbers its statements {other} to {other + 5} is read with "
            f"scale='{other}-{other + 5}'"
        )
    raise InvalidAnswerError(
        link_id,
        declared,
        f"Questionnaire options weighted {first} to {first + 5}, one each (or integer options "
        f"and minValue/maxValue on that scale), as scale='{first}-{first + 5}' says; a form's "
        f"scale is never shifted silently{hint}",
    )


@attrs.frozen
class _Stated:
    link_id: str
    percent: float


def _stated_score(link_id: str, item: Mapping[str, object]) -> _Stated | None:
    given = item.get("answer")
    if not given:
        return None
    allowed = (
        "the form's ODI score as one percent: a valueDecimal, a valueInteger, or a "
        "valueCoding with a weight extension"
    )
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
    return _Stated(link_id, float(number))  # type: ignore[arg-type]


def _is_score(
    link_id: str,
    item: Mapping[str, object],
    form_item: FormItem | None,
    score_link_id: str | None,
) -> bool:
    if link_id == score_link_id or (form_item is not None and form_item.score):
        return True
    answers = item.get("answer")
    return isinstance(answers, list) and any(
        isinstance(answer, Mapping)
        and isinstance(answer.get("valueCoding"), Mapping)
        and answer["valueCoding"].get("system") == LOINC_SYSTEM
        and answer["valueCoding"].get("code") == ODI_SCORE_CODE
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
class OdiReading:
    """What a form says about the ODI: the answers, and its own score if it has one."""

    answers: dict[str, object]
    stated: _Stated | None


def read_odi_items(
    items: Sequence[tuple[str, Mapping[str, object]]],
    *,
    form: Form | None,
    sections: Mapping[str, OdiSection],
    other_items: OtherItems,
    score_link_id: str | None,
    first: int,
) -> OdiReading:
    """Read the ODI items among ``items`` (groups are searched); refuse others unless ignored."""
    scoring = odi_scoring(first)
    answers: dict[OdiSection, object] = {}
    link_of: dict[OdiSection, str] = {}
    stated: list[_Stated] = []
    pending = list(items)
    while pending:
        link_id, item = pending.pop(0)
        form_item = form_item_of(form, link_id)
        section = sections.get(link_id)
        # linkIds are case-sensitive in FHIR, so no normalising here (unlike CSV headers).
        if _is_score(link_id, item, form_item, score_link_id):
            score = _stated_score(link_id, item)
            if stated and score is not None:
                raise InvalidAnswerError(
                    link_id, link_id, f"one score item; {stated[0].link_id!r} is one already"
                )
            stated.extend([score] if score is not None else [])
            pending[:0] = list(items_of(item.get("item"), link_id))
        elif section is not None:
            if section in link_of:
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"one item per section; {section.value} is already answered by item "
                    f"{link_of[section]!r}",
                )
            link_of[section] = link_id
            answers[section] = _read_section(link_id, item, form_item, scoring)
        else:
            if other_items == "error" and (item.get("answer") or not item.get("item")):
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"an ODI item: {_LINK_IDS} (other_items='ignore' skips the items of a larger "
                    "form)",
                )
            # A group, or an item skipped: what is nested in it is read, in order, wherever
            # it nests (under the item or under one of its answers).
            pending[:0] = nested_items(link_id, item)
    return OdiReading(
        {section.value: answers.get(section) for section in _SECTIONS},
        stated[0] if stated else None,
    )


def _read_section(
    link_id: str, item: Mapping[str, object], form_item: FormItem | None, scoring: Scoring
) -> object:
    if item.get("item"):
        raise InvalidAnswerError(link_id, item["item"], "an ODI item without nested items")
    given = item.get("answer", [])
    if not isinstance(given, list):
        raise InvalidAnswerError(link_id, given, "a list of answers")
    positions = sorted(
        {
            item_score(link_id, *answer_value(link_id, answer), form_item, scoring)
            for answer in given
        }
    )
    # Several answers to one item are several marked statements, of which the highest counts.
    return None if not positions else positions[0] if len(positions) == 1 else positions


def check_stated(reading: OdiReading, score: OdiScore | None) -> None:
    """Refuse answers whose score is more than 0.5 points from the form's own score."""
    stated = reading.stated
    if stated is None:
        return
    if score is None:
        try:
            score = score_odi(reading.answers, max_missing=len(_SECTIONS) - 1)
        except IncompleteError:
            raise InvalidAnswerError(
                stated.link_id,
                _plain(stated.percent),
                "a form's own ODI score together with at least one answered section",
            ) from None
    if abs(score.percent - stated.percent) > _TOLERANCE:
        # Both percents derive from the answers: str(error) shows them (its value), the
        # problem document never does.
        raise InvalidAnswerError(
            stated.link_id,
            (f"form: {_plain(stated.percent)} %", f"answers: {round(score.percent, 2)} %"),
            f"a form score within {_TOLERANCE} percentage points of the percent its answers "
            "score (they differ: read on another scale than the form's, e.g. 1-6, or scored "
            "another way)",
        )


def read_odi_response(
    resource: Mapping[str, object],
    *,
    in_progress: bool,
    questionnaire: Mapping[str, object] | None,
    link_ids: Mapping[str, str] | None,
    other_items: OtherItems,
    score_link_id: str | None,
    scale: Scale,
) -> OdiReading:
    """Check a response and read its ODI items (see ``fhir.read_questionnaire_response``)."""
    response = check_response(resource, in_progress=in_progress)
    other, first = check_options(other_items, scale)
    sections = _section_map(link_ids)
    if score_link_id is not None and (
        not isinstance(score_link_id, str) or score_link_id in sections
    ):
        raise InvalidAnswerError(
            "score_link_id", score_link_id, "the linkId of the form's score item (not a section)"
        )
    form = read_form(questionnaire)
    check_form_matches(response, form)
    if form is not None:
        check_form_scale(form, sections, first)
    return read_odi_items(
        list(items_of(response.get("item"), "item")),
        form=form,
        sections=sections,
        other_items=other,
        score_link_id=score_link_id,
        first=first,
    )
