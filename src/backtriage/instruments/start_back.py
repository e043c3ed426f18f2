"""Score the Keele STarT Back Screening Tool (nine items) [S20].

Only item keys and codes live here: the item wording is free for non-commercial use only
(Keele University) and is supplied by the app. The tool has no official rule for missing items,
so any missing item makes the questionnaire not scorable.

Source: [S20] Keele University, "Using and scoring the STarT Back Screening Tool".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs

from backtriage._ordered import OrderedStrEnum
from backtriage.errors import (
    IncompleteError,
    InvalidAnswerError,
    json_path,
    shorten,
)

if TYPE_CHECKING:
    from backtriage.instruments._form import DeclaredOption, ItemForm
    from backtriage.instruments._instrument import DocumentSchemas, ScoredInstrument

__all__ = [
    "Bothersomeness",
    "StartBackAnswerInput",
    "StartBackAnswers",
    "StartBackItem",
    "StartBackRisk",
    "StartBackScore",
    "describe_start_back",
    "score_start_back",
]


class StartBackItem(StrEnum):
    """The nine items in questionnaire order; items 5 to 9 form the psychosocial subscale."""

    LEG_PAIN = "leg_pain"
    SHOULDER_NECK_PAIN = "shoulder_neck_pain"
    WALKED_SHORT_DISTANCES = "walked_short_distances"
    DRESSED_SLOWLY = "dressed_slowly"
    FEAR_NOT_SAFE_ACTIVE = "fear_not_safe_active"
    WORRYING_THOUGHTS = "worrying_thoughts"
    CATASTROPHISING = "catastrophising"
    LOW_MOOD = "low_mood"
    BOTHERSOMENESS = "bothersomeness"


class StartBackRisk(OrderedStrEnum):
    """Risk of a poor outcome, ordered from low to high."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Bothersomeness(StrEnum):
    """The five answers to item 9; only ``very_much`` and ``extremely`` score 1."""

    NOT_AT_ALL = "not_at_all"
    SLIGHTLY = "slightly"
    MODERATELY = "moderately"
    VERY_MUCH = "very_much"
    EXTREMELY = "extremely"


StartBackAnswerInput: TypeAlias = (
    "StartBackAnswers | Mapping[str, object] | Mapping[StartBackItem, object]"
)
"""What ``score_start_back`` accepts: a :class:`StartBackAnswers` document, or item key
(``str`` or ``StartBackItem``) to answer."""

_ITEMS: tuple[StartBackItem, ...] = tuple(StartBackItem)
_KEY_SET = frozenset(item.value for item in _ITEMS)
_PSYCHOSOCIAL = frozenset(_ITEMS[4:])
_KEY_LIST = ", ".join(_ITEMS)
_BOTHER_VALUES = frozenset(answer.value for answer in Bothersomeness)
_BOTHERSOME = frozenset({Bothersomeness.VERY_MUCH, Bothersomeness.EXTREMELY})
_AGREE_ALLOWED = "True or 1 (agree), False or 0 (disagree)"
_BOTHER_ALLOWED = (
    "one of " + ", ".join(Bothersomeness) + ", or the item score itself: True or 1 "
    "(very much, extremely), False or 0"
)


@attrs.frozen
class StartBackScore:
    """A scored STarT Back questionnaire: the total (0..9) and psychosocial subscale (0..5).

    Build it with ``score_start_back``. Direct construction (deserialisation) checks that both
    are ints (never bool) with ``0 <= psychosocial <= 5`` and
    ``psychosocial <= total <= psychosocial + 4``, raising ``InvalidAnswerError`` otherwise.
    """

    total: int
    """Sum of items 1 to 9."""
    psychosocial: int
    """Sum of items 5 to 9."""

    def __attrs_post_init__(self) -> None:
        psychosocial = self.psychosocial
        if (
            isinstance(psychosocial, bool)
            or not isinstance(psychosocial, int)
            or not 0 <= psychosocial <= 5
        ):
            raise InvalidAnswerError("psychosocial", psychosocial, "an int from 0 to 5")
        total = self.total
        if isinstance(total, bool) or not isinstance(total, int):
            raise InvalidAnswerError("total", total, "an int from 0 to 9")
        if not psychosocial <= total <= psychosocial + 4:
            raise InvalidAnswerError(
                "total",
                total,
                # The subscale is the person's: the limits are named, never given.
                "an int from psychosocial to psychosocial + 4 (psychosocial plus items 1-4)",
            )

    @property
    def risk(self) -> StartBackRisk:
        """Return the risk group: total <= 3 low; else subscale <= 3 medium, >= 4 high [S20]."""
        if self.total <= 3:
            return StartBackRisk.LOW
        if self.psychosocial <= 3:
            return StartBackRisk.MEDIUM
        return StartBackRisk.HIGH


def _item_score(item: StartBackItem, value: object) -> int:
    """Return the 0/1 score of one present answer, or raise naming the item."""
    # bool is accepted here, unlike in the ODI: every item is a yes/no (agree/disagree) answer.
    if isinstance(value, int) and value in (0, 1):
        return int(value)
    if item is StartBackItem.BOTHERSOMENESS:
        if isinstance(value, str) and value in _BOTHER_VALUES:
            return int(Bothersomeness(value) in _BOTHERSOME)
        raise InvalidAnswerError(item.value, value, _BOTHER_ALLOWED, path=_path(item))
    raise InvalidAnswerError(item.value, value, _AGREE_ALLOWED, path=_path(item))


def _path(key: str) -> str:
    return json_path("start_back", key)


def _as_agreement(value: object) -> object:
    # A document is frozen as booleans and Bothersomeness members; anything else is kept as
    # given, for the validator to refuse with the item's name.
    if type(value) is int and value in (0, 1):
        return bool(value)
    if type(value) is str and value in _BOTHER_VALUES:
        return Bothersomeness(value)
    return value


def _check_item(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
    if value is not None:
        _item_score(StartBackItem(attribute.name), value)


def _item_field() -> Any:
    return attrs.field(default=None, converter=_as_agreement, validator=_check_item)


@attrs.frozen
class StartBackAnswers:
    """STarT Back answers as a document, each item checked when it is made, not yet scored.

    Each field is an item (``StartBackItem`` values are the field names): ``True`` (or ``1``)
    agree, ``False`` (or ``0``) disagree, ``None`` unanswered; ``bothersomeness`` also takes a
    ``Bothersomeness`` member or its value. Read one strictly from JSON with
    ``from_json(text, StartBackAnswers)`` (a repeated or unknown key is refused) and score it
    with :func:`score_start_back`, which refuses unanswered items. Raises
    ``InvalidAnswerError`` naming the item for a bad answer.
    """

    leg_pain: bool | None = _item_field()
    shoulder_neck_pain: bool | None = _item_field()
    walked_short_distances: bool | None = _item_field()
    dressed_slowly: bool | None = _item_field()
    fear_not_safe_active: bool | None = _item_field()
    worrying_thoughts: bool | None = _item_field()
    catastrophising: bool | None = _item_field()
    low_mood: bool | None = _item_field()
    bothersomeness: bool | Bothersomeness | None = _item_field()  # noqa: RUF009 (attrs, not a dataclass)

    def by_item(self) -> dict[StartBackItem, bool | Bothersomeness | None]:
        """Return the answers keyed by item, in the tool's order."""
        return {item: getattr(self, item.value) for item in _ITEMS}


def score_start_back(answers: StartBackAnswerInput) -> StartBackScore:
    """Score the nine-item STarT Back Screening Tool [S20].

    ``answers`` maps every item key (``str`` or ``StartBackItem``) to its answer, or is a
    :class:`StartBackAnswers` document. Items 1 to 8
    take ``True``/``1`` (agree) or ``False``/``0`` (disagree). ``bothersomeness`` takes a
    ``Bothersomeness`` member or its string value, or its item score as ``True``/``1``
    (very much or extremely) or ``False``/``0``.

    Raises ``InvalidAnswerError`` for an unknown key or a bad answer (``"1"``, ``1.0``, ``2``,
    ``"agree"``) and ``IncompleteError`` (field ``"start_back"``) naming every item that is
    absent or ``None``: the tool has no rule for missing items.

    >>> answers = dict.fromkeys(StartBackItem, False) | {"leg_pain": True}
    >>> score_start_back(answers).risk
    <StartBackRisk.LOW: 'low'>
    """
    if isinstance(answers, StartBackAnswers):
        answers = answers.by_item()
    if not isinstance(answers, Mapping):
        raise InvalidAnswerError(
            "answers",
            answers,
            f"a mapping of item key to answer; keys: {_KEY_LIST}",
            path="$.start_back",
        )
    unknown = [key for key in answers if not isinstance(key, str) or key not in _KEY_SET]
    if unknown:
        unknown.sort(key=shorten)  # the same error whatever order the mapping is in
        raise InvalidAnswerError(
            "answers",
            unknown[0] if len(unknown) == 1 else tuple(unknown),
            f"item keys (str or StartBackItem), one of: {_KEY_LIST}",
            problem="unknown key",
            path=json_path("start_back", unknown[0])
            if isinstance(unknown[0], str)
            else "$.start_back",
        )
    seen: set[str] = set()
    for key, answer in answers.items():
        if key in seen:  # "leg_pain" and StartBackItem.LEG_PAIN, from a mapping not a dict
            raise InvalidAnswerError(
                key,
                answer,
                "each item key once (as a str or a StartBackItem member)",
                problem="item answered twice",
                path=_path(key),
            )
        seen.add(key)
    total = psychosocial = 0
    missing: list[str] = []
    for item in _ITEMS:
        # A StartBackItem hashes and compares equal to its value, so either key form is found.
        value = answers.get(item)
        if value is None:
            missing.append(item.value)
            continue
        score = _item_score(item, value)
        total += score
        if item in _PSYCHOSOCIAL:
            psychosocial += score
    if missing:
        raise IncompleteError(
            "start_back", missing, "answer every item; the tool has no rule for missing items"
        )
    return StartBackScore(total, psychosocial)


# -- Its FHIR form ----------------------------------------------------------------------------

ANSWER_SYSTEM: Final = "urn:backtriage:start-back-answer"
"""Code system of the answers to STarT Back items 1 to 8: ``"disagree"`` (0), ``"agree"`` (1)."""
BOTHERSOMENESS_SYSTEM: Final = "urn:backtriage:start-back-bothersomeness"
"""Code system of the answers to STarT Back item 9: ``"not_at_all"`` ... ``"extremely"``."""

_AGREE_CHOICES: Final = (("disagree", "Disagree", 0), ("agree", "Agree", 1))
_BOTHER_DISPLAY: Final = {
    Bothersomeness.NOT_AT_ALL: "Not at all",
    Bothersomeness.SLIGHTLY: "Slightly",
    Bothersomeness.MODERATELY: "Moderately",
    Bothersomeness.VERY_MUCH: "Very much",
    Bothersomeness.EXTREMELY: "Extremely",
}
_BOTHER_CHOICES: Final = tuple(
    (answer.value, _BOTHER_DISPLAY[answer], int(answer in _BOTHERSOME)) for answer in Bothersomeness
)


def _from_weight(link_id: str, weight: float) -> int:
    if weight not in (0, 1):
        raise InvalidAnswerError(link_id, weight, "the item score: 0 or 1")
    return int(weight)


def _reading(first: int) -> tuple[Callable[[str, float], int], str]:
    """Return how a declared number becomes the item score (the form has one numbering)."""
    return _from_weight, "the item score: 0 or 1"


def _numbers_are_scores(
    numbers: tuple[int, ...], bounds: tuple[float | None, float | None], options: int
) -> bool:
    """Tell whether a number answering an item is its item score: only where the form does not
    number the answers otherwise (integer options or bounds other than 0 and 1, or other than
    two options, as item 9's five)."""
    if numbers:
        return set(numbers) <= {0, 1}
    low, high = bounds
    if (low is not None and low != 0) or (high is not None and high != 1):
        return False
    return options in (0, 2)


def _check_declared(
    link_id: str,
    options: tuple[DeclaredOption, ...],
    numbers: tuple[int, ...],
    bounds: tuple[float | None, float | None],
    first: int,
) -> None:
    """Refuse a Questionnaire item whose options are weighted other than 0 and 1.

    A weight is read as the item score; a form that weights item 9's five answers 0 to 4 (or 1
    to 5) gives their order instead, and "slightly" (1) would be read as a scored answer.
    """
    weights = sorted({weight for _, _, weight in options if weight is not None})
    if not set(weights) <= {0.0, 1.0}:
        raise InvalidAnswerError(
            link_id,
            [int(w) if w.is_integer() else w for w in weights],
            "Questionnaire options weighted by the item score, 0 or 1 (an answer's order, "
            "such as 0 to 4 for item 9's five answers, is not its score)",
        )


def _scored(scores: dict[str, object]) -> object:
    """An assessment carries the STarT Back as its score."""
    return score_start_back(scores)


def _codes_of(score: object, answers: object) -> tuple[tuple[str, ...], ...]:
    """Return the code of each item's answer, from the answers given beside the score."""
    if score is None and answers is None:
        return ((),) * len(_ITEMS)
    if answers is None or score is None or score_start_back(answers) != score:  # type: ignore[arg-type]
        raise InvalidAnswerError(
            "start_back",
            answers,
            "the nine STarT Back answers that give the assessment's score (an assessment "
            "holds only the score), or none when the assessment has no STarT Back",
        )
    codes: list[tuple[str, ...]] = []
    for key in _ITEMS:
        value = answers.get(key)  # type: ignore[attr-defined]
        if key is StartBackItem.BOTHERSOMENESS:
            if not isinstance(value, str) or value not in tuple(Bothersomeness):
                raise InvalidAnswerError(
                    key.value,
                    value,
                    "one of the five answers: " + ", ".join(Bothersomeness),
                    path=json_path("start_back", key.value),
                )
            codes.append((str(value),))
        else:
            codes.append(("agree" if value else "disagree",))  # checked by score_start_back
    return tuple(codes)


@functools.cache
def start_back_form() -> ItemForm:
    """Return the STarT Back's FHIR form: its items, their answers, and its reader's rules."""
    # Made on first use: only the FHIR layer reads it.
    from backtriage.instruments._form import Choice, FormQuestion, ItemForm

    agree = tuple(Choice(*choice) for choice in _AGREE_CHOICES)
    bother = tuple(Choice(*choice) for choice in _BOTHER_CHOICES)
    items = tuple(
        FormQuestion(
            key=key.value,
            link_id=f"sbst-{number}",
            text=f"STarT Back item {number} ({key.value}): licensed wording supplied by the app",
            system=BOTHERSOMENESS_SYSTEM if key is StartBackItem.BOTHERSOMENESS else ANSWER_SYSTEM,
            choices=bother if key is StartBackItem.BOTHERSOMENESS else agree,
            # Agree (true) or disagree (false) answers items 1 to 8 only: item 9 has five.
            agrees=key is not StartBackItem.BOTHERSOMENESS,
        )
        for number, key in enumerate(_ITEMS, start=1)
    )
    aliases = {
        **{key.value: key.value for key in _ITEMS},
        **{item.link_id: item.key for item in items},
    }
    return ItemForm(
        name="start-back",
        resource_name="KeeleStartBackScreeningTool",
        title="Keele STarT Back Screening Tool",
        code=None,
        required=True,  # the tool has no rule for missing items
        items=items,
        in_check_in=False,
        aliases=MappingProxyType(aliases),
        scales=MappingProxyType({}),
        scale_allowed="",
        reading=_reading,
        numbers_are_scores=_numbers_are_scores,
        check_declared=_check_declared,
        item_noun="a STarT Back item",
        key_noun="item key",
        a_key="an item key",
        one_per="STarT Back item",
        example='{"q1": "leg_pain"}',
        one_answer="one answer (the tool has one per item)",
        booleans="a coding or the item score 0 or 1 (valueBoolean answers items 1 to 8 only)",
        score_code=None,
        score_allowed="",
        score_link_id_allowed="",
        check_score=None,
        carried=_scored,
        codes_of=_codes_of,
        writes_words=False,
    )


_RISKS: tuple[StartBackRisk, ...] = tuple(StartBackRisk)


def _least_answers(rank: int) -> dict[str, bool]:
    """Return the answers with fewest items agreed (in order) whose risk has ``rank``."""
    risk = _RISKS[rank]
    for agreed in range(len(_ITEMS) + 1):
        answers = {item.value: i < agreed for i, item in enumerate(_ITEMS)}
        if score_start_back(answers).risk is risk:
            return answers
    raise AssertionError(f"no STarT Back answers give risk {risk.value}")  # pragma: no cover


def _risk_words(rank: int) -> str:
    """Say what a fact of at least the risk of ``rank`` means, for the review."""
    if rank == 0:
        return "STarT Back answered (any risk)"
    risk = _RISKS[rank]
    tail = "" if risk is _RISKS[-1] else " or higher"
    return f"STarT Back risk {risk.value}{tail}"


def _rank(score: StartBackScore) -> int:
    return score.risk.rank


def _relisted(score: object) -> object:
    """Return the field as it is: ``Assessment`` holds the score, not the answers."""
    return score


def _state_words(score: StartBackScore | None, answers: object) -> str | None:
    """Say what an assessment holds of STarT Back, for the testing kit's reports."""
    return None if score is None else f"STarT Back risk {score.risk.value}"


_SCORE_KEYS = frozenset({"total", "psychosocial", "risk"})


def _is_score(document: Mapping[str, object]) -> bool:
    """Tell a STarT Back score document from answers: keys of a score and of no item."""
    return not _KEY_SET.intersection(document) and not _SCORE_KEYS.isdisjoint(document)


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/$defs/{name}"}


def _schemas() -> DocumentSchemas:
    """Return the JSON Schema of STarT Back's documents (made afresh: a caller may change it)."""
    from backtriage.instruments._instrument import DocumentSchemas

    null: dict[str, object] = {"type": "null"}
    agree: list[object] = [{"type": "boolean"}, {"enum": [0, 1]}]
    bothersomeness = StartBackItem.BOTHERSOMENESS.value

    def items(answer: list[object]) -> dict[str, object]:
        answers: dict[str, object] = {item.value: {"anyOf": answer} for item in _ITEMS}
        answers[bothersomeness] = {"anyOf": [*answer, _ref("Bothersomeness")]}
        return answers

    return DocumentSchemas(
        definitions={
            "StartBackAnswers": {
                "description": "Answers to all nine STarT Back items: true or 1 agree.",
                "type": "object",
                "properties": items(agree),
                "additionalProperties": False,
                "required": [item.value for item in _ITEMS],
            },
            "StartBackScore": {
                "description": "A scored STarT Back questionnaire; risk is derived.",
                "type": "object",
                "properties": {
                    "total": {"type": "integer", "minimum": 0, "maximum": 9},
                    "psychosocial": {"type": "integer", "minimum": 0, "maximum": 5},
                    "risk": _ref("StartBackRisk"),
                },
                "required": ["total", "psychosocial"],
                "additionalProperties": False,
            },
        },
        enums=(Bothersomeness, StartBackRisk),
        fields={
            "Assessment": {
                "description": "STarT Back answers or score, or null.",
                "anyOf": [_ref("StartBackAnswers"), _ref("StartBackScore"), null],
            },
            "Plan": {"description": "The STarT Back score used, or null."},
        },
        options={},
        answers={
            "title": "backtriage STarT Back answers",
            "description": (
                "Answers to the nine STarT Back items, as a StartBackAnswers document: true or 1 "
                "agree, false or 0 disagree, null or absent unanswered (scoring refuses "
                "unanswered items)."
            ),
            "type": "object",
            "properties": items([*agree, null]),
            "additionalProperties": False,
        },
    )


def describe_start_back() -> ScoredInstrument:
    """Return STarT Back as the facts, the reasoner, the review, the documents and the testing
    kit read it."""
    # Made on first use: only the layers above read it.
    from backtriage.instruments._instrument import Documents, ScoredInstrument

    return ScoredInstrument(
        key="start_back",
        score_attribute="start_back",
        requirement="require_start_back",
        derivation="start_back_risk",
        levels=tuple(risk.value for risk in _RISKS),
        rank=_rank,
        answers_at=_least_answers,
        title="STarT Back Screening Tool",
        input_words="the STarT Back answers",
        level_words=_risk_words,
        strategies="backtriage.instruments._start_back_strategies",
        relisted=_relisted,
        state_words=_state_words,
        documents=Documents(
            score_class=StartBackScore,
            answers_class=StartBackAnswers,
            answer_keys=tuple(item.value for item in _ITEMS),
            answers_in_order=False,
            score=score_start_back,
            is_score=_is_score,
            given=(("total", int), ("psychosocial", int)),
            optional=(),
            derived=(("risk", StartBackRisk),),
            options=(),
            score_words="a STarT Back score",
            answers_words="STarT Back answers",
            shapes_words="an object of the nine item answers, a STarT Back score object, or null",
            complete_words="all nine items answered",
            schema_aliases=(),
            schemas=_schemas,
        ),
        review_required="",
        review_optional="",
        review_notes=(),
        level_heading="",
        level_rows=(),
        always_asked=False,
        fhir_form=start_back_form,
    )
