"""``backtriage score`` on Parquet and Arrow files, the scale options, and binary files as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import backtriage as bt
from backtriage.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ipc = pytest.importorskip("pyarrow.ipc")

SECTIONS = [section.value for section in bt.OdiSection]
ROWS = [
    ["p1", "2", "2", "2", "2", "2", "2", "2", "2", "2", "2"],
    ["p2", "2", "1", "2", "2", "2", "2", "1", "", "2", "2"],
    ["p3", "1", "1", "1", "7", "1", "1", "1", "1", "1", "1"],
    ["p4", " 3", "NA", "", "1", "1", "1", "1", "1", "1", "1"],
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    """The same table as CSV, Parquet (text cells) and Arrow IPC."""
    header = ["id", *SECTIONS]
    csv_path = tmp_path / "odi.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([header, *ROWS])
    table = pa.table({name: [row[i] for row in ROWS] for i, name in enumerate(header)})
    pq.write_table(table, tmp_path / "odi.parquet")
    with ipc.new_file(tmp_path / "odi.arrow", table.schema) as writer:
        writer.write_table(table)
    return {"csv": csv_path, "parquet": tmp_path / "odi.parquet", "arrow": tmp_path / "odi.arrow"}


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_a_parquet_or_arrow_input_gives_the_csv_output_of_the_same_table_as_csv(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path], kind: str
) -> None:
    want = run(capsys, "score", str(sources["csv"]))
    got = run(capsys, "score", str(sources[kind]))
    assert got == want
    assert want[0] == 1
    assert "2 of 4 rows failed; first: row 3: walking: '7' is not" in want[2]


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_a_parquet_or_arrow_output_holds_the_columns_the_csv_output_holds(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    _, text, _ = run(capsys, "score", str(sources["csv"]))
    target = tmp_path / f"scored{suffix}"
    code, _, _ = run(capsys, "score", str(sources["parquet"]), "-o", str(target))
    assert code == 1
    table = pq.read_table(target) if suffix == ".parquet" else ipc.open_file(target).read_all()
    expected = list(csv.DictReader(io.StringIO(text)))
    assert table.column_names == list(expected[0])
    got = [
        {k: "" if v is None else repr(v) if isinstance(v, float) else str(v) for k, v in r.items()}
        for r in table.to_pylist()
    ]
    assert got == expected
    assert table.schema.field("odi_raw").type == pa.int64()
    assert not list(tmp_path.glob(".*.partial"))


def test_scale_one_to_six_is_read_by_the_csv_and_the_columnar_paths_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = ["id", *SECTIONS]
    rows = [["a", *["6"] * 10], ["b", *["1"] * 9, "0"]]
    path = tmp_path / "six.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([header, *rows])
    pq.write_table(
        pa.table({n: [r[i] for r in rows] for i, n in enumerate(header)}), tmp_path / "six.parquet"
    )
    want = run(capsys, "score", str(path), "--scale", "1-6")
    assert want == run(capsys, "score", str(tmp_path / "six.parquet"), "--scale", "1-6")
    scored = list(csv.DictReader(io.StringIO(want[1])))
    assert scored[0]["odi_raw"] == "50"
    assert "travelling: '0' is not an answer 1 to 6" in scored[1]["error"]


def test_redcap_headers_need_the_option_and_a_stated_scale(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "redcap.csv"
    path.write_text(
        "record_id,"
        + ",".join(f"odi_{i}" for i in range(1, 11))
        + "\n1,"
        + ",".join(["2"] * 10)
        + "\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "score", str(path))
    assert code == 2
    assert "bad header" in err
    code, _, err = run(capsys, "score", str(path), "--headers", "redcap")
    assert code == 2
    assert "--headers redcap needs --scale" in err
    code, out, _ = run(capsys, "score", str(path), "--headers", "redcap", "--scale", "1-6")
    assert code == 0
    assert next(iter(csv.DictReader(io.StringIO(out))))["odi_raw"] == "10"


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"ARROW1\x00\x00", "an Arrow IPC file"),
        (b"PK\x03\x04rest", "a ZIP archive"),
        (b"id,walking\x00\x01\x02", "a binary file"),
    ],
)
def test_a_binary_file_given_as_csv_is_refused_naming_its_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, head: bytes, named: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(head + b"\x00" * 10)
    code, out, err = run(capsys, "score", str(path))
    assert code == 2
    assert out == ""
    assert f"not CSV text but {named}" in err
    assert "--encoding" not in err


def test_parquet_output_of_a_csv_input_is_refused_with_what_to_do(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "score", str(sources["csv"]), "-o", str(tmp_path / "x.parquet"))
    assert code == 2
    assert "needs a Parquet (*.parquet) or Arrow IPC (*.arrow) input" in err


def test_a_damaged_parquet_file_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    code, _, err = run(capsys, "score", str(path))
    assert code == 2
    assert err.startswith(f"backtriage: error: {path}: not a readable Parquet file")


def test_progress_lines_count_the_rows_of_a_parquet_file(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "out.parquet"
    code, _, err = run(
        capsys, "score", str(sources["parquet"]), "-o", str(target), "--progress", "always"
    )
    assert code == 1
    assert "backtriage: scored 4 rows in" in err


def test_an_empty_parquet_file_gives_an_empty_output_with_every_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "empty.parquet"
    pq.write_table(pa.table({name: pa.array([], pa.string()) for name in SECTIONS}), source)
    target = tmp_path / "out.parquet"
    assert run(capsys, "score", str(source), "-o", str(target))[0] == 0
    assert pq.read_table(target).column_names[0] == "row"
    assert pq.read_table(target).num_rows == 0


def test_json_lines_from_a_parquet_input_is_refused(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path]
) -> None:
    code, _, err = run(capsys, "score", str(sources["parquet"]), "-f", "jsonl")
    assert code == 2
    assert "JSON Lines output from a Parquet or Arrow input is not supported" in err


def test_a_missing_parquet_file_or_output_folder_is_one_error_line(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "score", str(tmp_path / "absent.parquet"))
    assert code == 2
    assert err.strip() == f"backtriage: error: {tmp_path / 'absent.parquet'}: no such file"
    target = tmp_path / "no" / "such" / "out.parquet"
    code, _, err = run(capsys, "score", str(sources["parquet"]), "-o", str(target))
    assert code == 2
    assert "cannot write it, no directory" in err


def test_arrow_output_on_standard_output_is_an_arrow_ipc_file(
    capsysbinary: pytest.CaptureFixture[bytes], sources: dict[str, Path]
) -> None:
    code = main(["score", str(sources["parquet"]), "--format", "arrow"])
    assert code == 1
    table = ipc.open_file(pa.BufferReader(capsysbinary.readouterr().out)).read_all()
    assert table.column("row").to_pylist() == [1, 2, 3, 4]


def test_a_uint64_parquet_column_with_a_huge_value_and_a_null_counts_every_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lifting = pa.array([1, 2**62 + 5, None, 2**64 - 1], pa.uint64())
    table = pa.table({name: lifting if name == "lifting" else [1] * 4 for name in SECTIONS})
    source = tmp_path / "huge.parquet"
    pq.write_table(table, source)
    code, out, err = run(capsys, "score", str(source))
    assert code == 1
    assert "2 of 4 rows failed; first: row 2: lifting: 4611686018427387909 is not" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["odi_raw"], row["odi_answered"], row["error"] != "") for row in rows] == [
        ("10", "10", False),
        ("", "", True),
        ("9", "9", False),
        ("", "", True),
    ]


def test_a_float_parquet_with_gaps_scores_as_the_same_integers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cells = [[(i + j) % 6 if (i + j) % 7 else None for j in range(10)] for i in range(50)]
    as_int = pa.table({n: [row[j] for row in cells] for j, n in enumerate(SECTIONS)})
    as_float = pa.table({n: as_int.column(n).cast(pa.float64()) for n in SECTIONS})
    pq.write_table(as_int, tmp_path / "int.parquet")
    pq.write_table(as_float, tmp_path / "float.parquet")
    want = run(capsys, "score", str(tmp_path / "int.parquet"))
    assert run(capsys, "score", str(tmp_path / "float.parquet")) == want


def test_a_parquet_output_that_is_the_input_is_refused(
    capsys: pytest.CaptureFixture[str], sources: dict[str, Path]
) -> None:
    before = sources["parquet"].read_bytes()
    code, out, err = run(capsys, "score", str(sources["parquet"]), "-o", str(sources["parquet"]))
    assert (code, out) == (2, "")
    assert "is the input" in err
    assert len(err.strip().splitlines()) == 1
    assert sources["parquet"].read_bytes() == before
