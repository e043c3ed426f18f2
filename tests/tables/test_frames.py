"""Columnar scoring: score_odi_frame gives, row by row, exactly what score_odi_many gives."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backtriage as bt
from backtriage.batch import RowError, score_odi_many

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

from backtriage.frames import RESULT_COLUMNS, score_odi_frame  # noqa: E402

SECTIONS = [section.value for section in bt.OdiSection]
SCORE_COLUMNS = RESULT_COLUMNS[1:]


def expected(
    rows: Sequence[dict[str, object]], *, start: int = 0, **options: Any
) -> list[tuple[object, ...]]:
    """The result columns score_odi_many gives for ``rows``, as the frame should hold them."""
    out: list[tuple[object, ...]] = []
    for number, result in enumerate(score_odi_many(rows, start=start, **options), start):
        if isinstance(result, RowError):
            out.append((number, None, None, None, None, None, None, result.message))
        else:
            out.append(
                (
                    number,
                    result.raw,
                    result.answered,
                    result.percent,
                    result.percent_rounded,
                    result.band.value,
                    ";".join(section.value for section in result.missing),
                    None,
                )
            )
    return out


def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return value


def results(frame: object) -> list[tuple[object, ...]]:
    """The result columns of a scored pyarrow, pandas or polars frame, row by row."""
    if isinstance(frame, pa.Table):
        columns = [frame.column(name).to_pylist() for name in RESULT_COLUMNS]
    elif isinstance(frame, pd.DataFrame):
        columns = [[_plain(v) for v in frame[name].tolist()] for name in RESULT_COLUMNS]
    else:
        assert isinstance(frame, pl.DataFrame)
        columns = [frame[name].to_list() for name in RESULT_COLUMNS]
    return list(zip(*columns, strict=True))


# -- cells drawn for the property ---------------------------------------------------------------

ints = st.one_of(st.integers(-2, 8), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.integers(-1, 7).map(float), st.floats(allow_nan=True, allow_infinity=True))
texts = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            " 3",
            "3 ",
            "\u20033",
            "7",
            "",
            "  ",
            "NA",
            "na",
            "N/A",
            "n/a",
            "Na",
            "not_applicable",
            "NOT_APPLICABLE",
            "seven",
            "2.5",
            "3.0",
            "'",
            "\\",
            "٣",
            "３",
            "x" * 70,
        ]
    ),
    st.text(max_size=6),
    st.text(st.characters(codec="utf-8"), max_size=3).map(lambda s: s + "2"),
)
KINDS = ("int", "float", "text")


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[dict[str, object]]]:
    """Rows of ten section columns, each column of one kind, with nulls and bad cells."""
    kinds = [draw(st.sampled_from(KINDS)) for _ in SECTIONS]
    count = draw(st.integers(0, 12))
    cells = {"int": ints, "float": floats, "text": texts}
    good = st.integers(0, 6)
    rows: list[dict[str, object]] = []
    for _ in range(count):
        row: dict[str, object] = {}
        for name, kind in zip(SECTIONS, kinds, strict=True):
            pick = draw(st.integers(0, 9))
            if pick == 0:
                row[name] = None
            elif pick <= 6:
                code = draw(good)
                row[name] = {"int": code, "float": float(code), "text": str(code)}[kind]
            else:
                row[name] = draw(cells[kind])
        rows.append(row)
    return kinds, rows


ARROW_TYPES = {"int": "int64", "float": "float64", "text": "string"}


def as_arrow(kinds: Sequence[str], rows: Sequence[dict[str, object]]) -> Any:
    return pa.table(
        {
            name: pa.array([row[name] for row in rows], ARROW_TYPES[kind])
            for name, kind in zip(SECTIONS, kinds, strict=True)
        }
    )


def as_pandas(kinds: Sequence[str], rows: Sequence[dict[str, object]]) -> Any:
    dtypes = {"int": "Int64", "float": "float64", "text": "str"}  # mixed: another test
    index = pd.RangeIndex(100, 100 + len(rows))
    return pd.DataFrame(
        {
            name: pd.Series([row[name] for row in rows], dtype=dtypes[kind], index=index)
            for name, kind in zip(SECTIONS, kinds, strict=True)
        }
    )


def as_polars(kinds: Sequence[str], rows: Sequence[dict[str, object]]) -> Any:
    dtypes = {"int": pl.Int64, "float": pl.Float64, "text": pl.Utf8}
    return pl.DataFrame(
        [
            pl.Series(name, [row[name] for row in rows], dtype=dtypes[kind])
            for name, kind in zip(SECTIONS, kinds, strict=True)
        ]
    )


options = st.fixed_dictionaries(
    {
        "max_missing": st.integers(0, 3),
        "scale": st.sampled_from(["0-5", "1-6"]),
        "start": st.integers(-5, 10**6),
    }
)


@settings(max_examples=300, deadline=None)
@given(tables(), options)
def test_every_kind_of_frame_scores_exactly_as_score_odi_many(
    table: tuple[list[str], list[dict[str, object]]], chosen: dict[str, Any]
) -> None:
    kinds, rows = table
    want = expected(rows, **chosen)
    assert results(score_odi_frame(as_arrow(kinds, rows), **chosen)) == want
    assert results(score_odi_frame(as_pandas(kinds, rows), **chosen)) == want
    assert results(score_odi_frame(as_polars(kinds, rows), **chosen)) == want


mixed = st.one_of(
    ints,
    floats,
    texts,
    st.none(),
    st.booleans(),
    st.lists(st.integers(-1, 7), max_size=3),
    st.just(pd.NA),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(mixed, min_size=10, max_size=10), max_size=8), options)
def test_a_mixed_object_column_is_read_cell_by_cell_as_score_odi_many_reads_it(
    cells: list[list[object]], chosen: dict[str, Any]
) -> None:
    rows = [dict(zip(SECTIONS, row, strict=True)) for row in cells]
    frame = pd.DataFrame(
        {name: pd.Series([row[name] for row in rows], dtype=object) for name in SECTIONS}
    )
    assert results(score_odi_frame(frame, **chosen)) == expected(rows, **chosen)


# -- worked examples and boundaries -------------------------------------------------------------


def test_a_published_worked_example_scores_the_same_in_a_frame() -> None:
    # 16 of 45 with sex_life unanswered: 35.6 %, rounded 36, moderate.
    row = dict(zip(SECTIONS, [2, 1, 2, 2, 2, 2, 1, None, 2, 2], strict=True))
    scored = score_odi_frame(pa.Table.from_pylist([row]))
    assert results(scored) == [(0, 16, 9, 20 * 16 / 9, 36, "moderate", "sex_life", None)]


def test_the_input_columns_come_back_first_with_the_pandas_index_kept() -> None:
    frame = pd.DataFrame(
        {"participant": ["a", "b"]} | {name: [1, 2] for name in SECTIONS},
        index=pd.Index(["x", "y"]),
    )
    scored = score_odi_frame(frame, start=1)
    assert list(scored.columns) == ["participant", *SECTIONS, *RESULT_COLUMNS]
    assert list(scored.index) == ["x", "y"]
    assert scored["row"].tolist() == [1, 2]
    assert scored["odi_raw"].tolist() == [10, 20]
    assert str(scored["odi_raw"].dtype) == "Int64"


def test_a_polars_frame_comes_back_as_polars_and_a_stream_as_a_pyarrow_table() -> None:
    frame = pl.DataFrame({name: [3] for name in SECTIONS})
    assert isinstance(score_odi_frame(frame), pl.DataFrame)

    class Stream:  # only the Arrow PyCapsule stream interface
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return frame.to_arrow().__arrow_c_stream__(requested_schema)

    scored = score_odi_frame(Stream())
    assert isinstance(scored, pa.Table)
    assert scored.column("odi_percent").to_pylist() == [60.0]


def test_scale_one_to_six_shifts_each_answer_down_by_one() -> None:
    table = pa.table({name: [6, 1] for name in SECTIONS})
    scored = score_odi_frame(table, scale="1-6")
    assert scored.column("odi_raw").to_pylist() == [50, 0]
    zero = score_odi_frame(pa.table({name: [0] for name in SECTIONS}), scale="1-6")
    assert "0 is not an answer 1 to 6" in zero.column("error")[0].as_py()


def test_redcap_headers_are_read_only_with_columns_redcap_and_a_stated_scale() -> None:
    table = pa.table({f"odi_{i}": [2] for i in range(1, 11)})
    unread = score_odi_frame(table)
    assert "a column for every ODI section" in unread.column("error")[0].as_py()
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_frame(table, columns="redcap")
    assert info.value.field == "scale"
    scored = score_odi_frame(table, columns="redcap", scale="1-6")
    assert scored.column("odi_raw").to_pylist() == [10]


def test_a_header_without_every_section_gives_the_error_of_score_odi_many_on_every_row() -> None:
    rows = [dict.fromkeys(SECTIONS[:-1], 1)] * 3
    assert results(score_odi_frame(pa.Table.from_pylist(rows))) == expected(rows)


def test_a_table_with_a_result_column_already_is_refused() -> None:
    table = pa.table({name: [1] for name in SECTIONS} | {"error": ["x"]})
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_frame(table)
    assert info.value.value == "error"


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_missing", -1), ("scale", "0-6"), ("start", 1.0), ("columns", ["walking"])],
)
def test_a_bad_option_is_refused_before_any_row_is_read(option: str, value: object) -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_frame(pa.table({name: [1] for name in SECTIONS}), **{option: value})
    assert info.value.field == option


def test_data_that_is_no_table_is_refused_naming_what_is_accepted() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_frame([{"walking": 1}])
    assert "pyarrow.Table" in info.value.allowed


def test_an_empty_table_gives_an_empty_result_with_the_result_columns() -> None:
    empty = pa.table({name: pa.array([], pa.int64()) for name in SECTIONS})
    scored = score_odi_frame(empty)
    assert scored.num_rows == 0
    assert scored.column_names[-len(RESULT_COLUMNS) :] == list(RESULT_COLUMNS)


def test_dictionary_and_narrow_and_unsigned_columns_are_read_by_value() -> None:
    table = pa.table(
        {
            "pain_intensity": pa.array(["1", "2", "9"]).dictionary_encode(),
            "personal_care": pa.array([1, 2, 3], pa.int8()),
            "lifting": pa.array([1, 2, 2**64 - 1], pa.uint64()),
            "walking": pa.array([1.0, None, 2.0], pa.float32()),
            "sitting": pa.array([None, None, None], pa.null()),
            "standing": pa.array([True, None, None], pa.bool_()),
        }
        | {name: pa.array([1, 1, 1], pa.uint8()) for name in SECTIONS[6:]}
    )
    rows = table.to_pylist()
    assert results(score_odi_frame(table, max_missing=3)) == expected(rows, max_missing=3)


def test_importing_backtriage_does_not_import_pyarrow_or_the_frames_module() -> None:
    code = (
        "import sys, backtriage, backtriage.batch; "
        "print(sorted(m for m in ('pyarrow', 'pandas', 'polars', 'backtriage.frames') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_pyarrow_the_error_names_the_extra_to_install() -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from backtriage.frames import score_odi_frame\n"
        "try:\n    score_odi_frame(object())\n"
        "except ModuleNotFoundError as exc:\n    print(exc)\n"
        "except Exception as exc:\n    print('other', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'backtriage[frames]'" in out.stdout


def test_a_pandas_column_arrow_cannot_take_is_read_cell_by_cell() -> None:
    rows = [dict.fromkeys(SECTIONS, 2), dict.fromkeys(SECTIONS, 2) | {"walking": 7}]
    frame = pd.DataFrame(rows)
    frame["walking"] = pd.arrays.SparseArray([2, 7])  # pyarrow refuses sparse columns
    assert results(score_odi_frame(frame)) == expected(rows)


def test_a_string_view_column_is_read_as_text() -> None:
    cells = ["1", " 2", None]
    table = pa.table(
        {name: pa.array(cells, pa.string_view()) for name in SECTIONS[:1]}
        | {name: pa.array([1, 1, 1]) for name in SECTIONS[1:]}
    )
    rows = [dict(zip(SECTIONS, [cell, *[1] * 9], strict=True)) for cell in cells]
    assert results(score_odi_frame(table)) == expected(rows)


def test_a_pandas_column_backed_by_several_arrow_chunks_is_read_whole() -> None:
    chunked = pa.chunked_array([["1", "2"], ["seven", None]])
    frame = pd.DataFrame({name: pd.Series([1, 1, 1, 1]) for name in SECTIONS})
    frame["walking"] = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    rows = [
        dict(zip(SECTIONS, [1, 1, 1, cell, 1, 1, 1, 1, 1, 1], strict=True))
        for cell in ["1", "2", "seven", None]
    ]
    assert results(score_odi_frame(frame)) == expected(rows)


# -- every integer width, with nulls: a score or an error on every row --------------------------

INTEGER_TYPES = {
    "int8": (pa.int8(), "Int8", pl.Int8),
    "int16": (pa.int16(), "Int16", pl.Int16),
    "int32": (pa.int32(), "Int32", pl.Int32),
    "int64": (pa.int64(), "Int64", pl.Int64),
    "uint8": (pa.uint8(), "UInt8", pl.UInt8),
    "uint16": (pa.uint16(), "UInt16", pl.UInt16),
    "uint32": (pa.uint32(), "UInt32", pl.UInt32),
    "uint64": (pa.uint64(), "UInt64", pl.UInt64),
}


@st.composite
def integer_tables(draw: st.DrawFn) -> tuple[list[str], list[dict[str, object]]]:
    """Ten integer columns of drawn widths: answers, nulls, and values up to each width's ends."""
    kinds = [draw(st.sampled_from(sorted(INTEGER_TYPES))) for _ in SECTIONS]
    rows: list[dict[str, object]] = []
    for _ in range(draw(st.integers(0, 10))):
        row: dict[str, object] = {}
        for name, kind in zip(SECTIONS, kinds, strict=True):
            arrow = INTEGER_TYPES[kind][0]
            bits = arrow.bit_width
            low, high = (
                (0, 2**bits - 1) if kind[0] == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
            )
            row[name] = draw(
                st.one_of(
                    st.none(),
                    st.integers(0, 6),
                    st.sampled_from([low, high, high - 1, min(high, 2**62 + 1)]),
                    st.integers(low, high),
                )
            )
        rows.append(row)
    return kinds, rows


@settings(max_examples=200, deadline=None)
@given(integer_tables(), options)
def test_integer_columns_of_every_width_with_nulls_score_as_score_odi_many(
    table: tuple[list[str], list[dict[str, object]]], chosen: dict[str, Any]
) -> None:
    kinds, rows = table
    want = expected(rows, **chosen)
    arrow = pa.table(
        {
            name: pa.array([row[name] for row in rows], INTEGER_TYPES[kind][0])
            for name, kind in zip(SECTIONS, kinds, strict=True)
        }
    )
    pandas = pd.DataFrame(
        {
            name: pd.Series([row[name] for row in rows], dtype=INTEGER_TYPES[kind][1])
            for name, kind in zip(SECTIONS, kinds, strict=True)
        }
    )
    polars = pl.DataFrame(
        [
            pl.Series(name, [row[name] for row in rows], dtype=INTEGER_TYPES[kind][2])
            for name, kind in zip(SECTIONS, kinds, strict=True)
        ]
    )
    for frame in (arrow, pandas, polars):
        got = results(score_odi_frame(frame, **chosen))
        assert got == want
        # Every row has exactly one of a score and an error.
        assert all((row[1] is None) != (row[-1] is None) for row in got)


def test_a_uint64_column_with_a_huge_value_and_a_null_scores_the_null_row() -> None:
    # The null row is unanswered in lifting only: scored, 9 answered.
    column = pa.array([1, 2**62 + 5, None, 2**64 - 1], pa.uint64())
    table = pa.table({name: column if name == "lifting" else [1] * 4 for name in SECTIONS})
    got = results(score_odi_frame(table))
    assert got == expected(table.to_pylist())
    assert got[2][1:3] == (9, 9)
    assert [row[-1] is not None for row in got] == [False, True, False, True]


# -- pandas' NaT is no answer, as score_odi_many reads it ---------------------------------------


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.to_datetime(["2020-01-01", None])),
        pd.Series(pd.to_datetime(["2020-01-01", None]).tz_localize("UTC")),
        pd.Series(pd.to_timedelta([1, None], unit="s")),
        pd.Series(pd.period_range("2020", periods=2, freq="D")).where([True, False]),
    ],
    ids=["datetime", "datetime-tz", "timedelta", "period"],
)
def test_a_date_column_s_nat_is_a_row_error_as_in_score_odi_many(column: Any) -> None:
    frame = pd.DataFrame({name: [2, 2] for name in SECTIONS})
    frame["walking"] = column
    rows = frame.to_dict("records")
    assert rows[1]["walking"] is pd.NaT
    got = results(score_odi_frame(frame))
    assert got == expected(rows)
    assert "walking: NaT is not an answer" in str(got[1][-1])


# -- float columns: read in bulk, as score_odi_many reads them ----------------------------------

FLOAT_CELLS = [math.nan, None, 2.5, -0.0, 0.0, math.inf, -math.inf, 7.0, -1.0, 1e300, 6.0, 0.5]


@st.composite
def float_tables(draw: st.DrawFn) -> list[dict[str, object]]:
    cells = st.one_of(
        st.integers(0, 6).map(float),
        st.sampled_from(FLOAT_CELLS),
        st.floats(allow_nan=True, allow_infinity=True),
    )
    return [{name: draw(cells) for name in SECTIONS} for _ in range(draw(st.integers(0, 10)))]


@settings(max_examples=200, deadline=None)
@given(float_tables(), options)
def test_float_columns_with_nan_score_exactly_as_score_odi_many(
    rows: list[dict[str, object]], chosen: dict[str, Any]
) -> None:
    want = expected(rows, **chosen)
    cells = {name: [row[name] for row in rows] for name in SECTIONS}
    frames = [
        pa.table({name: pa.array(cells[name], pa.float64()) for name in SECTIONS}),
        pd.DataFrame({name: pd.Series(cells[name], dtype="float64") for name in SECTIONS}),
        pl.DataFrame(
            [pl.Series(name, cells[name], dtype=pl.Float64, nan_to_null=False) for name in SECTIONS]
        ),
    ]
    for frame in frames:
        assert results(score_odi_frame(frame, **chosen)) == want


@pytest.mark.parametrize("scale", ["0-5", "1-6"])
@pytest.mark.parametrize("kind", ["float64", "float32"])
def test_a_float_column_of_answers_is_read_in_bulk(scale: str, kind: str) -> None:
    from backtriage.tables._columns import _scalar, read_array

    assert _scalar(5.0, pa.float64()).as_py() == 5.0  # the value, not an int's bytes
    first = int(scale[0])
    codes = [float(code + first) for code in range(6)]
    column = read_array(pa.array([*codes, math.nan, None, -0.0 + first], kind), first)
    assert column.slow is None  # no cell left to the row path
    assert column.values.to_pylist() == [*range(first, first + 6), None, None, first]


@pytest.mark.parametrize("scale", ["0-5", "1-6"])
def test_a_float_column_s_odd_cells_go_to_the_row_path_and_whole_numbers_stay_in_bulk(
    scale: str,
) -> None:
    from backtriage.tables._columns import read_array

    first = int(scale[0])
    cells = [2.5, math.inf, -math.inf, 1e300, 7.0, -1.0, 3.0, math.nan, None, 0.0, -0.0]
    column = read_array(pa.array(cells, pa.float64()), first)
    assert column.slow is not None
    # -0.0 outside the scale shows as "-0.0", which the row path writes.
    zero_apart = first == 1
    assert column.slow.to_pylist() == [*[True] * 4, *[False] * 6, zero_apart]
    assert column.shown is not None
    shown = ["7.0", "-1.0", None, None, None, "0.0" if first else None]
    assert column.shown.at(pa.array(range(4, 10), pa.uint64())).to_pylist() == shown


def test_a_polars_int128_column_arrow_cannot_hold_is_read_cell_by_cell() -> None:
    cells = [1, None, 2**100, -(2**120), 5]
    frame = pl.DataFrame(
        [pl.Series(name, cells, dtype=pl.Int128) for name in SECTIONS[:1]]
        + [pl.Series(name, [2] * len(cells), dtype=pl.Int64) for name in SECTIONS[1:]]
    )
    got = results(score_odi_frame(frame))
    assert got == expected(frame.to_dicts())
    assert all((row[1] is None) != (row[-1] is None) for row in got)
