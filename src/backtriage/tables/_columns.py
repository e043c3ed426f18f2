"""The columnar ODI scorer behind :mod:`backtriage.frames` and the CLI's Parquet path.

How it works. Each section column becomes an int64 array of answers on the table's scale
(null where unanswered). A cell that the bulk path cannot read exactly as ``read_cell`` does
(text other than ``"0"``..``"5"``, ``""`` and the common ``NA`` spellings, a float that is not an
integral answer, a list of marks, a bool) marks its row for the row path, which scores it with
the very code of ``score_odi_many``. The other rows are scored in bulk:

- a row holding an integer outside the scale is an error naming its first such cell;
- every other row is summed with each unanswered cell replaced by ``64 << i + first``: the low
  six bits of the sum are ``raw + 10 * first`` and the bits above are the set of unanswered
  sections. That sum indexes tables, built once per scale and ``max_missing`` with
  :class:`~backtriage.OdiScore` itself, holding every result column (null for the sets of
  unanswered sections that cannot be scored, whose message ``score_odi`` gives).

pyarrow is imported on first use; pandas and polars only when their frames are passed in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar, cast

import attrs

from backtriage.errors import IncompleteError, InvalidAnswerError
from backtriage.instruments.odi import DisabilityBand, OdiScore, score_odi
from backtriage.tables._rows import (
    _CELLS_ALLOWED,
    _SECTIONS,
    RowError,
    _BadCellError,
    _check_columns,
    _check_max_missing,
    _read_cell,
    _resolve,
    _score_values,
    check_scale,
)
from backtriage.tables._stream import RESULT_COLUMNS as SCORE_COLUMNS

RESULT_COLUMNS: Final = ("row", *SCORE_COLUMNS)
"""The columns a scored table gains, in order (the CLI writes the same)."""

_UNANSWERED_TEXT: Final = ("", "NA", "na", "N/A", "n/a", "not_applicable")
"""Texts read as unanswered without ``str.strip`` or ``str.lower``; others take the row path."""
_PLAIN_TEXT: Final = "^[0-9A-Za-z.+/_-]{1,40}$"
"""Texts that ``str.strip`` leaves alone, ``str.lower`` lowers as ASCII and ``repr`` quotes."""
_NOT_AN_ANSWER: Final = -1000
_APART: Final = 65535
"""The index of a row scored apart: no row sums to it (it would be nothing answered)."""

Frame = TypeVar("Frame")


def pyarrow_modules() -> tuple[Any, Any]:
    """Return ``(pyarrow, pyarrow.compute)``, or raise naming the extra that installs them."""
    try:
        import numpy  # noqa: F401 - the glue between the columns' kernels
        import pyarrow
        import pyarrow.compute
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"scoring tables by column needs pyarrow ({exc}); "
            "install them with: pip install 'backtriage[frames]'",
            name="pyarrow",
        ) from None
    return pyarrow, pyarrow.compute


@attrs.frozen
class _Column:
    """One section column, read in bulk.

    ``values`` holds the answers on the table's scale (int64, null where unanswered or where
    the row path decides; a text that is plainly no answer, such as ``"7"``, holds
    :data:`_NOT_AN_ANSWER`), ``slow`` marks the cells the row path must read (``None`` when
    there are none), ``shown`` is ``repr`` of each cell that is plainly no answer and does not
    show itself as its integer does (a text, a float such as ``7.0``: a string array, null
    elsewhere, or a :class:`_Shown` of the few such cells; ``None`` when there are none) and
    ``cells`` returns the original cells at some row positions.
    """

    values: Any
    slow: Any
    cells: Callable[[list[int]], list[object]]
    shown: Any = None


@attrs.frozen
class _Shown:
    """``repr`` of a few cells of a column: their row positions and their texts.

    ``rows`` is a sorted NumPy int64 array, ``texts`` an Arrow string array of the same length.
    """

    rows: Any
    texts: Any

    def at(self, where: Any) -> Any:
        """Return the text at each row position of ``where`` (Arrow), null where none."""
        import numpy

        pa, _ = pyarrow_modules()
        wanted = as_numpy(where).astype(numpy.int64, copy=False)
        found = numpy.minimum(numpy.searchsorted(self.rows, wanted), len(self.rows) - 1)
        hit = self.rows[found] == wanted
        validity = pa.py_buffer(numpy.packbits(hit, bitorder="little"))
        index = found.astype(numpy.int32)
        taken = pa.Array.from_buffers(pa.int32(), len(index), [validity, pa.py_buffer(index)])
        return self.texts.take(taken)


@attrs.frozen
class _Tables:
    """Every result column, indexed by the encoded sum of a row (see the module docstring)."""

    raw: Any
    answered: Any
    percent: Any
    rounded: Any
    band: Any
    missing: Any  # indexed by the set of unanswered sections (the sum >> 6)
    incomplete: Any  # likewise: score_odi's message when the set cannot be scored, else null


def score_table(
    data: Frame,
    *,
    columns: Mapping[str, str] | str | None,
    max_missing: int,
    scale: str,
    start: int,
    kinds: str,
) -> Frame:
    """Score ``data`` (see :func:`backtriage.frames.score_odi_frame`); return the same kind."""
    first = check_scale(scale).first
    mapped = _check_columns(cast("Mapping[str, str] | None", columns), scale)
    limit = _check_max_missing(max_missing)
    if type(start) is not int:
        raise InvalidAnswerError("start", start, "an int (the number of the first row)")
    pyarrow_modules()
    kind = _kind(data)
    if kind is None:
        raise InvalidAnswerError("data", type(data), kinds)
    if kind == "pandas":
        names, length, column_of = _pandas_source(data, first)
    elif kind == "polars":
        names, length, column_of = _polars_source(data, first)
    else:
        table = _arrow_table(data, kind)
        names, length = list(table.column_names), table.num_rows
        column_of = functools.partial(_arrow_column, table, first)
    clash = [name for name in names if name in RESULT_COLUMNS]
    if clash:
        raise InvalidAnswerError(
            "columns",
            clash[0],
            f"no input column named like a result column ({', '.join(RESULT_COLUMNS)}); "
            "rename or drop it before scoring",
        )
    try:
        layout = _resolve(names, mapped)
    except InvalidAnswerError as exc:
        results = _header_error(exc, length, start)
    else:
        results = score_columns(
            [column_of(name) for name in layout], layout, length, first, limit, start
        )
    return cast("Frame", _attach(data, kind, results))


def _kind(data: object) -> str | None:
    kind = type(data)
    module = kind.__module__.split(".", 1)[0]
    if module == "pyarrow" and kind.__name__ == "Table":
        return "arrow"
    if module in ("pandas", "polars") and kind.__name__ == "DataFrame":
        return module
    if hasattr(kind, "__arrow_c_stream__"):
        return "stream"
    return None


def _arrow_table(data: object, kind: str) -> Any:
    pa, _ = pyarrow_modules()
    if kind == "arrow":
        return data
    if kind == "polars":
        return data.to_arrow()  # type: ignore[attr-defined]
    return pa.RecordBatchReader.from_stream(data).read_all()


# -- reading columns ------------------------------------------------------------------------------


def _arrow_column(table: Any, first: int, name: str) -> _Column:
    column = table.column(name)
    # combine_chunks copies even a single chunk.
    return read_array(column.chunk(0) if column.num_chunks == 1 else column.combine_chunks(), first)


def read_array(array: Any, first: int) -> _Column:
    """Read one Arrow array of cells as a section column."""
    pa, pc = pyarrow_modules()
    kind = array.type
    types = pa.types
    if types.is_dictionary(kind):
        return read_array(array.dictionary_decode(), first)
    if types.is_string_view(kind):
        return read_array(array.cast(pa.large_string()), first)

    def cells(rows: list[int]) -> list[object]:
        return cast("list[object]", array.take(pa.array(rows, pa.int64())).to_pylist())

    if types.is_null(kind):
        return _Column(pa.nulls(len(array), pa.int64()), None, cells)
    if types.is_integer(kind):
        if kind == pa.uint64():
            # Beyond int64: such a cell is no answer, and the row path says so with its value.
            # A null cell is unanswered, never "huge": the mask of the row path has no nulls.
            huge = pc.fill_null(pc.greater(array, _scalar(1 << 62, kind)), _scalar(False))
            if pc.any(huge).as_py():
                in_range = pc.if_else(huge, _scalar(None, kind), array)
                return _Column(in_range.cast(pa.int64()), huge, cells)
        return _Column(array.cast(pa.int64()), None, cells)
    if types.is_floating(kind):
        return _read_floats(array, first, cells)
    if types.is_string(kind) or types.is_large_string(kind):
        return _read_text(array, first, cells)
    # bool (True is no answer), lists of marks, bytes, dates...: cell by cell.
    return read_cells(array.to_pylist(), first, cells)


_WHOLE_LIMIT: Final = 1e15
"""Below this, ``repr`` of an integral float is its integer's digits and ``.0``."""


def _read_floats(array: Any, first: int, cells: Callable[[list[int]], list[object]]) -> _Column:
    """Read an Arrow float column (see :func:`read_floats`)."""
    import numpy

    pa, _ = pyarrow_modules()
    number = array.cast(pa.float64()) if array.type != pa.float64() else array
    data = number.buffers()[1]
    values = numpy.frombuffer(data, numpy.float64, count=len(number), offset=number.offset * 8)
    valid = None
    if number.null_count:
        bits = numpy.frombuffer(number.buffers()[0], numpy.uint8)
        unpacked = numpy.unpackbits(bits, bitorder="little")
        valid = unpacked[number.offset : number.offset + len(number)].view(numpy.bool_)
    return read_floats(values, valid, first, cells)


def read_floats(
    values: Any, valid: Any, first: int, cells: Callable[[list[int]], list[object]]
) -> _Column:
    """Read a float64 NumPy column (``valid``: NumPy bools, or ``None`` when all are valid).

    NaN and invalid cells are unanswered; an integral value within the scale is that answer.
    An integral value outside it (``7.0``) is read in bulk too, shown as ``repr`` shows it; the
    rest (``2.5``, infinities, huge values, ``-0.0`` outside the scale) go to the row path.
    NumPy does it in a few passes (Arrow's kernels take several times as long over NaN and a
    checked cast).
    """
    import numpy

    pa, pc = pyarrow_modules()
    count = len(values)
    integers = numpy.empty(count, numpy.int64)
    answer = numpy.empty(count, numpy.bool_)
    scratch = numpy.empty(count, numpy.bool_)  # few, reused arrays: no temporaries to fault in
    with numpy.errstate(invalid="ignore"):  # NaN, infinities and huge values: no integer
        numpy.copyto(integers, values, casting="unsafe")
    # An integer equal to its float was read exactly (the cast is exact within the scale).
    numpy.equal(integers, values, out=answer)
    answer &= numpy.greater_equal(integers, first, out=scratch)
    answer &= numpy.less_equal(integers, first + 5, out=scratch)
    if valid is not None:
        answer &= valid
    # The rest is sparse: nulls, NaN and cells that are no answer.
    rest = numpy.flatnonzero(numpy.logical_not(answer, out=scratch))
    others = values[rest]
    known = ~numpy.isnan(others)
    if valid is not None:
        known &= valid[rest]
    rest, others = rest[known], others[known]
    plain = (numpy.floor(others) == others) & (numpy.abs(others) < _WHOLE_LIMIT)
    plain &= ~numpy.signbit(others) | (others != 0)  # -0.0 shows as "-0.0": the row path
    wrong, odd = rest[plain], rest[~plain]
    shown = None
    if len(wrong):
        answer[wrong] = True  # read in bulk: an error there, which the shown text names
        digits = pc.binary_join_element_wise(
            _from_numpy(integers[wrong]).cast(pa.string()), _scalar(".0"), _scalar("")
        )
        shown = _Shown(wrong, digits)
    # Under a null, Arrow reads no value: the integers of the cells not read stay as cast.
    validity = pa.py_buffer(numpy.packbits(answer, bitorder="little"))
    column = pa.Array.from_buffers(pa.int64(), len(values), [validity, pa.py_buffer(integers)])
    slow = None
    if len(odd):
        mask = numpy.zeros(len(values), numpy.bool_)
        mask[odd] = True
        slow = _bools(mask)
    return _Column(column, slow, cells, shown)


def _bools(mask: Any) -> Any:
    """Return a NumPy bool array as an Arrow one (``pa.array`` would import pandas)."""
    import numpy

    pa, _ = pyarrow_modules()
    bits = pa.py_buffer(numpy.packbits(mask, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, bits])


def _read_text(array: Any, first: int, cells: Callable[[list[int]], list[object]]) -> _Column:
    pa, pc = pyarrow_modules()
    kind = array.type
    codes = _strings([str(code + first) for code in range(6)], kind)
    index = pc.index_in(array, value_set=codes)
    known = pc.or_(
        pc.or_(pc.is_valid(index), pc.is_null(array)),
        pc.is_in(array, value_set=_strings(_UNANSWERED_TEXT, kind)),
    )
    other = pc.invert(known)  # a null cell is unanswered
    values = pc.add(index.cast(pa.int64()), _scalar(first))
    if not pc.any(other).as_py():
        return _Column(values, None, cells)
    # The other cells: a plain token ("7", "seven", "Na") is read here, the rest by the row path.
    text = array.filter(other)
    plain = pc.match_substring_regex(text, _PLAIN_TEXT)
    lowered = pc.utf8_lower(text)
    unanswered = pc.and_(plain, pc.is_in(lowered, value_set=_strings(_UNANSWERED_TEXT, kind)))
    wrong = pc.and_(plain, pc.invert(unanswered))
    values = pc.replace_with_mask(
        values, other, pc.if_else(wrong, _scalar(_NOT_AN_ANSWER), _scalar(None))
    )
    shown = pc.replace_with_mask(
        pa.nulls(len(array), pa.string()),
        other,
        pc.if_else(
            wrong,
            pc.binary_join_element_wise(
                _scalar("'"), text.cast(pa.string()), _scalar("'"), _scalar("")
            ),
            _scalar(None, pa.string()),
        ),
    )
    slow = pc.replace_with_mask(pa.repeat(_scalar(False), len(array)), other, pc.invert(plain))
    return _Column(values, slow if pc.any(slow).as_py() else None, cells, shown)


def read_cells(
    values: Sequence[object], first: int, cells: Callable[[list[int]], list[object]] | None = None
) -> _Column:
    """Read a column of Python objects cell by cell, as ``read_cell`` does."""
    pa, _ = pyarrow_modules()
    answers: list[int | None] = []
    slow: list[bool] = []
    any_slow = False
    for value in values:
        try:
            answer = _read_cell(value, first)
        except _BadCellError:
            answer = []  # no answer: the row path gives the row's error
        if type(answer) is int:
            answers.append(answer + first)
            slow.append(False)
        elif answer is None:
            answers.append(None)
            slow.append(False)
        else:  # several marks, or no answer: the row path reads the row
            answers.append(None)
            slow.append(True)
            any_slow = True
    if cells is None:

        def cells(rows: list[int]) -> list[object]:
            return [values[row] for row in rows]

    return _Column(
        pa.array(answers, pa.int64()), pa.array(slow, pa.bool_()) if any_slow else None, cells
    )


def _pandas_source(frame: Any, first: int) -> tuple[list[object], int, Callable[[str], _Column]]:
    import numpy

    pa, _ = pyarrow_modules()

    def column_of(name: str) -> _Column:
        series = frame[name]
        if series.dtype == object:
            values = series.tolist()
            found = set(map(type, values))
            if found <= {str, type(None)}:
                return read_array(pa.array(values, pa.large_string()), first)
            return read_cells(values, first)
        if isinstance(series.dtype, numpy.dtype) and series.dtype.kind == "f":
            # NumPy floats, NaN where empty (pandas' default for a column with gaps).
            floats = series.to_numpy(numpy.float64)
            return read_floats(floats, None, first, lambda rows: floats[rows].tolist())
        try:
            array = pa.array(series, from_pandas=True)
            if isinstance(array, pa.ChunkedArray):  # pyarrow-backed columns (pandas' str)
                array = array.combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = None
        if array is None or not _read_in_bulk(array.type):
            # As DataFrame.to_dict gives them: NumPy scalars as Python ones, and a date's
            # missing value as pandas' NaT, which is no answer (Arrow would make it None).
            return read_cells(series.astype(object).tolist(), first)
        return read_array(array, first)

    return list(frame.columns), len(frame), column_of


def _polars_source(frame: Any, first: int) -> tuple[list[object], int, Callable[[str], _Column]]:
    pa, _ = pyarrow_modules()

    def column_of(name: str) -> _Column:
        series = frame.get_column(name)
        try:
            array = series.to_arrow()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            # A type Arrow has not (Int128, Object): as DataFrame.to_dicts gives the cells.
            return read_cells(series.to_list(), first)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return read_array(array, first)

    return list(frame.columns), frame.height, column_of


def _read_in_bulk(kind: Any) -> bool:
    """Tell whether :func:`read_array` reads a column of this Arrow type in bulk."""
    pa, _ = pyarrow_modules()
    types = pa.types
    if types.is_dictionary(kind):
        return _read_in_bulk(kind.value_type)
    return bool(
        types.is_null(kind)
        or types.is_integer(kind)
        or types.is_floating(kind)
        or types.is_string(kind)
        or types.is_large_string(kind)
        or types.is_string_view(kind)
    )


# -- scoring --------------------------------------------------------------------------------------


def score_columns(
    columns: Sequence[_Column],
    names: Sequence[str],
    length: int,
    first: int,
    max_missing: int,
    start: int,
) -> dict[str, Any]:
    """Score the ten section columns (canonical order); return the result arrays by name."""
    pa, pc = pyarrow_modules()
    values = [column.values for column in columns]
    slow: Any = None
    for column in columns:
        if column.slow is not None:
            slow = column.slow if slow is None else pc.or_(slow, column.slow)
    if slow is not None and slow.null_count:
        # A null in the mask would null the row's sum: no score and no error. Never unsure.
        slow = pc.fill_null(slow, _scalar(True))
    bad: Any = None
    for column in values:
        low, high = (bound.as_py() for bound in pc.min_max(column).values())
        if low is None or first <= low <= high <= first + 5:
            continue
        if low < first and high > first + 5:
            outside = pc.or_(
                pc.less(column, _scalar(first)), pc.greater(column, _scalar(first + 5))
            )
        elif low < first:
            outside = pc.less(column, _scalar(first))
        else:
            outside = pc.greater(column, _scalar(first + 5))
        bad = outside if bad is None else pc.or_kleene(bad, outside)
    if bad is not None:
        bad = pc.fill_null(bad, _scalar(False))
        if slow is not None:
            bad = pc.and_(bad, pc.invert(slow))
        if not pc.any(bad).as_py():
            bad = None
    total = pc.fill_null(values[0], _scalar(64 + first))
    for i, column in enumerate(values[1:], start=1):
        total = pc.add(total, pc.fill_null(column, _scalar((64 << i) + first)))
    apart = slow if bad is None else bad if slow is None else pc.or_(bad, slow)
    if apart is not None:
        # A row scored apart gets the one index no row sums to: nothing answered, low bits 63.
        total = pc.if_else(apart, _scalar(_APART), total)
    tables = _tables(first, max_missing)
    import numpy

    unanswered = as_numpy(pc.shift_right(total, _scalar(6)))
    texts, index = tables.incomplete, unanswered
    if bad is not None:
        # The bad rows' messages are appended to the table of messages and indexed from it.
        where = pc.indices_nonzero(bad)
        messages = _bad_cell_messages(
            [pc.take(v, where) for v in values],
            [_shown_at(c.shown, where) for c in columns],
            names,
            first,
        )
        texts = pa.concat_arrays([tables.incomplete, messages])
        index = unanswered.copy()
        index[as_numpy(where)] = numpy.arange(len(tables.incomplete), len(texts))
    error, erred = _gather_text(texts, index)
    # A row's score is null exactly where it has an error (the rows apart are replaced below).
    scored = ~erred
    valid = pa.py_buffer(numpy.packbits(scored, bitorder="little"))

    def take(table: Any) -> Any:
        taken = pc.take(table, total)
        return pa.Array.from_buffers(table.type, length, [valid, *taken.buffers()[1:]])

    results: dict[str, Any] = {
        "row": _row_numbers(length, start),
        "odi_raw": take(tables.raw),
        "odi_answered": take(tables.answered),
        "odi_percent": take(tables.percent),
        "odi_percent_rounded": take(tables.rounded),
        "odi_band": take(tables.band),
        "odi_missing": _gather_text(tables.missing, unanswered, scored)[0],
        "error": error,
    }
    if slow is not None:
        _score_slow_rows(results, columns, names, slow, first, max_missing, start)
    return results


def _shown_at(shown: Any, where: Any) -> Any:
    """Return a column's ``shown`` texts at the row positions ``where`` (``None``: none)."""
    _, pc = pyarrow_modules()
    if shown is None:
        return None
    if isinstance(shown, _Shown):
        return shown.at(where)
    return pc.take(shown, where)


def _gather_text(table: Any, index: Any, valid: Any = None) -> tuple[Any, Any]:
    """Return ``table`` (strings) taken at ``index`` (NumPy), and where the result has text.

    The same as ``pc.take`` but several times faster when most results are empty: only the
    rows with text are gathered, the offsets of all come from a cumulative sum. Where
    ``valid`` (NumPy bools) is given, the result is null where it is false and "" or text
    elsewhere; else null wherever it is empty.
    """
    import numpy

    pa, pc = pyarrow_modules()
    sizes = as_numpy(pc.fill_null(pc.binary_length(table), _scalar(0, pa.int32())))[index]
    if valid is not None:
        sizes[~valid] = 0
    filled = sizes > 0
    texts = pc.take(table, _from_numpy(index[filled]))
    offsets = numpy.zeros(len(index) + 1, dtype=numpy.int32)
    numpy.cumsum(sizes, out=offsets[1:])
    validity = pa.py_buffer(numpy.packbits(filled if valid is None else valid, bitorder="little"))
    data = texts.buffers()[2] or pa.py_buffer(b"")
    array = pa.Array.from_buffers(pa.string(), len(index), [validity, pa.py_buffer(offsets), data])
    return array, filled


def as_numpy(array: Any) -> Any:
    """Return an Arrow integer array without nulls as a NumPy view (``to_numpy`` imports pandas)."""
    import numpy

    kind = numpy.dtype(array.type.to_pandas_dtype())
    data = array.buffers()[1]
    return numpy.frombuffer(data, kind, count=len(array), offset=array.offset * kind.itemsize)


def _from_numpy(values: Any) -> Any:
    """Return an int64 or float64 NumPy array as an Arrow array, sharing its memory.

    ``pa.array`` would import pandas to look at it, a second of start-up for the CLI.
    """
    import numpy

    pa, _ = pyarrow_modules()
    values = numpy.ascontiguousarray(values)
    kind = pa.float64() if values.dtype.kind == "f" else pa.int64()
    values = values.astype(numpy.float64 if values.dtype.kind == "f" else numpy.int64, copy=False)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


@functools.lru_cache(maxsize=256, typed=True)  # typed: 1, 1.0 and True are other scalars
def _scalar(value: float | bool | str | None, kind: Any = None) -> Any:
    """Return an Arrow scalar (int64, bool or string by default) without ``pa.scalar``.

    A number is stored as ``kind`` stores it (``_scalar(5.0, pa.float64())`` is 5.0): its
    value is converted, never its bytes reinterpreted.

    Arrow converts a Python value by first asking whether it is a pandas object, which
    imports pandas: a second of start-up for the CLI, which never needs it.
    """
    import numpy

    pa, _ = pyarrow_modules()
    if value is None:
        return pa.nulls(1, kind or pa.int64())[0]
    if isinstance(value, str):
        return _strings([value], kind)[0]
    if isinstance(value, bool):
        bits = pa.py_buffer(numpy.packbits([value], bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), 1, [None, bits])[0]
    kind = kind or pa.int64()
    number = numpy.array([value], numpy.dtype(kind.to_pandas_dtype()))
    if number[0] != value:
        raise ValueError(f"{value!r} is not representable as {kind}")
    return pa.Array.from_buffers(kind, 1, [None, pa.py_buffer(number)])[0]


def _strings(values: Sequence[str | None], kind: Any = None) -> Any:
    """Return Python strings (or ``None``) as an Arrow string array, without ``pa.array``."""
    import numpy

    pa, _ = pyarrow_modules()
    data = [value.encode() if value is not None else b"" for value in values]
    offsets = numpy.zeros(len(data) + 1, numpy.int64 if kind == pa.large_string() else numpy.int32)
    numpy.cumsum([len(item) for item in data], out=offsets[1:])
    valid = numpy.packbits([value is not None for value in values], bitorder="little")
    buffers = [pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(kind or pa.string(), len(data), buffers)


def _row_numbers(length: int, start: int) -> Any:
    """Return the int64 array ``start, start + 1, ...`` of ``length`` numbers."""
    import numpy

    return _from_numpy(numpy.arange(start, start + length, dtype=numpy.int64))


def _bad_cell_messages(
    values: Sequence[Any], shown: Sequence[Any], names: Sequence[str], first: int
) -> Any:
    """Return the message of each row's first cell outside the scale (every row has one)."""
    import numpy

    pa, pc = pyarrow_modules()
    allowed = _CELLS_ALLOWED[first]
    count = len(values[0])
    pending = pa.repeat(_scalar(True), count)  # rows whose message is still to be found
    rows: list[Any] = []
    texts: list[Any] = []
    for column, cells, name, section in zip(values, shown, names, _SECTIONS, strict=True):
        outside = pc.and_(
            pending,
            pc.fill_null(
                pc.or_(pc.less(column, _scalar(first)), pc.greater(column, _scalar(first + 5))),
                _scalar(False),
            ),
        )
        if not pc.any(outside).as_py():
            continue
        label = name if name == section.value else f"{name} ({section.value})"
        # repr() of an int is its decimal digits, as the cast writes them; an int64 is never
        # long enough to be shortened in a message. A text cell brings its repr along.
        shown_cells = column.filter(outside).cast(pa.string())
        if cells is not None:
            shown_cells = pc.coalesce(cells.filter(outside), shown_cells)
        texts.append(
            pc.binary_join_element_wise(
                _scalar(f"{label}: "), shown_cells, _scalar(f" is not {allowed}"), _scalar("")
            )
        )
        rows.append(as_numpy(pc.indices_nonzero(outside)))
        pending = pc.and_(pending, pc.invert(outside))
    order = numpy.argsort(numpy.concatenate(rows), kind="stable")
    return pc.take(pa.concat_arrays(texts), _from_numpy(order))


def _score_slow_rows(
    results: dict[str, Any],
    columns: Sequence[_Column],
    names: Sequence[str],
    slow: Any,
    first: int,
    max_missing: int,
    start: int,
) -> None:
    """Score the rows marked ``slow`` with the row path of ``score_odi_many``, in place."""
    pa, pc = pyarrow_modules()
    rows = cast("list[int]", pc.indices_nonzero(slow).to_pylist())
    cells = [column.cells(rows) for column in columns]
    scored: dict[str, list[object]] = {name: [] for name in RESULT_COLUMNS[1:]}
    for position, row in enumerate(rows):
        result = _score_values(
            [column[position] for column in cells], names, start + row, max_missing, first
        )
        for name, value in zip(RESULT_COLUMNS[1:], _cells_of(result), strict=True):
            scored[name].append(value)
    for name, values in scored.items():
        replacement = pa.array(values, results[name].type)
        results[name] = pc.replace_with_mask(results[name], slow, replacement)


def _cells_of(result: OdiScore | RowError) -> tuple[object, ...]:
    if isinstance(result, RowError):
        return (None, None, None, None, None, None, result.message)
    return (
        result.raw,
        result.answered,
        result.percent,
        result.percent_rounded,
        result.band.value,
        ";".join(section.value for section in result.missing),
        None,
    )


@functools.lru_cache(maxsize=32)
def _tables(first: int, max_missing: int) -> _Tables:
    """Build the result tables of one scale and ``max_missing`` from ``OdiScore`` itself.

    Each value comes from an ``OdiScore`` (one per raw sum and number answered) and each
    message from ``score_odi`` (one call per set of unanswered sections); NumPy only spreads
    them over the 65,536 sums a row can have.
    """
    import numpy

    bands = list(DisabilityBand)
    raw_of = numpy.zeros((51, 11), numpy.int64)
    percent_of = numpy.zeros((51, 11), numpy.float64)
    rounded_of = numpy.zeros((51, 11), numpy.int64)
    band_of = numpy.zeros((51, 11), numpy.int64)
    for answered in range(1, 11):
        for raw in range(5 * answered + 1):
            score = OdiScore(raw, answered, _SECTIONS[answered:])
            raw_of[raw, answered] = score.raw
            percent_of[raw, answered] = score.percent
            rounded_of[raw, answered] = score.percent_rounded
            band_of[raw, answered] = bands.index(score.band)
    missing_of: list[str | None] = []
    incomplete_of: list[str | None] = []
    for unanswered in range(1024):
        gaps = [section for i, section in enumerate(_SECTIONS) if unanswered >> i & 1]
        try:
            score_odi(
                [None if section in gaps else 0 for section in _SECTIONS], max_missing=max_missing
            )
        except IncompleteError as exc:
            incomplete_of.append(str(exc))
            missing_of.append(None)
        else:
            incomplete_of.append(None)
            missing_of.append(";".join(section.value for section in gaps))
    total = numpy.arange(1 << 16)
    sets = total >> 6
    counts = 10 - numpy.array([bin(mask).count("1") for mask in range(1024)])[sets]
    sums = (total & 63) - 10 * first
    scorable = numpy.array([text is None for text in incomplete_of])[sets]
    valid = scorable & (sums >= 0) & (sums <= 5 * counts)
    at = (numpy.where(valid, sums, 0), numpy.where(valid, counts, 0))
    names = _strings([band.value for band in bands] + [""])
    return _Tables(
        raw=_from_numpy(raw_of[at]),
        answered=_from_numpy(numpy.where(valid, counts, 0)),
        percent=_from_numpy(percent_of[at]),
        rounded=_from_numpy(rounded_of[at]),
        band=names.take(_from_numpy(numpy.where(valid, band_of[at], len(bands)))),
        missing=_strings(missing_of),
        incomplete=_strings(incomplete_of),
    )


def _header_error(error: InvalidAnswerError, length: int, start: int) -> dict[str, Any]:
    """Return results giving every row the error of a header without the ten sections."""
    pa, _ = pyarrow_modules()
    nulls = {
        name: pa.nulls(length, kind)
        for name, kind in zip(
            RESULT_COLUMNS[1:],
            (pa.int64(), pa.int64(), pa.float64(), pa.int64(), pa.string(), pa.string()),
            strict=False,
        )
    }
    return {
        "row": _row_numbers(length, start),
        **nulls,
        "error": pa.array([str(error)] * length, pa.string()),
    }


# -- results back in the input's kind -------------------------------------------------------------


def _attach(data: Any, kind: str, results: dict[str, Any]) -> object:
    pa, _ = pyarrow_modules()
    added = pa.table(results)
    if kind == "pandas":
        import pandas

        integers = {pa.int64(): pandas.Int64Dtype()}
        scored = added.to_pandas(types_mapper=integers.get)
        out = data.copy(deep=False)
        for name in RESULT_COLUMNS:
            column = scored[name]
            out[name] = column.array if name != "row" else column.to_numpy(dtype="int64")
        return out
    if kind == "polars":
        import polars

        return data.hstack(cast("polars.DataFrame", polars.from_arrow(added)).get_columns())
    table = _arrow_table(data, kind)
    for name in RESULT_COLUMNS:
        table = table.append_column(name, results[name])
    return table
