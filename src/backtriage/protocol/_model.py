"""The protocol model: exercises, facts and rules as frozen values.

A protocol is data that a clinician can review. The engine (``engine.py``) compiles it once;
``check.py`` proves it consistent; ``load.py`` reads it from TOML or JSON.
"""

from __future__ import annotations

import typing
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

import attrs

from backtriage._ordered import OrderedStrEnum
from backtriage._values import value_eq, value_hash, value_repr
from backtriage.errors import ProtocolError, shorten
from backtriage.protocol._problem import Problem

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "FORMAT",
    "Action",
    "AgeBand",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Caution",
    "Condition",
    "Derivation",
    "DerivedFrom",
    "Exclude",
    "Exercise",
    "Fact",
    "FactIs",
    "FactKind",
    "FollowUpRules",
    "Movement",
    "Polarity",
    "Policy",
    "Position",
    "Protocol",
    "Refer",
    "Rule",
    "SafetyNet",
    "Scope",
    "Selector",
    "Source",
    "SourceKind",
    "Texts",
    "Urgency",
    "UrgencyAdvice",
]

FORMAT = 3
"""The protocol format this library reads: ``format = 3`` in a protocol document."""


class Urgency(OrderedStrEnum):
    """How soon a person should see a clinician, from least to most urgent."""

    NONE = "none"
    ROUTINE = "routine"
    SOON = "soon"
    SAME_DAY = "same_day"
    EMERGENCY = "emergency"


class Movement(StrEnum):
    """The main movement of the spine in an exercise."""

    EXTENSION = "extension"
    FLEXION = "flexion"
    LATERAL_FLEXION = "lateral_flexion"
    ROTATION = "rotation"


class Position(StrEnum):
    """The body position an exercise is done in."""

    PRONE = "prone"
    KNEELING = "kneeling"
    STANDING = "standing"
    SUPINE = "supine"
    SITTING = "sitting"


class FactKind(StrEnum):
    """Where a fact comes from."""

    RED_FLAG = "red_flag"
    """A screening question the person answers yes or no; never assumed."""
    FINDING = "finding"
    """Something the app knows about the person that may take exercises away."""
    CAPABILITY = "capability"
    """Something the person can already do that may unlock exercises."""
    DERIVED = "derived"
    """Computed from a score or an answer (ODI band, STarT Back risk, preference, age)."""


class Polarity(StrEnum):
    """Which way a fact may move a plan.

    ``risk``: more of it may only take exercises away and raise urgency.
    ``capability``: more of it may only give exercises back.
    """

    RISK = "risk"
    CAPABILITY = "capability"


class DerivedFrom(StrEnum):
    """The assessment input a derived fact is computed from."""

    ODI_BAND = "odi_band"
    """Set when the ODI band is at least ``at_least`` (a ``DisabilityBand`` value)."""
    START_BACK_RISK = "start_back_risk"
    """Set when the STarT Back risk is at least ``at_least`` (a ``StartBackRisk`` value)."""
    PREFERENCE = "preference"
    """Set when the directional preference equals ``equals``."""
    AGE = "age"
    """Set when the age in years is at least ``at_least`` (a whole number)."""


_E = typing.TypeVar("_E", bound=StrEnum)


def _to_enum(cls: type[_E], value: object, field: str | None = None) -> _E:
    """Return ``value`` as a member of ``cls``, accepting the member or its string value.

    Protocols built in Python may pass ``"emergency"`` for ``Urgency.EMERGENCY``; anything
    else is refused here, so that no plain string ever reaches the engine's comparisons.
    """
    if isinstance(value, cls):
        return value
    if type(value) is str:
        try:
            return cls(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in cls)
    raise ProtocolError(f"{shorten(value)} is not one of: {allowed}", field=field or cls.__name__)


# Named functions, one per enum: the attrs mypy plugin only understands named converters.
def _derived_from(value: object) -> DerivedFrom:
    return _to_enum(DerivedFrom, value, "Derivation.source")


def _movement(value: object) -> Movement:
    return _to_enum(Movement, value, "Exercise.movement")


def _position(value: object) -> Position:
    return _to_enum(Position, value, "Exercise.position")


def _fact_kind(value: object) -> FactKind:
    return _to_enum(FactKind, value, "Fact.kind")


def _polarity(value: object) -> Polarity:
    return _to_enum(Polarity, value, "Fact.polarity")


def _urgency(value: object) -> Urgency:
    return _to_enum(Urgency, value, "Refer.urgency")


def _band_urgency(value: object) -> Urgency:
    return _to_enum(Urgency, value, "AgeBand.urgency")


def _movements(value: object) -> tuple[Movement, ...]:
    return tuple(_to_enum(Movement, v, "Selector.movements") for v in _sequence(value))


def _positions(value: object) -> tuple[Position, ...]:
    return tuple(_to_enum(Position, v, "Selector.positions") for v in _sequence(value))


def _sequence(value: object) -> tuple[object, ...]:
    # A string is iterable, but "prone" is not the list ["p", "r", ...].
    if type(value) is not tuple and type(value) is not list:
        raise ProtocolError(f"{shorten(value)} is not a list or tuple", field="Selector")
    return tuple(value)


_Check: TypeAlias = "typing.Callable[[object, attrs.Attribute[typing.Any], object], None]"


def _where(instance: object, attribute: attrs.Attribute[typing.Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def _tuple_of(*kinds: type) -> _Check:
    """Validate a tuple whose items are all of ``kinds`` (bool is never an int here).

    Protocols built in Python are checked as strictly as loaded ones: a list would stay
    mutable under a frozen protocol, and ``"yes"`` must not pass as a flag.
    """

    def check(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
        if type(value) is not tuple:
            raise ProtocolError(
                f"{shorten(value)} is not a tuple", field=_where(instance, attribute)
            )
        for item in value:
            if not isinstance(item, kinds) or (type(item) is bool and bool not in kinds):
                names = " or ".join(k.__name__ for k in kinds)
                raise ProtocolError(
                    f"{shorten(item)} is not a {names}", field=_where(instance, attribute)
                )

    return check


_KIND_WORDS = {bool: "true or false", int: "a whole number"}


def _exactly(kind: type) -> _Check:
    """Validate a value of exactly ``kind``: ``True`` is not a level, ``"no"`` not a flag."""

    def check(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
        if type(value) is not kind:
            raise ProtocolError(
                f"{shorten(value)} is not {_KIND_WORDS[kind]}", field=_where(instance, attribute)
            )

    return check


def _conditions(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    # Looked up when called: the condition classes refer to each other.
    _tuple_of(*_CONDITION_TYPES)(instance, attribute, value)


def _condition(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if not isinstance(value, _CONDITION_TYPES):
        raise ProtocolError(
            f"{shorten(value)} is not a condition (FactIs, AllOf, AnyOf or AtLeast)",
            field=_where(instance, attribute),
        )


def _instance(kind: type) -> _Check:
    """Validate a value of ``kind`` (a part of the protocol model, such as a Selector)."""

    def check(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
        if not isinstance(value, kind):
            raise ProtocolError(
                f"{shorten(value)} is not a {kind.__name__}", field=_where(instance, attribute)
            )

    return check


_STRINGS = _tuple_of(str)
_FLAG = _exactly(bool)
_WHOLE = _exactly(int)
# Text fields are checked too: a None reason or an int threshold from Python code must fail
# here, naming the field, not as an AttributeError deep in check() or recommend().
_TEXT = _instance(str)  # a StrEnum member (DisabilityBand.SEVERE as a threshold) is text too
_MAYBE_TEXT = attrs.validators.optional(_TEXT)


@attrs.frozen
class Derivation:
    """How a derived fact is computed from the assessment.

    Thresholds are "at least", never "exactly": a worse score must only ever add risk facts.
    """

    source: DerivedFrom = attrs.field(converter=_derived_from)
    at_least: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    equals: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


class SourceKind(StrEnum):
    """What kind of evidence a source is, so that a reviewer can weigh it."""

    GUIDELINE = "guideline"
    """A clinical guideline or care pathway of a national or professional body."""
    SYSTEMATIC_REVIEW = "systematic_review"
    RANDOMISED_TRIAL = "randomised_trial"
    COHORT = "cohort"
    """An observational study that follows groups of people (comparative or not)."""
    CASE_SERIES = "case_series"
    CONSENSUS = "consensus"
    """A consensus statement or framework of a panel of experts."""
    EXPERT_OPINION = "expert_opinion"
    """One author's or one book's clinical view, or a summary of it."""
    TEXTBOOK = "textbook"
    """A textbook or clinical reference work."""
    INSTRUMENT = "instrument"
    """The documentation of a questionnaire: its items, scoring and interpretation."""
    PATIENT_INFORMATION = "patient_information"
    """A page or leaflet written for patients (the NHS, a charity, a clinic)."""
    DESIGN_DECISION = "design_decision"
    """A choice the protocol's authors made where no source decides it."""
    SEED_PAGE = "seed_page"
    """The commercial page the exercises were first taken from: no evidence of its own."""


def _maybe_source_kind(value: object) -> SourceKind | None:
    return None if value is None else _to_enum(SourceKind, value, "Source.kind")


def _year(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if value is not None and (type(value) is not int or not 1000 <= value <= 9999):
        raise ProtocolError(
            f"{shorten(value)} is not a year of four digits", field=_where(instance, attribute)
        )


def _url(instance: object, attribute: attrs.Attribute[typing.Any], value: object) -> None:
    if value is not None and (
        type(value) is not str
        or not value.startswith(("https://", "http://"))
        or any(c.isspace() for c in value)
    ):
        raise ProtocolError(
            f"{shorten(value)} is not a web address (https://...)",
            field=_where(instance, attribute),
        )


@attrs.frozen
class Source:
    """A reference that rules cite by its tag, with what a reviewer needs to weigh it.

    ``kind``, ``year`` and ``url`` are ``None`` where they are not known: never guessed.
    """

    tag: str = attrs.field(validator=_TEXT)
    citation: str = attrs.field(validator=_TEXT)
    kind: SourceKind | None = attrs.field(default=None, converter=_maybe_source_kind)
    year: int | None = attrs.field(default=None, validator=_year)
    """The year of the version cited."""
    url: str | None = attrs.field(default=None, validator=_url)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Exercise:
    """One exercise of the catalogue, with what the rules select it by."""

    id: str = attrs.field(validator=_TEXT)
    title: str = attrs.field(validator=_TEXT)
    family: str = attrs.field(validator=_TEXT)
    movement: Movement = attrs.field(converter=_movement)
    position: Position = attrs.field(converter=_position)
    level: int = attrs.field(validator=_WHOLE)
    in_bed: bool = attrs.field(validator=_FLAG)
    dosage: str = attrs.field(validator=_TEXT)
    instructions: str = attrs.field(validator=_TEXT)
    prerequisites: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    """Capability facts that must all be present before the exercise is given."""
    steps: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    """The dosage steps, gentlest first (2 to 4): a plan starts the exercise at the first and a
    follow-up moves it along them by the pain response. Required: ``check()`` reports an
    exercise without them (``bad-steps``), as in a document written before steps existed."""

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Fact:
    """A name an assessment can set, with its kind, polarity and question."""

    name: str = attrs.field(validator=_TEXT)
    kind: FactKind = attrs.field(converter=_fact_kind)
    polarity: Polarity = attrs.field(converter=_polarity)
    question: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    """Plain-language yes/no question, for facts a person answers."""
    required: bool = attrs.field(default=False, validator=_FLAG)
    """An unanswered required fact withholds every exercise until it is answered."""
    derive: Derivation | None = attrs.field(
        default=None, validator=attrs.validators.optional(_instance(Derivation))
    )
    """For ``derived`` facts: how the fact is computed."""
    unlocked_by: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    """For capabilities: the exercise whose tolerance this fact records."""
    asked_if: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    """A follow-up question: asked, and required, only when this other fact is answered yes.

    The condition is a required red flag or finding that is asked of everyone; while it is
    answered no, a yes to this fact is refused and a no changes nothing.
    """

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class FactIs:
    """True when the fact is present."""

    fact: str = attrs.field(validator=_TEXT)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class AllOf:
    """True when every condition is true."""

    conditions: tuple[Condition, ...] = attrs.field(validator=_conditions)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class AnyOf:
    """True when at least one condition is true."""

    conditions: tuple[Condition, ...] = attrs.field(validator=_conditions)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class AtLeast:
    """True when at least ``n`` of the conditions are true."""

    n: int = attrs.field(validator=_WHOLE)
    conditions: tuple[Condition, ...] = attrs.field(validator=_conditions)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


Condition: TypeAlias = FactIs | AllOf | AnyOf | AtLeast
_CONDITION_TYPES = (FactIs, AllOf, AnyOf, AtLeast)


@attrs.frozen
class Selector:
    """A set of exercises: the union of everything named.

    ``all`` selects every exercise; ``all_except_in_bed`` every one that cannot be done in bed.
    """

    ids: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    families: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    movements: tuple[Movement, ...] = attrs.field(default=(), converter=_movements)
    positions: tuple[Position, ...] = attrs.field(default=(), converter=_positions)
    levels: tuple[int, ...] = attrs.field(default=(), validator=_tuple_of(int))
    min_level: int | None = attrs.field(default=None, validator=attrs.validators.optional(_WHOLE))
    """Every exercise at this level or above: safe against levels added later."""
    all: bool = attrs.field(default=False, validator=_FLAG)
    all_except_in_bed: bool = attrs.field(default=False, validator=_FLAG)

    def matches(self, exercise: Exercise) -> bool:
        """Return whether ``exercise`` is in this selection."""
        return (
            self.all
            or (self.all_except_in_bed and not exercise.in_bed)
            or exercise.id in self.ids
            or exercise.family in self.families
            or exercise.movement in self.movements
            or exercise.position in self.positions
            or exercise.level in self.levels
            or (self.min_level is not None and exercise.level >= self.min_level)
        )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Refer:
    """Raise the plan's urgency to at least ``urgency``."""

    urgency: Urgency = attrs.field(converter=_urgency)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Exclude:
    """Withhold the selected exercises."""

    select: Selector = attrs.field(validator=_instance(Selector))

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Caution:
    """Attach ``text`` to the selected exercises when they are given."""

    select: Selector = attrs.field(validator=_instance(Selector))
    text: str = attrs.field(validator=_TEXT)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


Action: TypeAlias = Refer | Exclude | Caution


@attrs.frozen
class Rule:
    """When ``condition`` holds, apply ``actions``; ``reason`` and ``source`` explain why."""

    id: str = attrs.field(validator=_TEXT)
    condition: Condition = attrs.field(validator=_condition)
    actions: tuple[Action, ...] = attrs.field(validator=_tuple_of(Refer, Exclude, Caution))
    reason: str = attrs.field(validator=_TEXT)
    source: str = attrs.field(validator=_TEXT)
    advice: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    """What to tell the person to do when this rule decides the plan's urgency.

    Of the fired rules that refer at the plan's urgency, the first in protocol order that has
    advice gives the plan's advice; without one, the protocol's advice for the urgency is used.
    It is shown whether or not the plan gives exercises, so it never invites them.
    """
    departs: str | None = attrs.field(default=None, validator=_MAYBE_TEXT)
    """Where the rule departs from what its source says, and the protocol's reason for it."""

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def _maybe_urgency(value: object) -> Urgency | None:
    return None if value is None else _to_enum(Urgency, value, "Policy urgency")


_MAYBE_SELECTOR = attrs.validators.optional(_instance(Selector))


@attrs.frozen
class Policy:
    """A clinical intent the rules must meet, stated in the protocol's own terms.

    Exactly one claim is made; :meth:`Protocol.check` proves it exactly, or reports the
    policy with the smallest set of facts that breaks it:

    - ``reaches``: the facts of ``when``, every other answer no, reach at least this urgency;
    - ``withholds``: while the facts of ``when`` hold, every selected exercise is withheld;
    - ``cautions_or_withholds``: ... every selected exercise is withheld or cautioned by a rule;
    - ``required``: every fact of ``when`` is required (never read as "no" when unanswered);
    - ``red_flags_withhold_all_from``: every red flag that refers at least this urgency
      withholds every exercise (``when`` stays empty).
    """

    id: str = attrs.field(validator=_TEXT)
    when: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    reaches: Urgency | None = attrs.field(default=None, converter=_maybe_urgency)
    withholds: Selector | None = attrs.field(default=None, validator=_MAYBE_SELECTOR)
    cautions_or_withholds: Selector | None = attrs.field(default=None, validator=_MAYBE_SELECTOR)
    required: bool = attrs.field(default=False, validator=_FLAG)
    red_flags_withhold_all_from: Urgency | None = attrs.field(
        default=None, converter=_maybe_urgency
    )
    reason: str = attrs.field(default="", validator=_TEXT)
    """Why the clinician states it (shown with a failure)."""

    def claims(self) -> tuple[str, ...]:
        """Return the names of the claims this policy makes (one, when it is well formed)."""
        made = {
            "reaches": self.reaches is not None,
            "withholds": self.withholds is not None,
            "cautions_or_withholds": self.cautions_or_withholds is not None,
            "required": self.required,
            "red_flags_withhold_all_from": self.red_flags_withhold_all_from is not None,
        }
        return tuple(name for name, is_made in made.items() if is_made)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class UrgencyAdvice:
    """What to tell the person to do now, for each urgency."""

    none: str = attrs.field(default="", validator=_TEXT)
    routine: str = attrs.field(default="", validator=_TEXT)
    soon: str = attrs.field(default="", validator=_TEXT)
    same_day: str = attrs.field(default="", validator=_TEXT)
    emergency: str = attrs.field(default="", validator=_TEXT)

    def for_urgency(self, urgency: Urgency) -> str:
        """Return the advice text for ``urgency``."""
        text: str = getattr(self, urgency.value)
        return text

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class FollowUpRules:
    """How a follow-up moves each exercise along its steps, and every text it shows.

    The pain-monitoring model: pain during an exercise from 0 to ``green_max`` (safe) with the
    next morning not worse moves it one step up; up to ``amber_max`` (acceptable) keeps its
    step; above ``amber_max``, or a next morning that is worse, moves it one step down, and
    stops it at the first step. Clinics set the limits differently, so they are protocol data.
    Every other field is a text a person reads; ``check()`` refuses an empty one.
    """

    green_max: int = attrs.field(default=2, validator=_WHOLE)
    """The highest pain during an exercise (0-10) that is safe: the exercise may move on."""
    amber_max: int = attrs.field(default=5, validator=_WHOLE)
    """The highest pain during an exercise that is acceptable: the exercise keeps its step."""
    source: str = attrs.field(default="", validator=_TEXT)
    start: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise starts at its first step (new in this plan)."""
    progress: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise moves one step up (safe pain, next morning not worse)."""
    hold: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise keeps its step (acceptable pain, next morning not worse)."""
    hold_last_step: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise at its last step keeps it after a safe report."""
    not_done: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise not done since the last plan keeps its step."""
    not_reported: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise without a report (or without its pain) keeps its step."""
    regress: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise moves one step down (too much pain, or the next morning worse)."""
    stop: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise at its first step stops for now: the reason it is withheld."""
    resume: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise paused while questions were unanswered goes on at its step."""
    restart: str = attrs.field(default="", validator=_TEXT)
    """Why every exercise starts again at its first step under a new protocol version."""
    trend_worse: str = attrs.field(default="", validator=_TEXT)
    """The reason of the routine review when the ODI or the pain is worse than at the start."""
    trend_not_improving: str = attrs.field(default="", validator=_TEXT)
    """The reason of the routine review when, six weeks on, neither has improved."""
    trend_heading: str = attrs.field(default="", validator=_TEXT)
    """The heading of the trend in a plan's summary."""
    odi_label: str = attrs.field(default="", validator=_TEXT)
    pain_label: str = attrs.field(default="", validator=_TEXT)
    odi_down_10_points: str = attrs.field(default="", validator=_TEXT)
    odi_down_30_percent: str = attrs.field(default="", validator=_TEXT)
    odi_up_10_points: str = attrs.field(default="", validator=_TEXT)
    pain_down_2_points: str = attrs.field(default="", validator=_TEXT)
    pain_down_30_percent: str = attrs.field(default="", validator=_TEXT)
    pain_up_2_points: str = attrs.field(default="", validator=_TEXT)
    met: str = attrs.field(default="", validator=_TEXT)
    """The word shown beside a trend criterion that is met ("yes")."""
    not_met: str = attrs.field(default="", validator=_TEXT)
    """The word shown beside a trend criterion that is not met ("no")."""
    step_heading: str = attrs.field(default="", validator=_TEXT)
    """The heading of the list of follow-up decisions in a plan's summary."""
    pain_question: str = attrs.field(default="", validator=_TEXT)
    """The check-in's question for the pain now, 0 to 10."""
    days_question: str = attrs.field(default="", validator=_TEXT)
    """The check-in's question for the days since the last plan."""
    done_question: str = attrs.field(default="", validator=_TEXT)
    """The check-in's question whether an exercise was done."""
    pain_during_question: str = attrs.field(default="", validator=_TEXT)
    """The check-in's question for the pain while doing an exercise, 0 to 10."""
    next_morning_question: str = attrs.field(default="", validator=_TEXT)
    """The check-in's question how the back was the next morning."""
    better: str = attrs.field(default="", validator=_TEXT)
    same: str = attrs.field(default="", validator=_TEXT)
    worse: str = attrs.field(default="", validator=_TEXT)

    def texts(self) -> tuple[tuple[str, str], ...]:
        """Return ``(field, text)`` for every text a person reads."""
        return tuple(
            (f.name, getattr(self, f.name))
            for f in attrs.fields(type(self))
            if f.name not in _FOLLOW_UP_NUMBERS
        )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


_FOLLOW_UP_NUMBERS = frozenset({"green_max", "amber_max", "source"})


@attrs.frozen
class AgeBand:
    """Below the scope's minimum age: people younger than ``below`` are referred ``urgency``.

    ``advice`` (optional) is what such a person is told to do, in place of the protocol's
    plain advice for the urgency (a child is sent to a doctor, not to a physiotherapist).
    """

    below: int = attrs.field(validator=_WHOLE)
    urgency: Urgency = attrs.field(converter=_band_urgency)
    advice: str = attrs.field(default="", validator=_TEXT)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


_MAYBE_WHOLE = attrs.validators.optional(_WHOLE)


@attrs.frozen
class Scope:
    """Who the protocol is for, and what it does not cover.

    Below ``min_age`` a person is outside the scope: the engine gives no exercise, asks only
    the red flags, refers at least the urgency of the first band of ``under_age`` the age is
    below, and the advice says so (``Texts.out_of_scope``). This is outside the rule language,
    whose age facts stay "at least" thresholds.
    """

    intended_use: str = attrs.field(default="", validator=_TEXT)
    population: str = attrs.field(default="", validator=_TEXT)
    not_covered: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    """What the protocol does not cover, one line each."""
    min_age: int | None = attrs.field(default=None, validator=_MAYBE_WHOLE)
    under_age: tuple[AgeBand, ...] = attrs.field(default=(), validator=_tuple_of(AgeBand))
    """Urgency bands below ``min_age``, by ascending ``below``; the last is ``min_age``."""
    source: str = attrs.field(default="", validator=_TEXT)

    def band(self, age: int) -> Urgency | None:
        """Return the least urgency of a person of ``age``: ``None`` within the scope."""
        if self.min_age is None or age >= self.min_age:
            return None
        found = self.age_band(age)
        return Urgency.NONE if found is None else found.urgency

    def age_band(self, age: int) -> AgeBand | None:
        """Return the first band of ``under_age`` that ``age`` is below, if any."""
        if self.min_age is None or age >= self.min_age:
            return None
        # check() reports bands that do not reach min_age: such an age has none.
        return next((band for band in self.under_age if age < band.below), None)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class SafetyNet:
    """When to get help, shown with every plan but an emergency.

    ``emergency``: the signs that mean an emergency department now; ``today``: the signs that
    mean a doctor today; one sign each. ``review``: when to book a routine review.
    """

    emergency: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    today: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    review: str = attrs.field(default="", validator=_TEXT)
    source: str = attrs.field(default="", validator=_TEXT)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Texts:
    """Every fixed text a person reads that is not a question, a rule's or an exercise's.

    Python arranges these texts and writes none of its own: what a person reads is signed off
    with the protocol. :meth:`Protocol.check` reports each one missing (``missing-text``).
    """

    disclaimer: str = attrs.field(default="", validator=_TEXT)
    why_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the reasons for the plan's urgency."""
    answer_first_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the unanswered questions, when exercises wait for them."""
    answer_now_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the unanswered questions of a same-day plan: a yes may make it an emergency."""
    emergency_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the safety net's signs that mean an emergency department now."""
    today_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the safety net's signs that mean a doctor today."""
    exercises_heading: str = attrs.field(default="", validator=_TEXT)
    caution_label: str = attrs.field(default="", validator=_TEXT)
    self_management_heading: str = attrs.field(default="", validator=_TEXT)
    self_management: tuple[str, ...] = attrs.field(default=(), validator=_STRINGS)
    """Looking after yourself, one line each: shown with every plan that gives exercises."""
    not_for_now_heading: str = attrs.field(default="", validator=_TEXT)
    """Above the withheld exercises and why."""
    odi_label: str = attrs.field(default="", validator=_TEXT)
    start_back_label: str = attrs.field(default="", validator=_TEXT)
    protocol_label: str = attrs.field(default="", validator=_TEXT)
    unanswered: str = attrs.field(default="", validator=_TEXT)
    """The advice while questions are unanswered, below same day (before the urgency's)."""
    unanswered_same_day: str = attrs.field(default="", validator=_TEXT)
    """Added to a same-day advice while questions are unanswered."""
    none_suitable: str = attrs.field(default="", validator=_TEXT)
    """Added to the advice when every exercise is withheld."""
    out_of_scope: str = attrs.field(default="", validator=_TEXT)
    """The advice below the scope's minimum age (before the urgency's)."""
    under_age_reason: str = attrs.field(default="", validator=_TEXT)
    """Why a person below the minimum age gets no exercise (the reason of ``protocol.scope``)."""
    withheld_unanswered: str = attrs.field(default="", validator=_TEXT)
    """Why every exercise is withheld while questions are unanswered."""
    withheld_urgent: str = attrs.field(default="", validator=_TEXT)
    """Why every exercise is withheld at same day or emergency."""
    not_yet: str = attrs.field(default="", validator=_TEXT)
    """Why an exercise waits for another: followed by the title(s) of what unlocks it."""
    care_plan_title: str = attrs.field(default="", validator=_TEXT)
    """The title of the FHIR CarePlan of a plan."""
    no_exercise_advice: UrgencyAdvice = attrs.field(
        default=UrgencyAdvice(), validator=_instance(UrgencyAdvice)
    )
    """What to do at each urgency in a plan that gives no exercise: it never invites any."""
    odi_question: str = attrs.field(default="", validator=_TEXT)
    start_back_question: str = attrs.field(default="", validator=_TEXT)
    age_question: str = attrs.field(default="", validator=_TEXT)
    preference_question: str = attrs.field(default="", validator=_TEXT)

    def question(self, key: str) -> str:
        """Return the question text of an instrument or detail input (``odi``, ``age``, ...)."""
        text: str = getattr(self, f"{key}_question")
        return text

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


@attrs.frozen
class Protocol:
    """A versioned, reviewable set of exercises, facts and rules.

    Build one with :func:`backtriage.load_protocol` or take :func:`backtriage.default_protocol`.
    A protocol is plain data: equal fields mean an equal protocol, and it pickles. Its compiled
    form is built once, on first use; :meth:`check` lists every problem and
    :func:`backtriage.recommend` refuses a protocol that has any.
    """

    name: str = attrs.field(validator=_TEXT)
    version: str = attrs.field(validator=_TEXT)
    exercises: tuple[Exercise, ...] = attrs.field(validator=_tuple_of(Exercise))
    facts: tuple[Fact, ...] = attrs.field(validator=_tuple_of(Fact))
    rules: tuple[Rule, ...] = attrs.field(validator=_tuple_of(Rule))
    sources: tuple[Source, ...] = attrs.field(default=(), validator=_tuple_of(Source))
    description: str = attrs.field(default="", validator=_TEXT)
    require_odi: bool = attrs.field(default=False, validator=_FLAG)
    """Withhold every exercise until a scorable ODI is given."""
    require_start_back: bool = attrs.field(default=False, validator=_FLAG)
    """Withhold every exercise until the STarT Back answers are given."""
    require_age: bool = attrs.field(default=False, validator=_FLAG)
    """Withhold every exercise until the person's age is given."""
    safety: str = attrs.field(default="", validator=_TEXT)
    """Advice attached to every prescription (for example: stop if pain spreads)."""
    safety_source: str = attrs.field(default="", validator=_TEXT)
    advice: UrgencyAdvice = attrs.field(default=UrgencyAdvice(), validator=_instance(UrgencyAdvice))
    safety_net: SafetyNet = attrs.field(default=SafetyNet(), validator=_instance(SafetyNet))
    """When to get help, shown with every plan but an emergency."""
    policies: tuple[Policy, ...] = attrs.field(default=(), validator=_tuple_of(Policy))
    """The clinical intents the rules must meet; :meth:`check` proves each one."""
    format: int = attrs.field(default=2, validator=_WHOLE)
    """The format of the document (``FORMAT`` is the one this library reads; absent: 2)."""
    scope: Scope = attrs.field(default=Scope(), validator=_instance(Scope))
    texts: Texts = attrs.field(default=Texts(), validator=_instance(Texts))
    follow_up: FollowUpRules | None = attrs.field(
        default=None, validator=attrs.validators.optional(_instance(FollowUpRules))
    )
    """How a follow-up moves exercises along their steps; ``None``: no follow-up possible."""
    # What the layers above build from the fields (the compiled engine, the indexed inputs,
    # the static problems, the answers to queries) is a pure function of them: each layer
    # keeps its own here under its key, on first use (see ``cached``). One mapping per
    # protocol, filled only by the layers above, never compared, hashed, shown or pickled.
    _cache: dict[str, object] = attrs.field(
        init=False, factory=dict, repr=False, eq=False, hash=False, alias="_cache"
    )

    def __reduce__(self) -> tuple[type[Protocol], tuple[object, ...]]:
        # Pickled by its fields alone (process pools, Spark broadcast): what is built from
        # them is built again, on first use, wherever the copy is used; the fields are checked
        # again on the way in.
        fields = attrs.fields(type(self))
        return (type(self), tuple(getattr(self, f.name) for f in fields if f.init))

    def check(self) -> tuple[Problem, ...]:
        """Return every static problem of this protocol (empty when it is consistent)."""
        found = self._cache.get(PROBLEMS)
        if type(found) is tuple:  # the hot path of every plan: worked out once per protocol
            return found
        problems = _CHECK[0](self)
        self._cache[PROBLEMS] = problems
        return problems

    def exercise(self, exercise_id: str) -> Exercise:
        """Return the exercise with ``exercise_id`` (``KeyError`` when there is none)."""
        for exercise in self.exercises:  # the first one, as the engine reads them
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def fact(self, name: str) -> Fact:
        """Return the fact declaration named ``name`` (``KeyError`` when there is none)."""
        for fact in self.facts:
            if fact.name == name:
                return fact
        raise KeyError(name)

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


_T = typing.TypeVar("_T")

PROBLEMS = "problems"
"""The key of a protocol's static problems in its cache: a tuple of :class:`Problem`."""
DIGEST = "digest"
"""The key of a protocol's content hash in its cache: 64 hexadecimal digits of SHA-256."""


def cached(protocol: Protocol, key: str, kind: type[_T], build: Callable[[Protocol], _T]) -> _T:
    """Return what ``build`` makes of ``protocol``, made on first use and kept under ``key``.

    For the layers above the model: each keeps what it builds from a protocol (a pure function
    of its fields) in the protocol's one cache, under a key of its own. Two threads racing here
    store equal values.
    """
    found = protocol._cache.get(key)
    if isinstance(found, kind):
        return found
    made = build(protocol)
    protocol._cache[key] = made
    return made


_CHECK: list[Callable[[Protocol], tuple[Problem, ...]]] = []
"""How :meth:`Protocol.check` works out the problems of a protocol not checked yet.

The checks are a layer above the model (they evaluate the protocol with its engine), so the
model cannot import them: :mod:`backtriage.protocol`, the package above both, puts the one
function here when it is imported, before any protocol exists.
"""
