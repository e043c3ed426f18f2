"""The documents of the instruments and the assessment: ODI and STarT Back scores, answers."""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final

from backtriage._convert._core import (
    MISSING,
    Part,
    StructureValueError,
    as_table,
    attempt,
    check_keys,
    converter,
    raise_if,
    structure_field,
)
from backtriage.assessment import Assessment, CheckIn, ExerciseReport, Preference
from backtriage.errors import (
    IncompleteError,
    InvalidAnswerError,
    shorten,
)
from backtriage.instruments._registry import INSTRUMENTS, check_in_instruments
from backtriage.instruments.odi import DisabilityBand, OdiAnswers, OdiScore, OdiSection
from backtriage.instruments.start_back import (
    Bothersomeness,
    StartBackAnswers,
    StartBackItem,
    StartBackRisk,
    StartBackScore,
    score_start_back,
)

# -- scores -------------------------------------------------------------------------------------

_ODI_SCORE_KEYS: Final = (
    "raw",
    "answered",
    "missing",
    "multiple_marks",
    "max_raw",
    "percent",
    "percent_rounded",
    "band",
)


def _unstructure_odi_score(score: OdiScore) -> dict[str, object]:
    return {
        "raw": score.raw,
        "answered": score.answered,
        "missing": [section.value for section in score.missing],
        "multiple_marks": [section.value for section in score.multiple_marks],
        "max_raw": score.max_raw,
        "percent": score.percent,
        "percent_rounded": score.percent_rounded,
        "band": score.band.value,
    }


def _same_percent(given: float, derived: float) -> bool:
    # A client may compute 100 * raw / max_raw instead of 20 * raw / answered; both are
    # within an ulp or two of the exact value, which no band boundary is near.
    return math.isclose(given, derived, rel_tol=1e-9, abs_tol=1e-9)


def _structure_odi_score(value: object, _: type) -> OdiScore:
    data = as_table(value, "an ODI score")
    check_keys(data, _ODI_SCORE_KEYS, OdiScore)
    errors: list[Exception] = []
    raw = attempt(errors, data, "raw", int, OdiScore)
    answered = attempt(errors, data, "answered", int, OdiScore)
    sections = tuple[OdiSection, ...]
    missing = attempt(errors, data, "missing", sections, OdiScore) if "missing" in data else ()
    marks = (
        attempt(errors, data, "multiple_marks", sections, OdiScore)
        if "multiple_marks" in data
        else ()
    )
    raise_if(errors, OdiScore)
    try:
        score = OdiScore(raw, answered, missing, marks)
    except InvalidAnswerError as exc:
        raise StructureValueError(exc.value, exc.allowed, where=(exc.field,)) from None
    # The derived values are written for readers; on input they are checked, never trusted.
    derived: tuple[tuple[str, Any, object], ...] = (
        ("max_raw", int, score.max_raw),
        ("percent", float, score.percent),
        ("percent_rounded", int, score.percent_rounded),
        ("band", DisabilityBand, score.band),
    )
    for key, kind, expected in derived:
        if key not in data:
            continue
        given = attempt(errors, data, key, kind, OdiScore)
        if given is MISSING:
            continue
        same = _same_percent(given, score.percent) if key == "percent" else given == expected
        if not same:
            # The derived value is the person's score: it is named, never given.
            errors.append(
                StructureValueError(
                    data[key], f"the {key} derived from raw and answered", where=(key,)
                )
            )
    raise_if(errors, OdiScore)
    return score


converter.register_unstructure_hook(OdiScore, _unstructure_odi_score)
converter.register_structure_hook(OdiScore, _structure_odi_score)

_START_BACK_SCORE_KEYS: Final = ("total", "psychosocial", "risk")


def _unstructure_start_back_score(score: StartBackScore) -> dict[str, object]:
    return {"total": score.total, "psychosocial": score.psychosocial, "risk": score.risk.value}


def _structure_start_back_score(value: object, _: type) -> StartBackScore:
    data = as_table(value, "a STarT Back score")
    check_keys(data, _START_BACK_SCORE_KEYS, StartBackScore)
    errors: list[Exception] = []
    total = attempt(errors, data, "total", int, StartBackScore)
    psychosocial = attempt(errors, data, "psychosocial", int, StartBackScore)
    raise_if(errors, StartBackScore)
    try:
        score = StartBackScore(total, psychosocial)
    except InvalidAnswerError as exc:
        raise StructureValueError(exc.value, exc.allowed, where=(exc.field,)) from None
    if "risk" in data:
        risk = structure_field(data, "risk", StartBackRisk, StartBackScore)
        if risk is not score.risk:
            raise StructureValueError(
                data["risk"],
                "the risk derived from total and psychosocial",
                where=("risk",),
            )
    return score


converter.register_unstructure_hook(StartBackScore, _unstructure_start_back_score)
converter.register_structure_hook(StartBackScore, _structure_start_back_score)


# -- answers documents --------------------------------------------------------------------------


def _unstructure_odi_answers(answers: OdiAnswers) -> dict[str, object]:
    return {
        section.value: list(value) if isinstance(value, tuple) else value
        for section, value in answers.by_section().items()
    }


def _structure_odi_answers(value: object, _: type) -> OdiAnswers:
    if isinstance(value, list):  # ten answers in canonical order, as score_odi takes them
        if len(value) != len(OdiSection):
            raise StructureValueError(value, f"{len(OdiSection)} answers in canonical order")
        value = {section.value: answer for section, answer in zip(OdiSection, value, strict=True)}
    return _answers_document(value, OdiAnswers, tuple(s.value for s in OdiSection), "ODI answers")


def _unstructure_start_back_answers(answers: StartBackAnswers) -> dict[str, object]:
    return {
        item.value: value.value if isinstance(value, Bothersomeness) else value
        for item, value in answers.by_item().items()
    }


def _structure_start_back_answers(value: object, _: type) -> StartBackAnswers:
    keys = tuple(item.value for item in StartBackItem)
    return _answers_document(value, StartBackAnswers, keys, "STarT Back answers")


_Answers = typing.TypeVar("_Answers", OdiAnswers, StartBackAnswers)


def _answers_document(
    value: object, cls: type[_Answers], keys: tuple[str, ...], what: str
) -> _Answers:
    """Read an answers document: known keys only, each answer checked as the scorer checks it."""
    data = as_table(value, what)
    check_keys(data, keys, cls)
    errors: list[Exception] = []
    fields: dict[str, Any] = dict(data)
    for key, answer in fields.items():
        # Checked one by one, so that every bad answer is reported with its own path; the
        # instrument's own reader decides what is an answer (bool is not an ODI code, ...).
        try:
            cls(**{key: answer})
        except InvalidAnswerError as exc:
            errors.append(StructureValueError(answer, exc.allowed, where=(key,)))
    raise_if(errors, cls)
    return cls(**fields)


converter.register_unstructure_hook(OdiAnswers, _unstructure_odi_answers)
converter.register_structure_hook(OdiAnswers, _structure_odi_answers)
converter.register_unstructure_hook(StartBackAnswers, _unstructure_start_back_answers)
converter.register_structure_hook(StartBackAnswers, _structure_start_back_answers)


# -- assessment ---------------------------------------------------------------------------------

_ASSESSMENT_KEYS: Final = (
    "odi",
    "red_flags",
    "findings",
    "preference",
    "start_back",
    "age",
    "odi_max_missing",
    *(instrument.key for instrument in INSTRUMENTS),
    "odi_score",
)
_SECTION_INDEX: Final = {section.value: i for i, section in enumerate(OdiSection)}
_ITEM_KEYS: Final = frozenset(item.value for item in StartBackItem)


def _json_answer(answer: object) -> object:
    """Return one ODI answer as JSON data: marks become a list, everything else is kept."""
    if isinstance(answer, tuple):
        return list(answer)
    return answer


def _unstructure_odi_input(odi: object) -> object:
    if odi is None:
        return None
    if isinstance(odi, OdiScore):
        return _unstructure_odi_score(odi)
    if isinstance(odi, Mapping):
        # Assessment has checked every key; canonical order makes the output stable.
        answers = {str(key): _json_answer(value) for key, value in odi.items()}
        return {key: answers[key] for key in sorted(answers, key=_SECTION_INDEX.__getitem__)}
    return [_json_answer(value) for value in typing.cast(tuple[object, ...], odi)]


def _unstructure_assessment(assessment: Assessment) -> dict[str, object]:
    return {
        "odi": _unstructure_odi_input(assessment.odi),
        "red_flags": dict(assessment.red_flags),
        "findings": dict(assessment.findings),
        "preference": assessment.preference.value if assessment.preference else None,
        "start_back": (
            _unstructure_start_back_score(assessment.start_back)
            if assessment.start_back is not None
            else None
        ),
        "age": assessment.age,
        "odi_max_missing": assessment.odi_max_missing,
        **{instrument.key: getattr(assessment, instrument.key) for instrument in INSTRUMENTS},
        "odi_score": (
            _unstructure_odi_score(assessment.odi_score)
            if assessment.odi_score is not None
            else None
        ),
    }


_ODI_SHAPES = (
    "an object of section key to answer, a list of ten answers, an ODI score object, or null"
)


def _odi_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    odi = data["odi"]
    if odi is None or isinstance(odi, list):
        return odi
    if isinstance(odi, Mapping):
        if "raw" in odi or "answered" in odi:  # a score, not answers: no section has those keys
            return attempt(errors, data, "odi", OdiScore, Assessment)
        return dict(odi)
    errors.append(StructureValueError(odi, _ODI_SHAPES, where=("odi",)))
    return MISSING


def _red_flags_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    flags = data["red_flags"]
    if not isinstance(flags, Mapping):
        errors.append(
            StructureValueError(
                flags, "an object of red-flag key to true, false or null", where=("red_flags",)
            )
        )
        return MISSING
    # Checked here as well as by Assessment so that every bad answer is reported at once, in
    # JSON words: a red flag is answered true or false, and null is "not answered", never "no".
    for key, answer in flags.items():
        if answer is not None and type(answer) is not bool:
            errors.append(
                StructureValueError(
                    answer, "true, false or null (not answered)", where=("red_flags", key)
                )
            )
    return flags


def _findings_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    findings = data["findings"]
    if isinstance(findings, Mapping):
        # Like red flags: every answer is kept, so that a misspelt key answered false is
        # still refused by recommend() after a round trip.
        for key, answer in findings.items():
            if answer is not None and type(answer) is not bool:
                errors.append(
                    StructureValueError(
                        answer, "true, false or null (not known)", where=("findings", key)
                    )
                )
        return findings
    if not isinstance(findings, list):
        errors.append(
            StructureValueError(
                findings,
                "an object of finding and capability name to true, false or null, "
                "or a list of the names that hold",
                where=("findings",),
            )
        )
        return MISSING
    # Schema version 1 wrote the names that hold as a list; they still mean "these hold".
    for index, name in enumerate(findings):
        if type(name) is not str:
            errors.append(StructureValueError(name, "a string", where=("findings", index)))
    return findings


def _start_back_input(data: Mapping[str, object], errors: list[Exception]) -> object:
    value = data["start_back"]
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.append(
            StructureValueError(
                value,
                "an object of the nine item answers, a STarT Back score object, or null",
                where=("start_back",),
            )
        )
        return MISSING
    if not _ITEM_KEYS.intersection(value) and set(value) & set(_START_BACK_SCORE_KEYS):
        return attempt(errors, data, "start_back", StartBackScore, Assessment)
    try:
        return score_start_back(value)
    except IncompleteError as exc:
        errors.append(
            StructureValueError(
                value,
                "all nine items answered; missing: " + ", ".join(exc.missing),
                where=("start_back",),
            )
        )
    except InvalidAnswerError as exc:
        where: tuple[Part, ...] = ("start_back",)
        if exc.field in _ITEM_KEYS:
            where = ("start_back", exc.field)
        elif isinstance(exc.value, str):  # one unknown item key
            where = ("start_back", exc.value)
        errors.append(StructureValueError(exc.value, exc.allowed, where=where))
    return MISSING


def _assessment_error(exc: InvalidAnswerError, data: Mapping[str, object]) -> StructureValueError:
    """Return the error ``Assessment`` raised, at its path in the document."""
    where = _assessment_error_path(exc.field, data.get("odi"))
    if where == ("odi",) and isinstance(exc.value, str):
        where = ("odi", exc.value)  # one unknown section key
    unknown = exc.errors[0].problem == "unknown key"
    return StructureValueError(
        exc.value,
        exc.allowed,
        where=where,
        message=f"unknown key {shorten(exc.value)}" if unknown else None,
    )


def _assessment_error_path(field: str, odi: object) -> tuple[Part, ...]:
    """Return the JSON path, below the assessment, of a field named by ``Assessment``."""
    if field in _SECTION_INDEX:  # an answer, named by score_odi
        return ("odi", _SECTION_INDEX[field] if isinstance(odi, list) else field)
    if field in _ASSESSMENT_KEYS:
        return (field,)
    return ("odi",)  # score_odi's "answers": the ODI as a whole is malformed


_ASSESSMENT_INPUTS: Final[
    tuple[tuple[str, Callable[[Mapping[str, object], list[Exception]], object]], ...]
] = (
    ("odi", _odi_input),
    ("red_flags", _red_flags_input),
    ("findings", _findings_input),
    ("start_back", _start_back_input),
)
_ASSESSMENT_TYPES: Final[tuple[tuple[str, Any], ...]] = (
    ("preference", Preference | None),
    ("age", int | None),
    ("odi_max_missing", int),
    *((instrument.key, int | None) for instrument in INSTRUMENTS),
)


# Inputs whose readers above check every answer; the others are checked by Assessment.
_READ_IN_FULL: Final = frozenset({"red_flags", "findings", "start_back"})


def _structure_assessment(value: object, _: type) -> Assessment:
    data = as_table(value, "an assessment")
    check_keys(data, _ASSESSMENT_KEYS, Assessment)
    errors: list[Exception] = []
    kwargs: dict[str, object] = {}
    for key, read in _ASSESSMENT_INPUTS:
        if key in data:
            kwargs[key] = read(data, errors)
    for key, kind in _ASSESSMENT_TYPES:
        if key in data:
            kwargs[key] = attempt(errors, data, key, kind, Assessment)
    given_score = (
        attempt(errors, data, "odi_score", OdiScore | None, Assessment)
        if "odi_score" in data
        else MISSING
    )
    if errors:
        # Every problem at once: each field that was read is checked on its own too.
        for key, given in kwargs.items():
            if given is not MISSING and key not in _READ_IN_FULL:
                try:
                    Assessment(**{key: given})
                except InvalidAnswerError as exc:
                    errors.append(_assessment_error(exc, data))
        raise_if(errors, Assessment)
    try:
        assessment = Assessment(**kwargs)
    except InvalidAnswerError as exc:
        raise _assessment_error(exc, data) from None
    if given_score is not MISSING and given_score != assessment.odi_score:
        derived = assessment.odi_score
        raise StructureValueError(
            data["odi_score"],
            "null, as the ODI given cannot be scored"
            if derived is None
            else "the score of the ODI given; odi_score is derived and may be left out",
            where=("odi_score",),
        )
    return assessment


converter.register_unstructure_hook(Assessment, _unstructure_assessment)
converter.register_structure_hook(Assessment, _structure_assessment)


# -- check-in -----------------------------------------------------------------------------------

_CHECK_IN_RATINGS: Final = tuple(instrument.key for instrument in check_in_instruments())
_CHECK_IN_REQUIRED: Final = ("red_flags", *_CHECK_IN_RATINGS, "days")
_CHECK_IN_KEYS: Final = (*_CHECK_IN_REQUIRED, "findings", "exercises", "odi", "age")


def _unstructure_report(report: ExerciseReport) -> dict[str, object]:
    return {
        "done": report.done,
        "pain_during": report.pain_during,
        "next_morning": report.next_morning.value if report.next_morning else None,
    }


def _unstructure_check_in(check_in: CheckIn) -> dict[str, object]:
    return {
        "red_flags": dict(check_in.red_flags),
        **{key: getattr(check_in, key) for key in _CHECK_IN_RATINGS},
        "days": check_in.days,
        "findings": dict(check_in.findings),
        "exercises": {key: _unstructure_report(r) for key, r in check_in.exercises.items()},
        "odi": _unstructure_odi_input(check_in.odi),
        "age": check_in.age,
    }


def _structure_check_in(value: object, _: type) -> CheckIn:
    # CheckIn checks every value itself and names its JSON path; its error is the document's.
    data = as_table(value, "a check-in")
    check_keys(data, _CHECK_IN_KEYS, CheckIn)
    for key in _CHECK_IN_REQUIRED:
        if key not in data:
            raise InvalidAnswerError(
                f"$.{key}",
                None,
                f"a value ({', '.join(_CHECK_IN_REQUIRED[:-1])} and days are required)",
                problem="missing",
            )
    odi = data.get("odi")
    kwargs = dict(data)
    if isinstance(odi, Mapping) and ("raw" in odi or "answered" in odi):
        kwargs["odi"] = converter.structure(odi, OdiScore)
    return CheckIn(**kwargs)


converter.register_unstructure_hook(ExerciseReport, _unstructure_report)
converter.register_unstructure_hook(CheckIn, _unstructure_check_in)
converter.register_structure_hook(CheckIn, _structure_check_in)
