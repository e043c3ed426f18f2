"""The safety diff of two versions of a protocol, each change with a witness assessment."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum, StrEnum

import attrs

from backtriage.assessment import Assessment
from backtriage.errors import InvalidAnswerError, ProtocolError
from backtriage.protocol import (
    Caution,
    Exercise,
    FactKind,
    Policy,
    Problem,
    Protocol,
    Rule,
    Scope,
    Urgency,
)
from backtriage.protocol._engine import engine_of
from backtriage.protocol._inputs import INPUT_SOURCES, required_inputs
from backtriage.protocol._queries import Outcomes, search
from backtriage.protocol._reasoner import (
    DEFAULT_LIMIT,
    RULE_SAFETY,
    Space,
    assessment_for,
    minimise,
)
from backtriage.review._fields import FieldChange, Judge, field_changes, signs, text_of
from backtriage.serialize import to_dict

__all__ = ["Change", "ChangeKind", "ProtocolDiff", "diff"]


class ChangeKind(StrEnum):
    """What a change does to the people a protocol is used for."""

    EXERCISE_GIVEN = "exercise_given"
    """Less safe: some answers now get an exercise that the old protocol withheld."""
    EXERCISE_ADDED = "exercise_added"
    """Less safe (needs review): an exercise only the new protocol has, wherever it is given."""
    URGENCY_LOWERED = "urgency_lowered"
    """Less safe: some answers no longer reach an urgency they reached."""
    CAUTION_DROPPED = "caution_dropped"
    """Less safe: some answers get an exercise with a caution fewer."""
    QUESTION_OPTIONAL = "question_optional"
    """Less safe: a required question is no longer required."""
    EXERCISE_WITHHELD = "exercise_withheld"
    """More cautious: some answers no longer get an exercise they got."""
    EXERCISE_REMOVED = "exercise_removed"
    """More cautious: an exercise only the old protocol had."""
    URGENCY_RAISED = "urgency_raised"
    """More cautious: some answers now reach a higher urgency."""
    CAUTION_ADDED = "caution_added"
    """More cautious: some answers get an exercise with a caution more."""
    QUESTION_REQUIRED = "question_required"
    """More cautious: a question is now required."""
    SCOPE_WIDENED = "scope_widened"
    """Less safe: younger people are within the scope, or an age below it is less urgent."""
    SCOPE_NARROWED = "scope_narrowed"
    """More cautious: the minimum age rises, or an age below it is more urgent."""
    TEXT = "text"
    """A text a person or a clinician reads has changed."""
    SIGN_DROPPED = "sign_dropped"
    """Less safe: a sign to act on (in the safety net: when to get help at once) is gone."""
    SIGN_ADDED = "sign_added"
    """More cautious: a sign to act on is new."""
    POLICY_DROPPED = "policy_dropped"
    """Less safe: a declared policy is gone, so nothing proves its intent any more."""
    POLICY_WEAKENED = "policy_weakened"
    """Less safe: a declared policy claims less (more facts, fewer exercises, a lower urgency)."""
    POLICY_ADDED = "policy_added"
    """More cautious: a declared policy is new."""
    POLICY_STRENGTHENED = "policy_strengthened"
    """More cautious: a declared policy claims more."""
    LOOSENED = "loosened"
    """Less safe: a limit moved the less safe way (a lower urgency or age, a higher pain limit)."""
    TIGHTENED = "tightened"
    """More cautious: a limit moved the more cautious way."""
    UNJUDGED = "unjudged"
    """Less safe until reviewed: a field changed that the diff has no judgement for."""
    DEFINITION = "definition"
    """A field that decides plans changed (a selector, a condition, a level); what it does to
    people is listed as the other changes, found by comparing the plans of both versions."""


@attrs.frozen
class Change:
    """One difference between two protocols, with the assessments that show it.

    ``exercise``, ``urgency``, ``question`` and ``rule`` name what the change is about (those
    that apply). ``old_witness`` and ``new_witness`` are one person's answers to the old and to
    the new protocol (the same answers; each protocol is asked only its own questions):
    ``recommend`` on each reproduces the change. ``field``, ``old_text`` and ``new_text``
    describe a text change.
    """

    kind: ChangeKind
    description: str
    exercise: str | None = None
    urgency: Urgency | None = None
    question: str | None = None
    rule: str | None = None
    old_witness: Assessment | None = attrs.field(default=None, eq=False)
    new_witness: Assessment | None = attrs.field(default=None, eq=False)
    field: str | None = None
    old_text: str | None = None
    new_text: str | None = None


@attrs.frozen
class ProtocolDiff:
    """The changes from an old protocol to a new one, by what they do to safety."""

    less_safe: tuple[Change, ...]
    more_cautious: tuple[Change, ...]
    text_changes: tuple[Change, ...]
    definition_changes: tuple[Change, ...] = ()
    """Every changed field that decides plans, each once: its effect on people, if any, is in
    ``less_safe`` and ``more_cautious``."""

    @property
    def is_less_safe(self) -> bool:
        """Tell whether any change is less safe: the new protocol then needs review."""
        return bool(self.less_safe)

    def to_dict(self) -> dict[str, object]:
        """Return the diff as JSON-ready data: each change with its witnesses as assessments."""
        return {
            "is_less_safe": self.is_less_safe,
            "less_safe": [_change_dict(c) for c in self.less_safe],
            "more_cautious": [_change_dict(c) for c in self.more_cautious],
            "text_changes": [_change_dict(c) for c in self.text_changes],
            "definition_changes": [_change_dict(c) for c in self.definition_changes],
        }

    def summary(self) -> str:
        """Return the changes as text, less safe first."""
        lines: list[str] = []
        for title, changes in (
            ("Less safe", self.less_safe),
            ("More cautious", self.more_cautious),
            ("Text changes", self.text_changes),
            ("Definition changes", self.definition_changes),
        ):
            if changes:
                lines.append(f"{title} ({len(changes)}):")
                lines.extend(f"- [{c.kind.value}] {c.description}" for c in changes)
        return "\n".join(lines) if lines else "No difference."


def _change_dict(change: Change) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": change.kind.value,
        "description": change.description,
    }
    for key in ("exercise", "question", "rule", "field", "old_text", "new_text"):
        value = getattr(change, key)
        if value is not None:
            data[key] = value
    if change.urgency is not None:
        data["urgency"] = change.urgency.value
    for key in ("old_witness", "new_witness"):
        witness = getattr(change, key)
        if witness is not None:
            data[key] = to_dict(witness)
    return data


def diff(old: Protocol, new: Protocol, *, limit: int = DEFAULT_LIMIT) -> ProtocolDiff:
    """Compare two protocols over every answered assessment of both.

    An assessment answers every question of both protocols (one answer to each scored
    questionnaire and one age serve both). Less safe: some assessment gets an exercise that ``old`` withheld, a lower urgency,
    or an exercise it is given with a caution fewer; a required question becomes optional; an
    exercise only ``new`` has is less safe wherever it is given. Each change carries the
    smallest witness found. Every other field of both protocols is compared too, by
    reflection, and judged as :data:`backtriage.review._fields.JUDGED` says: a lost
    safety-net sign and a dropped or weakened policy are less safe, a text is a text change,
    and a changed field that decides plans is listed as a definition change (a field with no
    judgement is less safe until reviewed). Either protocol may break its declared policies (an edit that does
    is what the diff is for; ``recommend`` refuses it, and
    :func:`~backtriage.review.replay` replays its witnesses). Raises
    :class:`~backtriage.ProtocolError` when either protocol has any other static problem, or
    when the search needs more than ``limit`` sets of facts.
    """
    for name, protocol in (("old", old), ("new", new)):
        if not isinstance(protocol, Protocol):
            raise InvalidAnswerError(name, protocol, "a Protocol")
        problems = unreliable_problems(protocol)
        if problems:
            raise ProtocolError(
                f"has {len(problems)} problem(s), first: {problems[0]}; run protocol.check()",
                where=f"{name} protocol {protocol.name!r}",
            )
    return _Differ(old, new, limit).run()


def is_policy_failure(problem: Problem) -> bool:
    """Tell whether ``problem`` is a declared policy that the rules do not meet."""
    return problem.code.startswith("policy-")


def policy_failures(protocol: Protocol) -> list[Problem]:
    """Return the problems of ``protocol`` that are declared policies its rules do not meet."""
    return [p for p in protocol.check() if is_policy_failure(p)]


def unreliable_problems(protocol: Protocol) -> list[Problem]:
    """Return the problems of ``protocol`` that stop a comparison: all but policy failures.

    A policy that does not hold is a verdict on what the rules do, which the engine still
    evaluates exactly: comparing such an edit with the reviewed version is what shows its
    harm (``recommend`` refuses it all the same). Any other problem means the protocol cannot
    be evaluated reliably, so nothing is compared.
    """
    return [p for p in protocol.check() if not is_policy_failure(p)]


class _Differ:
    def __init__(self, old: Protocol, new: Protocol, limit: int) -> None:
        self.old = old
        self.new = new
        self.limit = limit
        self.space = Space((old, new))
        self.old_outcomes = Outcomes(self.space, 0, limit)
        self.new_outcomes = Outcomes(self.space, 1, limit)
        self.less: list[Change] = []
        self.more: list[Change] = []

    def run(self) -> ProtocolDiff:
        self._scope()
        self._exercises()
        self._urgencies()
        self._questions()
        texts = [self._shown(c) for c in _texts(self.old, self.new)]
        definitions: list[Change] = []
        for change, bucket in _judged(self.old, self.new):
            if bucket is _Bucket.TEXT:
                texts.append(self._shown(change))
            elif bucket is _Bucket.DEFINITION:
                definitions.append(change)
            else:
                self._add(change, bucket is _Bucket.LESS_SAFE)
        return ProtocolDiff(tuple(self.less), tuple(self.more), tuple(texts), tuple(definitions))

    def _scope(self) -> None:
        """Compare the scopes age by age; the rest of the diff is about people within both."""
        old, new = self.old.scope, self.new.scope
        oldest = max(old.min_age or 0, new.min_age or 0)
        widened = [a for a in range(oldest) if _outside(new, a) < _outside(old, a)]
        narrowed = [a for a in range(oldest) if _outside(new, a) > _outside(old, a)]
        for ages, kind, into in ((widened, ChangeKind.SCOPE_WIDENED, self.less),
                                 (narrowed, ChangeKind.SCOPE_NARROWED, self.more)):  # fmt: skip
            if ages:
                # Witnessed at the oldest age that changed, every other answer no.
                old_witness, new_witness = (
                    attrs.evolve(w, age=ages[-1]) for w in self._witnesses(self.space.always)
                )
                into.append(
                    Change(
                        kind,
                        f"below the minimum age: ages {ages[0]} to {ages[-1]} are now "
                        + ("less" if kind is ChangeKind.SCOPE_WIDENED else "more")
                        + " urgent or outside the scope",
                        old_witness=old_witness,
                        new_witness=new_witness,
                        field="scope.under_age",
                    )
                )

    # -- where a changed text is shown --------------------------------------------------------

    def _shown(self, change: Change) -> Change:
        """Return ``change`` with witnesses whose plans show the text, where a plan shows it.

        A rule's reason and source: an assessment that fires the rule in both protocols; a
        caution's text: one that also gives an exercise it cautions; an exercise's texts: one
        that gives it; advice: one at that urgency in both (below same day, one that also gives
        an exercise); the safety advice: one that gives an exercise; a red flag's question: one
        that leaves it unanswered.
        """
        field = change.field or ""
        atoms: int | None = None
        if change.rule is not None and change.rule != RULE_SAFETY:
            both = self._both_fire(change.rule)
            if ".caution[" in field:
                # The caution shows only on an exercise it selects, given in both protocols.
                index = int(field.rsplit("[", 1)[1].rstrip("]"))
                for position in self._cautioned_by(change.rule, index, change):
                    atoms = self._find(both, self._withheld_in_both(position))
                    if atoms is not None:
                        break
            else:
                atoms = self._find(both, [])
        elif change.exercise is not None:
            position = self.old_outcomes.positions[change.exercise]
            atoms = self._find([self.space.always], self._withheld_in_both(position))
        elif field.startswith("advice."):
            level = Urgency(field.removeprefix("advice."))
            wanted, avoided = self._at_exactly(level), self._above(level)
            if level >= Urgency.SAME_DAY:
                atoms = self._find(wanted, avoided)
            else:
                # Below same day, a plan that gives no exercise shows a plain text instead.
                for exercise_id, position in self.old_outcomes.positions.items():
                    if exercise_id in self.new_outcomes.positions:
                        withheld = self._withheld_in_both(position)
                        atoms = self._find(wanted, [*avoided, *withheld])
                        if atoms is not None:
                            break
        elif field in ("safety", "safety_source", "name") or field.startswith("safety_net"):
            for exercise_id, position in self.old_outcomes.positions.items():
                if exercise_id in self.new_outcomes.positions:
                    atoms = self._find([self.space.always], self._withheld_in_both(position))
                    if atoms is not None:
                        break
        elif (
            change.question is not None
            and change.question in _red_flags(self.new)
            and change.question in _red_flags(self.old)
        ):
            old_witness, new_witness = (_unanswered(w, change.question) for w in self._witnesses(0))
            return attrs.evolve(change, old_witness=old_witness, new_witness=new_witness)
        if atoms is None:
            return change
        old_witness, new_witness = self._witnesses(atoms)
        return attrs.evolve(change, old_witness=old_witness, new_witness=new_witness)

    def _both_fire(self, rule_id: str) -> list[int]:
        old_index = next(i for i, r in enumerate(self.old.rules) if r.id == rule_id)
        new_index = next(i for i, r in enumerate(self.new.rules) if r.id == rule_id)
        return self._both(self.old_outcomes.rule(old_index), self.new_outcomes.rule(new_index))

    def _both(self, left: list[int], right: list[int]) -> list[int]:
        feasible = self.space.feasible
        return minimise(a | b for a in left for b in right if feasible(a | b))

    def _cautioned_by(self, rule_id: str, index: int, change: Change) -> list[int]:
        """Return the old positions of the exercises of both protocols that the rule's
        ``index``-th caution selects in each protocol whose text is not empty."""
        selectors = []
        for protocol, text in ((self.old, change.old_text), (self.new, change.new_text)):
            if text:
                rule = next(r for r in protocol.rules if r.id == rule_id)
                cautions = [a for a in rule.actions if isinstance(a, Caution)]
                selectors.append((protocol, cautions[index].select))
        shared = [e for e in self.old.exercises if e.id in self.new_outcomes.positions]
        return [
            self.old_outcomes.positions[e.id]
            for e in shared
            if all(s.matches(p.exercise(e.id)) for p, s in selectors)
        ]

    def _withheld_in_both(self, old_position: int) -> list[int]:
        exercise_id = self.old.exercises[old_position].id
        new_position = self.new_outcomes.positions.get(exercise_id)
        withheld = list(self.old_outcomes.withheld(old_position))
        if new_position is not None:
            withheld.extend(self.new_outcomes.withheld(new_position))
        return withheld

    def _at_exactly(self, level: Urgency) -> list[int]:
        return self._both(self.old_outcomes.urgency(level), self.new_outcomes.urgency(level))

    def _above(self, level: Urgency) -> list[int]:
        if level is Urgency.EMERGENCY:
            return []
        higher = list(Urgency)[level.rank + 1]
        return [*self.old_outcomes.urgency(higher), *self.new_outcomes.urgency(higher)]

    # -- witnesses ------------------------------------------------------------------------

    def _find(self, wanted: list[int], avoided: list[int]) -> int | None:
        return search(self.space, wanted, avoided, limit=self.limit)

    def _witnesses(self, atoms: int) -> tuple[Assessment, Assessment]:
        answers = self.space.answers(atoms)
        return assessment_for(self.old, answers), assessment_for(self.new, answers)

    def _words(self, atoms: int) -> str:
        facts = sorted(
            (self.old_outcomes.facts(atoms) | self.new_outcomes.facts(atoms)) - self._always()
        )
        listed = ", ".join(facts) if facts else "nothing"
        return f"answers with {listed} (everything else no)"

    def _always(self) -> frozenset[str]:
        always = self.space.always
        return self.old_outcomes.facts(always) | self.new_outcomes.facts(always)

    def _add(self, change: Change, less_safe: bool) -> None:
        (self.less if less_safe else self.more).append(change)

    # -- exercises ------------------------------------------------------------------------

    def _exercises(self) -> None:
        before, after = self.old_outcomes, self.new_outcomes
        everyone = [self.space.always]
        for exercise_id in dict.fromkeys([*before.positions, *after.positions]):
            in_old = before.positions.get(exercise_id)
            in_new = after.positions.get(exercise_id)
            if in_old is None:
                assert in_new is not None
                found = self._find(everyone, after.withheld(in_new))
                if found is not None:
                    self._behaviour(
                        ChangeKind.EXERCISE_ADDED,
                        found,
                        f"exercise {exercise_id!r} is new: it is given for {{}}",
                        exercise=exercise_id,
                    )
                continue
            if in_new is None:
                found = self._find(everyone, before.withheld(in_old))
                self._behaviour(
                    ChangeKind.EXERCISE_REMOVED,
                    found,
                    f"exercise {exercise_id!r} is removed; it was given for {{}}",
                    exercise=exercise_id,
                )
                continue
            withheld_old, withheld_new = before.withheld(in_old), after.withheld(in_new)
            self._behaviour(
                ChangeKind.EXERCISE_GIVEN,
                self._find(withheld_old, withheld_new),
                f"exercise {exercise_id!r} is now given, where it was withheld, for {{}}",
                exercise=exercise_id,
            )
            self._behaviour(
                ChangeKind.EXERCISE_WITHHELD,
                self._find(withheld_new, withheld_old),
                f"exercise {exercise_id!r} is now withheld, where it was given, for {{}}",
                exercise=exercise_id,
            )
            self._cautions(exercise_id, in_old, in_new, withheld_old + withheld_new)

    def _cautions(self, exercise_id: str, in_old: int, in_new: int, withheld: list[int]) -> None:
        old_rules = _cautioning(self.old, self.old_outcomes, in_old)
        new_rules = _cautioning(self.new, self.new_outcomes, in_new)
        everyone = [self.space.always]
        if self.old.safety:
            old_rules[(RULE_SAFETY, 0)] = everyone
        if self.new.safety:
            new_rules[(RULE_SAFETY, 0)] = everyone
        for key in dict.fromkeys([*old_rules, *new_rules]):
            rule_id, number = key
            had, has = old_rules.get(key, []), new_rules.get(key, [])
            which = (
                f"the caution of {rule_id!r}"
                if number == 0
                else (f"caution {number + 1} of {rule_id!r}")
            )
            self._behaviour(
                ChangeKind.CAUTION_DROPPED,
                self._find(had, withheld + has),
                f"exercise {exercise_id!r} is given without {which} for {{}}",
                exercise=exercise_id,
                rule=rule_id,
            )
            self._behaviour(
                ChangeKind.CAUTION_ADDED,
                self._find(has, withheld + had),
                f"exercise {exercise_id!r} is given with {which} for {{}}",
                exercise=exercise_id,
                rule=rule_id,
            )

    def _behaviour(
        self,
        kind: ChangeKind,
        atoms: int | None,
        template: str,
        *,
        exercise: str | None = None,
        urgency: Urgency | None = None,
        rule: str | None = None,
    ) -> None:
        if atoms is None:
            if kind is ChangeKind.EXERCISE_REMOVED:
                self._add(Change(kind, template.format("no one"), exercise=exercise), False)
            return
        old_witness, new_witness = self._witnesses(atoms)
        change = Change(
            kind,
            template.format(self._words(atoms)),
            exercise=exercise,
            urgency=urgency,
            rule=rule,
            old_witness=old_witness,
            new_witness=new_witness,
        )
        self._add(change, kind in _LESS_SAFE)

    # -- urgency --------------------------------------------------------------------------

    def _urgencies(self) -> None:
        for level in list(Urgency)[1:]:
            reached_old, reached_new = (
                self.old_outcomes.urgency(level),
                self.new_outcomes.urgency(level),
            )
            self._behaviour(
                ChangeKind.URGENCY_LOWERED,
                self._find(reached_old, reached_new),
                f"the urgency is now below {level.value}, where it was at least that, for {{}}",
                urgency=level,
            )
            self._behaviour(
                ChangeKind.URGENCY_RAISED,
                self._find(reached_new, reached_old),
                f"the urgency is now at least {level.value}, where it was below, for {{}}",
                urgency=level,
            )

    # -- questions ------------------------------------------------------------------------

    def _questions(self) -> None:
        old_required = _required(self.old)
        new_required = _required(self.new)
        for name in old_required:
            if name not in new_required:
                self._question(ChangeKind.QUESTION_OPTIONAL, name, "is no longer required")
        for name in new_required:
            if name not in old_required:
                self._question(ChangeKind.QUESTION_REQUIRED, name, "is now required")

    def _question(self, kind: ChangeKind, name: str, what: str) -> None:
        # A follow-up question is asked only after a yes to its condition: answer that yes.
        atoms = 0
        for protocol, fact_atoms in zip((self.old, self.new), self.space.fact_atoms, strict=True):
            fact = engine_of(protocol).fact_by_name.get(name)
            if fact is not None and fact.asked_if is not None:
                atoms |= fact_atoms.get(fact.asked_if, 0)
        witnesses = self._witnesses(self.space.close(atoms))
        old_witness, new_witness = (_unanswered(w, name) for w in witnesses)
        change = Change(
            kind,
            f"question {name!r} {what}: an assessment that leaves it unanswered is "
            + ("no longer held back" if kind is ChangeKind.QUESTION_OPTIONAL else "held back"),
            question=name,
            old_witness=old_witness,
            new_witness=new_witness,
        )
        self._add(change, kind in _LESS_SAFE)


_LESS_SAFE = frozenset(
    {
        ChangeKind.EXERCISE_GIVEN,
        ChangeKind.EXERCISE_ADDED,
        ChangeKind.URGENCY_LOWERED,
        ChangeKind.CAUTION_DROPPED,
        ChangeKind.QUESTION_OPTIONAL,
    }
)


def _cautioning(
    protocol: Protocol, outcomes: Outcomes, position: int
) -> dict[tuple[str, int], list[int]]:
    """Return the terms under which each caution of a rule cautions the exercise, keyed by the
    rule's id and the caution's number among those of the rule that select the exercise: a
    rule that drops one of its two cautions of an exercise gives it a caution fewer."""
    bit = 1 << position
    exercise = protocol.exercises[position]
    found: dict[tuple[str, int], list[int]] = {}
    for i, mask in enumerate(outcomes.cautions):
        if mask & bit:
            rule = protocol.rules[i]
            count = sum(
                1 for a in rule.actions if isinstance(a, Caution) and a.select.matches(exercise)
            )
            terms = outcomes.rule(i)
            for number in range(max(count, 1)):
                found[(rule.id, number)] = terms
    return found


def _required(protocol: Protocol) -> list[str]:
    """Return the required questions and inputs of ``protocol``, by their names in ``missing``."""
    facts = engine_of(protocol).fact_by_name.values()
    names = [f.name for f in facts if f.required or f.kind is FactKind.RED_FLAG]
    return [*names, *required_inputs(protocol)]


def _red_flags(protocol: Protocol) -> set[str]:
    return {
        f.name for f in engine_of(protocol).fact_by_name.values() if f.kind is FactKind.RED_FLAG
    }


def _unanswered(assessment: Assessment, name: str) -> Assessment:
    """Return ``assessment`` with the question or input ``name`` left unanswered."""
    if name in INPUT_SOURCES:  # a scored questionnaire or the age: a field of its own
        return attrs.evolve(assessment, **{name: None})
    if name in assessment.red_flags:
        flags = {k: v for k, v in assessment.red_flags.items() if k != name}
        return attrs.evolve(assessment, red_flags=flags)
    findings = {k: v for k, v in _findings(assessment).items() if k != name}
    return attrs.evolve(assessment, findings=findings)


def _findings(assessment: Assessment) -> dict[str, bool | None]:
    """Return every finding the assessment answers, with its answer."""
    return dict(assessment.findings)


# -- text changes ---------------------------------------------------------------------------------


def _outside(scope: Scope, age: int) -> int:
    """Rank how a scope treats ``age``: 0 within it, else 1 + the rank of the band's urgency."""
    band = scope.band(age)
    return 0 if band is None else 1 + band.rank


def _texts(old: Protocol, new: Protocol) -> Iterator[Change]:
    def text(
        field: str,
        before: str,
        after: str,
        *,
        exercise: str | None = None,
        question: str | None = None,
        rule: str | None = None,
    ) -> Iterator[Change]:
        if before != after:
            yield Change(
                ChangeKind.TEXT,
                f"{field} changed: {before!r} -> {after!r}",
                exercise=exercise,
                question=question,
                rule=rule,
                field=field,
                old_text=before,
                new_text=after,
            )

    yield from text("name", old.name, new.name)
    yield from text("description", old.description, new.description)
    for part in ("intended_use", "population", "not_covered", "source"):
        yield from text(
            f"scope.{part}", _shown(getattr(old.scope, part)), _shown(getattr(new.scope, part))
        )
    # The lists of signs are judged sign by sign, with their text change (review/_fields.py).
    for part in ("review", "source"):
        yield from text(
            f"safety_net.{part}",
            _shown(getattr(old.safety_net, part)),
            _shown(getattr(new.safety_net, part)),
        )
    for field in attrs.fields(type(old.texts)):
        before_text, after_text = getattr(old.texts, field.name), getattr(new.texts, field.name)
        if field.name == "no_exercise_advice":
            for level in Urgency:
                yield from text(
                    f"texts.no_exercise_advice.{level.value}",
                    before_text.for_urgency(level),
                    after_text.for_urgency(level),
                )
        else:
            yield from text(f"texts.{field.name}", _shown(before_text), _shown(after_text))
    yield from text("safety", old.safety, new.safety, rule=RULE_SAFETY)
    yield from text("safety_source", old.safety_source, new.safety_source, rule=RULE_SAFETY)
    for level in Urgency:
        yield from text(
            f"advice.{level.value}", old.advice.for_urgency(level), new.advice.for_urgency(level)
        )
    old_sources = {s.tag: s.citation for s in old.sources}
    new_sources = {s.tag: s.citation for s in new.sources}
    for tag in dict.fromkeys([*old_sources, *new_sources]):
        yield from text(f"sources.{tag}", old_sources.get(tag, ""), new_sources.get(tag, ""))
    new_exercises = engine_of(new).exercise_by_id
    for exercise in engine_of(old).exercise_by_id.values():
        after = new_exercises.get(exercise.id)
        if after is not None:
            for field in ("title", "dosage", "instructions"):
                yield from text(
                    f"exercises.{exercise.id}.{field}",
                    getattr(exercise, field),
                    getattr(after, field),
                    exercise=exercise.id,
                )
    new_facts = engine_of(new).fact_by_name
    for fact in engine_of(old).fact_by_name.values():
        later = new_facts.get(fact.name)
        if later is not None:
            yield from text(
                f"facts.{fact.name}.question",
                fact.question or "",
                later.question or "",
                question=fact.name,
            )
    new_rules: dict[str, Rule] = {}
    for rule in new.rules:
        new_rules.setdefault(rule.id, rule)  # the first of a duplicated id, as check() reads it
    seen: set[str] = set()
    for rule in old.rules:
        newer = new_rules.get(rule.id)
        if rule.id in seen:
            continue
        seen.add(rule.id)
        if newer is None:
            continue
        yield from text(f"rules.{rule.id}.reason", rule.reason, newer.reason, rule=rule.id)
        yield from text(f"rules.{rule.id}.source", rule.source, newer.source, rule=rule.id)
        yield from text(
            f"rules.{rule.id}.advice", rule.advice or "", newer.advice or "", rule=rule.id
        )
        before = [a.text for a in rule.actions if isinstance(a, Caution)]
        after_texts = [a.text for a in newer.actions if isinstance(a, Caution)]
        for i in range(max(len(before), len(after_texts))):
            yield from text(
                f"rules.{rule.id}.caution[{i}]",
                before[i] if i < len(before) else "",
                after_texts[i] if i < len(after_texts) else "",
                rule=rule.id,
            )


def _shown(value: object) -> str:
    """Return a text, or a list of lines, as one text to compare and show."""
    if isinstance(value, tuple):
        return "\n".join(str(line) for line in value)
    return str(value)


# -- every other field, by reflection -------------------------------------------------------------


class _Bucket(Enum):
    LESS_SAFE = "less_safe"
    MORE_CAUTIOUS = "more_cautious"
    TEXT = "text"
    DEFINITION = "definition"


def _judged(old: Protocol, new: Protocol) -> Iterator[tuple[Change, _Bucket]]:
    """Yield a change for every changed field that the plans and the text diff do not cover,
    judged as :data:`~backtriage.review._fields.JUDGED` says."""
    policies: dict[str, FieldChange] = {}
    for found in field_changes(old, new):
        judge = found.judge
        if judge is Judge.SHOWN:
            continue  # the text diff compares it, with witnesses
        if judge is Judge.POLICY:
            # One judgement for a whole policy, however many of its claims changed.
            whole = found.owner_old is None or found.owner_new is None  # added or removed
            owner = found.path if whole else found.path.rsplit(".", 1)[0]
            policies.setdefault(owner, attrs.evolve(found, path=owner))
            continue
        yield from _judge_field(found)
    for found in policies.values():
        yield _judge_policy(found, old, new)


def _field_change(kind: ChangeKind, found: FieldChange, description: str) -> Change:
    return Change(
        kind,
        description,
        field=found.path,
        old_text=text_of(found.old),
        new_text=text_of(found.new),
    )


def _judge_field(found: FieldChange) -> Iterator[tuple[Change, _Bucket]]:
    path, judge = found.path, found.judge
    before, after = text_of(found.old), text_of(found.new)
    if found.new is None and attrs.has(type(found.old)):
        changed = f"{path} is removed"
    elif found.old is None and attrs.has(type(found.new)):
        changed = f"{path} is new"
    else:
        changed = f"{path} changed: {before!r} -> {after!r}"
    if judge is Judge.TEXT:
        yield _field_change(ChangeKind.TEXT, found, changed), _Bucket.TEXT
    elif judge is Judge.BEHAVIOUR:
        yield _field_change(ChangeKind.DEFINITION, found, changed), _Bucket.DEFINITION
    elif judge is Judge.SIGNS:
        yield _field_change(ChangeKind.TEXT, found, changed), _Bucket.TEXT
        had, has = signs(found.old), signs(found.new)
        for sign in had:
            if sign not in has:
                change = Change(
                    ChangeKind.SIGN_DROPPED,
                    f"{path}: sign {sign!r} is gone",
                    field=path,
                    old_text=sign,
                )
                yield change, _Bucket.LESS_SAFE
        for sign in has:
            if sign not in had:
                change = Change(
                    ChangeKind.SIGN_ADDED,
                    f"{path}: sign {sign!r} is new",
                    field=path,
                    new_text=sign,
                )
                yield change, _Bucket.MORE_CAUTIOUS
    elif judge in (Judge.LOWER_IS_LESS_SAFE, Judge.HIGHER_IS_LESS_SAFE):
        lower = _lower(found.new, found.old)
        if lower is None:
            yield _unjudged(found)
            return
        less_safe = lower if judge is Judge.LOWER_IS_LESS_SAFE else not lower
        kind = ChangeKind.LOOSENED if less_safe else ChangeKind.TIGHTENED
        bucket = _Bucket.LESS_SAFE if less_safe else _Bucket.MORE_CAUTIOUS
        yield _field_change(kind, found, changed), bucket
    else:
        yield _unjudged(found)


def _unjudged(found: FieldChange) -> tuple[Change, _Bucket]:
    description = (
        f"{found.path} changed ({text_of(found.old)!r} -> {text_of(found.new)!r}), and the diff "
        "cannot judge what that does: a clinician must review it"
    )
    return _field_change(ChangeKind.UNJUDGED, found, description), _Bucket.LESS_SAFE


def _lower(new: object, old: object) -> bool | None:
    """Tell whether ``new`` is lower than ``old`` (None when they cannot be ordered)."""
    if isinstance(new, Urgency) and isinstance(old, Urgency):
        return new.rank < old.rank
    if isinstance(new, int | float) and isinstance(old, int | float):
        return new < old
    return None


def _judge_policy(found: FieldChange, old: Protocol, new: Protocol) -> tuple[Change, _Bucket]:
    before, after = found.owner_old, found.owner_new
    if not isinstance(after, Policy):
        assert isinstance(before, Policy)
        change = Change(
            ChangeKind.POLICY_DROPPED,
            f"policy {before.id!r} is gone: nothing proves its intent any more",
            field=found.path,
        )
        return change, _Bucket.LESS_SAFE
    if not isinstance(before, Policy):
        change = Change(ChangeKind.POLICY_ADDED, f"policy {after.id!r} is new", field=found.path)
        return change, _Bucket.MORE_CAUTIOUS
    exercises = (*old.exercises, *new.exercises)
    if _claims_at_least(after, before, exercises):
        change = Change(
            ChangeKind.POLICY_STRENGTHENED,
            f"policy {after.id!r} claims more than it did",
            field=found.path,
        )
        return change, _Bucket.MORE_CAUTIOUS
    change = Change(
        ChangeKind.POLICY_WEAKENED,
        f"policy {after.id!r} no longer claims all it did: {_claim(before)} -> {_claim(after)}",
        field=found.path,
    )
    return change, _Bucket.LESS_SAFE


def _claim(policy: Policy) -> str:
    parts = [f"when {list(policy.when)}"] if policy.when else []
    for name in policy.claims():
        value = getattr(policy, name)
        shown = value.value if isinstance(value, Urgency) else value
        parts.append(f"{name} {shown!r}" if not isinstance(value, bool) else name)
    return ", ".join(parts) or "no claim"


def _claims_at_least(new: Policy, old: Policy, exercises: tuple[Exercise, ...]) -> bool:
    """Tell whether ``new`` claims everything ``old`` does (the same, or more)."""
    fewer_facts = set(new.when) <= set(old.when)
    if old.reaches is not None:
        return new.reaches is not None and fewer_facts and new.reaches >= old.reaches
    if old.required:
        return new.required and set(new.when) >= set(old.when)
    if old.red_flags_withhold_all_from is not None:
        least = new.red_flags_withhold_all_from
        return least is not None and least <= old.red_flags_withhold_all_from
    if old.withholds is not None:
        selectors = [(new.withholds, old.withholds)]
    elif old.cautions_or_withholds is not None:
        # Withholding is more than cautioning or withholding.
        selectors = [(new.cautions_or_withholds or new.withholds, old.cautions_or_withholds)]
    else:
        return False
    ((wider, narrower),) = selectors
    if wider is None or narrower is None or not fewer_facts:
        return False
    return all(wider.matches(e) for e in exercises if narrower.matches(e))
