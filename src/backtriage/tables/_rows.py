"""Score many ODI questionnaires: rows of a wide table in, one result per row out.

Research data hold one questionnaire per row and one column per section. This module is the
adapter between such tables and :func:`~backtriage.score_odi`, which stays strict:

- column names are matched to sections here (section keys, ``traveling``, ``odi-1`` ...
  ``odi-10``, or any header through an explicit ``columns`` mapping; REDCap's ``odi_1`` ...
  ``odi_10`` only through ``columns="redcap"`` with an explicit ``scale``);
- cell values are read here: the text ``"0"`` to ``"5"`` (what a CSV file holds), an ``int``
  0..5 (including NumPy integers), a ``float`` with no fraction (what pandas makes of an integer
  column with gaps); an empty cell, ``None``, NaN, pandas' ``NA``, ``"NA"``, ``"N/A"`` or
  ``"not_applicable"`` is an unanswered section. Anything else (``"3.5"``, ``True``,
  ``"seven"``) is an error. With ``scale="1-6"`` (ODI versions printed 1 to 6) the answers are
  1..6 and each is shifted down by one, explicitly: a scale is never guessed;
- a bad row gives a :class:`RowError` and the next row is scored: a batch never stops at one.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

import attrs

from backtriage.errors import IncompleteError, InvalidAnswerError, json_path, shorten
from backtriage.instruments.odi import OdiScore, OdiSection, score_odi

__all__ = [
    "ALIASES",
    "REDCAP_COLUMNS",
    "OdiScale",
    "RowError",
    "TableLayout",
    "read_cell",
    "score_odi_many",
    "section_for",
]

ALIASES: Final[Mapping[str, OdiSection]] = MappingProxyType(
    {
        **{section.value: section for section in OdiSection},
        "traveling": OdiSection.TRAVELLING,
        **{f"odi-{i}": section for i, section in enumerate(OdiSection, start=1)},
    }
)
"""Every column name read as a section without a mapping (compared stripped, in lower case)."""

REDCAP_COLUMNS: Final[Mapping[str, OdiSection]] = MappingProxyType(
    {f"odi_{i}": section for i, section in enumerate(OdiSection, start=1)}
)
"""The headers of a REDCap-style export, read only with ``columns="redcap"`` and a ``scale``."""


class OdiScale(StrEnum):
    """How the answers of a table are numbered: ``0-5`` (the published codes) or ``1-6``.

    Some ODI versions and most REDCap instruments number the six statements 1 to 6; with
    ``1-6`` each answer is shifted down by one before scoring. The scale is always stated by
    the caller: a 1-6 table read as 0-5 would add one point to every answer without an error.
    """

    ZERO_TO_FIVE = "0-5"
    ONE_TO_SIX = "1-6"

    @property
    def first(self) -> int:
        """Return the number of the first statement: 0 or 1."""
        return 0 if self is OdiScale.ZERO_TO_FIVE else 1


class _Unstated(str):
    """The default scale, told apart from a scale the caller stated."""

    __slots__ = ()


UNSTATED_SCALE: Final[str] = _Unstated("0-5")
"""The default ``scale`` of the scorers: ``"0-5"``, but not an explicit choice of it."""

_SECTIONS: Final = tuple(OdiSection)
_CODES_OF: Final = (
    {str(code): code for code in range(6)},
    {str(code + 1): code for code in range(6)},
)
_CODES: Final = _CODES_OF[0]
_UNANSWERED: Final = frozenset({"", "na", "n/a", "not_applicable"})
_CELLS_ALLOWED: Final = (
    "an answer 0 to 5, or an empty cell, NA or not_applicable when the section is unanswered",
    "an answer 1 to 6 (scale 1-6), or an empty cell, NA or not_applicable when the section is "
    "unanswered",
)
_CELL_ALLOWED: Final = _CELLS_ALLOWED[0]


def section_for(name: str) -> OdiSection | None:
    """Return the section a column name stands for, or ``None`` when it is not an ODI column.

    Section keys and the aliases in :data:`ALIASES` are recognised, ignoring case and
    surrounding spaces: ``"Walking"``, ``" odi-4"`` and ``"walking"`` all give ``WALKING``.
    """
    return ALIASES.get(name.strip().lower())


@attrs.frozen
class RowError:
    """Why one row could not be scored.

    ``row`` is the row's number (counted from ``start`` in :func:`score_odi_many`, from 1 for
    the data rows of a CSV file), ``field`` the column at fault (``"odi"`` when the row as a
    whole cannot be scored), ``value`` what the column held and ``message`` a sentence naming
    both and what is allowed.
    """

    row: int
    field: str
    value: object = attrs.field(hash=False)
    message: str

    @property
    def path(self) -> str:
        """Return the JSON path of the bad cell, ``$.rows[12].lifting``, rows numbered as
        ``row`` (``$.rows[12]`` when the row as a whole is at fault)."""
        if self.field in ("row", "odi", "columns"):
            return json_path("rows", self.row)
        return json_path("rows", self.row, self.field)


class _BadCellError(Exception):
    """A cell that is not an ODI answer."""


def _code(value: object, first: int = 0) -> int:
    """Return the code 0..5 of an answer numbered from ``first`` (0 or 1), or raise."""
    # bool is an int subclass; True is "yes", never statement 1.
    if isinstance(value, bool):
        raise _BadCellError
    if isinstance(value, str):
        code = _CODES_OF[first].get(value.strip())
        if code is None:
            raise _BadCellError
        return code
    if isinstance(value, float):
        if not value.is_integer():
            raise _BadCellError
        value = int(value)
    try:
        code = operator.index(value) - first  # type: ignore[arg-type]  # int and NumPy integers
    except TypeError:
        raise _BadCellError from None
    if not 0 <= code <= 5:
        raise _BadCellError
    return code


def check_scale(scale: object) -> OdiScale:
    """Return ``scale`` as an :class:`OdiScale`, or raise ``InvalidAnswerError`` naming it."""
    if isinstance(scale, str):
        try:
            return OdiScale(scale)
        except ValueError:
            pass
    raise InvalidAnswerError(
        "scale", scale, "'0-5' (answers numbered 0 to 5) or '1-6' (numbered 1 to 6)"
    )


def read_cell(value: object, *, scale: str = "0-5") -> int | list[int] | None:
    """Return one table cell as an ODI answer: a code 0..5, ``None`` when unanswered.

    A list, tuple or set of codes (several statements marked) is returned as a list for
    :func:`~backtriage.score_odi`, which counts the highest. With ``scale="1-6"`` the cell
    holds 1..6 and the code returned is one less. Raises
    :class:`~backtriage.InvalidAnswerError` (field ``"cell"``) for anything else.
    """
    first = check_scale(scale).first
    try:
        return _read_cell(value, first)
    except _BadCellError:
        raise InvalidAnswerError("cell", value, _CELLS_ALLOWED[first]) from None


def _read_cell(value: object, first: int = 0) -> int | list[int] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip().lower() in _UNANSWERED:
            return None
        return _code(value, first)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | set | frozenset):
        if not value:
            raise _BadCellError
        return sorted(_code(mark, first) for mark in value)
    try:
        return _code(value, first)
    except _BadCellError:
        if _is_pandas_missing(value):
            return None
        raise


def _is_pandas_missing(value: object) -> bool:
    """Tell pandas' ``NA`` (a missing cell of a nullable column) without importing pandas."""
    kind = type(value)
    return kind.__name__ == "NAType" and kind.__module__.startswith("pandas")


def _check_columns(
    columns: Mapping[str, str] | Literal["redcap"] | None, scale: str = UNSTATED_SCALE
) -> dict[str, OdiSection]:
    if columns is None:
        return {}
    if columns == "redcap":
        if scale is UNSTATED_SCALE:
            raise InvalidAnswerError(
                "scale",
                None,
                "an explicit scale with columns='redcap', '0-5' or '1-6': REDCap instruments "
                "are often numbered 1 to 6, so the scale of an export is never assumed",
            )
        return dict(REDCAP_COLUMNS)
    if not isinstance(columns, Mapping):
        raise InvalidAnswerError(
            "columns", columns, "a mapping of column name to section key, or 'redcap'"
        )
    resolved: dict[str, OdiSection] = {}
    for header, key in columns.items():
        section = section_for(key) if isinstance(key, str) else None
        if not isinstance(header, str) or section is None:
            raise InvalidAnswerError(
                f"columns[{header!r}]",
                key,
                "a section key (or an alias such as 'odi-3'): " + ", ".join(_SECTIONS),
            )
        resolved[header] = section
    return resolved


def _resolve(keys: Iterable[object], columns: Mapping[str, OdiSection]) -> tuple[str, ...]:
    """Return the column holding each section, in canonical order, or raise naming the problem.

    Raises ``InvalidAnswerError`` (field ``"columns"``) when a mapped column is absent, when
    two columns hold the same section, or when a section has no column.
    """
    names = [key for key in keys if isinstance(key, str)]
    absent = [header for header in columns if header not in names]
    if absent:
        raise InvalidAnswerError(
            "columns",
            absent[0],
            f"a column named {absent[0]!r}, as mapped, but the table has none",
        )
    found: dict[OdiSection, list[str]] = {}
    for name in names:
        section = columns.get(name) or section_for(name)
        if section is not None:
            found.setdefault(section, []).append(name)
    for section, holders in found.items():
        if len(holders) > 1:
            raise InvalidAnswerError(
                "columns",
                tuple(holders),
                f"one column for section {section.value!r}, but "
                + ", ".join(repr(name) for name in holders)
                + " all hold it",
            )
    unmatched = [section.value for section in _SECTIONS if section not in found]
    if unmatched:
        others = [name for name in names if name not in columns and section_for(name) is None]
        raise InvalidAnswerError(
            "columns",
            tuple(unmatched),
            "a column for every ODI section, but none was found for "
            + ", ".join(unmatched)
            + (" among " + ", ".join(repr(name) for name in others) if others else "")
            + "; name each column by its section key or map it (HEADER=SECTION)",
        )
    return tuple(found[section][0] for section in _SECTIONS)


"""How many characters of a bad cell a message shows; a 200 KB cell must not fill the line."""


def _shown(value: object) -> str:
    return shorten(value)  # safe for any value, a 5000-digit int too


def _score_values(
    values: Sequence[object], names: Sequence[str], row: int, max_missing: int, first: int = 0
) -> OdiScore | RowError:
    """Score the ten cells of one row (canonical order); ``names`` are their columns."""
    answers: list[object] = []
    for value, name, section in zip(values, names, _SECTIONS, strict=True):
        try:
            answers.append(_read_cell(value, first))
        except _BadCellError:
            label = name if name == section.value else f"{name} ({section.value})"
            return RowError(
                row, name, value, f"{label}: {_shown(value)} is not {_CELLS_ALLOWED[first]}"
            )
    try:
        return score_odi(answers, max_missing=max_missing)
    except IncompleteError as exc:
        return RowError(row, "odi", exc.missing, str(exc))


def _check_max_missing(max_missing: object) -> int:
    if type(max_missing) is not int or max_missing < 0:
        raise InvalidAnswerError(
            "max_missing", max_missing, "an int of 0 or more (the number of sections)"
        )
    return max_missing


def score_odi_many(
    rows: Iterable[Mapping[str, object]],
    *,
    columns: Mapping[str, str] | Literal["redcap"] | None = None,
    max_missing: int = 1,
    scale: str = UNSTATED_SCALE,
    start: int = 0,
) -> Iterator[OdiScore | RowError]:
    """Score each row of a wide table, yielding an ``OdiScore`` or a ``RowError`` per row.

    ``rows`` is any iterable of mappings from column name to cell: ``csv.DictReader``,
    lists of dicts. For a DataFrame use :func:`backtriage.frames.score_odi_frame`, about a
    hundred times faster. Columns named by a section key or an alias in :data:`ALIASES` are
    read as that section; ``columns`` maps any other name to a section key (``{"Q10": "travelling"}``), or is
    ``"redcap"`` for the headers ``odi_1`` ... ``odi_10`` (:data:`REDCAP_COLUMNS`), which then
    needs an explicit ``scale``. Other columns are ignored. Cells are read by :func:`read_cell`
    on the ``scale`` given (``"0-5"``, the default, or ``"1-6"``); ``max_missing`` is passed to
    :func:`~backtriage.score_odi`.

    Every row must have a column for each of the ten sections (an empty cell for an
    unanswered one): in a table, an absent column is a mistake in the header, not an
    unanswered question, so it gives a ``RowError`` rather than a score with a gap. For a
    ``csv.DictReader`` (with its default ``restkey`` and ``restval`` of ``None``), a row with
    fewer or more cells than the header is a ``RowError`` too (field ``"row"``), since its cells
    may sit under the wrong columns, and a header that repeats a column name makes every row a
    ``RowError`` (field ``"columns"``). A ``DictReader`` given another ``restval`` hides short
    rows, which cannot then be told from rows with empty cells: keep the default.

    Results come in the order of ``rows``, one for each, lazily; a bad row never stops the
    batch. ``RowError.row`` counts from ``start`` (default 0, the position in ``rows``).
    ``columns``, ``max_missing`` and ``scale`` are checked at the call: a bad one raises
    :class:`~backtriage.InvalidAnswerError` before any row is read.

    >>> row = dict.fromkeys(OdiSection, "2") | {"id": "p1"}
    >>> [type(r).__name__ for r in score_odi_many([row, row | {"walking": "7"}])]
    ['OdiScore', 'RowError']
    """
    first = check_scale(scale).first
    mapped = _check_columns(columns, scale)
    limit = _check_max_missing(max_missing)
    if type(start) is not int:
        raise InvalidAnswerError("start", start, "an int (the number of the first row)")
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise InvalidAnswerError(
            "rows", rows, "an iterable of rows, each a mapping of column name to cell"
        )
    return _score_rows(rows, mapped, limit, start, first)


def _score_rows(
    rows: Iterable[Mapping[str, object]],
    columns: Mapping[str, OdiSection],
    max_missing: int,
    start: int,
    first: int,
) -> Iterator[OdiScore | RowError]:
    # The columns of a table rarely change from row to row: resolve each shape once.
    layouts: dict[tuple[object, ...], tuple[str, ...] | InvalidAnswerError] = {}
    # csv.DictReader pads a short row with ``restval`` and puts the cells of a long row under
    # ``restkey`` (both None by default): either way the cells may have shifted to the wrong
    # sections, so such a row must be an error, never a score.
    restkey = getattr(rows, "restkey", None)
    pads_with_none = hasattr(rows, "restval") and getattr(rows, "restval", None) is None
    duplicate: InvalidAnswerError | None = None
    header_checked = False
    for number, row in enumerate(rows, start):
        if not isinstance(row, Mapping):
            yield RowError(number, "row", row, f"row {number}: {shorten(row)} is not a mapping")
            continue
        if not header_checked:
            # The header is read with the first row; a repeated name hides all but one column.
            duplicate = _duplicate_header(getattr(rows, "fieldnames", None))
            header_checked = True
        if duplicate is not None:
            yield RowError(number, duplicate.field, duplicate.value, str(duplicate))
            continue
        width = _width_error(row, number, restkey, pads_with_none)
        if width is not None:
            yield width
            continue
        shape = tuple(row)
        layout = layouts.get(shape)
        if layout is None:
            try:
                layout = _resolve(shape, columns)
            except InvalidAnswerError as exc:
                layout = exc
            if len(layouts) < 64:
                layouts[shape] = layout
        if isinstance(layout, InvalidAnswerError):
            yield RowError(number, layout.field, layout.value, str(layout))
            continue
        yield _score_values([row[name] for name in layout], layout, number, max_missing, first)


def _duplicate_header(fieldnames: object) -> InvalidAnswerError | None:
    """Return an error when the header of a ``csv.DictReader`` repeats a column name."""
    if not isinstance(fieldnames, Sequence) or isinstance(fieldnames, str):
        return None
    seen: set[object] = set()
    for name in fieldnames:
        if name in seen:
            return InvalidAnswerError(
                "columns",
                name,
                f"each column name once in the header, but {name!r} is repeated: "
                "a mapping row keeps only one of its cells",
            )
        seen.add(name)
    return None


def _width_error(
    row: Mapping[str, object], number: int, restkey: object, pads_with_none: bool
) -> RowError | None:
    """Return an error for a row that ``csv.DictReader`` read longer or shorter than its header."""
    if restkey in row:
        extra = row[restkey]  # type: ignore[index]  # csv.DictReader's restkey, None by default
        count = len(extra) if isinstance(extra, list) else 1
        header = len(row) - 1
        fields = header + count
    elif pads_with_none and None in row.values():
        # Only a padded row holds None: csv.reader gives every cell as a str.
        header = len(row)
        fields = header - sum(value is None for value in row.values())
    else:
        return None
    return RowError(
        number,
        "row",
        fields,
        f"row {number} has {fields} fields but the header has {header}: "
        "a cell was lost or added, so the cells may be under the wrong columns",
    )


@attrs.frozen
class TableLayout:
    """Where the ten sections are in the rows of a table with a header row.

    Build it once per table with :meth:`from_header`; then :meth:`score` each row (a sequence
    of cells, as ``csv.reader`` gives). ``names`` are the section columns in canonical order,
    ``indices`` their positions and ``width`` the number of columns of the header.
    """

    names: tuple[str, ...]
    indices: tuple[int, ...]
    width: int

    @classmethod
    def from_header(
        cls,
        header: Sequence[str],
        columns: Mapping[str, str] | Literal["redcap"] | None = None,
        *,
        scale: str = UNSTATED_SCALE,
    ) -> TableLayout:
        """Find the section columns in ``header``; ``columns`` maps other names to sections.

        Raises :class:`~backtriage.InvalidAnswerError` (field ``"columns"``) when a section has
        no column, has two, or a mapped column is not in the header (field ``"scale"`` when
        ``columns`` is ``"redcap"`` and no ``scale`` is given).
        """
        names = _resolve(header, _check_columns(columns, scale))
        position: dict[str, int] = {}
        for index, name in enumerate(header):
            position.setdefault(name, index)
        return cls(names, tuple(position[name] for name in names), len(header))

    def score(
        self, row: Sequence[object], number: int, *, max_missing: int = 1, scale: str = "0-5"
    ) -> OdiScore | RowError:
        """Score one row, numbered ``number`` in errors; a row of the wrong width is an error.

        ``scale`` (``"0-5"`` or ``"1-6"``) says how the row's answers are numbered.
        """
        first = 0 if scale == "0-5" else check_scale(scale).first
        if len(row) != self.width:
            # A short or long row has shifted cells: scoring it would read the wrong sections.
            return RowError(
                number,
                "row",
                len(row),
                f"row {number} has {len(row)} fields but the header has {self.width}",
            )
        return _score_values([row[i] for i in self.indices], self.names, number, max_missing, first)
