"""Static checks: prove a protocol consistent before any patient sees it.

:func:`check_protocol` returns every problem at once, each with a stable code, where it is and
how to fix it. Because conditions are monotone (no negation), two questions have exact answers
without sampling: a rule can fire at all iff it fires when every declared fact that can hold
together is present (all of them, except that the preference facts of only one direction hold
at once), and an exercise can be given to someone iff it is given when every capability and no
avoidable risk fact is present (the lowest level of a scored questionnaire is unavoidable when
the protocol requires it), where a capability unlocked by an exercise that no one can receive
cannot be had either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from backtriage.assessment import Preference
from backtriage.protocol._engine import engine_of
from backtriage.protocol._format import format_problems
from backtriage.protocol._hygiene import follow_up_problems, hygiene_problems
from backtriage.protocol._inputs import (
    ASKED_INPUTS,
    INPUT_REQUIREMENTS,
    INPUT_SOURCES,
    SCORED_BY_SOURCE,
    required_inputs,
    threshold_of,
)
from backtriage.protocol._model import (
    AllOf,
    AnyOf,
    AtLeast,
    Caution,
    Condition,
    Derivation,
    DerivedFrom,
    Exclude,
    Fact,
    FactIs,
    FactKind,
    Polarity,
    Refer,
    Rule,
    Selector,
    Urgency,
)
from backtriage.protocol._policies import policy_problems
from backtriage.protocol._problem import Problem
from backtriage.protocol._reasoner import (
    ENGINE_RULES,
    RESERVED_RULE_PREFIXES,
    RULE_SAFETY,
    always_present,
    facts_of,
)

if TYPE_CHECKING:
    from backtriage.protocol._model import Protocol

__all__ = ["Problem", "check_protocol"]


# The levels a threshold on each scored questionnaire may name, lowest first.
_LEVELS = {source: instrument.levels for source, instrument in SCORED_BY_SOURCE.items()}
_PREFERENCE_VALUES = tuple(preference.value for preference in Preference)
_OWN_RULES = ENGINE_RULES | {RULE_SAFETY}
_REQUIRE_FIELDS = tuple(INPUT_REQUIREMENTS.values())
_REQUIRE_WORDS = ", ".join(_REQUIRE_FIELDS[:-1]) + " or " + _REQUIRE_FIELDS[-1]


def check_protocol(protocol: Protocol) -> tuple[Problem, ...]:
    """Return every static problem of ``protocol``, in a stable order."""
    return tuple(_problems(protocol))


def _duplicates(kind: str, ids: list[str]) -> Iterator[Problem]:
    for name, count in Counter(ids).items():
        if count > 1:
            plural = "policies" if kind == "policy" else f"{kind}s"
            yield Problem(
                f"duplicate-{kind}",
                f"{kind} {name!r}",
                f"the id {name!r} is used by {count} {plural}",
                f"give every {kind} its own id",
            )


def _problems(protocol: Protocol) -> Iterator[Problem]:
    engine = engine_of(protocol)
    facts = engine.fact_by_name
    context = _Context(
        families={e.family for e in protocol.exercises},
        optional={
            source: (name, INPUT_REQUIREMENTS[name])
            for name, source in INPUT_SOURCES.items()
            if name not in required_inputs(protocol)
        },
        links=_unlock_links(protocol),
    )

    yield from format_problems(protocol)
    yield from _duplicates("exercise", [e.id for e in protocol.exercises])
    yield from follow_up_problems(protocol)
    yield from _duplicates("fact", [f.name for f in protocol.facts])
    yield from _duplicates("rule", [r.id for r in protocol.rules])

    used: set[str] = set()
    for rule in protocol.rules:
        used.update(facts_of(rule.condition))
    for exercise in protocol.exercises:
        used.update(exercise.prerequisites)

    always = list(always_present(protocol))
    everyone = engine.evaluate(always).urgency  # what every complete assessment is told
    for fact in protocol.facts:
        yield from _fact_problems(protocol, fact, used)
        # Exact, as conditions are monotone: the least a yes to this flag can set is what it
        # sets with every other answer no. A flag that refers only together with another
        # leaves a person who has just this one with no advice to see anyone.
        if (
            fact.kind is FactKind.RED_FLAG
            and fact.name in used
            and engine.fact_by_name[fact.name] is fact
            and not _refers_alone(protocol, fact.name, everyone)
        ):
            yield Problem(
                "red-flag-never-refers",
                f"fact {fact.name!r}",
                "answered yes with every other answer no, this red flag does not raise the "
                "urgency: no rule on it alone refers more urgently than everyone is referred",
                "add a rule on this red flag alone with a refer action (routine or more urgent "
                "than what everyone gets)",
            )

    for exercise in protocol.exercises:
        where = f"exercise {exercise.id!r}"
        if exercise.level < 1:
            yield Problem(
                "bad-level", where, f"level {exercise.level} is below 1", "use 1 (gentle) or more"
            )
        for name in exercise.prerequisites:
            prerequisite = facts.get(name)
            if prerequisite is None:
                yield Problem(
                    "unknown-fact",
                    where,
                    f"prerequisite {name!r} is not a declared fact",
                    "declare it as a capability fact, or correct the name",
                )
            elif prerequisite.polarity is not Polarity.CAPABILITY:
                yield Problem(
                    "risk-prerequisite",
                    where,
                    f"prerequisite {name!r} is a risk fact: more risk would give the exercise",
                    "use a capability fact as the prerequisite, or use a rule to exclude",
                )
    yield from _cycles(protocol, context.links)

    can_fire = _fireable(protocol)
    for index, rule in enumerate(protocol.rules):
        yield from _rule_problems(protocol, rule, index in can_fire, context)

    yield from _unreachable(protocol, always)
    yield from hygiene_problems(protocol, always)
    yield from _duplicates("policy", [p.id for p in protocol.policies])
    yield from policy_problems(protocol, always)


def _fireable(protocol: Protocol) -> set[int]:
    """Return the indices of the rules that at least one assessment can fire."""
    engine = engine_of(protocol)
    # An assessment has one directional preference: facts derived from different preferences
    # never hold together, so a rule needing two of them can never fire.
    together: list[str] = []
    by_preference: dict[str | None, list[str]] = {}
    for fact in engine.fact_by_name.values():
        if fact.derive is not None and fact.derive.source is DerivedFrom.PREFERENCE:
            by_preference.setdefault(fact.derive.equals, []).append(fact.name)
        else:
            together.append(fact.name)
    fired: set[int] = set()
    for preferred in [[], *by_preference.values()]:
        facts = together + preferred
        if facts:
            fired.update(engine.evaluate(facts).fired_indices)
    return fired


def _fact_problems(protocol: Protocol, fact: Fact, used: set[str]) -> Iterator[Problem]:
    name = fact.name
    where = f"fact {name!r}"
    expected = Polarity.CAPABILITY if fact.kind is FactKind.CAPABILITY else Polarity.RISK
    if fact.polarity is not expected:
        yield Problem(
            "kind-polarity",
            where,
            f"a {fact.kind.value} fact must have polarity {expected.value!r}, "
            f"not {fact.polarity.value!r}",
            f"set polarity = {expected.value!r}",
        )
    if name in ASKED_INPUTS:
        yield Problem(
            "reserved-name",
            where,
            f"{name!r} is the name of an assessment input, so Plan.missing and questions() "
            "could not tell the two apart",
            "give the fact another name",
        )
    asked = fact.kind is FactKind.RED_FLAG or (fact.required and fact.kind is not FactKind.DERIVED)
    if asked and not (fact.question or "").strip():
        yield Problem(
            "missing-question",
            where,
            f"a {'red flag' if fact.kind is FactKind.RED_FLAG else 'required fact'} has no "
            "question to ask",
            "write a plain-language yes/no question",
        )
    if fact.kind is FactKind.RED_FLAG and not fact.required:
        yield Problem(
            "red-flag-not-required",
            where,
            "a red flag is not marked required; the engine treats every red flag as required "
            "anyway, since an unanswered red flag is never 'no'",
            "set required = true",
        )
    if fact.kind is FactKind.RED_FLAG and name not in used:
        yield Problem(
            "unused-red-flag",
            where,
            "no rule uses this red flag: answering yes changes nothing",
            "add a rule that refers on it, or remove the question",
        )
    if fact.required and fact.kind is FactKind.DERIVED:
        yield Problem(
            "required-derived",
            where,
            "a derived fact is computed from an input, never asked, so it cannot be required",
            f"drop required, and require its input instead ({_REQUIRE_WORDS})",
        )
    if fact.unlocked_by is not None:
        if fact.kind is not FactKind.CAPABILITY:
            yield Problem(
                "unlocked-by-not-capability",
                where,
                "only a capability can be unlocked by doing an exercise",
                "make the fact a capability, or remove unlocked_by",
            )
        if fact.unlocked_by not in engine_of(protocol).exercise_by_id:
            yield Problem(
                "unknown-exercise",
                where,
                f"unlocked_by names {fact.unlocked_by!r}, which is not an exercise",
                "name an exercise id of this protocol",
            )
    if fact.asked_if is not None:
        yield from _follow_up_problems(protocol, fact, where)
    yield from _derivation_problems(fact.kind, fact.derive, where)


def _follow_up_problems(protocol: Protocol, fact: Fact, where: str) -> Iterator[Problem]:
    """A follow-up question is a finding or capability asked after a yes to a question that
    everyone is asked (a red flag or a required finding), which is no follow-up itself."""
    name = fact.asked_if
    if fact.kind is FactKind.RED_FLAG:
        yield Problem(
            "bad-condition",
            where,
            "a red flag is made conditional: every red flag is asked of everyone, and one "
            "left unasked would be read as no",
            "remove asked_if, or make the question a finding",
        )
        return
    if fact.kind is FactKind.DERIVED:
        yield Problem(
            "bad-condition",
            where,
            "a derived fact is computed, never asked, so it cannot be a follow-up question",
            "remove asked_if",
        )
        return
    condition = engine_of(protocol).fact_by_name.get(name or "")
    why = None
    if condition is None:
        why = f"asked_if names {name!r}, which is not a fact of this protocol"
    elif condition is fact:
        why = "a question cannot follow itself"
    elif condition.kind is FactKind.DERIVED:
        why = f"asked_if names {name!r}, a derived fact: no one answers it yes"
    elif condition.kind is not FactKind.RED_FLAG and not (
        condition.kind is FactKind.FINDING and condition.required
    ):
        why = (
            f"asked_if names {name!r}, which is not required: unanswered, this question "
            "would never be asked"
        )
    elif condition.asked_if is not None:
        why = f"asked_if names {name!r}, itself a follow-up question"
    if why is not None:
        yield Problem(
            "bad-condition",
            where,
            why,
            "name a red flag or a required finding that everyone is asked",
        )


def _derivation_problems(kind: FactKind, derive: object, where: str) -> Iterator[Problem]:
    if kind is not FactKind.DERIVED:
        if derive is not None:
            yield Problem(
                "derivation",
                where,
                "only derived facts have a derivation",
                "set kind = 'derived', or remove derive",
            )
        return
    if not isinstance(derive, Derivation):
        yield Problem(
            "derivation",
            where,
            "a derived fact has no derivation",
            "add derive = { source = ..., at_least = ... }",
        )
        return
    source = derive.source
    if source is DerivedFrom.PREFERENCE:
        if derive.equals not in _PREFERENCE_VALUES or derive.at_least is not None:
            yield Problem(
                "derivation",
                where,
                f"a preference fact needs equals = one of {', '.join(_PREFERENCE_VALUES)}",
                "set equals, and no at_least",
            )
        return
    allowed = _LEVELS.get(source)
    # The same parser recommend() uses: what it cannot read here never holds there.
    if threshold_of(derive) is None or derive.equals is not None:
        what = ", ".join(allowed) if allowed else "a whole number of years"
        yield Problem(
            "derivation",
            where,
            f"{source.value} needs at_least = {what} (never equals: thresholds keep it monotone)",
            "set at_least to one of the allowed values",
        )


def _condition_problems(protocol: Protocol, condition: Condition, where: str) -> Iterator[Problem]:
    if isinstance(condition, FactIs):
        if condition.fact not in engine_of(protocol).fact_by_name:
            yield Problem(
                "unknown-fact",
                where,
                f"the condition names {condition.fact!r}, which is not a declared fact",
                "declare the fact, or correct the name",
            )
        return
    children = condition.conditions
    if not children:
        yield Problem(
            "empty-condition",
            where,
            f"an empty {_condition_word(condition)} list",
            "list at least one condition",
        )
    if isinstance(condition, AtLeast) and not 1 <= condition.n <= len(children):
        yield Problem(
            "bad-at-least",
            where,
            f"at_least {condition.n} of {len(children)} conditions can never be met as meant",
            f"use a number from 1 to {max(len(children), 1)}",
        )
    for child in children:
        yield from _condition_problems(protocol, child, where)


def _condition_word(condition: Condition) -> str:
    if isinstance(condition, AllOf):
        return "all"
    if isinstance(condition, AnyOf):
        return "any"
    return "at_least"


def _selector_problems(
    protocol: Protocol, selector: Selector, families: set[str], where: str
) -> Iterator[Problem]:
    for exercise_id in selector.ids:
        if exercise_id not in engine_of(protocol).exercise_by_id:
            yield Problem(
                "unknown-exercise",
                where,
                f"the selector names exercise {exercise_id!r}, which does not exist",
                "use an exercise id of this protocol",
            )
    for family in selector.families:
        if family not in families:
            yield Problem(
                "unknown-family",
                where,
                f"the selector names family {family!r}, which no exercise belongs to",
                f"use one of: {', '.join(sorted(families)) or '(no exercises)'}",
            )
    if engine_of(protocol).select(selector) == 0:
        yield Problem(
            "empty-selector",
            where,
            "the selector matches no exercise",
            "name exercises, families, movements, positions or levels that exist",
        )


def _rule_problems(
    protocol: Protocol, rule: Rule, can_fire: bool, context: _Context
) -> Iterator[Problem]:
    where = f"rule {rule.id!r}"
    if rule.id.startswith(RESERVED_RULE_PREFIXES):
        yield Problem(
            "reserved-name",
            where,
            f"rule ids starting {' or '.join(repr(p) for p in RESERVED_RULE_PREFIXES)} name the "
            f"engine's own reasons ({', '.join(sorted(_OWN_RULES))}); a plan could not tell "
            "them apart",
            "give the rule another id",
        )
    if not rule.reason.strip():
        yield Problem(
            "missing-reason", where, "the rule has no reason", "write a reason a patient can read"
        )
    if not rule.source.strip():
        yield Problem("missing-source", where, "the rule has no source", "cite a source tag or URL")
    if rule.advice is not None and not rule.advice.strip():
        yield Problem(
            "missing-text",
            where,
            "the rule's advice is empty: a plan it decides would tell the person nothing",
            "write the advice, or remove it to use the advice for the urgency",
        )
    if not rule.actions:
        yield Problem("no-actions", where, "the rule does nothing", "add refer, exclude or caution")
    yield from _condition_problems(protocol, rule.condition, where)

    engine = engine_of(protocol)
    if not can_fire:
        yield Problem(
            "never-fires",
            where,
            "the condition is false even when every declared fact is present",
            "check the condition's fact names and at_least numbers",
        )

    yield from _optional_input_problems(protocol, rule, where, context.optional)
    yield from _optional_finding_problems(protocol, rule, where)
    yield from _unlocker_problems(protocol, rule, where, context.links)
    takes_away = any(isinstance(a, Refer | Exclude) for a in rule.actions)
    if takes_away:
        for name in dict.fromkeys(facts_of(rule.condition)):
            fact = engine.fact_by_name.get(name)
            if fact is not None and fact.polarity is Polarity.CAPABILITY:
                yield Problem(
                    "capability-takes-away",
                    where,
                    f"capability {name!r} is in a rule that excludes or refers: "
                    "being able to do more would take exercises away",
                    "use a risk fact in this condition, or make the action a caution",
                )
    for action in rule.actions:
        if isinstance(action, Exclude | Caution):
            yield from _selector_problems(protocol, action.select, context.families, where)
        if isinstance(action, Caution) and not action.text.strip():
            yield Problem(
                "missing-caution-text", where, "a caution has no text", "write the caution"
            )


def _optional_input_problems(
    protocol: Protocol, rule: Rule, where: str, optional: Mapping[DerivedFrom, tuple[str, str]]
) -> Iterator[Problem]:
    """Report the rule if it withholds or refers soon on an input an assessment may omit."""
    if not any(
        isinstance(a, Exclude) or (isinstance(a, Refer) and a.urgency >= Urgency.SOON)
        for a in rule.actions
    ):
        return  # a caution or a routine referral changes nothing a person may do now
    for fact_name in dict.fromkeys(facts_of(rule.condition)):
        fact = engine_of(protocol).fact_by_name.get(fact_name)
        if fact is None or fact.derive is None or fact.derive.source not in optional:
            continue
        given, requirement = optional[fact.derive.source]
        yield Problem(
            "optional-input-takes-away",
            where,
            f"fact {fact_name!r} is derived from {given}, which the protocol does not require: "
            f"a missing {given} reads as below the threshold, so the rule silently does not fire",
            f"set {requirement} = true (the plan then asks for it), or use the fact only in "
            "cautions and routine referrals",
        )


def _optional_finding_problems(protocol: Protocol, rule: Rule, where: str) -> Iterator[Problem]:
    """Report a finding that can raise the urgency to soon or more but is not required.

    Unanswered, an optional finding reads as "no": the rule would not fire, and a person who
    has it would be told nothing is urgent and be given exercises.
    """
    if not any(isinstance(a, Refer) and a.urgency >= Urgency.SOON for a in rule.actions):
        return
    for fact_name in dict.fromkeys(facts_of(rule.condition)):
        fact = engine_of(protocol).fact_by_name.get(fact_name)
        if fact is None or fact.kind is not FactKind.FINDING or fact.required:
            continue
        yield Problem(
            "urgent-finding-not-required",
            where,
            f"finding {fact_name!r} can raise the urgency to soon or more (alone or with "
            "others), but it is not required: unanswered, it reads as no",
            f"set required = true on fact {fact_name!r} (the plan then asks for it), or refer "
            "only routine on it",
        )


def _unlocker_problems(
    protocol: Protocol, rule: Rule, where: str, links: Sequence[_Link]
) -> Iterator[Problem]:
    """Report a rule that withholds an exercise but not the harder one it unlocks."""
    excluded = 0
    for action in rule.actions:
        if isinstance(action, Exclude):
            excluded |= engine_of(protocol).select(action.select)
    for link in links:
        if excluded >> link.unlocker & 1 and not excluded >> link.exercise & 1:
            harder = protocol.exercises[link.exercise].id
            gentler = protocol.exercises[link.unlocker].id
            yield Problem(
                "unlocker-withheld-alone",
                where,
                f"the rule withholds {gentler!r} but not {harder!r}, which needs "
                f"{link.capability!r} (having done {gentler!r}): someone who could do it "
                "before would be given the harder exercise and not the gentler one",
                f"withhold {harder!r} in this rule too",
            )


class _Link(NamedTuple):
    """An exercise that needs a capability recorded by doing another exercise first."""

    exercise: int
    """The index of the exercise that needs the capability."""
    capability: str
    unlocker: int
    """The index of the exercise whose tolerance the capability records."""


class _Context(NamedTuple):
    """What several checks need of a protocol, worked out once."""

    families: set[str]
    optional: Mapping[DerivedFrom, tuple[str, str]]
    """The score or age inputs the protocol does not require, by the derivation source: the
    input's name and the field of ``Protocol`` that would require it."""
    links: Sequence[_Link]


def _unlock_links(protocol: Protocol) -> list[_Link]:
    """Return every prerequisite unlocked by an exercise of the protocol, in protocol order."""
    facts = engine_of(protocol).fact_by_name
    # The first exercise of an id, as the engine takes it; check() reports a duplicate id.
    position = {e.id: i for i, e in reversed(list(enumerate(protocol.exercises)))}
    return [
        _Link(index, name, position[unlocker])
        for index, exercise in enumerate(protocol.exercises)
        for name in exercise.prerequisites
        if (fact := facts.get(name)) is not None
        and (unlocker := fact.unlocked_by) is not None
        and unlocker in position
    ]


def _cycles(protocol: Protocol, links: Sequence[_Link]) -> Iterator[Problem]:
    """Report each cycle of "exercise needs a capability unlocked by exercise" once."""
    ids = [e.id for e in protocol.exercises]
    edges: dict[str, list[str]] = {}
    for link in links:
        edges.setdefault(ids[link.exercise], []).append(ids[link.unlocker])
    on_path: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> Iterator[Problem]:
        on_path.append(node)
        for target in edges.get(node, ()):
            if target in on_path:
                cycle = [*on_path[on_path.index(target) :], target]
                yield Problem(
                    "prerequisite-cycle",
                    f"exercise {target!r}",
                    "prerequisites form a cycle, so none of them can ever be started: "
                    + " -> ".join(cycle),
                    "break the cycle: one exercise must need no other first",
                )
            elif target not in done:
                yield from visit(target)
        on_path.pop()
        done.add(node)

    for start in edges:
        if start not in done:
            yield from visit(start)


def _refers_alone(protocol: Protocol, flag: str, everyone: Urgency) -> bool:
    """Tell whether a yes to ``flag``, every other answer no, raises the urgency by itself.

    A rule on the flag alone must refer: not together with a fact that holds only once a
    required input is given (the urgency is worked out while the input is still missing, too),
    and not one that everyone gets anyway, which a yes would not change.
    """
    engine = engine_of(protocol)
    alone = engine.evaluate([flag])
    # The most a rule on the flag itself sets, with nothing else known, against what everyone
    # gets once every required input is given: the flag must add to that on its own.
    own = max(
        (
            fired.urgency
            for index, fired in zip(alone.fired_indices, alone.fired, strict=True)
            if fired.urgency is not None and flag in facts_of(protocol.rules[index].condition)
        ),
        default=Urgency.NONE,
    )
    return own > everyone


def _unreachable(protocol: Protocol, forced: list[str]) -> Iterator[Problem]:
    engine = engine_of(protocol)
    facts = engine.fact_by_name.values()
    capabilities = [f for f in facts if f.polarity is Polarity.CAPABILITY]
    # A capability records doing its unlocked_by exercise, so it can only be had when that
    # exercise can be given: drop the ones that cannot until nothing changes (at most once
    # per capability, as the set only shrinks).
    attainable = capabilities
    while True:
        evaluation = engine.evaluate([f.name for f in attainable] + forced)
        given = {p.exercise.id for p in evaluation.prescriptions()}
        still_attainable = [
            f
            for f in attainable
            if f.unlocked_by is None
            or f.unlocked_by in given
            or f.unlocked_by not in engine.exercise_by_id
        ]
        if len(still_attainable) == len(attainable):
            break
        attainable = still_attainable
    # In a protocol where a capability takes exercises away (itself a problem), having fewer
    # capabilities can give more: an exercise counts as reachable if the harmless ones alone
    # reach it, so that this check names only exercises nobody can get.
    harmful = {
        name
        for rule in protocol.rules
        if any(isinstance(a, Refer | Exclude) for a in rule.actions)
        for name in facts_of(rule.condition)
    }
    harmless = [f.name for f in attainable if f.name not in harmful]
    # Likewise a risk fact used as a prerequisite (itself a problem) gives its exercise.
    risky = [
        name
        for exercise in protocol.exercises
        for name in exercise.prerequisites
        if name in engine.fact_by_name and engine.fact_by_name[name].polarity is Polarity.RISK
    ]
    reachable = 0
    if len(harmless) < len(attainable) or risky:
        reachable = engine.evaluate([*dict.fromkeys(harmless + forced + risky)]).given_mask
    for withheld in evaluation.withheld():
        if reachable >> protocol.exercises.index(withheld.exercise) & 1:
            continue
        rules = ", ".join(reason.rule for reason in withheld.reasons)
        yield Problem(
            "unreachable-exercise",
            f"exercise {withheld.exercise.id!r}",
            "no assessment can ever receive it; even with every capability that can be had and "
            f"no avoidable risk it is withheld by {rules}",
            "remove the exclusion from capability-only rules or fix its prerequisites",
        )
