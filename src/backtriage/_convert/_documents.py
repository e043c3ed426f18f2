"""The documents of the instruments and the assessment: scores, answers, assessments, check-ins.

No instrument is named here: the questionnaires scored into levels are read from their
descriptions (``SCORED``, :class:`~backtriage.instruments._instrument.Documents`), the ratings
from theirs (``INSTRUMENTS``). The keys of an assessment and of a check-in are their classes'
fields, in order.
"""

from __future__ import annotations

import enum
import math
import operator
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

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
from backtriage.instruments._registry import INSTRUMENTS, SCORED

if typing.TYPE_CHECKING:
    from backtriage.instruments._instrument import Documents, ScoredInstrument

Reader: typing.TypeAlias = Callable[[Mapping[str, object], list[Exception]], object]
"""Reads one key of an assessment document, recording every problem in the list it is given."""

# -- scores -------------------------------------------------------------------------------------


def _score_keys(documents: Documents) -> tuple[tuple[str, Any], ...]:
    """Return the keys of a score document with their types, in the order written."""
    return (*documents.given, *documents.optional, *documents.derived)


_PLAIN: Final = frozenset({int, float, str, bool})


def _score_writer(documents: Documents) -> Callable[[Any], dict[str, object]]:
    """Return the function that writes a score as its document."""
    keys = tuple(key for key, _ in _score_keys(documents))
    getter = operator.attrgetter(*keys)
    # attrgetter of one name returns the value itself, of several a tuple: always a tuple.
    values_of: Callable[[Any], tuple[object, ...]] = (
        getter if len(keys) > 1 else lambda score: (getter(score),)
    )
    # A plain value is written as it is: no hook to call for it.
    hooks = tuple(
        None if kind in _PLAIN else converter.get_unstructure_hook(kind)
        for _, kind in _score_keys(documents)
    )

    def unstructure(score: Any) -> dict[str, object]:
        return {
            key: value if hook is None else hook(value)
            for key, hook, value in zip(keys, hooks, values_of(score), strict=True)
        }

    return unstructure


def _same_float(given: float, derived: float) -> bool:
    # A client may compute a derived number another way (100 * raw / max_raw instead of
    # 20 * raw / answered); both are within an ulp or two of the exact value, which no level's
    # boundary is near.
    return math.isclose(given, derived, rel_tol=1e-9, abs_tol=1e-9)


def _score_reader(documents: Documents) -> Callable[[object, type], object]:
    """Return the hook that reads a score document: the given keys, the derived ones checked."""
    cls = documents.score_class
    keys = tuple(key for key, _ in _score_keys(documents))
    sources = " and ".join(key for key, _ in documents.given)

    def structure(value: object, _: type) -> object:
        data = as_table(value, documents.score_words)
        check_keys(data, keys, cls)
        errors: list[Exception] = []
        fields = {key: attempt(errors, data, key, kind, cls) for key, kind in documents.given}
        for key, kind in documents.optional:
            if key in data:
                fields[key] = attempt(errors, data, key, kind, cls)
        raise_if(errors, cls)
        try:
            score = cls(**fields)
        except InvalidAnswerError as exc:
            raise StructureValueError(exc.value, exc.allowed, where=(exc.field,)) from None
        # The derived values are written for readers; on input they are checked, never trusted.
        for key, kind in documents.derived:
            if key not in data:
                continue
            given = attempt(errors, data, key, kind, cls)
            if given is MISSING:
                continue
            expected = getattr(score, key)
            same = _same_float(given, expected) if kind is float else given == expected
            if not same:
                # The derived value is the person's score: it is named, never given.
                errors.append(
                    StructureValueError(
                        data[key], f"the {key} derived from {sources}", where=(key,)
                    )
                )
        raise_if(errors, cls)
        return score

    return structure


_WRITE_SCORE: Final[dict[type, Callable[[Any], dict[str, object]]]] = {}
"""The writer of each registered score, by its class."""


# -- answers documents --------------------------------------------------------------------------


def _json_answer(answer: object) -> object:
    """Return one answer as JSON data: marks become a list, a named answer its value."""
    if isinstance(answer, tuple):
        return list(answer)
    if isinstance(answer, enum.StrEnum):
        return answer.value
    return answer


def _answers_writer(documents: Documents) -> Callable[[Any], dict[str, object]]:
    keys = documents.answer_keys

    def unstructure(answers: Any) -> dict[str, object]:
        return {key: _json_answer(getattr(answers, key)) for key in keys}

    return unstructure


def _answers_reader(documents: Documents) -> Callable[[object, type], object]:
    keys = documents.answer_keys

    def structure(value: object, _: type) -> object:
        if documents.answers_in_order and isinstance(value, list):
            if len(value) != len(keys):
                raise StructureValueError(value, f"{len(keys)} answers in canonical order")
            value = dict(zip(keys, value, strict=True))
        return _answers_document(value, documents.answers_class, keys, documents.answers_words)

    return structure


def _answers_document(value: object, cls: type, keys: tuple[str, ...], what: str) -> object:
    """Read an answers document: known keys only, each answer checked as the scorer checks it."""
    data = as_table(value, what)
    check_keys(data, keys, cls)
    errors: list[Exception] = []
    fields: dict[str, Any] = dict(data)
    for key, answer in fields.items():
        # Checked one by one, so that every bad answer is reported with its own path; the
        # instrument's own reader decides what is an answer (bool is not a code, ...).
        try:
            cls(**{key: answer})
        except InvalidAnswerError as exc:
            errors.append(StructureValueError(answer, exc.allowed, where=(key,)))
    raise_if(errors, cls)
    return cls(**fields)


def _register(documents: Documents) -> None:
    """Register the hooks of an instrument's score and answers documents."""
    write_score = _WRITE_SCORE[documents.score_class] = _score_writer(documents)
    converter.register_unstructure_hook(documents.score_class, write_score)
    converter.register_structure_hook(documents.score_class, _score_reader(documents))
    converter.register_unstructure_hook(documents.answers_class, _answers_writer(documents))
    converter.register_structure_hook(documents.answers_class, _answers_reader(documents))


for _instrument in SCORED:
    _register(_instrument.documents)


# -- an instrument's field in an assessment or a check-in ---------------------------------------


def _field_writer(documents: Documents) -> Callable[[object], object]:
    """Return the function that writes the field carrying an instrument: answers or a score."""
    write_score = _WRITE_SCORE[documents.score_class]
    order = {key: index for index, key in enumerate(documents.answer_keys)}

    def unstructure(value: object) -> object:
        if value is None:
            return None
        if isinstance(value, documents.score_class):
            return write_score(value)
        if isinstance(value, Mapping):
            # The assessment has checked every key; the instrument's order makes the output
            # stable.
            answers = {str(key): _json_answer(answer) for key, answer in value.items()}
            return {key: answers[key] for key in sorted(answers, key=order.__getitem__)}
        return [_json_answer(answer) for answer in typing.cast(tuple[object, ...], value)]

    return unstructure


def _field_reader(instrument: ScoredInstrument) -> Reader:
    """Return the reader of the field carrying an instrument in an assessment document."""
    key = instrument.key
    documents = instrument.documents
    holds_score = instrument.score_attribute == key

    def read(data: Mapping[str, object], errors: list[Exception]) -> object:
        value = data[key]
        if value is None or (documents.answers_in_order and isinstance(value, list)):
            return value
        if not isinstance(value, Mapping):
            errors.append(StructureValueError(value, documents.shapes_words, where=(key,)))
            return MISSING
        if documents.is_score(value):
            return attempt(errors, data, key, documents.score_class, Assessment)
        if not holds_score:
            return dict(value)  # the answers as given: Assessment scores them, naming a bad one
        # The field holds the score: the answers are scored now, each bad one reported here.
        try:
            return documents.score(value)
        except IncompleteError as exc:
            errors.append(
                StructureValueError(
                    value,
                    f"{documents.complete_words}; missing: " + ", ".join(exc.missing),
                    where=(key,),
                )
            )
        except InvalidAnswerError as exc:
            where: tuple[Part, ...] = (key,)
            if exc.field in documents.answer_keys:
                where = (key, exc.field)
            elif isinstance(exc.value, str):  # one unknown key
                where = (key, exc.value)
            errors.append(StructureValueError(exc.value, exc.allowed, where=where))
        return MISSING

    return read


# -- assessment ---------------------------------------------------------------------------------

_ASSESSMENT_KEYS: Final = tuple(field.name for field in attrs.fields(Assessment))
_SCORED_LATER: Final = tuple(
    instrument for instrument in SCORED if instrument.score_attribute != instrument.key
)
"""The instruments whose answers an assessment keeps, scoring them itself."""
_ANSWERS_KEPT: Final = frozenset(instrument.key for instrument in _SCORED_LATER)


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


def _assessment_error(exc: InvalidAnswerError, data: Mapping[str, object]) -> StructureValueError:
    """Return the error ``Assessment`` raised, at its path in the document."""
    where = _assessment_error_path(exc, data)
    if len(where) == 1 and where[0] in _ANSWERS_KEPT and isinstance(exc.value, str):
        where = (*where, exc.value)  # one unknown key of an instrument's answers
    unknown = exc.errors[0].problem == "unknown key"
    return StructureValueError(
        exc.value,
        exc.allowed,
        where=where,
        message=f"unknown key {shorten(exc.value)}" if unknown else None,
    )


def _assessment_error_path(exc: InvalidAnswerError, data: Mapping[str, object]) -> tuple[Part, ...]:
    """Return the JSON path, below the assessment, of a field named by ``Assessment``."""
    field = exc.field
    for instrument in _SCORED_LATER:
        keys = instrument.documents.answer_keys
        if field in keys:  # an answer, named by the scorer
            answers = data.get(instrument.key)
            return (instrument.key, keys.index(field) if isinstance(answers, list) else field)
    if field in _ASSESSMENT_KEYS:
        return (field,)
    # The answers as a whole, named by the scorer ("answers"): its path says whose they are.
    head = exc.path.removeprefix("$.").partition(".")[0].partition("[")[0]
    return (head,)


_READERS: Final[dict[str, Reader]] = {
    "red_flags": _red_flags_input,
    "findings": _findings_input,
    **{instrument.key: _field_reader(instrument) for instrument in SCORED},
}
_TYPES: Final[dict[str, Any]] = {
    "preference": Preference | None,
    "age": int | None,
    **{key: kind for instrument in SCORED for key, kind in instrument.documents.options},
    **{instrument.key: int | None for instrument in INSTRUMENTS},
}
_DERIVED: Final = {instrument.score_attribute: instrument for instrument in _SCORED_LATER}
_UNREAD = set(_ASSESSMENT_KEYS) - set(_READERS) - set(_TYPES) - set(_DERIVED)
if _UNREAD:  # pragma: no cover - a field added to Assessment without its reader
    raise AssertionError(f"no reader for the assessment's {sorted(_UNREAD)}")

# Read in this order: the readers first, then the typed keys, then the derived scores, each in
# the order of the fields, so that the first problem reported is the same whatever the input.
_ASSESSMENT_INPUTS: Final = tuple(
    (key, _READERS[key]) for key in _ASSESSMENT_KEYS if key in _READERS
)
_ASSESSMENT_TYPES: Final = tuple((key, _TYPES[key]) for key in _ASSESSMENT_KEYS if key in _TYPES)
_ASSESSMENT_DERIVED: Final = tuple(
    (key, _DERIVED[key]) for key in _ASSESSMENT_KEYS if key in _DERIVED
)

# Inputs whose readers above check every answer; the others are checked by Assessment.
_READ_IN_FULL: Final = frozenset(
    {
        "red_flags",
        "findings",
        *(instrument.key for instrument in SCORED if instrument.score_attribute == instrument.key),
    }
)


def _identity(value: object) -> object:
    return value


def _preference(value: Preference | None) -> object:
    return value.value if value else None


def _optional_score(documents: Documents) -> Callable[[object], object]:
    write = _WRITE_SCORE[documents.score_class]
    return lambda score: None if score is None else write(score)


_WRITERS: Final[dict[str, Callable[[Any], object]]] = {
    "red_flags": dict,
    "findings": dict,
    "preference": _preference,
    **{instrument.key: _field_writer(instrument.documents) for instrument in SCORED},
    **{key: _optional_score(instrument.documents) for key, instrument in _DERIVED.items()},
}
_ASSESSMENT_WRITERS: Final = tuple((key, _WRITERS.get(key, _identity)) for key in _ASSESSMENT_KEYS)


def _unstructure_assessment(assessment: Assessment) -> dict[str, object]:
    return {key: write(getattr(assessment, key)) for key, write in _ASSESSMENT_WRITERS}


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
    given_scores = [
        (
            key,
            instrument,
            attempt(errors, data, key, instrument.documents.score_class | None, Assessment),
        )
        for key, instrument in _ASSESSMENT_DERIVED
        if key in data
    ]
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
    for key, instrument, given_score in given_scores:
        derived = getattr(assessment, key)
        if given_score is not MISSING and given_score != derived:
            raise StructureValueError(
                data[key],
                f"null, as {instrument.input_words} given cannot be scored"
                if derived is None
                else f"the score of {instrument.input_words} given; {key} is derived and may be "
                "left out",
                where=(key,),
            )
    return assessment


converter.register_unstructure_hook(Assessment, _unstructure_assessment)
converter.register_structure_hook(Assessment, _structure_assessment)


# -- check-in -----------------------------------------------------------------------------------

_CHECK_IN_KEYS: Final = tuple(field.name for field in attrs.fields(CheckIn))
_CHECK_IN_REQUIRED: Final = tuple(
    field.name for field in attrs.fields(CheckIn) if field.default is attrs.NOTHING
)
_CHECK_IN_SCORED: Final = tuple(
    instrument for instrument in SCORED if instrument.key in _CHECK_IN_KEYS
)


def _unstructure_report(report: ExerciseReport) -> dict[str, object]:
    return {
        "done": report.done,
        "pain_during": report.pain_during,
        "next_morning": report.next_morning.value if report.next_morning else None,
    }


def _reports(reports: Mapping[str, ExerciseReport]) -> dict[str, object]:
    return {key: _unstructure_report(report) for key, report in reports.items()}


_CHECK_IN_WRITERS: Final = tuple(
    (key, {**_WRITERS, "exercises": _reports}.get(key, _identity)) for key in _CHECK_IN_KEYS
)


def _unstructure_check_in(check_in: CheckIn) -> dict[str, object]:
    return {key: write(getattr(check_in, key)) for key, write in _CHECK_IN_WRITERS}


def _structure_check_in(value: object, _: type) -> CheckIn:
    # CheckIn checks every value itself and names its JSON path; its error is the document's.
    data = as_table(value, "a check-in")
    check_keys(data, _CHECK_IN_KEYS, CheckIn)
    for key in _CHECK_IN_REQUIRED:
        if key not in data:
            raise InvalidAnswerError(
                f"$.{key}",
                None,
                f"a value ({', '.join(_CHECK_IN_REQUIRED[:-1])} and {_CHECK_IN_REQUIRED[-1]} "
                "are required)",
                problem="missing",
            )
    kwargs = dict(data)
    for instrument in _CHECK_IN_SCORED:
        given = data.get(instrument.key)
        if isinstance(given, Mapping) and instrument.documents.is_score(given):
            # Its errors are named below the instrument's key, as in an assessment.
            kwargs[instrument.key] = structure_field(
                data, instrument.key, instrument.documents.score_class, CheckIn
            )
    return CheckIn(**kwargs)


converter.register_unstructure_hook(ExerciseReport, _unstructure_report)
converter.register_unstructure_hook(CheckIn, _unstructure_check_in)
converter.register_structure_hook(CheckIn, _structure_check_in)
