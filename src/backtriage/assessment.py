"""What an app knows about a person: raw answers, checked once when they enter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from itertools import pairwise
from operator import itemgetter
from types import MappingProxyType
from typing import TypeAlias

import attrs

from backtriage._values import value_eq, value_hash, value_repr
from backtriage.errors import IncompleteError, InvalidAnswerError, json_path
from backtriage.instruments.odi import OdiScore, OdiSection, score_odi
from backtriage.instruments.pain import check_pain
from backtriage.instruments.start_back import StartBackScore, score_start_back

__all__ = [
    "Assessment",
    "CheckIn",
    "ExerciseReport",
    "NextMorning",
    "Preference",
    "canonical",
    "carried_over",
]


class Preference(StrEnum):
    """A directional preference: the movement that eases the person's symptoms."""

    EXTENSION = "extension"
    FLEXION = "flexion"
    LATERAL = "lateral"


# Strings: typing generics cost import time, and these are for type checkers only.
OdiInput: TypeAlias = "Mapping[str, object] | Sequence[object] | OdiScore"
StartBackInput: TypeAlias = "Mapping[str, object] | StartBackScore"

_NO_ANSWERS: Mapping[str, bool | None] = MappingProxyType({})


def _freeze_odi(value: object) -> object:
    """Keep the ODI answers as given, but immutable."""
    if value is None or isinstance(value, OdiScore):
        return value
    if isinstance(value, Mapping):
        frozen: dict[object, object] = {}
        for key, answer in value.items():
            # "walking" and OdiSection.WALKING are one key of a dict: from a mapping that is not
            # a dict, the later answer would silently win. Refused, as for red flags.
            if key in frozen:
                raise InvalidAnswerError(
                    f"odi.{key}",
                    answer,
                    "each section key once (as a str or an OdiSection member)",
                    problem="section answered twice",
                    path=json_path("odi", str(key)),
                )
            frozen[key] = tuple(sorted(answer)) if _is_marks(answer) else answer
        return MappingProxyType(frozen)
    if isinstance(value, list | tuple):
        return tuple(tuple(sorted(v)) if _is_marks(v) else v for v in value)
    raise InvalidAnswerError(
        "odi", value, "a mapping of section keys to answers, a sequence of ten answers, or None"
    )


def _is_marks(value: object) -> bool:
    # Sorted only when every mark is an int (or an IntEnum member), so that a bad mark still
    # reaches score_odi and is reported there with its section.
    return isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def _freeze_answers(value: object, field: str, noun: str) -> Mapping[str, bool | None]:
    """Freeze yes/no answers keyed by name: ``True``, ``False`` or ``None`` (not answered).

    Sorted by key, so that the same answers give the same mapping (and the same error) in any
    order; a key given twice (``"fever"`` and a StrEnum ``FEVER`` from a mapping that is not a
    dict) is refused rather than settled by whichever came last.
    """
    if not isinstance(value, Mapping):
        raise InvalidAnswerError(field, value, f"a mapping of {noun}s to True, False or None")
    for key in value:
        if not isinstance(key, str):
            raise InvalidAnswerError(field, key, f"{noun}s as strings")
    items = sorted(value.items(), key=itemgetter(0))
    for (key, _), (following, _) in pairwise(items):
        if key == following:
            raise InvalidAnswerError(
                f"{field}.{key}",
                value,
                f"each {noun} once (as a str or an enum member)",
                problem="answered twice",
                path=json_path(field, key),
            )
    for key, answer in items:
        # Answered yes or no; 1, "yes" or "no" are not answers, and None (not answered) is
        # kept so that it is reported as missing where required, never read as no.
        if answer is not None and type(answer) is not bool:
            raise InvalidAnswerError(
                f"{field}.{key}",
                answer,
                "True, False or None (not answered)",
                path=json_path(field, key),
            )
    return MappingProxyType({str(key): answer for key, answer in items})


def _freeze_red_flags(value: object) -> Mapping[str, bool | None]:
    if value is None:  # nothing asked yet: every required red flag is then missing
        return _NO_ANSWERS
    return _freeze_answers(value, "red_flags", "red-flag key")


def _freeze_findings(value: object) -> Mapping[str, bool | None]:
    if value is None:
        return _NO_ANSWERS
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidAnswerError(
            "findings",
            value,
            "a mapping of finding and capability names to True, False or None, "
            "or a set of the names that hold",
        )
    if not isinstance(value, Mapping):
        # A set or list of names: these hold. Every other name is not answered.
        names = tuple(value)
        for name in names:
            if not isinstance(name, str):
                raise InvalidAnswerError("findings", name, "finding or capability names as strings")
        value = dict.fromkeys(names, True)
    return _freeze_answers(value, "findings", "finding or capability name")


def _to_preference(value: object) -> Preference | None:
    if value is None or isinstance(value, Preference):
        return value
    if isinstance(value, str):
        try:
            return Preference(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(p.value) for p in Preference)
    raise InvalidAnswerError("preference", value, f"one of {allowed}, or None (not known)")


def _to_age(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= 130:
        raise InvalidAnswerError("age", value, "whole years from 0 to 130, or None")
    return value


def _to_pain(value: object) -> int | None:
    return None if value is None else check_pain(value)


def _score_or_none(odi: object, max_missing: int) -> OdiScore | None:
    if odi is None:
        return None
    if isinstance(odi, OdiScore):
        # A score made elsewhere answers to this assessment's limit too: nine gaps allowed by
        # another scorer must not pass where one is allowed.
        return odi if len(odi.missing) <= max_missing else None
    try:
        return score_odi(odi, max_missing=max_missing)  # type: ignore[arg-type]
    except IncompleteError:
        return None


def _to_start_back(value: object) -> StartBackScore | None:
    if value is None or isinstance(value, StartBackScore):
        return value
    if isinstance(value, Mapping):
        return score_start_back(value)
    raise InvalidAnswerError(
        "start_back", value, "a mapping of the nine item keys to answers, or None"
    )


def _to_max_missing(value: object) -> int:
    if type(value) is not int or value < 0:
        raise InvalidAnswerError("odi_max_missing", value, "a whole number of 0 or more")
    return value


@attrs.frozen
class Assessment:
    """Raw answers from an app, checked when the assessment is made.

    - ``odi``: ODI answers as :func:`~backtriage.score_odi` takes them (mapping or ten-item
      sequence), an :class:`~backtriage.OdiScore` (held to ``odi_max_missing`` like answers), or
      ``None`` when not asked yet.
    - ``red_flags``: every red-flag key of the protocol answered ``True`` or ``False``; an
      absent key or ``None`` is *not answered*, never "no".
    - ``findings``: findings and capabilities answered ``True``, ``False`` or ``None`` (not
      known), as a mapping like ``red_flags``; a set or list of names means "these hold".
      Kept as a read-only mapping sorted by name, so that equal assessments give equal plans.
      A finding the protocol requires is *not answered* while absent or ``None``.
    - ``preference``: ``"extension"``, ``"flexion"``, ``"lateral"`` or ``None``.
    - ``start_back``: STarT Back answers (all nine items) or a score, or ``None``.
    - ``age``: whole years, or ``None``.
    - ``odi_max_missing``: how many ODI sections may be unanswered (default 1, as AO's scorer).
    - ``pain``: pain now on the 0-10 numeric rating scale, or ``None``; the baseline a
      follow-up measures the pain trend against.

    Values are checked here, without a protocol: a bad ODI answer, a red flag answered ``1``
    or ``"yes"``, an unknown preference raise :class:`~backtriage.InvalidAnswerError`. Whether
    each key belongs to the protocol is checked by :func:`~backtriage.recommend`. An ODI with
    too many unanswered sections is kept: the plan then lists ``odi`` as missing.
    """

    odi: object = attrs.field(default=None, converter=_freeze_odi, hash=False)
    red_flags: Mapping[str, bool | None] = attrs.field(
        default=_NO_ANSWERS, converter=_freeze_red_flags, hash=False
    )
    findings: Mapping[str, bool | None] = attrs.field(
        default=_NO_ANSWERS, converter=_freeze_findings, hash=False
    )
    preference: Preference | None = attrs.field(default=None, converter=_to_preference)
    start_back: StartBackScore | None = attrs.field(default=None, converter=_to_start_back)
    age: int | None = attrs.field(default=None, converter=_to_age)
    odi_max_missing: int = attrs.field(default=1, converter=_to_max_missing)
    pain: int | None = attrs.field(default=None, converter=_to_pain)
    odi_score: OdiScore | None = attrs.field(init=False)
    """The ODI score, or ``None`` when the ODI is absent or has too many missing sections."""

    def __attrs_post_init__(self) -> None:
        # Scoring here both validates every answer and spares recommend() doing it again.
        object.__setattr__(self, "odi_score", _score_or_none(self.odi, self.odi_max_missing))

    def __reduce__(self) -> tuple[type[Assessment], tuple[object, ...]]:
        # Made again from its answers (pickle, copy, multiprocessing): the read-only mappings
        # held here cannot be pickled themselves, and every check runs again on the way in.
        odi = dict(self.odi) if isinstance(self.odi, Mapping) else self.odi
        return (
            type(self),
            (
                odi,
                dict(self.red_flags),
                dict(self.findings),
                self.preference,
                self.start_back,
                self.age,
                self.odi_max_missing,
                self.pain,
            ),
        )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


class NextMorning(StrEnum):
    """How the back felt the morning after an exercise, compared with before it."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


def _to_done(value: object) -> bool:
    if type(value) is not bool:
        raise InvalidAnswerError("done", value, "True or False")
    return value


def _to_pain_during(value: object) -> int | None:
    return None if value is None else check_pain(value, "pain_during")


def _to_next_morning(value: object) -> NextMorning | None:
    if value is None or isinstance(value, NextMorning):
        return value
    if type(value) is str:
        try:
            return NextMorning(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(m.value) for m in NextMorning)
    raise InvalidAnswerError("next_morning", value, f"one of {allowed}, or None (not reported)")


@attrs.frozen
class ExerciseReport:
    """How one exercise of the plan went since the plan: a part of a :class:`CheckIn`.

    - ``done``: whether it was done at all (``True`` or ``False``);
    - ``pain_during``: the pain while doing it, 0 to 10, or ``None`` (not reported);
    - ``next_morning``: ``"better"``, ``"same"`` or ``"worse"`` than before, or ``None``.

    An exercise not done has no pain or next morning to report: giving one is refused. A done
    exercise with a part missing is "not reported" for that part, never the best answer.
    """

    done: bool = attrs.field(converter=_to_done)
    pain_during: int | None = attrs.field(default=None, converter=_to_pain_during)
    next_morning: NextMorning | None = attrs.field(default=None, converter=_to_next_morning)

    def __attrs_post_init__(self) -> None:
        if not self.done and (self.pain_during is not None or self.next_morning is not None):
            raise InvalidAnswerError(
                "pain_during" if self.pain_during is not None else "next_morning",
                self.pain_during if self.pain_during is not None else self.next_morning,
                "None when the exercise was not done",
                problem="reported for an exercise not done",
            )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def _report(key: str, value: object) -> ExerciseReport:
    if isinstance(value, ExerciseReport):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in _REPORT_KEYS)
        if unknown:
            raise InvalidAnswerError(
                f"$.exercises.{key}.{unknown[0]}",
                unknown[0],
                "done, pain_during and next_morning",
                problem="unknown key",
            )
        try:
            return ExerciseReport(**{str(k): v for k, v in value.items()})
        except InvalidAnswerError as exc:
            raise _below(exc, "exercises", key) from None
        except TypeError:  # "done" left out
            raise InvalidAnswerError(
                json_path("exercises", key, "done"), None, "True or False", problem="missing"
            ) from None
    raise InvalidAnswerError(
        json_path("exercises", key),
        value,
        "an ExerciseReport, or a mapping of done, pain_during and next_morning",
    )


_REPORT_KEYS = frozenset({"done", "pain_during", "next_morning"})


def _below(exc: InvalidAnswerError, *parts: str) -> InvalidAnswerError:
    """Return ``exc`` with its field placed below ``parts`` (a report inside a check-in)."""
    return InvalidAnswerError(
        json_path(*parts, exc.field.removeprefix("$.")),
        exc.value,
        exc.allowed,
        problem=exc.errors[0].problem,
    )


def _to_reports(value: object) -> Mapping[str, ExerciseReport]:
    if not isinstance(value, Mapping):
        raise InvalidAnswerError(
            "exercises", value, "a mapping of exercise ids (of the plan) to ExerciseReport"
        )
    reports: dict[str, ExerciseReport] = {}
    for key, report in sorted(value.items(), key=lambda item: str(item[0])):
        if not isinstance(key, str):
            raise InvalidAnswerError("exercises", key, "exercise ids as strings")
        if key in reports:
            raise InvalidAnswerError(
                json_path("exercises", key), key, "each exercise once", problem="reported twice"
            )
        reports[str(key)] = _report(key, report)
    return MappingProxyType(reports)


def _to_check_in_pain(value: object) -> int:
    if value is None:
        raise InvalidAnswerError("pain", value, "a whole number from 0 to 10", problem="missing")
    return check_pain(value)


def _to_days(value: object) -> int:
    if type(value) is not int or value < 0:
        raise InvalidAnswerError("days", value, "a whole number of days, 0 or more")
    return value


def _to_check_in_odi(value: object) -> object:
    frozen = _freeze_odi(value)
    if frozen is not None and not isinstance(frozen, OdiScore):
        # Every answer is checked now, so that a bad one is refused before any follow-up.
        _score_or_none(frozen, 10)
    return frozen


@attrs.frozen
class CheckIn:
    """What a person reports at a follow-up: a full triage again, and how each exercise went.

    - ``red_flags``: every red flag asked again, each ``True`` or ``False``; an absent key or
      ``None`` is *not answered*, never "no", and withholds every exercise.
    - ``findings``: the findings that changed (``True``, ``False``, or ``None``: no longer
      known); the plan's other answers carry over.
    - ``pain``: pain now on the 0-10 numeric rating scale (required).
    - ``exercises``: for exercises of the plan followed up, an :class:`ExerciseReport` (or a
      mapping with its fields); an exercise without a report keeps its step.
    - ``odi``: the ODI again, as :class:`Assessment` takes it, or ``None`` (the last carries).
    - ``days``: whole days since the plan it follows, 0 or more.
    - ``age``: the age when it has changed, or ``None`` (it carries over).

    Values are checked here; whether each key belongs to the plan and the protocol is checked by
    :func:`~backtriage.follow_up`. Bad input raises :class:`~backtriage.InvalidAnswerError`
    with the path of the bad value (``$.exercises.knee_sways.pain_during``).
    """

    red_flags: Mapping[str, bool | None] = attrs.field(converter=_freeze_red_flags, hash=False)
    pain: int = attrs.field(converter=_to_check_in_pain)
    days: int = attrs.field(converter=_to_days)
    findings: Mapping[str, bool | None] = attrs.field(
        default=_NO_ANSWERS, converter=_freeze_findings, hash=False
    )
    exercises: Mapping[str, ExerciseReport] = attrs.field(
        default=MappingProxyType({}), converter=_to_reports, hash=False
    )
    odi: object = attrs.field(default=None, converter=_to_check_in_odi, hash=False)
    age: int | None = attrs.field(default=None, converter=_to_age)

    def __reduce__(self) -> tuple[type[CheckIn], tuple[object, ...]]:
        # Made again from its answers, as an Assessment is: read-only mappings do not pickle.
        odi = dict(self.odi) if isinstance(self.odi, Mapping) else self.odi
        return (
            type(self),
            (
                dict(self.red_flags),
                self.pain,
                self.days,
                dict(self.findings),
                dict(self.exercises),
                odi,
                self.age,
            ),
        )

    __repr__ = value_repr
    __eq__ = value_eq
    __hash__ = value_hash


def carried_over(previous: Assessment, check_in: CheckIn) -> Assessment:
    """Return the answers of ``check_in``, ``previous``'s answers carried over where unchanged.

    The red flags and the pain are the check-in's (red flags are never carried over); the
    findings are ``previous``'s changed by the check-in's; the ODI is the check-in's when
    given, else the last one measured (already scored); the age is the check-in's when given;
    the preference, STarT Back and ``odi_max_missing`` carry over. Both were checked when they
    were made, so the answers are not checked again: only the new ODI is scored.
    """
    findings = previous.findings
    if check_in.findings:
        merged = {**findings, **check_in.findings}
        findings = MappingProxyType(dict(sorted(merged.items(), key=itemgetter(0))))
    if check_in.odi is not None:
        odi: object = check_in.odi
        score = _score_or_none(odi, previous.odi_max_missing)
    elif previous.odi_score is not None:
        odi = score = previous.odi_score  # the last measured ODI, already scored
    else:
        odi, score = previous.odi, None
    answers = object.__new__(Assessment)
    put = object.__setattr__  # every field, as __init__ would set them
    put(answers, "odi", odi)
    put(answers, "red_flags", check_in.red_flags)
    put(answers, "findings", findings)
    put(answers, "preference", previous.preference)
    put(answers, "start_back", previous.start_back)
    put(answers, "age", check_in.age if check_in.age is not None else previous.age)
    put(answers, "odi_max_missing", previous.odi_max_missing)
    put(answers, "pain", check_in.pain)
    put(answers, "odi_score", score)
    return answers


def canonical(assessment: Assessment) -> Assessment:
    """Return ``assessment`` with its answers in one form.

    The ODI as its score (also when too many sections are unanswered for this assessment's
    limit, which still refuses it; ``None`` when none is answered); red flags and findings without the ones not answered (``None``
    and absent mean the same). Two assessments with the same answers in other forms give the
    same plan; a plan keeps its answers in this form, so that they compare equal too. Nothing
    is checked again.
    """
    odi = assessment.odi
    if assessment.odi_score is not None:
        odi = assessment.odi_score
    elif odi is not None and not isinstance(odi, OdiScore):
        # Too many sections unanswered: kept as the score of what was answered, which this
        # assessment's limit still refuses; nothing answered at all is not asked.
        try:
            odi = score_odi(odi, max_missing=len(OdiSection))  # type: ignore[arg-type]
        except IncompleteError:
            odi = None
    red_flags = _answered(assessment.red_flags)
    findings = _answered(assessment.findings)
    if odi is assessment.odi and red_flags is None and findings is None:
        return assessment
    copy = object.__new__(Assessment)
    for field in attrs.fields(Assessment):
        object.__setattr__(copy, field.name, getattr(assessment, field.name))
    object.__setattr__(copy, "odi", odi)
    if red_flags is not None:
        object.__setattr__(copy, "red_flags", red_flags)
    if findings is not None:
        object.__setattr__(copy, "findings", findings)
    return copy


def _answered(answers: Mapping[str, bool | None]) -> Mapping[str, bool | None] | None:
    """Return ``answers`` without the unanswered ones, or ``None`` when all are answered."""
    if None not in answers.values():
        return None
    return MappingProxyType({k: v for k, v in answers.items() if v is not None})
