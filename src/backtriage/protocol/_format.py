"""Static checks of what protocol format 3 needs: its version, scope, safety net and texts.

Every text a person reads comes from the protocol, so a protocol that lacks one cannot make a
plan: the library has no words of its own to fall back on. An older document loads, and these
checks name each field it must add, with the fix (``docs/protocol-format.md``, "Upgrading an
app protocol to format 3"). They run as part of
:func:`backtriage.protocol._check.check_protocol`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

from backtriage.protocol._inputs import SCORED_BY_SOURCE, asked_inputs
from backtriage.protocol._model import FORMAT, Texts, Urgency
from backtriage.protocol._problem import Problem

if TYPE_CHECKING:
    from backtriage.protocol._model import Protocol

__all__ = ["format_problems", "instrument_questions"]

_UPGRADE = "see 'Upgrading an app protocol to format 3' in docs/protocol-format.md"


def format_problems(protocol: Protocol) -> Iterator[Problem]:
    """Yield the problems of the format version, the scope, the safety net and the texts."""
    where = f"protocol {protocol.name!r}"
    if protocol.format < FORMAT:
        yield Problem(
            "old-format",
            where,
            f"the document is protocol format {protocol.format} (no format = {FORMAT}); this "
            f"library reads format {FORMAT}, where every text a person reads is protocol data",
            f"add format = {FORMAT} and each field the other problems name; {_UPGRADE}",
        )
    elif protocol.format > FORMAT:
        yield Problem(
            "newer-format",
            where,
            f"the document is protocol format {protocol.format}; this library reads format "
            f"{FORMAT} and may not show what the newer fields say",
            "use a version of backtriage that reads this format",
        )
    yield from _scope_problems(protocol)
    yield from _safety_net_problems(protocol)
    yield from _text_problems(protocol)


def _scope_problems(protocol: Protocol) -> Iterator[Problem]:
    scope = protocol.scope
    for name, what in (
        ("intended_use", "what the protocol is for"),
        ("population", "who it is for"),
    ):
        if not getattr(scope, name).strip():
            yield Problem(
                "missing-scope",
                f"scope.{name}",
                f"the protocol does not say {what}: a reviewer cannot tell whom it was "
                "signed off for",
                f'write [scope] {name} = "..." ({_UPGRADE})',
            )
    if scope.min_age is None:
        if scope.under_age:
            yield _bad_scope("under_age", "age bands without a min_age", "set scope.min_age")
        return
    if scope.min_age < 1:
        yield _bad_scope("min_age", f"min_age {scope.min_age} is below 1", "use a whole age")
    if not protocol.require_age:
        yield _bad_scope(
            "min_age",
            "the scope has a minimum age but the protocol does not require the age, so a "
            "person below it could be given exercises",
            "set require_age = true",
        )
    if not scope.under_age:
        yield _bad_scope(
            "under_age",
            "below min_age no urgency is set: a child could be told nothing needs a clinician",
            "add [[scope.under_age]] bands, the last with below = min_age",
        )
        return
    bands = scope.under_age
    if any(a.below >= b.below for a, b in itertools.pairwise(bands)):
        yield _bad_scope("under_age", "the bands are not in ascending order of below", "sort them")
    if bands[-1].below != scope.min_age:
        yield _bad_scope(
            "under_age",
            f"the last band ends below {bands[-1].below}, not at min_age {scope.min_age}: "
            "some ages under the minimum would have no urgency",
            f"end the last band at below = {scope.min_age}",
        )
    for band in bands:
        if band.urgency < Urgency.ROUTINE:
            yield _bad_scope(
                "under_age",
                f"below {band.below} the urgency is {band.urgency.value!r}: outside the scope a "
                "person must be told to see someone",
                "use routine or a more urgent level",
            )
    if any(a.urgency < b.urgency for a, b in itertools.pairwise(bands)):
        yield _bad_scope(
            "under_age",
            "a younger band is less urgent than an older one",
            "make each younger band at least as urgent as the next",
        )


def _bad_scope(field: str, message: str, fix: str) -> Problem:
    return Problem("bad-scope", f"scope.{field}", message, fix)


def _safety_net_problems(protocol: Protocol) -> Iterator[Problem]:
    net = protocol.safety_net
    parts = (
        ("emergency", not net.emergency, "the signs that mean an emergency department now"),
        ("today", not net.today, "the signs that mean a doctor today"),
        ("review", not net.review.strip(), "when to book a routine review"),
    )
    for name, is_missing, what in parts:
        if is_missing:
            yield Problem(
                "missing-safety-net",
                f"safety_net.{name}",
                f"the safety net does not say {what}: a person who waits would not know when "
                "to get help",
                f"write [safety_net] {name}, one sign a line ({_UPGRADE})",
            )
    for name in ("emergency", "today"):
        for index, line in enumerate(getattr(net, name)):
            if not line.strip():
                yield Problem(
                    "missing-safety-net",
                    f"safety_net.{name}[{index}]",
                    "a line of the safety net is empty",
                    "write the sign, or remove the line",
                )


def instrument_questions(protocol: Protocol) -> tuple[str, ...]:
    """Return the inputs besides facts that ``questions()`` lists for ``protocol``, in order."""
    return tuple(name for name, _, _ in asked_inputs(protocol))


# The texts every protocol needs; the others only where the protocol uses them.
_ONLY_WHEN = {
    **{
        f"{instrument.key}_question": "" if instrument.always_asked else instrument.key
        for instrument in SCORED_BY_SOURCE.values()
    },
    "age_question": "age",
    "preference_question": "preference",
}


def _text_problems(protocol: Protocol) -> Iterator[Problem]:
    texts = protocol.texts
    asked = set(instrument_questions(protocol))
    for field in attrs.fields(Texts):
        name = field.name
        value = getattr(texts, name)
        if name in _ONLY_WHEN and _ONLY_WHEN[name] and _ONLY_WHEN[name] not in asked:
            continue
        if name in ("self_management", "self_management_heading") and not protocol.exercises:
            continue
        if name in ("out_of_scope", "under_age_reason") and protocol.scope.min_age is None:
            continue
        if name == "no_exercise_advice":
            for urgency in Urgency:
                if not value.for_urgency(urgency).strip():
                    yield _missing_text(f"texts.no_exercise_advice.{urgency.value}")
            continue
        if isinstance(value, tuple):
            if not value or not all(line.strip() for line in value):
                yield _missing_text(f"texts.{name}")
            continue
        if not value.strip():
            yield _missing_text(f"texts.{name}")
    for urgency in Urgency:
        if not protocol.advice.for_urgency(urgency).strip():
            yield _missing_text(f"advice.{urgency.value}")


def _missing_text(where: str) -> Problem:
    return Problem(
        "missing-text",
        where,
        "a text a person reads is missing: the library writes none of its own",
        f"write {where} in the protocol ({_UPGRADE})",
    )
