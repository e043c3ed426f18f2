"""Static checks of the mistakes app teams make when they copy a protocol and edit it.

Each is read from the structure of the protocol, never from the wording of a text: two texts
are compared only for being the same once spaces and letter case are set aside. They run as
part of :func:`backtriage.protocol._check.check_protocol`, and their codes are listed with the
others in ``docs/protocol-format.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from backtriage.errors import ProtocolError
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import threshold_of
from backtriage.protocol._model import (
    AllOf,
    AnyOf,
    Condition,
    DerivedFrom,
    Exclude,
    FactIs,
    FactKind,
    Position,
    Refer,
    Urgency,
)
from backtriage.protocol._problem import Problem
from backtriage.protocol._reasoner import closure, minimal_sets

if TYPE_CHECKING:
    from backtriage.protocol._model import Protocol

__all__ = ["follow_up_problems", "hygiene_problems"]

_NOT_IN_BED = (Position.STANDING, Position.KNEELING)
# A scheme such as https:, doi: or urn: makes a token a link, not a tag.
_LINK = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S")


def _problem(code: str, where: str, message: str, fix: str) -> Problem:
    return Problem(code, where, message, fix)


def _same_text(text: str) -> str:
    """Return ``text`` as compared for being a copy: spaces and letter case set aside."""
    return " ".join(text.split()).casefold()


def hygiene_problems(protocol: Protocol, always: Sequence[str]) -> Iterator[Problem]:
    """Yield the problems of the edit-mistake checks, in a stable order.

    ``always`` names the facts every assessment that can get exercises holds.
    """
    yield from _duplicate_derivations(protocol)
    yield from _duplicate_questions(protocol)
    yield from _unused_capabilities(protocol)
    yield from _in_bed_positions(protocol)
    yield from _duplicate_advice(protocol)
    yield from _source_tags(protocol)
    for rule in protocol.rules:
        where = f"rule {rule.id!r}"
        yield from _duplicate_entries(rule.condition, where)
    yield from _dead_ends(protocol, always)


MIN_STEPS = 2
MAX_STEPS = 4
"""An exercise's dosage steps: at least a gentler and a fuller one, at most four."""


def follow_up_problems(protocol: Protocol) -> Iterator[Problem]:
    """Yield the problems of the steps and of ``[follow_up]``: what a follow-up relies on.

    Every exercise needs 2 to 4 steps, whatever the document's format: an older document
    (``old-format``) is told here which exercises to give steps, as the other checks name each
    field format 3 needs. A protocol without ``[follow_up]`` makes plans that cannot be followed
    up (:func:`~backtriage.follow_up` says so); that is allowed, but what is written must be whole.
    """
    for exercise in protocol.exercises:
        count = len(exercise.steps)
        if not MIN_STEPS <= count <= MAX_STEPS:
            yield _problem(
                "bad-steps",
                f"exercise {exercise.id!r}",
                f"the exercise has {count} dosage step(s); a plan and its follow-up need "
                f"{MIN_STEPS} to {MAX_STEPS}, gentlest first",
                f"write {MIN_STEPS} to {MAX_STEPS} dosage steps, gentlest first "
                "(steps = [...]: range, repetitions, holds)",
            )
        for index, text in enumerate(exercise.steps):
            if not text.strip():
                yield _problem(
                    "bad-steps",
                    f"exercise {exercise.id!r}",
                    f"step {index + 1} is empty",
                    "write the dosage of every step: range, repetitions, holds",
                )
    rules = protocol.follow_up
    if rules is None:
        return
    if not 0 <= rules.green_max < rules.amber_max <= 10:
        yield _problem(
            "bad-pain-limits",
            "follow_up",
            f"green_max = {rules.green_max} and amber_max = {rules.amber_max}: pain is rated "
            "0 to 10, and the safe range must end below the acceptable one",
            "set 0 <= green_max < amber_max <= 10 (the usual limits are 2 and 5)",
        )
    for name, text in rules.texts():
        if not text.strip():
            yield _problem(
                "missing-text",
                f"follow_up.{name}",
                "a text a person reads is missing: the library writes none of its own",
                f"write follow_up.{name} in the protocol, in plain words",
            )


def _duplicate_derivations(protocol: Protocol) -> Iterator[Problem]:
    seen: dict[tuple[DerivedFrom, object], str] = {}
    for fact in engine_of(protocol).fact_by_name.values():
        derive = fact.derive
        if fact.kind is not FactKind.DERIVED or derive is None:
            continue
        key: tuple[DerivedFrom, object]
        if derive.source is DerivedFrom.PREFERENCE:
            key = (derive.source, derive.equals)
        else:
            key = (derive.source, threshold_of(derive))
        if key[1] is None:
            continue  # an unreadable derivation is reported as such
        first = seen.setdefault(key, fact.name)
        if first != fact.name:
            yield _problem(
                "duplicate-derivation",
                f"fact {fact.name!r}",
                f"it is derived exactly as {first!r} is, so the two always hold together: "
                "a threshold or preference was copied and not changed",
                f"derive it from the value meant (the band, risk, age or preference that "
                f"{fact.name!r} names), or remove one of the two",
            )


def _duplicate_questions(protocol: Protocol) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for fact in engine_of(protocol).fact_by_name.values():
        if not (fact.question or "").strip():
            continue
        first = seen.setdefault(_same_text(fact.question or ""), fact.name)
        if first != fact.name:
            yield _problem(
                "duplicate-question",
                f"fact {fact.name!r}",
                f"it asks the same question as {first!r}: a person cannot tell them apart, and "
                "an app that asks once sets only one of them",
                "write the question this fact is about",
            )


def _unused_capabilities(protocol: Protocol) -> Iterator[Problem]:
    named = {name for exercise in protocol.exercises for name in exercise.prerequisites}
    for fact in engine_of(protocol).fact_by_name.values():
        if fact.kind is FactKind.CAPABILITY and fact.name not in named:
            yield _problem(
                "unused-capability",
                f"fact {fact.name!r}",
                "no exercise lists this capability in its prerequisites, so having it unlocks "
                "nothing (a prerequisite was removed or misspelt)",
                "name it in the prerequisites of the exercise it unlocks, or remove the fact",
            )


def _in_bed_positions(protocol: Protocol) -> Iterator[Problem]:
    for exercise in protocol.exercises:
        if exercise.in_bed and exercise.position in _NOT_IN_BED:
            yield _problem(
                "in-bed-position",
                f"exercise {exercise.id!r}",
                f"a {exercise.position.value} exercise is marked in_bed = true: it would be "
                "given to people who cannot leave their bed",
                "set in_bed = false, or correct the position",
            )


def _duplicate_advice(protocol: Protocol) -> Iterator[Problem]:
    seen: dict[str, Urgency] = {}
    for urgency in Urgency:
        text = protocol.advice.for_urgency(urgency)
        if not text.strip():
            continue
        first = seen.setdefault(_same_text(text), urgency)
        if first is not urgency:
            yield _problem(
                "duplicate-advice",
                f"advice {urgency.value!r}",
                f"the advice for {urgency.value!r} is the same text as for {first.value!r}: "
                "one of them tells the person to do what the other urgency needs",
                f"write the advice for {urgency.value!r}",
            )


def _source_tags(protocol: Protocol) -> Iterator[Problem]:
    tags = {source.tag for source in protocol.sources}
    cited = [(f"rule {rule.id!r}", rule.source) for rule in protocol.rules]
    cited.append(("safety_source", protocol.safety_source))
    cited.append(("scope.source", protocol.scope.source))
    cited.append(("safety_net.source", protocol.safety_net.source))
    for where, text in cited:
        unknown = [token for token in _tags_of(text) if token not in tags]
        if unknown:
            listed = ", ".join(repr(t) for t in unknown)
            yield _problem(
                "unknown-source",
                where,
                f"the source cites {listed}, which [sources] does not define",
                "add the tag to [sources] with its citation, or correct the tag (a citation "
                "with a space in it, or a link, is shown as it is)",
            )


def _tags_of(text: str) -> Iterator[str]:
    """Yield the tokens of a source that read as tags: no space in them and no link."""
    for token in text.split(","):
        token = token.strip()
        if token and not any(c.isspace() for c in token) and not _LINK.match(token):
            yield token


def _duplicate_entries(condition: Condition, where: str) -> Iterator[Problem]:
    if isinstance(condition, FactIs):
        return
    seen: list[Condition] = []
    for child in condition.conditions:
        if child in seen:
            yield _problem(
                "duplicate-condition",
                where,
                f"the {_word(condition)} list names {_describe(child)} twice"
                + (
                    ": at_least counts it two times"
                    if not isinstance(condition, AllOf | AnyOf)
                    else ""
                ),
                "list each condition once (an at_least that meant another fact names it)",
            )
        else:
            seen.append(child)
        yield from _duplicate_entries(child, where)


def _word(condition: Condition) -> str:
    if isinstance(condition, AllOf):
        return "all"
    if isinstance(condition, AnyOf):
        return "any"
    return "at_least"


def _describe(condition: Condition) -> str:
    if isinstance(condition, FactIs):
        return f"fact {condition.fact!r}"
    return "the same " + _word(condition) + " condition"


def _dead_ends(protocol: Protocol, always: Sequence[str]) -> Iterator[Problem]:
    engine = engine_of(protocol)
    if not protocol.exercises:
        return
    for rule in protocol.rules:
        excluded = 0
        for action in rule.actions:
            if isinstance(action, Exclude):
                excluded |= engine.select(action.select)
        if excluded != engine.all_mask or any(
            isinstance(a, Refer) and a.urgency > Urgency.NONE for a in rule.actions
        ):
            continue
        try:
            sets = minimal_sets(protocol, rule.condition)
        except ProtocolError:
            continue  # too many ways in to try: the rule is left unchecked, not guessed at
        for facts in sets:
            evaluation = engine.evaluate(closure(protocol, [*always, *facts]))
            if evaluation.urgency is Urgency.NONE:
                shown = ", ".join(repr(f) for f in sorted(facts))
                yield _problem(
                    "dead-end",
                    f"rule {rule.id!r}",
                    "the rule withholds every exercise and does not refer: with just "
                    f"{shown} the person gets no exercise, nothing to answer and an urgency "
                    "of none",
                    "add a refer action (routine or more urgent) to the rule, or withhold "
                    "fewer exercises",
                )
                break
