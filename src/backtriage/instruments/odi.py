"""Score the Oswestry Disability Index (ODI) and compare two scores.

Versions 1.0, 2.0 and 2.1a are scored identically; the "modified" Oswestry and other variants
are different instruments and must not be scored here. Only section keys, short section titles
and numeric statement codes (0 for the first statement, 5 for the last) live in this module: the
statement wording is licensed (ODI (c) Jeremy Fairbank, Mapi Research Trust) and is supplied
by the app.

Sources (tags as in docs/clinical-basis.md, section 1): [S2] Fairbank, multiple marks; [S5] the scoring instruction
sheet; [S8] AO Foundation scorer; [S9] awell-score; [S10] interpretation bands, Ann Surg Innov
Res 2013;7:12; [S12] Ostelo et al., Spine 2008; [S15] Mannion et al., Eur Spine J 2006.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import attrs

from backtriage._ordered import OrderedStrEnum
from backtriage.errors import (
    IncompleteError,
    InvalidAnswerError,
    json_path,
    shorten,
)

if TYPE_CHECKING:
    # Imported where used at run time: fractions pulls in decimal, a tenth of the import
    # cost of backtriage, and only the exact-percent paths need it.
    from fractions import Fraction

    from backtriage.instruments._form import DeclaredOption, ItemForm
    from backtriage.instruments._instrument import DocumentSchemas, ScoredInstrument

__all__ = [
    "DisabilityBand",
    "OdiAnswerInput",
    "OdiAnswers",
    "OdiChange",
    "OdiScore",
    "OdiSection",
    "Percent",
    "describe_odi",
    "odi_change",
    "score_odi",
]


class OdiSection(StrEnum):
    """The ten ODI sections in canonical order; values are the stable snake_case keys.

    A ten-item sequence of answers is read in this order. Aliases (``traveling``, ``odi-1`` ...
    ``odi-10`` from FHIR questionnaires) are not members: translate them in an explicit adapter.
    """

    PAIN_INTENSITY = "pain_intensity"
    PERSONAL_CARE = "personal_care"
    LIFTING = "lifting"
    WALKING = "walking"
    SITTING = "sitting"
    STANDING = "standing"
    SLEEPING = "sleeping"
    SEX_LIFE = "sex_life"
    SOCIAL_LIFE = "social_life"
    TRAVELLING = "travelling"

    @property
    def heading(self) -> str:
        """Return the short section heading, e.g. ``"Pain intensity"`` (no licensed text)."""
        return _TITLES[self]


_TITLES: dict[str, str] = {
    "pain_intensity": "Pain intensity",
    "personal_care": "Personal care",
    "lifting": "Lifting",
    "walking": "Walking",
    "sitting": "Sitting",
    "standing": "Standing",
    "sleeping": "Sleeping",
    "sex_life": "Sex life",
    "social_life": "Social life",
    "travelling": "Travelling",
}

_SECTIONS: tuple[OdiSection, ...] = tuple(OdiSection)
_KEYS: tuple[str, ...] = tuple(section.value for section in _SECTIONS)
# Keyed by the plain str value; an ``OdiSection`` member hashes and compares equal to its value,
# so lookups work for either form of key.
_INDEX: dict[str, int] = {key: i for i, key in enumerate(_KEYS)}
_KEY_LIST = ", ".join(_KEYS)
_SECTION_TYPE = frozenset({OdiSection})

Percent: TypeAlias = "int | float | Fraction"
"""A percent score 0..100: an ``int``, a finite ``float`` or a ``Fraction`` (never a ``bool``)."""

OdiAnswerInput: TypeAlias = (
    "OdiAnswers | Mapping[str, object] | Mapping[OdiSection, object] | Sequence[object]"
)
"""What ``score_odi`` accepts: an :class:`OdiAnswers` document, section key to answer, or ten
answers in canonical order."""


def _checked_percent(value: object, field: str) -> Fraction:
    """Return ``value`` as an exact ``Fraction`` after checking it is a percent 0..100."""
    from fractions import Fraction

    # bool is an int subclass, but True is a yes/no answer, never "1 %".
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise InvalidAnswerError(field, value, "an int, float or Fraction from 0 to 100")
    # Written as a negated range test so that NaN (which fails every comparison) is rejected
    # too; infinities fall outside the range.
    if not 0 <= value <= 100:
        raise InvalidAnswerError(field, value, "a percent from 0 to 100 (not NaN)")
    # Fraction(float) is the exact binary value, so a band is never decided by float rounding.
    return Fraction(value)


class DisabilityBand(OrderedStrEnum):
    """The ODI interpretation bands [S10], ordered from least to most disability.

    Each band's upper bound is inclusive (``upper_bound``): 20 % is minimal, 20.1 % moderate. The key
    ``crippled`` is the published band name and stays stable; show ``label`` to people.
    """

    MINIMAL = "minimal"
    MODERATE = "moderate"
    SEVERE = "severe"
    CRIPPLED = "crippled"
    BED_BOUND = "bed_bound"

    @property
    def label(self) -> str:
        """Return a short display label, softer than the published name for ``crippled``."""
        return _LABELS[self]

    @property
    def description(self) -> str:
        """Return the developers' meaning of the band [S10], paraphrased."""
        return _DESCRIPTIONS[self]

    @property
    def upper_bound(self) -> int:
        """Return the inclusive upper bound of the band in percent (20, 40, 60, 80 or 100)."""
        return 20 * (self.rank + 1)

    @classmethod
    def of(cls, percent: Percent) -> DisabilityBand:
        """Return the band a percent falls in, comparing exactly (upper bounds inclusive).

        ``percent`` is an ``int``, ``float`` or ``Fraction`` from 0 to 100. A ``bool``, NaN or a
        value outside 0..100 raises ``InvalidAnswerError`` (field ``"percent"``).

        >>> DisabilityBand.of(20), DisabilityBand.of(Fraction(201, 10))
        (<DisabilityBand.MINIMAL: 'minimal'>, <DisabilityBand.MODERATE: 'moderate'>)
        """
        exact = _checked_percent(percent, "percent")
        return _band_of(exact.numerator, exact.denominator)


_BANDS: tuple[DisabilityBand, ...] = tuple(DisabilityBand)


def _band_of(numerator: int, denominator: int) -> DisabilityBand:
    """Return the band of the exact percent ``numerator / denominator`` (both ints, > 0 below).

    ceil(percent / 20) is the 1-based band of every percent above 0; 0 belongs to minimal.
    Integer arithmetic only, so no rounding can move a score across a band's upper bound.
    """
    return _BANDS[max(-(-numerator // (20 * denominator)) - 1, 0)]


_LABELS: dict[str, str] = {
    "minimal": "Minimal disability",
    "moderate": "Moderate disability",
    "severe": "Severe disability",
    "crippled": "Very severe disability",
    "bed_bound": "Bed-bound",
}

_DESCRIPTIONS: dict[str, str] = {
    "minimal": "Advice on lifting, sitting and exercise is usually enough.",
    "moderate": "Usually managed conservatively.",
    "severe": 'Needs a closer look: people in this band "require a detailed investigation".',
    "crippled": (
        'Published band name "crippled"; back pain limits most of daily life and '
        '"positive intervention is required".'
    ),
    "bed_bound": 'People in this band are "either bed-bound or exaggerating their symptoms".',
}


def _check_sections(field: str, value: object) -> None:
    """Check that ``value`` is a tuple of distinct sections in canonical order."""
    if value == () and type(value) is tuple:
        return
    # Plain strs compare equal to members, so the member type is checked explicitly.
    if type(value) is tuple and _SECTION_TYPE.issuperset(map(type, value)):
        indexes = [_INDEX[section] for section in value]
        if indexes == sorted(set(indexes)):
            return
    raise InvalidAnswerError(
        field, value, "a tuple of distinct OdiSection members in canonical order"
    )


@attrs.frozen
class OdiScore:
    """A scored ODI: the raw sum and what was left out, with the percent and band derived.

    Build it with ``score_odi``. Direct construction (deserialisation) checks the invariants and
    raises ``InvalidAnswerError`` naming the field that breaks one:

    - ``1 <= answered <= 10`` and ``0 <= raw <= 5 * answered`` (both plain ints, never bool);
    - ``missing`` holds exactly ``10 - answered`` sections, ``multiple_marks`` only answered
      ones; both are tuples of ``OdiSection`` in canonical order without repeats.

    Instances are immutable and may be shared: ``score_odi`` reuses one instance per raw sum for
    fully answered questionnaires without multiple marks.
    """

    raw: int
    """Sum of the answered sections' codes (0..5 each)."""
    answered: int
    """How many sections were answered (1..10)."""
    missing: tuple[OdiSection, ...] = ()
    """Unanswered or "not applicable" sections, in canonical order."""
    multiple_marks: tuple[OdiSection, ...] = ()
    """Sections where more than one statement was marked (the highest counted) [S2]."""

    def __attrs_post_init__(self) -> None:
        answered = self.answered
        if isinstance(answered, bool) or not isinstance(answered, int) or not 1 <= answered <= 10:
            raise InvalidAnswerError("answered", answered, "an int from 1 to 10")
        raw = self.raw
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 5 * answered:
            # The limit derives from the answers: it is named, never given, in the problem document.
            raise InvalidAnswerError("raw", raw, "an int from 0 to 5 * answered")
        _check_sections("missing", self.missing)
        if len(self.missing) != 10 - answered:
            raise InvalidAnswerError("missing", self.missing, "exactly 10 - answered sections")
        _check_sections("multiple_marks", self.multiple_marks)
        if not set(self.multiple_marks).isdisjoint(self.missing):
            raise InvalidAnswerError(
                "multiple_marks", self.multiple_marks, "answered sections only, none missing"
            )

    @property
    def max_raw(self) -> int:
        """Return the highest raw sum possible for the sections answered (5 per section)."""
        return 5 * self.answered

    @property
    def percent_exact(self) -> Fraction:
        """Return the exact percent, 100 * raw / max_raw [S5]."""
        from fractions import Fraction

        return Fraction(100 * self.raw, 5 * self.answered)

    @property
    def percent(self) -> float:
        """Return the percent as the float nearest the exact value (16/45 gives 35.555...)."""
        # 100 * raw / (5 * answered) reduced; int / int is correctly rounded, so this equals
        # float(self.percent_exact).
        return 20 * self.raw / self.answered

    @property
    def percent_rounded(self) -> int:
        """Return the percent rounded half up for display (22.5 gives 23, not ``round``'s 22)."""
        max_raw = 5 * self.answered
        # floor(100 * raw / max_raw + 1/2), kept in integers so no float rounding intrudes.
        return (200 * self.raw + max_raw) // (2 * max_raw)

    @property
    def band(self) -> DisabilityBand:
        """Return the band of the exact percent [S10] (never of a rounded value)."""
        # The percent is 100 * raw / (5 * answered) = 20 * raw / answered.
        return _band_of(20 * self.raw, self.answered)


# One shared instance per raw sum for the common case: all ten answered, single marks.
_FULL: tuple[OdiScore, ...] = tuple(OdiScore(raw, 10) for raw in range(51))
_CODES = frozenset(range(6))
# One C-level call fetching the ten answers in canonical order (KeyError if one is absent).
_GET_ALL: Callable[[Mapping[str, object]], tuple[object, ...]] = operator.itemgetter(*_KEYS)
_MISSING = "not_applicable"
_MARK_TYPES = (list, tuple, set, frozenset)
_ANSWER_ALLOWED = (
    "an int 0..5 (the statement's position, 0 first), None or 'not_applicable' when missing, "
    "or a non-empty list, tuple or set of ints 0..5 when several statements are marked "
    "(not a bool, str or float)"
)
_ONCE = "each section key once (as a str or an OdiSection member)"
_SEQUENCE_ALLOWED = (
    f"a mapping of section key to answer, or a list or tuple of exactly 10 answers in "
    f"canonical order: {_KEY_LIST}"
)


def _code_of(value: object) -> int | None:
    """Return the statement code ``value`` is (a plain int 0..5), or ``None`` if it is none."""
    # bool is an int subclass; True would silently score as statement 1, so it is refused.
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    # The plain value of an int subclass (an IntEnum member), whatever its own comparison or
    # __int__ methods say.
    code = int.__index__(value)
    return code if 0 <= code <= 5 else None


def _read_answer(key: str, value: object) -> tuple[int | None, bool]:
    """Return ``(code or None when missing, whether several statements were marked)``.

    ``None`` itself is handled by the caller; this reads every other form, or raises.
    """
    code = _code_of(value)
    if code is not None:
        return code, False
    if type(value) is str and value == _MISSING:
        return None, False
    if isinstance(value, _MARK_TYPES):
        if not value:
            raise InvalidAnswerError(
                key,
                value,
                "at least one marked statement; use None when unanswered",
                path=json_path("odi", key),
            )
        codes: set[int] = set()
        for mark in value:
            code = _code_of(mark)
            if code is None:
                raise InvalidAnswerError(
                    key, value, "every marked statement an int 0..5", path=json_path("odi", key)
                )
            codes.add(code)
        return max(codes), len(codes) > 1
    raise InvalidAnswerError(key, value, _ANSWER_ALLOWED, path=json_path("odi", key))


def _ordered_values(answers: object) -> list[object]:
    """Return the ten raw answers in canonical order, ``None`` where a section is absent."""
    if type(answers) is OdiAnswers:
        return list(_GET_ALL_FIELDS(answers))  # checked when the document was made
    if type(answers) is dict or isinstance(answers, Mapping):
        unknown = [key for key in answers if not isinstance(key, str) or key not in _INDEX]
        if unknown:
            unknown.sort(key=shorten)  # the same error whatever order the mapping is in
            raise InvalidAnswerError(
                "answers",
                unknown[0] if len(unknown) == 1 else tuple(unknown),
                f"section keys (str or OdiSection), one of: {_KEY_LIST}; aliases such as "
                "'traveling' or 'odi-3' are only accepted through an explicit adapter",
                problem="unknown key",
                path=json_path("odi", unknown[0]) if isinstance(unknown[0], str) else "$.odi",
            )
        values: list[object] = [None] * 10
        seen: set[str] = set()
        for key, value in answers.items():
            if key in seen:  # "walking" and OdiSection.WALKING, from a mapping that is not a dict
                raise InvalidAnswerError(
                    key, value, _ONCE, problem="section answered twice", path=json_path("odi", key)
                )
            seen.add(key)
            values[_INDEX[key]] = value
        return values
    if isinstance(answers, list | tuple):
        if len(answers) != 10:
            raise InvalidAnswerError(
                "answers",
                answers,
                _SEQUENCE_ALLOWED,
                problem="not ten answers",
                path="$.odi",
            )
        return list(answers)
    # A str is a Sequence too, but "3211..." is never ten answers.
    raise InvalidAnswerError("answers", answers, _SEQUENCE_ALLOWED, path="$.odi")


def score_odi(answers: OdiAnswerInput, *, max_missing: int = 1) -> OdiScore:
    """Score an ODI questionnaire [S5].

    ``answers`` is a mapping from section key (``str`` or ``OdiSection``) to answer, a list
    or tuple of exactly ten answers in ``OdiSection`` order, or an :class:`OdiAnswers`
    document (as ``from_json(text, OdiAnswers)`` reads one). An answer is the statement code, an
    ``int`` 0 (first statement) to 5 (last); ``None``, ``"not_applicable"`` or a key absent from
    the mapping means the section is missing. When several statements are marked, pass them as
    a non-empty list, tuple or set of codes: the highest counts and the section is recorded in
    ``multiple_marks`` [S2].

    At most ``max_missing`` sections (default 1, as the AO and awell scorers [S8, S9]) may be
    missing; a questionnaire with nothing answered is never scorable.

    Raises ``InvalidAnswerError`` for an unknown or non-str key (aliases such as ``traveling``
    need an explicit adapter), a bad answer (``True``, ``"3"``, ``2.5``, ``5.0``, ``6``, NaN, an
    empty collection), a sequence that is not ten long, a ``str`` as ``answers`` or a bad
    ``max_missing``; ``IncompleteError`` (field ``"odi"``) when too much is missing.

    >>> score_odi([2, 1, 2, 2, 2, 2, 1, None, 2, 2]).percent_rounded  # 16 / 45
    36
    """
    # The first test is the cheap one for the usual plain int; bool is an int subclass, and
    # True is not a count of sections.
    if (type(max_missing) is not int or max_missing < 0) and (
        isinstance(max_missing, bool) or not isinstance(max_missing, int) or max_missing < 0
    ):
        raise InvalidAnswerError(
            "max_missing", max_missing, "an int of 0 or more (the number of sections)"
        )
    # Fast path: ten plain ints 0..5, then a shared instance. ``type(x) is int`` refuses bool
    # (True == 1), float (2.0 == 2) and every other look-alike that a set or an ``==`` would let
    # through; spelled out on ten locals it is several times cheaper than ``map(type, ...)``.
    # Anything else, including every error, goes the careful way below.
    values: Sequence[object] = ()
    if type(answers) is dict:
        try:
            values = _GET_ALL(answers) if len(answers) == 10 else ()
        except KeyError:  # a section is absent, so another key is unknown: reported below
            values = ()
    elif type(answers) is list or type(answers) is tuple:
        values = answers
    if len(values) == 10:
        a, b, c, d, e, f, g, h, i, j = values
        # fmt: off
        if (
            int is type(a) is type(b) is type(c) is type(d) is type(e)
            is type(f) is type(g) is type(h) is type(i) is type(j)
        ) and _CODES.issuperset(values):
            return _FULL[a + b + c + d + e + f + g + h + i + j]
        # fmt: on
    return _score_slowly(answers, max_missing)


def _as_answer(value: object) -> object:
    # A document is frozen: several marks become a sorted tuple, "not_applicable" None. Other
    # values are kept as given, for the validator to refuse with the section's name.
    if type(value) is str and value == _MISSING:
        return None
    if isinstance(value, _MARK_TYPES) and all(_code_of(mark) is not None for mark in value):
        return tuple(sorted({int.__index__(mark) for mark in value}))
    return value


def _check_answer(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
    if value is not None:
        _read_answer(attribute.name, value)


def _answer_field() -> Any:
    return attrs.field(default=None, converter=_as_answer, validator=_check_answer)


@attrs.frozen
class OdiAnswers:
    """ODI answers as a document, each section checked when it is made, not yet scored.

    Each field is a section (``OdiSection`` values are the field names): the statement code, an
    ``int`` 0 (first) to 5 (last); a tuple of codes when several statements are marked (a list
    or set is accepted and stored sorted); ``None`` (or ``"not_applicable"``, stored as ``None``)
    when unanswered. Read one strictly from JSON with ``from_json(text, OdiAnswers)`` (a
    repeated or unknown key is refused) and score it with :func:`score_odi`, which applies
    ``max_missing``. Raises ``InvalidAnswerError`` naming the section for a bad answer.
    """

    pain_intensity: int | tuple[int, ...] | None = _answer_field()
    personal_care: int | tuple[int, ...] | None = _answer_field()
    lifting: int | tuple[int, ...] | None = _answer_field()
    walking: int | tuple[int, ...] | None = _answer_field()
    sitting: int | tuple[int, ...] | None = _answer_field()
    standing: int | tuple[int, ...] | None = _answer_field()
    sleeping: int | tuple[int, ...] | None = _answer_field()
    sex_life: int | tuple[int, ...] | None = _answer_field()
    social_life: int | tuple[int, ...] | None = _answer_field()
    travelling: int | tuple[int, ...] | None = _answer_field()

    def by_section(self) -> dict[OdiSection, int | tuple[int, ...] | None]:
        """Return the answers keyed by section, in canonical order."""
        return dict(zip(_SECTIONS, _GET_ALL_FIELDS(self), strict=True))  # type: ignore[arg-type]


_GET_ALL_FIELDS: Callable[[OdiAnswers], tuple[object, ...]] = operator.attrgetter(*_KEYS)


def _score_slowly(answers: object, max_missing: int) -> OdiScore:
    """Score any accepted form of answers, checking each in canonical order."""
    raw = 0
    missing: list[OdiSection] = []
    marked: list[OdiSection] = []
    for section, value in zip(_SECTIONS, _ordered_values(answers), strict=True):
        if type(value) is int and 0 <= value <= 5:  # the usual answer, checked inline
            raw += value
            continue
        code, several = (None, False) if value is None else _read_answer(section.value, value)
        if code is None:
            missing.append(section)
            continue
        raw += code
        if several:
            marked.append(section)
    answered = 10 - len(missing)
    if answered == 0:
        raise IncompleteError(
            "odi", _KEYS, "answer at least one section; nothing answered is never scorable"
        )
    if len(missing) > max_missing:
        raise IncompleteError(
            "odi",
            (section.value for section in missing),
            f"at most {max_missing} missing section(s) allowed (max_missing={max_missing}); "
            "answer more sections or pass a higher max_missing",
        )
    if answered == 10 and not marked:
        return _FULL[raw]
    return OdiScore(raw, answered, tuple(missing), tuple(marked))


def _change_operand(field: str, value: object) -> Fraction:
    """Return the exact percent of an ``OdiScore`` or a percent value, checking the latter."""
    if isinstance(value, OdiScore):
        return value.percent_exact
    return _checked_percent(value, field)


def _before(value: OdiScore | Percent) -> Fraction:
    return _change_operand("before", value)


def _after(value: OdiScore | Percent) -> Fraction:
    return _change_operand("after", value)


@attrs.frozen
class OdiChange:
    """The change between two ODI scores, each published criterion reported on its own.

    Construct it with ``odi_change`` or ``OdiChange(before, after)``; only ``before`` and
    ``after`` are given, every other field is derived from them, so an instance can never be
    inconsistent. All values are exact percents (points on the 0..100 scale); a negative
    ``points`` means less disability, i.e. better.
    """

    before: Fraction = attrs.field(converter=_before)
    """Baseline percent."""
    after: Fraction = attrs.field(converter=_after)
    """Follow-up percent."""
    points: Fraction = attrs.field(init=False)
    """``after - before`` in percentage points; negative is better."""
    relative: Fraction | None = attrs.field(init=False)
    """``points / before``; ``None`` when the baseline is 0 (no relative change exists)."""
    improved_10_points: bool = attrs.field(init=False)
    """Improved by at least 10 points, the minimal important change of Ostelo 2008 [S12]."""
    improved_30_percent: bool = attrs.field(init=False)
    """Improved by at least 30 % of a non-zero baseline, Ostelo 2008 [S12]."""
    beyond_measurement_error: bool = attrs.field(init=False)
    """Changed (either way) by at least 9 points; smaller changes are within the measurement
    error reported by Mannion 2006 [S15]."""
    worsened_10_points: bool = attrs.field(init=False)
    """Worsened by at least 10 points, the mirror of ``improved_10_points``."""

    def __attrs_post_init__(self) -> None:
        before, after = self.before, self.after
        points = after - before
        # The class is frozen; derived fields are set once here, as attrs documents.
        derived = {
            "points": points,
            "relative": points / before if before else None,
            "improved_10_points": -points >= 10,
            "improved_30_percent": before > 0 and -10 * points >= 3 * before,
            "beyond_measurement_error": abs(points) >= 9,
            "worsened_10_points": points >= 10,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)


def odi_change(before: OdiScore | Percent, after: OdiScore | Percent) -> OdiChange:
    """Compare a baseline ODI with a follow-up one.

    Each of ``before`` and ``after`` is an ``OdiScore`` (its exact percent is used) or a
    percent 0..100 (``int``, ``float`` or ``Fraction``; ``bool`` and NaN raise
    ``InvalidAnswerError`` naming ``before`` or ``after``). The result reports the 10-point and
    the 30 % criteria of Ostelo 2008 [S12] and the 9-point measurement error of Mannion 2006
    [S15] separately; combining them is the caller's clinical choice.

    >>> change = odi_change(40, 30)
    >>> change.improved_10_points, change.improved_30_percent
    (True, False)
    """
    return OdiChange(before, after)


# -- Its FHIR form ----------------------------------------------------------------------------

STATEMENT_SYSTEM: Final = "urn:backtriage:odi-statement"
"""Code system of an ODI answer coded as its statement's position, ``"0"`` (first) to ``"5"``."""
SCORE_LOINC: Final = "97909-6"
"""LOINC code of the ODI score [S17] (PACIO FHIR sample data)."""
PANEL_LOINC: Final = "97908-8"
"""LOINC code of the ODI questionnaire panel [S17]."""

_POSITIONS: Final = range(6)
_SCALES: Final = MappingProxyType({"0-5": 0, "1-6": 1})
_OWN_CODES: Final = {str(code): code for code in _POSITIONS}
_TOLERANCE: Final = 0.5
"""How far, in percentage points, a form's own score may be from backtriage's."""


def statement_display(position: int) -> str:
    """Return the placeholder shown for ODI statement ``position`` (0 first)."""
    return f"[Statement {position}: licensed wording supplied by the app]"


def _reading(first: int) -> tuple[Callable[[str, float], int], str]:
    """Return how an ODI answer becomes a statement position, for a form numbered from ``first``."""
    last = first + 5
    allowed = f"a whole number {first} to {last} (the statement, {first} first)"
    # Said whatever the answer was: a hint given only for some answers would tell them apart.
    hint = (
        "; a form that numbers its statements 1 to 6 is read with scale='1-6'" if first == 0 else ""
    )

    def from_weight(link_id: str, weight: float) -> int:
        if not weight.is_integer() or not first <= weight <= last:
            raise InvalidAnswerError(link_id, _plain(weight), allowed + hint)
        return int(weight) - first

    return from_weight, allowed


def _plain(number: float) -> float | int:
    return int(number) if number.is_integer() else number


def _check_declared(
    link_id: str,
    options: tuple[DeclaredOption, ...],
    numbers: tuple[int, ...],
    bounds: tuple[float | None, float | None],
    first: int,
) -> None:
    """Refuse a Questionnaire item that declares a scale other than ``first`` ... ``first + 5``,
    in any of the ways a form declares one: its options' weights (one each of the six), its
    integer options (any of them outside the scale while others are inside), or its
    ``minValue`` and ``maxValue`` (each, where given, the scale's own bound).

    Options without a weight (a "not applicable", say) may stand beside the six; choosing one
    is refused when it is read, as its meaning is not declared. Integer options all outside the
    scale are left alone here: an integer answer must be one of them and on the scale.
    """
    scale = [float(number) for number in range(first, first + 6)]
    # An option coded in backtriage's own system declares its position (0 to 5) too.
    weights = sorted(w for w in map(_declared_weight, options) if w is not None)
    if weights and weights != scale:
        _refuse_scale(link_id, f"options weighted {_span(weights)}", weights, first)
    given = sorted(float(n) for n in numbers)
    if set(given) & set(scale) and not set(given) <= set(scale):
        _refuse_scale(link_id, f"integer options {_span(given)}", given, first)
    low, high = bounds
    if (low is not None and low != first) or (high is not None and high != first + 5):
        # The scale the bounds declare, when they declare one of the two.
        told = {bound for bound in (low, None if high is None else high - 5) if bound is not None}
        start = int(told.pop()) if len(told) == 1 and told <= {0.0, 1.0} else None
        _refuse_scale(
            link_id,
            f"minValue {_bound(low)} and maxValue {_bound(high)}",
            [] if start is None else [float(n) for n in range(start, start + 6)],
            first,
        )


def _declared_weight(option: DeclaredOption) -> float | None:
    system, code, weight = option
    if weight is not None:
        return weight
    position = _OWN_CODES.get(code or "")
    if system == STATEMENT_SYSTEM and position is not None:
        return float(position)
    return None


def _bound(bound: float | None) -> str:
    if bound is None:
        return "none"
    return str(_plain(bound)) if bound == bound else "not a number"  # NaN: a date, say


def _span(values: list[float]) -> str:
    return ", ".join(str(_plain(v)) for v in values)


def _refuse_scale(link_id: str, declared: str, numbers: list[float], first: int) -> None:
    """Refuse a form whose ODI item declares ``numbers``; name the other scale if they fit it."""
    hint = ""
    given = {float(n) for n in range(first, first + 6)}
    other = 1 - first
    if set(numbers) - given and set(numbers) <= {float(n) for n in range(other, other + 6)}:
        hint = (
            f"; a form that numbers its statements {other} to {other + 5} is read with "
            f"scale='{other}-{other + 5}'"
        )
    raise InvalidAnswerError(
        link_id,
        declared,
        f"Questionnaire options weighted {first} to {first + 5}, one each (or integer options "
        f"and minValue/maxValue on that scale), as scale='{first}-{first + 5}' says; a form's "
        f"scale is never shifted silently{hint}",
    )


def _check_score(
    link_id: str, percent: float, answers: Mapping[str, object], score: object | None
) -> None:
    """Refuse answers whose score is more than 0.5 points from the form's own score."""
    if score is None:
        try:
            score = score_odi(answers, max_missing=len(_SECTIONS) - 1)
        except IncompleteError:
            raise InvalidAnswerError(
                link_id,
                _plain(percent),
                "a form's own ODI score together with at least one answered section",
            ) from None
    scored = cast("OdiScore", score)
    if abs(scored.percent - percent) > _TOLERANCE:
        # Both percents derive from the answers: str(error) shows them (its value), the
        # problem document never does.
        raise InvalidAnswerError(
            link_id,
            (f"form: {_plain(percent)} %", f"answers: {round(scored.percent, 2)} %"),
            f"a form score within {_TOLERANCE} percentage points of the percent its answers "
            "score (they differ: read on another scale than the form's, e.g. 1-6, or scored "
            "another way)",
        )


def _as_read(answers: dict[str, object]) -> object:
    """An assessment carries the ODI answers as read (it scores them itself)."""
    return answers


def _codes_of(odi: object, given: object) -> tuple[tuple[str, ...], ...]:
    """Return the statement codes of each section's answers an assessment holds."""
    if isinstance(odi, OdiScore):
        raise InvalidAnswerError(
            "odi", odi, "the ODI answers: an assessment holding only a score cannot be written"
        )
    values: list[object]
    if odi is None:
        values = [None] * len(_SECTIONS)
    else:
        # Checks every answer; a response with nothing answered is still a valid response.
        with contextlib.suppress(IncompleteError):
            score_odi(odi, max_missing=len(_SECTIONS))  # type: ignore[arg-type]
        if isinstance(odi, Mapping):
            values = [odi.get(section) for section in _SECTIONS]
        else:
            values = list(odi)  # type: ignore[call-overload]
    return tuple(tuple(str(mark) for mark in _marks(value)) for value in values)


def _marks(answer: object) -> list[int]:
    if isinstance(answer, int) and not isinstance(answer, bool):
        return [int.__index__(answer)]
    if isinstance(answer, list | tuple | set | frozenset):
        return sorted({int.__index__(mark) for mark in answer})
    return []  # None or "not_applicable"


@functools.cache
def odi_form() -> ItemForm:
    """Return the ODI's FHIR form: its items, their statements, and its reader's rules."""
    # Made on first use: only the FHIR layer reads it.
    from backtriage.instruments._form import Choice, FormQuestion, ItemForm

    items = tuple(
        FormQuestion(
            key=section.value,
            link_id=f"odi-{number}",
            text=section.heading,
            system=STATEMENT_SYSTEM,
            choices=tuple(
                Choice(str(position), statement_display(position), position)
                for position in _POSITIONS
            ),
        )
        for number, section in enumerate(_SECTIONS, start=1)
    )
    aliases = {
        **{section.value: section.value for section in _SECTIONS},
        "traveling": OdiSection.TRAVELLING.value,
        **{item.link_id: item.key for item in items},
    }
    return ItemForm(
        name="odi",
        resource_name="OswestryDisabilityIndex",
        title="Oswestry Disability Index",
        code=(PANEL_LOINC, "Oswestry disability index panel"),
        required=False,  # ODI sections may be left unanswered (sex life, often)
        items=items,
        in_check_in=True,
        aliases=MappingProxyType(aliases),
        scales=_SCALES,
        scale_allowed="'0-5' (statements numbered from 0) or '1-6' (from 1)",
        reading=_reading,
        numbers_are_scores=None,
        check_declared=_check_declared,
        item_noun="an ODI item",
        key_noun="section key",
        a_key="a section key",
        one_per="section",
        example='{"q3": "lifting"}',
        one_answer=None,
        booleans=None,
        score_code=SCORE_LOINC,
        score_allowed=(
            "the form's ODI score as one percent: a valueDecimal, a valueInteger, or a "
            "valueCoding with a weight extension"
        ),
        score_link_id_allowed="the linkId of the form's score item (not a section)",
        check_score=_check_score,
        carried=_as_read,
        codes_of=_codes_of,
        writes_words=True,
    )


def _least_answers(rank: int) -> dict[str, int]:
    """Return the ODI answers of least total whose band has ``rank`` (sections filled in order)."""
    band = _BANDS[rank]
    for total in range(5 * len(_KEYS) + 1):
        answers = {key: min(5, max(0, total - 5 * i)) for i, key in enumerate(_KEYS)}
        if score_odi(answers).band is band:
            return answers
    raise AssertionError(f"no ODI answers give band {band.value}")  # pragma: no cover


def _band_words(rank: int) -> str:
    """Say what a fact of at least the band of ``rank`` means, for the review."""
    if rank == 0:
        return "ODI scored (any band)"
    band = _BANDS[rank]
    name = band.label.removesuffix(" disability").lower()
    tail = "" if band is _BANDS[-1] else " or worse"
    return f"ODI {name}{tail} (score above {20 * rank} %)"


def _rank(score: OdiScore) -> int:
    return score.band.rank


def _relisted(answers: object) -> object:
    """Return the same answers in the other form: a mapping as ten answers, ten as a mapping
    (in reverse order); a score or ``None`` as it is."""
    if isinstance(answers, Mapping):
        return [answers.get(s.value, answers.get(s)) for s in _SECTIONS]
    if isinstance(answers, tuple):
        return {s.value: v for s, v in reversed(list(zip(_SECTIONS, answers, strict=True)))}
    return answers


def _state_words(score: OdiScore | None, answers: object) -> str:
    """Say what an assessment holds of the ODI, for the testing kit's reports."""
    if score is not None:
        return f"ODI {score.percent_rounded}% ({score.band.value})"
    return "ODI not given" if answers is None else "ODI not scorable"


def _is_score(document: Mapping[str, object]) -> bool:
    """Tell an ODI score document from answers: no section has the keys of a score."""
    return "raw" in document or "answered" in document


def _ref(name: str) -> dict[str, object]:
    return {"$ref": f"#/$defs/{name}"}


def _schemas() -> DocumentSchemas:
    """Return the JSON Schema of the ODI's documents (made afresh: a caller may change it)."""
    from backtriage.instruments._instrument import DocumentSchemas

    code: dict[str, object] = {"type": "integer", "minimum": 0, "maximum": 5}
    null: dict[str, object] = {"type": "null"}
    sections: dict[str, object] = {
        "type": "array",
        "items": _ref("OdiSection"),
        "uniqueItems": True,
    }
    answers_or_score = [_ref("OdiAnswers"), _ref("OdiAnswerList"), _ref("OdiScore"), null]
    score: dict[str, object] = {
        "description": (
            "A scored ODI. raw and answered are required on input; the derived fields are "
            "always written and, when given, must agree with raw and answered."
        ),
        "type": "object",
        "properties": {
            "raw": {
                "description": "Sum of the answered sections' codes.",
                "type": "integer",
                "minimum": 0,
                "maximum": 50,
            },
            "answered": {
                "description": "How many sections were answered.",
                "type": "integer",
                "minimum": 1,
                "maximum": 10,
            },
            "missing": {"description": "Unanswered sections, in canonical order.", **sections},
            "multiple_marks": {
                "description": "Sections where several statements were marked.",
                **sections,
            },
            "max_raw": {
                "description": "5 * answered.",
                "type": "integer",
                "minimum": 5,
                "maximum": 50,
                "multipleOf": 5,
            },
            "percent": {
                "description": "100 * raw / max_raw, unrounded.",
                "type": "number",
                "minimum": 0,
                "maximum": 100,
            },
            "percent_rounded": {
                "description": "percent rounded half up, for display.",
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
            },
            "band": _ref("DisabilityBand"),
        },
        "required": ["raw", "answered"],
        "additionalProperties": False,
    }
    return DocumentSchemas(
        definitions={
            "OdiAnswer": {
                "description": (
                    "A section's answer: the statement code 0 (first) to 5 (last); null or "
                    "'not_applicable' when unanswered; a list of codes when several are marked."
                ),
                "anyOf": [
                    code,
                    null,
                    {"const": _MISSING},
                    {"type": "array", "items": code, "minItems": 1},
                ],
            },
            "OdiAnswers": {
                "description": "ODI answers by section key; an absent section is unanswered.",
                "type": "object",
                "properties": {key: _ref("OdiAnswer") for key in _KEYS},
                "additionalProperties": False,
            },
            "OdiAnswerList": {
                "description": "The ten ODI answers in canonical section order.",
                "type": "array",
                "items": _ref("OdiAnswer"),
                "minItems": 10,
                "maxItems": 10,
            },
            "OdiScore": score,
        },
        enums=(OdiSection, DisabilityBand),
        fields={
            "Assessment": {
                "description": "ODI answers, or an ODI score, or null when not asked yet.",
                "anyOf": answers_or_score,
            },
            "CheckIn": {
                "description": "The ODI again, or null: the last one measured carries over.",
                "anyOf": answers_or_score,
            },
            "Plan": {"description": "The ODI score used, or null when none could be computed."},
        },
        options={
            "odi_max_missing": {
                "description": "How many ODI sections may be unanswered (default 1).",
                "type": "integer",
                "minimum": 0,
            },
        },
        answers={
            "title": "backtriage ODI answers",
            "description": (
                "The answers of an Oswestry Disability Index: by section key, or ten in order."
            ),
            "anyOf": [
                {
                    "description": (
                        "ODI answers by section key (an absent section is unanswered), as an "
                        "OdiAnswers document; schema_version may be given."
                    ),
                    "type": "object",
                    "properties": {key: _ref("OdiAnswer") for key in _KEYS},
                    "additionalProperties": False,
                },
                _ref("OdiAnswerList"),
            ],
        },
    )


def _band_row(band: DisabilityBand) -> tuple[str, str, str]:
    """Return a band's label, scores and meaning, as the review sheet's table shows them."""
    low = 20 * band.rank
    top = band.upper_bound
    scores = f"0 to {top} %" if low == 0 else f"above {low} to {top} %"
    return band.label, scores, band.description


def describe_odi() -> ScoredInstrument:
    """Return the ODI as the facts, the reasoner, the review, the documents and the testing kit
    read it."""
    # Made on first use: only the layers above read it.
    from backtriage.instruments._instrument import Documents, ScoredInstrument

    sections = tuple[OdiSection, ...]

    return ScoredInstrument(
        key="odi",
        score_attribute="odi_score",
        requirement="require_odi",
        derivation="odi_band",
        levels=tuple(band.value for band in _BANDS),
        rank=_rank,
        answers_at=_least_answers,
        title="Oswestry Disability Index (ODI)",
        input_words="the ODI",
        level_words=_band_words,
        strategies="backtriage.instruments._odi_strategies",
        relisted=_relisted,
        state_words=_state_words,
        documents=Documents(
            score_class=OdiScore,
            answers_class=OdiAnswers,
            answer_keys=_KEYS,
            answers_in_order=True,
            score=score_odi,
            is_score=_is_score,
            given=(("raw", int), ("answered", int)),
            optional=(("missing", sections), ("multiple_marks", sections)),
            derived=(
                ("max_raw", int),
                ("percent", float),
                ("percent_rounded", int),
                ("band", DisabilityBand),
            ),
            options=(("odi_max_missing", int),),
            score_words="an ODI score",
            answers_words="ODI answers",
            shapes_words=(
                "an object of section key to answer, a list of ten answers, an ODI score object, "
                "or null"
            ),
            complete_words="no more sections unanswered than odi_max_missing allows",
            schema_aliases=("odi-answers",),
            schemas=_schemas,
        ),
        review_required="every exercise is withheld until a scorable ODI is given.",
        review_optional="a protocol rule on an ODI band does not fire while no ODI is given.",
        review_notes=(
            # score_odi's and Assessment's default max_missing (a test holds them to it).
            "Missing answers: up to 1 of the ten sections may be unanswered (an app may set "
            "another limit per assessment, `odi_max_missing`); the score is then the share of "
            "the answered sections. With more unanswered, the ODI cannot be scored and counts "
            "as missing, required or not: every exercise is withheld until it is answered.",
        ),
        level_heading="Band",
        level_rows=tuple(_band_row(band) for band in _BANDS),
        always_asked=True,
        fhir_form=odi_form,
    )
