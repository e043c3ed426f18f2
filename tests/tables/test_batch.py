"""Scoring wide tables: one result per row, a bad row never stops the batch."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import backtriage as bt
from backtriage.batch import (
    ALIASES,
    RowError,
    TableLayout,
    read_cell,
    score_odi_many,
    section_for,
)

SECTIONS = [section.value for section in bt.OdiSection]


def row(**cells: object) -> dict[str, object]:
    """A row answering 2 everywhere, with ``cells`` changed."""
    return dict.fromkeys(SECTIONS, "2") | {"id": "p1"} | cells


# -- cells ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "answer"),
    [
        ("3", 3),
        (" 4 ", 4),
        (0, 0),
        (5.0, 5),
        ("", None),
        ("  ", None),
        ("NA", None),
        ("n/a", None),
        ("not_applicable", None),
        (None, None),
        (math.nan, None),
        ([3, 1], [1, 3]),
        (("2",), [2]),
    ],
)
def test_a_cell_is_read_as_an_answer(cell: object, answer: object) -> None:
    assert read_cell(cell) == answer


@pytest.mark.parametrize(
    "cell", ["6", "-1", "2.5", "3.0", "three", True, False, 2.5, 6, -1, [], [7], object(), math.inf]
)
def test_a_cell_that_is_not_an_answer_is_refused(cell: object) -> None:
    # bool is refused although it is an int: True is "yes", never statement 1.
    with pytest.raises(bt.InvalidAnswerError) as info:
        read_cell(cell)
    assert info.value.field == "cell"


def test_numpy_style_integers_are_read_through_their_index() -> None:
    class Int64:  # what numpy.int64 offers: __index__, not an int subclass
        def __index__(self) -> int:
            return 4

    assert read_cell(Int64()) == 4


# -- columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("walking", "walking"),
        (" Walking ", "walking"),
        ("traveling", "travelling"),
        ("odi-1", "pain_intensity"),
        ("ODI-10", "travelling"),
        ("walk", None),
        ("odi-11", None),
        ("id", None),
    ],
)
def test_column_names_are_matched_to_sections(name: str, section: str | None) -> None:
    assert section_for(name) == section


def test_aliases_cover_every_section_three_ways() -> None:
    assert len(ALIASES) == 21  # ten keys, ten odi-N, and "traveling"
    assert set(ALIASES.values()) == set(bt.OdiSection)


# -- score_odi_many -----------------------------------------------------------------------------


def test_each_row_gives_one_result_in_order_and_a_bad_row_does_not_stop_the_batch() -> None:
    rows = [row(), row(walking="7"), row(sex_life=""), row(walking=True)]
    results = list(score_odi_many(rows))
    assert [type(r) for r in results] == [bt.OdiScore, RowError, bt.OdiScore, RowError]
    assert results[0] == bt.score_odi([2] * 10)
    assert results[2] == bt.score_odi(dict.fromkeys(SECTIONS, 2) | {"sex_life": None})


def test_a_row_error_names_the_row_the_column_and_the_value() -> None:
    (error,) = score_odi_many([row(walking="7")], start=5)
    assert error == RowError(5, "walking", "7", error.message)  # type: ignore[union-attr]
    assert "walking" in error.message  # type: ignore[union-attr]
    assert "'7'" in error.message  # type: ignore[union-attr]


def test_too_many_unanswered_sections_give_a_row_error_for_the_whole_row() -> None:
    (error,) = score_odi_many([row(walking="", sex_life="NA")])
    assert isinstance(error, RowError)
    assert error.field == "odi"
    assert error.value == ("walking", "sex_life")
    (score,) = score_odi_many([row(walking="", sex_life="NA")], max_missing=2)
    assert isinstance(score, bt.OdiScore)


def test_an_absent_section_column_is_an_error_not_an_unanswered_section() -> None:
    rows = [{key: "2" for key in SECTIONS if key != "travelling"}]
    (error,) = score_odi_many(rows)
    assert isinstance(error, RowError)
    assert error.field == "columns"
    assert "travelling" in error.message


def test_two_columns_for_one_section_are_an_error() -> None:
    (error,) = score_odi_many([row(traveling="2")])
    assert isinstance(error, RowError)
    assert "'travelling', 'traveling'" in error.message


def test_a_mapping_reads_other_headers_as_sections() -> None:
    rows = [{f"Q{i}": str(i % 6) for i in range(1, 11)}]
    columns = {f"Q{i}": section for i, section in enumerate(SECTIONS, 1)}
    (score,) = score_odi_many(rows, columns=columns)
    assert score == bt.score_odi([i % 6 for i in range(1, 11)])


def test_a_mapping_may_name_only_the_odd_headers() -> None:
    rows = [{key: "1" for key in SECTIONS if key != "travelling"} | {"Travel (ODI 10)": "3"}]
    (score,) = score_odi_many(rows, columns={"Travel (ODI 10)": "travelling"})
    assert isinstance(score, bt.OdiScore)
    assert score.raw == 12


def test_a_mapped_column_missing_from_a_row_is_a_row_error() -> None:
    (error,) = score_odi_many([row()], columns={"Q10": "travelling"})
    assert isinstance(error, RowError)
    assert "'Q10'" in error.message


def test_a_row_that_is_not_a_mapping_is_a_row_error() -> None:
    results = list(score_odi_many([["2"] * 10, row()]))  # type: ignore[list-item]
    assert isinstance(results[0], RowError)
    assert results[0].field == "row"
    assert isinstance(results[1], bt.OdiScore)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"columns": {"Q1": "walk"}}, "columns['Q1']"),
        ({"columns": {"Q1": 3}}, "columns['Q1']"),
        ({"columns": ["Q1"]}, "columns"),
        ({"max_missing": -1}, "max_missing"),
        ({"max_missing": True}, "max_missing"),
        ({"start": "1"}, "start"),
    ],
)
def test_bad_arguments_are_refused_at_the_call_before_any_row(
    kwargs: dict[str, Any], field: str
) -> None:
    def rows() -> Any:
        raise AssertionError("no row may be read")
        yield

    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_many(rows(), **kwargs)
    assert info.value.field == field


def test_results_are_produced_lazily() -> None:
    def rows() -> Any:
        yield row()
        raise RuntimeError("the second row is never needed")

    assert isinstance(next(score_odi_many(rows())), bt.OdiScore)


def test_a_dict_reader_is_scored_directly() -> None:
    text = "id,pain_intensity,personal_care,lifting,walking,sitting,standing,sleeping,sex_life,social_life,travelling\n"
    text += "a,1,1,1,1,1,1,1,,1,1\nb,1,1,1,9,1,1,1,1,1,1\n"
    results = list(score_odi_many(csv.DictReader(io.StringIO(text)), start=1))
    assert isinstance(results[0], bt.OdiScore)
    assert results[0].missing == (bt.OdiSection.SEX_LIFE,)
    assert isinstance(results[1], RowError)
    assert results[1].row == 2


CSV_HEADER = "id," + ",".join(section.value for section in bt.OdiSection)


def test_a_dict_reader_row_with_a_lost_or_an_extra_cell_is_an_error_not_a_score() -> None:
    text = (
        CSV_HEADER + "\np1,5,0,5,0,5,0,5,0,5,0\np2,5,5,0,5,0,5,0,5,0\np3,0,0,0,0,0,0,0,0,0,0,5,5\n"
    )
    results = list(score_odi_many(csv.DictReader(io.StringIO(text)), start=1))
    assert isinstance(results[0], bt.OdiScore)
    short, long = results[1], results[2]
    assert isinstance(short, RowError)
    assert (short.row, short.field, short.value) == (2, "row", 10)
    assert "row 2 has 10 fields but the header has 11" in short.message
    assert isinstance(long, RowError)
    assert (long.row, long.field, long.value) == (3, "row", 13)
    assert "row 3 has 13 fields but the header has 11" in long.message


def test_a_dict_reader_with_a_custom_restkey_still_reports_extra_cells() -> None:
    text = CSV_HEADER + "\np1,0,0,0,0,0,0,0,0,0,0,5\n"
    reader = csv.DictReader(io.StringIO(text), restkey="extra")
    (result,) = score_odi_many(reader)
    assert isinstance(result, RowError)
    assert result.value == 12


def test_a_dict_reader_header_that_repeats_a_name_makes_every_row_an_error() -> None:
    text = CSV_HEADER + ",walking\np1,1,1,1,1,1,1,1,1,1,1,5\np2,1,1,1,1,1,1,1,1,1,1,1\n"
    results = list(score_odi_many(csv.DictReader(io.StringIO(text))))
    assert len(results) == 2
    for result in results:
        assert isinstance(result, RowError)
        assert (result.field, result.value) == ("columns", "walking")
        assert "repeated" in result.message


def test_none_cells_of_plain_mappings_are_still_unanswered_sections() -> None:
    (result,) = score_odi_many([row(walking=None)])
    assert isinstance(result, bt.OdiScore)
    assert result.missing == (bt.OdiSection.WALKING,)


codes = st.integers(0, 5)
cells = st.one_of(codes.map(str), codes, codes.map(float), st.just(""), st.none())


@given(st.lists(st.lists(cells, min_size=10, max_size=10), max_size=8))
def test_every_row_scores_as_score_odi_scores_the_same_answers(table: list[list[object]]) -> None:
    rows = [dict(zip(SECTIONS, values, strict=True)) for values in table]
    results = list(score_odi_many(rows, max_missing=10))
    assert len(results) == len(rows)
    for values, result in zip(table, results, strict=True):
        answers = [None if v in ("", None) else int(v) for v in values]  # type: ignore[call-overload]
        try:
            expected: object = bt.score_odi(answers, max_missing=10)
        except bt.IncompleteError:
            assert isinstance(result, RowError)
        else:
            assert result == expected


# -- TableLayout (the CSV path of the command line) ---------------------------------------------


HEADER = ["id", *SECTIONS]


def test_a_layout_finds_the_section_columns_and_scores_a_row() -> None:
    layout = TableLayout.from_header(HEADER)
    assert layout.indices == tuple(range(1, 11))
    assert layout.width == 11
    assert layout.score(["p", *"2222222222"], 1) == bt.score_odi([2] * 10)


def test_a_row_of_the_wrong_width_is_an_error_never_shifted_cells() -> None:
    layout = TableLayout.from_header(HEADER)
    error = layout.score(["p", *"222222222"], 4)
    assert isinstance(error, RowError)
    assert (error.row, error.field, error.value) == (4, "row", 10)
    assert isinstance(layout.score(["p", *"22222222222"], 5), RowError)


def test_a_header_without_every_section_is_refused_listing_what_is_missing() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        TableLayout.from_header(["id", *SECTIONS[:-1], "travel"])
    assert "travelling" in info.value.allowed
    assert "'travel'" in info.value.allowed
    layout = TableLayout.from_header(["id", *SECTIONS[:-1], "travel"], {"travel": "travelling"})
    assert layout.names[-1] == "travel"


def test_a_mapped_header_reports_its_own_name_in_errors() -> None:
    layout = TableLayout.from_header(["id", *SECTIONS[:-1], "travel"], {"travel": "travelling"})
    error = layout.score(["p", *"222222222", "x"], 1)
    assert isinstance(error, RowError)
    assert error.field == "travel"
    assert error.message.startswith("travel (travelling): 'x'")


@pytest.mark.parametrize("rows", [None, 3, "p1,2,2", {"walking": 2}], ids=repr)
def test_rows_that_are_not_a_table_are_refused_at_the_call(rows: object) -> None:
    with pytest.raises(bt.InvalidAnswerError) as caught:
        bt.score_odi_many(rows)  # type: ignore[arg-type]
    assert caught.value.field == "rows"


# -- scales and REDCap headers ------------------------------------------------------------------


def test_scale_one_to_six_shifts_every_answer_down_by_one_never_guessed() -> None:
    (six,) = score_odi_many([dict.fromkeys(SECTIONS, "6")], scale="1-6")
    assert six == bt.score_odi([5] * 10)
    (error,) = score_odi_many([dict.fromkeys(SECTIONS, 1) | {"walking": 0}], scale="1-6")
    assert isinstance(error, RowError)
    assert error.message.startswith("walking: 0 is not an answer 1 to 6")
    assert read_cell(" 1 ", scale="1-6") == 0
    assert read_cell([2, 6], scale="1-6") == [1, 5]
    with pytest.raises(bt.InvalidAnswerError):
        read_cell("6")


def test_an_unknown_scale_is_refused_naming_both_scales() -> None:
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_many([], scale="1-5")
    assert info.value.field == "scale"
    assert "'1-6'" in info.value.allowed


def test_redcap_headers_are_read_only_through_columns_redcap_with_a_stated_scale() -> None:
    rows = [{f"odi_{i}": "3" for i in range(1, 11)} | {"record_id": "1"}]
    (unread,) = score_odi_many(rows)
    assert isinstance(unread, RowError)
    assert unread.field == "columns"
    with pytest.raises(bt.InvalidAnswerError) as info:
        score_odi_many(rows, columns="redcap")
    assert info.value.field == "scale"
    (zero_based,) = score_odi_many(rows, columns="redcap", scale="0-5")
    (one_based,) = score_odi_many(rows, columns="redcap", scale="1-6")
    assert zero_based == bt.score_odi([3] * 10)
    assert one_based == bt.score_odi([2] * 10)


def test_pandas_na_is_an_unanswered_cell_but_never_a_marked_statement() -> None:
    class NAType:  # what pandas.NA is, without importing pandas
        pass

    NAType.__module__ = "pandas._libs.missing"
    assert read_cell(NAType()) is None
    with pytest.raises(bt.InvalidAnswerError):
        read_cell([NAType()])
