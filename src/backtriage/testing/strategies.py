"""Hypothesis strategies for backtriage's inputs: answers, assessments and whole protocols.

Use them in your own property tests::

    from hypothesis import given
    from backtriage import recommend
    from backtriage.testing import strategies as bts

    @given(bts.assessments(our_protocol, complete=False))
    def test_unanswered_questions_give_no_exercise(assessment):
        assert recommend(assessment, protocol=our_protocol).exercises == ()

Every strategy shrinks towards the plainest input: no red flag answered yes, no finding, every
questionnaire answered with its lowest codes. Answers come in every form the library accepts
(mappings keyed by ``str`` or enum member, sequences, each way of leaving an item unanswered,
several marks as a list, tuple or set), so a test also covers the input adapters.

The strategies of each questionnaire's answers live beside the questionnaire (the module its
description names, see ``instruments/_registry.py``) and are re-exported here. That module also
draws the questionnaire's fields of an assessment and of a check-in, and a worse score (what
``_Strategies`` lists), so the assessments, check-ins and protocols drawn here, and the property
checks, read every registered questionnaire from its description and never name one.
"""

from __future__ import annotations

import functools
import importlib
import typing
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from backtriage.assessment import Assessment, CheckIn, ExerciseReport, NextMorning, Preference
from backtriage.instruments._odi_strategies import (
    OdiAnswerSet,
    incomplete_odi_answers,
    invalid_odi_answers,
    odi_answers,
)
from backtriage.instruments._registry import SCORED, check_in_instruments
from backtriage.instruments._start_back_strategies import (
    StartBackAnswerSet,
    incomplete_start_back_answers,
    invalid_start_back_answers,
    start_back_answers,
)
from backtriage.protocol import (
    AgeBand,
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    Exercise,
    Fact,
    FactIs,
    FactKind,
    Movement,
    Polarity,
    Position,
    Protocol,
    Refer,
    Rule,
    SafetyNet,
    Scope,
    Selector,
    Texts,
    Urgency,
    UrgencyAdvice,
)
from backtriage.protocol._engine import engine_of
from backtriage.protocol._hygiene import MAX_STEPS, MIN_STEPS
from backtriage.protocol._inputs import AGE_INPUT, INPUT_SOURCES, required_inputs
from backtriage.protocol._reasoner import facts_of

if TYPE_CHECKING:
    from backtriage._plan import Plan
    from backtriage.instruments._instrument import ScoredInstrument

__all__ = [
    "OdiAnswerSet",
    "StartBackAnswerSet",
    "assessments",
    "check_ins",
    "exercise_reports",
    "incomplete_odi_answers",
    "incomplete_start_back_answers",
    "invalid_odi_answers",
    "invalid_start_back_answers",
    "odi_answers",
    "protocols",
    "red_flag_answers",
    "start_back_answers",
]

_T = TypeVar("_T")


class _Strategies(typing.Protocol):
    """What the module of a questionnaire's strategies offers the kit, besides the public
    strategies of its answers (its ``__all__``, re-exported here).

    Each function returns the fields of ``Assessment`` or ``CheckIn`` that carry the
    questionnaire (by their names), so that the kit never names them.
    """

    def assessment_fields(
        self, *, required: bool, unanswered: bool
    ) -> st.SearchStrategy[Mapping[str, object]]:
        """Its fields of an assessment: not scorable when ``unanswered``, else scorable (always
        when ``required``, else now and then absent)."""
        ...

    def check_in_fields(self, previous: Any) -> st.SearchStrategy[Mapping[str, object]]:
        """Its fields of a check-in after the assessment ``previous`` (or ``None``)."""
        ...

    def more_risk(
        self, assessment: Any, *, required: bool
    ) -> st.SearchStrategy[tuple[Mapping[str, object], str]] | None:
        """Its fields changed to a worse score than ``assessment``'s, with the change in words;
        ``None`` when there is none."""
        ...


@functools.cache
def _scored_strategies() -> tuple[tuple[ScoredInstrument, _Strategies], ...]:
    """Return each registered questionnaire with the module of its strategies."""
    modules: list[_Strategies] = [importlib.import_module(s.strategies) for s in SCORED]
    return tuple(zip(SCORED, modules, strict=True))


_INPUT_NAMES = frozenset(INPUT_SOURCES)
"""The inputs besides red flags and findings a protocol may require, by their missing names
(``Plan.missing`` names a questionnaire by its key)."""

# Strategies are built once and reused: hypothesis validates each new strategy object when it is
# first drawn from, which would otherwise cost more than the draws themselves.
_HOW_UNANSWERED = st.sampled_from(["none", "absent"])
_ONE_IN_FIVE = st.integers(0, 4)
_PREFERENCE = st.one_of(st.none(), st.sampled_from(list(Preference)))
_AGE = st.integers(0, 130)
_BOOLEAN = st.booleans()
_HOW_NOT_HELD = st.sampled_from(["no", "none", "absent", "absent"])
_NONE = st.none()
_NOTHING_LEFT: st.SearchStrategy[frozenset[str]] = st.just(frozenset())


@functools.cache
def _subsets(names: tuple[_T, ...], min_size: int, max_size: int) -> st.SearchStrategy[set[_T]]:
    return st.sets(st.sampled_from(names), min_size=min_size, max_size=max_size)


@functools.cache
def _orders(names: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.permutations(list(names))


# -- red flags and assessments --------------------------------------------------------------------


def _declared(protocol: Protocol) -> list[Fact]:
    """The declaration that counts for each name (the first one, as the engine reads it)."""
    return list(engine_of(protocol).fact_by_name.values())


def _default(protocol: Protocol | None) -> Protocol:
    if protocol is not None:
        return protocol
    from backtriage._plan import default_protocol

    return default_protocol()


@st.composite
def _red_flags(
    draw: st.DrawFn, protocol: Protocol, unanswered: frozenset[str]
) -> dict[str, bool | None]:
    flags = [f for f in _declared(protocol) if f.kind is FactKind.RED_FLAG]
    # Most people answer no to most red flags; a sparse "yes" set keeps plans interesting
    # (a plan with any same-day flag gives no exercise at all).
    names = [f.name for f in flags]
    yes = draw(_subsets(tuple(names), 0, 3)) if names else set()
    answers: dict[str, bool | None] = {}
    for fact in flags:
        if fact.name in unanswered:
            how = draw(_HOW_UNANSWERED)
            if how == "none":
                answers[fact.name] = None
        elif not fact.required and draw(_ONE_IN_FIVE) == 0:
            continue  # an optional red flag may be left out
        else:
            answers[fact.name] = fact.name in yes
    order = draw(_orders(tuple(answers)))
    return {name: answers[name] for name in order}


_IN_FINDINGS = (FactKind.FINDING, FactKind.CAPABILITY)


def _required_questions(protocol: Protocol) -> list[str]:
    # A follow-up question is required only after a yes to the one it follows: leaving it
    # unanswered does not make every assessment incomplete.
    names = [
        f.name
        for f in _declared(protocol)
        if f.required
        and f.asked_if is None
        and (f.kind is FactKind.RED_FLAG or f.kind in _IN_FINDINGS)
    ]
    names.extend(required_inputs(protocol))
    return names


@st.composite
def _findings(
    draw: st.DrawFn, protocol: Protocol, unanswered: frozenset[str]
) -> dict[str, bool | None]:
    declared = [f for f in _declared(protocol) if f.kind in _IN_FINDINGS]
    names = [f.name for f in declared]
    held = draw(_subsets(tuple(names), 0, 4)) if names else set()
    answers: dict[str, bool | None] = {}
    for fact in declared:
        if fact.name in unanswered:
            if draw(_BOOLEAN):
                answers[fact.name] = None
        elif fact.name in held:
            answers[fact.name] = True
        elif fact.required:
            answers[fact.name] = False
        else:
            # An optional finding that does not hold: answered no, not known, or left out.
            how = draw(_HOW_NOT_HELD)
            if how != "absent":
                answers[fact.name] = False if how == "no" else None
    order = draw(_orders(tuple(answers)))
    return {name: answers[name] for name in order}


def _unanswered(protocol: Protocol, complete: bool | None) -> st.SearchStrategy[frozenset[str]]:
    if complete is True:
        return _NOTHING_LEFT
    required = _required_questions(protocol)
    if not required:
        if complete is False:
            raise InvalidArgument(
                f"protocol {protocol.name!r} requires no question, so no assessment is incomplete"
            )
        return st.just(frozenset())
    some = st.frozensets(st.sampled_from(required), min_size=1, max_size=3)
    return some if complete is False else st.one_of(st.just(frozenset()), some)


def red_flag_answers(
    protocol: Protocol | None = None, *, complete: bool | None = True
) -> st.SearchStrategy[dict[str, bool | None]]:
    """Generate red-flag answers for ``protocol`` (the default protocol when ``None``).

    ``complete=True``: every required red flag answered ``True`` or ``False``.
    ``complete=False``: at least one required red flag unanswered (``None`` or absent).
    ``complete=None``: either. Most answers are ``False``: a few flags are answered yes.
    """
    chosen = _default(protocol)
    flags = {f.name for f in _declared(chosen) if f.required and f.kind is FactKind.RED_FLAG}
    if complete is False and not flags:
        raise InvalidArgument(f"protocol {chosen.name!r} has no required red flag to leave out")
    unanswered = st.just(frozenset[str]())
    if complete is not True and flags:
        some = st.frozensets(st.sampled_from(sorted(flags)), min_size=1, max_size=3)
        unanswered = some if complete is False else st.one_of(unanswered, some)
    return unanswered.flatmap(lambda left: _red_flags(chosen, left))


def _follow_ups(protocol: Protocol) -> dict[str, str]:
    """Return each follow-up question of ``protocol`` with the question it follows."""
    return {f.name: f.asked_if for f in _declared(protocol) if f.asked_if is not None}


def _keep_follow_ups(
    protocol: Protocol, red_flags: Mapping[str, bool | None], findings: dict[str, bool | None]
) -> dict[str, bool | None]:
    """Return ``findings`` where no follow-up question is answered yes after a no to the
    question it follows (``recommend`` refuses that)."""
    for name, condition in _follow_ups(protocol).items():
        answer = red_flags.get(condition, findings.get(condition))
        if answer is False and findings.get(name):
            findings[name] = False
    return findings


@st.composite
def _assessment(draw: st.DrawFn, protocol: Protocol, complete: bool | None) -> Assessment:
    unanswered = draw(_unanswered(protocol, complete))
    red_flags = draw(_red_flags(protocol, unanswered - _INPUT_NAMES))
    findings = _keep_follow_ups(protocol, red_flags, draw(_findings(protocol, unanswered)))
    scored: dict[str, Any] = {}
    for instrument, strategies in _scored_strategies():
        fields = strategies.assessment_fields(
            required=getattr(protocol, instrument.requirement),
            unanswered=instrument.key in unanswered,
        )
        scored.update(draw(fields))
    return Assessment(
        red_flags=red_flags,
        findings=findings,
        preference=draw(_PREFERENCE),
        # Below the scope's minimum age only the red flags are asked: an incomplete assessment
        # that leaves out anything else is of someone within the scope.
        age=draw(
            _input(
                _AGE if complete is not False else _ages_within(protocol.scope.min_age or 0),
                AGE_INPUT,
                protocol.require_age,
                unanswered,
            )
        ),
        **scored,
    )


def _input(
    given: st.SearchStrategy[_T], name: str, required: bool, unanswered: frozenset[str]
) -> st.SearchStrategy[_T | None]:
    """Draw an input: absent when left unanswered, present when required, else either."""
    if name in unanswered:
        return _NONE
    return given if required else _maybe(given)


@functools.cache
def _ages_within(youngest: int) -> st.SearchStrategy[int]:
    return st.integers(youngest, 130)


@functools.cache
def _maybe(given: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
    return st.one_of(_NONE, given)


def assessments(
    protocol: Protocol | None = None, *, complete: bool | None = True
) -> st.SearchStrategy[Assessment]:
    """Generate assessments that ``recommend(a, protocol=protocol)`` accepts.

    Every red-flag key and finding belongs to ``protocol`` (the default protocol when
    ``None``). ``complete=True``: every required question is answered (each required red flag,
    and scorable answers to each questionnaire, or an age, the protocol requires).
    ``complete=False``: at least one of them is not, so the plan must give no exercise.
    ``complete=None``: either.

    Questionnaires carry the gaps and multiple marks their scoring allows (each module of a
    questionnaire's strategies says which); the questionnaires and the age are present or not
    where the protocol does not require them, and so is the preference. Few red flags are
    answered yes.
    """
    chosen = _default(protocol)
    _unanswered(chosen, complete)  # raise InvalidArgument now, not on the first draw
    return _assessment(chosen, complete)


# -- check-ins ------------------------------------------------------------------------------------

# The pain-monitoring model rates the pain during an exercise from 0 to 10.
_PAIN_DURING = st.integers(0, 10)
_MORNING = st.sampled_from(NextMorning)


@st.composite
def _exercise_report(draw: st.DrawFn) -> ExerciseReport:
    if not draw(st.integers(0, 5)):
        return ExerciseReport(done=False)
    return ExerciseReport(
        done=True, pain_during=draw(_maybe(_PAIN_DURING)), next_morning=draw(_maybe(_MORNING))
    )


def exercise_reports() -> st.SearchStrategy[ExerciseReport]:
    """Generate how one exercise went: mostly done, its pain and next morning at times unknown."""
    return _exercise_report()


@st.composite
def _check_in(
    draw: st.DrawFn, plan: Plan, protocol: Protocol, complete: bool | None, days: int
) -> CheckIn:
    unanswered = draw(_unanswered_at_check_in(protocol, complete))
    given = [p.exercise.id for p in plan.exercises]
    reported = draw(_subsets(tuple(given), 0, len(given))) if given else set()
    changes = draw(_findings(protocol, unanswered))
    # A check-in names only what changed: keep a few of the findings drawn.
    changed = draw(_subsets(tuple(changes), 0, min(3, len(changes)))) if changes else set()
    findings = {name: changes[name] for name in changes if name in changed}
    # Left out of a check-in, a finding carries over: one left unanswered is "no longer known".
    findings.update((name, None) for name in unanswered if name not in _flag_names(protocol))
    red_flags = draw(_red_flags(protocol, unanswered))
    # A follow-up question answered yes needs its condition not answered no, as carried over
    # from the plan or changed here (follow_up refuses it otherwise, as recommend does).
    carried = dict(plan.course.answers.findings) if plan.course is not None else {}
    kept_answers = _keep_follow_ups(protocol, red_flags, {**carried, **findings})
    findings = {name: kept_answers[name] for name in findings}
    ratings = {i.key: draw(st.integers(i.least, i.most)) for i in check_in_instruments()}
    return CheckIn(
        red_flags=red_flags,
        findings=findings,
        days=draw(st.integers(0, days)),
        exercises={exercise_id: draw(_exercise_report()) for exercise_id in sorted(reported)},
        **_scored_again(draw, plan),
        **ratings,
    )


def _scored_again(draw: st.DrawFn, plan: Plan) -> dict[str, Any]:
    """Draw the questionnaires a check-in asks again (given again or not), after ``plan``."""
    previous = plan.course.answers if plan.course is not None else None
    fields: dict[str, Any] = {}
    for _, strategies in _scored_strategies():
        fields.update(draw(strategies.check_in_fields(previous)))
    return fields


def _flag_names(protocol: Protocol) -> frozenset[str]:
    return frozenset(f.name for f in _declared(protocol) if f.kind is FactKind.RED_FLAG)


def _unanswered_at_check_in(
    protocol: Protocol, complete: bool | None
) -> st.SearchStrategy[frozenset[str]]:
    """Draw the questions a check-in leaves unanswered: red flags and required findings (the
    questionnaires and the age carry over from the plan, so leaving them out leaves nothing
    unanswered)."""
    if complete is True:
        return _NOTHING_LEFT
    required = [n for n in _required_questions(protocol) if n not in _INPUT_NAMES]
    if not required:
        if complete is False:
            raise InvalidArgument(f"protocol {protocol.name!r} asks no required question again")
        return st.just(frozenset())
    some = st.frozensets(st.sampled_from(required), min_size=1, max_size=3)
    return some if complete is False else st.one_of(st.just(frozenset()), some)


def check_ins(
    plan: Plan,
    protocol: Protocol | None = None,
    *,
    complete: bool | None = True,
    max_days: int = 60,
) -> st.SearchStrategy[CheckIn]:
    """Generate check-ins that ``follow_up(plan, c, protocol=protocol)`` accepts.

    Every red flag is asked again (``complete=True``: each answered, few of them yes;
    ``complete=False``: at least one required question left unanswered; ``None``: either);
    a few findings change; the pain now is 0 to 10; the days 0 to ``max_days``; some exercises
    of ``plan`` are reported (done or not, the pain during them and the next morning at times
    unknown); each questionnaire a check-in asks again is given again or not.
    """
    chosen = _default(protocol)
    _unanswered_at_check_in(chosen, complete)  # raise InvalidArgument now, not on first draw
    return _check_in(plan, chosen, complete, max_days)


# -- protocols ------------------------------------------------------------------------------------

_TEXT = st.sampled_from(["Take it gently.", "Stop if it hurts.", "Ask a clinician.", "See notes."])
_STEPS = (
    "2 slow repetitions.",
    "3 slow repetitions.",
    "4 slow repetitions.",
    "5 slow repetitions.",
)


@st.composite
def _exercises(draw: st.DrawFn, max_exercises: int) -> list[Exercise]:
    count = draw(st.integers(1, max_exercises))
    exercises = []
    for i in range(count):
        position = draw(st.sampled_from(list(Position)))
        exercises.append(
            Exercise(
                id=f"exercise_{i}",
                title=f"Exercise {i}",
                family=draw(st.sampled_from(["family_a", "family_b", "family_c"])),
                movement=draw(st.sampled_from(list(Movement))),
                position=position,
                level=draw(st.integers(1, 3)),
                # Nobody stands or kneels in bed (check() reports "in-bed-position").
                in_bed=position not in _NOT_IN_BED and draw(st.booleans()),
                dosage="5 slow repetitions.",
                instructions=draw(_TEXT),
                steps=_STEPS[: draw(st.integers(MIN_STEPS, MAX_STEPS))],
            )
        )
    return exercises


@st.composite
def _derived(draw: st.DrawFn, index: int, preference_taken: bool) -> Fact:
    sources = [*(DerivedFrom(s.derivation) for s in SCORED), DerivedFrom.AGE]
    if not preference_taken:
        sources.append(DerivedFrom.PREFERENCE)
    source = draw(st.sampled_from(sources))
    levels = _LEVELS.get(source)
    if source is DerivedFrom.PREFERENCE:
        derive = Derivation(source, equals=draw(st.sampled_from([p.value for p in Preference])))
    elif levels is not None:
        # Not the lowest threshold (minimal, low, age 0): where the input is required, every
        # complete assessment would hold that fact.
        derive = Derivation(source, at_least=draw(st.sampled_from(levels[1:])))
    else:
        derive = Derivation(source, at_least=str(draw(st.integers(1, 130))))
    return Fact(f"derived_{index}", FactKind.DERIVED, Polarity.RISK, derive=derive)


_LEVELS: dict[str, tuple[str, ...]] = {s.derivation: s.levels for s in SCORED}
"""The levels of each questionnaire, lowest first, by the source of the facts that read them."""


def _condition(names: Sequence[str]) -> st.SearchStrategy[Condition]:
    leaf = st.sampled_from(list(names)).map(FactIs)

    def extend(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        lists = st.lists(children, min_size=1, max_size=3).map(tuple)
        return st.one_of(
            lists.map(AllOf),
            lists.map(AnyOf),
            lists.flatmap(lambda c: st.integers(1, len(c)).map(lambda n: AtLeast(n, c))),
        )

    return st.recursive(leaf, extend, max_leaves=4)


@st.composite
def _selector(draw: st.DrawFn, exercises: Sequence[Exercise]) -> Selector:
    target = draw(st.sampled_from(list(exercises)))
    kind = draw(st.sampled_from(["ids", "families", "movements", "positions", "levels", "all"]))
    if kind == "ids":
        return Selector(ids=(target.id,))
    if kind == "families":
        return Selector(families=(target.family,))
    if kind == "movements":
        return Selector(movements=(target.movement,))
    if kind == "positions":
        return Selector(positions=(target.position,))
    if kind == "levels":
        return Selector(levels=(target.level,))
    if not target.in_bed and draw(st.booleans()):
        return Selector(all_except_in_bed=True)
    return Selector(all=True)


_URGENCIES = list(Urgency)[1:]
_NOT_IN_BED = (Position.STANDING, Position.KNEELING)


@st.composite
def _protocol(draw: st.DrawFn, max_exercises: int, max_facts: int, max_rules: int) -> Protocol:
    exercises = draw(_exercises(max_exercises))
    facts: list[Fact] = []
    for i in range(draw(st.integers(0, max(max_facts // 3, 1)))):
        facts.append(
            Fact(
                f"red_flag_{i}",
                FactKind.RED_FLAG,
                Polarity.RISK,
                question=f"Do you have warning sign {i}?",
                # An optional red flag would be read as "no" when unanswered.
                required=True,
            )
        )
    for i in range(draw(st.integers(0, max(max_facts // 3, 1)))):
        facts.append(
            Fact(f"finding_{i}", FactKind.FINDING, Polarity.RISK, question=f"Finding {i}?")
        )
    preference_taken = False
    derivations = []
    for i in range(draw(st.integers(0, 2))):
        fact = draw(_derived(i, preference_taken))
        if fact.derive in derivations:
            continue  # two facts derived alike are a "duplicate-derivation" problem
        derivations.append(fact.derive)
        preference_taken |= fact.derive is not None and fact.derive.equals is not None
        facts.append(fact)
    capabilities: list[Fact] = []
    for i in range(draw(st.integers(0, 2))):
        unlocked_by = draw(st.one_of(st.none(), st.sampled_from([e.id for e in exercises])))
        capabilities.append(
            Fact(
                f"capability_{i}",
                FactKind.CAPABILITY,
                Polarity.CAPABILITY,
                question=f"Can you do movement {i} comfortably?",
                unlocked_by=unlocked_by,
            )
        )
    facts.extend(capabilities)

    # A prerequisite may name a capability unlocked by an earlier exercise only: no cycles.
    order = {e.id: i for i, e in enumerate(exercises)}
    with_prerequisites = []
    for i, exercise in enumerate(exercises):
        usable = [c.name for c in capabilities if c.unlocked_by is None or order[c.unlocked_by] < i]
        needs = draw(st.lists(st.sampled_from(usable), max_size=2, unique=True)) if usable else []
        with_prerequisites.append(attrs.evolve(exercise, prerequisites=tuple(needs)))
    exercises = with_prerequisites
    # A capability no exercise needs unlocks nothing ("unused-capability"): leave it out.
    named = {name for exercise in exercises for name in exercise.prerequisites}
    capabilities = [c for c in capabilities if c.name in named]
    facts = [f for f in facts if f.kind is not FactKind.CAPABILITY or f.name in named]

    risk = [f.name for f in facts if f.polarity is Polarity.RISK]
    every = [f.name for f in facts]
    rules: list[Rule] = []
    for i in range(draw(st.integers(0, max_rules)) if every else 0):
        takes_away = bool(risk) and draw(st.booleans())
        condition = _distinct(draw(_condition(risk if takes_away else every)))
        actions: list[Refer | Exclude | Caution] = []
        if takes_away:
            if draw(st.booleans()):
                actions.append(Refer(draw(st.sampled_from(_URGENCIES))))
            if not actions or draw(st.booleans()):
                actions.append(Exclude(draw(_selector(exercises))))
        else:
            actions.append(Caution(draw(_selector(exercises)), draw(_TEXT)))
        rules.append(Rule(f"rule_{i}", condition, tuple(actions), draw(_TEXT), "test source"))
    rules = _refer_dead_ends(_close_exclusions(rules, exercises, facts), exercises)
    # Every red flag must refer the person to a clinician when answered yes, on its own.
    draft = Protocol(
        name="draft",
        version="0",
        exercises=tuple(exercises),
        facts=tuple(facts),
        rules=tuple(rules),
    )
    for fact in facts:
        if (
            fact.kind is FactKind.RED_FLAG
            and engine_of(draft).evaluate([fact.name]).urgency is Urgency.NONE
        ):
            urgency = draw(st.sampled_from(_URGENCIES))
            rules.append(
                Rule(
                    f"refer_{fact.name}",
                    FactIs(fact.name),
                    (Refer(urgency),),
                    "A warning sign needs a clinician.",
                    "test source",
                )
            )
    needed = _needed_inputs(rules, facts)
    urgent = _urgent_facts(rules)
    # A finding that can raise the urgency to soon must be required (unanswered it would read
    # as no); others are required now and then, so that both kinds are exercised.
    facts = [
        attrs.evolve(fact, required=True)
        if fact.kind is FactKind.FINDING and (fact.name in urgent or draw(st.integers(0, 3)) == 0)
        else fact
        for fact in facts
    ]
    # Now and then a finding becomes a follow-up question of a red flag (or of a required
    # finding) asked of everyone.
    asked = [
        f.name
        for f in facts
        if f.kind is FactKind.RED_FLAG or (f.kind is FactKind.FINDING and f.required)
    ]
    facts = [
        attrs.evolve(fact, asked_if=draw(st.sampled_from([a for a in asked if a != fact.name])))
        if fact.kind is FactKind.FINDING
        and [a for a in asked if a != fact.name]
        and draw(st.integers(0, 3)) == 0
        else fact
        for fact in facts
    ]
    # A follow-up question may not be the condition of another.
    conditional = {f.name for f in facts if f.asked_if is not None}
    facts = [attrs.evolve(f, asked_if=None) if f.asked_if in conditional else f for f in facts]
    min_age = draw(st.one_of(st.none(), st.integers(2, 30)))
    scope = _SCOPE if min_age is None else _scope_from(min_age)
    requires: dict[str, Any] = {
        s.requirement: s.derivation in needed or draw(st.booleans()) for s in SCORED
    }
    return Protocol(
        name="generated",
        version="0",
        exercises=tuple(exercises),
        facts=tuple(facts),
        rules=tuple(rules),
        **requires,
        require_age=DerivedFrom.AGE in needed or min_age is not None or draw(st.booleans()),
        advice=_ADVICE,
        safety_net=_SAFETY_NET,
        format=3,
        scope=scope,
        texts=_TEXTS,
    )


# The fixed texts of a generated protocol: placeholders, each its own, never read by a person.
_ADVICE = UrgencyAdvice(**{u.value: f"Advice at {u.value}." for u in Urgency})
_SAFETY_NET = SafetyNet(
    emergency=("Emergency sign one.", "Emergency sign two."),
    today=("Same-day sign.",),
    review="Review point.",
)
_SCOPE = Scope(intended_use="Testing.", population="Generated people.")
_TEXT_VALUES: dict[str, Any] = {
    f.name: f"Text {f.name}." for f in attrs.fields(Texts) if isinstance(f.default, str)
}
_TEXTS = Texts(
    **_TEXT_VALUES,
    self_management=("Self-care line.",),
    no_exercise_advice=UrgencyAdvice(**{u.value: f"Plain advice at {u.value}." for u in Urgency}),
)


def _scope_from(min_age: int) -> Scope:
    bands = [AgeBand(min_age, Urgency.SOON)]
    if min_age > 2:
        bands.insert(0, AgeBand(min_age // 2, Urgency.SAME_DAY))
    return attrs.evolve(_SCOPE, min_age=min_age, under_age=tuple(bands))


def _urgent_facts(rules: Sequence[Rule]) -> set[str]:
    """Return the facts of the rules that refer soon or more urgently."""
    return {
        name
        for rule in rules
        if any(isinstance(a, Refer) and a.urgency >= Urgency.SOON for a in rule.actions)
        for name in facts_of(rule.condition)
    }


def _needed_inputs(rules: Sequence[Rule], facts: Sequence[Fact]) -> set[DerivedFrom]:
    """Return the inputs a protocol must require: a rule withholds or refers soon on them
    (``check()`` reports ``optional-input-takes-away`` otherwise)."""
    derived = {f.name: f.derive.source for f in facts if f.derive is not None}
    return {
        derived[name]
        for rule in rules
        if any(
            isinstance(a, Exclude) or (isinstance(a, Refer) and a.urgency >= Urgency.SOON)
            for a in rule.actions
        )
        for name in facts_of(rule.condition)
        if name in derived
    }


def _distinct(condition: Condition) -> Condition:
    """Return ``condition`` with every list naming each entry once (``check()`` reports a
    repeated entry as ``duplicate-condition``)."""
    if isinstance(condition, FactIs):
        return condition
    children = tuple(dict.fromkeys(_distinct(c) for c in condition.conditions))
    if isinstance(condition, AtLeast):
        return AtLeast(min(condition.n, len(children)), children)
    return type(condition)(children)


def _refer_dead_ends(rules: Sequence[Rule], exercises: Sequence[Exercise]) -> list[Rule]:
    """Return ``rules`` where a rule that withholds every exercise also refers routinely, so
    that no one is left with nothing to do (``check()`` reports ``dead-end``)."""
    result = []
    for rule in rules:
        selectors = [a.select for a in rule.actions if isinstance(a, Exclude)]
        every = all(any(s.matches(e) for s in selectors) for e in exercises)
        refers = any(isinstance(a, Refer) and a.urgency > Urgency.NONE for a in rule.actions)
        if every and not refers:
            rule = attrs.evolve(rule, actions=(*rule.actions, Refer(Urgency.ROUTINE)))
        result.append(rule)
    return result


def _close_exclusions(
    rules: Sequence[Rule], exercises: Sequence[Exercise], facts: Sequence[Fact]
) -> list[Rule]:
    """Return ``rules`` where a rule that withholds an exercise also withholds every harder
    one it unlocks (through a capability ``unlocked_by`` it), as ``check()`` demands."""
    unlocks: dict[str, set[str]] = {}
    by_name = {f.name: f for f in facts}
    for exercise in exercises:
        for name in exercise.prerequisites:
            fact = by_name.get(name)
            if fact is not None and fact.unlocked_by is not None:
                unlocks.setdefault(fact.unlocked_by, set()).add(exercise.id)
    closed = []
    for rule in rules:
        selectors = [a.select for a in rule.actions if isinstance(a, Exclude)]
        excluded = {e.id for e in exercises if any(s.matches(e) for s in selectors)}
        added: set[str] = set()
        frontier = set(excluded)
        while frontier:
            harder = set().union(*(unlocks.get(i, set()) for i in frontier)) - excluded - added
            added |= harder
            frontier = harder
        if added:
            extra = Exclude(Selector(ids=tuple(sorted(added))))
            rule = attrs.evolve(rule, actions=(*rule.actions, extra))
        closed.append(rule)
    return closed


def protocols(
    *, max_exercises: int = 5, max_facts: int = 8, max_rules: int = 6
) -> st.SearchStrategy[Protocol]:
    """Generate small protocols with no static problem (``protocol.check() == ()``).

    For testing tools built on backtriage (editors, linters, report generators): exercises of
    every movement, position and level; required red flags, findings, capabilities
    (some unlocked by an earlier exercise) and derived facts of every source; rules with nested
    ``all``/``any``/``at_least`` conditions that refer, exclude or caution. Capabilities appear
    only in caution rules and prerequisites, as the polarity rules demand, so every generated
    protocol also passes :func:`backtriage.testing.check_properties`.
    """
    if max_exercises < 1:
        raise InvalidArgument(f"max_exercises must be at least 1, got {max_exercises}")
    return _protocol(max_exercises, max_facts, max_rules)
