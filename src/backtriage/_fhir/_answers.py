"""Read one answer the way real forms carry it, without guessing what a code means.

An answer's item score comes from what the sender declares: a number, a code of a system
backtriage defines, the weight extension on the answer's coding, or the weight of the matching
option of the ``Questionnaire`` the caller gives. Where two of these are given they must agree;
where none is, the answer is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Final

import attrs

from backtriage._fhir._common import (
    LOINC_SYSTEM,
    check_resource,
    is_number,
    no_modifiers,
    weight_of,
)
from backtriage.errors import InvalidAnswerError

_VALUE_KINDS: Final = "valueInteger, valueDecimal, valueCoding or valueString"
_SDC: Final = "http://hl7.org/fhir/StructureDefinition/"
BOUND_URLS: Final = {
    f"{_SDC}minValue": "min",
    f"{_SDC}maxValue": "max",
    # The names of the same extensions before R4.
    f"{_SDC}questionnaire-minValue": "min",
    f"{_SDC}questionnaire-maxValue": "max",
}
"""The extensions by which a Questionnaire item bounds its answer, and which bound each sets."""


@attrs.frozen
class Option:
    """One ``answerOption`` of a Questionnaire item."""

    system: str | None
    code: str | None
    display: str | None
    text: str | None
    """The option's ``valueString``."""
    weight: float | None
    number: int | None = None
    """The option's ``valueInteger``."""


@attrs.frozen
class FormItem:
    """What backtriage reads from one Questionnaire item."""

    link_id: str
    options: tuple[Option, ...]
    loinc: frozenset[str]
    """The LOINC codes the item is coded with (an instrument's score item has its own)."""
    bounds: tuple[float | None, float | None] = (None, None)
    """The lowest and highest answer its ``minValue`` and ``maxValue`` extensions allow."""

    @property
    def coded(self) -> bool:
        """Tell whether the options carry codes (else they are matched by their text)."""
        return any(option.code is not None for option in self.options)

    @property
    def numbers(self) -> tuple[int, ...]:
        """Return the values of its integer options (``answerOption.valueInteger``)."""
        return tuple(o.number for o in self.options if o.number is not None)


@attrs.frozen
class Form:
    """A Questionnaire, indexed by linkId."""

    url: str | None
    version: str | None
    items: Mapping[str, FormItem]

    @property
    def canonical(self) -> str | None:
        """Return ``url|version``, the ``url`` alone without a version, ``None`` without a url."""
        if self.url is None:
            return None
        return self.url if self.version is None else f"{self.url}|{self.version}"


def read_form(questionnaire: object) -> Form | None:
    """Index the Questionnaire a caller gives (``None`` for none)."""
    if questionnaire is None:
        return None
    resource = check_resource(questionnaire, "Questionnaire")
    url = resource.get("url")
    if url is not None and (not isinstance(url, str) or not url or "|" in url):
        raise InvalidAnswerError("questionnaire.url", url, "a canonical URL (a string, no '|')")
    version = resource.get("version")
    if version is not None and (not isinstance(version, str) or not version):
        raise InvalidAnswerError("questionnaire.version", version, "a version (a string)")
    items: dict[str, FormItem] = {}
    value_sets = _contained_value_sets(resource)
    for item in _walk(resource.get("item"), "questionnaire.item"):
        link_id = str(item["linkId"])
        if link_id in items:
            raise InvalidAnswerError(
                "questionnaire", link_id, "a Questionnaire whose linkIds are unique"
            )
        options = _options(item, link_id)
        value_set = item.get("answerValueSet")
        if not options and isinstance(value_set, str) and value_set in value_sets:
            options = value_sets[value_set]
        items[link_id] = FormItem(link_id, options, _loinc_codes(item), _bounds(item, link_id))
    return Form(url, version, items)


def _contained_value_sets(resource: Mapping[str, object]) -> dict[str, tuple[Option, ...]]:
    """Return the options of each ValueSet the form contains, by its reference (``#id``).

    An item's ``answerValueSet`` may name one instead of listing ``answerOption``s; its
    concepts, with their weight extensions, are then the item's options (the expansion's, where
    the ValueSet has one, else those its ``compose`` lists).
    """
    contained = resource.get("contained")
    sets: dict[str, tuple[Option, ...]] = {}
    for entry in contained if isinstance(contained, list) else ():
        if not isinstance(entry, Mapping) or entry.get("resourceType") != "ValueSet":
            continue
        if not isinstance(entry.get("id"), str):
            continue
        where = f"questionnaire #{entry['id']}"
        concepts: list[tuple[object, Mapping[str, object]]] = []
        expansion = entry.get("expansion")
        compose = entry.get("compose")
        if isinstance(expansion, Mapping) and isinstance(expansion.get("contains"), list):
            concepts = [
                (c.get("system"), c) for c in expansion["contains"] if isinstance(c, Mapping)
            ]
        elif isinstance(compose, Mapping) and isinstance(compose.get("include"), list):
            for include in compose["include"]:
                if isinstance(include, Mapping) and isinstance(include.get("concept"), list):
                    system = include.get("system")
                    concepts += [(system, c) for c in include["concept"] if isinstance(c, Mapping)]
        sets[f"#{entry['id']}"] = tuple(
            Option(
                _text_or_none(system, where),
                _text_or_none(concept.get("code"), where),
                _text_or_none(concept.get("display"), where),
                None,
                weight_of(concept, where),
            )
            for system, concept in concepts
        )
    return sets


def _bounds(item: Mapping[str, object], link_id: str) -> tuple[float | None, float | None]:
    """Return the bounds an item's ``minValue`` and ``maxValue`` extensions declare."""
    extensions = item.get("extension", [])
    where = f"questionnaire {link_id}"
    if not isinstance(extensions, list):
        raise InvalidAnswerError(where, extensions, "a list of extensions")
    found: dict[str, list[float]] = {"min": [], "max": []}
    for extension in extensions:
        if not isinstance(extension, Mapping):
            raise InvalidAnswerError(where, extension, "an extension (a JSON object)")
        side = BOUND_URLS.get(str(extension.get("url")))
        if side is None:
            continue
        values = [key for key in extension if isinstance(key, str) and key.startswith("value")]
        value = extension[values[0]] if len(values) == 1 else None
        if values not in (["valueInteger"], ["valueDecimal"]) or not is_number(value):
            # A date or a time bounds no number; it is refused where a number is read.
            found[side].append(math.nan)
            continue
        found[side].append(float(value))  # type: ignore[arg-type]
    bounds: list[float | None] = []
    for side in ("min", "max"):
        if len(found[side]) > 1:
            raise InvalidAnswerError(where, found[side], f"one {side}Value extension")
        bounds.append(found[side][0] if found[side] else None)
    return bounds[0], bounds[1]


def _walk(items: object, where: str) -> Iterator[Mapping[str, object]]:
    if items is None:
        return
    if not isinstance(items, list):
        raise InvalidAnswerError(where, items, "a list of items")
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
            raise InvalidAnswerError(where, item, "a Questionnaire item with a linkId")
        no_modifiers(item, f"questionnaire {item['linkId']}")
        yield item
        yield from _walk(item.get("item"), str(item["linkId"]))


def _loinc_codes(item: Mapping[str, object]) -> frozenset[str]:
    codes = item.get("code")
    if not isinstance(codes, list):
        return frozenset()
    return frozenset(
        code["code"]
        for code in codes
        if isinstance(code, Mapping)
        and code.get("system") == LOINC_SYSTEM
        and isinstance(code.get("code"), str)
    )


def _options(item: Mapping[str, object], link_id: str) -> tuple[Option, ...]:
    given = item.get("answerOption")
    if given is None:
        return ()
    where = f"questionnaire {link_id}"
    if not isinstance(given, list):
        raise InvalidAnswerError(where, given, "a list of answerOption")
    options: list[Option] = []
    for option in given:
        if not isinstance(option, Mapping):
            raise InvalidAnswerError(where, option, "an answerOption (a JSON object)")
        no_modifiers(option, where)
        weight = weight_of(option, where)
        coding = option.get("valueCoding")
        text = option.get("valueString")
        if isinstance(coding, Mapping):
            coded_weight = weight_of(coding, where)
            if weight is not None and coded_weight is not None and weight != coded_weight:
                raise InvalidAnswerError(
                    where, option, "one weight: the option and its coding disagree"
                )
            weight = coded_weight if weight is None else weight
            options.append(
                Option(
                    _text_or_none(coding.get("system"), where),
                    _text_or_none(coding.get("code"), where),
                    _text_or_none(coding.get("display"), where),
                    None,
                    weight,
                )
            )
        elif isinstance(text, str):
            options.append(Option(None, None, None, text, weight))
        elif "valueInteger" in option:
            number = option["valueInteger"]
            if isinstance(number, bool) or not isinstance(number, int):
                raise InvalidAnswerError(where, option, "a valueInteger option with an integer")
            if any(o.number == number for o in options):
                raise InvalidAnswerError(where, number, "integer options of different values")
            options.append(Option(None, None, None, None, weight, number))
        else:
            # A date, time or reference option answers no instrument item; it is never matched.
            options.append(Option(None, None, None, None, weight))
    return tuple(options)


def _text_or_none(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidAnswerError(where, value, "a string")


def matching_option(
    link_id: str, form_item: FormItem, *, coding: Mapping[str, object] | None, text: str | None
) -> Option | None:
    """Return the option a coding (by system and code, or by display where the options carry
    no code) or a string (by the option's text, exactly) answers, or ``None``."""
    if coding is not None and form_item.coded:
        key = (coding.get("system"), coding.get("code"))
        found = [o for o in form_item.options if o.code is not None and (o.system, o.code) == key]
    else:
        wanted = text if coding is None else coding.get("display")
        found = [
            o
            for o in form_item.options
            if isinstance(wanted, str) and wanted in (o.display, o.text)
        ]
    if len(found) > 1:
        raise InvalidAnswerError(
            link_id, coding or text, "an answer that matches one option of the Questionnaire"
        )
    return found[0] if found else None


@attrs.frozen
class Scoring:
    """How the answers of one instrument's items become item scores."""

    own_codes: Mapping[str, Mapping[str, int]]
    """The code systems backtriage defines for the instrument: system -> code -> score."""
    from_weight: Callable[[str, float], int]
    """Turn a declared number or weight into the item score, or raise naming the linkId."""
    allowed: str
    """In words, what a number may be (for error messages)."""
    numbers_are_scores: Callable[[FormItem | None], bool] = lambda _: True
    """Whether a number answering the item (through its Questionnaire item, if any) is read as
    :attr:`from_weight` reads it. Where not, only an integer option's own weight gives its
    meaning: an item scored 0 or 1 whose five options are answered ``1`` (the second) is not
    scored 1."""


def answer_value(link_id: str, answer: object) -> tuple[str, object]:
    """Return the one ``value[x]`` of an answer as ``(key, value)``, or raise."""
    if not isinstance(answer, Mapping):
        raise InvalidAnswerError(link_id, answer, f"an answer with one value: {_VALUE_KINDS}")
    no_modifiers(answer, link_id)
    if answer.get("item"):
        raise InvalidAnswerError(link_id, answer, "an answer without nested items")
    values = [key for key in answer if not isinstance(key, str) or key.startswith("value")]
    if len(values) != 1:
        raise InvalidAnswerError(link_id, answer, f"an answer with one value: {_VALUE_KINDS}")
    return values[0], answer[values[0]]


def item_score(
    link_id: str, key: str, value: object, form_item: FormItem | None, scoring: Scoring
) -> int:
    """Return the item score of one answer value (see the module docstring), or raise."""
    if key in ("valueInteger", "valueDecimal"):
        # bool is an int in Python; JSON true is never 1. A decimal must be whole: 2.5 is
        # no statement, and rounding it would be a guess.
        if not is_number(value) or (key == "valueInteger" and not isinstance(value, int)):
            raise InvalidAnswerError(link_id, value, f"{key}: {scoring.allowed}")
        if not float(value).is_integer():  # type: ignore[arg-type]
            raise InvalidAnswerError(link_id, value, f"a whole number: {scoring.allowed}")
        return _number_score(link_id, float(value), form_item, scoring)  # type: ignore[arg-type]
    if key == "valueCoding":
        if not isinstance(value, Mapping):
            raise InvalidAnswerError(link_id, value, "a Coding (a JSON object)")
        return _coding_score(link_id, value, form_item, scoring)
    if key == "valueString":
        if not isinstance(value, str):
            raise InvalidAnswerError(link_id, value, "a string")
        if form_item is None or not form_item.options:
            raise InvalidAnswerError(
                link_id,
                value,
                "a number or a coding; a text answer is read only by matching it exactly to an "
                "option text of the Questionnaire: pass questionnaire=",
            )
        option = matching_option(link_id, form_item, coding=None, text=value)
        if option is None:
            raise InvalidAnswerError(
                link_id, value, "exactly the text of one answer option of the Questionnaire"
            )
        score = _option_score(link_id, option, scoring)
        if score is None:
            raise InvalidAnswerError(
                link_id, value, "an option with a weight (an ordinalValue extension)"
            )
        return score
    raise InvalidAnswerError(link_id, {key: value}, f"one value: {_VALUE_KINDS}")


def _number_score(link_id: str, number: float, form_item: FormItem | None, scoring: Scoring) -> int:
    """Return the item score of a whole number, read as the Questionnaire declares numbers."""
    shown = int(number)
    weight = None
    if form_item is not None:
        if form_item.numbers:
            options = [o for o in form_item.options if o.number == number]
            if not options:
                raise InvalidAnswerError(
                    link_id,
                    shown,
                    "one of the integer answer options of the Questionnaire: "
                    + ", ".join(str(n) for n in form_item.numbers),
                )
            weight = options[0].weight
        low, high = form_item.bounds
        if (low is not None and not number >= low) or (high is not None and not number <= high):
            raise InvalidAnswerError(
                link_id,
                shown,
                "a number within the minValue and maxValue of the Questionnaire item",
            )
    by_weight = None if weight is None else scoring.from_weight(link_id, weight)
    if scoring.numbers_are_scores(form_item):
        score = scoring.from_weight(link_id, number)
        if by_weight is not None and by_weight != score:
            raise InvalidAnswerError(
                link_id, shown, "an integer option whose weight is its own value on the scale"
            )
        return score
    if by_weight is None:
        raise InvalidAnswerError(
            link_id,
            shown,
            "a coding of one of the Questionnaire's options: this item's options are not its "
            "item scores, so a number is read only as an integer option with a weight (an "
            "ordinalValue extension)",
        )
    return by_weight


def _option_score(link_id: str, option: Option, scoring: Scoring) -> int | None:
    scores = []
    if option.weight is not None:
        scores.append(scoring.from_weight(link_id, option.weight))
    codes = scoring.own_codes.get(option.system or "")
    if codes is not None and option.code is not None and option.code in codes:
        scores.append(codes[option.code])
    if len(set(scores)) > 1:
        raise InvalidAnswerError(
            link_id, option.code, "a Questionnaire option whose weight agrees with its code"
        )
    return scores[0] if scores else None


def _coding_score(
    link_id: str, coding: Mapping[str, object], form_item: FormItem | None, scoring: Scoring
) -> int:
    system = coding.get("system")
    code = coding.get("code")
    if system is not None and not isinstance(system, str):
        raise InvalidAnswerError(link_id, coding, "a Coding whose system is a URI (a string)")
    found: list[tuple[str, int]] = []
    weight = weight_of(coding, link_id)
    if weight is not None:
        found.append(("the coding's weight extension", scoring.from_weight(link_id, weight)))
    codes = scoring.own_codes.get(system) if system is not None else None
    if codes is not None:
        if not isinstance(code, str) or code not in codes:
            raise InvalidAnswerError(
                link_id, coding, f"a code of {system}: " + ", ".join(repr(c) for c in codes)
            )
        found.append((f"its code in {system}", codes[code]))
    if form_item is not None and form_item.options:
        option = matching_option(link_id, form_item, coding=coding, text=None)
        if option is None:
            by = "system and code" if form_item.coded else "display"
            raise InvalidAnswerError(
                link_id,
                coding,
                f"a coding that matches one answer option of the Questionnaire by {by}",
            )
        score = _option_score(link_id, option, scoring)
        if score is not None:
            found.append(("the Questionnaire's option", score))
    if not found:
        if system is None:
            why = (
                "a code without a system means nothing backtriage can know (a vendor's '1' is "
                "often the first statement): pass the form's Questionnaire, or send an "
                "ordinalValue extension"
            )
        else:
            why = (
                f"the codes of system {system!r} have a meaning backtriage cannot know: pass "
                "the form's Questionnaire (its options' ordinalValue weights), or translate them "
                "to codes of " + " or ".join(scoring.own_codes)
            )
        raise InvalidAnswerError(link_id, coding, f"a coding whose weight is declared; {why}")
    scores = {score for _, score in found}
    if len(scores) > 1:
        # The weights derive from the answer: shown by str(error) (the value), never in its
        # problem document.
        raise InvalidAnswerError(
            link_id,
            dict(found),
            "a coding whose weights agree; these disagree: " + ", ".join(s for s, _ in found),
        )
    return found[0][1]
