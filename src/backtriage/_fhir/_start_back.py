"""Read and score the STarT Back answers of a QuestionnaireResponse."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from backtriage._fhir._answers import Form, FormItem, Scoring, answer_value, item_score, read_form
from backtriage._fhir._common import (
    START_BACK_ANSWER_SYSTEM,
    START_BACK_BOTHERSOMENESS_SYSTEM,
    OtherItems,
    at_fhir_paths,
    check_response,
    link_map,
)
from backtriage._fhir._odi import (
    check_form_matches,
    check_options,
    form_item_of,
    items_of,
    nested_items,
)
from backtriage.errors import InvalidAnswerError
from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackItem,
    StartBackScore,
    score_start_back,
)

_ITEMS: Final = tuple(StartBackItem)
ALIASES: Final[Mapping[str, StartBackItem]] = MappingProxyType(
    {
        **{item.value: item for item in _ITEMS},
        **{f"sbst-{number}": item for number, item in enumerate(_ITEMS, start=1)},
    }
)
"""The linkIds read as STarT Back items without a mapping: ``sbst-1`` ... ``sbst-9``, the keys."""
_SCORED: Final = frozenset({Bothersomeness.VERY_MUCH, Bothersomeness.EXTREMELY})
_AGREE_CODES: Final = {START_BACK_ANSWER_SYSTEM: {"disagree": 0, "agree": 1}}
_BOTHER_CODES: Final = {
    START_BACK_BOTHERSOMENESS_SYSTEM: {b.value: int(b in _SCORED) for b in Bothersomeness}
}
_LINK_IDS: Final = (
    "linkId sbst-1 to sbst-9 or an item key ("
    + ", ".join(_ITEMS)
    + "), or one mapped by link_ids=; groups may hold them"
)


def _from_weight(link_id: str, weight: float) -> int:
    if weight not in (0, 1):
        raise InvalidAnswerError(link_id, weight, "the item score: 0 or 1")
    return int(weight)


def _numbers_are_scores(form_item: FormItem | None) -> bool:
    """Tell whether a number answering an item through ``form_item`` is its item score: only
    where the form does not number the answers otherwise (integer options or bounds other than
    0 and 1, or other than two options, as item 9's five)."""
    if form_item is None:
        return True
    if form_item.numbers:
        return set(form_item.numbers) <= {0, 1}
    low, high = form_item.bounds
    if (low is not None and low != 0) or (high is not None and high != 1):
        return False
    return len(form_item.options) in (0, 2)


def check_start_back_form(form: Form | None, keys: Mapping[str, StartBackItem]) -> None:
    """Refuse a Questionnaire whose STarT Back options are weighted other than 0 and 1.

    A weight is read as the item score; a form that weights item 9's five answers 0 to 4 (or 1
    to 5) gives their order instead, and "slightly" (1) would be read as a scored answer.
    """
    if form is None:
        return
    for link_id, form_item in form.items.items():
        if link_id not in keys:
            continue
        weights = sorted({o.weight for o in form_item.options if o.weight is not None})
        if not set(weights) <= {0.0, 1.0}:
            raise InvalidAnswerError(
                link_id,
                [int(w) if w.is_integer() else w for w in weights],
                "Questionnaire options weighted by the item score, 0 or 1 (an answer's order, "
                "such as 0 to 4 for item 9's five answers, is not its score)",
            )


def scoring_for(item: StartBackItem) -> Scoring:
    """Return how an answer to ``item`` becomes its item score (0 or 1)."""
    codes = _BOTHER_CODES if item is StartBackItem.BOTHERSOMENESS else _AGREE_CODES
    return Scoring(codes, _from_weight, "the item score: 0 or 1", _numbers_are_scores)


def _item_map(link_ids: object) -> Mapping[str, StartBackItem]:
    return link_map(link_ids, ALIASES, StartBackItem, "item key", '{"q1": "leg_pain"}')


def read_start_back_items(
    items: Sequence[tuple[str, Mapping[str, object]]],
    *,
    form: Form | None,
    keys: Mapping[str, StartBackItem],
    other_items: OtherItems,
) -> dict[str, int | None]:
    """Read the STarT Back items among ``items`` as item scores (groups are searched)."""
    scores: dict[StartBackItem, int | None] = {}
    link_of: dict[StartBackItem, str] = {}
    pending = list(items)
    while pending:
        link_id, item = pending.pop(0)
        form_item = form_item_of(form, link_id)
        key = keys.get(link_id)
        if key is not None:
            if key in link_of:
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"one item per STarT Back item; {key.value} is already answered by item "
                    f"{link_of[key]!r}",
                )
            link_of[key] = link_id
            scores[key] = _read_item(link_id, item, key, form_item)
        else:
            if other_items == "error" and (item.get("answer") or not item.get("item")):
                raise InvalidAnswerError(
                    link_id,
                    link_id,
                    f"a STarT Back item: {_LINK_IDS} (other_items='ignore' skips the items of a "
                    "larger form)",
                )
            # A group, or an item skipped: its nested items are read, wherever they nest.
            pending[:0] = nested_items(link_id, item)
    return {key.value: scores.get(key) for key in _ITEMS}


def _read_item(
    link_id: str, item: Mapping[str, object], key: StartBackItem, form_item: FormItem | None
) -> int | None:
    if item.get("item"):
        raise InvalidAnswerError(link_id, item["item"], "a STarT Back item without nested items")
    given = item.get("answer", [])
    if not isinstance(given, list) or len(given) > 1:
        raise InvalidAnswerError(link_id, given, "one answer (the tool has one per item)")
    if not given:
        return None
    value_key, value = answer_value(link_id, given[0])
    if value_key == "valueBoolean":
        # Agree (true) or disagree (false) is an answer to items 1 to 8 only: item 9 has five.
        if key is StartBackItem.BOTHERSOMENESS or not isinstance(value, bool):
            raise InvalidAnswerError(
                link_id,
                value,
                "a coding or the item score 0 or 1 (valueBoolean answers items 1 to 8 only)",
            )
        return int(value)
    return item_score(link_id, value_key, value, form_item, scoring_for(key))


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
    response = check_response(resource, in_progress=in_progress)
    other, _ = check_options(other_items, "0-5")
    keys = _item_map(link_ids)
    form = read_form(questionnaire)
    check_form_matches(response, form)
    check_start_back_form(form, keys)
    return read_start_back_items(
        list(items_of(response.get("item"), "item")), form=form, keys=keys, other_items=other
    )


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
