"""Every field of two protocols, compared one by one: what the safety diff must not miss.

The diff judges behaviour by comparing plans; this walk makes sure no field is left out of it.
It goes through every attrs field of :class:`~backtriage.Protocol` and of everything inside it,
by reflection, and reports each field whose value differs with how :data:`JUDGED` says a change
of it is judged. A field that :data:`JUDGED` does not name is judged :attr:`Judge.REVIEW` (less
safe until a clinician has seen it), so a field added to the model is never silently ignored;
a test holds :data:`JUDGED` equal to the fields the model has.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Final

import attrs

from backtriage.errors import shorten
from backtriage.protocol import (
    AgeBand,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Derivation,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FollowUpRules,
    Policy,
    Protocol,
    Refer,
    Rule,
    SafetyNet,
    Scope,
    Selector,
    Source,
    Texts,
    UrgencyAdvice,
)
from backtriage.protocol._inputs import INPUT_REQUIREMENTS

__all__ = ["JUDGED", "KEYS", "FieldChange", "Judge", "field_changes", "signs"]


class Judge(Enum):
    """How a change of one field is judged."""

    PARTS = "parts"
    """Compared part by part: the fields of an attrs value, the entries of a tuple of them
    (matched by :data:`KEYS`, else by position; an entry added or removed is judged by
    :data:`ENTRIES`)."""
    SHOWN = "shown"
    """A text a person reads: the text diff compares it, with witnesses where a plan shows it."""
    TEXT = "text"
    """A text a clinician reads: a change is a text change."""
    BEHAVIOUR = "behaviour"
    """Decides plans: what a change does is found by comparing the plans of both versions (a
    given exercise, a lower urgency, ...); the change itself is listed as a definition change."""
    SIGNS = "signs"
    """Signs to act on (a list of texts, or the sentences of one text): a sign lost is less
    safe, a sign added more cautious; the change is also a text change."""
    POLICY = "policy"
    """A claim of a declared policy: a weaker claim is less safe, a stronger one more cautious."""
    LOWER_IS_LESS_SAFE = "lower_is_less_safe"
    """An ordered value (an urgency, an age limit): lower is less safe, higher more cautious."""
    HIGHER_IS_LESS_SAFE = "higher_is_less_safe"
    """An ordered value (a pain limit): higher is less safe, lower more cautious."""
    REVIEW = "review"
    """Any change is less safe until reviewed: the diff cannot judge it (an unknown field)."""
    KEY = "key"
    """The identity of an entry (its id): entries are matched by it, never compared by it."""


JUDGED: Final[dict[tuple[type, str], Judge]] = {
    # Adding a field to the model means adding its line here (a test checks that it is).
    (Protocol, "name"): Judge.SHOWN,
    (Protocol, "version"): Judge.TEXT,
    (Protocol, "exercises"): Judge.PARTS,
    (Protocol, "facts"): Judge.PARTS,
    (Protocol, "rules"): Judge.PARTS,
    (Protocol, "sources"): Judge.PARTS,
    (Protocol, "description"): Judge.SHOWN,
    # The fields that require a scored questionnaire (one per registered one) or the age.
    **{(Protocol, field): Judge.BEHAVIOUR for field in INPUT_REQUIREMENTS.values()},
    (Protocol, "safety"): Judge.SHOWN,
    (Protocol, "safety_source"): Judge.SHOWN,
    (Protocol, "advice"): Judge.PARTS,
    (Protocol, "safety_net"): Judge.PARTS,
    (Protocol, "policies"): Judge.PARTS,
    (Protocol, "format"): Judge.TEXT,
    (Protocol, "scope"): Judge.PARTS,
    (Protocol, "texts"): Judge.PARTS,
    (Protocol, "follow_up"): Judge.PARTS,
    # A higher pain limit lets more pain move an exercise on, or keep its step.
    (FollowUpRules, "green_max"): Judge.HIGHER_IS_LESS_SAFE,
    (FollowUpRules, "amber_max"): Judge.HIGHER_IS_LESS_SAFE,
    **{
        (FollowUpRules, field.name): Judge.TEXT
        for field in attrs.fields(FollowUpRules)
        if field.name not in ("green_max", "amber_max")
    },
    (SafetyNet, "emergency"): Judge.SIGNS,
    (SafetyNet, "today"): Judge.SIGNS,
    (SafetyNet, "review"): Judge.SHOWN,
    (SafetyNet, "source"): Judge.SHOWN,
    (Scope, "intended_use"): Judge.SHOWN,
    (Scope, "population"): Judge.SHOWN,
    (Scope, "not_covered"): Judge.SHOWN,
    (Scope, "source"): Judge.SHOWN,
    # The diff compares the scopes age by age (scope_widened, scope_narrowed).
    (Scope, "min_age"): Judge.BEHAVIOUR,
    (Scope, "under_age"): Judge.BEHAVIOUR,
    (AgeBand, "below"): Judge.BEHAVIOUR,
    (AgeBand, "urgency"): Judge.BEHAVIOUR,
    (AgeBand, "advice"): Judge.TEXT,
    # Every fixed text is shown to a person; the advice without exercises, one per urgency.
    **{(Texts, field.name): Judge.SHOWN for field in attrs.fields(Texts)},
    (Texts, "no_exercise_advice"): Judge.PARTS,
    (UrgencyAdvice, "none"): Judge.SHOWN,
    (UrgencyAdvice, "routine"): Judge.SHOWN,
    (UrgencyAdvice, "soon"): Judge.SHOWN,
    (UrgencyAdvice, "same_day"): Judge.SHOWN,
    (UrgencyAdvice, "emergency"): Judge.SHOWN,
    (Source, "tag"): Judge.KEY,
    (Source, "citation"): Judge.SHOWN,
    (Source, "kind"): Judge.TEXT,
    (Source, "year"): Judge.TEXT,
    (Source, "url"): Judge.TEXT,
    (Exercise, "id"): Judge.KEY,
    (Exercise, "title"): Judge.SHOWN,
    (Exercise, "family"): Judge.BEHAVIOUR,
    (Exercise, "movement"): Judge.BEHAVIOUR,
    (Exercise, "position"): Judge.BEHAVIOUR,
    (Exercise, "level"): Judge.BEHAVIOUR,
    (Exercise, "in_bed"): Judge.BEHAVIOUR,
    (Exercise, "dosage"): Judge.SHOWN,
    (Exercise, "instructions"): Judge.SHOWN,
    (Exercise, "prerequisites"): Judge.BEHAVIOUR,
    (Exercise, "steps"): Judge.TEXT,
    (Fact, "name"): Judge.KEY,
    (Fact, "kind"): Judge.BEHAVIOUR,
    (Fact, "polarity"): Judge.BEHAVIOUR,
    (Fact, "question"): Judge.SHOWN,
    (Fact, "required"): Judge.BEHAVIOUR,
    (Fact, "derive"): Judge.PARTS,
    (Fact, "unlocked_by"): Judge.BEHAVIOUR,
    (Fact, "asked_if"): Judge.BEHAVIOUR,
    (Derivation, "source"): Judge.BEHAVIOUR,
    (Derivation, "at_least"): Judge.BEHAVIOUR,
    (Derivation, "equals"): Judge.BEHAVIOUR,
    (Rule, "id"): Judge.KEY,
    (Rule, "condition"): Judge.PARTS,
    (Rule, "actions"): Judge.PARTS,
    (Rule, "reason"): Judge.SHOWN,
    (Rule, "source"): Judge.SHOWN,
    (Rule, "advice"): Judge.SHOWN,
    (Rule, "departs"): Judge.TEXT,
    (FactIs, "fact"): Judge.BEHAVIOUR,
    (AllOf, "conditions"): Judge.PARTS,
    (AnyOf, "conditions"): Judge.PARTS,
    (AtLeast, "n"): Judge.BEHAVIOUR,
    (AtLeast, "conditions"): Judge.PARTS,
    (Refer, "urgency"): Judge.BEHAVIOUR,
    (Exclude, "select"): Judge.PARTS,
    (Caution, "select"): Judge.PARTS,
    (Caution, "text"): Judge.SHOWN,
    (Selector, "ids"): Judge.BEHAVIOUR,
    (Selector, "families"): Judge.BEHAVIOUR,
    (Selector, "movements"): Judge.BEHAVIOUR,
    (Selector, "positions"): Judge.BEHAVIOUR,
    (Selector, "levels"): Judge.BEHAVIOUR,
    (Selector, "min_level"): Judge.BEHAVIOUR,
    (Selector, "all"): Judge.BEHAVIOUR,
    (Selector, "all_except_in_bed"): Judge.BEHAVIOUR,
    (Policy, "id"): Judge.KEY,
    (Policy, "when"): Judge.POLICY,
    (Policy, "reaches"): Judge.POLICY,
    (Policy, "withholds"): Judge.POLICY,
    (Policy, "cautions_or_withholds"): Judge.POLICY,
    (Policy, "required"): Judge.POLICY,
    (Policy, "red_flags_withhold_all_from"): Judge.POLICY,
    (Policy, "reason"): Judge.TEXT,
}
"""How a change of each field of the model is judged, by the class that declares it."""

KEYS: Final[dict[type, str]] = {
    Exercise: "id",
    Fact: "name",
    Rule: "id",
    Source: "tag",
    Policy: "id",
}
"""The field that names an entry of a list: entries of two versions are matched by it (the
first of a repeated one, as ``check()`` reads them). Entries of other lists are matched by
position."""

ENTRIES: Final[dict[type, Judge]] = {
    Exercise: Judge.BEHAVIOUR,
    Fact: Judge.BEHAVIOUR,
    Rule: Judge.BEHAVIOUR,
    Source: Judge.SHOWN,  # the text diff lists a source added or removed
    Policy: Judge.POLICY,
    Derivation: Judge.BEHAVIOUR,
    AgeBand: Judge.BEHAVIOUR,
    Selector: Judge.BEHAVIOUR,
    Refer: Judge.BEHAVIOUR,
    Exclude: Judge.BEHAVIOUR,
    Caution: Judge.BEHAVIOUR,
    FactIs: Judge.BEHAVIOUR,
    AllOf: Judge.BEHAVIOUR,
    AnyOf: Judge.BEHAVIOUR,
    AtLeast: Judge.BEHAVIOUR,
}
"""How an entry of a list added or removed is judged, by its class (unknown: REVIEW)."""


@attrs.frozen
class FieldChange:
    """One field whose value differs between two versions, with how it is judged.

    ``path`` names it (``exercises.knee_sways.level``, ``rules.fever.actions[0].urgency``);
    ``old`` and ``new`` are its values (``None`` for an entry only one version has);
    ``owner_old`` and ``owner_new`` are the values that hold it (a policy, for a claim).
    """

    path: str
    judge: Judge
    old: object
    new: object
    owner_old: object = None
    owner_new: object = None


def judge_of(cls: type, name: str) -> Judge:
    """Return how a change of field ``name`` of ``cls`` is judged (REVIEW when unknown)."""
    for klass in cls.__mro__:
        found = JUDGED.get((klass, name))
        if found is not None:
            return found
    return Judge.REVIEW


def field_changes(old: Protocol, new: Protocol) -> Iterator[FieldChange]:
    """Yield every field whose value differs between ``old`` and ``new``, with its judgement."""
    yield from _compare_attrs("", old, new)


def _compare_attrs(path: str, old: object, new: object) -> Iterator[FieldChange]:
    for field in attrs.fields(typing.cast("type[attrs.AttrsInstance]", type(old))):
        if not field.init or not field.eq:
            continue  # what a layer above builds from the fields, never part of the protocol
        judge = judge_of(type(old), field.name)
        if judge is Judge.KEY:
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before == after:
            continue
        where = f"{path}.{field.name}" if path else field.name
        yield from _compare(where, judge, before, after, old, new)


def _compare(
    path: str, judge: Judge, old: object, new: object, owner_old: object, owner_new: object
) -> Iterator[FieldChange]:
    if judge is Judge.PARTS:
        if _is_attrs(old) and type(old) is type(new):
            yield from _compare_attrs(path, old, new)
            return
        if isinstance(old, tuple) and isinstance(new, tuple):
            yield from _compare_entries(path, old, new)
            return
        # One side is missing (a derivation added) or of another kind: the whole is changed.
        judge = _entry_judge(new if old is None else old)
    yield FieldChange(path, judge, old, new, owner_old, owner_new)


def _compare_entries(
    path: str, old: tuple[object, ...], new: tuple[object, ...]
) -> Iterator[FieldChange]:
    old_named, new_named = _named(old), _named(new)
    if old_named is not None and new_named is not None:
        pairs = [
            (f"{path}.{name}", old_named.get(name), new_named.get(name))
            for name in dict.fromkeys([*old_named, *new_named])
        ]
    else:
        count = max(len(old), len(new))
        pairs = [
            (
                f"{path}[{i}]",
                old[i] if i < len(old) else None,
                new[i] if i < len(new) else None,
            )
            for i in range(count)
        ]
    for where, before, after in pairs:
        if before == after:
            continue
        if before is not None and _is_attrs(before) and type(before) is type(after):
            yield from _compare_attrs(where, before, after)
            continue
        judge = _entry_judge(before if after is None else after)
        yield FieldChange(where, judge, before, after, before, after)


def _named(entries: tuple[object, ...]) -> dict[str, object] | None:
    """Return the entries by their key (the first of a repeated one), or None if unkeyed."""
    if not entries:
        return {}
    keys = {KEYS.get(type(e)) for e in entries}
    if len(keys) != 1 or None in keys:
        return None
    (key,) = keys
    assert key is not None
    named: dict[str, object] = {}
    for entry in entries:
        named.setdefault(getattr(entry, key), entry)
    return named


def _entry_judge(value: object) -> Judge:
    if _is_attrs(value):
        return ENTRIES.get(type(value), Judge.REVIEW)
    return Judge.BEHAVIOUR if value is None else Judge.REVIEW


def _is_attrs(value: object) -> bool:
    return attrs.has(type(value))


_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+|\n+")


def signs(value: object) -> tuple[str, ...]:
    """Return the signs of a SIGNS field: the items of a list of texts, the sentences of one
    text (a sign reworded is a sign lost and one added)."""
    if isinstance(value, str):
        return tuple(s.strip() for s in _SENTENCE_END.split(value) if s.strip())
    if isinstance(value, tuple):
        return tuple(str(item).strip() for item in value if str(item).strip())
    return () if value is None else (shorten(value),)


def text_of(value: object) -> str:
    """Return a field's value as the text a change shows (old_text, new_text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return "\n".join(str(v) for v in value)
    return shorten(value)
